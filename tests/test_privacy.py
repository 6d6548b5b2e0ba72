"""Tests for ai2med_labs.privacy: keys, pseudonyms, vault, date shifting, generalisation,
k-anonymity / l-diversity (against pycanon) and the linkage attack."""

from __future__ import annotations

import pickle
import re
import secrets

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from ai2med_labs import privacy as pv

ENV = "AI2MED_TEST_PSEUDONYM_KEY"


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def env_key(monkeypatch) -> str:
    monkeypatch.setenv(ENV, secrets.token_hex(32))
    return ENV


def hand_patients() -> pd.DataFrame:
    """A small frame with the cohort's patients schema (made up, not read off any cohort)."""
    return pd.DataFrame(
        {
            "patient_id": ["P0000001", "P0000002", "P0000003", "P0000004"],
            "national_id": ["800101-1234", "750615-2345", "600228-3456", "901111-4567"],
            "given_name": ["Ada", "Ben", "Cleo", "Dev"],
            "family_name": ["Lovell", "Okafor", "Marsh", "Patel"],
            "birth_date": pd.to_datetime(["1980-01-01", "1975-06-15", "1960-02-28", "1990-11-11"]),
            "sex": ["F", "M", "F", "M"],
            "postcode": ["11234", "11299", "32001", "32077"],
            "address": ["1 High Street", "2 Mill Lane", "3 Bridge Street", "4 Park Road"],
            "city": ["Northgate", "Northgate", "Hollins", "Hollins"],
            "phone": ["+99 111 222 333", "+99 222 333 444", "+99 333 444 555", "+99 444 555 666"],
            "email": ["ada@example.org", "ben@example.org", "cleo@example.org", "dev@example.org"],
            "insurance": ["public", "private", "public", "none"],
            "home_site_id": ["H1", "H1", "H3", "H3"],
            "smoking_status": ["never", None, "current", "former"],
            "death_date": pd.to_datetime([None, None, "2021-03-01", None]),
        }
    )


@pytest.fixture(scope="module", params=[11, 12])
def cohort(request):
    from ai2med_labs.synth import generate_cohort

    return generate_cohort(n_patients=400, seed=request.param)


# ----------------------------------------------------------------------------- keys
def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(pv.KeyProblem, match=ENV):
        pv.load_key(ENV)
    with pytest.raises(pv.KeyProblem, match="no key file"):
        pv.load_key(ENV, key_file="/nonexistent/key")


def test_short_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, secrets.token_hex(16))
    with pytest.raises(pv.KeyProblem, match="16 bytes.*at least 32"):
        pv.load_key(ENV)
    with pytest.raises(pv.KeyProblem, match="at least 32"):
        pv.pseudonymise(["P1"], b"short")
    f = tmp_path / "k"
    f.write_bytes(secrets.token_bytes(20))
    with pytest.raises(pv.KeyProblem):
        pv.load_key(key_file=f)


def test_key_from_file_and_env(monkeypatch, tmp_path):
    path = pv.write_key_file(tmp_path / "secret.key")
    assert (path.stat().st_mode & 0o777) == 0o600
    k = pv.load_key(key_file=path)
    assert len(k) == 32
    monkeypatch.setenv(ENV, path.read_text().strip())
    assert pv.load_key(ENV) == k
    with pytest.raises(FileExistsError):
        pv.write_key_file(path)


def test_derive_key_per_purpose(key):
    a, b = pv.derive_key(key, "research"), pv.derive_key(key, "billing")
    assert a != b and len(a) == 32
    assert a == pv.derive_key(key, "research")
    assert pv.derive_key(secrets.token_bytes(32), "research") != a
    with pytest.raises(ValueError):
        pv.derive_key(key, "")


# ----------------------------------------------------------------------------- pseudonyms
def test_pseudonyms_stable_under_one_key_different_under_another(key):
    ids = [f"P{i:07d}" for i in range(1000)]
    p1, p2 = pv.pseudonymise(ids, key), pv.pseudonymise(ids, key)
    other = pv.pseudonymise(ids, secrets.token_bytes(32))
    assert p1 == p2
    assert len(set(p1)) == len(ids)  # no collisions
    assert all(a != b for a, b in zip(p1, other))
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in p1)
    assert not set(p1) & set(ids)


def test_pseudonym_is_not_a_plain_hash(key):
    import hashlib

    pid = "P0000001"
    assert pv.pseudonymise([pid], key, length=64)[0] != hashlib.sha256(pid.encode()).hexdigest()


def test_pseudonymise_missing_categorical_and_bad_input(key):
    s = pd.Series(["P1", None, "P2", np.nan], dtype=object)
    out = pv.pseudonymise(s, key)
    assert out[1] is None and out[3] is None and out[0] != out[2]
    cat = pd.Series(["P1", "P2", None, "P1"], dtype="category")
    assert pv.pseudonymise(cat, key) == [out[0], out[2], None, out[0]]
    assert pv.pseudonymise(pd.Series([1, 2]), key) == pv.pseudonymise(["1", "2"], key)
    with pytest.raises(TypeError):
        pv.pseudonymise("P1", key)
    with pytest.raises(ValueError):
        pv.pseudonymise(["P1"], key, length=7)


def _assert_no_direct_identifiers(original: pd.DataFrame, out: pd.DataFrame) -> None:
    """Scan EVERY output column for the row's own identifiers and for identifier-shaped text."""
    assert len(out) == len(original)
    orig = original.reset_index(drop=True)
    out = out.reset_index(drop=True)
    patterns = {
        "email": re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}"),
        "phone": re.compile(r"\+\d{2}[ \d]{6,}"),
        "national ID": re.compile(r"\d{6}-\d{4}"),
    }
    born = pd.to_datetime(orig["birth_date"])
    born_text = born.dt.strftime("%Y-%m-%d")
    for col in out.columns:
        values = out[col]
        text = values.astype("string").fillna("")
        for ident in ["patient_id", "national_id", "given_name", "family_name", "address", "phone", "email"]:
            same = text.to_numpy() == orig[ident].astype("string").fillna("<na>").to_numpy()
            assert not same.any(), f"column {col!r} still holds {ident}"
        for what, pat in patterns.items():
            assert not text.str.contains(pat).any(), f"column {col!r} holds a {what}"
        assert not (text.to_numpy() == born_text.to_numpy()).any(), f"column {col!r} holds the birth date"
        if pd.api.types.is_datetime64_any_dtype(values):
            assert not (values.dt.normalize() == born).any(), f"column {col!r} holds the birth date"


def test_no_direct_identifier_survives_hand_frame(key):
    df = hand_patients()
    out = pv.pseudonymise_frame(df, ["patient_id"], key)
    _assert_no_direct_identifiers(df, out)
    assert "birth_year" in out.columns and "birth_date" not in out.columns
    assert out["birth_year"].tolist() == df["birth_date"].dt.year.tolist()


def test_no_direct_identifier_survives_cohort(cohort, env_key):
    pat = cohort.patients
    out = pv.Pseudonymiser(purpose="research", env_var=env_key).fit_transform(pat)
    _assert_no_direct_identifiers(pat, out)
    # the same pseudonymiser keeps encounters joinable to patients
    enc = pv.Pseudonymiser(purpose="research", env_var=env_key).fit_transform(cohort.encounters)
    assert enc["patient_id"].isin(out["patient_id"]).all()


def test_purposes_are_unlinkable(env_key):
    df = hand_patients()
    a = pv.Pseudonymiser(purpose="research", env_var=env_key).fit_transform(df)
    b = pv.Pseudonymiser(purpose="quality-audit", env_var=env_key).fit_transform(df)
    a2 = pv.Pseudonymiser(purpose="research", env_var=env_key).fit_transform(df)
    assert not set(a["patient_id"]) & set(b["patient_id"])
    assert a["patient_id"].tolist() == a2["patient_id"].tolist()


def test_pseudonymiser_in_pipeline_without_leaking_key(env_key):
    import os

    df = hand_patients()
    pipe = Pipeline(
        [
            ("pseudonymise", pv.Pseudonymiser(env_var=env_key, birth_date="drop")),
            ("keep", FunctionTransformer(lambda d: d[["patient_id", "sex", "postcode"]])),
        ]
    )
    out = pipe.fit_transform(df)
    assert list(out.columns) == ["patient_id", "sex", "postcode"]
    assert os.environ[env_key] not in repr(pipe)
    pickled = pickle.dumps(pipe.named_steps["pseudonymise"])
    key = pv.load_key(env_key)
    assert key not in pickled and os.environ[env_key].encode() not in pickled
    names = pipe.named_steps["pseudonymise"].get_feature_names_out()
    assert list(names) == list(pv.Pseudonymiser(env_var=env_key, birth_date="drop").fit_transform(df).columns)


def test_pseudonymiser_errors(env_key, monkeypatch):
    df = hand_patients()
    with pytest.raises(KeyError, match="no column.*'pid'"):
        pv.Pseudonymiser(columns=["pid"], env_var=env_key).fit(df)
    with pytest.raises(ValueError, match="empty"):
        pv.Pseudonymiser(env_var=env_key).fit(df.iloc[:0])
    with pytest.raises(TypeError, match="DataFrame"):
        pv.Pseudonymiser(env_var=env_key).fit(df.to_dict())
    with pytest.raises(RuntimeError, match="not fitted"):
        pv.Pseudonymiser(env_var=env_key).transform(df)
    monkeypatch.delenv(env_key)
    with pytest.raises(pv.KeyProblem, match=env_key):
        pv.Pseudonymiser(env_var=env_key).fit(df)


# ----------------------------------------------------------------------------- vault
def test_token_vault_relink_erase_and_storage(tmp_path):
    ids = ["P1", "P2", "P1", None, "P3"]
    vault = pv.TokenVault()
    tokens = vault.tokenise(ids)
    assert tokens[0] == tokens[2] and len({tokens[0], tokens[1], tokens[4]}) == 3 and tokens[3] is None
    assert vault.relink(tokens) == ids
    assert "P1" not in repr(vault)
    # random, not derived: a second vault gives other tokens for the same IDs
    assert not set(pv.TokenVault().tokenise(["P1", "P2", "P3"])) & set(tokens)
    path = vault.save(tmp_path / "vault.json")
    again = pv.TokenVault.load(path)
    assert again.relink(tokens) == ids
    assert again.erase("P1") and not again.erase("P1")
    assert again.relink(tokens) == [None, "P2", None, None, "P3"]
    assert "P1" not in again.to_frame()["value"].tolist()
    with pytest.raises(TypeError):
        vault.tokenise("P1")


# ----------------------------------------------------------------------------- dates
def test_date_shift_keeps_intervals_and_is_stable(key):
    enc = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "B", "C"],
            "admit_date": pd.to_datetime(["2024-01-01", "2024-02-10", "2024-03-01", "2024-03-05", "2024-05-01"]),
            "discharge_date": pd.to_datetime(["2024-01-05", "2024-02-11", "2024-03-02", None, "2024-05-09"]),
        }
    )
    out = pv.shift_dates(enc, ["admit_date", "discharge_date"], key, max_days=30)
    again = pv.shift_dates(enc, ["admit_date", "discharge_date"], key, max_days=30)
    pd.testing.assert_frame_equal(out, again)
    los_in = enc["discharge_date"] - enc["admit_date"]
    pd.testing.assert_series_equal(out["discharge_date"] - out["admit_date"], los_in)
    gaps = out.groupby("patient_id")["admit_date"].diff()
    pd.testing.assert_series_equal(gaps, enc.groupby("patient_id")["admit_date"].diff())
    shift = (out["admit_date"] - enc["admit_date"]).dt.days
    assert shift.between(-30, 30).all() and (shift != 0).all()
    assert out["discharge_date"].isna().sum() == 1
    ids = [f"P{i}" for i in range(500)]
    same = pv.date_offsets(ids, key) == pv.date_offsets(ids, secrets.token_bytes(32))
    assert same.mean() < 0.05  # another key gives other shifts (1 in 360 agree by chance)
    offs = pv.date_offsets([f"P{i}" for i in range(2000)], key, max_days=10)
    assert set(offs) == set(range(-10, 0)) | set(range(1, 11))


def test_date_shift_consistent_across_tables(cohort, key):
    pat = pv.shift_dates(cohort.patients, ["birth_date"], key)
    enc = pv.shift_dates(cohort.encounters, ["admit_date"], key)
    age_before = cohort.encounters.merge(cohort.patients.drop_duplicates("patient_id"), on="patient_id")
    age_after = enc.merge(pat.drop_duplicates("patient_id"), on="patient_id")
    d0 = (age_before["admit_date"] - age_before["birth_date"]).dt.days
    d1 = (age_after["admit_date"] - age_after["birth_date"]).dt.days
    assert (d0.to_numpy() == d1.to_numpy()).all()
    assert (pat["birth_date"] != cohort.patients["birth_date"]).all()


# ----------------------------------------------------------------------------- generalisation
def test_generalisation_hierarchies():
    born = pd.Series(pd.to_datetime(["1980-06-15", "1980-06-15", None]))
    assert pv.age_at(born, "2020-06-14").tolist()[:2] == [39, 39]
    assert pv.age_at(born, "2020-06-15").tolist()[:2] == [40, 40]
    assert pv.age_at(born, "2020-06-15").isna().tolist() == [False, False, True]
    bands = pv.age_band(pd.Series([0, 9, 10, 89, 90, 104, None]), width=10, top=90)
    assert bands.astype(object).tolist()[:6] == ["0-9", "0-9", "10-19", "80-89", "90+", "90+"]
    assert pd.isna(bands.iloc[6]) and bands.cat.ordered
    assert pv.age_band(pd.Series([3, 7]), width=5, top=None).astype(str).tolist() == ["0-4", "5-9"]
    with pytest.raises(ValueError, match="negative"):
        pv.age_band(pd.Series([-1]))
    assert pv.postcode_prefix(pd.Series(["12345", None]), 3).tolist()[0] == "123**"
    assert pv.to_month(pd.Series(pd.to_datetime(["2024-03-31"]))).tolist() == ["2024-03"]
    assert pv.to_year(pd.Series(pd.to_datetime(["2024-03-31"]))).tolist() == [2024]
    with pytest.raises(TypeError, match="Series"):
        pv.to_month("2024-01-01")


def test_generalise_and_suppress_reach_k(cohort):
    p = cohort.patients.drop_duplicates("patient_id")
    released = pd.DataFrame(
        {
            "age": pv.age_band(pv.age_at(p["birth_date"], "2024-01-01"), 10),
            "sex": p["sex"],
            "region": pv.postcode_prefix(p["postcode"], 2),
        }
    )
    assert pv.k_anonymity(p, ["birth_date", "sex", "postcode"]) == 1
    for k in (2, 5, 10):
        kept = pv.suppress(released, ["age", "sex", "region"], k)
        if len(kept):  # with few patients a large k may suppress everyone
            assert pv.k_anonymity(kept, ["age", "sex", "region"]) >= k
        dropped = released.loc[~released.index.isin(kept.index)]
        sizes = pv.equivalence_class_sizes(released, ["age", "sex", "region"])
        assert (sizes.loc[dropped.index] < k).all() and (sizes.loc[kept.index] >= k).all()


# ----------------------------------------------------------------------------- k, l, risk
def _random_frame(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(0, 8, n) * 10,
            "sex": rng.choice(["F", "M"], n),
            "region": rng.choice([f"{i:02d}" for i in range(int(rng.integers(2, 12)))], n),
            "insurance": pd.Categorical(rng.choice(["public", "private", "none"], n)),
            "year": rng.integers(2015, 2015 + int(rng.integers(1, 4)), n),
            "dx": rng.choice(["E11", "I10", "I50", "J44", "N18"], n, p=[0.5, 0.3, 0.1, 0.07, 0.03]),
            "ward": rng.choice(["A", "B", "C"], n),
        }
    )


@pytest.mark.filterwarnings("ignore:The default of observed=False:FutureWarning")  # inside pycanon
@pytest.mark.parametrize("seed", range(6))
def test_k_and_l_agree_with_pycanon(seed):
    from pycanon import anonymity

    df = _random_frame(seed)
    for qis in (["age", "sex"], ["age", "sex", "region"], ["age", "sex", "region", "insurance", "year"]):
        assert pv.k_anonymity(df, qis) == anonymity.k_anonymity(df, qis)
        assert pv.l_diversity(df, qis, "dx") == anonymity.l_diversity(df, qis, ["dx"])
        assert pv.l_diversity(df, qis, ["dx", "ward"]) == anonymity.l_diversity(df, qis, ["dx", "ward"])


def test_many_wide_qis_do_not_overflow():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"q{i}": rng.integers(0, 5000, 20000) for i in range(8)})
    expect = int(df.groupby(list(df.columns)).size().min())
    assert pv.k_anonymity(df, list(df.columns)) == expect == 1
    df2 = pd.concat([df, df], ignore_index=True)
    assert pv.k_anonymity(df2, list(df.columns)) == 2


def test_missing_values_are_a_class_of_their_own():
    df = pd.DataFrame({"a": ["x", "x", None, None, "y"], "s": [1, 2, 1, 1, 3]})
    assert pv.equivalence_class_sizes(df, ["a"]).tolist() == [2, 2, 2, 2, 1]
    assert pv.l_diversity(df.iloc[:4], ["a"], "s") == 1


def test_risk_summary_matches_groupby():
    df = _random_frame(3, 2000)
    qis = ["age", "sex", "region", "year"]
    risk = pv.reidentification_risk(df, qis)
    sizes = df.groupby(qis)["dx"].transform("size")
    assert risk["n_records"] == len(df)
    assert risk["n_classes"] == df.groupby(qis).ngroups
    assert risk["k"] == sizes.min()
    assert risk["share_unique"] == pytest.approx((sizes == 1).mean())
    assert risk["mean_risk"] == pytest.approx((1 / sizes).mean())
    assert risk["max_risk"] == pytest.approx(1 / sizes.min())
    assert risk["share_above_threshold"] == pytest.approx((1 / sizes > 0.2).mean())
    classes = pv.equivalence_classes(df, qis, sensitive="dx")
    assert classes["size"].sum() == len(df) and classes["size"].is_monotonic_increasing
    assert classes["n_distinct"].min() == pv.l_diversity(df, qis, "dx")


def test_anonymity_errors():
    df = _random_frame(0, 50)
    with pytest.raises(KeyError, match="postcode"):
        pv.k_anonymity(df, ["age", "postcode"])
    with pytest.raises(ValueError, match="empty"):
        pv.k_anonymity(df.iloc[:0], ["age"])
    with pytest.raises(ValueError, match="at least one"):
        pv.k_anonymity(df, [])
    with pytest.raises(KeyError, match="diagnosis"):
        pv.l_diversity(df, ["age"], "diagnosis")
    with pytest.raises(ValueError, match="k must be"):
        pv.suppress(df, ["age"], 0)


# ----------------------------------------------------------------------------- linkage
def test_linkage_attack_hand_frame():
    df = hand_patients()
    released = df[["patient_id", "birth_date", "sex", "postcode"]].assign(dx=["E11", "I10", "J44", "N18"])
    register = pd.concat([df[["patient_id", "given_name", "family_name", "birth_date", "sex", "postcode"]]] * 1)
    register = pd.concat([register, register.iloc[[1]].assign(patient_id="P9999999", given_name="Twin")])
    res = pv.linkage_attack(released.drop(columns="patient_id"), register, ["birth_date", "sex", "postcode"])
    assert (res.n_released, res.n_reidentified, res.share_reidentified) == (4, 3, 0.75)
    assert set(res.matches["given_name"]) == {"Ada", "Cleo", "Dev"}
    assert res.matches.loc[0, "dx"] == "E11"
    res2 = pv.linkage_attack(released, register, ["birth_date", "sex", "postcode"], truth=("patient_id", "patient_id"))
    assert res2.n_correct == 3
    with pytest.raises(KeyError, match="public register"):
        pv.linkage_attack(released, register.drop(columns="postcode"), ["birth_date", "sex", "postcode"])


def test_linkage_attack_on_cohort_and_generalisation_helps(cohort):
    p = cohort.patients
    qis = ["birth_date", "sex", "postcode"]
    register = p[["patient_id", "given_name", "family_name", *qis]]
    released = p[["patient_id", *qis, "insurance"]]
    res = pv.linkage_attack(released, register, qis, truth=("patient_id", "patient_id"))
    assert 0.5 < res.share_reidentified <= 1.0
    assert res.n_correct == res.n_reidentified  # same population: every unique match is right
    gen = lambda d: d.assign(  # noqa: E731
        birth_date=pv.to_year(d["birth_date"]), postcode=pv.postcode_prefix(d["postcode"], 2)
    )
    res_gen = pv.linkage_attack(gen(released), gen(register), qis)
    assert res_gen.share_reidentified < res.share_reidentified

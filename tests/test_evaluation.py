"""Unit tests for ai2med_labs.evaluation: hand-worked cases, known behaviour, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from ai2med_labs import evaluation as ev

# A small table worked by hand (10 patients, threshold pt = 0.2, odds pt/(1-pt) = 0.25):
#   y:  1    1    1    0    0    0    0    0    0    0
#   p: .9   .6   .1   .5   .3   .25  .15  .1   .05  .02
# treated (p >= .2): first 2 events (TP = 2), the third event missed (FN = 1),
# and 3 non-events with p .5, .3, .25 (FP = 3); TN = 4.
# NB(model)     = 2/10 - 3/10 * 0.25 = 0.2 - 0.075 = 0.125
# NB(treat all) = 3/10 - 7/10 * 0.25 = 0.3 - 0.175 = 0.125
# Per 1,000: TP 200, FP 300, FN 100, TN 400, flagged 500; PPV 2/5, NNE 5/2 = 2.5
Y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
P = np.array([0.9, 0.6, 0.1, 0.5, 0.3, 0.25, 0.15, 0.1, 0.05, 0.02])


def test_net_benefit_hand_worked():
    assert ev.net_benefit(Y, P, 0.2) == pytest.approx(0.125)
    # at pt = 0.5 (odds 1): TP 2 (.9, .6), FP 1 (.5): 0.2 - 0.1 = 0.1
    assert ev.net_benefit(Y, P, 0.5) == pytest.approx(0.1)


def test_decision_curve_matches_net_benefit_and_treat_all():
    dc = ev.decision_curve(Y, P, thresholds=[0.2, 0.5])
    assert list(dc.columns) == ["threshold", "model", "treat_all", "treat_none"]
    assert dc["model"].tolist() == pytest.approx([0.125, 0.1])
    assert dc["treat_all"].tolist() == pytest.approx([0.125, 0.3 - 0.7])
    assert (dc["treat_none"] == 0).all()
    full = ev.decision_curve(Y, P)
    assert full["threshold"].min() == pytest.approx(0.01) and len(full) == 99


def test_per_1000_hand_worked():
    t = ev.per_1000(Y, P, 0.2)
    assert t[["tp", "fp", "fn", "tn", "flagged"]].tolist() == pytest.approx([200, 300, 100, 400, 500])
    assert t["ppv"] == pytest.approx(0.4)
    assert t["nne"] == pytest.approx(2.5)
    assert t["sensitivity"] == pytest.approx(2 / 3)
    assert t["specificity"] == pytest.approx(4 / 7)
    assert t[["tp", "fp", "fn", "tn"]].sum() == pytest.approx(1000)


def test_threshold_from_costs():
    assert ev.threshold_from_costs(1, 9) == pytest.approx(0.1)
    assert ev.threshold_from_costs(1, 1) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive"):
        ev.threshold_from_costs(0, 1)


def _simulate(n, seed, a=0.0, b=1.0):
    """Outcomes drawn from true risk r; predictions p = expit(a + b * logit(r))."""
    rng = np.random.default_rng(seed)
    lp = rng.normal(-1.0, 1.2, n)
    r = 1 / (1 + np.exp(-lp))
    y = rng.binomial(1, r)
    p = 1 / (1 + np.exp(-(a + b * lp)))
    return y, p, r


def test_calibration_summary_true_risk_is_calibrated_and_sklearn_brier():
    y, p, _ = _simulate(20000, 1)
    s = ev.calibration_summary(y, p)
    assert abs(s["slope"] - 1) < 0.06
    assert abs(s["intercept"]) < 0.06
    assert abs(s["calibration_in_the_large"]) < 0.015
    assert s["brier"] == pytest.approx(brier_score_loss(y, p))
    prev = y.mean()
    assert s["scaled_brier"] == pytest.approx(1 - s["brier"] / (prev * (1 - prev)))


def test_calibration_slope_detects_overfitting_and_intercept_detects_shift():
    y, _, r = _simulate(20000, 2)
    lp = np.log(r / (1 - r))
    too_extreme = 1 / (1 + np.exp(-2 * lp))  # slope should be about 1/2
    assert ev.calibration_summary(y, too_extreme)["slope"] == pytest.approx(0.5, abs=0.05)
    too_high = 1 / (1 + np.exp(-(lp + 1)))  # intercept about -1, observed < predicted
    s = ev.calibration_summary(y, too_high)
    assert s["intercept"] == pytest.approx(-1, abs=0.07)
    assert s["calibration_in_the_large"] < 0


@pytest.mark.parametrize("method", ["logistic", "isotonic"])
def test_recalibrator_repairs_miscalibration_and_logistic_keeps_ranking(method):
    y, _, r = _simulate(20000, 3)
    lp = np.log(r / (1 - r))
    bad = 1 / (1 + np.exp(-(0.8 + 2 * lp)))
    fit_half, test_half = slice(0, 10000), slice(10000, None)
    rc = ev.Recalibrator(method).fit(bad[fit_half], y[fit_half])
    fixed = rc.transform(bad[test_half])
    before = ev.calibration_summary(y[test_half], bad[test_half])
    after = ev.calibration_summary(y[test_half], fixed)
    assert after["brier"] < before["brier"]
    assert abs(after["calibration_in_the_large"]) < 0.02
    if method == "logistic":
        assert after["slope"] == pytest.approx(1, abs=0.1)
        assert roc_auc_score(y[test_half], fixed) == pytest.approx(roc_auc_score(y[test_half], bad[test_half]))
    with pytest.raises(ValueError, match="not fitted"):
        ev.Recalibrator(method).transform([0.5])
    with pytest.raises(ValueError, match="method"):
        ev.Recalibrator("platt-ish")


def test_classification_metrics():
    m = ev.classification_metrics(Y, P, 0.2)
    assert m["npv"] == pytest.approx(4 / 5)
    assert m["flagged"] == pytest.approx(0.5)


def test_bootstrap_ci_estimate_matches_metric_and_is_reproducible():
    y, p, _ = _simulate(500, 4)
    a = ev.bootstrap_ci(y, p, "auc", n_boot=100, random_state=1)
    b = ev.bootstrap_ci(y, p, "auc", n_boot=100, random_state=1)
    assert a.equals(b)
    assert a["estimate"] == pytest.approx(roc_auc_score(y, p))
    assert a["lower"] < a["estimate"] < a["upper"]
    sens = ev.bootstrap_ci(y, p, "sensitivity", threshold=0.3, n_boot=50)
    assert sens["estimate"] == pytest.approx(ev.classification_metrics(y, p, 0.3)["sensitivity"])


def _coverage(n_sim, cluster, seed):
    """Share of 95% intervals for the prevalence that contain the true prevalence 0.3.

    Data are clustered: 40 patients with 5 rows each, and a patient's rows share one
    outcome, so rows are far from independent (design effect 5).
    """
    rng = np.random.default_rng(seed)
    hits = 0
    pid = np.repeat(np.arange(40), 5)
    for i in range(n_sim):
        y = np.repeat(rng.binomial(1, 0.3, 40), 5)
        p = np.full(len(y), 0.5)
        r = ev.bootstrap_ci(y, p, "prevalence", n_boot=200, clusters=pid if cluster else None,
                            random_state=i)
        hits += r["lower"] <= 0.3 <= r["upper"]
    return hits / n_sim


def test_cluster_bootstrap_covers_truth_at_stated_rate_and_row_bootstrap_does_not():
    # 200 simulated studies: binomial SE of the coverage is about 0.015 at 0.95.
    # A percentile bootstrap on 40 clusters runs a little under 0.95; [0.88, 0.99] allows that
    # and would fail an interval at the wrong level (e.g. 68%) or one that ignores clustering.
    cov_cluster = _coverage(200, cluster=True, seed=11)
    assert 0.88 <= cov_cluster <= 0.99
    # resampling rows ignores the clustering: intervals about sqrt(5) too narrow (~0.63 coverage)
    cov_rows = _coverage(200, cluster=False, seed=11)
    assert cov_rows < 0.8


def test_bootstrap_ci_independent_rows_cover_true_auc():
    # Binormal model: scores ~ N(0,1) for non-events, N(d,1) for events; true AUC = Phi(d/sqrt2).
    from math import erf, sqrt

    d = 1.0
    true_auc = 0.5 * (1 + erf(d / sqrt(2) / sqrt(2)))
    rng = np.random.default_rng(5)
    hits = 0
    n_sim = 120
    for i in range(n_sim):
        y = rng.binomial(1, 0.4, 150)
        s = rng.normal(d * y, 1.0)
        p = 1 / (1 + np.exp(-s))
        r = ev.bootstrap_ci(y, p, "auc", n_boot=150, random_state=i)
        hits += r["lower"] <= true_auc <= r["upper"]
    assert 0.87 <= hits / n_sim <= 0.995  # 95% interval; SE of the coverage about 0.02


def test_subgroup_metrics_table():
    y, p, _ = _simulate(600, 6)
    df = pd.DataFrame({"y": y, "p": p, "sex": np.where(np.arange(600) % 3 == 0, "F", "M"),
                       "patient_id": np.arange(600) // 2})
    t = ev.subgroup_metrics(df, y_true="y", y_prob="p", by="sex", metrics=["auc", "brier"],
                            n_boot=30, cluster="patient_id")
    assert list(t.columns) == ["group", "n", "n_events", "metric", "estimate", "lower", "upper"]
    assert t["group"].tolist() == ["all", "all", "F", "F", "M", "M"]
    f_auc = t.query("group == 'F' and metric == 'auc'")["estimate"].item()
    assert f_auc == pytest.approx(roc_auc_score(y[df.sex == "F"], p[df.sex == "F"]))
    assert t.loc[t.group == "F", "n"].iloc[0] == 200
    assert (t["lower"] <= t["estimate"]).all() and (t["estimate"] <= t["upper"]).all()
    with pytest.raises(ValueError, match="threshold"):
        ev.subgroup_metrics(df, y_true="y", y_prob="p", by="sex", metrics=["sensitivity"])
    with pytest.raises(ValueError, match="unknown metric"):
        ev.subgroup_metrics(df, y_true="y", y_prob="p", by="sex", metrics=["accuracyy"])


def test_grouped_split_keeps_patients_together():
    df = pd.DataFrame({"patient_id": np.repeat(np.arange(50), 3), "x": np.arange(150)})
    tr, te = ev.grouped_train_test_split(df, test_size=0.2, random_state=3)
    assert not set(tr.patient_id) & set(te.patient_id)
    assert len(tr) + len(te) == len(df)
    assert te.patient_id.nunique() == 10


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("y", "p", "match"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "0/1"),
        (["no", "yes"], [0.1, 0.2], "0/1"),
        ([0, 1, np.nan], [0.1, 0.2, 0.3], "0/1"),
        ([0, 1], [0.1, 1.2], r"\[0, 1\]"),
        ([0, 1], [-0.1, 0.5], r"\[0, 1\]"),
        ([0, 1], [0.1, np.nan], "missing"),
        ([0, 1, 1], [0.1, 0.2], "different lengths"),
        ([], [], "empty"),
        ([0, 1], [[0.9, 0.1], [0.2, 0.8]], "two columns"),
    ],
)
def test_bad_input_is_explained(y, p, match):
    for fn in (lambda: ev.net_benefit(y, p, 0.2), lambda: ev.decision_curve(y, p),
               lambda: ev.per_1000(y, p, 0.2), lambda: ev.bootstrap_ci(y, p, n_boot=5)):
        with pytest.raises(ValueError, match=match):
            fn()


def test_bad_thresholds_and_frames():
    with pytest.raises(ValueError, match="between 0 and 1"):
        ev.net_benefit(Y, P, 1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ev.decision_curve(Y, P, thresholds=[0.0, 0.5])
    with pytest.raises(ValueError, match="both outcomes"):
        ev.calibration_summary([1, 1], [0.2, 0.3])
    df = pd.DataFrame({"y": Y, "p": P, "sex": ["F", "M"] * 5})
    with pytest.raises(KeyError, match="site_id"):
        ev.subgroup_metrics(df, y_true="y", y_prob="p", by="site_id")
    with pytest.raises(ValueError, match="empty"):
        ev.subgroup_metrics(df.iloc[:0], y_true="y", y_prob="p", by="sex")
    with pytest.raises(TypeError, match="DataFrame"):
        ev.subgroup_metrics(df.to_dict(), y_true="y", y_prob="p", by="sex")
    with pytest.raises(KeyError, match="patient_id"):
        ev.grouped_train_test_split(df)
    with pytest.raises(ValueError, match="one cluster ID per row"):
        ev.bootstrap_ci(Y, P, clusters=[1, 2])


def test_cluster_resampling_draws_whole_patients():
    clusters = np.array(["a", "a", "b", "b", "b", "c", "d", "d"])
    rng = np.random.default_rng(0)
    sizes = pd.Series(clusters).value_counts()
    for idx in ev._bootstrap_indices(len(clusters), clusters, 50, rng):
        drawn = pd.Series(clusters[idx]).value_counts()
        # every drawn patient appears a whole multiple of their row count
        assert all(drawn[c] % sizes[c] == 0 for c in drawn.index)
        assert sum(drawn[c] // sizes[c] for c in drawn.index) == 4  # 4 patients drawn

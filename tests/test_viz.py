"""Tests for ai2med_labs.viz: titles, labels with units, the palette, no warnings, bad input."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ai2med_labs import evaluation as ev  # noqa: E402
from ai2med_labs import viz  # noqa: E402

PAL = {mcolors.to_hex(c).lower() for c in viz.PALETTE} | {"#000000"}


@pytest.fixture(autouse=True)
def _no_warnings_and_close():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with viz.course_style():
            yield
    plt.close("all")


@pytest.fixture
def obs():
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame({
        "patient_id": rng.choice([f"P{i:07d}" for i in range(40)], n),
        "site_id": rng.choice(["H1", "H2", "H3", "H4"], n),
        "sex": rng.choice(["F", "M"], n),
        "effective_time": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        "name": "systolic_bp",
        "value": rng.normal(130, 15, n),
        "unit": "mm[Hg]",
    })


def _colours(ax):
    out = set()
    for artist in list(ax.lines) + list(ax.patches) + list(ax.collections):
        for getter in ("get_color", "get_edgecolor", "get_facecolor"):
            if hasattr(artist, getter):
                c = np.atleast_2d(mcolors.to_rgba_array(getattr(artist, getter)()))
                out |= {mcolors.to_hex(row[:3]).lower() for row in c if row[3] > 0}
    return out


def _labelled(ax):
    assert ax.get_title(), "axes has no title"
    assert ax.get_xlabel() and ax.get_ylabel(), "axes is missing an axis label"


def test_style_sets_palette_and_readable_sizes():
    cycle = [mcolors.to_hex(c["color"]).lower() for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert cycle == [c.lower() for c in viz.PALETTE]
    assert matplotlib.rcParams["font.size"] >= 10
    assert len(set(viz.PALETTE)) == 8 and set(viz.OKABE_ITO.values()) == set(viz.PALETTE)


def test_course_style_is_scoped():
    plt.rcdefaults()
    before = matplotlib.rcParams["font.size"]
    with viz.course_style():
        assert matplotlib.rcParams["font.size"] == viz.COURSE_RC["font.size"]
    assert matplotlib.rcParams["font.size"] == before


@pytest.mark.parametrize("kind", ["hist", "box", "violin"])
def test_distribution_by_group(obs, kind):
    ax = viz.plot_distribution_by_group(obs, "value", "site_id", kind=kind)
    _labelled(ax)
    label = ax.get_xlabel() if kind == "hist" else ax.get_ylabel()
    assert "mm[Hg]" in label  # unit read from the unit column
    cols = _colours(ax) - {"#ffffff"}
    assert cols and cols <= PAL
    assert {viz.PALETTE[0].lower(), viz.PALETTE[3].lower()} <= cols  # one colour per site


def test_distribution_rejects_mixed_units_and_bad_kind(obs):
    mixed = obs.assign(unit=np.where(obs.site_id == "H1", "mg/dL", "mmol/L"))
    with pytest.raises(ValueError, match="mix units"):
        viz.plot_distribution_by_group(mixed, "value", "site_id")
    with pytest.raises(ValueError, match="kind"):
        viz.plot_distribution_by_group(obs, "value", "site_id", kind="pie")
    with pytest.raises(KeyError, match="ward"):
        viz.plot_distribution_by_group(obs, "value", "ward")
    with pytest.raises(ValueError, match="empty"):
        viz.plot_distribution_by_group(obs.iloc[:0], "value", "site_id")


def test_patient_series(obs):
    one = obs[obs.patient_id == obs.patient_id.iloc[0]]
    ax = viz.plot_patient_series(one, reference=(90, 140))
    _labelled(ax)
    assert "mm[Hg]" in ax.get_ylabel() and one.patient_id.iloc[0] in ax.get_title()
    assert _colours(ax) <= PAL
    with pytest.raises(ValueError, match="filter to one patient"):
        viz.plot_patient_series(obs)


def test_cohort_over_time_median_matches_data(obs):
    ax = viz.plot_cohort_over_time(obs, freq="YS", min_count=1)
    _labelled(ax)
    line = ax.lines[0]
    medians = obs.groupby(obs.effective_time.dt.year)["value"].median().to_numpy()
    assert np.allclose(line.get_ydata(), medians)
    assert _colours(ax) <= PAL
    ax2 = viz.plot_cohort_over_time(obs.assign(day=np.arange(len(obs)) % 10), time="day", freq=5,
                                    by="sex")
    assert len(ax2.lines) == 2
    _labelled(ax2)


def test_small_multiples(obs):
    fig = viz.small_multiples(obs, "value", "site_id")
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 4 and fig.get_suptitle()
    for ax in visible:
        assert ax.get_title()
        assert _colours(ax) - {"#ffffff"} <= PAL
    assert visible[0].get_shared_x_axes().joined(visible[0], visible[-1])
    fig2 = viz.small_multiples(obs.assign(age=np.arange(len(obs))), "value", "sex", kind="scatter", x="age")
    assert fig2.get_suptitle()


def test_misleading_and_repair():
    fig = viz.plot_misleading_and_repair(["H1", "H2"], [12.0, 13.0], ylabel="readmission rate (%)")
    bad, good = fig.axes
    assert bad.get_ylim()[0] > 0 and good.get_ylim()[0] == 0
    assert bad.get_title() and good.get_title() and fig.get_suptitle()
    x = pd.date_range("2021-01-01", periods=12, freq="MS")
    fig2 = viz.plot_misleading_and_repair(x, np.arange(12.0), kind="dual", y2=np.arange(12.0) ** 2,
                                          ylabel="admissions (per month)", y2label="glucose (mmol/L)")
    assert all(a.get_ylabel() for a in fig2.axes)
    with pytest.raises(ValueError, match="ylabel"):
        viz.plot_misleading_and_repair(["a"], [1.0], ylabel="")
    with pytest.raises(ValueError, match="y2"):
        viz.plot_misleading_and_repair(["a"], [1.0], kind="dual", ylabel="x (u)")


def test_decision_curve_plot():
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 300)
    y = rng.binomial(1, p)
    ax = viz.plot_decision_curve(ev.decision_curve(y, p))
    _labelled(ax)
    assert len(ax.lines) == 3 and _colours(ax) <= PAL

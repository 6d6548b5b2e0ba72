"""The course plotting style and the common clinical plots of the labs.

Style: the Okabe-Ito palette (safe for the common colour-vision deficiencies), fonts
readable on a laptop, light grid, no top/right spines. Apply it for a whole notebook with
:func:`use_course_style`, or for one block with ``with course_style(): ...``.

Plots (each returns the matplotlib ``Axes`` or ``Figure`` it drew on, with a title and
axis labels with units; pass ``title=``/``unit=`` to override the defaults):

- :func:`plot_distribution_by_group`: histogram, box or violin of a value by group
  (site, sex, ...);
- :func:`plot_patient_series`: one patient's vital or lab over time;
- :func:`plot_cohort_over_time`: median and interquartile band over time, optionally by group;
- :func:`small_multiples`: one panel per group (e.g. per site), shared axes;
- :func:`plot_misleading_and_repair`: a truncated-axis or dual-axis chart beside its repair;
- :func:`plot_decision_curve`: net benefit of a model against treat-all and treat-none.

The functions work on the long observation table of the cohort (columns ``name``,
``value``, ``unit``, ``effective_time``, ``patient_id``, ``site_id``) but take the column
names as arguments, so any tidy DataFrame works. When ``unit`` is not given and the frame
has a ``unit`` column with one distinct value, that unit labels the axis.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> df = pd.DataFrame({"value": [5.1, 6.0, 7.2, 5.5], "site_id": ["H1", "H1", "H2", "H2"]})
>>> ax = plot_distribution_by_group(df, "value", "site_id", unit="mmol/L", kind="box")
>>> ax.get_ylabel()
'value (mmol/L)'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "COURSE_RC",
    "course_style",
    "use_course_style",
    "plot_distribution_by_group",
    "plot_patient_series",
    "plot_cohort_over_time",
    "small_multiples",
    "plot_misleading_and_repair",
    "plot_decision_curve",
]

#: Okabe & Ito (2008) colour-blind-safe palette, by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colour cycle used by the course (yellow last: weak on white backgrounds).
PALETTE: list[str] = [
    OKABE_ITO[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue",
              "black", "yellow")
]

#: matplotlib rcParams applied by :func:`course_style`.
COURSE_RC: dict[str, Any] = {
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
    "figure.constrained_layout.use": True,
}


@contextmanager
def course_style() -> Iterator[None]:
    """Apply the course style inside a ``with`` block only.

    >>> with course_style():
    ...     fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    with mpl.rc_context(COURSE_RC):
        yield


def use_course_style() -> None:
    """Apply the course style for the rest of the session (call once at the top of a lab)."""
    mpl.rcParams.update(COURSE_RC)


# ----------------------------------------------------------------------------- helpers
def _need_frame(df: Any, columns: Sequence[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame; got {type(df).__name__}.")
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the DataFrame; available columns: {list(df.columns)}.")
    if df.empty:
        raise ValueError("the DataFrame is empty: nothing to plot. Check the filter that produced it.")


def _unit_of(df: pd.DataFrame, unit: str | None, unit_col: str = "unit") -> str | None:
    if unit is not None:
        return unit
    if unit_col in df.columns:
        units = df[unit_col].dropna().unique()
        if len(units) == 1:
            return str(units[0])
        if len(units) > 1:
            raise ValueError(
                f"the data mix units {sorted(map(str, units))}; convert to one unit first, "
                "or pass unit=... explicitly."
            )
    return None


def _label(name: str, unit: str | None) -> str:
    pretty = name.replace("_", " ")
    return f"{pretty} ({unit})" if unit else pretty


def _ax(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# ----------------------------------------------------------------------------- distributions
def plot_distribution_by_group(
    df: pd.DataFrame,
    value: str,
    by: str,
    *,
    kind: str = "box",
    unit: str | None = None,
    title: str | None = None,
    bins: int = 30,
    ax: Axes | None = None,
) -> Axes:
    """Distribution of ``value`` for each level of ``by`` (``kind``: "hist", "box" or "violin").

    Histograms are drawn as overlaid step outlines with densities, so groups of different
    size compare fairly. Returns the Axes.

    >>> df = pd.DataFrame({"value": [70, 80, 90, 65], "sex": ["F", "M", "F", "M"]})
    >>> plot_distribution_by_group(df, "value", "sex", kind="hist", unit="/min").get_xlabel()
    'value (/min)'
    """
    if kind not in ("hist", "box", "violin"):
        raise ValueError(f"kind must be 'hist', 'box' or 'violin'; got {kind!r}.")
    _need_frame(df, [value, by])
    data = df[[value, by]].dropna()
    if data.empty:
        raise ValueError(f"no rows with both {value!r} and {by!r} present.")
    label = _label(value, _unit_of(df, unit))
    groups = sorted(data[by].unique(), key=str)
    values = [data.loc[data[by] == g, value].to_numpy(float) for g in groups]
    ax = _ax(ax)
    if kind == "hist":
        edges = np.histogram_bin_edges(data[value].to_numpy(float), bins=bins)
        for i, (g, v) in enumerate(zip(groups, values)):
            ax.hist(v, bins=edges, density=True, histtype="step", linewidth=2,
                    color=_colour(i), label=f"{g} (n={len(v)})")
        ax.set_xlabel(label)
        ax.set_ylabel("density (share per unit)")
        ax.legend(title=by.replace("_", " "))
    else:
        positions = np.arange(1, len(groups) + 1)
        if kind == "box":
            parts = ax.boxplot(values, positions=positions, patch_artist=True, widths=0.6)
            for i, box in enumerate(parts["boxes"]):
                box.set_facecolor(_colour(i))
                box.set_alpha(0.6)
            for med in parts["medians"]:
                med.set_color(OKABE_ITO["black"])
        else:
            parts = ax.violinplot(values, positions=positions, showmedians=True)
            for i, body in enumerate(parts["bodies"]):
                body.set_facecolor(_colour(i))
                body.set_alpha(0.6)
        ax.set_xticks(positions, [f"{g}\n(n={len(v)})" for g, v in zip(groups, values)])
        ax.set_xlabel(by.replace("_", " "))
        ax.set_ylabel(label)
    ax.set_title(title or f"{value.replace('_', ' ').capitalize()} by {by.replace('_', ' ')}")
    return ax


# ----------------------------------------------------------------------------- over time
def plot_patient_series(
    df: pd.DataFrame,
    *,
    time: str = "effective_time",
    value: str = "value",
    name: str | None = None,
    unit: str | None = None,
    reference: tuple[float, float] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One patient's measurements of one vital or lab over time (markers joined by a line).

    ``df`` holds that patient's rows of one measurement (filter first, e.g.
    ``obs.query("patient_id == @pid and name == 'systolic_bp'")``); ``name`` defaults to
    the single value of a ``name`` column. ``reference=(low, high)`` shades a normal range.
    Returns the Axes.
    """
    _need_frame(df, [time, value])
    if "patient_id" in df.columns and df["patient_id"].nunique() > 1:
        raise ValueError(
            f"the data hold {df['patient_id'].nunique()} patients; filter to one patient first, "
            "or use plot_cohort_over_time for a cohort."
        )
    if name is None and "name" in df.columns:
        names = df["name"].dropna().unique()
        if len(names) > 1:
            raise ValueError(f"the data mix measurements {sorted(names)}; filter to one name first.")
        name = str(names[0]) if len(names) else None
    name = name or value
    data = df.sort_values(time)
    ax = _ax(ax)
    if reference is not None:
        ax.axhspan(reference[0], reference[1], color=OKABE_ITO["bluish_green"], alpha=0.15,
                   label="reference range")
    ax.plot(data[time], data[value], marker="o", color=PALETTE[0], label=name.replace("_", " "))
    ax.set_xlabel("date" if np.issubdtype(data[time].dtype, np.datetime64) else time.replace("_", " "))
    ax.set_ylabel(_label(name, _unit_of(df, unit)))
    who = f" of patient {df['patient_id'].iloc[0]}" if "patient_id" in df.columns else ""
    ax.set_title(title or f"{name.replace('_', ' ').capitalize()}{who} over time")
    if reference is not None:
        ax.legend()
    if np.issubdtype(data[time].dtype, np.datetime64):
        ax.figure.autofmt_xdate()
    return ax


def plot_cohort_over_time(
    df: pd.DataFrame,
    *,
    time: str = "effective_time",
    value: str = "value",
    by: str | None = None,
    freq: str | float = "QS",
    name: str | None = None,
    unit: str | None = None,
    min_count: int = 5,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Median (line) and interquartile range (band) of ``value`` over time, for a cohort.

    Times are binned: for datetimes ``freq`` is a pandas frequency ("MS" monthly, "QS"
    quarterly, "YS" yearly); for numbers (e.g. days since admission) it is the bin width.
    Bins with fewer than ``min_count`` measurements are left out. With ``by`` (e.g.
    ``"site_id"``) one line and band per group. Returns the Axes.
    """
    _need_frame(df, [time, value, by])
    data = df.dropna(subset=[time, value])
    if name is None and "name" in data.columns:
        names = data["name"].dropna().unique()
        if len(names) > 1:
            raise ValueError(f"the data mix measurements {sorted(names)}; filter to one name first.")
        name = str(names[0]) if len(names) else None
    name = name or value
    is_time = np.issubdtype(data[time].dtype, np.datetime64)
    if is_time:
        if not isinstance(freq, str):
            raise ValueError("for datetime columns freq must be a pandas frequency such as 'MS' or 'QS'.")
        bins = data[time].dt.to_period(freq.rstrip("S") or freq).dt.start_time
    else:
        width = float(freq) if not isinstance(freq, str) else 1.0
        if width <= 0:
            raise ValueError("freq (the bin width) must be positive.")
        bins = np.floor(data[time].to_numpy(float) / width) * width
    data = data.assign(_bin=bins)
    groups = [(None, data)] if by is None else list(data.groupby(by, sort=True, observed=True))
    ax = _ax(ax)
    for i, (g, sub) in enumerate(groups):
        q = sub.groupby("_bin")[value].agg(
            median="median", q1=lambda s: s.quantile(0.25), q3=lambda s: s.quantile(0.75),
            n="size")
        q = q[q["n"] >= min_count]
        if q.empty:
            continue
        label = "median" if g is None else f"{g}: median"
        ax.plot(q.index, q["median"], color=_colour(i), label=label)
        ax.fill_between(q.index, q["q1"], q["q3"], color=_colour(i), alpha=0.2,
                        label="interquartile range" if g is None else f"{g}: IQR")
    ax.set_xlabel("date" if is_time else time.replace("_", " "))
    ax.set_ylabel(_label(name, _unit_of(df, unit)))
    ax.set_title(title or f"{name.replace('_', ' ').capitalize()} over time: median and IQR")
    ax.legend()
    if is_time:
        ax.figure.autofmt_xdate()
    return ax


# ----------------------------------------------------------------------------- small multiples
def small_multiples(
    df: pd.DataFrame,
    value: str,
    by: str = "site_id",
    *,
    kind: str = "hist",
    x: str | None = None,
    unit: str | None = None,
    ncols: int = 2,
    bins: int = 30,
    title: str | None = None,
) -> Figure:
    """One panel per level of ``by`` with shared axes, so panels compare at a glance.

    ``kind="hist"`` draws a histogram of ``value`` per panel (same bins everywhere);
    ``kind="scatter"`` plots ``value`` against column ``x``. Returns the Figure; each panel
    is titled with its group and the figure has an overall title.
    """
    if kind not in ("hist", "scatter"):
        raise ValueError(f"kind must be 'hist' or 'scatter'; got {kind!r}.")
    if kind == "scatter" and x is None:
        raise ValueError("kind='scatter' needs x=<column for the horizontal axis>.")
    _need_frame(df, [value, by, x])
    data = df.dropna(subset=[value, by])
    groups = sorted(data[by].unique(), key=str)
    ncols = max(1, min(ncols, len(groups)))
    nrows = int(np.ceil(len(groups) / ncols))
    fig, axes = plt.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False,
                             figsize=(3.6 * ncols, 2.8 * nrows + 0.6))
    label = _label(value, _unit_of(df, unit))
    edges = np.histogram_bin_edges(data[value].to_numpy(float), bins=bins)
    for i, ax in enumerate(axes.flat):
        if i >= len(groups):
            ax.set_visible(False)
            continue
        sub = data[data[by] == groups[i]]
        if kind == "hist":
            ax.hist(sub[value], bins=edges, color=PALETTE[0], alpha=0.8)
            ax.set_xlabel(label)
            ax.set_ylabel("number of measurements")
        else:
            ax.scatter(sub[x], sub[value], s=8, alpha=0.5, color=PALETTE[0])
            ax.set_xlabel(x.replace("_", " "))
            ax.set_ylabel(label)
        ax.set_title(f"{by.replace('_', ' ')} {groups[i]} (n={len(sub)})")
        ax.label_outer()
    fig.suptitle(title or f"{value.replace('_', ' ').capitalize()} by {by.replace('_', ' ')}")
    return fig


# ----------------------------------------------------------------------------- misleading charts
def plot_misleading_and_repair(
    x: Sequence[Any],
    y: Sequence[float],
    *,
    kind: str = "truncated",
    y2: Sequence[float] | None = None,
    ylabel: str,
    y2label: str | None = None,
    xlabel: str = "",
    title: str = "",
) -> Figure:
    """A misleading chart (left) beside its honest repair (right); returns the Figure.

    - ``kind="truncated"``: bars of ``y`` on a y axis that starts near the smallest value
      (small differences look huge) beside the same bars from zero.
    - ``kind="dual"``: ``y`` and ``y2`` over ``x`` on two y axes whose scales suggest a
      relation, beside two stacked panels each with its own labelled axis.

    ``ylabel`` (with unit) is required: a chart without it cannot be honest.
    """
    if kind not in ("truncated", "dual"):
        raise ValueError(f"kind must be 'truncated' or 'dual'; got {kind!r}.")
    if not ylabel:
        raise ValueError("ylabel is required, with its unit, e.g. 'readmission rate (%)'.")
    xs, ys = list(x), np.asarray(y, dtype=float)
    if len(xs) == 0 or len(xs) != len(ys):
        raise ValueError(f"x and y must be non-empty and of equal length; got {len(xs)} and {len(ys)}.")
    if kind == "truncated":
        fig, (bad, good) = plt.subplots(1, 2, figsize=(10, 4))
        colours = [_colour(i) for i in range(len(xs))]
        labels = [str(v) for v in xs]
        for ax in (bad, good):
            ax.bar(labels, ys, color=colours)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        span = ys.max() - ys.min()
        bad.set_ylim(ys.min() - 0.1 * span if span > 0 else ys.min() * 0.95, ys.max() + 0.05 * span)
        good.set_ylim(0, ys.max() * 1.1 if ys.max() > 0 else 1)
        bad.set_title("Misleading: y axis does not start at 0")
        good.set_title("Repaired: bars start at 0")
    else:
        if y2 is None or not y2label:
            raise ValueError("kind='dual' needs y2=<second series> and y2label=<its label with unit>.")
        y2s = np.asarray(y2, dtype=float)
        if len(y2s) != len(xs):
            raise ValueError(f"y2 has {len(y2s)} values but x has {len(xs)}.")
        fig = plt.figure(figsize=(11, 4.5))
        sub = fig.subfigures(1, 2)
        bad = sub[0].subplots()
        bad.plot(xs, ys, color=PALETTE[0])
        bad.set_ylabel(ylabel, color=PALETTE[0])
        bad.set_xlabel(xlabel)
        twin = bad.twinx()
        twin.plot(xs, y2s, color=PALETTE[1])
        twin.set_ylabel(y2label, color=PALETTE[1])
        twin.grid(False)
        bad.set_title("Misleading: two y axes, scales chosen freely")
        top, bottom = sub[1].subplots(2, 1, sharex=True)
        top.plot(xs, ys, color=PALETTE[0])
        top.set_ylabel(ylabel)
        top.set_title("Repaired: one panel per measure")
        bottom.plot(xs, y2s, color=PALETTE[1])
        bottom.set_ylabel(y2label)
        bottom.set_xlabel(xlabel)
    fig.suptitle(title or "A misleading chart and its repair")
    return fig


# ----------------------------------------------------------------------------- decision curves
def plot_decision_curve(
    curve: pd.DataFrame,
    *,
    title: str = "Decision curve: net benefit by threshold",
    ylim: tuple[float, float] | None = None,
    ax: Axes | None = None,
    label: str = "model",
) -> Axes:
    """Plot :func:`ai2med_labs.evaluation.decision_curve` output: model, treat all, treat none.

    The y axis is clipped below at a little under zero (treat-all falls far below and
    would hide the interesting range) unless ``ylim`` is given. Returns the Axes.
    """
    _need_frame(curve, ["threshold", "model", "treat_all", "treat_none"])
    ax = _ax(ax)
    ax.plot(curve["threshold"], curve["model"], color=PALETTE[0], label=label)
    ax.plot(curve["threshold"], curve["treat_all"], color=PALETTE[1], linestyle="--", label="treat all")
    ax.plot(curve["threshold"], curve["treat_none"], color=OKABE_ITO["black"], linestyle=":",
            label="treat none")
    top = float(np.nanmax(curve[["model", "treat_all"]].to_numpy()))
    ax.set_ylim(ylim or (-0.05 * max(top, 0.01), max(top, 0.01) * 1.1))
    ax.set_xlabel("threshold probability (risk at which you would act)")
    ax.set_ylabel("net benefit (true positives per patient)")
    ax.set_title(title)
    ax.legend()
    return ax

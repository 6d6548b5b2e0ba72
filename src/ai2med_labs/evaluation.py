"""Clinical evaluation helpers: what scikit-learn does not already provide.

Use scikit-learn for ROC/PR curves (``RocCurveDisplay``, ``PrecisionRecallDisplay``),
calibration curves (``CalibrationDisplay``, ``calibration_curve``) and the Brier score
(``brier_score_loss``). This module adds:

- :func:`net_benefit`, :func:`decision_curve`: decision-curve analysis (Vickers & Elkin 2006),
  with the treat-all and treat-none strategies;
- :func:`calibration_summary`: calibration-in-the-large, calibration intercept and slope
  (logistic recalibration), Brier score and scaled Brier score;
- :class:`Recalibrator`: logistic (Platt on the logit) or isotonic recalibration of
  probabilities that a model has already produced;
- :func:`threshold_from_costs`: the decision-theory threshold ``cost_fp / (cost_fp + cost_fn)``;
- :func:`per_1000`: TP, FP, FN, TN per 1,000 screened and the number needed to evaluate;
- :func:`bootstrap_ci`, :func:`subgroup_metrics`: metrics by group with percentile bootstrap
  intervals, resampling rows or whole patients (cluster bootstrap);
- :func:`grouped_train_test_split`: a patient-level split of a DataFrame (wraps
  ``sklearn.model_selection.GroupShuffleSplit``).

Every function checks its input: labels must be 0/1, probabilities in [0, 1], lengths equal,
and nothing empty; otherwise a ``ValueError`` (or ``KeyError`` for a missing column) says
what was wrong.

>>> import numpy as np
>>> y = np.array([1, 0, 1, 0, 0])
>>> p = np.array([0.9, 0.6, 0.4, 0.2, 0.1])
>>> round(net_benefit(y, p, threshold=0.5), 3)   # 1 TP, 1 FP out of 5: 1/5 - 1/5 * 1
0.0
>>> float(per_1000(y, p, threshold=0.5)["tp"])
200.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import GroupShuffleSplit

__all__ = [
    "net_benefit",
    "decision_curve",
    "calibration_summary",
    "Recalibrator",
    "threshold_from_costs",
    "per_1000",
    "classification_metrics",
    "METRICS",
    "bootstrap_ci",
    "subgroup_metrics",
    "grouped_train_test_split",
]

_EPS = 1e-12


# ----------------------------------------------------------------------------- validation
def _as_labels(y: Any, name: str = "y_true") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to evaluate.")
    if arr.dtype == bool:
        return arr.astype(int)
    try:
        num = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must hold 0/1 labels; got values such as {arr[:3].tolist()}. "
            "Hint: encode the outcome as 1 = event, 0 = no event."
        ) from None
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"{name} must hold only 0/1 labels; found {np.unique(num[bad])[:5].tolist()}. "
            "Hint: encode the outcome as 1 = event, 0 = no event (missing labels are not allowed)."
        )
    return num.astype(int)


def _as_proba(p: Any, name: str = "y_prob") -> np.ndarray:
    arr = np.asarray(p)
    if arr.ndim == 2 and arr.shape[1] == 2:
        raise ValueError(
            f"{name} has two columns; pass the probability of the event only, "
            "e.g. model.predict_proba(X)[:, 1]."
        )
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: there is nothing to evaluate.")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric probabilities.") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains {int(np.isnan(arr).sum())} missing value(s).")
    if (arr < 0).any() or (arr > 1).any():
        raise ValueError(
            f"{name} must be probabilities in [0, 1]; found values from {arr.min():.3g} "
            f"to {arr.max():.3g}. Hint: use predict_proba(X)[:, 1], not decision_function or predict."
        )
    return arr


def _pair(y_true: Any, y_prob: Any) -> tuple[np.ndarray, np.ndarray]:
    y = _as_labels(y_true)
    p = _as_proba(y_prob)
    if len(y) != len(p):
        raise ValueError(
            f"y_true and y_prob have different lengths ({len(y)} and {len(p)}); "
            "they must describe the same patients in the same order."
        )
    return y, p


def _check_threshold(threshold: float, name: str = "threshold") -> float:
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1; got {threshold!r}.")
    return t


# ----------------------------------------------------------------------------- decision curves
def net_benefit(y_true: Any, y_prob: Any, threshold: float) -> float:
    """Net benefit of treating patients whose predicted risk is at least ``threshold``.

    ``NB = TP/n - FP/n * pt / (1 - pt)``: true positives gained, minus false positives
    weighted by the odds at the threshold probability ``pt``.

    >>> net_benefit([1, 0, 1, 0], [0.8, 0.7, 0.3, 0.1], threshold=0.25)  # 2 TP, 1 FP
    0.4166666666666667
    """
    y, p = _pair(y_true, y_prob)
    t = _check_threshold(threshold)
    treat = p >= t
    n = len(y)
    tp = np.sum(treat & (y == 1))
    fp = np.sum(treat & (y == 0))
    return float(tp / n - fp / n * t / (1 - t))


def decision_curve(
    y_true: Any, y_prob: Any, thresholds: Sequence[float] | np.ndarray | None = None
) -> pd.DataFrame:
    """Net benefit of the model, treat-all and treat-none over a range of thresholds.

    Returns a DataFrame with columns ``threshold``, ``model``, ``treat_all`` and
    ``treat_none`` (always 0). Default thresholds: 0.01 to 0.99 in steps of 0.01.
    Plot it with :func:`ai2med_labs.viz.plot_decision_curve`.

    >>> dc = decision_curve([1, 0, 1, 0], [0.8, 0.7, 0.3, 0.1], thresholds=[0.25, 0.5])
    >>> list(dc.columns)
    ['threshold', 'model', 'treat_all', 'treat_none']
    """
    y, p = _pair(y_true, y_prob)
    ts = np.round(np.arange(0.01, 1.0, 0.01), 2) if thresholds is None else np.asarray(thresholds, float)
    if ts.size == 0:
        raise ValueError("thresholds is empty; pass at least one threshold in (0, 1).")
    if ((ts <= 0) | (ts >= 1)).any():
        raise ValueError("every threshold must be strictly between 0 and 1.")
    prev = y.mean()
    odds = ts / (1 - ts)
    treat = p[None, :] >= ts[:, None]
    tp = (treat & (y == 1)[None, :]).sum(axis=1) / len(y)
    fp = (treat & (y == 0)[None, :]).sum(axis=1) / len(y)
    return pd.DataFrame(
        {
            "threshold": ts,
            "model": tp - fp * odds,
            "treat_all": prev - (1 - prev) * odds,
            "treat_none": np.zeros_like(ts),
        }
    )


# ----------------------------------------------------------------------------- calibration
def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _fit_logistic(x: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None,
                  n_iter: int = 50) -> np.ndarray:
    """Unpenalised logistic regression by Newton-Raphson; ``x`` includes the intercept column."""
    beta = np.zeros(x.shape[1])
    off = np.zeros(len(y)) if offset is None else offset
    for _ in range(n_iter):
        mu = _expit(x @ beta + off)
        w = np.maximum(mu * (1 - mu), 1e-10)
        grad = x.T @ (y - mu)
        hess = (x * w[:, None]).T @ x
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def calibration_summary(y_true: Any, y_prob: Any) -> pd.Series:
    """Summarise calibration of predicted probabilities in one Series.

    - ``mean_predicted``, ``observed_rate`` and ``calibration_in_the_large``
      (observed rate minus mean predicted risk: > 0 means the model under-predicts);
    - ``intercept``: calibration intercept, logistic regression of the outcome with
      logit(p) as offset (ideal 0);
    - ``slope``: calibration slope, coefficient of logit(p) in a logistic regression (ideal 1;
      < 1 means predictions are too extreme, as in an overfitted model);
    - ``brier`` (``sklearn.metrics.brier_score_loss``) and ``scaled_brier``
      (1 - Brier / Brier of always predicting the prevalence; 1 is perfect, 0 is useless).

    Pair it with ``sklearn.calibration.CalibrationDisplay`` for the picture.

    >>> s = calibration_summary([0, 1, 0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6, 0.9, 0.1])
    >>> sorted(s.index)[:3]
    ['brier', 'calibration_in_the_large', 'intercept']
    """
    y, p = _pair(y_true, y_prob)
    if y.min() == y.max():
        raise ValueError(
            "calibration needs both outcomes: y_true holds only "
            f"{int(y[0])}s. Hint: use a larger or less selected sample."
        )
    lp = _logit(p)
    ones = np.ones((len(y), 1))
    intercept = _fit_logistic(ones, y, offset=lp)[0]
    _, slope = _fit_logistic(np.column_stack([ones, lp]), y)
    brier = brier_score_loss(y, p)
    prev = y.mean()
    return pd.Series(
        {
            "n": float(len(y)),
            "mean_predicted": float(p.mean()),
            "observed_rate": float(prev),
            "calibration_in_the_large": float(prev - p.mean()),
            "intercept": float(intercept),
            "slope": float(slope),
            "brier": float(brier),
            "scaled_brier": float(1 - brier / (prev * (1 - prev))),
        }
    )


class Recalibrator:
    """Recalibrate probabilities a fitted model has already produced.

    ``method="logistic"`` fits ``logit(p_new) = a + b * logit(p)`` (Platt scaling on the
    logit; keeps the ranking, so AUC is unchanged). ``method="isotonic"`` fits a monotone
    step function (``sklearn.isotonic.IsotonicRegression``; needs more data).
    Fit on a calibration set that the model was not trained on, then apply to new data.
    (If you still have the estimator, ``sklearn.calibration.CalibratedClassifierCV`` does
    the same inside a Pipeline.)

    >>> rc = Recalibrator("logistic").fit([0.2, 0.7, 0.4, 0.6, 0.9, 0.1], [0, 1, 0, 1, 1, 0])
    >>> rc.transform([0.5]).shape
    (1,)
    """

    def __init__(self, method: str = "logistic") -> None:
        if method not in ("logistic", "isotonic"):
            raise ValueError(f"method must be 'logistic' or 'isotonic'; got {method!r}.")
        self.method = method

    def fit(self, y_prob: Any, y_true: Any) -> Recalibrator:
        """Learn the recalibration map from predicted probabilities and observed 0/1 outcomes."""
        y, p = _pair(y_true, y_prob)
        if y.min() == y.max():
            raise ValueError("recalibration needs both outcomes (0 and 1) in y_true.")
        if self.method == "logistic":
            self.coef_ = _fit_logistic(np.column_stack([np.ones(len(p)), _logit(p)]), y)
        else:
            self.isotonic_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        return self

    def transform(self, y_prob: Any) -> np.ndarray:
        """Return recalibrated probabilities for ``y_prob``."""
        p = _as_proba(y_prob)
        if self.method == "logistic":
            if not hasattr(self, "coef_"):
                raise ValueError("this Recalibrator is not fitted yet; call fit(y_prob, y_true) first.")
            a, b = self.coef_
            return _expit(a + b * _logit(p))
        if not hasattr(self, "isotonic_"):
            raise ValueError("this Recalibrator is not fitted yet; call fit(y_prob, y_true) first.")
        return np.asarray(self.isotonic_.predict(p), dtype=float)

    def fit_transform(self, y_prob: Any, y_true: Any) -> np.ndarray:
        """Fit and recalibrate the same probabilities (in-sample: optimistic)."""
        return self.fit(y_prob, y_true).transform(y_prob)


# ----------------------------------------------------------------------------- thresholds
def threshold_from_costs(cost_fp: float, cost_fn: float) -> float:
    """Risk threshold that minimises expected cost: ``cost_fp / (cost_fp + cost_fn)``.

    Treat when ``p * cost_fn > (1 - p) * cost_fp``. Costs are harms in any common unit
    (e.g. a false alarm costs 1, a missed readmission costs 9: threshold 0.1).

    >>> threshold_from_costs(cost_fp=1, cost_fn=9)
    0.1
    """
    fp, fn = float(cost_fp), float(cost_fn)
    if not (np.isfinite(fp) and np.isfinite(fn)) or fp <= 0 or fn <= 0:
        raise ValueError(
            f"cost_fp and cost_fn must be positive finite numbers; got {cost_fp!r} and {cost_fn!r}."
        )
    return fp / (fp + fn)


def classification_metrics(y_true: Any, y_prob: Any, threshold: float) -> pd.Series:
    """Sensitivity, specificity, PPV, NPV and flagged fraction at ``threshold`` (p >= threshold)."""
    y, p = _pair(y_true, y_prob)
    t = _check_threshold(threshold)
    pos = p >= t
    tp = float(np.sum(pos & (y == 1)))
    fp = float(np.sum(pos & (y == 0)))
    fn = float(np.sum(~pos & (y == 1)))
    tn = float(np.sum(~pos & (y == 0)))

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    return pd.Series(
        {
            "sensitivity": ratio(tp, tp + fn),
            "specificity": ratio(tn, tn + fp),
            "ppv": ratio(tp, tp + fp),
            "npv": ratio(tn, tn + fn),
            "flagged": (tp + fp) / len(y),
        }
    )


def per_1000(y_true: Any, y_prob: Any, threshold: float) -> pd.Series:
    """Outcomes per 1,000 patients screened when those with risk >= ``threshold`` are flagged.

    Returns ``tp``, ``fp``, ``fn``, ``tn`` and ``flagged`` per 1,000, then ``sensitivity``,
    ``specificity``, ``ppv`` and ``nne`` (number needed to evaluate = flagged patients per
    true positive = 1 / PPV; NaN if nobody true is flagged).

    >>> float(per_1000([1, 0, 0, 0], [0.9, 0.8, 0.1, 0.2], threshold=0.5)["nne"])
    2.0
    """
    y, p = _pair(y_true, y_prob)
    t = _check_threshold(threshold)
    pos = p >= t
    n = len(y)
    tp = np.sum(pos & (y == 1)) / n * 1000
    fp = np.sum(pos & (y == 0)) / n * 1000
    fn = np.sum(~pos & (y == 1)) / n * 1000
    tn = np.sum(~pos & (y == 0)) / n * 1000
    m = classification_metrics(y, p, t)
    return pd.Series(
        {
            "threshold": t,
            "tp": float(tp),
            "fp": float(fp),
            "fn": float(fn),
            "tn": float(tn),
            "flagged": float(tp + fp),
            "sensitivity": m["sensitivity"],
            "specificity": m["specificity"],
            "ppv": m["ppv"],
            "nne": float((tp + fp) / tp) if tp > 0 else float("nan"),
        }
    )


# ----------------------------------------------------------------------------- bootstrap
Metric = Callable[[np.ndarray, np.ndarray], float]


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC via the Mann-Whitney rank sum (same value as roc_auc_score, much faster)."""
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def _prevalence(y: np.ndarray, p: np.ndarray) -> float:
    return float(y.mean())


def _mean_predicted(y: np.ndarray, p: np.ndarray) -> float:
    return float(p.mean())


#: Metrics by name for :func:`subgroup_metrics` and :func:`bootstrap_ci`. Threshold-based
#: ones (sensitivity, specificity, ppv, npv) are added there using the ``threshold`` argument.
METRICS: dict[str, Metric] = {
    "auc": _auc,
    "brier": _brier,
    "prevalence": _prevalence,
    "mean_predicted": _mean_predicted,
}
_THRESHOLD_METRICS = ("sensitivity", "specificity", "ppv", "npv")


def _resolve_metric(metric: str | Metric, threshold: float | None) -> tuple[str, Metric]:
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric in METRICS:
        return metric, METRICS[metric]
    if metric in _THRESHOLD_METRICS:
        if threshold is None:
            raise ValueError(f"metric {metric!r} needs a threshold; pass threshold=...")
        t = _check_threshold(threshold)

        def fn(y: np.ndarray, p: np.ndarray) -> float:
            pos = p >= t
            tp = np.sum(pos & (y == 1))
            fp = np.sum(pos & (y == 0))
            fn_ = np.sum(~pos & (y == 1))
            tn = np.sum(~pos & (y == 0))
            num, den = {
                "sensitivity": (tp, tp + fn_),
                "specificity": (tn, tn + fp),
                "ppv": (tp, tp + fp),
                "npv": (tn, tn + fn_),
            }[metric]
            return float(num / den) if den > 0 else float("nan")

        return metric, fn
    known = sorted(METRICS) + list(_THRESHOLD_METRICS)
    raise ValueError(f"unknown metric {metric!r}; choose one of {known} or pass a function f(y, p).")


def _bootstrap_indices(n: int, clusters: np.ndarray | None, n_boot: int,
                       rng: np.random.Generator) -> list[np.ndarray]:
    if clusters is None:
        return list(rng.integers(0, n, size=(n_boot, n)))
    codes, uniques = pd.factorize(pd.Series(clusters), sort=False)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = len(uniques)
    out = []
    for _ in range(n_boot):
        pick = rng.integers(0, k, size=k)
        lens = counts[pick]
        ends = np.cumsum(lens)
        # positions in ``order``: each picked cluster's run of rows, laid end to end
        pos = np.arange(ends[-1]) + np.repeat(starts[pick] - (ends - lens), lens)
        out.append(order[pos])
    return out


def bootstrap_ci(
    y_true: Any,
    y_prob: Any,
    metric: str | Metric = "auc",
    *,
    n_boot: int = 500,
    ci: float = 0.95,
    clusters: Any = None,
    threshold: float | None = None,
    random_state: int | None = 0,
) -> pd.Series:
    """Point estimate and percentile bootstrap interval of ``metric``.

    ``metric`` is a name from :data:`METRICS` (``"auc"``, ``"brier"``, ...), one of
    ``"sensitivity"``, ``"specificity"``, ``"ppv"``, ``"npv"`` (with ``threshold``), or any
    function ``f(y_true, y_prob) -> float``. Pass ``clusters`` (e.g. patient IDs) to resample
    whole patients: rows of one patient are not independent, and resampling rows would
    make the interval too narrow. Replicates where the metric is undefined (NaN, e.g. AUC
    with one class) are dropped and counted in ``n_valid``.

    Returns a Series: ``estimate``, ``lower``, ``upper``, ``n_valid``.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200); p = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 200), 0, 1)
    >>> r = bootstrap_ci(y, p, "auc", n_boot=200)
    >>> bool(r["lower"] < r["estimate"] < r["upper"])
    True
    """
    y, p = _pair(y_true, y_prob)
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (e.g. 0.95); got {ci!r}.")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}.")
    cl = None
    if clusters is not None:
        cl = np.asarray(clusters)
        if len(cl) != len(y):
            raise ValueError(
                f"clusters has {len(cl)} entries but y_true has {len(y)}; give one cluster ID per row."
            )
        if pd.isna(cl).any():
            raise ValueError("clusters contains missing IDs; every row needs a cluster (patient) ID.")
    _, fn = _resolve_metric(metric, threshold)
    estimate = fn(y, p)
    rng = np.random.default_rng(random_state)
    stats = np.array([fn(y[idx], p[idx]) for idx in _bootstrap_indices(len(y), cl, int(n_boot), rng)])
    stats = stats[~np.isnan(stats)]
    alpha = (1 - ci) / 2
    if stats.size == 0:
        lower = upper = float("nan")
    else:
        lower, upper = np.quantile(stats, [alpha, 1 - alpha])
    return pd.Series(
        {"estimate": float(estimate), "lower": float(lower), "upper": float(upper),
         "n_valid": float(stats.size)}
    )


def subgroup_metrics(
    data: pd.DataFrame,
    *,
    y_true: str,
    y_prob: str,
    by: str,
    metrics: Sequence[str | Metric] | Mapping[str, Metric] = ("auc", "sensitivity", "specificity"),
    threshold: float | None = None,
    n_boot: int = 200,
    ci: float = 0.95,
    cluster: str | None = None,
    random_state: int | None = 0,
    overall: bool = True,
) -> pd.DataFrame:
    """Metrics per subgroup (e.g. sex, age band, site) with bootstrap intervals.

    One row per group and metric: ``group``, ``n``, ``n_events``, ``metric``, ``estimate``,
    ``lower``, ``upper``. With ``overall=True`` a first group ``"all"`` is added. Pass
    ``cluster="patient_id"`` to resample patients rather than rows.

    >>> df = pd.DataFrame({"y": [0, 1] * 50, "p": np.linspace(0.1, 0.9, 100), "sex": ["F", "M"] * 50})
    >>> t = subgroup_metrics(df, y_true="y", y_prob="p", by="sex", metrics=["auc"], n_boot=50)
    >>> list(t["group"])
    ['all', 'F', 'M']
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    needed = [y_true, y_prob, by] + ([cluster] if cluster else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise KeyError(
            f"column(s) {missing} not in the DataFrame; available columns: {list(data.columns)}."
        )
    if data.empty:
        raise ValueError("data is empty: there are no rows to evaluate.")
    if data[by].isna().any():
        raise ValueError(
            f"column {by!r} has {int(data[by].isna().sum())} missing value(s); "
            "fill them (e.g. 'unknown') or drop those rows first."
        )
    _pair(data[y_true].to_numpy(), data[y_prob].to_numpy())  # validate once, whole frame
    items = list(metrics.items()) if isinstance(metrics, Mapping) else [
        _resolve_metric(m, threshold) for m in metrics
    ]
    groups: list[tuple[Any, pd.DataFrame]] = [("all", data)] if overall else []
    groups += [(g, sub) for g, sub in data.groupby(by, sort=True, observed=True)]
    rows = []
    for g, sub in groups:
        y = sub[y_true].to_numpy()
        p = sub[y_prob].to_numpy()
        cl = sub[cluster].to_numpy() if cluster else None
        for name, fn in items:
            r = bootstrap_ci(y, p, fn, n_boot=n_boot, ci=ci, clusters=cl, random_state=random_state)
            rows.append({"group": g, "n": len(sub), "n_events": int(np.sum(y.astype(float))),
                         "metric": name, "estimate": r["estimate"], "lower": r["lower"],
                         "upper": r["upper"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- splitting
def grouped_train_test_split(
    data: pd.DataFrame, *, group: str = "patient_id", test_size: float = 0.25,
    random_state: int | None = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows so that every patient (``group``) is entirely in train or in test.

    A thin wrapper around ``sklearn.model_selection.GroupShuffleSplit`` returning two
    DataFrames; ``test_size`` is the share of *groups* in the test set.

    >>> df = pd.DataFrame({"patient_id": ["a", "a", "b", "c", "d"], "x": range(5)})
    >>> tr, te = grouped_train_test_split(df, test_size=0.25)
    >>> set(tr.patient_id) & set(te.patient_id)
    set()
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    if group not in data.columns:
        raise KeyError(f"group column {group!r} not in the DataFrame; available: {list(data.columns)}.")
    if data.empty:
        raise ValueError("data is empty: there is nothing to split.")
    if data[group].isna().any():
        raise ValueError(f"column {group!r} has missing IDs; every row needs a group (patient) ID.")
    if data[group].nunique() < 2:
        raise ValueError("a grouped split needs at least two distinct groups (patients).")
    gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    train_idx, test_idx = next(gss.split(data, groups=data[group]))
    return data.iloc[train_idx], data.iloc[test_idx]

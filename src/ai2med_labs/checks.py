"""Checks that explain themselves, for the visible tests in every lab.

A failing check says what was checked, what was expected, what came back and a
hint, instead of a bare ``AssertionError``. ``CheckFailed`` is an
``AssertionError``, so nbgrader counts it as a failed test.

>>> check(1 + 1 == 2, "one plus one is two")
>>> check_type(3, int, "n_patients")
>>> check_close(0.501, 0.5, "the share of women", tol=0.01)
>>> check(False, "the merge keeps every patient", expected=100, got=98,
...       hint="use how='left'")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ai2med_labs.checks.CheckFailed: ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["CheckFailed", "check", "check_type", "check_close", "check_columns", "passed"]

_MISSING = object()


class CheckFailed(AssertionError):
    """A check in a lab failed; the message says what was expected and how to fix it."""


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(
    condition: Any,
    what: str,
    *,
    expected: Any = _MISSING,
    got: Any = _MISSING,
    hint: str | None = None,
) -> None:
    """Raise :class:`CheckFailed` with a readable message unless ``condition`` holds.

    >>> check(len([1, 2, 3]) == 3, "the list has three items")
    """
    if condition:
        return
    lines = [f"Check failed: {what}"]
    if expected is not _MISSING:
        lines.append(f"  expected: {expected if isinstance(expected, str) else _short(expected)}")
    if got is not _MISSING:
        lines.append(f"  got:      {got if isinstance(got, str) else _short(got)}")
    if hint:
        lines.append(f"  hint:     {hint}")
    raise CheckFailed("\n".join(lines))


def check_type(value: Any, types: type | tuple[type, ...], name: str, hint: str | None = None) -> None:
    """Check that ``value`` is an instance of ``types``; the message names the variable.

    ``True`` and ``False`` do not count as numbers unless ``bool`` is asked for.

    >>> check_type("abc", str, "token")
    """
    allowed = types if isinstance(types, tuple) else (types,)
    ok = isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))
    if value is None and hint is None:
        hint = "did you run the cell that defines it, and does your function `return` a value?"
    expected = " or ".join(t.__name__ for t in allowed)
    got = type(value).__name__
    if got in expected.split(" or "):  # e.g. numpy.bool is not bool: say which is which
        expected = " or ".join(_qualified(t) for t in allowed)
        got = _qualified(type(value))
    check(ok, f"`{name}` has the right type", expected=expected, got=got, hint=hint)


def _qualified(kind: type) -> str:
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def check_close(got: Any, expected: float, what: str, *, tol: float = 1e-6, hint: str | None = None) -> None:
    """Check that a number is within ``tol`` of ``expected``.

    >>> check_close(0.333, 1 / 3, "a third", tol=0.001)
    """
    try:
        value = float(got)
    except (TypeError, ValueError):
        check(False, what, expected=f"a number close to {expected:.4g}", got=_short(got), hint=hint)
        return
    check(
        abs(value - expected) <= tol,
        what,
        expected=f"{expected:.4g} (within {tol:g})",
        got=f"{value:.4g}",
        hint=hint,
    )


def check_columns(frame: Any, required: Iterable[str], name: str, hint: str | None = None) -> None:
    """Check that ``frame`` is a DataFrame with at least the ``required`` columns.

    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"a": [1], "b": [2]}), ["a"], "df")
    """
    import pandas as pd

    check_type(frame, pd.DataFrame, name, hint)
    missing = [c for c in required if c not in frame.columns]
    check(
        not missing,
        f"`{name}` has the columns the next steps need",
        expected=f"columns including {list(required)}",
        got=f"missing {missing}; it has {list(frame.columns)[:12]}",
        hint=hint,
    )


def passed(message: str) -> None:
    """Print a short confirmation that a visible check passed.

    >>> passed("exercise 1 looks right")
    ✓ exercise 1 looks right
    """
    print(f"\u2713 {message}")

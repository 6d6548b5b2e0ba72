"""Learner-facing checks say what was expected, what came back and a hint."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ai2med_labs.checks import CheckFailed, check, check_close, check_columns, check_type


def test_failure_message_names_expected_got_and_hint():
    with pytest.raises(CheckFailed) as info:
        check(False, "the merge keeps every patient", expected=100, got=98, hint="use how='left'")
    text = str(info.value)
    assert "the merge keeps every patient" in text
    assert "expected: 100" in text and "got:      98" in text and "hint:     use how='left'" in text
    assert isinstance(info.value, AssertionError), "nbgrader must count it as a failed test"


def test_check_type_refuses_bools_as_numbers_and_names_numpy_types():
    check_type(3, int, "n")
    with pytest.raises(CheckFailed, match="got:      bool"):
        check_type(True, int, "n")
    with pytest.raises(CheckFailed, match="got:      numpy.bool"):
        check_type(np.bool_(True), bool, "flag")
    with pytest.raises(CheckFailed, match="return"):
        check_type(None, pd.DataFrame, "table")


def test_check_close_and_columns():
    check_close(0.333, 1 / 3, "a third", tol=0.001)
    with pytest.raises(CheckFailed, match="expected: 0.5"):
        check_close(0.6, 0.5, "a half", tol=0.01)
    with pytest.raises(CheckFailed, match="a number close to"):
        check_close("abc", 0.5, "a half")
    with pytest.raises(CheckFailed, match=r"missing \['b'\]"):
        check_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "df")


def test_long_values_are_shortened():
    with pytest.raises(CheckFailed) as info:
        check(False, "x", got=list(range(10_000)))
    assert len(str(info.value)) < 500

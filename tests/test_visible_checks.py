"""The visible checks a learner runs catch the typical mistake of each exercise.

Each wrong answer below is what learners really write (rows counted instead of patients,
a count or a percentage for a share, any site id). It is run in the learner's kernel
against the *visible* check cell of the released notebook (no hidden tests), after the
cells above it ran with the master's solutions: the check must fail, with the sentence a
learner reads, and the right answer must then pass. One kernel per lab.

Labs are added to ``WRONG`` as their visible checks are reviewed against such answers.
"""

from __future__ import annotations

import re

import pytest
from conftest import LABS, LABS_DIR, SOURCE

pytestmark = pytest.mark.slow

SOLUTION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.DOTALL)
REGION = re.compile(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION\n?", re.DOTALL)

_LEAK_SOLUTION = """    aucs = {}
    for column in columns:
        score = frame[column].fillna(frame[column].median())
        auc = roc_auc_score(frame[target], score)
        aucs[column] = max(auc, 1 - auc)
    return pd.Series(aucs).sort_values(ascending=False)
"""

#: lab -> answer cell's grade_id -> wrong answers (the code that replaces the solution), each
#: a string or ``(code, condition)``: a Python expression, evaluated in the kernel, under which
#: the answer is wrong on this cohort (``len(patients)`` is right when no row is duplicated).
#: A cell with several solution regions takes a list: one replacement per region, in order.
WRONG: dict[str, dict[str, list[str]]] = {
    "00-getting-started": {
        "ex1-bmi-answer": [
            "    return weight_kg / height_m\n",       # forgot the square
            "    return round(weight_kg / height_m**2)\n",  # rounded to a whole number
        ],
        "ex2-n-patients-answer": [
            ("n_patients = len(patients)\n", "patients.duplicated().any()"),  # rows, copies too
            "n_patients = patients.shape\n",          # a tuple
        ],
        "ex3-share-female-answer": [
            '    return int((table["sex"] == "F").sum())\n',          # a count
            '    return float((table["sex"] == "F").mean() * 100)\n',  # a percentage
            '    return table["sex"].value_counts(normalize=True)\n',  # a Series
        ],
        "ex4-mgdl-site-answer": [
            # the wrong row: a hospital that records mmol/L
            'mgdl_site = cohort.sites.loc[cohort.sites["glucose_unit"] != "mg/dL", "site_id"].iloc[0]\n',
            'mgdl_site = cohort.sites.loc[cohort.sites["glucose_unit"] == "mg/dL", "site_name"].iloc[0]\n',
        ],
    },
    "03-training-a-predictive-model": {
        "ex6-leak-answer": [
            # the bottom of the list, a feature typed from memory, and an Index
            [_LEAK_SOLUTION, "leaky_column = feature_aucs.index[-1]\n"],
            [_LEAK_SOLUTION, 'leaky_column = "length_of_stay_days"\n'],
            [_LEAK_SOLUTION, "leaky_column = feature_aucs.index[:1]\n"],
        ],
    },
}

def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _cells(lab: str):
    """The release's cells, with the master's solutions in every answer cell."""
    import nbformat

    master = nbformat.read(SOURCE / lab / f"{lab}.ipynb", as_version=4)
    release = nbformat.read(LABS_DIR / lab / f"{lab}.ipynb", as_version=4)
    solutions = {_gid(c): c.source for c in master.cells if _gid(c)}
    for cell in release.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = SOLUTION.sub(lambda m: m.group(1), solutions[_gid(cell)])
    return release, solutions


def _swap(source: str, answer: str | list[str]) -> str:
    """``source`` with its solution regions replaced by ``answer`` (one string per region)."""
    parts = iter(answer if isinstance(answer, list) else [answer])
    swapped, n = REGION.subn(lambda _m: next(parts), source)
    assert n == (len(answer) if isinstance(answer, list) else 1), (
        f"{n} solution regions, but {answer!r} replaces a different number")
    return swapped


def _holds(client, expression: str) -> bool:
    import nbformat

    cell = nbformat.v4.new_code_cell(f"print(bool({expression}))")
    client.execute_cell(cell, 0)
    return "True" in "".join(o.get("text", "") for o in cell.outputs)


def _error_text(outputs) -> str:
    return "\n".join(f"{o.get('ename')}: {o.get('evalue')}" for o in outputs
                     if o.get("output_type") == "error")


@pytest.mark.parametrize("lab", sorted(WRONG))
def test_visible_checks_catch_wrong_answers(lab: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    if lab not in LABS:
        pytest.skip(f"{lab} is not in autograder/source/")
    nb, solutions = _cells(lab)
    wrong = WRONG[lab]
    test_after = {}  # answer cell index -> index of its check cell
    for i, cell in enumerate(nb.cells):
        if _gid(cell) in wrong:
            test_after[i] = next(j for j in range(i + 1, len(nb.cells))
                                 if nb.cells[j].metadata.get("nbgrader", {}).get("grade"))
    approved: list[str] = []
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(LABS_DIR / lab)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if i in test_after:
                check = nb.cells[test_after[i]]
                right = cell.source
                for answer in wrong[_gid(cell)]:
                    answer, condition = answer if isinstance(answer, tuple) else (answer, "True")
                    if not _holds(client, condition):
                        continue
                    cell.source = _swap(solutions[_gid(cell)], answer)
                    client.execute_cell(cell, i)
                    probe = nbformat.v4.new_code_cell(check.source)
                    try:
                        client.execute_cell(probe, test_after[i])
                    except Exception:  # the check failed: with a learner's message?
                        names = [o.get("ename") for o in probe.outputs
                                 if o.get("output_type") == "error"]
                        if names != ["CheckFailed"]:
                            approved.append(f"{_gid(check)} fails with {names} instead of a "
                                            f"check's message on: {answer.strip()}")
                        continue
                    approved.append(f"{_gid(check)} approved: {answer.strip()}")
                cell.source = right
            client.execute_cell(cell, i)
            assert not _error_text(cell.outputs), (
                f"{lab}: cell {i} ({_gid(cell) or 'given'}) fails with the master's solutions:\n"
                f"{_error_text(cell.outputs)}")
    assert not approved, f"{lab}: visible checks approve wrong answers:\n" + "\n".join(approved)


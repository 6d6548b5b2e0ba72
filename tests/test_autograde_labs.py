"""Every lab's master earns full marks on every autograded cell through ``ai2med-labs
autograde``: the sandbox (another user, hidden folders, limits, a forked kernel) must not
break a lab that nbgrader alone grades (tests/test_grading_both_ways.py). Labs are
discovered, so a new lab is checked the moment its master exists.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, SOURCE, lab_params

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("labs-course") / "course"
    (root / "source").mkdir(parents=True)
    shutil.copy2(REPO / "autograder" / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


@pytest.mark.parametrize("lab", lab_params())
def test_master_earns_full_marks_in_the_sandbox(lab, course, tmp_path):
    from nbgrader.api import Gradebook

    from ai2med_labs.grading import autograde

    shutil.copytree(SOURCE / lab, course / "source" / lab)
    subs = tmp_path / "subs"
    shutil.copytree(SOURCE / lab, subs / "master" / lab)
    run = autograde(lab, subs, course=course, workers=1, progress=False)
    outcome = run.outcomes[0]
    assert outcome.graded, run.summary()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        sub = gb.find_submission(lab, "master")
        short = [f"{g.name}: {g.auto_score} of {g.max_score}" for nb in sub.notebooks
                 for g in nb.grades if g.auto_score is not None and g.auto_score != g.max_score]
    assert not short, (
        f"{lab}: the master loses marks when graded in the sandbox ({run.isolation.describe()}):"
        "\n  " + "\n  ".join(short) + "\nnotes: " + "; ".join(outcome.notes)
        + "\nDoes the lab need the network, write outside its folder, or need more memory?"
    )
    assert not [n for n in outcome.notes if "monkeypatching" in n or "stopped" in n], outcome.notes

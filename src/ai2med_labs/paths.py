"""Where the course lives: the repository, the nbgrader course and the released labs.

>>> from ai2med_labs.paths import repo_root
>>> (repo_root() / "autograder" / "nbgrader_config.py").exists()  # doctest: +SKIP
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "course_dir", "labs_dir", "CourseNotFound"]

_MARKER = Path("autograder") / "nbgrader_config.py"


class CourseNotFound(FileNotFoundError):
    """The command needs the course repository and was run outside it."""


def repo_root(start: Path | None = None) -> Path:
    """The repository root: ``AI2MED_REPO`` if set, else the first folder at or above
    ``start`` (default: the current folder) that holds ``autograder/nbgrader_config.py``."""
    env = os.environ.get("AI2MED_REPO")
    candidates = [Path(env)] if env else []
    here = (start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    # An editable install sits in the checkout: src/ai2med_labs/paths.py -> repo root.
    candidates.append(Path(__file__).resolve().parents[2])
    for folder in candidates:
        if (folder / _MARKER).is_file():
            return folder
    raise CourseNotFound(
        f"no course found at or above {here}: run this command from the root of the "
        "ai2med-labs repository (the folder that holds autograder/nbgrader_config.py), "
        "or set AI2MED_REPO to that folder."
    )


def course_dir(start: Path | None = None) -> Path:
    """The nbgrader course folder (``autograder/``)."""
    return repo_root(start) / "autograder"


def labs_dir(start: Path | None = None) -> Path:
    """The released student notebooks (``labs/``)."""
    return repo_root(start) / "labs"

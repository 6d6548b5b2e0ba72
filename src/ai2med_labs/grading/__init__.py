"""Instructor grading for the AI2MED labs: autograde, feedback and grade export.

Wraps nbgrader (imported lazily: the package imports without it, as on Binder).

- :func:`autograde`: a class's submissions, in parallel, each in a sandbox, into the
  course's gradebook (``ai2med-labs autograde LAB --submissions DIR``);
- :func:`write_feedback`: feedback a student can read, without hidden tests or solutions
  (``ai2med-labs feedback LAB``);
- :func:`export_grades`: one CSV row per student and lab, and one per exercise
  (``ai2med-labs grades --out FILE.csv``).

>>> from ai2med_labs.grading import autograde, write_feedback, export_grades  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["autograde", "write_feedback", "export_grades", "Limits"]


def __getattr__(name: str) -> Any:
    if name == "autograde":
        from ai2med_labs.grading.grader import autograde

        return autograde
    if name == "write_feedback":
        from ai2med_labs.grading.feedback import write_feedback

        return write_feedback
    if name == "export_grades":
        from ai2med_labs.grading.export import export_grades

        return export_grades
    if name == "Limits":
        from ai2med_labs.grading.sandbox import Limits

        return Limits
    raise AttributeError(f"module 'ai2med_labs.grading' has no attribute {name!r}")

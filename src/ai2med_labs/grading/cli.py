"""The grading commands of ``ai2med-labs``: ``autograde``, ``feedback``, ``grades``,
``students remove`` and ``marking``.

Run from the repository root (or set ``AI2MED_REPO``); the gradebook and the graded
copies live in the course folder ``autograder/``.

>>> from ai2med_labs.cli import main
>>> main(["autograde", "00-getting-started", "--submissions", "autograder/submitted"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_grading_commands"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _memory(text: str) -> int:
    """``2G``, ``1500M`` or bytes."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size like 2G or 1500M, got {text!r}") from None


def _course(args: argparse.Namespace) -> Path:
    from ai2med_labs.paths import course_dir

    return Path(args.course) if getattr(args, "course", None) else course_dir()


def _need_nbgrader() -> None:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        raise FileNotFoundError(
            "grading needs nbgrader, which is not installed: pip install 'ai2med-labs[course]'"
        ) from None
    _quiet_sqlalchemy()


def _quiet_sqlalchemy() -> None:
    """nbgrader's gradebook makes SQLAlchemy warn (SAWarning) about its own session use; the
    warnings say nothing an instructor can act on, so the commands do not print them."""
    import warnings

    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:  # pragma: no cover
        return
    warnings.filterwarnings("ignore", category=SAWarning)


def _cmd_autograde(args: argparse.Namespace) -> int:
    _need_nbgrader()
    from ai2med_labs.grading.grader import autograde
    from ai2med_labs.grading.sandbox import Limits

    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.timeout,
                    memory=args.memory)
    run = autograde(args.lab, args.submissions, course=_course(args), workers=args.workers,
                    limits=limits, sandbox=not args.no_sandbox, students=args.student or None,
                    progress=not args.quiet, hide=args.hide or ())
    print(run.summary())
    return 1 if run.not_graded and args.strict else 0


def _cmd_feedback(args: argparse.Namespace) -> int:
    _need_nbgrader()
    from ai2med_labs.grading.feedback import write_feedback

    course = _course(args)
    written = write_feedback(args.lab, course, args.student or None)
    for path in written:
        print(f"wrote {path.relative_to(course.parent) if course.parent in path.parents else path}")
    print(f"{len(written)} feedback file(s) for {args.lab}; hidden tests and solutions are not "
          "in them. Return them with `nbgrader release_feedback` or your learning platform.")
    if args.zip:
        from ai2med_labs.grading.feedback import write_feedback_zip

        archive = write_feedback_zip(args.lab, args.zip, written, course)
        print(f"wrote {archive}: upload it in Moodle with 'Upload multiple feedback files in a zip'")
    return 0


def _cmd_grades(args: argparse.Namespace) -> int:
    _need_nbgrader()
    from ai2med_labs.grading.export import collect_grades, export_grades

    if args.format != "csv":
        from ai2med_labs.grading.lms import write_lms_grades

        rows, _, roster = collect_grades(_course(args), args.lab or None)
        path = write_lms_grades(args.out, args.format, rows, roster)
        print(f"wrote {path} ({args.format} gradebook import: one row per student, one column per "
              "lab, scores after the late penalty)")
        return 0
    main_csv, ex_csv = export_grades(args.out, _course(args), args.lab or None, args.exercises)
    print(f"wrote {main_csv} (one row per student and lab) and {ex_csv} (one row per exercise)")
    return 0


def _cmd_students_remove(args: argparse.Namespace) -> int:
    _need_nbgrader()
    from ai2med_labs.grading.roster import remove_student

    for student in args.student:
        print(remove_student(student, _course(args), force=args.force))
    return 0


def _cmd_marking(args: argparse.Namespace) -> int:
    _need_nbgrader()
    from ai2med_labs.grading.marking import write_marking_sheet

    path, answers = write_marking_sheet(args.lab, _course(args), args.out)
    print(f"wrote {path}: {answers} written answer(s) beside the mark scheme; grade them in the "
          "formgrader's Manual Grading view")
    return 0


def add_grading_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``autograde``, ``feedback`` and ``grades`` to the ``ai2med-labs`` parser."""
    course_help = "the nbgrader course folder (default: autograder/ of this repository)"

    ag = subparsers.add_parser(
        "autograde", help="autograde a class's submissions of a lab (in parallel, sandboxed)",
        description="Autograde every <student>/<LAB>/ notebook in --submissions with nbgrader, "
                    "in parallel, each in a sandbox with time and memory limits; results go to "
                    "the course's gradebook and autograded/ folder.")
    ag.add_argument("lab", help="the lab, e.g. 00-getting-started")
    ag.add_argument("--submissions", type=Path, required=True, metavar="DIR",
                    help="folder of <student>/<LAB>/<notebook>.ipynb (nbgrader's submitted/), "
                         "or a zip exported from Moodle or Canvas")
    ag.add_argument("--workers", type=_positive, default=None,
                    help="parallel graders (default: two per core)")
    ag.add_argument("--timeout", type=_positive, default=600, metavar="S",
                    help="seconds for a whole notebook (default 600)")
    ag.add_argument("--cell-timeout", type=_positive, default=120, metavar="S",
                    help="seconds for one cell (default 120)")
    ag.add_argument("--memory", type=_memory, default=3 * 1024**3, metavar="SIZE",
                    help="address space of a kernel, e.g. 3G (default 3G)")
    ag.add_argument("--student", action="append", metavar="ID",
                    help="grade only this student (repeatable)")
    ag.add_argument("--hide", action="append", type=Path, metavar="DIR",
                    help="another folder student code must not see (repeatable)")
    ag.add_argument("--no-sandbox", action="store_true",
                    help="run student code as you, unhidden (trusted notebooks only)")
    ag.add_argument("--strict", action="store_true",
                    help="exit 1 when any submission could not be graded")
    ag.add_argument("--course", type=Path, help=course_help)
    ag.add_argument("--quiet", action="store_true", help="no progress bar")
    ag.set_defaults(func=_cmd_autograde)

    fb = subparsers.add_parser(
        "feedback", help="write feedback students can read (no hidden tests)",
        description="Write feedback/<student>/<LAB>/<notebook>.html from the gradebook: each "
                    "exercise's points and the failing check's message; never hidden tests "
                    "or solutions.")
    fb.add_argument("lab")
    fb.add_argument("--student", action="append", metavar="ID")
    fb.add_argument("--zip", type=Path, metavar="FILE.zip",
                    help="also zip the files in the layout of Moodle's feedback-files upload")
    fb.add_argument("--course", type=Path, help=course_help)
    fb.set_defaults(func=_cmd_feedback)

    gr = subparsers.add_parser(
        "grades", help="export grades to CSV (one row per student and lab)",
        description="Write FILE.csv (student_id, assignment, score, max_score, ...) and "
                    "FILE_exercises.csv (one row per exercise) from the gradebook.")
    gr.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    gr.add_argument("--exercises", type=Path, metavar="FILE.csv",
                    help="the per-exercise file (default: FILE_exercises.csv beside --out)")
    gr.add_argument("--lab", action="append", help="only this lab (repeatable)")
    gr.add_argument("--format", choices=["csv", "moodle", "canvas"], default="csv",
                    help="csv (default): this course's two files; moodle or canvas: the file "
                         "that platform's gradebook imports")
    gr.add_argument("--course", type=Path, help=course_help)
    gr.set_defaults(func=_cmd_grades)

    st = subparsers.add_parser("students", help="manage the class list in the gradebook")
    st_sub = st.add_subparsers(dest="action", required=True, metavar="ACTION")
    rm = st_sub.add_parser(
        "remove", help="remove a renamed or withdrawn student's rows from the gradebook",
        description="Remove students from the gradebook. A student with graded submissions is "
                    "refused unless --force (their grades are then deleted); files on disk stay.")
    rm.add_argument("student", nargs="+", metavar="ID")
    rm.add_argument("--force", action="store_true", help="also delete their submissions' grades")
    rm.add_argument("--course", type=Path, help=course_help)
    rm.set_defaults(func=_cmd_students_remove)

    mk = subparsers.add_parser(
        "marking", help="one HTML page per lab: every written answer beside its mark scheme",
        description="Write marking/<LAB>.html: for each hand-graded written answer, the mark "
                    "scheme from the master and every student's answer (from autograded/, else "
                    "submitted/), for graders working in the formgrader.")
    mk.add_argument("lab")
    mk.add_argument("--out", type=Path, metavar="FILE.html",
                    help="where to write (default: autograder/marking/<LAB>.html)")
    mk.add_argument("--course", type=Path, help=course_help)
    mk.set_defaults(func=_cmd_marking)

    rv = subparsers.add_parser(
        "review", help="clear or zero a submission held for review by the screening",
        description="Release (--clear) or zero (--zero) the autograded score of a submission "
                    "that screening held for review; the findings stay in the grading report.")
    rv.add_argument("lab")
    rv.add_argument("student")
    what = rv.add_mutually_exclusive_group(required=True)
    what.add_argument("--clear", dest="action", action="store_const", const="clear",
                      help="the code is harmless: release the score as graded")
    what.add_argument("--zero", dest="action", action="store_const", const="zero",
                      help="set every autograded score of the submission to 0 (manual grades kept)")
    rv.add_argument("--note", default="", help="why, kept in the report's review history")
    rv.add_argument("--course", type=Path, help=course_help)
    rv.set_defaults(func=_cmd_review)


def _cmd_review(args: argparse.Namespace) -> int:
    from ai2med_labs.grading.review import review

    print(f"{args.student} {args.lab}: "
          f"{review(_course(args), args.lab, args.student, args.action, args.note)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from ai2med_labs.cli import main

    sys.exit(main())

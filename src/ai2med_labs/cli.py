"""The course command line: ``ai2med-labs <command>``.

Commands:

- ``generate``: write a synthetic cohort (students, instructors, a new term).
- ``release``: regenerate ``labs/`` from the nbgrader masters (``--check`` finds drift).
- ``autograde``, ``feedback``, ``grades``: the instructor's grading round.

Each command's work lives in its own module; this file only parses arguments.

>>> main(["generate", "--patients", "0", "--out", "/tmp/x"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]


class UsageError(Exception):
    """A command was given arguments it cannot work with; the message says how to fix them."""


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return value


def _cmd_generate(args: argparse.Namespace) -> int:
    from ai2med_labs.synth import write_cohort

    if args.patients is None or args.seed is None:  # the term's cohort (labs/cohort.json)
        from ai2med_labs.term import course_setting

        setting = course_setting()
        args.patients = setting.n_patients if args.patients is None else args.patients
        args.seed = setting.seed if args.seed is None else args.seed
    write_cohort(
        n_patients=args.patients,
        seed=args.seed,
        out_dir=args.out,
        file_format=args.format,
        progress=not args.quiet,
    )
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from ai2med_labs.course import release

    return release(check=args.check, labs=args.lab or None)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``ai2med-labs``."""
    parser = argparse.ArgumentParser(
        prog="ai2med-labs",
        description="AI2MED labs: synthetic cohort, lab release and autograding.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="write a synthetic patient cohort")
    gen.add_argument("--patients", type=_positive_int, default=None, metavar="N",
                     help="number of patients (default: the term's, from labs/cohort.json)")
    gen.add_argument("--seed", type=int, default=None, metavar="S",
                     help="random seed; the same seed gives the same files "
                          "(default: the term's, from labs/cohort.json)")
    gen.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="folder to write the tables and data card into")
    gen.add_argument("--format", choices=["csv", "parquet"], default="csv",
                     help="file format of the tables (parquet needs pyarrow)")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=_cmd_generate)

    rel = sub.add_parser("release", help="regenerate labs/ from the masters in autograder/source/")
    rel.add_argument("--check", action="store_true",
                     help="change nothing; exit 1 and name each lab whose release has drifted")
    rel.add_argument("lab", nargs="*", help="labs to release (default: all)")
    rel.set_defaults(func=_cmd_release)

    try:
        from ai2med_labs.grading.cli import add_grading_commands
    except ImportError:  # grading is optional until nbgrader is installed
        pass
    else:
        add_grading_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ValueError, FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        print(f"ai2med-labs {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

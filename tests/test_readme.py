"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text()
    assert "pytest" in command
    assert command in readme, f"README.md must show the command .ci/run runs: {command}"


def test_readme_links_every_lab():
    readme = (ROOT / "README.md").read_text()
    for lab in sorted(p.name for p in (ROOT / "autograder" / "source").iterdir() if p.is_dir()):
        assert f"(labs/{lab}/)" in readme, f"README.md lab table misses {lab}"

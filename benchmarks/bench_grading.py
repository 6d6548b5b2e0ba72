"""Grade the same class both ways: nbgrader's sequential autograde vs ``ai2med-labs autograde``.

Builds a throw-away course with lab 00's master and N submissions made from its release
(most answered with the master's solutions, some blank), then times, in one run:

1. ``nbgrader autograde LAB`` (one command, nbgrader grades the students one at a time);
2. ``ai2med-labs autograde LAB --submissions DIR`` (parallel workers, each submission in a
   sandbox, merged into the gradebook);

and prints the speed-up beside the cost of starting one kernel (plain, and through the
sandbox launcher), which bounds how fast any grader can go. Both gradebooks must agree
on every student's score; the script fails if they do not.

    python benchmarks/bench_grading.py [--students 40] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB = "00-getting-started"
sys.path.insert(0, str(REPO / "tests"))


def kernel_start_seconds(repeat: int = 3, sandbox: bool = False) -> float:
    """Median seconds to start a python3 kernel, get its kernel_info reply, and stop it."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeat):
        if sandbox:
            times.append(_sandbox_start())
            continue
        t0 = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return sorted(times)[len(times) // 2]


def _sandbox_start() -> float:
    import asyncio

    from traitlets.config import Config

    from ai2med_labs.grading.sandbox import grading_classes, isolation_available

    iso = isolation_available()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o711)
        (Path(tmp) / "files").mkdir()
        cfg = Config()
        cfg.SandboxKernelManager.sandbox_root = tmp
        cfg.SandboxKernelManager.sandbox_uid = 2_999_000 if iso.separate_user else -1
        cfg.SandboxKernelManager.hide = [str(REPO / "autograder")] if iso.hide_paths else []
        cfg.SandboxKernelManager.memory = 3 * 1024**3
        km = grading_classes()["SandboxKernelManager"](kernel_name="python3", config=cfg)

        async def run() -> float:
            t0 = time.perf_counter()
            await km.start_kernel(cwd=str(Path(tmp) / "files"))
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            elapsed = time.perf_counter() - t0
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
            return elapsed

        return asyncio.run(run())


def _child_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes and theirs."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(root: Path, n: int) -> tuple[Path, Path]:
    import nbformat
    from test_autograde import solved_release

    course = root / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy2(REPO / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO / "autograder" / "source" / LAB, course / "source" / LAB)
    subs = root / "class"
    solved = solved_release()
    blank = nbformat.read(REPO / "labs" / LAB / f"{LAB}.ipynb", as_version=4)
    for i in range(n):
        folder = subs / f"s{i:03d}" / LAB
        folder.mkdir(parents=True)
        nbformat.write(blank if i % 5 == 4 else solved, folder / f"{LAB}.ipynb")
    return course, subs


def scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ai2med-labs") as gb:
        return {s.student.id: round(float(s.score), 6) for s in gb.assignment_submissions(LAB)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel graders (default: the grader's, two per core)")
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        root = Path(tmp)
        # Two identical courses: nbgrader's gradebook and ours must not share anything.
        base_course, subs = build(root / "a", args.students)
        ours_course, _ = build(root / "b", 0)

        # 1. nbgrader alone: generate (untimed), submissions in submitted/, one autograde.
        run = lambda cmd, cwd: subprocess.run(cmd, cwd=cwd, env=env, check=True,  # noqa: E731
                                              capture_output=True, text=True)
        run([str(bindir / "nbgrader"), "generate_assignment", LAB, "--force"], base_course)
        shutil.copytree(subs, base_course / "submitted")
        load_before = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), _child_cpu()
        run([str(bindir / "nbgrader"), "autograde", LAB, "--force"], base_course)
        sequential, sequential_cpu = time.perf_counter() - t0, _child_cpu() - c0

        # 2. ours: the gradebook entry (untimed), then the parallel sandboxed run.
        from ai2med_labs.grading.grader import ensure_assignment

        ensure_assignment(ours_course, LAB)
        t0, c0 = time.perf_counter(), _child_cpu()
        from ai2med_labs.grading.grader import default_workers

        workers = args.workers or default_workers()
        done = run([str(bindir / "ai2med-labs"), "autograde", LAB, "--submissions", str(subs),
                    "--course", str(ours_course), "--workers", str(workers), "--quiet"],
                   REPO)
        parallel, parallel_cpu = time.perf_counter() - t0, _child_cpu() - c0
        load_after = os.getloadavg()[0]

        a, b = scores(base_course), scores(ours_course)
        if a != b:
            diff = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
            print(f"SCORES DIFFER (nbgrader, ours): {diff}", file=sys.stderr)
            return 1

    start_plain = kernel_start_seconds()
    start_sandbox = kernel_start_seconds(sandbox=True)
    n = args.students
    print(f"bench_grading: lab {LAB}, {n} submissions, {os.cpu_count()} cores, "
          f"{workers} workers; scores identical both ways")
    print(f"{'':38}{'seconds':>9}{'s/notebook':>12}{'CPU s/notebook':>16}")
    print(f"{'nbgrader autograde (sequential)':38}{sequential:9.1f}{sequential / n:12.2f}"
          f"{sequential_cpu / n:16.2f}")
    print(f"{'ai2med-labs autograde (parallel)':38}{parallel:9.1f}{parallel / n:12.2f}"
          f"{parallel_cpu / n:16.2f}")
    print(f"speed-up: {sequential / parallel:.2f}x (target >= 1.7x on 2 cores); load average "
          f"{load_before:.1f} before, {load_after:.1f} after (other work on the machine "
          f"takes cores from the parallel run)")
    print(f"starting one kernel: {start_plain:.2f} s plain, {start_sandbox:.2f} s forked in the "
          f"sandbox (nbgrader alone pays {n} plain starts: {n * start_plain:.0f} s of the run)")
    print(done.stdout.strip().splitlines()[0] if done.stdout.strip() else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Execute every master notebook and print its time and peak memory.

Each lab runs in a fresh process with a fresh kernel, as a learner's would. The baseline,
measured in the same run, is a notebook with a single empty cell: the cost of starting a
kernel, which every lab pays. Targets (issues 3 and 4): each lab under 30 s and 1.5 GB on
2 cores.

    python benchmarks/bench_labs.py             # every lab in autograder/source/
    python benchmarks/bench_labs.py 03 04       # labs whose name starts with 03 or 04
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "autograder" / "source"

CHILD = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
kernel_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "kernel_peak_mb": kernel_mb}))
"""


def run(notebook: Path, cwd: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(notebook), str(cwd)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="only labs whose folder name starts with one of these")
    args = parser.parse_args()
    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]), empty)
        base = run(empty, Path(tmp))
    print(f"baseline (start a kernel, run one empty cell): {base['seconds']:.2f} s, "
          f"{base['kernel_peak_mb']:.0f} MB\n")
    header = f"{'lab':<42} {'seconds':>8} {'x kernel start':>15} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    labs = sorted(p for p in SOURCE.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    for lab in labs:
        if args.prefixes and not lab.name.startswith(tuple(args.prefixes)):
            continue
        for notebook in sorted(lab.glob("*.ipynb")):
            result = run(notebook, lab)
            if "error" in result:
                print(f"{lab.name:<42} failed: {result['error']}")
                continue
            print(f"{lab.name:<42} {result['seconds']:>8.1f} {result['seconds'] / base['seconds']:>14.1f}x "
                  f"{result['kernel_peak_mb']:>8,.0f}")


if __name__ == "__main__":
    main()

"""run_on_cluster on a real scheduler and two worker processes on 127.0.0.1: a worker that
dies mid-task loses nothing, its task is retried elsewhere."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from ai2med_labs.grading.cluster import ClusterError, run_on_cluster  # noqa: E402


def toy_grade(task: dict) -> dict:
    """Square a number; on its first try of the task marked ``die``, kill this worker process."""
    marker = Path(task["marker"])
    if task.get("die") and not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)  # the worker process dies mid-task, as an OOM kill would
    if task.get("fail"):
        raise ValueError("this submission cannot be graded")
    return {"student": task["student"], "score": task["n"] ** 2, "pid": os.getpid(), "status": "graded"}


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, worker_dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.mark.slow
def test_every_task_comes_back_in_order_even_when_a_worker_dies(cluster, tmp_path):
    tasks = [{"student": f"s{i}", "n": i, "marker": str(tmp_path / "died"), "die": i == 3}
             for i in range(8)]
    seen = []
    results = run_on_cluster(tasks, toy_grade, cluster, progress=lambda d, t: seen.append((d, t)))
    assert (tmp_path / "died").exists(), "the toy never killed its worker"
    assert [r["student"] for r in results] == [t["student"] for t in tasks]
    assert [r["score"] for r in results] == [i * i for i in range(8)]
    assert seen[-1] == (8, 8)
    assert int((tmp_path / "died").read_text()) != results[3]["pid"]  # graded by another process


@pytest.mark.slow
def test_a_task_that_raises_is_reported_not_dropped(cluster, tmp_path):
    tasks = [{"student": "ok", "n": 2, "marker": str(tmp_path / "m")},
             {"student": "bad", "n": 1, "marker": str(tmp_path / "m"), "fail": True}]
    results = run_on_cluster(tasks, toy_grade, cluster, retries=0, resubmits=1)
    assert results[0]["score"] == 4
    assert results[1]["status"] == "not graded" and "cannot be graded" in results[1]["error"]
    assert results[1]["attempts"] == 2 and results[1]["task"]["student"] == "bad"


def test_no_scheduler_is_a_clear_error():
    start = time.perf_counter()
    with pytest.raises(ClusterError, match="no Dask scheduler answers at tcp://127.0.0.1:9"):
        run_on_cluster([{"n": 1}], toy_grade, "tcp://127.0.0.1:9", timeout=2)
    assert time.perf_counter() - start < 60


def test_no_tasks_needs_no_cluster():
    assert run_on_cluster([], toy_grade, "tcp://127.0.0.1:9") == []

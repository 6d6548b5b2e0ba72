"""Run grading tasks on an existing Dask distributed cluster, losing none.

A task is plain data (a dict: the student, the lab, paths the workers can read); the grade
function is any picklable function ``grade(task) -> dict``. Each task is submitted on its
own; a task whose worker dies is retried by Dask (``retries``) and, if Dask gives up or
the future is lost, resubmitted by us up to ``resubmits`` times; a task that still fails comes
back as a result ``{"task": task, "error": "...", "status": "not graded"}`` rather than
vanishing. Results come back in the order of the tasks, as plain dicts.

>>> results = run_on_cluster(tasks, grade_one, "tcp://scheduler:8786")   # doctest: +SKIP
>>> [r["status"] for r in results]                                      # doctest: +SKIP
['graded', 'graded', ...]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

__all__ = ["run_on_cluster", "ClusterError"]


class ClusterError(RuntimeError):
    """The cluster cannot be used (no distributed installed, no scheduler at the address)."""


def _client(address: str, timeout: float):
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("grading on a cluster needs Dask: pip install 'ai2med-labs[course]' "
                           "(it brings dask[distributed])") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"no Dask scheduler answers at {address} ({exc}): start one with "
                           "`dask scheduler` and workers with `dask worker ADDRESS`, or check the "
                           "address") from None


def _failure(task: dict, error: BaseException | str, attempts: int) -> dict:
    return {"task": task, "status": "not graded", "attempts": attempts,
            "error": f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error}


def run_on_cluster(tasks: Sequence[dict], grade: Callable[[dict], dict], address: str, *,
                   retries: int = 2, resubmits: int = 1, timeout: float = 30.0,
                   progress: Callable[[int, int], None] | None = None,
                   key_prefix: str = "ai2med-grade") -> list[dict]:
    """Grade every task on the Dask cluster at ``address``; one result dict per task, in order.

    - ``grade(task)`` runs on a worker and must return a dict (plain data);
    - ``retries``: how often Dask reruns a task whose worker died or that raised;
    - ``resubmits``: how often a task Dask gave up on is submitted again afresh;
    - ``progress(done, total)`` is called in this process after each finished task;
    - an exception in ``grade`` (after the retries) or a lost task gives a result with
      ``status: "not graded"`` and the ``error``; nothing is dropped.

    Example::

        from ai2med_labs.grading.cluster import run_on_cluster
        results = run_on_cluster([{"student": "ana", "lab": "00-getting-started"}],
                                 grade_submission, "tcp://10.0.0.5:8786")
    """
    from distributed import as_completed

    tasks = list(tasks)
    results: list[dict | None] = [None] * len(tasks)
    if not tasks:
        return []
    client = _client(address, timeout)
    try:
        attempts = [0] * len(tasks)
        stamp = f"{key_prefix}-{time.time_ns()}"

        def submit(i: int):
            attempts[i] += 1
            return client.submit(grade, tasks[i], key=f"{stamp}-{i}-{attempts[i]}", retries=retries,
                                 pure=False)

        with client.as_current():  # as_completed finds the client here
            futures = {submit(i): i for i in range(len(tasks))}
            pending = as_completed(list(futures))
            done = 0
            for future in pending:
                i = futures.pop(future)
                try:
                    value = future.result()
                except Exception as exc:  # the task raised, or its worker kept dying
                    if attempts[i] <= resubmits:
                        again = submit(i)
                        futures[again] = i
                        pending.add(again)
                        continue
                    value = _failure(tasks[i], exc, attempts[i])
                if not isinstance(value, dict):
                    value = _failure(tasks[i], f"grade returned {type(value).__name__}, not a dict",
                                     attempts[i])
                results[i] = value
                done += 1
                if progress:
                    progress(done, len(tasks))
    finally:
        client.close()
    return [r if r is not None else _failure(tasks[i], "lost", 0) for i, r in enumerate(results)]

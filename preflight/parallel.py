"""Per-file work in a process pool, when there is enough of it to pay for the workers.

The engine hands over a task (a function of a list of work items) and the items, in path order.
With more than one job and at least ``MIN_FILES`` files and ``MIN_BYTES`` bytes to parse, the items
are cut into contiguous chunks of about equal size (a directory stays together, so facts a worker
computes are computed over the files it reads anyway) and run in worker processes started by
``fork``: a worker inherits the loaded registry, rules and settings of the main process as they
are, so plugin and declarative rules behave the same in both. The results come back in item order,
so the output is the same whatever the number of workers. Where ``fork`` is not available
(Windows) everything runs in the calling process.

While the workers run, the caller goes on with its own work (the cross-file rules): call
:func:`start`, do that work, then :meth:`Pending.get`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

MIN_FILES = 64
MIN_BYTES = 256 * 1024
CHUNKS_PER_JOB = 4

_TASK: Callable[[Sequence[Any]], Any] | None = None
_CHUNKS: list[Sequence[Any]] = []


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _chunks(items: Sequence[Any], sizes: Sequence[int], count: int) -> list[Sequence[Any]]:
    total = sum(sizes) or 1
    target = total / count
    chunks: list[Sequence[Any]] = []
    start, acc = 0, 0
    for i, size in enumerate(sizes):
        acc += size
        if acc >= target * (len(chunks) + 1) and len(chunks) < count - 1:
            chunks.append(items[start:i + 1])
            start = i + 1
    if start < len(items):
        chunks.append(items[start:])
    return [c for c in chunks if len(c)]


def _watch_parent(parent: int) -> None:
    """In a worker: exit when the main process is gone (killed), instead of waiting for work forever."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_chunk(index: int) -> Any:
    assert _TASK is not None
    return _TASK(_CHUNKS[index])


class Pending:
    """Results on their way: already here (one process), or futures of worker processes."""

    def __init__(self, results: list[Any] | None = None, pool: Any = None, futures: list[Any] | None = None,
                 task: Callable[[Sequence[Any]], Any] | None = None, chunks: list[Sequence[Any]] | None = None) -> None:
        self._results, self._pool, self._futures = results, pool, futures or []
        self._task, self._chunks = task, chunks or []

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def get(self) -> list[Any]:
        """The task's results, one per chunk, in order. A worker's exception is raised here; a chunk
        whose worker died (killed, out of memory) is done again in this process."""
        if self._results is None:
            from concurrent.futures.process import BrokenProcessPool

            results = []
            try:
                for future, chunk in zip(self._futures, self._chunks, strict=True):
                    try:
                        results.append(future.result())
                    except BrokenProcessPool:
                        assert self._task is not None
                        results.append(self._task(chunk))
            finally:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._results = results
        return self._results


def worth_it(jobs: int, sizes: Sequence[int]) -> bool:
    return jobs > 1 and len(sizes) >= MIN_FILES and sum(sizes) >= MIN_BYTES and can_fork()


def start(task: Callable[[Sequence[Any]], Any], items: Sequence[Any], sizes: Sequence[int],
          jobs: int) -> Pending:
    """Run ``task`` over ``items`` in ``jobs`` processes if worth it, else here and now."""
    if not worth_it(jobs, sizes):
        return Pending([task(items)])
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _TASK, _CHUNKS
    chunks = _chunks(items, sizes, jobs * CHUNKS_PER_JOB)
    _TASK, _CHUNKS = task, chunks
    try:  # with fork, every worker is started at the first submit, before the pool's own thread
        pool = ProcessPoolExecutor(min(jobs, len(chunks)), mp_context=multiprocessing.get_context("fork"),
                                   initializer=_watch_parent, initargs=(os.getpid(),))
        futures = [pool.submit(_run_chunk, i) for i in range(len(chunks))]
    finally:  # the workers have their copies; the parent keeps no reference
        _TASK, _CHUNKS = None, []
    return Pending(pool=pool, futures=futures, task=task, chunks=chunks)

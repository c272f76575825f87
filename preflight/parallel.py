"""Work in several processes, when there is enough of it to pay for them (``--jobs``).

Two ways, both started with ``fork`` so a worker inherits the loaded registry, rules and settings
of the main process as they are (plugin and declarative rules behave the same in both); where
``fork`` is not available (Windows) everything runs in the calling process:

- **rule groups** (:func:`plan_groups`, :func:`run_groups`): the rules are split into groups that
  each run whole in one process (their cross-file rules, the facts those share and their per-file
  hooks), the first group in the main process and each other in a worker, at the same time;
- **file chunks** (:func:`start`): with at least ``MIN_FILES`` files and ``MIN_BYTES`` bytes to
  parse, per-file work items (in path order) are cut into contiguous chunks of about equal size (a
  directory stays together, so facts a worker computes are computed over the files it reads
  anyway) and run in workers. The engine uses this when the rules make only one group.

Results come back in order, so the output is the same whatever the number of workers.
"""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

MIN_FILES = 64
MIN_BYTES = 256 * 1024
CHUNKS_PER_JOB = 4

_TASK: Callable[[Sequence[Any]], Any] | None = None
_CHUNKS: list[Sequence[Any]] = []
_OUT: list[Any] = []  # run_groups: the file each worker writes its group's result to


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


def plan_groups(rule_kinds: dict[str, frozenset[Any]], kind_cost: dict[Any, float], jobs: int) -> list[list[str]]:
    """Split rules into at most ``jobs`` groups that can each run whole in one process: every file
    a group's rules read is parsed in that process, and its cross-file rules and the facts they
    share are computed there, so no work waits for another process. A group costs what its kinds
    cost (``kind_cost``); a kind read by rules of two groups is parsed in both, so it counts twice.

    The split minimises the most expensive group, then the total, by local search from one group:
    a move sends one rule, or every rule reading one kind, to another group, and is kept when it
    lowers that score; it stops when no move does (a few dozen rules and kinds: milliseconds).
    ``rule_kinds`` is in rule order and each group keeps it; the most expensive group comes first.
    """
    rules = list(rule_kinds)
    count = min(jobs, len(rules))
    if count < 2:
        return [rules] if rules else []
    kinds = sorted({k for ks in rule_kinds.values() for k in ks}, key=lambda k: (-kind_cost.get(k, 0.0), str(k)))
    bit = {kind: 1 << i for i, kind in enumerate(kinds)}
    masks = {r: sum(bit[k] for k in rule_kinds[r]) for r in rules}
    costs: dict[int, float] = {}

    def cost(mask: int) -> float:
        if mask not in costs:
            costs[mask] = sum(kind_cost.get(kind, 0.0) for kind in kinds if mask & bit[kind])
        return costs[mask]

    def score(assign: dict[str, int]) -> tuple[float, float]:
        union = [0] * count
        for rule_id, group in assign.items():
            union[group] |= masks[rule_id]
        spent = [cost(mask) for mask in union]
        return max(spent), sum(spent)

    assign = dict.fromkeys(rules, 0)
    best = score(assign)
    moves: list[dict[str, int]] = []
    for kind in kinds:
        readers = [r for r in rules if masks[r] & bit[kind]]
        moves.extend(dict.fromkeys(readers, group) for group in range(count))
    moves.extend({r: group} for r in rules for group in range(count))
    for _ in range(100):  # a bound; it settles in a handful of rounds
        improved = False
        for move in moves:
            if all(assign[r] == g for r, g in move.items()):
                continue
            trial = {**assign, **move}
            trial_score = score(trial)
            if trial_score < best:
                assign, best, improved = trial, trial_score, True
        if not improved:
            break
    groups = [[r for r in rules if assign[r] == group] for group in range(count)]
    groups = [g for g in groups if g]
    groups.sort(key=lambda g: -cost(functools.reduce(operator.or_, (masks[r] for r in g), 0)))
    return groups


def _run_group_to_file(index: int) -> tuple[Any] | None:
    """In a worker: a group's result, written to the file the main process made for it (None);
    sent back the ordinary way, as ``(result,)``, when there is no file or it cannot be written."""
    import pickle

    assert _TASK is not None
    result = _TASK(_CHUNKS[index])
    out = _OUT[index - 1]
    if out is not None:
        try:
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
            return None
        except OSError:  # a full disk
            pass
    return (result,)


def run_groups(task: Callable[[Any], Any], groups: Sequence[Any]) -> list[Any]:
    """``task(group)`` for every group, the first in this process and the others in one worker
    process each (started by ``fork``, so they share what this process has loaded), all at the
    same time; the results in group order. A group whose worker died is done again here.

    A worker's result (the findings and dependencies of thousands of files) comes back through an
    unnamed temporary file the worker inherits, pickled and unpickled a frame at a time: sent as
    one message, it was pickled into one buffer and received into another (2 x 7 MB at 20,000
    files), and the main process takes it in when its own group is at the run's peak memory."""
    import multiprocessing
    import pickle
    import tempfile
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _TASK, _CHUNKS, _OUT
    try:
        outs: list[Any] = [tempfile.TemporaryFile() for _ in groups[1:]]  # before the workers are forked
    except OSError:  # no writable temporary directory: results come back as messages
        outs = [None] * (len(groups) - 1)
    _TASK, _CHUNKS, _OUT = task, list(groups), outs
    try:
        pool = ProcessPoolExecutor(len(groups) - 1, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_watch_parent, initargs=(os.getpid(),))
        futures = [pool.submit(_run_group_to_file, i) for i in range(1, len(groups))]
    finally:
        _TASK, _CHUNKS, _OUT = None, [], []
    try:
        results = [task(groups[0])]
        for future, group, out in zip(futures, groups[1:], outs, strict=True):
            try:
                sent = future.result()
                if sent is None:
                    out.seek(0)
                    results.append(pickle.load(out))
                else:
                    results.append(sent[0])
            except BrokenProcessPool:
                results.append(task(group))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for out in outs:
            if out is not None:
                out.close()
    return results

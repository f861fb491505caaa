"""Where batches run: in this process, or in a pool of worker processes. Both return results in task order, so the
report is the same for any number of workers (each batch's random stream is fixed by its SeedSequence, not by who
runs it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]: ...


class SerialExecutor:
    """Runs every task in the calling process."""

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        return [fn(task) for task in tasks]


class ProcessExecutor:
    """Runs tasks in ``workers`` processes (results in task order)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError("workers must be ≥ 1")
        self.workers = workers

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(fn, tasks))


def make_executor(workers: int) -> Executor:
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)

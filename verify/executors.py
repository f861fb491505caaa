"""Where batches run: in this process, in a pool of worker processes, or on a Dask cluster. All return results in
task order, so the report is the same for any number of workers and any executor (each batch's random stream is fixed
by its SeedSequence, not by who runs it)."""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

from icl_errors import InputError

EXECUTORS = ("local", "dask")
DASK_LOCAL_WORKERS = 2
DASK_CONNECT_SECONDS = 10


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]: ...


class SerialExecutor:
    """Runs every task in the calling process."""

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        return [fn(task) for task in tasks]


class ProcessExecutor:
    """Runs tasks in a pool of ``workers`` processes (results in task order)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError("workers must be ≥ 1")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        """One pool for the executor's life (started at the first map, shut down at exit or ``close``)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
            atexit.register(self.close)
        return list(self._pool.map(fn, tasks))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Runs tasks on a Dask cluster (``dask.distributed``, the optional extra ``icl-theory[dask]``): the scheduler at
    ``address``, or else a LocalCluster of ``workers`` worker processes with one thread each. Results come back in
    task order. dask is imported, and the cluster started, at the first ``map`` (not when the executor is made);
    a scheduler that does not answer within ``connect_seconds`` is an InputError."""

    def __init__(self, address: str | None = None, workers: int = DASK_LOCAL_WORKERS,
                 connect_seconds: float = DASK_CONNECT_SECONDS):
        if workers < 1:
            raise ValueError("workers must be ≥ 1")
        self.address, self.workers, self.connect_seconds = address, workers, connect_seconds
        self._client: Any = None
        self._cluster: Any = None

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask executor needs dask.distributed: pip install 'icl-theory[dask]'") from None
        if self.address is None:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout=self.connect_seconds)
            except (OSError, ValueError, TypeError) as error:
                raise InputError(f"cannot reach the Dask scheduler at {self.address!r}: "
                                 f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
        atexit.register(self.close)
        return self._client

    def map(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
        client = self._connect()
        return client.gather(client.map(fn, list(tasks), pure=False))

    def close(self) -> None:
        """Disconnect, and stop the LocalCluster if this executor started one."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(workers: int, kind: str = "local", scheduler: str | None = None) -> Executor:
    """``local``: this process (workers = 1) or a process pool; ``dask``: the scheduler at ``scheduler``, else a
    LocalCluster of ``workers`` processes (2 when workers = 1). InputError for an unknown kind, or a scheduler
    address without the dask executor."""
    if kind not in EXECUTORS:
        raise InputError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if kind == "dask":
        return DaskExecutor(scheduler, workers if workers > 1 else DASK_LOCAL_WORKERS)
    if scheduler is not None:
        raise InputError("--scheduler needs --executor dask")
    return SerialExecutor() if workers <= 1 else ProcessExecutor(workers)

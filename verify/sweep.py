"""Parameter sweeps through the executor interface: many quantities (a grid over n, m, k, d, B, spectra, …), each
estimated from ``rows`` rows, as one list of tasks for an executor (this process, worker processes, or Dask).

A sweep's numbers depend only on (seed, name, the point's index, rows), never on the executor or the number of
workers: point ``i``'s batch ``b`` draws from ``SeedSequence(seed, spawn_key=(crc32(name), SWEEP_ROLE, i, b))``.
Each point is split in at most ``runner.BATCHES`` batches (one row per batch when there are fewer rows than that,
as for a check that trains models), and its standard error comes from the batch means (``statistics.BatchMeans``).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from icl_errors import InputError
from verify.executors import Executor, SerialExecutor
from verify.quantity import Quantity
from verify.runner import BATCHES, run_batch
from verify.statistics import BatchMeans

SWEEP_ROLE = 2   # beside runner.THEORY (0) and runner.CONTROL (1): sweeps never share a stream with a check


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: the mean of its rows (per component), its standard error, the number of rows, and the
    batch means (batches × components) they come from."""

    mean: np.ndarray
    standard_error: np.ndarray
    rows: int
    batch_means: np.ndarray

    def contrast(self, weights: Sequence[float]) -> tuple[float, float]:
        """Mean and SE of Σ_j weights_j · component_j (e.g. a difference of two arms drawn on the same rows)."""
        values = self.batch_means @ np.asarray(weights, dtype=float)
        return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def point_seeds(seed: int, name: str, point: int, batches: int) -> list[np.random.SeedSequence]:
    root = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()), SWEEP_ROLE, point))
    return root.spawn(batches)


def sweep(quantities: Sequence[Quantity], rows: int, *, seed: int, name: str,
          executor: Executor | None = None) -> list[SweepPoint]:
    """Estimate every quantity from ``rows`` rows; all batches of all points go to ``executor`` as one task list."""
    if rows < 2:
        raise InputError(f"a sweep point needs at least 2 rows for a standard error, got {rows}")
    batches = min(BATCHES, rows)
    size = -(-rows // batches)
    tasks = [(quantity.resolved(), seed_sequence, size)
             for i, quantity in enumerate(quantities) for seed_sequence in point_seeds(seed, name, i, batches)]
    results = (executor or SerialExecutor()).map(run_batch, tasks)
    points = []
    for i in range(len(quantities)):
        part = results[i * batches:(i + 1) * batches]
        accumulator = BatchMeans(len(np.ravel(part[0][0])))
        for mean, count in part:
            accumulator.add_summary(mean, count)
        points.append(SweepPoint(accumulator.mean, accumulator.standard_error, accumulator.count,
                                 np.asarray(accumulator.batch_means)))
    return points

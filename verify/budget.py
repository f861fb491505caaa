"""What a run will cost, before it runs: a short pilot per check, so that a size that would take hours is refused
with the limit named instead of hanging.

The pilot draws a few rows of the check's quantity from a stream of its own (``SeedSequence(seed,
spawn_key=(crc32(id), PILOT_ROLE))``) and times them; the projection is (seconds per row) × (rows of the prediction
and the control) / workers. Quantities that handle the rows of one call side by side (batched training) cost less
per row in larger calls, so when a call of the size the run will make (rows / BATCHES, at most CHUNK) is projected
to take under PILOT_SECONDS, the pilot times one call of that size instead. The pilot never touches the numbers a
report contains: it only decides whether to run. It is an estimate for this machine (a busy machine projects
longer), so the limit should be read as a budget.
"""

from __future__ import annotations

import math
import sys
import time
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from icl_errors import InputError
from verify.quantity import DeterministicQuantity
from verify.runner import BATCHES, CHUNK, planned_samples

PILOT_ROLE = 3        # beside runner.THEORY (0), runner.CONTROL (1) and sweep.SWEEP_ROLE (2)
PILOT_DRAWS = 2_000   # draws (prompts) timed per check; at least one row
PILOT_SECONDS = 0.5   # a call of the run's own size is timed when the first pilot projects it under this
DEFAULT_MINUTES = 30.0


@dataclass(frozen=True)
class Projection:
    record_id: str
    samples: int
    seconds: float      # projected wall time of the check on ``workers`` workers


def project(record: Any, samples: int, workers: int = 1, seed: int = 0) -> Projection:
    """The projected run time of ``record``'s Monte Carlo check with ``samples`` draws (0 for a deterministic one)."""
    check = record.check
    if isinstance(check.quantity, DeterministicQuantity):
        return Projection(record.id, 0, 0.0)
    quantities = [check.quantity.resolved()]
    if check.control.quantity is not None:
        quantities.append(check.control.quantity.resolved())
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(record.id.encode()), PILOT_ROLE)))
    seconds = 0.0
    for quantity in quantities:
        rows = quantity.units(samples)
        per_call = min(CHUNK, math.ceil(rows / BATCHES))
        pilot = min(per_call, max(1, PILOT_DRAWS // quantity.draws_per_unit))
        per_row = _seconds_per_row(quantity, rng, pilot)
        if per_call > pilot and per_row * per_call < PILOT_SECONDS:
            per_row = _seconds_per_row(quantity, rng, per_call)
        seconds += per_row * rows
    return Projection(record.id, samples, seconds / max(1, workers))


def _seconds_per_row(quantity: Any, rng: np.random.Generator, rows: int) -> float:
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
        quantity.draw(rng, rows)
    return (time.perf_counter() - start) / rows


def refuse_long_run(records: list[Any], *, samples: int | None, precision: str, alpha: float, workers: int,
                    seed: int, minutes: float, announce: bool = False) -> None:
    """A run with more draws than the records declare (``samples`` given, or a higher ``precision``): project it from
    a short pilot per check and refuse it (InputError, before anything runs) when it is over ``minutes``; with
    ``announce``, say so on stderr. A run at the declared sizes is not projected."""
    if samples is None and precision == "default":
        return
    if announce:
        print("\r\033[Kprojecting the run time (a short pilot per check) …", end="", file=sys.stderr, flush=True)
    projections = []
    for record in records:
        planned = planned_samples(record, samples, precision, alpha)
        if planned is not None and planned > planned_samples(record, alpha=alpha):
            projections.append(project(record, planned, workers, seed))
    total = refuse_over_budget(projections, minutes, workers)
    if announce:
        print(f"\r\033[Kprojected run time: about {total / 60:.1f} min on {workers} worker(s)", file=sys.stderr)


def refuse_over_budget(projections: list[Projection], minutes: float, workers: int) -> float:
    """The projected total in seconds; InputError naming the limit and the costliest checks when it is over."""
    total = sum(p.seconds for p in projections)
    if total > 60 * minutes:
        costliest = sorted(projections, key=lambda p: -p.seconds)[:3]
        listing = ", ".join(f"{p.record_id} ~{_duration(p.seconds)}" for p in costliest)
        raise InputError(f"this run would take about {_duration(total)} on {workers} worker(s) here, over the limit "
                         f"of {_duration(60 * minutes)} (--max-minutes); the costliest: {listing}. Select fewer "
                         f"results, lower --samples or --precision, add --workers, or raise --max-minutes")
    return total


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"

"""Run a record's declared check: simulate the quantity, judge the prediction, and judge the negative control.

The record is taken as data (its ``check`` declares a typed quantity, the prediction and the control); this module
never imports derivations/. A check **passes** when the prediction passes and the negative control fails.

Randomness: every batch has its own ``SeedSequence(seed, spawn_key=(crc32(record id), role, batch))``, so a report
depends only on (seed, record, samples), never on the number of worker processes.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import asdict, dataclass
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from icl_errors import InputError
from verify.executors import Executor, SerialExecutor
from verify.quantity import DeterministicQuantity, Quantity, as_float
from verify.statistics import FAIL, PASS, BatchMeans, Verdict, as_mpf_vector, judge

BATCHES = 40
CHUNK = 20_000
THEORY, CONTROL = 0, 1
RESOLUTION_MARGIN = 0.8   # a sample sized from the exact variance aims at z*·SE = 0.8 × tolerance
PRECISION_DRAWS = {"default": 1, "high": 100}   # --precision: draws × 100 is a 10× finer resolution (SE ∝ 1/√draws)
PROGRESS_STEPS = 10       # with a progress callback, batches go to the executor in this many waves

Progress = Callable[[str, int, int], None]   # (phase, batches done, batches in all)


numeric = as_float   # the one SymPy-to-float conversion (figures use it too)


def sized_samples(variance: Any, tolerance: float, alpha: float) -> int:
    """Prompts N with z*·√(Var/N) ≤ RESOLUTION_MARGIN · tolerance (z* two-sided at level α), a multiple of BATCHES.

    The margin absorbs the sampling error of the batch-means SE (40 batches: about 11 % relative).
    """
    z_critical = float(norm.isf(alpha / 2))
    needed = float(as_mpf_vector(variance)[0]) * (z_critical / (RESOLUTION_MARGIN * tolerance)) ** 2
    return BATCHES * max(2, math.ceil(needed / BATCHES))


def batch_seeds(seed: int, record_id: str, role: int, batches: int) -> list[np.random.SeedSequence]:
    root = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(record_id.encode()), role))
    return root.spawn(batches)


def run_batch(task: tuple[Quantity, np.random.SeedSequence, int]) -> tuple[np.ndarray, int]:
    """One batch: the mean of ``size`` rows of the (resolved) quantity, drawn in memory-bounded chunks."""
    quantity, seed_sequence, size = task
    rng = np.random.default_rng(seed_sequence)
    with threadpool_limits(limits=1, user_api="blas"):   # one BLAS thread per worker: parallelism is --workers;
        return _draw_mean(quantity, rng, size)           # threaded BLAS on a busy machine ran 10-30x slower


def _draw_mean(quantity: Quantity, rng: np.random.Generator, size: int) -> tuple[np.ndarray, int]:
    """The mean of ``size`` rows, drawn in chunks of at most CHUNK rows (memory stays bounded)."""
    total, done = None, 0
    while done < size:
        chunk = min(CHUNK, size - done)
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.asarray(quantity.draw(rng, chunk), dtype=float)
        finite = np.all(np.isfinite(values.reshape(len(values), -1)), axis=0)
        if not np.all(finite):
            raise SimulationDiverged(f"the simulation diverges: {type(quantity).__name__} is not finite (overflow) "
                                     f"in column(s) {', '.join(str(j + 1) for j in np.flatnonzero(~finite)[:5])}")
        part = values.sum(axis=0)
        total = part if total is None else total + part
        done += chunk
    return total / size, size


class SimulationDiverged(FloatingPointError):
    """The simulated layer overflowed (an overthinking rollout, an unstable training run): a result, not a crash."""


def diverged(note: str, samples: int, tolerance: float, alpha: float) -> Verdict:
    """The verdict of a simulation that diverged: a failed check whose summary says where."""
    return Verdict(FAIL, [math.nan], [math.nan], [math.nan], samples, math.inf, math.nan, alpha, tolerance, math.inf,
                   note)


def batch_count(quantity: Quantity, samples: int) -> int:
    """Batches for ``samples`` draws: BATCHES, or one per row when the draws buy fewer than 2·BATCHES rows (a check
    that trains models); at least 2 (a standard error needs two batch means), else InputError naming the minimum."""
    rows = quantity.units(samples)
    if rows < 2:
        raise InputError(f"--samples {samples} buys fewer than 2 rows of {type(quantity).__name__} "
                         f"({quantity.draws_per_unit:,} draws each); use at least {quantity.draws_per_unit + 1:,}")
    return BATCHES if rows >= 2 * BATCHES else rows


def estimate(quantity: Quantity, samples: int, seeds: list[np.random.SeedSequence],
             executor: Executor, progress: Callable[[int, int], None] | None = None) -> BatchMeans:
    """Mean of ``quantity`` over ``samples`` draws, split in len(seeds) equal batches (SE by batch means); with
    ``progress``, the batches go out in PROGRESS_STEPS waves and progress(done, total) is called after each (the
    numbers do not depend on it)."""
    size = math.ceil(quantity.units(samples) / len(seeds))
    tasks = [(quantity, s, size) for s in seeds]
    if progress is None:
        results = executor.map(run_batch, tasks)
    else:
        results, wave = [], max(1, math.ceil(len(tasks) / PROGRESS_STEPS))
        for start in range(0, len(tasks), wave):
            results += executor.map(run_batch, tasks[start:start + wave])
            progress(len(results), len(tasks))
    accumulator = BatchMeans(len(np.ravel(results[0][0])))
    for mean, count in results:
        accumulator.add_summary(mean, count)
    return accumulator


@dataclass(frozen=True)
class CheckReport:
    record_id: str
    method: str
    prediction: Verdict
    control: Verdict
    control_description: str
    seed: int
    seconds: float
    reused: bool = False     # read back from a results directory (--resume), not run now

    @property
    def passed(self) -> bool:
        return self.prediction.outcome == PASS and self.control.outcome == FAIL

    def __repr__(self) -> str:
        return (f"<CheckReport {self.record_id}: {self.status}\n  prediction: {self.prediction.summary()}\n"
                f"  control:    {self.control.summary()}  <- {self.control_description}>")

    @property
    def status(self) -> str:
        if self.passed:
            return PASS
        if self.prediction.outcome == FAIL:
            return FAIL
        if self.control.outcome != FAIL:
            return "control-not-rejected"
        return self.prediction.outcome

    def to_dict(self, timings: bool = True) -> dict[str, Any]:
        """The report as JSON-ready data; without ``timings`` it depends only on (seed, record, samples, code)."""
        data = asdict(self)
        data.update(passed=self.passed, status=self.status)
        if not timings:
            del data["seconds"]
        if not self.reused:
            del data["reused"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckReport:
        return cls(data["record_id"], data["method"], Verdict(**data["prediction"]), Verdict(**data["control"]),
                   data["control_description"], data["seed"], data.get("seconds", math.nan), reused=True)


def planned_samples(record: Any, samples: int | None = None, precision: str = "default",
                    alpha: float = 1e-4) -> int | None:
    """The draws ``record``'s Monte Carlo check will use: ``samples`` when given, else the record's own (or sized from
    its exact variance) times PRECISION_DRAWS[precision]; None for a deterministic check."""
    if precision not in PRECISION_DRAWS:
        raise InputError(f"precision must be one of {', '.join(PRECISION_DRAWS)}, got {precision!r}")
    check = record.check
    if isinstance(check.quantity, DeterministicQuantity):
        return None
    if samples is not None:
        return samples
    declared = check.samples if check.variance is None else sized_samples(check.variance(), check.tolerance, alpha)
    return declared * PRECISION_DRAWS[precision]


def run_check(record: Any, *, samples: int | None = None, seed: int = 0, executor: Executor | None = None,
              alpha: float = 1e-4, precision: str = "default", progress: Progress | None = None) -> CheckReport:
    """Run ``record.check`` (Monte Carlo or deterministic) and judge its prediction and its negative control.

    ``precision="high"`` draws 100× the declared samples (a 10× finer resolution); ``progress(phase, done, total)``
    is called as batches finish (phase "prediction" or "control")."""
    executor = executor or SerialExecutor()
    check = record.check
    start = time.perf_counter()
    samples = planned_samples(record, samples, precision, alpha)
    deterministic = samples is None
    if deterministic:
        prediction, control = _run_deterministic(record, seed)
    else:
        prediction, control = _run_monte_carlo(record, samples, seed, executor, alpha, progress)
    return CheckReport(record.id, "deterministic" if deterministic else "monte-carlo",
                       prediction, control, check.control.description, seed, time.perf_counter() - start)


def _run_monte_carlo(record: Any, samples: int, seed: int, executor: Executor, alpha: float,
                     progress: Progress | None = None) -> tuple[Verdict, Verdict]:
    check = record.check
    quantity = check.quantity.resolved()
    batches = batch_count(quantity, samples)
    expected = check.expected()

    def reporter(phase: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(phase, done, total))

    try:
        estimate_ = estimate(quantity, samples, batch_seeds(seed, record.id, THEORY, batches), executor,
                             reporter("prediction"))
    except SimulationDiverged as error:
        return (diverged(str(error), samples, check.tolerance, alpha),
                diverged("not judged: the prediction's simulation diverged", samples, check.tolerance, alpha))
    prediction = judge(estimate_.mean, estimate_.standard_error, expected, estimate_.count, check.tolerance, alpha,
                       batches, check.bias)

    control = check.control
    if control.quantity is not None:
        control_quantity = control.quantity.resolved()
        try:
            estimate_ = estimate(control_quantity, samples, batch_seeds(seed, record.id, CONTROL, batches), executor,
                                 reporter("control"))
        except SimulationDiverged as error:   # a control that blows up is rejected: it is not what was predicted
            return prediction, diverged(str(error), samples, check.tolerance, alpha)
    control_expected = control.expected() if control.expected is not None else expected
    if control.quantity is None:
        gap = max(abs(float(a - b)) for a, b in zip(as_mpf_vector(control_expected), as_mpf_vector(expected)))
        if gap <= check.tolerance + check.bias:
            raise ValueError(f"{record.id}: the negative control lies within the tolerance (and finite-size allowance) "
                             f"of the prediction ({gap:.3g} ≤ {check.tolerance + check.bias:.3g}); it could never be "
                             f"rejected")
    rejected = judge(estimate_.mean, estimate_.standard_error, control_expected, estimate_.count, check.tolerance,
                     alpha, batches, check.bias)
    return prediction, rejected


def _run_deterministic(record: Any, seed: int) -> tuple[Verdict, Verdict]:
    check = record.check
    quantity = check.quantity.resolved()
    worst_prediction = worst_control = 0.0
    for seed_sequence in batch_seeds(seed, record.id, THEORY, check.instances):
        instance, output = quantity.instance(np.random.default_rng(seed_sequence))
        output = np.asarray(output, dtype=float)
        for expected_fn, is_control in ((check.expected, False), (check.control.expected, True)):
            expected = np.asarray(expected_fn(instance), dtype=float)
            deviation = float(np.max(np.abs(output - expected) / np.maximum(1.0, np.abs(expected))))
            if not math.isfinite(deviation):     # NaN or inf output: no agreement (max() would skip a NaN)
                deviation = math.inf
            if is_control:
                worst_control = max(worst_control, deviation)
            else:
                worst_prediction = max(worst_prediction, deviation)

    def verdict(deviation: float) -> Verdict:
        outcome = PASS if deviation <= check.rtol else FAIL
        return Verdict(outcome, [deviation], [0.0], [0.0], check.instances, math.nan, math.nan, 0.0, check.rtol, 0.0)

    return verdict(worst_prediction), verdict(worst_control)

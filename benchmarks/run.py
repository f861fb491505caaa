"""Monte Carlo throughput of the simulator's ‖ŵ_k − w*‖² estimator against the hardware floor and a per-sample loop.

    python3 benchmarks/run.py            # full tables: d ∈ {3, 5, 20, 100}, m ∈ {d, 4d}, k ∈ {1, 4, 8}
    python3 benchmarks/run.py --quick    # under a minute: d = 20, m = 80, k = 4 and d ∈ {3, 5}, m ∈ {d, 4d}, k = 4

Ways to produce the same samples (x ~ N(0, I_d), w* ~ N(0, I_d), Ṽ = −I/1.5, W̃ = I, ŵ_0 = 0):

* estimator — ``CotWeightError(...).draw`` (verify/quantities.py → verify/simulator.py, the real layer: embedding,
  full V and W, appended CoT columns), as the records run it: the prompt's Gram X Xᵀ drawn directly
  (``sampling.draw_gram``, Bartlett's decomposition: the layer reads a prompt only through Z_0 Z_0ᵀ);
* columns   — the same estimator with X drawn column by column (``sampler="columns"``; the kernel of 2026-11-25);
* floor     — only drawing the Gaussian inputs and forming what the layer needs from them: X (``draw_covariates``),
  w* (``draw_tasks``) and X Xᵀ, batched: the issue's floor, which no simulator that draws X can beat;
* gram floor — only ``draw_gram`` and ``draw_tasks``: the floor of the Gram-drawing estimator;
* loop      — the plain definition per sample in numpy: build Z, then k times z ← z + V Z Zᵀ W z / m, append.

Rates are samples per second, medians over repeats (one process, one BLAS thread unless OPENBLAS_NUM_THREADS is
set; the machine's other load adds noise).
``peak_mb`` is the tracemalloc peak of one ``draw`` of a batch at the default case. ``precision_gain`` is the
(variance × time) per prompt of plain Monte Carlo (X drawn by columns, one w* per prompt) over that of the
estimator with the average over w* (``task_average=True``: ``cot_error_basis_average``, the conditional expectation
over w* given the prompt) at the default case; the table also gives it for the Gram draw alone.
The last line of the output is ``floor_ratio=X loop_speedup=Y precision_gain=Z peak_mb=W``: floor_ratio = floor
rate / estimator rate at the default case, loop_speedup = the smallest estimator rate / loop rate over the cases
with d ≤ 5 that were run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")   # one BLAS thread: the rate of one core (workers scale it out)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verify.quantities import CotWeightError  # noqa: E402
from verify.executors import SerialExecutor  # noqa: E402
from verify.runner import CHUNK, batch_seeds, estimate  # noqa: E402
from verify.sampling import covariance_root, draw_covariates, draw_gram, draw_tasks  # noqa: E402
from verify.simulator import sparse_key_query_matrix, sparse_value_matrix  # noqa: E402

Draw = Callable[[np.random.Generator, int], np.ndarray]
DEFAULT = (20, 80, 4)
V_SCALE = -1 / 1.5
ELEMENTS_PER_BATCH = 6_400_000      # X of a batch stays ≤ 51 MB; 4000 prompts at the default case


def batch_size(d: int, m: int) -> int:
    """Prompts per ``draw`` call: clamp(6.4·10⁶ / (d m), 100, CHUNK), CHUNK = the runner's largest call."""
    return int(min(CHUNK, max(100, ELEMENTS_PER_BATCH // (d * m))))


def estimator(d: int, m: int, k: int, **options: object) -> Draw:
    """``CotWeightError.draw`` at this case; ``options`` as for CotWeightError (sampler, task_average)."""
    quantity = CotWeightError.single(np.eye(d), m, V_SCALE * np.eye(d), k, **options).resolved()
    return quantity.draw


def floor(d: int, m: int, k: int) -> Draw:
    root = covariance_root(np.eye(d))

    def draw(rng: np.random.Generator, batch: int) -> np.ndarray:
        X = draw_covariates(rng, root, m, batch)
        draw_tasks(rng, d, batch)
        return X @ X.transpose(0, 2, 1)

    return draw


def gram_floor(d: int, m: int, k: int) -> Draw:
    root = covariance_root(np.eye(d))

    def draw(rng: np.random.Generator, batch: int) -> np.ndarray:
        S = draw_gram(rng, root, m, batch)
        draw_tasks(rng, d, batch)
        return S

    return draw


def loop(d: int, m: int, k: int) -> Draw:
    root = covariance_root(np.eye(d))
    V, W = sparse_value_matrix(V_SCALE * np.eye(d)), sparse_key_query_matrix(np.eye(d))
    D = 2 * d + 2

    def draw(rng: np.random.Generator, batch: int) -> np.ndarray:
        out = np.empty(batch)
        for b in range(batch):
            X = root @ rng.standard_normal((d, m))
            w_star = rng.standard_normal(d)
            Z = np.zeros((D, m + 1))
            Z[:d, :m] = X
            Z[d, :m] = w_star @ X
            Z[D - 1, m] = 1.0
            for _ in range(k):
                z = Z[:, -1]
                Z = np.column_stack((Z, z + V @ (Z @ (Z.T @ (W @ z))) / m))
            error = Z[d + 1:2 * d + 1, -1] - w_star
            out[b] = error @ error
        return out

    return draw


def rates(draws: list[tuple[Draw, int]], repeats: int) -> list[float]:
    """Median samples per second of each ``draw(rng, batch)`` over ``repeats`` timed calls (after one warm-up call).

    The calls are interleaved (round robin), so that a change in the machine's load hits all of them alike.
    """
    rng = np.random.default_rng(0)
    seconds: list[list[float]] = [[] for _ in draws]
    for draw, batch in draws:
        draw(rng, batch)
    for _ in range(repeats):
        for times, (draw, batch) in zip(seconds, draws):
            start = time.perf_counter()
            draw(rng, batch)
            times.append(time.perf_counter() - start)
    return [batch / statistics.median(times) for times, (_, batch) in zip(seconds, draws)]


def peak_mb(draw: Draw, batch: int) -> float:
    """tracemalloc peak (MB) of one ``draw(rng, batch)``."""
    tracemalloc.start()
    try:
        draw(np.random.default_rng(0), batch)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def streaming_peak_mb(d: int, m: int, k: int, samples: int) -> float:
    """tracemalloc peak (MB) of the runner's ``estimate`` of the quantity over ``samples`` draws (40 batches)."""
    quantity = CotWeightError.single(np.eye(d), m, V_SCALE * np.eye(d), k).resolved()
    tracemalloc.start()
    try:
        estimate(quantity, samples, batch_seeds(0, "benchmark", 0, 40), SerialExecutor())
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def precision_gain(d: int, m: int, k: int, batch: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Per estimator, ((variance × time) of plain Monte Carlo / its own, its variance per prompt).

    Plain: X drawn by columns, one w* per prompt, ‖ŵ_k − w*‖². "gram": X Xᵀ drawn directly, one w* per prompt.
    "gram+avg": X Xᵀ drawn directly and E_w*[‖ŵ_k − w*‖² | X] by pushing the d basis tasks through the same prompt
    (``task_average``). Rates are medians over ``repeats``; variances from 4 batches of fresh draws.
    """
    draws = {"plain": estimator(d, m, k, sampler="columns"), "gram": estimator(d, m, k),
             "gram+avg": estimator(d, m, k, task_average=True)}
    speed = dict(zip(draws, rates([(draw, batch) for draw in draws.values()], repeats)))
    variance = {name: float(np.var(draw(np.random.default_rng(1), 4 * batch)[:, 0], ddof=1))
                for name, draw in draws.items()}
    cost = {name: variance[name] / speed[name] for name in draws}
    return {name: (cost["plain"] / cost[name], variance[name]) for name in draws}


def cases(quick: bool) -> list[tuple[int, int, int]]:
    if quick:
        return [DEFAULT] + [(d, m, 4) for d in (3, 5) for m in (d, 4 * d)]
    return [(d, m, k) for d in (3, 5, 20, 100) for m in (d, 4 * d) for k in (1, 4, 8)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the default case and the small ones at k = 4 (< 1 minute)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per measurement (median)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (9 if args.quick else 5)

    print(f"samples/s (median of {repeats}); x ~ N(0, I), Ṽ = −I/1.5, W̃ = I; one process, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'d':>4} {'m':>4} {'k':>2} {'batch':>6} {'estimator':>11} {'columns':>11} {'floor':>11} "
          f"{'gram floor':>11} {'loop':>9} {'floor/est':>9} {'gfloor/est':>10} {'est/loop':>9}")
    results = {}
    for d, m, k in cases(args.quick):
        batch = batch_size(d, m)
        loop_batch = max(20, min(2000, 40_000_000 // (d * d * m * (k + 1))))
        est, col, flo, gflo, lp = rates([(estimator(d, m, k), batch), (estimator(d, m, k, sampler="columns"), batch),
                                         (floor(d, m, k), batch), (gram_floor(d, m, k), batch),
                                         (loop(d, m, k), loop_batch)], repeats)
        results[d, m, k] = (est, flo, lp)
        print(f"{d:>4} {m:>4} {k:>2} {batch:>6} {est:>11,.0f} {col:>11,.0f} {flo:>11,.0f} {gflo:>11,.0f} "
              f"{lp:>9,.0f} {flo / est:>9.2f} {gflo / est:>10.2f} {est / lp:>9.1f}", flush=True)

    d, m, k = DEFAULT
    memory = peak_mb(estimator(d, m, k), batch_size(d, m))
    print(f"\npeak memory of one draw of {batch_size(d, m)} samples at d = {d}, m = {m}, k = {k}: {memory:.1f} MB "
          f"(tracemalloc; X of that batch, which the estimator does not draw, would be {batch_size(d, m) * d * m * 8 / 1e6:.1f} MB)")
    sizes = (10**4, 10**5) if args.quick else (10**4, 10**5, 10**6, 10**7)
    peaks = ", ".join(f"{n:.0e} samples {streaming_peak_mb(5, 20, 4, n):.1f} MB" for n in sizes)
    print(f"peak memory of the runner's estimate at d = 5, m = 20, k = 4 (batches of ≤ {CHUNK} draws): {peaks}")
    print("precision per second: (variance × time) of plain Monte Carlo (X by columns, one w* per prompt) over the "
          "estimator's, and the variance per prompt:")
    for case in [DEFAULT] if args.quick else [DEFAULT, (5, 20, 4), (20, 80, 1), (20, 80, 8), (100, 400, 4)]:
        gains = precision_gain(*case, batch_size(*case[:2]), repeats)
        print(f"  d = {case[0]}, m = {case[1]}, k = {case[2]}: "
              + "; ".join(f"{name} gain {g:.2f} (variance {v:.4g})" for name, (g, v) in gains.items()))
        if case == DEFAULT:
            gain = gains["gram+avg"][0]

    est, flo, _ = results[DEFAULT]
    small = [est / lp for (d, _, _), (est, _, lp) in results.items() if d <= 5]
    print(f"floor_ratio={flo / est:.3f} loop_speedup={min(small):.1f} precision_gain={gain:.2f} peak_mb={memory:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the exact finite-size CoT error engine (derivations.finite_cot) against the plain reference.

    python3 benchmarks/bench_finite_cot.py            # everything (the reference at d = 3, k = 4 takes ~7 minutes)
    python3 benchmarks/bench_finite_cot.py --quick    # skip the reference at k = 4 and the d = 6 case

Each measurement runs in a fresh child process (so its peak RSS is its own) on one core; times are wall-clock seconds.
Inputs: n = 20, m = 10, Σ_train = diag(1, 1/2, …, 1/d), Σ_test tridiagonal (1 on the diagonal, 1/4 beside it) —
dense enough that the whitening and the B-weighted norm are exercised — and, as a harder variant, random dense
rational SPD pairs (A Aᵀ + I, entries of A in {−3..3}/{1..4}, fixed seeds), whose Γ⁻¹ has ~60-digit denominators.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {(3, 6): 3.0, (3, 8): 30.0, (5, 4): 20.0}
RATIO_TARGET = 300.0


def _matrices(d: int, kind: str):
    import sympy as sp

    R = sp.Rational
    if kind == "random":
        rng = random.Random(d)
        A, B = (sp.Matrix(d, d, lambda i, j: R(rng.randint(-3, 3), rng.randint(1, 4))) for _ in range(2))
        return A * A.T + sp.eye(d), B * B.T + sp.eye(d)
    train = sp.diag(*[R(1, i + 1) for i in range(d)])
    test = sp.Matrix(d, d, lambda i, j: 1 if i == j else (R(1, 4) if abs(i - j) == 1 else 0))
    return train, test


def run_case(method: str, d: int, k: int, kind: str) -> dict:
    """One timed computation in this process: the engine or the reference, E‖e_k‖² at n = 20, m = 10."""
    sys.path.insert(0, str(ROOT))
    from derivations.finite_cot import cot_error
    from benchmarks.isserlis_reference import reference_cot_error
    from derivations.pretraining import gamma_closed_form

    train, test = _matrices(d, kind)
    start = time.perf_counter()
    if method == "engine":
        value = cot_error(train, 20, test, 10, k)
    else:
        value = reference_cot_error(gamma_closed_form(train, 20).inv(), test, 10, k)
    seconds = time.perf_counter() - start
    return {"method": method, "d": d, "k": k, "kind": kind, "seconds": seconds, "value": str(value),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measure(method: str, d: int, k: int, kind: str = "tridiagonal") -> dict:
    """Run ``run_case`` in a child process and return its report."""
    output = subprocess.run([sys.executable, __file__, "--case", method, str(d), str(k), kind],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow reference at k = 4 and d = 6")
    parser.add_argument("--case", nargs=4, metavar=("METHOD", "D", "K", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        method, d, k, kind = args.case
        print(json.dumps(run_case(method, int(d), int(k), kind)))
        return

    print("engine vs plain reference (brute-force Isserlis over sample-index partitions), n = 20, m = 10")
    for k in (3,) if args.quick else (3, 4):
        engine, reference = measure("engine", 3, k), measure("reference", 3, k)
        if engine["value"] != reference["value"]:
            raise SystemExit(f"engine and reference disagree at d = 3, k = {k}")
        ratio = reference["seconds"] / engine["seconds"]
        note = f"  (target ≥ {RATIO_TARGET:.0f}×: {'met' if ratio >= RATIO_TARGET else 'MISSED'})" if k == 4 else ""
        print(f"  d = 3, k = {k}: engine {engine['seconds']:.3f} s, reference {reference['seconds']:.1f} s, "
              f"ratio {ratio:,.0f}×, values equal{note}")

    print("engine alone (peak RSS of the child process)")
    cases = [(3, 6, "tridiagonal"), (3, 8, "tridiagonal"), (4, 6, "tridiagonal"), (5, 4, "tridiagonal"),
             (3, 8, "random"), (5, 4, "random")]
    if not args.quick:
        cases.append((6, 4, "tridiagonal"))
    for d, k, kind in cases:
        report = measure("engine", d, k, kind)
        target = TARGETS.get((d, k))
        verdict = f" (target < {target:.0f} s: {'met' if report['seconds'] < target else 'MISSED'})" if target else ""
        print(f"  d = {d}, k = {k}, {kind:11s}: {report['seconds']:7.2f} s, peak RSS "
              f"{report['peak_rss_mib']:7.0f} MiB{verdict}")


if __name__ == "__main__":
    main()

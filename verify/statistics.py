r"""Streaming estimation with honest standard errors, and the three-valued statistical verdict.

Standard errors come from batch means: the samples are split into B batches (B ≥ 30 by default), the batch means are
approximately normal even when single samples are heavy-tailed (‖e_k‖² at small n is), and SE = sd(batch means)/√B.

Verdict (in the spirit of scipy.stats' tests: a test statistic at a stated level, not a magic tolerance). For a
prediction θ of a p-component quantity, z_j = (θ̂_j − θ_j)/SE_j and the critical value is z* = Φ⁻¹(1 − α/(2p))
(two-sided, Bonferroni over the components):

* **fail**         max_j |z_j| > z*: the estimate contradicts the prediction at level α;
* **pass**         max_j |z_j| ≤ z* and z*·max_j SE_j ≤ tolerance: consistent, and precise enough that a deviation
                   as large as the stated tolerance would have been detected;
* **inconclusive** consistent, but the standard error is too large to resolve the tolerance.

The differences θ̂ − θ are formed in mpmath at 50 digits from the exact prediction, so rounding of the exact value
never decides a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"


class BatchMeans:
    """Accumulates per-batch means of a (p-component) quantity; merges in batch order for reproducibility."""

    def __init__(self, components: int):
        self.components = components
        self.batch_means: list[np.ndarray] = []
        self.batch_sizes: list[int] = []

    def add_batch(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=float).reshape(len(samples), -1)
        if samples.shape[1] != self.components:
            raise ValueError(f"expected {self.components} components, got {samples.shape[1]}")
        if not np.all(np.isfinite(samples)):
            raise FloatingPointError("a simulated sample is not finite (overflow in the simulation)")
        self.batch_means.append(samples.mean(axis=0))
        self.batch_sizes.append(len(samples))

    def add_summary(self, mean: np.ndarray, size: int) -> None:
        """Add a batch that was reduced elsewhere (a worker process)."""
        self.batch_means.append(np.asarray(mean, dtype=float).reshape(self.components))
        self.batch_sizes.append(int(size))

    @property
    def count(self) -> int:
        return int(sum(self.batch_sizes))

    @property
    def mean(self) -> np.ndarray:
        weights = np.asarray(self.batch_sizes, dtype=float)
        return (np.asarray(self.batch_means) * weights[:, None]).sum(axis=0) / weights.sum()

    @property
    def standard_error(self) -> np.ndarray:
        """SE of the overall mean from the spread of (equal-size) batch means."""
        means = np.asarray(self.batch_means)
        if len(means) < 2:
            return np.full(self.components, np.inf)
        return means.std(axis=0, ddof=1) / np.sqrt(len(means))


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing an estimate (± SE, from ``samples`` draws) with an exact prediction."""

    outcome: str
    estimate: list[float]
    standard_error: list[float]
    predicted: list[float]
    samples: int
    z_max: float
    z_critical: float
    alpha: float
    tolerance: float
    resolution: float = field(default=0.0)   # z*·max SE: the smallest deviation the check could detect
    note: str = ""                            # why there is no estimate (the simulation diverged)
    bias: float = 0.0                         # the declared finite-size allowance (asymptotic predictions)

    def summary(self) -> str:
        if self.note:
            return f"{self.outcome}: {self.note}"
        if self.z_critical != self.z_critical:  # NaN: a deterministic comparison, no sampling error
            return (f"{self.outcome}: max relative deviation {self.estimate[0]:.2g} over {self.samples} random "
                    f"instances (bound {self.tolerance:.0e})")
        if len(self.estimate) == 1:
            body = f"{self.estimate[0]:.6g} ± {self.standard_error[0]:.2g} vs {self.predicted[0]:.6g}"
        else:
            gaps, se = np.abs(np.subtract(self.estimate, self.predicted)), np.asarray(self.standard_error)
            with np.errstate(divide="ignore", invalid="ignore"):   # SE 0: every row equal (a 0/1 outcome, say)
                scaled = np.where(se > 0, gaps / se, np.where(gaps > 0, np.inf, 0.0))
            worst = int(np.argmax(scaled))
            body = (f"{len(self.estimate)} components, worst {self.estimate[worst]:.6g} ± "
                    f"{self.standard_error[worst]:.2g} vs {self.predicted[worst]:.6g}")
        allowance = f", finite-size allowance {self.bias:.2g}" if self.bias else ""
        return (f"{self.outcome}: {body} (|z| max {self.z_max:.2f}, z* {self.z_critical:.2f}, "
                f"n = {self.samples}, resolution {self.resolution:.2g} / tolerance {self.tolerance:.2g}{allowance})")


def as_mpf_vector(value) -> list[mpmath.mpf]:
    """An exact scalar or matrix (SymPy) or array as a flat list of 50-digit mpmath numbers."""
    with mpmath.workdps(50):
        if hasattr(value, "evalf") and not hasattr(value, "tolist"):
            return [mpmath.mpf(str(value.evalf(50)))]
        if hasattr(value, "tolist") and hasattr(value, "evalf"):
            return [mpmath.mpf(str(v.evalf(50))) for v in value]
        return [mpmath.mpf(float(v)) for v in np.ravel(np.asarray(value, dtype=float))]


def judge(estimate: np.ndarray, standard_error: np.ndarray, predicted, samples: int, tolerance: float,
          alpha: float = 1e-4, batches: int | None = None, bias: float = 0.0) -> Verdict:
    """The three-valued verdict described in the module docstring.

    With few batch means (``batches`` below 30) the critical value is Student's t with batches − 1 degrees of
    freedom, since the SE is itself estimated from so few means; otherwise the normal z*. ``bias``: a declared
    finite-size allowance (a simulation at a finite size against its limit); z counts only the part of each
    deviation beyond it.
    """
    estimate = np.ravel(np.asarray(estimate, dtype=float))
    se = np.ravel(np.asarray(standard_error, dtype=float))
    exact = as_mpf_vector(predicted)
    if len(exact) != len(estimate):
        raise ValueError(f"prediction has {len(exact)} components, the estimate {len(estimate)}")
    level = alpha / (2 * len(estimate))
    z_crit = float(student_t.isf(level, batches - 1) if batches is not None and batches < 30 else norm.isf(level))
    with mpmath.workdps(50):
        deviations = [max(0.0, float(abs(mpmath.mpf(float(e)) - x)) - bias) for e, x in zip(estimate, exact)]
    # A component with SE 0 is the same in every draw (an exactly zero entry, say): only a deviation beyond float64
    # round-off, 1e-12 relative, counts against it.
    round_off = np.array([1e-12 * max(1.0, abs(float(x))) for x in exact])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.asarray(deviations) / se, np.where(np.asarray(deviations) > round_off, np.inf, 0.0))
    z_max = float(np.max(z))
    resolution = z_crit * float(np.max(se))
    if z_max > z_crit:
        outcome = FAIL
    elif resolution <= tolerance:
        outcome = PASS
    else:
        outcome = INCONCLUSIVE
    return Verdict(outcome, estimate.tolist(), se.tolist(), [float(x) for x in exact], int(samples), z_max, z_crit,
                   alpha, float(tolerance), resolution, bias=float(bias))

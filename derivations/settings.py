r"""The experiments' settings, in one place: the records, the figures and the tests import them from here.

* 2510.03605 checks: the training covariance ``TRAINING`` = diag(1, 1/2, 1/3, 1/4) (λ_i ∝ 1/i, d = 4,
  Hard(Λ) = 25/3) and the isotropic test covariance ``ISOTROPIC`` = I_4 (the skewed directions are
  under-represented in training: overthinking); ``DEPTH_LAMBDA`` = diag(1, 1/2, 1/4), the covariance of the
  finite-size depth results and their figures.
* The task-selection experiment (2510.03605 §4): four task types (α, B), α the spectral decay exponent,
  λ_i ∝ i^(−α) normalised to tr Λ = d (larger α: smaller λ_min/tr, harder), B the training prompt length n [R].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations.multitask import Task
from derivations.validation import exact_scalar
from icl_errors import InputError

R = sp.Rational
TRAINING = sp.diag(1, R(1, 2), R(1, 3), R(1, 4))
ISOTROPIC = sp.eye(4)
DEPTH_LAMBDA = sp.diag(1, R(1, 2), R(1, 4))

# The two-task mixture of tts:multitask-optimum and the multitask-training figure: (Λ_ℓ, n_ℓ), π.
MULTITASK_TASKS = ((sp.diag(4, R(1, 2), R(1, 4)), 10), (sp.Matrix([[1, R(1, 2), 0], [R(1, 2), 2, R(1, 3)],
                                                                  [0, R(1, 3), R(1, 5)]]), 10))
MULTITASK_WEIGHTS = (R(1, 3), R(2, 3))

DIMENSION = 5
SPECTRUM_DIGITS = 6


@dataclass(frozen=True)
class TaskType:
    """A task type (α, B) of the task-selection experiment: decay exponent α, training prompt length B."""

    name: str
    alpha: sp.Rational
    B: int

    def task(self, d: int = DIMENSION) -> Task:
        return Task.of(power_law_spectrum(self.alpha, d), self.B)

    @property
    def is_hard(self) -> bool:
        return bool(self.alpha > sp.Rational(1, 2))


TASK_TYPES = (TaskType("Easy-Short", sp.Rational(1, 5), 20), TaskType("Hard-Short", sp.Rational(4, 5), 20),
              TaskType("Easy-Long", sp.Rational(1, 5), 100), TaskType("Hard-Long", sp.Rational(4, 5), 100))


HARD_MASK = np.array([t.is_hard for t in TASK_TYPES], dtype=float)


def power_law_spectrum(alpha: object, d: int = DIMENSION) -> sp.Matrix:
    """diag(λ_1..λ_d), λ_i = d·r_i/Σ_j r_j with r_i = i^(−α) rounded to 6 decimals (exact rationals, tr = d)."""
    alpha = exact_scalar(alpha, "alpha")
    if not (alpha.is_number and alpha.is_real and alpha >= 0):
        raise InputError(f"alpha must be a real number ≥ 0, got {alpha}")
    if int(d) != d or d < 1:
        raise InputError(f"d must be an integer ≥ 1, got {d}")
    rounded = [sp.Rational(round(float(sp.Integer(i) ** -alpha) * 10 ** SPECTRUM_DIGITS), 10 ** SPECTRUM_DIGITS)
               for i in range(1, d + 1)]
    total = sum(rounded)
    return sp.diag(*[d * r / total for r in rounded])


def experiment_tasks(d: int = DIMENSION) -> list[Task]:
    return [t.task(d) for t in TASK_TYPES]

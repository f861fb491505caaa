"""SGD on the simulated LSA with mixed-task prompts converges to the derived multi-task optimum, not to −Γ(Λ̄)⁻¹."""

import numpy as np
import pytest
import sympy as sp

from derivations import multitask
from icl_errors import InputError
from verify.mixture_training import train_on_mixture

R = sp.Rational


def _setting(lengths):
    tasks = [multitask.Task.of(sp.diag(4, R(1, 2), R(1, 4)), lengths[0]),
             multitask.Task.of([[1, R(1, 2), 0], [R(1, 2), 2, R(1, 3)], [0, R(1, 3), R(1, 5)]], lengths[1])]
    return tasks, [R(1, 3), R(2, 3)]


def test_training_on_the_mixture_reaches_the_derived_optimum():
    tasks, weights = _setting((10, 10))
    derived = np.array(multitask.multitask_preconditioner(tasks, weights).evalf(20), dtype=float)
    naive = np.array(multitask.naive_preconditioner(tasks, weights).evalf(20), dtype=float)
    result = train_on_mixture(np.random.default_rng(1), [np.array(t.Lambda, dtype=float) for t in tasks], [10, 10],
                              [1 / 3, 2 / 3], steps=3000, learning_rate=0.03, batch=200)
    assert np.abs(result.averaged - derived).max() < 0.03
    assert np.abs(result.averaged - naive).max() > 0.2
    start = np.linalg.norm(result.path[0] - derived)
    assert np.linalg.norm(result.averaged - derived) < start / 20


def test_training_with_different_prompt_lengths():
    tasks, weights = _setting((5, 30))
    derived = np.array(multitask.multitask_preconditioner(tasks, weights).evalf(20), dtype=float)
    result = train_on_mixture(np.random.default_rng(2), [np.array(t.Lambda, dtype=float) for t in tasks], [5, 30],
                              [1 / 3, 2 / 3], steps=2000, learning_rate=0.02, batch=200)
    assert np.abs(result.averaged - derived).max() < 0.04


def test_training_rejects_bad_counts():
    with pytest.raises(InputError, match="steps"):
        train_on_mixture(np.random.default_rng(0), [np.eye(2)], [3], [1.0], steps=0, learning_rate=0.1, batch=5)

"""Outcome-supervision experiments on the simulated LSA layer (arXiv 2603.01293 §6–§8, Figs 3d–f / 4d–f): train Ṽ by
GD on the OS loss of B fresh prompts (``verify.outcome_supervision.train_outcome``: backprop through the k appended
columns), then measure the post-test error of the trained layer on fresh prompts, one CoT step at test (§1.8).

Nothing here knows a closed form: the post-test error is the mean of ‖ŵ_1 − w*‖² over simulated test prompts, the
layer's own output (``final_answer_errors``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.outcome_supervision import final_answer_errors, outcome_loss_and_gradient, train_outcome
from verify.quantity import Quantity, as_float
from verify.sampling import covariance_root, draw_prompts, require_count


@dataclass(frozen=True)
class OSArm:
    """One post-training setting: OS prompts of n examples from N(0, Σ), B = ``prompts`` of them, k CoT steps, GD
    with step ``step`` for ``steps`` steps from Ṽ = ``V_init`` (W̃ = I); tested on prompts from the same Σ.
    ``fresh``: B new prompts at every step (online OS, whose mean path follows GD on the B → ∞ loss) instead of
    the same B prompts throughout (a data set of size B)."""

    Sigma: Any
    V_init: Any
    n: int
    prompts: int
    k: int
    step: float
    steps: int
    fresh: bool = False


def post_test_error(rng: np.random.Generator, root: np.ndarray, V_tilde: np.ndarray, m: int, prompts: int) -> float:
    """Mean ‖ŵ_1 − w*‖² of the layer with block Ṽ (one CoT step, W̃ = I) over ``prompts`` fresh test prompts of m
    examples x ~ N(0, R Rᵀ)."""
    test = draw_prompts(rng, root, m, prompts)
    errors = final_answer_errors(test.X, test.w_star, V_tilde, 1)
    return float(np.mean(np.einsum("bd,bd->b", errors, errors)))


def train_and_test(rng: np.random.Generator, arm: OSArm, test_length: int, test_prompts: int) -> tuple[float, float]:
    """(finished, post-test error × finished) for one OS run of ``arm``: finished = 1 unless GD diverged (then 0, 0)."""
    root = covariance_root(np.asarray(arm.Sigma, dtype=float))
    V_init = np.asarray(arm.V_init, dtype=float)
    if arm.fresh:
        V_tilde = train_outcome_online(rng, root, arm.n, arm.prompts, V_init, arm.k, arm.step, arm.steps)
    else:
        train = draw_prompts(rng, root, arm.n, arm.prompts)
        run = train_outcome(train.X, train.w_star, V_init, arm.k, arm.step, arm.steps)
        V_tilde = None if run.diverged_at is not None else run.V_tilde
    if V_tilde is None:
        return 0.0, 0.0
    return 1.0, post_test_error(rng, root, V_tilde, test_length or arm.n, test_prompts)


def train_outcome_online(rng: np.random.Generator, root: np.ndarray, n: int, prompts: int, V_init: np.ndarray, k: int,
                         step: float, steps: int, blowup: float = 1e8) -> np.ndarray | None:
    """Online OS: ``steps`` GD steps of size ``step`` on the OS loss of B = ``prompts`` fresh prompts each (n examples
    x ~ N(0, R Rᵀ)); the final Ṽ, or None when a batch loss overflowed or exceeded ``blowup`` × the first one."""
    if not (np.isfinite(step) and step > 0):
        raise InputError(f"step must be a finite positive number, got {step!r}")
    V = np.array(V_init, dtype=float)
    first = None
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(require_count("steps", steps, 0)):
            batch = draw_prompts(rng, root, n, prompts)
            per_prompt, grad = outcome_loss_and_gradient(batch.X, batch.w_star, V, k)
            loss = float(per_prompt.mean())
            first = loss if first is None else first
            if not np.isfinite(loss) or loss > blowup * first or not np.all(np.isfinite(grad)):
                return None
            V = V - step * grad.mean(axis=0)
    return V if np.all(np.isfinite(V)) else None


@dataclass(frozen=True)
class OSPostTestError(Quantity):
    """One row per independent set of OS runs: for each arm (``OSArm``), B fresh training prompts, GD on their OS loss,
    then ``test_prompts`` fresh test prompts of ``test_length`` examples (0: the arm's n) from the arm's Σ; the row
    holds, per arm, [finished (1/0), post-test error if finished else 0] (``train_and_test``)."""

    arms: tuple[OSArm, ...]
    test_length: int = 0
    test_prompts: int = 2000
    resolved_fields: ClassVar[tuple[str, ...]] = ("arms",)

    def resolved(self):
        arms = tuple(OSArm(_float_matrix(a.Sigma), _float_matrix(a.V_init), a.n, a.prompts, a.k, float(a.step), a.steps,
                           a.fresh)
                     for a in (_deferred(arm) for arm in self.arms))
        return OSPostTestError(arms, self.test_length, self.test_prompts)

    @property
    def draws_per_unit(self) -> int:
        arms = [_deferred(arm) for arm in self.arms]
        return sum(arm.prompts * (arm.steps if arm.fresh else 1) for arm in arms)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        if not self.arms:
            raise InputError("OSPostTestError needs at least one arm")
        require_count("test_prompts", self.test_prompts, 1)
        rows = np.empty((batch, 2 * len(self.arms)))
        for b in range(batch):
            for j, arm in enumerate(self.arms):
                rows[b, 2 * j:2 * j + 2] = train_and_test(rng, arm, self.test_length, self.test_prompts)
        return rows


def _deferred(value: Any) -> Any:
    return value() if callable(value) else value


def _float_matrix(value: Any) -> np.ndarray:
    return np.asarray(as_float(_deferred(value)), dtype=float)

"""Outcome-supervision experiments on the simulated LSA layer (arXiv 2603.01293 §6–§8, Figs 3d–f / 4d–f): train Ṽ by
GD on the OS loss of B prompts (``verify.outcome_supervision.train_outcome_runs``: backprop through the k appended
columns, every run of a batch at once), then measure the post-test error of the trained layer on fresh prompts, one
CoT step at test (§1.8).

Nothing here knows a closed form: the post-test error is the mean over simulated test prompts of the layer's own
‖ŵ_1 − w*‖², averaged exactly over w* by pushing the d basis tasks through each prompt
(``verify.simulator.cot_error_basis_average``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.outcome_supervision import (OutcomeTrainingRuns, draw_training_prompts, fixed_prompts,
                                        train_outcome_runs)
from verify.post_training import mean_post_test_error
from verify.quantity import Quantity, as_float
from verify.sampling import covariance_root, draw_covariates, require_count


@dataclass(frozen=True)
class OSArm:
    """One post-training setting: OS prompts of n examples from N(0, Σ), B = ``prompts`` of them, k CoT steps, GD
    with step ``step`` for ``steps`` steps from Ṽ = ``V_init`` (W̃ = I); tested on prompts from the same Σ.
    ``fresh``: B new prompts at every step (online OS, whose mean path follows GD on the B → ∞ loss) instead of
    the same B prompts throughout (a data set of size B). On a data set with k = 1 the OS loss is a convex quadratic
    in Ṽ, on which GD with a stable step (η λ_max < 2) lowers the loss at every step: a run whose loss rises above
    its start is unstable on that data set and counts as diverged (``STABLE_QUADRATIC_BLOWUP``)."""

    Sigma: Any
    V_init: Any
    n: int
    prompts: int
    k: int
    step: float
    steps: int
    fresh: bool = False


RUN_BLOCK = 2 ** 16   # training prompts per block of runs trained together (memory stays bounded)
STABLE_QUADRATIC_BLOWUP = 1.0   # k = 1 on a data set: a loss above the start marks η λ_max > 2 (``OSArm``)


def post_test_error(rng: np.random.Generator, root: np.ndarray, V_tilde: np.ndarray, m: int, prompts: int) -> float:
    """Mean over ``prompts`` fresh test prompts of m examples x ~ N(0, R Rᵀ) of E[‖ŵ_1 − w*‖² | X], w* ~ N(0, I), of
    the layer with block Ṽ (one CoT step, W̃ = I): the d basis tasks pushed through each prompt
    (``post_training.mean_post_test_error``; ŵ_1 − w* is linear in w*, so this is the exact average over the task)."""
    X = draw_covariates(rng, root, m, prompts)
    return mean_post_test_error(X @ X.transpose(0, 2, 1), m, V_tilde)


def train_runs(rng: np.random.Generator, arm: OSArm, runs: int) -> OutcomeTrainingRuns:
    """``runs`` independent OS trainings of ``arm`` (``train_outcome_runs``): a data set of B prompts per run, drawn
    before training (X for every run, then w*), or, online, B fresh prompts per run and step for the runs still
    training (X, then w*, at each step)."""
    root = covariance_root(np.asarray(arm.Sigma, dtype=float))

    def fresh(_: int, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return draw_training_prompts(rng, root, arm.n, arm.prompts, len(live))

    source = fresh if arm.fresh else fixed_prompts(*draw_training_prompts(rng, root, arm.n, arm.prompts, runs))
    stable_quadratic = {"blowup": STABLE_QUADRATIC_BLOWUP} if not arm.fresh and arm.k == 1 else {}
    return train_outcome_runs(source, arm.V_init, runs, arm.n, arm.k, arm.step, arm.steps, last_loss=not arm.fresh,
                              **stable_quadratic)


def train_and_test(rng: np.random.Generator, arm: OSArm, test_length: int, test_prompts: int) -> tuple[float, float]:
    """(finished, post-test error × finished) for one OS run of ``arm`` (``train_and_test_runs``)."""
    finished, error = train_and_test_runs(rng, arm, test_length, test_prompts, 1)[0]
    return float(finished), float(error)


def train_and_test_runs(rng: np.random.Generator, arm: OSArm, test_length: int, test_prompts: int,
                        runs: int) -> np.ndarray:
    """Rows (runs, 2) of [finished, post-test error × finished] for ``runs`` independent OS runs of ``arm``
    (``train_runs``, in blocks of about RUN_BLOCK training prompts), each finished run tested on ``test_prompts``
    fresh prompts of ``test_length`` examples (0: the arm's n) from the arm's Σ (``post_test_error``); finished = 1
    unless GD diverged (then 0, 0)."""
    root = covariance_root(np.asarray(arm.Sigma, dtype=float))
    rows = np.zeros((runs, 2))
    block = max(1, RUN_BLOCK // (arm.prompts * (arm.steps if arm.fresh else 1)))
    for start in range(0, runs, block):
        trained = train_runs(rng, arm, min(block, runs - start))
        for r in np.flatnonzero(trained.finished):
            rows[start + r] = 1.0, post_test_error(rng, root, trained.V_tilde[r], test_length or arm.n, test_prompts)
    return rows


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
        return np.concatenate([train_and_test_runs(rng, arm, self.test_length, self.test_prompts, batch)
                               for arm in self.arms], axis=1)


def _deferred(value: Any) -> Any:
    return value() if callable(value) else value


def _float_matrix(value: Any) -> np.ndarray:
    return np.asarray(as_float(_deferred(value)), dtype=float)

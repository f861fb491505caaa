"""The three-stage pipeline of arXiv 2603.01293 on the simulated LSA layer, for the Front-Loading Reasoning findings
(arXiv 2510.03264): several pretrained models (their Ṽ_0 blocks are the setting) are fine-tuned on the SAME SFT prompts
and all are post-tested on the SAME fresh test prompts (common random numbers: a contrast of two models sees no
test-prompt noise they share).

SFT is ``verify.post_training``'s: teacher-forced prompts x ~ N(0, A) with k CoT steps, the loss and its gradient
computed by running the layer, GD on Ṽ with W̃ = I from each model's Ṽ_0, step 1/μ_max (μ_max the measured largest
curvature of the loss), until an update moves Ṽ by less than 1e-12. The post-test runs the layer one step from
ŵ_0 = 0 on prompts x ~ N(0, Σ_test) of n_test examples, the task w* averaged exactly over its d basis directions
(``verify.post_training.mean_post_test_error``). Nothing here knows a closed form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.post_training import SFTProblem, draw_sft_problem, gradient_descent_endpoints, mean_post_test_error
from verify.quantity import Quantity, as_float
from verify.sampling import covariance_root, draw_gram, require_count

_MAX_STEPS = 200_000
_TOLERANCE = 1e-12


def draw_sft(rng: np.random.Generator, root: np.ndarray, n: int, B: int, eta: float, k: int) -> SFTProblem | None:
    """One draw of B teacher-forced SFT prompts x ~ N(0, R Rᵀ) (``draw_sft_problem``); None (nothing drawn) if B = 0."""
    return None if require_count("B", B, 0) == 0 else draw_sft_problem(rng, root, n, B, eta, k)[0]


def fine_tune(problems: Sequence[SFTProblem | None], inits: np.ndarray) -> np.ndarray:
    """Ṽ after SFT, shape (len(problems), models, d, d): every Ṽ_0 of ``inits`` (models, d, d) fine-tuned on each
    problem by GD, step 1/μ_max (μ_max measured at inits[0]: the loss is quadratic, one curvature serves every init),
    until an update moves Ṽ by less than 1e-12, all runs at once (``gradient_descent_endpoints``); None: no SFT,
    Ṽ_0 unchanged."""
    inits = np.asarray(inits, dtype=np.float64)
    trained = np.repeat(inits[None], len(problems), axis=0)
    tuned = [j for j, problem in enumerate(problems) if problem is not None]
    if tuned:
        runs = [problems[j] for j in tuned for _ in inits]
        gamma = np.repeat([1.0 / problems[j].largest_curvature(inits[0]) for j in tuned], len(inits))
        endpoints = gradient_descent_endpoints(runs, np.tile(inits, (len(tuned), 1, 1)), gamma, _MAX_STEPS,
                                               tolerance=_TOLERANCE)
        trained[tuned] = endpoints.reshape((len(tuned),) + inits.shape)
    return trained


@dataclass(frozen=True)
class PipelineContrast(Quantity):
    """Per row, for each SFT arm (A, B) of ``arms`` (B = 0: no SFT): one draw of B SFT prompts x ~ N(0, A) (n examples,
    rate η, k teacher-forced CoT steps), every pretrained block of ``inits`` fine-tuned on that same draw
    (``fine_tune``); then one draw of ``test_prompts`` fresh prompts x ~ N(0, Σ_test) on which every model of every
    arm is post-tested (``mean_post_test_error``: w* averaged exactly). Output per arm: Err(model 0) − Err(model j)
    for each j ≥ 1 (the advantage of model j over model 0) when ``contrast``, else Err of every model. One row costs
    Σ B + test_prompts prompts."""

    inits: tuple[Any, ...]
    arms: tuple[tuple[Any, int], ...]
    n: int
    eta: float
    k: int
    Sigma_test: Any
    n_test: int
    test_prompts: int = 1000
    contrast: bool = True
    resolved_fields: ClassVar[tuple[str, ...]] = ("inits", "Sigma_test")

    def resolved(self):
        base = super().resolved()
        arms = tuple((np.asarray(as_float(_deferred(A)), dtype=float), B) for A, B in self.arms)
        return dataclasses.replace(base, arms=arms)

    @property
    def draws_per_unit(self) -> int:
        return int(sum(B for _, B in self.arms)) + int(self.test_prompts)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        """Draws row by row (each arm's SFT prompts, then the test prompts), then trains every model of every row and
        arm at once (``fine_tune``) and tests each on its row's prompts."""
        inits = np.array([np.asarray(V, dtype=float) for V in self.inits])
        if len(inits) < (2 if self.contrast else 1):
            raise InputError("PipelineContrast needs at least two pretrained models to contrast")
        arms = [(covariance_root(np.asarray(A, dtype=float)), require_count("B", B, 0)) for A, B in self.arms]
        test_root = covariance_root(self.Sigma_test)
        problems, tests = [], []
        for _ in range(batch):
            problems += [draw_sft(rng, root, self.n, B, self.eta, self.k) for root, B in arms]
            tests.append(draw_gram(rng, test_root, self.n_test, self.test_prompts))
        trained = fine_tune(problems, inits).reshape((batch, len(arms)) + inits.shape)
        rows = []
        for models_by_arm, test in zip(trained, tests):
            row = []
            for models in models_by_arm:
                errors = [mean_post_test_error(test, self.n_test, V) for V in models]
                row.extend([errors[0] - e for e in errors[1:]] if self.contrast else errors)
            rows.append(row)
        return np.array(rows)


def _deferred(value: Any) -> Any:
    return value() if callable(value) else value

"""The three-stage pipeline of arXiv 2603.01293 on the simulated LSA layer, for the Front-Loading Reasoning findings
(arXiv 2510.03264): several pretrained models (their Ṽ_0 blocks are the setting) are fine-tuned on the SAME SFT prompts
and each is post-tested on its own fresh test prompts.

SFT is ``verify.post_training``'s: teacher-forced prompts x ~ N(0, A) with k CoT steps, the loss and its gradient
computed by running the layer, GD on Ṽ with W̃ = I from each model's Ṽ_0, step 1/μ_max (μ_max the measured largest
curvature of the loss), until an update moves Ṽ by less than 1e-12. The post-test runs the layer one step from
ŵ_0 = 0 on prompts x ~ N(0, Σ_test) of n_test examples. Nothing here knows a closed form.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.post_training import draw_sft_problem, gradient_descent
from verify.quantity import Quantity, as_float
from verify.sampling import covariance_root, draw_prompts, require_count
from verify.simulator import sparse_key_query_matrix, sparse_value_matrix, weight_prediction_error

_MAX_STEPS = 200_000
_TOLERANCE = 1e-12


def fine_tune(rng: np.random.Generator, root: np.ndarray, n: int, B: int, eta: float, k: int,
              inits: list[np.ndarray]) -> list[np.ndarray]:
    """Each Ṽ_0 of ``inits`` after SFT by GD on one shared draw of B prompts x ~ N(0, R Rᵀ) (B = 0: unchanged)."""
    if B == 0:
        return [np.array(V, dtype=float) for V in inits]
    problem, _, _ = draw_sft_problem(rng, root, n, B, eta, k)
    gamma = 1.0 / problem.largest_curvature(inits[0])       # the loss is quadratic: one curvature for every init
    return [gradient_descent(problem, V, gamma, _MAX_STEPS, tolerance=_TOLERANCE)[-1] for V in inits]


def mean_test_error(rng: np.random.Generator, root: np.ndarray, V_tilde: np.ndarray, n_test: int, prompts: int) -> float:
    """Mean ‖ŵ_1 − w*‖² of the layer (block Ṽ, W̃ = I) over ``prompts`` fresh prompts of n_test examples."""
    test = draw_prompts(rng, root, n_test, prompts)
    W = sparse_key_query_matrix(np.eye(V_tilde.shape[0]))
    return float(weight_prediction_error(test.X, test.w_star, sparse_value_matrix(V_tilde), W, 1).mean())


@dataclass(frozen=True)
class PipelineContrast(Quantity):
    """Per row, for each SFT arm (A, B) of ``arms`` (B = 0: no SFT): one draw of B SFT prompts x ~ N(0, A) (n examples,
    rate η, k teacher-forced CoT steps), every pretrained block of ``inits`` fine-tuned on that same draw
    (``fine_tune``), each tested on its own ``test_prompts`` fresh prompts x ~ N(0, Σ_test). Output per arm:
    Err(model 0) − Err(model j) for each j ≥ 1 (the advantage of model j over model 0) when ``contrast``, else Err of
    every model. One row costs Σ B + (arms × models × test_prompts) prompts."""

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
        return int(sum(B for _, B in self.arms)) + len(self.arms) * len(self.inits) * int(self.test_prompts)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        inits = [np.asarray(V, dtype=float) for V in self.inits]
        if len(inits) < (2 if self.contrast else 1):
            raise InputError("PipelineContrast needs at least two pretrained models to contrast")
        arms = [(covariance_root(np.asarray(A, dtype=float)), require_count("B", B, 0)) for A, B in self.arms]
        test_root = covariance_root(self.Sigma_test)
        rows = []
        for _ in range(batch):
            row = []
            for root, B in arms:
                trained = fine_tune(rng, root, self.n, B, self.eta, self.k, inits)
                errors = [mean_test_error(rng, test_root, V, self.n_test, self.test_prompts) for V in trained]
                row.extend([errors[0] - e for e in errors[1:]] if self.contrast else errors)
            rows.append(row)
        return np.array(rows)


def _deferred(value: Any) -> Any:
    return value() if callable(value) else value

"""SFT data-scaling experiments of arXiv 2603.01293 (§5.2, Figs 1–2, App. B) on the simulated layer: the post-test
error of the SFT-trained LSA at several numbers of SFT prompts B and prompt lengths n, in one quantity.

One row of ``SFTArmsError.draw`` holds one independent SFT run per *arm* (B_j prompts of n_j examples each from
N(0, A), tasks N(0, I_d); the features S_τw*_τ drawn in law, ``verify.sft_proportional.sft_features``), the trained
value block of each run (``verify.sft_proportional.sft_value_blocks``: the first-order V_S + V_N of App. B or the
exact minimiser Ṽ* of eq. 4.1, from the arm's pretrained block), and its post-test error per dimension
E‖ŵ_1 − w*‖²/d measured by one step of the real layer on ``test_prompts`` fresh prompts of the arm's test length from
N(0, Σ), the task averaged exactly (``verify.sft_proportional.post_test_error``). An arm with B_j = 0 is the
pretrained model itself (no SFT). Nothing here knows the limit F(β) or the one-step error formula (5.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from icl_errors import InputError
from verify.quantity import Quantity
from verify.sampling import covariance_root, draw_tasks, require_count
from verify.sft_proportional import SOLUTIONS, post_test_error, sft_features, sft_value_blocks


@dataclass(frozen=True)
class SFTArmsError(Quantity):
    """Per row and arm j: one SFT run with B_j prompts of ``sft_lengths[j]`` examples x ~ N(0, A) (w* ~ N(0, I_d)),
    the trained Ṽ named by ``solution`` from the pretrained block ``V_pres[j]`` (B_j = 0: Ṽ = V_pres[j]), and its
    post-test error per dimension E‖ŵ_1 − w*‖²/d on ``test_prompts`` prompts of ``test_lengths[j]`` examples from
    N(0, Σ) (w* averaged exactly), one LSA step (W̃ = I, ŵ_0 = 0). Output: one column per arm. A row costs
    Σ_j B_j + arms·test_prompts prompts."""

    Sigma: object                       # test covariance Σ (d × d)
    A: object                           # SFT covariance A (d × d, PSD; singular allowed)
    V_pres: tuple                       # pretrained value block per arm (d × d each)
    eta: float                          # SFT CoT rate η
    Bs: tuple[int, ...]                 # SFT prompts per arm (0 = no SFT)
    sft_lengths: tuple[int, ...]        # examples per SFT prompt, per arm
    test_lengths: tuple[int, ...]       # examples per test prompt, per arm
    test_prompts: int                   # test prompts per run
    solution: str = "minimiser"

    resolved_fields: ClassVar[tuple[str, ...]] = ("Sigma", "A", "V_pres")

    def __post_init__(self) -> None:
        if self.solution not in SOLUTIONS:
            raise InputError(f"solution must be one of {SOLUTIONS}, got {self.solution!r}")
        arms = len(self.Bs)
        if arms == 0 or len(self.sft_lengths) != arms or len(self.test_lengths) != arms or len(self.V_pres) != arms:
            raise InputError("Bs, sft_lengths, test_lengths and V_pres must be non-empty and of equal length")
        for B in self.Bs:
            require_count("B", B, 0)
        for length in self.sft_lengths + self.test_lengths:
            require_count("prompt length", length, 1)
        require_count("test_prompts", self.test_prompts, 1)

    @property
    def draws_per_unit(self) -> int:
        """A row costs every arm's SFT prompts and test prompts."""
        return sum(self.Bs) + len(self.Bs) * self.test_prompts

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        Sigma, A = np.asarray(self.Sigma, dtype=float), np.asarray(self.A, dtype=float)
        d = Sigma.shape[0]
        V_pres = [np.asarray(V, dtype=float) for V in self.V_pres]
        if A.shape != (d, d) or any(V.shape != (d, d) for V in V_pres):
            raise InputError(f"A and every V_pre must be {d}×{d} like Sigma")
        root_A, root_Sigma = covariance_root(A), covariance_root(Sigma)
        rows = np.empty((batch, len(self.Bs)))
        for row in range(batch):
            for j, (B, sft_length, test_length, V_pre) in enumerate(zip(self.Bs, self.sft_lengths,
                                                                         self.test_lengths, V_pres)):
                if B == 0:
                    V_tilde = V_pre
                else:
                    Omega = draw_tasks(rng, d, B).T                            # (d, B), columns w*_τ
                    Phi = sft_features(rng, root_A, Omega, sft_length)
                    (V_tilde,) = sft_value_blocks(Omega, Phi, A, V_pre, float(self.eta), (self.solution,))
                rows[row, j] = post_test_error(rng, root_Sigma, test_length, [V_tilde], self.test_prompts)[0]
        return rows

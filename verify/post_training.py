"""Supervised fine-tuning (process supervision) of the real LSA layer, and the quantities that check its theory.

The three-stage pipeline of arXiv 2603.01293 as a simulation: a pretrained Ṽ_0 (given: a field, e.g. −Γ₀⁻¹), SFT on
B prompts x ~ N(0, A), and a post-test on fresh prompts x ~ N(0, Σ_test) through the layer with one step.

SFT data (eq. 3.5, teacher forcing). For prompt τ and step i = 0..k the input Z_{i,τ} is the prompt embedding
(columns (x_j; y_j; 0; 0)) followed by the ground-truth CoT columns (0; 0; w_j; 1), j = 0..i, with
w_j = (1 − (1 − η)^j) w*; the target of the last output column is (0_d; 0; w_{i+1}; 1). The loss is

    L_SFT(V, W) = 1/(2B) Σ_τ Σ_i ‖f(Z_{i,τ})[:, −1] − t_{i,τ}‖²,

evaluated by running the layer (``lsa_last_column`` inside ``verify.training.loss_and_gradients``). No input column
depends on (V, W) (teacher forcing), so the gradient is the sum over i of the one-step gradients of
``verify.training`` (∂ℓ/∂V = r (Z u)ᵀ, ∂ℓ/∂W = Z Zᵀ Vᵀ r zᵀ/n), read on the Ṽ = V[w, x] and W̃ = W[x, w] blocks.
GD trains Ṽ with W̃ = I fixed (Thm 4.1 with W̃ = I, Thm 4.2); its step size is set from the loss's *measured*
curvature (its Hessian in Ṽ, probed with gradients). With W fixed the layer's readout Z u does not depend on V, so
GD reads each stage's readout from the layer once and sums r (Z u)ᵀ through its moments
(``SFTProblem.value_gradient``): the same gradient, at a cost per step that does not grow with B. Nothing here
knows a closed form of the SFT solution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from icl_errors import InputError
from verify.quantity import DeterministicQuantity, Quantity
from verify.sampling import covariance_root, draw_gram, draw_prompts, require_count
from verify.simulator import (attention_readout, block_slices, cot_error_basis_average, embed, lsa_last_column,
                              sparse_key_query_matrix, sparse_value_matrix)
from verify.training import loss_and_gradients


def _rate(eta: float) -> float:
    eta = float(eta)
    if not 0.0 < eta <= 1.0:
        raise InputError(f"eta must lie in (0, 1], got {eta!r}")
    return eta


def teacher_forced_stages(X: np.ndarray, w_star: np.ndarray, eta: float,
                          k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(Z_i, t_i)] for i = 0..k: Z_i of shape (B, 2d+2, n+i+1) with ground-truth columns w_0..w_i, and the
    targets t_i = (0_d; 0; w_{i+1}; 1) of shape (B, 2d+2). Z_i is the view of the first n+i+1 columns of Z_k."""
    eta, k = _rate(eta), require_count("k", k, 0)
    X, w_star = np.asarray(X, dtype=np.float64), np.asarray(w_star, dtype=np.float64)
    batch, d, n = X.shape
    blocks = block_slices(d)
    Z = np.empty((batch, 2 * d + 2, n + k + 1))
    Z[:, :, :n + 1] = embed(X, np.einsum("bd,bdn->bn", w_star, X))   # last column (0; 0; w_0 = 0; 1)
    stages = []
    for i in range(k + 1):
        target = np.zeros((batch, 2 * d + 2))
        target[:, blocks.w] = (1.0 - (1.0 - eta) ** (i + 1)) * w_star
        target[:, blocks.one] = 1.0
        stages.append((Z[:, :, :n + i + 1], target))
        if i < k:
            Z[:, :, n + i + 1] = target                        # (0; 0; w_{i+1}; 1) is the next ground-truth column
    return stages


def _value_gradient(C: np.ndarray, G: np.ndarray, V_tilde: np.ndarray) -> np.ndarray:
    """C + Ṽ G: ∂L_SFT/∂Ṽ at W̃ = I from the moments (C, G) of ``SFTProblem.value_moments`` (any leading batch axes)."""
    return C + V_tilde @ G


@dataclass(frozen=True, eq=False)
class SFTProblem:
    """The SFT loss on one set of B teacher-forced prompts, as a function of the sparse blocks (Ṽ, W̃)."""

    stages: list[tuple[np.ndarray, np.ndarray]]
    n: int
    d: int

    def _full(self, V_tilde: np.ndarray, W_tilde: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        W_tilde = np.eye(self.d) if W_tilde is None else W_tilde
        return sparse_value_matrix(V_tilde), sparse_key_query_matrix(W_tilde)

    def loss(self, V_tilde: np.ndarray, W_tilde: np.ndarray | None = None) -> float:
        """L_SFT by running the layer: 1/(2B) Σ_τ Σ_i ‖f(Z_{i,τ})[:, −1] − t_{i,τ}‖²."""
        V, W = self._full(V_tilde, W_tilde)
        total = 0.0
        for Z, target in self.stages:
            r = lsa_last_column(Z, V, W, self.n) - target
            total += 0.5 * float(np.einsum("bd,bd->", r, r)) / Z.shape[0]
        return total

    def gradients(self, V_tilde: np.ndarray, W_tilde: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(∂L/∂Ṽ, ∂L/∂W̃): the Ṽ and W̃ blocks of the summed one-step gradients of ``loss_and_gradients``."""
        V, W = self._full(V_tilde, W_tilde)
        blocks = block_slices(self.d)
        grad_V = np.zeros((self.d, self.d))
        grad_W = np.zeros((self.d, self.d))
        for Z, target in self.stages:
            _, gV, gW = loss_and_gradients(Z, V, W, self.n, target)
            grad_V += gV[blocks.w, blocks.x]
            grad_W += gW[blocks.x, blocks.w]
        return grad_V, grad_W

    @cached_property
    def value_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """(C, G), both d × d: C = Σ_i mean_τ (z_{i,τ} − t_{i,τ})[w] R_{i,τ}[x]ᵀ and
        G = Σ_i mean_τ R_{i,τ}[x] R_{i,τ}[x]ᵀ, with z the last input column and R = Z u the layer's readout at W̃ = I
        (``attention_readout``), read once."""
        blocks = block_slices(self.d)
        W = sparse_key_query_matrix(np.eye(self.d))
        C, G = np.zeros((self.d, self.d)), np.zeros((self.d, self.d))
        for Z, target in self.stages:
            readout = attention_readout(Z, W, self.n)[:, blocks.x]
            C += (Z[:, blocks.w, -1] - target[:, blocks.w]).T @ readout
            G += readout.T @ readout
        batch = self.stages[0][0].shape[0]
        return C / batch, G / batch

    def value_gradient(self, V_tilde: np.ndarray) -> np.ndarray:
        """∂L/∂Ṽ at W̃ = I: the Ṽ block of Σ_i mean r_i R_iᵀ (``gradients``), with r_i = z_i + V R_i − t_i the layer's
        last column minus its target. R_i does not depend on V, and V is zero off the Ṽ = V[w, x] block, so the
        block is Σ_i mean (z_i − t_i)[w] R_i[x]ᵀ + Ṽ Σ_i mean R_i[x] R_i[x]ᵀ = C + Ṽ G (``value_moments``)."""
        return _value_gradient(*self.value_moments, V_tilde)

    def largest_curvature(self, V_tilde: np.ndarray) -> float:
        """λ_max of the Hessian of L(·, I) in the d² entries of Ṽ, probed by gradient differences (L is quadratic
        in Ṽ, so the differences are exact up to round-off)."""
        base = self.value_gradient(V_tilde)
        hessian = np.empty((self.d * self.d, self.d * self.d))
        for j in range(self.d * self.d):
            probe = V_tilde.copy().ravel()
            probe[j] += 1.0
            hessian[:, j] = (self.value_gradient(probe.reshape(self.d, self.d)) - base).ravel()
        return float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])


def draw_sft_problem(rng: np.random.Generator, root: np.ndarray, n: int, B: int, eta: float,
                     k: int) -> tuple[SFTProblem, np.ndarray, np.ndarray]:
    """B prompts x ~ N(0, R Rᵀ) (R = ``root``), w* ~ N(0, I): the SFT problem and (X, w*)."""
    prompts = draw_prompts(rng, root, n, B)
    return (SFTProblem(teacher_forced_stages(prompts.X, prompts.w_star, eta, k), n, root.shape[0]),
            prompts.X, prompts.w_star)


def gradient_descent(problem: SFTProblem, V_init: np.ndarray, gamma: float, steps: int, *,
                     tolerance: float = 0.0) -> np.ndarray:
    """Ṽ_0..Ṽ_T of GD Ṽ ← Ṽ − γ∂L_SFT(Ṽ, I)/∂Ṽ (W̃ = I fixed, Thm 4.2; ``SFTProblem.value_gradient``), shape
    (T + 1, d, d).

    Stops after ``steps`` updates, or earlier once an update moves Ṽ by less than ``tolerance`` (Frobenius).
    """
    if not (np.isfinite(gamma) and gamma > 0):
        raise InputError(f"the step size must be positive, got {gamma!r}")
    V = np.array(V_init, dtype=np.float64)
    path = [V]
    for _ in range(require_count("steps", steps, 0)):
        previous, V = V, V - gamma * problem.value_gradient(V)
        moved = float(np.linalg.norm(V - previous))
        path.append(V)
        if not np.all(np.isfinite(V)):
            raise FloatingPointError("SFT gradient descent diverged")
        if moved < tolerance:
            break
    return np.array(path)


def gradient_descent_endpoints(problems: Sequence[SFTProblem], V_init: np.ndarray, gamma: np.ndarray, steps: int, *,
                               tolerance: float = 0.0) -> np.ndarray:
    """The last iterate Ṽ_T of ``gradient_descent`` for N independent runs at once, shape (N, d, d): run j on
    ``problems[j]`` from ``V_init[j]`` (N, d, d) with step ``gamma[j]``. Every pass updates each run still going,
    with a leading batch axis; each run stops by its own rule (``steps`` updates, or an update moving it by less
    than ``tolerance``), so run j ends where ``gradient_descent`` on it ends (up to round-off)."""
    gamma = np.asarray(gamma, dtype=np.float64)
    if not np.all(np.isfinite(gamma) & (gamma > 0)):
        raise InputError(f"the step sizes must be positive, got {gamma!r}")
    V = np.array(V_init, dtype=np.float64)
    if V.ndim != 3 or len(V) != len(problems) or gamma.shape != (len(V),):
        raise InputError(f"need one (d, d) start and one step size per problem, got {V.shape} and {gamma.shape}")
    C, G = (np.array(moments) for moments in zip(*(problem.value_moments for problem in problems)))
    running, step = np.arange(len(V)), gamma[:, None, None]    # the runs still going, and their C, G, γ, Ṽ
    current = V.copy()
    for _ in range(require_count("steps", steps, 0)):
        previous, current = current, current - step * _value_gradient(C, G, current)
        if not np.all(np.isfinite(current)):
            raise FloatingPointError("SFT gradient descent diverged")
        difference = current - previous
        going = np.sqrt(np.einsum("bij,bij->b", difference, difference)) >= tolerance
        if not np.all(going):
            V[running] = current
            running, C, G, step, current = running[going], C[going], G[going], step[going], current[going]
            if not running.size:
                break
    V[running] = current
    return V


def _square_field(name: str, value: Any, d: int) -> np.ndarray:
    M = np.asarray(value, dtype=np.float64)
    if M.shape != (d, d):
        raise InputError(f"{name} must be {d}×{d}, got shape {M.shape}")
    return M


# --- quantities ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SFTLossOnLayer(DeterministicQuantity):
    """The SFT loss L_SFT(Ṽ, I) of a random Ṽ (entries N(0, 1/d)) on B random teacher-forced prompts x ~ N(0, A),
    computed by running the layer on every Z_{i,τ} (i = 0..k). Output: [L]."""

    A: Any
    n: int
    B: int
    eta: float
    k: int
    resolved_fields: ClassVar[tuple[str, ...]] = ("A",)

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        problem, X, w_star = draw_sft_problem(rng, covariance_root(self.A), self.n, self.B, self.eta, self.k)
        V_tilde = rng.standard_normal((problem.d, problem.d)) / np.sqrt(problem.d)
        data = {"X": X, "w_star": w_star, "V_tilde": V_tilde, "eta": self.eta, "k": self.k}
        return data, np.array([problem.loss(V_tilde)])


@dataclass(frozen=True)
class SFTGradientDescent(DeterministicQuantity):
    """GD on the layer's SFT loss L_SFT(·, I) from Ṽ_0 = ``V_init``, on B random prompts x ~ N(0, A), for each k in
    ``ks`` with ONE step size γ = step_fraction · 2/μ_max, μ_max the measured largest curvature of the loss at
    k = max(ks). GD runs until an update moves Ṽ by < 1e-13 (at most ``max_steps``).

    Output, for each k in turn: the entries of the GD endpoint (row-major), then the measured distances
    ‖Ṽ_t − Ṽ_end‖_F at the ``checkpoints`` t. The instance holds X (B, d, n), w_star (B, d), eta, ks, gamma, V_init.
    """

    A: Any
    n: int
    B: int
    eta: float
    ks: tuple[int, ...]
    V_init: Any
    step_fraction: float = 0.5
    checkpoints: tuple[int, ...] = ()
    max_steps: int = 20_000
    resolved_fields: ClassVar[tuple[str, ...]] = ("A", "V_init")

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        if not 0.0 < self.step_fraction < 1.0:
            raise InputError(f"step_fraction must lie in (0, 1), got {self.step_fraction!r}")
        root = covariance_root(self.A)
        prompts = draw_prompts(rng, root, self.n, self.B)
        problems = {k: SFTProblem(teacher_forced_stages(prompts.X, prompts.w_star, self.eta, k), self.n,
                                  root.shape[0]) for k in self.ks}
        V_init = _square_field("V_init", self.V_init, root.shape[0])
        gamma = self.step_fraction * 2.0 / problems[max(self.ks)].largest_curvature(V_init)
        output = []
        for k in self.ks:
            path = gradient_descent(problems[k], V_init, gamma, self.max_steps, tolerance=1e-13)
            if path.shape[0] <= max(self.checkpoints, default=0):
                raise ValueError("GD converged before the last checkpoint; use earlier checkpoints")
            end = path[-1]
            output.extend(end.ravel())
            output.extend(np.linalg.norm(path[list(self.checkpoints)] - end, axis=(1, 2)))
        data = {"X": prompts.X, "w_star": prompts.w_star, "eta": self.eta, "ks": self.ks, "gamma": gamma,
                "V_init": V_init, "checkpoints": self.checkpoints}
        return data, np.array(output)


def mean_post_test_error(S: np.ndarray, n_test: int, V_tilde: np.ndarray) -> float:
    """The mean over test prompts of E[‖ŵ_1 − w*‖² | X], w* ~ N(0, I_d): one layer step from ŵ_0 = 0 with the blocks
    (Ṽ, W̃ = I) on prompts of n_test examples with S = X Xᵀ (batch, d, d), the task averaged exactly by pushing the
    d basis tasks through the same prompts (``cot_error_basis_average``)."""
    W = sparse_key_query_matrix(np.eye(V_tilde.shape[0]))
    return float(cot_error_basis_average(S, n_test, sparse_value_matrix(V_tilde), W, (1,)).mean())


def trained_preconditioner(rng: np.random.Generator, root: np.ndarray, n: int, B: int, eta: float, k: int,
                           V_init: np.ndarray) -> np.ndarray:
    """Ṽ after SFT by GD (γ = 1/μ_max measured, until updates < 1e-12) on B fresh prompts x ~ N(0, R Rᵀ)."""
    problem, _, _ = draw_sft_problem(rng, root, n, B, eta, k)
    gamma = 1.0 / problem.largest_curvature(V_init)
    return gradient_descent(problem, V_init, gamma, 100_000, tolerance=1e-12)[-1]


@dataclass(frozen=True)
class SFTTrainedPreconditioner(Quantity):
    """Per row: Ṽ (entries, row-major) of one SFT run — GD from ``V_init`` on the layer's SFT loss over B fresh
    prompts x ~ N(0, A) with k teacher-forced CoT steps, to convergence. One row costs B prompts."""

    A: Any
    n: int
    B: int
    eta: float
    k: int
    V_init: Any
    resolved_fields: ClassVar[tuple[str, ...]] = ("A", "V_init")

    @property
    def draws_per_unit(self) -> int:
        return int(self.B)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        root = covariance_root(self.A)
        V_init = _square_field("V_init", self.V_init, root.shape[0])
        return np.array([trained_preconditioner(rng, root, self.n, self.B, self.eta, self.k, V_init).ravel()
                         for _ in range(batch)])


@dataclass(frozen=True)
class SFTPostTestError(Quantity):
    """Per row: one SFT run (as ``SFTTrainedPreconditioner``), then the post-test error ‖ŵ_1 − w*‖², one layer step
    from ŵ_0 = 0 with W̃ = I, averaged over ``test_prompts`` fresh test prompts x ~ N(0, Σ_test) of n_test examples
    and exactly over w* ~ N(0, I) (``mean_post_test_error``). One row costs B + test_prompts prompts."""

    A: Any
    n: int
    B: int
    eta: float
    k: int
    V_init: Any
    Sigma_test: Any
    n_test: int
    test_prompts: int = 1_000
    resolved_fields: ClassVar[tuple[str, ...]] = ("A", "V_init", "Sigma_test")

    @property
    def draws_per_unit(self) -> int:
        return int(self.B) + int(self.test_prompts)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        root, test_root = covariance_root(self.A), covariance_root(self.Sigma_test)
        V_init = _square_field("V_init", self.V_init, root.shape[0])
        rows = []
        for _ in range(batch):
            V_tilde = trained_preconditioner(rng, root, self.n, self.B, self.eta, self.k, V_init)
            test = draw_gram(rng, test_root, self.n_test, self.test_prompts)
            rows.append([mean_post_test_error(test, self.n_test, V_tilde)])
        return np.array(rows)

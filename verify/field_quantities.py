"""Label-prediction quantities (y-target, label noise, the output sign) on the real LSA layer (anchors.md §A.1–A.3).

The weight-prediction embedding of ``verify.simulator`` has no query covariate; the field's papers (Zhang–Frei–
Bartlett, Ahn et al., Mahankali et al., Wu et al.) predict the query's label from

    E = [[x_1 … x_N, x_q], [y_1 … y_N, 0]] ∈ R^{(d+1)×(N+1)},    f(E) = E + V E M (Eᵀ W E)/N,

with prediction ŷ = s · f(E)_{d+1, N+1} (s = +1 ZFB, s = −1 Ahn et al.) and M = I (ZFB) or the mask that drops the
query from the keys (Ahn et al.). Prompts: x ~ N(0, Λ), w ~ N(0, I_d) or a fixed task, y = wᵀx + ε, ε ~ N(0, σ²),
the query's label with its own noise. The unmasked layer is ``verify.simulator.lsa_last_column``; nothing here knows a
closed form. The loss gradients are the hand-derived ones of a linear layer (as in ``verify.training``): with
z = E[:, −1], u = M Eᵀ W z/N and δ = ŷ − y_q, ℓ = ½δ² has ∂ℓ/∂V = δ s e_{d+1} (E u)ᵀ and
∂ℓ/∂W = δ s (V E M Eᵀ)_{d+1, :}ᵀ zᵀ/N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from icl_errors import InputError
from verify.quantity import DeterministicQuantity, Quantity
from verify.sampling import covariance_root, draw_covariates, draw_tasks, require_count
from verify.simulator import lsa_last_column


class LabelPrompts(NamedTuple):
    """E (batch, d+1, N+1) and the query labels y_q (batch,)."""

    E: np.ndarray
    y_query: np.ndarray


def label_embedding(X: np.ndarray, y: np.ndarray, x_query: np.ndarray) -> np.ndarray:
    """E of shape (batch, d+1, N+1): columns (x_i; y_i), then (x_q; 0); X (batch, d, N), y (batch, N), x_q (batch, d)."""
    batch, d, N = X.shape
    E = np.zeros((batch, d + 1, N + 1))
    E[:, :d, :N] = X
    E[:, d, :N] = y
    E[:, :d, N] = x_query
    return E


def draw_label_prompts(rng: np.random.Generator, root: np.ndarray, N: int, batch: int, noise: float = 0.0,
                       task: np.ndarray | None = None) -> LabelPrompts:
    """``batch`` prompts of N examples and a query, x ~ N(0, R Rᵀ); w ~ N(0, I_d) per prompt unless a fixed ``task``;
    y = wᵀx + ε with ε ~ N(0, noise²) on every label (the query's too). Draw order: X with the query as column N+1,
    then w, then the noise."""
    X_all = draw_covariates(rng, root, require_count("N", N, 1) + 1, batch)
    d = X_all.shape[1]
    w = draw_tasks(rng, d, batch) if task is None else np.broadcast_to(np.asarray(task, dtype=float), (batch, d))
    labels = np.einsum("bd,bdn->bn", w, X_all)
    if noise:
        labels = labels + noise * rng.standard_normal(labels.shape)
    return LabelPrompts(label_embedding(X_all[:, :, :N], labels[:, :N], X_all[:, :, N]), labels[:, N])


def masked_last_column(E: np.ndarray, V: np.ndarray, W: np.ndarray, N: int) -> np.ndarray:
    """f(E)[:, −1] = z + V E M Eᵀ W z/N with M = diag(I_N, 0): the keys and values exclude the query column
    (Ahn et al. eq. (3)); E M = E with its last column zeroed."""
    z = E[:, :, -1]
    keys = E[:, :, :-1]
    u = np.einsum("bdc,bd->bc", keys, z @ W.T) / N
    return z + np.einsum("bdc,bc->bd", keys, u) @ V.T


@dataclass(frozen=True)
class _LabelLayer(Quantity):
    """Shared setting: prompts of ``m`` examples x ~ N(0, Λ), label noise std ``noise``, task w ~ N(0, I) or fixed
    ``task``; one layer with full (d+1)×(d+1) matrices V (value, W^{PV}/P) and W (key-query, W^{KQ}/Q), output sign
    ``output_sign``, the query masked out of the keys when ``masked``."""

    Lambda: Any
    m: int
    value: Any
    key_query: Any
    noise: float = 0.0
    task: Any = None
    output_sign: int = 1
    masked: bool = False

    resolved_fields = ("Lambda", "value", "key_query", "task")

    def __post_init__(self) -> None:
        if self.output_sign not in (1, -1):
            raise InputError(f"output_sign must be +1 or -1, got {self.output_sign!r}")
        if not self.noise >= 0:
            raise InputError(f"noise must be a standard deviation ≥ 0, got {self.noise!r}")

    def _prompts(self, rng: np.random.Generator, batch: int) -> LabelPrompts:
        return draw_label_prompts(rng, covariance_root(self.Lambda), int(self.m), batch, float(self.noise),
                                  None if self.task is None else np.ravel(self.task))

    def _matrices(self, D: int) -> tuple[np.ndarray, np.ndarray]:
        V, W = np.asarray(self.value, dtype=float), np.asarray(self.key_query, dtype=float)
        if V.shape != (D, D) or W.shape != (D, D):
            raise InputError(f"value and key_query must be ({D}, {D}) matrices, got {V.shape} and {W.shape}")
        return V, W

@dataclass(frozen=True)
class LabelPredictionError(_LabelLayer):
    """(ŷ − y_q)² per prompt: the label-prediction error of one LSA layer (module docstring), one column."""

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        prompts = self._prompts(rng, batch)
        V, W = self._matrices(prompts.E.shape[1])
        last = (masked_last_column(prompts.E, V, W, int(self.m)) if self.masked
                else lsa_last_column(prompts.E, V, W, int(self.m)))
        return ((self.output_sign * last[:, -1] - prompts.y_query) ** 2)[:, None]


def label_loss_gradients(E: np.ndarray, y_query: np.ndarray, V: np.ndarray, W: np.ndarray, N: int,
                         output_sign: int = 1, masked: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per prompt, (∂ℓ/∂V[d, :], ∂ℓ/∂W) of ℓ = ½(ŷ − y_q)², shapes (batch, d+1) and (batch, d+1, d+1), with ŷ from the
    layer (``lsa_last_column``, or ``masked_last_column`` when ``masked``). The other rows of V do not reach ŷ."""
    d = E.shape[1] - 1
    last = masked_last_column(E, V, W, N) if masked else lsa_last_column(E, V, W, N)
    delta = output_sign * (output_sign * last[:, -1] - y_query)
    z = E[:, :, -1]
    keys = E[:, :, :-1] if masked else E
    readout = np.einsum("bdc,bc->bd", keys, np.einsum("bdc,bd->bc", keys, z @ W.T) / N)     # E M Eᵀ W z / N
    back = np.einsum("bdc,bc->bd", keys, np.einsum("bdc,d->bc", keys, V[d]))                 # (V E M Eᵀ)[d, :]
    return delta[:, None] * readout, delta[:, None, None] * back[:, :, None] * z[:, None, :] / N


@dataclass(frozen=True)
class LabelLossGradient(_LabelLayer):
    """The per-prompt gradient of ℓ = ½(ŷ − y_q)² in the parameters that reach ŷ: the last row of V (d+1 entries),
    then the first d columns of W (row-major, (d+1)·d entries). With ``along_identity`` one column instead: the
    derivative along W ↦ W + t·[[I_d, 0], [0, 0]] (the step size η of W's block ηI), Σ_i ∂ℓ/∂W_ii, i ≤ d."""

    along_identity: bool = False

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        prompts = self._prompts(rng, batch)
        V, W = self._matrices(prompts.E.shape[1])
        grad_V, grad_W = label_loss_gradients(prompts.E, prompts.y_query, V, W, int(self.m), self.output_sign,
                                              self.masked)
        d = prompts.E.shape[1] - 1
        if self.along_identity:
            return np.einsum("bii->b", grad_W[:, :d, :d])[:, None]
        return np.concatenate([grad_V, grad_W[:, :, :d].reshape(len(grad_W), -1)], axis=1)


@dataclass(frozen=True)
class BalancedTraining(Quantity):
    """One row = one layer trained by gradient descent on fresh prompts (SGD on the population loss ½E(ŷ − y_q)²,
    a discretised gradient flow) from Zhang–Frei–Bartlett's initialisation (Assumption 3.3): V = σ_0[[0, 0], [0, 1]],
    W = σ_0[[ΘΘᵀ, 0], [0, 0]] with ΘΘᵀ = MMᵀ/‖MMᵀ‖_F, M a standard normal d×d drawn per row. The 2d+1 entries that
    reach ŷ (the last row of V and the first d columns of W, ZFB eq. 3.6) move; ``steps`` updates with ``batch``
    prompts of ``m`` examples each, x ~ N(0, Λ), w ~ N(0, I), no noise. Returns the learned product c·W[:d, :d]ᵀ
    (row-major, d² columns), c = V[d, d]: the preconditioner of the readout ŷ = x_qᵀ(cKᵀ)h."""

    Lambda: Any
    m: int
    steps: int
    batch: int
    learning_rate: float
    init_scale: float

    resolved_fields = ("Lambda",)

    @property
    def draws_per_unit(self) -> int:
        return int(self.steps) * int(self.batch)

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        root = covariance_root(self.Lambda)
        d = root.shape[0]
        rows = []
        for _ in range(batch):
            M = rng.standard_normal((d, d))
            theta = M @ M.T / np.linalg.norm(M @ M.T)
            V, W = np.zeros((d + 1, d + 1)), np.zeros((d + 1, d + 1))
            V[d, d] = self.init_scale
            W[:d, :d] = self.init_scale * theta
            for _ in range(require_count("steps", self.steps, 1)):
                prompts = draw_label_prompts(rng, root, int(self.m), int(self.batch))
                grad_V, grad_W = label_loss_gradients(prompts.E, prompts.y_query, V, W, int(self.m))
                V[d] -= self.learning_rate * grad_V.mean(axis=0)
                W[:, :d] -= self.learning_rate * grad_W[:, :, :d].mean(axis=0)
            rows.append((V[d, d] * W[:d, :d].T).ravel())
        return np.array(rows)

def masked_lsa_forward(Z: np.ndarray, P: np.ndarray, Q: np.ndarray, n: int) -> np.ndarray:
    """Z + P Z M Zᵀ Q Z/n for every prompt (all columns), M = diag(I_n, 0): Ahn et al.'s layer (eq. (3))."""
    keys = Z[:, :, :-1]
    return Z + (P @ keys) @ (keys.transpose(0, 2, 1) @ (Q @ Z)) / n


@dataclass(frozen=True)
class AhnLayers(DeterministicQuantity):
    """L masked layers with Ahn et al.'s sparsity (8), P_ℓ = [[0, 0], [0, 1]], Q_ℓ = −[[A_ℓ, 0], [0, 0]], on a random
    prompt: X (d×n) and x_q standard normal, w* ~ N(0, I_d), y = Xᵀw*, A_ℓ random symmetric; the output is the
    readout TF_ℓ = −[Z_ℓ]_{d+1, n+1} after each layer ℓ = 1..L."""

    d: int
    n: int
    layers: int

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
        d, n = require_count("d", self.d, 1), require_count("n", self.n, 1)
        X = rng.standard_normal((d, n))
        x_query = rng.standard_normal(d)
        w_star = rng.standard_normal(d)
        y = w_star @ X
        preconditioners = []
        Z = label_embedding(X[None], y[None], x_query[None])
        readouts = []
        for _ in range(require_count("layers", self.layers, 1)):
            B = rng.standard_normal((d, d)) / np.sqrt(d)
            A = (B + B.T) / 2
            preconditioners.append(A)
            P = np.zeros((d + 1, d + 1))
            P[d, d] = 1.0
            Q = np.zeros((d + 1, d + 1))
            Q[:d, :d] = -A
            Z = masked_lsa_forward(Z, P, Q, n)
            readouts.append(-Z[0, d, n])
        instance = {"X": X, "y": y, "x_query": x_query, "w_star": w_star, "preconditioners": preconditioners}
        return instance, np.array(readouts)

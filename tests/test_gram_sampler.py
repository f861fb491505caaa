"""The prompt's Gram S = X Xᵀ drawn directly (``sampling.draw_gram``, Bartlett's decomposition) has the law of X Xᵀ
for X drawn column by column; judged by two-sample Kolmogorov–Smirnov tests on functionals of S, with a negative
control (Bartlett with the χ² degrees of freedom off by one) that the same tests reject."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from icl_errors import InputError
from verify.quantities import CotWeightError, PromptGroup
from verify.sampling import draw_covariates, draw_gram

SAMPLES = 20_000
ALPHA = 1e-4


def functionals(S: np.ndarray) -> dict[str, np.ndarray]:
    """Entries, log-determinant and tr S² per prompt: together they see the diagonal, the off-diagonal and the
    spectrum of S."""
    values = {"S_00": S[:, 0, 0], "S_-1-1": S[:, -1, -1], "S_01": S[:, 0, 1], "tr S²": np.einsum("bij,bji->b", S, S)}
    sign, logdet = np.linalg.slogdet(S)
    if np.all(sign > 0):
        values["log det S"] = logdet
    return values


def smallest_p_value(A: np.ndarray, B: np.ndarray) -> float:
    a, b = functionals(A), functionals(B)
    return min(ks_2samp(a[name], b[name]).pvalue for name in a.keys() & b.keys())


def bartlett_off_by_one(rng: np.random.Generator, root: np.ndarray, n: int, batch: int) -> np.ndarray:
    """The control: Bartlett's construction with L_ii² ~ χ²_{n−i} in place of χ²_{n−i+1} (a classic slip)."""
    r = root.shape[1]
    L = np.zeros((batch, r, r))
    below = np.tril_indices(r, -1)
    L[:, below[0], below[1]] = rng.standard_normal((batch, len(below[0])))
    L[:, np.arange(r), np.arange(r)] = np.sqrt(rng.chisquare(n - np.arange(r) - 1, size=(batch, r)))
    G = root @ L
    return G @ G.transpose(0, 2, 1)


ROOTS = {
    "identity": np.eye(3),
    "diagonal": np.diag([1.5, 1.0, 0.5]),
    "lower triangular": np.array([[1.0, 0.0, 0.0], [0.5, 1.2, 0.0], [-0.3, 0.4, 0.7]]),
    "rectangular": np.array([[1.0, 0.2], [0.0, 0.9], [0.6, -0.4]]),   # d = 3, r = 2: a singular Σ
}


@pytest.mark.parametrize("name", sorted(ROOTS))
@pytest.mark.parametrize("n", [2, 3, 8])
def test_gram_has_the_law_of_the_columns_gram(name, n):
    root = ROOTS[name]
    direct = draw_gram(np.random.default_rng(1), root, n, SAMPLES)
    X = draw_covariates(np.random.default_rng(2), root, n, SAMPLES)
    assert smallest_p_value(direct, X @ X.transpose(0, 2, 1)) > ALPHA
    if n > root.shape[1]:    # the control needs n − i ≥ 1 degrees of freedom
        wrong = bartlett_off_by_one(np.random.default_rng(3), root, n, SAMPLES)
        assert smallest_p_value(wrong, X @ X.transpose(0, 2, 1)) < 1e-12


def test_gram_rejects_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="covariance root"):
        draw_gram(rng, np.ones((0, 2)), 3, 4)
    with pytest.raises(InputError, match="non-finite"):
        draw_gram(rng, np.array([[np.nan]]), 3, 4)
    with pytest.raises(InputError, match="n must be an integer >= 1"):
        draw_gram(rng, np.eye(2), 0, 4)


@pytest.mark.parametrize("design", ["gaussian", "exact"])
def test_both_samplers_give_the_same_cot_error(design):
    """CotWeightError with S drawn directly and with X drawn column by column: the same means (4.5 SE), for several
    depths, with and without the average over tasks."""
    Sigma, V = np.diag([1.0, 0.5, 0.25]), -np.diag([0.8, 1.1, 1.6])
    for task_average in (False, True) if design == "gaussian" else (False,):
        a, b = (CotWeightError(Sigma, (PromptGroup(6, (V,), (1, 3)),), design=design, task_average=task_average,
                               sampler=sampler).draw(np.random.default_rng(seed), 40_000)
                for seed, sampler in ((0, "gram"), (1, "columns")))
        se = np.sqrt(a.var(axis=0) / len(a) + b.var(axis=0) / len(b))
        assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 4.5 * se)


def test_unknown_sampler_is_refused():
    with pytest.raises(InputError, match="sampler must be one of gram, columns"):
        CotWeightError.single(np.eye(2), 4, -np.eye(2), sampler="bartlet")


def test_a_diagonal_root_scales_rows_to_the_same_numbers_as_the_product():
    from verify.sampling import apply_root

    G = np.random.default_rng(4).standard_normal((50, 3, 7))
    for R in (np.eye(3), np.diag([1.0, 0.5, 0.25]), np.diag([2.0, 0.0, 1.0])):
        np.testing.assert_array_equal(apply_root(R, G.copy()), R @ G)     # G may be overwritten
    R = ROOTS["lower triangular"]
    np.testing.assert_array_equal(apply_root(R, G.copy()), R @ G)

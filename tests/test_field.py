"""The field's anchor results (mahankali:*, wu:*, zfb:*, ahn:*): derivations, statements, checks, and the identities
between papers (anchors.md §A, issue 16 item 8)."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings

from derivations import field, finite_cot, lsa, marchenko_pastur, pretraining, registry, weight_error
from derivations.notation import evaluate_at
from derivations.records import field as records
from icl_errors import InputError
from tests.strategies import rational_spd
from verify.runner import run_check
from verify.simulator import cot_error_basis_average, sparse_key_query_matrix, sparse_value_matrix
from verify.sampling import draw_gram

R = sp.Rational
IDS = ["mahankali:eta-star", "mahankali:risk", "wu:optimal-gamma", "wu:optimal-risk", "zfb:thm-4.1", "zfb:flow-limit",
       "zfb:thm-4.2", "zfb:noiseless-error", "zfb:covariate-shift", "ahn:thm-1", "ahn:lem-1"]

# declared parameters -> a value set per record (exact inputs)
PARAMETERS = {
    "mahankali:eta-star": {"d": 3, "n": 7, "sigma": R(1, 2)},
    "mahankali:risk": {"d": 2, "n": 5, "sigma": 1},
    "wu:optimal-gamma": {"H": sp.Matrix([[1, R(1, 3)], [R(1, 3), R(1, 2)]]), "N": 3, "sigma": R(1, 2)},
    "wu:optimal-risk": {"H": sp.Matrix([[2, R(1, 2)], [R(1, 2), 1]]), "N": 5, "sigma": R(3, 2)},
    "zfb:covariate-shift": {"Lambda_train": sp.diag(1, R(1, 3)), "Lambda_test": sp.Matrix([[1, R(1, 4)], [R(1, 4), 2]]),
                            "N": 3, "M": 4},
    "zfb:thm-4.1": {"Lambda": sp.diag(1, R(1, 2)), "N": 4},
    "zfb:flow-limit": {"Lambda": sp.Matrix([[1, R(1, 3)], [R(1, 3), R(1, 2)]]), "N": 3},
    "zfb:thm-4.2": {"Lambda": sp.Matrix([[1, R(1, 4)], [R(1, 4), R(1, 2)]]), "a": sp.Matrix([1, 2]),
                    "sigma": R(1, 3), "N": 3, "M": 4},
    "zfb:noiseless-error": {"Lambda": sp.diag(2, 1, R(1, 2)), "N": 5, "M": 7},
    "ahn:thm-1": {"Sigma": sp.Matrix([[1, R(1, 4)], [R(1, 4), R(1, 2)]]), "n": 4},
    "ahn:lem-1": {"X": sp.Matrix([[1, 0, 2], [R(1, 2), -1, 1]]), "y": sp.Matrix([1, -1, R(1, 3)]),
                  "w": sp.Matrix([R(1, 4), 0]), "A": sp.Matrix([[1, R(1, 5)], [R(1, 5), 2]])},
}


def test_every_family_is_registered_with_its_convention():
    chosen = {r.id: r for r in registry.select(["mahankali:*", "wu:*", "zfb:*", "ahn:*"])}
    assert set(IDS) <= set(chosen)
    assert chosen["ahn:thm-1"].convention.output_sign == -1
    assert all(chosen[i].convention.target == "y" for i in IDS)


@pytest.mark.parametrize("record_id", IDS)
def test_evaluate_takes_exactly_the_declared_parameters(record_id):
    record = registry.get(record_id)
    params = PARAMETERS[record_id]
    assert set(params) == {p.name for p in record.parameters}
    assert all(p.symbol is not None for p in record.parameters)
    record.evaluate(**params)
    name = next(iter(params))
    with pytest.raises(InputError, match="missing parameter"):
        record.evaluate(**{k: v for k, v in params.items() if k != name})
    with pytest.raises(InputError, match="unknown parameter"):
        record.evaluate(**params, extra=1)


@pytest.mark.parametrize("record_id", IDS)
def test_statement_equals_evaluate_exactly(record_id):
    record = registry.get(record_id)
    params = PARAMETERS[record_id]
    value, stated = record.evaluate(**params), record.statement_value(**params)
    if isinstance(value, sp.MatrixBase):
        assert sp.simplify(sp.Matrix(stated) - value) == sp.zeros(*value.shape)
    else:
        assert sp.simplify(stated - value) == 0


def test_zfb_thm_41_second_part_is_the_value_corner():
    params = PARAMETERS["zfb:thm-4.1"]
    c_star, K_star = field.gradient_flow_limit(**params)
    assert sp.simplify(registry.get("zfb:thm-4.1").statement_value(1, **params) - c_star) == 0
    G = field.optimal_label_preconditioner(params["Lambda"], params["N"])
    assert sp.simplify(c_star * K_star.T - G) == sp.zeros(2, 2)          # the product is the optimum
    assert sp.simplify(c_star ** 2 - (K_star.T * K_star).trace()) == 0     # balanced


@pytest.mark.parametrize("record_id", IDS)
def test_check_passes_and_control_is_rejected(record_id):
    report = run_check(registry.get(record_id), seed=0)
    assert report.prediction.outcome == "pass", report.prediction
    assert report.control.outcome == "fail", report.control


# --- derivations ----------------------------------------------------------------------------------------------------


def test_mahankali_step_and_risk_for_symbolic_d_n_sigma():
    D = field.one_step_derivation()
    assert sp.simplify(D.eta_star - D.n / (D.n + D.d + 1 + D.sigma ** 2)) == 0
    excess = D.d * (D.d + 1 + D.sigma ** 2) / (D.n + D.d + 1 + D.sigma ** 2)
    assert sp.simplify(D.optimal_risk - D.sigma ** 2 - excess) == 0
    # the asymptotic step n/(n + d) is not stationary unless 1 + σ² = 0
    assert sp.simplify(sp.diff(D.risk, D.eta).subs(D.eta, D.n / (D.n + D.d))) != 0


def test_label_prediction_is_read_off_the_block_layer():
    """ŷ = s c hᵀ K x_q for symbolic X (2×3), y, x_q, K, c, masked or not (the query label is 0)."""
    X = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"x{i}{j}"))
    y = sp.Matrix(sp.symbols("y0:3"))
    xq = sp.Matrix(sp.symbols("q0:2"))
    K = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"k{i}{j}"))
    c = sp.Symbol("c")
    E = field.label_embedding(X, y, xq)
    W_PV, W_KQ = field.sparse_label_parameters(c, K)
    h = X * y / 3
    for sign in (1, -1):
        for mask in (False, True):
            y_hat = field.label_prediction(E, W_PV, W_KQ, 3, sign, mask)
            assert sp.expand(y_hat - sign * c * (h.T * K * xq)[0]) == 0


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rational_spd(2))
def test_wu_optimum_with_noise_is_the_printed_formula(H):
    N, sigma2 = 3, R(5, 2)
    solved = field.optimal_label_preconditioner(H, N, sigma2)
    printed = ((1 + R(1, N)) * H + (H.trace() + sigma2) / N * sp.eye(2)).inv()
    assert sp.simplify(solved - printed) == sp.zeros(2, 2)


def test_balanced_flow_is_conserved_for_a_dense_covariance():
    assert field.balanced_flow_drift(sp.Matrix([[1, R(1, 3)], [R(1, 3), R(1, 2)]]), 3) == 0


def test_zfb_flow_from_the_balanced_initialisation_reaches_the_limit():
    """Integrate the derived population flow of (c, K) from ZFB's initialisation (σ_0 = 0.3, ΘΘᵀ/‖ΘΘᵀ‖_F from a
    random M) and land on (c*, K*)."""
    from scipy.integrate import solve_ivp

    Lambda, N = sp.diag(1, R(1, 2)), 4
    c, K = sp.Symbol("c"), sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"k{i}{j}"))
    loss = field.label_risk(c * K.T, Lambda, sp.eye(2), 0, N) / 2
    variables = [c] + list(K)
    flow = sp.lambdify([variables], [-sp.diff(loss, v) for v in variables])
    M = np.random.default_rng(3).standard_normal((2, 2))
    theta = M @ M.T / np.linalg.norm(M @ M.T)
    start = 0.3 * np.concatenate([[1.0], theta.ravel()])
    end = solve_ivp(lambda t, v: flow(v), (0, 200), start, rtol=1e-10, atol=1e-12).y[:, -1]
    c_star, K_star = field.gradient_flow_limit(Lambda, N)
    assert np.allclose(end, [float(c_star)] + [float(x) for x in K_star], atol=1e-6)


def test_thm_42_statement_with_noise_equals_the_derivation_for_symbolic_lengths():
    N, M = sp.symbols("N M", positive=True)
    Lambda, a, sigma = sp.diag(2, R(1, 2)), sp.Matrix([1, -3]), R(2, 3)
    derived = field.label_risk(field.optimal_label_preconditioner(Lambda, N), Lambda, a * a.T, sigma ** 2, M)
    stated = evaluate_at(records._thm_42_statement(), {records.Lambda: Lambda, records.a: a, records.sigma: sigma,
                                                         records.N: N, records.M: M})
    assert sp.simplify(derived - stated) == 0


def test_ahn_layers_are_preconditioned_gd_steps_symbolically():
    X = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"x{i}{j}"))
    w = sp.Matrix(sp.symbols("w0:2"))
    xq = sp.Matrix(sp.symbols("q0:2"))
    A1 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"a{min(i, j)}{max(i, j)}"))
    A2 = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"b{min(i, j)}{max(i, j)}"))
    y = X.T * w
    readouts = field.ahn_readouts(X, y, xq, [A1, A2])
    iterates = field.preconditioned_gd(X, y, [A1, A2])
    for readout, iterate in zip(readouts, iterates):
        assert sp.expand(readout - (xq.T * iterate)[0]) == 0


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="Lambda is not positive semi-definite"):
        field.optimal_label_preconditioner([[1, 2], [2, 1]], 3)
    with pytest.raises(InputError, match="sigma must be"):
        registry.get("mahankali:eta-star").evaluate(d=2, n=3, sigma=-1)
    with pytest.raises(InputError, match="y must be a column"):
        field.preconditioned_gd([[1, 2]], [[1]], [[[1]]])


# --- identities between papers (issue 16, item 8) -------------------------------------------------------------------


@pytest.mark.parametrize("d, n", [(1, 1), (2, 5), (3, 4)])
def test_mahankali_step_is_zfb_gamma_inverse_at_identity(d, n):
    """η*(σ = 0)·I = Γ⁻¹ at Λ = I_d: Γ = (1 + 1/n)I + (d/n)I = ((n + d + 1)/n)I."""
    eta = registry.get("mahankali:eta-star").evaluate(d=d, n=n, sigma=0)
    zfb_gamma_inverse = field.optimal_label_preconditioner(sp.eye(d), n)
    assert zfb_gamma_inverse == eta * sp.eye(d)
    assert eta == R(n, n + d + 1)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rational_spd(2))
def test_javanmard_gamma_is_zfb_gamma_under_the_convention_map(Sigma):
    """w-target, scale 1/n (Javanmard: Ṽ* = −Γ⁻¹ from E‖ŵ − w*‖²) and y-target, scale 1/N (ZFB: G* from E(ŷ − y)²)
    give the same Γ; Ahn et al.'s minus-sign readout gives Q₀ = −Γ⁻¹ = Ṽ*; Wu's Γ* at σ = 0 is the same."""
    n = 3
    javanmard = pretraining.gamma_star(Sigma, n)
    zfb = field.optimal_label_preconditioner(Sigma, n).inv()
    assert sp.simplify(javanmard - zfb) == sp.zeros(2, 2)
    ahn = field.ahn_optimal_key_query(Sigma, n)
    assert sp.simplify(ahn - pretraining.trained_preconditioner(Sigma, n)) == sp.zeros(2, 2)
    wu = registry.get("wu:optimal-gamma").evaluate(H=Sigma, N=n, sigma=0)
    assert sp.simplify(wu.inv() - javanmard) == sp.zeros(2, 2)


def test_mahankali_excess_risk_at_zero_noise_is_the_huang_wang_lee_floor():
    for d, n in ((1, 2), (3, 4), (4, 6)):
        assert field.one_step_risk(d, n, 0) == registry.get("base:no-cot-isotropic-error").evaluate(d=d, n=n)


def test_ahn_layers_are_the_toolkit_cot_steps():
    """Ahn et al.'s L masked layers with A_ℓ = A (y-target, sign −1) read the toolkit's L CoT steps with Ṽ = −A,
    W̃ = I (w-target, 2603.01293 eq. A.1) at the query: −[Z_L]_{d+1,n+1} = ⟨x_q, ŵ_L⟩."""
    X = sp.Matrix([[1, 0, 2, -1], [R(1, 2), -1, 1, 0]])
    w_star, x_q = sp.Matrix([1, -2]), sp.Matrix([R(1, 3), 1])
    A = sp.Matrix([[R(1, 2), R(1, 5)], [R(1, 5), 1]])
    readouts = field.ahn_readouts(X, X.T * w_star, x_q, [A] * 3)
    S, w = X * X.T / X.cols, sp.zeros(2, 1)
    for readout in readouts:
        w = lsa.cot_step(w, w_star, -A, sp.eye(2), S)
        assert sp.simplify(readout - (x_q.T * w)[0]) == 0


def test_label_risk_at_identity_is_the_weight_error():
    """The convention map for the risk: at Λ = I, σ = 0 the y-risk of G is the toolkit's w-error of Ṽ = −G."""
    G = sp.Matrix([[R(1, 2), R(1, 5)], [0, R(2, 3)]])
    assert field.label_risk(G, sp.eye(2), sp.eye(2), 0, 4) == weight_error.one_step_error(-G, sp.eye(2), 4)


def test_fixed_preconditioner_cot_error_tends_to_the_marchenko_pastur_integral():
    """E tr(I − cS)^{2k}/d → ∫(1 − cλ)^{2k} dMP_γ(λ), d/m = γ, with a gap of order 1/d (c fixed, not trained);
    the Wishart-moment engine agrees with the finite-CoT engine at small d."""
    c, gamma = R(1, 3), R(1, 2)
    for k in (1, 2, 3):
        limit = marchenko_pastur.marchenko_pastur_error(c, gamma, k)
        gaps = [marchenko_pastur.isotropic_error(d, 2 * d, c, k) / d - limit for d in (25, 50, 100, 200)]
        assert all(abs(b) < abs(a) for a, b in zip(gaps, gaps[1:]))
        scaled = [g * d for g, d in zip(gaps, (25, 50, 100, 200))]
        assert abs(scaled[-1] - scaled[-2]) <= abs(scaled[1] - scaled[0])    # d·gap converges: order 1/d
    errors = finite_cot.preconditioned_errors(-c * sp.eye(2), sp.eye(2), 4, 3)
    for k in (1, 2, 3):
        assert sp.simplify(errors[k] - marchenko_pastur.isotropic_error(2, 4, c, k)) == 0


def test_fixed_preconditioner_cot_error_on_the_simulated_layer():
    """The simulated CoT rollout at d = 20, m = 40 (γ = 1/2), Ṽ = −cI, k = 2: E‖e_2‖²/d matches the exact value
    (and lies within O(1/d) of the MP integral)."""
    d, m, c, k = 20, 40, R(1, 3), 2
    rng = np.random.default_rng(0)
    V, W = sparse_value_matrix(-float(c) * np.eye(d)), sparse_key_query_matrix(np.eye(d))
    values = np.concatenate([cot_error_basis_average(draw_gram(rng, np.eye(d), m, 200), m, V, W, (k,))[:, 0]
                             for _ in range(5)]) / d
    exact = float(marchenko_pastur.isotropic_error(d, m, c, k)) / d
    mp = float(marchenko_pastur.marchenko_pastur_error(c, R(1, 2), k))
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(len(values))
    assert abs(exact - mp) < 2 / d


@pytest.mark.parametrize("record_id", IDS)
def test_no_latex_inside_symbol_names(record_id):
    statement = registry.get(record_id).statement()
    names = [s.name for part in (statement if isinstance(statement, list) else [statement])
             for s in part.atoms(sp.Symbol, sp.MatrixSymbol)]
    assert names and not [name for name in names if "\\" in name or "{" in name or "^" in name]


def test_zfb_noiseless_error_in_the_proportional_limit_is_one_over_one_plus_alpha():
    """The ZFB half of issue 16's Lu identity: Λ = I_d/d (Lu et al.'s x ~ N(0, I_d/d)), N = M = αd, G solved for
    symbolic d (G = gI by rotation invariance): the exact error is (d + 1)/((1 + α)d + 1) → 1/(1 + α), the limit of
    Lu et al.'s Result 1 as τ, κ → ∞ at ρ = 0 (anchors.md A.5)."""
    d, alpha, g = sp.symbols("d alpha g", positive=True)
    identity = sp.Identity(d)
    N = alpha * d
    risk = field.label_risk(g * identity, identity / d, identity, 0, N)
    (g_star,) = sp.solve(sp.diff(risk, g), g)
    error = sp.simplify(risk.subs(g, g_star))
    assert sp.simplify(error - (d + 1) / ((1 + alpha) * d + 1)) == 0
    assert sp.limit(error, d, sp.oo) == 1 / (1 + alpha)

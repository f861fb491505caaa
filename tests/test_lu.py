"""lu:result-1 (Lu, Letey, Zavatone-Veth, Maiti, Pehlevan, arXiv 2405.11751): the authors' own implementation (a
stored table of its outputs), the derived Marchenko–Pastur transform, the statement, bad input, the simulated model,
and the identities with Zhang–Frei–Bartlett and Mahankali et al. (anchors.md §A.5, issue 16 items 6 and 8); the
simulation against its plain definition is tests/test_lu_simulation.py."""

import csv
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from derivations import field, lu, registry
from derivations.notation import evaluate_at
from icl_errors import InputError
from verify.lu_quantities import ReducedAttentionTestError

R = sp.Rational
REFERENCE = Path(__file__).resolve().parent / "data" / "lu_result1_reference.csv"
PARAMETERS = {"lu:result-1": {"tau": 3, "alpha": 2, "rho": R(1, 10), "kappa": 2}}
RECORD = registry.get("lu:result-1")


def _reference_rows() -> list[dict[str, float]]:
    lines = [line for line in REFERENCE.read_text().splitlines() if not line.startswith("#")]
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(lines)]


def test_the_reference_table_names_its_source_and_spans_both_branches():
    header = REFERENCE.read_text()
    assert "Pehlevan-Group/icl-asymptotic" in header and "1252a4ffb1d39db55b00c924129c8285b73adfe2" in header
    assert "e_ICL_theory" in header
    rows = _reference_rows()
    assert len(rows) >= 30
    assert sum(r["tau"] < 1 for r in rows) >= 10 and sum(r["tau"] > 1 for r in rows) >= 10
    assert {r["rho"] for r in rows} == {0.0, 0.1, 1.0}


def test_evaluate_agrees_with_the_authors_implementation():
    """The authors' float64 code, run once (tests/data header): agreement to 1e-9 relative (measured 1.1e-15)."""
    worst = max(abs(float(RECORD.evaluate(tau=r["tau"], alpha=r["alpha"], rho=r["rho"], kappa=r["kappa"]))
                    - r["e_icl"]) / abs(r["e_icl"]) for r in _reference_rows())
    assert worst < 1e-9, worst


def test_evaluate_returns_an_mpf_with_stable_digits():
    value = RECORD.evaluate(**PARAMETERS["lu:result-1"])
    assert isinstance(value, mpmath.mpf)
    exact = lu.icl_error_exact(3, 2, R(1, 10), 2)
    assert abs(value - mpmath.mpf(str(exact.evalf(60)))) < mpmath.mpf(10) ** -15 * abs(value)


def test_the_transform_is_the_positive_root_of_the_marchenko_pastur_equation():
    x, kappa = lu.x_, lu.kappa_
    root = lu.stieltjes_root()
    assert sp.simplify(lu.stieltjes_equation(root, x, kappa)) == 0
    authors = 2 / ((x + 1 - 1 / kappa) + sp.sqrt((x + 1 - 1 / kappa) ** 2 + 4 * x / kappa))
    for xv, kv in [(R(1, 3), R(1, 2)), (2, 5), (R(11, 10), 1), (7, R(1, 9))]:
        value = root.subs({x: xv, kappa: kv})
        assert value > 0
        assert abs(sp.N(value - authors.subs({x: xv, kappa: kv}), 30)) < 1e-25


def test_the_transform_is_the_resolvent_trace_of_a_sampled_task_covariance():
    """M_κ(x) ≈ (1/d) tr(R + xI)⁻¹, R = (1/k) Σ w_j w_jᵀ, k = κd (d = 400: fluctuations and bias O(1/d))."""
    rng = np.random.default_rng(2405)
    d = 400
    for x, kappa in [(0.55, 2), (1.5, 0.5), (0.3, 1)]:
        W = rng.standard_normal((int(kappa * d), d))
        eigenvalues = np.linalg.eigvalsh(W.T @ W / len(W))
        sampled = np.mean(1 / (eigenvalues + x))
        assert sampled == pytest.approx(float(lu.stieltjes_transform(sp.nsimplify(x), sp.nsimplify(kappa))), rel=0.01)


@pytest.mark.parametrize("params", [dict(tau=3, alpha=2, rho=R(1, 10), kappa=2),
                                    dict(tau=R(1, 2), alpha=1, rho=1, kappa=R(3, 2)),
                                    dict(tau=R(3, 2), alpha=R(1, 2), rho=0, kappa=10),
                                    dict(tau=R(9, 10), alpha=5, rho=0, kappa=R(1, 2))])
def test_the_statement_evaluates_to_evaluate(params):
    stated = sp.N(RECORD.statement_value(**params), 30)
    value = RECORD.evaluate(**params)
    assert abs(float(stated) - float(value)) <= 1e-12 * abs(float(value))


def test_the_definitions_and_the_transform_equation_hold_at_the_check_setting():
    """Parts 1-4 define x*, m*, μ*, k*; part 5 is the transform's self-consistent equation (its left side vanishes)."""
    params = PARAMETERS["lu:result-1"]
    x_star = R(11, 20)
    m_star = lu.stieltjes_transform(x_star, 2)
    expected = [x_star, m_star, x_star * lu.stieltjes_transform(x_star, R(2, 3)), lu.task_factor(2, m_star)]
    for part, value in enumerate(expected, start=1):
        assert abs(sp.N(RECORD.statement_value(part, **params) - value, 30)) < 1e-25
    equation = RECORD.statement()[5]
    x = [s for s in equation.lhs.free_symbols if s.name == "x"][0]
    left = evaluate_at(equation.lhs, {x: R(7, 3), sp.Symbol("kappa", positive=True): 2})
    assert abs(sp.N(left, 30)) < 1e-25


def test_tau_one_is_refused_as_the_divergence():
    with pytest.raises(InputError, match="diverges"):
        RECORD.evaluate(tau=1, alpha=2, rho=0, kappa=1)
    with pytest.raises(InputError, match="diverges"):
        RECORD.evaluate(tau=1.0, alpha=2, rho=0, kappa=1)


@pytest.mark.parametrize("name, value", [("tau", 0), ("tau", -2), ("alpha", 0), ("alpha", -1), ("kappa", 0),
                                         ("rho", -R(1, 10)), ("tau", float("nan")), ("alpha", float("inf")),
                                         ("kappa", "x"), ("rho", None), ("tau", sp.I + 2), ("kappa", sp.Symbol("k")),
                                         ("alpha", sp.oo), ("rho", True)])
def test_bad_input_is_an_input_error_naming_the_parameter(name, value):
    params = dict(PARAMETERS["lu:result-1"], **{name: value})
    with pytest.raises(InputError, match=name):
        RECORD.evaluate(**params)


def test_both_sides_of_the_peak_grow_towards_tau_one():
    below = [float(RECORD.evaluate(tau=1 - R(1, 10 ** j), alpha=2, rho=R(1, 10), kappa=2)) for j in (1, 2, 3)]
    above = [float(RECORD.evaluate(tau=1 + R(1, 10 ** j), alpha=2, rho=R(1, 10), kappa=2)) for j in (1, 2, 3)]
    assert below[0] < below[1] < below[2] and above[0] < above[1] < above[2] and min(below[2], above[2]) > 50


def test_the_large_tau_kappa_limit_is_x_over_one_plus_x_plus_rho():
    """Derived: as κ → ∞ then τ → ∞ the τ > 1 branch tends to x*/(1 + x*) + ρ; at ρ = 0, x* = 1/α: 1/(1 + α)."""
    tau, y, epsilon, rho, alpha = sp.symbols("tau y epsilon rho alpha", positive=True)
    x = y - 1            # y = 1 + x* > 0 lets SymPy take √((1 + x)²) = 1 + x; ε = 1/κ
    m = lu.stieltjes_transform(x, 1 / epsilon)
    assert sp.simplify(sp.limit(m, epsilon, 0) - 1 / (1 + x)) == 0
    error = lu.error_above_threshold(tau, x, rho, m, lu.task_factor(1 / epsilon, m))
    limit = sp.limit(sp.limit(error, tau, sp.oo), epsilon, 0)
    assert sp.simplify(limit - (x / (1 + x) + rho)) == 0
    x = sp.Symbol("x", positive=True)
    limit = limit.subs(y, 1 + x)
    assert sp.simplify(limit.subs({x: 1 / alpha, rho: 0}) - 1 / (1 + alpha)) == 0
    far = RECORD.evaluate(tau=10 ** 9, alpha=R(5, 2), rho=R(1, 2), kappa=10 ** 9)
    x_star = R(3, 2) / R(5, 2)
    assert float(far) == pytest.approx(float(x_star / (1 + x_star) + R(1, 2)), rel=1e-6)


def test_at_rho_zero_the_limit_is_zfb_noiseless_error_in_the_proportional_limit():
    """zfb:noiseless-error at Λ = I/d, N = M = αd equals Mahankali et al.'s derived isotropic risk divided by d
    (exactly, d = 1, 2, 3); that risk, derived for symbolic d, tends to 1/(1 + α) as d → ∞, which is Result 1's
    τ, κ → ∞ limit at ρ = 0; the gap to lu:result-1 at large τ, κ shrinks like 1/d."""
    zfb = registry.get("zfb:noiseless-error")
    D = field.one_step_derivation()
    alpha = 2
    for d in (1, 2, 3):
        exact = zfb.evaluate(Lambda=sp.eye(d) / d, N=alpha * d, M=alpha * d)
        assert sp.simplify(exact - D.optimal_risk.subs({D.d: d, D.n: alpha * d, D.sigma: 0}) / d) == 0
    a = sp.Symbol("alpha", positive=True)
    per_dimension = D.optimal_risk.subs({D.n: a * D.d, D.sigma: 0}) / D.d
    assert sp.simplify(sp.limit(per_dimension, D.d, sp.oo) - 1 / (1 + a)) == 0
    lu_limit = float(RECORD.evaluate(tau=10 ** 9, alpha=alpha, rho=0, kappa=10 ** 9))
    assert lu_limit == pytest.approx(1 / (1 + alpha), rel=1e-6)
    gaps = [abs(float(per_dimension.subs({a: alpha, D.d: d})) - lu_limit) for d in (10, 100, 1000)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3 and gaps[0] / gaps[2] == pytest.approx(100, rel=0.1)


def test_the_negative_control_is_far_from_the_prediction_and_so_is_the_other_branch():
    expected = float(RECORD.check.expected())
    control = float(RECORD.check.control.expected())
    assert abs(control - expected) > 1.5 * RECORD.check.tolerance
    other_branch = lu.error_below_threshold(3, lu.noise_load(2, R(1, 10)), R(1, 10),
                                            lu.noise_load(2, R(1, 10)) * lu.stieltjes_transform(R(11, 20), R(2, 3)))
    assert float(other_branch) < 0 < expected


def test_the_simulated_model_refuses_bad_sizes():
    with pytest.raises(InputError, match="limit"):
        ReducedAttentionTestError(d=60, ell=10, k=10, contexts=10, rho=0.0, test_prompts=10)
    with pytest.raises(InputError, match="rho"):
        ReducedAttentionTestError(d=4, ell=10, k=10, contexts=10, rho=-1.0, test_prompts=10)


def test_a_small_simulation_lands_near_the_finite_size_trend():
    """d = 8 at the check's setting: the measured finite-size mean 1.047 ± 0.008 (400 rows; the
    faster simulation of the same model: 1.039 ± 0.007), far above the control."""
    quantity = ReducedAttentionTestError(d=8, ell=16, k=16, contexts=192, rho=0.1, test_prompts=1_000)
    values = quantity.draw(np.random.default_rng(11), 40)[:, 0]
    assert values.mean() == pytest.approx(1.047, abs=6 * values.std(ddof=1) / np.sqrt(40))
    assert values.mean() - 6 * values.std(ddof=1) / np.sqrt(40) > float(RECORD.check.expected())

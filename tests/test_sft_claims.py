"""The SFT data-scaling claims of 2603.01293 (§4 rows 3–6): derivations.sft_claims, verify.sft_experiments, the records
of derivations/records/synergy_sft_claims.py and the figures of icl_theory/figures/synergy_sft.py."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derivations import registry, sft_claims
from derivations import sft_asymptotics as S
from derivations.records import synergy_sft_claims as records
from derivations.weight_error import one_step_error
from icl_errors import InputError
from verify.runner import run_check
from verify.sft_experiments import SFTArmsError
from verify.statistics import FAIL, PASS

R = sp.Rational
INTERFERENCE = dict(mu1=R(1, 2), rho=R(1, 10), eta=R(1, 5), r=R(1, 100), gamma=R(1, 10))
IDS = [record.id for record in records.RECORDS]
SETTINGS = {
    "synergy:claim-dilution": INTERFERENCE,
    "synergy:claim-few-sft-help": INTERFERENCE,
    "synergy:claim-double-descent": dict(records._DD, B=13),
    "synergy:claim-optimal-length": records._LEN[0].limit_parameters,
}


def close(a, b, rel=1e-12) -> bool:
    a, b = mp.mpf(sp.N(a, 40)), mp.mpf(sp.N(b, 40))
    return abs(a - b) <= rel * max(1, abs(b))


# --- records: parameters, statements ---------------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", IDS)
def test_evaluate_takes_exactly_the_declared_parameters(record_id):
    record = registry.get(record_id)
    setting = SETTINGS[record_id]
    assert {p.name for p in record.parameters} == set(setting)
    assert all(p.symbol is not None for p in record.parameters)
    record.evaluate(**setting)
    first = record.parameters[0].name
    with pytest.raises(InputError, match="missing parameter"):
        record.evaluate(**{k: v for k, v in setting.items() if k != first})
    with pytest.raises(InputError, match="unknown parameter"):
        record.evaluate(**setting, not_a_parameter=1)


@pytest.mark.parametrize("record_id", ["synergy:claim-dilution", "synergy:claim-few-sft-help"])
@pytest.mark.parametrize("point", [INTERFERENCE, dict(mu1=R(3, 10), rho=R(2), eta=R(1, 2), r=R(1, 20), gamma=R(1, 3))])
def test_exact_statements_equal_evaluate_exactly(record_id, point):
    record = registry.get(record_id)
    value = record.evaluate(**point)
    assert value.is_Rational
    assert sp.nsimplify(record.statement_value(**point)) == value


@pytest.mark.parametrize("B", [1, 2, 4, 6, 7, 8, 9, 10, 13, 16, 32])
def test_double_descent_statement_equals_evaluate(B):
    record = registry.get("synergy:claim-double-descent")
    setting = {**records._DD, "B": B}
    value = record.evaluate(**setting)
    stated = record.statement_value(**setting)
    assert (value == sp.oo and stated == sp.oo) if B in (7, 8, 9) else sp.simplify(stated - value) == 0


@pytest.mark.parametrize("values", [records._LEN[0].limit_parameters, records._LEN[2].limit_parameters,
                                    {**records._LEN[1].limit_parameters, "beta": R(2)},
                                    {**INTERFERENCE, "beta": R(7, 10)}])
def test_optimal_length_statement_equals_evaluate(values):
    record = registry.get("synergy:claim-optimal-length")
    assert close(record.statement_value(**values), record.evaluate(**values))


def test_statement_names_hold_no_latex():
    for record in records.RECORDS:
        parts = record.statement()
        for part in parts if isinstance(parts, (list, tuple)) else [parts]:
            assert not any("\\" in str(symbol) for symbol in part.free_symbols), part


# --- exact helpers ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [R(1, 100), R(3, 10), R(9, 10)])
def test_closed_form_q_is_the_solved_q(beta):
    root = sft_claims.positive_q_root()
    values = dict(zip(S.PARAMETERS, (R(1, 2), R(1, 10), R(1, 5), R(1, 100), R(1, 10))))
    exact = sp.N(root.subs({**values, S.beta: beta}), 40)
    assert close(exact, S.solve_q(beta, R(1, 2), R(1, 10), R(1, 5), R(1, 100), R(1, 10)), 1e-30)


@pytest.mark.parametrize("point", [(R(1, 2), R(1, 10), R(1, 5), R(1, 100), R(1, 10)), (R(1, 5), R(3), R(1), R(2), R(4)),
                                   (R(4, 5), R(1, 3), R(1, 7), R(1, 9), R(5, 2))])
def test_slope_block_form_is_the_derived_slope(point):
    """The statement's first-order-in-q block form equals (dF/dq)/(dβ/dq) at q = 0 of the derived β < 1 branch."""
    values = dict(zip(records.LIMIT_PARAMETERS, point))
    stated = registry.get("synergy:claim-few-sft-help").statement_value(**{p.name: v for p, v in values.items()})
    assert sp.nsimplify(stated) == sp.nsimplify(S.slope_at_zero_expression().subs(dict(zip(S.PARAMETERS, point))))


def test_region_of_prop_b2_iii_at_small_r_and_gamma():
    """F′(0) changes sign at μ₁ = ρ²/(1 + ρ²) as r, γ → 0; at the check's r, γ the boundary sits slightly above."""
    rho = R(1, 2)                                   # threshold 1/5
    tiny = (R(1, 10 ** 5), R(1, 10 ** 5))
    assert S.slope_at_zero(R(1, 5) + R(1, 50), rho, R(1, 5), *tiny) < 0
    assert S.slope_at_zero(R(1, 5) - R(1, 50), rho, R(1, 5), *tiny) > 0
    assert S.slope_at_zero(R(3, 10), rho, R(1, 5), R(1, 100), R(1, 10)) < 0
    assert S.slope_at_zero(R(1, 5), rho, R(1, 5), R(1, 100), R(1, 10)) > 0
    # outside the region a few SFT prompts hurt (the derivation's example)
    outside = (R(1, 2), R(2), R(1, 5), R(1, 100), R(1, 10))
    assert S.slope_at_zero(*outside) > 0 and S.sft_limit(R(1, 10), *outside) > S.pretrained_limit(*outside)


def test_dilution_needs_small_r():
    small, large = INTERFERENCE, dict(INTERFERENCE, r=R(1, 10), gamma=R(3, 5))
    dilution = registry.get("synergy:claim-dilution")
    assert dilution.evaluate(**small) > 0 > dilution.evaluate(**large)
    values = tuple(small.values())
    curve = {b: S.sft_limit(b, *values) for b in (R(1, 10), R(2, 5), R(41, 100), R(42, 100), R(1, 2), R(3, 2))}
    assert min(curve, key=curve.get) == R(41, 100) and curve[R(41, 100)] < S.pretrained_limit(*values)


def test_dilution_leading_term_in_r():
    """r²(F(↑∞) − F(0)) → η²μ₂(1 + γΣ̄) as r → 0 (Proposition B.2 (ii))."""
    difference = S.large_beta_form()[0] - S.pretrained_error_expression()
    point = {S.mu1: R(1, 2), S.rho: R(1, 10), S.eta: R(1, 5), S.gamma: R(1, 10)}
    limit = sp.limit(sp.cancel((S.r ** 2 * difference).subs(point)), S.r, 0)
    Sigma_bar = R(1, 2) * R(11, 10) + R(1, 2)
    assert limit == R(1, 25) * R(1, 2) * (1 + R(1, 10) * Sigma_bar)


def test_noise_free_error_is_the_one_step_error_of_the_minimiser_averaged_over_tasks():
    """Monte Carlo over Ω of the exact one-step error (5.1) at Ṽ* built from Φ = AΩ matches the closed form."""
    d, m, rho, eta, n, B = 6, 3, R(1, 10), R(1, 5), 8, 8
    Sigma0, Sigma, A = sft_claims.noise_free_setting(d, m, rho, eta)
    G = np.array((-sp.Matrix(Sigma0) * (1 + R(1, n)) - Sigma0.trace() / n * sp.eye(d)).inv().evalf(), dtype=float)
    A_ = np.array(A.evalf(), dtype=float)
    v = sp.MatrixSymbol("v", d, d)
    error = sp.lambdify(v, one_step_error(sp.Matrix(v), Sigma, n), "numpy")
    rng = np.random.default_rng(0)
    values = []
    for _ in range(4000):
        Omega = rng.standard_normal((d, B))
        Phi = A_ @ Omega
        pinv = np.linalg.pinv(Phi)
        V = -float(eta) * Omega @ pinv + G @ (np.eye(d) - Phi @ pinv)
        values.append(error(V) / d)
    expected = float(sft_claims.noise_free_sft_error(d, m, rho, eta, n, B))
    assert abs(np.mean(values) - expected) < 4 * np.std(values) / np.sqrt(len(values))


def test_inverse_wishart_trace_and_poles():
    assert sft_claims.inverse_wishart_trace(4, 8) == R(4, 3)
    assert sft_claims.inverse_wishart_trace(20, 8) == R(8, 11)
    assert all(sft_claims.inverse_wishart_trace(B, 8) == sp.oo for B in (7, 8, 9))
    assert sft_claims.noise_free_sft_error(16, 8, R(1, 10), R(1, 5), 32, 8) == sp.oo
    with pytest.raises(InputError):
        sft_claims.noise_free_setting(4, 4, R(1, 10), R(1, 5))
    with pytest.raises(InputError):
        sft_claims.noise_free_sft_error(16, 8, R(1, 10), R(1, 5), 32, 0)


def test_double_descent_shape():
    """Up towards B = m, a pole there, down after; the control's pole sits at d instead."""
    error = {B: sft_claims.noise_free_sft_error(**records._DD, B=B) for B in range(2, 40)}
    assert error[6] > error[4] and error[10] > error[12] > error[16] > error[32]
    assert [B for B, e in error.items() if e == sp.oo] == [7, 8, 9]
    control = [B for B in range(2, 40) if sft_claims.noise_free_sft_error(**records._DD, B=B, pole_at=16) == sp.oo]
    assert control == [15, 16, 17]


# --- checks ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", IDS)
def test_control_lies_outside_the_tolerance(record_id):
    check = registry.get(record_id).check
    gap = max(abs(float(a) - float(b)) for a, b in zip(check.expected(), check.control.expected()))
    assert gap > 2 * check.tolerance       # as tests/test_registry.py demands of every record


@pytest.mark.parametrize("record_id", IDS)
def test_check_passes_and_rejects_its_control(record_id):
    report = run_check(registry.get(record_id), seed=0)
    assert report.prediction.outcome == PASS and report.control.outcome == FAIL, report


# --- the quantity ----------------------------------------------------------------------------------------------------

def test_arms_quantity_rows_and_validation():
    d = 6
    Sigma, A = np.diag([2.0] * 3 + [1.0] * 3), np.diag([0.5] * 3 + [0.0] * 3)
    V = -np.eye(d) / 2
    setting = dict(Sigma=Sigma, A=A, V_pres=(V, V, V), eta=0.5, Bs=(0, 2, 12), sft_lengths=(10, 10, 10),
                   test_lengths=(8, 8, 8), test_prompts=4)
    quantity = SFTArmsError(**setting).resolved()
    rows = quantity.draw(np.random.default_rng(0), 3)
    assert rows.shape == (3, 3) and np.all(np.isfinite(rows)) and np.all(rows > 0)
    assert quantity.draws_per_unit == 14 + 12
    for bad in (dict(solution="closed-form"), dict(Bs=(0, 2)), dict(Bs=(0, -1, 2)), dict(test_prompts=0)):
        with pytest.raises(InputError):
            SFTArmsError(**{**setting, **bad})


def test_pretrained_arm_is_the_pretrained_error():
    """B = 0 runs no SFT: its rows estimate the one-step error (5.1) of V_pre (a check the formula could fail)."""
    Sigma, V = sp.diag(2, 1), sp.diag(R(-1, 2), R(-1, 3))
    quantity = SFTArmsError(Sigma=Sigma, A=sp.eye(2), V_pres=(V,), eta=0.5, Bs=(0,), sft_lengths=(5,),
                            test_lengths=(5,), test_prompts=2000).resolved()
    rows = quantity.draw(np.random.default_rng(3), 20)
    expected = float(one_step_error(V, Sigma, 5)) / 2
    assert abs(rows.mean() - expected) < 4 * rows.std() / np.sqrt(len(rows)) + 1e-3


# --- figures ---------------------------------------------------------------------------------------------------------

def test_figures_write_their_data_and_pictures(tmp_path, monkeypatch):
    from icl_theory.figures import figures
    from icl_theory.figures import synergy_sft as figure

    monkeypatch.setattr(figure, "RUNS", 2)
    monkeypatch.setattr(figure, "RANK_SIMULATED", (3, 20))
    monkeypatch.setattr(figure, "RANK_CURVE", (2, 8, 20))
    monkeypatch.setattr(figure, "LIMIT_SIMULATED", (R(1, 5), R(2)))
    monkeypatch.setattr(figure, "LIMIT_CURVE", (R(0), R(1, 2), R(2)))
    monkeypatch.setattr(figure, "LENGTH_BETAS", (R(3, 10),))
    monkeypatch.setattr(figure, "LENGTH_CURVE", (R(1, 5), R(1)))
    monkeypatch.setattr(figure, "LENGTH_SIMULATED", (R(1), R(1, 2)))
    available = figures()
    first = available["synergy-fig1-double-descent"](tmp_path)
    second = available["synergy-fig2-length"](tmp_path)
    for paths in (first, second):
        assert [p.suffix for p in paths] == [".csv", ".png"] and all(p.stat().st_size > 0 for p in paths)
    assert len(first[0].read_text().splitlines()) == 1 + 3 + 2 + 3 + 2 + 2
    assert len(second[0].read_text().splitlines()) == 1 + 2 + 2

"""Theorem B.1 (corrected) and Proposition B.2 of arXiv 2603.01293: derivations.sft_asymptotics and the records of
derivations/records/synergy_asymptotics.py."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, strategies as st

from derivations import registry
from derivations import sft_asymptotics as S
from derivations.records import synergy_asymptotics as records
from icl_errors import InputError
from verify.sft_proportional import ProportionalSFTError

R = sp.Rational
POINT = (R(1, 2), R(1, 10), R(1, 2), R(1, 10), R(1))           # (μ₁, ρ, η, r, γ) of the thm-B.1 check
PAPER = (R(1, 2), R(1, 10), R(1, 5), R(1, 10), R(1))           # the paper's Fig. 5 setting (γ = d/n = 1)
FULL = mp.mpf(10) ** (-(S.PRECISION - 5))

fractions = st.fractions(min_value=R(1, 20), max_value=R(19, 20), max_denominator=40)
positive = st.fractions(min_value=R(1, 50), max_value=3, max_denominator=50)
etas = st.fractions(min_value=R(1, 20), max_value=1, max_denominator=40)


@pytest.fixture(autouse=True)
def working_precision():
    """Compare the 40-digit results at 40 digits (mpmath's precision is global; restored after each test)."""
    with mp.workdps(S.PRECISION):
        yield


def params(mu1, rho, eta, r, gamma):
    return tuple(sp.Rational(x.numerator, x.denominator) for x in (mu1, rho, eta, r, gamma))


# --- q and Lemma C.1 -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [R(1, 1000), R(3, 10), R(7, 10), R(999, 1000)])
def test_q_solves_its_equation_to_full_precision(beta):
    q = S.solve_q(beta, *POINT)
    mu1, rho, eta, r, _ = POINT
    a = (eta * (rho + 1), r)
    with mp.workdps(S.PRECISION + 10):
        mu = (mp.mpf(mu1.p) / mu1.q, 1 - mp.mpf(mu1.p) / mu1.q)
        a = tuple(mp.mpf(x.p) / x.q for x in a)
        lhs = sum(mu[k] * a[k] ** 2 * q / (1 + a[k] ** 2 * q) for k in range(2))
        assert abs(lhs - mp.mpf(beta.p) / beta.q) < FULL
    # two blocks: the equation is a quadratic in q; its positive root is the same number
    x = sp.Symbol("x", positive=True)
    a_exact = (eta * (rho + 1), r)
    equation = sp.numer(sp.together(sum(m * ak ** 2 * x / (1 + ak ** 2 * x)
                                        for m, ak in zip((mu1, 1 - mu1), a_exact)) - beta))
    roots = [root for root in sp.Poly(equation, x).nroots(n=S.PRECISION) if root > 0]
    with mp.workdps(S.PRECISION):
        assert len(roots) == 1 and abs(q - mp.mpf(str(roots[0]))) < FULL * max(1, q)


def test_q_is_zero_at_beta_zero_and_undefined_beyond_one():
    assert S.solve_q(0, *POINT) == 0
    with pytest.raises(InputError):
        S.solve_q(2, *POINT)


@given(beta=st.fractions(min_value=0, max_value=R(99, 100), max_denominator=100), mu1=fractions, rho=positive,
       eta=etas, r=positive, gamma=positive)
def test_lemma_c1_sum_of_w_is_min_beta_one(beta, mu1, rho, eta, r, gamma):
    terms = S.limit_terms(R(beta.numerator, beta.denominator), *params(mu1, rho, eta, r, gamma))
    mu = float(mu1)
    assert abs(mu * terms["w_1"] + (1 - mu) * terms["w_2"] - float(beta)) < 1e-12


@given(beta=st.fractions(min_value=R(101, 100), max_value=50, max_denominator=100), mu1=fractions, rho=positive,
       eta=etas, r=positive, gamma=positive)
def test_beta_above_one_branch_and_printed_equals_corrected(beta, mu1, rho, eta, r, gamma):
    b = R(beta.numerator, beta.denominator)
    p = params(mu1, rho, eta, r, gamma)
    terms = S.limit_terms(b, *p)
    assert terms["w_1"] == terms["w_2"] == 1 and terms["T12"] == 0
    assert abs(terms["F"] - S.printed_limit(b, *p)) < FULL * terms["F"]
    # Proposition B.2 (i): F = C₁ + C₂/(β − 1) with C₂ > 0
    C1, C2 = S.floor_limit(*p), S.blow_up_coefficient(*p)
    assert C2 > 0
    with mp.workdps(S.PRECISION):
        assert abs(terms["F"] - (C1 + C2 / (mp.mpf(beta.numerator) / beta.denominator - 1))) < FULL * terms["F"]


# --- the derivation agrees with the paper's lemmas, and the printed T_var does not ---------------------------

def test_block_values_match_the_printed_ones():
    b = S.block_values()
    kappa = S.gamma * (S.mu1 * S.rho + 1 - S.mu1)
    printed = {"alpha": ((kappa - 1) / (S.rho + kappa), kappa / (kappa + 1)),
               "delta_tilde": ((1 - kappa) / ((S.rho + kappa) * (S.rho + 1)), 1 / (1 + kappa) - S.eta / S.r),
               "g": (-1 / (S.rho + kappa), -1 / (1 + kappa))}
    for name, values in printed.items():
        assert all(sp.simplify(x - y) == 0 for x, y in zip(getattr(b, name), values)), name
    assert sp.simplify(b.delta[0] + b.alpha[0]) == 0                       # δ₁ = −α₁
    assert sp.simplify(b.kappa - kappa) == 0


def test_resolvent_traces_are_lemmas_c1_c2_and_the_printed_t_inv():
    t = S.resolvent_traces()
    a, Sig, mu1, q = S._a, S._Sigma, S.mu1, S.q
    mu = (mu1, 1 - mu1)
    w = [a[k] ** 2 * q / (1 + a[k] ** 2 * q) for k in range(2)]
    v = [w[k] * (1 - w[k]) for k in range(2)]
    assert all(sp.simplify(t.w[k] - w[k]) == 0 for k in range(2))
    assert sp.simplify(t.T12 - mu[0] * mu[1] * v[0] * v[1] / (mu[0] * v[0] + mu[1] * v[1])) == 0
    for power, derived in ((2, t.T_inv), (1, t.T_inv_Sigma)):
        printed = (q * sum(mu[k] * Sig[k] ** power * w[k] ** 2 / a[k] ** 2 for k in range(2))
                   / sum(mu[k] * w[k] ** 2 / a[k] ** 2 for k in range(2)))
        assert sp.simplify(derived - printed) == 0
    assert sp.simplify(S.overdetermined_v() - (S.beta - 1)) == 0


def test_correction_is_the_stated_difference_of_cross_terms():
    beta = R(3, 10)
    terms = S.limit_terms(beta, *POINT)
    blocks = S.block_values(*POINT)
    dt = [S.to_mpf(x) for x in blocks.delta_tilde]
    s = [S.to_mpf(x) for x in blocks.s]
    Sig = [S.to_mpf(x) for x in blocks.Sigma]
    gamma, Sigma_bar = S.to_mpf(POINT[-1]), S.to_mpf(blocks.Sigma_bar)
    T12 = terms["T12"]
    extra_var = T12 * (dt[0] - dt[1]) * (dt[0] * s[1] - dt[1] * s[0])
    extra_var_Sigma = T12 * (dt[0] - dt[1]) * (dt[0] * Sig[1] - dt[1] * Sig[0])
    printed = S.printed_limit(beta, *POINT)
    gap = (gamma * terms["T_inv"] * extra_var + gamma * Sigma_bar * extra_var_Sigma
           + gamma ** 2 * Sigma_bar * terms["T_inv_Sigma"] * extra_var)
    assert abs(terms["F"] - printed - gap) < FULL * terms["F"]
    assert (terms["F"] - printed) / terms["F"] > 0.25                   # the printed form is 27 % low here


@pytest.mark.parametrize("beta", [R(1, 10), R(1, 2), R(9, 10)])
def test_printed_and_corrected_agree_when_the_cross_terms_vanish(beta):
    # with δ̃₁ = δ̃₂ both cross-terms vanish: r chosen so that 1/(1 + κ) − η/r = (1 − κ)/((ρ + κ)(ρ + 1))
    mu1, rho, eta, gamma = R(1, 2), R(1, 10), R(1, 5), R(2)
    kappa = gamma * (mu1 * rho + 1 - mu1)
    r = eta / (1 / (1 + kappa) - (1 - kappa) / ((rho + kappa) * (rho + 1)))
    assert r > 0
    assert abs(S.sft_limit(beta, mu1, rho, eta, r, gamma) - S.printed_limit(beta, mu1, rho, eta, r, gamma)) < FULL * 100


def test_paper_values_at_beta_above_one():
    # the note's [C] table: F(3) = 6.03 at the paper's setting (γ = 1)
    assert abs(S.sft_limit(3, *PAPER) - mp.mpf("6.031322314049587")) < 1e-12


# --- Proposition B.2 -------------------------------------------------------------------------------------------

def test_prop_b2_i_blow_up_at_one_and_floor_at_infinity():
    for side in (R(1, 10 ** 8), -R(1, 10 ** 8)):
        assert S.sft_limit(1 + side, *POINT) > 10 ** 6
    with pytest.raises(InputError):
        S.sft_limit(1, *POINT)
    C1 = S.floor_limit(*POINT)
    assert abs(S.sft_limit(10 ** 30, *POINT) - C1) < 1e-25
    mu1, rho, eta, r, gamma = POINT
    Sigma_bar = mu1 * (rho + 1) + 1 - mu1
    evaluated = (1 - mu1) * (1 - eta / r) ** 2 + gamma * Sigma_bar * (mu1 / (rho + 1) + (1 - mu1) * eta ** 2 / r ** 2)
    assert abs(C1 - S.to_mpf(evaluated)) < FULL * C1
    betas = [R(11, 10), R(3, 2), R(2), R(5), R(50)]
    values = [S.sft_limit(b, *POINT) for b in betas]
    assert all(x > y for x, y in zip(values, values[1:]))


def test_prop_b2_ii_zero_is_the_pretrained_error_and_small_r_puts_the_minimum_below_one():
    for p in (POINT, PAPER, (R(3, 10), R(1, 5), R(1, 2), R(1, 20), R(1, 2))):
        F0 = S.pretrained_limit(*p)
        assert abs(S.sft_limit(0, *p) - F0) < FULL * F0
        assert abs(S.sft_limit(R(1, 10 ** 20), *p) - F0) < 1e-15
    small_r = (R(1, 2), R(1, 10), R(1, 5), R(1, 100), R(1, 10))
    assert S.floor_limit(*small_r) > S.pretrained_limit(*small_r)
    grid = [R(j, 100) for j in range(0, 100)]
    values = [S.sft_limit(b, *small_r) for b in grid]
    best = min(values)
    assert 0 < values.index(best) < 100 and best < S.floor_limit(*small_r)
    # F(↑∞) − F(0) = (η²/r²)μ₂(1 + γΣ̄) + O(1/r)
    mu1, rho, eta, gamma = R(1, 2), R(1, 10), R(1, 5), R(1, 2)
    Sigma_bar = mu1 * (rho + 1) + 1 - mu1
    for r in (R(1, 10 ** 4), R(1, 10 ** 6)):
        p = (mu1, rho, eta, r, gamma)
        scaled = (S.floor_limit(*p) - S.pretrained_limit(*p)) * S.to_mpf(r) ** 2
        assert abs(scaled - S.to_mpf(eta ** 2 * (1 - mu1) * (1 + gamma * Sigma_bar))) < 50 * S.to_mpf(r)


def test_prop_b2_iii_slope_at_zero():
    p = (R(1, 2), R(1, 10), R(1, 5), R(1, 10), R(1))
    h = mp.mpf(10) ** -20
    with mp.workdps(S.PRECISION):
        finite_difference = (S.sft_limit(R(1, 10 ** 20), *p) - S.sft_limit(0, *p)) / h
    assert abs(S.slope_at_zero(*p) - finite_difference) < 1e-12
    # small r and γ: the slope tends to −1/ρ² + μ₂/μ₁, negative iff μ₁ > ρ²/(1 + ρ²)
    rho = R(1, 2)
    threshold = rho ** 2 / (1 + rho ** 2)
    for mu1, sign in ((threshold + R(1, 20), -1), (threshold - R(1, 20), 1)):
        slope = S.slope_at_zero(mu1, rho, R(1, 2), R(1, 10 ** 5), R(1, 10 ** 5))
        assert abs(slope - S.to_mpf(-1 / rho ** 2 + (1 - mu1) / mu1)) < 1e-2
        assert mp.sign(slope) == sign


def test_prop_b2_iii_bias_slope_limit_small_r():
    blocks = S.block_values()
    limit = sp.limit(S.bias_slope_at_zero_expression(), S.r, 0)
    assert sp.simplify(limit - (-blocks.alpha[0] ** 2 + (1 - S.mu1) / S.mu1)) == 0


# --- inputs ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [dict(beta=1), dict(beta=-1), dict(mu1=1), dict(mu1=0), dict(eta=R(3, 2)),
                                 dict(r=-1), dict(gamma=0), dict(rho="x")])
def test_bad_input_raises(bad):
    values = dict(zip(("beta", "mu1", "rho", "eta", "r", "gamma"), (R(1, 2), *POINT)))
    values.update(bad)
    with pytest.raises(InputError):
        S.sft_limit(*values.values())


# --- records -------------------------------------------------------------------------------------------------

IDS = ("synergy:thm-B.1", "synergy:prop-B.2", "synergy:claim-first-order")


def check_values(record_id):
    return {"synergy:thm-B.1": records._B1, "synergy:prop-B.2": records._B2,
            "synergy:claim-first-order": records._FO}[record_id].limit_parameters


@pytest.mark.parametrize("record_id", IDS)
def test_evaluate_with_declared_parameters(record_id):
    record = registry.get(record_id)
    value = record.evaluate(**check_values(record_id))
    assert mp.isfinite(value) and value > 0
    with pytest.raises(InputError):
        record.evaluate(**{k: v for k, v in check_values(record_id).items() if k != "gamma"})
    with pytest.raises(InputError):
        record.evaluate(**check_values(record_id), n=3)


def resolve(statement_part, equations, values):
    """The statement's expression with the parameters substituted, definitions expanded and q solved from the
    statement's own β equation."""
    definitions = {eq.lhs: eq.rhs for eq in equations
                   if isinstance(eq, records.Equation) and isinstance(eq.lhs, sp.Symbol) and eq.lhs != records.beta}
    expr = statement_part
    for _ in range(20):
        expr = expr.xreplace(definitions).xreplace(values)
        if not (expr.free_symbols & set(definitions)):
            break
    if records.q in expr.free_symbols:
        beta_equation = next(eq for eq in equations if isinstance(eq, records.Equation) and eq.lhs == records.beta)
        f = beta_equation.rhs
        for _ in range(20):
            f = f.xreplace(definitions).xreplace(values)
        root = sp.nsolve(f - values[records.beta], records.q, (0, 10 ** 8), solver="bisect", prec=S.PRECISION)
        expr = expr.xreplace({records.q: root})
    return sp.N(expr, S.PRECISION)


def _symbols(record_values):
    return {p.symbol: v for p, v in zip(records.PARAMETERS, record_values.values())}


@pytest.mark.parametrize("values", [records._B1.limit_parameters, records._FO.limit_parameters,
                                    {**records._B1.limit_parameters, "beta": R(2)}])
def test_theorem_b1_statement_equals_evaluate(values):
    record = registry.get("synergy:thm-B.1")
    statement = record.statement()
    value = resolve(statement[0].rhs, statement, _symbols(values))
    assert abs(mp.mpf(str(value)) - record.evaluate(**values)) < 1e-12 * abs(value)


def test_prop_b2_statement_equals_evaluate():
    record = registry.get("synergy:prop-B.2")
    statement = record.statement()
    values = records._B2.limit_parameters
    value = resolve(statement[0].rhs, statement, _symbols(values))
    assert abs(mp.mpf(str(value)) - record.evaluate(**values)) < 1e-12 * abs(value)
    F0 = resolve(statement[5].rhs, statement, _symbols(values))
    assert abs(mp.mpf(str(F0)) - S.pretrained_limit(*list(values.values())[1:])) < 1e-12 * abs(F0)
    with pytest.raises(InputError):
        record.evaluate(**{**values, "beta": R(1, 2)})


def test_claim_first_order_evaluates_the_theorem():
    values = records._FO.limit_parameters
    assert registry.get("synergy:claim-first-order").evaluate(**values) == \
        registry.get("synergy:thm-B.1").evaluate(**values)
    assert all(isinstance(part, sp.Basic) for part in registry.get("synergy:claim-first-order").statement())


def test_check_settings_can_fail_and_the_control_is_outside_the_tolerance():
    b1 = registry.get("synergy:thm-B.1").check
    assert abs(b1.expected() - b1.control.expected()) > 3 * b1.tolerance
    b2 = registry.get("synergy:prop-B.2").check
    assert abs(b2.expected() - b2.control.expected()) > 3 * b2.tolerance


# --- the simulated quantity --------------------------------------------------------------------------------------

def test_quantity_rows_and_validation():
    d = 8
    setting = dict(Sigma=np.diag([2.0] * 4 + [1.0] * 4), A=np.diag([0.5] * 4 + [0.1] * 4),
                   V_pre=-np.eye(d) / 2, eta=0.5, B=4, m=16, test_prompts=5)
    quantity = ProportionalSFTError(**setting, solutions=("first-order", "minimiser")).resolved()
    rows = quantity.draw(np.random.default_rng(0), 3)
    assert rows.shape == (3, 2) and np.all(np.isfinite(rows)) and np.all(rows > 0)
    assert quantity.draws_per_unit == 9
    with pytest.raises(InputError):
        ProportionalSFTError(**setting, solutions=("closed-form",))
    # with noiseless features (m huge) the first-order and exact solutions coincide
    exact = ProportionalSFTError(**{**setting, "m": 20_000, "test_prompts": 2},
                                 solutions=("first-order", "minimiser")).resolved()
    rows = exact.draw(np.random.default_rng(1), 1)
    assert abs(rows[0, 0] - rows[0, 1]) < 0.05 * rows[0, 0]


def test_figure_writes_its_data_and_picture(tmp_path, monkeypatch):
    from icl_theory.figures import figures
    from icl_theory.figures import synergy_asymptotics as figure

    monkeypatch.setattr(figure, "RUNS", 2)
    monkeypatch.setattr(figure, "SIMULATED_BETAS", (R(3, 10), R(2)))
    monkeypatch.setattr(figure, "CURVE_BETAS", (R(0), R(1, 2), R(3, 2)))
    paths = figures()["synergy-fig5-limit"](tmp_path)
    assert [p.suffix for p in paths] == [".csv", ".png"] and all(p.stat().st_size > 0 for p in paths)
    assert len(paths[0].read_text().splitlines()) == 1 + 3 + 2

"""The outcome-supervision claims of 2603.01293 (latent capability, longer OS CoT, OS data): the exact helpers of
derivations.os_claims, the simulated experiments of verify.os_experiments, and the three records."""

import numpy as np
import pytest
import sympy as sp

from derivations import os_claims, outcome
from derivations.records import synergy_os_claims as records_module
from derivations.weight_error import one_step_error
from icl_errors import InputError
from verify.os_experiments import OSArm, OSPostTestError, train_and_test, train_runs
from verify.runner import run_check
from verify.statistics import FAIL, PASS

R = sp.Rational
RECORDS = {record.id: record for record in records_module.RECORDS}
IDS = ("synergy:claim-latent-capability", "synergy:claim-os-longer-k-hurts", "synergy:claim-os-data")
PARAMETERS = {
    "synergy:claim-latent-capability": records_module._LC,
    "synergy:claim-os-longer-k-hurts": dict(records_module._KH, k=2),
    "synergy:claim-os-data": dict(Sigma=records_module._DATA_SIGMA, n=20, B=64),
}


# --- exact helpers -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3])
def test_diagonal_polynomial_equals_the_engine_off_the_grid(k):
    A = sp.diag(1, R(3, 2))
    poly = os_claims.diagonal_population_error(A, 7, k)
    for v in ((R(-1, 3), R(-5, 7)), (R(2, 9), R(-11, 4))):
        assert poly.eval(dict(zip(poly.gens, v))) == outcome.population_os_error(sp.diag(*v), A, 7, k)


def test_gradient_at_a_diagonal_point_is_diagonal():
    """The sign symmetry that keeps GD on the diagonal (exact population gradient)."""
    G = outcome.population_os_gradient(sp.diag(R(-1, 2), R(-3, 4)), sp.diag(1, R(1, 2)), 6, 2)
    assert G[0, 1] == 0 and G[1, 0] == 0 and G[0, 0] != 0


def test_post_test_error_is_the_one_step_error():
    V = [R(-1, 2), R(-2, 5)]
    assert os_claims.post_test_error(V, sp.diag(1, 2), 9) == one_step_error(sp.diag(*V), sp.diag(1, 2), 9)


def test_population_gd_descends_and_k1_converges_to_the_pretraining_solution():
    Sigma = sp.diag(1, 2)
    run = os_claims.population_gd(Sigma, 20, 1, os_claims.pretrained_init(sp.eye(2), 50), R(1, 5), 200)
    assert run.diverged_at is None and all(a >= b for a, b in zip(run.losses, run.losses[1:]))
    optimum = os_claims.trained_preconditioner(Sigma, 20).diagonal()
    assert max(abs(float(a - b)) for a, b in zip(run.v, optimum)) < 1e-12


def test_population_gd_reports_divergence():
    run = os_claims.population_gd(sp.diag(1, 3), 20, 3, os_claims.pretrained_init(sp.eye(2), 50), R(1, 20), 40)
    assert run.diverged_at == 1


def test_finite_b_coefficient_at_the_check_settings():
    c = os_claims.finite_b_coefficient(sp.diag(1, 2), 20)
    assert c.is_Rational and abs(float(c) - 1.2053780864) < 1e-9
    C = os_claims.gradient_second_moment(os_claims.trained_preconditioner(sp.diag(1, 2), 20), sp.diag(1, 2), 20)
    assert C == C.T


def test_latent_capability_transitions():
    Delta = sp.diag(0, 1)
    assert outcome.spectral_radius(outcome.pretrained_transition(sp.eye(2), 50, Delta)) == R(47, 53)
    assert outcome.spectral_radius(outcome.pretrained_transition(sp.diag(1, R(1, 10)), 50, Delta)) > 7
    assert os_claims.stability_step(sp.eye(2), Delta, 50, 20, 2) == R(1, 58)
    assert os_claims.stability_step(sp.diag(1, R(1, 10)), Delta, 50, 20, 2) == R(1, 855)


def test_rejects_bad_input():
    with pytest.raises(InputError, match="diagonal"):
        os_claims.diagonal_population_error(sp.Matrix([[1, R(1, 2)], [R(1, 2), 1]]), 5, 1)
    with pytest.raises(InputError, match="step must be positive"):
        os_claims.population_gd(sp.eye(2), 5, 1, [-1, -1], -1, 3)
    with pytest.raises(InputError, match="V_init must be a diagonal"):
        os_claims.population_gd(sp.eye(2), 5, 1, sp.Matrix([[-1, 1], [0, -1]]), R(1, 10), 3)


# --- the simulator -------------------------------------------------------------------------------------------------

def test_online_training_converges_and_detects_divergence():
    rng = np.random.default_rng(0)
    calm = train_runs(rng, OSArm(np.diag([1.0, 2.0]), -np.eye(2) / 2, 20, 64, 1, 0.2, 40, fresh=True), 3)
    assert np.all(calm.finished)
    np.testing.assert_allclose(np.diagonal(calm.V_tilde, axis1=1, axis2=2),
                               [[-1 / 1.2, -1 / 2.25]] * 3, atol=0.05)   # −Γ_20⁻¹ on diag(1, 2)
    wild = train_runs(rng, OSArm(np.diag([1.0, 2.0]), -np.eye(2) / 2, 20, 64, 3, 10.0, 20, fresh=True), 3)
    assert not np.any(wild.finished)


def test_quantity_rows_and_draw_count():
    arm = OSArm(np.eye(2), -np.eye(2) / 2, 10, 8, 1, 0.2, 5)
    online = OSArm(np.eye(2), -np.eye(2) / 2, 10, 8, 2, 0.05, 5, fresh=True)
    q = OSPostTestError((arm, online), test_prompts=50)
    rows = q.resolved().draw(np.random.default_rng(1), 3)
    assert rows.shape == (3, 4) and set(rows[:, 0]) == {1.0}
    assert q.draws_per_unit == 8 + 8 * 5
    assert train_and_test(np.random.default_rng(2), OSArm(np.eye(2), -np.eye(2), 10, 8, 3, 1e6, 5), 0, 10) == (0, 0)


# --- the records ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", IDS)
def test_evaluate_takes_exactly_the_declared_parameters(record_id):
    record = RECORDS[record_id]
    params = PARAMETERS[record_id]
    assert {p.name for p in record.parameters} == set(params)
    assert all(p.symbol is not None for p in record.parameters)
    record.evaluate(**params)
    with pytest.raises(InputError, match="missing"):
        record.evaluate(**{key: value for key, value in list(params.items())[1:]})


@pytest.mark.parametrize("record_id", IDS)
def test_statement_value_equals_evaluate(record_id):
    record = RECORDS[record_id]
    params = PARAMETERS[record_id]
    assert record.statement_value(**params) == record.evaluate(**params)
    assert record.latex


def test_latent_capability_radii_in_the_statement():
    record = RECORDS["synergy:claim-latent-capability"]
    radii = record.statement_value(1, **records_module._LC)
    assert radii[0] == R(47, 53) and radii[0] < 1 < 7 < radii[1]


@pytest.mark.parametrize("record_id", IDS)
def test_record_checks_pass_and_reject_their_controls(record_id):
    report = run_check(RECORDS[record_id], seed=1)
    assert report.prediction.outcome == PASS, report.prediction.summary()
    assert report.control.outcome == FAIL, report.control.summary()

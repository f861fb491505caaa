"""The Front-Loading Reasoning findings in the linear model: exact helpers (derivations.frontload), the simulated
pipeline (verify.frontload_experiments) and the records ``frontload:claim-*``."""

import numpy as np
import pytest
import sympy as sp

from derivations import frontload as fl
from derivations.pretraining import trained_preconditioner
from derivations.records import frontload as records_module
from derivations.weight_error import one_step_error
from icl_errors import InputError
from verify.frontload_experiments import PipelineContrast, draw_sft, fine_tune
from verify.runner import run_check
from verify.sampling import covariance_root
from verify.statistics import FAIL, PASS

R = sp.Rational
RECORDS = {record.id: record for record in records_module.RECORDS}
_ADV = dict(Sigma0_base=records_module._BASE, Sigma0_reason=records_module._SIGMA, n0=20, Sigma=records_module._SIGMA,
            n_test=20, Pi=fl.covered_projector(6, (0, 1)))
PARAMETERS = {
    "frontload:claim-reasoning-pretraining": _ADV,
    "frontload:claim-pretraining-diversity": dict(
        {key: value for key, value in _ADV.items() if key != "Pi"}, Sigma0_reason=records_module._SINGLE,
        P_U=fl.covered_projector(6, range(4)), c=1),
    "frontload:claim-latent-effect": dict(_ADV, Sigma0_base=records_module._MIX, Sigma0_reason=records_module._SHIFTED),
    "frontload:claim-naive-sft-scaling": dict(_ADV, Pi=sp.eye(6)),
    "frontload:claim-redundancy": dict(_ADV, Sigma0_reason=records_module._REDUNDANT),
    "frontload:claim-rl-compounding": dict(records_module._RL, k=2, steps=10),
}


# --- exact helpers -------------------------------------------------------------------------------------------------

def _random_rational(rng: np.random.Generator, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda r, c: R(int(rng.integers(-9, 10)), int(rng.integers(1, 8))))


def test_sft_estimate_cancels_when_sigma_commutes_with_the_projector():
    """X(N, P) = 0 for N = NΠ, P = Q(I − Π) and ΣΠ = ΠΣ: the identity every advantage record rests on."""
    rng = np.random.default_rng(3)
    Pi = fl.covered_projector(4, (0, 1))
    Sigma = sp.diag(R(3, 2), R(3, 2), 1, R(1, 3))
    N = _random_rational(rng, 4, 4) * Pi
    P = _random_rational(rng, 4, 4) * (sp.eye(4) - Pi)
    assert fl.cross_term(N, P, Sigma, 7) == 0


def test_sft_estimate_does_not_cancel_when_sigma_is_not_scalar_on_the_span():
    """The negative case: Σ not commuting with Π leaves a cross term (the identity needs its assumption)."""
    rng = np.random.default_rng(4)
    Pi = fl.covered_projector(3, (0,))
    Sigma = sp.Matrix([[2, R(1, 2), 0], [R(1, 2), 1, 0], [0, 0, 1]])
    N = _random_rational(rng, 3, 3) * Pi
    P = _random_rational(rng, 3, 3) * (sp.eye(3) - Pi)
    assert fl.cross_term(N, P, Sigma, 7) != 0


def test_advantage_depends_on_the_projector_only_through_its_rank_inside_an_isotropic_block():
    Sigma0_b, Sigma0_r, Sigma = sp.diag(R(1, 4), R(1, 4), 1), sp.diag(R(5, 4), R(5, 4), 1), sp.diag(R(5, 4), R(5, 4), 1)
    diagonal = fl.covered_projector(3, (0,))
    rotated = sp.Matrix([[R(1, 2), R(1, 2), 0], [R(1, 2), R(1, 2), 0], [0, 0, 0]])
    assert (fl.advantage_after_sft(Sigma0_b, Sigma0_r, 10, Sigma, 10, diagonal)
            == fl.advantage_after_sft(Sigma0_b, Sigma0_r, 10, Sigma, 10, rotated))


def test_advantage_is_the_sum_over_uncovered_directions_and_zero_under_full_coverage():
    base, reason, Sigma = records_module._BASE, records_module._SIGMA, records_module._SIGMA
    per_direction = fl.advantage_by_direction(base, reason, 20, Sigma, 20)
    for covered in ((), (0,), (0, 1, 4)):
        expected = sum(a for j, a in enumerate(per_direction) if j not in covered)
        assert fl.advantage_after_sft(base, reason, 20, Sigma, 20, fl.covered_projector(6, covered)) == expected
    assert fl.advantage_after_sft(base, reason, 20, Sigma, 20, sp.eye(6)) == 0


def test_before_sft_the_advantage_is_the_difference_of_pretrained_errors():
    base, reason, Sigma = records_module._BASE, records_module._HALF, records_module._SIGMA
    assert fl.advantage_after_sft(base, reason, 20, Sigma, 20, sp.zeros(6, 6)) == (
        fl.pretrained_error(base, 20, Sigma, 20) - fl.pretrained_error(reason, 20, Sigma, 20))


def test_expected_advantage_over_a_random_span_is_the_basis_average():
    """E_Π Adv(Π) for a Haar rank-1 Π in U equals the average over any orthonormal basis of U (Adv is affine in Π),
    also for a pretrained Γ that is not scalar on U."""
    single = records_module._SINGLE
    basis = [sp.Matrix([1, 2, 2, 0, 0, 0]) / 3, sp.Matrix([2, 1, -2, 0, 0, 0]) / 3, sp.Matrix([2, -2, 1, 0, 0, 0]) / 3,
             sp.Matrix([0, 0, 0, 1, 0, 0])]
    base, Sigma = records_module._BASE, records_module._SIGMA
    average = sum(fl.advantage_after_sft(base, single, 20, Sigma, 20, v * v.T) for v in basis) / 4
    assert average == fl.expected_advantage_random_span(base, single, 20, Sigma, 20, fl.covered_projector(6, range(4)),
                                                        1)
    with pytest.raises(InputError):      # Σ not scalar on the subspace
        fl.expected_advantage_random_span(base, single, 20, sp.diag(2, 1, 1, 1, 1, 1), 20,
                                          fl.covered_projector(6, range(4)), 1)


def test_direction_errors_sum_to_the_one_step_error():
    V = [R(-1, 2), R(-3, 4), R(-1, 5)]
    Sigma = sp.diag(1, R(1, 2), 2)
    assert sum(fl.direction_errors(V, Sigma, 5)) == one_step_error(sp.diag(*V), Sigma, 5)


@pytest.mark.parametrize("call", [
    lambda: fl.covered_projector(3, (0, 3)),
    lambda: fl.covered_projector(3, (1, 1)),
    lambda: fl.retained_block(sp.eye(2), 5, sp.Matrix([[1, 1], [0, 0]])),
    lambda: fl.direction_errors([1, 2], sp.Matrix([[1, R(1, 2)], [R(1, 2), 1]]), 5),
])
def test_bad_input_raises_input_error(call):
    with pytest.raises(InputError):
        call()


# --- the simulated pipeline ---------------------------------------------------------------------------------------

def test_fine_tune_keeps_the_pretrained_block_off_the_span_of_the_sft_data():
    """GD updates lie in the row space of Φᵀ: Ṽ(I − Π) = Ṽ_0(I − Π) exactly (here Π = e₀e₀ᵀ, A of rank 1)."""
    rng = np.random.default_rng(0)
    inits = [np.array(trained_preconditioner(S, 10).evalf(), dtype=float) for S in (sp.diag(R(1, 4), 1), sp.eye(2))]
    trained = fine_tune([draw_sft(rng, covariance_root(np.diag([0.5, 0.0])), 10, 3, 0.5, 1)], np.array(inits))[0]
    for V, V0 in zip(trained, inits):
        assert np.allclose(V[:, 1], V0[:, 1], atol=1e-12)
    assert np.allclose(trained[0][:, 0], trained[1][:, 0], atol=1e-8)     # the span part forgets the init


def test_pipeline_contrast_shapes_and_validation():
    inits = (sp.diag(-1, -1), sp.diag(R(-1, 2), -1))
    q = PipelineContrast(inits=inits, arms=((sp.diag(1, 0), 0), (sp.diag(1, 0), 2)), n=5, eta=0.5, k=1,
                         Sigma_test=sp.eye(2), n_test=5, test_prompts=10).resolved()
    assert q.draw(np.random.default_rng(1), 3).shape == (3, 2)
    raw = PipelineContrast(inits=inits, arms=((sp.diag(1, 0), 2),), n=5, eta=0.5, k=1, Sigma_test=sp.eye(2),
                           n_test=5, test_prompts=10, contrast=False).resolved()
    assert raw.draw(np.random.default_rng(1), 2).shape == (2, 2)
    with pytest.raises(InputError):
        PipelineContrast(inits=inits[:1], arms=((sp.eye(2), 1),), n=5, eta=0.5, k=1, Sigma_test=sp.eye(2),
                         n_test=5).resolved().draw(np.random.default_rng(0), 1)


# --- records --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", sorted(PARAMETERS))
def test_evaluate_accepts_exactly_the_declared_parameters(record_id):
    record = RECORDS[record_id]
    assert {p.name for p in record.parameters} == set(PARAMETERS[record_id])
    record.evaluate(**PARAMETERS[record_id])
    with pytest.raises(InputError):
        record.evaluate(**PARAMETERS[record_id], extra=1)


@pytest.mark.parametrize("record_id", sorted(PARAMETERS))
def test_statement_value_equals_evaluate(record_id):
    record = RECORDS[record_id]
    value = record.evaluate(**PARAMETERS[record_id])
    stated = record.statement_value(**PARAMETERS[record_id])
    if isinstance(value, sp.MatrixBase):
        assert [float(x) for x in stated] == pytest.approx([float(x) for x in value], abs=1e-25)
    else:
        assert sp.simplify(stated - value) == 0


def test_expected_values_are_the_verdicts_stated_in_the_derivations():
    f1 = records_module._f1_expected()
    assert all(a > b for a, b in zip(f1[0:6:2], f1[2:8:2])) and f1[6] > 0 and f1[4] > 10   # shrinks, not to 0 at B=2
    pre_a, pre_b, post_a, post_b = records_module._f3_expected()
    assert post_a < pre_a and pre_b == 0 and post_b > 9                  # (a) not reproduced, (b) latent effect
    assert records_module._f4_expected()[2] == 0
    f2 = records_module._f2_expected()
    assert all(f2[i] > f2[i + 1] for i in (0, 2, 4))                    # diverse > single at every B
    pair = [records_module._expected_advantage(records_module._BASE, records_module._PAIR, 20, records_module._SIGMA,
                                               20, fl.covered_projector(6, range(4)), c) for c in (0, 1, 2)]
    assert all(f2[2 * j] > pair[j] > f2[2 * j + 1] for j in range(3))
    rl = records_module._rl_expected()
    assert rl[1] > rl[3] and rl[4] == 0 and rl[6] == 1                    # k = 2: baseline diverges


@pytest.mark.parametrize("record_id", sorted(RECORDS))
def test_check_passes_and_rejects_its_control(record_id):
    report = run_check(RECORDS[record_id], seed=0)
    assert report.prediction.outcome == PASS, report.prediction.summary()
    assert report.control.outcome == FAIL, report.control.summary()

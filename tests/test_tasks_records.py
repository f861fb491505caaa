"""The tts task records: exact evaluation, bad input, Monte Carlo checks passing with their controls rejected."""

import numpy as np
import pytest
import sympy as sp

from derivations import registry
from derivations.task_selection import power_law_spectrum
from icl_errors import InputError
from verify.runner import run_check
from verify.quantities import CotWeightError, PromptGroup, TrainingGradient

R = sp.Rational
IDS = ("tts:def-hardness", "tts:multitask-optimum", "tts:prop-4.3", "tts:claim-3")


def test_records_are_registered_with_latex():
    for rid in IDS:
        record = registry.get(rid)
        assert record.latex and record.derivation and record.check.control.description


def test_hardness_record_evaluates_exactly():
    record = registry.get("tts:def-hardness")
    limit = record.evaluate(Lambda=sp.diag(1, R(1, 2), R(1, 10)), n=20, m=sp.oo)
    # (1 + n/(1 + trΛ/λ_j))^-2 with trΛ = 8/5: λ = 1/10 gives 1/(1 + 20/17)^2 = 289/1369
    assert limit[2] == R(289, 1369)
    with pytest.raises(InputError, match="diagonal"):
        record.evaluate(Lambda=[[1, R(1, 2)], [R(1, 2), 1]], n=5, m=5)


def test_multitask_record_evaluates_exactly_and_rejects_bad_input():
    record = registry.get("tts:multitask-optimum")
    V = record.evaluate(Lambdas=[sp.eye(2), 2 * sp.eye(2)], ns=[4, 4], weights=[R(1, 2), R(1, 2)])
    # isotropic: Λ̄ = 3/2, M̄ = ½[(5/4 + 2/4) + (5/4·4 + 4·2/4)] = 35/8·½... computed: V = −Λ̄/M̄
    mean, second = R(3, 2), R(1, 2) * ((1 + R(1, 4)) + R(2, 4)) + R(1, 2) * ((1 + R(1, 4)) * 4 + 2 * R(4, 4))
    assert V == -mean / second * sp.eye(2)
    with pytest.raises(InputError, match="same length"):
        record.evaluate(Lambdas=[sp.eye(2)], ns=[4, 5], weights=[1])


def test_selection_records_evaluate():
    Sigma = power_law_spectrum(R(3, 5))
    selection = registry.get("tts:prop-4.3").evaluate(Sigma=Sigma, k=1)
    assert selection.true_hard_mass > 0.5 and abs(float(selection.qp_hard_mass) - 0.6709) < 1e-4
    assert isinstance(selection.qp_hard_mass, sp.Rational)
    assert selection.true_value < selection.constrained_value
    errors = registry.get("tts:claim-3").evaluate(Sigma=Sigma, m=sp.oo, k=3)
    assert errors[0] < errors[1] < errors[2]
    with pytest.raises(InputError, match="k ≤ 2"):
        registry.get("tts:claim-3").evaluate(Sigma=Sigma, m=50, k=3)
    with pytest.raises(InputError, match="d = 5"):
        registry.get("tts:prop-4.3").evaluate(Sigma=sp.eye(3), k=1)


@pytest.mark.parametrize("rid", IDS)
def test_check_passes_and_control_is_rejected(rid):
    report = run_check(registry.get(rid), seed=1)
    assert report.prediction.outcome == "pass", report.prediction.summary()
    assert report.control.outcome == "fail", report.control.summary()


def test_samplers_reject_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="probability vector"):
        TrainingGradient((np.eye(2),) * 2, (3, 3), np.zeros((2, 2)), (0.7, 0.7)).draw(rng, 10)
    with pytest.raises(InputError, match="V_tilde must be a non-empty square matrix"):
        CotWeightError(np.eye(2), (PromptGroup(3, (np.zeros((2, 2, 2)),)),)).draw(rng, 10)


def test_models_test_error_uses_common_prompts():
    rng = np.random.default_rng(0)
    V = -0.5 * np.eye(2)
    values = CotWeightError(np.eye(2), (PromptGroup(4, (V, V), (2,)),)).draw(rng, 50)
    assert values.shape == (50, 2) and np.array_equal(values[:, 0], values[:, 1])

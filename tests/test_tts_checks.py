"""The tts:* records' checks on the simulated LSA (prediction passes, negative control rejected) and their samplers."""

import numpy as np
import pytest

from derivations.records import tts
from icl_errors import InputError
from verify.quantities import (CotWeightError, PromptGroup, PseudoNewtonRollout, SGDTrainedPreconditioner,
                               exact_covariance_prompts)
from verify.runner import run_check
from verify.statistics import FAIL, PASS, as_mpf_vector

RECORD = {r.id: r for r in tts.RECORDS}


@pytest.mark.parametrize("record_id", list(RECORD))
def test_check_passes_and_rejects_its_negative_control(record_id):
    report = run_check(RECORD[record_id], seed=1)
    assert report.prediction.outcome == PASS, report.prediction.summary()
    assert report.control.outcome == FAIL, report.control.summary()


@pytest.mark.parametrize("record_id", [r.id for r in tts.RECORDS if hasattr(r.check, "tolerance")])
def test_negative_controls_lie_beyond_twice_the_tolerance(record_id):
    check = RECORD[record_id].check
    gap = max(abs(float(a - b)) for a, b in zip(as_mpf_vector(check.control.expected()), as_mpf_vector(check.expected())))
    assert gap > 2 * check.tolerance


def test_claim_1_prediction_trades_steps_for_context():
    values = [float(v) for v in RECORD["tts:claim-1"].check.expected()]
    n10, n30 = values[:4], values[4:]
    assert n10[1] < n30[0]                                   # n = 10 with 2 steps beats n = 30 with 1
    assert all(a > b for a, b in zip(n10, n10[1:]))          # and more steps keep helping (matched covariance)


def test_claim_2_prediction_falls_then_rises_and_larger_n_is_worse():
    values = np.array([float(v) for v in RECORD["tts:claim-2"].check.expected()]).reshape(3, 4)  # n = 8, 10, 11
    assert np.all(np.diff(values[0]) < 0)                   # n = 8: no overthinking
    assert values[1, 1] < values[1, 0] and values[1, 3] > values[1, 1]  # n = 10: falls, then rises
    assert np.all(values[2] > values[1]) and np.all(values[1, 2:] > values[0, 2:])


def test_rem_41_simulation_tells_the_exact_error_from_the_printed_trace():
    check = RECORD["tts:rem-4.1"].check
    exact = np.array([float(v) for v in check.expected()])
    printed = np.array([float(v) for v in check.control.expected()])
    assert np.all(printed < exact) and exact[-1] > exact[0]   # a strict lower bound; the error rises with k


# ---------------------------------------------------------------- samplers


def test_exact_covariance_design_has_the_population_second_moment():
    rng = np.random.default_rng(3)
    Sigma = np.array([[2.0, 0.5], [0.5, 1.0]])
    root = np.linalg.cholesky(Sigma)
    X = exact_covariance_prompts(rng, root, 5, 7)
    np.testing.assert_allclose(X @ X.transpose(0, 2, 1) / 5, np.broadcast_to(Sigma, (7, 2, 2)), atol=1e-12)
    assert not np.allclose(X[0], X[1])
    with pytest.raises(InputError, match="m >= d"):
        exact_covariance_prompts(rng, root, 1, 3)


def test_error_curves_order_and_bad_design():
    rng = np.random.default_rng(4)
    quantity = CotWeightError(np.eye(2), (PromptGroup(6, (np.zeros((2, 2)), -0.5 * np.eye(2)), (1, 3)),),
                              design="exact")
    out = quantity.draw(rng, 5)
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out[:, 0], out[:, 1])                 # Ṽ = 0: ŵ_k = 0, error ‖w‖² for every k
    np.testing.assert_allclose(out[:, 3], out[:, 0] * 0.5 ** 6)      # S = I, Ṽ = −I/2: e_k = (1/2)^k w
    with pytest.raises(InputError, match="design"):
        CotWeightError(np.eye(2), quantity.groups, design="uniform")


def test_pseudo_newton_rollout_instance_and_sgd_sampler_input():
    instance, w_hats = PseudoNewtonRollout(d=2, m=3, k=4).instance(np.random.default_rng(5))
    assert w_hats.shape == (4, 2) and np.all(np.linalg.eigvalsh(-instance["V_tilde"]) > 0)
    with pytest.raises(InputError, match="average_from"):
        SGDTrainedPreconditioner(Sigma=np.eye(2), n=3, steps=5, learning_rate=0.1, prompts_per_step=2, average_from=9)


def test_sgd_sampler_rows_are_independent_runs():
    quantity = SGDTrainedPreconditioner(Sigma=np.eye(2), n=5, steps=20, learning_rate=0.3, prompts_per_step=4,
                                        average_from=10)
    assert quantity.draws_per_unit == 80 and quantity.units(161) == 3
    rows = quantity.draw(np.random.default_rng(7), 3)
    assert rows.shape == (3, 4) and not np.allclose(rows[0], rows[1])
    assert np.all(rows[:, [0, 3]] < 0)  # moved from Ṽ = 0 towards −Γ⁻¹

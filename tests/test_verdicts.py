"""The statistical verdict and the runner: three outcomes, honest standard errors, and controls that are rejected."""

import numpy as np
import pytest
import sympy as sp

from derivations import registry
from verify.runner import run_check
from verify.statistics import FAIL, INCONCLUSIVE, PASS, BatchMeans, judge


def test_judge_three_outcomes():
    assert judge(np.array([1.001]), np.array([0.001]), sp.Integer(1), 100, tolerance=0.01).outcome == PASS
    assert judge(np.array([1.1]), np.array([0.001]), sp.Integer(1), 100, tolerance=0.01).outcome == FAIL
    assert judge(np.array([1.001]), np.array([0.1]), sp.Integer(1), 100, tolerance=0.01).outcome == INCONCLUSIVE


def test_judge_uses_exact_prediction_and_bonferroni():
    verdict = judge(np.array([1 / 3, 2 / 3]), np.array([1e-3, 1e-3]), sp.Matrix([sp.Rational(1, 3),
                                                                                sp.Rational(2, 3)]), 10, 0.1)
    assert verdict.outcome == PASS and verdict.z_max < 1e-10
    one = judge(np.array([0.0]), np.array([1.0]), sp.Integer(0), 10, 10.0, alpha=1e-4)
    two = judge(np.array([0.0, 0.0]), np.array([1.0, 1.0]), sp.Matrix([0, 0]), 10, 10.0, alpha=1e-4)
    assert two.z_critical > one.z_critical   # z* = Φ⁻¹(1 − α/(2p)) grows with the number of components p


def test_judge_rejects_mismatched_components():
    with pytest.raises(ValueError, match="prediction has 2 components, the estimate 1"):
        judge(np.array([1.0]), np.array([0.1]), sp.Matrix([1, 2]), 10, 0.1)


def test_batch_means_standard_error_is_calibrated():
    # For i.i.d. N(0, 1) samples split in 40 batches, the batch-means SE of the grand mean ≈ 1/√N.
    rng = np.random.default_rng(np.random.SeedSequence(5))
    accumulator = BatchMeans(1)
    for _ in range(40):
        accumulator.add_batch(rng.standard_normal(2500))
    assert accumulator.count == 100_000
    assert 0.8 < accumulator.standard_error[0] * np.sqrt(100_000) < 1.2


def test_batch_means_refuses_non_finite_samples():
    with pytest.raises(FloatingPointError):
        BatchMeans(1).add_batch(np.array([1.0, np.inf]))


@pytest.mark.parametrize("record_id", ["base:lsa-cot-step", "base:wishart-second-moment", "base:gamma-star",
                                       "base:pretraining-min-error", "base:no-cot-isotropic-error",
                                       "synergy:lem-A.1", "synergy:prop-5.1"])
def test_foundation_checks_pass_and_reject_their_controls(record_id):
    report = run_check(registry.get(record_id), seed=11)
    assert report.prediction.outcome == PASS, report.prediction.summary()
    assert report.control.outcome == FAIL, report.control.summary()
    assert report.passed and report.status == PASS


def test_a_wrong_prediction_fails_the_same_check():
    # Lemma A.1's check with prediction and control swapped: the proof's typo (coefficient 2) as the prediction is
    # rejected by the simulation, and the true statement, now the "control", is not.
    record = registry.get("synergy:lem-A.1")
    check = record.check
    truth = type(check.control)("the statement", expected=check.expected)
    swapped = type(check)(check.quantity, check.control.expected, truth, check.tolerance, check.samples)
    report = run_check(type(record)(**{**record.__dict__, "check": swapped}), seed=11)
    assert report.prediction.outcome == FAIL and report.control.outcome == PASS
    assert not report.passed and report.status == FAIL


def test_samples_sized_from_an_exact_variance_reach_the_tolerance_and_no_more():
    from scipy.stats import norm

    from verify.runner import BATCHES, RESOLUTION_MARGIN, sized_samples

    variance, tolerance, alpha = sp.Rational(4), 0.1, 1e-4
    samples = sized_samples(variance, tolerance, alpha)
    z = norm.isf(alpha / 2)
    assert samples % BATCHES == 0
    assert z * np.sqrt(4 / samples) <= RESOLUTION_MARGIN * tolerance < z * np.sqrt(4 / (samples - BATCHES))
    assert sized_samples(4 * variance, tolerance, alpha) > 3.9 * samples


def test_exact_cot_error_check_is_sized_by_its_exact_variance():
    report = run_check(registry.get("tts:exact-cot-error"), seed=2)
    assert report.prediction.samples == 240_240
    assert report.passed, report.prediction.summary()


def test_summary_of_a_zero_variance_estimate_has_no_division_warning():
    import warnings

    from verify.statistics import Verdict

    verdict = Verdict(FAIL, [1.0, 0.0], [0.0, 0.0], [0.0, 0.0], 200, float("inf"), 3.0, 1e-4, 0.1, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "worst 1 ± 0 vs 0" in verdict.summary()


def test_a_constant_component_is_judged_up_to_round_off_only():
    from verify.statistics import judge

    assert judge([0.5 + 1e-15, 1.0], [0.0, 0.01], [0.5, 1.0], 400, 0.1).outcome == PASS
    assert judge([0.5 + 1e-9, 1.0], [0.0, 0.01], [0.5, 1.0], 400, 0.1).outcome == FAIL


def test_a_diverging_simulation_is_a_failed_check_that_says_so():
    # Ṽ = −10 I on S ≈ I: every CoT step multiplies the error by about −9, so 400 steps overflow float64.
    from dataclasses import replace

    from verify.quantities import CotWeightError

    record = registry.get("synergy:prop-5.1")
    blowing_up = CotWeightError.single(np.eye(2), 50, -10 * np.eye(2), 400)
    check = replace(record.check, quantity=blowing_up, expected=lambda: 1)
    report = run_check(replace(record, check=check), samples=4000, seed=0)
    assert report.prediction.outcome == FAIL and not report.passed
    assert "diverges" in report.prediction.summary() and "column(s) 1" in report.prediction.summary()


def test_a_deterministic_check_whose_output_is_nan_fails():
    # max(0.0, nan) is 0.0: without care a NaN output would count as perfect agreement.
    from dataclasses import replace

    record = registry.get("base:lsa-cot-step")
    quantity = record.check.quantity

    class NaNOutput(type(quantity)):
        def instance(self, rng):
            data, output = super().instance(rng)
            return data, np.full(np.shape(output), np.nan)

    nan_quantity = NaNOutput(**{f: getattr(quantity, f) for f in quantity.__dataclass_fields__})
    report = run_check(replace(record, check=replace(record.check, quantity=nan_quantity)), seed=0)
    assert report.prediction.outcome == FAIL and not report.passed


def test_high_precision_draws_a_hundred_times_the_declared_samples():
    from verify.runner import planned_samples

    record = registry.get("synergy:lem-A.1")
    assert planned_samples(record, precision="high") == 100 * planned_samples(record) == 100 * record.check.samples
    assert planned_samples(record, 5000, precision="high") == 5000          # --samples wins
    assert planned_samples(registry.get("base:lsa-cot-step"), precision="high") is None   # deterministic
    with pytest.raises(Exception, match="precision must be one of"):
        planned_samples(record, precision="extreme")


def test_progress_reports_every_batch_and_leaves_the_numbers_unchanged():
    record = registry.get("synergy:lem-A.1")
    seen = []
    quiet = run_check(record, samples=8000, seed=2).to_dict(timings=False)
    loud = run_check(record, samples=8000, seed=2, progress=lambda *step: seen.append(step)).to_dict(timings=False)
    assert loud == quiet
    assert seen == [("prediction", 4 * i, 40) for i in range(1, 11)]   # its control is a formula: no second run


def test_a_declared_finite_size_allowance_counts_only_the_deviation_beyond_it():
    # lu:result-1 at 100× its rows: 0.754548 ± 0.00098 against the d → ∞ value 0.771806 (measured). Without the
    # allowance the limit is rejected (z 17.6); with the declared 0.025 it passes, and the control is still rejected.
    estimate, se = np.array([0.754548]), np.array([0.00098])
    limit, typo = sp.Float("0.771806"), sp.Float("0.675808")
    assert judge(estimate, se, limit, 12000, 0.035).outcome == FAIL
    assert judge(estimate, se, limit, 12000, 0.035, bias=0.025).outcome == PASS
    rejected = judge(estimate, se, typo, 12000, 0.035, bias=0.025)
    assert rejected.outcome == FAIL and rejected.z_max > 50
    assert "finite-size allowance 0.025" in rejected.summary()

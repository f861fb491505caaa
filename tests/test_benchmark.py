"""benchmarks/run.py times three producers of the same samples: they must agree in law, or the ratios it prints
compare different things. The per-sample loop is the plain definition of the layer, so this is also one more check
of the fast kernel and of the Gram draw against it."""

import numpy as np
import pytest

from benchmarks.run import estimator, loop


@pytest.mark.parametrize("d, m, k", [(2, 3, 1), (3, 5, 3)])
def test_estimator_columns_and_loop_have_the_same_mean(d, m, k):
    samples = {"gram": estimator(d, m, k)(np.random.default_rng(0), 40_000),
               "columns": estimator(d, m, k, sampler="columns")(np.random.default_rng(1), 40_000),
               "averaged": estimator(d, m, k, task_average=True)(np.random.default_rng(2), 40_000),
               "loop": loop(d, m, k)(np.random.default_rng(3), 4_000)}
    means = {name: (float(np.mean(v)), float(np.std(v, ddof=1) / np.sqrt(v.size))) for name, v in samples.items()}
    reference, reference_se = means["loop"]
    for name, (mean, se) in means.items():
        assert abs(mean - reference) < 4.5 * np.hypot(se, reference_se), (name, mean, reference)
    assert means["averaged"][1] < means["gram"][1]     # the average over w* has the smaller standard error

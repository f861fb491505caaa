"""The Dask executor gives the same report, to the bit, as running every batch in this process (LocalCluster)."""

import importlib.util

import pytest

from derivations import registry
from icl_errors import InputError
from verify.executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from verify.runner import run_check

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="dask.distributed is not installed (pip install 'icl-theory[dask]')")


@pytest.fixture(scope="module")
def local_cluster():
    executor = DaskExecutor(workers=2)
    yield executor
    executor.close()


@needs_dask
def test_dask_report_is_identical_to_the_serial_one(local_cluster):
    record = registry.get("synergy:lem-A.1")
    serial = run_check(record, seed=3, executor=SerialExecutor()).to_dict(timings=False)
    on_dask = run_check(record, seed=3, executor=local_cluster).to_dict(timings=False)
    assert on_dask == serial                           # floats compared exactly: the same bits
    assert local_cluster._cluster is not None          # it did run on the LocalCluster


@needs_dask
def test_dask_map_keeps_task_order(local_cluster):
    assert local_cluster.map(abs, range(-20, 0)) == list(range(20, 0, -1))


def test_make_executor_selects_and_rejects():
    assert isinstance(make_executor(1), SerialExecutor)
    assert isinstance(make_executor(2), ProcessExecutor)
    dask_executor = make_executor(1, "dask")
    assert isinstance(dask_executor, DaskExecutor) and dask_executor.workers == 2 and dask_executor.address is None
    assert make_executor(3, "dask", "tcp://10.0.0.1:8786").address == "tcp://10.0.0.1:8786"
    assert dask_executor._client is None               # nothing started (nor dask imported) until the first map
    with pytest.raises(InputError, match="executor must be one of"):
        make_executor(1, "spark")
    with pytest.raises(InputError, match="--scheduler needs --executor dask"):
        make_executor(1, "local", "tcp://10.0.0.1:8786")


@needs_dask
def test_unreachable_scheduler_is_a_one_line_input_error():
    with pytest.raises(InputError, match="cannot reach the Dask scheduler") as error:
        DaskExecutor("tcp://127.0.0.1:9", connect_seconds=1).map(abs, [1])
    assert "\n" not in str(error.value)


# --- sweeps (figures, B-sweeps) through the executor interface --------------------------------------------------------

def _grid():
    """A small grid over (m, k): the ‖ŵ_k − w*‖² family at Σ = diag(1, 1/2), Ṽ = −I/2."""
    import numpy as np

    from verify.quantities import CotWeightError, PromptGroup

    V = -0.5 * np.eye(2)
    return [CotWeightError(np.diag([1.0, 0.5]), (PromptGroup(m, (V,), (1, 2, 3)),)) for m in (8, 16, 32)]


def _numbers(points):
    return [(p.mean.tolist(), p.standard_error.tolist(), p.rows) for p in points]


@needs_dask
def test_a_sweep_gives_the_same_numbers_on_every_executor(local_cluster):
    from verify.sweep import sweep

    serial = _numbers(sweep(_grid(), 400, seed=5, name="grid", executor=SerialExecutor()))
    assert _numbers(sweep(_grid(), 400, seed=5, name="grid", executor=ProcessExecutor(2))) == serial
    assert _numbers(sweep(_grid(), 400, seed=5, name="grid", executor=local_cluster)) == serial
    assert _numbers(sweep(_grid(), 400, seed=6, name="grid")) != serial         # the seed matters
    assert _numbers(sweep(_grid(), 400, seed=5, name="other")) != serial        # so does the sweep's name
    means = [p[0] for p in serial]
    assert all(row[0] > row[1] > row[2] for row in means)                        # a contraction: error falls with k


def test_a_sweep_point_contrast_is_the_difference_of_its_columns():
    import numpy as np

    from verify.sweep import sweep

    point, = sweep(_grid()[:1], 400, seed=5, name="grid")
    difference, se = point.contrast((1, -1, 0))
    assert difference == pytest.approx(point.mean[0] - point.mean[1], rel=1e-12)
    assert 0 < se < np.hypot(*point.standard_error[:2])                        # common draws: the pair is correlated
    with pytest.raises(InputError, match="at least 2 rows"):
        sweep(_grid()[:1], 1, seed=5, name="grid")


def test_the_figures_command_gives_the_same_data_for_any_worker_count(tmp_path, monkeypatch):
    from icl_theory.figures import make_figures
    from icl_theory.figures import synergy_asymptotics as figure

    monkeypatch.setattr(figure, "RUNS", 4)
    monkeypatch.setattr(figure, "SIMULATED_BETAS", (figure.R(1, 2), figure.R(2)))
    monkeypatch.setattr(figure, "CURVE_BETAS", (figure.R(1, 2),))
    monkeypatch.setattr(figure, "D", 12)
    one = make_figures(["synergy-fig5-limit"], tmp_path / "one", SerialExecutor())
    two = make_figures(["synergy-fig5-limit"], tmp_path / "two", ProcessExecutor(2))
    csv = [path for path in one if path.suffix == ".csv"][0]
    assert csv.read_bytes() == (tmp_path / "two" / csv.name).read_bytes()
    assert len(two) == len(one)


@pytest.mark.parametrize("record_id", ["tts:thm-3.3", "tts:thm-3.1", "synergy:claim-os-longer-k-hurts",
                                       "frontload:claim-latent-effect"])
def test_gram_draws_and_batched_training_give_the_same_report_on_any_number_of_processes(record_id):
    """The estimators of issue 18 — the Gram drawn in law with the task averaged, runs trained side by side, OS runs
    trained together, a contrast's models on shared test prompts — draw only from their batch's own stream: the
    report is the same, to the bit, serially and on a 2-process pool."""
    record = registry.get(record_id)
    serial = run_check(record, seed=2, executor=SerialExecutor()).to_dict(timings=False)
    pool = ProcessExecutor(2)
    try:
        assert run_check(record, seed=2, executor=pool).to_dict(timings=False) == serial
    finally:
        pool.close()

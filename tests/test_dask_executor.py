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

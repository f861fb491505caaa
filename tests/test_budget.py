"""The run-time projection (verify.budget.project) of a quantity whose cost is per call, not per row — batched
training handles the rows of one call side by side — is the cost of the calls the run will make, not the cost of
one-row calls times the rows (which refused runs that fit)."""

import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from verify.budget import project
from verify.quantity import Quantity
from verify.runner import BATCHES

CALL_SECONDS = 0.01


@dataclass(frozen=True)
class PerCallCost(Quantity):
    """A call costs CALL_SECONDS whatever its number of rows; one row is one trained model of 100 draws."""

    @property
    def draws_per_unit(self) -> int:
        return 100

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        time.sleep(CALL_SECONDS)
        return np.zeros((batch, 1))


def record_of(quantity: Quantity) -> SimpleNamespace:
    return SimpleNamespace(id="test:per-call", check=SimpleNamespace(quantity=quantity,
                                                                     control=SimpleNamespace(quantity=None)))


def test_a_per_call_cost_is_projected_from_calls_of_the_runs_size():
    rows = 40 * BATCHES                       # 40 rows in each of the run's calls
    projection = project(record_of(PerCallCost()), samples=rows * 100)
    # The run makes BATCHES calls of 40 rows: about BATCHES · CALL_SECONDS, not rows · CALL_SECONDS (16 s).
    assert projection.seconds < 3 * BATCHES * CALL_SECONDS
    assert projection.seconds > 0.5 * BATCHES * CALL_SECONDS

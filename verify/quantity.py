"""What a simulated quantity is: a small frozen, picklable object whose fields are its setting.

A record declares its setting once and builds from it both the exact prediction (derivations/) and one of these
objects (the neural-tangents lesson: the analytic object and its Monte Carlo estimate from one declaration). The
object's docstring says what is simulated; ``draw`` simulates it. Nothing here knows a formula.

Fields hold numbers, arrays or exact (SymPy) matrices; a field whose value is costly to compute (a trained
preconditioner solved exactly, say) may hold a zero-argument callable instead, so that declaring a record stays
cheap. ``resolved()`` evaluates such callables and turns every matrix into a float64 array, once, before the batches
are sent to the workers.

* ``Quantity.draw(rng, batch)`` returns per-draw values of shape (batch, p); the verifier averages them.
  ``draws_per_unit`` says how many Monte Carlo draws (prompts) one row costs: 1 for a test error, the number of
  prompts seen in training for a quantity whose row is one trained model. ``--samples`` always counts draws.
* ``DeterministicQuantity.instance(rng)`` returns one random instance and the simulator's output on it; the
  record's derivation is compared with that output to round-off.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, ClassVar

import numpy as np


def as_float(value: Any) -> Any:
    """Exact SymPy values (and nested lists of them) as float64 numpy values; other values unchanged.

    SymPy numbers go through ``evalf(20)`` first, so a Rational is rounded once, correctly, to float64.
    """
    if hasattr(value, "evalf") and hasattr(value, "tolist"):
        return np.array(value.evalf(20).tolist(), dtype=float)
    if hasattr(value, "evalf"):
        return float(value.evalf(20))
    if isinstance(value, (list, tuple)) and value and any(hasattr(v, "evalf") for v in _flat(value)):
        return np.array([as_float(v) for v in value], dtype=float)
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=float)
    return value


def _flat(value: Any):
    for item in value:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield item


class _Resolvable:
    """Shared by both kinds: evaluate deferred fields and convert exact values to floats, once."""

    resolved_fields: ClassVar[tuple[str, ...]] = ()   # fields to pass through ``as_float`` (arrays, matrices)

    def resolved(self):
        """A copy with every deferred (callable) field evaluated and every field of ``resolved_fields`` as floats."""
        changes = {}
        for f in dataclasses.fields(self):
            value = _deferred(getattr(self, f.name))
            changes[f.name] = _resolve_nested(value) if f.name in self.resolved_fields else value
        return dataclasses.replace(self, **changes)


def describe(value: Any) -> str:
    """A quantity (or any field value) as stable text: the dataclass repr, except that a deferred field shows the
    name of the function it calls (``trained(10)``), never a memory address, so notes and result keys do not change
    from one run to the next."""
    if isinstance(value, _Resolvable):
        fields = ", ".join(f"{f.name}={describe(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, functools.partial):
        return f"{value.func.__qualname__}({', '.join(describe(a) for a in value.args)})"
    if callable(value) and not isinstance(value, np.ndarray) and hasattr(value, "__qualname__"):
        return f"{value.__qualname__}()"
    return repr(value)


def _deferred(value: Any) -> Any:
    return value() if callable(value) and not isinstance(value, (np.ndarray, _Resolvable)) else value


def _resolve_nested(value: Any) -> Any:
    """``as_float`` of a value, inside tuples (a tuple of models stays a tuple of arrays) and nested quantities."""
    value = _deferred(value)
    if isinstance(value, _Resolvable):
        return value.resolved()
    if isinstance(value, tuple):
        return tuple(_resolve_nested(v) for v in value)
    return as_float(value)


class Quantity(_Resolvable):
    """A Monte Carlo quantity: ``draw(rng, batch)`` gives per-draw values of shape (batch, p)."""

    @property
    def draws_per_unit(self) -> int:
        """Monte Carlo draws (prompts) that one row of ``draw`` costs; 1 unless a row is a trained model."""
        return 1

    def units(self, draws: int) -> int:
        """Rows to simulate for ``draws`` Monte Carlo draws (at least one)."""
        return max(1, -(-draws // self.draws_per_unit))

    def draw(self, rng: np.random.Generator, batch: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


class DeterministicQuantity(_Resolvable):
    """A deterministic quantity: ``instance(rng)`` gives (instance data, the simulator's output on it)."""

    def instance(self, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:  # pragma: no cover
        raise NotImplementedError

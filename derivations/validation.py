"""Turning user input into exact SymPy objects, with a one-line InputError naming what is wrong."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from icl_errors import InputError


def exact_scalar(value: object, name: str) -> sp.Expr:
    """An exact SymPy number or expression; floats are read by their shortest decimal repr (0.1 -> 1/10, also for
    numpy's float32 0.1); strings only as numbers (``Rational``), never evaluated as code."""
    if isinstance(value, sp.Basic):
        return value
    if value is None or isinstance(value, bool):
        raise InputError(f"{name} must be a number, got {value!r}")
    if isinstance(value, int):
        return sp.Integer(value)
    if getattr(value, "dtype", None) is not None and value.dtype.kind in "iub" and getattr(value, "ndim", 0) == 0:
        if value.dtype.kind == "b":
            raise InputError(f"{name} must be a number, got {value!r}")
        return sp.Integer(int(value))                      # numpy integers, exactly (no detour through float)
    if isinstance(value, float) or type(value).__module__ == "numpy":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a number, got {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise InputError(f"{name} must be finite, got {number}")
        # the shortest decimal that reads back as the same value *in its own precision*: numpy's float32 0.1 is 1/10,
        # not 13421773/134217728 (its binary value) nor 0.10000000149011612 (its float64 widening)
        return sp.Rational(str(value) if type(value).__module__ == "numpy" else repr(number))
    if isinstance(value, str):
        try:
            return sp.Rational(value)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a number, got {value!r}") from None
        except ZeroDivisionError:
            raise InputError(f"{name} must be a number, got {value!r} (a division by zero)") from None
    try:
        result = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        result = None
    if not isinstance(result, sp.Expr):
        raise InputError(f"{name} must be a number, got {value!r}")
    return result


def exact_matrix(value: object, name: str) -> sp.Matrix:
    """An exact explicit matrix from a SymPy matrix, a numpy array or nested sequences."""
    if isinstance(value, sp.MatrixBase):
        rows = value.tolist()
    elif hasattr(value, "tolist"):
        rows = value.tolist()
    elif isinstance(value, Sequence) and not isinstance(value, str):
        rows = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else r for r in value]
    else:
        raise InputError(f"{name} must be a matrix, got {type(value).__name__}")
    if not rows or not all(isinstance(r, list) for r in rows) or len({len(r) for r in rows}) != 1:
        raise InputError(f"{name} must be a rectangular 2-D matrix")
    return sp.Matrix([[exact_scalar(x, f"{name} entry") for x in r] for r in rows])


def exact_covariance(value: object, name: str = "Sigma") -> sp.Matrix:
    """An exact symmetric positive semi-definite matrix (PSD is checked when the entries are numbers)."""
    M = exact_matrix(value, name)
    if M.rows != M.cols:
        raise InputError(f"{name} must be a square matrix, got shape {M.shape}")
    if any(sp.simplify(M[r, c] - M[c, r]) != 0 for r in range(M.rows) for c in range(r)):
        raise InputError(f"{name} is not symmetric")
    if all(x.is_number for x in M):
        if any(not x.is_real for x in M):
            raise InputError(f"{name} must have real entries")
        if not M.is_positive_semidefinite:
            smallest = min(sp.re(ev.evalf(15)) for ev in M.eigenvals())
            raise InputError(f"{name} is not positive semi-definite (smallest eigenvalue {float(smallest):.6g})")
    return M


def prompt_length(value: object, name: str = "n") -> sp.Expr:
    """A prompt length: an integer ≥ 1 or a positive symbol."""
    n = exact_scalar(value, name)
    if n.is_number:
        if not (n.is_integer and n >= 1):
            raise InputError(f"{name} must be an integer ≥ 1, got {n}")
    elif n.is_positive is False:
        raise InputError(f"{name} must be positive")
    return n


# Ceilings on the number of CoT steps, by how the cost grows (measured on 2 cores; a larger k is refused, not run):
POWER_STEPS_LIMIT = 10_000   # exact matrix powers (I − Γ⁻¹Σ)^k: entries gain a fixed number of bits per step
#                              (k = 10⁴: 0.3 s, k = 10⁵: 3 s at d = 4)
SYMBOLIC_STEPS_LIMIT = 12    # non-commutative expansions in S (SPoly): the cost doubles with each step
#                              (k = 10: 0.2 s, k = 16: 18 s)
WICK_STEPS_LIMIT = 3         # Wick pairings of E‖E_k w*‖²: (4k − 1)!! of them (k = 3: 10 395, k = 4: 2·10⁶)


def cot_steps(k: object, name: str = "k", maximum: int = POWER_STEPS_LIMIT) -> int:
    """k as a Python int, or InputError unless it is an integer with 0 ≤ k ≤ ``maximum`` (the cost ceiling)."""
    steps = exact_scalar(k, name)
    if not (steps.is_integer and steps >= 0):
        raise InputError(f"{name} must be an integer ≥ 0, got {k!r}")
    if steps > maximum:
        raise InputError(f"{name} = {steps} is above the limit {maximum} of this computation (its cost grows with "
                         f"{name}; see derivations/validation.py)")
    return int(steps)

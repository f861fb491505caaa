"""Statements that evaluate: every record's statement, with its parameters' values put in for their symbols, equals
``evaluate`` (exactly where exact), every inequality holds, and no statement hides LaTeX inside a symbol's name.

The settings are small (d = 2 or 3, k ≤ 2 at finite m) so every call takes well under two seconds.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from derivations import registry, settings
from derivations.notation import Equation, evaluate_at
from icl_errors import InputError

R, M = sp.Rational, sp.Matrix
ROOT = Path(__file__).resolve().parent.parent
IN_SCOPE = ("base:", "synergy:lem-A.1", "synergy:prop-5.1", "tts:")   # other synergy records have their own tests
MARKS = ("\\mathbb", "\\|", "\\lim", "\\min", "\\max", "argmin", "\\text", "\\exists", "\\sum", "(", "\\mathrm",
         "\\operatorname")

_LAMBDA = sp.diag(1, R(1, 2))
_DENSE = M([[1, R(1, 3)], [R(1, 3), R(1, 2)]])
_MISALIGNED = M([[2, 1], [1, 2]])   # 2Γ − Σ is not PSD at n = 4: overthinking
_TEST_TASK = settings.power_law_spectrum(R(3, 5))

SETTINGS: dict[str, dict[str, Any]] = {
    "base:lsa-cot-step": dict(V_tilde=M([[1, 2], [0, 1]]), W_tilde=M([[1, 0], [1, 1]]), S=M([[2, 1], [1, 1]]),
                              w_star=M([1, -1]), w_hat=M([0, 1])),
    "base:wishart-second-moment": dict(B=M([[1, 2], [-1, 0]]), Sigma=M([[1, R(1, 2)], [R(1, 2), 2]]), n=3),
    "base:gamma-star": dict(Sigma=M([[1, R(1, 4)], [R(1, 4), 2]]), n=4),
    "base:pretraining-min-error": dict(Sigma=M([[1, R(1, 4)], [R(1, 4), 2]]), n=4),
    "base:no-cot-isotropic-error": dict(d=2, n=5),
    "synergy:lem-A.1": dict(A=M([[-1, R(1, 2)], [0, R(-4, 5)]]), Sigma=M([[1, R(1, 4)], [R(1, 4), 1]]), n=5),
    "synergy:prop-5.1": dict(V_tilde=M([[-1, R(1, 2)], [0, R(-4, 5)]]), Sigma=M([[1, R(1, 4)], [R(1, 4), 1]]), n=5),
    "tts:thm-3.1": dict(Lambda=_DENSE, n=4),
    "tts:prop-3.2": dict(Lambda=_LAMBDA, n=4, S=_DENSE, w=M([1, -1]), k=3),
    "tts:thm-3.3": dict(Lambda=_LAMBDA, n=4, m=5),
    "tts:cor-3.5": dict(Lambda=_LAMBDA, n=4, k=2),
    "tts:rem-4.1": dict(Lambda=_LAMBDA, n=4, Sigma=_MISALIGNED, k=2),
    "tts:claim-1": dict(Lambda=_LAMBDA, k=2, epsilon=R(1, 10)),
    "tts:claim-2": dict(Lambda=_LAMBDA, n=4, Sigma=_MISALIGNED),
    "tts:exact-cot-error": dict(Sigma_train=_LAMBDA, n=4, Sigma_test=_DENSE, m=5, k=2),
    "tts:optimal-depth": dict(Sigma_train=_LAMBDA, n=10, Sigma_test=_LAMBDA, m=8, cap=4),
    "tts:def-hardness": dict(Lambda=sp.diag(1, R(1, 2), R(1, 10)), n=20, m=sp.oo),
    "tts:multitask-optimum": dict(Lambdas=[sp.diag(2, R(1, 2)), M([[1, R(1, 2)], [R(1, 2), 2]])], ns=[4, 6],
                                  weights=[R(1, 3), R(2, 3)]),
    "tts:prop-4.3": dict(Sigma=_TEST_TASK, k=1),
    "tts:claim-3": dict(Sigma=_TEST_TASK, m=sp.oo, k=1),
}

# Where evaluate returns more than (or the inverse of) the statement's first part: the part it is compared with.
PROJECTIONS: dict[str, Callable[[Any], Any]] = {
    "tts:optimal-depth": lambda depth: depth.k_star,  # the setting's k* lies below the cap
    "tts:prop-4.3": lambda selection: M(selection.true_weights),
}
# Where the first part is an inequality between two values evaluate also gives: (left, right).
SIDES: dict[str, Callable[[Any], tuple[Any, Any]]] = {
    "tts:claim-3": lambda errors: (errors[0], errors[1]),
}


def _in_scope(record_id: str) -> bool:
    return any(record_id == p or (p.endswith(":") and record_id.startswith(p)) for p in IN_SCOPE)


RECORDS = [r for r in registry.records() if _in_scope(r.id)]
IDS = [r.id for r in RECORDS]


def _parts(record) -> list[sp.Basic]:
    statement = record.statement()
    return list(statement) if isinstance(statement, (list, tuple)) else [statement]


def _values(record) -> dict[sp.Basic, Any]:
    return {p.symbol: SETTINGS[record.id][p.name] for p in record.parameters if p.symbol is not None}


def _explicit(value: Any) -> bool:
    if isinstance(value, sp.MatrixBase):
        return all(getattr(x, "is_number", False) for x in value)
    return isinstance(value, sp.Basic) and bool(value.is_number)


def _same(a: Any, b: Any) -> bool:
    """Exact equality for exact values, 1e-12 relative otherwise (entry by entry for matrices)."""
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        a, b = M(a), M(b)
        return a.shape == b.shape and all(_same(x, y) for x, y in zip(a, b))
    a, b = sp.sympify(a), sp.sympify(b)
    if isinstance(a, sp.logic.boolalg.BooleanAtom) or isinstance(b, sp.logic.boolalg.BooleanAtom):
        return a == b
    if a.has(sp.Float) or b.has(sp.Float):
        return abs(complex(a) - complex(b)) <= 1e-12 * max(1.0, abs(complex(a)), abs(complex(b)))
    return sp.simplify(a - b) == 0


def test_every_in_scope_record_has_a_setting():
    assert set(IDS) <= set(SETTINGS), sorted(set(IDS) - set(SETTINGS))
    assert len(IDS) >= 20


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_evaluate_accepts_exactly_the_declared_parameters(record):
    setting = SETTINGS[record.id]
    assert {p.name for p in record.parameters} == set(setting)
    record.evaluate(**setting)
    name = record.parameters[0].name
    with pytest.raises(InputError, match="missing parameter"):
        record.evaluate(**{k: v for k, v in setting.items() if k != name})
    with pytest.raises(InputError, match="unknown parameter"):
        record.evaluate(**setting, not_a_parameter=1)
    with pytest.raises(InputError, match="missing parameter"):
        record.statement_value(**{k: v for k, v in setting.items() if k != name})


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_the_statement_evaluates_to_evaluate(record):
    setting = SETTINGS[record.id]
    value = record.evaluate(**setting)
    first = _parts(record)[0]
    stated = record.statement_value(**setting)
    if isinstance(first, Equation):
        expected = PROJECTIONS.get(record.id, lambda v: v)(value)
        assert _same(stated, expected), (stated, expected)
    else:   # an inequality (or a criterion): it holds, and its sides are the values evaluate gives
        assert stated == value if value in (sp.true, sp.false) else stated == sp.true
        if record.id in SIDES:
            left, right = (evaluate_at(side, _values(record)) for side in (first.lhs, first.rhs))
            assert all(_same(a, b) for a, b in zip((left, right), SIDES[record.id](value)))


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_every_inequality_holds_and_every_evaluable_equation_balances(record):
    values = _values(record)
    for part in _parts(record):
        if isinstance(part, sp.core.relational.Relational) and not isinstance(part, sp.Eq):
            assert evaluate_at(part, values) == sp.true, part
        elif isinstance(part, Equation) and not any(isinstance(v, list) for v in SETTINGS[record.id].values()):
            rhs = evaluate_at(part.rhs, values)
            if not (_explicit(rhs) or rhs in (sp.true, sp.false)):
                continue
            lhs = evaluate_at(part.lhs, values)
            if _explicit(lhs) or lhs in (sp.true, sp.false):
                assert _same(lhs, rhs), (part, lhs, rhs)


def test_the_isotropic_error_evaluates_at_its_declared_parameters():
    record = registry.get("base:no-cot-isotropic-error")
    assert record.evaluate(d=2, n=5) == R(3, 4) == record.statement_value(d=2, n=5)


def _names(expr: sp.Basic) -> list[str]:
    """The names of every symbol, matrix symbol, undefined function and indexed base of an expression."""
    names = [s.name for s in expr.atoms(sp.Symbol, sp.MatrixSymbol)]
    names += [f.func.__name__ for f in expr.atoms(sp.core.function.AppliedUndef)]
    names += [str(b.label) for b in expr.atoms(sp.IndexedBase)]
    return names


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_no_statement_hides_latex_in_a_symbol_name(record):
    for part in _parts(record):
        bad = [name for name in _names(part) if any(mark in name for mark in MARKS)]
        assert not bad, f"{record.id}: LaTeX inside symbol names {bad}"


def test_no_record_module_writes_a_formula_as_a_symbol_name():
    pattern = re.compile(r'(?<![A-Za-z])Symbol\(\s*r?"([^"]*)"')
    files = [ROOT / "derivations" / "notation.py"] + [ROOT / "derivations" / "records" / f"{name}.py" for name in
                                                      ("base", "synergy", "tts", "tts_tasks", "tts_depth")]
    hits = [(f.name, i, m.group(1)) for f in files for i, line in enumerate(f.read_text().splitlines(), 1)
            for m in pattern.finditer(line) if any(mark in m.group(1) for mark in MARKS[:10])]
    assert not hits, hits
    assert glob.glob(str(ROOT / "derivations" / "records" / "*.py"))

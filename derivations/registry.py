"""The registry of results: the hallway where a derived expression and a simulated estimate meet.

A ``Record`` is data (fungrim's pattern): a permanent id ``paper:kind-number``, its source, assumptions, convention,
the statement as an abstract SymPy expression (for LaTeX), an exact evaluator built on the derivation, and a *declared*
check: which simulated quantity to estimate at which parameters, the exact value the result predicts there, and a
negative control (a perturbed claim that the same check must reject). ``verify/`` decides how to simulate and judge.

    >>> from derivations import registry
    >>> registry.get("base:gamma-star").evaluate(Sigma=[[1, 0], [0, 2]], n=4)
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sympy as sp
from sympy.matrices.exceptions import NonInvertibleMatrixError, NonSquareMatrixError, ShapeError

from derivations.convention import Convention
from verify.quantity import DeterministicQuantity, Quantity
from icl_errors import InputError

KINDS = ("theorem", "proposition", "lemma", "corollary", "claim", "identity")


@dataclass(frozen=True)
class Source:
    """Where a result is stated: the paper (arXiv id), the numbered item and equation, and any remark."""

    paper: str
    item: str
    equation: str | None = None
    remark: str | None = None

    def __str__(self) -> str:
        eq = f", eq. {self.equation}" if self.equation else ""
        return f"arXiv {self.paper}, {self.item}{eq}"


@dataclass(frozen=True)
class NegativeControl:
    """A perturbed claim the check must reject.

    Either ``expected`` (a wrong formula's value at the same setting) or ``quantity`` (the same claim about the
    quantity at a perturbed setting, e.g. the un-regularised Σ⁻¹ in place of Γ⁻¹), or both.
    """

    description: str
    expected: Callable[..., Any] | None = None
    quantity: Quantity | None = None


@dataclass(frozen=True)
class MonteCarloCheck:
    """Estimate ``quantity`` (a typed, formula-free object of verify/) on the simulated LSA; the result predicts
    ``expected()`` exactly.

    ``tolerance`` is the resolution the check must reach (absolute, in the quantity's units): a pass needs the
    z-scaled standard error below it, so a pass means "no deviation as large as the tolerance", not "too noisy to
    tell". The negative control must lie further than the tolerance from the prediction.

    ``samples`` counts Monte Carlo draws (prompts); a quantity whose rows are trained models turns draws into models
    (``Quantity.units``). ``variance``, when a result can give it, is the exact variance of one per-prompt value
    (scalar quantities): the verifier then sizes the sample to reach the tolerance instead of using ``samples``.

    ``bias`` (asymptotic results only): the finite-size bias the simulation at a finite size (d, the number of
    prompts B, online batches, a stopping rule) may carry against its limit, measured and stated in the derivation; a deviation within it is not counted against the prediction
    (nor for the control), so the verdict stays right at any precision. The control must lie further than
    bias + 2·tolerance from the prediction.
    """

    quantity: Quantity
    expected: Callable[[], Any]
    control: NegativeControl
    tolerance: float
    samples: int = 200_000
    variance: Callable[[], Any] | None = None
    bias: float = 0.0


@dataclass(frozen=True)
class DeterministicCheck:
    """Compare the simulator with the derived formula on random instances (no sampling error: a relative bound).

    ``quantity.instance(rng)`` draws a random instance and returns it with the simulator's output;
    ``expected(instance)`` is the derivation's value on it and ``control.expected(instance)`` a perturbed
    derivation's value.
    """

    quantity: DeterministicQuantity
    expected: Callable[[Mapping[str, Any]], Any]
    control: NegativeControl
    rtol: float = 1e-10
    instances: int = 20


@dataclass(frozen=True)
class Parameter:
    """A parameter of ``evaluate``: its keyword, what it is, and the SymPy symbol that stands for it in the
    statement (so the statement, with the values put in, evaluates to the same value as ``evaluate``)."""

    name: str
    description: str
    symbol: sp.Basic | None = None


@dataclass(frozen=True)
class Record:
    """One result: id, statement, source, assumptions, convention, exact evaluator and declared check."""

    id: str
    kind: str
    title: str
    source: Source
    convention: Convention
    assumptions: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    statement: Callable[[], sp.Basic]
    evaluator: Callable[..., Any]
    check: MonteCarloCheck | DeterministicCheck
    derivation: str = ""
    errata: tuple[str, ...] = ()
    returns: str = ""          # what ``evaluate`` returns, when it is not the first statement part's left-hand side
    also_from: tuple[Source, ...] = field(default=())
    proof: str = ""            # a proof sketch in mathematics (plain Unicode text, paragraphs split by blank lines)
    uses: tuple[str, ...] = ()  # ids of the registered results this one builds on (linked from its notes page)

    def __post_init__(self) -> None:
        paper, _, rest = self.id.partition(":")
        if not paper or not rest or self.kind not in KINDS:
            raise ValueError(f"bad record id or kind: {self.id!r} ({self.kind!r})")

    @property
    def latex(self) -> str:
        """The statement in LaTeX (SymPy's printer with the house notation)."""
        statement = self.statement()
        parts = statement if isinstance(statement, (list, tuple)) else [statement]
        return r",\qquad ".join(statement_latex(part) for part in parts)

    def evaluate(self, **params: Any) -> Any:
        """The exact value of the result for the given parameters (exact inputs give exact outputs).

        Matrices whose shapes do not fit together, or a matrix that must be inverted and is singular, end in an
        InputError naming the record and the problem (SymPy's own errors would surface as a traceback)."""
        self._check_parameters(params)
        try:
            return self.evaluator(**params)
        except (ShapeError, NonSquareMatrixError) as error:
            raise InputError(f"{self.id}: the matrices' shapes do not fit together ({error}); "
                             f"parameters: {', '.join(p.name for p in self.parameters)}") from None
        except (NonInvertibleMatrixError, ZeroDivisionError) as error:
            raise InputError(f"{self.id}: a matrix that must be inverted is singular ({error})") from None

    def statement_value(self, part: int = 0, /, **params: Any) -> Any:
        """The statement itself evaluated at the parameters (part 0 unless told): each parameter's value put in for
        its symbol and every notation object evaluated (``derivations.notation.evaluate_at``). An equation gives its
        right-hand side, an inequality its truth with both sides evaluated, a limit its value."""
        from derivations.notation import Equation, evaluate_at

        self._check_parameters(params)
        statement = self.statement()
        chosen = statement[part] if isinstance(statement, (list, tuple)) else statement
        values = {p.symbol: params[p.name] for p in self.parameters if p.symbol is not None}
        return evaluate_at(chosen.rhs if isinstance(chosen, Equation) else chosen, values)

    def _check_parameters(self, params: Mapping[str, Any]) -> None:
        known = {p.name for p in self.parameters}
        unknown = sorted(set(params) - known)
        missing = sorted(known - set(params))
        if unknown:
            raise InputError(f"{self.id}: unknown parameter(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
        if missing:
            raise InputError(f"{self.id}: missing parameter(s) {', '.join(missing)}")

    @property
    def evaluate_returns(self) -> str:
        """What ``evaluate`` gives: ``returns`` when stated, else the left-hand side of the first statement part."""
        if self.returns:
            return self.returns
        statement = self.statement()
        first = statement[0] if isinstance(statement, (list, tuple)) else statement
        from derivations.notation import Equation

        named = first.lhs if isinstance(first, Equation) else first
        return f"the exact value of ${statement_latex(named)}$ at the given parameters"

    def verify(self, *, samples: int | None = None, seed: int = 0, workers: int = 1, alpha: float = 1e-4,
               precision: str = "default") -> Any:
        """Run this result's check (prediction and negative control) and return the report (a ``CheckReport``);
        ``precision="high"`` draws 100× the declared samples."""
        from verify.executors import make_executor
        from verify.runner import run_check

        return run_check(self, samples=samples, seed=seed, executor=make_executor(workers), alpha=alpha,
                         precision=precision)

    def _repr_latex_(self) -> str:
        """In a notebook: the id and title as text (not math-mode words), then the statement as display math."""
        title = "".join(ch for ch in self.title if ch not in "{}\\$")   # Unicode is fine in MathJax's \text
        return f"$\\textbf{{{self.id}}}\\ \\text{{({title})}}$\n$$\n{self.latex}\n$$"

    def __repr__(self) -> str:
        return f"<Record {self.id}: {self.title}>"


def statement_latex(expression: sp.Basic) -> str:
    """SymPy's LaTeX of one statement part, made valid where a symbol's own name carries a superscript: the
    transpose of w^{*} prints w^{*}^{T}, a double superscript; an empty group between them keeps TeX and MathJax
    happy (w^{*}{}^{T})."""
    return re.sub(r"(\^\{[^{}]*\})(?=\^)", r"\1{}", sp.latex(expression))


def record_modules() -> list[str]:
    """Every module of ``derivations/records/`` (each defines ``RECORDS``), in alphabetical order."""
    import derivations.records

    return [f"derivations.records.{info.name}" for info in sorted(pkgutil.iter_modules(derivations.records.__path__),
                                                                   key=lambda info: info.name)]


@cache
def _records() -> dict[str, Record]:
    records: dict[str, Record] = {}
    for module in record_modules():
        for record in importlib.import_module(module).RECORDS:
            if record.id in records:
                raise ValueError(f"duplicate record id {record.id}")
            records[record.id] = record
    return records


def teaching_pages() -> dict[str, Callable[[], str]]:
    """Extra pages of notes/ that a records module declares as ``NOTES_PAGES = {file name: page function}``
    (e.g. the Front-Loading teaching page), in module order."""
    pages: dict[str, Callable[[], str]] = {}
    for module in record_modules():
        pages.update(getattr(importlib.import_module(module), "NOTES_PAGES", {}))
    return pages


def ids() -> list[str]:
    """All registered ids, in registration order."""
    return list(_records())


def get(record_id: str) -> Record:
    """The record with this id; an InputError naming close matches otherwise."""
    try:
        return _records()[record_id]
    except KeyError:
        close = difflib.get_close_matches(record_id, ids(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; run `icl-theory list`"
        raise InputError(f"unknown result id {record_id!r}{hint}") from None


def select(patterns: Sequence[str] = ()) -> list[Record]:
    """Records matching any of the ids or globs (e.g. ``synergy:*``); all records when no pattern is given."""
    if not patterns:
        return list(_records().values())
    chosen: dict[str, Record] = {}
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            matches = [rid for rid in ids() if fnmatch.fnmatchcase(rid, pattern)]
            if not matches:
                raise InputError(f"no result id matches {pattern!r}; run `icl-theory list`")
            chosen.update((rid, _records()[rid]) for rid in matches)
        else:
            chosen[pattern] = get(pattern)
    return list(chosen.values())


def records() -> Iterator[Record]:
    """Every record, in registration order."""
    return iter(_records().values())

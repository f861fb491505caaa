"""The statements' LaTeX parses back (SymPy's LaTeX parser, lark backend) to the expression it was printed from.

The parser reads scalar mathematics: symbols, fractions, powers, sums, limits, min/max and (in)equalities. It cannot
read the house notation (Γ, E‖ŵ_k − w*‖², tr, Hard(Λ), matrices) nor some symbol names (capital Greek letters,
accents, subscripts such as β_{*}), nor an implicit product after a power (a^{2} b fails, b a^{2} parses), so a
statement part is *in scope* when it is built only from the constructs below, every symbol's LaTeX parses back to one
symbol and its LaTeX has no power followed by a juxtaposed factor. Every in-scope part must parse back to an equal expression
(symbolically, or at random rational points), and the number of in-scope parts may not fall below the count measured
when this test was written (so coverage cannot silently drop). Cosmetics of the printed notation are checked here too.
"""

from __future__ import annotations

import random
import re
from functools import cache

import pytest
import sympy as sp
from sympy.parsing.latex import parse_latex

from derivations import registry
from derivations.notation import ArgMin, Equation
from derivations.registry import statement_latex

pytest.importorskip("lark")

MEASURED_IN_SCOPE = 60   # in-scope statement parts when this test was written; raise it when coverage grows

SCALAR_NODES = (sp.Symbol, sp.Number, sp.NumberSymbol, sp.Add, sp.Mul, sp.Pow, sp.Sum, sp.Limit, sp.Min, sp.Max,
                sp.Tuple, sp.core.relational.Relational, Equation, sp.core.numbers.Infinity,
                sp.core.numbers.NegativeInfinity)
POWER_THEN_PRODUCT = re.compile(r"\^\{[^{}]*\} [A-Za-z\\]")   # a^{2} b: the lark grammar's gap
SUM_LIMITS = re.compile(r"\\sum_\{[^{}]*\}\^\{[^{}]*\}")   # \sum_{i=0}^{k} x is not a power
LIMIT_DIRECTIONS = ("+", "-", "+-")   # a Limit keeps its direction as a Symbol
RELATIONS = (sp.Eq, sp.Le, sp.Lt, sp.Ge, sp.Gt, sp.Ne)


def statement_parts() -> list[tuple[str, int, sp.Basic]]:
    """(record id, part index, part) of every registered statement."""
    parts = []
    for record in registry.records():
        statement = record.statement()
        for index, part in enumerate(statement if isinstance(statement, (list, tuple)) else [statement]):
            parts.append((record.id, index, part))
    return parts


def _parse(text: str):
    """parse_latex with the lark backend; an ambiguous parse is a lark tree of readings, returned as a list."""
    result = parse_latex(text, backend="lark")
    return list(result.children) if type(result).__name__ == "Tree" else [result]


@cache
def _parsed_symbol(symbol: sp.Symbol) -> sp.Symbol | None:
    """The symbol the parser reads from this symbol's LaTeX, or None when it reads something else or fails."""
    try:
        readings = _parse(sp.latex(symbol))
    except Exception:   # the parser raises lark's own errors (UnexpectedCharacters, ...) and LaTeXParsingError
        return None
    return readings[0] if len(readings) == 1 and isinstance(readings[0], sp.Symbol) else None


def in_scope(part: sp.Basic) -> bool:
    """Built only from scalar constructs the parser supports, every symbol (free or bound) readable."""
    nodes = list(sp.preorder_traversal(part))
    return (all(isinstance(node, SCALAR_NODES) for node in nodes)
            and all(_parsed_symbol(s) is not None for s in part.atoms(sp.Symbol) if s.name not in LIMIT_DIRECTIONS)
            and not POWER_THEN_PRODUCT.search(SUM_LIMITS.sub(r"\\sum", statement_latex(part))))


def _well_formed(reading, free_names: set[str]) -> bool:
    """A reading without undefined functions, nested relations or escaped bound variables: the parser also offers
    a_{1}(x) as a function call, \\left as \\le f t, and (\\sum_{i} a)^{2 i}; the reading the printer means has
    none of these (its free symbols are among the original's, ``free_names``)."""
    if (not isinstance(reading, sp.Basic) or reading.atoms(sp.core.function.AppliedUndef)
            or not {str(s) for s in reading.free_symbols} <= free_names):
        return False
    sides = reading.args if isinstance(reading, sp.core.relational.Relational) else (reading,)
    return not any(s.atoms(sp.core.relational.Relational) or isinstance(s, sp.core.relational.Relational)
                   for s in sides)


def _sides(expr: sp.Basic) -> tuple[type, tuple[sp.Basic, ...]]:
    if isinstance(expr, Equation):
        return sp.Eq, (expr.lhs, expr.rhs)
    if isinstance(expr, sp.core.relational.Relational):
        return next(r for r in RELATIONS if isinstance(expr, r)), (expr.lhs, expr.rhs)
    return sp.Expr, (expr,)


def _equal(original: sp.Expr, parsed: sp.Expr, rng: random.Random) -> bool:
    """Equal as trees or symbolically, or at three random rational points (symbols matched by their LaTeX)."""
    renamed = original.xreplace({s: _parsed_symbol(s) for s in original.atoms(sp.Symbol)
                                 if s.name not in LIMIT_DIRECTIONS})
    if renamed == parsed or sp.simplify((renamed - parsed).doit()) == 0:
        return True
    free = sorted(renamed.free_symbols | parsed.free_symbols, key=str)
    for _ in range(3):
        point = {s: sp.Rational(rng.randint(1, 97), rng.randint(1, 13)) / 7 for s in free}
        if sp.simplify(renamed.subs(point).doit() - parsed.subs(point).doit()) != 0:
            return False
    return True


def parses_back(part: sp.Basic, rng: random.Random, text: str | None = None) -> bool:
    """The part's LaTeX (or ``text``, to show the check can fail) parses back to an equal relation or expression."""
    kind, sides = _sides(part)
    free_names = {str(_parsed_symbol(s)) for s in part.free_symbols}
    readings = [r for r in _parse(statement_latex(part) if text is None else text) if _well_formed(r, free_names)]
    if not readings:
        return False
    for reading in readings:   # every well-formed reading must agree with the original
        parsed_kind, parsed_sides = _sides(reading)
        if parsed_kind is not kind or len(parsed_sides) != len(sides):
            return False
        if not all(_equal(a, b, rng) for a, b in zip(sides, parsed_sides)):
            return False
    return True


@pytest.fixture(scope="module")
def scoped() -> list[tuple[str, int, sp.Basic]]:
    return [(rid, index, part) for rid, index, part in statement_parts() if in_scope(part)]


def test_every_in_scope_statement_part_parses_back_to_itself(scoped):
    rng = random.Random(19)
    failures = [f"{rid} part {index}: {statement_latex(part)}" for rid, index, part in scoped
                if not parses_back(part, rng)]
    assert not failures, "\n".join(failures)


def test_parse_back_coverage_does_not_drop(scoped):
    assert len(scoped) >= MEASURED_IN_SCOPE, sorted({rid for rid, _, _ in scoped})


def test_the_check_can_fail():
    x, y = sp.symbols("x y", positive=True)
    part = Equation(x, y / (1 + x))
    assert parses_back(part, random.Random(0))
    assert not parses_back(part, random.Random(0), text=r"x = \frac{y}{1 - x}")     # a sign typo
    assert not parses_back(part, random.Random(0), text=r"x \leq \frac{y}{x + 1}")   # the wrong relation


# Cosmetics of the printed notation (issue 19): one spelling per concept across every statement.

@pytest.fixture(scope="module")
def all_latex() -> dict[str, str]:
    return {record.id: record.latex for record in registry.records()}


def test_argmin_prints_as_an_operator_with_its_range_below(all_latex):
    k, K = sp.symbols("k K", integer=True, positive=True)
    assert sp.latex(ArgMin(k ** 2, k, 1, K)).startswith(r"\operatorname*{argmin}_{1 \le k \le K} ")
    uses = {rid: text for rid, text in all_latex.items() if "argmin" in text}
    assert uses, "no statement uses argmin any more: update this test"
    for rid, text in uses.items():
        assert text.count("argmin") == text.count(r"\operatorname*{argmin}_{"), rid


def test_hardness_has_one_spelling(all_latex):
    spelled = {rid: text for rid, text in all_latex.items() if re.search("hard", text, re.IGNORECASE)}
    assert spelled, "no statement uses Hard(Λ) any more: update this test"
    for rid, text in spelled.items():
        assert len(re.findall("hard", text, re.IGNORECASE)) == text.count(r"\operatorname{Hard}\left("), rid


def test_the_task_vector_is_w_star_in_every_error(all_latex):
    other_spellings = re.compile(r"w_\{\*\}|w_\*|w\^\{\\star\}|w_\{\\star\}|w\^\*(?!\})|w\^\{\\ast\}")
    bare_target = re.compile(r"\\hat\{w\}_\{[^{}]*\}(\\left\([^()]*\\right\))? - w(?!\^\{\*\})")
    errors = [rid for rid, text in all_latex.items() if r"\hat{w}" in text and "w^{*}" in text]
    assert len(errors) >= 10, errors
    for rid, text in all_latex.items():
        assert not other_spellings.search(text), rid
        assert not bare_target.search(text), rid
    assert bare_target.search(r"\mathbb{E}\|\hat{w}_{1} - w\|^{2}")   # the spelling this test rejects


def test_the_sample_covariance_has_one_name(all_latex):
    """S = XXᵀ/n everywhere (the setup page's name), never \\hat{\\Sigma} or \\hat{S}."""
    assert sum(" S" in text or "{S}" in text or "S_{" in text for text in all_latex.values()) >= 10
    for rid, text in all_latex.items():
        assert r"\hat{\Sigma}" not in text and r"\hat{S}" not in text, rid

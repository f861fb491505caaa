"""The README stays true: its test command is what CI runs, and its worked examples give what it prints."""

from pathlib import Path

import sympy as sp

from derivations import registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_exactly_the_readme_test_command():
    command = "python3 -m pip install -q -e '.[test]' && python3 -m pytest"
    assert command in README
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1] == command


def test_readme_examples():
    assert registry.get("base:gamma-star").evaluate(Sigma=sp.Matrix([[1, 0], [0, 2]]), n=20) == sp.diag(
        sp.Rational(6, 5), sp.Rational(9, 4))
    assert registry.get("synergy:lem-A.1").evaluate(A=[[1, 0], [0, 1]], Sigma=[[1, 0], [0, 1]], n=5) == sp.Rational(
        46, 5)
    m = sp.Symbol("m", positive=True)
    error = registry.get("tts:exact-cot-error").evaluate(Sigma_train=[[1]], n=4, Sigma_test=[[1]], m=m, k=2)
    assert sp.simplify(error - (m**3 + 48 * m**2 - 64 * m + 768) / (81 * m**3)) == 0
    assert sp.latex(error) in README
    assert sp.limit(error, m, sp.oo) == sp.Rational(1, 81)


def test_readme_synergy_example():
    value = registry.get("synergy:thm-B.1").evaluate(beta=0.7, mu1=0.5, rho=0.1, eta=0.2, r=0.1, gamma=1)
    assert f"{float(value):.11f}"[:13] == "12.2479595024" and "12.24795950245" in README

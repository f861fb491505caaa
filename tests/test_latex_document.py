"""``icl-theory latex``: a LaTeX document of the results that compiles, with the records' Unicode prose converted."""

import shutil
import subprocess

import pytest

from derivations import registry
from icl_theory.cli import main
from icl_theory.latex_document import document, to_latex_text


def test_unicode_prose_becomes_latex():
    assert to_latex_text("Ṽ* = −Γ⁻¹") == r"\ensuremath{\tilde{V}}* = \ensuremath{-}\ensuremath{\Gamma}\ensuremath{^{-1}}"
    assert to_latex_text("ŵ_k, 50% & ½") == r"\ensuremath{\hat{w}}\_k, 50\% \& \ensuremath{\tfrac12}"
    assert to_latex_text("∀ε ≤ 1") == r"\ensuremath{\forall}\ensuremath{\epsilon} \ensuremath{\leq} 1"
    assert r"\textsf{[" in to_latex_text("☃")        # an unknown character is named, never breaks the build


def test_every_character_of_the_registry_is_known():
    assert r"\textsf{[" not in document(registry.records())


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex is not installed (Debian: apt-get install texlive-latex-base)")
def test_the_document_of_every_result_compiles(tmp_path, capsys):
    tex = tmp_path / "results.tex"
    assert main(["latex", "--out", str(tex)]) == 0
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "results.pdf").stat().st_size > 10_000


def test_latex_refuses_a_directory_as_its_file(capsys, tmp_path):
    assert main(["latex", "--out", str(tmp_path)]) == 2
    assert "must name a .tex file" in capsys.readouterr().err


def test_negated_signs_survive_the_decomposition():
    from icl_theory.latex_document import to_latex_text

    assert to_latex_text("τ ≠ 1, x ∉ A") == r"\ensuremath{\tau} \ensuremath{\neq} 1, x \ensuremath{\notin} A"

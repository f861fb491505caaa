"""The registry: ids, lookup errors, globs, exact evaluation, LaTeX rendering, declared controls."""

import pytest
import sympy as sp

from derivations import registry
from icl_errors import InputError


def test_ids_are_permanent_and_well_formed():
    ids = registry.ids()
    assert {"base:lsa-cot-step", "base:wishart-second-moment", "base:gamma-star", "base:pretraining-min-error",
            "base:no-cot-isotropic-error", "synergy:lem-A.1", "synergy:prop-5.1"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_unknown_id_is_a_clear_error_with_suggestion():
    with pytest.raises(InputError, match=r"unknown result id 'base:gamma-sta'.*base:gamma-star"):
        registry.get("base:gamma-sta")


def test_glob_selection():
    chosen = [r.id for r in registry.select(["synergy:*"])]
    assert {"synergy:lem-A.1", "synergy:prop-5.1"} <= set(chosen) and all(i.startswith("synergy:") for i in chosen)
    assert [r.id for r in registry.select(["synergy:lem-A.1", "tts:thm-3.3"])] == ["synergy:lem-A.1", "tts:thm-3.3"]
    with pytest.raises(InputError, match="no result id matches"):
        registry.select(["nothing:*"])


def test_gamma_star_evaluates_exactly():
    G = registry.get("base:gamma-star").evaluate(Sigma=sp.Matrix([[1, 0], [0, 2]]), n=20)
    # (1 + 1/20)·diag(1, 2) + (3/20)·I = diag(21/20 + 3/20, 42/20 + 3/20)
    assert G == sp.Matrix([[sp.Rational(6, 5), 0], [0, sp.Rational(9, 4)]])


def test_lemma_a1_evaluates_to_an_exact_number():
    value = registry.get("synergy:lem-A.1").evaluate(A=[[1, 0], [0, 1]], Sigma=[[1, 0], [0, 1]], n=5)
    # ‖I + I‖² + (tr I + tr I · tr I)/5 = 8 + 6/5
    assert value == sp.Rational(46, 5)


def test_evaluate_rejects_unknown_and_missing_parameters():
    record = registry.get("synergy:lem-A.1")
    with pytest.raises(InputError, match="unknown parameter"):
        record.evaluate(A=[[1]], Sigma=[[1]], n=2, m=3)
    with pytest.raises(InputError, match="missing parameter"):
        record.evaluate(A=[[1]], Sigma=[[1]])


def test_records_render_latex_with_the_house_trace():
    record = registry.get("synergy:lem-A.1")
    assert record._repr_latex_().startswith("$") and r"\operatorname{tr}" in record.latex
    assert r"\right\|_{F}^{2}" in record.latex
    assert r"\Gamma" in registry.get("base:gamma-star").latex


def test_every_record_declares_convention_source_and_an_effective_control():
    for record in registry.records():
        # the two seed papers, Huang–Wang–Lee and Takanami–Pehlevan predict the weights; the field's anchors (zfb, ahn, wu, mahankali) the label
        assert record.convention.target == ("w" if record.id.startswith(("base:", "tts:", "synergy:", "frontload:",
                                                                         "hwl:", "tp:"))
                                            else "y")
        assert record.source.paper
        check = record.check
        assert check.control.description
        if getattr(check, "tolerance", None) and check.control.expected is not None:
            from verify.statistics import as_mpf_vector
            gap = max(abs(float(a - b)) for a, b in zip(as_mpf_vector(check.control.expected()),
                                                        as_mpf_vector(check.expected())))
            assert gap > 2 * check.tolerance + getattr(check, "bias", 0.0), record.id


def test_notebook_rendering_keeps_words_in_text_and_verify_returns_a_readable_report():
    record = registry.get("synergy:lem-A.1")
    latex = record._repr_latex_()
    assert r"\text{(expected squared Frobenius norm of I + A Σ̂)}" in latex and "$$" in latex
    report = record.verify(samples=4000)
    assert repr(report).startswith("<CheckReport synergy:lem-A.1: ") and "control:" in repr(report)


def test_every_record_says_what_evaluate_returns():
    for record in registry.records():
        assert record.evaluate_returns.strip(), record.id
    assert "\\Gamma" in registry.get("base:gamma-star").evaluate_returns      # Γ, as the README's example shows

"""The teaching pages' sections: proof sketches and their `uses` links, the check's setting, the figure, the order."""

import dataclasses

from derivations import registry
from icl_theory.notes import page

SKETCHED = ("base:", "tts:")   # families whose every record carries a proof sketch


def test_uses_name_registered_results_without_cycles():
    ids = set(registry.ids())
    graph = {record.id: record.uses for record in registry.records()}
    for rid, uses in graph.items():
        assert set(uses) <= ids and rid not in uses, rid

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        return any(u == target or (u not in seen and reaches(u, target, seen | {u})) for u in graph[start])

    assert not [rid for rid in graph if reaches(rid, rid, {rid})]


def test_every_base_and_tts_result_has_a_proof_sketch_in_mathematics():
    for record in registry.records():
        if record.id.startswith(SKETCHED):
            assert 3 <= len(record.proof.split(". ")) and len(record.proof) <= 1400, record.id
        assert "\\n" not in record.proof, record.id   # an escaped newline printed as text
        for jargon in ("SPoly", "Wick engine", "fmpq", "derivations.", "sympy"):
            assert jargon not in record.proof, (record.id, jargon)


def test_a_page_teaches_in_order():
    text = page(registry.get("tts:thm-3.3"))
    order = ["## Statement", "[the setup](README.md", "## Proof sketch", "## Uses", "## How it is checked",
             "Negative control", "## Reproduce", "icl-theory verify tts:thm-3.3", "## How it is computed"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "(base__gamma-star.md)" in text and "(tts__def-hardness.md)" in text   # Γ and Hard(Λ) linked
    assert "- samples: 4,000 prompts" in text and "- tolerance: 0.1" in text and "`Sigma` = `Matrix(" in text


def test_a_page_without_a_sketch_has_no_empty_section():
    bare = dataclasses.replace(registry.get("tts:thm-3.3"), proof="", uses=())   # every record may carry a sketch
    text = page(bare)
    assert "## Proof sketch" not in text and "## Uses" not in text


def test_figures_named_on_pages_exist():
    assert "icl-theory figures tts-scaling-law --out figures/" in page(registry.get("tts:cor-3.5"))

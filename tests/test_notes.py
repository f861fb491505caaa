"""notes/ holds one page per registered result, exactly as the registry generates it (pages cannot drift)."""

from pathlib import Path

from derivations import registry
from icl_theory.notes import page, page_name

NOTES = Path(__file__).resolve().parent.parent / "notes"


def test_every_record_has_its_current_page():
    for record in registry.records():
        path = NOTES / page_name(record)
        assert path.exists(), f"{path.name} missing: run `icl-theory notes --out notes`"
        assert path.read_text(encoding="utf-8") == page(record), f"{path.name} is stale: run `icl-theory notes`"


def test_no_orphan_pages():
    expected = {page_name(record) for record in registry.records()}
    assert {p.name for p in NOTES.glob("*__*.md")} <= expected


def test_page_states_statement_control_and_command():
    text = page(registry.get("synergy:lem-A.1"))
    assert "$$" in text and r"\operatorname{tr}" in text
    assert "Negative control" in text and "coefficient 2" in text
    assert "icl-theory verify synergy:lem-A.1" in text


def test_teaching_pages_are_current():
    for name, make_page in registry.teaching_pages().items():
        assert (NOTES / name).read_text(encoding="utf-8") == make_page(), f"{name} is stale: run `icl-theory notes`"


def test_the_index_starts_with_the_setup_and_links_every_page():
    from icl_theory.notes import index_page

    text = (NOTES / "README.md").read_text(encoding="utf-8")
    assert text == index_page(list(registry.records())), "notes/README.md is stale: run `icl-theory notes`"
    assert text.index("## The setup, once") < text.index("## Results both papers build on")
    for record in registry.records():
        assert f"]({page_name(record)})" in text


def test_every_convention_says_how_it_maps_onto_the_toolkits_and_the_page_is_current():
    from derivations.convention import JAVANMARD
    from icl_theory.notes import conventions_page

    for record in registry.records():
        assert record.convention == JAVANMARD or record.convention.mapping.strip(), record.id
    text = (NOTES / "conventions.md").read_text(encoding="utf-8")
    assert text == conventions_page(list(registry.records())), "notes/conventions.md is stale: run `icl-theory notes`"
    for family in ("zfb:", "ahn:", "mahankali:", "wu:", "hwl:", "lu:", "tp:"):
        assert f"[`{family}" in text, family

r"""A compilable LaTeX document of registered results (``icl-theory latex``): one amsthm environment per result,
its statement through SymPy's printer (the house notation of derivations/notation.py), its assumptions, source,
convention, the check that verifies it, and its errata.

The records' prose is Unicode (Γ, Ṽ, ≤, …); ``to_latex_text`` turns it into plain LaTeX that pdflatex compiles without
extra packages: Greek letters, accents, sub- and superscripts and the common math signs become math-mode commands,
and a character it does not know is written as its Unicode name rather than breaking the build.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from derivations.registry import KINDS, Record, statement_latex

SIGNS = {"−": "-", "≤": r"\leq", "≥": r"\geq", "→": r"\to", "∞": r"\infty", "·": r"\cdot", "×": r"\times",
         "‖": r"\|", "∈": r"\in", "≈": r"\approx", "⊥": r"\perp", "≠": r"\neq", "√": r"\surd", "∑": r"\sum",
         "∫": r"\int", "∝": r"\propto", "⪰": r"\succeq", "≻": r"\succ", "†": r"\dagger", "∗": "*", "≫": r"\gg",
         "≪": r"\ll", "⇔": r"\iff", "⟺": r"\iff", "⇒": r"\Rightarrow", "∂": r"\partial", "∇": r"\nabla",
         "⊗": r"\otimes", "±": r"\pm", "∘": r"\circ", "⟂": r"\perp", "⋡": r"\not\succeq", "∉": r"\notin",
         "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "∀": r"\forall", "∃": r"\exists", "ℓ": r"\ell",
         "⌈": r"\lceil", "⌉": r"\rceil", "⌊": r"\lfloor", "⌋": r"\rfloor", "⟨": r"\langle", "⟩": r"\rangle",
         "∅": r"\emptyset", "↑": r"\uparrow", "↓": r"\downarrow", "≡": r"\equiv", "∼": r"\sim", "…": r"\ldots",
         "ᵢ": "_{i}", "ⱼ": "_{j}", "ₖ": "_{k}", "ₙ": "_{n}", "ₘ": "_{m}",
         "ℝ": r"\mathbb{R}"}
TEXT = {"–": "--", "—": "---", "“": "``", "”": "''", "‘": "`", "’": "'", "′": "'", "\u00a0": "~", "§": r"\S{}",
        "½": r"\ensuremath{\tfrac12}", "¼": r"\ensuremath{\tfrac14}", "¾": r"\ensuremath{\tfrac34}",
        "⅝": r"\ensuremath{\tfrac58}", "⅓": r"\ensuremath{\tfrac13}", "←": r"\ensuremath{\leftarrow}"}
NEGATION = "\u0338"   # the combining long solidus of ≠, ∉, ⋡ after NFD
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ", "0123456789+-T"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-"))
ACCENTS = {"\u0303": r"\tilde", "\u0302": r"\hat", "\u0304": r"\bar", "\u0307": r"\dot"}
SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
           "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _greek(character: str) -> str | None:
    name = unicodedata.name(character, "")
    if not name.startswith("GREEK ") or " LETTER " not in name:
        return None
    letter = name.split(" LETTER ")[-1].lower().replace("lamda", "lambda")
    if letter == "final sigma":
        letter = "sigma"
    command = letter.capitalize() if "CAPITAL" in name else letter
    if command in ("Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu", "Omicron", "Rho", "Tau",
                   "Chi"):
        return command[0]            # capitals that are Latin letters in LaTeX
    return "\\" + command


def to_latex_text(text: str) -> str:
    """Unicode prose as pdflatex-safe LaTeX text (math signs in \\ensuremath, specials escaped)."""
    out: list[str] = []
    decomposed = unicodedata.normalize("NFD", text)
    index = 0
    while index < len(decomposed):
        character = decomposed[index]
        following = decomposed[index + 1] if index + 1 < len(decomposed) else ""
        if following == NEGATION:                                 # NFD splits ≠ into = + U+0338: join it again
            character, following = unicodedata.normalize("NFC", character + following), ""
            index += 1
        if following in ACCENTS:                                  # Ṽ = V + combining tilde
            base = _greek(character) or (SPECIAL.get(character, character) if character.isascii() else "?")
            out.append(rf"\ensuremath{{{ACCENTS[following]}{{{base}}}}}")
            index += 2
            continue
        if character in SPECIAL:
            out.append(SPECIAL[character])
        elif character.isascii():
            out.append(character)
        elif character in ACCENTS:                                # a combining mark on its own
            pass
        elif character in SUPERSCRIPTS:                           # a run such as ⁻¹ is one superscript
            run = character
            while index + 1 < len(decomposed) and decomposed[index + 1] in SUPERSCRIPTS:
                index += 1
                run += decomposed[index]
            out.append(rf"\ensuremath{{^{{{''.join(SUPERSCRIPTS[c] for c in run)}}}}}")
        elif character in SUBSCRIPTS:
            out.append(rf"\ensuremath{{_{{{SUBSCRIPTS[character]}}}}}")
        elif character in SIGNS:
            out.append(rf"\ensuremath{{{SIGNS[character]}}}")
        elif character in TEXT:
            out.append(TEXT[character])
        elif _greek(character):
            out.append(rf"\ensuremath{{{_greek(character)}}}")
        else:
            out.append(r"\textsf{[" + unicodedata.name(character, "U+%04X" % ord(character)).lower() + "]}")
        index += 1
    return "".join(out)


def _environments() -> str:
    return "\n".join(rf"\newtheorem{{{kind}}}{{{kind.capitalize()}}}" for kind in KINDS)


def record_section(record: Record) -> str:
    """One result: its environment (kind, id and source in the optional title), statement, and the facts around it."""
    statement = record.statement()
    parts = statement if isinstance(statement, (list, tuple)) else [statement]

    lines = [rf"\begin{{{record.kind}}}[\texttt{{{to_latex_text(record.id)}}}, {to_latex_text(str(record.source))}]",
             to_latex_text(record.title) + ".",
             r"\begin{align*}", " \\\\\n".join(statement_latex(part) for part in parts), r"\end{align*}",
             rf"\end{{{record.kind}}}", r"\noindent\textbf{Assumptions.}", r"\begin{itemize}"]
    lines += [rf"\item {to_latex_text(a)}" for a in record.assumptions]
    lines += [r"\end{itemize}", rf"\noindent\textbf{{Convention.}} {to_latex_text(record.convention.describe())}.", "",
              rf"\noindent\textbf{{Check.}} Negative control rejected by the same simulation: "
              rf"{to_latex_text(record.check.control.description)}.", ""]
    if record.errata:
        lines += [r"\noindent\textbf{Errata.}", r"\begin{itemize}"]
        lines += [rf"\item {to_latex_text(e)}" for e in record.errata]
        lines.append(r"\end{itemize}")
    return "\n".join(lines)


def document(records: Iterable[Record]) -> str:
    """The whole .tex source."""
    body = "\n\n".join(record_section(r) for r in records)
    return "\n".join([r"\documentclass[11pt]{article}", r"\usepackage[T1]{fontenc}",
                      r"\usepackage{amsmath,amssymb,amsthm}", r"\usepackage[margin=2.2cm]{geometry}",
                      r"\allowdisplaybreaks", r"\sloppy", _environments(), r"\title{icl-theory: registered results}",
                      r"\date{}", r"\begin{document}", r"\maketitle", body, r"\end{document}", ""])

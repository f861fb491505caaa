"""One readable page per result in notes/, generated from the registry so the pages cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from derivations.registry import MonteCarloCheck, Record
from verify.quantity import describe


def page(record: Record) -> str:
    """The Markdown page of one record: statement, source, assumptions, derivation trail, verification, command."""
    check = record.check
    lines = [f"# `{record.id}`: {record.title}", "",
             f"*{record.kind.capitalize()}* from {record.source}."]
    if record.source.remark:
        lines[-1] += f" ({record.source.remark})"
    for extra in record.also_from:
        lines.append(f"Also: {extra}.")
    lines += ["", "## Statement", "", "$$", record.latex, "$$", "", "## Assumptions", ""]
    lines += [f"- {a}" for a in record.assumptions]
    lines += ["", f"Convention: {record.convention.describe()}.", "", "## Derivation trail", "", record.derivation, "",
              "## How it is verified", ""]
    if isinstance(check, MonteCarloCheck):
        size = (f"{check.samples:,} prompts by default" if check.variance is None else
                "as many prompts as the exact variance of one value says are needed for z*·SE ≤ 0.8 × tolerance")
        lines.append(f"Monte Carlo on the simulated LSA layer (`verify/`, which never imports the formula): quantity "
                     f"`{type(check.quantity).__name__}` ({type(check.quantity).__module__.replace('.', '/')}.py), {size}, in 40 batches (standard error by batch "
                     f"means). Verdict at level α = 1e-4 with Bonferroni over components; a pass needs the resolution "
                     f"z*·SE below the tolerance {check.tolerance}.")
    else:
        lines.append(f"Deterministic: the simulator's rollout (`{describe(check.quantity)}`, real embedding and full V, W) on "
                     f"{check.instances} random instances must equal the derived "
                     f"formula to a relative {check.rtol:.0e}.")
    lines += ["", f"Negative control (must be rejected by the same check): {check.control.description}.", ""]
    if record.errata:
        lines += ["## Errata", ""] + [f"- {e}" for e in record.errata] + [""]
    lines += ["## Reproduce", "", "```", f"icl-theory show {record.id}", f"icl-theory verify {record.id}", "```", ""]
    return "\n".join(lines)


def page_name(record: Record) -> str:
    return record.id.replace(":", "__") + ".md"


def write_notes(directory: str | Path) -> list[Path]:
    from derivations import registry

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for record in registry.records():
        path = directory / page_name(record)
        path.write_text(page(record), encoding="utf-8")
        written.append(path)
    return written

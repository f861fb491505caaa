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
    lines += ["", "## Statement", "", "$$", record.latex, "$$", "",
              f"`evaluate({', '.join(p.name for p in record.parameters)})` gives {record.evaluate_returns}.", "",
              "## Assumptions", ""]
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


PAPERS = {"base": "Results both papers build on (Huang–Wang–Lee 2025, Zhang–Frei–Bartlett 2024)",
          "tts": "Understanding the Role of Training Data in Test-Time Scaling (arXiv 2510.03605)",
          "synergy": "Data Quality and Synergistic Effects in Pre- and Post-Training Reasoning Models (arXiv 2603.01293)",
          "frontload": "Front-Loading Reasoning (arXiv 2510.03264), its findings tested in the linear model"}

SETUP = r"""## The setup, once

**Task.** A prompt holds n examples x_i ~ N(0, Σ) in R^d with noiseless labels y_i = ⟨w*, x_i⟩, w* ~ N(0, I_d).
The model predicts the task vector w* itself (in-context *weight* prediction).

**Embedding.** Z ∈ R^{(2d+2)×(n+1)} has row blocks (x, y, w, 1): the example columns (x_i; y_i; 0; 0) and a last
column (0; 0; ŵ_0; 1) with ŵ_0 = 0.

**Layer.** One linear self-attention layer f(Z) = Z + V Z (Zᵀ W Z)/n. With the sparsity of 2603.01293 eq. 3.8 only
the blocks Ṽ = V[w, x] and W̃ = W[x, w] (and W[y, 1] = −1) are free, and a chain-of-thought step appends the last
output column: ŵ_{i+1} = ŵ_i + Ṽ S (W̃ ŵ_i − w*), S = X Xᵀ/n (`base:lsa-cot-step`), a preconditioned gradient step.

**Pretraining.** On prompts from N(0, Λ) of length n the loss ½E‖ŵ_1 − w*‖² is minimised by Ṽ = −Γ⁻¹ with
Γ = (1 + 1/n)Λ + tr(Λ)/n · I (`base:gamma-star`); at test time k CoT steps give ŵ_k = (I − (I − Γ⁻¹S)^k) w*.

**Post-training** (2603.01293). SFT on B prompts from N(0, A) with teacher-forced targets w_i = (1 − (1 − η)^i) w*,
or outcome supervision on the k-step rollout's final answer; the post-test covariance is Σ = Σ₀ + Δ.

**Symbols.** d dimension; n training prompt length; m test prompt length; k CoT steps; Λ (or Σ₀) training covariance;
Σ test covariance; Γ the regularised covariance above; Hard(Λ) = tr Λ/λ_min(Λ); B post-training prompts; η the SFT
rate; ρ(M) a spectral radius.

**How a result is checked.** Every page below states the result, derives it (derivations/), and checks it against a
simulation of the layer itself (verify/, which never imports a formula): a Monte Carlo estimate ± its standard error
(batch means) against the exact value at a stated tolerance, and a **negative control** — a perturbed claim, often
a typo printed in the paper — that the same check must reject. Conventions differ between papers; every page names
the one its result uses.
"""


def index_page(records: list[Record]) -> str:
    """notes/README.md: the setup, then every result by paper, each linked to its page."""
    lines = ["# icl-theory: the results, as a short course", "",
             "Generated by `icl-theory notes` from the registry; do not edit by hand.", "", SETUP]
    for paper, title in PAPERS.items():
        chosen = [r for r in records if r.id.partition(":")[0] == paper]
        if not chosen:
            continue
        lines += [f"## {title}", ""]
        lines += [f"- [`{r.id}`]({page_name(r)}) ({r.kind}): {r.title}" for r in chosen]
        lines.append("")
    others = [r for r in records if r.id.partition(":")[0] not in PAPERS]
    if others:
        lines += ["## Anchors of the field", ""]
        lines += [f"- [`{r.id}`]({page_name(r)}) ({r.kind}): {r.title}" for r in others]
        lines.append("")
    return "\n".join(lines)


def page_name(record: Record) -> str:
    return record.id.replace(":", "__") + ".md"


def write_notes(directory: str | Path) -> list[Path]:
    from derivations import registry

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / "README.md"
    index.write_text(index_page(list(registry.records())), encoding="utf-8")
    written = [index]
    for name, make_page in registry.teaching_pages().items():   # pages a records module writes (NOTES_PAGES)
        (directory / name).write_text(make_page(), encoding="utf-8")
        written.append(directory / name)
    for record in registry.records():
        path = directory / page_name(record)
        path.write_text(page(record), encoding="utf-8")
        written.append(path)
    return written

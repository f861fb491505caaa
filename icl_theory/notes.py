"""One readable page per result in notes/, generated from the registry so the pages cannot drift from the code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from derivations.registry import DeterministicCheck, MonteCarloCheck, Record
from icl_theory.figures import illustrated_results
from verify.quantity import describe


def page(record: Record) -> str:
    """The Markdown page of one record, in teaching order: statement, setup link, proof sketch, what it uses, how it
    is checked (the check's setting), its figure, the command that reproduces it, and how it is computed."""
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
    lines += ["", f"Convention: {record.convention.describe()}.", "",
              "The symbols (d, n, m, k, Λ, Σ, S, Γ, Hard(Λ), …) are defined once in [the setup](README.md#the-setup-once).",
              ""]
    if record.proof:
        lines += ["## Proof sketch", "", record.proof, ""]
    if record.uses:
        from derivations import registry

        lines += ["## Uses", ""]
        lines += [f"- [`{used}`]({page_name(registry.get(used))}): {registry.get(used).title}" for used in record.uses]
        lines.append("")
    lines += ["## How it is checked", ""] + check_setting(check)
    lines += ["", f"Negative control (must be rejected by the same check): {check.control.description}.", ""]
    if record.errata:
        lines += ["## Errata", ""] + [f"- {e}" for e in record.errata] + [""]
    figures = [name for name, ids in illustrated_results().items() if record.id in ids]
    if figures:
        lines += ["## Figure", ""]
        lines += [f"`icl-theory figures {name} --out figures/` draws it (its data as CSV/JSON and a PNG)."
                  for name in figures]
        lines.append("")
    lines += ["## Reproduce", "", "```", f"icl-theory show {record.id}", f"icl-theory verify {record.id}", "```", "",
              "## How it is computed", "", record.derivation, ""]
    return "\n".join(lines)


SETTING_WIDTH = 160   # a field of the check's setting longer than this is cut (the full value: `icl-theory show`)


def check_setting(check: MonteCarloCheck | DeterministicCheck) -> list[str]:
    """The check's parameters as a short list: what is simulated, its setting (the quantity's fields), the sample
    size and the tolerance (Monte Carlo) or the instances and relative bound (deterministic)."""
    quantity = check.quantity
    kind = type(quantity)
    lines = [f"- simulated quantity: `{kind.__name__}` ({kind.__module__.replace('.', '/')}.py); `verify/` never "
             f"imports the formula"]
    for item in dataclasses.fields(quantity):
        value = " ".join(describe(getattr(quantity, item.name)).split())
        if len(value) > SETTING_WIDTH:
            value = value[:SETTING_WIDTH - 1] + "…"
        lines.append(f"  - `{item.name}` = `{value}`")
    if isinstance(check, MonteCarloCheck):
        size = (f"{check.samples:,} prompts by default" if check.variance is None else
                "as many prompts as the exact variance of one value says are needed for z*·SE ≤ 0.8 × tolerance")
        lines += [f"- samples: {size}, in 40 batches (standard error by batch means)",
                  f"- tolerance: {check.tolerance} (a pass needs the resolution z*·SE below it; level α = 1e-4, "
                  f"Bonferroni over components)"]
        if check.bias:
            lines.append(f"- finite-size allowance: {check.bias} (the simulation runs at a finite size — d, B, or a "
                         f"stopping rule — against its limit; only a deviation beyond this measured bias counts)")
    else:
        lines += [f"- instances: {check.instances} random instances, no sampling error",
                  f"- tolerance: relative {check.rtol:.0e} between the simulator's rollout and the derived formula"]
    return lines


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

**Symbols** (one name each; every page uses these).

| symbol | meaning |
|---|---|
| d | dimension of the features x and of the task vector |
| n | length (number of examples) of a training prompt; m the length of a test prompt |
| w* | the task vector, w* ~ N(0, I_d) (2510.03605 writes w) |
| X, S | the prompt's examples as columns, and its **sample covariance** S = X Xᵀ/n (S_m for m test examples, S_ℓ for task ℓ; 2603.01293 writes Σ̂ in Lemma A.1) |
| ŵ_k | the estimate of w* after k chain-of-thought steps, ŵ_0 = 0; k the number of steps |
| Ṽ, W̃ | the free blocks V[w, x] and W[x, w] of the layer (W̃ = I unless a page says otherwise) |
| Λ | the training (pretraining) covariance of x; 2603.01293 writes Σ₀ |
| Σ | the test covariance of x (Σ = Λ unless a page says otherwise; Σ = Σ₀ + Δ after a shift Δ) |
| Γ | the regularised covariance Γ = (1 + 1/n)Λ + tr(Λ)/n · I of `base:gamma-star` (Γ₀ when it is built from Σ₀) |
| Hard(Λ) | task hardness tr Λ / λ_min(Λ) (`tts:def-hardness`); λ_min the smallest and λ_j the j-th eigenvalue |
| E‖ŵ_k − w*‖² | the test error: expectation over w*, the test prompt and (m < ∞) S; lim_{m→∞} puts S = Σ |
| ‖M‖_F, tr, ρ(M) | Frobenius norm, trace, spectral radius (the largest absolute eigenvalue) |
| π, L | probabilities of a mixture of L training tasks (Λ_ℓ, n_ℓ); Ṽ(π) the layer trained on it |
| A, B, η | SFT: B prompts with x ~ N(0, A), teacher-forced targets w_i = (1 − (1 − η)^i) w*; c_k = Σ_{i≤k}(1 − η)^{2i} |
| β, γ, μ₁ | proportional limit (App. B of 2603.01293): B = βd, n = d/γ, a fraction μ₁ of the directions shifted |

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
        lines += ["## Anchors of the field", "",
                  "Each in its own paper's convention; [conventions](conventions.md) maps every one onto this "
                  "toolkit's.", ""]
        lines += [f"- [`{r.id}`]({page_name(r)}) ({r.kind}): {r.title}" for r in others]
        lines.append("")
    return "\n".join(lines)


def conventions_page(records: list[Record]) -> str:
    """notes/conventions.md: every convention the registry uses, side by side, and how each maps onto the toolkit's
    own (Convention.mapping), with the results that declare it."""
    conventions = {}
    for record in records:
        conventions.setdefault(record.convention.name, (record.convention, []))[1].append(record)
    lines = ["# Conventions: how each paper's setup maps onto this toolkit's", "",
             "Generated by `icl-theory notes` from the registry; do not edit by hand. Papers differ in the covariate "
             "law, the task prior, label noise, the attention scale, the sign of the output and whether the model "
             "predicts the label y or the task w*. Every result declares one convention; this page sets them side "
             "by side and says, for each, how its quantities read in the toolkit's own convention (the first row, "
             "[the setup](README.md#the-setup-once)).", "",
             "| convention | covariates x | task | noise | attention scale | output | predicts |",
             "|---|---|---|---|---|---|---|"]
    for convention, _ in conventions.values():
        cells = (convention.name, convention.covariates, convention.task_prior, convention.noise,
                 convention.attention_scale, "+ entry" if convention.output_sign == 1 else "− entry",
                 convention.target)
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    lines.append("")
    for convention, chosen in conventions.values():
        lines += [f"## {convention.name}", ""]
        lines += [f"**Map onto the toolkit's convention.** {convention.mapping}", ""] if convention.mapping else \
                 ["The toolkit's own convention.", ""]
        lines += [f"- [`{r.id}`]({page_name(r)}): {r.title}" for r in chosen] + [""]
    return "\n".join(lines)


def page_name(record: Record) -> str:
    return record.id.replace(":", "__") + ".md"


def write_notes(directory: str | Path) -> list[Path]:
    from derivations import registry

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / "README.md"
    index.write_text(index_page(list(registry.records())), encoding="utf-8")
    conventions = directory / "conventions.md"
    conventions.write_text(conventions_page(list(registry.records())), encoding="utf-8")
    written = [index, conventions]
    for name, make_page in registry.teaching_pages().items():   # pages a records module writes (NOTES_PAGES)
        (directory / name).write_text(make_page(), encoding="utf-8")
        written.append(directory / name)
    for record in registry.records():
        path = directory / page_name(record)
        path.write_text(page(record), encoding="utf-8")
        written.append(path)
    return written

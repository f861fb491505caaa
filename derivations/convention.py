"""One convention object, declared by every result (the papers normalise differently; anchors.md §A.0)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    """How a paper sets up the in-context regression problem and reads the model's output."""

    name: str
    covariates: str          # law of the features x
    task_prior: str          # law of the task vector w*
    noise: str               # label noise
    attention_scale: str     # the λ in f(Z) = Z + V Z (Zᵀ W Z)/λ
    output_sign: int         # +1: the prediction is the output entry; −1: minus the entry (Ahn et al., von Oswald)
    target: str              # "w": weight prediction (the w block of the last column); "y": label prediction
    mapping: str = ""        # how it maps onto the toolkit's own convention (JAVANMARD); empty for JAVANMARD itself

    def __post_init__(self) -> None:
        if self.output_sign not in (1, -1):
            raise ValueError("output_sign must be +1 or -1")
        if self.target not in ("w", "y"):
            raise ValueError("target must be 'w' or 'y'")

    def describe(self) -> str:
        sign = "" if self.output_sign == 1 else "minus "
        return (f"{self.name}: x ~ {self.covariates}, w* ~ {self.task_prior}, noise {self.noise}, "
                f"attention scale 1/{self.attention_scale}, prediction = {sign}the {self.target} entry")


JAVANMARD = Convention(
    name="Javanmard-Mirzasoleiman-Mirrokni (2510.03605, 2603.01293)",
    covariates="N(0, Σ)", task_prior="N(0, I_d)", noise="none",
    attention_scale="n (number of in-context examples)", output_sign=1, target="w",
)
HUANG_WANG_LEE = Convention(
    name="Huang-Wang-Lee (2502.21212)",
    covariates="N(0, I_d)", task_prior="N(0, I_d)", noise="none",
    attention_scale="n (number of in-context examples)", output_sign=1, target="w",
    mapping=("identical to the toolkit's layer, embedding (row blocks x, y, w, 1), attention scale 1/n and w-target, "
             "at Σ = I. The CoT data are the GD iterates w_{i+1} = w_i − ηS(w_i − w*) of the prompt's own least "
             "squares (fixed step η, w_0 = 0); the learned layer is Ṽ = −ηI, W̃ = I in the toolkit's blocks (V[w, x] "
             "= Ṽ, W[x, w] = W̃, W[y, one] = −1), so each CoT step is ŵ_{i+1} = ŵ_i + ṼS(W̃ŵ_i − w*) = ŵ_i − ηS(ŵ_i "
             "− w*)."),
)
ZHANG_FREI_BARTLETT = Convention(
    name="Zhang-Frei-Bartlett (2306.09927)",
    covariates="N(0, Λ)", task_prior="N(0, I_d)", noise="none",
    attention_scale="N (the prompt's own length)", output_sign=1, target="y",
    mapping=("y-target, scale 1/(the prompt's own length), sign +1. The readout ŷ = x_qᵀGh, h = (1/N)Σ y_i x_i, with "
             "G = cKᵀ (W^{PV} corner c, W^{KQ} block K), is the toolkit's one-step weight estimate ŵ_1 = −Ṽh read at "
             "the query, G = −Ṽ; the y-risk is the Λ-weighted w-risk, E(ŷ − y_q)² = E‖ŵ_1 − w*‖²_Λ. ZFB's training N "
             "is the toolkit's n, their test M its m, their Λ its Σ; their Γ = (1 + 1/N)Λ + tr(Λ)/N·I is the "
             "toolkit's Γ entry for entry (tests/test_field.py)."),
)
MAHANKALI = Convention(
    name="Mahankali-Hashimoto-Ma (2307.03576)",
    covariates="N(0, I_d)", task_prior="N(0, I_d)", noise="y = wᵀx + ε, ε ~ N(0, σ²) (query label too)",
    attention_scale="n (number of in-context examples)", output_sign=1, target="y",
    mapping=("y-target, scale 1/n, sign +1. The step η is G = ηI, i.e. the toolkit's Ṽ = −ηI read at the query, ŷ = "
             "x_qᵀŵ_1; at Λ = I the y-risk is σ² + E‖Gh − w‖², so at σ = 0 the excess risk d(d + 1)/(n + d + 1) is "
             "base:no-cot-isotropic-error, and η* = n/(n + d + 1) is ZFB's Γ⁻¹ at Λ = I."),
)
WU = Convention(
    name="Wu-Zou-Chen-Braverman-Gu-Bartlett (2310.08391, ICLR 2024)",
    covariates="N(0, H)", task_prior="N(0, I_d) (ψ = 1)", noise="ε ~ N(0, σ²) on every label",
    attention_scale="N (number of in-context examples)", output_sign=1, target="y",
    mapping=("y-target, scale 1/N, sign +1. Wu et al.'s Γ is G = the toolkit's −Ṽ, their H the toolkit's Σ, ψ = 1; "
             "at σ = 0 their Γ* is base:gamma-star's Γ⁻¹ with n = N, and the label noise only turns tr H into tr H + "
             "σ²."),
)
ZFB_NOISY = Convention(
    name="Zhang-Frei-Bartlett (2306.09927), Thm 4.2 test distribution",
    covariates="N(0, Λ)", task_prior="a fixed task a (test); N(0, I_d) in training",
    noise="ε ~ N(0, σ²) at test, none in training",
    attention_scale="N in training, M (the test prompt's own length) at test", output_sign=1, target="y",
    mapping=("as Zhang–Frei–Bartlett (G = −Ṽ, N = n, M = m, Λ = Σ), tested on a fixed task a with label noise σ²: "
             "E(ŷ − y_q)² = σ² + E‖ŵ_1 − a‖²_Λ, the toolkit's w-error of the task a weighted by Λ, plus the noise."),
)
AHN = Convention(
    name="Ahn-Cheng-Daneshmand-Sra (2306.00297)",
    covariates="N(0, Σ = UΛUᵀ)", task_prior="N(0, I_d)", noise="none",
    attention_scale="n, keys and values masked to the n examples", output_sign=-1, target="y",
    mapping=("y-target, scale 1/n with the query masked, output sign −1. The readout is minus the entry, so the "
             "key-query block is G = −(P corner)·Qᵀ and Ahn et al.'s optimum Q₀ = −Γ⁻¹ equals the toolkit's Ṽ* = "
             "−Γ⁻¹ entry for entry; Lemma 1's layer ℓ with A_ℓ = A is the toolkit's CoT step with Ṽ = −A, W̃ = I "
             "(ŵ_{i+1} = ŵ_i + ṼS(ŵ_i − w*)), read at the query."),
)
TAKANAMI_PEHLEVAN = Convention(
    name="Takanami-Pehlevan (2606.03217), as reconstructed [R]: the paper's own normalisation was not retrievable",
    covariates="N(0, I_d), d, m → ∞ with γ = d/m fixed", task_prior="N(0, I_d)", noise="none",
    attention_scale="m (the test prompt's length), errors per dimension (1/d)", output_sign=1, target="w",
    mapping=("[R] their reasoning depth is the toolkit's k (CoT steps appended at test time); their context length "
             "is the test prompt length m, entering as γ = d/m; their pretraining data amount is read as the "
             "training length n = τd, which fixes the pretrained preconditioner Ṽ = −cI, c = n/(n + d + 1) → τ/(1 + "
             "τ) (2510.03605 Thm 3.1 at Λ = I). Errors are per dimension, (1/d)E‖ŵ_k − w*‖²; isotropic covariates "
             "and tasks, no noise, w-target."),
)
LU = Convention(
    name="Lu-Letey-Zavatone-Veth-Maiti-Pehlevan (2405.11751, PNAS 2025)",
    covariates="N(0, I_d/d)",
    task_prior="k = κd fixed tasks with ‖w‖² = d in pretraining; fresh N(0, I_d) at the ICL test",
    noise="ε ~ N(0, ρ) on every label (the query's too)",
    attention_scale="ℓ, ℓ = αd examples (reduced model ŷ = ⟨Γ, H_Z⟩, H_Z = x_q[(d/ℓ)Σ y_i x_iᵀ, (1/ℓ)Σ y_i²])",
    output_sign=1, target="y",
    mapping=("y-target with covariates scaled x ~ N(0, I_d/d), so in the toolkit's units Σ = I_d/d and their ℓ = αd "
             "is the toolkit's n. Their reduced model ŷ = ⟨Γ, H_Z⟩ contains the one-layer readout: the first d "
             "columns of Γ act as x_qᵀGh with h = (1/ℓ)Σ y_i x_i and G = d·Γ_{:, :d} (the toolkit's −Ṽ read at the "
             "query); the last column weighs the label power (1/ℓ)Σ y_i², which the toolkit's sparse layer does not "
             "have. Γ is the ridgeless fit to n = τd² contexts from k = κd fixed tasks; as τ, κ → ∞ it tends to the "
             "population optimum, and at ρ = 0 the error 1/(1 + α) is zfb:noiseless-error at Λ = I/d, N = M = αd as "
             "d → ∞."),
)

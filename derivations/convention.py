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
)
ZHANG_FREI_BARTLETT = Convention(
    name="Zhang-Frei-Bartlett (2306.09927)",
    covariates="N(0, Λ)", task_prior="N(0, I_d)", noise="none",
    attention_scale="N (the prompt's own length)", output_sign=1, target="y",
)
MAHANKALI = Convention(
    name="Mahankali-Hashimoto-Ma (2307.03576)",
    covariates="N(0, I_d)", task_prior="N(0, I_d)", noise="y = wᵀx + ε, ε ~ N(0, σ²) (query label too)",
    attention_scale="n (number of in-context examples)", output_sign=1, target="y",
)
WU = Convention(
    name="Wu-Zou-Chen-Braverman-Gu-Bartlett (2310.08391, ICLR 2024)",
    covariates="N(0, H)", task_prior="N(0, I_d) (ψ = 1)", noise="ε ~ N(0, σ²) on every label",
    attention_scale="N (number of in-context examples)", output_sign=1, target="y",
)
ZFB_NOISY = Convention(
    name="Zhang-Frei-Bartlett (2306.09927), Thm 4.2 test distribution",
    covariates="N(0, Λ)", task_prior="a fixed task a (test); N(0, I_d) in training",
    noise="ε ~ N(0, σ²) at test, none in training",
    attention_scale="N in training, M (the test prompt's own length) at test", output_sign=1, target="y",
)
AHN = Convention(
    name="Ahn-Cheng-Daneshmand-Sra (2306.00297)",
    covariates="N(0, Σ = UΛUᵀ)", task_prior="N(0, I_d)", noise="none",
    attention_scale="n, keys and values masked to the n examples", output_sign=-1, target="y",
)

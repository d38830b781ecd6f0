"""spatial-vae/02's figures: how separable each model's code is to a linear SVM, against the thesis's Table 1 and
Fig. 8. The thesis's numbers and each label are named here once; the notebook's rules, the prose roles and the
calibration records read the figures by these names."""

from __future__ import annotations

from collections.abc import Mapping

#: Table 1 of the thesis: 9-fold CV mean and standard deviation, and test accuracy (%), per input (dim).
THESIS_TABLE1 = {
    "raw MNIST (784)": (91.19, 0.74, 91.80), "PCA (8)": (75.09, 1.32, 75.51), "VAE (8)": (87.70, 0.93, 87.99),
    "affine T-VAE (8)": (89.30, 0.68, 88.39), "TPS T-VAE (8)": (88.42, 0.58, 88.65),
    "affine DTVAE (8)": (93.56, 0.64, 93.87), "PCA (20)": (85.62, 1.20, 86.52), "VAE (20)": (85.77, 1.22, 86.45),
    "affine T-VAE (20)": (90.80, 0.66, 90.51), "TPS T-VAE (20)": (94.65, 0.46, 94.48),
    "affine DTVAE (20)": (93.56, 0.61, 94.17)}

DTVAE_LEAD = "DTVAE − best of VAE, affine T-VAE (points)"
GAP_SMALL, GAP_LARGE = "gap at small size (points)", "gap at large size (points)"
GAP_WIDENS = "gap at large − gap at small size (points)"
TPS_GAIN = "TPS T-VAE large − small (points)"
DTVAE_GAIN = "DTVAE large − small (points)"
TPS_LEAD = "TPS T-VAE − best other input at large size (points)"
VAE_PCA = "|VAE − PCA| at large size (points)"
SVM_DIGITS = "SVM training digits"
SPREAD_2D = "spread of 2-D SVM accuracy (points)"
#: The rows each judged by its own subset of the Table 1 figures, with the same subset for the untrained control.
TABLE1_ROWS = {"table1-dtvae-best-small": (DTVAE_LEAD,), "table1-tvae-above-vae": (GAP_SMALL, GAP_LARGE),
               "table1-tvae-gap-widens": (GAP_WIDENS,), "table1-tps-gains": (TPS_GAIN,),
               "table1-tps-best-large": (TPS_LEAD,), "table1-vae-like-pca": (VAE_PCA,)}


def baselines(small: int, large: int) -> list[str]:
    """The inputs whose accuracy checks our SVM protocol against the thesis: raw pixels and PCA at both sizes."""
    return ["raw MNIST (784)", f"PCA ({small})", f"PCA ({large})"]


def baseline_label(name: str) -> str:
    """The label of a baseline's distance to the thesis's test accuracy."""
    return f"|{name} − thesis| (points)"


def table1_figures(acc: Mapping[str, float], small: int, large: int) -> dict[str, float]:
    """Every figure the Table 1 code rows judge, from one set of test accuracies keyed like Table 1's rows
    (``"VAE (8)"``, ``"PCA (20)"``, ...): ours, or a control's."""
    g_small = acc[f"affine T-VAE ({small})"] - acc[f"VAE ({small})"]
    g_large = acc[f"affine T-VAE ({large})"] - acc[f"VAE ({large})"]
    others = [v for k, v in acc.items() if k.endswith(f"({large})") and not k.startswith("TPS")]
    return {DTVAE_LEAD: acc[f"affine DTVAE ({small})"] - max(acc[f"VAE ({small})"], acc[f"affine T-VAE ({small})"]),
            GAP_SMALL: g_small, GAP_LARGE: g_large, GAP_WIDENS: g_large - g_small,
            TPS_GAIN: acc[f"TPS T-VAE ({large})"] - acc[f"TPS T-VAE ({small})"],
            DTVAE_GAIN: acc[f"affine DTVAE ({large})"] - acc[f"affine DTVAE ({small})"],
            TPS_LEAD: acc[f"TPS T-VAE ({large})"] - max(others),
            VAE_PCA: abs(acc[f"VAE ({large})"] - acc[f"PCA ({large})"])}


def codes_figures(test: Mapping[str, float], untrained_test: Mapping[str, float], shuffled_test: Mapping[str, float],
                  separability: Mapping[str, float], *, small: int, large: int, n_svm: int,
                  ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Every figure spatial-vae/02's claims read, per claim id: ours, and the control's (the same models untrained,
    their codes fed to the same SVM; the TPS T-VAE in the DTVAE's place; the SVM on shuffled labels; the VAE counted
    among the 2-D models).

    ``test``, ``untrained_test`` and ``shuffled_test`` are test accuracies keyed like Table 1's rows;
    ``separability`` the 2-D codes' accuracy per model kind (``vae``, ``affine-tvae``, ...)."""
    ours, ctrl = table1_figures(test, small, large), table1_figures(untrained_test, small, large)
    F = {row: {k: ours[k] for k in keys} for row, keys in TABLE1_ROWS.items()}
    C = {row: {k: ctrl[k] for k in keys} for row, keys in TABLE1_ROWS.items()}
    F["table1-dtvae-flat"] = {DTVAE_GAIN: ours[DTVAE_GAIN]}
    C["table1-dtvae-flat"] = {DTVAE_GAIN: ours[TPS_GAIN]}
    names = baselines(small, large)
    F["table1-svm-baselines"] = {**{baseline_label(n): abs(test[n] - THESIS_TABLE1[n][2]) for n in names},
                                 SVM_DIGITS: n_svm}
    C["table1-svm-baselines"] = {baseline_label(n): abs(shuffled_test[n] - THESIS_TABLE1[n][2]) for n in names}
    transformers = [v for kind, v in separability.items() if kind != "vae"]
    F["fig8-no-clear-winner"] = {SPREAD_2D: max(transformers) - min(transformers)}
    C["fig8-no-clear-winner"] = {SPREAD_2D: max(separability.values()) - min(separability.values())}
    return F, C


"""Table 1's judged figures come from one function for ours and the controls."""

import pytest

from aebook.experiments import spatial_vae as sv


def test_table1_figures_read_the_gaps_the_rows_judge():
    acc = {"VAE (8)": 88.0, "affine T-VAE (8)": 88.4, "TPS T-VAE (8)": 88.6, "affine DTVAE (8)": 93.9,
           "VAE (20)": 86.4, "affine T-VAE (20)": 90.5, "TPS T-VAE (20)": 94.5, "affine DTVAE (20)": 94.2,
           "PCA (20)": 86.5, "raw MNIST (784)": 91.8}
    f = sv.table1_figures(acc, 8, 20)
    assert f["DTVAE − best of VAE, affine T-VAE (points)"] == pytest.approx(5.5)
    assert f["gap at large − gap at small size (points)"] == pytest.approx(4.1 - 0.4)
    assert f["TPS T-VAE − best other input at large size (points)"] == pytest.approx(94.5 - 94.2)
    assert f["|VAE − PCA| at large size (points)"] == pytest.approx(0.1)
    with pytest.raises(KeyError):
        sv.table1_figures({k: v for k, v in acc.items() if k != "PCA (20)"}, 8, 20)

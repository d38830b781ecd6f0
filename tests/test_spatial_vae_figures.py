"""Table 1's judged figures come from one function for ours and the controls."""

import numpy as np
import pytest

from aebook.experiments import separability as sp
from aebook.experiments import spatial_vae as sv


def test_table1_figures_read_the_gaps_the_rows_judge():
    acc = {"VAE (8)": 88.0, "affine T-VAE (8)": 88.4, "TPS T-VAE (8)": 88.6, "affine DTVAE (8)": 93.9,
           "VAE (20)": 86.4, "affine T-VAE (20)": 90.5, "TPS T-VAE (20)": 94.5, "affine DTVAE (20)": 94.2,
           "PCA (20)": 86.5, "raw MNIST (784)": 91.8}
    f = sp.table1_figures(acc, 8, 20)
    assert f["DTVAE − best of VAE, affine T-VAE (points)"] == pytest.approx(5.5)
    assert f["gap at large − gap at small size (points)"] == pytest.approx(4.1 - 0.4)
    assert f["TPS T-VAE − best other input at large size (points)"] == pytest.approx(94.5 - 94.2)
    assert f["|VAE − PCA| at large size (points)"] == pytest.approx(0.1)
    with pytest.raises(KeyError):
        sp.table1_figures({k: v for k, v in acc.items() if k != "PCA (20)"}, 8, 20)


def test_ink_slant_reads_the_lean_of_a_stroke():
    import numpy as np

    from aebook.analysis.images import ink_slant

    img = np.zeros((3, 28, 28))
    for r in range(5, 23):
        img[0, r, 14] = 1.0  # upright
        img[1, r, 14 + (22 - r) // 3] = 1.0  # top leaning right
        img[2, r, 14 - (22 - r) // 3] = 1.0  # top leaning left
    s = ink_slant(np.concatenate([img, np.zeros((1, 28, 28))]))
    assert s[0] == pytest.approx(0.0, abs=1e-12) and s[1] > 0.25 and s[2] == pytest.approx(-s[1])
    assert np.isnan(s[3])  # no ink


def test_prior_posterior_ratio_is_one_when_nothing_is_learnt_and_refuses_a_pose_model():
    import torch

    x = torch.rand(64, 1, 28, 28)
    ratio = sv.prior_posterior_samples(sv.untrained("vae", 4, 0), x, 0)["pixel entropy, prior samples / posterior samples"]
    assert ratio == pytest.approx(1.0, abs=0.01)  # an untrained decoder blurs every code alike
    with pytest.raises(ValueError, match="plain VAE"):
        sv.prior_posterior_samples(sv.untrained("affine-tvae", 4, 0), x, 0)


def test_the_matched_prior_control_draws_with_the_aggregate_posteriors_mean_and_spread(monkeypatch):
    """sec6's control: the "prior" codes come from a normal with the posterior codes' own mean and variance."""
    import torch

    seen = []

    def record(model, z, pose):
        seen.append(z.detach().cpu().clone())
        return np.full((len(z), 28, 28), 0.5)

    monkeypatch.setattr(sv, "decode_at", record)
    model = sv.untrained("vae", 3, 0)
    x = torch.rand(2000, 1, 28, 28)
    sv.prior_posterior_samples(model, x, 0, matched=True)
    posterior, drawn = seen
    assert torch.allclose(drawn.mean(0), posterior.mean(0), atol=0.1 * float(posterior.std(0).max()))
    assert torch.allclose(drawn.std(0), posterior.std(0), rtol=0.1)
    sv.prior_posterior_samples(model, x, 0)  # the prior itself: N(0, I)
    assert torch.allclose(seen[3].std(0), torch.ones(3), rtol=0.1) and not torch.allclose(seen[3], drawn)


def test_the_svm_folds_give_the_same_figures_in_threads_as_one_by_one(monkeypatch):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(180, 5))
    y = (x[:, 0] + 0.5 * rng.normal(size=180) > 0).astype(int)
    monkeypatch.setenv("AEBOOK_ANALYSIS_WORKERS", "1")
    one = sv.svm_accuracy(x[:150], y[:150], x[150:], y[150:], folds=3)
    monkeypatch.setenv("AEBOOK_ANALYSIS_WORKERS", "3")
    assert sv.svm_accuracy(x[:150], y[:150], x[150:], y[150:], folds=3) == one

"""The closed-form family spectra equal the autograd ones member by member, and the statistics read them right."""

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from aebook.analysis import eigen_stats as es
from aebook.analysis.family_spectra import family_spectra
from aebook.analysis.spectra import composed_spectra
from aebook.models.mlp_family import MLPFamily


def match_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance between two multisets of complex numbers after the best one-to-one matching."""
    cost = np.abs(a[:, None] - b[None, :])
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].max())


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_family_spectra_equal_autograd_spectra_of_each_member(activation):
    torch.manual_seed(0)
    family = MLPFamily([2, 5, 3], in_dim=30, hidden=(12, 8), activation=activation).double()
    with torch.no_grad():  # biases away from zero, so that the ReLU pattern is not trivial
        for b in family.biases:
            b.normal_()
    x = torch.rand(9, 30, dtype=torch.float64)
    fast = family_spectra(family, x, chunk=4)  # chunks of 4 exercise the concatenation
    complex_seen = False
    for member, spec in zip(family.members(), fast):
        slow = composed_spectra(member.eval(), x)
        assert spec.input_space.shape == slow.input_space.shape == (9, member.encoder[-1].out_features)
        for a, b in zip(spec.input_space.numpy(), slow.input_space.numpy()):
            assert match_error(a, b) < 1e-10
        for a, b in zip(spec.latent_space.numpy(), slow.latent_space.numpy()):
            assert match_error(a, b) < 1e-10
        complex_seen |= bool((spec.input_space.imag.abs() > 1e-6).any())
    assert complex_seen, "the test should cover complex eigenvalues"


def test_sorting_and_distance():
    lam = np.array([[1 - 2j, 0.5, 1 + 2j]])
    np.testing.assert_allclose(es.sort_by_modulus(lam), [[1 + 2j, 1 - 2j, 0.5]])
    # the same multiset in another order is at distance zero; a change of one eigenvalue by 0.3 costs 0.09 / d
    assert es.eigen_distance(lam, lam[:, ::-1])[0] == pytest.approx(0.0)
    assert es.eigen_distance(lam, np.array([[1 - 2j, 0.8, 1 + 2j]]))[0] == pytest.approx(0.09 / 3)


def test_means_spread_orientation_and_arguments():
    lam = np.array([[2.0, 0.5], [-1.0, 1.0], [1j, -1j]])
    assert es.arithmetic_mean_modulus(lam) == pytest.approx(6.5 / 6)
    assert es.geometric_mean_modulus(lam) == pytest.approx(1.0)  # log 2 + log 0.5 + 0 … = 0
    assert es.log_modulus_std(lam) == pytest.approx(np.std([np.log(2), np.log(0.5), 0, 0, 0, 0]))
    # a zero eigenvalue is left out of the spread, not floored at the rank tolerance; none left: NaN
    assert es.log_modulus_std(np.array([[2.0, 0.5, 0.0]])) == pytest.approx(np.log(2))
    assert np.isnan(es.log_modulus_std(np.zeros((2, 2))))
    np.testing.assert_array_equal(es.orientation_reversed(lam), [False, True, False])  # 1j·(−1j) = 1 > 0
    np.testing.assert_allclose(es.abs_argument(lam)[1:], [[np.pi, 0], [np.pi / 2, np.pi / 2]])
    assert np.isfinite(es.log_modulus(np.zeros((1, 2)))).all()
    with pytest.raises(ValueError, match="n_points, d"):
        es.log_modulus(np.ones(3))


def test_a_singular_map_has_no_orientation_and_its_zero_eigenvalue_no_argument():
    # diag(2, -1, 0): the third eigenvalue is a structural zero, so the sign of the determinant is undefined
    lam = np.linalg.eigvals(np.diag([2.0, -1.0, 0.0]))[None, :]
    assert es.singular(lam).tolist() == [True]
    assert es.orientation(lam).tolist() == [0]
    assert not es.orientation_reversed(lam)[0]
    assert np.isnan(es.reversed_share(lam))  # no full-rank point: no share to report
    arg = es.abs_argument(lam)[0]
    assert np.isnan(arg).sum() == 1 and es.mean_abs_argument(lam) == pytest.approx(np.pi / 2)  # (0 + π) / 2
    # log|λ| of the zero is floored at the tolerance relative to the largest modulus (2), not at 1e-12
    assert es.log_modulus(lam).min() == pytest.approx(np.log(2 * es.RANK_TOL))


def test_roundoff_zero_with_a_random_sign_does_not_decide_orientation():
    # a rank-2 3×3 product in float32: its third eigenvalue is roundoff whose sign depends on the rounding
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    exact = np.linalg.eigvals(a @ b)
    noisy = np.array([exact + np.array([0, 0, eps]) for eps in (1e-9, -1e-9, 3e-8j)])
    noisy = noisy[:, np.argsort(-np.abs(exact))]
    assert es.singular(noisy).all()
    assert (es.orientation(noisy) == 0).all()  # without the tolerance the signs would be +, −, complex
    assert np.isnan(es.abs_argument(noisy)).sum(axis=1).tolist() == [1, 1, 1]
    # a genuinely small but nonzero eigenvalue (1e-4 of the largest) still counts
    lam = np.array([[1.0, -1e-4]])
    assert not es.singular(lam)[0] and es.orientation(lam).tolist() == [-1] and es.reversed_share(lam) == 1.0


def test_family_spectra_run_in_float64_on_a_copy():
    torch.manual_seed(0)
    family = MLPFamily([2, 3], in_dim=12, hidden=(8, 6)).eval()
    x = torch.rand(5, 12)
    spec = family_spectra(family, x)
    assert spec[0].input_space.dtype == torch.complex128
    assert family.mask.dtype == torch.float32  # the family itself is untouched
    single = family_spectra(family, x, dtype=torch.float32)
    np.testing.assert_allclose(spec[1].input_space.numpy(), single[1].input_space.numpy(), rtol=1e-3, atol=1e-5)


def test_relative_distance_is_scale_free_and_bounded():
    lam_i, lam_l = np.array([[2.0, 1.0 + 1j, 1.0 - 1j]]), np.array([[2.0, 1.0, 0.5]])
    d = es.relative_eigen_distance(lam_i, lam_l)
    assert d[0] == pytest.approx(es.relative_eigen_distance(10 * lam_i, 10 * lam_l)[0])  # size does not count
    assert es.relative_eigen_distance(lam_i, lam_i[:, ::-1])[0] == pytest.approx(0.0)
    assert es.relative_eigen_distance(np.array([[1.0, 0.0]]), np.array([[-1.0, 0.0]]))[0] == pytest.approx(2.0)
    assert es.relative_eigen_distance(np.zeros((1, 2)), np.zeros((1, 2)))[0] == 0.0


def test_left_tail_grows_with_small_eigenvalues_and_ignores_zeros():
    rng = np.random.default_rng(0)
    body = np.exp(rng.normal(0, 0.1, (200, 10)))
    with_tail = body.copy()
    with_tail[:, 0] = 1e-3  # a tenth of the eigenvalues small, not zero
    assert es.left_tail(with_tail) > es.left_tail(body) + 3
    with_zeros = body.copy()
    with_zeros[:, 0] = 0.0  # structural zeros are left out, as for the spread
    assert es.left_tail(with_zeros) == pytest.approx(es.left_tail(body[:, 1:]))


def test_argument_coverage_separates_real_from_rotating_spectra():
    assert es.argument_coverage(np.ones((50, 4))) == pytest.approx(1 / 18)  # real positive: one bin
    angles = np.linspace(0, np.pi, 1000, endpoint=False)
    assert es.argument_coverage(np.exp(1j * angles)[None, :]) == 1.0
    assert np.isnan(es.argument_coverage(np.zeros((3, 2))))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_eigenvalues_in_threads_equal_one_batched_call(workers):
    from aebook.analysis.family_spectra import eigvals_parallel

    mats = torch.randn(50, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(eigvals_parallel(mats, workers), torch.linalg.eigvals(mats))


def test_a_bad_worker_count_is_refused(monkeypatch):
    from aebook.analysis.family_spectra import analysis_workers

    monkeypatch.setenv("AEBOOK_ANALYSIS_WORKERS", "3")
    assert analysis_workers() == 3
    monkeypatch.setenv("AEBOOK_ANALYSIS_WORKERS", "none")
    with pytest.raises(ValueError, match="AEBOOK_ANALYSIS_WORKERS"):
        analysis_workers()

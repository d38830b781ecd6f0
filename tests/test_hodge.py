"""The Helmholtz–Hodge decomposition recovers parts known in closed form."""

import numpy as np
import pytest

from aebook.analysis.hodge import edges_to_nodes, hodge_decomposition, nodes_to_edges


def grid(n=65):
    xs = np.linspace(-1, 1, n)
    ys = np.linspace(-1, 1, n)
    return xs, ys, *np.meshgrid(xs, ys)  # X, Y of shape (ny, nx)


def rel(a, b):
    """Relative L² distance between two fields given as (x part, y part)."""
    num = sum(((p - q) ** 2).sum() for p, q in zip(a, b))
    den = sum((q**2).sum() for q in b)
    return float(np.sqrt(num / den))


def test_known_parts_are_recovered():
    xs, ys, X, Y = grid()
    s = np.sin(np.pi * (X + 1) / 2) * np.sin(np.pi * (Y + 1) / 2)  # zero on the boundary
    # curl-free part: ∇a with a = s (zero on the boundary)
    ga = (np.pi / 2 * np.cos(np.pi * (X + 1) / 2) * np.sin(np.pi * (Y + 1) / 2),
          np.pi / 2 * np.sin(np.pi * (X + 1) / 2) * np.cos(np.pi * (Y + 1) / 2))
    # divergence-free part: ∇⊥b = (∂b/∂y, −∂b/∂x) with b = s², tangent to the boundary
    gb = (2 * s * ga[1], -2 * s * ga[0])
    # harmonic part: ∇(x² − y²)
    gh = (2 * X, -2 * Y)
    u, v = ga[0] + gb[0] + gh[0], ga[1] + gb[1] + gh[1]
    dec = hodge_decomposition(u, v, xs, ys)
    assert rel(dec.curl_free, nodes_to_edges(*ga)) < 0.02
    assert rel(dec.divergence_free, nodes_to_edges(*gb)) < 0.02
    assert rel(dec.harmonic, nodes_to_edges(*gh)) < 0.02
    # the potential of the conservative part is a + x² − y², up to a constant
    true_u = s + X**2 - Y**2
    assert np.abs((dec.potential - dec.potential.mean()) - (true_u - true_u.mean())).max() < 0.02
    share = dec.energy(dec.divergence_free) / dec.energy(dec.field)
    assert dec.nonconservative_share == pytest.approx(share)
    assert 0.05 < share < 0.5


def test_gradient_field_is_fully_conservative_and_rotation_is_not():
    xs, ys, X, Y = grid(33)
    grad = hodge_decomposition(np.cos(X) * Y, np.sin(X), xs, ys)  # ∇(Y·sin X)
    assert grad.nonconservative_share < 1e-3
    # rigid rotation: curl 2 everywhere. On a square it is not tangent to the boundary (a disk would be), so a
    # gradient field can carry the part that crosses the boundary, but most of the energy stays rotational.
    rot = hodge_decomposition(-Y, X, xs, ys)
    assert rot.nonconservative_share > 0.8
    with pytest.raises(ValueError, match="must be"):
        hodge_decomposition(X[:, :-1], Y, xs, ys)


def test_planar_points_lie_near_their_shape():
    from aebook.data.planar import planar_points

    circle = planar_points("circle", 500, noise=0.0, seed=1)
    np.testing.assert_allclose(np.linalg.norm(circle, axis=1), 0.6, atol=1e-6)
    line = planar_points("line", 200, noise=0.0)
    np.testing.assert_allclose(line[:, 1], line[:, 0] / 2, atol=1e-6)
    spiral = planar_points("spiral", 300, noise=0.02)
    assert spiral.shape == (300, 2) and spiral.dtype == np.float32 and np.abs(spiral).max() < 1
    np.testing.assert_array_equal(planar_points("spiral", 10, seed=3), planar_points("spiral", 10, seed=3))
    with pytest.raises(ValueError, match="unknown shape"):
        planar_points("square", 10)


def test_edges_back_to_nodes_recovers_a_linear_field_inside_and_keeps_the_shape():
    xs, ys = np.linspace(-1, 1, 7), np.linspace(-2, 2, 5)
    X, Y = np.meshgrid(xs, ys)
    u, v = 3 * X + Y, X - 2 * Y
    back_u, back_v = edges_to_nodes(*nodes_to_edges(u, v))
    assert back_u.shape == u.shape and back_v.shape == v.shape
    np.testing.assert_allclose(back_u[:, 1:-1], u[:, 1:-1], atol=1e-12)   # the mean of two midpoints of a linear field
    np.testing.assert_allclose(back_v[1:-1, :], v[1:-1, :], atol=1e-12)
    np.testing.assert_allclose(back_u[:, 0], 0.5 * (u[:, 0] + u[:, 1]))  # a boundary node takes its one edge

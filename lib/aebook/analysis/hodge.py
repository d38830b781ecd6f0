"""Helmholtz–Hodge decomposition of a 2-D vector field sampled on a regular grid (paper 003, "Decomposing the field").

F = ∇φ + ∇⊥ψ + h on a rectangle, by least squares with the grid's finite-difference gradient D (forward
differences between neighbouring nodes, so each component lives on the edges between nodes):

- the **nearest conservative field** is ∇U with U = argmin ‖D U − F‖² (no boundary condition on U): its
  potential U is the energy surface, defined up to a constant (we fix mean U = 0);
- the **divergence-free part** is the residual F − ∇U: the normal equations say Dᵀ(F − DU) = 0, i.e. it has zero
  discrete divergence and no flux through the boundary;
- ∇U splits into the **curl-free part** ∇φ with φ = argmin ‖D φ − F‖² subject to φ = 0 on the boundary
  (Dirichlet), and the **harmonic part** h = ∇(U − φ), both curl- and divergence-free inside the domain.

The three parts are orthogonal in the discrete L² norm on edges; ``nonconservative_share`` is ‖F − ∇U‖² / ‖F‖².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve


@dataclass
class HodgeDecomposition:
    """The parts of a field on edges: ``x`` components on horizontal edges (ny, nx−1), ``y`` on vertical (ny−1, nx)."""

    field: tuple[np.ndarray, np.ndarray]
    curl_free: tuple[np.ndarray, np.ndarray]
    divergence_free: tuple[np.ndarray, np.ndarray]
    harmonic: tuple[np.ndarray, np.ndarray]
    potential: np.ndarray  # U on the nodes (ny, nx): the nearest conservative field is ∇U
    curl_potential: np.ndarray  # φ on the nodes, zero on the boundary

    @property
    def conservative(self) -> tuple[np.ndarray, np.ndarray]:
        """The nearest conservative field ∇U = curl-free part + harmonic part."""
        return (self.curl_free[0] + self.harmonic[0], self.curl_free[1] + self.harmonic[1])

    def energy(self, part: tuple[np.ndarray, np.ndarray]) -> float:
        """Discrete L² energy (sum of squares over edges) of one of the parts."""
        return float((part[0] ** 2).sum() + (part[1] ** 2).sum())

    @property
    def nonconservative_share(self) -> float:
        """Share of the field's energy that no gradient field can carry: ‖F − ∇U‖² / ‖F‖²."""
        total = self.energy(self.field)
        return self.energy(self.divergence_free) / total if total > 0 else 0.0


def _gradient_operator(ny: int, nx: int, hx: float, hy: float) -> sparse.csr_matrix:
    """Sparse D mapping node values (ny·nx, row-major) to forward differences on horizontal then vertical edges."""
    dx = sparse.diags([-np.ones(nx - 1), np.ones(nx - 1)], [0, 1], shape=(nx - 1, nx)) / hx
    dy = sparse.diags([-np.ones(ny - 1), np.ones(ny - 1)], [0, 1], shape=(ny - 1, ny)) / hy
    gx = sparse.kron(sparse.identity(ny), dx)  # (ny·(nx−1), ny·nx)
    gy = sparse.kron(dy, sparse.identity(nx))  # ((ny−1)·nx, ny·nx)
    return sparse.vstack([gx, gy]).tocsr()


def nodes_to_edges(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A field sampled at the nodes (ny, nx) averaged onto edges: x on horizontal edges, y on vertical ones."""
    return 0.5 * (u[:, 1:] + u[:, :-1]), 0.5 * (v[1:, :] + v[:-1, :])


def edges_to_nodes(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Back from edges to the (ny, nx) grid nodes, for drawing: each interior node takes the mean of its two edges
    along the component's axis, a boundary node its one edge (``px`` is (ny, nx − 1), ``py`` is (ny − 1, nx))."""
    ny, nx = px.shape[0], py.shape[1]
    u, v = np.zeros((ny, nx), dtype=px.dtype), np.zeros((ny, nx), dtype=py.dtype)
    u[:, 1:-1] = 0.5 * (px[:, 1:] + px[:, :-1])
    u[:, 0], u[:, -1] = px[:, 0], px[:, -1]
    v[1:-1, :] = 0.5 * (py[1:, :] + py[:-1, :])
    v[0, :], v[-1, :] = py[0, :], py[-1, :]
    return u, v


def _split(vec: np.ndarray, ny: int, nx: int) -> tuple[np.ndarray, np.ndarray]:
    k = ny * (nx - 1)
    return vec[:k].reshape(ny, nx - 1), vec[k:].reshape(ny - 1, nx)


def hodge_decomposition(u: np.ndarray, v: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> HodgeDecomposition:
    """Decompose the field (u, v) sampled at nodes ``(ys[i], xs[j])`` (arrays (ny, nx)) of an evenly spaced grid."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    ny, nx = len(ys), len(xs)
    if u.shape != (ny, nx) or v.shape != (ny, nx):
        raise ValueError(f"u and v must be (len(ys), len(xs)) = {(ny, nx)}, got {u.shape} and {v.shape}")
    if nx < 3 or ny < 3:
        raise ValueError("the grid needs at least 3 × 3 nodes")
    hx, hy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
    d = _gradient_operator(ny, nx, hx, hy)
    fx, fy = nodes_to_edges(u, v)
    f = np.concatenate([fx.ravel(), fy.ravel()])

    # normal equations DᵀD U = Dᵀf (a graph Laplacian, singular only along constants: pin the first node)
    d_free = d[:, 1:]
    potential = np.concatenate([[0.0], spsolve((d_free.T @ d_free).tocsc(), d_free.T @ f)])
    potential -= potential.mean()
    grad_u = d @ potential

    interior = np.zeros((ny, nx), dtype=bool)
    interior[1:-1, 1:-1] = True
    d_in = d[:, interior.ravel()]
    phi_in = spsolve((d_in.T @ d_in).tocsc(), d_in.T @ f)
    phi = np.zeros(ny * nx)
    phi[interior.ravel()] = phi_in
    grad_phi = d @ phi

    return HodgeDecomposition(
        field=(fx, fy),
        curl_free=_split(grad_phi, ny, nx),
        divergence_free=_split(f - grad_u, ny, nx),
        harmonic=_split(grad_u - grad_phi, ny, nx),
        potential=potential.reshape(ny, nx),
        curl_potential=phi.reshape(ny, nx),
    )

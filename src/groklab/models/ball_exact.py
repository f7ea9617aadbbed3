"""Exact finite-sample solution of the uniform-ball model and its vectorised ensembles (NumPy).

Žunkovič & Ilievski 2024, Sec. 3.3 (spec ``zunkovic2024-local-rules.md`` §3). One job: given
drawn data sets, compute exactly what the model does on them, for one data set (``predict``) or
for 10⁵ of them in one vectorised pass (the Monte Carlo references of Eqs. 30–33, 86, 90 and
of the t_G density).

Notation. A training set has N points per class; ``z`` (shape (..., 2N, D)) holds the
label-signed inputs z_i = y_i x̃_i, so that the Eq. 19 loss is
R = (1/2N) Σ ½(z_i·w − 1)² + λ₂‖w‖²/2 + λ₁|w|₁, G = (1/2N) Σ z_i⊗z_i + λ₂1 and
a = (1/2N) Σ z_i − λ₁ sgn(w). A training point is misclassified when z_i·w ≤ 0. For the uniform
ball, z of a negative point is ε e₁ − x with x uniform, which has the law of ε e₁ + x, so an
ensemble draws the 2N points z_i = ε e₁ + x_i i.i.d. (:func:`ensemble_z`).

* :class:`ExactFlow` — Eq. 21 in the eigenbasis of G (λ₁ = 0), batched over data sets:
  w(t) = w(0) + Σ_k v_k (a_k − g_k c_k(0)) (1 − e^{−g_k t})/g_k; with a singular G (λ₂ = 0,
  2N < D) the null directions keep w(0) (limit G⁺a + (1 − G⁺G) w(0)). First times of zero
  training error and zero test error by bracketing on a log grid plus bisection.
* :func:`l1_stationary` — the λ₁ > 0 stationary point (minimiser of R): FISTA with adaptive
  restart, then an exact active-set solve on the identified support, verified by the KKT
  conditions (spec [project]: proximal gradient to 1e−10; here to round-off where the
  verification passes).
* :func:`mc_grok_probability` — P(E(∞) = 0) over ``n_sets`` sampled data sets: one batched
  Gram product, one batched solve (or the batched l1 solve) and one vectorised test.
* :func:`observables` — the Dataset curves from weights: train/population losses, train error,
  Eq. 22 test error, w₁, ‖w‖, h.
"""

from __future__ import annotations

import math

import numpy as np

from groklab.theory import local_rules_ball as th

__all__ = [
    "ExactFlow",
    "ensemble_z",
    "gram",
    "grokked",
    "l1_stationary",
    "mc_grok_probability",
    "observables",
    "sample_ball",
    "stationary",
]


def sample_ball(rng: np.random.Generator, shape: tuple[int, ...], dim: int) -> np.ndarray:
    """Points uniform in the unit D-ball: x = U^{1/D} g/‖g‖, g ~ N(0, 1_D), U ~ U[0, 1]
    (shape ``shape + (dim,)``)."""
    g = rng.standard_normal((*shape, dim))
    r = rng.random(shape) ** (1.0 / dim) / np.sqrt(np.einsum("...i,...i->...", g, g))
    g *= r[..., None]
    return g


def ensemble_z(rng: np.random.Generator, n_sets: int, n_train: int, dim: int,
               eps: float) -> np.ndarray:
    """``n_sets`` training sets of label-signed inputs z_i = ε e₁ + x_i, x_i uniform in the ball,
    shape (n_sets, 2N, D) (the law of y_i x̃_i for both classes; see the module docstring)."""
    z = sample_ball(rng, (n_sets, 2 * n_train), dim)
    z[..., 0] += eps
    return z


def gram(z: np.ndarray, lam2: float) -> tuple[np.ndarray, np.ndarray]:
    """G = (1/2N) Σ z⊗z + λ₂1 and b = (1/2N) Σ z (Eq. 19; a = b − λ₁ sgn w), batched."""
    m = z.shape[-2]
    G = np.matmul(np.swapaxes(z, -1, -2), z) / m
    idx = np.arange(z.shape[-1])
    G[..., idx, idx] += lam2
    return G, z.mean(axis=-2)


def grokked(w: np.ndarray, eps: float) -> np.ndarray:
    """Zero test error (Eqs. 24–25): h = ε w₁/‖w‖ ≥ 1, i.e. w₁ > 0 and
    (ε² − 1) w₁² ≥ Σ_{j≥2} w_j²."""
    w = np.asarray(w, dtype=float)
    w1 = w[..., 0]
    perp2 = np.sum(w[..., 1:] ** 2, axis=-1)
    return (w1 > 0) & ((eps * eps - 1.0) * w1 * w1 >= perp2)


def _soft(x, thr):
    return np.sign(x) * np.maximum(np.abs(x) - thr, 0.0)


def l1_stationary(G: np.ndarray, b: np.ndarray, lam1: float, *, tol: float = 1e-12,
                  max_iter: int = 200_000, block: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Minimiser of ½wᵀGw − b·w + λ₁‖w‖₁ for a batch (G: (S, D, D), b: (S, D)).

    FISTA with gradient-based adaptive restart (step 1/λ_max(G)) until the proximal-gradient
    residual is below ``tol``·λ_max, then the active-set polish: on the support A with signs s,
    solve G_AA w_A = b_A − λ₁ s_A exactly and accept it where the KKT conditions hold
    (sgn w_A = s, |(Gw − b)_j| ≤ λ₁ off A). Returns (w, exact) with ``exact`` the mask of data
    sets whose polish was verified. G must be positive definite (λ₂ > 0 or 2N ≥ D).
    """
    G = np.asarray(G, dtype=float)
    b = np.asarray(b, dtype=float)
    S, D = b.shape
    L = np.linalg.eigvalsh(G)[:, -1]
    x = np.zeros((S, D))
    y = x.copy()
    tk = np.ones(S)
    live = np.arange(S)
    for _ in range(0, max_iter, block):
        if live.size == 0:
            break
        Gl, bl, Ll = G[live], b[live], L[live]
        xl, yl, tl = x[live], y[live], tk[live]
        for _ in range(block):
            grad = np.einsum("sij,sj->si", Gl, yl) - bl
            xn = _soft(yl - grad / Ll[:, None], lam1 / Ll[:, None])
            restart = np.sum((yl - xn) * (xn - xl), axis=1) > 0
            tn = np.where(restart, 1.0, 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * tl * tl)))
            mom = np.where(restart, 0.0, (tl - 1.0) / tn)
            yl = xn + mom[:, None] * (xn - xl)
            xl, tl = xn, tn
        grad = np.einsum("sij,sj->si", Gl, xl) - bl
        res = np.max(np.abs(xl - _soft(xl - grad / Ll[:, None], lam1 / Ll[:, None])), axis=1)
        x[live], y[live], tk[live] = xl, yl, tl
        live = live[res * Ll > tol * np.maximum(Ll, 1.0)]
    # active-set polish
    mask = x != 0
    s = np.sign(x)
    eye = np.eye(D)
    A = G * (mask[:, :, None] & mask[:, None, :]) + eye * (~mask)[:, None, :]
    w = np.linalg.solve(A, (mask * (b - lam1 * s))[..., None])[..., 0]
    r = np.einsum("sij,sj->si", G, w) - b
    scale = np.maximum(1.0, np.abs(b).max(axis=1))[:, None]
    ok_on = np.where(mask, np.sign(w) == s, True).all(axis=1)
    ok_off = np.where(mask, True, np.abs(r) <= lam1 + 1e-9 * scale).all(axis=1)
    exact = ok_on & ok_off
    return np.where(exact[:, None], w, x), exact


def stationary(G: np.ndarray, b: np.ndarray, lam1: float = 0.0,
               w0: np.ndarray | None = None) -> np.ndarray:
    """The t → ∞ limit w^λ of the gradient flow (Eq. 21), batched.

    λ₁ = 0: G⁻¹b by a batched solve (G nonsingular: λ₂ > 0 or 2N ≥ D); with ``w0`` given, the
    eigen-solution G⁺b + (1 − G⁺G) w(0) ([derived]; needed when G is singular, λ₂ = 0 and
    2N < D). λ₁ > 0: :func:`l1_stationary`.
    """
    if lam1 > 0:
        return l1_stationary(G, b, lam1)[0]
    if w0 is None:
        return np.linalg.solve(G, b[..., None])[..., 0]
    g, V = np.linalg.eigh(G)
    null = g <= 1e-12 * g[..., -1:]
    c0 = np.einsum("...dk,...d->...k", V, w0)
    ca = np.einsum("...dk,...d->...k", V, b)
    c = np.where(null, c0, ca / np.where(null, 1.0, g))
    return np.einsum("...dk,...k->...d", V, c)


class ExactFlow:
    """Closed-form gradient flow w(t) = w^λ − e^{−Gt}(w^λ − w(0)) (Eq. 21, λ₁ = 0), batched over
    data sets: ``z`` (S, 2N, D) or (2N, D), ``w0`` (S, D) or (D,)."""

    def __init__(self, z: np.ndarray, lam2: float, w0: np.ndarray):
        z = np.asarray(z, dtype=float)
        self.single = z.ndim == 2
        self.z = z[None] if self.single else z
        w0 = np.asarray(w0, dtype=float)
        self.w0 = np.broadcast_to(w0, (self.z.shape[0], self.z.shape[-1])).copy()
        G, b = gram(self.z, lam2)
        g, self.V = np.linalg.eigh(G)
        self.g = np.clip(g, 0.0, None)
        self.null = self.g <= 1e-12 * self.g[:, -1:]
        self.c0 = np.einsum("sdk,sd->sk", self.V, self.w0)
        self.ca = np.where(self.null, 0.0, np.einsum("sdk,sd->sk", self.V, b))
        self.G, self.b = G, b

    @property
    def w_inf(self) -> np.ndarray:
        """w(∞) = G⁺a + (1 − G⁺G) w(0)."""
        gs = np.where(self.null, 1.0, self.g)
        c = np.where(self.null, self.c0, self.ca / gs)
        w = np.einsum("sdk,sk->sd", self.V, c)
        return w[0] if self.single else w

    def w_at(self, t: np.ndarray, sl: slice = slice(None)) -> np.ndarray:
        """w at times ``t`` of shape (T,) (shared) or (S, T) (per data set) for the data sets
        ``sl``: (S, T, D)."""
        t = np.asarray(t, dtype=float)
        g, null = self.g[sl], self.null[sl]
        tt = np.broadcast_to(t, (g.shape[0], t.shape[-1]))[..., None]  # (S, T, 1)
        gs = np.where(null, 1.0, g)[:, None, :]
        phi = np.where(null[:, None, :], tt, -np.expm1(-g[:, None, :] * tt) / gs)
        c = self.c0[sl][:, None, :] + (self.ca[sl] - g * self.c0[sl])[:, None, :] * phi
        return np.einsum("stk,sdk->std", c, self.V[sl])

    def w(self, t) -> np.ndarray:
        """w(t) for shared times ``t`` (T,): (T, D) for one data set, else (S, T, D)."""
        out = self.w_at(np.atleast_1d(np.asarray(t, dtype=float)))
        return out[0] if self.single else out

    def _grid(self) -> np.ndarray:
        gpos = self.g[~self.null]
        hi = 60.0 / max(float(gpos.min()), 1e-12)
        return np.concatenate([[0.0], np.geomspace(1e-4 / float(gpos.max()), hi, 2500)])

    def times(self, eps: float, chunk: int | None = None) -> dict:
        """First times of zero training error (``t_train``: all z_i·w > 0) and of zero test error
        (``t_eps``: ε w₁ ≥ ‖w‖, Eq. 22 with h ≥ 1); ``t_grok`` = t_ε − t_train (inf/NaN where
        never). Arrays over data sets (scalars for one)."""
        grid = self._grid()
        S = self.z.shape[0]
        width = max(self.z.shape[-1], self.z.shape[-2])
        chunk = chunk or max(1, int(1.5e7 // (grid.size * width)))
        t_tr, t_ep = np.empty(S), np.empty(S)
        for lo in range(0, S, chunk):
            sl = slice(lo, min(S, lo + chunk))
            sub = _Slice(self, sl)
            t_ep[sl] = th.first_crossing(sub.test_gap(eps), grid)
            t_tr[sl] = th.first_crossing(sub.train_gap(), grid)
        with np.errstate(invalid="ignore"):
            t_g = t_ep - t_tr
        out = {"t_train": t_tr, "t_eps": t_ep, "t_grok": t_g}
        return {k: float(v[0]) for k, v in out.items()} if self.single else out


class _Slice:
    """Gap functions of a slice of an :class:`ExactFlow` for :func:`first_crossing`."""

    def __init__(self, flow: ExactFlow, sl: slice):
        self.f, self.sl = flow, sl

    def _w(self, t):
        return self.f.w_at(t, self.sl)

    def test_gap(self, eps: float):
        def gap(t):  # ≤ 0 iff h ≥ 1 (w₁ > 0 and ‖w‖ ≤ εw₁)
            w = self._w(t)
            return np.where(w[..., 0] > 0, np.linalg.norm(w, axis=-1) - eps * w[..., 0], 1.0)

        return gap

    def train_gap(self):
        def gap(t):  # ≤ 0 iff every margin z_i·w > 0 (a margin of exactly 0 is an error)
            m = np.min(np.einsum("smd,std->stm", self.f.z[self.sl], self._w(t)), axis=-1)
            return np.where(m > 0, -m, np.maximum(-m, 1e-300))

        return gap


def observables(w: np.ndarray, z: np.ndarray, eps: float, lam1: float, lam2: float) -> dict:
    """Curves from weights ``w`` (..., T, D) on the training set ``z`` (..., 2N, D).

    ``loss_train`` = (1/2N) Σ ½(z_i·w − 1)² (the data term of Eq. 19); ``risk`` adds
    λ₂‖w‖²/2 + λ₁|w|₁; ``loss_gen`` = ½[(εw₁ − 1)² + ‖w‖²/(D+2)], the exact population MSE of the
    uniform ball; ``err_train`` = fraction of z_i·w ≤ 0 and ``acc_train`` = 1 − err_train;
    ``err_gen`` = E_D(h), Eq. 22 with h = εw₁/‖w‖ (h = 0 at w = 0), in full relative precision;
    ``acc_gen`` = 1 − E_D(h), except that it is exactly 1 only where h ≥ 1 (E = 0) and at most
    the largest double below 1 elsewhere, so that the zero-error detector is exact even where
    E < 10⁻¹⁶ (large D); ``w1``, ``norm_w``, ``norm_w_perp``, ``h``.
    """
    w = np.asarray(w, dtype=float)
    z = np.asarray(z, dtype=float)
    dim = w.shape[-1]
    w1 = w[..., 0]
    norm = np.linalg.norm(w, axis=-1)
    h = np.where(norm > 0, eps * w1 / np.where(norm > 0, norm, 1.0), 0.0)
    h = np.clip(h, -eps, eps)
    err_gen = th.cap_error(h, dim)
    acc_gen = np.where(h >= 1.0, 1.0, np.minimum(1.0 - err_gen, np.nextafter(1.0, 0.0)))
    margins = np.einsum("...md,...td->...tm", z, w)
    loss_train = 0.5 * np.mean((margins - 1.0) ** 2, axis=-1)
    err_train = np.mean(margins <= 0, axis=-1)
    return {
        "loss_train": loss_train,
        "loss_gen": 0.5 * ((eps * w1 - 1.0) ** 2 + norm**2 / (dim + 2)),
        "risk": loss_train + 0.5 * lam2 * norm**2 + lam1 * np.sum(np.abs(w), axis=-1),
        "acc_train": 1.0 - err_train,
        "acc_gen": acc_gen,
        "err_train": err_train,
        "err_gen": err_gen,
        "w1": w1,
        "norm_w": norm,
        "norm_w_perp": np.sqrt(np.maximum(norm**2 - w1**2, 0.0)),
        "h": h,
    }


def mc_grok_probability(dim: int, n_train: int, eps: float, lam2: float, lam1: float = 0.0, *,
                        n_sets: int = 10**5, seed: int = 0, chunk: int | None = None,
                        return_w: bool = False) -> dict:
    """Monte Carlo of the grokking probability P(E(∞) = 0) over ``n_sets`` sampled training
    sets (exact uniform ball, N per class), in one vectorised pass: a batched Gram product, a
    batched solve of G w = b (λ₁ = 0) or the batched l1 solve (λ₁ > 0), and the Eq. 25 test.

    ``chunk`` (data sets per block; default all at once) only bounds memory. For λ₂ = 0 and
    2N < D the limit depends on w(0) (drawn N(0, 1_D) from the same generator).

    Returns ``p``, its binomial standard error ``stderr``, ``n_grok``, ``n_sets`` (and ``w``,
    the stationary weights, with ``return_w``).
    """
    rng = np.random.default_rng(seed)
    chunk = n_sets if chunk is None else int(chunk)
    hits = 0
    ws = []
    for lo in range(0, n_sets, chunk):
        n = min(chunk, n_sets - lo)
        G, b = gram(ensemble_z(rng, n, n_train, dim, eps), lam2)
        w0 = rng.standard_normal((n, dim)) if (lam2 == 0 and 2 * n_train < dim) else None
        w = stationary(G, b, lam1, w0)
        hits += int(np.count_nonzero(grokked(w, eps)))
        if return_w:
            ws.append(w)
    p = hits / n_sets
    out = {"p": p, "stderr": math.sqrt(max(p * (1 - p), 1.0 / n_sets) / n_sets),
           "n_grok": hits, "n_sets": n_sets}
    if return_w:
        out["w"] = np.concatenate(ws)
    return out

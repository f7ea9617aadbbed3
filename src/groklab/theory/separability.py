r"""Linear separability from the origin: Wendel's law, max-margin (penalized bias) and S_inf.

Model-agnostic NumPy/SciPy float64 maths for the model of Beck, Levi & Bar-Sinai [1]_ in its
reduced form (spec section 1.2): points x_i in R^d, i = 1..N, all with label -1, a weight S in
R^d and a bias b. The bias is **not** one of the d dimensions: ``d`` (and lam = d/N) counts the
noise dimensions only.

Conventions
-----------
* **Separable** always means *separable from the origin* (Def. 2 of [1]_): there is an S with
  S^T x_i > 0 for every i, equivalently 0 is not in conv{x_i}. With a bias the reduced problem
  is always feasible (S = 0, b = -1); separability from the origin is what decides memorizing
  vs generalizing (Prop. 3.2).
* For labelled data (x_i, y_i), :func:`is_separable` folds the labels in, z_i = y_i x_i, and with
  ``with_bias=True`` appends a constant coordinate, z_i = y_i (x_i, 1); separability of the z_i
  from the origin is then ordinary linear (resp. affine) separability of the two classes.
* The margin M = dist(0, conv{x_i}) = 1/||S*|| with S* = argmin ||S||^2 s.t. S^T x_i <= -1
  (Eq. 9); M = 0 for inseparable data.

References
----------
.. [1] A. Beck, N. Levi, Y. Bar-Sinai, "Grokking at the edge of linear separability",
   ICML 2025 (PMLR 267:3307-3334), arXiv:2410.04489.
.. [2] J. G. Wendel, "A problem in geometric probability", Math. Scand. 11, 109-111 (1962).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, optimize, special

__all__ = [
    "InseparableAsymptotics",
    "MaxMargin",
    "SInfinity",
    "SeparableError",
    "app_d_bound",
    "boundary_epsilon",
    "diameter",
    "inseparable_asymptotics",
    "is_separable",
    "limit_gen_accuracy",
    "max_margin",
    "s_infinity",
    "separable_rates",
    "wendel_limit",
    "wendel_log_prob",
    "wendel_prob",
]


class SeparableError(ValueError):
    """The data are separable from the origin, so S_inf (a finite minimizer) does not exist.

    Attributes
    ----------
    direction : ndarray
        A certificate S with S^T x_i < 0 for every i (so -S separates the points from 0).
    """

    def __init__(self, message: str, direction: np.ndarray):
        super().__init__(message)
        self.direction = direction


# --------------------------------------------------------------------------------------------
# input checks


def _check_points(X, name: str = "X") -> np.ndarray:
    try:
        raw = np.asarray(X)
    except ValueError as err:  # ragged nested sequences
        raise ValueError(f"The '{name}' parameter must be a 2-D array of shape (N, d) of "
                         f"real numbers; got a ragged sequence ({err}).") from None
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer)
                                 or np.issubdtype(raw.dtype, np.floating)):
        raise ValueError(f"The '{name}' parameter must be a 2-D array of shape (N, d) of real "
                         f"numbers. Got dtype {raw.dtype} instead.")
    arr = raw.astype(np.float64, copy=False)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"The '{name}' parameter must be a 2-D array of shape (N, d) with N >= 1 and "
            f"d >= 1. Got shape {arr.shape} instead."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"The '{name}' parameter must contain only finite values; found NaN or inf "
            f"(drop or fix those rows)."
        )
    return arr


def _check_count(v, name: str) -> np.ndarray:
    arr = np.asarray(v)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr)))
    ):
        raise ValueError(f"The '{name}' parameter must be an int >= 1. Got {v!r} instead.")
    if np.any(arr < 1):
        raise ValueError(f"The '{name}' parameter must be an int >= 1. Got {v!r} instead.")
    return arr.astype(np.float64)


def _check_positive(v, name: str, *, allow_inf: bool = False) -> np.ndarray:
    arr = np.asarray(v, dtype=np.float64)
    ok = (arr > 0) & (np.isfinite(arr) | (allow_inf & np.isposinf(arr)))
    if not np.all(ok):
        rng = "(0, inf]" if allow_inf else "(0, inf)"
        raise ValueError(
            f"The '{name}' parameter must be a float in the range {rng}. Got {v!r} instead."
        )
    return arr


# --------------------------------------------------------------------------------------------
# LP separability test


def is_separable(
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    with_bias: bool = False,
    return_direction: bool = False,
    method: str = "auto",
):
    r"""Exact test (certificates, else LP) whether points are separable from the origin.

    Parameters
    ----------
    X : array_like, shape (N, d)
        Points x_i (rows), finite.
    y : array_like, shape (N,), optional
        Labels +-1. If given, the test runs on z_i = y_i x_i (two-class linear separability by a
        hyperplane through 0). Default: z_i = x_i.
    with_bias : bool, default False
        Append a constant coordinate 1 to each x_i before folding in the labels, i.e. test affine
        separability of the two classes. Without labels this is always True (S = 0, b = 1).
    return_direction : bool, default False
        Also return a certificate S (shape (d,), or (d + 1,) with the bias last) with
        z_i^T S >= 1 for every i, or None if the points are not separable.
    method : {"auto", "lp"}, default "auto"
        ``"lp"``: the HiGHS LP only. ``"auto"``: first a damped Newton run whose exits are
        rigorous certificates (below); the LP decides only if it stays undecided.

    Returns
    -------
    separable : bool
        True iff there is S with S^T z_i > 0 for all i, i.e. 0 is not in conv{z_i} (Def. 2).
    direction : ndarray or None
        Only with ``return_direction=True``.

    Notes
    -----
    Def. 2 and spec section 8 of [1]_: feasibility of {S : z_i^T S >= 1 for all i} (scale
    invariant, so equivalent to strict separation), solved with HiGHS
    (``scipy.optimize.linprog``, free bounds). Points in degenerate position exactly on the
    boundary (0 on the hull boundary) count as not separable. The dense LP takes minutes at
    N = 4000, d ~ N/2 (and can end with HiGHS status "unknown"), so ``method="auto"`` first
    minimizes f(S) = sum_i phi(-z_i^T S/||z_i||), phi(u) = (u + sqrt(1 + u^2))/2, by Newton
    (seconds there, see ``benchmarks/bench_separability_theory.py``). It stops with

    * *separable* when an iterate has min_i z_i^T S > 0 beyond a floating-point rounding
      bound (the returned direction is that S, rescaled);
    * *not separable* when the weights theta_i = phi'(.) > 0 at a near-stationary point are a
      Farkas certificate: with r = sum_i theta_i z_i/||z_i|| (plus a rounding bound) and a
      rigorous lower bound sigma on the smallest singular value of the normalized data,
      ||r||/sigma < min_i theta_i implies an exact alpha > 0 with sum_i alpha_i z_i = 0;
    * otherwise (e.g. 0 on the hull boundary, rank-deficient data) the LP judges.
    """
    Z = _check_points(X)
    if with_bias:
        Z = np.hstack([Z, np.ones((Z.shape[0], 1))])
    if y is not None:
        yy = np.asarray(y, dtype=np.float64)
        if yy.shape != (Z.shape[0],) or not np.all(np.abs(yy) == 1.0):
            raise ValueError(
                f"The 'y' parameter must be an array of +-1 labels of shape ({Z.shape[0]},). "
                f"Got {y!r} instead."
            )
        Z = Z * yy[:, None]
    norms = np.linalg.norm(Z, axis=1)
    if np.any(norms == 0):  # a point at the origin: never strictly separable
        return (False, None) if return_direction else False
    if method == "auto":
        cert = _newton_certificate(Z, norms)
        if cert is not None:
            sep, direction = cert
            return (sep, direction) if return_direction else sep
    elif method != "lp":
        raise ValueError(f"The 'method' parameter must be 'auto' or 'lp'. Got {method!r} instead.")
    sep, direction = _lp_separable(Z, norms)
    return (sep, direction) if return_direction else sep


def _lp_separable(Z: np.ndarray, norms: np.ndarray):
    """The HiGHS LP judge: feasibility of {S : z_i^T S >= 1} (rows scaled to unit length)."""
    d = Z.shape[1]
    res = optimize.linprog(
        np.zeros(d), A_ub=-Z / norms[:, None], b_ub=-1.0 / norms, bounds=(None, None),
        method="highs",
    )
    if res.status == 0:
        return True, np.asarray(res.x, dtype=np.float64)
    if res.status == 2:
        return False, None
    raise RuntimeError(f"linprog failed to decide separability (status {res.status}: "
                       f"{res.message}).")


_U = np.finfo(np.float64).eps / 2.0  # unit round-off


def _gamma(n: int) -> float:
    return n * _U / (1.0 - n * _U)


def _separating_direction(Z: np.ndarray, S: np.ndarray):
    """S scaled so that z_i^T S >= 1 for all i, if S provably separates (rounding-safe)."""
    m = Z @ S
    err = _gamma(Z.shape[1] + 2) * (np.abs(Z) @ np.abs(S))  # bound on |fl(Z S) - Z S|
    if not np.all(m - err > 0):
        return None
    S = S / float(np.min(m - err))
    if float(np.min(Z @ S)) < 1.0:  # rounding in the rescale: nudge up
        S = S * (1.0 + 1e-12)
    return S


class _FarkasChecker:
    """Rigorous test that a given alpha >= 0 proves 0 in conv{z_i} (Farkas, exact arithmetic).

    With r = Z^T alpha (true value bounded via the float one plus a rounding bound), there is an
    eta with (D^-1 Z)^T eta = -r and ||eta|| <= ||r|| / sigma_min(D^-1 Z), D = diag(norms); then
    alpha' = alpha + D^-1 eta satisfies Z^T alpha' = 0 exactly, and alpha' > 0 whenever
    ||r|| / sigma_min < min_i alpha_i norms_i. sigma_min is bounded below from the Gram matrix
    with explicit (generous) rounding-error margins.
    """

    def __init__(self, Z: np.ndarray, norms: np.ndarray):
        self.Z, self.norms = Z, norms
        self.absZ = np.abs(Z)
        self._sigma = None
        self._chol = None
        self.Xh = None

    def sigma_lb(self) -> float:
        if self._sigma is None:
            Z, norms = self.Z, self.norms
            N, d = Z.shape
            self._sigma = 0.0
            if N > d:
                Xh = Z / norms[:, None]
                G = Xh.T @ Xh
                lam = float(linalg.eigh(G, eigvals_only=True, subset_by_index=[0, 0])[0])
                nG = float(np.trace(G))  # >= ||G||_2
                lam_lb = lam - 1.01 * _gamma(N) * nG - 100.0 * d * _U * nG
                if lam_lb > 0:
                    # ||Xh - D^-1 Z||_2 <= 2u ||Xh||_F, ||Xh||_F^2 = trace(G)
                    self._sigma = float(np.sqrt(lam_lb) - 2.0 * _U * np.sqrt(nG) * 1.01)
                    self.Xh = Xh
                    try:
                        self._chol = linalg.cho_factor(G)
                    except linalg.LinAlgError:
                        self._chol = None
        return self._sigma

    def certifies(self, theta: np.ndarray) -> bool:
        """theta >= 0 (weights on the unit-normalized rows); True iff it proves inseparable."""
        for _ in range(2):  # the candidate, then one least-squares refinement of it
            if not np.all(theta > 0):
                return False
            alpha = theta / self.norms
            r = self.Z.T @ alpha
            bound = float(np.linalg.norm(r)) + float(
                np.linalg.norm(_gamma(self.Z.shape[0] + 2) * (self.absZ.T @ alpha)))
            sig = self.sigma_lb()
            if sig <= 0:
                return False
            if bound / sig < float(np.min(alpha * self.norms)) * (1.0 - 1e-12):
                return True
            if self._chol is None:
                return False
            theta = theta - self.Xh @ linalg.cho_solve(self._chol, r)
        return False


def _newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The Newton step −H⁻¹g for a positive semi-definite Hessian H: Cholesky with a relative
    ridge of 1e-14·tr(H)/d, or least squares if H is numerically singular."""
    d = g.size
    try:
        c = np.linalg.cholesky(H + 1e-14 * np.trace(H) / d * np.eye(d))
        return -np.linalg.solve(c.T, np.linalg.solve(c, g))
    except np.linalg.LinAlgError:
        return -np.linalg.lstsq(H, g, rcond=1e-13)[0]


def _newton_certificate(Z: np.ndarray, norms: np.ndarray, max_iter: int = 60):
    """Damped Newton on f(S) = sum_i phi(u_i), u_i = -z_i^T S/||z_i||, with exact exits.

    phi(u) = (u + sqrt(1 + u^2))/2 is convex, increasing and positive, so f is bounded below by
    0 and its infimum 0 is approached (not attained) iff the points are separable; if 0 is
    interior to conv{z_i}, f is coercive and at its minimizer sum_i phi'(u_i) z_i/||z_i|| = 0
    with weights phi'(u_i) that decay only polynomially (not exponentially, as the softmax
    weights of S_inf do), which keeps the Farkas certificate well conditioned. Returns
    (True, S) once an iterate provably separates (min_i z_i^T S > 0 with rounding bounds),
    (False, None) once the weights at a near-stationary point give a rigorous Farkas
    certificate (:class:`_FarkasChecker`), or None (undecided: the LP judges).
    """
    N, d = Z.shape
    Zh = -Z / norms[:, None]
    checker = _FarkasChecker(Z, norms)
    S = np.zeros(d)

    def fgp(S):
        u = Zh @ S
        q = np.sqrt(1.0 + u * u)
        f = float(np.sum(np.where(u < 0, 1.0 / (q - u), u + q))) / 2.0  # stable for u << 0
        return u, f, 0.5 * (1.0 + u / q), 0.5 / q**3

    u, f, p, w = fgp(S)
    for _ in range(max_iter):
        if float(np.max(u)) < 0.0:
            direction = _separating_direction(Z, S)
            if direction is not None:
                return True, direction
        g = Zh.T @ p
        gn = float(np.linalg.norm(g))
        if gn < 1e-6 * float(np.sum(p)) and checker.certifies(p):
            return False, None
        if gn < 1e-15 * float(np.sum(p)):
            return None
        Zw = Zh * np.sqrt(w)[:, None]
        step = _newton_step(Zw.T @ Zw, g)
        slope = float(g @ step)
        if not slope < 0:
            step, slope = -g, -gn**2
        t = 1.0
        while True:
            un, fn, pn, wn = fgp(S + t * step)
            if fn <= f + 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        if t < 1e-12 and fn >= f:
            return None
        S, u, f, p, w = S + t * step, un, fn, pn, wn
    return None


# --------------------------------------------------------------------------------------------
# Wendel


def _wendel_log_scalar(N: float, d: float) -> float:
    """log P(Bin(n, 1/2) <= m), n = N - 1, m = d - 1, without underflow."""
    n, m = N - 1.0, d - 1.0
    if m >= n:
        return 0.0
    # P(Bin <= m) = 1 - P(Bin <= n - m - 1) by symmetry; evaluate the smaller tail
    lower = m < n / 2.0
    k_top = m if lower else n - m - 1.0  # the smaller tail is P(Bin <= k_top)
    q = float(special.betainc(n - k_top, k_top + 1.0, 0.5))  # = bdtr(k_top, n, 1/2)
    if q > 1e-280:
        log_small = np.log(q)
    elif k_top == 0.0:
        log_small = -n * np.log(2.0)
    else:
        # deep tail: log-sum-exp of the top terms; consecutive ratios are <= k/(n-k+1) < 1
        r = k_top / (n - k_top + 1.0)
        width = int(min(k_top, np.ceil(50.0 / max(-np.log(r), 1e-300)) + 8))
        k = k_top - np.arange(width + 1, dtype=np.float64)
        k = k[k >= 0]
        logc = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
        log_small = float(special.logsumexp(logc) - n * np.log(2.0))
    if lower:
        return float(log_small)
    return float(np.log1p(-np.exp(log_small)))


def wendel_log_prob(N: ArrayLike, d: ArrayLike) -> np.ndarray:
    r"""Natural log of Wendel's probability that N symmetric points in R^d are separable.

    Parameters
    ----------
    N : array_like of int
        Number of points, >= 1.
    d : array_like of int
        Dimension of the points, >= 1 (the bias is **not** counted; d = lam N).

    Returns
    -------
    ndarray
        log p, finite down to p ~ 1e-300 and far beyond (e.g. N = 4e4 at lam = 0.05, where
        p ~ e^{-2e4}); 0 for N <= d.

    Notes
    -----
    Eq. 12 of [1]_ (Wendel [2]_): p = 2^{-(N-1)} sum_{k=0}^{d-1} C(N-1, k) = P(Bin(N-1, 1/2) <=
    d-1) for N points in general position drawn from any law symmetric about 0. The smaller
    binomial tail is evaluated with the regularized incomplete beta (``scipy.special.betainc``,
    full relative accuracy) and, where it underflows, as a log-sum-exp of its leading terms;
    p close to 1 uses log1p(-tail).
    """
    Na, da = np.broadcast_arrays(_check_count(N, "N"), _check_count(d, "d"))
    out = np.array([_wendel_log_scalar(float(a), float(b))
                    for a, b in zip(Na.ravel(), da.ravel(), strict=True)], dtype=np.float64)
    return out.reshape(Na.shape)


def wendel_prob(N: ArrayLike, d: ArrayLike) -> np.ndarray:
    r"""Wendel's probability that N symmetric points in R^d are separable from the origin.

    Same as ``exp(wendel_log_prob(N, d))``; see :func:`wendel_log_prob`.

    Notes
    -----
    Eq. 12 of [1]_: p = 2^{-(N-1)} sum_{k=0}^{d-1} C(N-1, k); d counts the noise dimensions
    only (no bias); p = 1 for N <= d.
    """
    return np.exp(wendel_log_prob(N, d))


def wendel_limit(lam: ArrayLike, d: ArrayLike) -> np.ndarray:
    r"""Large-N limit of Wendel's probability at fixed lam = d/N.

    Parameters
    ----------
    lam : array_like
        d/N, > 0.
    d : array_like
        Dimension, > 0 (may be ``np.inf``: the step function of Eq. 14).

    Returns
    -------
    ndarray
        1/2 [1 + erf(sqrt(d) (sqrt(2 lam) - 1/sqrt(2 lam)))]; at d = inf: 0 for lam < 1/2,
        1/2 at lam = 1/2, 1 for lam > 1/2.

    Notes
    -----
    Eqs. 13-14 of [1]_. The erf argument equals (2d - N)/sqrt(2N): Eq. 13 is the
    continuity-corrected normal approximation of Eq. 12, with error O(1/N). The transition
    width in lam is ~ 1/(2 sqrt(2 d)) (argument of erf changing by 1 around lam = 1/2).
    """
    lam = _check_positive(lam, "lam")
    d = _check_positive(d, "d", allow_inf=True)
    lam, d = np.broadcast_arrays(lam, d)
    u = np.sqrt(2.0 * lam) - 1.0 / np.sqrt(2.0 * lam)
    with np.errstate(invalid="ignore"):
        arg = np.where(u == 0.0, 0.0, np.sqrt(d) * u)
    return 0.5 * (1.0 + special.erf(arg))


# --------------------------------------------------------------------------------------------
# max-margin with penalized bias


class MaxMargin(NamedTuple):
    """Solution of the penalized-bias max-margin problem (Eq. 5) and the margin (Eq. 9).

    Attributes
    ----------
    S, b : ndarray, float
        w_SVM = argmin ||S||^2 + b^2 s.t. S^T x_i + b <= -1 (Eq. 5).
    margin : float
        M = dist(0, conv{x_i}) = 1/||S*||; 0 (up to round-off) if inseparable.
    hull_point : ndarray
        p*, the point of conv{x_i} closest to the origin (0 if inseparable).
    S_star : ndarray
        S* = -p*/M^2, the Eq. 9 solution; NaN if not ``separable``.
    separable : bool
        ``margin > rtol * max_i ||x_i||`` (``rtol`` argument of :func:`max_margin`).
    alpha : ndarray
        Dual multipliers (alpha_i > 0 only on support vectors); w_SVM = -sum alpha_i (x_i, 1).
    kkt_residual : float
        max of the primal infeasibility, dual infeasibility and complementarity violation of Eq. 5,
        relative to max(1, max ||x_i||^2).
    """

    S: np.ndarray
    b: float
    margin: float
    hull_point: np.ndarray
    S_star: np.ndarray
    separable: bool
    alpha: np.ndarray
    kkt_residual: float


def _kkt_eq5(X: np.ndarray, alpha: np.ndarray) -> float:
    S, b = -X.T @ alpha, -alpha.sum()
    slack = -(X @ S + b) - 1.0  # >= 0 (primal feasibility)
    scale = max(1.0, float(np.max(np.einsum("ij,ij->i", X, X))))
    prim = max(0.0, -float(slack.min()))
    comp = float(np.max(np.abs(alpha * slack)))
    dual = max(0.0, -float(alpha.min()))
    return max(prim, comp, dual) / scale


def max_margin(
    X: ArrayLike, *, rtol: float = 1e-9, maxiter: int | None = None, method: str = "ipm",
    support: ArrayLike | None = None,
) -> MaxMargin:
    r"""Max-margin direction with the bias penalized like a weight, and the margin M.

    Parameters
    ----------
    X : array_like, shape (N, d)
        Points x_i of the reduced model (rows), finite, N >= 1, d >= 1.
    rtol : float, default 1e-9
        ``separable`` is ``margin > rtol * max_i ||x_i||``. Near the threshold prefer
        :func:`is_separable` for the decision; the geometry (margin, S*) is exact either way.
    maxiter : int, optional
        Iteration cap: interior-point iterations for ``"ipm"`` (default 100), active-set
        iterations for ``"nnls"`` (default 50 N).
    support : array_like of int or bool, optional
        A guess of the support vectors (indices, or a mask of length N), e.g. ``alpha > 0`` of
        a neighbouring problem in a sweep. The exact active-set solve (below) is tried from it
        first and returned if its KKT residual certifies it (the same ≤ 1e-11 certificate as
        below); otherwise ``method`` runs as if no guess was given. A Fig. 6 row of 20 σ_n
        values (N = 2000, d = 1400) solves 3× faster warm than cold, the hull points agreeing to
        5e-7 relative (both certified).
    method : {"ipm", "nnls"}, default "ipm"
        ``"ipm"``: primal-dual interior point on Eq. 5 with an exact active-set crossover (below);
        if the crossover does not certify a solution the NNLS path runs instead. ``"nnls"``:
        the dual as non-negative least squares (Lawson-Hanson, ``scipy.optimize.nnls``), exact
        but 4-7x slower at N = 4000, d ~ N/2 (``benchmarks/bench_separability_theory.py``).

    Returns
    -------
    MaxMargin

    Notes
    -----
    Eq. 5 of [1]_: w_SVM = argmin_{(S, b)} ||S||^2 + b^2 s.t. S^T x_i + b <= -1. With
    z_i = (x_i, 1) and w = (S, b), the KKT conditions are w = -sum_i alpha_i z_i, alpha >= 0,
    z_i^T w <= -1 and alpha_i (1 + z_i^T w) = 0; the dual is the non-negative least-squares
    problem min_{alpha >= 0} || [X^T; 1^T] alpha - e_{d+1} ||^2. With theta = alpha / sum alpha
    the hull point p* = X^T theta is the closest point of conv{x_i} to 0, M = ||p*||,
    sum alpha = 1/(1 + M^2), so w_SVM = (M^2 S*, -1)/(1 + M^2) with S* = -p*/M^2 (spec
    section 2, closed form of w_SVM; Eq. 9) and w_SVM = (0, -1) when 0 is in the hull.

    ``"ipm"`` runs Mehrotra predictor-corrector steps (plus up to two Gondzio centrality
    correctors, which cost back-substitutions only) on the primal, one Cholesky of the normal
    matrix I + Z^T diag(alpha/s) Z of size d + 1 per iteration (s the slacks). From
    mu = alpha^T s/N < 1e-3 on it tries to finish exactly (spec section 8 accuracy, independent
    of the IPM tolerance), with the Tapia indicator s_i^+/s_i < alpha_i^+/alpha_i of the last
    step predicting the tight constraints A:

    * *inseparable* (|A| > d + 1): the current alpha/sum(alpha), projected onto
      {Z^T alpha = e_{d+1}} (Cholesky of Z^T Z, factored once; pseudo-inverse if X is
      rank-deficient), is accepted if it stays > 0:
      then w = (0, -1) and the projected alpha is a dual certificate, both up to round-off;
    * *separable* (A unchanged over two iterations, |A| <= d + 1): solve Z_A Z_A^T alpha_A = 1
      (all of A tight), then up to 4 exchange steps (drop alpha_i < 0, add violated
      constraints).

    A candidate is returned only if its KKT residual (below) is <= 1e-11 (the optimality
    certificate, up to round-off); otherwise (measured: duplicated support points, which make
    Z_A Z_A^T singular) the NNLS path runs. The returned ``kkt_residual`` is that of Eq. 5
    relative to max(1, max ||x_i||^2).
    """
    X = _check_points(X)
    if method not in ("ipm", "nnls"):
        raise ValueError(f"The 'method' parameter must be 'ipm' or 'nnls'. Got {method!r} instead.")
    if support is not None:
        alpha = _eq5_exchange(X, np.hstack([X, np.ones((X.shape[0], 1))]),
                              _support_indices(support, X.shape[0]))
        if alpha is not None:
            return _max_margin_from_alpha(X, alpha, rtol)
    if method == "ipm":
        alpha = _eq5_ipm(X, maxiter if maxiter is not None else 100)
        if alpha is None:  # crossover not certified: the exact active-set path decides
            alpha = _eq5_nnls(X, None)
    else:
        alpha = _eq5_nnls(X, maxiter)
    return _max_margin_from_alpha(X, alpha, rtol)


def _support_indices(support, N: int) -> np.ndarray:
    """Indices of a support guess given as indices or as a boolean mask of length N."""
    s = np.asarray(support)
    if s.dtype == bool:
        if s.shape != (N,):
            raise ValueError(f"A boolean 'support' mask must have shape ({N},). Got {s.shape}.")
        return np.flatnonzero(s)
    if s.ndim != 1 or not np.issubdtype(s.dtype, np.integer) or (s.size and (
            s.min() < 0 or s.max() >= N)):
        raise ValueError(f"The 'support' parameter must hold indices in [0, {N}) or a boolean "
                         f"mask of length {N}.")
    return np.unique(s)


def _max_margin_from_alpha(X: np.ndarray, alpha: np.ndarray, rtol: float) -> MaxMargin:
    d = X.shape[1]
    total = float(alpha.sum())
    S, b = -X.T @ alpha, -total
    p = (X.T @ alpha) / total
    margin = float(np.linalg.norm(p))
    scale = float(np.sqrt(np.max(np.einsum("ij,ij->i", X, X))))
    separable = margin > rtol * scale
    S_star = -p / margin**2 if separable else np.full(d, np.nan)
    return MaxMargin(S, b, margin, p, S_star, bool(separable), alpha, _kkt_eq5(X, alpha))


def _eq5_nnls(X: np.ndarray, maxiter: int | None) -> np.ndarray:
    """Dual of Eq. 5 as NNLS (Lawson-Hanson): min_{alpha >= 0} ||[X^T; 1^T] alpha - e||^2."""
    N, d = X.shape
    A = np.vstack([X.T, np.ones((1, N))])
    e = np.zeros(d + 1)
    e[-1] = 1.0
    alpha, _ = optimize.nnls(A, e, maxiter=maxiter if maxiter is not None else 50 * N)
    return alpha


_KKT_ACCEPT = 1e-11


def _eq5_ipm(X: np.ndarray, max_iter: int) -> np.ndarray | None:
    """Mehrotra IPM on Eq. 5 with exact crossover; alpha, or None if not certified."""
    N, d = X.shape
    n = d + 1
    Z = np.hstack([X, np.ones((N, 1))])
    w = np.zeros(n)
    w[-1] = -2.0
    s = -1.0 - Z @ w  # = 1: strictly feasible start, w = (0, -2)
    a = np.ones(N)
    gram_chol = None  # solver with Z^T Z for the inseparable crossover (factored once)
    tried = None  # last support tried by the separable crossover
    tapia = prev_tapia = None

    def step_len(v, dv):
        neg = dv < 0
        return min(1.0, float(np.min(-v[neg] / dv[neg]))) if neg.any() else 1.0

    for _ in range(max_iter):
        mu = float(a @ s) / N
        if not np.isfinite(mu) or mu < 1e-30:  # stalled: let the exact NNLS path decide
            return None
        if mu < 1e-3 and tapia is not None:
            if tapia.sum() > n:  # more tight constraints than dimensions: 0 in the hull?
                if gram_chol is None:
                    G = Z.T @ Z
                    try:
                        chol = linalg.cho_factor(G, lower=True, check_finite=False)
                        gram_chol = lambda r, c=chol: linalg.cho_solve(c, r, check_finite=False)  # noqa: E731
                    except linalg.LinAlgError:  # rank-deficient X: pseudo-inverse
                        pinv = linalg.pinvh(G)
                        gram_chol = lambda r, p=pinv: p @ r  # noqa: E731
                al = a / a.sum()
                e = np.zeros(n)
                e[-1] = 1.0
                al = al - Z @ gram_chol(Z.T @ al - e)
                if np.all(al > 0) and _kkt_eq5(X, al) <= _KKT_ACCEPT:
                    return al
            elif (tapia.any() and prev_tapia is not None and np.array_equal(tapia, prev_tapia)
                  and (tried is None or not np.array_equal(tapia, tried))):
                tried = tapia
                al = _eq5_exchange(X, Z, np.flatnonzero(tapia))
                if al is not None:
                    return al
        rd = w + Z.T @ a
        rp = Z @ w + s + 1.0
        D = a / s
        keep = D > 1e-12 * D.max()  # rows with negligible weight do not change the step
        Zk = Z[keep] * np.sqrt(D[keep])[:, None]
        H = Zk.T @ Zk
        H[np.diag_indices(n)] += 1.0
        try:
            c = linalg.cho_factor(H, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None

        def solve(rc, c=c, D=D, rd=rd, rp=rp, s=s, a=a):
            dw = linalg.cho_solve(c, -rd - Z.T @ (D * rp - rc / s), check_finite=False)
            da = D * (Z @ dw + rp) - rc / s
            return dw, da, -(rc + s * da) / a

        dw, da, ds = solve(a * s)  # affine-scaling predictor
        mu_aff = float((a + step_len(a, da) * da) @ (s + step_len(s, ds) * ds)) / N
        sigma_mu = (mu_aff / mu) ** 3 * mu
        rc = a * s + ds * da - sigma_mu
        dw, da, ds = solve(rc)  # Mehrotra corrector
        tp, td = step_len(s, ds), step_len(a, da)
        for _ in range(2):  # Gondzio centrality correctors: back-substitutions only
            if min(tp, td) > 0.99:
                break
            v = (s + min(1.0, tp + 0.2) * ds) * (a + min(1.0, td + 0.2) * da)
            t = np.clip(v, 0.1 * sigma_mu, 10.0 * sigma_mu) - v
            t = np.maximum(t, -10.0 * sigma_mu)
            dw2, da2, ds2 = solve(rc - t)
            tp2, td2 = step_len(s, ds2), step_len(a, da2)
            if min(tp2, td2) < 1.01 * min(tp, td):
                break
            rc, dw, da, ds, tp, td = rc - t, dw2, da2, ds2, tp2, td2
        tp, td = 0.99 * tp, 0.99 * td
        w, s_new, a_new = w + tp * dw, s + tp * ds, a + td * da
        prev_tapia = tapia
        tapia = (s_new / s) < (a_new / a)  # Tapia indicator: s_i -> 0 faster than alpha_i
        s, a = s_new, a_new
    return None


def _eq5_exchange(X: np.ndarray, Z: np.ndarray, A: np.ndarray, max_exchanges: int = 4):
    """Exact solve of Eq. 5 with the constraints A tight, plus a few support exchanges."""
    N, n = Z.shape
    for _ in range(max_exchanges + 1):
        if len(A) == 0 or len(A) > n:
            return None
        ZA = Z[A]
        try:
            c = linalg.cho_factor(ZA @ ZA.T, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return None
        aA = linalg.cho_solve(c, np.ones(len(A)), check_finite=False)
        al = np.zeros(N)
        al[A] = aA
        if _kkt_eq5(X, al) <= _KKT_ACCEPT:
            return al
        viol = Z @ (-ZA.T @ aA) + 1.0  # > 0: constraint violated
        viol[A] = -np.inf
        add = np.flatnonzero(viol > 0)
        A = np.union1d(A[aA > 0], add)
    return None


def limit_gen_accuracy(margin: ArrayLike, sigma: ArrayLike = 1.0) -> np.ndarray:
    r"""Late-time generalization accuracy of GD on the reduced model.

    Parameters
    ----------
    margin : array_like
        M = dist(0, conv{x_i}) of the actual training points (std sigma), >= 0; M = 0 means
        inseparable.
    sigma : array_like, default 1
        Feature std, > 0.

    Returns
    -------
    ndarray
        1/2 [1 + erf(1/(sqrt 2 sigma M))]; 1 for M = 0 (perfect generalization).

    Notes
    -----
    Prop. 3.2 of [1]_ (from A_gen, Eq. 4, with b/||S|| -> -1/M). If the points are x = sigma
    x_1 then M = sigma M_1 and the limit reads 1/2 [1 + erf(1/(sqrt 2 sigma^2 M_1))] (Eq. 42).
    """
    M = np.asarray(margin, dtype=np.float64)
    if not np.all(np.isfinite(M) & (M >= 0)):
        raise ValueError(
            f"The 'margin' parameter must be a float in the range [0, inf). Got {margin!r} "
            f"instead."
        )
    sigma = _check_positive(sigma, "sigma")
    with np.errstate(divide="ignore"):
        arg = 1.0 / (np.sqrt(2.0) * sigma * M)
    return 0.5 * (1.0 + special.erf(arg))


# --------------------------------------------------------------------------------------------
# S_inf


class SInfinity(NamedTuple):
    """Finite minimizer of sum_i exp(S^T x_i) (inseparable data).

    Attributes
    ----------
    S : ndarray
        S_inf.
    G : float
        G_inf = (1/N) sum_i exp(S_inf^T x_i).
    grad_norm : float
        ||X^T p|| at S_inf, p the softmax weights.
    n_iter : int
        Newton iterations.
    """

    S: np.ndarray
    G: float
    grad_norm: float
    n_iter: int


def s_infinity(
    X: ArrayLike, *, gtol: float = 1e-10, max_iter: int = 200, S0: ArrayLike | None = None
) -> SInfinity:
    r"""S_inf = argmin_S sum_i exp(S^T x_i), the inseparable-case limit of S(t).

    Parameters
    ----------
    X : array_like, shape (N, d)
        Points x_i, finite.
    gtol : float, default 1e-10
        Stop when ||X^T p|| <= gtol * max(1, max_i ||x_i||), p = softmax(X S).
    max_iter : int, default 200
        Newton iterations.
    S0 : array_like, optional
        Starting point (default 0).

    Returns
    -------
    SInfinity

    Raises
    ------
    SeparableError
        If the points are separable from the origin: the infimum 0 is not attained. Detected
        exactly: for inseparable data f(S) = log sum_i exp(S^T x_i) >= max_i S^T x_i >= 0 for
        every S, so an iterate with f < 0 is a separation certificate (attribute
        ``direction``); if Newton does not converge, the LP of :func:`is_separable` decides.
    RuntimeError
        Inseparable but not converged in ``max_iter`` (0 within ~1e-12 of the hull boundary).

    Notes
    -----
    Prop. 3.2(1) and App. D of [1]_ (spec section 8): minimize the convex
    f(S) = log sum_i e^{S^T x_i} (same argmin), gradient X^T p, Hessian
    X^T (diag p - p p^T) X, by damped Newton with Armijo backtracking. A finite minimizer
    exists iff 0 is in conv{x_i}; ||S_inf|| diverges as lam -> 1/2^- (Prop. 3.4).
    """
    X = _check_points(X)
    N, d = X.shape
    scale = max(1.0, float(np.sqrt(np.max(np.einsum("ij,ij->i", X, X)))))
    S = np.zeros(d) if S0 is None else np.array(S0, dtype=np.float64).reshape(d)

    def fgp(S):
        z = X @ S
        f = float(special.logsumexp(z))
        p = np.exp(z - f)
        return f, X.T @ p, p

    f, g, p = fgp(S)
    for it in range(max_iter + 1):
        gn = float(np.linalg.norm(g))
        if gn <= gtol * scale:
            G = float(np.exp(f) / N)
            return SInfinity(S, G, gn, it)
        if f < 0.0:
            raise SeparableError(
                "The points X are separable from the origin (found S with S^T x_i < 0 for all "
                "i): sum_i exp(S^T x_i) has infimum 0 and no minimizer, S_inf does not exist. "
                "Use max_margin(X) for the separable-case geometry.", S.copy())
        if it == max_iter:
            break
        Xp = X * np.sqrt(p)[:, None]
        step = _newton_step(Xp.T @ Xp - np.outer(g, g), g)
        slope = float(g @ step)
        if slope >= 0:
            step, slope = -g, -gn**2
        t = 1.0
        while True:
            fn, gn_vec, pn = fgp(S + t * step)
            if fn <= f + 1e-4 * t * slope or t < 1e-12:
                break
            t *= 0.5
        if t < 1e-12 and fn > f:
            break
        S, f, g, p = S + t * step, fn, gn_vec, pn
    if is_separable(X):
        _, direction = is_separable(X, return_direction=True)
        raise SeparableError(
            "The points X are separable from the origin (LP certificate found): "
            "sum_i exp(S^T x_i) has infimum 0 and no minimizer, S_inf does not exist. Use "
            "max_margin(X) for the separable-case geometry.", -direction)
    raise RuntimeError(
        f"s_infinity did not converge in {max_iter} Newton iterations (||grad|| = "
        f"{float(np.linalg.norm(g)):.3g}); the origin is probably extremely close to the hull "
        f"boundary. Try a larger max_iter or a looser gtol.")


# --------------------------------------------------------------------------------------------
# Prop. 3.4 / App. D lower bound on ||S_inf||


def _check_facet(facet, N: int) -> np.ndarray:
    idx = np.asarray(facet)
    if idx.dtype == bool:
        if idx.shape != (N,):
            raise ValueError(f"The 'facet' parameter as a boolean mask must have shape ({N},). "
                             f"Got shape {idx.shape} instead.")
        idx = np.flatnonzero(idx)
    elif idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"The 'facet' parameter must be a 1-D array of point indices or a "
                         f"boolean mask. Got {facet!r} instead.")
    idx = np.unique(idx)
    if idx.size == 0 or idx.size >= N or idx[0] < 0 or idx[-1] >= N:
        raise ValueError(
            f"The 'facet' parameter must select k points with 1 <= k < N = {N} (indices in "
            f"[0, {N})). Got {facet!r} instead.")
    return idx


def boundary_epsilon(X: ArrayLike, facet: ArrayLike) -> float:
    r"""How far (in convex weight) the origin is from the face spanned by ``facet``.

    Parameters
    ----------
    X : array_like, shape (N, d)
        Points x_i, finite.
    facet : array_like
        Indices (or a boolean mask of length N) of the k points of F, 1 <= k < N.

    Returns
    -------
    float
        eps(F) = max{ sum_{i not in F} theta_i : theta in Delta_N, sum_i theta_i x_i = 0 },
        in [0, 1]. Small eps means 0 is near conv(F) in the sense of App. D: every convex
        representation of 0 puts weight >= 1 - eps on F.

    Raises
    ------
    SeparableError
        If the LP is infeasible: 0 is not in conv{x_i} (the points are separable from the
        origin, so S_inf does not exist and neither does the bound). ``direction`` is a
        separating certificate from :func:`is_separable`.

    Notes
    -----
    Spec section 2, Prop. 3.4 [derived precise reading of App. D of [1]_]: the LP
    max (1 - 1_F)^T theta s.t. X^T theta = 0, 1^T theta = 1, theta >= 0, solved with HiGHS
    (``scipy.optimize.linprog``, bounds theta_i >= 0 explicit).
    """
    X = _check_points(X)
    N = X.shape[0]
    F = _check_facet(facet, N)
    c = np.ones(N)
    c[F] = 0.0
    A_eq = np.vstack([X.T, np.ones((1, N))])
    b_eq = np.zeros(A_eq.shape[0])
    b_eq[-1] = 1.0
    res = optimize.linprog(-c, A_eq=A_eq, b_eq=b_eq, bounds=(0.0, None), method="highs")
    if res.status == 2:
        _, direction = is_separable(X, return_direction=True, method="lp")
        raise SeparableError(
            "boundary_epsilon: 0 is not in conv{x_i} (the LP {theta in simplex, "
            "sum theta_i x_i = 0} is infeasible): the points are separable from the origin, "
            "S_inf does not exist and the App. D bound does not apply.",
            -direction if direction is not None else np.full(X.shape[1], np.nan))
    if res.status != 0:
        raise RuntimeError(f"linprog failed on the App. D LP (status {res.status}: "
                           f"{res.message}).")
    return float(min(1.0, max(0.0, -res.fun)))


def diameter(X: ArrayLike, *, block: int = 1024) -> float:
    r"""D = max_{i,j} ||x_i - x_j||, from Gram-matrix blocks (O(N^2 d) flops, O(N block) memory).

    Notes
    -----
    ||x_i - x_j||^2 = ||x_i||^2 + ||x_j||^2 - 2 x_i^T x_j on the centred points (absolute error
    ~ eps max ||x_i - mean||^2 <= eps D^2), evaluated in row blocks of ``block`` points (matrix
    products); the maximizing pair is then recomputed directly, so D has full relative accuracy
    up to near-ties within ~eps D.
    """
    X = _check_points(X)
    X = X - X.mean(axis=0)  # translation invariant; centring limits the cancellation below
    sq = np.einsum("ij,ij->i", X, X)
    best, pair = -1.0, (0, 0)
    for lo in range(0, X.shape[0], block):
        D2 = sq[lo:lo + block, None] + sq[None, :] - 2.0 * (X[lo:lo + block] @ X.T)
        k = int(np.argmax(D2))
        if D2.flat[k] > best:
            best, pair = float(D2.flat[k]), (lo + k // X.shape[0], k % X.shape[0])
    return float(np.linalg.norm(X[pair[0]] - X[pair[1]]))


def app_d_bound(X: ArrayLike, facet: ArrayLike, eps: float | None = None) -> float:
    r"""Lower bound on ||S_inf|| near the hull boundary (Prop. 3.4, App. D of [1]_).

    Parameters
    ----------
    X : array_like, shape (N, d)
        Points x_i with 0 in conv{x_i} (inseparable), finite.
    facet : array_like
        Indices (or boolean mask) of any k points F, 1 <= k < N (typically the k <= d points of
        the facet the origin is close to; the bound holds for every F).
    eps : float, optional
        eps(F) if already known; default :func:`boundary_epsilon` (X, facet).

    Returns
    -------
    float
        (1/D) log((1 - eps)/eps * (N - k)/k), D = :func:`diameter` (X); +inf if eps = 0 (0 in
        conv F: no finite S_inf), -inf if eps = 1 (vacuous). Negative values are valid but
        vacuous bounds.

    Raises
    ------
    SeparableError
        From :func:`boundary_epsilon` if 0 is not in conv{x_i}.

    Notes
    -----
    Spec section 2, Prop. 3.4 [paper] and its [derived] precise reading: at S_inf the softmax
    weights p_i = e^{S^T x_i}/sum_j e^{S^T x_j} satisfy sum_i p_i x_i = 0, so p is feasible for
    the eps-LP and sum_{i not in F} p_i <= eps; hence some j in F and i not in F have
    p_j/p_i = e^{S^T (x_j - x_i)} >= ((1 - eps)/k)/(eps/(N - k)), and
    D ||S|| >= S^T (x_j - x_i) gives the bound. It is an equality for N = 2 in 1-D (the toy
    model of spec section 3 with F the point nearest 0).
    """
    X = _check_points(X)
    N = X.shape[0]
    F = _check_facet(facet, N)
    k = F.size
    if eps is None:
        eps = boundary_epsilon(X, F)
    eps = float(eps)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"The 'eps' parameter must be a float in [0, 1]. Got {eps!r} instead.")
    if eps == 0.0:
        return float("inf")
    if eps == 1.0:
        return float("-inf")
    return float((np.log1p(-eps) - np.log(eps) + np.log((N - k) / k)) / diameter(X))


# --------------------------------------------------------------------------------------------
# late-time rates (App. J)


def separable_rates(margin: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Late-time growth rates in the separable case: (d||S||/d log t, d b/d log t).

    Parameters
    ----------
    margin : array_like
        M > 0.

    Returns
    -------
    rate_S, rate_b : ndarray
        M/(1 + M^2) and -1/(1 + M^2).

    Notes
    -----
    Thm. 1 with the closed form of w_SVM (spec section 2) and App. J of [1]_, which writes
    them with E = 1/M as E/(E^2 + 1) and -E^2/(E^2 + 1); hence b/||S|| -> -1/M. Time t in GD
    steps; the rates are independent of eta.
    """
    M = _check_positive(margin, "margin")
    return M / (1.0 + M**2), -1.0 / (1.0 + M**2)


class InseparableAsymptotics(NamedTuple):
    """Late-time inseparable-regime values at times t (see :func:`inseparable_asymptotics`)."""

    b: np.ndarray
    loss_train: np.ndarray
    loss_gen: np.ndarray
    ratio: np.ndarray


def inseparable_asymptotics(
    t: ArrayLike, *, eta: float, G_inf: float, norm_S_inf: float, sigma: float = 1.0,
    b0: float = 0.0,
) -> InseparableAsymptotics:
    r"""Late-time inseparable regime with S frozen at S_inf (exponential-loss gradient flow).

    Parameters
    ----------
    t : array_like
        GD steps (epochs), >= 0; gradient flow dS/dt = -eta grad L.
    eta : float
        Learning rate, > 0.
    G_inf : float
        (1/N) sum_i exp(S_inf^T x_i), from :func:`s_infinity`.
    norm_S_inf : float
        ||S_inf||.
    sigma : float, default 1
        Feature std.
    b0 : float, default 0
        Bias at t = 0.

    Returns
    -------
    InseparableAsymptotics
        ``b`` = -log(e^{-b0} + eta G_inf t); ``loss_train`` = e^{b} G_inf (-> 1/(eta t));
        ``loss_gen`` = e^{b + sigma^2 ||S_inf||^2 / 2}; ``ratio`` = loss_gen/loss_train =
        e^{sigma^2 ||S_inf||^2/2}/G_inf.

    Notes
    -----
    Spec section 2, late-time inseparable regime [derived] (Prop. 3.2(1) of [1]_ with the
    corrected sign b -> -infinity): with S = S_inf, db/dt = -eta e^{b} G_inf, so
    d(e^{-b})/dt = eta G_inf exactly. The losses are the exponential surrogate (Eq. 6) and its
    population value, which the logistic losses approach as b -> -infinity.
    """
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t) & (t >= 0)):
        raise ValueError(f"The 't' parameter must be finite and >= 0. Got {t!r} instead.")
    eta = float(_check_positive(eta, "eta"))
    G_inf = float(_check_positive(G_inf, "G_inf"))
    nS = np.asarray(norm_S_inf, dtype=np.float64)
    if not (np.isfinite(nS) and nS >= 0):
        raise ValueError(
            f"The 'norm_S_inf' parameter must be a float >= 0. Got {norm_S_inf!r} instead.")
    sigma = float(_check_positive(sigma, "sigma"))
    b = -np.logaddexp(-b0, np.log(eta * G_inf) + np.log(np.where(t > 0, t, 1.0)))
    b = np.where(t > 0, b, b0)
    half = 0.5 * sigma**2 * float(nS) ** 2
    loss_train = np.exp(b) * G_inf
    loss_gen = np.exp(b + half)
    return InseparableAsymptotics(b, loss_train, loss_gen, np.full_like(b, np.exp(half) / G_inf))

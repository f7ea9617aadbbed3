r"""Multi-class logit regularization: simplex targets, direct minimizer, Prop. D.2, Fisher/LDA.

NumPy/SciPy float64 maths for the multi-class part of Beck, Bar-Sinai & Levi [1]_ (spec
``beck2026-logit-regularization.md`` §1.4, §2.2, §3.3, §3.8, §7).

Conventions
-----------
* Linear model with bias, z = W x + b, W in R^{K x d}, b in R^K; prediction argmax_k z_k.
* Per-sample loss (Eq. 6): l(z, c) = (1 - alpha) l_CE(z, c) + alpha f(z), with
  l_CE(z, c) = logsumexp(z) - z_c and either penalty

  - ``"square"``: f(z) = ||z||^2 (all of the paper's numerics), or
  - ``"ls"``: label smoothing, f_LS(z) = logsumexp(z) - mean_k z_k (Eq. 7) with alpha = eps,
    the smoothing mass, eps/K of which goes to every class.

* The empirical loss is the **mean** over samples (spec §5 item 2), plus an optional
  (weight_decay / 2) ||W||^2 on the weights only (the bias is not decayed).
* Class labels are integers 0..K-1.
* Data model (Eq. 8, spec §2.2, Defaults): x = mu_c + sigma_f eta_f + sigma_n eta_n with
  mu_c = mu_f e_c, eta_f a standard Gaussian in S = span{mu_c - mu_bar} (dimension K - 1) and
  eta_n a standard Gaussian in S^perp (dimension d - K + 1).

References
----------
.. [1] A. Beck, Y. Bar-Sinai, N. Levi, "The Implicit Bias of Logit Regularization",
   arXiv:2602.12039 (2026).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, optimize, special
from scipy.sparse import linalg as sparse_linalg

__all__ = [
    "MulticlassFit",
    "PENALTIES",
    "class_subspace",
    "fisher_subspace",
    "fit_quadratic",
    "minimize_multiclass",
    "multiclass_loss",
    "multiclass_targets",
    "population_accuracy",
    "prop_d2_weights",
    "sample_multiclass",
    "target_matrix",
]

PENALTIES = ("square", "ls")
_POLISH_STEPS = 8


# --------------------------------------------------------------------------------------------
# input checks


def _check_alpha(alpha, *, allow_zero: bool) -> float:
    a = float(alpha)
    lo_ok = a >= 0 if allow_zero else a > 0
    if not (np.isfinite(a) and lo_ok and a < 1):
        rng = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"The 'alpha' parameter must be a float in the range {rng}. "
                         f"Got {alpha!r} instead.")
    return a


def _check_K(K) -> int:
    if isinstance(K, bool) or int(K) != K or int(K) < 2:
        raise ValueError(f"The 'K' parameter must be an int >= 2. Got {K!r} instead.")
    return int(K)


def _check_penalty(penalty: str) -> str:
    if penalty not in PENALTIES:
        raise ValueError(f"The 'penalty' parameter must be one of {PENALTIES!r}. "
                         f"Got {penalty!r} instead.")
    return penalty


def _check_data(X, labels, K: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(labels)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"The 'X' parameter must be a 2-D array of shape (N, d). "
                         f"Got shape {X.shape} instead.")
    if y.shape != (X.shape[0],):
        raise ValueError(f"The 'labels' parameter must have shape ({X.shape[0]},) to match X. "
                         f"Got shape {y.shape} instead.")
    if not np.all(np.isfinite(X)):
        raise ValueError("The 'X' parameter must contain only finite values; found NaN or inf.")
    if not (np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() < K):
        raise ValueError(f"The 'labels' parameter must hold integers in 0..{K - 1}.")
    return X, y.astype(np.intp)


# --------------------------------------------------------------------------------------------
# targets


def multiclass_targets(alpha: float, K: int, penalty: str = "square") -> tuple[float, float]:
    r"""Target logits (q_high, q_low): the simplex z*_c = q_low 1 + (q_high - q_low) e_c.

    z*_c minimizes the per-sample loss l(z, c) = (1 - alpha) l_CE(z, c) + alpha f(z) (App. D.1).

    Parameters
    ----------
    alpha : float in (0, 1)
    K : int >= 2
    penalty : {"square", "ls"}

    Returns
    -------
    (q_high, q_low) : tuple of float, with q_high + (K - 1) q_low = 0.

    Notes
    -----
    * ``"square"`` (f = ||z||^2, spec §1.4): summing the stationarity condition
      (1 - alpha)(softmax(z) - e_c) + 2 alpha z = 0 over k gives sum_k z_k = 0, so
      q_low = -q/(K-1), and q = q_high solves
      2 alpha q = (1 - alpha)(K - 1) / (exp(K q / (K - 1)) + K - 1).
      The left side minus the right is increasing, negative at q = 0 and non-negative at
      q = (1 - alpha)(K - 1)/(2 alpha K); brentq on that bracket, then one Newton polish,
      gives q to machine precision.
    * ``"ls"`` (Eq. 7, alpha = eps): the loss is the cross-entropy with the smoothed target
      t = (1 - eps) e_c + (eps/K) 1, so softmax(z*) = t; the loss is invariant under
      z -> z + const 1 and we fix sum_k z_k = 0. Closed form, with
      D = q_high - q_low = log(1 + K (1 - eps)/eps):
      q_high = (K - 1) D / K, q_low = -D / K.
    * K = 2 reduces to the binary problem for Delta = z_1 - z_2 = 2 q_high with
      f = Delta^2 / 2 (square) or f = (1/2) log(2 + 2 cosh Delta) (LS, spec §1.2).
    """
    a = _check_alpha(alpha, allow_zero=False)
    K = _check_K(K)
    _check_penalty(penalty)
    if penalty == "ls":
        D = np.log1p(K * (1.0 - a) / a)
        return float((K - 1) * D / K), float(-D / K)
    k1 = K - 1.0
    s = K / k1

    def g(q):  # 2 alpha q - (1 - alpha)(K-1)/(e^{s q} + K - 1), with expit (no overflow)
        return 2 * a * q - (1 - a) * special.expit(np.log(k1) - s * q)

    hi = (1 - a) * k1 / (2 * a * K)
    q = optimize.brentq(g, 0.0, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    p = special.expit(np.log(k1) - s * q)
    q -= g(q) / (2 * a + (1 - a) * s * p * (1 - p))  # one Newton polish
    return float(q), float(-q / k1)


def target_matrix(alpha: float, K: int, penalty: str = "square") -> np.ndarray:
    """Z* in R^{K x K}: column c is the target logit vector z*_c of class c (App. D.1)."""
    q_high, q_low = multiclass_targets(alpha, K, penalty)
    return q_low * np.ones((K, K)) + (q_high - q_low) * np.eye(K)


# --------------------------------------------------------------------------------------------
# loss and direct minimizer


class MulticlassFit(NamedTuple):
    """Result of :func:`minimize_multiclass`.

    Attributes
    ----------
    W : ndarray (K, d)
    b : ndarray (K,)
    grad_norm : float
        Euclidean norm of the gradient of the mean loss over all K (d + 1) parameters.
    converged : bool
        ``grad_norm < gtol``.
    n_iter : int
        Trust-region Newton iterations.
    loss : float
        Mean loss at (W, b).
    """

    W: np.ndarray
    b: np.ndarray
    grad_norm: float
    converged: bool
    n_iter: int
    loss: float


def _lse_softmax(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lse = special.logsumexp(Z, axis=1)
    return lse, np.exp(Z - lse[:, None])


def multiclass_loss(W: ArrayLike, b: ArrayLike, X: ArrayLike, labels: ArrayLike, alpha: float,
                    penalty: str = "square", weight_decay: float = 0.0) -> float:
    r"""Mean loss N^-1 sum_i [(1-alpha) l_CE(z_i, c_i) + alpha f(z_i)] + (wd/2)||W||^2 (Eq. 6)."""
    W = np.asarray(W, dtype=np.float64)
    K = W.shape[0]
    X, y = _check_data(X, labels, K)
    _check_penalty(penalty)
    Z = X @ W.T + np.asarray(b, dtype=np.float64)
    lse, _ = _lse_softmax(Z)
    ce = lse - Z[np.arange(len(y)), y]
    f = np.sum(Z**2, axis=1) if penalty == "square" else lse - Z.mean(axis=1)
    return float(np.mean((1 - alpha) * ce + alpha * f) + 0.5 * weight_decay * np.sum(W**2))


class _Objective:
    """Mean loss, gradient and Hessian-vector product in the flat parameters (W.ravel(), b)."""

    def __init__(self, X, y, K, alpha, penalty, weight_decay):
        self.X, self.K, self.alpha, self.penalty, self.wd = X, K, alpha, penalty, weight_decay
        self.N, self.d = X.shape
        self.Y = np.zeros((self.N, K))
        self.Y[np.arange(self.N), y] = 1.0
        # CE and f_LS are invariant under z -> z + const 1: keep every vector in the subspace
        # of parameters whose columns sum to zero over classes (round-off would drift along
        # the flat direction otherwise).
        self.shift_invariant = penalty == "ls" or alpha == 0
        self._key = None

    def project(self, v):
        if not self.shift_invariant:
            return v
        V, c = self._unpack(v)
        return self._pack(V - V.mean(axis=0), c - c.mean())

    def _unpack(self, theta):
        K, d = self.K, self.d
        return theta[: K * d].reshape(K, d), theta[K * d:]

    def _pack(self, gW, gb):
        return np.concatenate([gW.ravel(), gb])

    def _state(self, theta):
        key = theta.tobytes()
        if key != self._key:
            W, b = self._unpack(theta)
            Z = self.X @ W.T + b
            lse, P = _lse_softmax(Z)
            self._key, self._cache = key, (W, Z, lse, P)
        return self._cache

    def fun(self, theta):
        W, Z, lse, _ = self._state(theta)
        ce = lse - np.sum(Z * self.Y, axis=1)
        f = np.sum(Z**2, axis=1) if self.penalty == "square" else lse - Z.mean(axis=1)
        a = self.alpha
        return float(np.mean((1 - a) * ce + a * f) + 0.5 * self.wd * np.sum(W**2))

    def _to_params(self, G, V):
        return self._pack(G.T @ self.X / self.N + self.wd * V, G.mean(axis=0))

    def jac(self, theta):
        W, Z, _, P = self._state(theta)
        fprime = 2 * Z if self.penalty == "square" else P - 1.0 / self.K
        return self.project(
            self._to_params((1 - self.alpha) * (P - self.Y) + self.alpha * fprime, W))

    def hessp(self, theta, v):
        _, _, _, P = self._state(theta)
        V, c = self._unpack(self.project(v))
        dZ = self.X @ V.T + c
        soft = P * dZ - P * np.sum(P * dZ, axis=1, keepdims=True)  # (diag p - p p^T) dZ
        fpp = 2 * dZ if self.penalty == "square" else soft
        return self.project(self._to_params((1 - self.alpha) * soft + self.alpha * fpp, V))


def minimize_multiclass(X: ArrayLike, labels: ArrayLike, K: int, alpha: float,
                        penalty: str = "square", weight_decay: float = 0.0, gtol: float = 1e-10,
                        maxiter: int = 2000) -> MulticlassFit:
    r"""Direct minimizer of the mean multi-class loss over (W, b) (Eq. 6; spec §7).

    Minimizes L(W, b) = N^-1 sum_i [(1 - alpha) l_CE(W x_i + b, c_i) + alpha f(W x_i + b)]
    + (weight_decay / 2) ||W||_F^2 from W = 0, b = 0.

    Parameters
    ----------
    X : array_like (N, d)
    labels : array_like (N,) of int in 0..K-1
    K : int >= 2
    alpha : float in [0, 1)
    penalty : {"square", "ls"}
    weight_decay : float >= 0
    gtol : float
        Stop when the Euclidean gradient norm is below ``gtol`` (spec §7: 1e-10).
    maxiter : int

    Returns
    -------
    MulticlassFit

    Notes
    -----
    **Method.** Trust-region Newton-CG (SciPy ``trust-ncg``) with the analytic gradient and
    exact Hessian-vector products. Newton converges quadratically, so the 1e-10 gradient norm of
    spec §7 is reached in tens of iterations where L-BFGS stalls on the ill-conditioned small-alpha
    problems; and Hessian-vector products cost O(N K d) each, whereas a dense Newton step would
    store and factor the K(d+1) x K(d+1) Hessian (5130^2 entries for the Fig. 9 probe).

    **Convexity.** In the logits, l(., c) has Hessian (1 - alpha)(diag p - p p^T) + alpha f'',
    positive definite for f = ||z||^2 and alpha > 0. The loss in (W, b) is therefore strictly
    convex on the row space of the map (W, b) -> (W x_i + b)_i and constant along its null space,
    which is nontrivial iff rank [X 1] < d + 1 (e.g. d >= N, or features confined to a subspace).
    For f_LS the loss is moreover invariant under shifting every logit by the same amount,
    (W, b) -> (W + 1 v^T, b + c 1). Starting from (0, 0), every gradient, and so every
    Newton-CG iterate (a Krylov combination of gradients and Hessian products), lies in that
    row space and has columns summing to zero over classes for f_LS; the method therefore
    returns the unique minimizer within it, the same point gradient descent from 0 reaches
    (cf. spec §3.3 for the binary minimum-norm statement).

    **alpha = 0.** The cross-entropy has no minimizer on linearly separable data (training
    accuracy 1); the returned point is then the iterate at which the gradient norm fell below
    ``gtol`` (a large-norm point whose direction depends on the optimizer) unless
    ``weight_decay > 0`` makes the problem strictly convex.
    """
    K = _check_K(K)
    X, y = _check_data(X, labels, K)
    a = _check_alpha(alpha, allow_zero=True)
    _check_penalty(penalty)
    if not (np.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"The 'weight_decay' parameter must be a float >= 0. "
                         f"Got {weight_decay!r} instead.")
    obj = _Objective(X, y, K, a, penalty, float(weight_decay))
    theta0 = np.zeros(K * (X.shape[1] + 1))
    res = optimize.minimize(obj.fun, theta0, method="trust-ncg", jac=obj.jac, hessp=obj.hessp,
                            options={"gtol": gtol, "maxiter": maxiter,
                                     "max_trust_radius": 1e10})
    theta, n_iter = obj.project(res.x), int(res.nit)
    g = obj.jac(theta)
    gnorm = float(np.linalg.norm(g))
    # Near the optimum the trust-region ratio test stalls (a step with |grad| ~ 1e-9 lowers a
    # loss of O(1) by ~1e-18, below float64 resolution); full Newton steps, accepted while the
    # gradient norm falls, finish the quadratic convergence to gtol.
    for _ in range(_POLISH_STEPS):
        if gnorm < gtol:
            break
        H = sparse_linalg.LinearOperator((theta.size,) * 2, matvec=lambda v, t=theta:
                                         obj.hessp(t, v), dtype=np.float64)
        step, _ = sparse_linalg.cg(H, -g, rtol=1e-10, atol=0.0, maxiter=10 * theta.size)
        g_new = obj.jac(theta + step)
        if not np.linalg.norm(g_new) < gnorm:
            break
        theta, g, gnorm, n_iter = theta + step, g_new, float(np.linalg.norm(g_new)), n_iter + 1
    W, b = obj._unpack(theta)
    return MulticlassFit(W.copy(), b.copy(), gnorm, gnorm < gtol, n_iter, obj.fun(theta))


# --------------------------------------------------------------------------------------------
# geometry of the class means, Prop. D.2


def class_subspace(class_means: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Orthonormal basis U (d, K-1) of S = span{mu_c - mu_bar}, and mu_bar (d,).

    U is Q of the QR decomposition of [mu_2 - mu_1, ..., mu_K - mu_1] (spec §4.1 step 2),
    which spans the same S. Raises ValueError unless the means are affinely independent.
    """
    mu = np.asarray(class_means, dtype=np.float64)
    if mu.ndim != 2 or mu.shape[0] < 2:
        raise ValueError(f"The 'class_means' parameter must have shape (K, d) with K >= 2. "
                         f"Got shape {mu.shape} instead.")
    K, d = mu.shape
    if d < K - 1:
        raise ValueError(f"K = {K} class means need d >= K - 1 = {K - 1} dimensions to be "
                         f"affinely independent; got d = {d}.")
    diffs = (mu[1:] - mu[0]).T
    U, R = linalg.qr(diffs, mode="economic")
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-10 * max(diag.max(), np.finfo(float).tiny):
        raise ValueError("The class means are not affinely independent (the mean differences "
                         "are linearly dependent), so S = span{mu_c - mu_bar} has dimension "
                         "< K - 1.")
    return U, mu.mean(axis=0)


def prop_d2_weights(class_means: ArrayLike, alpha: float,
                    penalty: str = "square") -> tuple[np.ndarray, np.ndarray]:
    r"""Prop. D.2 closed form (sigma_f = 0, lambda < 1): the minimizer (W, b).

    W_perp = W P_perp = 0 and [b + W mu_bar | W U] = Z* M^-1, with U an orthonormal basis of
    S = span{mu_c - mu_bar}, u_c = U^T (mu_c - mu_bar), M = [1 ... 1; u_1 ... u_K] (K x K,
    invertible by affine independence) and Z* = [z*_1 ... z*_K] (spec §3.3).

    Every point x = mu_c + sigma_n eta_n (eta_n in S^perp) then has logits W x + b = z*_c
    exactly, the per-sample minimum, so (W, b) minimizes the empirical loss; it is the unique
    minimizer when rank [X 1] = d + 1 (d < N).

    Returns
    -------
    W : ndarray (K, d), b : ndarray (K,)
    """
    mu = np.asarray(class_means, dtype=np.float64)
    U, mu_bar = class_subspace(mu)
    K = mu.shape[0]
    M = np.vstack([np.ones(K), U.T @ (mu - mu_bar).T])
    A = linalg.solve(M.T, target_matrix(alpha, K, penalty).T).T  # A M = Z*
    W = A[:, 1:] @ U.T
    return W, A[:, 0] - W @ mu_bar


# --------------------------------------------------------------------------------------------
# Fisher / LDA and the quadratic loss (App. D)


def _scatter(X, y, K):
    mu_c = np.stack([X[y == c].mean(axis=0) for c in range(K)])
    n_c = np.bincount(y, minlength=K).astype(np.float64)
    mu = X.mean(axis=0)
    R = X - mu_c[y]
    S_W = R.T @ R
    D = mu_c - mu
    S_B = (D * n_c[:, None]).T @ D
    return S_W, S_B, mu_c, mu


def fisher_subspace(X: ArrayLike, labels: ArrayLike, K: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top K - 1 generalized eigenvectors of (S_B, S_W): the Fisher/LDA subspace (App. D).

    S_W = sum_c sum_{i in c} (x_i - mu_c)(x_i - mu_c)^T and
    S_B = sum_c N_c (mu_c - mu)(mu_c - mu)^T (spec §3.8); they maximize
    J(U) = tr((U^T S_W U)^-1 U^T S_B U).

    Returns
    -------
    V : ndarray (d, K-1)
        Eigenvectors (columns, S_W-orthonormal), largest eigenvalue first.
    eigenvalues : ndarray (K-1,)

    Raises ValueError unless S_W is positive definite (needs d <= N - K).
    """
    K = _check_K(K)
    X, y = _check_data(X, labels, K)
    if np.bincount(y, minlength=K).min() < 1:
        raise ValueError("Every class 0..K-1 needs at least one point.")
    S_W, S_B, _, _ = _scatter(X, y, K)
    try:
        w, V = linalg.eigh(S_B, S_W)
    except linalg.LinAlgError:
        raise ValueError(f"S_W is singular (d = {X.shape[1]}, N - K = {X.shape[0] - K}); the "
                         "Fisher subspace needs d <= N - K.") from None
    order = np.argsort(w)[::-1][: K - 1]
    return V[:, order], w[order]


def fit_quadratic(X: ArrayLike, labels: ArrayLike, K: int,
                  targets: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Least squares with bias for the quadratic loss N^-1 sum_i ||W x_i + b - t_{c_i}||^2.

    ``targets`` is K x K with column c the target t_c (default the identity, t_c = e_c; Prop.
    D.1 uses q e_c). Closed form: W = T_c^T X_c (X_c^T X_c)^-1 with centred X_c and target rows
    T_c, b = mean(t) - W mean(x); requires X_c of full column rank (d <= N - 1).
    """
    K = _check_K(K)
    X, y = _check_data(X, labels, K)
    T = np.eye(K) if targets is None else np.asarray(targets, dtype=np.float64)
    Ty = T[:, y].T
    mx, mt = X.mean(axis=0), Ty.mean(axis=0)
    sol, _, rank, _ = linalg.lstsq(X - mx, Ty - mt)
    if rank < X.shape[1]:
        raise ValueError(f"The centred data have rank {rank} < d = {X.shape[1]}; the quadratic "
                         "fit is not unique.")
    W = sol.T
    return W, mt - W @ mx


# --------------------------------------------------------------------------------------------
# data model and population accuracy (spec §2.2)


def sample_multiclass(K: int, d: int, n_per_class: int, sigma_f: float, sigma_n: float,
                      mu_f: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Balanced draw from the Eq. 8 model with mu_c = mu_f e_c (spec §2.2 Defaults).

    x = mu_c + sigma_f U g_f + sigma_n P_perp g_n, with g_f ~ N(0, I_{K-1}), g_n ~ N(0, I_d)
    and U an orthonormal basis of S: Cov = sigma_f^2 P_S + sigma_n^2 P_perp.

    Returns X (K n_per_class, d), labels (ordered class by class).
    """
    K = _check_K(K)
    if d < K:
        raise ValueError(f"The 'd' parameter must be >= K = {K}. Got {d!r} instead.")
    rng = np.random.default_rng(seed)
    mu = mu_f * np.eye(K, d)
    U, _ = class_subspace(mu)
    y = np.repeat(np.arange(K), n_per_class)
    g_n = rng.standard_normal((y.size, d))
    noise = sigma_n * (g_n - (g_n @ U) @ U.T)
    noise += sigma_f * rng.standard_normal((y.size, K - 1)) @ U.T
    return mu[y] + noise, y


def population_accuracy(W: ArrayLike, b: ArrayLike, class_means: ArrayLike, sigma_f: float,
                        sigma_n: float, n_samples: int = 10**6,
                        seed: int = 0) -> tuple[float, float]:
    r"""Balanced population accuracy of argmax(W x + b) under the Eq. 8 Gaussian model.

    Given class c the logits are z ~ N(W mu_c + b, sigma_f^2 W P_S W^T + sigma_n^2 W P_perp W^T)
    (spec §2.2); P(argmax z = c) is estimated from ``n_samples`` K-dimensional logit draws
    (split evenly over classes).

    Returns
    -------
    (accuracy, standard_error) with SE^2 = sum_c p_c (1 - p_c) / n_c / K^2.
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    mu = np.asarray(class_means, dtype=np.float64)
    K = mu.shape[0]
    U, _ = class_subspace(mu)
    WU = W @ U
    C = sigma_f**2 * WU @ WU.T + sigma_n**2 * (W @ W.T - WU @ WU.T)
    w, V = linalg.eigh(C)
    L = V * np.sqrt(np.clip(w, 0.0, None))  # C = L L^T
    rng = np.random.default_rng(seed)
    n_c = max(n_samples // K, 1)
    p = np.empty(K)
    for c in range(K):
        Z = (W @ mu[c] + b) + rng.standard_normal((n_c, K)) @ L.T
        p[c] = np.mean(np.argmax(Z, axis=1) == c)
    return float(p.mean()), float(np.sqrt(np.sum(p * (1 - p) / n_c)) / K)

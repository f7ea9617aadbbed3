r"""Feature-array interface for the external-data figures 3 and 9 of Beck, Bar-Sinai & Levi [1]_.

groklab does not download CIFAR-10(-C) or ResNet weights; users pass their own penultimate-layer
features (float, shape (N, p)) and integer labels (spec ``beck2026-logit-regularization.md``
§4.1). Pure NumPy/SciPy.

* :func:`estimate` — the Eq. 35 recipe (App. E.6.1): per-class signal and orthogonal noise
  levels sigma_f,c and sigma_n,c, normalized by the mean centroid distance, and the eigenvalue
  spectrum of the orthogonal noise (Fig. 3).
* :func:`probe` — the linear probe of Fig. 9: test accuracy against alpha (left), and against the
  orthogonal scaling x <- (I - P_perp) x + gamma P_perp x (right).

References
----------
.. [1] A. Beck, Y. Bar-Sinai, N. Levi, "The Implicit Bias of Logit Regularization",
   arXiv:2602.12039 (2026).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg

from groklab.theory.logit_reg_multiclass import PENALTIES, class_subspace, minimize_multiclass

__all__ = ["estimate", "probe"]


def _check_features(X: ArrayLike, labels: ArrayLike, name: str = "features",
                    label_name: str = "labels") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated float64 X (N, p), labels (N,), and the sorted class values."""
    try:
        X = np.asarray(X)
        y = np.asarray(labels)
    except ValueError as err:
        raise ValueError(f"The '{name}' and '{label_name}' arrays must be regular arrays "
                         f"({err}).") from None
    if X.dtype == bool or not (np.issubdtype(X.dtype, np.floating)
                               or np.issubdtype(X.dtype, np.integer)):
        raise ValueError(f"The '{name}' array must hold real numbers. Got dtype {X.dtype}.")
    if X.ndim != 2:
        raise ValueError(f"The '{name}' array must be 2-D, shape (N, p). "
                         f"Got shape {X.shape} instead.")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"The '{label_name}' array must be 1-D with one label per row of "
                         f"'{name}' ({X.shape[0]}). Got shape {y.shape} instead.")
    if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"The '{label_name}' array must hold integer class labels. "
                         f"Got dtype {y.dtype} instead.")
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        bad = int(np.sum(~np.all(np.isfinite(X), axis=1)))
        raise ValueError(f"The '{name}' array contains NaN or inf in {bad} rows; drop or fix "
                         "those rows.")
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"Need at least 2 classes in '{label_name}'. Got {classes.size}.")
    if counts.min() < 2:
        small = [int(c) for c in classes[counts < 2]]
        raise ValueError(f"Every class needs at least 2 points; class(es) {small} in "
                         f"'{label_name}' have fewer.")
    K, p = classes.size, X.shape[1]
    if p < K:
        raise ValueError(f"The feature dimension p = {p} must be >= the number of classes "
                         f"K = {K}, so that the orthogonal space S^perp (dimension p - K + 1) "
                         "is not empty.")
    return X, y, classes


def _subspace(X: np.ndarray, y: np.ndarray, classes: np.ndarray):
    """Class means (K, p) and Q (p, K-1), an orthonormal basis of S (spec §4.1 steps 1-2)."""
    mu_c = np.stack([X[y == c].mean(axis=0) for c in classes])
    Q, _ = class_subspace(mu_c)
    return mu_c, Q


def estimate(X: ArrayLike, labels: ArrayLike) -> dict[str, Any]:
    r"""Signal and orthogonal-noise levels of labelled features (Eq. 35, spec §4.1).

    Recipe: class means mu_c and global mean mu; Q from the QR decomposition of
    [mu_2 - mu_1, ..., mu_K - mu_1], P_S = Q Q^T, P_perp = I - P_S; for each class c with
    residuals r = x - mu_c,

    * sigma_f,c^2 = mean ||Q^T r||^2 / (K - 1),
    * sigma_n,c^2 = mean ||P_perp r||^2 / (p - K + 1);

    both normalized by m = mean_c ||mu_c - mu||. The Fig. 3 spectrum is the eigenvalues of the
    covariance (1/N) sum_i (P_perp r_i)(P_perp r_i)^T of the residuals pooled over classes;
    its p - K + 1 non-trivial eigenvalues (largest first) are returned, their mean is the
    pooled sigma_n^2.

    Parameters
    ----------
    X : array_like (N, p), float features
    labels : array_like (N,), integer class labels (any K >= 2 distinct values)

    Returns
    -------
    dict (JSON-able)
        ``N, p, K, classes, n_per_class``; ``m`` and ``centroid_distance`` (per class);
        ``sigma_f_c, sigma_n_c`` (per class) and their class means ``sigma_f, sigma_n``;
        the same divided by m (``*_over_m``); ``spectrum``.

    Notes
    -----
    In the Eq. 8 model with mu_c = mu_f e_c, ||mu_c - mu_bar|| = mu_f sqrt((K - 1)/K) for every c,
    so m = mu_f sqrt((K-1)/K), not mu_f as spec §4.1 step 4 states (equal only as K -> inf).
    The plug-in class means carry O(p sigma^2 / N_c) errors: m is biased up by
    E||mu_c - mu||^2 - ||.||^2 = ((K-1)/K) tr(Sigma) / N_c, and Q tilts into S^perp, which
    leaks sigma_n^2 into sigma_f,c^2. The estimates are accurate when N_c >> p sigma_n^2 / m^2.
    """
    X, y, classes = _check_features(X, labels)
    N, p = X.shape
    K = classes.size
    mu_c, Q = _subspace(X, y, classes)
    mu = X.mean(axis=0)
    idx = np.searchsorted(classes, y)
    R = X - mu_c[idx]
    RS = R @ Q
    R_perp = R - RS @ Q.T
    n_c = np.bincount(idx, minlength=K)
    s_f = np.sqrt(np.bincount(idx, np.sum(RS**2, axis=1), K) / n_c / (K - 1))
    s_n = np.sqrt(np.bincount(idx, np.sum(R_perp**2, axis=1), K) / n_c / (p - K + 1))
    dist = np.linalg.norm(mu_c - mu, axis=1)
    m = float(dist.mean())
    spectrum = linalg.eigvalsh(R_perp.T @ R_perp / N)[::-1][: p - K + 1]
    return {
        "N": int(N),
        "p": int(p),
        "K": int(K),
        "classes": classes.tolist(),
        "n_per_class": n_c.tolist(),
        "m": m,
        "centroid_distance": dist.tolist(),
        "sigma_f_c": s_f.tolist(),
        "sigma_n_c": s_n.tolist(),
        "sigma_f": float(s_f.mean()),
        "sigma_n": float(s_n.mean()),
        "sigma_f_c_over_m": (s_f / m).tolist(),
        "sigma_n_c_over_m": (s_n / m).tolist(),
        "sigma_f_over_m": float(s_f.mean() / m),
        "sigma_n_over_m": float(s_n.mean() / m),
        "spectrum": np.clip(spectrum, 0.0, None).tolist(),
    }


def _check_grid(values, name: str, lo: float, hi: float, lo_open: bool) -> list[float]:
    vals = [float(v) for v in np.atleast_1d(np.asarray(values, dtype=np.float64))]
    ok = [np.isfinite(v) and (v > lo if lo_open else v >= lo) and v < hi for v in vals]
    if not vals or not all(ok):
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g})"
        raise ValueError(f"The '{name}' values must be floats in the range {rng}. "
                         f"Got {vals} instead.")
    return vals


def probe(X_train: ArrayLike, y_train: ArrayLike, X_test: ArrayLike, y_test: ArrayLike,
          alphas: Sequence[float], gammas: Sequence[float] = (1.0,), penalty: str = "square",
          weight_decay: float = 0.0, gtol: float = 1e-10) -> dict[str, Any]:
    r"""Linear probe of Fig. 9: test accuracy per (alpha, gamma).

    For each gamma the features are scaled along the orthogonal space, literally and without
    centring (spec §4.1 step 6), x <- (I - P_perp) x + gamma P_perp x, with P_perp built from the
    **training** class means as in :func:`estimate`; the same map is applied to the test set.
    For each alpha a linear classifier z = W x + b is trained on the loss
    (1 - alpha) CE + alpha f(z) (Eq. 6; f = ||z||^2 for ``penalty="square"``).

    Training uses the direct convex minimizer
    :func:`~groklab.theory.logit_reg_multiclass.minimize_multiclass` (trust-region Newton-CG to
    |grad| < gtol), **not** the paper's 30k epochs of Adam (eta = 1e-4): the result is the
    converged minimizer the theory speaks about, not a finite-time optimizer state.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : arrays (N, p), (N,), (N', p), (N',)
    alphas : sequence of float in [0, 1)
    gammas : sequence of float > 0
    penalty : {"square", "ls"}
    weight_decay : float >= 0
        Optional (weight_decay/2) ||W||^2 on top of the loss (0 in Fig. 9).
    gtol : float

    Returns
    -------
    dict (JSON-able)
        ``alphas, gammas, penalty, K, p, n_train, n_test, classes, method``;
        ``acc_test`` and ``acc_train`` as nested lists [alpha][gamma]; ``runs``: one record per
        (alpha, gamma) with the optimizer diagnostics (``grad_norm, converged, n_iter, loss,
        norm_W``) and ``separable_train`` (alpha = 0 without weight decay and training
        accuracy 1: the cross-entropy has no minimizer and the reported point is the iterate
        at |grad| < gtol).

    Notes
    -----
    [derived, Prop. D.3 analogue] x -> (I - P_perp) x + gamma P_perp x is an invertible linear
    map A_gamma, and z = W A_gamma x + b, so (W, b) is optimal for the scaled data iff
    (W A_gamma, b) is optimal for the original data. When the minimizer is unique (alpha > 0,
    rank [X 1] = p + 1, no weight decay) the test logits, and so the accuracy, are **exactly**
    independent of gamma. Only alpha = 0 on separable data (no minimizer; optimizer-dependent
    limit), weight decay, or rank deficiency can make gamma matter.
    """
    Xtr, ytr, classes = _check_features(X_train, y_train, "X_train", "y_train")
    Xte, yte, test_classes = _check_features(X_test, y_test, "X_test", "y_test")
    if Xte.shape[1] != Xtr.shape[1]:
        raise ValueError(f"X_test has {Xte.shape[1]} features but X_train has {Xtr.shape[1]}.")
    unknown = np.setdiff1d(test_classes, classes)
    if unknown.size:
        raise ValueError(f"y_test has classes {unknown.tolist()} that do not occur in y_train.")
    if penalty not in PENALTIES:
        raise ValueError(f"The 'penalty' parameter must be one of {PENALTIES!r}. "
                         f"Got {penalty!r} instead.")
    alphas = _check_grid(alphas, "alpha", 0.0, 1.0, lo_open=False)
    gammas = _check_grid(gammas, "gamma", 0.0, np.inf, lo_open=True)
    K = classes.size
    itr, ite = np.searchsorted(classes, ytr), np.searchsorted(classes, yte)
    _, Q = _subspace(Xtr, ytr, classes)

    def scale(X, gamma):  # (I - P_perp) x + gamma P_perp x = gamma x + (1 - gamma) P_S x
        return gamma * X + (1.0 - gamma) * (X @ Q) @ Q.T

    runs = []
    acc_test = [[0.0] * len(gammas) for _ in alphas]
    acc_train = [[0.0] * len(gammas) for _ in alphas]
    for j, gamma in enumerate(gammas):
        Atr, Ate = scale(Xtr, gamma), scale(Xte, gamma)
        for i, alpha in enumerate(alphas):
            fit = minimize_multiclass(Atr, itr, K, alpha, penalty, weight_decay, gtol)
            a_tr = float(np.mean(np.argmax(Atr @ fit.W.T + fit.b, axis=1) == itr))
            a_te = float(np.mean(np.argmax(Ate @ fit.W.T + fit.b, axis=1) == ite))
            acc_test[i][j], acc_train[i][j] = a_te, a_tr
            runs.append({
                "alpha": alpha, "gamma": gamma, "acc_test": a_te, "acc_train": a_tr,
                "grad_norm": fit.grad_norm, "converged": bool(fit.converged),
                "n_iter": fit.n_iter, "loss": fit.loss,
                "norm_W": float(np.linalg.norm(fit.W)),
                "separable_train": bool(alpha == 0 and weight_decay == 0 and a_tr == 1.0),
            })
    return {
        "alphas": alphas, "gammas": gammas, "penalty": penalty,
        "weight_decay": float(weight_decay), "K": int(K), "p": int(Xtr.shape[1]),
        "n_train": int(Xtr.shape[0]), "n_test": int(Xte.shape[0]), "classes": classes.tolist(),
        "method": "direct minimizer (trust-region Newton-CG, |grad| < gtol), not Adam",
        "gtol": float(gtol), "acc_test": acc_test, "acc_train": acc_train, "runs": runs,
    }

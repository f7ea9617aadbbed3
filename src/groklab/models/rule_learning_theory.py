"""Theory of the rule-learning model with a fixed attention: the perceptron map (Sec. 4.2.3).

Spec ``zunkovic2024-local-rules.md`` §3.1, §4.3–4.5. With A and v^{L,R} fixed, every (string,
site) pair maps to z_i(x) ∈ R^{2d²} (Eq. 66) and ŷ = z·vec(B) (Eq. 67): a bias-free perceptron
in D = 2d² dimensions. On the linear MSE ½(ŷ − y)² averaged over the n training sites, plus
(λ2/2)‖B‖², the gradient is G·vec(B) − a with (Eq. 19)

    G = ZᵀZ/n + λ2·1,   a = Zᵀy/n,

so full-batch GD with step η (the ``"gd"`` optimizer) is solved exactly (λ1 = 0) by

    c_k(t) = c*_k + (1 − η g_k)^t (c_k(0) − c*_k)   in the eigenbasis G = U diag(g) Uᵀ,

with c* = a_k/g_k for g_k > 0 and c*_k = c_k(0) in the null space of G (where a has no part):
the limit is w^λ = G⁺a + (1 − G⁺G)B(0) (Eq. 21 and its [derived] singular form). For λ1 > 0 the
stationary weights solve the soft-thresholded problem (proximal gradient to 1e-10, spec §5).

All arrays here are NumPy float64 (a NumPy twin of the contexts of :mod:`rule_learning_tn`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from groklab.models import rule_learning_tn as tn
from groklab.models.rule_learning_config import Config

__all__ = [
    "Perceptron",
    "attention_groks",
    "contexts_numpy",
    "flat_features",
    "gd_outputs",
    "gd_trajectory",
    "p_grok_attention",
    "perceptron",
    "random_attention",
    "rejection_sample_attention",
    "stationary_weights",
]

#: Eigenvalues of G below this (relative to the largest) count as its null space.
NULL_TOL = 1e-12


def contexts_numpy(attention: dict, x, bc: str = "open") -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`rule_learning_tn.contexts` (no mask): (ℓ_N, r_N) of shape (n, M, d)
    for open boundaries, (H^L_N, H^R_N) of shape (n, M, d, d) for closed ones."""
    A = np.asarray(attention["A"], float)
    x = np.asarray(x, float)
    n, M = x.shape
    up = x > 0
    d = A.shape[0]
    if bc == "open":
        shape, first = (n, M, d), (attention["vL"], attention["vR"])
        first = [np.broadcast_to(v / np.linalg.norm(v), (n, d)) for v in first]
    else:
        shape = (n, M, d, d)
        first = [np.broadcast_to(np.eye(d) / np.sqrt(d), (n, d, d))] * 2
    left, right = np.empty(shape), np.empty(shape)
    left[:, 0], right[:, -1] = first
    for i in range(1, M):
        Al = np.where(up[:, i - 1, None, None], A[:, :, 1], A[:, :, 0])  # (n, d, d)
        Ar = np.where(up[:, M - i, None, None], A[:, :, 1], A[:, :, 0])
        if bc == "open":
            lv = np.einsum("nm,nmk->nk", left[:, i - 1], Al)
            rv = np.einsum("nkm,nm->nk", Ar, right[:, M - i])
            left[:, i] = lv / np.linalg.norm(lv, axis=-1, keepdims=True)
            right[:, M - i - 1] = rv / np.linalg.norm(rv, axis=-1, keepdims=True)
        else:
            lv = left[:, i - 1] @ Al
            rv = Ar @ right[:, M - i]
            left[:, i] = lv / np.linalg.norm(lv, axis=(-2, -1), keepdims=True)
            right[:, M - i - 1] = rv / np.linalg.norm(rv, axis=(-2, -1), keepdims=True)
    return left, right


def flat_features(attention: dict, x, bc: str = "open") -> np.ndarray:
    """Eq. 66 features of every site of the strings ``x`` (n, M), flattened to (n·M, 2d²) (the
    C-order vec of the (d, d, 2) array): ℓ_N ⊗ r_N ⊗ φ(x_i) (open) or
    (H^R_N H^L_N)ᵀ ⊗ φ(x_i) (closed), float64."""
    left, right = contexts_numpy(attention, x, bc)
    if bc == "open":
        m = left[..., :, None] * right[..., None, :]
    else:
        m = np.swapaxes(right @ left, -1, -2)
    up = (np.asarray(x) > 0).astype(float)
    phi = np.stack([1 - up, up], axis=-1)
    z = m[..., None] * phi[..., None, None, :]
    return z.reshape(-1, int(np.prod(z.shape[-3:])))


def gram(Z: np.ndarray, y: np.ndarray, lam2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """G = ZᵀZ/n + λ2·1 and a = Zᵀy/n (Eq. 19 over the n rows of Z)."""
    n = Z.shape[0]
    return Z.T @ Z / n + lam2 * np.eye(Z.shape[1]), Z.T @ np.asarray(y, float).ravel() / n


def gd_trajectory(G: np.ndarray, a: np.ndarray, b0: np.ndarray, lr: float, times) -> np.ndarray:
    """Exact iterates b(t) of b ← b − lr(G b − a) at the steps ``times``: (len(times), D).
    ``b0`` may carry leading batch axes: (…, D) → (…, len(times), D)."""
    return gd_outputs(G, a, b0, lr, times, np.eye(G.shape[0]))


def gd_outputs(G: np.ndarray, a: np.ndarray, b0: np.ndarray, lr: float, times,
               Z: np.ndarray) -> np.ndarray:
    """Outputs Z·b(t) of feature rows ``Z`` (K, D) along the exact GD trajectory (see
    :func:`gd_trajectory`), without forming b(t): (…, len(times), K) for ``b0`` (…, D). Cheap
    for an ensemble of B(0) and a few distinct features (Eq. 68 has 8)."""
    g, U, null, c0, cstar = _eigen_limit(G, a, b0)
    t = np.asarray(times, dtype=float)
    decay = np.where(null, 1.0, (1.0 - lr * g)[None, :] ** t[:, None])  # (T, D)
    ZU = np.asarray(Z, float) @ U  # (K, D)
    return (cstar @ ZU.T)[..., None, :] + np.einsum("td,...d,kd->...tk", decay, c0 - cstar, ZU)


def stationary_weights(Z: np.ndarray, y: np.ndarray, lam1: float = 0.0, lam2: float = 0.0,
                       b0: np.ndarray | None = None, tol: float = 1e-10,
                       max_iter: int = 200_000) -> np.ndarray:
    """w^λ, the minimiser reached by gradient flow on ½mean(z·w − y)² + (λ2/2)‖w‖² + λ1‖w‖₁.

    λ1 = 0: G⁺a + (1 − G⁺G)b0 (b0 = 0 if not given; Eq. 21). λ1 > 0: accelerated proximal
    gradient (FISTA with adaptive restart, step 1/λ_max(G)) from b0 until a proximal step moves
    w by less than ``tol`` (max-norm; spec §5 [project] tolerance 1e-10).
    """
    G, a = gram(Z, y, lam2)
    w = np.zeros(G.shape[0]) if b0 is None else np.asarray(b0, float).copy()
    if lam1 == 0:
        _, U, _, _, cstar = _eigen_limit(G, a, w)
        return cstar @ U.T
    step = 1.0 / np.linalg.eigvalsh(G).max()

    def prox_step(v):
        u = v - step * (G @ v - a)
        return np.sign(u) * np.maximum(np.abs(u) - step * lam1, 0.0)

    v, theta = w.copy(), 1.0
    for _ in range(max_iter):
        new = prox_step(v)
        if np.max(np.abs(prox_step(new) - new)) < tol:
            return new
        theta_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * theta * theta))
        if (v - new) @ (new - w) > 0:  # the momentum points uphill: restart
            theta_next, v = 1.0, new
        else:
            v = new + (theta - 1.0) / theta_next * (new - w)
        w, theta = new, theta_next
    raise RuntimeError(f"Proximal gradient did not reach tol={tol:g} in {max_iter} steps.")


def _eigen_limit(G, a, b0):
    """Eigenvalues g and vectors U of G, its null space, and the coordinates of b0 and of the
    GD limit c* (a/g off the null space, b0 on it) in that basis."""
    g, U = np.linalg.eigh(G)
    null = g <= NULL_TOL * max(g.max(), 1e-300)
    c0 = np.asarray(b0, float) @ U
    cstar = np.where(null, c0, (a @ U) / np.where(null, 1.0, g))
    return g, U, null, c0, cstar


# ---- the perceptron of one configuration --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Perceptron:
    """The mapped perceptron of a fixed-attention config and one seed: features and labels of
    the training sites, the test sites and every exhaustive length; G, a; and B(0)."""

    Z_train: np.ndarray
    y_train: np.ndarray
    Z_test: np.ndarray
    y_test: np.ndarray
    exact: list[tuple[np.ndarray, np.ndarray]]
    G: np.ndarray
    a: np.ndarray
    b0: np.ndarray
    left_central: np.ndarray  # left contexts at the 7 central sites of the test strings
    attention: dict  # A and (open) v^L, v^R

    def errors(self, B: np.ndarray) -> dict:
        """Per-site errors of weights ``B`` (…, 2d²): ``err_train``, ``err_gen``, ``err_exact``."""
        def err(Z, y):
            return np.mean(y * (B @ Z.T) <= 0, axis=-1)

        wrong = sum(np.sum(y * (B @ Z.T) <= 0, axis=-1) for Z, y in self.exact)
        sites = sum(y.size for _, y in self.exact)
        return {"err_train": err(self.Z_train, self.y_train),
                "err_gen": err(self.Z_test, self.y_test), "err_exact": wrong / sites}


def perceptron(config: Config, seed: int | None = None) -> Perceptron:
    """Build the mapped perceptron of a fixed-attention ``config`` for member ``seed`` (default
    ``config.seed``): the same attention, data and B(0) as ``simulate``."""
    from groklab.models.rule_learning_train import build_data, init_members

    if not config.fixed_attention:
        raise ValueError("The perceptron map needs a fixed attention (attention='exact', "
                         "'fixed-example' or 'random').")
    seed = config.seed if seed is None else int(seed)
    member, shared, _ = init_members(config.replace(precision="float64"), [seed])
    att = {**shared, **{k: v[0] for k, v in member.items() if k != "B"}}
    data = build_data(config.replace(precision="float64"), pad_exact=False)

    def feats(x):
        return flat_features(att, x, config.bc)

    Z = feats(data["X_train"])
    y = data["y_train"].ravel()
    G, a = gram(Z, y, config.lam2)
    left = contexts_numpy(att, data["X_test"], config.bc)[0]
    left = left[:, tn.central_sites(config.test_length)]
    return Perceptron(
        Z_train=Z, y_train=y, Z_test=feats(data["X_test"]), y_test=data["y_test"].ravel(),
        exact=[(feats(x), ye.ravel()) for x, ye, _ in data["exact"]], G=G, a=a,
        b0=member["B"][0].ravel(), left_central=left.reshape(-1, int(np.prod(left.shape[2:]))),
        attention=att,
    )


# ---- fixed random attention: grokking probability and rejection sampling (Sec. 4.3.1) ---------
def _eval_data(config: Config) -> dict:
    from groklab.models.rule_learning_train import build_data

    return build_data(config.replace(precision="float64"), pad_exact=False)


def attention_groks(attention: dict, config: Config, data: dict | None = None) -> bool:
    """Whether the stationary weights w^λ of the perceptron that ``attention`` (A and, open
    boundaries, v^{L,R}) maps the training set to reach zero test error: every site of every
    string of length 3…exact_length and of the random test strings right (spec §4.5, §5).

    w^λ = G⁺a (from B(0) = 0) for λ1 = 0, else the proximal-gradient solve. The exhaustive
    lengths are checked first, so a failing draw costs little."""
    data = _eval_data(config) if data is None else data
    Z = flat_features(attention, data["X_train"], config.bc)
    w = stationary_weights(Z, data["y_train"].ravel(), config.lam1, config.lam2)
    for x, y, _ in data["exact"]:
        if np.any(y.ravel() * (flat_features(attention, x, config.bc) @ w) <= 0):
            return False
    z = flat_features(attention, data["X_test"], config.bc)
    return bool(np.all(data["y_test"].ravel() * (z @ w) > 0))


def random_attention(config: Config, seed: int, retry: int) -> dict | None:
    """Draw number ``retry`` of the random attention of member ``seed`` (key ``(seed,
    "attention")``, folded with ``retry`` > 0) with its top eigenvectors as boundary vectors;
    None if the top eigenvalue of A_0 is complex."""
    from groklab.models.rule_learning_train import _attention_draw

    A = np.asarray(_attention_draw(seed, retry, config.d))
    if config.bc == "closed":
        return {"A": A}
    try:
        vL, vR, _ = tn.top_eigenvectors(A[:, :, 0])
    except ValueError:
        return None
    return {"A": A, "vL": vL, "vR": vR}


def p_grok_attention(config: Config, n_draws: int, first_seed: int = 0) -> dict:
    """The "grokking probability" of Sec. 4.3.1 (``p_grok_attention``, spec §6): the fraction of
    random attention tensors (draw 0 of seeds first_seed …) for which w^λ at the config's
    (λ1, λ2) reaches zero test error (:func:`attention_groks`).

    Returns ``n_draws``, ``n_real`` (draws whose A_0 has a real top eigenvalue), ``n_grok``,
    ``p_grok`` = n_grok/n_draws (complex draws count as failures) and ``p_grok_real`` =
    n_grok/n_real (conditional on a real spectrum), as the spec's [project] row asks."""
    data = _eval_data(config)
    n_real = n_grok = 0
    for s in range(first_seed, first_seed + n_draws):
        att = random_attention(config, s, 0)
        if att is None:
            continue
        n_real += 1
        n_grok += attention_groks(att, config, data)
    return {"n_draws": n_draws, "n_real": n_real, "n_grok": n_grok,
            "p_grok": n_grok / n_draws, "p_grok_real": n_grok / n_real if n_real else np.nan}


def rejection_sample_attention(config: Config, seed: int, max_tries: int = 100_000):
    """The first draw (retry 0, 1, …) of member ``seed``'s random attention with a real top
    eigenvalue whose w^λ reaches zero test error (Sec. 4.3.1 rejection sampling). Returns
    (attention dict, number of rejected draws)."""
    data = _eval_data(config)
    for r in range(max_tries):
        att = random_attention(config, seed, r)
        if att is not None and attention_groks(att, config, data):
            return att, r
    raise RuntimeError(f"No grokking attention in {max_tries} draws (seed {seed}).")

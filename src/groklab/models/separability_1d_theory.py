"""Theory of the 1-D toy model of Beck, Levi & Bar-Sinai (2025), Sec. 4 and App. E.

Pure NumPy/SciPy (no JAX), so that ``groklab predict separability-1d`` starts fast.

Variables. The two training points are x₁ = −σ and x₂ = σ(1 − 2λ) with all labels −1 (spec §3,
Eq. 11), the loss is the exponential one, L(S, b) = ½(e^{Sx₁+b} + e^{Sx₂+b}). Everything here is
written in the scaled weight S̃ = σS on the unit points x̂₁ = −1, x̂₂ = x = 1 − 2λ (Prop. 3.5):
gradient flow in GD-step units t is

    dS̃/dt = −(ησ²/2) e^{b} (x e^{S̃x} − e^{−S̃}),     db/dt = −(η/2) e^{b} (e^{S̃x} + e^{−S̃}),

and in conformal time τ = ∫₀ᵗ e^{b} dt′ (Eq. 8 / Eq. 25) the factor e^{b} drops out.
L_tr = ½e^{b}(e^{S̃x} + e^{−S̃}), L_gen = e^{b + S̃²/2}, A_gen = ½[1 − erf(b/(√2|S̃|))].

Numerics (spec §8): the flow is integrated in log t after t = 1 with the bounded combination
β = b + log t as state, so that ε = 10⁻⁵⁰ thresholds (t* ≫ e^{100}) are reached without
overflow or underflow; threshold times are located with event functions and returned as log t.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special as sc
from scipy.integrate import solve_ivp

__all__ = [
    "G_inf",
    "S_inf",
    "acc_gen_limit",
    "critical_tau_of_t",
    "exact_critical",
    "exact_separable",
    "exact_x2_one",
    "flow",
    "grokking_formulas",
    "lambertw_exp",
    "margin",
    "regime",
    "separable_tau_of_t",
    "table1",
    "x2_one_tau_of_t",
]

LOG2 = math.log(2.0)


# ---- static quantities --------------------------------------------------------------------------
def regime(lam: float) -> str:
    """Table 1: 'inseparable' (λ < ½, x₂ > 0), 'critical' (λ = ½) or 'separable' (λ > ½)."""
    if lam < 0.5:
        return "inseparable"
    return "critical" if lam == 0.5 else "separable"


def S_inf(lam: float) -> float:
    """S̃_∞ = log(1/(1−2λ)) / (2(1−λ)) (σ = 1 units; the weight is S_∞ = S̃_∞/σ); inf for
    λ ≥ ½ (no finite minimizer of e^{S̃x} + e^{−S̃})."""
    if lam >= 0.5:
        return math.inf
    return -math.log1p(-2.0 * lam) / (2.0 * (1.0 - lam))


def G_inf(lam: float) -> float:
    """G_∞ = ½(e^{−S̃_∞} + e^{S̃_∞(1−2λ)}), the conformal loss rate at S̃_∞ (spec §3)."""
    s = S_inf(lam)
    if not math.isfinite(s):
        return math.nan
    return 0.5 * (math.exp(-s) + math.exp(s * (1.0 - 2.0 * lam)))


def margin(lam: float, sigma: float = 1.0) -> float:
    """Margin M = σ(2λ − 1) of the two points (std σ) for λ > ½; NaN otherwise."""
    return sigma * (2.0 * lam - 1.0) if lam > 0.5 else math.nan


def acc_gen_limit(lam: float, sigma: float = 1.0) -> float:
    """lim A_gen: 1 unless separable, else ½[1 + erf(1/(√2 σ M))] with M = σ(2λ−1) (Prop. 3.2,
    Eq. 42)."""
    if lam <= 0.5:
        return 1.0
    return 0.5 * (1.0 + math.erf(1.0 / (math.sqrt(2.0) * sigma * margin(lam, sigma))))


def table1(lam: float, log_t, eta: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Late-time (b, S̃) of Table 1 at σ = 1, as functions of log t.

    λ < ½: b = −log(ηG_∞t) (the derived constant of spec §2; Table 1 prints −log t), S̃ = S̃_∞.
    λ = ½: b = −log t, S̃ = log(log t). λ > ½: b = −log(t)/(1+M²), S̃ = M log(t)/(1+M²).
    """
    ell = np.asarray(log_t, dtype=float)
    r = regime(lam)
    if r == "inseparable":
        return -(math.log(eta * G_inf(lam)) + ell), np.full_like(ell, S_inf(lam))
    if r == "critical":
        return -ell, np.log(ell)
    m = 2.0 * lam - 1.0
    return -ell / (1 + m * m), m * ell / (1 + m * m)


# ---- exact special cases (App. E.2), general σ: step ησ² for S̃, η for b -------------------
def exact_x2_one(tau, eta: float, sigma: float = 1.0, S0: float = 0.1, b0: float = 0.0):
    """x₂ = 1 (λ = 0): u = e^{S̃} obeys du/dτ = −(ησ²/2)(u² − 1), so with θ = ησ²τ/2 + θ₀,
    u = tanh θ (θ₀ = artanh u₀, S̃₀ < 0) or coth θ (θ₀ = arcoth u₀, S̃₀ > 0), and
    b = b₀ − σ⁻² log[sinh 2θ / sinh 2θ₀] (σ = 1: the spec's b(τ)). Returns (S̃, b)."""
    tau = np.asarray(tau, dtype=float)
    s0 = sigma * S0
    if s0 == 0.0:
        return np.zeros_like(tau), b0 - eta * tau
    eS = eta * sigma**2
    u0 = math.exp(s0)
    theta0 = math.atanh(u0) if s0 < 0 else math.atanh(1.0 / u0)
    theta = eS * tau / 2 + theta0
    if s0 < 0:
        s = np.log(np.tanh(theta))
    else:
        s = -np.log(np.tanh(theta))
    # log sinh(2θ) − log sinh(2θ₀), stable for large θ
    def log_sinh(z):
        return z + np.log1p(-np.exp(-2 * z)) - LOG2

    b = b0 - (log_sinh(2 * theta) - log_sinh(2 * theta0)) / sigma**2
    return s, b


def x2_one_tau_of_t(t, eta: float, S0: float = 0.1, b0: float = 0.0):
    """τ(t) for x₂ = 1 at σ = 1: t = e^{−b₀}[cosh(ητ + 2θ₀) − cosh 2θ₀]/(η sinh 2θ₀)."""
    if S0 == 0.0:
        return np.log1p(eta * np.asarray(t, float) * math.exp(b0)) / eta
    theta0 = math.atanh(math.exp(S0)) if S0 < 0 else math.atanh(math.exp(-S0))
    c = math.cosh(2 * theta0) + eta * np.asarray(t, float) * math.exp(b0) * math.sinh(2 * theta0)
    return (np.arccosh(c) - 2 * theta0) / eta


def exact_critical(tau, eta: float, sigma: float = 1.0, S0: float = 0.1, b0: float = 0.0):
    """x₂ = 0 (λ = ½): e^{S̃} = e^{S̃₀} + ησ²τ/2 and b = b₀ − ητ/2 − σ⁻²(S̃ − S̃₀)
    (σ = 1: S = log(e^{S₀} + ητ/2), b = −log(e^{S₀} + ητ/2) − ητ/2 + S₀ + b₀)."""
    tau = np.asarray(tau, dtype=float)
    s0 = sigma * S0
    s = np.log(math.exp(s0) + eta * sigma**2 * tau / 2)
    return s, b0 - eta * tau / 2 - (s - s0) / sigma**2


def lambertw_exp(y):
    """W₀(e^y), also for y far beyond the float range of e^y (Newton on w + log w = y)."""
    y = np.atleast_1d(np.asarray(y, dtype=float))
    out = np.empty_like(y)
    small = y < 500
    out[small] = np.real(sc.lambertw(np.exp(y[small])))
    if np.any(~small):
        yy = y[~small]
        w = yy - np.log(yy)
        for _ in range(50):
            w = w - (w + np.log(w) - yy) / (1 + 1 / w)
        out[~small] = w
    return out


def critical_tau_of_t(log_t, eta: float, S0: float = 0.1, b0: float = 0.0):
    """Eq. 29 at σ = 1, as a function of log t (works for t ≫ e^{700}):
    τ = (2/η)[W₀(((η/2)e^{S₀+b₀}t + e^{S₀} − 1) e^{e^{S₀}−1}) − e^{S₀} + 1]."""
    ell = np.atleast_1d(np.asarray(log_t, dtype=float))
    a = math.exp(S0)
    u = math.log(eta / 2) + S0 + b0 + ell
    with np.errstate(over="ignore", invalid="ignore"):
        inner = np.where(u > 30, u + np.log1p((a - 1) * np.exp(-np.minimum(u, 700))),
                         np.log(np.exp(np.minimum(u, 30)) + a - 1))
    return (2 / eta) * (lambertw_exp(inner + a - 1) - a + 1)


def exact_separable(tau, eta: float, sigma: float = 1.0, S0: float = 0.1, b0: float = 0.0):
    """x₂ = −1 (λ = 1, M̂ = 1): S̃ = S̃₀ + log(1 + ησ²τe^{−S̃₀}), b = b₀ − σ⁻² log(1 + ησ²τe^{−S̃₀}).
    Hence b/S̃ → −1/σ² and A_gen → ½[1 + erf(1/(√2σ²))] (= Φ(1) at σ = 1)."""
    tau = np.asarray(tau, dtype=float)
    s0 = sigma * S0
    g = np.log1p(eta * sigma**2 * tau * math.exp(-s0))
    return s0 + g, b0 - g / sigma**2


def separable_tau_of_t(t, eta: float, sigma: float = 1.0, S0: float = 0.1, b0: float = 0.0):
    """τ(t) for x₂ = −1, any σ: with c = ησ²e^{−S̃₀} and p = 1/σ²,
    t = e^{−b₀}[(1 + cτ)^{p+1} − 1]/(c(p+1))."""
    c = eta * sigma**2 * math.exp(-sigma * S0)
    p = 1 / sigma**2
    z = 1 + c * (p + 1) * np.asarray(t, float) * math.exp(b0)
    return (z ** (1 / (p + 1)) - 1) / c


# ---- grokking-time formulas (App. E.3 with the spec's corrections) ---------------------------
def grokking_formulas(lam: float, eta: float, eps: float, b0: float = 0.0) -> dict:
    """Loss-threshold grokking times under "S̃ = S̃_∞ from the start" (large σ), all in log space.

    Keys (natural logs; NaN where the formula does not apply, i.e. λ ≥ ½):

    * ``log_t_train_eq35`` = −log(ηε) (Eq. 35), ``log_t_gen_eq36`` = log 2 − log(ηε) +
      ½log²(1−2λ) (Eq. 36, the near-critical approximation);
    * ``log_t_train``, ``log_t_gen``: the exact solutions of the frozen-S̃ flow,
      e^{−b} = e^{−b₀} + ηG_∞t: t*_tr = (G_∞/ε − e^{−b₀})/(ηG_∞) and
      t*_gen = (e^{S̃²/2}/ε − e^{−b₀})/(ηG_∞);
    * ``log_ratio`` = ½S̃_∞² − log G_∞ (the ε → 0 limit of log(t*_gen/t*_tr)) and
      ``log_ratio_near_critical`` = log 2 + ½log²(1−2λ);
    * ``sqrt_log_ratio``: corrected Eq. 37, √(log ratio), whose slope against log(1−2λ) tends to
      −1/√2 (the printed right side (1/√2)log(1−2λ) is negative: it lacks |·| and log 2);
    * ``delay_tau_eq39`` = ½log²(1−2λ) (Eq. 39; its "τ" is log t) and ``delay_tau`` =
      log ratio / (ηG_∞), the true conformal-time delay;
    * ``delay_times_eps`` = (1/η)(e^{S̃²/2}/G_∞ − 1), the Fig. 8 right prediction of
      (t*_gen − t*_tr)·ε, and ``log_delay`` = log(t*_gen − t*_tr).
    """
    keys = ("log_t_train_eq35", "log_t_gen_eq36", "log_t_train", "log_t_gen", "log_ratio",
            "log_ratio_near_critical", "sqrt_log_ratio", "delay_tau_eq39", "delay_tau",
            "delay_times_eps", "log_delay")
    out = dict.fromkeys(keys, math.nan)
    out["log_t_train_eq35"] = -math.log(eta * eps)
    if lam >= 0.5:
        return out
    s, g = S_inf(lam), G_inf(lam)
    l12 = math.log1p(-2 * lam)
    leps = math.log(eps)

    def log_diff(la: float, lb: float) -> float:  # log(e^{la} − e^{lb})
        return la + math.log1p(-math.exp(lb - la)) if lb < la else math.nan

    out["log_t_gen_eq36"] = LOG2 - math.log(eta) - leps + 0.5 * l12**2
    out["log_t_train"] = log_diff(math.log(g) - leps, -b0) - math.log(eta * g)
    out["log_t_gen"] = log_diff(0.5 * s * s - leps, -b0) - math.log(eta * g)
    out["log_ratio"] = 0.5 * s * s - math.log(g)
    out["log_ratio_near_critical"] = LOG2 + 0.5 * l12**2
    out["sqrt_log_ratio"] = math.sqrt(out["log_ratio"]) if out["log_ratio"] > 0 else math.nan
    out["delay_tau_eq39"] = 0.5 * l12**2
    out["delay_tau"] = out["log_ratio"] / (eta * g)
    # (t*_gen − t*_tr) ε = (e^{S²/2} − G)/(ηG): exact difference of the frozen-S̃ solutions
    log_num = log_diff(0.5 * s * s, math.log(g))
    out["log_delay"] = log_num - math.log(eta * g) - leps
    out["delay_times_eps"] = math.exp(log_num - math.log(eta * g)) if log_num < 700 else math.inf
    return out


# ---- numerical gradient flow ---------------------------------------------------------------
def _rates(x: float, s, eta_s: float, eta_b: float):
    """(dS̃/dτ, db/dτ) of Eq. 25 with step ησ² for S̃."""
    ex, em = np.exp(s * x), np.exp(-s)
    return -0.5 * eta_s * (x * ex - em), -0.5 * eta_b * (ex + em)


def _log_loss_train(x: float, s, b):
    return b + np.logaddexp(s * x, -s) - LOG2


def _events(x: float, log_eps: float, acc_train: float, acc_gen: float):
    """Event functions g(S̃, b) ≤ 0 ⇔ the criterion holds (first crossing = first zero)."""
    c_gen = math.sqrt(2.0) * sc.erfinv(2 * acc_gen - 1)  # A_gen ≥ A ⇔ b + c|S̃| ≤ 0

    def tr_acc(s, b):  # both points correct needs A > ½; one point suffices for A ≤ ½
        f = (s * x + b, -s + b)
        return max(f) if acc_train > 0.5 else min(f)

    return {
        "loss_train": lambda s, b: _log_loss_train(x, s, b) - log_eps,
        "loss_gen": lambda s, b: b + 0.5 * s * s - log_eps,
        "acc_train": tr_acc,
        "acc_gen": lambda s, b: b + c_gen * abs(s),
    }


def flow(
    lam: float,
    eta: float,
    sigma: float,
    S0: float,
    b0: float,
    times=None,
    *,
    eps: float = 1e-50,
    acc_train: float = 0.9,
    acc_gen: float = 0.9,
    log_t_max: float = 690.0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    x2: float | None = None,
) -> dict:
    """Gradient flow of the 1-D model (step units), by LSODA in t ∈ [0, 1] and then in ℓ = log t.

    Returns a dict with, at ``times`` (GD-step units, sorted, ≥ 0; may be omitted), ``S`` (the
    scaled weight S̃ = σS), ``b``, ``tau`` (conformal time) and the first-crossing times
    ``log_t_star`` = {criterion: log t*} for train/gen loss ≤ ε and train/gen accuracy ≥ level
    (−inf when met at t = 0, NaN when not met by t = e^{log_t_max}). ``x2`` overrides 1 − 2λ.
    """
    x = 1.0 - 2.0 * lam if x2 is None else float(x2)
    eta_s, eta_b = eta * sigma**2, eta
    s0 = sigma * S0
    ev = _events(x, math.log(eps), acc_train, acc_gen)
    names = list(ev)
    found = {k: (-math.inf if ev[k](s0, b0) <= 0 else math.nan) for k in names}
    times = None if times is None else np.asarray(times, dtype=float)
    res = {"S": [], "b": [], "tau": []}

    def mk(fn, phase2: bool):
        def g(u, y):
            return fn(y[0], y[1] - u if phase2 else y[1])

        g.direction = -1
        return g

    # phase 1: t ∈ [0, 1], state (S̃, b, τ)
    def rhs1(t, y):
        ds, db = _rates(x, y[0], eta_s, eta_b)
        e = math.exp(y[1])
        return [e * ds, e * db, e]

    t1 = 1.0
    teval1 = None if times is None else times[times <= t1]
    if teval1 is not None and teval1.size == 0:
        teval1 = None
    sol1 = solve_ivp(rhs1, (0.0, t1), [s0, b0, 0.0], method="LSODA", rtol=rtol, atol=atol,
                     t_eval=teval1, events=[mk(ev[k], False) for k in names])
    for i, k in enumerate(names):
        if math.isnan(found[k]) and len(sol1.t_events[i]):
            found[k] = math.log(sol1.t_events[i][0]) if sol1.t_events[i][0] > 0 else -math.inf
    if teval1 is not None:
        for j, key in enumerate(("S", "b", "tau")):
            res[key].append(sol1.y[j])

    # phase 2: ℓ = log t ∈ [0, log_t_max], state (S̃, β = b + ℓ, τ)
    def rhs2(ell, y):
        e = math.exp(y[1])
        ds, db = _rates(x, y[0], eta_s, eta_b)
        return [e * ds, 1.0 + e * db, e]

    y1 = sol1.y[:, -1] if teval1 is None or sol1.t[-1] == t1 else None
    if y1 is None:  # t_eval did not end at t = 1: integrate again to get the end state
        y1 = solve_ivp(rhs1, (0.0, t1), [s0, b0, 0.0], method="LSODA", rtol=rtol,
                       atol=atol).y[:, -1]
    ell_end = log_t_max
    later = None
    if times is not None:
        later = np.log(times[times > t1])
        ell_end = max(ell_end, later[-1]) if later.size else ell_end
    sol2 = solve_ivp(rhs2, (0.0, ell_end), [y1[0], y1[1], y1[2]], method="LSODA", rtol=rtol,
                     atol=atol, t_eval=later, events=[mk(ev[k], True) for k in names])
    if not sol2.success:
        raise RuntimeError(f"gradient-flow integration failed: {sol2.message}")
    for i, k in enumerate(names):
        if math.isnan(found[k]) and len(sol2.t_events[i]):
            found[k] = float(sol2.t_events[i][0])
    if later is not None and later.size:
        res["S"].append(sol2.y[0])
        res["b"].append(sol2.y[1] - sol2.t)
        res["tau"].append(sol2.y[2])
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in res.items()}
    out["log_t_star"] = found
    return out

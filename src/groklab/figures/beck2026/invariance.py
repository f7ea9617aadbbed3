"""Figs. 19 and 20 of Beck, Bar-Sinai, Levi 2026: invariance to orthogonal noise (spec §3.5,
Prop. 6.1, Eq. 4–5; claims 11–13, 18).

**Fig. 20** (App. E.5): S₁ and ‖S_⊥‖ of the solution vs σ_f ∈ [0, 0.5] at σ_n = 1, α = 0.4,
λ = 0.7 (d = 1400, N = 2000; quick d = 140, N = 200): Adam (lr 0.01, 1k epochs, as in the
paper; colour) and the converged minimizer (black). Claim 18: ‖S_⊥‖, hence C, vanishes at
σ_f = 0 (Prop. 5.1) and grows about linearly for small σ_f.

**Fig. 19**:

Binary signal-plus-noise data at λ = 0.7, σ_f = 0.5, α = 0.2 (f = z²), σ_n ∈ [0.5, 3], one draw
(:func:`groklab.models.logit_reg.sample`: the standard noise is drawn once and scaled by σ_n,
spec §7, so every σ_n sees the same realization).

* **Converged minimizer** (black): :func:`groklab.theory.logit_reg.minimize` (damped Newton to
  ‖∇L‖ < 10⁻¹⁰) at every σ_n. Prop. 6.1 per realization: S₁ and σ_nS_⊥ do not depend on σ_n,
  so C = σ_n‖S_⊥‖/S₁ is constant and 1/cos²θ₁ = 1 + C²/σ_n² is a straight line in 1/σ_n² with
  intercept exactly 1 and slope C² (claim 12); the accuracy ½[1 + erf(μ_f/√(2(σ_f² + C²)))]
  equals Eq. 5 at the minimizer and does not depend on σ_n (claim 13).
* **GD** (colour): 2k epochs at η = 0.1 from S = 0, all σ_n in one batched
  :func:`~groklab.models.logit_reg.simulate` call. GD is not σ_n-invariant: the effective step on
  S_⊥ scales as σ_n², so at small σ_n it is further from the minimizer (spec §3.5).

Sizes: full d = 1400, N = 2000 (N unstated in the paper; spec §4 default); quick d = 140,
N = 200. Twelve σ_n values, log-spaced.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register

__all__ = ["claims_fig19", "claims_fig20", "compute_fig19", "compute_fig20", "plot_fig19",
           "plot_fig20"]

PAPER = "Beck, Bar-Sinai, Levi 2026 (arXiv:2602.12039)"
FIG19 = {"sigma_f": 0.5, "alpha": 0.2, "mu_f": 1.0, "eta": 0.1, "penalty": "square"}
SIZES = {True: (140, 200), False: (1400, 2000)}
SIGMA_N = np.geomspace(0.5, 3.0, 12)
EPOCHS, SEED = 2000, 0


def compute_fig19(quick: bool):
    """1/cos²θ₁ of the converged minimizer and of 2k GD epochs against 1/σ_n²."""
    import xarray as xr

    from groklab.models import logit_reg as m
    from groklab.theory import logit_reg as lr

    d, n = SIZES[quick]
    cfg = m.Config(d=d, n_train=n, t_max=EPOCHS, seed=SEED, **FIG19)
    cos_min, C, acc_min, acc_c = (np.zeros(SIGMA_N.size) for _ in range(4))
    for i, s in enumerate(SIGMA_N):
        c = cfg.replace(sigma_n=float(s))
        fit = lr.minimize(np.asarray(m.sample(c, SEED)["Xp"], dtype=float), c.alpha, c.penalty)
        cos_min[i] = lr.cos_theta1(fit.S)
        C[i] = lr.C_constant(fit.S, s)
        acc_min[i] = lr.accuracy_binary(fit.S, c.mu_f, c.sigma_f, s)
        acc_c[i] = lr.acc_from_C(c.mu_f, c.sigma_f, C[i])
    gd = m.simulate(cfg, [0, EPOCHS], seeds=[SEED], sigma_ns=SIGMA_N.tolist())
    cos_gd = gd["cos_theta1"].isel(seed=0, t=-1).values
    return xr.Dataset(
        {
            "inv_cos2_min": ("sigma_n", 1 / cos_min**2),
            "inv_cos2_gd": ("sigma_n", 1 / cos_gd**2),
            "C": ("sigma_n", C),
            "acc_min": ("sigma_n", acc_min),
            "acc_from_C": ("sigma_n", acc_c),
            "acc_gd": ("sigma_n", gd["acc_gen"].isel(seed=0, t=-1).values),
        },
        coords={"sigma_n": SIGMA_N},
        attrs={"params": FIG19 | {"d": d, "n_train": n, "epochs": EPOCHS, "seed": SEED}},
    )


def _line(ds) -> tuple[float, float]:
    """Least-squares (slope, intercept) of 1/cos²θ₁ of the minimizer against 1/σ_n²."""
    x = 1 / ds["sigma_n"].values ** 2
    slope, intercept = np.polyfit(x, ds["inv_cos2_min"].values, 1)
    return float(slope), float(intercept)


def plot_fig19(ds, path) -> None:
    from groklab.figures import _style as st

    slope, intercept = _line(ds)
    x = 1 / ds["sigma_n"].values ** 2
    fig, (a, b) = st.new_figure(1, 2, width=8.0, height=3.2)
    a.plot(x, ds["inv_cos2_gd"].values, "o", color=st.color(1), ms=4,
           label=f"GD, {ds.attrs['params']['epochs']} epochs")
    a.plot(x, ds["inv_cos2_min"].values, "s", mfc="none", color="black", ms=5,
           label="converged minimizer")
    xx = np.linspace(0, x.max() * 1.05, 50)
    a.plot(xx, intercept + slope * xx, **st.THEORY, label=f"1 + C²/σ_n², C² = {slope:.3g}")
    a.set_xlabel("1/σ_n²")
    a.set_ylabel("1/cos²θ₁")
    a.legend(frameon=False, fontsize=7)
    s = ds["sigma_n"].values
    b.plot(s, ds["acc_gd"].values, "o-", color=st.color(1), ms=3, label="GD")
    b.plot(s, ds["acc_min"].values, "s", mfc="none", color="black", ms=4, label="minimizer")
    b.plot(s, ds["acc_from_C"].values, **st.THEORY, label="½[1 + erf(μ_f/√(2(σ_f²+C²)))]")
    b.set_xlabel("σ_n")
    b.set_ylabel("test accuracy")
    b.legend(frameon=False, fontsize=7)
    fig.suptitle("Fig. 19: λ = 0.7, σ_f = 0.5, α = 0.2 (f = z²)", fontsize=9)
    st.save_figure(fig, path)


def claims_fig19(ds) -> list[dict]:
    slope, intercept = _line(ds)
    C = ds["C"].values
    c_spread = float(np.ptp(C) / np.mean(C))
    acc_dev = float(np.max(np.abs(ds["acc_min"].values - ds["acc_from_C"].values)))
    acc_spread = float(np.ptp(ds["acc_min"].values))
    gd_gap = np.abs(ds["inv_cos2_gd"].values / ds["inv_cos2_min"].values - 1)
    return [
        claim(
            "Fig. 19 (claim 12, Eq. 4): for the converged minimizer 1/cos²θ₁ is linear in 1/σ_n² "
            "with intercept 1 and slope C², C = σ_n‖S_⊥‖/S₁ independent of σ_n (per realization)",
            {"intercept": intercept, "slope": slope, "mean_C_squared": float(np.mean(C) ** 2),
             "C_relative_spread": c_spread},
            "|intercept − 1| ≤ 1e-6, slope = C² to 1e-6, C spread ≤ 1e-6",
            abs(intercept - 1) <= 1e-6 and abs(slope / np.mean(C) ** 2 - 1) <= 1e-6
            and c_spread <= 1e-6,
        ),
        claim(
            "Fig. 19 (claims 11, 13): the minimizer's accuracy equals ½[1 + erf(μ_f/√(2(σ_f² + "
            "C²)))] and does not depend on σ_n (Prop. 6.1)",
            {"max_abs_difference": acc_dev, "accuracy_spread_over_sigma_n": acc_spread},
            "≤ 1e-12 and ≤ 1e-9",
            acc_dev <= 1e-12 and acc_spread <= 1e-9,
        ),
        claim(
            "Fig. 19 (§3.5): GD after 2k epochs is not σ_n-invariant: its relative distance to the "
            "converged 1/cos²θ₁ is larger at the smallest σ_n than at the largest (the effective "
            "step on S_⊥ scales as σ_n²)",
            {"relative_gap_smallest_sigma_n": float(gd_gap[0]),
             "relative_gap_largest_sigma_n": float(gd_gap[-1])},
            "gap(σ_n = 0.5) > gap(σ_n = 3)",
            bool(gd_gap[0] > gd_gap[-1]),
        ),
    ]


register(
    "beck2026/fig19",
    paper=PAPER,
    number="19",
    title="1/cos²θ₁ vs 1/σ_n²: intercept 1, slope C² (Prop. 6.1, Eq. 4)",
    compute_quick=lambda: compute_fig19(True),
    compute_full=lambda: compute_fig19(False),
    plot=plot_fig19,
    claims=claims_fig19,
    description="λ = 0.7, σ_f = 0.5, α = 0.2, σ_n ∈ [0.5, 3]; converged minimizer and GD "
    "(2k epochs, η = 0.1) on one draw scaled by σ_n. No grokking time is used.",
)


# ---- Fig. 20 -----------------------------------------------------------------------------------
FIG20 = {"sigma_n": 1.0, "alpha": 0.4, "mu_f": 1.0, "penalty": "square", "optimizer": "adam",
         "eta": 0.01}
SIGMA_F = np.linspace(0.0, 0.5, 11)
ADAM_EPOCHS = 1000


def compute_fig20(quick: bool):
    """S₁ and ‖S_⊥‖ of Adam (1k epochs) and of the converged minimizer vs σ_f."""
    import xarray as xr

    from groklab.models import logit_reg as m
    from groklab.models.logit_reg_sim import sample
    from groklab.theory import logit_reg as lr

    d, n = SIZES[quick]
    out = {k: np.zeros(SIGMA_F.size) for k in ("S1_min", "Sperp_min", "S1_adam", "Sperp_adam")}
    for i, sf in enumerate(SIGMA_F):
        cfg = m.Config(d=d, n_train=n, t_max=ADAM_EPOCHS, seed=SEED, sigma_f=float(sf), **FIG20)
        S = lr.minimize(np.asarray(sample(cfg, SEED)["Xp"], dtype=float), cfg.alpha).S
        out["S1_min"][i], out["Sperp_min"][i] = S[0], np.linalg.norm(S[1:])
        run = m.simulate(cfg, [0, ADAM_EPOCHS], seeds=[SEED]).isel(seed=0, t=-1)
        norm, cos = float(run["norm_S"]), float(run["cos_theta1"])
        out["S1_adam"][i], out["Sperp_adam"][i] = norm * cos, norm * np.sqrt(1 - cos**2)
    return xr.Dataset({k: ("sigma_f", v) for k, v in out.items()}, coords={"sigma_f": SIGMA_F},
                      attrs={"params": FIG20 | {"d": d, "n_train": n, "epochs": ADAM_EPOCHS,
                                                "seed": SEED}})


def plot_fig20(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a, b) = st.new_figure(1, 2, width=8.0, height=3.2)
    sf = ds["sigma_f"].values
    for ax, key, name in ((a, "S1", "S₁"), (b, "Sperp", "‖S_⊥‖")):
        ax.plot(sf, ds[f"{key}_adam"].values, "o-", color=st.color(1), ms=3,
                label=f"Adam, {ds.attrs['params']['epochs']} epochs")
        ax.plot(sf, ds[f"{key}_min"].values, **st.THEORY, label="converged minimizer")
        ax.set_xlabel("σ_f")
        ax.set_ylabel(name)
        ax.legend(frameon=False, fontsize=7)
    fig.suptitle("Fig. 20: λ = 0.7, σ_n = 1, α = 0.4 (f = z²)", fontsize=9)
    st.save_figure(fig, path)


def claims_fig20(ds) -> list[dict]:
    sf = ds["sigma_f"].values
    perp = ds["Sperp_min"].values
    small = (sf > 0) & (sf <= 0.2)
    ratio = perp[small] / sf[small]
    spread = float(np.ptp(ratio) / np.mean(ratio))
    return [claim(
        "Fig. 20 (claim 18, App. E.5): ‖S_⊥‖ of the converged minimizer vanishes at σ_f = 0 "
        "(Prop. 5.1) and grows about linearly in σ_f: ‖S_⊥‖/σ_f varies by ≤ 20% over "
        "0 < σ_f ≤ 0.2",
        {"Sperp_at_0": float(perp[0]), "ratio_Sperp_over_sigma_f": ratio.tolist(),
         "relative_spread": spread},
        "‖S_⊥‖(0) ≤ 1e-8; spread ≤ 0.2",
        perp[0] <= 1e-8 and spread <= 0.2,
    )]


register(
    "beck2026/fig20",
    paper=PAPER,
    number="20",
    title="S₁ and ‖S_⊥‖ vs σ_f: ‖S_⊥‖ grows linearly from 0 (App. E.5)",
    compute_quick=lambda: compute_fig20(True),
    compute_full=lambda: compute_fig20(False),
    plot=plot_fig20,
    claims=claims_fig20,
    description="λ = 0.7, σ_n = 1, α = 0.4; Adam (lr 0.01, 1k epochs, as in the paper) and the "
    "converged minimizer on one draw scaled by σ_f. No grokking time is used.",
)

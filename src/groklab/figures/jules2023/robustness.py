"""Protocol checks of groklab's test of Jules et al. 2023 (spec §2.2, §2.4): figure
``jules2023/f3-robustness``, the robustness of F3's dimension estimators.

**Nothing here is a claim of the paper** (only its abstract is known, spec §0): these are
groklab's own protocol checks ([project]), kept in a figure of their own so that F3 keeps its id
and content.

* (a) Step-size robustness (§2.2): at the lowest, middle and highest low-loss temperatures, the
  production is repeated from the same burn-in end states with η/2 (and 2× the steps, i.e. the
  same Langevin time η·t); D_mean, D_var, D_ratio at η and η/2 must agree within errors
  (here: 3 combined standard errors) and both runs must pass the drift test.
* (b) Reference level (§2.4): D_mean = 2⟨L − L0⟩/T and D_ratio = 2⟨L − L0⟩²/Var L with the
  default L0 = 0 and with L0 = L(θ0); D_var does not involve L0 ([derived]: the shift of D_mean
  is exactly 2L(θ0)/T).
* The production step check of §2.2 (:func:`._ensemble.produce`): where a production snapshot
  had η·λ_1 > 0.1, η was halved and that T rerun; which (seed, T) fired is recorded.
"""

from __future__ import annotations

import numpy as np

from groklab.figures import claim, register
from groklab.figures.jules2023._ensemble import (
    PAPER,
    burn_in,
    config,
    dress,
    ensemble,
    params,
    produce,
    summary,
)

__all__ = ["claims_robustness", "compute_robustness", "l0_sensitivity", "plot_robustness"]

EST = ("D_mean", "D_var", "D_ratio")
Z_AGREE = 3.0
L0_REL = 0.2


def l0_sensitivity(L, T: float, L0: float) -> dict:
    """The §2.5 estimators of one series ``L`` (chains, n) with L0 = 0 and with ``L0``
    (:func:`groklab.theory.langevin.estimators` called twice, independently)."""
    from groklab.theory.langevin import estimators

    a, b = estimators(L, T, 0.0), estimators(L, T, L0)
    return {f"{k}{suf}": e[k] for e, suf in ((a, ""), (b, "_L0")) for k in
            (*EST, *(f"{n}_se" for n in EST))}


def _pick(low) -> list[int]:
    idx = np.flatnonzero(low)
    return sorted({int(idx[0]), int(idx[idx.size // 2]), int(idx[-1])}) if idx.size else []


def compute_robustness(quick: bool):
    import xarray as xr

    P = params(quick)
    ds = ensemble(quick)
    s = summary(ds)
    T = ds["T"].values
    n_s = ds.sizes["seed"]
    jt = _pick(s["low_loss"].all(0))
    eq = burn_in(quick)
    half = {"theta": eq["theta"][:, jt], "eta": ds["eta"].values[:, jt] / 2,
            "seeds": eq["seeds"], "temperatures": [float(T[j]) for j in jt]}
    prod, _ = produce(config(quick), half, n_prod=2 * P["n_prod"], n_snap=2,
                      record_every=P["record_every"], chains=P["chains"], stream=5000)
    sh = summary(prod)
    data = {}
    for k in (*EST, *(f"{n}_se" for n in EST)):
        data[f"{k}_eta"] = (("seed", "T_check"), s[k][:, jt])
        data[f"{k}_half"] = (("seed", "T_check"), sh[k])
    data["stationary_eta"] = (("seed", "T_check"), s["stationary"][:, jt].astype(int))
    data["stationary_half"] = (("seed", "T_check"), sh["stationary"].astype(int))
    data["eta_half"] = (("seed", "T_check"), prod["eta"].values)
    L0 = ds["L_theta0"].values
    sens = [[l0_sensitivity(ds["loss_train"].values[i, j], float(T[j]), float(L0[i]))
             for j in range(T.size)] for i in range(n_s)]
    for k in sens[0][0]:
        data[f"L0_{k}"] = (("seed", "T"), np.array([[e[k] for e in row] for row in sens]))
    data["used"] = (("seed", "T"), (s["low_loss"] & s["stationary"]).astype(int))
    data["low_loss"] = (("seed", "T"), s["low_loss"].astype(int))
    data["L_theta0"] = ("seed", L0)
    for k in ("eta", "eta_burn_in", "eta_halvings", "eta_check_ok"):
        data[k] = (("seed", "T"), ds[k].values)
    data["eta_lambda_1_max"] = (("seed", "T"), ds["eta"].values
                                * ds["check_lambda_1"].values.max(-1))
    return xr.Dataset(data, coords={"seed": ds["seed"].values, "T": T,
                                    "T_check": [float(T[j]) for j in jt]},
                      attrs={"protocol": ds.attrs["protocol"], "n_prod_half": 2 * P["n_prod"]})


def plot_robustness(ds, path) -> None:
    from groklab.figures import _style as st

    fig, (a, b) = st.new_figure(1, 2, width=8.5, height=3.3)
    Tc = ds["T_check"].values
    for i, n in enumerate(EST):
        for suf, f, mfc, lab in (("eta", 0.94, None, "η"), ("half", 1.06, "none", "η/2")):
            a.errorbar(Tc * f * (1 + 0.03 * (i - 1)), ds[f"{n}_{suf}"].values.mean(0),
                       ds[f"{n}_se_{suf}"].values.mean(0), fmt="o", ms=4, color=st.color(i),
                       mfc=mfc or st.color(i), label=f"{n} at {lab}")
    dress(a, "T (filled: η; hollow: η/2, 2× steps)", "D", "x", ncol=2)
    T = ds["T"].values
    for i, n in enumerate(EST):
        a0, a1 = ds[f"L0_{n}"].values.mean(0), ds[f"L0_{n}_L0"].values.mean(0)
        b.plot(T, a0, "o-", ms=4, lw=0.7, color=st.color(i), label=f"{n}, L0 = 0")
        b.plot(T, a1, "s--", ms=4, lw=0.7, mfc="none", color=st.color(i),
               label=f"{n}, L0 = L(θ0)")
    dress(b, "T", "D", "x")
    fig.suptitle("F3 robustness (groklab protocol checks §2.2, §2.4; not the paper's)",
                 fontsize=9)
    st.save_figure(fig, path)


def claims_robustness(ds) -> list[dict]:
    z = {}
    for n in EST:
        z[n] = (np.abs(ds[f"{n}_eta"].values - ds[f"{n}_half"].values)
                / np.hypot(ds[f"{n}_se_eta"].values, ds[f"{n}_se_half"].values))
    agree = np.all([v < Z_AGREE for v in z.values()], axis=0)
    stat = (ds["stationary_eta"].values > 0) & (ds["stationary_half"].values > 0)
    used = ds["used"].values > 0
    rel = {n: np.abs(ds[f"L0_{n}_L0"].values / ds[f"L0_{n}"].values - 1) for n in EST}
    halved = ds["eta_halvings"].values
    return [
        claim("[project §2.2] production step check: after halving η and rerunning where a "
              "production snapshot had η·λ_1 > 0.1, every (seed, T) ends with η·λ_1 ≤ 0.1",
              {"T": ds["T"].values.tolist(), "eta_halvings": halved.tolist(),
               "rule_fired": bool(halved.any()), "eta_burn_in": ds["eta_burn_in"].values
               .tolist(), "eta": ds["eta"].values.tolist(),
               "eta_lambda_1_max_after": ds["eta_lambda_1_max"].values.tolist()},
              "eta_check_ok at every (seed, T)", bool((ds["eta_check_ok"].values > 0).all())),
        claim("[project §2.2] step-size robustness: at the lowest, middle and highest low-loss "
              "T, D_mean, D_var, D_ratio at η and at η/2 agree within "
              f"{Z_AGREE:g} combined SE, both runs stationary",
              {"T_check": ds["T_check"].values.tolist(),
               "z": {n: v.tolist() for n, v in z.items()},
               **{f"{n}_eta": ds[f"{n}_eta"].values.tolist() for n in EST},
               **{f"{n}_half": ds[f"{n}_half"].values.tolist() for n in EST},
               "stationary_eta": ds["stationary_eta"].values.tolist(),
               "stationary_half": ds["stationary_half"].values.tolist()},
              "agree and stationary at every checked (seed, T)",
              bool(agree.size and (agree & stat).all())),
        claim("[project §2.4] reference level: D_mean and D_ratio change by < "
              f"{L0_REL:.0%} between L0 = 0 and L0 = L(θ0) at every low-loss stationary T "
              "(D_var does not depend on L0)",
              {"T": ds["T"].values.tolist(), "L_theta0": ds["L_theta0"].values.tolist(),
               "relative_change": {n: v.tolist() for n, v in rel.items()},
               "D_mean_shift_2L0_over_T": (ds["L0_D_mean"] - ds["L0_D_mean_L0"]).values
               .tolist(), "used": used.tolist()},
              f"relative change < {L0_REL} for D_mean and D_ratio at every used (seed, T)",
              bool(used.any() and all((rel[n][used] < L0_REL).all()
                                      for n in ("D_mean", "D_ratio")))),
    ]


register(
    "jules2023/f3-robustness",
    paper=PAPER,
    number="F3 robustness (groklab protocol checks, spec §2.2, §2.4)",
    title="Estimators at η vs η/2 at three temperatures; L0 = 0 vs L0 = L(θ0); step check",
    compute_quick=lambda: compute_robustness(True),
    compute_full=lambda: compute_robustness(False),
    plot=plot_robustness,
    claims=claims_robustness,
    description="Not a figure of the paper (only its abstract is known): groklab's own "
    "protocol checks of the dimension estimators (spec §2.2, §2.4).",
)

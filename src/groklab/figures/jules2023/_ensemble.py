"""The Langevin ensemble shared by figures F1–F8 of groklab's protocol for Jules et al. 2023.

Spec ``jules2023-langevin-landscape.md`` §2 ([project] protocol; only the paper's abstract is
known): pre-train θ0 (§2.1), burn in with the adaptive step η = min(1, 0.05/λ_1) of §2.2 and the
block-drift rule of §2.3 (:func:`groklab.models.langevin_mlp.equilibrate`), then a production
run split into ``n_snap`` segments whose end states are the θ snapshots on which the curvature
of §2.6 is measured. Everything is computed once per variant and cached (:func:`ensemble`).

* full: the spec's defaults (d = 20, N = 256, 2 × 128 tanh, 9 temperatures 1e−6 … 1e−2, 4
  chains, 3 seeds, blocks of 10⁴ steps, 10⁵ production steps, 20 snapshots per T);
* quick: the same physics on a tiny net (d = 8, N = 32, 2 × 16, P = 433), 4 temperatures
  3e−5 … 1e−3 (where η = 0.05/λ_1 stays below the cap 1), 1 seed, blocks of 500 steps.
"""

from __future__ import annotations

import functools

import numpy as np

PAPER = "Jules, Brener, Kachman, Levi, Bar-Sinai 2023 (arXiv:2304.01335); groklab protocol"
PROTOCOL_NOTE = ("groklab's test of the abstract's claims with its own protocol (spec §2, "
                 "[project]); no number is the paper's")

QUICK = {"model": {"d": 8, "n_train": 32, "width": 16, "depth": 2, "loss_target": 1e-4,
                   "n_test": 50},
         "temperatures": [3e-5, 1e-4, 3e-4, 1e-3], "seeds": 1, "chains": 4, "block": 500,
         "max_blocks": 8, "n_prod": 6000, "record_every": 10, "n_snap": 4, "k_top": 10,
         "n_iter": 40, "n_probes": 50}
FULL = {"model": {"d": 20, "n_train": 256, "width": 128, "depth": 2, "loss_target": 1e-3,
                  "n_test": 1000},
        "temperatures": [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2], "seeds": 3,
        "chains": 4, "block": 10_000, "max_blocks": 100, "n_prod": 100_000, "record_every": 10,
        "n_snap": 20, "k_top": 20, "n_iter": 60, "n_probes": 100}


def loglog_slope(T, y) -> float:
    """Least-squares slope of ln y against ln T (NaN with fewer than two points)."""
    return float(np.polyfit(np.log(T), np.log(y), 1)[0]) if len(T) >= 2 else float("nan")


def params(quick: bool) -> dict:
    return QUICK if quick else FULL


@functools.lru_cache(maxsize=2)
def ensemble(quick: bool):
    """Production records of every (seed, T, chain) after the burn-in, with burn-in summaries,
    curvature at the snapshots and the Hessian spectrum at θ0 (xarray.Dataset)."""
    import xarray as xr

    from groklab.dynamics.langevin import lanczos_top
    from groklab.models import langevin_mlp as m
    from groklab.models.langevin_mlp_net import Net, dense_hessian

    P = params(quick)
    cfg = m.Config(**P["model"])
    eq = m.equilibrate(cfg, P["temperatures"], chains=P["chains"], seeds=P["seeds"],
                       block=P["block"], record_every=P["record_every"],
                       max_blocks=P["max_blocks"])
    seg = P["n_prod"] // P["n_snap"]
    times = np.arange(0, seg + 1, P["record_every"])
    theta, parts, snaps = eq["theta"], [], []
    for k in range(P["n_snap"]):
        ds = m.simulate(cfg, times, seeds=eq["seeds"], temperatures=P["temperatures"],
                        chains=P["chains"], theta_start=theta, etas=eq["eta"], stream=k + 1,
                        keep_state=True, record=("ell",))
        theta = ds["theta_final"].values
        snaps.append(theta)
        part = ds.drop_vars("theta_final").isel(t=slice(0 if k == 0 else 1, None))
        parts.append(part.assign_coords(t=part["t"] + k * seg))
    prod = xr.concat(parts, "t", data_vars="minimal", coords="minimal", compat="override",
                     join="override", combine_attrs="override")
    n_s, n_T = len(eq["seeds"]), len(P["temperatures"])
    curv = {k: np.zeros((n_s, n_T, P["n_snap"])) for k in
            ("lambda_1", "trace", "trace_se", "trace_gn", "grad_curvature")}
    top = np.zeros((n_s, n_T, P["n_snap"], P["k_top"]))
    eigs0, L0 = [], []
    for i, s in enumerate(eq["seeds"]):
        for j in range(n_T):
            for k in range(P["n_snap"]):
                c = m.curvature(cfg, snaps[k][i, j, k % P["chains"]], seed=s, k=P["k_top"],
                                n_iter=P["n_iter"], n_probes=P["n_probes"])
                for name in curv:
                    curv[name][i, j, k] = c[name]
                top[i, j, k] = c["top"]
        p = m.pretrain(cfg, s)
        net = Net.of(cfg)
        train = {"X": p["X"], "y": p["y"]}
        eigs0.append(np.sort(np.linalg.eigvalsh(dense_hessian(net, p["theta0"], train)))[::-1]
                     if net.n_params <= 3000 else
                     np.asarray(lanczos_top(net.potential, p["theta0"], train, k=100,
                                              n_iter=200)))
        L0.append(float(net.loss(p["theta0"], train)))
    out = prod
    sd = ("seed", "T")
    out["burn_in_means"] = (("seed", "T", "block"), eq["block_means"])
    out["eta"] = (sd, eq["eta"])
    out["burn_in_lambda_1"] = (sd, eq["lambda_1"])
    out["burn_in_converged"] = (sd, eq["converged"].astype(int))
    out["burn_in_drift"] = (sd, eq["beta_over_s"])
    for name, v in curv.items():
        out[f"snap_{name}"] = (("seed", "T", "snap"), v)
    out["snap_top"] = (("seed", "T", "snap", "k"), top)
    out["H0_eigs"] = (("seed", "mode"), np.stack(eigs0))
    out["L_theta0"] = ("seed", np.asarray(L0))
    out.attrs.update(burn_in_steps=eq["blocks"] * P["block"], block=P["block"],
                     n_params=cfg.n_params, n_train=cfg.n_train, protocol=PROTOCOL_NOTE,
                     params={k: v for k, v in P.items() if k != "model"} | P["model"])
    return out


def summary(ds) -> dict:
    """Per (seed, T) arrays of the fluctuation statistics of the production records (spec §2.3,
    §2.5, §2.7): estimators with standard errors (computed whether or not the series is
    stationary; ``stationary`` says which may enter a claim), the two-halves z of L and N_b,
    τ_int, N_b, PR, the low-loss flag, the Gamma fit of δL (L0 = 0) thinned by τ_int with
    its KS p-value, and the relative change of ‖θ‖² per 10⁵ steps."""
    from groklab.theory import langevin as th

    n_s, n_T = ds.sizes["seed"], ds.sizes["T"]
    names = ("D_mean", "D_mean_se", "D_var", "D_var_se", "D_ratio", "D_ratio_se", "mean",
             "mean_se", "z_L", "z_nb", "tau_int", "n_b", "pr", "acc", "ks_p", "shape",
             "scale_over_T", "norm2_change")
    out = {k: np.zeros((n_s, n_T)) for k in names}
    out["stationary"] = np.zeros((n_s, n_T), bool)
    out["low_loss"] = np.zeros((n_s, n_T), bool)
    N, steps = ds.attrs["n_train"], float(ds["t"].values[-1] - ds["t"].values[0])
    for i in range(n_s):
        for j, T in enumerate(ds["T"].values):
            one = ds.isel(seed=i, T=j)
            L = one["loss_train"].values
            est = th.estimators(L, float(T))
            st, st_nb = th.stationarity(L), th.stationarity(one["n_b"].values)
            for k in ("D_mean", "D_mean_se", "D_var", "D_var_se", "D_ratio", "D_ratio_se"):
                out[k][i, j] = est[k]
            out["mean"][i, j] = est["mean"]
            out["mean_se"][i, j] = est["D_mean_se"] * T / 2
            out["z_L"][i, j], out["z_nb"][i, j] = st["z_halves"], st_nb["z_halves"]
            out["tau_int"][i, j] = st["tau_int"]
            out["stationary"][i, j] = st["stationary"] and st_nb["stationary"]
            out["n_b"][i, j] = float(one["n_b"].values.mean())
            out["pr"][i, j] = float(np.mean((N * L) ** 2) / np.mean(one["sum_ell_sq"].values))
            out["acc"][i, j] = float(one["acc_train"].values.mean())
            out["low_loss"][i, j] = out["acc"][i, j] >= 0.99 and L.mean() <= 0.05
            thin = max(1, int(np.ceil(st["tau_int"])))
            fit = th.gamma_fit(L[:, ::thin], float(T))
            out["ks_p"][i, j], out["shape"][i, j] = fit["ks_p"], fit["shape"]
            out["scale_over_T"][i, j] = fit["scale_over_T"]
            n2 = one["norm2"].values.mean(axis=0)
            out["norm2_change"][i, j] = (n2[-1] - n2[0]) / n2[0] * 1e5 / steps
    return out


def summary_dataset(ds):
    """:func:`summary` as data variables on (seed, T), merged into a copy of ``ds`` without
    the large per-point and per-chain records (what a figure stores)."""
    s = summary(ds)
    keep = ds.drop_vars([v for v in ("ell", "acc_gen", "loss_gen", "accept",
                                     "potential_seg_mean", "potential_seg_sq") if v in ds])
    for k, v in s.items():
        keep[f"s_{k}"] = (("seed", "T"), v.astype(float) if v.dtype == bool else v)
    return keep

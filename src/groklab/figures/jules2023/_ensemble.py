"""The Langevin ensemble shared by figures F1–F8 of groklab's protocol for Jules et al. 2023.

Spec ``jules2023-langevin-landscape.md`` §2 ([project] protocol; only the paper's abstract is
known): pre-train θ0 (§2.1), burn in with the adaptive step η = min(1, 0.05/λ_1) of §2.2 and the
block-drift rule of §2.3 (:func:`burn_in`, :func:`groklab.models.langevin_mlp.equilibrate`),
then a production run split into ``n_snap`` segments whose end states are the θ snapshots
(:func:`produce`). λ_1 is re-measured at every production snapshot; where η·λ_1 > 0.1, η is
halved and that T rerun from its burn-in end state (§2.2; recorded as ``eta_halvings``). The
curvature of §2.6 and the per-point Gauss–Newton weights (F8) are measured at the snapshots,
and the projections of θ − θ0 on the top Hessian eigenvectors at θ0 are recorded throughout
(F6). Everything is computed once per variant and cached (:func:`ensemble`);
:func:`light_run` is the same protocol without curvature for other N, widths or pre-training
depths (F4, F6).

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


def loglog_fit(x, y) -> dict:
    """Least-squares line ln y = a + b ln x: slope b, intercept a, number of points."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    b, a = np.polyfit(np.log(x), np.log(y), 1)
    return {"slope": float(b), "intercept": float(a), "n": int(x.size)}


def loglog_slope(T, y) -> float:
    """Least-squares slope of ln y against ln T (NaN with fewer than two points)."""
    return loglog_fit(T, y)["slope"] if len(T) >= 2 else float("nan")


def dress(ax, xlabel: str, ylabel: str, log: str = "", fontsize: float = 5.5, **legend):
    """Label one matplotlib axis, set log scales (``log`` ⊂ "xy") and draw its legend."""
    if "x" in log:
        ax.set_xscale("log")
    if "y" in log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=fontsize, **legend)


def params(quick: bool) -> dict:
    return QUICK if quick else FULL


MAX_HALVINGS = 3  # reruns of one T by the production step check before it is flagged


def config(quick: bool, **override):
    """The variant's :class:`~groklab.models.langevin_mlp.Config` (model fields overridable)."""
    from groklab.models import langevin_mlp as m

    return m.Config(**(params(quick)["model"] | override))


@functools.lru_cache(maxsize=16)
def burn_in(quick: bool, temperatures: tuple | None = None, chains: int | None = None,
            max_blocks: int | None = None, seeds: int | None = None, **override):
    """Burn-in of spec §2.2–2.3 (:func:`groklab.models.langevin_mlp.equilibrate`) with the
    variant's block size, at its temperatures, chains, block cap and number of seeds unless
    given, model fields overridden by ``override`` (e.g. ``n_train``, ``width``,
    ``loss_target``)."""
    from groklab.models import langevin_mlp as m

    P = params(quick)
    temps = list(P["temperatures"] if temperatures is None else temperatures)
    return m.equilibrate(config(quick, **override), temps, chains=chains or P["chains"],
                         seeds=seeds or P["seeds"], block=P["block"],
                         record_every=P["record_every"],
                         max_blocks=max_blocks or P["max_blocks"])


def produce(cfg, eq: dict, *, n_prod: int, n_snap: int, record_every: int, chains: int,
            record=(), projection=None, stream: int = 1, max_halvings: int = MAX_HALVINGS):
    """Production run after a burn-in ``eq`` (spec §2.3) with the step check of §2.2.

    The ``n_prod`` steps are split into ``n_snap`` segments; the end states of all chains are
    the θ snapshots. λ_1 is re-measured at every snapshot (batched Lanczos, max over chains);
    where η·λ_1 > 0.1 at any snapshot of a (seed, T), η is halved there and that T is rerun
    from the burn-in end state (:func:`groklab.models.langevin_mlp.halve_unstable_steps`),
    at most ``max_halvings`` times; ``eta_check_ok`` = 0 flags a (seed, T) still failing.

    Returns ``(prod, snaps)``: the records (seed, T, chain, t) with ``eta`` (final),
    ``eta_burn_in``, ``eta_halvings``, ``check_lambda_1`` (seed, T, snap) and
    ``eta_check_ok``; the snapshots (seed, T, chain, snap, P).
    """
    import xarray as xr

    from groklab.models import langevin_mlp as m

    temps, seeds = list(eq["temperatures"]), eq["seeds"]

    def run(js, etas, base):
        seg = n_prod // n_snap
        times = np.arange(0, seg + 1, record_every)
        theta, parts, snaps = eq["theta"][:, js], [], []
        for k in range(n_snap):
            ds = m.simulate(cfg, times, seeds=seeds, temperatures=[temps[j] for j in js],
                            chains=chains, theta_start=theta, etas=etas[:, js],
                            stream=base + k, keep_state=True, record=record,
                            projection=projection)
            theta = ds["theta_final"].values
            snaps.append(theta)
            part = ds.drop_vars("theta_final").isel(t=slice(0 if k == 0 else 1, None))
            parts.append(part.assign_coords(t=part["t"] + k * seg))
        prod = xr.concat(parts, "t", data_vars="minimal", coords="minimal", compat="override",
                         join="override", combine_attrs="override")
        snaps = np.stack(snaps, axis=3)
        lam = np.stack([m.top_eigenvalues(cfg, snaps[i], s).max(axis=2)
                        for i, s in enumerate(seeds)])
        return prod, snaps, lam

    eta = np.asarray(eq["eta"], float)
    all_j = list(range(len(temps)))
    prod, snaps, lam = run(all_j, eta, stream)
    halvings = np.zeros(eta.shape, int)
    fired = np.zeros(eta.shape, bool)
    for r in range(max_halvings + 1):
        eta_new, fired = m.halve_unstable_steps(eta, lam)
        if not fired.any() or r == max_halvings:
            break
        js = [j for j in all_j if fired[:, j].any()]
        eta, halvings = eta_new, halvings + fired
        sub, sub_snaps, sub_lam = run(js, eta, stream + 1000 * (r + 1))
        for v in sub.data_vars:
            if "T" in sub[v].dims:
                prod[v].loc[{"T": sub["T"].values}] = sub[v].values
        snaps[:, js], lam[:, js] = sub_snaps, sub_lam
    prod["eta"] = (("seed", "T"), eta)
    prod["eta_burn_in"] = (("seed", "T"), np.asarray(eq["eta"], float))
    prod["eta_halvings"] = (("seed", "T"), halvings)
    prod["eta_check_ok"] = (("seed", "T"), (~fired).astype(int))
    prod["check_lambda_1"] = (("seed", "T", "snap"), lam)
    prod.attrs["n_train"] = cfg.n_train
    return prod, snaps


def h0_spectrum(cfg, seed: int, k_vec: int):
    """Hessian spectrum at the pre-trained point of ``cfg`` (spec §2.8): all eigenvalues
    (dense, P ≤ 3000) or the top 100 (Lanczos), descending; the top ``k_vec`` eigenvectors
    (k_vec, P); L(θ0); θ0."""
    from groklab.dynamics.langevin import lanczos_top
    from groklab.models import langevin_mlp as m
    from groklab.models.langevin_mlp_net import Net, dense_hessian

    p = m.pretrain(cfg, seed)
    net = Net.of(cfg)
    train = {"X": p["X"], "y": p["y"]}
    theta0 = np.asarray(p["theta0"], float)
    if net.n_params <= 3000:
        w, v = np.linalg.eigh(dense_hessian(net, p["theta0"], train))
        eigs, vecs = w[::-1], v[:, ::-1].T[:k_vec]
    else:
        eigs, vecs = lanczos_top(m._potential(net), p["theta0"], train, k=100, n_iter=200,
                                 vectors=True)
        vecs = vecs[:k_vec]
    return eigs, vecs, float(net.loss(p["theta0"], train)), theta0


@functools.lru_cache(maxsize=2)
def ensemble(quick: bool):
    """Production records of every (seed, T, chain) after the burn-in (with the step check of
    :func:`produce`), burn-in summaries, curvature at the snapshots, per-point Gauss–Newton
    weights ℓ''(m_i)‖∇m_i‖² at every chain's snapshots (F8), projections of θ − θ0 on the top
    Hessian eigenvectors at θ0 (F6) and the Hessian spectrum at θ0 (xarray.Dataset)."""
    from groklab.models import langevin_mlp as m
    from groklab.models.langevin_mlp_net import Net, gn_per_point

    P = params(quick)
    cfg = config(quick)
    eq = burn_in(quick)
    h0 = [h0_spectrum(cfg, s, P["k_top"]) for s in eq["seeds"]]
    proj = (np.stack([h[3] for h in h0]), np.stack([h[1] for h in h0]))
    out, snaps = produce(cfg, eq, n_prod=P["n_prod"], n_snap=P["n_snap"],
                         record_every=P["record_every"], chains=P["chains"],
                         record=("ell", "proj"), projection=proj)
    n_s, n_T = len(eq["seeds"]), len(P["temperatures"])
    curv = {k: np.zeros((n_s, n_T, P["n_snap"])) for k in
            ("lambda_1", "trace", "trace_se", "trace_gn", "grad_curvature")}
    top = np.zeros((n_s, n_T, P["n_snap"], P["k_top"]))
    gn_pt = np.zeros((n_s, n_T, P["n_snap"], P["chains"], cfg.n_train))
    net = Net.of(cfg)
    for i, s in enumerate(eq["seeds"]):
        pre = m.pretrain(cfg, s)
        train = {"X": pre["X"], "y": pre["y"]}
        for j in range(n_T):
            for k in range(P["n_snap"]):
                c = m.curvature(cfg, snaps[i, j, k % P["chains"], k], seed=s, k=P["k_top"],
                                n_iter=P["n_iter"], n_probes=P["n_probes"])
                for name in curv:
                    curv[name][i, j, k] = c[name]
                top[i, j, k] = c["top"]
                for ch in range(P["chains"]):
                    gn_pt[i, j, k, ch] = np.asarray(gn_per_point(net, snaps[i, j, ch, k], train))
    sd = ("seed", "T")
    out["burn_in_means"] = (("seed", "T", "block"), eq["block_means"])
    out["burn_in_lambda_1"] = (sd, eq["lambda_1"])
    out["burn_in_converged"] = (sd, eq["converged"].astype(int))
    out["burn_in_drift"] = (sd, eq["beta_over_s"])
    for name, v in curv.items():
        out[f"snap_{name}"] = (("seed", "T", "snap"), v)
    out["snap_top"] = (("seed", "T", "snap", "k"), top)
    out["snap_gn_point"] = (("seed", "T", "snap", "chain", "point"), gn_pt)
    out["H0_eigs"] = (("seed", "mode_all"), np.stack([h[0] for h in h0]))
    out["L_theta0"] = ("seed", np.asarray([h[2] for h in h0]))
    out.attrs.update(burn_in_steps=eq["blocks"] * P["block"], block=P["block"],
                     n_params=cfg.n_params, n_train=cfg.n_train, protocol=PROTOCOL_NOTE,
                     params={k: v for k, v in P.items() if k != "model"} | P["model"])
    return out


@functools.lru_cache(maxsize=32)
def light_run(quick: bool, temperatures: tuple | None = None, chains: int | None = None,
              max_blocks: int | None = None, n_prod: int | None = None,
              seeds: int | None = None, **override):
    """Burn-in and production (with the step check) of the variant at other model fields,
    without curvature or per-point records (F4's N and width sweep, F6's pre-training depth
    sweep; run lengths as the variant's unless given): the :func:`summary` arrays plus
    ``eta``, ``eta_halvings``, ``n_params``, ``converged`` and ``lambda_1_end`` (seed, T:
    mean over the production snapshots of the step check's λ_1)."""
    P = params(quick)
    chains = chains or P["chains"]
    cfg = config(quick, **override)
    eq = burn_in(quick, temperatures, chains, max_blocks, seeds, **override)
    prod, _ = produce(cfg, eq, n_prod=n_prod or P["n_prod"], n_snap=2,
                      record_every=P["record_every"], chains=chains)
    out = summary(prod)
    out.update(eta=prod["eta"].values, eta_halvings=prod["eta_halvings"].values,
               n_params=cfg.n_params, converged=eq["converged"],
               lambda_1_end=prod["check_lambda_1"].values.mean(-1))
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
    keep = ds.drop_vars([v for v in ("ell", "proj", "acc_gen", "loss_gen", "accept",
                                     "potential_seg_mean", "potential_seg_sq", "snap_gn_point")
                         if v in ds])
    for k, v in s.items():
        keep[f"s_{k}"] = (("seed", "T"), v.astype(float) if v.dtype == bool else v)
    return keep

"""The full tensor-network ensembles shared by Figs. 19, 20, 23–27 of Žunkovič & Ilievski 2024.

Spec ``zunkovic2024-local-rules.md`` §5 ("Full-model training" and the [project] defaults): the
full model (A, B, v^{L,R} trained jointly from N(0, 1), Adam lr 0.005, batch 128, sigmoid-MSE,
open boundaries) learns the K-local rule 30 from all 2⁸ strings of length 8, in three settings
— none (λ1 = λ2 = 0), L2 (λ2 = 1e−4) and L1 (λ1 = 1e−3) — for each bond dimension d. Every
setting of one (K, d) starts from the same initial tensors and batch order (seeds 0 … n − 1) and
all of them run in one compiled call (:func:`~groklab.models.rule_learning_train.run_ensemble`
with ``lams``). Records at every epoch end (2 Adam steps). :func:`ensemble` caches the raw
per-run records of one (variant, K) in memory, so the quick figures never retrain;
:func:`summary` turns them into what the figures draw (aligned means, ν fits, t_G and t_ε
densities, minimal D_eff, spikes).

* full: the paper's d ∈ {10, 20, 40}, 1000 runs per setting, 7000 epochs (spec: at most 7000;
  the horizon is fixed here, every run records to the end), every string of length 3…10 and
  100 random test strings of length 100 (the spec's 1000 × 1000 test sites at every epoch
  would multiply the evaluation cost by 100). Measured on the shared 2-core machine (load ≈ 5,
  8 members): 1.7 / 3.3 / 8.2 ms per member·step and 13 / 34 / 92 ms per member·record at
  d = 10 / 20 / 40, i.e. 14 000 steps + 7001 records ≈ 116 / 287 / 758 s per member and
  setting: about 97 / 240 / 630 h per K for 3 × 1000 runs (≈ 2900 h for K = 1, 2, 3; the
  per-epoch evaluation is 80 % of it). Not run in the tests.
* quick: d = 6, 250 epochs, 16 runs per setting for K = 1, 8 for K = 2 and 6 for K = 3,
  10 random test strings of length 100 and every string of length 3…8.

Time is counted in Adam steps (the figures plot epochs = steps / 2). Runs that never reach zero
test error within the horizon are counted (``n_never``) and left out of every average.
"""

from __future__ import annotations

import functools

import numpy as np

#: The three settings of Sec. 4.3.2 (figure legends): name → (λ1, λ2).
SETTINGS = {"none": (0.0, 0.0), "L2": (0.0, 1e-4), "L1": (1e-3, 0.0)}

QUICK = {"ds": (6,), "runs": {1: 16, 2: 8, 3: 6}, "epochs": 250, "n_test": 10,
         "test_length": 100, "exact_length": 8}
FULL = {"ds": (10, 20, 40), "runs": {1: 1000, 2: 1000, 3: 1000}, "epochs": 7000,
        "n_test": 100, "test_length": 100, "exact_length": 10}

#: Histogram bins of the t_G and t_ε densities (Figs. 23, 26, 27).
N_BINS = {True: 12, False: 60}


def params(quick: bool) -> dict:
    return QUICK if quick else FULL


def config(quick: bool, k_local: int, d: int):
    """The rule-learning config of one (K, d) (λ set per setting by ``run_ensemble``)."""
    from groklab.models import rule_learning as rl

    P = params(quick)
    return rl.Config(d=d, k_local=k_local, epochs=P["epochs"], n_test=P["n_test"],
                     test_length=P["test_length"], exact_length=P["exact_length"])


@functools.lru_cache(maxsize=6)
def ensemble(quick: bool, k_local: int):
    """Raw records of every (d, setting, run) of the K-local ensemble (xarray.Dataset).

    Variables (dims d, setting, seed, t): ``err_gen`` (E_test), ``err_train``, ``zero_error``,
    ``d_eff``; ``loss_epoch`` (d, setting, seed, epoch); coords ``t`` in Adam steps."""
    import xarray as xr

    from groklab.models import rule_learning as rl
    from groklab.models.rule_learning_train import run_ensemble

    if k_local not in (1, 2, 3):
        raise ValueError(f"k_local must be 1, 2 or 3 (Figs. 19–27). Got {k_local!r}.")
    P = params(quick)
    n = P["runs"][k_local]
    names = list(SETTINGS)
    recs = []
    for d in P["ds"]:
        cfg = config(quick, k_local, d)
        t = rl.default_times(cfg)
        recs.append(run_ensemble(cfg, range(n), t, lams=[SETTINGS[s] for s in names]))
    stack = lambda k: np.stack([r[k] for r in recs])  # noqa: E731
    dims = ("d", "setting", "seed", "t")
    return xr.Dataset(
        {"err_gen": (dims, 1.0 - stack("acc_gen")), "err_train": (dims, 1.0 - stack("acc_train")),
         "zero_error": (dims, stack("zero_error")), "d_eff": (dims, stack("d_eff")),
         "loss_epoch": (("d", "setting", "seed", "epoch"), stack("loss_epoch"))},
        coords={"d": list(P["ds"]), "setting": names, "seed": np.arange(n), "t": t,
                "epoch": np.arange(recs[0]["loss_epoch"].shape[-1])},
        attrs={"k_local": k_local, "steps_per_epoch": cfg.steps_per_epoch,
               "lam1": [SETTINGS[s][0] for s in names], "lam2": [SETTINGS[s][1] for s in names],
               "params": {k: v for k, v in P.items() if k != "runs"} | {"runs": n},
               "time_unit": "steps"})


def first_zero(t, flags) -> np.ndarray:
    """First record time where ``flags`` > 0 along the last axis, NaN where never."""
    f = np.asarray(flags) > 0
    return np.where(f.any(-1), np.asarray(t, float)[np.argmax(f, -1)], np.nan)


def _spikes(loss_epoch, t_eps_epoch) -> tuple[int, int, int]:
    """Spikes of one run (:func:`~groklab.theory.local_rules_stats.detect_spikes`): total,
    after t_ε, and the number of epochs after t_ε."""
    from groklab.theory.local_rules_stats import detect_spikes

    sp = detect_spikes(loss_epoch)
    if not np.isfinite(t_eps_epoch):
        return sp.size, 0, 0
    return sp.size, int(np.sum(sp >= t_eps_epoch)), int(loss_epoch.size - t_eps_epoch)


def density(values, edges, n_total: int) -> np.ndarray:
    """Histogram density of the finite ``values`` normalised so that it integrates to the
    fraction of the ``n_total`` runs that have a value (runs that never grok carry no mass)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    counts = np.histogram(v, bins=edges)[0].astype(float)
    return counts / (n_total * np.diff(edges))


def _summary_k(quick: bool, k_local: int):
    import xarray as xr

    from groklab.theory.local_rules_stats import (
        aligned_mean,
        detect_spikes,
        fit_nu,
        nu_sensitivity,
    )

    ens = ensemble(quick, k_local)
    t = ens["t"].values.astype(float)
    spe = ens.attrs["steps_per_epoch"]
    n_ep = t.size - 1
    lags = np.arange(-n_ep, n_ep + 1) * float(spe)
    D, S, R = ens.sizes["d"], ens.sizes["setting"], ens.sizes["seed"]
    cut = np.asarray([0.05, 0.1, 0.2])
    out = {k: np.full((D, S, lags.size), np.nan) for k in
           ("mean_err", "sem_err", "mean_d_eff", "sem_d_eff")}
    count = np.zeros((D, S, lags.size), np.int64)
    nu = {k: np.full((D, S), np.nan) for k in ("nu", "nu_err", "nu_err_ols", "nu_points")}
    nu_cut = np.full((D, S, cut.size), np.nan)
    runs = {k: np.full((D, S, R), np.nan) for k in
            ("t_eps", "t_train", "t_grok", "min_d_eff_zero", "d_eff_start")}
    spikes = {k: np.zeros((D, S, R), np.int64) for k in
              ("spikes", "spikes_after", "epochs_after")}
    steps = {k: np.full((D, S), np.nan) for k in ("d_eff_step_spikes", "d_eff_step_all")}
    for i in range(D):
        for j in range(S):
            one = ens.isel(d=i, setting=j)
            err, zero = one["err_gen"].values, one["zero_error"].values
            deff = one["d_eff"].values
            te = first_zero(t, zero)
            tr = first_zero(t, one["err_train"].values == 0)
            runs["t_eps"][i, j], runs["t_train"][i, j] = te, tr
            runs["t_grok"][i, j] = te - tr
            runs["d_eff_start"][i, j] = deff[:, 0]
            with np.errstate(invalid="ignore"):
                runs["min_d_eff_zero"][i, j] = np.where(
                    zero.any(-1), np.min(np.where(zero > 0, deff, np.inf), -1), np.nan)
            m = aligned_mean(t, err, te, lags)
            out["mean_err"][i, j], out["sem_err"][i, j], count[i, j] = (m["mean"], m["sem"],
                                                                         m["count"])
            m = aligned_mean(t, deff, te, lags)
            out["mean_d_eff"][i, j], out["sem_d_eff"][i, j] = m["mean"], m["sem"]
            try:
                f = fit_nu(t, err, te, lags=lags)
                nu["nu"][i, j], nu["nu_err"][i, j] = f.nu, f.nu_err
                nu["nu_err_ols"][i, j], nu["nu_points"][i, j] = f.nu_err_ols, f.n_points
            except ValueError:
                pass  # fewer than 3 points in the window (or no run groks): ν is NaN
            sens = nu_sensitivity(t, err, te, cut, lags=lags, n_boot=0)
            nu_cut[i, j] = [np.nan if sens[c] is None else sens[c].nu for c in cut]
            for r in range(R):
                s = _spikes(one["loss_epoch"].values[r], te[r] / spe)
                for name, v in zip(spikes, s, strict=True):
                    spikes[name][i, j, r] = v
            jump = np.abs(np.diff(deff, axis=-1))  # |ΔD_eff| across epoch e: records e → e + 1
            at = [jump[r, e] for r in range(R)
                  for e in detect_spikes(one["loss_epoch"].values[r])]
            steps["d_eff_step_spikes"][i, j] = np.mean(at) if at else np.nan
            steps["d_eff_step_all"][i, j] = jump.mean()
    tg, te = runs["t_grok"] / spe, runs["t_eps"] / spe  # densities in epochs
    nb = N_BINS[quick]
    dens = {}
    for name, v in (("t_grok", tg), ("t_eps", te)):
        top = np.nanmax(v) if np.isfinite(v).any() else 1.0
        edges = np.linspace(0.0, max(top, 1.0) * (1 + 1e-9), nb + 1)
        dens[name] = (edges, np.stack([[density(v[i, j], edges, R) for j in range(S)]
                                       for i in range(D)]))
    dsl = ("d", "setting", "lag")
    data = {k: (dsl, v) for k, v in out.items()} | {"count": (dsl, count)}
    data |= {k: (("d", "setting"), v) for k, v in (nu | steps).items()}
    data["nu_cutoff"] = (("d", "setting", "cutoff"), nu_cut)
    data |= {k: (("d", "setting", "seed"), v) for k, v in (runs | spikes).items()}
    for name, (edges, pdf) in dens.items():
        data[f"pdf_{name}"] = (("d", "setting", f"bin_{name}"), pdf)
        data[f"edges_{name}"] = (f"edge_{name}", edges)
    return xr.Dataset(data, coords={"d": ens["d"].values, "setting": ens["setting"].values,
                                    "lag": lags, "cutoff": cut, "seed": ens["seed"].values},
                      attrs=dict(ens.attrs))


@functools.lru_cache(maxsize=6)
def summary(quick: bool, k_locals: tuple[int, ...]):
    """Per K (new leading dim ``k``), what Figs. 19, 20, 23–27 draw (xarray.Dataset): the
    aligned mean test error and D_eff (lags in steps, :func:`~groklab.theory.local_rules_stats.
    aligned_mean`), ν fits (bootstrap error; sensitivity to the cutoff 0.05 / 0.1 / 0.2),
    per-run t_ε, t_train, t_G, minimal D_eff of the zero-test-error records, spike counts,
    and t_G / t_ε densities in epochs that integrate to the fraction of runs that grok."""
    import xarray as xr

    parts = [_summary_k(quick, k) for k in k_locals]
    ds = xr.concat(parts, dim="k", data_vars="all", coords="minimal", compat="override",
                   join="outer", combine_attrs="override")
    ds = ds.assign_coords(k=list(k_locals))
    ds.attrs.pop("k_local", None)
    ds.attrs["runs"] = [params(quick)["runs"][k] for k in k_locals]
    ds.attrs["params"] = {k: v for k, v in params(quick).items() if k != "runs"}
    return ds

"""Figs. 12, 18, 21 and 22 of Žunkovič & Ilievski 2024 (JMLR numbering): single runs of the full
tensor-network model (spec ``zunkovic2024-local-rules.md`` §4.2–4.3, §5 "Full-model training"
and "Qualitative full-model findings"; claims LR-29, LR-30).

Full-model setting (spec §5 and its [project] table): rule 30 (1-local), all 2⁸ training
strings of length 8 with per-site labels and open boundaries; A, B, v^{L,R} ~ N(0, 1) from the
engine's member seeds, trained jointly by Adam (lr 0.005, default betas, batch 128, so one
epoch = 2 steps) on ½(σ(ŷ) − (1 + y)/2)², λ = 0
(:func:`~groklab.models.rule_learning_train.run_ensemble`). Times are epochs.

* **Test error.** E_test is the per-site error on random test strings (the bulk; smaller sets
  than the spec's 1000 × 1000, see the parameters below). The spec's stricter "zero test error"
  (also every string of length 3…L right) is reported separately: a model trained on strings
  of one length can get every odd length wrong (the sign of ŷ flips with the parity of the
  string length when the dominant eigenvalue of the transfer matrices is negative), so t_ε
  here is the first record with E_test = 0 on the bulk test strings.
* **Fig. 18** — train and test error vs epochs, d = 10, three initialisations (seeds 0, 1, 2);
  grokking delay t_ε − t_train per run. Quick: 300 epochs, 20 × 100 test sites; full: 7000
  epochs (the spec's horizon), 100 × 200 test sites, records every 5 epochs.
* **Figs. 21 and 22** — d = 3: scatter of the left context vectors ℓ_N(i) (unit vectors of
  R³, the 7 central sites of every test string) at four times, with D_eff, the per-epoch
  training loss and E_test vs epochs; spikes (:func:`~groklab.theory.local_rules_stats.
  detect_spikes`: loss > mean + 2·std of the previous 20 epochs) are marked with the D_eff step
  across each (:func:`~groklab.theory.local_rules_stats.d_eff_step`). An ensemble of seeds is
  trained (seeds 8…15 for 500 epochs quick, 0…23 for 3000 epochs full; records every
  epoch) and the examples are picked by a fixed rule (:data:`RULES`): **Ex. 1** = among the
  seeds that reach E_test = 0, the spike with the largest D_eff step up; **Ex. 2** = among the
  other such seeds, the spike with the largest D_eff step down. The snapshots are: the first
  record, the records just before and just after the chosen spike, and the last record. LR-30
  is measured on the whole scan: the median |ΔD_eff| across the spike epochs against that
  across all other epochs.
* **Fig. 12** — a frozen pre-trained A: a d = 6 full model is trained (seeds 4…7 quick, 0…15
  full) and the first seed whose last record has E_test = 0 gives A, v^{L,R}; then only B is
  trained from three N(0, 1) initialisations (seeds 0, 1, 2) by full-batch GD (step 0.5, flow
  time = 0.5·steps) on the linear MSE ½(ŷ − y)² + (λ2/2)‖B‖² with λ1 = 0, λ2 = 0.01 (Eq. 19)
  on the same 2⁸ training strings. With A frozen the model is the 2d² = 72-dimensional
  perceptron of Eqs. 66–67, whose exact GD trajectory
  (:func:`~groklab.models.rule_learning_theory.gd_trajectory`) is drawn in black over the
  simulation.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from groklab.figures import claim
from groklab.figures.zunkovic2024.rules import _register

__all__ = ["RULES", "claims_fig12", "claims_fig18", "claims_fig21", "claims_fig22",
           "compute_fig12", "compute_fig18", "compute_fig21", "compute_fig22", "length_errors",
           "plot_fig12", "plot_fig18", "plot_fig21", "plot_fig22", "snapshot_points"]

#: A D_eff step across a spike counts as a step change when it is at least this many times the
#: median |ΔD_eff| across the epochs without a spike (pooled over the scan).
STEP_FACTOR = 10.0
#: Seed-picking rules of the Fig. 21 / 22 examples (stated in the figure data).
RULES = {
    1: "among the seeds that reach E_test = 0, the training-loss spike with the largest D_eff "
       "step up (first seed on ties)",
    2: "among the other seeds that reach E_test = 0, the training-loss spike with the largest "
       "D_eff step down (first seed on ties)",
}
FIG12_LR = 0.5  # GD step of the B-only phase (flow time per step)
FIG12_LAM2 = 0.01


def _check_quick(quick) -> bool:
    if not isinstance(quick, bool | np.bool_):
        raise ValueError(f"quick must be True or False. Got {quick!r}.")
    return bool(quick)


def _config(d: int, prm: dict):
    from groklab.models import rule_learning as rl

    return rl.Config(d=d, epochs=prm["epochs"], n_test=prm["n_test"],
                     test_length=prm["test_length"], exact_length=prm["exact_length"])


def _train(d: int, seeds, prm: dict, record_params: bool = False) -> tuple[dict, np.ndarray]:
    """Records of the full model (one member per seed) every ``prm["every"]`` epochs; returns
    (records, record times in epochs)."""
    from groklab.models import rule_learning as rl
    from groklab.models.rule_learning_train import run_ensemble

    cfg = _config(d, prm)
    steps = rl.default_times(cfg)[:: prm["every"]]
    rec = run_ensemble(cfg, list(seeds), steps, record_params=record_params)
    return rec, steps / cfg.steps_per_epoch


def _first(t: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """First time of each row where ``flags`` holds (NaN if never)."""
    flags = np.atleast_2d(flags)
    idx = np.argmax(flags, axis=-1)
    return np.where(flags.any(axis=-1), np.asarray(t, float)[idx], np.nan)


def length_errors(params: dict, lengths) -> np.ndarray:
    """Per-site error of the full model ``params`` (A, B, vL, vR) on every string of each
    length in ``lengths`` (open boundaries, rule 30), from the NumPy contexts
    (:func:`~groklab.models.rule_learning_theory.contexts_numpy`): shape (len(lengths),)."""
    from groklab.models.rule_learning_ca import all_strings, apply_rule
    from groklab.models.rule_learning_theory import contexts_numpy

    B = np.asarray(params["B"], float)
    out = []
    for m in lengths:
        if m < 3:
            raise ValueError(f"lengths must be at least 3. Got {m!r}.")
        x = all_strings(int(m)).astype(float)
        left, right = contexts_numpy(params, x, "open")
        yhat = np.einsum("nma,nmab,nmb->nm", left, B[:, :, (x > 0).astype(int)]
                         .transpose(2, 3, 0, 1), right)
        out.append(float(np.mean(apply_rule(x, 30, 1, "open") * yhat <= 0)))
    return np.asarray(out)


def _params_at(rec: dict, i: int, k: int) -> dict:
    return {name[6:]: rec[name][i, k] for name in rec if name.startswith("param_")}


# ---- Fig. 18: typical full-model runs ---------------------------------------------------------
def _fig18_params(quick: bool) -> dict:
    if quick:
        return {"d": 10, "seeds": [0, 1, 2], "epochs": 300, "every": 2, "n_test": 20,
                "test_length": 100, "exact_length": 6}
    return {"d": 10, "seeds": [0, 1, 2], "epochs": 7000, "every": 5, "n_test": 100,
            "test_length": 200, "exact_length": 10}


def compute_fig18(quick: bool):
    """Train/test error vs epochs of three full-model runs (d = 10, λ = 0, Fig. 18)."""
    import xarray as xr

    prm = _fig18_params(_check_quick(quick))
    rec, t = _train(prm["d"], prm["seeds"], prm, record_params=True)
    err_train, err_gen = 1.0 - rec["acc_train"], 1.0 - rec["acc_gen"]
    lengths = np.arange(3, 11)
    per_len = np.stack([length_errors(_params_at(rec, i, -1), lengths)
                        for i in range(len(prm["seeds"]))])
    return xr.Dataset(
        {"err_train": (("seed", "t"), err_train), "err_gen": (("seed", "t"), err_gen),
         "loss_train": (("seed", "t"), rec["loss_train"]), "d_eff": (("seed", "t"), rec["d_eff"]),
         "err_exact": (("seed", "t"), rec["err_exact"]),
         "t_train": ("seed", _first(t, err_train == 0)), "t_eps": ("seed", _first(t, err_gen == 0)),
         "err_length_final": (("seed", "length"), per_len)},
        coords={"seed": prm["seeds"], "t": t, "length": lengths},
        attrs={"params": prm | {"lr": 0.005, "lam1": 0.0, "lam2": 0.0, "train_length": 8},
               "time_unit": "epochs"})


def plot_fig18(ds, path) -> None:
    from groklab.figures import _style as st

    n = ds.sizes["seed"]
    fig, axes = st.new_figure(1, n, width=3.0 * n, height=2.7)
    t = ds["t"].values
    for ax, s in zip(np.ravel(axes), ds["seed"].values, strict=True):
        row = ds.sel(seed=s)
        ax.plot(t, row["err_train"], ls=st.TRAIN_LS, color=st.color(1), label="train error")
        ax.plot(t, row["err_gen"], ls=st.GEN_LS, color=st.color(0), label="test error")
        for name, mk in (("t_train", "train"), ("t_eps", "gen")):
            if np.isfinite(row[name]):
                ax.plot(float(row[name]), 0.0, marker=st.MARKERS[mk], color="black", ms=6)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("epoch")
        tg = float(row["t_eps"] - row["t_train"])
        ax.set_title(f"seed {s}: " + (f"t_G = {tg:.0f} epochs" if math.isfinite(tg)
                                      else "no zero test error"), fontsize=8)
    np.ravel(axes)[0].set_ylabel("error")
    np.ravel(axes)[0].legend(frameon=False)
    fig.suptitle("Fig. 18: full model, rule 30 on all strings of length 8, d = 10, "
                 "lr = 0.005, λ = 0", fontsize=9)
    st.save_figure(fig, path)


def claims_fig18(ds) -> list[dict]:
    t_tr, t_eps = ds["t_train"].values, ds["t_eps"].values
    delay = t_eps - t_tr
    grok = np.isfinite(t_eps)
    per_len = ds["err_length_final"].values
    lengths = ds["length"].values
    final_zero = ds["err_gen"].values[:, -1] == 0
    odd = lengths % 2 == 1
    d0 = ds["d_eff"].values[:, 0]
    d_at = np.array([float(ds["d_eff"].values[i, np.argmax(ds["t"].values >= t_eps[i])])
                     if grok[i] else np.nan for i in range(t_eps.size)])
    return [
        claim("Fig. 18 [paper]: in a typical full-model run the training error reaches 0 "
              "before the test error (grokking, t_G = t_ε − t_train > 0)",
              {"t_train_epochs": t_tr.tolist(), "t_eps_epochs": t_eps.tolist(),
               "delay_epochs": delay.tolist(), "n_runs_reaching_zero_test_error": int(grok.sum()),
               "horizon_epochs": float(ds["t"].values[-1])},
              "≥ 1 run reaches E_test = 0; every such run has t_G ≥ 0 and at least one t_G > 0",
              bool(grok.any() and np.all(delay[grok] >= 0) and np.any(delay[grok] > 0))),
        claim("LR-29 [paper]: D_eff of the left context vectors falls between initialisation "
              "and t_ε (structure forms before zero test error)",
              {"d_eff_at_t0": d0.tolist(), "d_eff_at_t_eps": d_at.tolist()},
              "D_eff(t_ε) < D_eff(0) for every run with a t_ε",
              bool(grok.any() and np.all(d_at[grok] < d0[grok]))),
        claim("[project] spec §5 'zero test error' also needs every string of length 3…10 "
              "right: at the last record, runs with E_test = 0 on the bulk strings also predict "
              "every short string (per-length error, odd and even lengths)",
              {"length": lengths.tolist(), "err_per_length": per_len.round(4).tolist(),
               "final_bulk_zero": final_zero.tolist(),
               "max_err_odd_lengths": per_len[:, odd].max(axis=1).tolist(),
               "max_err_even_lengths": per_len[:, ~odd].max(axis=1).tolist()},
              "per-length error 0 at every length for each run with bulk E_test = 0 at the end",
              bool(final_zero.any() and np.all(per_len[final_zero] == 0))),
    ]


_register(18, compute_fig18, plot_fig18, claims_fig18,
          "Full model: typical train/test error vs time (rule 30, d = 10, λ = 0)",
          "All 2^8 training strings of length 8, open BC; Adam lr 0.005, batch 128, sigmoid-MSE; "
          "seeds 0, 1, 2; 300 (quick) / 7000 (full) epochs; bulk test error on 20 × 100 / "
          "100 × 200 random sites.")


# ---- Fig. 12: B trained on a frozen pre-trained A ---------------------------------------------
def _fig12_params(quick: bool) -> dict:
    pre = {"d": 6, "every": 10, "n_test": 20, "test_length": 100, "exact_length": 8}
    if quick:
        return {"pre": pre | {"seeds": [4, 5, 6, 7], "epochs": 200}, "b_steps": 400,
                "n_records": 60, "b_seeds": [0, 1, 2]}
    return {"pre": pre | {"seeds": list(range(16)), "epochs": 2000}, "b_steps": 20_000,
            "n_records": 300, "b_seeds": [0, 1, 2]}


def _b_times(b_steps: int, n_records: int) -> np.ndarray:
    """0 and log-spaced GD steps up to ``b_steps`` (integers, strictly increasing)."""
    t = np.unique(np.round(np.logspace(0, math.log10(b_steps), n_records)).astype(np.int64))
    return np.concatenate([[0], t])


def _frozen_attention(prm: dict) -> tuple[dict, dict]:
    """A, v^{L,R} of the first pre-training seed whose last record has E_test = 0."""
    pre = prm["pre"]
    rec, t = _train(pre["d"], pre["seeds"], pre, record_params=True)
    final = np.flatnonzero(rec["acc_gen"][:, -1] >= 1.0)
    if final.size == 0:
        raise RuntimeError(f"No pre-training seed of {pre['seeds']} reaches zero test error at "
                           f"epoch {pre['epochs']}: train longer or scan more seeds.")
    i = int(final[0])
    att = {k: np.asarray(rec["param_" + k][i, -1], float) for k in ("A", "vL", "vR")}
    info = {"pre_seed": int(pre["seeds"][i]),
            "pre_t_eps_epochs": float(_first(t, rec["acc_gen"][i] >= 1.0)[0]),
            "pre_err_exact_final": float(rec["err_exact"][i, -1]),
            "pre_seeds_zero_at_end": [int(pre["seeds"][j]) for j in final]}
    return att, info


def compute_fig12(quick: bool):
    """Train and test error of B trained on a frozen pre-trained A (Fig. 12): simulation (the
    engine, GD on the linear MSE) and the exact GD trajectory of the mapped perceptron."""
    import xarray as xr

    from groklab.models import rule_learning as rl
    from groklab.models.rule_learning_theory import flat_features, gd_trajectory, gram
    from groklab.models.rule_learning_train import build_data, run_ensemble

    prm = _fig12_params(_check_quick(quick))
    att, info = _frozen_attention(prm)
    pre = prm["pre"]
    cfg = rl.Config(attention="random", d=pre["d"], lam2=FIG12_LAM2, lr=FIG12_LR,
                    n_test=pre["n_test"], test_length=pre["test_length"],
                    exact_length=pre["exact_length"])
    steps = _b_times(prm["b_steps"], prm["n_records"])
    rec = run_ensemble(cfg, prm["b_seeds"], steps, attention=att, record_params=True)
    # theory: the exact GD iterates of the 2d²-dimensional perceptron (Eqs. 19-21, 66-67)
    data = build_data(cfg, pad_exact=False)
    Z = flat_features(att, data["X_train"])
    G, a = gram(Z, data["y_train"].ravel(), FIG12_LAM2)
    b_sim = rec["param_B"].reshape(len(prm["b_seeds"]), steps.size, -1)
    b_th = gd_trajectory(G, a, b_sim[:, 0], FIG12_LR, steps)
    z_test = flat_features(att, data["X_test"])
    y_tr, y_te = data["y_train"].ravel(), data["y_test"].ravel()
    th_train = np.mean(y_tr * (b_th @ Z.T) <= 0, axis=-1)
    th_gen = np.mean(y_te * (b_th @ z_test.T) <= 0, axis=-1)
    t = FIG12_LR * steps
    err_train, err_gen = 1.0 - rec["acc_train"], 1.0 - rec["acc_gen"]
    g = np.linalg.eigvalsh(G)
    return xr.Dataset(
        {"err_train": (("run", "t"), err_train), "err_gen": (("run", "t"), err_gen),
         "err_exact": (("run", "t"), rec["err_exact"]),
         "err_train_theory": (("run", "t"), th_train), "err_gen_theory": (("run", "t"), th_gen),
         "max_abs_B_sim_minus_theory": ("run", np.abs(b_sim - b_th).max(axis=(1, 2))),
         "t_train": ("run", _first(t, err_train == 0)), "t_eps": ("run", _first(t, err_gen == 0)),
         "eig_G": ("k", g), "A": (("i", "j", "s"), att["A"]),
         "eig_A0_abs": ("i", np.sort(np.abs(np.linalg.eigvals(att["A"][:, :, 0])))[::-1])},
        coords={"run": prm["b_seeds"], "t": t},
        attrs={"params": prm | {"lam1": 0.0, "lam2": FIG12_LAM2, "gd_step": FIG12_LR,
                                "train_length": 8},
               "pretraining": info, "time_unit": "flow time (GD step × steps)"})


def plot_fig12(ds, path) -> None:
    from groklab.figures import _style as st

    fig, axes = st.new_figure(1, 2, width=7.0, height=2.8)
    t = ds["t"].values
    for k, r in enumerate(ds["run"].values):
        row = ds.sel(run=r)
        for ax, name in zip(axes, ("err_train", "err_gen"), strict=True):
            ax.plot(t[1:], row[name].values[1:], color=st.color(k), lw=2.2, alpha=0.6,
                    label=f"B(0) seed {r}")
            ax.plot(t[1:], row[name + "_theory"].values[1:], **st.THEORY)
        if np.isfinite(row["t_train"]):
            axes[1].axvline(float(row["t_train"]), color=st.color(k), ls=":", lw=0.8)
    for ax, title in zip(axes, ("training error", "test error (dotted: t_train)"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("flow time")
        ax.set_title(title, fontsize=8)
    axes[0].legend(frameon=False)
    p = ds.attrs["pretraining"]
    fig.suptitle(f"Fig. 12: frozen A (d = 6 full model, seed {p['pre_seed']}), B only, "
                 f"λ1 = 0, λ2 = {FIG12_LAM2}; black: exact GD of the mapped perceptron",
                 fontsize=8)
    st.save_figure(fig, path)


def _plateaus(ds) -> list[dict]:
    """Per run: t_train, t_ε, the delay and E_test at t_train."""
    out = []
    t = ds["t"].values
    for r in ds["run"].values:
        row = ds.sel(run=r)
        t_tr, t_e = float(row["t_train"]), float(row["t_eps"])
        e_at = float(row["err_gen"].values[np.argmax(t >= t_tr)]) if math.isfinite(t_tr) \
            else math.nan
        out.append({"run": int(r), "t_train": t_tr, "t_eps": t_e, "delay": t_e - t_tr,
                    "err_gen_at_t_train": e_at})
    return out


def claims_fig12(ds) -> list[dict]:
    rows = _plateaus(ds)
    plateau = [r for r in rows if r["delay"] > 0 and r["err_gen_at_t_train"] > 0]
    gap = float(ds["max_abs_B_sim_minus_theory"].max())
    dth = float(np.max(np.abs(ds["err_gen"] - ds["err_gen_theory"])))
    reach = bool(np.all(np.isfinite(ds["t_eps"].values)))
    return [
        claim("Fig. 12 [paper]: with a frozen pre-trained A, one of three B initialisations "
              "shows a short test-error plateau after zero training error",
              {"runs": rows, "n_with_plateau": len(plateau),
               "pretraining": ds.attrs["pretraining"]},
              "≥ 1 run with E_test(t_train) > 0 and t_ε > t_train",
              len(plateau) >= 1),
        claim("[derived] Sec. 4.2.3 (Eqs. 19–21, 66–67): with A frozen, GD on B is the GD of a "
              "72-dimensional perceptron; the engine's B(t) equals its closed-form iterates",
              {"max_abs_B_diff": gap, "max_abs_test_error_diff": dth},
              "max |B_sim − B_theory| ≤ 1e-9 and test errors equal to 1e-12",
              gap <= 1e-9 and dth <= 1e-12),
        claim("Fig. 12 [paper]: the frozen A maps rule 30 to a perceptron that every B "
              "initialisation trains to zero test error (λ2 = 0.01)",
              {"t_eps": ds["t_eps"].values.tolist(),
               "err_exact_final": ds["err_exact"].values[:, -1].tolist()},
              "every run reaches E_test = 0", reach),
    ]


_register(12, compute_fig12, plot_fig12, claims_fig12,
          "Frozen pre-trained A: train and test error of B from three initialisations",
          "A, v^{L,R} from a d = 6 full model (Adam, all length-8 strings) at zero test error, "
          "frozen; B ~ N(0,1) (seeds 0-2) trained by GD (step 0.5) on the linear MSE, λ1 = 0, "
          "λ2 = 0.01; exact GD of the mapped 72-dim perceptron in black.")


# ---- Figs. 21 and 22: structure in the left context vectors (d = 3) --------------------------
def _fig21_params(quick: bool) -> dict:
    if quick:
        return {"d": 3, "seeds": list(range(8, 16)), "epochs": 500, "every": 1, "n_test": 20,
                "test_length": 100, "exact_length": 8}
    return {"d": 3, "seeds": list(range(24)), "epochs": 3000, "every": 1, "n_test": 100,
            "test_length": 100, "exact_length": 10}


@functools.cache
def _scan21(quick: bool) -> tuple[dict, np.ndarray]:
    """The d = 3 ensemble shared by Figs. 21 and 22 (records and tensors every epoch)."""
    prm = _fig21_params(quick)
    return _train(prm["d"], prm["seeds"], prm, record_params=True)


def _spikes(rec: dict, t: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per member: the spike epochs and the D_eff step across each (records at the epoch's
    start and end)."""
    from groklab.theory.local_rules_stats import d_eff_step, detect_spikes

    out = []
    for i in range(rec["loss_epoch"].shape[0]):
        e = detect_spikes(rec["loss_epoch"][i])
        out.append((e, np.array([d_eff_step(t, rec["d_eff"][i], k, k + 1) for k in e])))
    return out


def _pick(rec: dict, spikes, example: int, exclude: int | None) -> tuple[int, int] | None:
    """(member index, spike epoch) chosen by :data:`RULES` [example], or None."""
    sign = 1.0 if example == 1 else -1.0
    best, out = 0.0, None
    for i, (epochs, steps) in enumerate(spikes):
        if i == exclude or not np.any(rec["acc_gen"][i] >= 1.0) or steps.size == 0:
            continue
        k = int(np.argmax(sign * steps))
        if sign * steps[k] > best:
            best, out = float(sign * steps[k]), (i, int(epochs[k]))
    return out


def snapshot_points(params: dict, x_test: np.ndarray) -> np.ndarray:
    """Left context vectors ℓ_N(i) of the 7 central sites of every test string (the D_eff point
    cloud of the engine): shape (n_test·7, d), unit vectors."""
    from groklab.dynamics import jnp
    from groklab.models import rule_learning_tn as tn

    left = tn.left_contexts(jnp.asarray(params["A"]), jnp.asarray(params["vL"]),
                            jnp.asarray(x_test))
    sites = tn.central_sites(x_test.shape[-1])
    return np.asarray(left)[:, sites].reshape(-1, params["A"].shape[0])


def _lr30(spikes, rec: dict) -> dict:
    """|ΔD_eff| across the spike epochs of every member vs across all other epochs (≥ 20)."""
    at, other = [], []
    for i, (e, steps) in enumerate(spikes):
        dd = np.abs(np.diff(rec["d_eff"][i]))
        mask = np.ones(dd.size, bool)
        mask[:20] = False  # the detector never flags the first 20 epochs
        mask[e] = False
        at.extend(np.abs(steps).tolist())
        other.extend(dd[mask].tolist())
    at, other = np.asarray(at), np.asarray(other)
    return {"n_spikes": int(at.size), "n_other_epochs": int(other.size),
            "median_abs_step_spikes": float(np.median(at)) if at.size else math.nan,
            "median_abs_step_other": float(np.median(other)),
            "fraction_spikes_above_10x_median_other":
                float(np.mean(at >= STEP_FACTOR * np.median(other))) if at.size else math.nan}


def _compute_example(quick: bool, example: int):
    import xarray as xr

    from groklab.models.rule_learning_train import build_data

    quick = _check_quick(quick)
    if example not in RULES:
        raise ValueError(f"example must be one of {sorted(RULES)}. Got {example!r}.")
    prm = _fig21_params(quick)
    rec, t = _scan21(quick)
    spikes = _spikes(rec, t)
    first = _pick(rec, spikes, 1, None)
    chosen = first if example == 1 else _pick(rec, spikes, 2, None if first is None
                                              else first[0])
    if chosen is None:
        raise RuntimeError(f"No seed of {prm['seeds']} satisfies the Ex. {example} rule "
                           f"({RULES[example]}); scan more seeds or epochs.")
    i, e = chosen
    x_test = build_data(_config(prm["d"], prm))["X_test"]
    k_snap = np.array([0, e, e + 1, t.size - 1])
    points = np.stack([snapshot_points(_params_at(rec, i, k), x_test) for k in k_snap])
    left_neighbour = x_test[:, np.asarray(_central(x_test)) - 1].reshape(-1)
    ep, steps = spikes[i]
    err_gen = 1.0 - rec["acc_gen"][i]
    return xr.Dataset(
        {"err_train": ("t", 1.0 - rec["acc_train"][i]), "err_gen": ("t", err_gen),
         "loss_train": ("t", rec["loss_train"][i]), "d_eff": ("t", rec["d_eff"][i]),
         "loss_epoch": ("epoch", rec["loss_epoch"][i]),
         "spike_epoch": ("spike", ep), "spike_d_eff_step": ("spike", steps),
         "snap_t": ("snap", t[k_snap]), "snap_d_eff": ("snap", rec["d_eff"][i, k_snap]),
         "points": (("snap", "point", "xyz"), points), "x_left": ("point", left_neighbour),
         "scan_t_eps": ("seed", _first(t, rec["acc_gen"] >= 1.0)),
         "scan_n_spikes": ("seed", [len(s[0]) for s in spikes]),
         "scan_max_step": ("seed", [float(np.max(s[1])) if len(s[1]) else math.nan
                                    for s in spikes]),
         "scan_min_step": ("seed", [float(np.min(s[1])) if len(s[1]) else math.nan
                                    for s in spikes])},
        coords={"t": t, "epoch": np.arange(rec["loss_epoch"].shape[1]), "snap": np.arange(4),
                "seed": prm["seeds"], "spike": np.arange(ep.size)},
        attrs={"params": prm | {"lr": 0.005, "lam1": 0.0, "lam2": 0.0, "train_length": 8},
               "example": example, "rule": RULES[example], "chosen_seed": int(prm["seeds"][i]),
               "chosen_spike_epoch": e, "lr30": _lr30(spikes, rec), "time_unit": "epochs"})


def _central(x_test: np.ndarray) -> np.ndarray:
    from groklab.models import rule_learning_tn as tn

    return tn.central_sites(x_test.shape[-1])


def compute_fig21(quick: bool):
    """Ex. 1 (Fig. 21): the left context vectors of a d = 3 run around a spike with a D_eff step
    up; see the module docstring for the seed rule."""
    return _compute_example(quick, 1)


def compute_fig22(quick: bool):
    """Ex. 2 (Fig. 22): as Fig. 21, for a spike with a D_eff step down."""
    return _compute_example(quick, 2)


def _plot_example(ds, path) -> None:
    from groklab.figures import _style as st

    fig, grid = st.new_figure(2, 4, width=9.0, height=5.0)
    lab = ds["x_left"].values
    for k in range(4):
        ax = grid[0, k]
        p = ds["points"].values[k]
        c = p - p.mean(axis=0)
        axes2 = np.linalg.svd(c, full_matrices=False)[2][:2]  # the top two principal axes
        q = c @ axes2.T
        for s, col in ((-1.0, st.color(1)), (1.0, st.color(0))):
            sel = lab == s
            ax.scatter(q[sel, 0], q[sel, 1], s=4, color=col, alpha=0.5,
                       label=f"x_(i−1) = {int(s):+d}")
        ax.set_title(f"epoch {ds['snap_t'].values[k]:.0f}, D_eff = "
                     f"{ds['snap_d_eff'].values[k]:.2f}", fontsize=7)
        ax.set_aspect("equal", "datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    grid[0, 0].legend(frameon=False, fontsize=6)
    t = ds["t"].values
    grid[1, 0].plot(t, ds["d_eff"], color=st.color(2))
    grid[1, 0].set_ylabel("D_eff")
    grid[1, 1].plot(ds["epoch"].values, ds["loss_epoch"], color=st.color(1))
    grid[1, 1].set_yscale("log")
    grid[1, 1].set_ylabel("training loss (per epoch)")
    grid[1, 2].plot(t, ds["err_gen"], color=st.color(0), label="E_test")
    grid[1, 2].plot(t, ds["err_train"], color=st.color(1), ls=st.TRAIN_LS, label="train error")
    grid[1, 2].legend(frameon=False, fontsize=6)
    for e, step in zip(ds["spike_epoch"].values, ds["spike_d_eff_step"].values, strict=True):
        for ax in grid[1, :3]:
            ax.axvline(e, color="gray", lw=0.6, ls=":")
        if e == ds.attrs["chosen_spike_epoch"]:  # the chosen spike: its D_eff step
            for ax in grid[1, :3]:
                ax.axvline(e, color="black", lw=0.9)
            grid[1, 0].annotate(f"ΔD_eff = {step:+.2f}", (e, float(ds["d_eff"].values[e + 1])),
                                fontsize=6)
    for ax in grid[1, :3]:
        ax.set_xlabel("epoch")
    ax = grid[1, 3]
    ax.scatter(ds["scan_n_spikes"], ds["scan_max_step"], s=8, color=st.color(0), label="max step")
    ax.scatter(ds["scan_n_spikes"], ds["scan_min_step"], s=8, color=st.color(1), label="min step")
    ax.set_xlabel("spikes per run (scan)")
    ax.set_ylabel("D_eff step across a spike")
    ax.legend(frameon=False, fontsize=6)
    ex = ds.attrs["example"]
    fig.suptitle(f"Fig. {20 + ex}: Ex. {ex}, d = 3, seed {ds.attrs['chosen_seed']} (largest "
                 f"D_eff step {'up' if ex == 1 else 'down'} across a spike of a grokking seed); "
                 "dotted: spikes, solid: the chosen one", fontsize=7)
    st.save_figure(fig, path)


plot_fig21 = plot_fig22 = _plot_example


def _example_claims(ds) -> list[dict]:
    from groklab.theory.local_rules_stats import d_eff as d_eff_np

    ex = ds.attrs["example"]
    e = ds.attrs["chosen_spike_epoch"]
    k = int(np.flatnonzero(ds["spike_epoch"].values == e)[0])
    step = float(ds["spike_d_eff_step"].values[k])
    lr30 = ds.attrs["lr30"]
    ratio = lr30["median_abs_step_spikes"] / lr30["median_abs_step_other"]
    pts = ds["points"].values
    recomputed = d_eff_np(pts)
    dev = float(np.max(np.abs(recomputed - ds["snap_d_eff"].values)))
    norm = float(np.max(np.abs(np.linalg.norm(pts, axis=-1) - 1.0)))
    err_after = ds["err_gen"].values[e + 1:]
    text = ("Ex. 1 [paper]: a training-loss spike comes with a step up in D_eff (two-island → "
            "three-island structure)" if ex == 1 else
            "Ex. 2 [paper]: a training-loss spike comes with a step change of D_eff (here down: "
            "the structure dissolves) while the test error stays small")
    typical = lr30["median_abs_step_other"]
    ok = (step if ex == 1 else -step) >= STEP_FACTOR * typical
    return [
        claim(text,
              {"seed": ds.attrs["chosen_seed"], "spike_epoch": e, "d_eff_step": step,
               "d_eff_snapshots": ds["snap_d_eff"].values.round(3).tolist(),
               "t_eps_epochs": float(ds["scan_t_eps"].sel(seed=ds.attrs["chosen_seed"])),
               "max_err_gen_after_spike": float(err_after.max()) if err_after.size else None,
               "median_abs_step_other_epochs": typical},
              f"the chosen spike ({ds.attrs['rule']}) is a step change: |ΔD_eff| ≥ "
              f"{STEP_FACTOR:g} × the median |ΔD_eff| of the epochs without a spike, in the "
              f"paper's direction ({'up' if ex == 1 else 'down'})", ok),
        claim("LR-30 [paper]: loss spikes coincide with step changes of D_eff (either "
              "direction); measured on every run of the scan",
              lr30 | {"ratio_of_medians": ratio},
              "median |ΔD_eff| across spike epochs ≥ 3 × that across the other epochs",
              ratio >= 3.0),
        claim("[derived] the scattered points are the engine's D_eff point cloud: unit vectors "
              "whose D_eff (PCA entropy) equals the recorded D_eff",
              {"max_abs_norm_minus_1": norm, "max_abs_d_eff_diff": dev},
              "both ≤ 1e-9", norm <= 1e-9 and dev <= 1e-9),
    ]


claims_fig21 = claims_fig22 = _example_claims

_register(21, compute_fig21, plot_fig21, claims_fig21,
          "Full model, d = 3, Ex. 1: left context vectors, D_eff, training loss and test error",
          "Seeds 8-15 (quick, 500 epochs) / 0-23 (full, 3000 epochs), Adam lr 0.005, λ = 0; "
          "Ex. 1 = the spike of a grokking seed with the largest D_eff step up.")
_register(22, compute_fig22, plot_fig22, claims_fig22,
          "Full model, d = 3, Ex. 2: left context vectors, D_eff, training loss and test error",
          "Same scan as Fig. 21; Ex. 2 = the spike of another grokking seed with the largest "
          "D_eff step down.")

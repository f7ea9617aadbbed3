"""Langevin sampling of the low-loss landscape of an MLP on random labels (``langevin-mlp``).

Paper: T. Jules, G. Brener, T. Kachman, N. Levi, Y. Bar-Sinai, "Charting the topography of the
neural network landscape with thermal-like noise", arXiv:2304.01335 (2023). **Only its abstract
is known**: groklab tests the abstract's claims A–E with its own protocol (spec
``jules2023-langevin-landscape.md`` §2, tagged [project]); no number here is the paper's.

Model (§2.1): an over-parameterised MLP (``depth`` × ``width``, tanh by default; weights
N(0, 1/fan_in), biases 0) on N random inputs x ~ N(0, I_d/d) with balanced random labels
(binary ±1 with one logit, or K classes), mean cross-entropy loss L. Pre-trained by full-batch
Adam to 100 % training accuracy and L ≤ ``loss_target`` → θ0. Then overdamped Langevin at
temperature T (§2.2, engine :mod:`groklab.dynamics.langevin`):

    θ_{k+1} = θ_k − η∇U(θ_k) + √(2ηT) ξ_k,     U = L (+ (γ/2)‖θ‖² with weight decay),

Euler–Maruyama or MALA. Time is counted in **Langevin steps** from θ0 (t = 0).

The verbs:

* :class:`Config` (``langevin_mlp_config``), :func:`sample` (data and initial weights of a seed),
  :func:`pretrain` (θ0).
* :func:`simulate` — chains (seeds × temperatures × noise chains) in one compiled call per seed;
  records ``loss_train``, ``loss_gen``, ``acc_train``, ``acc_gen`` and the Langevin observables
  below at the requested steps.
* :func:`predict` — the harmonic (quadratic-at-θ0) prediction of §2.8 / §3.1: ⟨δL⟩(t) relaxing
  to Σ_a T/(2(1 − ηk_a/2)) over the positive Hessian eigenvalues k_a at θ0. This is the
  prediction whose failure claim C asserts, not a theory of the network.
* :func:`analyze` — the fluctuation estimators (§2.5), diagnostics (§2.3) and N_b (§2.7) of a
  :func:`simulate` result, per seed and temperature.
* :func:`curvature` — top Hessian eigenvalues (Lanczos), tr H (Hutchinson) and tr H_GN (§2.6).

Recorded variables (dims ``seed``, [``T``], [``chain``], ``t``): ``loss_train`` (data loss L),
``loss_gen``/``acc_gen`` (fresh random test points: chance level), ``acc_train``, ``norm2``
(‖θ‖²), ``n_b`` (#{i : ℓ_i ≥ cNT}), ``sum_ell_sq`` (Σ_i ℓ_i², for the participation ratio),
``potential_seg_mean``/``potential_seg_sq`` (mean of U and U² over every step since the previous
record), ``accept`` (MALA acceptance rate in that segment; 1 for EM).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from groklab import metrics
from groklab._config import InvalidParameterError
from groklab.models._common import label_variables, result_attrs, seed_list
from groklab.models.langevin_mlp_config import Config

__all__ = ["ID", "Config", "analyze", "curvature", "default_times", "equilibrate",
           "halve_unstable_steps", "predict", "pretrain", "sample", "simulate"]

ID = "langevin-mlp"
TIME_UNIT = "steps"

_ATTRS = {
    "loss_train": ("training loss L (mean cross-entropy, data term only)", "1"),
    "loss_gen": ("mean cross-entropy on fresh random test points", "1"),
    "acc_train": ("training accuracy", "1"),
    "acc_gen": ("test accuracy on fresh random labels (chance level)", "1"),
    "norm2": ("‖θ‖²", "1"),
    "n_b": ("#{i : ℓ_i ≥ c·N·T} (near-boundary points)", "1"),
    "sum_ell_sq": ("Σ_i ℓ_i²", "1"),
    "potential_seg_mean": ("mean of U over the steps since the previous record", "1"),
    "potential_seg_sq": ("mean of U² over the steps since the previous record", "1"),
    "accept": ("MALA acceptance rate since the previous record (EM: 1)", "1"),
    "eta": ("Langevin step η", "1"),
    "ell": ("per-point loss ℓ_i (opt-in record)", "1"),
    "proj": ("v_a·(θ − θ_ref) along given directions (opt-in record)", "1"),
    "margin": ("margin m_i (opt-in record)", "1"),
    "theta_final": ("θ after the last step", "1"),
}

_CACHE: dict = {}


def sample(config: Config, seed: int | None = None) -> dict:
    """Data and initial weights of one seed (default ``config.seed``); see
    :func:`groklab.models.langevin_mlp_net.sample`."""
    from groklab.models.langevin_mlp_net import sample as _sample

    return _sample(config, config.seed if seed is None else seed)


def pretrain(config: Config, seed: int | None = None) -> dict:
    """θ0 of one seed (cached per config fields that matter and seed): the sample's arrays plus
    ``theta0``, ``steps``, ``reached``, ``step_1e-2``, ``step_1e-4`` and ``lambda_1`` (top
    Hessian eigenvalue of U at θ0)."""
    from groklab.dynamics.langevin import lanczos_top
    from groklab.models.langevin_mlp_net import Net
    from groklab.models.langevin_mlp_net import pretrain as _pretrain

    seed = config.seed if seed is None else seed
    key = (config.d, config.n_train, config.n_classes, config.n_test, config.depth, config.width,
           config.activation, config.weight_decay, config.loss_target, config.pretrain_lr,
           config.pretrain_max, seed)
    if key not in _CACHE:
        data = sample(config, seed)
        out = dict(data) | _pretrain(config, data)
        net = Net.of(config)
        train = {"X": data["X"], "y": data["y"]}
        out["lambda_1"] = float(lanczos_top(_potential(net), out["theta0"], train, k=1,
                                            n_iter=40, seed=seed)[0])
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[key] = out
    return _CACHE[key]


def step_size(config: Config, lambda_1: float) -> float:
    """η: ``config.eta``, checked against the EM bound η·λ_1 < 2 (raises
    :class:`InvalidParameterError` with the bound), or min(eta_max, eta_c/λ_1)."""
    if config.eta is None:
        return float(min(config.eta_max, config.eta_c / lambda_1)) if lambda_1 > 0 \
            else float(config.eta_max)
    if lambda_1 > 0 and config.eta * lambda_1 >= 2.0:
        raise InvalidParameterError(
            f"The 'eta' parameter of Config gives unstable Langevin dynamics: eta={config.eta!r}"
            f" but Euler–Maruyama is stable only for eta < 2/λ_1 = {2.0 / lambda_1:.6g}, with "
            f"λ_1 = {lambda_1:.6g} the top Hessian eigenvalue at the pre-trained point θ0 "
            f"(spec §2.2; the protocol uses eta·λ_1 ≤ 0.05, i.e. eta ≤ {0.05 / lambda_1:.3g}).")
    return float(config.eta)


def default_times(config: Config, n: int = 200) -> np.ndarray:
    """``n`` + 1 evenly spaced record steps in [0, t_max] (uniform records, as the
    fluctuation estimators need)."""
    return np.unique(np.round(np.linspace(0, config.t_max, n + 1)).astype(np.int64))


@functools.lru_cache(maxsize=32)
def _observe(net, c_boundary: float, extras: tuple = ()):
    """The record function (cached per network, c and extras, so that repeated
    :func:`simulate` calls reuse the compiled kernel)."""
    from groklab.dynamics import jnp

    def observe(theta, data):
        ell = net.point_losses(theta, data["X"], data["y"])
        L = jnp.mean(ell)
        N = ell.shape[0]
        rec = {
            "loss_train": L,
            "acc_train": net.accuracy(theta, data["X"], data["y"]),
            "loss_gen": jnp.mean(net.point_losses(theta, data["X_test"], data["y_test"])),
            "acc_gen": net.accuracy(theta, data["X_test"], data["y_test"]),
            "norm2": jnp.sum(theta * theta),
            "n_b": jnp.sum(ell >= c_boundary * N * data["T"]).astype(theta.dtype),
            "sum_ell_sq": jnp.sum(ell * ell),
        }
        if "ell" in extras:
            rec["ell"] = ell
        if "margin" in extras:
            rec["margin"] = net.margins(theta, data["X"], data["y"])
        if "proj" in extras:
            rec["proj"] = data["V"] @ (theta - data["ref"])
        return rec

    return observe


@functools.lru_cache(maxsize=32)
def _potential(net):
    def potential(theta, data):
        return net.potential(theta, data)

    return potential


def simulate(config: Config, times: Sequence[int] | None = None,
             seeds: int | Sequence[int] = 1, temperatures: Sequence[float] | None = None,
             chains: int | None = None, *, theta_start=None, etas=None, stream: int = 0,
             record: Sequence[str] = (), keep_state: bool = False, projection=None):
    """Langevin chains from each seed's θ0, batched over temperatures × chains in one compiled
    call per seed (the seeds share the compiled kernel).

    Parameters
    ----------
    config : Config
    times : Langevin steps at which to record (default :func:`default_times`).
    seeds : a number of seeds from ``config.seed`` or explicit seeds (data, init and noise).
    temperatures : optional list of T; adds a dimension ``T`` (default ``config.T`` only).
    chains : optional number of noise chains per (seed, T); adds a dimension ``chain``.
    theta_start : optional start points (n_seeds, n_T, n_chains, P) instead of θ0 (to
        continue chains, e.g. after :func:`equilibrate`); t then counts from that start.
    etas : optional steps η per (seed, T), (n_seeds, n_T), instead of the config's rule.
    stream : noise stream (0: the default keys; k > 0 folds k into every chain's key, so that
        successive continuation calls draw fresh noise).
    record : opt-in extras recorded at every record: ``"ell"`` (per-point losses ℓ_i, dim
        ``point``), ``"margin"`` (margins m_i) and ``"proj"`` (dim ``mode``: the projections
        v_a·(θ − θ_ref) of spec §2.8 (c); needs ``projection``).
    projection : ``(theta_ref, V)`` with θ_ref (n_seeds, P) and unit directions V
        (n_seeds, k, P), e.g. θ0 and the top Hessian eigenvectors at θ0; only with "proj".
    keep_state : also return ``theta_final`` (seed, [T], [chain], ``param``), θ after the
        last step.

    Returns
    -------
    xarray.Dataset
        dims ``(seed, [T], [chain], t)`` with the variables of the module docstring, ``eta``
        (seed, [T]) and attrs: config, ``time_unit`` = "steps", the pre-training record per seed
        (``pretrain``), ``n_params`` and the grokking records (random labels: test accuracy
        stays at chance, so generalization is never reached).
    """
    import xarray as xr

    from groklab.dynamics import jnp
    from groklab.dynamics.gd import as_increments, pop_finite_or_raise
    from groklab.dynamics.langevin import chain_keys, langevin_chains
    from groklab.models.langevin_mlp_net import Net

    seeds = seed_list(config.seed, seeds)
    temps = None if temperatures is None else [float(T) for T in np.atleast_1d(temperatures)]
    for T in temps or []:
        config.replace(T=T)
    if chains is not None and (not isinstance(chains, int | np.integer) or chains < 1):
        raise InvalidParameterError(f"chains must be a positive integer. Got {chains!r} instead.")
    t = default_times(config) if times is None else np.asarray(times, dtype=np.int64)
    inc = as_increments(t)
    T_list = temps or [config.T]
    n_ch = chains or 1
    dt = jnp.float32 if config.precision == "float32" else jnp.float64
    net = Net.of(config)
    C = len(T_list) * n_ch
    extras = tuple(sorted(set(record)))
    if set(extras) - {"ell", "margin", "proj"}:
        raise InvalidParameterError(f"record must be a subset of ('ell', 'margin', 'proj'). "
                                    f"Got {tuple(record)!r} instead.")
    if ("proj" in extras) != (projection is not None):
        raise InvalidParameterError("record='proj' and projection=(theta_ref, V) go together: "
                                    "pass both or neither.")
    if projection is not None:
        ref_all, V_all = (np.asarray(a, float) for a in projection)
        if ref_all.shape != (len(seeds), net.n_params) or V_all.ndim != 3 \
                or V_all.shape[::2] != (len(seeds), net.n_params):
            raise InvalidParameterError(
                f"projection must be (theta_ref (n_seeds, P), V (n_seeds, k, P)) with n_seeds="
                f"{len(seeds)}, P={net.n_params}. Got shapes {ref_all.shape}, {V_all.shape}.")
    T_arr = np.repeat(np.asarray(T_list, float), n_ch)
    out: dict[str, list] = {}
    pre, finals = [], []
    eta_given = None if etas is None else np.asarray(etas, float).reshape(len(seeds), -1)
    etas = []
    for i_s, s in enumerate(seeds):
        p = pretrain(config, s)
        eta = step_size(config, p["lambda_1"]) if eta_given is None else eta_given[i_s]
        eta = np.broadcast_to(np.asarray(eta, float), (len(T_list),))
        etas.append(eta)
        pre.append({k: p[k] for k in ("steps", "reached", "step_1e-2", "step_1e-4",
                                      "lambda_1")} | {"seed": s})
        data = {k: jnp.asarray(p[k], dt) for k in ("X", "y", "X_test", "y_test")}
        if projection is not None:
            data |= {"ref": jnp.asarray(ref_all[i_s], dt), "V": jnp.asarray(V_all[i_s], dt)}
        data = {k: jnp.broadcast_to(v, (C, *v.shape)) for k, v in data.items()}
        data["T"] = jnp.asarray(T_arr, dt)
        theta0 = (jnp.broadcast_to(jnp.asarray(p["theta0"], dt), (C, net.n_params))
                  if theta_start is None else
                  jnp.asarray(np.asarray(theta_start)[i_s].reshape(C, net.n_params), dt))
        # one key per (seed, T index, chain index): a chain's noise does not depend on the
        # number of temperatures or chains in the batch
        keys = _grid_keys_fn()(chain_keys(s, len(T_list)), n_ch, stream)
        rec = langevin_chains(_potential(net), _observe(net, config.c_boundary, extras), theta0,
                              data, jnp.asarray(T_arr, dt), jnp.asarray(np.repeat(eta, n_ch), dt),
                              keys, jnp.asarray(inc), method=config.method, data_axis=0,
                              final_state=keep_state)
        rec = {k: np.asarray(v) for k, v in rec.items()}
        if keep_state:
            finals.append(rec.pop("theta_final").reshape(len(T_list), n_ch, -1))
        pop_finite_or_raise(
            rec, t, f"the Langevin step eta = {eta.max():.4g} is too large at T ≤ "
            f"{max(T_list):g} (η·λ_1(θ0) = {eta.max() * p['lambda_1']:.3g}; the sampled "
            "curvature grows with T, spec §3.3): lower eta.")
        rec.pop("U")
        rec["potential_seg_mean"] = rec.pop("U_seg_mean")
        rec["potential_seg_sq"] = rec.pop("U_seg_sq")
        for k, v in rec.items():
            out.setdefault(k, []).append(v.reshape(len(T_list), n_ch, t.size, *v.shape[2:]))
    dims, coords = ["seed"], {"seed": seeds, "t": t}
    index: list = [slice(None)]
    if temps is not None:
        dims.append("T")
        coords["T"] = temps
        index.append(slice(None))
    else:
        index.append(0)
    if chains is not None:
        dims.append("chain")
        coords["chain"] = np.arange(n_ch)
        index.append(slice(None))
    else:
        index.append(0)
    state_dims, state_index = (*dims, "param"), (*index, slice(None))
    dims.append("t")
    index.append(slice(None))
    extra_dim = {"ell": ("point",), "margin": ("point",), "proj": ("mode",)}
    variables = {k: (tuple(dims) + extra_dim.get(k, ()),
                     np.stack(v)[tuple(index)].astype(float)) for k, v in out.items()}
    if keep_state:
        variables["theta_final"] = (state_dims, np.stack(finals)[state_index])
    eta_arr = np.stack(etas)
    variables["eta"] = (("seed", "T") if temps is not None else ("seed",),
                        eta_arr if temps is not None else eta_arr[:, 0])
    ds = xr.Dataset(variables, coords=coords, attrs=result_attrs(
        ID, config, "simulation", TIME_UNIT, n_params=net.n_params,
        pretrain=[_plain(r) for r in pre],
        protocol="groklab's protocol (spec jules2023 §2, [project]); not the paper's numbers",
    ))
    label_variables(ds, _ATTRS, TIME_UNIT)
    ds["t"].attrs["long_name"] = "Langevin step"
    _grokking(ds, config, seeds, dims)
    return ds


@functools.lru_cache(maxsize=1)
def _grid_keys_fn():
    """The compiled chain-key function (built on first use so that importing this module does
    not import JAX): keys (n_T·n_ch, 2) with the chain index folded into each temperature's
    key, then the noise ``stream`` folded in when nonzero."""
    from groklab.dynamics import jax, jnp

    @functools.partial(jax.jit, static_argnums=(1,))
    def grid_keys(t_keys, n_ch: int, stream):
        keys = jax.vmap(lambda kt: jax.vmap(lambda i: jax.random.fold_in(kt, i))(
            jnp.arange(n_ch)))(t_keys).reshape(-1, t_keys.shape[-1])
        return jnp.where(stream != 0,
                         jax.vmap(lambda k: jax.random.fold_in(k, stream))(keys), keys)

    return grid_keys


def top_eigenvalues(config: Config, thetas, seed: int | None = None,
                    n_iter: int = 20) -> np.ndarray:
    """λ_1 of U at each row of ``thetas`` (..., P) on the data of ``seed`` (batched Lanczos,
    ``n_iter`` iterations; for step-size control)."""
    from groklab.dynamics.langevin import lanczos_top_batch
    from groklab.models.langevin_mlp_net import Net

    p = pretrain(config, seed)
    thetas = np.asarray(thetas)
    lam = lanczos_top_batch(_potential(Net.of(config)),
                            thetas.reshape(-1, thetas.shape[-1]), {"X": p["X"], "y": p["y"]},
                            n_iter=n_iter)
    return lam.reshape(thetas.shape[:-1])


def halve_unstable_steps(eta, lambda_1, limit: float = 0.1):
    """The production step check of spec §2.2 ([project]): with λ_1 re-measured on the
    production snapshots of a (seed, T), if any snapshot has η·λ_1 > ``limit`` (0.1) that
    (seed, T) gets η/2 and must be rerun.

    Parameters
    ----------
    eta : (...,) steps η per (seed, T).
    lambda_1 : (..., n_snap) top Hessian eigenvalues at that (seed, T)'s snapshots.

    Returns
    -------
    (eta_new, fired) : η/2 where the rule fired and η elsewhere, and the boolean mask.
    """
    eta, lam = np.asarray(eta, float), np.asarray(lambda_1, float)
    if lam.shape[:-1] != eta.shape or lam.ndim < 1:
        raise ValueError(f"lambda_1 must have shape eta.shape + (n_snap,) = {eta.shape} + "
                         f"(n,). Got {lam.shape}.")
    if not (np.all(eta > 0) and np.all(np.isfinite(eta))):
        raise ValueError(f"eta must be positive and finite. Got {eta!r}.")
    if not np.all(np.isfinite(lam)):
        raise ValueError("lambda_1 must be finite (a non-finite curvature means the chain "
                         "diverged: lower eta).")
    if not limit > 0:
        raise ValueError(f"limit must be positive. Got {limit!r}.")
    fired = np.any(eta[..., None] * lam > limit, axis=-1)
    return np.where(fired, eta / 2, eta), fired


def equilibrate(config: Config, temperatures: Sequence[float], chains: int = 4,
                seeds: int | Sequence[int] = 1, block: int = 10_000, record_every: int = 10,
                min_blocks: int = 4, max_blocks: int = 100) -> dict:
    """Burn-in of spec §2.3 with the adaptive step of §2.2 ([project] protocol).

    From θ0, all (seed, T, chain) run in blocks of ``block`` steps. After each block the step
    of each (seed, T) is reset to η = min(eta_max, eta_c/λ_1), with λ_1 the largest top Hessian
    eigenvalue over that T's chains at the block's end (the first block uses λ_1(θ0)); an
    explicit ``config.eta`` is kept fixed. Burn-in of a (seed, T) ends once, over its last four
    blocks (means L̄_b, std s of the recorded L), the least-squares slope β per block satisfies
    |β|·4 < 0.1·s; the loop stops when every (seed, T) has ended or after ``max_blocks``
    blocks (those not ended are flagged ``converged = False`` with their drift β).

    Returns the end states ``theta`` (n_seeds, n_T, chains, P), the steps ``eta`` (n_seeds,
    n_T) frozen at the block where each burn-in ended, ``lambda_1`` (n_seeds, n_T) measured
    there, ``converged``, ``beta_over_s`` (|β|·4/s at the end), ``blocks`` (number run) and
    ``block_means`` (n_seeds, n_T, blocks).
    """
    seeds = seed_list(config.seed, seeds)
    temps = [float(T) for T in temperatures]
    times = np.arange(0, block + 1, record_every)
    n_s, n_T = len(seeds), len(temps)
    lam = np.array([[pretrain(config, s)["lambda_1"]] * n_T for s in seeds])

    def rule(lam):
        if config.eta is not None:
            return np.full_like(lam, config.eta)
        return np.minimum(config.eta_max, config.eta_c / np.maximum(lam, 1e-300))

    eta = rule(lam)
    theta, means, sds = None, [], []
    done = np.zeros((n_s, n_T), bool)
    crit = np.full((n_s, n_T), np.inf)
    b = 0
    for b in range(1, max_blocks + 1):
        ds = simulate(config, times, seeds=seeds, temperatures=temps, chains=chains,
                      theta_start=theta, etas=eta, stream=10_000 + b, keep_state=True)
        new = ds["theta_final"].values
        theta = new if theta is None else np.where(done[:, :, None, None], theta, new)
        L = ds["loss_train"].values[..., 1:]
        means.append(np.where(done, means[-1] if means else 0.0, L.mean(axis=(2, 3))))
        sds.append(L.reshape(n_s, n_T, -1))
        lam_new = np.stack([top_eigenvalues(config, theta[i], s).max(axis=-1)
                            for i, s in enumerate(seeds)])
        lam = np.where(done, lam, lam_new)
        if b >= min_blocks:
            mb = np.stack(means[-4:], axis=-1)
            slope = np.polyfit(np.arange(4), mb.reshape(-1, 4).T, 1)[0].reshape(n_s, n_T)
            s_ = np.concatenate(sds[-4:], axis=-1).std(axis=-1)
            crit = np.where(done, crit, 4 * np.abs(slope) / np.where(s_ > 0, s_, 1.0))
            done = done | (crit < 0.1)
        eta = np.where(done, eta, rule(lam))
        if done.all():
            break
    return {"theta": theta, "eta": eta, "lambda_1": lam, "converged": done,
            "beta_over_s": crit, "blocks": b, "block_means": np.stack(means, axis=-1),
            "seeds": seeds, "temperatures": temps}


def _plain(d: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in d.items()}


def _grokking(ds, config: Config, seeds, dims) -> None:
    det = metrics.detector(config.threshold)
    mean_dims = [d for d in dims if d not in ("seed", "t")]
    red = ds[["acc_train", "acc_gen"]].mean(mean_dims) if mean_dims else ds
    t = ds["t"].values.astype(float)
    recs = []
    for i, s in enumerate(seeds):
        a_tr, a_gen = red["acc_train"].values[i], red["acc_gen"].values[i]
        t_tr = metrics.crossing_time(t, a_tr, det.level)
        t_gen = metrics.crossing_time(t, a_gen, det.level)
        recs.append(metrics.grokking_summary(t_tr, t_gen, det, float(t[-1]))
                    | {"seed": s, "crossing": "linear in log-time between records"})
    ds.attrs["grokking"] = recs


def predict(config: Config, times: Sequence[int] | None = None):
    """The harmonic prediction at θ0 (spec §2.8, §3.1; [derived] for a quadratic loss, the
    hypothesis claim C rejects): with the Hessian spectrum {k_a} of U at the pre-trained θ0
    (seed ``config.seed``; dense for P ≤ 3000, else the top 100 by Lanczos),

        ⟨L⟩(t) = L(θ0) + Σ_{k_a>0} T(1 − (1 − ηk_a)^{2t}) / (2(1 − ηk_a/2)),

    i.e. Euler–Maruyama on the quadratic model from θ0 with the gradient at θ0 neglected; the
    stationary value is L(θ0) + n_+T/2 for ηk_a ≪ 1. ``acc_gen`` is chance (1/K): the labels are
    independent of the inputs. ``attrs["summary"]`` gives λ_1, tr H0, n_+(k_th) and D.
    """
    import xarray as xr

    from groklab.dynamics.langevin import lanczos_top
    from groklab.models.langevin_mlp_net import Net, dense_hessian
    from groklab.theory.langevin import harmonic_prediction

    t = default_times(config) if times is None else np.asarray(times, dtype=np.int64)
    p = pretrain(config)
    net = Net.of(config)
    train = {"X": p["X"], "y": p["y"]}
    if net.n_params <= 3000:
        eigs = np.linalg.eigvalsh(dense_hessian(net, p["theta0"], train))
        spectrum = "dense"
    else:
        eigs = lanczos_top(_potential(net), p["theta0"], train, k=100, n_iter=200,
                           seed=config.seed)
        spectrum = "top 100 by Lanczos (n_+ is a lower bound when it reaches 100)"
    eta = step_size(config, p["lambda_1"])
    h = harmonic_prediction(eigs, config.T, eta, times=t)
    L0 = float(net.loss(p["theta0"], train))
    loss = L0 + h["mean_t"]
    ds = xr.Dataset(
        {"loss_train": ("t", loss), "acc_gen": ("t", np.full(t.size, 1.0 / config.n_classes))},
        coords={"t": t},
        attrs=result_attrs(ID, config, "theory", TIME_UNIT, n_params=net.n_params, eta=eta),
    )
    n_plus = h["n_plus"]
    ds.attrs["summary"] = {
        "model": "harmonic (quadratic at θ0), spec §2.8 — the hypothesis claim C rejects",
        "L0": L0, "lambda_1": h["lambda_1"], "trace_H0": h["trace"], "spectrum": spectrum,
        "n_plus": {f"{k:g}": v for k, v in n_plus.items()},
        "mean_dL_stationary": h["mean"], "var_L_stationary": h["var"],
        "D_predicted": 2 * h["mean"] / config.T, "eta": eta, "T": config.T,
    }
    ds.attrs["validity"] = ("quadratic model of U at θ0; the gradient at θ0 and all "
                            "anharmonicity are neglected")
    label_variables(ds, _ATTRS, TIME_UNIT)
    det = metrics.detector(config.threshold)
    ds.attrs["grokking"] = metrics.grokking_summary(0.0, math.nan, det, math.inf) | {
        "note": "θ0 has 100 % training accuracy; random labels: test accuracy stays 1/K"}
    return ds


def analyze(ds, burn_in: int | None = None, L0: float = 0.0) -> dict:
    """Fluctuation estimators (§2.5), stationarity (§2.3) and N_b / PR (§2.7) of a
    :func:`simulate` result, per seed and temperature, from the records with t ≥ ``burn_in``
    (default the config's). Chains are pooled. A (seed, T) whose production series fails the
    two-halves test is marked ``stationary = False`` and its estimators are NaN (reported, not
    averaged). Returns {(seed, T): dict}.
    """
    from groklab.theory.langevin import estimators, stationarity

    cfg = ds.attrs["config"]
    b = cfg["burn_in"] if burn_in is None else burn_in
    sel = ds.sel(t=ds["t"] >= b)
    temps = sel["T"].values if "T" in sel.dims else [cfg["T"]]
    N = cfg["n_train"]
    out = {}
    for s in sel["seed"].values:
        for T in temps:
            one = sel.sel(seed=s, T=T) if "T" in sel.dims else sel.sel(seed=s)
            L = np.atleast_2d(one["loss_train"].values)
            st = stationarity(L)
            est = estimators(L, float(T), L0)
            if not st["stationary"]:
                est = {k: math.nan for k in est}
            # PR = ⟨(Σ_i ℓ_i)²⟩ / ⟨Σ_i ℓ_i²⟩ with Σ_i ℓ_i = N·L
            pr = float(np.mean((N * L) ** 2) / np.mean(one["sum_ell_sq"].values))
            out[(int(s), float(T))] = est | st | {
                "n_b": float(np.mean(one["n_b"].values)), "pr": pr,
                "acc_train": float(np.mean(one["acc_train"].values)),
                "low_loss": bool(np.mean(one["acc_train"].values) >= 0.99
                                 and np.mean(L) <= 0.05),
            }
    return out


def curvature(config: Config, theta, seed: int | None = None, k: int = 20, n_iter: int = 60,
              n_probes: int = 100) -> dict:
    """Curvature of U at ``theta`` (spec §2.6): the top-``k`` eigenvalues (Lanczos, ``n_iter``
    iterations, full reorthogonalisation), tr H (Hutchinson, ``n_probes`` Rademacher probes,
    with its standard error), tr H_GN (per-sample gradients; binary only) and the curvature
    along the gradient gᵀHg/‖g‖²."""
    from groklab.dynamics import jax, jnp
    from groklab.dynamics.langevin import hutchinson_trace, hvp, lanczos_top
    from groklab.models.langevin_mlp_net import Net, gn_trace

    p = pretrain(config, seed)
    net = Net.of(config)
    pot = _potential(net)  # one function object per network: the compiled kernels are reused
    train = {"X": p["X"], "y": p["y"]}
    theta = jnp.asarray(theta, jnp.float64)
    top = lanczos_top(pot, theta, train, k=k, n_iter=n_iter)
    tr, tr_se = hutchinson_trace(pot, theta, train, n_probes=n_probes)
    g = jax.grad(pot)(theta, train)
    gHg = float(jnp.dot(g, hvp(pot, theta, train, g)) / jnp.dot(g, g))
    out = {"top": top, "lambda_1": float(top[0]), "trace": tr, "trace_se": tr_se,
           "grad_curvature": gHg}
    if config.n_classes == 2:
        out["trace_gn"] = float(gn_trace(net, theta, train))
    return out

"""Batched ensemble training of the rule-learning model (Žunkovič & Ilievski 2024, Sec. 4, §5).

Spec ``zunkovic2024-local-rules.md`` §4.2–4.5 and §5. Every member of an ensemble (one member per
seed) runs in ONE jit-compiled computation: ``vmap`` over the members, ``lax.scan`` over the
record segments, and a ``fori_loop`` over the optimizer steps in between. Tensors that every
member shares (a fixed attention: Eq. 68 or an App. C example, and the contexts it gives) are not
batched, so they are computed once.

One optimizer step (:class:`~groklab.models.rule_learning_config.Config` documents the options):

* ``adam``: a minibatch of ``batch_size`` strings in the order of a fresh permutation per epoch
  (key ``(seed, "shuffle")`` folded with the epoch; the last batch of an epoch may be shorter);
  loss = mean over the batch's sites of the per-site loss + λ1 Σ‖θ‖₁; update = optax
  ``add_decayed_weights(λ2)`` (coupled L2) then ``adam(lr)`` (PyTorch defaults).
* ``gd``: the full training set; θ ← S_{lr·λ1}(θ − lr(∇L + λ2θ)) with S the soft threshold.
* crops (``crop_min``): key ``(seed, "crop")`` folded with the step gives one window length and
  per-string starts; the labels are recomputed on the window.

Records at each requested step (data terms only, no penalty):

* ``loss_train``, ``acc_train``: mean per-site loss and per-site accuracy (y·ŷ > 0) on all 2^M
  training strings;
* ``loss_gen``, ``acc_gen``: the same on the random test strings (acc_gen = 1 − E_test);
* ``err_exact``: per-site error pooled over every string of length 3…``exact_length``;
* ``zero_error``: 1 where E_test = 0 and err_exact = 0 (spec §5 "zero test error"), else 0;
* ``d_eff``: D_eff (Sec. 4.3.1) of the left context vectors ℓ_N(i) at the 7 central sites of every
  test string (closed boundaries: the flattened H^L_N(i));
* ``norm_A``, ``norm_B``: Frobenius norms;

and, dense, ``loss_epoch``: the mean of the minibatch losses of every epoch (the series of the
spike detector, :func:`groklab.theory.local_rules_stats.detect_spikes`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from groklab.dynamics import jax, jnp
from groklab.dynamics.gd import as_increments, pop_finite_or_raise
from groklab.models import rule_learning_tn as tn
from groklab.models.rule_learning_ca import all_strings, apply_rule, random_crops, random_strings
from groklab.models.rule_learning_config import Config

__all__ = ["build_data", "epoch_batches", "init_members", "run_ensemble"]


def _dtype(config: Config):
    return np.float32 if config.precision == "float32" else np.float64


# ---- data ----------------------------------------------------------------------------------------
def build_data(config: Config, pad_exact: bool = True) -> dict:
    """The data shared by every member, as NumPy arrays in ``config.precision``:
    ``X_train``/``y_train`` (2^M, M), ``X_test``/``y_test`` (n_test, test_length) from key
    ``(test_seed, "test")``, and ``exact``: a list of (X, y, mask) holding every string of length
    3…exact_length. With open boundaries and ``pad_exact`` the lengths are padded into one array
    (mask True on the real sites; the padding acts as identity transfer matrices), otherwise
    there is one entry per length with mask None."""
    dt = _dtype(config)

    def label(x):
        return apply_rule(x, config.rule, config.k_local, config.bc)

    x_train = all_strings(config.train_length)
    x_test = np.asarray(_test_strings(config.test_seed, config.n_test, config.test_length))
    lengths = range(3, config.exact_length + 1)
    if pad_exact and config.bc == "open":
        L = config.exact_length
        xs = [np.pad(all_strings(m), ((0, 0), (0, L - m)), constant_values=-1.0)
              for m in lengths]
        masks = [np.broadcast_to(np.arange(L) < m, (2**m, L)) for m in lengths]
        x, mask = np.concatenate(xs), np.concatenate(masks)
        exact = [(x.astype(dt), apply_rule(x, config.rule, config.k_local, "open", mask)
                  .astype(dt), mask)]
    else:
        exact = [(all_strings(m).astype(dt), label(all_strings(m)).astype(dt), None)
                 for m in lengths]
    return {
        "X_train": x_train.astype(dt), "y_train": label(x_train).astype(dt),
        "X_test": x_test.astype(dt), "y_test": label(x_test).astype(dt), "exact": exact,
    }


@functools.partial(jax.jit, static_argnums=(1, 2))
def _test_strings(seed, n: int, length: int):
    return random_strings(tn.key_for(seed, "test"), n, length)


# ---- initial tensors --------------------------------------------------------------------------
#: Seeds drawn per compiled call of the initial tensors (the last chunk is padded).
_DRAW_CHUNK = 64


@functools.partial(jax.jit, static_argnums=1)
def _normal_draw(seeds, d: int) -> dict:
    """A, B (d, d, 2) and v^L, v^R (d,) ~ N(0, 1) of each seed, key ``(seed, "init")``."""

    def one(seed):
        kA, kB, kL, kR = jax.random.split(tn.key_for(seed, "init"), 4)
        return {"A": jax.random.normal(kA, (d, d, 2), jnp.float64),
                "B": jax.random.normal(kB, (d, d, 2), jnp.float64),
                "vL": jax.random.normal(kL, (d,), jnp.float64),
                "vR": jax.random.normal(kR, (d,), jnp.float64)}

    return jax.vmap(one)(seeds)


def _normal_draws(seeds, d: int) -> dict:
    """:func:`_normal_draw` in chunks of a fixed size: one compilation per d, whatever the
    number of seeds (each seed's draw depends on its own key only)."""
    seeds = np.asarray(seeds, np.int64)
    pad = -len(seeds) % _DRAW_CHUNK
    padded = np.concatenate([seeds, np.zeros(pad, np.int64)]).reshape(-1, _DRAW_CHUNK)
    parts = [_normal_draw(jnp.asarray(c), d) for c in padded]
    return {k: np.concatenate([np.asarray(p[k]) for p in parts])[: len(seeds)]
            for k in parts[0]}


@functools.partial(jax.jit, static_argnums=2)
def _attention_draw(seed, retry, d: int):
    """A ~ N(0, 1) of key ``(seed, "attention")`` (``retry`` = 0) or its redraw number ``retry``
    (the key folded with ``retry``)."""
    key = tn.key_for(seed, "attention")
    key = jnp.where(retry > 0, jax.random.fold_in(key, retry), key)
    return jax.random.normal(key, (d, d, 2), jnp.float64)


@functools.partial(jax.jit, static_argnums=2)
def _init_redraw(seed, retry, d: int):
    """A redraw of the initial A (trainable attention with eigenvector boundaries)."""
    key = jax.random.fold_in(jax.random.split(tn.key_for(seed, "init"), 4)[0], retry)
    return jax.random.normal(key, (d, d, 2), jnp.float64)


def _real_top(first: np.ndarray, redraw, max_tries: int = 1000):
    """``first`` (a draw of A), or the redraws ``redraw(r)``, r = 1, 2, …, until A_0 has a real
    top eigenvalue; returns (A, v^L, v^R, number of rejected draws)."""
    A = np.asarray(first)
    for r in range(max_tries):
        try:
            vL, vR, _ = tn.top_eigenvectors(A[:, :, 0])
            return A, vL, vR, r
        except ValueError:
            A = np.asarray(redraw(r + 1))
    raise RuntimeError(f"No draw of A_0 with a real top eigenvalue in {max_tries} tries.")


def _random_attention(config: Config, seed: int, max_tries: int = 1000):
    """Member ``seed``'s random attention: the first draw (retry 0, 1, …) whose A_0 has a real
    top eigenvalue (open boundaries) or, with ``config.reject``, that also groks at w^λ."""
    from groklab.models import rule_learning_theory as th

    if config.reject:
        return th.rejection_sample_attention(config, seed)
    for r in range(max_tries):
        att = th.random_attention(config, seed, r)
        if att is not None:
            return att, r
    raise RuntimeError(f"No draw of A_0 with a real top eigenvalue in {max_tries} tries.")


def init_members(config: Config, seeds, attention: dict | None = None) -> tuple[dict, dict, dict]:
    """Initial tensors of every member, as NumPy arrays in ``config.precision``.

    Returns ``(member, shared, info)``: ``member`` holds the arrays that differ per member
    (leading axis = seed), ``shared`` the fixed ones every member uses (the exact or App. C
    attention and its eigenvectors), ``info`` the number of rejected attention draws per seed.
    B (and a trainable A, v^L, v^R) are N(0, 1) from key ``(seed, "init")``; a random attention
    comes from key ``(seed, "attention")``, redrawn until A_0 has a real top eigenvalue (open
    boundaries) and, with ``config.reject``, until its w^λ reaches zero test error.
    ``attention`` ({"A": (d, d, 2)} and, open boundaries, "vL", "vR"; e.g. a trained A, Fig. 12)
    replaces the fixed attention of ``config`` (which must not be ``"trainable"``)."""
    dt = _dtype(config)
    seeds = [int(s) for s in seeds]
    draws = _normal_draws(seeds, config.d)
    d = config.d
    member: dict = {"B": draws["B"]}
    shared: dict = {}
    rejected = np.zeros(len(seeds), np.int64)
    open_bc = config.bc == "open"
    if config.attention == "trainable":
        if config.boundary_eff == "eigen":
            out = [_real_top(a, lambda r, s=s: _init_redraw(s, r, d))
                   for a, s in zip(draws["A"], seeds, strict=True)]
            member["A"] = np.stack([o[0] for o in out])
            member["vL"], member["vR"] = (np.stack([o[i] for o in out]) for i in (1, 2))
            rejected = np.array([o[3] for o in out])
        else:
            member["A"] = draws["A"]
            if open_bc:
                member["vL"], member["vR"] = draws["vL"], draws["vR"]
    elif config.attention == "random":
        out = [_random_attention(config, s) for s in seeds]
        for name in out[0][0]:
            member[name] = np.stack([o[0][name] for o in out])
        rejected = np.array([o[1] for o in out])
    else:
        A = tn.exact_attention() if config.attention == "exact" else \
            tn.example_attention(config.example)
        shared["A"] = A
        if open_bc:
            shared["vL"], shared["vR"], _ = tn.top_eigenvectors(A[:, :, 0])
    if attention is not None:
        if not config.fixed_attention:
            raise ValueError("A given attention needs a fixed-attention config (attention="
                             "'exact', 'fixed-example' or 'random'); only B is trained then.")
        need = {"A", "vL", "vR"} if open_bc else {"A"}
        if set(attention) != need or np.shape(attention["A"]) != (d, d, 2):
            raise ValueError(f"attention must hold exactly {sorted(need)} with A of shape "
                             f"({d}, {d}, 2). Got {sorted(attention)}.")
        for name in ("A", "vL", "vR"):
            member.pop(name, None)
        shared = {k: np.asarray(v, float) for k, v in attention.items()}
        rejected = np.zeros(len(seeds), np.int64)
    cast = lambda d: {k: np.asarray(v, dt) for k, v in d.items()}  # noqa: E731
    return cast(member), cast(shared), {"rejected_attention_draws": rejected}


def epoch_batches(config: Config, seed: int, epoch: int) -> np.ndarray:
    """Indices of the training strings of each minibatch of ``epoch`` for member ``seed``
    (steps_per_epoch, batch) with −1 padding the short last batch: the order the compiled loop
    uses (for an outside implementation, e.g. the PyTorch benchmark)."""
    n, bs, spe = config.n_train, config.batch_eff, config.steps_per_epoch
    if spe == 1:
        perm = np.arange(n)
    else:
        perm = np.asarray(_permutation(tn.key_for(seed, "shuffle"), epoch, n))
    pos = np.arange(spe * bs)
    return np.where(pos < n, perm[np.minimum(pos, n - 1)], -1).reshape(spe, bs)


@functools.partial(jax.jit, static_argnums=2)
def _permutation(key, epoch, n: int):
    return jax.random.permutation(jax.random.fold_in(key, epoch), n)


# ---- the compiled ensemble run ------------------------------------------------------------------
class _Spec(NamedTuple):
    """Static description of a run (what the compiled function depends on; ``rule`` and
    ``k_local`` are 0 without crops, where the labels are data, so K = 1, 2, 3 share one
    compilation)."""

    bc: str
    rule: int
    k_local: int
    loss: str
    optimizer: str
    trainable: tuple[str, ...]
    batch: int
    steps_per_epoch: int
    crop_min: int
    n_epochs: int  # per-epoch loss buffer: a power of 2 ≥ the horizon's epochs and config.epochs
    deff_sites: tuple[int, ...]
    record_params: bool = False

    @classmethod
    def of(cls, config: Config, horizon: int) -> _Spec:
        spe = config.steps_per_epoch
        epochs = max(1, -(-horizon // spe), config.epochs)
        crop = config.crop_min is not None  # the teacher enters the step only via crops
        return cls(config.bc, config.rule if crop else 0, config.k_local if crop else 0,
                   config.loss_eff, config.optimizer_eff,
                   config.trainable, config.batch_eff, spe, config.crop_min or 0,
                   1 << (epochs - 1).bit_length(),  # a power of 2: fewer recompilations
                   tuple(int(i) for i in tn.central_sites(config.test_length)))


def _site_loss(yhat, y, kind: str):
    if kind == "sigmoid-mse":
        return 0.5 * (jax.nn.sigmoid(yhat) - 0.5 * (1 + y)) ** 2
    return 0.5 * (yhat - y) ** 2


def _l1(p: dict):
    return sum(jnp.sum(jnp.abs(v)) for v in p.values())


def _member_run(spec: _Spec, member: dict, shared: dict, keys: dict, hyper: dict, data: dict,
                increments):
    """One member's records (time first) and its dense per-epoch loss."""
    import optax

    bc, kind = spec.bc, spec.loss
    start = {**shared, **member}
    fixed = {k: v for k, v in start.items() if k not in spec.trainable}
    P0 = {k: start[k] for k in spec.trainable}
    cache = "A" not in spec.trainable and "vL" not in spec.trainable  # contexts are constant
    X, Y = data["X_train"], data["y_train"]
    n = X.shape[0]
    ctx_train = tn.contexts(fixed, X, bc) if cache else None
    ctx_test = tn.contexts(fixed, data["X_test"], bc) if cache else None
    ctx_exact = [tn.contexts(fixed, x, bc, m) if cache else None for x, _, m in data["exact"]]

    def out(P, x, ctx=None, mask=None):
        """ŷ of every site; ``ctx``: the cached contexts of ``x`` (with ``mask``, if any)."""
        full = {**fixed, **P}
        if ctx is not None:
            return tn.output_from_contexts(ctx, full["B"], x, bc)
        return tn.forward(full, x, bc, mask)

    def batch_of(step, perm):
        """Strings, labels, site weights (and crop mask) of one optimizer step."""
        if spec.steps_per_epoch == 1:
            idx, valid = jnp.arange(n), jnp.ones(n, bool)
        else:
            b = step % spec.steps_per_epoch
            pos = b * spec.batch + jnp.arange(spec.batch)
            valid = pos < n
            idx = perm[jnp.minimum(pos, n - 1)]
        xb, yb = X[idx], Y[idx]
        w = jnp.broadcast_to(valid[:, None], xb.shape).astype(X.dtype)
        mask = None
        if spec.crop_min:
            mask = random_crops(jax.random.fold_in(keys["crop"], step), idx.shape[0],
                                X.shape[1], spec.crop_min)
            yb = apply_rule(xb, spec.rule, spec.k_local, "open", mask=mask, xp=jnp)
            w = w * mask
        ctx = None
        if ctx_train is not None and mask is None:
            ctx = jax.tree_util.tree_map(lambda a: a[idx], ctx_train)
        return xb, yb, w, mask, ctx

    def data_loss(P, xb, yb, w, mask, ctx):
        per = _site_loss(out(P, xb, ctx, mask), yb, kind)
        return jnp.sum(w * per) / jnp.sum(w)

    if spec.optimizer == "adam":
        tx = optax.chain(optax.add_decayed_weights(hyper["lam2"]), optax.adam(hyper["lr"]))
        opt0 = tx.init(P0)
    else:
        tx, opt0 = None, ()

    def shuffle(k, perm):
        """The permutation of epoch k // steps_per_epoch, drawn at its first step only (``k``
        is not batched, so this is a real branch under ``vmap``)."""
        if spec.steps_per_epoch == 1:
            return perm
        epoch = k // spec.steps_per_epoch
        return jax.lax.cond(
            k % spec.steps_per_epoch == 0,
            lambda: jax.random.permutation(jax.random.fold_in(keys["shuffle"], epoch), n),
            lambda: perm)

    def step(k, state):
        P, opt, buf, perm = state
        perm = shuffle(k, perm)
        xb, yb, w, mask, ctx = batch_of(k, perm)
        if spec.optimizer == "adam":
            def objective(P):
                dl = data_loss(P, xb, yb, w, mask, ctx)
                return dl + hyper["lam1"] * _l1(P), dl

            (_, dl), g = jax.value_and_grad(objective, has_aux=True)(P)
            upd, opt = tx.update(g, opt, P)
            P = optax.apply_updates(P, upd)
        else:
            dl, g = jax.value_and_grad(data_loss)(P, xb, yb, w, mask, ctx)
            lr, thr = hyper["lr"], hyper["lr"] * hyper["lam1"]
            P = {name: _soft(P[name] - lr * (g[name] + hyper["lam2"] * P[name]), thr)
                 for name in P}
        epoch = jnp.minimum(k // spec.steps_per_epoch, spec.n_epochs - 1)
        buf = buf.at[epoch].add(dl / spec.steps_per_epoch)
        return P, opt, buf, perm

    def observe(P):
        full = {**fixed, **P}
        yt = out(P, X, ctx_train)
        ctx_t = ctx_test if cache else tn.contexts(full, data["X_test"], bc)
        yg = tn.output_from_contexts(ctx_t, full["B"], data["X_test"], bc)
        Yt = data["y_test"]
        wrong, sites = 0.0, 0
        for (xe, ye, me), ce in zip(data["exact"], ctx_exact, strict=True):
            bad = ye * out(P, xe, ce, me) <= 0
            wrong = wrong + jnp.sum(bad if me is None else bad & me)
            sites = sites + (ye.size if me is None else jnp.sum(me))
        err_exact = wrong / sites
        acc_gen = jnp.mean((Yt * yg > 0).astype(yg.dtype))
        left = ctx_t[0][:, jnp.asarray(spec.deff_sites)]
        pts = left.reshape(-1, left.shape[-1] if bc == "open" else left.shape[-1] ** 2)
        rec = {
            "loss_train": jnp.mean(_site_loss(yt, Y, kind)),
            "acc_train": jnp.mean((Y * yt > 0).astype(yt.dtype)),
            "loss_gen": jnp.mean(_site_loss(yg, Yt, kind)),
            "acc_gen": acc_gen,
            "err_exact": err_exact.astype(yg.dtype),
            "zero_error": ((acc_gen == 1) & (wrong == 0)).astype(yg.dtype),
            "d_eff": tn.d_eff(pts),
            "norm_A": jnp.sqrt(jnp.sum(full["A"] ** 2)),
            "norm_B": jnp.sqrt(jnp.sum(full["B"] ** 2)),
        }
        if spec.record_params:
            rec |= {f"param_{k}": v for k, v in P.items()}
        finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(v)) for v in P.values()]))
        rec["finite"] = finite & jnp.isfinite(rec["loss_train"])
        return rec

    def segment(state, inc):
        m, start = inc
        state = jax.lax.fori_loop(start, start + m, step, state)
        return state, observe(state[0])

    buf0 = jnp.zeros(spec.n_epochs, X.dtype)
    state0 = (P0, opt0, buf0, jnp.arange(n))
    starts = jnp.cumsum(increments) - increments  # the step count before each segment
    (_, _, buf, _), records = jax.lax.scan(segment, state0, (increments, starts))
    return records, buf


def _soft(v, thr):
    """Soft threshold S_thr(v) = sgn(v) max(|v| − thr, 0) (the proximal step of thr·‖v‖₁)."""
    return jnp.sign(v) * jnp.maximum(jnp.abs(v) - thr, 0.0)


@functools.partial(jax.jit, static_argnames=("spec", "per_member"))
def _run(spec: _Spec, member, shared, keys, hyper, data, increments, per_member: bool = False):
    fn = functools.partial(_member_run, spec)
    return jax.vmap(fn, in_axes=(0, None, 0, 0 if per_member else None, None, None))(
        member, shared, keys, hyper, data, increments)


def run_ensemble(config: Config, seeds, times, *, attention: dict | None = None,
                 record_params: bool = False, lams=None) -> dict:
    """Train one member per seed, all in one compiled call; record at ``times`` (optimizer
    steps, sorted, starting at any step ≥ 0).

    Parameters
    ----------
    attention : optional fixed attention replacing the config's (see :func:`init_members`).
    record_params : also record the trained tensors (``param_A``, ``param_B``, …) at every
        record time, e.g. to plot the context vectors along a run (Figs. 21–22).
    lams : optional sequence of (λ1, λ2) settings replacing the config's: every seed is trained
        once per setting (same initial tensors and batch order), all in the same compiled call,
        and every returned array gets a leading setting axis (Figs. 19–27: none / L2 / L1).

    Returns a dict of NumPy arrays: the records of the module docstring with shape
    (seed, time), ``loss_epoch`` (seed, epoch), ``rejected_attention_draws`` (seed,) and, with
    ``record_params``, ``param_*`` (seed, time, …). Raises ``ValueError`` naming the step at
    which a member's tensors became non-finite.
    """
    times = np.asarray(times)
    increments = as_increments(times)
    seeds = [int(s) for s in seeds]
    dt = _dtype(config)
    member, shared, info = init_members(config, seeds, attention)
    data = build_data(config)
    keys = {"shuffle": jnp.stack([tn.key_for(s, "shuffle") for s in seeds]),
            "crop": jnp.stack([tn.key_for(s, "crop") for s in seeds])}
    n_set = 1
    if lams is None:
        hyper = {k: jnp.asarray(v, dt) for k, v in
                 (("lr", config.lr_eff), ("lam1", config.lam1), ("lam2", config.lam2))}
    else:
        lam = np.asarray(lams, dtype=float)
        if lam.ndim != 2 or lam.shape[1] != 2 or lam.shape[0] < 1 or np.any(lam < 0) \
                or not np.all(np.isfinite(lam)):
            raise ValueError(f"lams must be a non-empty sequence of (lam1, lam2) pairs, each "
                             f"≥ 0. Got {lams!r}.")
        n_set = lam.shape[0]
        rep = lambda a: np.repeat(a, len(seeds))  # noqa: E731  (setting-major member order)
        hyper = {"lr": jnp.full(n_set * len(seeds), config.lr_eff, dt),
                 "lam1": jnp.asarray(rep(lam[:, 0]), dt), "lam2": jnp.asarray(rep(lam[:, 1]), dt)}
        tile = lambda a: np.concatenate([np.asarray(a)] * n_set)  # noqa: E731
        member = {k: tile(v) for k, v in member.items()}
        keys = {k: jnp.concatenate([v] * n_set) for k, v in keys.items()}
    spec = _Spec.of(config, int(times[-1]))._replace(record_params=bool(record_params))
    records, buf = _run(spec, member, shared, keys, hyper, data, jnp.asarray(increments),
                        per_member=lams is not None)
    records = {k: np.asarray(v) for k, v in records.items()}
    records = pop_finite_or_raise(
        records, times, f"lower lr (lr={config.lr_eff!r}, optimizer={config.optimizer_eff!r}).")
    records["loss_epoch"] = np.asarray(buf)[:, : max(1, -(-int(times[-1]) // spec.steps_per_epoch))]
    if lams is not None:
        records = {k: v.reshape((n_set, len(seeds)) + v.shape[1:]) for k, v in records.items()}
        info = {k: np.stack([v] * n_set) for k, v in info.items()}
    records.update(info)
    return records

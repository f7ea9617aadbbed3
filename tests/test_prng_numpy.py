"""groklab.prng_numpy recomputes jax.random's threefry draws in NumPy: keys, bits, uniforms and
Rademacher signs bit-identical, normals to a few ulp; the logit-reg predict draw equals the
simulate draw and predict does not import JAX."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from groklab import prng_numpy as P
from groklab.dynamics import jax, jnp

SEEDS = [0, 1, 977, 2**32 + 5]
SHAPES = [(1,), (7,), (4, 3), (33, 21)]


@pytest.mark.parametrize("seed", SEEDS)
def test_keys_are_bit_identical(seed):
    key = jax.random.PRNGKey(seed)
    np.testing.assert_array_equal(P.prng_key(seed), np.asarray(key))
    folded = jax.random.fold_in(key, 3)
    np.testing.assert_array_equal(P.fold_in(P.prng_key(seed), 3), np.asarray(folded))
    for num in (2, 5):
        np.testing.assert_array_equal(P.split(P.fold_in(P.prng_key(seed), 3), num),
                                      np.asarray(jax.random.split(folded, num)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_draws_match_jax(seed, shape):
    key = jax.random.fold_in(jax.random.PRNGKey(seed), 1)
    k = np.asarray(key)
    np.testing.assert_array_equal(P.random_bits(k, 64, shape),
                                  np.asarray(jax.random.bits(key, shape, jnp.uint64)))
    np.testing.assert_array_equal(P.random_bits(k, 32, shape),
                                  np.asarray(jax.random.bits(key, shape, jnp.uint32)))
    np.testing.assert_array_equal(P.uniform(k, shape),
                                  np.asarray(jax.random.uniform(key, shape, jnp.float64)))
    # scaled: to 1 ulp (XLA may fuse the multiply-add)
    np.testing.assert_allclose(P.uniform(k, shape, -2.0, 3.0),
                               np.asarray(jax.random.uniform(key, shape, jnp.float64, -2.0, 3.0)),
                               rtol=3e-16, atol=5e-16)
    np.testing.assert_array_equal(P.rademacher(k, shape),
                                  np.asarray(jax.random.rademacher(key, shape, jnp.float64)))
    z = np.asarray(jax.random.normal(key, shape, jnp.float64))
    np.testing.assert_allclose(P.normal(k, shape), z, rtol=1e-13, atol=1e-15)


def test_bit_width_is_checked():
    with pytest.raises(ValueError, match="bit_width must be 32 or 64"):
        P.random_bits(P.prng_key(0), 16, (3,))


@pytest.mark.parametrize("kw", [{"d": 30, "n_train": 41, "sigma_f": 0.0, "seed": 0},
                                {"d": 7, "n_train": 50, "sigma_f": 0.7, "sigma_n": 2.5, "seed": 9}])
def test_predict_draw_is_the_simulate_draw(kw):
    from groklab.models import logit_reg as m
    from groklab.models.logit_reg_data import training_xp
    from groklab.models.logit_reg_sim import sample

    cfg = m.Config(**kw)
    np.testing.assert_allclose(training_xp(cfg), np.asarray(sample(cfg, cfg.seed)["Xp"]),
                               rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kw", [{"d": 12, "n_train": 31, "seed": 0},
                                {"d": 40, "n_train": 25, "sigma": 0.3, "seed": 4}])
def test_separability_predict_draw_is_the_simulate_draw(kw):
    from groklab.models import separability as s

    cfg = s.Config(**kw)
    np.testing.assert_allclose(s._training_inputs(cfg), np.asarray(s.sample(cfg)["X"]),
                               rtol=1e-13, atol=1e-14)


def test_training_xp_refuses_other_laws():
    from groklab.models import logit_reg as m
    from groklab.models.logit_reg_data import training_xp

    with pytest.raises(ValueError, match="binary Gaussian"):
        training_xp(m.Config(d=10, n_train=40, noise="student_t"))


@pytest.mark.parametrize("model", ["logit_reg", "separability"])
def test_predict_does_not_import_jax(model):
    code = (f"import sys\nfrom groklab.models import {model} as m\n"
            "m.predict(m.Config(d=20, n_train=40))\n"
            "print(sorted(k for k in sys.modules if k == 'jax' or k.startswith('jax.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

"""The cellular-automaton teacher (Žunkovič & Ilievski 2024, Sec. 4.1; claim LR-22)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from groklab.models.rule_learning_ca import (
    all_strings,
    apply_rule,
    neighbourhood_index,
    random_crops,
    rule_table,
)

#: Eq. 52, copied from the paper's table: (x_{i−1}, x_i, x_{i+1}) → y_i.
EQ52 = {(-1, -1, -1): -1, (-1, -1, 1): 1, (-1, 1, -1): 1, (-1, 1, 1): 1,
        (1, -1, -1): 1, (1, -1, 1): -1, (1, 1, -1): -1, (1, 1, 1): -1}


def _rule30_xor(left, c, r):
    """y = l XOR (c OR r) in {0, 1} (LR-22), mapped back to ±1."""
    b = lambda v: v > 0  # noqa: E731
    return 1 if b(left) ^ (b(c) or b(r)) else -1


def _brute_open(x, k):
    """K applications of Eq. 52 with explicit −1 padding at every application."""
    y = list(x)
    for _ in range(k):
        p = [-1, *y, -1]
        y = [EQ52[(p[i - 1], p[i], p[i + 1])] for i in range(1, len(p) - 1)]
    return np.array(y, float)


def _brute_closed(x, k):
    y = list(x)
    m = len(y)
    for _ in range(k):
        y = [EQ52[(y[(i - 1) % m], y[i], y[(i + 1) % m])] for i in range(m)]
    return np.array(y, float)


def test_rule30_table_is_eq52_and_l_xor_c_or_r():
    table = rule_table(30)
    for (left, c, r), y in EQ52.items():
        v = 4 * (left > 0) + 2 * (c > 0) + (r > 0)
        assert table[v] == y
        assert _rule30_xor(left, c, r) == y
        # the {0,1} polynomial form (l + c + r + c·r) mod 2 of the spec
        lb, cb, rb = (int(s > 0) for s in (left, c, r))
        assert (2 * ((lb + cb + rb + cb * rb) % 2) - 1) == y


def test_other_wolfram_rules_follow_the_bit_convention():
    # rule 90: y = l XOR r; rule 110 table from its binary expansion 01101110
    for left, c, r in itertools.product((-1, 1), repeat=3):
        v = 4 * (left > 0) + 2 * (c > 0) + (r > 0)
        assert rule_table(90)[v] == (1 if (left > 0) ^ (r > 0) else -1)
        assert rule_table(110)[v] == (1 if (0b01101110 >> v) & 1 else -1)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_k_local_is_k_applications_open_and_closed(k):
    X = all_strings(7)
    y_open = apply_rule(X, 30, k, "open")
    y_closed = apply_rule(X, 30, k, "closed")
    for x, yo, yc in zip(X[::5], y_open[::5], y_closed[::5], strict=True):
        np.testing.assert_array_equal(yo, _brute_open(x, k))
        np.testing.assert_array_equal(yc, _brute_closed(x, k))
    # K applications of the 1-local map
    y = X
    for _ in range(k):
        y = apply_rule(y, 30, 1, "open")
    np.testing.assert_array_equal(y, y_open)


def test_open_boundary_pads_with_minus_one_and_closed_is_periodic():
    x = np.array([1.0, -1.0, -1.0, 1.0, 1.0])
    v = neighbourhood_index(x, "open")
    assert v[0] == 4 * 0 + 2 * 1 + 0  # (−1, +, −)
    assert v[-1] == 4 * 1 + 2 * 1 + 0  # (+, +, −)
    vc = neighbourhood_index(x, "closed")
    assert vc[0] == 4 * 1 + 2 * 1 + 0  # left neighbour of site 1 is x_M = +1
    assert vc[-1] == 4 * 1 + 2 * 1 + 1  # right neighbour of site M is x_1 = +1
    # closed labels are shift-equivariant, open ones are not
    X = all_strings(6)
    yc = apply_rule(X, 30, 2, "closed")
    np.testing.assert_array_equal(apply_rule(np.roll(X, 2, axis=1), 30, 2, "closed"),
                                  np.roll(yc, 2, axis=1))


def test_all_strings_are_distinct_and_ordered():
    X = all_strings(5)
    assert X.shape == (32, 5)
    assert len({tuple(r) for r in X}) == 32
    np.testing.assert_array_equal(X[0], -np.ones(5))
    np.testing.assert_array_equal(X[1], [-1, -1, -1, -1, 1])


@pytest.mark.parametrize("k", [1, 2])
def test_masked_labels_equal_the_cropped_string(k):
    """A crop window relabels the string as if it were cut out (open BC at every application)."""
    from groklab.dynamics import jax, jnp

    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, 1.0], size=(64, 10))
    mask = np.asarray(random_crops(jax.random.PRNGKey(1), 64, 10, 6))
    lengths = mask.sum(axis=1)
    assert np.all(lengths == lengths[0]) and 6 <= lengths[0] <= 10
    y = np.asarray(apply_rule(jnp.asarray(X), 30, k, "open", mask=jnp.asarray(mask), xp=jnp))
    for x, m, yy in zip(X, mask, y, strict=True):
        np.testing.assert_array_equal(yy[m], _brute_open(x[m], k))
        assert np.all(yy[~m] == -1)


def test_crop_starts_cover_every_offset():
    from groklab.dynamics import jax

    starts = set()
    for s in range(40):
        m = np.asarray(random_crops(jax.random.PRNGKey(s), 32, 10, 6))
        starts |= set(np.argmax(m, axis=1).tolist())
    assert starts == set(range(5))


def test_bad_inputs():
    with pytest.raises(ValueError, match="rule"):
        rule_table(256)
    with pytest.raises(ValueError, match="k_local"):
        apply_rule(all_strings(3), 30, 0)
    with pytest.raises(ValueError, match="bc"):
        apply_rule(all_strings(3), 30, 1, "periodic")
    with pytest.raises(ValueError, match="length"):
        all_strings(0)
    with pytest.raises(ValueError, match="min_length"):
        random_crops(None, 4, 5, 6)

"""Labels, sample weights and purged cross-validation (py_rt.ml): known
values, no look-ahead, and purging checked against a brute-force rule."""

import itertools

import numpy as np
import pandas as pd
import pytest

import py_rt


def closes(values, freq="D"):
    return pd.Series(values, index=pd.date_range("2024-01-01", periods=len(values), freq=freq), dtype=float)


def walk(n, seed=0):
    rng = np.random.default_rng(seed)
    return closes(100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))))


def test_fixed_horizon_returns_signs_and_ends():
    c = closes([100, 101, 99, 99, 104])
    lab = py_rt.ml.fixed_horizon(c, horizon=2, threshold=0.005)
    assert lab["ret"].iloc[0] == pytest.approx(99 / 100 - 1)
    assert lab["label"].tolist()[:3] == [-1.0, -1.0, 1.0]
    assert lab["t1"].iloc[0] == c.index[2]
    assert lab["label"].iloc[3:].isna().all() and lab["t1"].iloc[3:].isna().all()
    # Flat within the threshold is 0.
    assert py_rt.ml.fixed_horizon(closes([100, 100.2, 100.1]), 1, threshold=0.01)["label"].iloc[0] == 0.0


def test_a_horizon_longer_than_the_data_is_an_error():
    c = closes([100, 101, 102])
    for h in (3, 10):
        with pytest.raises(ValueError, match=rf"label horizon \({h} bars\) is longer than the data \(3 bars\)"):
            py_rt.ml.fixed_horizon(c, h)
        with pytest.raises(ValueError, match="longer than the data"):
            py_rt.ml.triple_barrier(c, h, volatility=0.01)
    with pytest.raises(ValueError, match="at least 1"):
        py_rt.ml.fixed_horizon(c, 0)
    with pytest.raises(ValueError, match="positive prices"):
        py_rt.ml.fixed_horizon(closes([100, 0, 101]), 1)
    with pytest.raises(ValueError, match="close column"):
        py_rt.ml.fixed_horizon(pd.DataFrame({"open": [1.0, 2.0]}), 1)


def test_triple_barrier_finds_the_first_barrier_touched():
    c = closes([100, 101, 103, 99, 100, 100.5, 100.4, 100.6, 96, 96.5])
    lab = py_rt.ml.triple_barrier(c, horizon=3, upper=1.0, lower=1.0, volatility=0.02)
    # From 100: +1 %, +3 % -> the upper barrier (2 %) on bar 2.
    assert lab.iloc[0][["barrier", "label"]].tolist() == ["upper", 1.0]
    assert lab["t1"].iloc[0] == c.index[2]
    assert lab["ret"].iloc[0] == pytest.approx(0.03)
    # From 103: 99 is -3.9 % -> lower, on the next bar.
    assert lab.iloc[2][["barrier", "label"]].tolist() == ["lower", -1.0]
    assert lab["t1"].iloc[2] == c.index[3]
    # From 100 (bar 4): never beyond 2 % in 3 bars -> vertical, sign of +0.6 %.
    assert lab.iloc[4][["barrier", "label"]].tolist() == ["vertical", 1.0]
    assert lab["t1"].iloc[4] == c.index[7]
    zero = py_rt.ml.triple_barrier(c, 3, 1.0, 1.0, volatility=0.02, vertical="zero")
    assert zero["label"].iloc[4] == 0.0
    # Bar 7's horizon passes the end, but the lower barrier is touched at bar 8: a label.
    assert lab.iloc[7][["barrier", "label"]].tolist() == ["lower", -1.0]
    # Bar 8's horizon passes the end with no touch: no label.
    assert np.isnan(lab["label"].iloc[8]) and pd.isna(lab["t1"].iloc[8])
    # A short side flips the barriers: the rise to 103 is a loss for it.
    short = py_rt.ml.triple_barrier(c, 3, 1.0, 1.0, volatility=0.02, side=pd.Series(-1.0, index=c.index))
    assert short.iloc[0][["barrier", "label"]].tolist() == ["lower", -1.0]
    with pytest.raises(ValueError, match="side must be 1"):
        py_rt.ml.triple_barrier(c, 3, volatility=0.02, side=pd.Series(2.0, index=c.index))


def test_triple_barrier_vectorised_equals_a_plain_loop():
    c = walk(400, seed=3)
    vol = c.pct_change().rolling(20).std() * np.sqrt(8)
    got = py_rt.ml.triple_barrier(c, 8, upper=1.5, lower=1.0, volatility=vol)
    x = c.to_numpy()
    for t in range(len(x)):
        want = None
        if np.isnan(vol.iloc[t]):
            assert np.isnan(got["label"].iloc[t])
            continue
        for k in range(t + 1, min(t + 9, len(x))):
            r = x[k] / x[t] - 1
            if r >= 1.5 * vol.iloc[t]:
                want = (1.0, k)
                break
            if r <= -1.0 * vol.iloc[t]:
                want = (-1.0, k)
                break
        if want is None and t + 8 < len(x):
            want = (np.sign(x[t + 8] / x[t] - 1), t + 8)
        if want is None:
            assert np.isnan(got["label"].iloc[t]), t
        else:
            assert (got["label"].iloc[t], got["t1"].iloc[t]) == (want[0], c.index[want[1]]), t


def test_labels_read_only_the_bars_from_their_own_to_their_end():
    c = walk(300, seed=1)
    lab = py_rt.ml.triple_barrier(c, 10, 1.0, 1.0, volatility=0.015)
    fixed = py_rt.ml.fixed_horizon(c, 10)
    rng = np.random.default_rng(7)
    for t in rng.choice(np.flatnonzero(lab["label"].notna().to_numpy()), 25, replace=False):
        end = c.index.get_loc(lab["t1"].iloc[t])
        changed = c.copy()
        changed.iloc[:t] *= rng.uniform(0.5, 1.5, t)  # before the label's bar
        changed.iloc[end + 1:] *= rng.uniform(0.5, 1.5, len(c) - end - 1)  # after its end
        again = py_rt.ml.triple_barrier(changed, 10, 1.0, 1.0, volatility=0.015)
        assert again.iloc[t].equals(lab.iloc[t]), t
        if t + 10 < len(c):
            outside = c.copy()
            outside.iloc[:t] *= rng.uniform(0.5, 1.5, t)
            outside.iloc[t + 11:] *= rng.uniform(0.5, 1.5, len(c) - t - 11)
            assert py_rt.ml.fixed_horizon(outside, 10).iloc[t].equals(fixed.iloc[t]), t


def test_meta_labels_say_whether_the_bet_paid():
    c = closes([100, 103, 97, 100, 100])
    side = pd.Series([1.0, -1.0, np.nan, 1.0, 1.0], index=c.index)
    bar = py_rt.ml.triple_barrier(c, 1, 1.0, 1.0, volatility=0.01, side=side)
    meta = py_rt.ml.meta_labels(side, bar)
    assert meta.iloc[0] == 1.0  # long into +3 %
    assert meta.iloc[1] == 1.0  # short into -5.8 %
    assert np.isnan(meta.iloc[2])  # no bet
    assert meta.iloc[3] == 0.0  # long into a flat bar: no profit
    assert np.isnan(meta.iloc[4])  # no label


def test_uniqueness_of_overlapping_labels():
    idx = pd.date_range("2024-01-01", periods=5, freq="D")
    t1 = pd.Series([idx[2], idx[3], idx[4], pd.NaT, pd.NaT], index=idx)
    assert py_rt.ml.concurrency(t1).tolist() == [1, 2, 3, 2, 1]
    u = py_rt.ml.uniqueness(t1)
    assert u.iloc[0] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert u.iloc[1] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)
    assert u.iloc[2] == pytest.approx((1 / 3 + 1 / 2 + 1) / 3)
    assert u.iloc[3:].isna().all()


def random_t1(n, seed):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=n, freq="h")
    ends = np.minimum(np.arange(n) + rng.integers(0, 12, n), n - 1)
    return pd.Series(idx[ends], index=idx)


def brute_force_train(t1, test, embargo):
    """The samples allowed to train, rule by rule, sample by sample."""
    pos = {t: i for i, t in enumerate(t1.index)}
    span = [(i, pos[e]) for i, e in enumerate(t1)]
    test = set(test.tolist())
    blocks = [list(g) for _, g in itertools.groupby(sorted(test), key=lambda i, c=itertools.count(): i - next(c))]
    embargoed = set()
    for b in blocks:
        end = max(span[i][1] for i in b)
        embargoed |= set(range(end + 1, end + 1 + embargo))
    keep = []
    for j, (s, e) in enumerate(span):
        overlap = any(s <= span[i][1] and e >= span[i][0] for i in test)
        if j not in test and not overlap and j not in embargoed:
            keep.append(j)
    return np.array(keep, dtype=int)


@pytest.mark.parametrize("seed", range(6))
def test_purged_k_fold_removes_every_overlapping_label_and_nothing_else(seed):
    t1 = random_t1(120, seed)
    cv = py_rt.ml.PurgedKFold(t1, n_splits=5, embargo=3)
    splits = list(cv.split(np.zeros((120, 2))))
    assert len(splits) == cv.get_n_splits() == 5
    assert np.array_equal(np.sort(np.concatenate([t for _, t in splits])), np.arange(120))
    for train, test in splits:
        assert np.array_equal(train, brute_force_train(t1, test, 3))


@pytest.mark.parametrize("seed", range(3))
def test_combinatorial_purged_cv_splits_and_paths(seed):
    t1 = random_t1(90, seed)
    cv = py_rt.ml.CombinatorialPurgedKFold(t1, n_groups=6, n_test_groups=2, embargo=2)
    splits = list(cv.split())
    assert len(splits) == 15
    for train, test in splits:
        assert np.array_equal(train, brute_force_train(t1, test, 2))
    paths = cv.paths()
    assert len(paths) == 5
    for path in paths:
        assert [g for _, g in path] == list(range(6))
        for split, g in path:
            assert g in cv.combinations[split]


def test_walk_forward_trains_only_on_labels_that_ended_before_the_test_window():
    t1 = random_t1(200, 4)
    X = pd.DataFrame({"x": np.arange(200.0)}, index=t1.index)
    y = pd.Series(np.arange(200) % 2, index=t1.index)
    seen = []

    class Mean:
        def __init__(self, value):
            self.value = value

        def predict(self, rows):
            return np.full(len(rows), self.value)

    def fit(Xt, yt, w):
        seen.append(Xt.index)
        return Mean(float(yt.mean()))

    preds, models = py_rt.ml.walk_forward(fit, X, y, t1, train=60, test=20, embargo=2)
    assert preds.iloc[:60].isna().all() and preds.iloc[60:].notna().all()
    assert len(models) == 7
    pos = {t: i for i, t in enumerate(t1.index)}
    for k, idx in enumerate(seen):
        first_test = 60 + 20 * k
        ends = [pos[t1[t]] for t in idx]
        assert max(ends) < first_test, "a training label reached into the test window"
        assert pos[idx[-1]] < first_test - 2, "the embargo before the test window was not kept"


def test_bad_cross_validation_input_says_what_to_do():
    t1 = random_t1(20, 0)
    with pytest.raises(ValueError, match="t1 is missing at"):
        py_rt.ml.PurgedKFold(t1.where(t1.index != t1.index[5]))
    with pytest.raises(ValueError, match="X has 19 rows but t1 has 20"):
        list(py_rt.ml.PurgedKFold(t1, 4).split(np.zeros((19, 1))))
    with pytest.raises(ValueError, match="n_splits must be from 2"):
        py_rt.ml.PurgedKFold(t1, 1)
    with pytest.raises(ValueError, match="embargo is a fraction"):
        py_rt.ml.PurgedKFold(t1, 4, embargo=-1)
    backwards = t1.copy()
    backwards.iloc[3] = t1.index[1]
    with pytest.raises(ValueError, match="before the sample itself"):
        py_rt.ml.PurgedKFold(backwards)


def test_bad_label_and_training_arguments_say_what_is_valid():
    c = walk(60)
    with pytest.raises(ValueError, match="vertical must be 'sign' or 'zero'"):
        py_rt.ml.triple_barrier(c, 5, volatility=0.01, vertical="close")
    with pytest.raises(ValueError, match="upper barrier must be a positive multiple"):
        py_rt.ml.triple_barrier(c, 5, upper=0.0, volatility=0.01)
    with pytest.raises(ValueError, match="threshold must be at least 0"):
        py_rt.ml.fixed_horizon(c, 5, threshold=-0.1)
    t1 = random_t1(40, 1)
    X = pd.DataFrame({"x": np.arange(40.0)}, index=t1.index)
    y = pd.Series(np.arange(40) % 2, index=t1.index)
    with pytest.raises(ValueError, match=r"train \(30\) and test \(20\) windows must fit in the 40 samples"):
        py_rt.ml.walk_forward(lambda *a: None, X, y, t1, train=30, test=20)
    with pytest.raises(ValueError, match="is empty after purging"):
        py_rt.ml.walk_forward(lambda *a: None, X, y, t1, train=2, test=5, embargo=3)
    with pytest.raises(ValueError, match="need 1 <= n_test_groups < n_groups"):
        py_rt.ml.CombinatorialPurgedKFold(t1, n_groups=3, n_test_groups=3)

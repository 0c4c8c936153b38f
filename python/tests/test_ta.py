"""py_rt.ta and py_rt.features against TA-Lib on real data, and against
each other."""

import numpy as np
import pandas as pd
import pytest

import py_rt

talib = pytest.importorskip("talib")


def close_high_low_volume(df):
    return (df["Close"].to_numpy(float), df["High"].to_numpy(float), df["Low"].to_numpy(float),
            df["Volume"].to_numpy(float))


def same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert (np.isnan(ours) == np.isnan(theirs)).all(), "different warm-up"
    ok = ~np.isnan(theirs)
    np.testing.assert_allclose(ours[ok], theirs[ok], rtol=1e-9, atol=1e-9)


def test_single_series_match_talib(orcl):
    c, h, l, v = close_high_low_volume(orcl)
    same(py_rt.ta.sma(c, 20), talib.SMA(c, 20))
    same(py_rt.ta.ema(c, 20), talib.EMA(c, 20))
    same(py_rt.ta.rsi(c, 14), talib.RSI(c, 14))
    same(py_rt.ta.kama(c, 30), talib.KAMA(c, 30))
    same(py_rt.ta.t3(c, 5, 0.7), talib.T3(c, 5, 0.7))
    for ours, theirs in zip(py_rt.ta.macd(c, 12, 26, 9), talib.MACD(c, 12, 26, 9)):
        same(ours, theirs)
    for ours, theirs in zip(py_rt.ta.bbands(c, 20, 2.0), talib.BBANDS(c, 20, 2.0, 2.0)):
        same(ours, theirs)
    same(py_rt.ta.correl(h, l, 30), talib.CORREL(h, l, 30))
    same(py_rt.ta.beta(h, l, 5), talib.BETA(h, l, 5))


def test_bar_indicators_match_talib(orcl):
    c, h, l, v = close_high_low_volume(orcl)
    same(py_rt.ta.atr(h, l, c, 14), talib.ATR(h, l, c, 14))
    same(py_rt.ta.adx(h, l, c, 14), talib.ADX(h, l, c, 14))
    same(py_rt.ta.mfi(h, l, c, v, 14), talib.MFI(h, l, c, v, 14))
    same(py_rt.ta.obv(c, v), talib.OBV(c, v))
    same(py_rt.ta.sar(h, l), talib.SAR(h, l, 0.02, 0.2))
    for ours, theirs in zip(py_rt.ta.stoch(h, l, c), talib.STOCH(h, l, c)):
        same(ours, theirs)
    for ours, theirs in zip(py_rt.ta.aroon(h, l, 14), talib.AROON(h, l, 14)):
        same(ours, theirs)


def test_series_in_series_out(orcl):
    rsi = py_rt.ta.rsi(orcl["Close"], 14)
    assert isinstance(rsi, pd.Series) and rsi.index.equals(orcl.index)
    upper, middle, lower = py_rt.ta.bbands(orcl["Close"], 20)
    assert (upper.dropna() >= lower.dropna()).all()
    assert isinstance(py_rt.ta.sma(orcl["Close"].to_numpy(), 5), np.ndarray)
    # Integer input is accepted and converted.
    same(py_rt.ta.sma(np.arange(1, 50), 5), talib.SMA(np.arange(1, 50, dtype=float), 5))


def test_features_frame_equals_the_ta_functions(orcl):
    f = py_rt.features(orcl, ["rsi:14", "macd:12:26:9", "bb_pct:20:2", "rsi:14@lag3", "zscore:close:50"])
    assert list(f.columns) == ["rsi:14", "macd:12:26:9.macd", "macd:12:26:9.signal", "macd:12:26:9.hist",
                               "bb_pct:20:2", "rsi:14@lag3", "zscore:close:50"]
    assert f.index.equals(orcl.index)
    rsi = py_rt.ta.rsi(orcl["Close"], 14)
    np.testing.assert_array_equal(f["rsi:14"].to_numpy(), rsi.to_numpy())
    np.testing.assert_array_equal(f["rsi:14@lag3"].to_numpy()[3:], rsi.to_numpy()[:-3])
    same(f["macd:12:26:9.hist"], talib.MACD(orcl["Close"].to_numpy(float))[2])
    assert "rsi" in py_rt.feature_names() and "macd" in py_rt.feature_names()


def test_features_accept_comma_text_and_missing_unused_columns():
    df = pd.DataFrame({"close": np.linspace(1.0, 2.0, 40)})
    f = py_rt.features(df, "sma:5, ema:5")
    assert f.shape == (40, 2)
    assert f["sma:5"].iloc[4] == pytest.approx(np.mean(df["close"].iloc[:5]))

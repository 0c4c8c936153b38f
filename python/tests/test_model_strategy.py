"""A model trained on catalog features, exported with its card, trading in
the Rust kernel: the Rust predictions equal onnxruntime's on every bar, the
orders follow the documented rule, the CLI and Python make the same
orders, a paper session runs it, and a card that disagrees with its model
is refused before the first bar."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import py_rt

ort = pytest.importorskip("onnxruntime", reason="pip install onnxruntime==1.31.1 (tests/requirements.txt has it)")
lgb = pytest.importorskip("lightgbm")

from conftest import ORCL, PYRT, ROOT  # noqa: E402

FEATURES = ["ret:1", "ret:5", "rsi:14", "bb_pct:20:2", "natr:14", "zscore:volume:20", "clv", "ma_dist:50",
            "rank:20", "dow", "macd:12:26:9"]


@pytest.fixture(scope="module")
def trained(orcl, tmp_path_factory):
    """A LightGBM classifier of the 10-day triple-barrier label, trained on
    the first half of ORCL and exported with its card."""
    X = py_rt.features(orcl, FEATURES)
    labels = py_rt.ml.triple_barrier(orcl, horizon=10, upper=1.0, lower=1.0)
    data = X.join(labels[["label", "t1"]]).dropna()
    data = data[data["label"] != 0]
    half = data.iloc[: len(data) // 2]
    model = lgb.LGBMClassifier(n_estimators=60, num_leaves=15, learning_rate=0.05, verbose=-1)
    # LightGBM refuses ':' in feature names: it is fitted on the bare
    # matrix (float32, what the ONNX model reads), and the card keeps the names.
    model.fit(half[X.columns].to_numpy("float32"), (half["label"] > 0).astype(int),
              sample_weight=py_rt.ml.uniqueness(half["t1"]).to_numpy())
    path = tmp_path_factory.mktemp("model") / "orcl_lgbm"
    card = py_rt.ml.export(model, path, FEATURES, half[X.columns], label="triple_barrier(h=10, 1σ, 1σ)",
                           metrics={"train_accuracy": float(model.score(half[X.columns].to_numpy("float32"),
                                                                        half["label"] > 0))})
    return card, model


def onnxruntime_predictions(card, orcl):
    X = card.features_of(orcl)
    ready = X.notna().all(axis=1).to_numpy()
    s = ort.InferenceSession(card.model_path)
    out = s.run(None, {s.get_inputs()[0].name: X.to_numpy(np.float32)[ready]})
    proba = [o for o in out if o.dtype == np.float32][0][:, 1]
    full = np.full(len(X), np.nan)
    full[ready] = proba
    return full


def test_the_card_records_what_the_model_was_trained_on(trained):
    card, model = trained
    raw = json.loads(open(card.path).read())
    assert raw["format"] == "py_rt.model_card.v1" and raw["task"] == "classifier"
    assert raw["features"] == FEATURES
    assert raw["columns"][-3:] == ["macd:12:26:9.macd", "macd:12:26:9.signal", "macd:12:26:9.hist"]
    assert raw["warm_up"] == 49  # ma_dist:50
    assert raw["training"]["rows"] > 1500 and raw["training"]["start"].startswith("1995")
    assert len(raw["model_sha256"]) == 64 and len(raw["training"]["data_sha256"]) == 64
    assert raw["library"]["name"] == "lightgbm" and raw["metrics"]["export_max_abs_diff"] < 1e-4
    assert py_rt.ml.read_card(card.path) == card


def test_rust_predictions_equal_onnxruntime_on_every_bar(trained, orcl):
    card, _ = trained
    ours = card.predict(orcl).to_numpy()
    theirs = onnxruntime_predictions(card, orcl)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    assert np.isnan(ours[: card.warm_up]).all() and not np.isnan(ours[card.warm_up:]).any()
    np.testing.assert_allclose(ours[card.warm_up:], theirs[card.warm_up:], rtol=0, atol=1e-6)


def expected_fills(predictions, index, enter, exit):
    """The documented rule on onnxruntime's predictions: the decisions, and
    the bars their next-open fills land on."""
    long, out = False, []
    for i, p in enumerate(predictions[:-1]):
        if np.isnan(p):
            continue
        if not long and p >= enter:
            long = True
            out.append((index[i + 1], "buy"))
        elif long and p < exit:
            long = False
            out.append((index[i + 1], "sell"))
    return out


def test_the_backtest_orders_follow_the_rule_on_onnxruntime_predictions(trained, orcl):
    card, _ = trained
    res = py_rt.Backtest(orcl, "model", {"card": card.path, "enter": 0.55, "exit": 0.45}).run()
    want = expected_fills(onnxruntime_predictions(card, orcl), orcl.index, 0.55, 0.45)
    got = list(zip(res.fills.index if "time" not in res.fills else res.fills["time"], res.fills["side"]))
    assert len(want) > 20
    assert [(pd.Timestamp(t), s) for t, s in got] == [(pd.Timestamp(t), s) for t, s in want]


def test_the_cli_and_python_make_the_same_orders(trained, orcl, tmp_path):
    if not PYRT.exists():
        pytest.skip(f"pyrt binary not built at {PYRT} (set PYRT_BIN)")
    card, _ = trained
    res = py_rt.Backtest(orcl, "model", {"card": card.path, "enter": 0.55, "exit": 0.45}, cash=100_000).run()
    # No ORT_DYLIB_PATH: the CLI finds the wheel's library in the checkout's .venv.
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DYLIB_PATH", "VIRTUAL_ENV")}
    cmd = [str(PYRT), "backtest", "--data", str(ORCL), "--strategy", "model", "--param", f"card={card.path}",
           "--param", "enter=0.55", "--param", "exit=0.45", "--cash", "100000", "--out", str(tmp_path),
           "--format", "json"]
    cli = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, cwd=ROOT).stdout)
    fills = pd.read_csv(tmp_path / "fills.csv")
    assert len(fills) == len(res.fills) == cli["num_fills"] > 20
    assert list(fills["side"].str.lower()) == list(res.fills["side"])
    np.testing.assert_array_equal(fills["qty"].to_numpy(float), res.fills["qty"].to_numpy(float))
    np.testing.assert_array_equal(fills["price"].to_numpy(float), res.fills["price"].to_numpy(float))
    assert str(res.final_equity_exact) == cli["final_equity_exact"]


@pytest.mark.parametrize("kind", ["xgboost", "sklearn"])
def test_xgboost_and_sklearn_models_export_and_match(kind, orcl, tmp_path):
    X = py_rt.features(orcl, FEATURES).dropna()
    y = (orcl["Close"].pct_change(5).shift(-5).reindex(X.index) > 0).astype(int)
    if kind == "xgboost":
        xgb = pytest.importorskip("xgboost")
        model = xgb.XGBClassifier(n_estimators=40, max_depth=3, learning_rate=0.1).fit(X, y)
    else:
        from sklearn.ensemble import GradientBoostingRegressor

        ret = orcl["Close"].pct_change().reindex(X.index)
        model = GradientBoostingRegressor(n_estimators=40, max_depth=3).fit(X, ret)
    card = py_rt.ml.export(model, tmp_path / kind, FEATURES, X)
    assert card.library["name"] == kind and card.metrics["export_max_abs_diff"] < 1e-4
    ours = card.predict(orcl).to_numpy()[card.warm_up:]
    s = ort.InferenceSession(card.model_path)
    out = [o for o in s.run(None, {s.get_inputs()[0].name: X.to_numpy(np.float32)}) if o.dtype == np.float32][0]
    theirs = out[:, -1] if out.ndim == 2 else out
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_a_card_that_disagrees_is_refused_before_the_first_bar(trained, orcl, tmp_path):
    card, model = trained
    raw = json.loads(open(card.path).read())
    raw["model_file"] = os.path.abspath(card.model_path)
    for name, edit, message in [
        ("width", lambda c: c.update(features=c["features"][:-1], columns=c["columns"][:-3]),
         "the model takes 13 features, the card lists 10 columns"),
        ("order", lambda c: c.update(columns=[c["columns"][1], c["columns"][0], *c["columns"][2:]]),
         "column 0 is `ret:5` on the card, but its features give `ret:1`"),
        ("hash", lambda c: c.update(model_sha256="0" * 64), "the model was replaced after the card was written"),
    ]:
        bad = json.loads(json.dumps(raw))
        edit(bad)
        path = tmp_path / f"{name}.card.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=message):
            py_rt.Backtest(orcl, "model", {"card": str(path)}).run()
    with pytest.raises(ValueError, match="give the model card with card=PATH"):
        py_rt.Backtest(orcl, "model").run()
    X = py_rt.features(orcl, FEATURES).dropna()
    with pytest.raises(ValueError, match="column 0 is 'ret:5', the features give 'ret:1'"):
        py_rt.ml.export(model, tmp_path / "x", FEATURES, X[[X.columns[1], X.columns[0], *X.columns[2:]]])
    boolean = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X.to_numpy("float32"), X["ret:1"] > 0)
    with pytest.raises(ValueError, match=r"fit it on integers \(y.astype\(int\)\)"):
        py_rt.ml.export(boolean, tmp_path / "x", FEATURES, X)
    with pytest.raises(ValueError, match="X has NaN"):
        py_rt.ml.export(model, tmp_path / "x", FEATURES, py_rt.features(orcl, FEATURES))


def test_the_model_strategy_runs_a_paper_session(synthetic_venue, tmp_path):
    # A model on short features that always says "buy": once its features
    # have warmed up it enters, through the same kernel, on live bars.
    from sklearn.linear_model import LinearRegression

    feats = ["ret:1", "rsi:2", "clv"]
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=feats)
    model = LinearRegression().fit(X, np.ones(50))
    card = py_rt.ml.export(model, tmp_path / "always", feats, X)
    report = py_rt.Paper("model", {"card": card.path, "enter": 0.5, "exit": 0.0}, venue=synthetic_venue,
                         bar="tick:2").run(duration=5)
    assert report.bars > card.warm_up
    assert report.orders >= 1, str(report)
    gained = report.venue_balances.loc["base", "end"] - report.venue_balances.loc["base", "start"]
    assert gained > 0, str(report)


def test_python_opens_its_own_wheels_library_from_anywhere(trained, tmp_path):
    # No ORT_DYLIB_PATH, no virtual environment, no .venv above the working
    # directory: the package names its installed wheel's library to Rust.
    card, _ = trained
    script = ("import sys, pandas as pd, py_rt\n"
              f"df = pd.read_csv({str(ORCL)!r}, index_col=0, parse_dates=True)\n"
              f"res = py_rt.Backtest(df, 'model', {{'card': {card.path!r}}}).run()\n"
              "print(len(res.fills))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DYLIB_PATH", "VIRTUAL_ENV")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 0


def test_bad_export_input_says_what_to_do(trained, orcl, tmp_path):
    card, model = trained
    X = py_rt.features(orcl, FEATURES).dropna()
    with pytest.raises(ValueError, match="features is empty"):
        py_rt.ml.export(model, tmp_path / "x", [], X)
    with pytest.raises(TypeError, match="X must be the training DataFrame"):
        py_rt.ml.export(model, tmp_path / "x", FEATURES, X.to_numpy())
    with pytest.raises(TypeError, match="py_rt exports LightGBM, XGBoost and scikit-learn models"):
        py_rt.ml.export(object(), tmp_path / "x", FEATURES, X)
    three = lgb.LGBMClassifier(n_estimators=2, verbose=-1).fit(X.to_numpy("float32"), np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match=r"the classifier has classes \[0, 1, 2\]"):
        py_rt.ml.export(three, tmp_path / "x", FEATURES, X)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something.else"}))
    with pytest.raises(ValueError, match="is not a py_rt model card"):
        py_rt.ml.read_card(other)

"""Models trained in Python and run by the Rust runtime: the same
predictions as Python's onnxruntime, to 1e-6, on every row of real
features; clear errors for a wrong width or a missing library."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import py_rt

ort = pytest.importorskip("onnxruntime", reason="pip install onnxruntime==1.31.1 (tests/requirements.txt has it)")


@pytest.fixture(scope="module")
def xy(orcl):
    """Real features of the ORCL daily file and the next day's return."""
    feats = py_rt.features(orcl, ["rsi:14", "macd:12:26:9", "bb_pct:20:2", "roc:10", "atr:14"]).dropna()
    ret = orcl["Close"].pct_change().shift(-1).reindex(feats.index)
    keep = ret.notna()
    return feats[keep].to_numpy(dtype=np.float32), ret[keep].to_numpy()


def python_predictions(path, x, column):
    s = ort.InferenceSession(str(path))
    out = s.run(None, {s.get_inputs()[0].name: x})
    floats = [o for o in out if o.dtype == np.float32]
    return floats[0][:, column] if floats[0].ndim == 2 else floats[0]


def test_lightgbm_regressor_matches_onnxruntime(xy, tmp_path):
    lgb = pytest.importorskip("lightgbm")
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    x, y = xy
    model = lgb.LGBMRegressor(n_estimators=200, num_leaves=15, verbose=-1).fit(x, y)
    onx = onnxmltools.convert_lightgbm(model, initial_types=[("x", FloatTensorType([None, x.shape[1]]))])
    path = tmp_path / "lgbm.onnx"
    path.write_bytes(onx.SerializeToString())
    ours = py_rt.ml.predict(path, x)
    theirs = python_predictions(path, x, 0)
    assert len(ours) == len(x) > 3000
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours, model.predict(x), rtol=0, atol=1e-5)  # and the model itself


@pytest.mark.parametrize("kind", ["gradient_boosting", "logistic"])
def test_sklearn_classifiers_match_onnxruntime(xy, tmp_path, kind):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    x, y = xy
    label = (y > 0).astype(int)
    model = (GradientBoostingClassifier(n_estimators=50, max_depth=3) if kind == "gradient_boosting"
             else LogisticRegression(max_iter=1000)).fit(x, label)
    onx = skl2onnx.to_onnx(model, x[:1], options={id(model): {"zipmap": False}})
    path = tmp_path / f"{kind}.onnx"
    path.write_bytes(onx.SerializeToString())
    ours = py_rt.ml.predict(path, x)
    np.testing.assert_allclose(ours, python_predictions(path, x, 1), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours, model.predict_proba(x)[:, 1], rtol=0, atol=1e-5)


def test_a_row_of_the_wrong_width_is_refused(xy, tmp_path):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.linear_model import LinearRegression

    x, y = xy
    path = tmp_path / "linear.onnx"
    path.write_bytes(skl2onnx.to_onnx(LinearRegression().fit(x, y), x[:1]).SerializeToString())
    with pytest.raises(ValueError, match=f"takes {x.shape[1]} features per row, and 3 were given"):
        py_rt.ml.predict(path, x[:, :3])
    with pytest.raises(ValueError, match="rows must be two-dimensional"):
        py_rt.ml.predict(path, x[0])


def test_a_missing_library_says_how_to_install_it(tmp_path):
    code = ("import numpy as np, py_rt\n"
            "try:\n    py_rt.ml.predict('m.onnx', np.zeros((1, 2), dtype=np.float32))\n"
            "except ValueError as e:\n    print(e)\n")
    env = {**os.environ, "ORT_DYLIB_PATH": str(tmp_path / "libonnxruntime.so")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "could not be loaded" in out.stdout and "pip install onnxruntime==1.31.1" in out.stdout, out

"""ONNX inference through the Rust runtime.

>>> onnx_path = "model.onnx"          # e.g. skl2onnx / onnxmltools output
>>> py_rt.ml.predict(onnx_path, X)    # the Rust runtime's predictions, row by row

The Rust side loads ONNX Runtime's library from the ``onnxruntime`` wheel
(``pip install py_rt[ml]``, or ``onnxruntime==1.31.1``), found here through
the installed package or ``ORT_DYLIB_PATH``. What a model predicts is its
first float tensor output: a regressor's value, or a binary classifier's
probability of class 1 (export classifiers with ``zipmap=False``).
"""

from __future__ import annotations

import glob
import importlib.util
import os
from typing import Any

import numpy as np

from .. import _py_rt


def _wheel_library() -> str | None:
    """The installed onnxruntime wheel's library, found without importing
    onnxruntime; None when there is no wheel or no library in it."""
    spec = importlib.util.find_spec("onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(glob.glob(os.path.join(spec.submodule_search_locations[0], "capi", "libonnxruntime.so*")))
    return found[0] if found else None


def runtime_library() -> str:
    """The ONNX Runtime library the Rust side loads: ``ORT_DYLIB_PATH``,
    else the one in the installed ``onnxruntime`` wheel."""
    path = os.environ.get("ORT_DYLIB_PATH") or _wheel_library()
    if path is None:
        raise ImportError("ONNX models need the ONNX Runtime library: pip install onnxruntime==1.31.1 "
                          "(or py_rt[ml]), or set ORT_DYLIB_PATH to libonnxruntime.so")
    return path


def predict(model: str | os.PathLike, rows: Any) -> np.ndarray:
    """Predictions of the ONNX model at ``model`` for each row of ``rows``
    (a 2-D array or DataFrame of features, in the model's order), made by
    the Rust runtime one row at a time, as a strategy would on each bar."""
    if hasattr(rows, "to_numpy"):
        rows = rows.to_numpy()
    arr = np.ascontiguousarray(np.asarray(rows, dtype=np.float32))
    if arr.ndim != 2:
        raise ValueError(f"rows must be two-dimensional [rows, features], got shape {arr.shape}")
    return _py_rt.onnx_predict(os.fspath(model), arr, runtime_library())


# The wheel's library, named to the Rust side once (not loaded): a model
# strategy built later (backtest, paper, live) opens it when
# ORT_DYLIB_PATH does not say otherwise.
_found = _wheel_library()
if _found is not None:
    _py_rt.register_onnx_library(_found)

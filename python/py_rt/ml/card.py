"""Exporting a trained model to ONNX with its model card, and reading the
card back.

>>> card = py_rt.ml.export(model, "models/orcl", features=specs, X=X_train, label="triple_barrier(h=10)")
>>> py_rt.Backtest(df, "model", {"card": card.path, "enter": 0.55, "exit": 0.5}).run()

The card (``models/orcl.card.json``) sits beside the model
(``models/orcl.onnx``) and records the feature specs and the model's
input columns in order, the warm-up, the training span and row count, a
hash of the training matrix, metrics, the library that trained the
model, and the ONNX file's SHA-256. The Rust model strategy checks all of
it against the model and its own feature engine before the first bar.

LightGBM and XGBoost models are converted with onnxmltools, scikit-learn
ones with skl2onnx. Classifiers must be binary; their prediction is the
probability of class 1. LightGBM refuses the ``:`` in feature names such
as ``rsi:14``: fit it on ``X.to_numpy()`` (the card keeps the names).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .. import _py_rt
from ._runtime import runtime_library

__all__ = ["ModelCard", "export", "read_card", "CARD_FORMAT"]

CARD_FORMAT = "py_rt.model_card.v1"


@dataclasses.dataclass
class ModelCard:
    """A model card as written by :func:`export` (see the module doc)."""

    path: str
    name: str
    model_file: str
    model_sha256: str
    task: str
    features: list[str]
    columns: list[str]
    warm_up: int
    training: dict
    metrics: dict
    library: dict
    format: str = CARD_FORMAT

    @property
    def model_path(self) -> str:
        return os.path.join(os.path.dirname(self.path), self.model_file)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("path")
        return d

    def features_of(self, data: pd.DataFrame) -> pd.DataFrame:
        """The card's feature columns on ``data``, in the model's order."""
        from ..features import features

        return features(data, self.features)[self.columns]

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """What the model strategy predicts on each bar of ``data``: the
        card's features computed on it, asked of the model by the Rust
        runtime one row at a time; NaN during the warm-up (no prediction
        is made on a row with a missing feature)."""
        X = self.features_of(data)
        ready = X.notna().all(axis=1).to_numpy()
        out = np.full(len(X), np.nan)
        if ready.any():
            rows = np.ascontiguousarray(X.to_numpy()[ready], dtype=np.float32)
            out[ready] = _py_rt.onnx_predict(self.model_path, rows, runtime_library())
        return pd.Series(out, index=data.index, name="prediction")


def read_card(path: str | os.PathLike) -> ModelCard:
    """Reads a model card written by :func:`export`."""
    path = os.fspath(path)
    with open(path) as f:
        raw = json.load(f)
    if raw.get("format") != CARD_FORMAT:
        raise ValueError(f"{path} is not a py_rt model card (format {raw.get('format')!r}, expected {CARD_FORMAT!r})")
    fields = {f.name for f in dataclasses.fields(ModelCard)} - {"path"}
    return ModelCard(path=path, **{k: v for k, v in raw.items() if k in fields})


def _columns_and_warm_up(features: list[str]) -> tuple[list[str], int]:
    spec = ",".join(features)
    return list(_py_rt.FeatureStream(spec).columns), int(_py_rt.feature_warm_up(spec))


def _library(model: Any) -> tuple[str, str]:
    module = type(model).__module__.split(".")[0]
    version = getattr(__import__(module), "__version__", "?")
    return module, version


def _is_classifier(model: Any) -> bool:
    try:
        from sklearn.base import is_classifier
    except ImportError:
        return hasattr(model, "predict_proba")
    return bool(is_classifier(model))


def _to_onnx(model: Any, width: int, classifier: bool):
    kind, _ = _library(model)
    if kind == "lightgbm":
        import onnxmltools
        from onnxmltools.convert.common.data_types import FloatTensorType

        return onnxmltools.convert_lightgbm(model, initial_types=[("features", FloatTensorType([None, width]))],
                                            zipmap=False)
    if kind == "xgboost":
        import copy

        import onnxmltools
        from onnxmltools.convert.common.data_types import FloatTensorType

        # The converter reads features by position (`f0`, `f1`, …): a model
        # trained on a DataFrame names them by column, so a copy without
        # the names is converted (the card keeps the names and order).
        model = copy.deepcopy(model)
        model.get_booster().feature_names = None
        return onnxmltools.convert_xgboost(model, initial_types=[("features", FloatTensorType([None, width]))])
    # scikit-learn (export checked the library first).
    from skl2onnx import to_onnx

    options = {id(model): {"zipmap": False}} if classifier else None
    return to_onnx(model, np.zeros((1, width), dtype=np.float32), options=options, target_opset=None)


def _own_predictions(model: Any, X: np.ndarray, classifier: bool) -> np.ndarray:
    # The bare matrix, as the ONNX model sees it; a model fitted on named
    # columns warns about that, which says nothing here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        if classifier:
            return np.asarray(model.predict_proba(X))[:, 1]
        return np.asarray(model.predict(X), dtype=float)


def export(model: Any, path: str | os.PathLike, features: Iterable[str], X: pd.DataFrame, *,
           name: str | None = None, label: str | None = None, metrics: dict | None = None,
           training: dict | None = None) -> ModelCard:
    """Writes ``model`` as ``<path>.onnx`` and its card as ``<path>.card.json``.

    ``features`` are the feature specs the model was trained on (catalog
    names or any spec), and ``X`` the training matrix: its columns must be
    exactly those features' columns, in order (as ``py_rt.features(df,
    features)`` gives them). The export is checked: onnxruntime's
    predictions on ``X`` are compared with the model's own, and the
    largest difference is recorded (``metrics["export_max_abs_diff"]``);
    a difference above 1e-4 warns. ONNX models read float32: fit on
    ``X.astype("float32")`` so the split thresholds fall between values
    the exported model can see, or a row near a threshold can land on the
    other side of it.
    """
    if _library(model)[0] not in ("lightgbm", "xgboost", "sklearn"):
        raise TypeError(f"cannot export a {type(model).__module__}.{type(model).__name__}: py_rt exports "
                        "LightGBM, XGBoost and scikit-learn models")
    features = list(features)
    if not features:
        raise ValueError("features is empty: give the feature specs the model was trained on")
    columns, warm_up = _columns_and_warm_up(features)
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be the training DataFrame (its columns name the features, its index the span)")
    if list(X.columns) != columns:
        got = list(X.columns)
        i = next(i for i in range(max(len(got), len(columns))) if (got[i:i + 1] != columns[i:i + 1]))
        raise ValueError(f"X's columns are not the features' columns in order: column {i} is "
                         f"{got[i] if i < len(got) else '(none)'!r}, the features give "
                         f"{columns[i] if i < len(columns) else '(none)'!r}; build X with "
                         "py_rt.features(df, features)")
    if X.isna().any().any():
        raise ValueError("X has NaN (warm-up rows?): drop them before training; the model strategy makes no "
                         "prediction until every feature has a value")
    classifier = _is_classifier(model)
    if classifier and len(getattr(model, "classes_", [0, 1])) != 2:
        raise ValueError(f"the classifier has classes {np.asarray(model.classes_).tolist()}; py_rt trades binary "
                         "classifiers (the probability of class 1) and regressors")
    if classifier and np.asarray(getattr(model, "classes_", [0])).dtype == bool:
        raise ValueError("the classifier was fitted on True/False labels, which the ONNX converters cannot "
                         "name; fit it on integers (y.astype(int))")
    x32 = np.ascontiguousarray(X.to_numpy(), dtype=np.float32)
    onx = _to_onnx(model, len(columns), classifier)
    out = Path(os.fspath(path))
    out.parent.mkdir(parents=True, exist_ok=True)
    model_path = out.with_name(out.name + ".onnx")
    card_path = out.with_name(out.name + ".card.json")
    blob = onx.SerializeToString()
    model_path.write_bytes(blob)

    import onnxruntime as ort

    session = ort.InferenceSession(str(model_path))
    # The first float output, as the Rust runtime reads it (asking for the
    # label output too makes onnxruntime warn about its declared shape).
    first = next(o.name for o in session.get_outputs() if o.type == "tensor(float)")
    (probs,) = session.run([first], {session.get_inputs()[0].name: x32})
    theirs = probs[:, -1] if probs.ndim == 2 else probs
    diff = float(np.max(np.abs(theirs - _own_predictions(model, x32, classifier)))) if len(x32) else 0.0
    if diff > 1e-4:
        warnings.warn(f"the ONNX model differs from the trained one by up to {diff:.3g} on the training rows",
                      stacklevel=2)
    library, version = _library(model)
    index = X.index
    span = {"start": str(index.min()), "end": str(index.max())} if len(index) else {}
    card = ModelCard(
        path=str(card_path),
        name=name or out.name,
        model_file=model_path.name,
        model_sha256=hashlib.sha256(blob).hexdigest(),
        task="classifier" if classifier else "regressor",
        features=features,
        columns=columns,
        warm_up=warm_up,
        training={**span, "rows": len(X), "label": label,
                  "data_sha256": hashlib.sha256(x32.tobytes()).hexdigest(), **(training or {})},
        metrics={**(metrics or {}), "export_max_abs_diff": diff},
        library={"name": library, "version": version, "model": type(model).__name__},
    )
    card_path.write_text(json.dumps(card.to_dict(), indent=2, default=str) + "\n")
    return card

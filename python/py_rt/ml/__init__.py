"""Models trained in Python, run by the Rust kernel (ONNX): labels, purged
validation, and inference.

>>> labels = py_rt.ml.triple_barrier(df, horizon=10)           # t1, ret, barrier, label
>>> cv = py_rt.ml.PurgedKFold(labels["t1"], n_splits=5, embargo=0.01)
>>> card = py_rt.ml.export(model, "models/orcl", features=specs, X=X_train)   # ONNX + model card
>>> py_rt.Backtest(df, "model", {"card": card.path}).run()      # the Rust model strategy
>>> py_rt.ml.predict("model.onnx", X)                           # the Rust runtime, row by row

The Rust side loads ONNX Runtime's library from the ``onnxruntime`` wheel
(``pip install py_rt[ml]``, or ``onnxruntime==1.31.1``), found here through
the installed package or ``ORT_DYLIB_PATH``. What a model predicts is its
first float tensor output: a regressor's value, or a binary classifier's
probability of class 1 (export classifiers with ``zipmap=False``).
"""

from ._runtime import predict, runtime_library
from .card import CARD_FORMAT, ModelCard, export, read_card
from .labels import concurrency, fixed_horizon, meta_labels, triple_barrier, uniqueness
from .validation import CombinatorialPurgedKFold, PurgedKFold, purge, walk_forward

__all__ = ["CARD_FORMAT", "CombinatorialPurgedKFold", "ModelCard", "PurgedKFold", "concurrency", "export",
           "fixed_horizon", "meta_labels", "predict", "purge", "read_card", "runtime_library",
           "triple_barrier", "uniqueness", "walk_forward"]

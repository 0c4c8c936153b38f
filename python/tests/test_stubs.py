"""The type stubs cover the whole compiled module, and the package's public
API has docstrings."""

import ast
import inspect
from pathlib import Path

import py_rt
from py_rt import _py_rt

STUB = Path(py_rt.__file__).with_name("_py_rt.pyi")


def stubbed_names():
    tree = ast.parse(STUB.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    names |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    return names


def test_every_binding_has_a_stub_and_every_stub_a_binding():
    public = {n for n in dir(_py_rt) if not n.startswith("_") or n == "__version__"}
    public -= {"__version__"} - stubbed_names()
    assert public - stubbed_names() == set(), "bindings without a stub in _py_rt.pyi"
    assert stubbed_names() - public - {"__version__"} == set(), "stubs for bindings that do not exist"


def test_stub_parameters_match_the_bindings():
    tree = ast.parse(STUB.read_text())
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        sig = inspect.signature(getattr(_py_rt, fn.name))
        stub = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
        assert list(sig.parameters) == stub, fn.name


def test_public_api_is_documented():
    for name in py_rt.__all__:
        obj = getattr(py_rt, name)
        if callable(obj) or inspect.ismodule(obj):
            assert inspect.getdoc(obj), f"py_rt.{name} has no docstring"
    for name, fn in inspect.getmembers(py_rt.ta, inspect.isfunction):
        if not name.startswith("_") and fn.__module__ == "py_rt.ta":
            assert inspect.getdoc(fn), f"py_rt.ta.{name} has no docstring"

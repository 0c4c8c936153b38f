"""The type stubs cover the whole compiled module, and the package's public
API has docstrings."""

import ast
import inspect
from pathlib import Path

import py_rt
from py_rt import _py_rt

STUB = Path(py_rt.__file__).with_name("_py_rt.pyi")


def is_typed_dict(node):
    return any(isinstance(b, ast.Name) and b.id == "TypedDict" for b in node.bases)


def stub_classes():
    """Classes of the stub that the module defines (TypedDicts are stub-only)."""
    tree = ast.parse(STUB.read_text())
    return [n for n in tree.body if isinstance(n, ast.ClassDef) and not is_typed_dict(n)]


def stubbed_names():
    tree = ast.parse(STUB.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    names |= {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    names |= {c.name for c in stub_classes()}
    return names


def test_every_class_member_has_a_stub():
    for cls in stub_classes():
        stubbed = {n.name for n in cls.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
        stubbed |= {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign)}
        runtime = {n for n in dir(getattr(_py_rt, cls.name)) if not n.startswith("_")}
        assert runtime == stubbed, f"{cls.name}: stub and binding differ: {runtime ^ stubbed}"


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

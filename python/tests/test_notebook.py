"""The example notebook runs top to bottom from anywhere, so it never rots,
and it is committed executed, so a reader sees its results on the page."""

import os

import pytest

from conftest import DATA, ROOT

NOTEBOOK = ROOT / "examples" / "research.ipynb"
MODEL_NOTEBOOK = ROOT / "examples" / "model.ipynb"


@pytest.mark.parametrize("path", [NOTEBOOK, MODEL_NOTEBOOK], ids=["research", "model"])
def test_the_committed_notebook_shows_its_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("outputs") for c in code), "execute the notebook and commit it with its outputs"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"run top to bottom in one kernel: {counts}"


def execute(path):
    """Runs the notebook at `path` from the repository root, not from
    examples/ (no cell may depend on the working directory); returns its
    outputs and their text."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if not (DATA / "backtrader" / "orcl-1995-2014.txt").exists():
        pytest.skip(f"shared data not found at {DATA} (set PYRT_SHARED_DATA)")
    nb = nbformat.read(path, as_version=4)
    os.environ["PYRT_SHARED_DATA"] = str(DATA)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    return outputs, "".join(o.get("text", "") for o in outputs)


def test_example_notebook_executes_from_the_repository_root():
    outputs, text = execute(NOTEBOOK)
    assert "out-of-sample return" in text
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs), "figures as data"


def test_model_notebook_goes_from_raw_bars_to_a_paper_session():
    pytest.importorskip("lightgbm")
    pytest.importorskip("onnxruntime")
    if not os.path.exists(os.environ.get("PYRT_BIN", "")):
        pytest.skip("the paper session needs the pyrt binary (PYRT_BIN; scripts/test.sh sets it)")
    _, text = execute(MODEL_NOTEBOOK)
    assert "largest difference 0.00e+00" in text, "Rust and onnxruntime predictions differ"
    assert "out-of-sample return" in text and "mean AUC" in text
    assert "strategy           model" in text and "rejected orders    0" in text

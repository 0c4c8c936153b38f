"""The example notebook runs top to bottom, so it never rots."""

import os
from pathlib import Path

import pytest

from conftest import DATA, ROOT

NOTEBOOK = ROOT / "examples" / "research.ipynb"


def test_example_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    if not (DATA / "backtrader" / "orcl-1995-2014.txt").exists():
        pytest.skip(f"shared data not found at {DATA} (set PYRT_SHARED_DATA)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["PYRT_SHARED_DATA"] = str(DATA)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "out-of-sample return" in text

"""Every Python example in the README runs, in order, as a newcomer would
paste it (from the repository root, with the shared data beside it)."""

import os
import re
import socket
import subprocess
import warnings
from contextlib import contextmanager

import pytest

from conftest import DATA, ROOT

README = ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@contextmanager
def local_venue():
    """`pyrt venue` where the README's paper-trading example looks for it
    (127.0.0.1:8765), as its text tells a reader to start it."""
    with socket.socket() as probe:
        busy = probe.connect_ex(("127.0.0.1", 8765)) == 0
    if busy:  # a venue a developer left running serves as well
        yield
        return
    pyrt = os.environ.get("PYRT_BIN", str(ROOT / "target" / "debug" / "pyrt"))
    if not os.path.exists(pyrt):
        pytest.skip(f"pyrt binary not built at {pyrt} (set PYRT_BIN)")
    proc = subprocess.Popen([pyrt, "venue", "--listen", "127.0.0.1:8765", "--step-ms", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "listening" in proc.stdout.readline()
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_readme_has_python_examples():
    assert len(python_blocks()) >= 2


def test_every_readme_python_example_runs(monkeypatch):
    if not (DATA / "backtrader" / "orcl-1995-2014.txt").exists() or DATA.resolve() != (ROOT.parent / "shared" / "data").resolve():
        pytest.skip(f"the README reads ../shared/data; not found beside {ROOT}")
    pytest.importorskip("ray")
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    try:
        with warnings.catch_warnings(), local_venue():
            warnings.simplefilter("ignore")  # the sweeps say which combinations they skipped
            for i, block in enumerate(python_blocks()):
                try:
                    exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
                except Exception as e:  # pragma: no cover - the failure message is the point
                    raise AssertionError(f"README python block {i + 1} fails: {e!r}\n{block}") from e
    finally:
        import ray
        if ray.is_initialized():
            ray.shutdown()
        out = ROOT / "out" / "orcl.html"
        if out.exists():
            out.unlink()
    assert namespace["result"].executions.shape[0] == 1

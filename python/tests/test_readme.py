"""Every Python example in the README runs, in order, as a newcomer would
paste it (from the repository root, with the shared data beside it)."""

import re
import warnings

import pytest

from conftest import DATA, ROOT

README = ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples():
    assert len(python_blocks()) >= 2


def test_every_readme_python_example_runs(monkeypatch):
    if not (DATA / "backtrader" / "orcl-1995-2014.txt").exists() or DATA.resolve() != (ROOT.parent / "shared" / "data").resolve():
        pytest.skip(f"the README reads ../shared/data; not found beside {ROOT}")
    pytest.importorskip("ray")
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    try:
        with warnings.catch_warnings():
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

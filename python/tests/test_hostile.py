"""Hostile input through py_rt: each case raises a clear exception that
names the input, in a child interpreter limited to 1 GiB of address space
(a case that tried to allocate 800 GB used to kill the interpreter with
SIGABRT)."""

import json
import os
import resource
import subprocess
import sys
import textwrap

import pytest

LIMIT = 1 << 30

CASES = {
    "sma period": ("py_rt.ta.sma(np.arange(10.0), 99999999999)", "ValueError", ["sma:99999999999", "10000000"]),
    "feature period": ("py_rt.features(df, ['willr:99999999999'])", "ValueError", ["willr:99999999999"]),
    "feature lag": ("py_rt.features(df, ['rsi:14@lag99999999999'])", "ValueError", ["lag 99999999999"]),
    "negative fees": ("py_rt.Backtest(df, fees='bps:-99999').run()", "ValueError", ["bps:-99999", "taker rate"]),
    "negative slippage": ("py_rt.Backtest(df, slippage='bps:-5000').run()", "ValueError", ["bps:-5000"]),
    "huge parameter": ("py_rt.Backtest(df).run(fast=10**30)", "ValueError",
                       ["`fast`", "got 1000000000000000000000000000000"]),
    "empty frame": ("py_rt.Backtest(df.iloc[:0]).run()", "ValueError", ["0 bar(s)", "at least two"]),
    "one row": ("py_rt.Backtest(df.iloc[:1]).run()", "ValueError", ["1 bar(s)"]),
    "one row, signals": ("py_rt.from_signals(df.close.iloc[:1], df.close.iloc[:1] > 0, df.close.iloc[:1] < 0)",
                         "ValueError", ["1 bar(s)"]),
    "python strategy, empty": ("py_rt.Backtest(df.iloc[:0], py_rt.Strategy).run()", "ValueError", ["0 bar(s)"]),
    "infinite price": ("py_rt.Backtest(df.assign(close=np.inf)).run()", "ValueError", ["close"]),
}

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np, pandas as pd
    import py_rt
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    df = pd.DataFrame({"open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0, "volume": 1.0}, index=idx)
    try:
        eval(sys.argv[1])
        print(json.dumps({"type": None, "message": ""}))
    except Exception as e:
        print(json.dumps({"type": type(e).__name__, "message": str(e)}))
""")


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_raises_a_clear_error_within_a_gigabyte(case):
    code, kind, names = CASES[case]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, code], capture_output=True, text=True, timeout=120,
                         preexec_fn=limit_memory, env=env)
    assert out.returncode == 0, f"{case}: the interpreter died ({out.returncode}): {out.stderr[-2000:]}"
    assert "panicked" not in out.stderr, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["type"] == kind, f"{case}: {result}"
    assert len(result["message"]) < 1000, result["message"]
    for name in names:
        assert name in result["message"], f"{case}: `{name}` not in: {result['message']}"

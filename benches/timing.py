"""Timing shared by the benchmark scripts (run as `python benches/NAME.py`,
so this folder is on the import path)."""

import time


def best_of(repeats, fn):
    """The fastest of `repeats` runs of `fn`, in seconds, and the last run's result."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out

"""Order-book backtest speed: py_rt vs hftbacktest on the same Binance capture.

Both replay `usdm_btcusdt_20240808.gz` (USD-M BTCUSDT, about 6 minutes,
from hftbacktest's own examples) with a market maker that quotes 0.01 BTC
on both sides at the touch, re-quotes when the touch moves a tick, and
stops adding at 0.1 BTC of inventory; 1 ms order latency each way, the
risk-averse queue model, maker 2 bps / taker 5 bps. The strategies are
alike, not identical (hftbacktest wakes on every feed batch and order
response, py_rt on every book message; hftbacktest here fills whole
orders only), so order and fill counts differ; this compares speed.

Conversion is not timed for either: hftbacktest converts the capture to
its event array first, py_rt to its event list (`pyrt-bench l2` times only
the replay). hftbacktest's strategy is compiled with numba before timing
(on a slice of the data). Event counts differ: hftbacktest keeps depth and
trade events (and splits some into exchange- and local-side copies when it
corrects the event order); py_rt also replays the book tickers as quotes.
So both events/s and the wall time for the whole capture are printed.

Run with benches/l2_vs_hftbacktest.sh (it makes .venv-hft with
hftbacktest 2.4.4 and builds `pyrt-bench` in release mode).
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

from hftbacktest import BUY, GTX, LIMIT, SELL, BacktestAsset, ROIVectorMarketDepthBacktest
from hftbacktest.data.utils import binancefutures

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT.parent / "shared/data/hftbacktest/raw/usdm_btcusdt_20240808.gz"


@njit
def quote_at_touch(hbt):
    size = 0.01
    max_position = 0.1
    tick = hbt.depth(0).tick_size
    next_id = 1
    bid_id = 0
    bid_px = 0.0
    ask_id = 0
    ask_px = 0.0
    feeds = 0
    while True:
        r = hbt.wait_next_feed(True, 3_600_000_000_000)
        if r == 1:
            break
        if r != 0 and r != 2 and r != 3:
            return -r, next_id - 1
        feeds += 1
        hbt.clear_inactive_orders(0)
        orders = hbt.orders(0)
        if bid_id != 0 and bid_id not in orders:
            bid_id = 0
        if ask_id != 0 and ask_id not in orders:
            ask_id = 0
        depth = hbt.depth(0)
        best_bid = depth.best_bid
        best_ask = depth.best_ask
        if not (np.isfinite(best_bid) and np.isfinite(best_ask)):
            continue
        position = hbt.position(0)
        if bid_id == 0:
            if position + size <= max_position + 1e-12:
                hbt.submit_buy_order(0, next_id, best_bid, size, GTX, LIMIT, False)
                bid_id = next_id
                bid_px = best_bid
                next_id += 1
        elif abs(bid_px - best_bid) >= tick - 1e-9 or position + size > max_position + 1e-12:
            o = orders.get(bid_id)
            if o is not None and o.cancellable:
                hbt.cancel(0, bid_id, False)
        if ask_id == 0:
            if position - size >= -max_position - 1e-12:
                hbt.submit_sell_order(0, next_id, best_ask, size, GTX, LIMIT, False)
                ask_id = next_id
                ask_px = best_ask
                next_id += 1
        elif abs(ask_px - best_ask) >= tick - 1e-9 or position - size < -max_position - 1e-12:
            o = orders.get(ask_id)
            if o is not None and o.cancellable:
                hbt.cancel(0, ask_id, False)
    return feeds, next_id - 1


def backtest(data):
    asset = (
        BacktestAsset()
        .data([data])
        .linear_asset(1.0)
        .constant_order_latency(1_000_000, 1_000_000)
        .risk_adverse_queue_model()
        # partial_fill_exchange() stops with error 14 partway through this
        # capture in 2.4.4, so hftbacktest fills whole orders here.
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0002, 0.0005)
        .tick_size(0.1)
        .lot_size(0.001)
        .roi_lb(40_000.0)
        .roi_ub(80_000.0)
    )
    return ROIVectorMarketDepthBacktest([asset])


def main():
    if not CAPTURE.exists():
        sys.exit(f"capture not found: {CAPTURE} (the shared hftbacktest data)")
    t = time.perf_counter()
    data = binancefutures.convert(str(CAPTURE))
    print(f"hftbacktest conversion: {len(data)} events in {time.perf_counter() - t:.2f} s (not timed below)")

    warm = backtest(data[:20_000])
    quote_at_touch(warm)
    warm.close()

    runs = []
    for _ in range(3):
        hbt = backtest(data)
        t = time.perf_counter()
        feeds, orders = quote_at_touch(hbt)
        elapsed = time.perf_counter() - t
        if feeds < 0:
            sys.exit(f"hftbacktest stopped with error {-feeds}")
        position = hbt.position(0)
        hbt.close()
        runs.append(elapsed)
    best = min(runs)
    print(
        f"hftbacktest 2.4.4: {len(data)} events in {best * 1e3:.1f} ms best of 3 "
        f"= {len(data) / best / 1e6:.2f} M events/s ({feeds} feed wake-ups, {orders} orders, position {position:.3f})"
    )

    pyrt = ROOT / "target/release/pyrt-bench"
    out = subprocess.run(
        [str(pyrt), "l2", "--capture", str(CAPTURE), "--format", "json", "--repeats", "5"],
        check=True,
        capture_output=True,
        text=True,
    )
    r = json.loads(out.stdout)
    wall = r["events"] / r["best_events_per_sec"]
    print(
        f"py_rt: {r['events']} events in {wall * 1e3:.1f} ms best of 5 "
        f"= {r['best_events_per_sec'] / 1e6:.2f} M events/s ({r['orders']} orders, {r['fills']} fills, "
        f"position {r['final_position']})"
    )
    print(f"whole capture: py_rt {best / wall:.1f}x faster")


if __name__ == "__main__":
    main()

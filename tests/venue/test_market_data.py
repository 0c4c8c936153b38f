"""The venue's market-data endpoints against the real clients.

python-binance 1.0.37 and ccxt 4.5.90, unmodified, read recent and
historical trades, aggregate trades, klines, the 24-hour and rolling
tickers, prices, book tickers and the average price, on the synthetic
market and on a replayed Binance session. The numbers must agree with one
another: the 24-hour ticker's volume is the sum of the trades it counts,
the closed candles are the trades of their second, a fill the account
made is a trade on the tape. Shapes follow Binance's REST API docs
("Market Data endpoints") and the recorded answers in
shared/data/nautilus_trader/binance_json/http_responses.
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from decimal import Decimal

import pytest

from test_binance_clients import KEY, SECRET, venue  # noqa: F401  (the fixture)


def client(venue):
    from binance.client import Client

    c = Client(KEY, SECRET, ping=False)
    c.API_URL = f"http://{venue}/api"
    return c


def get(venue, path, **params):
    """The venue's answer to a public GET: (HTTP status, JSON)."""
    url = f"http://{venue}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_for_trades(c, n, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trades = c.get_recent_trades(symbol="BTCUSDT", limit=1000)
        if len(trades) >= n:
            return trades
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} trades in {timeout} s")


def trades_up_to(c, last_id):
    """Every kept trade from id 1 to `last_id`, paged with fromId."""
    out, next_id = [], 1
    while next_id <= last_id:
        page = c.get_historical_trades(symbol="BTCUSDT", fromId=next_id, limit=1000)
        assert page, f"no trades from id {next_id}"
        out += [t for t in page if t["id"] <= last_id]
        next_id = page[-1]["id"] + 1
    return out


def test_trades_tickers_and_candles_agree(venue):  # noqa: F811
    c = client(venue)
    recent = wait_for_trades(c, 20)
    keys = {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"}
    assert all(set(t) == keys for t in recent)
    assert [t["id"] for t in recent] == list(range(recent[0]["id"], recent[-1]["id"] + 1)), "ids without gaps"
    t = recent[-1]
    assert Decimal(t["quoteQty"]) == Decimal(t["price"]) * Decimal(t["qty"])

    # The 24-hour ticker counts every trade so far (the session is younger
    # than a day): its volume is theirs, to the unit.
    ticker = c.get_ticker(symbol="BTCUSDT")
    assert ticker["firstId"] == 1 and ticker["count"] == ticker["lastId"]
    counted = trades_up_to(c, ticker["lastId"])
    assert len(counted) == ticker["count"]
    assert Decimal(ticker["volume"]) == sum(Decimal(t["qty"]) for t in counted)
    assert Decimal(ticker["quoteVolume"]) == sum(Decimal(t["quoteQty"]) for t in counted)
    prices = [Decimal(t["price"]) for t in counted]
    assert (Decimal(ticker["highPrice"]), Decimal(ticker["lowPrice"])) == (max(prices), min(prices))
    assert Decimal(ticker["openPrice"]) == prices[0] and Decimal(ticker["lastPrice"]) >= 0
    for field in ("priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastQty", "bidPrice",
                  "bidQty", "askPrice", "askQty", "openTime", "closeTime"):
        assert field in ticker, field

    # Closed one-second candles hold exactly their second's trades.
    deadline = time.monotonic() + 10
    while True:
        klines = c.get_klines(symbol="BTCUSDT", interval="1s", limit=1000)
        closed = [k for k in klines[:-1] if k[8] > 0]
        if closed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert closed, "no closed candle with trades"
    trades = trades_up_to(c, c.get_recent_trades(symbol="BTCUSDT", limit=1)[0]["id"])
    by_second = defaultdict(list)
    for tr in trades:
        by_second[tr["time"] // 1000 * 1000].append(tr)
    for k in closed:
        mine = by_second[k[0]]
        assert k[6] == k[0] + 999 and len(k) == 12
        assert (k[8], Decimal(k[5])) == (len(mine), sum(Decimal(tr["qty"]) for tr in mine)), k
        assert Decimal(k[1]) == Decimal(mine[0]["price"]) and Decimal(k[4]) == Decimal(mine[-1]["price"])
        taker_buys = sum(Decimal(tr["qty"]) for tr in mine if not tr["isBuyerMaker"])
        assert Decimal(k[9]) == taker_buys

    # Aggregate trades: each trade is its own aggregate.
    agg = c.get_aggregate_trades(symbol="BTCUSDT", fromId=counted[0]["id"], limit=5)
    assert [(a["a"], a["f"], a["l"]) for a in agg] == [(t["id"],) * 3 for t in counted[:5]]
    assert set(agg[0]) == {"a", "p", "q", "f", "l", "T", "m", "M"}

    # Prices, book ticker, average price.
    price = c.get_symbol_ticker(symbol="BTCUSDT")
    assert set(price) == {"symbol", "price"} and Decimal(price["price"]) > 0
    book = c.get_orderbook_ticker(symbol="BTCUSDT")
    assert Decimal(book["bidPrice"]) < Decimal(book["askPrice"])
    avg = c.get_avg_price(symbol="BTCUSDT")
    assert avg["mins"] == 5 and Decimal(avg["price"]) > 0 and "closeTime" in avg
    everything = c.get_ticker()
    assert isinstance(everything, list) and {t["symbol"] for t in everything} >= {"BTCUSDT"}


def test_a_fill_is_a_trade_on_the_tape(venue):  # noqa: F811
    c = client(venue)
    wait_for_trades(c, 1)
    order = c.order_market_buy(symbol="BTCUSDT", quantity=0.01)
    fills = {(f["tradeId"], Decimal(f["price"]), Decimal(f["qty"])) for f in order["fills"]}
    tape = c.get_historical_trades(symbol="BTCUSDT", fromId=min(f[0] for f in fills), limit=1000)
    on_tape = {(t["id"], Decimal(t["price"]), Decimal(t["qty"])) for t in tape}
    assert fills <= on_tape, (fills, on_tape)
    # The buyer (this account) took the book: the buyer was not the maker.
    assert all(not t["isBuyerMaker"] for t in tape if t["id"] in {f[0] for f in fills})


def test_ccxt_reads_the_market(venue):  # noqa: F811
    import ccxt

    ex = ccxt.binance({"options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                                   "fetchMargins": False}})
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = f"http://{venue}/api/v3"
    client(venue) and wait_for_trades(client(venue), 5)
    trades = ex.fetch_trades("BTC/USDT", limit=5)
    assert len(trades) == 5 and all(t["price"] > 0 and t["amount"] > 0 for t in trades)
    ohlcv = ex.fetch_ohlcv("BTC/USDT", "1s", limit=10)
    assert ohlcv and all(len(row) == 6 and row[2] >= row[3] for row in ohlcv)
    ticker = ex.fetch_ticker("BTC/USDT")
    assert ticker["last"] > 0 and ticker["bid"] < ticker["ask"] and ticker["baseVolume"] > 0
    tickers = ex.fetch_tickers(["BTC/USDT"])
    assert tickers["BTC/USDT"]["last"] > 0
    daily = ex.fetch_ohlcv("BTC/USDT", "1d", limit=2)
    assert daily and daily[-1][5] > 0


@pytest.mark.parametrize("path, params, code", [
    ("/api/v3/trades", {"symbol": "BTCUSDT", "limit": 1001}, -1130),
    ("/api/v3/trades", {"symbol": "NOPE"}, -1121),
    ("/api/v3/trades", {}, -1102),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "7x"}, -1120),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "startTime": 2000, "endTime": 1000}, -1128),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1d", "timeZone": "+15"}, -1130),
    ("/api/v3/aggTrades", {"symbol": "BTCUSDT", "startTime": 0, "endTime": 3_600_001}, -1127),
    ("/api/v3/aggTrades", {"symbol": "BTCUSDT", "fromId": 1, "startTime": 0}, -1128),
    ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, -1128),
    ("/api/v3/ticker/24hr", {"symbols": '["BTCUSDT",'}, -1100),
    ("/api/v3/ticker/24hr", {"symbols": '["btcusdt"]'}, -1100),
    ("/api/v3/ticker/price", {"symbols": '["BTCUSDT","NOPE"]'}, -1121),
    ("/api/v3/ticker", {"symbol": "BTCUSDT", "windowSize": "8d"}, -1130),
    ("/api/v3/ticker", {}, -1102),
    ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "type": "HALF"}, -1116),
])
def test_bad_requests_get_binances_codes_and_the_venue_keeps_serving(venue, path, params, code):  # noqa: F811
    status, body = get(venue, path, **params)
    assert status == 400 and body["code"] == code, body
    status, body = get(venue, "/api/v3/ticker/price", symbol="BTCUSDT")
    assert status == 200 and body["symbol"] == "BTCUSDT"


def test_symbol_lists_and_rolling_windows(venue):  # noqa: F811
    wait_for_trades(client(venue), 1)
    status, listed = get(venue, "/api/v3/ticker/price", symbols='["BTCUSDT"]')
    assert status == 200 and isinstance(listed, list) and listed[0]["symbol"] == "BTCUSDT"
    status, mini = get(venue, "/api/v3/ticker", symbol="BTCUSDT", windowSize="5m", type="MINI")
    assert status == 200 and "priceChange" not in mini and mini["count"] >= 1
    assert mini["closeTime"] - mini["openTime"] == 300_000
    status, full = get(venue, "/api/v3/ticker", symbols='["BTCUSDT"]', windowSize="2h")
    assert status == 200 and full[0]["count"] >= mini["count"] and "weightedAvgPrice" in full[0]
    status, ui = get(venue, "/api/v3/uiKlines", symbol="BTCUSDT", interval="1w", timeZone="8")
    assert status == 200 and len(ui) == 1 and ui[0][8] >= 1

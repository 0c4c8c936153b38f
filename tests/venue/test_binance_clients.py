"""The local venue against the real Binance client libraries.

`pyrt venue` starts on a free loopback port; python-binance 1.0.37 and
ccxt 4.5.90, unmodified and pointed at it with the recipes in
shared/protocols.md §3, place, query and cancel market and limit orders
and read balances and the book. Every signed request they send must verify.
Each test runs twice: on the synthetic market and on a replayed recording.
"""

import os
import subprocess
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYRT = Path(os.environ.get("PYRT_BIN", ROOT / "target" / "debug" / "pyrt"))
KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


DATA = Path(os.environ.get("PYRT_SHARED_DATA", ROOT.parent / "shared" / "data"))
CAPTURE = DATA / "hftbacktest" / "raw" / "spot_btcusdt_20240808.gz"


@contextmanager
def _running_venue(*extra):
    """`pyrt venue` on a free port with `extra` flags; yields host:port."""
    args = [str(PYRT), "venue", "--listen", "127.0.0.1:0", "--step-ms", "20", *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on http://" in line, f"venue did not start: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield line.strip().split("http://")[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@asynccontextmanager
async def async_client(address):
    """python-binance's AsyncClient with REST and the WebSocket API pointed
    at the venue (both are class attributes, restored afterwards)."""
    from binance import AsyncClient

    saved = AsyncClient.API_URL, AsyncClient.WS_API_URL
    AsyncClient.API_URL, AsyncClient.WS_API_URL = f"http://{address}/api", f"ws://{address}/ws-api/v3"
    try:
        client = await AsyncClient.create(KEY, SECRET)
        try:
            yield client
        finally:
            await client.close_connection()
    finally:
        AsyncClient.API_URL, AsyncClient.WS_API_URL = saved


@pytest.fixture(params=["synthetic", "replay"])
def venue(request):
    """The venue on a free port, trading against its synthetic market or
    against a real Binance Spot session replayed 20x faster."""
    extra = []
    if request.param == "replay":
        if not CAPTURE.exists():
            pytest.skip(f"recording not found at {CAPTURE} (set PYRT_SHARED_DATA)")
        extra = ["--replay", str(CAPTURE), "--speed", "20"]
    with _running_venue(*extra) as address:
        yield address


def balances_python_binance(client):
    return {b["asset"]: (float(b["free"]), float(b["locked"])) for b in client.get_account()["balances"]}


def test_python_binance_trades_against_the_venue(venue):
    from binance.client import Client
    from binance.exceptions import BinanceAPIException

    client = Client(KEY, SECRET, ping=False)
    client.API_URL = f"http://{venue}/api"
    client.ping()
    assert abs(client.get_server_time()["serverTime"] - time.time() * 1000) < 5000

    book = client.get_order_book(symbol="BTCUSDT", limit=10)
    assert len(book["bids"]) == 10 and len(book["asks"]) == 10
    best_bid, best_ask = float(book["bids"][0][0]), float(book["asks"][0][0])
    assert best_bid < best_ask

    before = balances_python_binance(client)
    assert before["BTC"] == (10.0, 0.0) and before["USDT"] == (100000.0, 0.0)

    filled = client.order_market_buy(symbol="BTCUSDT", quantity=0.01)
    assert filled["status"] == "FILLED" and float(filled["executedQty"]) == 0.01
    assert filled["fills"] and all(f["commissionAsset"] == "BTC" for f in filled["fills"])
    spent = float(filled["cummulativeQuoteQty"])
    after = balances_python_binance(client)
    assert after["USDT"][0] == pytest.approx(100000.0 - spent, abs=1e-6)
    assert after["BTC"][0] == pytest.approx(10.0 + 0.01 * (1 - 0.001), abs=1e-9)

    # A limit far below the market rests, locks its quote, and cancels.
    price = round(best_bid * 0.8, 2)
    resting = client.order_limit_buy(symbol="BTCUSDT", quantity=0.01, price=f"{price:.2f}")
    assert resting["status"] == "NEW"
    assert client.get_order(symbol="BTCUSDT", orderId=resting["orderId"])["status"] == "NEW"
    assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [resting["orderId"]]
    assert balances_python_binance(client)["USDT"][1] == pytest.approx(price * 0.01, abs=1e-6)
    cancelled = client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
    assert cancelled["status"] == "CANCELED"
    assert client.get_open_orders(symbol="BTCUSDT") == []
    assert balances_python_binance(client)["USDT"][1] == 0.0

    # Spend an amount instead of naming a quantity (quoteOrderQty): whole
    # lots, never more than the amount.
    by_amount = client.order_market_buy(symbol="BTCUSDT", quoteOrderQty=1000)
    assert by_amount["status"] == "FILLED" and by_amount["origQuoteOrderQty"] == "1000.00000000"
    paid = float(by_amount["cummulativeQuoteQty"])
    assert 1000 - best_ask * 1.01 * 0.00001 < paid <= 1000
    sold = client.order_market_sell(symbol="BTCUSDT", quoteOrderQty=500)
    assert 0 < float(sold["cummulativeQuoteQty"]) <= 500

    mine = client.create_order(symbol="BTCUSDT", side="SELL", type="LIMIT", timeInForce="GTC", quantity=0.001, price="999999", newClientOrderId="myOrder1")
    assert mine["clientOrderId"] == "myOrder1"
    assert client.get_order(symbol="BTCUSDT", origClientOrderId="myOrder1")["orderId"] == mine["orderId"]

    for call, code in [
        (lambda: client.get_order(symbol="BTCUSDT", orderId=999999), -2013),
        (lambda: client.cancel_order(symbol="BTCUSDT", orderId=999999), -2011),
        (lambda: client.order_limit_buy(symbol="BTCUSDT", quantity=0.01, price="100.001"), -1013),
        (lambda: client.order_market_buy(symbol="BTCUSDT", quantity=1000), -2010),
        (lambda: client.get_order_book(symbol="NOPE"), -1121),
    ]:
        with pytest.raises(BinanceAPIException) as err:
            call()
        assert err.value.code == code

    wrong = Client(KEY, "not-the-secret", ping=False)
    wrong.API_URL = f"http://{venue}/api"
    with pytest.raises(BinanceAPIException) as err:
        wrong.get_account()
    assert err.value.code == -1022


def test_ccxt_trades_against_the_venue(venue):
    import ccxt

    ex = ccxt.binance({
        "apiKey": KEY,
        "secret": SECRET,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    })
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = f"http://{venue}/api/v3"
    markets = ex.load_markets()
    assert "BTC/USDT" in markets

    book = ex.fetch_order_book("BTC/USDT", limit=10)
    assert book["bids"][0][0] < book["asks"][0][0]

    order = ex.create_order("BTC/USDT", "market", "buy", 0.01)
    assert order["status"] == "closed" and order["filled"] == 0.01

    price = round(book["bids"][0][0] * 0.8, 2)
    limit = ex.create_order("BTC/USDT", "limit", "buy", 0.01, price)
    assert limit["status"] == "open"
    assert ex.fetch_order(limit["id"], "BTC/USDT")["status"] == "open"
    assert [o["id"] for o in ex.fetch_open_orders("BTC/USDT")] == [limit["id"]]
    ex.cancel_order(limit["id"], "BTC/USDT")
    assert ex.fetch_order(limit["id"], "BTC/USDT")["status"] == "canceled"

    balance = ex.fetch_balance()
    assert balance["BTC"]["free"] == pytest.approx(10 + 0.01 * 0.999, abs=1e-9)
    assert balance["USDT"]["used"] == 0

    with pytest.raises(ccxt.InsufficientFunds):
        ex.create_order("BTC/USDT", "market", "buy", 1000)
    with pytest.raises(ccxt.OrderNotFound):
        ex.cancel_order("999999", "BTC/USDT")


def test_streams_keep_a_book_in_sync_by_the_official_procedure(venue):
    """Diff depth + REST snapshot, synced as Binance documents it, agrees
    with every book ticker at the same update id."""
    import json
    import urllib.request

    from websockets.sync.client import connect

    url = f"ws://{venue}/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade"
    with connect(url) as ws:
        buffered = [json.loads(ws.recv(timeout=5)) for _ in range(3)]
        with urllib.request.urlopen(f"http://{venue}/api/v3/depth?symbol=BTCUSDT&limit=1000") as r:
            snap = json.load(r)
        book = {"b": {p: q for p, q in snap["bids"]}, "a": {p: q for p, q in snap["asks"]}}
        frames = buffered + [json.loads(ws.recv(timeout=5)) for _ in range(200)]
    # Processed after closing: a client that stops reading with frames in
    # flight makes its own close wait behind them.
    local = snap["lastUpdateId"]
    checked = trades = 0
    for frame in frames:
        stream, data = frame["stream"], frame["data"]
        if stream.endswith("@trade"):
            trades += 1
            assert data["e"] == "trade" and float(data["p"]) > 0
        elif stream.startswith("btcusdt@depth"):
            if data["u"] <= local:
                continue
            assert data["U"] == local + 1, "a gap in the diff stream"
            for side in "ba":
                for p, q in data[side]:
                    if float(q) == 0:
                        book[side].pop(p, None)
                    else:
                        book[side][p] = q
            local = data["u"]
        elif data["u"] == local:
            best_bid = max(book["b"], key=float)
            best_ask = min(book["a"], key=float)
            assert (best_bid, book["b"][best_bid]) == (data["b"], data["B"])
            assert (best_ask, book["a"][best_ask]) == (data["a"], data["A"])
            checked += 1
    assert checked >= 10 and trades > 0


def test_subscribe_requests_and_partial_depth(venue):
    import json

    from websockets.sync.client import connect

    with connect(f"ws://{venue}/ws") as ws:
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@depth5"], "id": 1}))
        assert json.loads(ws.recv(timeout=5)) == {"result": None, "id": 1}
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade"], "id": 4}))
        ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 2}))
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 3}))
        replies, agg = {}, 0
        while len(replies) < 3 or agg == 0:
            msg = json.loads(ws.recv(timeout=5))
            if "id" in msg:
                replies[msg["id"]] = msg
            elif msg.get("e") == "aggTrade":
                assert msg["a"] == msg["f"] == msg["l"] and float(msg["p"]) > 0
                agg += 1
            else:
                assert len(msg["bids"]) == 5 and len(msg["asks"]) == 5 and "lastUpdateId" in msg
        assert replies[2]["error"]["code"] == 2
        assert replies[3]["result"] == ["btcusdt@aggTrade", "btcusdt@depth5"]
        # Stop the flow and read up to the reply, so closing is not stuck behind frames.
        ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth5"], "id": 5}))
        while json.loads(ws.recv(timeout=5)).get("id") != 5:
            pass


def test_ccxt_pro_watches_the_book_and_trades(venue):
    import asyncio

    import ccxt.pro

    async def run():
        ex = ccxt.pro.binance({
            "apiKey": KEY,
            "secret": SECRET,
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
        })
        ex.urls["api"]["public"] = ex.urls["api"]["private"] = f"http://{venue}/api/v3"
        ex.urls["api"]["ws"]["spot"] = f"ws://{venue}/ws"
        try:
            book = await ex.watch_order_book("BTC/USDT")
            for _ in range(5):
                book = await ex.watch_order_book("BTC/USDT")
            trades = await ex.watch_trades("BTC/USDT")
            return book, trades
        finally:
            await ex.close()

    book, trades = asyncio.run(asyncio.wait_for(run(), 30))
    assert book["bids"][0][0] < book["asks"][0][0]
    assert trades and trades[0]["price"] > 0


def test_python_binance_user_socket_reports_executions(venue, monkeypatch):
    """python-binance's `user_socket()` (the WebSocket API with
    `userDataStream.subscribe.signature`) receives every execution."""
    import asyncio

    from binance import BinanceSocketManager
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket

    # Its read loop notices a close only between 10-second receive timeouts.
    monkeypatch.setattr(ReconnectingWebsocket, "TIMEOUT", 0.5)

    async def run():
        async with async_client(venue) as client, BinanceSocketManager(client).user_socket() as stream:
            await asyncio.sleep(0.5)
            order = await client.order_market_buy(symbol="BTCUSDT", quantity=0.01)
            reports, positions = [], 0
            while not reports or reports[-1]["X"] != "FILLED":
                msg = await asyncio.wait_for(stream.recv(), 10)
                event = msg.get("event", msg)
                if event["e"] == "executionReport":
                    reports.append(event)
                elif event["e"] == "outboundAccountPosition":
                    positions += 1
            return order, reports, positions

    order, reports, positions = asyncio.run(run())
    assert reports[0]["x"] == "NEW" and reports[0]["i"] == order["orderId"]
    trades = [r for r in reports if r["x"] == "TRADE"]
    assert sum(float(t["l"]) for t in trades) == pytest.approx(0.01)
    assert [int(t["t"]) for t in trades] == [f["tradeId"] for f in order["fills"]]
    # Each report is followed by the balances it changed (the last one still in flight).
    assert positions == len(reports) - 1


def test_listen_key_stream_reports_a_resting_order_and_its_cancel(venue):
    import json
    import urllib.request

    from binance.client import Client
    from websockets.sync.client import connect

    client = Client(KEY, SECRET, ping=False)
    client.API_URL = f"http://{venue}/api"
    key = client.stream_get_listen_key()
    with connect(f"ws://{venue}/ws/{key}") as ws:
        with urllib.request.urlopen(f"http://{venue}/api/v3/depth?symbol=BTCUSDT&limit=5") as r:
            bid = float(json.load(r)["bids"][0][0])
        order = client.order_limit_buy(symbol="BTCUSDT", quantity=0.01, price=f"{bid * 0.8:.2f}")
        client.cancel_order(symbol="BTCUSDT", orderId=order["orderId"])
        seen = []
        while len(seen) < 2:
            event = json.loads(ws.recv(timeout=5))
            if event["e"] == "executionReport":
                seen.append((event["x"], event["X"], event["i"]))
    assert seen == [("NEW", "NEW", order["orderId"]), ("CANCELED", "CANCELED", order["orderId"])]


def _signed(venue, method, path, params, key=KEY, secret=SECRET):
    """A raw signed request, as the docs describe it; returns (status, body)."""
    import hashlib
    import hmac
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode({**params, "timestamp": int(time.time() * 1000)})
    query += "&signature=" + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://{venue}{path}?{query}", method=method, headers={"X-MBX-APIKEY": key})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.mark.parametrize("venue", ["synthetic"], indirect=True)
def test_bad_requests_get_binance_codes(venue):
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000"}
    cases = [
        ({**order, "side": "UP"}, 400, -1116, "Invalid side."),
        ({**order, "type": "STOP"}, 400, -1116, "Invalid orderType."),
        ({**order, "timeInForce": "DAY"}, 400, -1116, "Invalid timeInForce."),
        ({k: v for k, v in order.items() if k != "quantity"}, 400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed."),
        ({k: v for k, v in order.items() if k != "price"}, 400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
        ({**order, "quantity": "lots"}, 400, -1100, None),
        ({**order, "type": "MARKET", "quantity": None, "price": None}, 400, -1102,
         "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        ({**order, "type": "MARKET", "price": None, "quoteOrderQty": "100"}, 400, -1106,
         "Parameter 'quoteOrderQty' sent when not required."),
        ({**order, "quantity": None, "quoteOrderQty": "100"}, 400, -1106,
         "Parameter 'quoteOrderQty' sent when not required."),
        ({**order, "symbol": "NOPE"}, 400, -1121, "Invalid symbol."),
    ]
    for params, status, code, msg in cases:
        params = {k: v for k, v in params.items() if v is not None}
        got_status, body = _signed(venue, "POST", "/api/v3/order", params)
        assert (got_status, body["code"]) == (status, code), (params, body)
        if msg:
            assert body["msg"] == msg
    status, body = _signed(venue, "GET", "/api/v3/order", {"symbol": "BTCUSDT"})
    assert (status, body["code"]) == (400, -1102) and "'origClientOrderId' or 'orderId'" in body["msg"]
    status, body = _signed(venue, "GET", "/api/v3/account", {}, key="unknown-key")
    assert (status, body["code"]) == (401, -2015)
    status, body = _signed(venue, "GET", "/api/v3/depth", {"symbol": "BTCUSDT", "limit": 6000})
    assert (status, body["code"]) == (400, -1116)
    status, body = _signed(venue, "GET", "/api/v3/nowhere", {})
    assert (status, body["code"]) == (404, -1000)


@pytest.mark.parametrize("venue", ["synthetic"], indirect=True)
def test_websocket_api_refuses_bad_requests(venue):
    import json

    from websockets.sync.client import connect

    with connect(f"ws://{venue}/ws-api/v3") as ws:
        for request, status, code in [
            ({"id": 1, "method": "order.place", "params": {}}, 400, -1102),
            ({"id": 6, "method": "order.teleport", "params": {}}, 400, -1116),
            ({"id": 2, "method": "userDataStream.subscribe.signature", "params": {"timestamp": 1}}, 400, -1102),
            ({"id": 3, "method": "userDataStream.subscribe.signature", "params": {"apiKey": "who", "timestamp": 1, "signature": "00"}}, 401, -2015),
            ({"id": 4, "method": "userDataStream.subscribe.signature", "params": {"apiKey": KEY, "timestamp": 1, "signature": "00" * 32}}, 400, -1022),
        ]:
            ws.send(json.dumps(request))
            reply = json.loads(ws.recv(timeout=5))
            assert (reply["id"], reply["status"], reply["error"]["code"]) == (request["id"], status, code), reply
        ws.send("{not json")
        assert json.loads(ws.recv(timeout=5))["error"]["code"] == -1100
        ws.send(json.dumps({"id": 5, "method": "ping"}))
        pong = json.loads(ws.recv(timeout=5))
        assert (pong["id"], pong["status"], pong["result"]) == (5, 200, {}) and pong["rateLimits"][0]["count"] >= 1


def test_kline_streams_add_up_to_the_trades(venue):
    """`@kline_1s` candles agree with the `@trade` prints they cover (by
    trade id): count, volume, open, high, low, close; a final candle is
    followed by the next one."""
    import json

    from websockets.sync.client import connect

    trades, closed = {}, []
    with connect(f"ws://{venue}/stream?streams=btcusdt@trade/btcusdt@kline_1s") as ws:
        while len(closed) < 3:
            msg = json.loads(ws.recv(timeout=10))
            data = msg["data"]
            if data["e"] == "trade":
                trades[data["t"]] = (float(data["p"]), float(data["q"]))
            elif data["k"]["x"]:
                closed.append(data["k"])
    assert msg["stream"] in ("btcusdt@trade", "btcusdt@kline_1s")
    # The first candle may have begun before we subscribed; check the others.
    for k in closed[1:]:
        assert k["i"] == "1s" and k["T"] - k["t"] == 999 and k["s"] == "BTCUSDT"
        if k["n"] == 0:
            assert k["f"] == k["L"] == -1 and float(k["v"]) == 0 and k["o"] == k["c"]
            continue
        prints = [trades[i] for i in range(k["f"], k["L"] + 1)]
        assert len(prints) == k["n"]
        assert float(k["v"]) == pytest.approx(sum(q for _, q in prints))
        assert float(k["o"]) == prints[0][0] and float(k["c"]) == prints[-1][0]
        assert float(k["h"]) == max(p for p, _ in prints) and float(k["l"]) == min(p for p, _ in prints)
    assert [k["t"] for k in closed] == sorted(k["t"] for k in closed)


@pytest.fixture
def short_key_venue():
    """The synthetic venue with listen keys that live 1.5 s unless kept alive."""
    with _running_venue("--listen-key-ttl-s", "1.5") as address:
        yield address


def test_listen_keys_expire_unless_kept_alive(short_key_venue):
    """Binance's rules, with python-binance's listen-key calls: the same
    key while it lives, extended by a keepalive; without one it expires,
    its stream says `listenKeyExpired` and closes, and a keepalive or close
    of it is refused with -1125."""
    import json

    from binance.client import Client
    from binance.exceptions import BinanceAPIException
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    venue = short_key_venue
    client = Client(KEY, SECRET, ping=False)
    client.API_URL = f"http://{venue}/api"
    key = client.stream_get_listen_key()
    assert len(key) == 64 and KEY not in key
    assert client.stream_get_listen_key() == key

    # Kept alive twice at 0.9 s intervals: alive well past its first 1.5 s.
    with connect(f"ws://{venue}/ws/{key}") as ws:
        for _ in range(2):
            time.sleep(0.9)
            client.stream_keepalive(key)
        order = client.order_market_buy(symbol="BTCUSDT", quantity=0.001)
        event = json.loads(ws.recv(timeout=5))
        while event.get("e") != "executionReport":
            event = json.loads(ws.recv(timeout=5))
        assert event["i"] == order["orderId"]

        # Then left alone: it expires, says so, and the stream ends.
        started = time.monotonic()
        expired = None
        while expired is None:
            event = json.loads(ws.recv(timeout=5))
            if event.get("e") == "listenKeyExpired":
                expired = event
        assert expired["listenKey"] == key
        assert 1.0 < time.monotonic() - started < 3.0
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)

    for call in (client.stream_keepalive, client.stream_close):
        with pytest.raises(BinanceAPIException) as refused:
            call(key)
        assert refused.value.code == -1125 and refused.value.message == "This listenKey does not exist."

    # A new key is a new key; closing it ends its stream at once.
    fresh = client.stream_get_listen_key()
    assert fresh != key
    with connect(f"ws://{venue}/ws/{fresh}") as ws:
        client.stream_close(fresh)
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)
    with pytest.raises(Exception):
        with connect(f"ws://{venue}/ws/{fresh}") as ws:
            ws.recv(timeout=2)

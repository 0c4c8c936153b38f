"""Changing orders on the venue, and the WebSocket API, with the real clients.

`order/cancelReplace` (python-binance's `cancel_replace_order`, ccxt's
`edit_order`) swaps an order in one step with Binance's answers for each
outcome: both halves done, the cancel refused (`STOP_ON_FAILURE`: -2022,
nothing placed; `ALLOW_FAILURE`: -2021 with HTTP 409, placed anyway), the
new order refused after the cancel (-2021). The WebSocket API's methods
(`order.place`, `order.status`, `openOrders.status`, `order.cancel`,
`order.cancelReplace`, `allOrders`, `myTrades`, `account.status`, `depth`)
answer what REST answers, with `rateLimits` usage, through python-binance's
`ws_*` calls. Finished orders that never traded are archived past
`--keep-unfilled-orders`, as Binance archives them.

Shapes follow Binance's Spot API documentation: REST "Trading endpoints"
(Cancel an Existing Order and Send a New Order; New Order list - OCO;
Query Order list; Cancel Order list; Query all Order lists; Query Open
Order lists), "General API Information" (HTTP 409 for a partially
succeeded cancelReplace), and the WebSocket API's "Trading requests" and
"Account requests"; the recorded failure in
shared/fixtures/binance/rest/error_-2022_cancel_replace_failed.json is
reproduced exactly.
"""

import asyncio
import hashlib
import hmac
import json
import time
import urllib.parse
from decimal import Decimal

import pytest

from test_binance_clients import DATA, KEY, SECRET, _running_venue, async_client
from test_market_data import client


@pytest.fixture
def synthetic():
    with _running_venue() as address:
        yield address


def below_bid(c, fraction):
    bid = Decimal(c.get_order_book(symbol="BTCUSDT", limit=5)["bids"][0][0])
    return str((bid * Decimal(fraction)).quantize(Decimal("0.01")))


def locked_usdt(c):
    return next(Decimal(b["locked"]) for b in c.get_account()["balances"] if b["asset"] == "USDT")


def test_cancel_replace_swaps_an_order_and_reports_each_half(synthetic):
    from binance.exceptions import BinanceAPIException

    c = client(synthetic)
    low, lower = below_bid(c, "0.8"), below_bid(c, "0.7")
    first = c.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                           price=low, newClientOrderId="first")
    swapped = c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC",
                                     quantity="0.02", price=lower, cancelReplaceMode="STOP_ON_FAILURE",
                                     cancelOrderId=first["orderId"], newClientOrderId="second")
    assert (swapped["cancelResult"], swapped["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    cancelled, placed = swapped["cancelResponse"], swapped["newOrderResponse"]
    assert cancelled["origClientOrderId"] == "first" and cancelled["status"] == "CANCELED"
    assert placed["clientOrderId"] == "second" and placed["status"] == "NEW" and placed["origQty"] == "0.02000000"
    assert [o["clientOrderId"] for o in c.get_open_orders(symbol="BTCUSDT")] == ["second"]
    assert locked_usdt(c) == Decimal(lower) * Decimal("0.02"), "the first order's funds were released"

    # STOP_ON_FAILURE: the cancel fails (no such order), nothing is placed.
    with pytest.raises(BinanceAPIException) as refused:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                               price=low, cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="nope")
    assert (refused.value.code, refused.value.status_code) == (-2022, 400)
    data = json.loads(refused.value.response.text)["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "NOT_ATTEMPTED")
    assert data["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."} and data["newOrderResponse"] is None
    assert len(c.get_open_orders(symbol="BTCUSDT")) == 1

    # ALLOW_FAILURE: placed anyway; a partial success is -2021 with HTTP 409.
    with pytest.raises(BinanceAPIException) as partial:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                               price=low, cancelReplaceMode="ALLOW_FAILURE", cancelOrigClientOrderId="nope",
                               newClientOrderId="third")
    assert (partial.value.code, partial.value.status_code) == (-2021, 409)
    data = json.loads(partial.value.response.text)["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert data["newOrderResponse"]["clientOrderId"] == "third"
    assert sorted(o["clientOrderId"] for o in c.get_open_orders(symbol="BTCUSDT")) == ["second", "third"]

    # The cancel succeeds and the new order is refused (more than the account holds): -2021, and the cancel stands.
    with pytest.raises(BinanceAPIException) as half:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="100",
                               price=low, cancelReplaceMode="STOP_ON_FAILURE", cancelOrigClientOrderId="third")
    assert half.value.code == -2021
    data = json.loads(half.value.response.text)["data"]
    assert (data["cancelResult"], data["newOrderResult"]) == ("SUCCESS", "FAILURE")
    assert data["newOrderResponse"]["code"] == -2010
    assert [o["clientOrderId"] for o in c.get_open_orders(symbol="BTCUSDT")] == ["second"]

    # Bad parameters are refused before anything changes.
    with pytest.raises(BinanceAPIException) as bad:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                               price=low, cancelReplaceMode="SOMETIMES", cancelOrigClientOrderId="second")
    assert bad.value.code == -1116
    with pytest.raises(BinanceAPIException) as missing:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                               price=low, cancelReplaceMode="STOP_ON_FAILURE")
    assert missing.value.code == -1102 and "cancelOrderId" in missing.value.message
    assert [o["clientOrderId"] for o in c.get_open_orders(symbol="BTCUSDT")] == ["second"]


def test_a_cancel_replace_failing_both_ways_answers_as_binance_recorded(synthetic):
    from binance.exceptions import BinanceAPIException

    fixture = DATA.parent / "fixtures" / "binance" / "rest" / "error_-2022_cancel_replace_failed.json"
    if not fixture.exists():
        pytest.skip(f"fixture not found at {fixture} (set PYRT_SHARED_DATA)")
    c = client(synthetic)
    ask = Decimal(c.get_order_book(symbol="BTCUSDT", limit=5)["asks"][0][0])
    # No such order to cancel, and a post-only buy above the ask would take.
    with pytest.raises(BinanceAPIException) as failed:
        c.cancel_replace_order(symbol="BTCUSDT", side="BUY", type="LIMIT_MAKER", quantity="0.01",
                               price=str((ask * Decimal("1.01")).quantize(Decimal("0.01"))),
                               cancelReplaceMode="ALLOW_FAILURE", cancelOrderId=123456)
    assert failed.value.status_code == 400
    assert json.loads(failed.value.response.text) == json.loads(fixture.read_text())
    assert c.get_open_orders(symbol="BTCUSDT") == []


def test_ccxt_edit_order_replaces_a_resting_order(synthetic):
    from test_account_history import ccxt_client

    ex = ccxt_client(synthetic)
    c = client(synthetic)
    low, lower = float(below_bid(c, "0.8")), float(below_bid(c, "0.75"))
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.01, low)
    edited = ex.edit_order(order["id"], "BTC/USDT", "limit", "buy", 0.015, lower)
    assert edited["id"] != order["id"] and edited["price"] == lower and edited["amount"] == 0.015
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert [o["id"] for o in ex.fetch_open_orders("BTC/USDT")] == [edited["id"]]


def ws_request(address, method, params, signed=True):
    """One raw WebSocket API request, signed as Binance documents it."""
    from websockets.sync.client import connect

    params = dict(params)
    if signed:
        params |= {"apiKey": KEY, "timestamp": int(time.time() * 1000)}
        payload = urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()))
        params["signature"] = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    with connect(f"ws://{address}/ws-api/v3") as ws:
        ws.send(json.dumps({"id": "r1", "method": method, "params": params}))
        return json.loads(ws.recv(timeout=10))


def test_the_websocket_api_trades_with_python_binance(synthetic):
    from binance.exceptions import BinanceAPIException

    c = client(synthetic)
    low, lower = below_bid(c, "0.8"), below_bid(c, "0.7")

    async def run():
        async with async_client(synthetic) as ws:
            out = {}
            out["book"] = await ws.ws_get_order_book(symbol="BTCUSDT", limit=5)
            out["bought"] = await ws.ws_create_order(symbol="BTCUSDT", side="BUY", type="MARKET",
                                                     quantity="0.01", newOrderRespType="FULL")
            out["resting"] = await ws.ws_create_order(symbol="BTCUSDT", side="BUY", type="LIMIT",
                                                      timeInForce="GTC", quantity="0.01", price=low)
            out["status"] = await ws.ws_get_order(symbol="BTCUSDT", orderId=out["resting"]["orderId"])
            out["open"] = await ws.ws_get_open_orders(symbol="BTCUSDT")
            out["replaced"] = await ws.ws_cancel_and_replace_order(
                symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.02", price=lower,
                cancelReplaceMode="STOP_ON_FAILURE", cancelOrderId=out["resting"]["orderId"])
            out["cancelled"] = await ws.ws_cancel_order(
                symbol="BTCUSDT", orderId=out["replaced"]["newOrderResponse"]["orderId"])
            out["all"] = await ws.ws_get_all_orders(symbol="BTCUSDT")
            out["trades"] = await ws.ws_get_my_trades(symbol="BTCUSDT")
            out["account"] = await ws.ws_get_account()
            try:
                await ws.ws_get_order(symbol="BTCUSDT", orderId=10**9)
            except BinanceAPIException as e:
                out["missing"] = e
            return out

    out = asyncio.run(run())
    assert len(out["book"]["bids"]) == 5
    bought = out["bought"]
    assert bought["status"] == "FILLED" and bought["fills"]
    assert out["status"]["status"] == "NEW" and out["status"]["clientOrderId"] == out["resting"]["clientOrderId"]
    assert [o["orderId"] for o in out["open"]] == [out["resting"]["orderId"]]
    assert out["replaced"]["cancelResult"] == "SUCCESS" and out["replaced"]["newOrderResult"] == "SUCCESS"
    assert out["cancelled"]["status"] == "CANCELED"
    assert [o["status"] for o in out["all"]] == ["FILLED", "CANCELED", "CANCELED"]
    assert [t["id"] for t in out["trades"]] == [f["tradeId"] for f in bought["fills"]]
    usdt = next(b for b in out["account"]["balances"] if b["asset"] == "USDT")
    assert Decimal(usdt["locked"]) == 0
    assert out["missing"].code == -2013, "the error carries Binance's code"
    # REST sees what the WebSocket API did.
    assert [o["orderId"] for o in c.get_all_orders(symbol="BTCUSDT")] == [o["orderId"] for o in out["all"]]


def test_websocket_api_answers_carry_usage_and_checks(synthetic):
    placed = ws_request(synthetic, "order.place", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                   "quantity": "0.01"})
    assert placed["status"] == 200 and placed["result"]["status"] == "FILLED"
    usage = {(l["rateLimitType"], l["interval"]): l for l in placed["rateLimits"]}
    assert usage[("REQUEST_WEIGHT", "MINUTE")]["count"] >= 1 and usage[("REQUEST_WEIGHT", "MINUTE")]["limit"] == 6000
    assert usage[("ORDERS", "SECOND")]["count"] == 1 and usage[("ORDERS", "DAY")]["count"] == 1
    # A bad signature, a missing parameter, an unknown method: Binance's codes, nothing placed.
    forged = ws_request(synthetic, "order.place", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                   "quantity": "0.01", "apiKey": KEY,
                                                   "timestamp": int(time.time() * 1000), "signature": "00"},
                        signed=False)
    assert forged["status"] == 400 and forged["error"]["code"] == -1022
    missing = ws_request(synthetic, "order.place", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                                    "quantity": "0.01", "timeInForce": "GTC"})
    assert missing["error"]["code"] == -1102 and "'price'" in missing["error"]["msg"]
    unknown = ws_request(synthetic, "order.teleport", {})
    assert unknown["status"] == 400 and unknown["error"]["code"] == -1116
    public = ws_request(synthetic, "ticker.price", {"symbol": "BTCUSDT"}, signed=False)
    assert public["status"] == 200 and public["result"]["symbol"] == "BTCUSDT"
    assert len(ws_request(synthetic, "allOrders", {"symbol": "BTCUSDT"})["result"]) == 1


def test_old_unfilled_orders_are_archived_past_the_limit():
    from binance.exceptions import BinanceAPIException

    with _running_venue("--keep-unfilled-orders", "2") as address:
        c = client(address)
        low = below_bid(c, "0.8")
        filled = c.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        expired = [c.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="IOC", quantity="0.01",
                                  price=low, newClientOrderId=f"ioc-{i}") for i in range(3)]
        assert all(o["status"] == "EXPIRED" for o in expired)
        resting = c.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                                 price=low)
        with pytest.raises(BinanceAPIException) as gone:
            c.get_order(symbol="BTCUSDT", origClientOrderId="ioc-0")
        assert gone.value.code == -2013
        kept = [filled["orderId"], expired[1]["orderId"], expired[2]["orderId"], resting["orderId"]]
        assert [o["orderId"] for o in c.get_all_orders(symbol="BTCUSDT")] == kept
        assert c.get_my_trades(symbol="BTCUSDT")[0]["orderId"] == filled["orderId"], "traded orders are kept"


def test_an_oco_through_rest_and_the_websocket_api(synthetic):
    """python-binance's `create_oco_order` (POST orderList/oco), the list
    queries, and `ws_create_oco_order`/`ws_get_oco_order`/`ws_cancel_oco_order`."""
    from binance.exceptions import BinanceAPIException

    c = client(synthetic)
    base = lambda: next(b for b in c.get_account()["balances"] if b["asset"] == "BTC")  # noqa: E731
    bid = Decimal(c.get_order_book(symbol="BTCUSDT", limit=5)["bids"][0][0])
    above, stop, stop_limit = (str((bid * Decimal(f)).quantize(Decimal("0.01"))) for f in ("1.2", "0.8", "0.79"))
    oco = c.create_oco_order(symbol="BTCUSDT", side="SELL", quantity="0.5", aboveType="LIMIT_MAKER",
                             abovePrice=above, belowType="STOP_LOSS_LIMIT", belowStopPrice=stop,
                             belowPrice=stop_limit, belowTimeInForce="GTC", listClientOrderId="exit-1")
    assert (oco["contingencyType"], oco["listStatusType"], oco["listOrderStatus"]) == ("OCO", "EXEC_STARTED", "EXECUTING")
    assert oco["listClientOrderId"] == "exit-1" and len(oco["orders"]) == 2
    assert c.response.headers["x-mbx-order-count-10s"] == "2", "an OCO counts as two orders"
    types = {r["type"]: r for r in oco["orderReports"]}
    assert set(types) == {"LIMIT_MAKER", "STOP_LOSS_LIMIT"}
    assert all(r["orderListId"] == oco["orderListId"] for r in oco["orderReports"])
    assert Decimal(base()["locked"]) == Decimal("0.5"), "one lock for both legs"
    [listed] = c.get_open_oco_orders()
    assert listed["orderListId"] == oco["orderListId"]
    queried = c._get("orderList", True, data={"orderListId": oco["orderListId"]})
    assert [o["orderId"] for o in queried["orders"]] == [o["orderId"] for o in oco["orders"]]
    # The legs sit either side of the market, or the list is refused.
    with pytest.raises(BinanceAPIException) as wrong:
        c.create_oco_order(symbol="BTCUSDT", side="SELL", quantity="0.5", aboveType="LIMIT_MAKER",
                           abovePrice=stop, belowType="STOP_LOSS", belowStopPrice=above)
    assert wrong.value.code == -2010 and "relationship of the prices" in wrong.value.message
    # Cancelling one leg cancels the list.
    c.cancel_order(symbol="BTCUSDT", orderId=oco["orders"][0]["orderId"])
    done = c._get("orderList", True, data={"origClientOrderId": "exit-1"})
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert [c.get_order(symbol="BTCUSDT", orderId=o["orderId"])["status"] for o in oco["orders"]] == ["CANCELED"] * 2
    assert Decimal(base()["locked"]) == 0 and c.get_open_oco_orders() == []

    async def over_websocket():
        async with async_client(synthetic) as ws:
            placed = await ws.ws_create_oco_order(
                symbol="BTCUSDT", side="SELL", quantity="0.25", aboveType="LIMIT_MAKER", abovePrice=above,
                belowType="STOP_LOSS", belowStopPrice=stop)
            status = await ws.ws_get_oco_order(orderListId=placed["orderListId"])
            cancelled = await ws.ws_cancel_oco_order(symbol="BTCUSDT", orderListId=placed["orderListId"])
            return placed, status, cancelled

    placed, status, cancelled = asyncio.run(over_websocket())
    assert status["listOrderStatus"] == "EXECUTING" and status["orderListId"] == placed["orderListId"]
    assert cancelled["listOrderStatus"] == "ALL_DONE"
    assert [r["status"] for r in cancelled["orderReports"]] == ["CANCELED", "CANCELED"]
    all_lists = c._get("allOrderList", True, data={})
    assert [l["orderListId"] for l in all_lists] == [oco["orderListId"], placed["orderListId"]]

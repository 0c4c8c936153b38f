"""An account's history on the venue, read by the real clients.

Every fill an order answer reported is in `myTrades` with the same trade
id, price, quantity and commission; `allOrders` holds every order with its
final status; `DELETE openOrders` cancels what is working. python-binance
1.0.37 and ccxt 4.5.90, unmodified, on the synthetic market and a replay.
"""

from decimal import Decimal

import pytest

from test_binance_clients import KEY, SECRET, venue  # noqa: F401  (the fixture)
from test_market_data import client, wait_for_trades


def ccxt_client(venue):
    import ccxt

    ex = ccxt.binance({
        "apiKey": KEY, "secret": SECRET,
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False},
    })
    ex.urls["api"]["public"] = ex.urls["api"]["private"] = f"http://{venue}/api/v3"
    return ex


def test_my_trades_are_the_fills_the_orders_reported(venue):  # noqa: F811
    c = client(venue)
    wait_for_trades(c, 1)
    reported = []
    orders = []
    for side in ("BUY", "SELL", "BUY"):
        o = c.create_order(symbol="BTCUSDT", side=side, type="MARKET", quantity="0.01")
        orders.append(o)
        reported += [(f["tradeId"], o["orderId"], side == "BUY", Decimal(f["price"]), Decimal(f["qty"]),
                      Decimal(f["commission"]), f["commissionAsset"]) for f in o["fills"]]
    trades = c.get_my_trades(symbol="BTCUSDT")
    mine = [(t["id"], t["orderId"], t["isBuyer"], Decimal(t["price"]), Decimal(t["qty"]), Decimal(t["commission"]),
             t["commissionAsset"]) for t in trades]
    assert mine == reported
    assert all(not t["isMaker"] and t["symbol"] == "BTCUSDT" for t in trades)
    assert all(Decimal(t["quoteQty"]) == Decimal(t["price"]) * Decimal(t["qty"]) for t in trades)
    # One order's trades; trades from an id on; the last one.
    first = orders[0]["orderId"]
    assert [t["orderId"] for t in c.get_my_trades(symbol="BTCUSDT", orderId=first)] == [first] * len(orders[0]["fills"])
    assert [t["id"] for t in c.get_my_trades(symbol="BTCUSDT", fromId=mine[1][0])] == [m[0] for m in mine[1:]]
    assert [t["id"] for t in c.get_my_trades(symbol="BTCUSDT", limit=1)] == [mine[-1][0]]
    # A time range holding them all.
    times = [t["time"] for t in trades]
    ranged = c.get_my_trades(symbol="BTCUSDT", startTime=min(times), endTime=max(times))
    assert [t["id"] for t in ranged] == [m[0] for m in mine]


def test_all_orders_and_cancelling_every_open_one(venue):  # noqa: F811
    c = client(venue)
    book = c.get_order_book(symbol="BTCUSDT", limit=5)
    low = Decimal(book["bids"][0][0]) * Decimal("0.8")
    filled = c.create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    resting = [c.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01",
                              price=f"{low - i:.2f}") for i in range(3)]
    ex = ccxt_client(venue)
    cancelled = ex.cancel_all_orders("BTC/USDT")
    assert sorted(int(o["id"]) for o in cancelled) == sorted(o["orderId"] for o in resting)
    assert c.get_open_orders(symbol="BTCUSDT") == []
    with pytest.raises(Exception, match="-2011"):
        ex.cancel_all_orders("BTC/USDT")  # nothing left to cancel

    everything = c.get_all_orders(symbol="BTCUSDT")
    statuses = {o["orderId"]: o["status"] for o in everything}
    assert statuses[filled["orderId"]] == "FILLED"
    assert all(statuses[o["orderId"]] == "CANCELED" for o in resting)
    ids = [o["orderId"] for o in everything]
    assert ids == sorted(ids)
    assert [o["orderId"] for o in c.get_all_orders(symbol="BTCUSDT", orderId=resting[1]["orderId"])] == \
        [resting[1]["orderId"], resting[2]["orderId"]]
    assert [o["orderId"] for o in c.get_all_orders(symbol="BTCUSDT", limit=1)] == [resting[2]["orderId"]]

    closed = ex.fetch_closed_orders("BTC/USDT")  # ccxt: filled ones
    assert str(filled["orderId"]) in {o["id"] for o in closed}
    assert all(o["status"] == "closed" for o in closed)
    my = ex.fetch_my_trades("BTC/USDT")
    assert {t["order"] for t in my} >= {str(filled["orderId"])}
    every = {o["id"]: o["status"] for o in ex.fetch_orders("BTC/USDT")}
    assert len(every) == len(everything)
    assert all(every[str(o["orderId"])] == "canceled" for o in resting)


@pytest.mark.parametrize("params, code", [
    ({"startTime": 0, "endTime": 86_400_001}, -1127),
    ({"startTime": 10, "endTime": 5}, -1128),
    ({"orderId": 1, "startTime": 0}, -1128),
    ({"limit": 1001}, -1130),
])
def test_bad_history_requests_get_binances_codes(venue, params, code):  # noqa: F811
    from binance.exceptions import BinanceAPIException

    c = client(venue)
    for call in (c.get_my_trades, c.get_all_orders):
        p = dict(params)
        if call == c.get_all_orders and "orderId" in p:
            continue
        with pytest.raises(BinanceAPIException) as caught:
            call(symbol="BTCUSDT", **p)
        assert caught.value.code == code


def test_commission_rates(venue):  # noqa: F811
    c = client(venue)
    rates = c._get("account/commission", True, data={"symbol": "BTCUSDT"})
    assert rates["symbol"] == "BTCUSDT"
    assert Decimal(rates["standardCommission"]["taker"]) == Decimal("0.001")
    assert set(rates) >= {"standardCommission", "taxCommission", "discount"}

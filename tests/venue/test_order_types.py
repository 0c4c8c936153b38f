"""Binance's contingent order types on the venue, from the real clients:
STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT, with a stop
price or a trailingDelta, placed, queried and cancelled by python-binance
and ccxt, and refused with Binance's codes when malformed (Binance Spot
REST API docs, "New order (TRADE)", and its trailing stop FAQ).
"""

from decimal import Decimal

import pytest

from test_binance_clients import venue  # noqa: F401  (the fixture)
from test_market_data import client, wait_for_trades
from test_account_history import ccxt_client


def last_price(c):
    return Decimal(c.get_symbol_ticker(symbol="BTCUSDT")["price"])


def test_contingent_orders_wait_off_the_book_until_cancelled(venue):  # noqa: F811
    c = client(venue)
    wait_for_trades(c, 1)
    last = last_price(c)
    below, above = (last * Decimal("0.8")).quantize(Decimal("0.01")), (last * Decimal("1.2")).quantize(Decimal("0.01"))
    placed = [
        c.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS", quantity="0.01", stopPrice=f"{below}"),
        c.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS_LIMIT", timeInForce="GTC", quantity="0.01",
                       price=f"{below}", stopPrice=f"{below}"),
        c.create_order(symbol="BTCUSDT", side="SELL", type="TAKE_PROFIT", quantity="0.01", stopPrice=f"{above}"),
        c.create_order(symbol="BTCUSDT", side="BUY", type="TAKE_PROFIT_LIMIT", timeInForce="GTC", quantity="0.01",
                       price=f"{below}", stopPrice=f"{below}"),
        c.create_order(symbol="BTCUSDT", side="SELL", type="STOP_LOSS", quantity="0.01", trailingDelta=500),
    ]
    assert all(o["status"] == "NEW" for o in placed)
    assert placed[4]["trailingDelta"] == 500 and Decimal(placed[0]["stopPrice"]) == below
    open_orders = {o["orderId"]: o for o in c.get_open_orders(symbol="BTCUSDT")}
    for o in placed:
        q = open_orders[o["orderId"]]
        assert q["type"] == o["type"] and q["isWorking"] is False and q["workingTime"] == -1
    # Funds are locked at placement: three sells of 0.01 BTC and more, and a buy limit's quote.
    balances = {b["asset"]: b for b in c.get_account()["balances"]}
    assert Decimal(balances["BTC"]["locked"]) == Decimal("0.04")
    assert Decimal(balances["USDT"]["locked"]) == below * Decimal("0.01")

    ex = ccxt_client(venue)
    stop = ex.create_order("BTC/USDT", "STOP_LOSS_LIMIT", "sell", 0.01, float(below),
                           {"stopPrice": float(below), "timeInForce": "GTC"})
    assert stop["status"] == "open" and float(stop["triggerPrice"]) == float(below)
    assert len(ex.cancel_all_orders("BTC/USDT")) == len(placed) + 1
    balances = {b["asset"]: b for b in c.get_account()["balances"]}
    assert Decimal(balances["BTC"]["locked"]) == 0 and Decimal(balances["USDT"]["locked"]) == 0


@pytest.mark.parametrize("params, code, text", [
    ({"type": "STOP_LOSS"}, -1102, "Param 'stopPrice' or 'trailingDelta' must be sent"),
    ({"type": "STOP_LOSS", "stopPrice": "1000", "price": "1000"}, -1106, "'price'"),
    ({"type": "STOP_LOSS_LIMIT", "stopPrice": "1000", "timeInForce": "GTC"}, -1102, "'price'"),
    ({"type": "LIMIT", "price": "1000", "timeInForce": "GTC", "stopPrice": "900"}, -1106, "'stopPrice'"),
    ({"type": "STOP_LOSS", "trailingDelta": "5"}, -1013, "TRAILING_DELTA"),
    ({"type": "STOP_LOSS", "trailingDelta": "2001"}, -1013, "TRAILING_DELTA"),
    ({"type": "STOP_LOSS", "stopPrice": "1000000"}, -2010, "Stop price would trigger immediately."),
    ({"type": "TRAILING_STOP_MARKET", "stopPrice": "1000"}, -1116, "Invalid orderType."),
])
def test_malformed_contingent_orders_get_binances_codes(venue, params, code, text):  # noqa: F811
    from binance.exceptions import BinanceAPIException

    c = client(venue)
    wait_for_trades(c, 1)
    with pytest.raises(BinanceAPIException) as caught:
        c.create_order(symbol="BTCUSDT", side="SELL", quantity="0.01", **params)
    assert caught.value.code == code and text in caught.value.message, caught.value.message
    assert c.get_open_orders(symbol="BTCUSDT") == []

"""Binance's rate limits on the venue, as the real clients meet them
(Binance Spot REST API docs, "LIMITS": request weight per IP and minute
with `X-MBX-USED-WEIGHT-1M`, 429 with `Retry-After` past it, 418 bans for
clients that keep going; new orders per account in 10 s and a day with
`X-MBX-ORDER-COUNT-10S`/`-1D`, -1015 past them; GET /api/v3/rateLimit/order).
"""

import pytest

from test_binance_clients import _running_venue
from test_market_data import client
from test_account_history import ccxt_client


@pytest.fixture
def tight_venue():
    """Limits low enough to reach: 200 weight a minute, 5 orders per 10 s."""
    with _running_venue("--weight-limit", "200", "--order-limit-10s", "5") as address:
        yield address


def test_exchange_info_lists_the_limits_and_every_answer_counts_its_weight(tight_venue):
    c = client(tight_venue)
    info = c.get_exchange_info()
    limits = {(r["rateLimitType"], r["interval"], r["intervalNum"]): r["limit"] for r in info["rateLimits"]}
    assert limits == {("REQUEST_WEIGHT", "MINUTE", 1): 200, ("ORDERS", "SECOND", 10): 5, ("ORDERS", "DAY", 1): 200000}
    used = int(c.response.headers["x-mbx-used-weight-1m"])
    assert used >= 20, "exchangeInfo weighs 20"
    c.get_order_book(symbol="BTCUSDT", limit=1000)
    after = int(c.response.headers["x-mbx-used-weight-1m"])
    # 50 for a 1000-level book, unless a new minute began in between.
    assert after == used + 50 or after == 50
    assert c.response.headers["x-mbx-used-weight"] == c.response.headers["x-mbx-used-weight-1m"]


def test_past_the_weight_limit_a_client_gets_429_then_a_418_ban(tight_venue):
    from binance.exceptions import BinanceAPIException

    c = client(tight_venue)
    refused = None
    for _ in range(200):
        try:
            c.get_order_book(symbol="BTCUSDT", limit=500)  # 25 each
        except BinanceAPIException as e:
            refused = e
            break
    assert refused is not None, "never refused"
    assert refused.status_code == 429 and refused.code == -1003
    assert "current limit is 200 request weight per 1 MINUTE" in refused.message
    retry_after = int(refused.response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    # ccxt sees the same refusal as its rate-limit exception.
    import ccxt

    ex = ccxt_client(tight_venue)
    with pytest.raises((ccxt.RateLimitExceeded, ccxt.DDoSProtection)):
        ex.fetch_order_book("BTC/USDT", 500)
    # Keep going after the 429s and the address is banned: 418, for minutes.
    banned = None
    for _ in range(100):
        try:
            c.get_server_time()
        except BinanceAPIException as e:
            if e.status_code == 418:
                banned = e
                break
            assert e.status_code == 429
    assert banned is not None, "never banned"
    assert banned.code == -1003 and "IP banned until" in banned.message
    assert 60 < int(banned.response.headers["Retry-After"]) <= 120


def test_new_orders_are_limited_per_account_and_counted_in_headers(tight_venue):
    from binance.exceptions import BinanceAPIException

    c = client(tight_venue)
    price = f"{float(c.get_symbol_ticker(symbol='BTCUSDT')['price']) * 0.5:.2f}"
    counts, refused = [], None
    for _ in range(11):
        try:
            c.create_order(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001",
                           price=price)
            counts.append(int(c.response.headers["x-mbx-order-count-10s"]))
        except BinanceAPIException as e:
            refused = e
            break
    assert refused is not None, f"11 orders within a 10 s window boundary or two and never refused: {counts}"
    assert refused.status_code == 429 and refused.code == -1015
    assert refused.message == "Too many new orders; current limit is 5 orders per 10 SECOND."
    assert counts[-1] == 5, counts
    assert 1 <= int(refused.response.headers["Retry-After"]) <= 10
    usage = {r["interval"]: r for r in c.get_current_order_count()}
    assert usage["SECOND"]["limit"] == 5 and usage["SECOND"]["count"] in (5, 0)  # 0: a new window began
    assert usage["DAY"]["count"] == len(counts), "a refused order is not counted"
    assert len(ccxt_client(tight_venue).cancel_all_orders("BTC/USDT")) == len(counts)

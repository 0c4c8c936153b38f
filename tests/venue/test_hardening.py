"""The local venue under attack, as the hardening probes found it: each
defect has its case here, against a real `pyrt venue` on loopback.

* a signed request whose timestamp is i64::MIN wrapped the recvWindow check
  (and could be replayed at any time): refused with -1021, and the venue
  keeps serving;
* lax numbers Binance refuses: more decimals than 8, exponents, spaces, a
  sign inside the signature's hex;
* oversized bodies and queries and invalid UTF-8 answered in plain text:
  now Binance's JSON error shape;
* no connection limits or header timeout: idle sockets beyond the limit
  get a JSON 503, and a client sending a byte at a time is cut off.
"""

import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from test_binance_clients import KEY, SECRET, _running_venue


def sign(query: str) -> str:
    return query + "&signature=" + hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()


def request(venue, method, path, query="", body=b"", headers=None):
    url = f"http://{venue}{path}" + (f"?{query}" if query else "")
    req = urllib.request.Request(url, data=body or None, method=method, headers={"X-MBX-APIKEY": KEY, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def now_ms():
    return int(time.time() * 1000)


def test_timestamps_at_the_end_of_the_range_are_refused_and_the_venue_keeps_serving():
    with _running_venue() as venue:
        for ts in (-9223372036854775808, -1, 0, 9223372036854775807):
            query = sign(f"timestamp={ts}")
            status, body = request(venue, "GET", "/api/v3/account", query)
            assert (status, body["code"]) == (400, -1021), (ts, body)
        assert request(venue, "GET", "/api/v3/ping") == (200, {})
        # A valid request replayed after its window is refused.
        query = sign(f"timestamp={now_ms()}&recvWindow=200")
        assert request(venue, "GET", "/api/v3/account", query)[0] == 200
        time.sleep(0.5)
        status, body = request(venue, "GET", "/api/v3/account", query)
        assert (status, body["code"]) == (400, -1021)


def test_numbers_binance_refuses_are_refused():
    order = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    with _running_venue() as venue:
        cases = [
            ("quantity=0.00100000001&price=50000", -1111, "Parameter 'quantity' has too much precision."),
            ("quantity=0.001&price=50000.0000000001", -1111, "Parameter 'price' has too much precision."),
            ("quantity=1e3&price=50000", -1100, None),
            ("quantity=%201&price=50000", -1100, None),
            ("quantity=%2B1&price=50000", -1100, None),
            ("quantity=0.001&price=5e4", -1100, None),
        ]
        for params, code, msg in cases:
            status, body = request(venue, "POST", "/api/v3/order", sign(f"{order}&{params}&timestamp={now_ms()}"))
            assert (status, body["code"]) == (400, code), (params, body)
            if msg:
                assert body["msg"] == msg
        # A signature with a sign inside a hex pair is malformed, not a match.
        query = f"timestamp={now_ms()}"
        digest = hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        tampered = f"{query}&signature=+{digest[1:]}"
        status, body = request(venue, "GET", "/api/v3/account", tampered)
        assert (status, body["code"]) == (400, -1022), body


def test_oversized_and_undecodable_requests_get_binances_json_errors():
    with _running_venue() as venue:
        status, body = request(venue, "POST", "/api/v3/order", body=b"a=" + b"x" * 100_000,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 413 and body["code"] == -1000 and "body is longer than 65536 bytes" in body["msg"]
        status, body = request(venue, "POST", "/api/v3/order", body=b"symbol=\xff\xfe",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert (status, body) == (400, {"code": -1100, "msg": "Illegal characters found in a parameter."})
        status, body = request(venue, "GET", "/api/v3/depth", "symbol=BTCUSDT&pad=" + "x" * 30_000)
        assert status == 413 and "query string is longer" in body["msg"]
        assert request(venue, "GET", "/api/v3/ping") == (200, {})


def _connect(venue):
    host, port = venue.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    return s


def test_connections_beyond_the_limit_are_refused_with_a_reason():
    with _running_venue("--max-connections", "8") as venue:
        idle = [_connect(venue) for _ in range(8)]
        time.sleep(0.2)
        extra = _connect(venue)
        reply = extra.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 503") and '"code":-1003' in reply, reply
        extra.close()
        for s in idle:
            s.close()
        time.sleep(0.2)
        assert request(venue, "GET", "/api/v3/ping") == (200, {}), "slots come back when connections close"


def test_a_client_sending_a_byte_at_a_time_is_cut_off():
    with _running_venue("--header-timeout-s", "1") as venue:
        slow = _connect(venue)
        started = time.monotonic()
        try:
            for byte in b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n":
                slow.send(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass  # the server closed it while we were still sending
        slow.settimeout(3)
        try:
            reply = slow.recv(4096)
        except ConnectionResetError:
            reply = b""
        except socket.timeout:
            raise AssertionError("the connection was held open past the header timeout")
        assert reply == b"" or reply.startswith(b"HTTP/1.1 408"), reply
        assert time.monotonic() - started < 8
        # A kept-alive connection that goes quiet is closed too.
        idle = _connect(venue)
        idle.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        first = idle.recv(4096)
        assert first.startswith(b"HTTP/1.1 200"), first
        idle.settimeout(4)
        try:
            rest = idle.recv(4096)
        except ConnectionResetError:
            rest = b""
        assert rest == b"" or rest.startswith(b"HTTP/1.1 408"), rest
        # Ordinary clients are served all along.
        assert request(venue, "GET", "/api/v3/ping") == (200, {})

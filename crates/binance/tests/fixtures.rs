//! Every recorded Binance market-data message in `shared/fixtures`, and the
//! malformed frames a live connection can deliver.

mod common;

use std::path::PathBuf;

use pyrt_binance::{MessageError, StreamMessage, parse};
use pyrt_model::{Price, Quantity};

fn fixture(rel: &str) -> Option<String> {
    let path: PathBuf = common::shared()?.join("fixtures/binance").join(rel);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn p(x: &str) -> Price {
    x.parse().unwrap()
}
fn q(x: &str) -> Quantity {
    x.parse().unwrap()
}

#[test]
fn spot_diff_depth() {
    let Some(text) = fixture("ws/depthUpdate_diff.json") else { return };
    let StreamMessage::Depth(d) = parse(&text).unwrap() else { panic!() };
    assert_eq!(
        (d.symbol.as_str(), d.event_time_ms, d.ids.first, d.ids.last, d.ids.prev_last),
        ("BNBBTC", 1672515782136, 157, 160, None)
    );
    assert_eq!(d.bids, vec![(p("0.0024"), q("10"))]);
    assert_eq!(d.asks, vec![(p("0.0026"), q("100"))]);
}

#[test]
fn futures_diff_depth_carries_pu() {
    let Some(text) = fixture("futures_reference/depthUpdate_usdm_futures_with_pu.json") else { return };
    let StreamMessage::Depth(d) = parse(&text).unwrap() else { panic!() };
    assert_eq!((d.ids.first, d.ids.last, d.ids.prev_last), (390497796, 390497878, Some(390497794)));
    assert_eq!(d.transaction_time_ms, Some(1571889248276));
    assert_eq!((d.bids.len(), d.asks.len()), (5, 5));
    assert_eq!(d.asks[4], (p("7407.20"), q("0.175")));
}

#[test]
fn snapshots_and_partial_depth() {
    for rel in ["rest/depth_docs.json", "ws/depth_partial_levels.json", "rest/depth_BTCUSDT_limit10_real.json"] {
        let Some(text) = fixture(rel) else { return };
        let StreamMessage::Snapshot(s) = parse(&text).unwrap() else { panic!("{rel}") };
        assert!(!s.bids.is_empty() && !s.asks.is_empty(), "{rel}");
        assert!(s.bids[0].0 < s.asks[0].0, "{rel}");
    }
    let StreamMessage::Snapshot(s) = parse(&fixture("rest/depth_docs.json").unwrap()).unwrap() else { panic!() };
    assert_eq!((s.last_update_id, s.bids[0], s.asks[0]), (1027024, (p("4"), q("431")), (p("4.000002"), q("12"))));
}

#[test]
fn book_ticker_trade_and_aggregate_trade() {
    let Some(text) = fixture("ws/bookTicker.json") else { return };
    let StreamMessage::BookTicker { symbol, ticker } = parse(&text).unwrap() else { panic!() };
    assert_eq!(
        (symbol.as_str(), ticker.update_id, ticker.bid, ticker.ask_qty),
        ("BNBUSDT", 400900217, p("25.3519"), q("40.66"))
    );
    assert_eq!(ticker.event_time_ms, None);

    let StreamMessage::Trade { trade, .. } = parse(&fixture("ws/trade.json").unwrap()).unwrap() else { panic!() };
    assert_eq!(
        (trade.id, trade.price, trade.qty, trade.buyer_is_maker, trade.aggregate),
        (12345, p("0.001"), q("100"), true, false)
    );

    let StreamMessage::Trade { symbol, trade } =
        parse(&fixture("ws/aggTrade_combined_ETHUSDT_real.json").unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (symbol.as_str(), trade.id, trade.price, trade.trade_time_ms, trade.aggregate),
        ("ETHUSDT", 226532, p("1632.46"), 1675759520847, true)
    );
}

#[test]
fn kline_replies_and_other_events() {
    let Some(text) = fixture("ws/kline_1m.json") else { return };
    let StreamMessage::Kline { kline, .. } = parse(&text).unwrap() else { panic!() };
    assert_eq!(
        (kline.interval.as_str(), kline.open_time_ms, kline.high, kline.volume, kline.closed),
        ("1m", 1672515780000, p("0.0025"), q("1000"), false)
    );

    assert_eq!(
        parse(&fixture("ws/subscribe_response.json").unwrap()),
        Ok(StreamMessage::Response { id: 1, error: None })
    );
    assert_eq!(
        parse(&fixture("ws/list_subscriptions_response.json").unwrap()),
        Ok(StreamMessage::Response { id: 3, error: None })
    );
    assert_eq!(parse(&fixture("ws/serverShutdown_raw.json").unwrap()), Ok(StreamMessage::ServerShutdown));
    assert_eq!(parse(&fixture("ws/serverShutdown_combined.json").unwrap()), Ok(StreamMessage::ServerShutdown));
    for (rel, event) in [
        ("ws/ticker_24hr.json", "24hrTicker"),
        ("ws/miniTicker.json", "24hrMiniTicker"),
        ("ws/avgPrice.json", "avgPrice"),
    ] {
        assert_eq!(parse(&fixture(rel).unwrap()), Ok(StreamMessage::Ignored { event: event.into() }), "{rel}");
    }
}

#[test]
fn every_market_data_fixture_parses() {
    let Some(shared) = common::shared() else { return };
    let dir = shared.join("fixtures/binance/ws");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // Client requests, not server messages.
        if name.ends_with("_request.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn error_reply_keeps_code_and_text() {
    let text = r#"{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":7}"#;
    assert_eq!(
        parse(text),
        Ok(StreamMessage::Response { id: 7, error: Some((2, "Invalid request: unknown variant".into())) })
    );
}

#[test]
fn malformed_frames_say_what_is_wrong() {
    let cases = [
        (
            r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":6,"b":[["1.0","2"]],"a":[["2.0","1"]"#,
            "not a valid Binance message: EOF",
        ),
        (
            r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","u":6,"b":[],"a":[]}"#,
            "`depthUpdate` message is missing field `U`",
        ),
        (
            r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":9,"u":6,"b":[],"a":[]}"#,
            "`depthUpdate` message field `U` (9) is after `u` (6)",
        ),
        (r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["NaN","1"]],"a":[]}"#, "NaN is not a valid value"),
        (
            r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["10","-1"]],"a":[]}"#,
            "level 10 has negative quantity -1",
        ),
        (
            r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["0","1"]],"a":[]}"#,
            "level price 0 must be greater than 0",
        ),
        (
            r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":"1.5","a":[]}"#,
            "`depthUpdate` message field `b` must be a list of [price, quantity] pairs",
        ),
        (
            r#"{"e":"trade","E":1,"s":"X","t":1,"p":"-5","q":"1","T":1,"m":true}"#,
            "`trade` message field `p` is -5; a trade price must be greater than 0",
        ),
        (r#"{"e":"trade","E":1,"s":"X","t":1,"p":"abc","q":"1","T":1,"m":true}"#, "`abc` is not a number"),
        (
            r#"{"e":"aggTrade","E":1,"s":"X","a":"1.5","p":"5","q":"1","T":1,"m":true}"#,
            "`aggTrade` message field `a` must be the aggregate trade id (an integer)",
        ),
        (
            r#"{"u":1,"s":"X","b":"0","B":"1","a":"2","A":"1"}"#,
            "`bookTicker` message field `b` must be a price above 0",
        ),
        (r#"{"e":"outboundAccountPosition","E":1}"#, "unknown event type `outboundAccountPosition`"),
        (r#"{"hello":"world"}"#, "message has no event type and no known shape"),
        (r#"{"lastUpdateId":5,"bids":[]}"#, "`depth snapshot` message is missing field `asks`"),
        ("[1,2,3]", "not a valid Binance message"),
    ];
    for (text, want) in cases {
        let err = parse(text).expect_err(text).to_string();
        assert!(err.contains(want), "{text}\n  got:  {err}\n  want: {want}");
    }
    assert!(matches!(parse(r#"{"e":"kline","E":1,"s":"X"}"#), Err(MessageError::Missing { field: "k", .. })));
}

#[test]
fn user_data_events_in_every_wrapping() {
    use pyrt_binance::user::{UserEvent, parse_user};
    let Some(text) = fixture("userdata/wsapi_executionReport_new.json") else { return };
    let UserEvent::Execution(e) = parse_user(&text).unwrap() else { panic!() };
    assert_eq!(
        (e.symbol.as_str(), e.execution_type.as_str(), e.status.as_str(), e.order_id),
        ("ETHBTC", "NEW", "NEW", 4293153)
    );
    assert_eq!((e.price, e.quantity, e.trade_id), (p("0.1026441"), q("1"), None));
    assert_eq!(
        parse_user(&fixture("userdata/listenkey_executionReport_new.json").unwrap()).unwrap(),
        UserEvent::Execution(e)
    );

    let UserEvent::Execution(t) =
        parse_user(&fixture("userdata/executionReport_trade_partial_nautilus.json").unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!((t.last_qty, t.last_price, t.trade_id, t.is_maker), (q("0.5"), p("2499.5"), Some(98765432), true));
    assert_eq!((t.commission, t.commission_asset.as_deref()), ("0.0005".parse().unwrap(), Some("ETH")));
    let UserEvent::Execution(c) =
        parse_user(&fixture("userdata/executionReport_canceled_nautilus.json").unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!((c.status.as_str(), c.cum_qty), ("CANCELED", q("0.1")));

    for rel in ["userdata/wsapi_outboundAccountPosition.json", "userdata/listenkey_outboundAccountPosition.json"] {
        let UserEvent::AccountPosition { balances, .. } = parse_user(&fixture(rel).unwrap()).unwrap() else {
            panic!("{rel}")
        };
        assert_eq!(balances, vec![("ETH".to_string(), "10000".parse().unwrap(), "0".parse().unwrap())]);
    }
    assert!(matches!(
        parse_user(&fixture("userdata/wsapi_balanceUpdate.json").unwrap()),
        Ok(UserEvent::BalanceUpdate { .. })
    ));
    assert_eq!(parse_user(&fixture("userdata/listenKeyExpired.json").unwrap()), Ok(UserEvent::ListenKeyExpired));
    assert_eq!(
        parse_user(&fixture("userdata/wsapi_userDataStream_subscribe_signature_response.json").unwrap()),
        Ok(UserEvent::Response { id: "d3df8a22-98ea-4fe0-9f4e-0fcea5d418b7".into(), status: 200, error: None })
    );
    let bad = r#"{"e":"executionReport","E":1,"s":"X","c":"a","S":"BUY","o":"LIMIT","q":"NaN"}"#;
    assert!(parse_user(bad).unwrap_err().to_string().contains("field `i`"));
}

//! The order gateway against the local venue: commands out over REST,
//! executions back over the user-data stream, as the kernel's reports.

use std::time::Duration;

use pyrt_adapters::binance::user::UserStreamEvent;
use pyrt_adapters::binance::{BinanceRest, Gateway, GatewaySymbol, RestConfig};
use pyrt_binance::user::UserEvent;
use pyrt_model::fixed::FIXED_SCALE;
use pyrt_model::{
    ExecutionReport, InstrumentId, Money, OrderId, OrderRequest, OrderStatus, Price, Quantity, Side, VenueCommand,
    VenueOrderState,
};
use tokio::sync::mpsc;

mod common;

const X: InstrumentId = InstrumentId(0);

async fn executions(
    rx: &mut mpsc::Receiver<UserStreamEvent>,
    gateway: &Gateway,
    mut until: impl FnMut(&ExecutionReport) -> bool,
) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        if let UserStreamEvent::Event(UserEvent::Execution(e)) = event {
            for r in gateway.on_execution(&e) {
                let done = until(&r);
                out.push(r);
                if done {
                    return out;
                }
            }
        }
    }
}

/// Σ price × qty of the fills among `reports`.
fn reports_notional(reports: &[ExecutionReport]) -> Money {
    reports.iter().fold(Money::ZERO, |acc, r| match r {
        ExecutionReport::Filled(f) => acc + Money::notional(f.price, f.qty),
        _ => acc,
    })
}

/// The kernel's stops, stop limits and trailing stops go out as Binance's
/// STOP_LOSS, STOP_LOSS_LIMIT and STOP_LOSS with trailingDelta, wait at the
/// venue off the book and cancel like any order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_go_out_as_binances_contingent_orders() {
    use pyrt_model::TrailingOffset;
    let venue = common::local_venue().await;
    let rest = std::sync::Arc::new(common::rest(venue.address));
    let gateway = Gateway::new(rest.clone(), "pyrt-stops", common::btcusdt());
    let qty: Quantity = "0.05".parse().unwrap();
    let bid = rest.depth("BTCUSDT", 5).await.unwrap().bids[0].0;
    let below = Price::from_int(bid.raw() / FIXED_SCALE * 8 / 10);
    let requests = [
        OrderRequest::stop(X, Side::Sell, qty, below),
        OrderRequest::stop_limit(X, Side::Sell, qty, below, Price::from_int(bid.raw() / FIXED_SCALE * 7 / 10)),
        OrderRequest::trailing_stop(X, Side::Sell, qty, TrailingOffset::Bps(250)),
    ];
    for (i, request) in requests.into_iter().enumerate() {
        let r = gateway.send(VenueCommand::Submit { order_id: OrderId(i as u64 + 1), request }, 1).await;
        assert!(matches!(&r[..], [ExecutionReport::Accepted { .. }]), "{r:?}");
    }
    let open = rest.open_orders("BTCUSDT").await.unwrap();
    let kinds: Vec<(&str, &str, Option<u64>)> = open
        .iter()
        .map(|o| (o["type"].as_str().unwrap(), o["stopPrice"].as_str().unwrap(), o["trailingDelta"].as_u64()))
        .collect();
    let stop = format!("{:.8}", below);
    assert_eq!(
        kinds,
        [
            ("STOP_LOSS", stop.as_str(), None),
            ("STOP_LOSS_LIMIT", stop.as_str(), None),
            ("STOP_LOSS", "0.00000000", Some(250))
        ]
    );
    assert!(open.iter().all(|o| o["isWorking"] == false), "waiting off the book");
    let by_price = OrderRequest::trailing_stop(X, Side::Sell, qty, TrailingOffset::Price(Price::from_int(100)));
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(9), request: by_price }, 2).await;
    assert!(matches!(&r[..], [ExecutionReport::Rejected { reason, .. }] if reason.contains("basis points")), "{r:?}");
    for id in 1..=3 {
        assert!(gateway.send(VenueCommand::Cancel { order_id: OrderId(id) }, 3).await.is_empty());
    }
    assert!(rest.open_orders("BTCUSDT").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_out_and_executions_back() {
    let venue = common::local_venue().await;
    let rest = std::sync::Arc::new(common::rest(venue.address));
    let (mut rx, stop_tx) = common::user_stream(venue.address).await;
    let gateway = Gateway::new(rest.clone(), "pyrt-test", common::btcusdt());
    assert_eq!(gateway.order_id("pyrt-test-42"), Some(OrderId(42)));
    assert_eq!(gateway.order_id("someone-else-42"), None);

    // A market buy: accepted over REST, filled over the stream, fees in USDT.
    let qty: Quantity = "0.05".parse().unwrap();
    let submit = VenueCommand::Submit { order_id: OrderId(1), request: OrderRequest::market(X, Side::Buy, qty) };
    assert!(matches!(
        gateway.send(submit, 1).await.as_slice(),
        [ExecutionReport::Accepted { order_id: OrderId(1), .. }]
    ));
    let mut filled = Quantity::ZERO;
    let reports = executions(&mut rx, &gateway, |r| {
        if let ExecutionReport::Filled(f) = r {
            filled += f.qty;
        }
        filled == qty
    })
    .await;
    let first_fills = reports.clone();
    for r in &reports {
        let ExecutionReport::Filled(f) = r else { panic!("only fills expected after acceptance: {r:?}") };
        // 0.1 % of the quantity in BTC, valued at the fill price.
        let commission_btc = Money::notional(Price::from_int(1), f.qty).mul_ratio(1, 1000);
        assert_eq!(f.fee, commission_btc.mul_ratio(f.price.raw() as i128, FIXED_SCALE as i128));
    }

    // A resting limit, then its cancel, reported by the stream.
    let bid = rest.depth("BTCUSDT", 5).await.unwrap().bids[0].0;
    let far = Price::from_int(bid.raw() / FIXED_SCALE * 8 / 10);
    let limit = VenueCommand::Submit { order_id: OrderId(2), request: OrderRequest::limit(X, Side::Buy, qty, far) };
    assert_eq!(gateway.send(limit, 2).await.len(), 1);
    assert!(gateway.send(VenueCommand::Cancel { order_id: OrderId(2) }, 3).await.is_empty());
    let reports = executions(&mut rx, &gateway, |r| matches!(r, ExecutionReport::Cancelled { .. })).await;
    assert!(matches!(reports.last(), Some(ExecutionReport::Cancelled { order_id: OrderId(2), .. })));

    // Refusals come back at once, with Binance's words.
    let again = gateway.send(VenueCommand::Cancel { order_id: OrderId(2) }, 4).await;
    assert!(
        matches!(&again[..], [ExecutionReport::CommandRejected { reason, .. }] if reason.contains("-2011")),
        "{again:?}"
    );
    let off_grid = OrderRequest::limit(X, Side::Buy, qty, "100.001".parse().unwrap());
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(3), request: off_grid }, 5).await;
    assert!(
        matches!(&r[..], [ExecutionReport::Rejected { reason, .. }] if reason == "Binance -1013: Filter failure: PRICE_FILTER"),
        "{r:?}"
    );
    // A sell stop above the market would trigger at once: Binance refuses it.
    let stop_order = OrderRequest::stop(X, Side::Sell, qty, Price::from_int(bid.raw() / FIXED_SCALE * 2));
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(4), request: stop_order }, 6).await;
    assert!(
        matches!(&r[..], [ExecutionReport::Rejected { reason, .. }] if reason == "Binance -2010: Stop price would trigger immediately."),
        "{r:?}"
    );
    let modify = VenueCommand::Modify { order_id: OrderId(2), qty: Some(qty), price: None, trigger: None };
    assert!(matches!(gateway.send(modify, 7).await[..], [ExecutionReport::CommandRejected { .. }]));

    // What the venue says of each order, for reconciliation: the market buy
    // filled (its notional the sum of its fills), the limit cancelled, a
    // resting one open, and one never sent left out.
    let limit = VenueCommand::Submit { order_id: OrderId(5), request: OrderRequest::limit(X, Side::Buy, qty, far) };
    assert_eq!(gateway.send(limit, 8).await.len(), 1);
    let states = gateway.venue_states(&[OrderId(1), OrderId(2), OrderId(5), OrderId(6)]).await.unwrap();
    let bought = reports_notional(&first_fills);
    assert_eq!(
        states,
        [
            VenueOrderState {
                order_id: OrderId(1),
                status: OrderStatus::Filled,
                filled: qty,
                notional: bought,
                fee: None
            },
            VenueOrderState {
                order_id: OrderId(2),
                status: OrderStatus::Cancelled,
                filled: Quantity::ZERO,
                notional: Money::ZERO,
                fee: None
            },
            VenueOrderState {
                order_id: OrderId(5),
                status: OrderStatus::Accepted,
                filled: Quantity::ZERO,
                notional: Money::ZERO,
                fee: None
            },
        ]
    );
    stop_tx.send(true).unwrap();
}

/// A partial fill with its commission in the base asset, and a cancel that
/// names the cancelled order in `C` (Binance's own shapes).
#[test]
fn executions_map_to_reports() {
    use pyrt_binance::user::parse_user;
    let rest = std::sync::Arc::new(BinanceRest::new(RestConfig::new("http://127.0.0.1:9", "k", "s")).unwrap());
    let symbols = vec![GatewaySymbol { symbol: "ETHUSDT".into(), base: "ETH".into(), quote: "USDT".into() }];
    let gateway = Gateway::new(rest.clone(), "pyrt", symbols);
    let trade = r#"{"e":"executionReport","E":1,"s":"ETHUSDT","c":"pyrt-7","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"2500.00000000","C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":1,"l":"0.50000000","z":"0.50000000","L":"2499.50000000","n":"0.00050000","N":"ETH","T":1759347763167,"t":98765432,"m":true,"Z":"1249.75000000"}"#;
    let UserEvent::Execution(e) = parse_user(trade).unwrap() else { panic!() };
    let reports = gateway.on_execution(&e);
    let [ExecutionReport::Accepted { order_id: OrderId(7), .. }, ExecutionReport::Filled(f)] = reports.as_slice()
    else {
        panic!("{reports:?}")
    };
    assert_eq!(
        (f.qty, f.price, f.liquidity),
        ("0.5".parse().unwrap(), "2499.5".parse().unwrap(), pyrt_model::Liquidity::Maker)
    );
    assert_eq!(f.fee, "1.24975".parse().unwrap()); // 0.0005 ETH at 2 499.5
    assert_eq!(f.fee_base, "0.0005".parse().unwrap(), "the coins the venue kept");
    assert_eq!(f.ts, 1_759_347_763_167_000_000);
    let cancel = trade
        .replace(r#""c":"pyrt-7""#, r#""c":"cancel-req""#)
        .replace(r#""C":"""#, r#""C":"pyrt-7""#)
        .replace("\"TRADE\"", "\"CANCELED\"");
    let UserEvent::Execution(e) = parse_user(&cancel).unwrap() else { panic!() };
    assert!(matches!(gateway.on_execution(&e)[..], [ExecutionReport::Cancelled { order_id: OrderId(7), .. }]));
    let foreign = trade.replace("pyrt-7", "web-ui-1");
    let UserEvent::Execution(e) = parse_user(&foreign).unwrap() else { panic!() };
    assert!(gateway.on_execution(&e).is_empty(), "orders placed elsewhere are not ours");
}

/// Orders the gateway cannot send are refused before any request is made.
#[tokio::test]
async fn unsendable_orders_are_refused_locally() {
    use pyrt_model::{OrderQty, TimeInForce};
    // Nothing listens here: a request would fail differently.
    let rest = std::sync::Arc::new(BinanceRest::new(RestConfig::new("http://127.0.0.1:9", "k", "s")).unwrap());
    let symbols = vec![GatewaySymbol { symbol: "BTCUSDT".into(), base: "BTC".into(), quote: "USDT".into() }];
    let gateway = Gateway::new(rest.clone(), "pyrt", symbols);
    let reason = |r: Vec<ExecutionReport>| match r.as_slice() {
        [ExecutionReport::Rejected { reason, .. }] => reason.clone(),
        other => panic!("{other:?}"),
    };
    let qty: Quantity = "1".parse().unwrap();
    let unknown = OrderRequest::market(InstrumentId(3), Side::Buy, qty);
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(1), request: unknown }, 0).await;
    assert_eq!(reason(r), "instrument 3 is not traded through this gateway");
    let mut notional = OrderRequest::market(X, Side::Buy, qty);
    notional.qty = OrderQty::Quote(Money::from_int(100));
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(2), request: notional }, 0).await;
    assert_eq!(reason(r), "size notional orders before they reach the gateway");
    let day = OrderRequest::limit(X, Side::Buy, qty, Price::from_int(100)).with_tif(TimeInForce::Day);
    let r = gateway.send(VenueCommand::Submit { order_id: OrderId(3), request: day }, 0).await;
    assert_eq!(reason(r), "time in force Day is not offered by Binance Spot");
    let r = gateway.send(VenueCommand::Cancel { order_id: OrderId(9) }, 0).await;
    assert!(matches!(&r[..], [ExecutionReport::CommandRejected { reason, .. }] if reason == "unknown order"), "{r:?}");
}

/// An order query whose answer does not add up is an error naming what is
/// wrong, never a guessed state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_order_answers_are_errors_not_guesses() {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::routing::post;
    use serde_json::{Value, json};

    let answer = Arc::new(Mutex::new(Value::Null));
    let current = answer.clone();
    let router = Router::new().route(
        "/api/v3/order",
        post(|| async { axum::Json(json!({ "orderId": 1, "status": "NEW" })) }).get(move || {
            let body = current.lock().unwrap().clone();
            async move { axum::Json(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let rest = std::sync::Arc::new(common::rest(address));
    let gateway = Gateway::new(rest.clone(), "pyrt", common::btcusdt());
    let order = OrderRequest::limit(X, Side::Buy, "0.01".parse().unwrap(), Price::from_int(50_000));
    let sent = gateway.send(VenueCommand::Submit { order_id: OrderId(1), request: order }, 0).await;
    assert!(matches!(sent[..], [ExecutionReport::Accepted { .. }]), "{sent:?}");

    for (body, want) in [
        (
            json!({ "status": "HALF_DONE", "executedQty": "0", "cummulativeQuoteQty": "0" }),
            "unknown order status `HALF_DONE`",
        ),
        (json!({ "status": "NEW", "cummulativeQuoteQty": "0" }), "no `executedQty` in the answer"),
        (json!({ "status": "NEW", "executedQty": "lots", "cummulativeQuoteQty": "0" }), "`executedQty`"),
    ] {
        *answer.lock().unwrap() = body;
        let e = gateway.venue_states(&[OrderId(1)]).await.unwrap_err().to_string();
        assert!(e.starts_with("unexpected answer from /api/v3/order") && e.contains(want), "{e}");
    }
    // Orders never sent through this gateway are left out.
    *answer.lock().unwrap() = json!({ "status": "NEW", "executedQty": "0", "cummulativeQuoteQty": "0" });
    assert_eq!(gateway.venue_states(&[OrderId(1), OrderId(9)]).await.unwrap().len(), 1);
}

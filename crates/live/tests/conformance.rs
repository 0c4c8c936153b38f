//! One conformance suite for every execution port: the simulated venue in
//! the process (`InProcess<BookVenue>`) and Binance over the network
//! (`BinanceExecution` against a real `pyrt venue` on loopback) must
//! behave the same way to the node.
//!
//! What the suite demands: `Ready` first; a resting order is accepted and
//! can be cancelled; a marketable one fills whole, its `filled_total`
//! (when the port gives one) is the order's total; `order_states` agrees
//! with the reports; a cancel of a filled order is refused; an order the
//! venue cannot take is rejected with a reason; `send` never waits.
//!
//! Then the node's emulation of what a venue lacks ([`Emulated`]), forced
//! on for every optional kind, over the same port: a GTD order expires when
//! its time comes, one already past is refused, a trailing stop by price is
//! held by the node, can be cancelled, and fires as a market order of the
//! same id when the prints reach its trigger.

use std::time::{Duration, Instant};

use pyrt_live::Emulated;
use pyrt_model::time::wall_clock;
use pyrt_model::{
    BookAction, BookDelta, ExecutionReport, Instrument, InstrumentId, MarketEvent, OrderId, OrderRequest, OrderStatus,
    Price, Quantity, Side, TimeInForce, Trade, TrailingOffset, VenueCommand,
};
use pyrt_ports::{AccountItem, ExecutionPort, InProcess, Offers};

const I: InstrumentId = InstrumentId(0);

/// What a port's venue trades.
struct Terms {
    /// A buy limit far below the market: it rests.
    far_bid: Price,
    /// A size that fills at once as a market order.
    qty: Quantity,
    /// A size the venue refuses (off its lot grid).
    bad_qty: Quantity,
}

/// The next report about order `id`, skipping everything else, within 5 s.
async fn report_for<E: ExecutionPort>(port: &mut E, id: OrderId) -> (ExecutionReport, Option<Quantity>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let item = tokio::time::timeout_at(deadline, port.next()).await.expect("an answer within 5 s");
        match item.expect("the port is running") {
            AccountItem::Report { report, filled_total } if report.order_id() == id => return (report, filled_total),
            _ => {}
        }
    }
}

/// Reports about `id` until one matches `want`; returns it.
async fn until<E: ExecutionPort>(
    port: &mut E,
    id: OrderId,
    want: impl Fn(&ExecutionReport) -> bool,
) -> (ExecutionReport, Option<Quantity>) {
    loop {
        let (report, total) = report_for(port, id).await;
        if want(&report) {
            return (report, total);
        }
        assert!(
            matches!(report, ExecutionReport::Accepted { .. } | ExecutionReport::Modified { .. }),
            "{id}: unexpected {report:?}"
        );
    }
}

async fn suite<E: ExecutionPort>(port: &mut E, terms: &Terms) {
    let first = tokio::time::timeout(Duration::from_secs(5), port.next()).await.expect("ready within 5 s");
    assert_eq!(first, Some(AccountItem::Ready), "Ready comes first");

    // A resting order: accepted, known to the venue, cancelled.
    let resting = OrderId(1);
    let started = Instant::now();
    port.send(
        VenueCommand::Submit {
            order_id: resting,
            request: OrderRequest::limit(I, Side::Buy, terms.qty, terms.far_bid),
        },
        1,
    );
    assert!(started.elapsed() < Duration::from_millis(50), "send queues; it does not wait on the venue");
    let (r, _) = report_for(port, resting).await;
    assert!(matches!(r, ExecutionReport::Accepted { .. }), "{r:?}");
    let states = port.order_states(&[resting]).await.unwrap();
    assert_eq!((states.len(), states[0].status, states[0].filled), (1, OrderStatus::Accepted, Quantity::ZERO));
    port.send(VenueCommand::Cancel { order_id: resting }, 2);
    until(port, resting, |r| matches!(r, ExecutionReport::Cancelled { .. })).await;
    assert_eq!(port.order_states(&[resting]).await.unwrap()[0].status, OrderStatus::Cancelled);

    // A marketable order fills whole.
    let taker = OrderId(2);
    port.send(VenueCommand::Submit { order_id: taker, request: OrderRequest::market(I, Side::Buy, terms.qty) }, 3);
    let (mut filled, mut last_total) = (Quantity::ZERO, None);
    while filled < terms.qty {
        let (r, total) = until(port, taker, |r| matches!(r, ExecutionReport::Filled(_))).await;
        let ExecutionReport::Filled(f) = r else { unreachable!() };
        filled += f.qty;
        last_total = total.or(last_total);
    }
    assert_eq!(filled, terms.qty);
    if let Some(total) = last_total {
        assert_eq!(total, terms.qty, "filled_total is the order's whole filled quantity");
    }
    let state = port.order_states(&[taker]).await.unwrap()[0];
    assert_eq!((state.status, state.filled), (OrderStatus::Filled, terms.qty));
    assert!(state.notional.is_positive());

    // A cancel of a filled order is refused, with a reason.
    port.send(VenueCommand::Cancel { order_id: taker }, 4);
    let (r, _) = report_for(port, taker).await;
    assert!(matches!(&r, ExecutionReport::CommandRejected { reason, .. } if !reason.is_empty()), "{r:?}");

    // An order the venue cannot take is rejected with a reason.
    let bad = OrderId(3);
    port.send(
        VenueCommand::Submit {
            order_id: bad,
            request: OrderRequest::limit(I, Side::Buy, terms.bad_qty, terms.far_bid),
        },
        5,
    );
    let (r, _) = report_for(port, bad).await;
    assert!(matches!(&r, ExecutionReport::Rejected { reason, .. } if !reason.is_empty()), "{r:?}");
}

fn print(price: i64) -> MarketEvent {
    let ts = wall_clock();
    let (price, size) = (Price::from_int(price), Quantity::from_int(1));
    MarketEvent::Trade(Trade { instrument: I, ts_event: ts, ts_recv: ts, price, size, aggressor: None })
}

async fn emulated_suite<E: ExecutionPort>(port: E, terms: &Terms) {
    let mut port = Emulated::with_offers(port, Offers::NONE);
    let submit = |order_id: u64, request: OrderRequest| VenueCommand::Submit { order_id: OrderId(order_id), request };

    // GTD: sent as GTC, expired by the node when its time comes.
    let (gtd, placed) = (OrderId(10), Instant::now());
    let mut request = OrderRequest::limit(I, Side::Buy, terms.qty, terms.far_bid);
    request.tif = TimeInForce::Gtd(wall_clock() + 300_000_000);
    port.send(submit(10, request.clone()), wall_clock());
    let (r, _) = report_for(&mut port, gtd).await;
    assert!(matches!(r, ExecutionReport::Accepted { .. }), "{r:?}");
    until(&mut port, gtd, |r| matches!(r, ExecutionReport::Expired { .. })).await;
    assert!(placed.elapsed() >= Duration::from_millis(300), "not before its time: {:?}", placed.elapsed());
    assert_eq!(port.order_states(&[gtd]).await.unwrap()[0].status, OrderStatus::Expired);
    // A GTD already past is refused, and never reaches the venue.
    request.tif = TimeInForce::Gtd(wall_clock() - 1);
    port.send(submit(11, request), wall_clock());
    let (r, _) = report_for(&mut port, OrderId(11)).await;
    assert!(matches!(&r, ExecutionReport::Rejected { reason, .. } if reason.contains("has passed")), "{r:?}");

    // A trailing stop by price, held by the node: cancelled, ...
    port.on_market(&print(100), wall_clock());
    let trailing = OrderRequest::trailing_stop(I, Side::Sell, terms.qty, TrailingOffset::Price(Price::from_int(5)));
    port.send(submit(12, trailing.clone()), wall_clock());
    let (r, _) = report_for(&mut port, OrderId(12)).await;
    assert!(matches!(r, ExecutionReport::Accepted { .. }), "{r:?}");
    port.send(VenueCommand::Cancel { order_id: OrderId(12) }, wall_clock());
    let (r, _) = report_for(&mut port, OrderId(12)).await;
    assert!(matches!(r, ExecutionReport::Cancelled { .. }), "{r:?}");

    // ... or followed: 100 → 110 moves its trigger to 105; 106 does not
    // reach it, 104 does, and a market order of the same id fills.
    let stop = OrderId(13);
    port.send(submit(13, trailing), wall_clock());
    let (r, _) = report_for(&mut port, stop).await;
    assert!(matches!(r, ExecutionReport::Accepted { .. }), "{r:?}");
    assert_eq!(port.order_states(&[stop]).await.unwrap()[0].status, OrderStatus::Accepted, "held by the node");
    for price in [110, 106] {
        port.on_market(&print(price), wall_clock());
    }
    assert!(port.try_next().is_none(), "106 is above the trigger 105: nothing happens");
    port.on_market(&print(104), wall_clock());
    let (r, _) = report_for(&mut port, stop).await;
    assert!(matches!(r, ExecutionReport::Triggered { .. }), "{r:?}");
    let mut filled = Quantity::ZERO;
    while filled < terms.qty {
        let (r, _) = report_for(&mut port, stop).await;
        match r {
            ExecutionReport::Filled(f) => filled += f.qty,
            other => panic!("after the trigger only fills, the venue's ack being no news: {other:?}"),
        }
    }
    assert_eq!(port.order_states(&[stop]).await.unwrap()[0].status, OrderStatus::Filled);
    assert_eq!(port.emulated_orders(), 3, "the GTD, and both trailing stops; the refused one was never taken");
}

fn delta(side: Side, price: &str, size: &str, last: bool) -> MarketEvent {
    MarketEvent::BookDelta(BookDelta {
        instrument: I,
        ts_event: 0,
        ts_recv: 0,
        action: BookAction::Update,
        side,
        price: price.parse().unwrap(),
        size: size.parse().unwrap(),
        order_id: 0,
        sequence: 1,
        flags: if last { BookDelta::F_LAST } else { 0 },
    })
}

#[tokio::test]
async fn the_simulated_venue_in_the_process_conforms() {
    let inst = Instrument::new(I, "BTCUSDT", "0.01".parse().unwrap(), "0.001".parse().unwrap());
    let mut port = InProcess::new(pyrt_sim::BookVenue::new(vec![inst], pyrt_sim::Fees::None));
    port.on_market(&delta(Side::Buy, "99", "5", false), 0);
    port.on_market(&delta(Side::Sell, "100", "5", true), 0);
    let terms = Terms { far_bid: "50".parse().unwrap(), qty: "1".parse().unwrap(), bad_qty: "0.0001".parse().unwrap() };
    suite(&mut port, &terms).await;
    emulated_suite(port, &terms).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_over_rest_and_the_user_stream_conforms() {
    use pyrt_adapters::binance::{BinanceExecution, BinanceRest, GatewaySymbol, RestConfig, UserStreamConfig};
    use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET, VenueConfig, spawn};

    let (venue, _server) =
        spawn(VenueConfig::default(), "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    let address = venue.address;
    let rest = std::sync::Arc::new(
        BinanceRest::new(RestConfig::new(format!("http://{address}"), DOCS_API_KEY, DOCS_SECRET)).unwrap(),
    );
    let user = UserStreamConfig {
        url: format!("ws://{address}/ws-api/v3"),
        api_key: DOCS_API_KEY.into(),
        secret: DOCS_SECRET.into(),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(1),
        tls: pyrt_adapters::tls::default_client_config(),
    };
    let symbols = vec![GatewaySymbol { symbol: "BTCUSDT".into(), base: "BTC".into(), quote: "USDT".into() }];
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut port = BinanceExecution::start(rest, "conform", symbols, Vec::new(), user, stop);
    let terms = Terms {
        far_bid: "10000".parse().unwrap(),
        qty: "0.001".parse().unwrap(),
        bad_qty: "0.0000001".parse().unwrap(),
    };
    suite(&mut port, &terms).await;
    assert_eq!(port.client_order_id(OrderId(7)), "conform-7", "client order ids carry the run id");
    emulated_suite(port, &terms).await;
}

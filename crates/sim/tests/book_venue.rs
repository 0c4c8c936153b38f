//! The order-book venue: walking the book, queue position, and every way an
//! order is refused.

use pyrt_model::{
    BookAction, BookDelta, ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, OrderId,
    OrderRequest, Price, Quantity, Rate, Side, TimeInForce, Trade, VenueCommand,
};
use pyrt_sim::{BookVenue, Fees};

const X: InstrumentId = InstrumentId(0);

fn p(x: &str) -> Price {
    x.parse().unwrap()
}
fn q(x: &str) -> Quantity {
    x.parse().unwrap()
}

fn delta(side: Side, price: &str, size: &str, last: bool) -> MarketEvent {
    MarketEvent::BookDelta(BookDelta {
        instrument: X,
        ts_event: 10,
        ts_recv: 10,
        action: BookAction::Update,
        side,
        price: p(price),
        size: q(size),
        order_id: 0,
        sequence: 1,
        flags: if last { BookDelta::F_LAST } else { 0 },
    })
}

fn trade(price: &str, size: &str, aggressor: Side) -> MarketEvent {
    MarketEvent::Trade(Trade {
        instrument: X,
        ts_event: 20,
        ts_recv: 20,
        price: p(price),
        size: q(size),
        aggressor: Some(aggressor),
    })
}

/// Bids 99 × 5, 98 × 10; asks 100 × 1, 101 × 2, 102 × 4.
fn venue() -> BookVenue {
    let inst = Instrument::new(X, "BTCUSDT", p("0.5"), q("0.001"));
    let fees = Fees::Rate { maker: Rate::from_bps(-1), taker: Rate::from_bps(4) };
    let mut v = BookVenue::new(vec![inst], fees);
    let mut out = Vec::new();
    for (side, price, size) in [
        (Side::Buy, "99", "5"),
        (Side::Buy, "98", "10"),
        (Side::Sell, "100", "1"),
        (Side::Sell, "101", "2"),
        (Side::Sell, "102", "4"),
    ] {
        v.on_market(&delta(side, price, size, false), &mut out);
    }
    v.on_market(&delta(Side::Sell, "102", "4", true), &mut out);
    assert!(out.is_empty());
    v
}

fn submit(v: &mut BookVenue, id: u64, req: OrderRequest) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    v.handle(VenueCommand::Submit { order_id: OrderId(id), request: req }, 5, &mut out);
    out
}

fn fills(reports: &[ExecutionReport]) -> Vec<(Price, Quantity, Liquidity)> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled(Fill { price, qty, liquidity, .. }) => Some((*price, *qty, *liquidity)),
            _ => None,
        })
        .collect()
}

fn cancelled_reason(reports: &[ExecutionReport]) -> Option<String> {
    reports.iter().find_map(|r| match r {
        ExecutionReport::Cancelled { reason, .. } | ExecutionReport::Rejected { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

#[test]
fn market_orders_walk_the_book_level_by_level() {
    let mut v = venue();
    let out = submit(&mut v, 1, OrderRequest::market(X, Side::Buy, q("2.5")));
    assert_eq!(fills(&out), vec![(p("100"), q("1"), Liquidity::Taker), (p("101"), q("1.5"), Liquidity::Taker)]);
    // Taker fee: 4 bps of 100 × 1.
    let ExecutionReport::Filled(first) = &out[1] else { panic!("{out:?}") };
    assert_eq!(first.fee, "0.04".parse().unwrap());
    assert_eq!(v.position(X), q("2.5"));
    assert_eq!(v.open_orders(), 0);
}

#[test]
fn a_market_order_larger_than_the_book_fills_what_is_there() {
    let mut v = venue();
    let out = submit(&mut v, 1, OrderRequest::market(X, Side::Sell, q("20")));
    assert_eq!(fills(&out).iter().fold(Quantity::ZERO, |a, f| a + f.1), q("15"));
    assert_eq!(cancelled_reason(&out).unwrap(), "market order took all visible liquidity; 5 unfilled");
}

#[test]
fn a_marketable_limit_takes_up_to_its_price_then_rests_at_the_back() {
    let mut v = venue();
    let out = submit(&mut v, 1, OrderRequest::limit(X, Side::Buy, q("5"), p("101")));
    assert_eq!(fills(&out), vec![(p("100"), q("1"), Liquidity::Taker), (p("101"), q("2"), Liquidity::Taker)]);
    // The rest joins 101, where (in the replayed book) nothing bids yet.
    assert_eq!(v.queue_ahead(OrderId(1)), Some(Quantity::ZERO));
    assert_eq!(v.open_orders(), 1);
}

#[test]
fn queue_moves_with_trades_at_the_price_and_fills_the_overflow() {
    let mut v = venue();
    submit(&mut v, 7, OrderRequest::limit(X, Side::Buy, q("3"), p("99")));
    assert_eq!(v.queue_ahead(OrderId(7)), Some(q("5")));
    let mut out = Vec::new();
    // A buyer lifting the ask does not touch the bid queue.
    v.on_market(&trade("99", "4", Side::Buy), &mut out);
    assert_eq!(v.queue_ahead(OrderId(7)), Some(q("5")));
    v.on_market(&trade("99", "4", Side::Sell), &mut out);
    assert!(out.is_empty());
    assert_eq!(v.queue_ahead(OrderId(7)), Some(q("1")));
    v.on_market(&trade("99", "2.5", Side::Sell), &mut out);
    assert_eq!(fills(&out), vec![(p("99"), q("1.5"), Liquidity::Maker)]);
    // Maker rebate: −1 bp of 148.5.
    let ExecutionReport::Filled(f) = &out[0] else { panic!() };
    assert_eq!(f.fee, "-0.01485".parse().unwrap());
    assert_eq!(v.queue_ahead(OrderId(7)), Some(Quantity::ZERO));
}

#[test]
fn cancellations_ahead_shrink_the_queue_to_the_level_size() {
    let mut v = venue();
    submit(&mut v, 7, OrderRequest::limit(X, Side::Buy, q("3"), p("99")));
    let mut out = Vec::new();
    v.on_market(&delta(Side::Buy, "99", "2", true), &mut out);
    assert_eq!(v.queue_ahead(OrderId(7)), Some(q("2")));
    // The level growing (orders joining behind) does not push us back.
    v.on_market(&delta(Side::Buy, "99", "9", true), &mut out);
    assert_eq!(v.queue_ahead(OrderId(7)), Some(q("2")));
    assert!(out.is_empty());
}

#[test]
fn trades_through_the_price_or_a_crossing_book_fill_the_rest() {
    let mut v = venue();
    submit(&mut v, 1, OrderRequest::limit(X, Side::Buy, q("3"), p("99")));
    let mut out = Vec::new();
    v.on_market(&trade("98.5", "0.1", Side::Sell), &mut out);
    assert_eq!(fills(&out), vec![(p("99"), q("3"), Liquidity::Maker)]);

    let mut v = venue();
    submit(&mut v, 2, OrderRequest::limit(X, Side::Sell, q("1"), p("101")));
    let mut out = Vec::new();
    // Mid-message the bid may run ahead of its ask update: wait for the last delta.
    v.on_market(&delta(Side::Buy, "101", "3", false), &mut out);
    assert!(out.is_empty());
    v.on_market(&delta(Side::Sell, "100", "0", true), &mut out);
    assert_eq!(fills(&out), vec![(p("101"), q("1"), Liquidity::Maker)]);
}

#[test]
fn immediate_orders_and_post_only() {
    let mut v = venue();
    let mut fok = OrderRequest::limit(X, Side::Buy, q("4"), p("101"));
    fok.tif = TimeInForce::Fok;
    let out = submit(&mut v, 1, fok);
    assert!(fills(&out).is_empty());
    assert_eq!(cancelled_reason(&out).unwrap(), "FOK order could not be filled completely: the book offers 3 of 4");

    let mut ioc = OrderRequest::limit(X, Side::Buy, q("4"), p("101"));
    ioc.tif = TimeInForce::Ioc;
    let out = submit(&mut v, 2, ioc);
    assert_eq!(fills(&out).len(), 2);
    assert_eq!(cancelled_reason(&out).unwrap(), "IOC order not filled on arrival; 1 unfilled");

    let mut post = OrderRequest::limit(X, Side::Sell, q("1"), p("99"));
    post.post_only = true;
    assert_eq!(cancelled_reason(&submit(&mut v, 3, post)).unwrap(), "post-only order would take liquidity");
    assert_eq!(v.open_orders(), 0);
}

#[test]
fn unsupported_and_invalid_orders_are_rejected_with_a_reason() {
    let mut v = venue();
    let off_grid_stop = OrderRequest::stop(X, Side::Sell, q("1"), p("95.2"));
    assert!(cancelled_reason(&submit(&mut v, 1, off_grid_stop)).unwrap().contains("95.2"));
    let notional = OrderRequest::market_notional(X, Side::Buy, "100".parse().unwrap());
    assert!(cancelled_reason(&submit(&mut v, 2, notional)).unwrap().starts_with("notional orders are not supported"));
    let off_grid = OrderRequest::limit(X, Side::Buy, q("1"), p("99.3"));
    assert!(cancelled_reason(&submit(&mut v, 3, off_grid)).unwrap().contains("99.3"));
    let unknown = OrderRequest::market(InstrumentId(9), Side::Buy, q("1"));
    assert_eq!(cancelled_reason(&submit(&mut v, 4, unknown)).unwrap(), "unknown instrument id 9");
}

#[test]
fn reduce_only_never_grows_the_position() {
    let mut v = venue();
    submit(&mut v, 1, OrderRequest::market(X, Side::Buy, q("1")));
    let mut sell = OrderRequest::market(X, Side::Sell, q("3"));
    sell.reduce_only = true;
    let out = submit(&mut v, 2, sell);
    assert_eq!(fills(&out), vec![(p("99"), q("1"), Liquidity::Taker)]);
    assert_eq!(v.position(X), Quantity::ZERO);
    assert_eq!(cancelled_reason(&out).unwrap(), "reduce-only order would increase the position");
}

#[test]
fn modify_keeps_or_loses_the_place_like_an_exchange() {
    let mut v = venue();
    submit(&mut v, 1, OrderRequest::limit(X, Side::Buy, q("3"), p("99")));
    let mut out = Vec::new();
    v.on_market(&trade("99", "2", Side::Sell), &mut out);
    assert_eq!(v.queue_ahead(OrderId(1)), Some(q("3")));
    let modify = |v: &mut BookVenue, qty: Option<&str>, price: Option<&str>| {
        let mut out = Vec::new();
        let cmd = VenueCommand::Modify { order_id: OrderId(1), qty: qty.map(q), price: price.map(p), trigger: None };
        v.handle(cmd, 30, &mut out);
        out.pop().unwrap()
    };
    assert!(matches!(modify(&mut v, Some("2"), None), ExecutionReport::Modified { .. }));
    assert_eq!(v.queue_ahead(OrderId(1)), Some(q("3")), "a smaller order keeps its place");
    modify(&mut v, Some("4"), None);
    assert_eq!(v.queue_ahead(OrderId(1)), Some(q("5")), "a larger order goes to the back");
    modify(&mut v, None, Some("98"));
    assert_eq!(v.queue_ahead(OrderId(1)), Some(q("10")));
    let ExecutionReport::CommandRejected { reason, .. } = modify(&mut v, None, Some("100")) else { panic!() };
    assert!(reason.contains("would cross the book"), "{reason}");
    let mut out = Vec::new();
    v.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 40, &mut out);
    assert!(matches!(out[0], ExecutionReport::Cancelled { .. }));
    v.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 41, &mut out);
    assert!(matches!(out[1], ExecutionReport::CommandRejected { .. }));
}

fn on(v: &mut BookVenue, event: MarketEvent) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    v.on_market(&event, &mut out);
    out
}

fn triggered(reports: &[ExecutionReport]) -> Vec<OrderId> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::Triggered { order_id, .. } => Some(*order_id),
            _ => None,
        })
        .collect()
}

#[test]
fn a_stop_waits_off_the_book_until_a_print_reaches_its_trigger_then_walks_the_book() {
    let mut v = venue();
    let out = submit(&mut v, 1, OrderRequest::stop(X, Side::Sell, q("7"), p("99")));
    assert!(matches!(out[..], [ExecutionReport::Accepted { .. }]), "{out:?}");
    assert_eq!(v.open_orders(), 1);
    // Not on the book: a trade at 99 would fill a resting sell, not this.
    assert!(on(&mut v, trade("99.5", "1", Side::Sell)).is_empty());
    // A print at the trigger fires it: Triggered, then a market sell
    // through bids 99 × 5 and 98 × 2.
    let out = on(&mut v, trade("99", "1", Side::Sell));
    assert_eq!(triggered(&out), vec![OrderId(1)]);
    assert_eq!(fills(&out), vec![(p("99"), q("5"), Liquidity::Taker), (p("98"), q("2"), Liquidity::Taker)]);
    assert_eq!(v.open_orders(), 0);
}

#[test]
fn a_stop_limit_becomes_a_limit_that_takes_then_rests() {
    let mut v = venue();
    submit(&mut v, 1, OrderRequest::stop_limit(X, Side::Buy, q("5"), p("100.5"), p("101")));
    assert!(on(&mut v, trade("100", "1", Side::Buy)).is_empty());
    let out = on(&mut v, trade("101", "1", Side::Buy));
    assert_eq!(triggered(&out), vec![OrderId(1)]);
    // Asks 100 × 1 and 101 × 2 are within the limit; 2 rest at 101.
    assert_eq!(fills(&out), vec![(p("100"), q("1"), Liquidity::Taker), (p("101"), q("2"), Liquidity::Taker)]);
    assert_eq!(v.open_orders(), 1);
    assert_eq!(v.queue_ahead(OrderId(1)), Some(Quantity::ZERO));
}

#[test]
fn a_trailing_stop_follows_the_best_print_and_fires_on_the_pullback() {
    use pyrt_model::TrailingOffset;
    let mut v = venue();
    on(&mut v, trade("100", "1", Side::Buy));
    submit(&mut v, 1, OrderRequest::trailing_stop(X, Side::Sell, q("1"), TrailingOffset::Price(p("2"))));
    // High 104 moves the trigger to 102; 102.5 does not reach it.
    for price in ["101", "104", "102.5"] {
        assert!(on(&mut v, trade(price, "1", Side::Buy)).is_empty(), "{price}");
    }
    let out = on(&mut v, trade("102", "1", Side::Sell));
    assert_eq!(triggered(&out), vec![OrderId(1)]);
    assert_eq!(fills(&out), vec![(p("99"), q("1"), Liquidity::Taker)]);
}

#[test]
fn a_stop_already_reached_fires_on_arrival() {
    let mut v = venue();
    on(&mut v, trade("98.5", "1", Side::Sell));
    let out = submit(&mut v, 1, OrderRequest::stop(X, Side::Sell, q("1"), p("99")));
    assert!(matches!(out[..2], [ExecutionReport::Accepted { .. }, ExecutionReport::Triggered { .. }]), "{out:?}");
    assert_eq!(fills(&out), vec![(p("99"), q("1"), Liquidity::Taker)]);
}

#[test]
fn waiting_stops_cancel_and_expire_but_do_not_modify() {
    let mut v = venue();
    submit(&mut v, 1, OrderRequest::stop(X, Side::Sell, q("1"), p("90")));
    submit(&mut v, 2, OrderRequest::stop(X, Side::Sell, q("1"), p("90")).with_tif(TimeInForce::Gtd(15)));
    let mut out = Vec::new();
    v.handle(
        VenueCommand::Modify { order_id: OrderId(1), qty: None, price: None, trigger: Some(p("91")) },
        6,
        &mut out,
    );
    assert!(cancelled_reason(&out).is_none());
    let ExecutionReport::CommandRejected { reason, .. } = &out[0] else { panic!("{out:?}") };
    assert!(reason.contains("cancel it and send a new one"), "{reason}");
    out.clear();
    v.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 7, &mut out);
    assert_eq!(cancelled_reason(&out).unwrap(), "cancelled");
    // The trade at 20 is past the second stop's 15: it expires, unfired.
    let out = on(&mut v, trade("95", "1", Side::Sell));
    assert!(matches!(out[..], [ExecutionReport::Expired { order_id: OrderId(2), .. }]), "{out:?}");
    assert_eq!(v.open_orders(), 0);
}

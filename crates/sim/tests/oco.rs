//! OCO lists on both simulated venues: the leg the market reaches first
//! fills and the others are cancelled in the same step, so two legs never
//! both fill; a leg the venue refuses refuses the list.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{
    Bar, BookAction, BookDelta, ExecutionReport, Instrument, InstrumentId, MarketEvent, OrderId, OrderRequest, Price,
    Quantity, Side, Trade, VenueCommand,
};
use pyrt_sim::{BookVenue, Fees, SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn px(s: &str) -> Price {
    s.parse().unwrap()
}
fn qty(n: i64) -> Quantity {
    Quantity::from_int(n)
}

fn bar(day: i64, o: &str, h: &str, l: &str, c: &str) -> MarketEvent {
    let ts = day * NANOS_PER_DAY;
    MarketEvent::Bar(Bar {
        instrument: I,
        ts_event: ts,
        ts_recv: ts,
        open: px(o),
        high: px(h),
        low: px(l),
        close: px(c),
        volume: qty(1_000_000),
    })
}

fn oco(legs: Vec<(u64, OrderRequest)>) -> VenueCommand {
    VenueCommand::SubmitOco { legs: legs.into_iter().map(|(id, r)| (OrderId(id), r)).collect() }
}

/// Each order's fate in `reports`: (id, "filled" | "cancelled" | ...).
fn fates(reports: &[ExecutionReport]) -> Vec<(u64, &'static str)> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled(f) => Some((f.order_id.0, "filled")),
            ExecutionReport::Cancelled { order_id, .. } => Some((order_id.0, "cancelled")),
            ExecutionReport::Rejected { order_id, .. } => Some((order_id.0, "rejected")),
            _ => None,
        })
        .collect()
}

/// A take-profit above and a stop below, both inside the next bar.
fn exits() -> Vec<(u64, OrderRequest)> {
    vec![
        (1, OrderRequest::limit(I, Side::Sell, qty(10), px("12"))),
        (2, OrderRequest::stop(I, Side::Sell, qty(10), px("8"))),
    ]
}

fn bar_venue() -> SimVenue {
    let mut v = SimVenue::new(vec![Instrument::new(I, "TEST", px("0.01"), qty(1))], SimConfig::default());
    v.on_market(&bar(0, "10", "10.5", "9.5", "10"), &mut Vec::new());
    v
}

#[test]
fn on_a_bar_the_leg_the_path_reaches_first_fills_and_the_other_is_cancelled() {
    // Open 10: the low (7, three away) is nearer than the high (13.5), so the
    // stop at 8 is reached first, though the take-profit arrived first.
    let mut v = bar_venue();
    let mut out = Vec::new();
    v.handle(oco(exits()), 0, &mut out);
    assert_eq!(fates(&out), vec![], "both accepted and working: {out:?}");
    let mut out = Vec::new();
    v.on_market(&bar(1, "10", "13.5", "7", "10"), &mut out);
    assert_eq!(fates(&out), vec![(2, "filled"), (1, "cancelled")], "{out:?}");
    assert_eq!(v.position(I), qty(-10));
    assert_eq!(v.open_orders(), 0);

    // The same bar with the high nearer the open: the take-profit wins.
    let mut v = bar_venue();
    v.handle(oco(exits()), 0, &mut Vec::new());
    let mut out = Vec::new();
    v.on_market(&bar(1, "10", "12.5", "7", "10"), &mut out);
    assert_eq!(fates(&out), vec![(1, "filled"), (2, "cancelled")], "{out:?}");
}

#[test]
fn separate_orders_on_the_same_bar_both_fill() {
    // What the OCO prevents: without the list, the path reaches both.
    let mut v = bar_venue();
    let mut out = Vec::new();
    for (id, request) in exits() {
        v.handle(VenueCommand::Submit { order_id: OrderId(id), request }, 0, &mut out);
    }
    let mut out = Vec::new();
    v.on_market(&bar(1, "10", "13.5", "7", "10"), &mut out);
    assert_eq!(fates(&out).len(), 2);
    assert!(fates(&out).iter().all(|(_, f)| *f == "filled"), "{out:?}");
}

#[test]
fn a_leg_the_venue_refuses_refuses_the_list() {
    let mut v = bar_venue();
    let mut out = Vec::new();
    let bad = OrderRequest::limit(I, Side::Sell, qty(10), px("12.005")); // off the 0.01 tick
    v.handle(oco(vec![(1, bad), (2, OrderRequest::stop(I, Side::Sell, qty(10), px("8")))]), 0, &mut out);
    assert_eq!(fates(&out), vec![(1, "rejected"), (2, "rejected")]);
    let ExecutionReport::Rejected { reason, .. } = &out[1] else { panic!() };
    assert!(reason.starts_with("OCO leg O-1 refused:"), "{reason}");
    assert_eq!(v.open_orders(), 0);
}

#[test]
fn on_order_book_data_the_first_fill_cancels_the_other_legs() {
    let inst = Instrument::new(I, "BTCUSDT", px("0.5"), "0.001".parse().unwrap());
    let mut v = BookVenue::new(vec![inst], Fees::None);
    let mut out = Vec::new();
    for (side, price, last) in [(Side::Buy, "99", false), (Side::Sell, "100", true)] {
        let delta = BookDelta {
            instrument: I,
            ts_event: 1,
            ts_recv: 1,
            action: BookAction::Update,
            side,
            price: px(price),
            size: qty(5),
            order_id: 0,
            sequence: 1,
            flags: if last { BookDelta::F_LAST } else { 0 },
        };
        v.on_market(&MarketEvent::BookDelta(delta), &mut out);
    }
    // A resting sell at 101 and a stop at 98, as one list.
    let legs = vec![
        (1, OrderRequest::limit(I, Side::Sell, qty(1), px("101"))),
        (2, OrderRequest::stop(I, Side::Sell, qty(1), px("98"))),
    ];
    v.handle(oco(legs), 5, &mut out);
    assert_eq!(v.open_orders(), 2);
    // A buyer lifts 101: the limit fills and the stop is cancelled with it.
    let trade =
        Trade { instrument: I, ts_event: 9, ts_recv: 9, price: px("101"), size: qty(10), aggressor: Some(Side::Buy) };
    let mut out = Vec::new();
    v.on_market(&MarketEvent::Trade(trade), &mut out);
    assert_eq!(fates(&out), vec![(1, "filled"), (2, "cancelled")], "{out:?}");
    assert_eq!(v.open_orders(), 0);
}

//! The simulated venue seen from outside: commands in, reports out.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{
    Bar, ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, Money, OrderId, OrderRequest, Price,
    Quantity, Quote, Rate, Side, TimeInForce, VenueCommand,
};
use pyrt_sim::{BarFill, Fees, SimConfig, SimVenue, Slippage};

const I: InstrumentId = InstrumentId(0);

fn px(s: &str) -> Price {
    s.parse().unwrap()
}
fn qty(n: i64) -> Quantity {
    Quantity::from_int(n)
}

fn venue(config: SimConfig) -> SimVenue {
    SimVenue::new(vec![Instrument::new(I, "TEST", px("0.01"), qty(1))], config)
}

fn bar(day: i64, o: &str, h: &str, l: &str, c: &str, v: i64) -> MarketEvent {
    let ts = day * NANOS_PER_DAY;
    MarketEvent::Bar(Bar {
        instrument: I,
        ts_event: ts,
        ts_recv: ts,
        open: px(o),
        high: px(h),
        low: px(l),
        close: px(c),
        volume: qty(v),
    })
}

fn submit(v: &mut SimVenue, id: u64, req: OrderRequest, now: i64) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    v.handle(VenueCommand::Submit { order_id: OrderId(id), request: req }, now, &mut out);
    out
}

fn on(v: &mut SimVenue, e: MarketEvent) -> Vec<ExecutionReport> {
    let mut out = Vec::new();
    v.on_market(&e, &mut out);
    out
}

fn fills(reports: &[ExecutionReport]) -> Vec<Fill> {
    reports
        .iter()
        .filter_map(|r| match r {
            ExecutionReport::Filled(f) => Some(*f),
            _ => None,
        })
        .collect()
}

#[test]
fn market_order_on_bar_t_fills_at_the_open_of_bar_t_plus_1() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10.5", 1000));
    let r = submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(10)), 0);
    assert_eq!(r, vec![ExecutionReport::Accepted { order_id: OrderId(1), ts: 0 }]);
    let f = fills(&on(&mut v, bar(1, "10.8", "12", "10.7", "11", 1000)));
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].price, f[0].qty, f[0].ts), (px("10.8"), qty(10), NANOS_PER_DAY));
    assert_eq!(v.position(I), qty(10));
}

#[test]
fn close_convention_fills_market_orders_at_the_signal_bar_close() {
    let mut v = venue(SimConfig { bar_fill: BarFill::Close, ..Default::default() });
    on(&mut v, bar(0, "10", "11", "9", "10.5", 1000));
    let f = fills(&submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(10)), 0));
    assert_eq!(f[0].price, px("10.5"));
    // Limits still wait for the next bar.
    let r = submit(&mut v, 2, OrderRequest::limit(I, Side::Buy, qty(1), px("10.5")), 0);
    assert!(fills(&r).is_empty());
}

#[test]
fn notional_orders_buy_whole_lots_at_the_fill_price_fees_included() {
    let mut v =
        venue(SimConfig { fees: Fees::Rate { maker: Rate::ZERO, taker: Rate::from_bps(10) }, ..Default::default() });
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::market_notional(I, Side::Buy, Money::from_int(1000)), 0);
    let f = fills(&on(&mut v, bar(1, "9.99", "10", "9", "9.5", 0)));
    // 1000 / 9.99 = 100.1 -> 100 lots cost 999 + 0.999 fee = 999.999 <= 1000.
    assert_eq!(f[0].qty, qty(100));
    assert_eq!(f[0].fee, "0.999".parse().unwrap());
    let mut v =
        venue(SimConfig { fees: Fees::Rate { maker: Rate::ZERO, taker: Rate::from_bps(10) }, ..Default::default() });
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::market_notional(I, Side::Buy, Money::from_int(1000)), 0);
    // At exactly 10.00, 100 lots + 1.00 fee = 1001 > 1000: one lot fewer.
    let f = fills(&on(&mut v, bar(1, "10", "11", "9", "10", 0)));
    assert_eq!(f[0].qty, qty(99));
}

#[test]
fn a_notional_too_small_for_one_lot_is_cancelled_with_a_reason() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::market_notional(I, Side::Buy, Money::from_int(5)), 0);
    let r = on(&mut v, bar(1, "10", "11", "9", "10", 0));
    assert!(
        matches!(&r[0], ExecutionReport::Cancelled { reason, .. } if reason.contains("notional too small")),
        "{r:?}"
    );
}

#[test]
fn reduce_only_never_flips_or_opens_a_position() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(5)), 0);
    on(&mut v, bar(1, "10", "11", "9", "10", 0));
    submit(&mut v, 2, OrderRequest::market(I, Side::Sell, qty(8)).reduce_only(), NANOS_PER_DAY);
    let f = fills(&on(&mut v, bar(2, "10", "11", "9", "10", 0)));
    assert_eq!(f[0].qty, qty(5));
    assert_eq!(v.position(I), Quantity::ZERO);
    submit(&mut v, 3, OrderRequest::market(I, Side::Sell, qty(1)).reduce_only(), 2 * NANOS_PER_DAY);
    let r = on(&mut v, bar(3, "10", "11", "9", "10", 0));
    assert!(matches!(&r[0], ExecutionReport::Cancelled { reason, .. } if reason.contains("reduce-only")));
}

#[test]
fn stop_triggers_and_reports_before_the_fill() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::stop(I, Side::Buy, qty(1), px("10.5")), 0);
    let r = on(&mut v, bar(1, "10", "12", "9.9", "11", 0));
    assert!(matches!(r[0], ExecutionReport::Triggered { .. }));
    assert_eq!(fills(&r)[0].price, px("10.5"));
}

#[test]
fn ioc_on_bars_gets_the_next_open_only() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::limit(I, Side::Buy, qty(1), px("9.5")).with_tif(TimeInForce::Ioc), 0);
    assert_eq!(v.open_orders(), 1, "IOC waits for the next bar's open on bar data");
    // Opens at 10 (not marketable); the low touches 9.5 later, too late.
    let r = on(&mut v, bar(1, "10", "11", "9", "10", 0));
    assert!(fills(&r).is_empty());
    assert!(matches!(&r[0], ExecutionReport::Cancelled { reason, .. } if reason.contains("IOC")));
    assert_eq!(v.open_orders(), 0);
}

#[test]
fn fok_is_killed_when_the_volume_cap_allows_only_part() {
    let slippage = Slippage::SquareRoot { coefficient: 0.0, max_participation: "0.1".parse().unwrap() };
    let mut v = venue(SimConfig { slippage, ..Default::default() });
    on(&mut v, bar(0, "10", "11", "9", "10", 1000));
    submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(500)).with_tif(TimeInForce::Fok), 0);
    let r = on(&mut v, bar(1, "10", "11", "9", "10", 1000));
    assert!(matches!(&r[0], ExecutionReport::Cancelled { reason, .. } if reason.contains("FOK")));
    // A GTC order takes 10% of each bar until done.
    submit(&mut v, 2, OrderRequest::market(I, Side::Buy, qty(250)), NANOS_PER_DAY);
    let sizes: Vec<_> =
        (2..5).flat_map(|d| fills(&on(&mut v, bar(d, "10", "11", "9", "10", 1000)))).map(|f| f.qty).collect();
    assert_eq!(sizes, vec![qty(100), qty(100), qty(50)]);
}

#[test]
fn day_orders_expire_at_the_end_of_their_utc_day() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::limit(I, Side::Buy, qty(1), px("5")).with_tif(TimeInForce::Day), 10);
    let r = on(&mut v, bar(1, "10", "11", "4", "10", 0));
    assert_eq!(r, vec![ExecutionReport::Expired { order_id: OrderId(1), ts: NANOS_PER_DAY }]);
}

#[test]
fn cancel_and_modify() {
    let mut v = venue(SimConfig::default());
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::limit(I, Side::Buy, qty(3), px("9")), 0);
    let mut out = Vec::new();
    v.handle(
        VenueCommand::Modify { order_id: OrderId(1), qty: Some(qty(4)), price: Some(px("9.5")), trigger: None },
        1,
        &mut out,
    );
    assert_eq!(
        out,
        vec![ExecutionReport::Modified {
            order_id: OrderId(1),
            ts: 1,
            qty: qty(4),
            price: Some(px("9.5")),
            trigger: None
        }]
    );
    out.clear();
    v.handle(
        VenueCommand::Modify { order_id: OrderId(1), qty: None, price: Some(px("9.555")), trigger: None },
        1,
        &mut out,
    );
    assert!(matches!(&out[0], ExecutionReport::CommandRejected { reason, .. } if reason.contains("tick size")));
    out.clear();
    v.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 2, &mut out);
    assert!(matches!(out[0], ExecutionReport::Cancelled { .. }));
    out.clear();
    v.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 3, &mut out);
    assert!(matches!(&out[0], ExecutionReport::CommandRejected { reason, .. } if reason.contains("not open")));
}

#[test]
fn invalid_orders_are_rejected_with_the_reason() {
    let mut v = venue(SimConfig::default());
    let r = submit(&mut v, 1, OrderRequest::limit(I, Side::Buy, qty(1), px("10.001")), 0);
    assert!(matches!(&r[0], ExecutionReport::Rejected { reason, .. } if reason.contains("tick size 0.01")));
    let r = submit(&mut v, 2, OrderRequest::market(I, Side::Buy, "0.5".parse().unwrap()), 0);
    assert!(matches!(&r[0], ExecutionReport::Rejected { reason, .. } if reason.contains("lot size")));
    let r = submit(&mut v, 3, OrderRequest::market(InstrumentId(9), Side::Buy, qty(1)), 0);
    assert!(matches!(&r[0], ExecutionReport::Rejected { reason, .. } if reason.contains("unknown instrument")));
    let r = submit(&mut v, 4, OrderRequest::market(I, Side::Buy, qty(0)), 0);
    assert!(matches!(&r[0], ExecutionReport::Rejected { reason, .. } if reason.contains("greater than zero")));
}

fn quote(ts: i64, bid: &str, ask: &str) -> MarketEvent {
    MarketEvent::Quote(Quote {
        instrument: I,
        ts_event: ts,
        ts_recv: ts,
        bid: px(bid),
        ask: px(ask),
        bid_size: qty(10),
        ask_size: qty(10),
    })
}

#[test]
fn quotes_fill_takers_at_the_opposite_side_and_resting_limits_at_their_price() {
    let mut v = venue(SimConfig::default());
    on(&mut v, quote(1, "99.99", "100.01"));
    let f = fills(&submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(1)), 2));
    assert_eq!((f[0].price, f[0].liquidity), (px("100.01"), Liquidity::Taker));
    let f = fills(&submit(&mut v, 2, OrderRequest::market(I, Side::Sell, qty(1)), 2));
    assert_eq!(f[0].price, px("99.99"));
    assert!(fills(&submit(&mut v, 3, OrderRequest::limit(I, Side::Buy, qty(1), px("99.95")), 3)).is_empty());
    let f = fills(&on(&mut v, quote(4, "99.90", "99.94")));
    assert_eq!((f[0].price, f[0].liquidity), (px("99.95"), Liquidity::Maker));
}

#[test]
fn post_only_that_would_cross_is_rejected() {
    let mut v = venue(SimConfig::default());
    on(&mut v, quote(1, "99.99", "100.01"));
    let r = submit(&mut v, 1, OrderRequest::limit(I, Side::Buy, qty(1), px("100.02")).post_only(), 2);
    assert!(matches!(&r[0], ExecutionReport::Rejected { reason, .. } if reason.contains("post-only")));
    let r = submit(&mut v, 2, OrderRequest::limit(I, Side::Buy, qty(1), px("100")).post_only(), 2);
    assert!(matches!(r[0], ExecutionReport::Accepted { .. }));
}

#[test]
fn slippage_is_rounded_to_the_tick_against_the_trader() {
    let mut v = venue(SimConfig { slippage: Slippage::Fixed { rate: Rate::from_bps(7) }, ..Default::default() });
    on(&mut v, bar(0, "10", "11", "9", "10", 0));
    submit(&mut v, 1, OrderRequest::market(I, Side::Buy, qty(1)), 0);
    // 10 * 1.0007 = 10.007 -> 10.01
    assert_eq!(fills(&on(&mut v, bar(1, "10", "11", "9", "10", 0)))[0].price, px("10.01"));
}

//! Invariants of matching on bars, over random bars and random orders.

use proptest::prelude::*;
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{
    Bar, ExecutionReport, Instrument, InstrumentId, MarketEvent, OrderId, OrderKind, OrderRequest, Price, Quantity,
    Side, TimeInForce, TrailingOffset, VenueCommand,
};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);
const TICK: i64 = 10_000_000; // 0.01

fn bar_strategy() -> impl Strategy<Value = (i64, i64, i64, i64)> {
    // open, then high/low around it, close inside; in ticks.
    (1_000i64..2_000, 0i64..50, 0i64..50, 0u8..=100).prop_map(|(o, up, down, c)| {
        let (h, l) = (o + up, o - down);
        let close = l + (h - l) * c as i64 / 100;
        (o, h, l, close)
    })
}

fn kind_strategy() -> impl Strategy<Value = (OrderKind, Side)> {
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    let px = (950i64..2_050).prop_map(|t| Price::from_raw(t * TICK));
    let kind = prop_oneof![
        Just(OrderKind::Market),
        px.clone().prop_map(|price| OrderKind::Limit { price }),
        px.clone().prop_map(|trigger| OrderKind::Stop { trigger }),
        (px.clone(), px).prop_map(|(trigger, limit)| OrderKind::StopLimit { trigger, limit }),
        (1i64..100).prop_map(|t| OrderKind::TrailingStop { offset: TrailingOffset::Price(Price::from_raw(t * TICK)) }),
    ];
    (kind, side)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn fills_respect_the_bar_the_order_and_time(
        bars in prop::collection::vec(bar_strategy(), 2..12),
        orders in prop::collection::vec((kind_strategy(), 1i64..20, 0usize..10, any::<bool>()), 1..8),
    ) {
        let inst = Instrument::new(I, "X", Price::from_raw(TICK), Quantity::from_int(1));
        let mut venue = SimVenue::new(vec![inst], SimConfig::default());
        let mut out = Vec::new();
        // (id, kind, side, qty, submitted after bar index)
        let mut placed: Vec<(OrderId, OrderKind, Side, Quantity, usize, TimeInForce)> = Vec::new();
        let mut filled = std::collections::HashMap::<OrderId, Quantity>::new();
        for (day, &(o, h, l, c)) in bars.iter().enumerate() {
            let ts = day as i64 * NANOS_PER_DAY;
            let bar = Bar {
                instrument: I, ts_event: ts, ts_recv: ts,
                open: Price::from_raw(o * TICK), high: Price::from_raw(h * TICK),
                low: Price::from_raw(l * TICK), close: Price::from_raw(c * TICK),
                volume: Quantity::from_int(1_000_000),
            };
            out.clear();
            venue.on_market(&MarketEvent::Bar(bar), &mut out);
            for r in &out {
                if let ExecutionReport::Filled(f) = r {
                    let (_, kind, side, qty, after, _) = placed.iter().find(|p| p.0 == f.order_id).copied().unwrap();
                    // Never on the bar the order was decided on, or earlier.
                    prop_assert!(day > after, "filled on bar {day}, decided after bar {after}");
                    // Inside the bar's range.
                    prop_assert!(f.price >= bar.low && f.price <= bar.high, "{f:?} outside {bar:?}");
                    // Limit prices are honoured.
                    match (kind, side) {
                        (OrderKind::Limit { price }, Side::Buy) => prop_assert!(f.price <= price),
                        (OrderKind::Limit { price }, Side::Sell) => prop_assert!(f.price >= price),
                        (OrderKind::StopLimit { limit, .. }, Side::Buy) => prop_assert!(f.price <= limit),
                        (OrderKind::StopLimit { limit, .. }, Side::Sell) => prop_assert!(f.price >= limit),
                        // A stop fills at its trigger or worse (a gap through it).
                        (OrderKind::Stop { trigger }, Side::Buy) => prop_assert!(f.price >= trigger),
                        (OrderKind::Stop { trigger }, Side::Sell) => prop_assert!(f.price <= trigger),
                        _ => {}
                    }
                    let total = filled.entry(f.order_id).or_insert(Quantity::ZERO);
                    *total += f.qty;
                    prop_assert!(*total <= qty, "overfilled {total} > {qty}");
                }
            }
            // Decide new orders after seeing this bar.
            for (n, &((kind, side), q, at, ioc)) in orders.iter().enumerate() {
                if at == day {
                    let id = OrderId(n as u64 + 1);
                    let tif = if ioc { TimeInForce::Ioc } else { TimeInForce::Gtc };
                    let mut req = OrderRequest::market(I, side, Quantity::from_int(q)).with_tif(tif);
                    req.kind = kind;
                    out.clear();
                    venue.handle(VenueCommand::Submit { order_id: id, request: req }, ts, &mut out);
                    prop_assert!(matches!(out[0], ExecutionReport::Accepted { .. }), "{out:?}");
                    prop_assert!(!out.iter().any(|r| matches!(r, ExecutionReport::Filled(_))), "filled on arrival on bar data");
                    placed.push((id, kind, side, Quantity::from_int(q), day, tif));
                }
            }
        }
        // Every IOC order is gone once it has seen a bar.
        let last_day = bars.len() - 1;
        let open_iocs = placed.iter().filter(|p| p.5 == TimeInForce::Ioc && p.4 < last_day && !filled.contains_key(&p.0)).count();
        prop_assert!(venue.open_orders() <= placed.len() - open_iocs);
    }
}

//! The smart order router on two real venues: Binance spot and USD-M
//! BTCUSDT recorded on 2024-08-08 (six minutes), replayed together, each behind its own
//! order-book venue with its own taker fee. Every routed order must cost
//! exactly the cheapest of all possible splits (found by trying each one),
//! and the venues must fill each part exactly as planned.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use pyrt_binance::Market;
use pyrt_binance::events::{CaptureEvents, ClockSkew};
use pyrt_data::Merge;
use pyrt_engine::{AccountKind, Context, Engine, EngineConfig, Strategy, VenueSet};
use pyrt_execution::RoutePlan;
use pyrt_model::fixed::FIXED_SCALE;
use pyrt_model::time::NANOS_PER_SECOND;
use pyrt_model::{BookDelta, Fill, Instrument, InstrumentId, Money, OrderId, Quantity, Rate, Side, UnixNanos};
use pyrt_sim::{BookVenue, Fees};

const SPOT: InstrumentId = InstrumentId(0);
const PERP: InstrumentId = InstrumentId(1);

fn capture(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hftbacktest/raw").join(name);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} not found (the shared hftbacktest captures)", path.display());
        None
    }
}

fn fees() -> [(InstrumentId, Rate); 2] {
    [(SPOT, Rate::from_bps(1)), (PERP, Rate::from_bps(4))]
}

/// Exact cost of a split, in Money raw × FIXED_SCALE: Σ notional × (1 ± fee).
fn exact(side: Side, parts: &[(Money, Rate)]) -> i128 {
    parts
        .iter()
        .map(|(notional, fee)| {
            let factor = match side {
                Side::Buy => FIXED_SCALE as i128 + fee.raw() as i128,
                Side::Sell => FIXED_SCALE as i128 - fee.raw() as i128,
            };
            notional.raw() * factor
        })
        .sum()
}

/// The best split found by trying every one: the perp's part in each of its
/// lots, the spot the rest (its lot is finer, so every split is tried).
fn best_split(ctx: &Context, side: Side, qty: Quantity) -> Option<i128> {
    let (spot, perp) = (ctx.book(SPOT), ctx.book(PERP));
    let lot = ctx.instrument(PERP).lot_size;
    let mut best: Option<i128> = None;
    let mut on_perp = Quantity::ZERO;
    while on_perp <= qty {
        let (a, b) = (spot.sweep(side, qty - on_perp), perp.sweep(side, on_perp));
        if a.filled == qty - on_perp && b.filled == on_perp {
            let cost = exact(side, &[(a.notional, fees()[0].1), (b.notional, fees()[1].1)]);
            let better = match side {
                Side::Buy => best.is_none_or(|c| cost < c),
                Side::Sell => best.is_none_or(|c| cost > c),
            };
            if better {
                best = Some(cost);
            }
        }
        on_perp += lot;
    }
    best
}

#[derive(Default)]
struct Log {
    routed: Vec<(RoutePlan, Vec<OrderId>, i128)>,
    fills: Vec<Fill>,
}

/// Every `every` ns, once both books are up, routes `qty` (alternating
/// buys and sells) and notes the best split beside the plan.
struct Router {
    next: UnixNanos,
    every: i64,
    qty: Quantity,
    log: Rc<RefCell<Log>>,
}

impl Strategy for Router {
    fn on_book_delta(&mut self, ctx: &mut Context, delta: &BookDelta) {
        let ready = |id| ctx.book(id).best_bid().is_some() && ctx.book(id).best_ask().is_some();
        if !delta.is_last() || ctx.now() < self.next || !ready(SPOT) || !ready(PERP) {
            return;
        }
        self.next = ctx.now() + self.every;
        let side = if self.log.borrow().routed.len().is_multiple_of(2) { Side::Buy } else { Side::Sell };
        let best = best_split(ctx, side, self.qty).expect("two BTC fit in the recorded books");
        let (plan, orders) = ctx.route(side, self.qty, &fees());
        self.log.borrow_mut().routed.push((plan, orders, best));
    }
    fn on_fill(&mut self, _ctx: &mut Context, fill: &Fill) {
        self.log.borrow_mut().fills.push(*fill);
    }
}

#[test]
fn routed_orders_cost_the_cheapest_split_and_fill_as_planned() {
    let (Some(spot), Some(perp)) = (capture("spot_btcusdt_20240808.gz"), capture("usdm_btcusdt_20240808.gz")) else {
        return;
    };
    let instruments = vec![
        Instrument::new(SPOT, "BTCUSDT@spot", "0.01".parse().unwrap(), "0.00001".parse().unwrap()),
        Instrument::new(PERP, "BTCUSDT@perp", "0.1".parse().unwrap(), "0.001".parse().unwrap()),
    ];
    let venue = |bps| BookVenue::new(instruments.clone(), Fees::Rate { maker: Rate::ZERO, taker: Rate::from_bps(bps) });
    let venues = VenueSet::new(vec![venue(1), venue(4)], vec![0, 1]).unwrap();
    let config =
        EngineConfig { initial_cash: Money::from_int(10_000_000), account: AccountKind::Margin, ..Default::default() };
    let mut engine = Engine::new(instruments, venues, config);
    let log = Rc::new(RefCell::new(Log::default()));
    let qty: Quantity = "2".parse().unwrap();
    engine.add_strategy(Box::new(Router { next: 0, every: 10 * NANOS_PER_SECOND, qty, log: log.clone() }));
    let streams = vec![
        CaptureEvents::open(&spot, Market::Spot, SPOT, ClockSkew::Auto).unwrap(),
        CaptureEvents::open(&perp, Market::Futures, PERP, ClockSkew::Auto).unwrap(),
    ];
    // The two recordings overlap for about six minutes.
    engine.run(Merge::new(streams)).unwrap();

    let log = log.borrow();
    assert!(log.routed.len() >= 15, "only {} routed orders", log.routed.len());
    let mut split = 0;
    for (plan, orders, best) in &log.routed {
        assert_eq!((plan.filled(), plan.unfilled), (qty, Quantity::ZERO));
        let parts: Vec<_> =
            plan.routes.iter().map(|r| (r.notional, fees().iter().find(|f| f.0 == r.instrument).unwrap().1)).collect();
        assert_eq!(exact(plan.side, &parts), *best, "{plan:?}");
        split += (plan.routes.len() == 2) as usize;
        // Each part filled completely, at exactly the planned notional.
        for (route, id) in plan.routes.iter().zip(orders) {
            let fills: Vec<_> = log.fills.iter().filter(|f| f.order_id == *id).collect();
            let filled = fills.iter().fold(Quantity::ZERO, |a, f| a + f.qty);
            let notional = fills.iter().fold(Money::ZERO, |a, f| a + Money::notional(f.price, f.qty));
            assert_eq!((filled, notional), (route.qty, route.notional), "{route:?}");
            assert!(fills.iter().all(|f| f.instrument == route.instrument));
        }
    }
    // Two BTC is deeper than either touch: some orders were worth splitting.
    assert!(split > 0, "no order was split across the venues");
}

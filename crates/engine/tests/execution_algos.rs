//! Execution algorithms in the kernel on real one-minute bars
//! (BTC perpetual, 2021-12-31 to 2022-02-01, `shared/data/nautilus_trader`):
//! TWAP fills evenly, VWAP tracks its learned profile, POV stays within its
//! rate, an iceberg never shows more than its display size, protection
//! holds, and the kill switch, risk denials and bad parents stop them.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::OnceLock;

use pyrt_data::{BarCsvOptions, BarCsvReader, parse_timestamp};
use pyrt_engine::{AccountKind, AlgoUpdate, Context, Engine, EngineConfig, Strategy};
use pyrt_execution::{Algo, ParentId, ParentOrder, ParentStatus, VolumeProfile};
use pyrt_model::time::NANOS_PER_MINUTE;
use pyrt_model::{
    Bar, Fill, Instrument, InstrumentId, MarketEvent, Money, OrderKind, OrderQty, Price, Quantity, Rate, Side,
    UnixNanos,
};
use pyrt_risk::RiskLimits;
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);
const HOUR: i64 = 60 * NANOS_PER_MINUTE;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("PYRT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: shared data not found at {} (set PYRT_SHARED_DATA)", dir.display());
        None
    }
}

/// The month of minute bars, read once.
fn bars() -> Option<&'static [Bar]> {
    static BARS: OnceLock<Option<Vec<Bar>>> = OnceLock::new();
    BARS.get_or_init(|| {
        let path = shared_data()?.join("nautilus_trader/btc-perp-20211231-20220201_1m.csv.gz");
        let reader = BarCsvReader::open(path, BarCsvOptions::default()).expect("the file opens");
        let bars = reader
            .map(|e| match e.expect("every row is valid") {
                MarketEvent::Bar(bar) => bar,
                _ => unreachable!("bar files hold bars"),
            })
            .collect();
        Some(bars)
    })
    .as_deref()
}

fn ts(text: &str) -> UnixNanos {
    parse_timestamp(text).unwrap()
}

fn qty(n: i64) -> Quantity {
    Quantity::from_int(n)
}

#[derive(Default)]
struct Log {
    parents: Vec<ParentId>,
    updates: Vec<AlgoUpdate>,
    fills: Vec<Fill>,
    /// The largest quantity open at once across children, seen on each bar.
    max_open: Quantity,
    /// (decision time, executed so far, market volume since start) per bar.
    volume_seen: Vec<(UnixNanos, Quantity)>,
}

/// Hands its parents over on the first bar at or after `at`; kills at
/// `kill_at`.
struct Trader {
    at: UnixNanos,
    parents: Vec<ParentOrder>,
    kill_at: Option<UnixNanos>,
    cancel_at: Option<UnixNanos>,
    log: Rc<RefCell<Log>>,
}

impl Strategy for Trader {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        let mut log = self.log.borrow_mut();
        if bar.ts_event >= self.at && !self.parents.is_empty() {
            for parent in self.parents.drain(..) {
                let id = ctx.submit_algo(parent);
                log.parents.push(id);
            }
        }
        let open: Quantity = ctx
            .open_orders()
            .map(|o| match o.request.qty {
                OrderQty::Base(q) => q - o.filled,
                OrderQty::Quote(_) => unreachable!("children are sized in base units"),
            })
            .fold(Quantity::ZERO, |a, b| a + b);
        log.max_open = log.max_open.max(open);
        if let Some(&id) = log.parents.first()
            && let Some(exec) = ctx.algo(id)
        {
            log.volume_seen.push((bar.ts_event, exec.observed_volume()));
        }
        if self.cancel_at.is_some_and(|t| bar.ts_event >= t) {
            self.cancel_at = None;
            ctx.cancel_algo(log.parents[0]);
        }
        if self.kill_at.is_some_and(|t| bar.ts_event >= t) {
            self.kill_at = None;
            ctx.kill_switch(false);
        }
    }
    fn on_algo_update(&mut self, _ctx: &mut Context, update: &AlgoUpdate) {
        self.log.borrow_mut().updates.push(update.clone());
    }
    fn on_fill(&mut self, _ctx: &mut Context, fill: &Fill) {
        self.log.borrow_mut().fills.push(*fill);
    }
}

struct Run {
    engine: Engine<SimVenue>,
    log: Rc<RefCell<Log>>,
}

impl Run {
    fn parent(&self) -> &pyrt_execution::ParentExecution {
        self.engine.algos().get(self.log.borrow().parents[0]).expect("the parent is kept")
    }
    fn last_update(&self) -> AlgoUpdate {
        self.log.borrow().updates.last().cloned().expect("the strategy heard of its parent")
    }
}

/// Runs the bars in `[from, to)` with one trader.
fn run(from: &str, to: &str, trader: Trader, limits: Option<&str>) -> Option<Run> {
    let bars = bars()?;
    let (from, to) = (ts(from), ts(to));
    let inst = vec![Instrument::new(I, "BTC-PERP", Price::from_raw(100_000_000), qty(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let config = EngineConfig {
        initial_cash: Money::from_int(1_000_000_000_000),
        account: AccountKind::Margin,
        ..Default::default()
    };
    let mut engine = Engine::new(inst, venue, config);
    if let Some(toml) = limits {
        engine = engine.with_risk(RiskLimits::from_toml(toml).unwrap()).unwrap();
    }
    let log = trader.log.clone();
    engine.add_strategy(Box::new(trader));
    let events =
        bars.iter().filter(|b| (from..to).contains(&b.ts_event)).map(|b| Ok::<_, std::io::Error>(MarketEvent::Bar(*b)));
    engine.run(events).unwrap();
    Some(Run { engine, log })
}

fn trader(at: &str, parents: Vec<ParentOrder>) -> Trader {
    Trader { at: ts(at), parents, kill_at: None, cancel_at: None, log: Rc::default() }
}

fn twap(side: Side, total: i64, start: &str, end: &str, slices: u32, jitter: &str) -> ParentOrder {
    let algo = Algo::Twap { slices, jitter: jitter.parse().unwrap(), seed: 42 };
    ParentOrder::new(I, side, qty(total), algo, ts(start), ts(end))
}

#[test]
fn twap_fills_evenly_over_its_window() {
    let parent = twap(Side::Buy, 600_000, "2022-01-20 14:00:00", "2022-01-20 15:00:00", 12, "0");
    let Some(r) = run("2022-01-20 13:00:00", "2022-01-20 17:00:00", trader("2022-01-20 13:30:00", vec![parent]), None)
    else {
        return;
    };
    let log = r.log.borrow();
    assert_eq!(log.fills.len(), 12);
    let start = ts("2022-01-20 14:00:00");
    for (i, fill) in log.fills.iter().enumerate() {
        assert_eq!(fill.qty, qty(50_000), "slice {i}");
        // Decided on the bar at the slice time, filled at the next bar's open.
        assert_eq!(fill.ts, start + i as i64 * 5 * NANOS_PER_MINUTE + NANOS_PER_MINUTE, "slice {i}");
    }
    let s = r.parent().summary();
    assert_eq!((r.parent().status(), s.executed, s.children), (ParentStatus::Completed, qty(600_000), 12));
    assert_eq!(r.last_update().status, ParentStatus::Completed);
    // Every fill is a market fill at a bar open, so the average is theirs.
    let opens: i128 = log.fills.iter().map(|f| f.price.raw() as i128).sum();
    assert!((s.avg_price.unwrap().raw() as i128 - opens / 12).abs() <= 1);
    assert!(s.shortfall_arrival_bps.is_some() && s.interval_vwap.is_some());
}

#[test]
fn twap_jitter_keeps_each_slice_inside_its_interval() {
    let parent = twap(Side::Sell, 1_000_000, "2022-01-21 00:00:00", "2022-01-21 10:00:00", 20, "0.8");
    let Some(r) = run("2022-01-20 23:00:00", "2022-01-21 12:00:00", trader("2022-01-20 23:00:00", vec![parent]), None)
    else {
        return;
    };
    let log = r.log.borrow();
    let start = ts("2022-01-21 00:00:00");
    assert_eq!(log.fills.len(), 20);
    let mut off_even = 0;
    for (i, fill) in log.fills.iter().enumerate() {
        let even = start + i as i64 * 30 * NANOS_PER_MINUTE;
        assert!(fill.ts > even && fill.ts <= even + 30 * NANOS_PER_MINUTE, "slice {i} filled at {}", fill.ts);
        off_even += (fill.ts != even + NANOS_PER_MINUTE) as usize;
        assert_eq!(fill.qty, qty(50_000));
    }
    assert!(off_even >= 15, "jitter moved only {off_even} of 20 slices");
}

#[test]
fn vwap_tracks_the_profile_learned_from_history() {
    let Some(bars) = bars() else { return };
    // Learn hourly shares from the first three weeks; trade a later day.
    let history: Vec<Bar> = bars.iter().filter(|b| b.ts_event < ts("2022-01-22 00:00:00")).copied().collect();
    let profile = VolumeProfile::learn(&history, HOUR).unwrap();
    let (start, end) = ("2022-01-25 00:00:00", "2022-01-26 00:00:00");
    let total = 2_400_000;
    let parent =
        ParentOrder::new(I, Side::Buy, qty(total), Algo::Vwap { profile: profile.clone() }, ts(start), ts(end));
    let r =
        run("2022-01-24 22:00:00", "2022-01-26 02:00:00", trader("2022-01-24 23:00:00", vec![parent]), None).unwrap();
    let log = r.log.borrow();
    // Per hour: what the algorithm did against the profile's share. A
    // bucket's quantity is decided on its first bar and fills on the
    // second, so it lands in its own hour.
    let mut done = [0i64; 24];
    for fill in &log.fills {
        done[((fill.ts - ts(start)) / HOUR) as usize] += fill.qty.raw() / 1_000_000_000;
    }
    let mut cumulative_gap: f64 = 0.0;
    let (mut want, mut got) = (0.0, 0.0);
    for (share, done) in profile.shares().iter().zip(done) {
        want += share * total as f64;
        got += done as f64;
        cumulative_gap = cumulative_gap.max((want - got).abs());
    }
    assert!(cumulative_gap <= 1.0, "cumulative quantity left the profile by {cumulative_gap}");
    let s = r.parent().summary();
    assert_eq!((r.parent().status(), s.executed), (ParentStatus::Completed, qty(total)));
    // Against the day's market VWAP the cost is a few basis points (the
    // realised volume differs from the learned shape), far below the
    // day's range.
    let vwap_cost = s.shortfall_vwap_bps.unwrap();
    assert!(vwap_cost.abs() < 25.0, "VWAP shortfall {vwap_cost} bps");
    let day: Vec<&Bar> = bars.iter().filter(|b| (ts(start)..ts(end)).contains(&b.ts_event)).collect();
    let (hi, lo) = day.iter().fold((f64::MIN, f64::MAX), |(h, l), b| (h.max(b.high.to_f64()), l.min(b.low.to_f64())));
    assert!(vwap_cost.abs() < (hi - lo) / lo * 10_000.0 / 10.0);
}

#[test]
fn pov_stays_within_its_participation_rate() {
    let rate: Rate = "0.05".parse().unwrap();
    let algo = Algo::Pov { rate, min_child: qty(20_000), max_child: Some(qty(2_000_000)) };
    let (start, end) = ("2022-01-26 12:00:00", "2022-01-26 16:00:00");
    let parent = ParentOrder::new(I, Side::Sell, qty(100_000_000), algo, ts(start), ts(end));
    let Some(r) = run("2022-01-26 11:00:00", "2022-01-26 17:00:00", trader("2022-01-26 11:30:00", vec![parent]), None)
    else {
        return;
    };
    let log = r.log.borrow();
    // Each fill was decided on the bar before it: the executed quantity up
    // to then never exceeds the rate times the volume seen by then.
    let mut executed = Quantity::ZERO;
    for fill in &log.fills {
        executed += fill.qty;
        let (_, seen) = log.volume_seen.iter().rev().find(|(t, _)| *t < fill.ts).copied().unwrap();
        assert!(executed <= seen.mul_ratio(5, 100), "{executed} executed with {seen} seen");
        assert!(fill.qty >= qty(20_000) && fill.qty <= qty(2_000_000), "child {}", fill.qty);
    }
    let s = r.parent().summary();
    // The big parent was not done by the end: it expired, having
    // participated at just under its rate.
    assert_eq!(r.parent().status(), ParentStatus::Expired);
    let participation = s.participation.unwrap();
    assert!(participation <= 0.05 && participation > 0.045, "participation {participation}");
}

#[test]
fn an_iceberg_never_shows_more_than_its_display() {
    let Some(bars) = bars() else { return };
    let start = ts("2022-01-27 09:00:00");
    let first = bars.iter().find(|b| b.ts_event >= start).unwrap();
    // A sell a little above the market, shown 25,000 at a time.
    let price = (first.close + Price::from_int(50)).floor_to(Price::from_raw(100_000_000));
    let algo = Algo::Iceberg { display: qty(25_000), price };
    let parent = ParentOrder::new(I, Side::Sell, qty(200_000), algo, start, ts("2022-01-27 21:00:00"));
    let r =
        run("2022-01-27 08:00:00", "2022-01-27 22:00:00", trader("2022-01-27 08:30:00", vec![parent]), None).unwrap();
    let log = r.log.borrow();
    assert!(log.max_open <= qty(25_000) && log.max_open.is_positive(), "showed {}", log.max_open);
    let children: Vec<_> = r.engine.orders().all().iter().collect();
    assert!(children.iter().all(|o| o.request.kind == OrderKind::Limit { price }));
    assert!(children.iter().all(|o| o.request.qty == OrderQty::Base(qty(25_000))));
    assert!(log.fills.iter().all(|f| f.price >= price));
    assert_eq!(r.parent().executed(), log.fills.iter().fold(Quantity::ZERO, |a, f| a + f.qty));
    assert_eq!(r.parent().status(), ParentStatus::Completed, "{:?}", r.parent().summary());
    assert_eq!(children.len(), 8);
}

#[test]
fn limit_protection_never_pays_beyond_the_limit() {
    let Some(bars) = bars() else { return };
    let start = ts("2022-01-20 14:00:00");
    let first = bars.iter().find(|b| b.ts_event >= start).unwrap();
    let limit = (first.open - Price::from_int(20)).floor_to(Price::from_raw(100_000_000));
    let parent = twap(Side::Buy, 600_000, "2022-01-20 14:00:00", "2022-01-20 18:00:00", 24, "0").with_limit(limit);
    let r =
        run("2022-01-20 13:00:00", "2022-01-20 19:00:00", trader("2022-01-20 13:30:00", vec![parent]), None).unwrap();
    let log = r.log.borrow();
    assert!(log.fills.iter().all(|f| f.price <= limit), "a fill above {limit}");
    for order in r.engine.orders().all() {
        assert_eq!(order.request.kind, OrderKind::Limit { price: limit });
    }
    // The catch-up re-slices what the limit left unfilled: never more open
    // than the parent has left.
    assert!(log.max_open <= qty(600_000));
    let s = r.parent().summary();
    assert!(s.executed <= qty(600_000));
    assert!(matches!(r.parent().status(), ParentStatus::Completed | ParentStatus::Expired));
}

#[test]
fn slippage_protection_caps_children_at_the_arrival_price_moved() {
    let parent = twap(Side::Sell, 600_000, "2022-01-21 14:00:00", "2022-01-21 20:00:00", 12, "0")
        .with_max_slippage("0.002".parse().unwrap());
    let r = run("2022-01-21 13:00:00", "2022-01-21 21:00:00", trader("2022-01-21 13:30:00", vec![parent]), None);
    let Some(r) = r else { return };
    let arrival = r.parent().summary().arrival_price.unwrap();
    let floor = (arrival - "0.002".parse::<Rate>().unwrap().of_price(arrival)).ceil_to(Price::from_raw(100_000_000));
    for order in r.engine.orders().all() {
        assert_eq!(order.request.kind, OrderKind::Limit { price: floor });
    }
    assert!(r.log.borrow().fills.iter().all(|f| f.price >= floor));
}

#[test]
fn completing_at_the_end_sends_the_rest() {
    let Some(bars) = bars() else { return };
    let start = ts("2022-01-20 14:00:00");
    let first = bars.iter().find(|b| b.ts_event >= start).unwrap();
    // A POV buy that cannot finish in ten minutes, then completes.
    let algo = Algo::Pov { rate: "0.01".parse().unwrap(), min_child: qty(1), max_child: None };
    let parent =
        ParentOrder::new(I, Side::Buy, qty(5_000_000), algo, start, start + 10 * NANOS_PER_MINUTE).completing();
    let r =
        run("2022-01-20 13:00:00", "2022-01-20 15:00:00", trader("2022-01-20 13:30:00", vec![parent]), None).unwrap();
    assert_eq!(r.parent().status(), ParentStatus::Completed);
    let last = *r.log.borrow().fills.last().unwrap();
    assert_eq!(last.ts, start + 11 * NANOS_PER_MINUTE);
    assert!(last.qty > qty(4_000_000), "the rest, {}", last.qty);
    assert!(first.volume.is_positive());
}

#[test]
fn the_kill_switch_stops_a_parent_mid_run() {
    let parent = twap(Side::Buy, 600_000, "2022-01-20 14:00:00", "2022-01-20 15:00:00", 12, "0");
    let mut t = trader("2022-01-20 13:30:00", vec![parent]);
    t.kill_at = Some(ts("2022-01-20 14:22:00"));
    let Some(r) = run("2022-01-20 13:00:00", "2022-01-20 17:00:00", t, None) else { return };
    let log = r.log.borrow();
    // Slices at :00, :05, :10, :15, :20 filled; nothing after the kill.
    assert_eq!(log.fills.len(), 5);
    assert!(log.fills.iter().all(|f| f.ts <= ts("2022-01-20 14:22:00")));
    assert_eq!(r.parent().status(), ParentStatus::Cancelled);
    assert!(r.parent().reason().unwrap().contains("kill switch"), "{:?}", r.parent().reason());
    assert_eq!(r.engine.orders().all().len(), 5);
}

#[test]
fn a_strategy_cancels_its_parent_and_its_resting_child() {
    let Some(bars) = bars() else { return };
    let start = ts("2022-01-27 09:00:00");
    let first = bars.iter().find(|b| b.ts_event >= start).unwrap();
    let price = (first.close + Price::from_int(2_000)).floor_to(Price::from_raw(100_000_000));
    let algo = Algo::Iceberg { display: qty(25_000), price };
    let parent = ParentOrder::new(I, Side::Sell, qty(200_000), algo, start, ts("2022-01-27 21:00:00"));
    let mut t = trader("2022-01-27 08:30:00", vec![parent]);
    t.cancel_at = Some(ts("2022-01-27 10:00:00"));
    let r = run("2022-01-27 08:00:00", "2022-01-27 22:00:00", t, None).unwrap();
    assert_eq!(r.parent().status(), ParentStatus::Cancelled);
    assert_eq!(r.parent().reason(), Some("cancelled by its strategy"));
    let orders = r.engine.orders().all();
    assert_eq!(orders.len(), 1, "one piece shown, far above the market");
    assert_eq!(orders[0].status, pyrt_model::OrderStatus::Cancelled);
    let update = r.last_update();
    assert_eq!((update.status, update.ts), (ParentStatus::Cancelled, ts("2022-01-27 10:00:00")));
}

#[test]
fn a_child_denied_by_risk_fails_its_parent_with_the_reason() {
    let parent = twap(Side::Buy, 600_000, "2022-01-20 14:00:00", "2022-01-20 15:00:00", 3, "0");
    let limits = "[order_limits]\nmax_quantity = 100000\n";
    let r =
        run("2022-01-20 13:00:00", "2022-01-20 17:00:00", trader("2022-01-20 13:30:00", vec![parent]), Some(limits));
    let Some(r) = r else { return };
    assert_eq!(r.parent().status(), ParentStatus::Failed);
    let reason = r.parent().reason().unwrap();
    assert!(reason.starts_with("child O-1 refused: risk MAX_ORDER_QUANTITY"), "{reason}");
    assert_eq!(r.engine.orders().all().len(), 1, "no child after the refusal");
    assert_eq!(r.last_update().reason.as_deref(), Some(reason));
}

#[test]
fn bad_parents_are_refused_with_the_field_named() {
    let window = ("2022-01-20 14:00:00", "2022-01-20 15:00:00");
    let (s, e) = (ts(window.0), ts(window.1));
    let pov = |rate: &str, min: i64, max: Option<i64>| Algo::Pov {
        rate: rate.parse().unwrap(),
        min_child: qty(min),
        max_child: max.map(qty),
    };
    let cases = [
        (ParentOrder::new(I, Side::Buy, qty(0), pov("0.1", 1, None), s, e), "qty must be greater than zero, got 0"),
        (
            ParentOrder::new(I, Side::Buy, "1.5".parse().unwrap(), pov("0.1", 1, None), s, e),
            "qty 1.5 is not a multiple of the instrument's step 1",
        ),
        (ParentOrder::new(I, Side::Buy, qty(10), pov("0", 1, None), s, e), "rate must be above 0, at most 1, got 0"),
        (ParentOrder::new(I, Side::Buy, qty(10), pov("0.1", 5, Some(2)), s, e), "max_child 2 is below min_child 5"),
        (ParentOrder::new(I, Side::Buy, qty(10), pov("0.1", 1, None), e, s), "window is empty"),
        (
            ParentOrder::new(I, Side::Buy, qty(10), Algo::Twap { slices: 3, jitter: Rate::ZERO, seed: 0 }, s, i64::MAX),
            "twap spreads the quantity up to an end time",
        ),
        (
            ParentOrder::new(
                I,
                Side::Buy,
                qty(10),
                Algo::Iceberg { display: qty(20), price: Price::from_int(1) },
                s,
                e,
            ),
            "display 20 is larger than the whole quantity 10",
        ),
        (
            ParentOrder::new(
                I,
                Side::Buy,
                qty(10),
                Algo::Iceberg { display: qty(2), price: "1.05".parse().unwrap() },
                s,
                e,
            ),
            "price 1.05 is not a multiple of the instrument's step 0.1",
        ),
        (ParentOrder::new(InstrumentId(7), Side::Buy, qty(10), pov("0.1", 1, None), s, e), "unknown instrument id 7"),
    ];
    let count = cases.len();
    let (parents, wants): (Vec<_>, Vec<_>) = cases.into_iter().unzip();
    let Some(r) = run("2022-01-20 13:00:00", "2022-01-20 14:30:00", trader("2022-01-20 13:30:00", parents), None)
    else {
        return;
    };
    let log = r.log.borrow();
    assert_eq!(log.updates.len(), count);
    for (update, want) in log.updates.iter().zip(wants) {
        assert_eq!(update.status, ParentStatus::Failed);
        let reason = update.reason.as_deref().unwrap();
        assert!(reason.contains(want), "{reason:?} should say {want:?}");
        assert!(r.engine.algos().get(update.parent).is_none());
    }
    assert!(r.engine.orders().all().is_empty());
}

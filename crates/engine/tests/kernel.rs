//! The kernel end to end with the simulated venue: callbacks, timing,
//! contingencies and account checks.

use std::cell::RefCell;
use std::rc::Rc;

use pyrt_engine::{AccountKind, Context, Engine, EngineConfig, EngineError, OrderUpdate, Strategy, TimerEvent};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{
    Bar, Fill, Instrument, InstrumentId, MarketEvent, Money, OrderId, OrderRequest, OrderStatus, Price, Quantity, Side,
};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn px(s: &str) -> Price {
    s.parse().unwrap()
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
        volume: Quantity::from_int(1_000_000),
    })
}

type Script = Box<dyn FnMut(&mut Context, usize)>;

/// Runs `script(ctx, bar_index)` on every bar and logs what comes back.
struct Scripted {
    script: Script,
    bars: usize,
    log: Rc<RefCell<Vec<String>>>,
}

impl Strategy for Scripted {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        (self.script)(ctx, self.bars);
        self.bars += 1;
    }
    fn on_order_update(&mut self, _ctx: &mut Context, u: &OrderUpdate) {
        self.log.borrow_mut().push(format!("{} {:?} {:?}", u.order_id, u.status, u.reason));
    }
    fn on_fill(&mut self, _ctx: &mut Context, f: &Fill) {
        self.log.borrow_mut().push(format!("fill {} {} {}@{}", f.order_id, f.side, f.qty, f.price));
    }
    fn on_timer(&mut self, ctx: &mut Context, t: &TimerEvent) {
        self.log.borrow_mut().push(format!("timer {} at {} now {}", t.name, t.ts, ctx.now()));
    }
}

fn engine(config: EngineConfig, script: Script) -> (Engine<SimVenue>, Rc<RefCell<Vec<String>>>) {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, config);
    let log = Rc::new(RefCell::new(Vec::new()));
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    (e, log)
}

fn run(e: &mut Engine<SimVenue>, bars: Vec<MarketEvent>) {
    e.run(bars.into_iter().map(Ok::<_, std::io::Error>)).unwrap();
}

#[test]
fn an_order_decided_on_a_bar_fills_on_the_next_bar_open() {
    let (mut e, log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "12", "13", "11", "12.5")]);
    let log = log.borrow();
    assert_eq!(log[0], "O-1 Accepted None");
    assert_eq!(log[1], "O-1 Filled None");
    assert_eq!(log[2], "fill O-1 buy 10@12");
    let p = e.portfolio();
    assert_eq!(p.cash(), Money::from_int(100_000 - 120));
    assert_eq!(p.equity(), Money::from_int(100_000 + 5));
    assert_eq!(e.fills()[0].ts, NANOS_PER_DAY);
}

#[test]
fn bracket_places_an_oco_exit_pair_after_the_entry_fills() {
    let (mut e, log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.submit_bracket(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)), px("12"), px("9"));
            }
        }),
    );
    run(
        &mut e,
        vec![
            bar(0, "10", "10.5", "9.5", "10"),
            bar(1, "10", "10.5", "9.5", "10"), // entry fills at 10; exits placed
            bar(2, "10", "12.5", "9.8", "12"), // take-profit at 12 fills
            bar(3, "12", "12", "8", "8"),      // the stop was cancelled: nothing happens
        ],
    );
    let orders = e.orders().all();
    assert_eq!(orders.len(), 3);
    assert_eq!(orders[1].status, OrderStatus::Filled, "take-profit: {log:?}");
    assert_eq!(orders[1].avg_fill_price(), Some(px("12")));
    assert_eq!(orders[2].status, OrderStatus::Cancelled, "stop-loss cancelled by OCO");
    assert!(orders[1].request.reduce_only && orders[2].request.reduce_only);
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
    assert_eq!(e.portfolio().trades()[0].pnl, Money::from_int(20));
}

#[test]
fn cash_account_rejects_shorts_and_overspending_with_reasons() {
    let ids: Rc<RefCell<Vec<OrderId>>> = Rc::default();
    let ids2 = ids.clone();
    let (mut e, log) = engine(
        EngineConfig { initial_cash: Money::from_int(1000), ..Default::default() },
        Box::new(move |ctx, n| {
            if n == 0 {
                ids2.borrow_mut().push(ctx.submit(OrderRequest::market(I, Side::Sell, Quantity::from_int(1))));
                ids2.borrow_mut().push(ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(101))));
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "10", "11", "9", "10")]);
    let log = log.borrow();
    assert!(log[0].contains("Rejected") && log[0].contains("cash account cannot sell"), "{log:?}");
    assert!(log[1].contains("Rejected") && log[1].contains("insufficient cash"), "{log:?}");
    assert_eq!(e.fills().len(), 0);
}

#[test]
fn margin_account_can_short() {
    let (mut e, _) = engine(
        EngineConfig { account: AccountKind::Margin, ..Default::default() },
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.submit(OrderRequest::market(I, Side::Sell, Quantity::from_int(5)));
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "10", "11", "9", "9")]);
    assert_eq!(e.portfolio().position(I).qty, Quantity::from_int(-5));
    assert_eq!(e.portfolio().equity(), Money::from_int(100_005));
}

#[test]
fn timers_fire_in_time_order_before_later_data() {
    let (mut e, log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.set_timer(ctx.now() + NANOS_PER_DAY / 2, "half");
                ctx.set_timer(ctx.now() + NANOS_PER_DAY / 4, "quarter");
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "10", "11", "9", "10")]);
    let log = log.borrow();
    let q = NANOS_PER_DAY / 4;
    let h = NANOS_PER_DAY / 2;
    assert_eq!(*log, vec![format!("timer quarter at {q} now {q}"), format!("timer half at {h} now {h}")]);
}

#[test]
fn order_latency_delays_arrival_at_the_venue() {
    let (mut e, log) = engine(
        EngineConfig { order_latency_ns: NANOS_PER_DAY + 1, ..Default::default() },
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "20", "21", "19", "20"), bar(2, "30", "31", "29", "30")]);
    // Arrives just after bar 1: fills at bar 2's open.
    assert_eq!(e.fills()[0].price, px("30"), "{:?}", log.borrow());
}

#[test]
fn unsorted_events_stop_the_run_with_a_clear_error() {
    let (mut e, _) = engine(EngineConfig::default(), Box::new(|_, _| {}));
    let events = vec![bar(2, "10", "11", "9", "10"), bar(1, "10", "11", "9", "10")];
    let err = e.run(events.into_iter().map(Ok::<_, std::io::Error>)).unwrap_err();
    assert!(matches!(err, EngineError::OutOfOrder { .. }));
    assert!(err.to_string().contains("must be sorted by time"));
}

#[test]
fn close_position_flattens_with_reduce_only() {
    let (mut e, _) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| match n {
            0 => {
                ctx.buy_notional(I, Money::from_int(1000));
            }
            2 => {
                ctx.close_position(I);
            }
            _ => {}
        }),
    );
    run(&mut e, (0..4).map(|d| bar(d, "10", "11", "9", "10")).collect());
    assert_eq!(e.fills().len(), 2);
    assert_eq!(e.fills()[0].qty, Quantity::from_int(100));
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
    assert_eq!(e.orders().all()[0].status, OrderStatus::Filled);
}

/// Tick data: market orders fill at the opposite quote, at once (no bar to wait for).
#[test]
fn on_quotes_market_orders_fill_at_the_opposite_side_immediately() {
    use pyrt_model::Quote;
    struct OnQuotes {
        n: usize,
    }
    impl Strategy for OnQuotes {
        fn on_quote(&mut self, ctx: &mut Context, q: &Quote) {
            self.n += 1;
            match self.n {
                1 => {
                    ctx.submit(OrderRequest::market(q.instrument, Side::Buy, Quantity::from_int(2)));
                }
                3 => {
                    ctx.close_position(q.instrument);
                }
                _ => {}
            }
        }
    }
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, EngineConfig::default());
    e.add_strategy(Box::new(OnQuotes { n: 0 }));
    let quote = |ts: i64, bid: &str, ask: &str| {
        MarketEvent::Quote(Quote {
            instrument: I,
            ts_event: ts,
            ts_recv: ts,
            bid: px(bid),
            ask: px(ask),
            bid_size: Quantity::from_int(5),
            ask_size: Quantity::from_int(5),
        })
    };
    let events = vec![quote(1, "99.9", "100.1"), quote(2, "100.4", "100.6"), quote(3, "101", "101.2")];
    e.run(events.into_iter().map(Ok::<_, std::io::Error>)).unwrap();
    let fills: Vec<_> = e.fills().iter().map(|f| (f.ts, f.side, f.price)).collect();
    assert_eq!(fills, vec![(1, Side::Buy, px("100.1")), (3, Side::Sell, px("101"))]);
    assert_eq!(e.portfolio().realized(), Money::from_raw(Money::notional(px("0.9"), Quantity::from_int(2)).raw()));
}

#[test]
fn a_history_limit_bounds_memory_but_statistics_count_everything() {
    let (mut e, _) = {
        let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
        let venue = SimVenue::new(inst.clone(), SimConfig::default());
        let mut e = Engine::new(inst, venue, EngineConfig { history_limit: Some(3), ..Default::default() });
        let log = Rc::new(RefCell::new(Vec::new()));
        // Buy on even bars, sell on odd bars: one round trip per two bars.
        let script: Script = Box::new(|ctx, n| {
            if n % 2 == 0 {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            } else {
                ctx.close_position(I);
            }
        });
        e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
        (e, log)
    };
    run(&mut e, (0..41).map(|d| bar(d, "10", "11", "9", "10")).collect());
    assert_eq!(e.portfolio().trade_stats().count, 20);
    assert_eq!(e.portfolio().num_fills(), 40);
    assert_eq!(e.fills().len(), 3);
    assert_eq!(e.portfolio().trades().len(), 3);
    assert!(e.orders().all().len() <= 4, "kept {}", e.orders().all().len());
    // The newest order is still there; the first one is forgotten.
    assert!(e.orders().get(OrderId(1)).is_none());
    assert!(e.orders().get(OrderId(41)).is_some());
}

#[test]
fn several_strategies_and_instruments_share_one_account() {
    const J: InstrumentId = InstrumentId(1);
    struct BuyOnce {
        instrument: InstrumentId,
        updates: Rc<RefCell<Vec<OrderId>>>,
        seen: Rc<RefCell<Vec<(i64, u32)>>>,
    }
    impl Strategy for BuyOnce {
        fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
            self.seen.borrow_mut().push((bar.ts_event, bar.instrument.0));
            if bar.instrument == self.instrument
                && ctx.position_qty(self.instrument).is_zero()
                && !ctx.has_open_orders(self.instrument)
            {
                ctx.submit(OrderRequest::market(self.instrument, Side::Buy, Quantity::from_int(10)));
            }
        }
        fn on_order_update(&mut self, _ctx: &mut Context, u: &OrderUpdate) {
            self.updates.borrow_mut().push(u.order_id);
        }
    }
    let inst = vec![
        Instrument::new(I, "AAA", px("0.01"), Quantity::from_int(1)),
        Instrument::new(J, "BBB", px("0.01"), Quantity::from_int(1)),
    ];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, EngineConfig::default());
    let (ua, ub, seen) = (Rc::default(), Rc::default(), Rc::new(RefCell::new(Vec::new())));
    e.add_strategy(Box::new(BuyOnce { instrument: I, updates: Rc::clone(&ua), seen: seen.clone() }));
    e.add_strategy(Box::new(BuyOnce {
        instrument: J,
        updates: Rc::clone(&ub),
        seen: Rc::new(RefCell::new(Vec::new())),
    }));
    let with = |ev: MarketEvent, id: InstrumentId, close: &str| match ev {
        MarketEvent::Bar(mut b) => {
            b.instrument = id;
            b.close = px(close);
            MarketEvent::Bar(b)
        }
        other => other,
    };
    let a: Vec<_> = (0..3).map(|d| Ok::<_, std::io::Error>(with(bar(d, "10", "11", "9", "10"), I, "10"))).collect();
    let b: Vec<_> = (0..3).map(|d| Ok::<_, std::io::Error>(with(bar(d, "20", "21", "19", "20"), J, "21"))).collect();
    let merged = interleave(a, b);
    e.run(merged).unwrap();
    // Each strategy heard only about its own order.
    assert_eq!(*ua.borrow(), vec![OrderId(1), OrderId(1)]);
    assert_eq!(*ub.borrow(), vec![OrderId(2), OrderId(2)]);
    // Both positions in one account; equity = cash + both marks.
    let p = e.portfolio();
    assert_eq!((p.position(I).qty, p.position(J).qty), (Quantity::from_int(10), Quantity::from_int(10)));
    assert_eq!(p.cash(), Money::from_int(100_000 - 100 - 200));
    assert_eq!(p.equity(), Money::from_int(100_000 - 300 + 100 + 210));
    // Events arrive in time order, instrument order within a time.
    assert_eq!(seen.borrow()[..4], [(0, 0), (0, 1), (NANOS_PER_DAY, 0), (NANOS_PER_DAY, 1)]);
}

/// Interleaves two day-aligned streams (the data crate's `Merge` is tested there).
fn interleave<T>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect()
}

#[test]
fn book_deltas_reach_strategies_and_do_not_move_marks() {
    use pyrt_model::{BookAction, BookDelta};
    struct Counts(Rc<RefCell<Vec<u64>>>);
    impl Strategy for Counts {
        fn on_book_delta(&mut self, _ctx: &mut Context, d: &BookDelta) {
            self.0.borrow_mut().push(d.sequence);
        }
    }
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, EngineConfig { account: AccountKind::Margin, ..Default::default() });
    let seen = Rc::new(RefCell::new(Vec::new()));
    e.add_strategy(Box::new(Counts(seen.clone())));
    let delta = |seq: u64, price: &str| {
        MarketEvent::BookDelta(BookDelta {
            instrument: I,
            ts_event: seq as i64,
            ts_recv: seq as i64,
            action: BookAction::Update,
            side: Side::Buy,
            price: px(price),
            size: Quantity::from_int(3),
            order_id: 0,
            sequence: seq,
            flags: BookDelta::F_LAST,
        })
    };
    e.process(&bar(0, "10", "11", "9", "10")).unwrap();
    let marked = e.portfolio().position(I).mark;
    e.run([delta(1, "5"), delta(2, "50")].into_iter().map(Ok::<_, std::io::Error>)).unwrap();
    assert_eq!(*seen.borrow(), vec![1, 2]);
    assert_eq!(e.portfolio().position(I).mark, marked);
}

#[test]
fn risk_denials_reach_the_strategy_with_their_code() {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let limits = pyrt_risk::RiskLimits::from_toml("[order_limits]\nmax_quantity = 10\n").unwrap();
    let mut e = Engine::new(inst, venue, EngineConfig::default()).with_risk(limits).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let script: Script = Box::new(|ctx, n| {
        if n == 0 {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(11)));
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
        }
    });
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "10", "11", "9", "10")]);
    let log = log.borrow();
    assert!(
        log[0].contains("Rejected")
            && log[0].contains("risk MAX_ORDER_QUANTITY: order quantity 11 TEST exceeds the limit 10"),
        "{log:?}"
    );
    assert_eq!(e.fills().len(), 1);
    assert_eq!(e.fills()[0].qty, Quantity::from_int(10));
}

#[test]
fn kill_switch_mid_run_cancels_blocks_and_flattens() {
    let (mut e, log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| match n {
            0 => {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
                ctx.submit(OrderRequest::limit(I, Side::Buy, Quantity::from_int(5), px("5")));
            }
            2 => ctx.kill_switch(true),
            3 => {
                assert_eq!(ctx.trading_state(), pyrt_risk::TradingState::Halted);
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            }
            _ => {}
        }),
    );
    run(&mut e, (0..5).map(|d| bar(d, "10", "11", "9", "10")).collect());
    let orders = e.orders().all();
    assert_eq!(orders[1].status, OrderStatus::Cancelled, "the resting limit was cancelled");
    assert!(orders[2].request.reduce_only, "the flatten order");
    assert_eq!(orders[2].status, OrderStatus::Filled);
    assert_eq!(orders[3].status, OrderStatus::Rejected);
    assert!(orders[3].reason.as_deref().unwrap().starts_with("risk HALTED"), "{:?}", log.borrow());
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
}

#[test]
fn a_kill_switch_then_an_order_in_one_callback_keeps_ids_in_order() {
    // The flatten order takes its id after the strategy's queued one and
    // is created after it: both exist, the strategy's is refused.
    let (mut e, _log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| match n {
            0 => {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
            }
            2 => {
                let late = ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
                ctx.kill_switch(true);
                let after = ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(2)));
                assert_eq!((late, after), (OrderId(2), OrderId(3)));
            }
            _ => {}
        }),
    );
    run(&mut e, (0..4).map(|d| bar(d, "10", "11", "9", "10")).collect());
    let orders = e.orders().all();
    let ids: Vec<_> = orders.iter().map(|o| o.id.0).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert!(orders[3].request.reduce_only, "the flatten order came last");
    assert_eq!(orders[3].status, OrderStatus::Filled);
    assert_eq!(orders[2].status, OrderStatus::Rejected);
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
}

#[test]
fn a_client_order_id_in_use_by_an_open_order_is_refused() {
    let (mut e, log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| {
            let limit = || OrderRequest::limit(I, Side::Buy, Quantity::from_int(1), px("5"));
            match n {
                0 => {
                    ctx.submit_with_client_id(limit(), "dip-1");
                    ctx.submit_with_client_id(limit(), "dip-1");
                    ctx.submit_with_client_id(limit(), "dip-2");
                }
                1 => ctx.cancel(OrderId(1)),
                // Free again once the first is cancelled.
                2 => {
                    ctx.submit_with_client_id(limit(), "dip-1");
                }
                _ => {}
            }
        }),
    );
    run(&mut e, (0..4).map(|d| bar(d, "10", "11", "9", "10")).collect());
    let orders = e.orders().all();
    let status: Vec<_> = orders.iter().map(|o| (o.client_id.as_deref().unwrap_or("-"), o.status)).collect();
    assert_eq!(
        status,
        [
            ("dip-1", OrderStatus::Cancelled),
            ("-", OrderStatus::Rejected),
            ("dip-2", OrderStatus::Accepted),
            ("dip-1", OrderStatus::Accepted)
        ]
    );
    assert_eq!(
        orders[1].reason.as_deref(),
        Some("risk DUPLICATE_CLIENT_ORDER_ID: client order id `dip-1` is already used by open order O-1")
    );
    assert!(log.borrow().iter().any(|l| l.starts_with("O-2 Rejected")));
}

#[test]
fn risk_limits_change_mid_run_and_keep_the_state() {
    let (mut e, _log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, _| {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
        }),
    );
    let limits = |text: &str| pyrt_risk::RiskLimits::from_toml(text).unwrap();
    e.process(&bar(0, "10", "11", "9", "10")).unwrap();
    e.set_risk_limits(limits("[order_limits]\nmax_quantity = 5\n")).unwrap();
    e.process(&bar(1, "10", "11", "9", "10")).unwrap();
    e.kill_switch(false);
    // Looser limits do not lift a halt: that stays an operator's call.
    e.set_risk_limits(limits("[order_limits]\nmax_quantity = 50\n")).unwrap();
    e.process(&bar(2, "10", "11", "9", "10")).unwrap();
    e.resume_trading();
    e.process(&bar(3, "10", "11", "9", "10")).unwrap();
    // Limits that do not fit the run are refused and the old ones stay.
    let bad = limits("[position_limits.symbols.NOPE]\nmax_quantity = 1\n");
    assert!(e.set_risk_limits(bad).unwrap_err().to_string().contains("unknown symbol `NOPE`"));
    assert_eq!(e.risk().limits().order_limits.max_quantity, Some(Quantity::from_int(50)));
    let reasons: Vec<_> = e.orders().all().iter().map(|o| o.reason.as_deref().unwrap_or("ok").to_string()).collect();
    assert_eq!(reasons[0], "ok");
    assert!(reasons[1].starts_with("risk MAX_ORDER_QUANTITY"), "{reasons:?}");
    assert!(reasons[2].starts_with("risk HALTED"), "{reasons:?}");
    assert_eq!(reasons[3], "ok");
}

#[test]
fn the_var_limit_stops_a_position_growing_past_it() {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let limits =
        pyrt_risk::RiskLimits::from_toml("[risk_metrics]\nvar_limit_1d_95 = 1000\nvar_min_days = 5\n").unwrap();
    let cfg = EngineConfig { initial_cash: Money::from_int(1_000_000), ..Default::default() };
    let mut e = Engine::new(inst, venue, cfg).with_risk(limits).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    // Buys 100 every day from day 6 on, at prices moving ±2 % a day.
    let script: Script = Box::new(|ctx, n| {
        if n >= 6 {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(100)));
        }
    });
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    let bars = (0..20)
        .map(|d| if d % 2 == 0 { bar(d, "100", "101", "99", "100") } else { bar(d, "102", "103", "101", "102") });
    run(&mut e, bars.collect());
    let orders = e.orders().all();
    let first_denied = orders.iter().position(|o| o.status == OrderStatus::Rejected).expect("the limit bit");
    let reason = orders[first_denied].reason.as_deref().unwrap();
    assert!(reason.starts_with("risk VAR_LIMIT: the order would take the portfolio's 1-day 95 % VaR from"), "{reason}");
    // 2 % daily moves: 1.645 × 2 % × 100 shares × ~100 is about 330 of VaR per
    // 100 shares, so the fourth buy would pass 1000.
    assert_eq!(first_denied, 3);
    assert!(orders.iter().take(3).all(|o| o.status == OrderStatus::Filled));
    let var = e.risk().var_1d_95().unwrap();
    assert!(var <= 1000.0, "VaR {var}");
}

#[test]
fn orders_off_the_instruments_grid_are_refused_before_the_venue() {
    let (mut e, _log) = engine(
        EngineConfig::default(),
        Box::new(|ctx, n| {
            if n == 0 {
                ctx.submit(OrderRequest::limit(I, Side::Buy, Quantity::from_int(1), px("5.001")));
                ctx.submit(OrderRequest::market(I, Side::Buy, "1.5".parse().unwrap()));
                ctx.submit(OrderRequest::stop_limit(I, Side::Buy, Quantity::from_int(1), px("11"), px("11.005")));
                ctx.submit(OrderRequest::market_notional(I, Side::Buy, Money::ZERO));
            }
        }),
    );
    run(&mut e, vec![bar(0, "10", "11", "9", "10")]);
    let reasons: Vec<_> = e.orders().all().iter().map(|o| o.reason.clone().unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "risk INSTRUMENT_RULES: price 5.001 is not a multiple of the tick size 0.01 of TEST",
            "risk INSTRUMENT_RULES: quantity 1.5 is not a multiple of the lot size 1 of TEST",
            "risk INSTRUMENT_RULES: price 11.005 is not a multiple of the tick size 0.01 of TEST",
            "risk INSTRUMENT_RULES: notional amount 0 must be greater than zero",
        ]
    );
    // Refused here, they never count as venue rejections.
    assert_eq!(e.risk().state(), pyrt_risk::TradingState::Active);
}

#[test]
fn a_drawdown_breach_switches_to_reducing_only() {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let limits = pyrt_risk::RiskLimits::from_toml("[risk_metrics]\nmax_drawdown = 0.05\n").unwrap();
    let cfg = EngineConfig { initial_cash: Money::from_int(1000), ..Default::default() };
    let mut e = Engine::new(inst, venue, cfg).with_risk(limits).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let script: Script = Box::new(|ctx, n| match n {
        0 => {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(90)));
        }
        2 => {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            ctx.submit(OrderRequest::market(I, Side::Sell, Quantity::from_int(30)));
        }
        _ => {}
    });
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    // Bought 90 at 10; the price falls to 9: equity 1000 -> 910 (-9 %).
    run(
        &mut e,
        vec![
            bar(0, "10", "10", "10", "10"),
            bar(1, "10", "10", "9", "9"),
            bar(2, "9", "9", "9", "9"),
            bar(3, "9", "9", "9", "9"),
        ],
    );
    assert_eq!(e.risk().state(), pyrt_risk::TradingState::Reducing);
    let log = log.borrow();
    assert!(log.iter().any(|l| l.contains("risk REDUCING_ONLY")), "{log:?}");
    assert_eq!(e.portfolio().position(I).qty, Quantity::from_int(60), "the sell went through");
}

#[test]
fn consecutive_venue_rejections_trip_the_circuit_breaker() {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let limits = pyrt_risk::RiskLimits::from_toml("[circuit_breakers]\nmax_consecutive_rejects = 3\n").unwrap();
    let mut e = Engine::new(inst, venue, EngineConfig::default()).with_risk(limits).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let script: Script = Box::new(|ctx, n| {
        if n == 0 {
            // A resting order, then three the venue refuses (post-only
            // market orders, which it does not take).
            ctx.submit(OrderRequest::limit(I, Side::Buy, Quantity::from_int(1), px("5")));
            for _ in 0..3 {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)).post_only());
            }
        }
    });
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    run(&mut e, vec![bar(0, "10", "11", "9", "10"), bar(1, "10", "11", "9", "10")]);
    assert_eq!(e.risk().state(), pyrt_risk::TradingState::Halted);
    assert_eq!(e.orders().all()[0].status, OrderStatus::Cancelled, "{:?}", log.borrow());
}

/// A strategy that buys `qty` on the first bar and then only holds.
fn buy_and_hold(limits: &str, qty: i64, bars: Vec<MarketEvent>) -> (Engine<SimVenue>, Vec<String>) {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), Quantity::from_int(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let limits = pyrt_risk::RiskLimits::from_toml(limits).unwrap();
    let cfg = EngineConfig { initial_cash: Money::from_int(10_000), ..Default::default() };
    let mut e = Engine::new(inst, venue, cfg).with_risk(limits).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let script: Script = Box::new(move |ctx, n| {
        if n == 0 {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(qty)));
        }
    });
    e.add_strategy(Box::new(Scripted { script, bars: 0, log: log.clone() }));
    run(&mut e, bars);
    let log = log.borrow().clone();
    (e, log)
}

#[test]
fn a_stop_loss_closes_the_position_on_the_bar_after_the_breach() {
    // Bought 10 at 100 (bar 1 open); closes 97, 95.5 (-4.5 %), 94 (-6 %): the
    // 5 % stop fires on bar 3's close and the reduce-only sell fills at bar 4's open.
    let bars = vec![
        bar(0, "100", "100", "100", "100"),
        bar(1, "100", "100", "97", "97"),
        bar(2, "97", "97", "95.5", "95.5"),
        bar(3, "95.5", "95.5", "94", "94"),
        bar(4, "93", "93", "90", "90"),
        bar(5, "90", "90", "80", "80"),
    ];
    let (e, log) = buy_and_hold("[stops]\nstop_loss = 0.05\n", 10, bars);
    assert!(e.portfolio().position(I).qty.is_zero(), "{log:?}");
    let sell = e.fills().iter().find(|f| f.side == Side::Sell).expect("a closing fill");
    assert_eq!((sell.price, sell.ts), (px("93"), 4 * NANOS_PER_DAY));
    assert_eq!(e.fills().len(), 2, "closed once, not again on later bars");
}

#[test]
fn a_trailing_stop_follows_the_best_mark() {
    // Bought at 100, runs to 120, falls back to 107.5 (-10.4 % from 120):
    // a 10 % trailing stop closes at the next open, with a profit.
    let bars = vec![
        bar(0, "100", "100", "100", "100"),
        bar(1, "100", "110", "100", "110"),
        bar(2, "110", "120", "110", "120"),
        bar(3, "120", "120", "109", "109"),
        bar(4, "109", "109", "107.5", "107.5"),
        bar(5, "107", "107", "107", "107"),
    ];
    let (e, _) = buy_and_hold("[stops]\ntrailing_stop = 0.10\nstop_loss = 0.05\n", 10, bars);
    let sell = e.fills().iter().find(|f| f.side == Side::Sell).expect("a closing fill");
    assert_eq!((sell.price, sell.ts), (px("107"), 5 * NANOS_PER_DAY));
    assert!(e.portfolio().position(I).qty.is_zero());
}

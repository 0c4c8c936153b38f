//! Reconciliation after lost reports: the live seam (`ChannelVenue`) sends
//! orders, some answers never arrive, and the venue's account of each order
//! brings the engine back in line, through the strategy's callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use pyrt_engine::{AccountKind, ChannelVenue, Context, Engine, EngineConfig, OrderUpdate, Strategy};
use pyrt_model::{
    Bar, ExecutionReport, Fill, Instrument, InstrumentId, MarketEvent, Money, OrderId, OrderRequest, OrderStatus,
    Price, Quantity, Side, VenueOrderState,
};

const I: InstrumentId = InstrumentId(0);

fn qty(n: i64) -> Quantity {
    Quantity::from_int(n)
}

/// Sends three limit buys on the first bar; logs what comes back.
struct ThreeBuys(Rc<RefCell<Vec<String>>>);

impl Strategy for ThreeBuys {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        if ctx.open_orders().count() == 0 && ctx.position_qty(I).is_zero() && self.0.borrow().is_empty() {
            for _ in 0..3 {
                ctx.submit(OrderRequest::limit(I, Side::Buy, qty(10), Price::from_int(100)));
            }
        }
    }
    fn on_order_update(&mut self, _ctx: &mut Context, u: &OrderUpdate) {
        self.0.borrow_mut().push(format!("{} {:?}", u.order_id, u.status));
    }
    fn on_fill(&mut self, _ctx: &mut Context, f: &Fill) {
        self.0.borrow_mut().push(format!("fill {} {}@{}", f.order_id, f.qty, f.price));
    }
}

fn bar(ts: i64) -> MarketEvent {
    MarketEvent::Bar(Bar::flat(I, ts, Price::from_int(100), qty(1000)))
}

#[test]
fn lost_fills_and_cancels_are_recovered_from_the_venue() {
    let inst = vec![Instrument::new(I, "T", Price::from_raw(10_000_000), qty(1))];
    let config = EngineConfig { account: AccountKind::Margin, ..Default::default() };
    let mut engine = Engine::new(inst.clone(), ChannelVenue::new(inst), config);
    let log = Rc::new(RefCell::new(Vec::new()));
    engine.add_strategy(Box::new(ThreeBuys(log.clone())));
    engine.process(&bar(1)).unwrap();
    assert_eq!(engine.venue_mut().take_commands().len(), 3);
    // The venue accepted all three and filled 4 of the first; then the
    // stream dropped.
    let fill = Fill {
        fee_base: Quantity::ZERO,
        order_id: OrderId(1),
        instrument: I,
        side: Side::Buy,
        price: Price::from_int(100),
        qty: qty(4),
        fee: Money::from_int(1),
        liquidity: pyrt_model::Liquidity::Maker,
        ts: 2,
    };
    let acks = (1..=3).map(|i| ExecutionReport::Accepted { order_id: OrderId(i), ts: 2 });
    engine.deliver(2, acks.chain([ExecutionReport::Filled(fill)]));
    log.borrow_mut().clear();

    // Meanwhile: O-1 filled completely (the other 6 at 99.5, fee 3 in all),
    // O-2 was cancelled after filling 5 at 99, O-3 the venue no longer knows.
    let venue = [
        VenueOrderState {
            order_id: OrderId(1),
            status: OrderStatus::Filled,
            filled: qty(10),
            notional: Money::from_raw(997 * 10i128.pow(18)),
            fee: Some(Money::from_int(3)),
        },
        VenueOrderState {
            order_id: OrderId(2),
            status: OrderStatus::Cancelled,
            filled: qty(5),
            notional: Money::from_int(495),
            fee: None,
        },
    ];
    let r = engine.reconcile(10, &venue);
    assert_eq!(r.applied.len(), 3, "{r:?}");
    assert_eq!(
        r.unexplained,
        [
            "O-2: the fee of the 5 found filled is not known (booked as 0); check the venue's trade history",
            "O-3 is open here but the venue did not say what became of it"
        ]
    );
    assert_eq!(
        *log.borrow(),
        ["O-1 Filled", "fill O-1 6@99.5", "O-2 PartiallyFilled", "fill O-2 5@99", "O-2 Cancelled"]
    );
    let orders = engine.orders();
    assert_eq!(orders.get(OrderId(1)).unwrap().fees, Money::from_int(3));
    assert_eq!(engine.portfolio().position(I).qty, qty(15));
    // Cash paid is exactly the venue's notional plus fees.
    assert_eq!(engine.portfolio().cash(), Money::from_int(100_000 - 997 - 495 - 3));
    assert_eq!(orders.get(OrderId(3)).unwrap().status, OrderStatus::Accepted);

    // A second pass finds nothing new; a venue that filled less than the
    // engine booked is reported, not applied.
    let again = engine.reconcile(
        11,
        &[VenueOrderState {
            order_id: OrderId(3),
            status: OrderStatus::Accepted,
            filled: Quantity::ZERO,
            notional: Money::ZERO,
            fee: None,
        }],
    );
    assert!(again.applied.is_empty() && again.unexplained.is_empty(), "{again:?}");
    engine.deliver(12, [ExecutionReport::Filled(Fill { order_id: OrderId(3), qty: qty(2), ts: 12, ..fill })]);
    let odd = engine.reconcile(
        13,
        &[VenueOrderState {
            order_id: OrderId(3),
            status: OrderStatus::PartiallyFilled,
            filled: qty(1),
            notional: Money::from_int(100),
            fee: None,
        }],
    );
    assert!(odd.applied.is_empty());
    assert_eq!(odd.unexplained, ["O-3: the venue filled 1 but the engine booked 2; nothing changed"]);
    // A venue that says filled with less than the order's quantity: the
    // missing part is booked, the status is not taken on trust.
    let short = engine.reconcile(
        14,
        &[VenueOrderState {
            order_id: OrderId(3),
            status: OrderStatus::Filled,
            filled: qty(4),
            notional: Money::from_int(400),
            fee: Some(Money::ZERO),
        }],
    );
    assert_eq!(short.applied.len(), 1, "{short:?}");
    assert_eq!(short.unexplained.len(), 1);
    assert!(short.unexplained[0].starts_with("O-3: the venue says filled, but with 4 of the order's"), "{short:?}");
    assert_eq!(engine.orders().get(OrderId(3)).unwrap().status, OrderStatus::PartiallyFilled);
}

/// Records what it sees; sends nothing.
struct Watcher(Rc<RefCell<Vec<String>>>);

impl Strategy for Watcher {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        if self.0.borrow().is_empty() {
            let open: Vec<String> =
                ctx.open_orders().map(|o| format!("{} {}", o.id, o.client_id.as_deref().unwrap_or("-"))).collect();
            self.0.borrow_mut().push(format!("open {open:?} position {}", ctx.position_qty(I)));
        }
    }
    fn on_order_update(&mut self, _ctx: &mut Context, u: &OrderUpdate) {
        self.0.borrow_mut().push(format!("{} {:?}", u.order_id, u.status));
    }
    fn on_fill(&mut self, _ctx: &mut Context, f: &Fill) {
        self.0.borrow_mut().push(format!("fill {} {}@{}", f.order_id, f.qty, f.price));
    }
}

#[test]
fn a_restarted_engine_adopts_its_runs_position_and_open_orders() {
    use pyrt_engine::{AdoptError, AdoptedOrder, Adoption};
    let inst = vec![Instrument::new(I, "T", Price::from_raw(10_000_000), qty(1))];
    let config = EngineConfig { initial_cash: Money::from_int(1000), ..Default::default() };
    let mut engine = Engine::new(inst.clone(), ChannelVenue::new(inst), config);
    assert_eq!(engine.adopt(Adoption::default()), Err(AdoptError::NoStrategy));
    let log = Rc::new(RefCell::new(Vec::new()));
    engine.add_strategy(Box::new(Watcher(log.clone())));
    let resting = |status, filled: i64| AdoptedOrder {
        request: OrderRequest::limit(I, Side::Sell, qty(3), Price::from_int(120)),
        status,
        filled: qty(filled),
        filled_notional: Money::from_int(120 * filled),
        fees: Money::ZERO,
        client_id: "run-k2-7".into(),
        ts_submitted: 0,
    };
    let finished = Adoption { orders: vec![resting(OrderStatus::Filled, 3)], ..Default::default() };
    assert!(matches!(engine.adopt(finished), Err(AdoptError::NotOpen { .. })));
    // The earlier session bought 5 for 500 in all and left a sell of 3
    // resting, 1 of it filled (so 4 are held).
    let adoption = Adoption {
        positions: vec![(I, qty(4), Money::from_int(400))],
        orders: vec![resting(OrderStatus::PartiallyFilled, 1)],
    };
    assert_eq!(engine.adopt(adoption.clone()).unwrap(), [OrderId(1)]);
    assert_eq!(engine.adopt(adoption), Err(AdoptError::Started), "adopting twice would double the position");
    assert_eq!(engine.portfolio().cash(), Money::from_int(1000));
    assert_eq!(engine.portfolio().initial_cash(), Money::from_int(1400));
    engine.process(&bar(1)).unwrap();
    assert_eq!(log.borrow()[0], "open [\"O-1 run-k2-7\"] position 4");
    // The adopted order's next fill books against the carried cost.
    let fill = Fill {
        fee_base: Quantity::ZERO,
        order_id: OrderId(1),
        instrument: I,
        side: Side::Sell,
        price: Price::from_int(120),
        qty: qty(2),
        fee: Money::ZERO,
        liquidity: pyrt_model::Liquidity::Maker,
        ts: 2,
    };
    engine.deliver(2, [ExecutionReport::Filled(fill)]);
    assert_eq!(engine.orders().get(OrderId(1)).unwrap().status, OrderStatus::Filled);
    assert_eq!(engine.portfolio().position(I).qty, qty(2));
    assert_eq!(engine.portfolio().realized(), Money::from_int(40), "2 sold at 120 over a cost of 100 each");
    assert_eq!(engine.portfolio().cash(), Money::from_int(1240));
    // New orders take the next ids.
    engine.venue_mut().take_commands();
    assert!(log.borrow().iter().any(|l| l == "O-1 Filled"), "{:?}", log.borrow());
}

//! A cash account sells what it holds, net of sells already working, and
//! no more: every order type, at 100 %, 60 % and 100 % + 1 lot of the
//! position; sells resting beside each other; OCO legs, which exclude one
//! another; and the run's rejection summary.

use std::cell::RefCell;
use std::rc::Rc;

use pyrt_engine::{Context, Engine, EngineConfig, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{
    Bar, Instrument, InstrumentId, MarketEvent, OrderId, OrderRequest, OrderStatus, Price, Quantity, Side,
    TrailingOffset,
};
use pyrt_sim::{SimConfig, SimVenue};

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

/// What the test sends on bar 1: single orders and OCO groups.
enum Send {
    One(OrderRequest),
    Oco(Vec<OrderRequest>),
}

/// Buys 100 on bar 0 (filled at bar 1's open), sends `sells` on bar 1, and
/// records the ids of the sells in order.
struct BuyThenSell {
    sells: Vec<Send>,
    ids: Rc<RefCell<Vec<OrderId>>>,
    bars: usize,
}

impl Strategy for BuyThenSell {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        match self.bars {
            0 => {
                ctx.submit(OrderRequest::market(I, Side::Buy, qty(100)));
            }
            1 => {
                assert_eq!(ctx.position_qty(I), qty(100), "the buy filled at this bar's open");
                for send in self.sells.drain(..) {
                    let ids = match send {
                        Send::One(r) => vec![ctx.submit(r)],
                        Send::Oco(legs) => ctx.submit_oco(legs),
                    };
                    self.ids.borrow_mut().extend(ids);
                }
            }
            _ => {}
        }
        self.bars += 1;
    }
}

fn run(sells: Vec<Send>) -> (Engine<SimVenue>, Vec<OrderId>) {
    let inst = vec![Instrument::new(I, "TEST", px("0.01"), qty(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig::default());
    let mut e = Engine::new(inst, venue, EngineConfig::default());
    let ids = Rc::new(RefCell::new(Vec::new()));
    e.add_strategy(Box::new(BuyThenSell { sells, ids: ids.clone(), bars: 0 }));
    let bars = vec![
        bar(0, "10", "10.5", "9.5", "10"),
        bar(1, "10", "10.5", "9.5", "10"),
        bar(2, "10", "13", "7", "10"), // reaches every limit, stop and trail below
    ];
    e.run(bars.into_iter().map(Ok::<_, std::io::Error>)).unwrap();
    let ids = ids.borrow().clone();
    (e, ids)
}

fn status(e: &Engine<SimVenue>, id: OrderId) -> (OrderStatus, Option<String>) {
    let o = e.orders().get(id).unwrap();
    (o.status, o.reason.clone())
}

/// Each sell type with quantity `q`.
fn sells_of(q: Quantity) -> [(&'static str, OrderRequest); 5] {
    [
        ("market", OrderRequest::market(I, Side::Sell, q)),
        ("limit", OrderRequest::limit(I, Side::Sell, q, px("12"))),
        ("stop", OrderRequest::stop(I, Side::Sell, q, px("9"))),
        ("stop-limit", OrderRequest::stop_limit(I, Side::Sell, q, px("9"), px("8"))),
        ("trailing", OrderRequest::trailing_stop(I, Side::Sell, q, TrailingOffset::Price(px("1")))),
    ]
}

fn one_sell(kind: usize, q: Quantity) -> (Engine<SimVenue>, OrderId) {
    let [(.., request)] = [sells_of(q)[kind].clone()];
    let (e, ids) = run(vec![Send::One(request)]);
    (e, ids[0])
}

#[test]
fn every_sell_type_may_sell_the_whole_position() {
    for kind in 0..5 {
        let name = sells_of(qty(1))[kind].0;
        let (e, id) = one_sell(kind, qty(100));
        let (st, reason) = status(&e, id);
        assert_eq!(st, OrderStatus::Filled, "{name} of 100 % of the position: {reason:?}");
        assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO, "{name}");
        assert!(e.orders().rejections().is_empty(), "{name}: {:?}", e.orders().rejections());
    }
}

#[test]
fn every_sell_type_may_sell_part_of_the_position() {
    for kind in 0..5 {
        let name = sells_of(qty(1))[kind].0;
        let (e, id) = one_sell(kind, qty(60));
        assert_eq!(status(&e, id).0, OrderStatus::Filled, "{name} of 60 %: {:?}", status(&e, id).1);
        assert_eq!(e.portfolio().position(I).qty, qty(40), "{name}");
    }
}

#[test]
fn no_sell_type_may_sell_more_than_the_position() {
    for kind in 0..5 {
        let name = sells_of(qty(1))[kind].0;
        let (e, id) = one_sell(kind, qty(101));
        let (st, reason) = status(&e, id);
        assert_eq!(st, OrderStatus::Rejected, "{name} of 100 % + 1");
        let reason = reason.unwrap();
        assert!(
            reason.contains("INSUFFICIENT_POSITION") && reason.contains("holds 100 with 0 already offered"),
            "{name}: {reason}"
        );
        assert_eq!(e.portfolio().position(I).qty, qty(100), "{name}: nothing sold");
        let r = e.orders().rejections();
        assert_eq!((r.total, r.by_code["INSUFFICIENT_POSITION"]), (1, 1), "{name}");
        assert_eq!(r.first().unwrap().order_id, id);
    }
}

#[test]
fn resting_sells_count_against_later_ones() {
    // 60 rests as a limit; 40 more fits, one lot beyond it does not.
    let (e, ids) = run(vec![
        Send::One(OrderRequest::limit(I, Side::Sell, qty(60), px("20"))),
        Send::One(OrderRequest::stop(I, Side::Sell, qty(40), px("9"))),
        Send::One(OrderRequest::market(I, Side::Sell, qty(1))),
    ]);
    assert_eq!(status(&e, ids[0]).0, OrderStatus::Accepted, "the limit at 20 still rests");
    assert_eq!(status(&e, ids[1]).0, OrderStatus::Filled);
    let (st, reason) = status(&e, ids[2]);
    assert_eq!(st, OrderStatus::Rejected);
    let reason = reason.unwrap();
    assert!(reason.contains("with 100 already offered by open sells, so at most 0 can be sold"), "{reason}");
}

#[test]
fn the_legs_of_an_oco_may_each_sell_the_whole_position() {
    let legs = vec![
        OrderRequest::limit(I, Side::Sell, qty(100), px("12")),
        OrderRequest::stop(I, Side::Sell, qty(100), px("8")),
    ];
    let (e, ids) = run(vec![Send::Oco(legs)]);
    assert!(e.orders().rejections().is_empty(), "{:?}", e.orders().rejections());
    let ends = [status(&e, ids[0]).0, status(&e, ids[1]).0];
    assert!(ends.contains(&OrderStatus::Filled) && ends.contains(&OrderStatus::Cancelled), "{ends:?}");
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
}

#[test]
fn an_oco_counts_once_at_its_larger_leg_against_later_sells() {
    let oco = || {
        Send::Oco(vec![
            OrderRequest::limit(I, Side::Sell, qty(70), px("20")),
            OrderRequest::stop(I, Side::Sell, qty(50), px("5")),
        ])
    };
    let (e, ids) = run(vec![oco(), Send::One(OrderRequest::limit(I, Side::Sell, qty(30), px("21")))]);
    assert!(e.orders().rejections().is_empty(), "{:?}", e.orders().rejections());
    assert_eq!(status(&e, ids[2]).0, OrderStatus::Accepted);

    let (e, ids) = run(vec![oco(), Send::One(OrderRequest::limit(I, Side::Sell, qty(31), px("21")))]);
    let (st, reason) = status(&e, ids[2]);
    assert_eq!(st, OrderStatus::Rejected);
    assert!(reason.unwrap().contains("with 70 already offered"));
}

/// Closes its position on every bar once it holds one, whether or not
/// the last close has filled: what a strategy on a live venue does when
/// its fill arrives after the next bar.
struct ClosesEveryBar {
    bars: usize,
}

impl Strategy for ClosesEveryBar {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        self.bars += 1;
        if self.bars == 1 {
            ctx.submit(OrderRequest::market(I, Side::Buy, qty(100)));
        } else {
            ctx.close_position(I);
        }
    }
}

#[test]
fn a_second_close_before_the_first_fills_is_refused_not_sold_twice() {
    let inst = vec![Instrument::new(I, "T", px("0.01"), qty(1))];
    let venue = pyrt_engine::ChannelVenue::new(inst.clone());
    let mut engine = Engine::new(inst, venue, EngineConfig::default());
    engine.add_strategy(Box::new(ClosesEveryBar { bars: 0 }));
    engine.process(&bar(0, "10", "10", "10", "10")).unwrap();
    // The buy fills (the live venue's answer), then two bars pass before
    // the close's fill comes back.
    let fill = pyrt_model::Fill {
        fee_base: Quantity::ZERO,
        order_id: OrderId(1),
        instrument: I,
        side: Side::Buy,
        price: px("10"),
        qty: qty(100),
        fee: pyrt_model::Money::ZERO,
        liquidity: pyrt_model::Liquidity::Taker,
        ts: 1,
    };
    engine.deliver(1, [pyrt_model::ExecutionReport::Filled(fill)]);
    engine.process(&bar(1, "10", "10", "10", "10")).unwrap();
    engine.process(&bar(2, "10", "10", "10", "10")).unwrap();
    let sent: Vec<_> = engine.venue_mut().take_commands();
    let sells = sent
        .iter()
        .filter(|(_, c)| matches!(c, pyrt_model::VenueCommand::Submit { request, .. } if request.side == Side::Sell));
    assert_eq!(sells.count(), 1, "one close reaches the venue: {sent:?}");
    let second = engine.orders().get(OrderId(3)).unwrap();
    assert_eq!(second.status, OrderStatus::Rejected);
    assert!(second.reason.as_deref().unwrap().contains("holds 100 with 100 already offered"), "{:?}", second.reason);
}

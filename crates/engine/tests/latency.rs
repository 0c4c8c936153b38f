//! Feed, order and response latency on book data: with the exchange clock
//! an order meets the book the exchange had when the order arrived, and
//! the strategy hears of its fill one response latency later.

use std::cell::RefCell;
use std::rc::Rc;

use pyrt_engine::{Context, Engine, EngineConfig, Strategy, VenueClock};
use pyrt_model::{
    BookAction, BookDelta, Fill, Instrument, InstrumentId, MarketEvent, OrderRequest, Price, Quantity, Side,
};
use pyrt_sim::{BookVenue, Fees};

const I: InstrumentId = InstrumentId(0);

fn level(ts_event: i64, ts_recv: i64, action: BookAction, side: Side, price: i64, flags: u8) -> MarketEvent {
    MarketEvent::BookDelta(BookDelta {
        instrument: I,
        ts_event,
        ts_recv,
        action,
        side,
        price: Price::from_int(price),
        size: Quantity::from_int(if action == BookAction::Delete { 0 } else { 1 }),
        order_id: 0,
        sequence: 0,
        flags,
    })
}

/// The exchange's book: bid 99, ask 100 (made at 0, received at 10); then
/// the ask at 100 is taken and 101 appears (made at 15, received at 30,
/// a feed latency of 15).
fn events() -> Vec<MarketEvent> {
    let snap = BookDelta::F_SNAPSHOT;
    vec![
        level(0, 10, BookAction::Add, Side::Buy, 99, snap),
        level(0, 10, BookAction::Add, Side::Sell, 100, snap | BookDelta::F_LAST),
        level(15, 30, BookAction::Delete, Side::Sell, 100, 0),
        level(15, 30, BookAction::Add, Side::Sell, 101, BookDelta::F_LAST),
    ]
}

/// Buys 1 at market on the first consistent book; logs each fill with the
/// time the strategy heard of it.
struct BuyOnce {
    sent: bool,
    fills: Rc<RefCell<Vec<(Price, i64, i64)>>>,
}

impl Strategy for BuyOnce {
    fn on_book_delta(&mut self, ctx: &mut Context, delta: &BookDelta) {
        if delta.is_last() && !self.sent {
            self.sent = true;
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
        }
    }
    fn on_fill(&mut self, ctx: &mut Context, fill: &Fill) {
        self.fills.borrow_mut().push((fill.price, fill.ts, ctx.now()));
    }
}

fn run(config: EngineConfig) -> Vec<(Price, i64, i64)> {
    let instruments = vec![Instrument::new(I, "TEST", Price::from_int(1), Quantity::from_int(1))];
    let venue = BookVenue::new(instruments.clone(), Fees::None);
    let mut engine = Engine::new(instruments, venue, config);
    let fills = Rc::new(RefCell::new(Vec::new()));
    engine.add_strategy(Box::new(BuyOnce { sent: false, fills: fills.clone() }));
    engine.run(events().into_iter().map(Ok::<_, std::io::Error>)).unwrap();
    fills.take()
}

#[test]
fn on_the_receive_clock_the_order_meets_the_book_the_strategy_saw() {
    // Decided at 10, reaches the venue at 20; the venue applies the change
    // only when it is received (30), so the ask at 100 is still there.
    let config = EngineConfig { order_latency_ns: 10, ..EngineConfig::default() };
    assert_eq!(run(config), vec![(Price::from_int(100), 20, 20)]);
}

#[test]
fn on_the_exchange_clock_the_order_meets_the_book_the_exchange_had() {
    // The same order reaches the exchange at 20, after the ask at 100 was
    // taken there at 15: it pays 101. The strategy hears at 20 + 7.
    let config = EngineConfig {
        order_latency_ns: 10,
        response_latency_ns: 7,
        venue_clock: VenueClock::Exchange,
        ..EngineConfig::default()
    };
    assert_eq!(run(config), vec![(Price::from_int(101), 20, 27)]);
}

#[test]
fn an_order_that_beats_the_change_to_the_exchange_still_gets_the_old_price() {
    // Order latency 4: at the exchange at 14, one tick before the ask moved.
    let config = EngineConfig { order_latency_ns: 4, venue_clock: VenueClock::Exchange, ..EngineConfig::default() };
    assert_eq!(run(config), vec![(Price::from_int(100), 14, 14)]);
}

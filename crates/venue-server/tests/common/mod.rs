//! What the exchange tests share: a one-symbol exchange with a book, and
//! orders and prints to feed it.
#![allow(dead_code)]

use pyrt_model::{BookAction, BookDelta, InstrumentId, MarketEvent, Money, Price, Quantity, Side, TimeInForce, Trade};
use pyrt_venue_server::exchange::{Exchange, NewOrder, OrderType};
use pyrt_venue_server::{DOCS_API_KEY as KEY, VenueConfig};

pub fn p(x: &str) -> Price {
    x.parse().unwrap()
}
pub fn q(x: &str) -> Quantity {
    x.parse().unwrap()
}
pub fn m(x: &str) -> Money {
    x.parse().unwrap()
}

/// Bid 59 999 × 1, ask 60 001 × 1.
pub fn exchange() -> Exchange {
    let c = VenueConfig::default();
    let mut ex = Exchange::new(c.symbols, c.accounts, c.maker, c.taker);
    for (side, price, last) in [(Side::Buy, "59999", false), (Side::Sell, "60001", true)] {
        ex.on_market(&MarketEvent::BookDelta(BookDelta {
            instrument: InstrumentId(0),
            ts_event: 1,
            ts_recv: 1,
            action: BookAction::Add,
            side,
            price: p(price),
            size: q("1"),
            order_id: 0,
            sequence: 0,
            flags: if last { BookDelta::F_LAST } else { 0 },
        }));
    }
    ex
}

pub fn limit(side: Side, qty: &str, price: &str) -> NewOrder {
    NewOrder {
        symbol: 0,
        side,
        kind: OrderType::Limit,
        tif: TimeInForce::Gtc,
        qty: q(qty),
        quote_qty: None,
        price: Some(p(price)),
        stop_price: None,
        trailing_delta: None,
        client_order_id: None,
    }
}

/// A print of `size` at `price`, sold into the bid (`sell`) or bought from the ask.
pub fn print(ex: &mut Exchange, ts: i64, price: &str, size: &str, sell: bool) {
    ex.on_market(&MarketEvent::Trade(Trade {
        instrument: InstrumentId(0),
        ts_event: ts,
        ts_recv: ts,
        price: p(price),
        size: q(size),
        aggressor: Some(if sell { Side::Sell } else { Side::Buy }),
    }));
}

pub fn contingent(kind: OrderType, side: Side, qty: &str, stop: Option<&str>, trailing: Option<u32>) -> NewOrder {
    let limit_type = matches!(kind, OrderType::StopLossLimit | OrderType::TakeProfitLimit);
    NewOrder {
        kind,
        price: None,
        stop_price: stop.map(p),
        trailing_delta: trailing,
        tif: if limit_type { TimeInForce::Gtc } else { TimeInForce::Ioc },
        ..limit(side, qty, "1")
    }
}

pub fn balance(ex: &Exchange, asset: &str) -> (Money, Money) {
    let b = ex.balances(KEY).unwrap()[asset];
    (b.free, b.locked)
}

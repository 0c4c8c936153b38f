//! A market maker for order-book data: quote both sides at the touch.
//!
//! [`QuoteAtTouch`] keeps one post-only limit order on each side at the
//! best bid and best ask. When the touch moves `requote_ticks` or more away
//! from a quote, the quote is cancelled and placed again at the new touch
//! once the cancel is confirmed (never two orders on one side). Inventory is
//! capped: at `max_position` long it stops bidding, at `max_position` short
//! it stops offering. It acts only when the book is consistent (after the
//! last delta of a venue message).
//!
//! It is deliberately simple — no skew, no fair-value model — so that a
//! backtest measures the engine, the queue model and the accounting rather
//! than alpha; it is the strategy the L2 replay benchmark runs.

use pyrt_engine::{Context, OrderUpdate, Strategy};
use pyrt_model::{BookDelta, InstrumentId, OrderId, OrderRequest, Price, Quantity, Side};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Empty,
    Working { id: OrderId, price: Price },
    Cancelling { id: OrderId },
}

/// Quotes the best bid and ask with a fixed size.
#[derive(Debug, Clone)]
pub struct QuoteAtTouch {
    instrument: InstrumentId,
    size: Quantity,
    max_position: Quantity,
    requote_ticks: i64,
    bid: Slot,
    ask: Slot,
    quotes_sent: u64,
}

impl QuoteAtTouch {
    pub fn new(instrument: InstrumentId, size: Quantity, max_position: Quantity, requote_ticks: i64) -> Self {
        Self {
            instrument,
            size,
            max_position,
            requote_ticks: requote_ticks.max(1),
            bid: Slot::Empty,
            ask: Slot::Empty,
            quotes_sent: 0,
        }
    }

    /// Orders placed so far.
    pub fn quotes_sent(&self) -> u64 {
        self.quotes_sent
    }

    fn slot(&mut self, side: Side) -> &mut Slot {
        match side {
            Side::Buy => &mut self.bid,
            Side::Sell => &mut self.ask,
        }
    }

    fn tend(&mut self, ctx: &mut Context, side: Side, touch: Price, tick: Price) {
        let position = ctx.position_qty(self.instrument);
        let room = match side {
            Side::Buy => position + self.size <= self.max_position,
            Side::Sell => position - self.size >= -self.max_position,
        };
        let (size, instrument, requote) = (self.size, self.instrument, self.requote_ticks);
        let slot = self.slot(side);
        match *slot {
            Slot::Empty if room => {
                let id = ctx.submit(OrderRequest::limit(instrument, side, size, touch).post_only());
                *slot = Slot::Working { id, price: touch };
                self.quotes_sent += 1;
            }
            Slot::Working { id, price } if !room || (price - touch).abs().raw() >= requote * tick.raw() => {
                ctx.cancel(id);
                *slot = Slot::Cancelling { id };
            }
            _ => {}
        }
    }
}

impl Strategy for QuoteAtTouch {
    fn on_book_delta(&mut self, ctx: &mut Context, delta: &BookDelta) {
        if delta.instrument != self.instrument || !delta.is_last() {
            return;
        }
        let book = ctx.book(self.instrument);
        let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) else { return };
        let tick = ctx.instrument(self.instrument).tick_size;
        self.tend(ctx, Side::Buy, bid.price, tick);
        self.tend(ctx, Side::Sell, ask.price, tick);
    }

    fn on_order_update(&mut self, _ctx: &mut Context, update: &OrderUpdate) {
        if !update.status.is_terminal() {
            return;
        }
        for slot in [&mut self.bid, &mut self.ask] {
            let mine = match *slot {
                Slot::Working { id, .. } | Slot::Cancelling { id } => id == update.order_id,
                Slot::Empty => false,
            };
            if mine {
                *slot = Slot::Empty;
            }
        }
    }
}

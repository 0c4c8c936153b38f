//! Order books.
//!
//! * [`L2Book`]: price levels (total size per price), as Binance depth
//!   streams and most venues publish them. Best bid/ask, depth, top-N,
//!   the cost of sweeping a quantity, imbalance.
//! * [`L3Book`]: individual orders in time priority at each price, as
//!   market-by-order feeds publish them; knows the queue ahead of an order.
//! * [`SyncedBook`]: an L2 book kept in step with a snapshot plus a diff
//!   stream, with update-id checks and re-sync on a gap.
//!
//! Prices and sizes are the fixed-point [`Price`](pyrt_model::Price) and
//! [`Quantity`](pyrt_model::Quantity), so a book rebuilt from a venue's
//! decimal strings holds exactly what the venue sent.

mod l2;
mod l3;
mod ladder;
pub mod sync;

pub use l2::{L2Book, Sweep};
pub use l3::{L3Book, RestingOrder};
pub use ladder::{Ladder, Level};
pub use sync::{Continuity, Diff, DiffOutcome, SyncError, SyncStats, SyncedBook, UpdateIds};

use pyrt_model::{Price, Quantity, Side};

/// A change the book refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("{} level {price} has negative quantity {qty}; level sizes are totals and cannot be below 0", side_name(*side))]
    NegativeQuantity { side: Side, price: Price, qty: Quantity },
    #[error("{} price {price} must be greater than 0", side_name(*side))]
    BadPrice { side: Side, price: Price },
    #[error("{} price {price} is not a multiple of the tick size {tick}", side_name(*side))]
    OffGrid { side: Side, price: Price, tick: Price },
    #[error("order {id} has quantity {qty}; orders in the book must have a positive size")]
    BadOrderQuantity { id: u64, qty: Quantity },
    #[error("order {0} is already in the book; order ids must be unique")]
    DuplicateOrder(u64),
    #[error("order {0} is not in the book")]
    UnknownOrder(u64),
    #[error("cannot fill {qty} of order {id}: only {remaining} is left")]
    Overfill { id: u64, qty: Quantity, remaining: Quantity },
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Buy => "bid",
        Side::Sell => "ask",
    }
}

//! The market as the market-data endpoints read it, without the
//! exchange's lock (which every order holds while it matches), so a book
//! or ticker read never waits for matching and an order never waits for a
//! book being written out.
//!
//! * Books: a view of each symbol's book, published with each market step;
//!   a reader clones an `Arc` under a read lock held for nanoseconds. The
//!   venue's books are the market's (users' orders trade against them but
//!   are not shown in them), so a book changes only with a market step and
//!   a view taken at each step is exact.
//! * Trades and candles: the tapes themselves, each behind its own lock
//!   ([`Tapes`]), written by the exchange a trade at a time.

use std::sync::{Arc, RwLock};

use pyrt_book::Level;
use pyrt_model::Side;
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::{Exchange, SymbolSpec, d8};
use crate::params::Params;
use crate::tape::{Tape, Tapes};

/// What the market-data endpoints read.
#[derive(Debug)]
pub struct MarketView {
    specs: Vec<SymbolSpec>,
    tapes: Arc<Tapes>,
    pub books: BookViews,
}

impl MarketView {
    pub fn new(ex: &Exchange) -> Self {
        Self { specs: ex.specs().to_vec(), tapes: ex.tapes(), books: BookViews::new(ex) }
    }

    pub fn specs(&self) -> &[SymbolSpec] {
        &self.specs
    }

    pub fn symbol_index(&self, symbol: &str) -> Result<usize, ApiError> {
        self.specs.iter().position(|s| s.symbol == symbol).ok_or_else(ApiError::unknown_symbol)
    }

    pub fn tape(&self, symbol: usize) -> std::sync::MutexGuard<'_, Tape> {
        self.tapes.get(symbol)
    }

    /// A symbol's book as of the last market step.
    pub fn book(&self, symbol: usize) -> Arc<BookView> {
        self.books.0.read().unwrap_or_else(|p| p.into_inner())[symbol].clone()
    }
}

/// The most levels a side `depth` may ask for.
pub const MAX_LEVELS: usize = 5000;

/// One symbol's book at one update id, best levels first.
#[derive(Debug)]
pub struct BookView {
    pub symbol: String,
    pub update_id: u64,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

impl BookView {
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.first().copied()
    }

    pub fn best_ask(&self) -> Option<Level> {
        self.asks.first().copied()
    }

    /// The mid price, as `L2Book::mid` rounds it.
    pub fn mid(&self) -> Option<pyrt_model::Price> {
        let (b, a) = (self.best_bid()?, self.best_ask()?);
        Some(pyrt_model::Price::from_raw(((b.price.raw() as i128 + a.price.raw() as i128) / 2) as i64))
    }
}

/// Every symbol's latest view.
#[derive(Debug)]
pub struct BookViews(RwLock<Vec<Arc<BookView>>>);

fn view(ex: &Exchange, symbol: usize) -> Arc<BookView> {
    let book = ex.book(symbol);
    Arc::new(BookView {
        symbol: ex.specs()[symbol].symbol.clone(),
        update_id: ex.update_id(symbol),
        bids: book.top(Side::Buy, MAX_LEVELS).collect(),
        asks: book.top(Side::Sell, MAX_LEVELS).collect(),
    })
}

impl BookViews {
    pub fn new(ex: &Exchange) -> Self {
        Self(RwLock::new((0..ex.specs().len()).map(|i| view(ex, i)).collect()))
    }

    /// Takes new views of the books that changed since the last ones.
    pub fn refresh(&self, ex: &Exchange) {
        let stale: Vec<usize> = {
            let views = self.0.read().unwrap_or_else(|p| p.into_inner());
            views.iter().enumerate().filter(|(i, v)| v.update_id != ex.update_id(*i)).map(|(i, _)| i).collect()
        };
        if stale.is_empty() {
            return;
        }
        let fresh: Vec<(usize, Arc<BookView>)> = stale.into_iter().map(|i| (i, view(ex, i))).collect();
        let mut views = self.0.write().unwrap_or_else(|p| p.into_inner());
        for (i, v) in fresh {
            views[i] = v;
        }
    }
}

/// `GET /api/v3/depth`.
pub fn depth(market: &MarketView, params: &Params) -> Result<Value, ApiError> {
    let book = market.book(market.symbol_index(params.required("symbol")?)?);
    let limit: usize = params.parsed("limit")?.unwrap_or(100);
    if !(1..=MAX_LEVELS).contains(&limit) {
        return Err(ApiError::bad_enum("limit"));
    }
    let side = |levels: &[Level]| -> Vec<Value> {
        levels.iter().take(limit).map(|l| json!([d8(l.price), d8(l.qty)])).collect()
    };
    Ok(json!({ "lastUpdateId": book.update_id, "bids": side(&book.bids), "asks": side(&book.asks) }))
}

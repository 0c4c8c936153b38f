//! The books as `GET /api/v3/depth` shows them, published with each
//! market step, so that book reads never wait for the exchange's lock
//! (which every order holds while it matches) and orders never wait for a
//! book being written out: a reader clones an `Arc` under a read lock held
//! for nanoseconds and formats its answer on its own.
//!
//! The venue's books are the market's: users' orders trade against them
//! but are not shown in them, so a book changes only with a market step,
//! and a view taken at each step is exact.

use std::sync::{Arc, RwLock};

use pyrt_book::Level;
use pyrt_model::Side;
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::{Exchange, d8};
use crate::params::Params;

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

    pub fn get(&self, symbol: &str) -> Option<Arc<BookView>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).iter().find(|v| v.symbol == symbol).cloned()
    }
}

/// `GET /api/v3/depth`.
pub fn depth(views: &BookViews, params: &Params) -> Result<Value, ApiError> {
    let book = views.get(params.required("symbol")?).ok_or_else(ApiError::unknown_symbol)?;
    let limit: usize = params.parsed("limit")?.unwrap_or(100);
    if !(1..=MAX_LEVELS).contains(&limit) {
        return Err(ApiError::bad_enum("limit"));
    }
    let side = |levels: &[Level]| -> Vec<Value> {
        levels.iter().take(limit).map(|l| json!([d8(l.price), d8(l.qty)])).collect()
    };
    Ok(json!({ "lastUpdateId": book.update_id, "bids": side(&book.bids), "asks": side(&book.asks) }))
}

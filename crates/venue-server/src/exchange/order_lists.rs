//! Order lists: OCO pairs, where one order running cancels the other.
//!
//! An OCO has a leg above the last price and a leg below it: one a
//! `LIMIT_MAKER` or take-profit, the other a stop loss (Binance's
//! `POST /api/v3/orderList/oco`). Both legs sell (or buy) the same
//! quantity, so the list locks the funds once, the larger of what either
//! leg would lock. When one leg starts to run (its stop triggers, or it
//! fills) the other expires and the list's lock becomes the running leg's
//! own; cancelling either leg cancels the list.

use std::sync::Arc;

use pyrt_model::{Money, OrderId, Side, UnixNanos, VenueCommand};

use super::Exchange;
use crate::errors::ApiError;
use crate::orders::{NewOrder, OrderType, Status};

/// An order list as the exchange keeps it.
#[derive(Debug, Clone)]
pub struct OrderList {
    pub id: u64,
    pub symbol: usize,
    pub api_key: Arc<str>,
    pub client_id: String,
    /// The leg below the last price, then the one above.
    pub legs: [u64; 2],
    pub time_ms: i64,
    /// The asset and amount the list holds for its legs, until one runs.
    lock: Option<(String, Money)>,
}

/// How a request names an order list.
#[derive(Debug, Clone)]
pub enum ListRef {
    Id(u64),
    Client(String),
}

impl Exchange {
    /// Places an OCO: `below` and `above` the last price, same side and
    /// quantity. Returns the list's id.
    pub fn place_oco(
        &mut self,
        api_key: &str,
        [below, above]: [NewOrder; 2],
        client_id: Option<String>,
        now: UnixNanos,
    ) -> Result<u64, ApiError> {
        self.retire();
        let side = below.side;
        let (limit_leg, stop_leg) = if side == Side::Sell { (&above, &below) } else { (&below, &above) };
        let is_stop = |o: &NewOrder| matches!(o.kind, OrderType::StopLoss | OrderType::StopLossLimit);
        if is_stop(limit_leg) || !is_stop(stop_leg) || below.side != above.side || below.qty != above.qty {
            return Err(ApiError::invalid_value(if side == Side::Sell { "aboveType" } else { "belowType" }));
        }
        // The legs sit either side of the market: the limit (or take
        // profit) leg beyond it, the stop behind it.
        let reference = |o: &NewOrder| if o.kind == OrderType::LimitMaker { o.price } else { o.stop_price };
        let market = self.last_price(below.symbol).or_else(|| self.book(below.symbol).mid());
        let (low, high) = (reference(&below), reference(&above));
        let ordered = match (low, market, high) {
            (Some(l), Some(m), Some(h)) => l < m && m < h,
            (Some(l), None, Some(h)) => l < h,
            // A trailing leg without a stop price: nothing to compare.
            _ => true,
        };
        if !ordered {
            return Err(ApiError::rejected("The relationship of the prices for the orders is not correct."));
        }
        let waiting = [self.check_new(api_key, &below)?, self.check_new(api_key, &above)?];
        if below.client_order_id.is_some() && below.client_order_id == above.client_order_id {
            return Err(ApiError::duplicate_client_id());
        }
        if limit_leg.kind == OrderType::LimitMaker
            && let Some(p) = limit_leg.price
        {
            let book = self.book(below.symbol);
            let takes = match side {
                Side::Sell => book.best_bid().is_some_and(|b| p <= b.price),
                Side::Buy => book.best_ask().is_some_and(|a| p >= a.price),
            };
            if takes {
                return Err(ApiError::rejected("Order would immediately match and take."));
            }
        }
        let needs = [self.funds_needed(&below, waiting[0].is_some()), self.funds_needed(&above, waiting[1].is_some())];
        let (asset, amount) = needs.into_iter().max_by_key(|n| n.1).expect("two legs");
        self.lock(api_key, &asset, amount, true)?;
        let id = self.next_list_id;
        self.next_list_id += 1;
        let legs = [
            self.record(api_key, &below, waiting[0].is_some(), Some(id), now),
            self.record(api_key, &above, waiting[1].is_some(), Some(id), now),
        ];
        let list = OrderList {
            id,
            symbol: below.symbol,
            api_key: self.accounts[api_key].api_key.clone(),
            client_id: client_id.unwrap_or_else(|| format!("list-{id}")),
            legs,
            time_ms: now / 1_000_000,
            lock: Some((asset, amount)),
        };
        self.lists.insert(id, list);
        let [w0, w1] = waiting;
        for (leg, wait) in [(legs[0], w0), (legs[1], w1)] {
            if let Err(e) = self.start(leg, wait, now) {
                self.cancel_list(id, now);
                return Err(e);
            }
        }
        Ok(id)
    }

    /// Leg `id` starts to run (triggered, or filled for the first time):
    /// the list's lock becomes the leg's own, and the other leg expires.
    pub(super) fn leg_runs(&mut self, id: u64, now: UnixNanos) {
        let Some(list_id) = self.orders.get(&id).and_then(|r| r.list) else { return };
        let Some(list) = self.lists.get_mut(&list_id) else { return };
        let Some((asset, amount)) = list.lock.take() else { return };
        let key = list.api_key.clone();
        let other = list.legs.into_iter().find(|&leg| leg != id);
        self.unlock(&key, &asset, amount);
        let own = self.own_lock(&self.orders[&id]);
        if let Some((asset, amount)) = own {
            // At most what the list held: the list locked the larger leg.
            self.lock(&key, &asset, amount, true).expect("within what the list held");
            self.orders.get_mut(&id).expect("a leg").holds_lock = true;
        }
        if let Some(other) = other {
            self.expire_leg(other, now);
        }
    }

    /// Ends a leg because the other one runs: Binance reports it expired.
    fn expire_leg(&mut self, id: u64, now: UnixNanos) {
        if !self.is_open(id) {
            return;
        }
        if let Some(at) = self.contingent.iter().position(|c| c.order_id == id) {
            self.contingent.remove(at);
            self.closed(id);
            let now_ms = now / 1_000_000;
            let rec = self.orders.get_mut(&id).expect("open");
            rec.status = Status::Expired;
            rec.update_ms = now_ms;
            self.report(id, "EXPIRED", now_ms);
            return;
        }
        self.expiring = Some(id);
        let mut reports = Vec::new();
        self.venue.handle(VenueCommand::Cancel { order_id: OrderId(id) }, now, &mut reports);
        self.apply(reports, now);
        self.expiring = None;
    }

    /// Cancels every open leg of a list and frees what the list holds.
    pub(super) fn cancel_list(&mut self, list_id: u64, now: UnixNanos) {
        let Some(list) = self.lists.get_mut(&list_id) else { return };
        let (legs, lock, key) = (list.legs, list.lock.take(), list.api_key.clone());
        for leg in legs {
            if self.is_open(leg) {
                self.cancel_order(leg, now);
            }
        }
        if let Some((asset, amount)) = lock {
            self.unlock(&key, &asset, amount);
        }
    }

    /// Cancels an open list; returns its id.
    pub fn cancel_order_list(
        &mut self,
        api_key: &str,
        symbol: usize,
        by: &ListRef,
        now: UnixNanos,
    ) -> Result<u64, ApiError> {
        self.retire();
        let id = match self.order_list(api_key, Some(symbol), by) {
            Some(list) if self.list_is_open(list) => list.id,
            _ => return Err(ApiError::unknown_order_list()),
        };
        self.cancel_list(id, now);
        Ok(id)
    }

    /// An account's list by id or client id (on `symbol`, if given).
    pub fn order_list(&self, api_key: &str, symbol: Option<usize>, by: &ListRef) -> Option<&OrderList> {
        let mine = |l: &&OrderList| *l.api_key == *api_key && symbol.is_none_or(|s| s == l.symbol);
        match by {
            ListRef::Id(id) => self.lists.get(id).filter(mine),
            ListRef::Client(name) => self.lists.values().rev().filter(mine).find(|l| l.client_id == *name),
        }
    }

    /// The account's order lists from id `from` on, oldest first.
    pub fn order_lists(&self, api_key: &str, from: u64) -> impl Iterator<Item = &OrderList> {
        self.lists.range(from..).map(|(_, l)| l).filter(move |l| *l.api_key == *api_key)
    }

    /// Whether any leg still works.
    pub fn list_is_open(&self, list: &OrderList) -> bool {
        list.legs.iter().any(|&leg| self.is_open(leg))
    }

    /// A book leg being cancelled because the other one runs.
    pub(super) fn is_expiring(&self, id: u64) -> bool {
        self.expiring == Some(id)
    }
}

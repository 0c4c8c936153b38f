//! The exchange behind the API: symbols and their filters, accounts and
//! balances, orders, and the matching engine.
//!
//! Matching is `pyrt_sim::BookVenue`, the same engine order-book backtests
//! use: orders walk the market's book, resting limits keep a queue
//! position, trades and the moving book fill them. This module adds what an
//! exchange adds around it: Binance's order records and statuses, filters,
//! and balances that are locked when an order rests and move with fills.
//! Commission is charged in the asset received (base on buys, quote on
//! sells), at the maker or taker rate.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use pyrt_book::L2Book;
use pyrt_model::{
    ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, Money, OrderId, OrderRequest, Price,
    Quantity, Rate, Side, TimeInForce, UnixNanos, VenueCommand,
};
use pyrt_sim::{BookVenue, Fees};

use serde_json::{Value, json};

use crate::accounts::{Account, AccountTrade};
pub use crate::accounts::{AccountSpec, Balance};
use crate::conditional::{self, Contingent};
use crate::errors::ApiError;
pub use crate::orders::{NewOrder, OrderRecord, OrderRef, OrderType, Status, TradeFill};
use crate::tape::{self, Tape, Tapes};

mod order_lists;
pub use order_lists::{ListRef, OrderList};

/// A tradable symbol and its filters.
#[derive(Debug, Clone)]
pub struct SymbolSpec {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub tick: Price,
    pub min_price: Price,
    pub max_price: Price,
    pub lot: Quantity,
    pub min_qty: Quantity,
    pub max_qty: Quantity,
    pub min_notional: Money,
}

/// The whole exchange state.
pub struct Exchange {
    specs: Vec<SymbolSpec>,
    venue: BookVenue,
    orders: BTreeMap<u64, OrderRecord>,
    accounts: HashMap<String, Account>,
    next_order_id: u64,
    /// Each symbol's trades and candles (shared with the market-data reads).
    tapes: Arc<Tapes>,
    update_ids: Vec<u64>,
    maker: Rate,
    taker: Rate,
    /// User-data events not yet pushed: (API key, event).
    user_events: Vec<(Arc<str>, Value)>,
    /// Contingent orders waiting for their trigger.
    contingent: Vec<Contingent>,
    /// Orders finished by the latest change, kept whole until the next
    /// one (its answer may list their fills); then [`Exchange::retire`].
    retiring: Vec<u64>,
    /// Finished orders that never traded, oldest first, and how many of
    /// them to keep (see [`Exchange::keep_unfilled_orders`]).
    unfilled: VecDeque<u64>,
    keep_unfilled: usize,
    /// Order lists (OCO) by id.
    lists: BTreeMap<u64, OrderList>,
    next_list_id: u64,
    /// The list leg being cancelled because the other leg runs.
    expiring: Option<u64>,
}

/// Finished orders without a trade kept by default (Binance archives them
/// after 90 days; a count keeps a busy venue's memory flat).
pub const KEEP_UNFILLED_ORDERS: usize = 100_000;

/// A decimal as Binance writes it: eight places.
/// Decimal places of every balance and commission (Binance's 8).
const ASSET_DECIMALS: u32 = 8;

pub(crate) fn d8<T: std::fmt::Display>(x: T) -> String {
    format!("{x:.8}")
}

fn money(q: Quantity) -> Money {
    Money::notional(Price::from_int(1), q)
}

impl Exchange {
    pub fn new(specs: Vec<SymbolSpec>, accounts: Vec<AccountSpec>, maker: Rate, taker: Rate) -> Self {
        let instruments = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut inst = Instrument::new(InstrumentId(i as u32), s.symbol.clone(), s.tick, s.lot);
                inst.min_quantity = s.min_qty;
                inst
            })
            .collect();
        let accounts = accounts.into_iter().map(|a| (a.api_key.clone(), Account::new(a, specs.len()))).collect();
        Self {
            update_ids: vec![0; specs.len()],
            tapes: Arc::new(Tapes::new(specs.len(), tape::DEFAULT_CAPACITY)),
            specs,
            // Commission is charged here, in the received asset; the engine's fee is not used.
            venue: BookVenue::new(instruments, Fees::None),
            orders: BTreeMap::new(),
            accounts,
            next_order_id: 1,
            maker,
            taker,
            user_events: Vec::new(),
            contingent: Vec::new(),
            retiring: Vec::new(),
            unfilled: VecDeque::new(),
            keep_unfilled: KEEP_UNFILLED_ORDERS,
            lists: BTreeMap::new(),
            next_list_id: 1,
            expiring: None,
        }
    }

    /// Keeps the last `n` finished orders that never traded (cancelled,
    /// expired or rejected with nothing filled); older ones are archived,
    /// as Binance archives them: queries answer -2013 and `allOrders`
    /// leaves them out. Orders that traded are all kept.
    pub fn keep_unfilled_orders(&mut self, n: usize) {
        self.keep_unfilled = n;
        self.retire();
    }

    /// Trims the orders the previous change finished to what queries
    /// answer, and archives the oldest unfilled ones past the limit.
    /// Runs before every change, so its cost is O(1) amortised per order.
    fn retire(&mut self) {
        for &id in &self.retiring {
            let Some(rec) = self.orders.get_mut(&id) else { continue };
            rec.fills = Vec::new();
            // A list's legs stay with their list.
            if rec.executed_qty.is_zero() && rec.list.is_none() {
                self.unfilled.push_back(id);
            }
        }
        self.retiring.clear();
        while self.unfilled.len() > self.keep_unfilled {
            let id = self.unfilled.pop_front().expect("longer than the limit");
            if let Some(rec) = self.orders.remove(&id)
                && let Some(account) = self.accounts.get_mut(&*rec.api_key)
            {
                account.archive(rec.symbol, id, &rec.client_order_id);
            }
        }
    }

    /// The user-data events since the last call, oldest first.
    pub fn take_user_events(&mut self) -> Vec<(Arc<str>, Value)> {
        std::mem::take(&mut self.user_events)
    }

    /// Queues an `executionReport` for order `id` (with its last fill for
    /// a trade) and the account's balances after it.
    fn report(&mut self, id: u64, execution: &str, now_ms: i64) {
        let Some(o) = self.orders.get(&id) else { return };
        let spec = &self.specs[o.symbol];
        let last = if execution == "TRADE" { o.fills.last() } else { None };
        let event = json!({
            "e": "executionReport", "E": now_ms, "s": spec.symbol, "c": o.client_order_id,
            "S": if o.side == Side::Buy { "BUY" } else { "SELL" }, "o": o.kind.name(), "f": o.tif,
            "q": d8(o.orig_qty), "p": d8(o.price.unwrap_or(Price::ZERO)), "P": d8(o.stop_price.unwrap_or(Price::ZERO)),
            "F": d8(Quantity::ZERO), "g": o.list.map_or(-1, |l| l as i64), "C": "", "x": execution, "X": o.status.name(), "r": "NONE",
            "i": o.order_id, "l": d8(last.map_or(Quantity::ZERO, |f| f.qty)), "z": d8(o.executed_qty),
            "L": d8(last.map_or(Price::ZERO, |f| f.price)), "n": d8(last.map_or(Money::ZERO, |f| f.commission)),
            "N": last.map(|f| f.commission_asset.clone()), "T": now_ms,
            "t": last.map_or(-1, |f| f.trade_id as i64), "I": id, "w": o.status.is_open() && o.working_ms.is_some(),
            "m": last.is_some_and(|f| f.maker), "M": false, "O": o.time_ms, "Z": d8(o.cumm_quote),
            "Y": d8(last.map_or(Money::ZERO, |f| Money::notional(f.price, f.qty))), "Q": d8(Money::ZERO),
            "W": o.working_ms.unwrap_or(-1), "V": "NONE",
        });
        let mut event = event;
        if let Some(delta) = o.trailing_delta {
            event["d"] = json!(delta);
        }
        let key = o.api_key.clone();
        let balances: Vec<Value> = self.accounts[&*key]
            .balances
            .iter()
            .map(|(a, b)| json!({ "a": a, "f": d8(b.free), "l": d8(b.locked) }))
            .collect();
        self.user_events.push((key.clone(), event));
        self.user_events
            .push((key, json!({ "e": "outboundAccountPosition", "E": now_ms, "u": now_ms, "B": balances })));
    }

    pub fn specs(&self) -> &[SymbolSpec] {
        &self.specs
    }

    pub fn rates(&self) -> (Rate, Rate) {
        (self.maker, self.taker)
    }

    fn is_open(&self, id: u64) -> bool {
        self.orders.get(&id).is_some_and(|o| o.status.is_open())
    }

    pub fn symbol_index(&self, symbol: &str) -> Result<usize, ApiError> {
        self.specs.iter().position(|s| s.symbol == symbol).ok_or_else(ApiError::unknown_symbol)
    }

    pub fn secret(&self, api_key: &str) -> Option<&str> {
        self.accounts.get(api_key).map(|a| a.secret.as_str())
    }

    pub fn balances(&self, api_key: &str) -> Option<&BTreeMap<String, Balance>> {
        self.accounts.get(api_key).map(|a| &a.balances)
    }

    pub fn book(&self, symbol: usize) -> &L2Book {
        self.venue.book(InstrumentId(symbol as u32))
    }

    /// A symbol's trades and candles.
    pub fn tape(&self, symbol: usize) -> std::sync::MutexGuard<'_, Tape> {
        self.tapes.get(symbol)
    }

    /// The tapes, for reading market data without the exchange's lock.
    pub fn tapes(&self) -> Arc<Tapes> {
        self.tapes.clone()
    }

    /// Keeps the last `trades` trades of each symbol for the history
    /// endpoints (before the first trade).
    pub fn set_trade_history(&mut self, trades: usize) {
        for i in 0..self.specs.len() {
            *self.tapes.get(i) = Tape::new(trades);
        }
    }

    /// The last update id of a symbol's book (depth `lastUpdateId`).
    pub fn update_id(&self, symbol: usize) -> u64 {
        self.update_ids[symbol]
    }

    pub fn order(&self, api_key: &str, symbol: usize, by: &OrderRef) -> Option<&OrderRecord> {
        let id = match by {
            OrderRef::Id(id) => *id,
            OrderRef::Client(c) => self.accounts.get(api_key)?.by_client(c)?,
        };
        self.orders.get(&id).filter(|o| *o.api_key == *api_key && o.symbol == symbol)
    }

    pub fn open_orders(&self, api_key: &str, symbol: Option<usize>) -> Vec<&OrderRecord> {
        let Some(account) = self.accounts.get(api_key) else { return Vec::new() };
        account
            .open_ids()
            .filter_map(|id| self.orders.get(&id))
            .filter(|o| symbol.is_none_or(|s| s == o.symbol))
            .collect()
    }

    /// The account behind an API key.
    pub fn account(&self, api_key: &str) -> Option<&Account> {
        self.accounts.get(api_key)
    }

    /// An order by its id, if it is `api_key`'s.
    pub fn order_of(&self, api_key: &str, id: u64) -> Option<&OrderRecord> {
        self.orders.get(&id).filter(|o| *o.api_key == *api_key)
    }

    /// The order is no longer open.
    fn closed(&mut self, id: u64) {
        if let Some(rec) = self.orders.get(&id)
            && let Some(account) = self.accounts.get_mut(&*rec.api_key)
        {
            account.closed(id);
            self.retiring.push(id);
        }
    }

    /// Market data for a symbol (from the market driver).
    pub fn on_market(&mut self, event: &MarketEvent) {
        self.retire();
        let i = event.instrument().index();
        let first_new_trade = self.tapes.get(i).next_id();
        match event {
            MarketEvent::BookDelta(d) if d.is_last() => self.update_ids[i] += 1,
            // The print before the fills it causes: ids follow what happened.
            MarketEvent::Trade(t) => {
                self.tapes.get(i).record(t.price, t.size, t.ts_event / 1_000_000, t.aggressor == Some(Side::Sell));
            }
            _ => {}
        }
        let mut reports = Vec::new();
        self.venue.on_market(event, &mut reports);
        self.apply(reports, event.ts());
        self.run_triggers(i, first_new_trade, event.ts());
    }

    /// Runs the symbol's trades from id `from` on (and those the orders
    /// they trigger make) past its contingent orders.
    fn run_triggers(&mut self, symbol: usize, mut from: u64, now: UnixNanos) {
        while !self.contingent.is_empty() {
            let prices: Vec<Price> = self.tapes.get(symbol).since(from).map(|t| t.price).collect();
            if prices.is_empty() {
                return;
            }
            from = self.tapes.get(symbol).next_id();
            for price in prices {
                let mut fired = Vec::new();
                self.contingent.retain_mut(|c| {
                    let fires = c.symbol == symbol && c.on_trade(price);
                    if fires {
                        fired.push(c.order_id);
                    }
                    !fires
                });
                for id in fired {
                    self.activate(id, now);
                }
            }
        }
    }

    /// A triggered contingent order starts working on the book.
    fn activate(&mut self, id: u64, now: UnixNanos) {
        self.leg_runs(id, now);
        let now_ms = now / 1_000_000;
        let Some(rec) = self.orders.get(&id) else { return };
        // A market buy locked nothing when placed: it needs the funds now.
        let short_of_funds = rec.side == Side::Buy && rec.kind.is_market() && {
            let spec = &self.specs[rec.symbol];
            let need = self.market_buy_cost(rec.symbol, rec.orig_qty);
            let free = self.accounts[&*rec.api_key].balances.get(&spec.quote).map_or(Money::ZERO, |b| b.free);
            free < need
        };
        let started = if short_of_funds { Err(()) } else { self.submit_to_book(id, now).map_err(|_| ()) };
        match started {
            Ok(reports) => {
                if let Some(rec) = self.orders.get_mut(&id) {
                    rec.working_ms = Some(now_ms);
                    rec.update_ms = now_ms;
                }
                self.apply(reports, now);
            }
            Err(()) => {
                self.release(id);
                self.closed(id);
                if let Some(rec) = self.orders.get_mut(&id) {
                    rec.status = Status::Expired;
                    rec.update_ms = now_ms;
                }
                self.report(id, "EXPIRED", now_ms);
            }
        }
    }

    /// What buying `qty` at market costs now: what the book can fill, and
    /// the rest at its worst price.
    fn market_buy_cost(&self, symbol: usize, qty: Quantity) -> Money {
        let sweep = self.book(symbol).sweep(Side::Buy, qty);
        let rest = Money::notional(sweep.worst.unwrap_or(self.specs[symbol].max_price), qty - sweep.filled);
        sweep.notional + rest
    }

    /// Hands order `id`'s remaining quantity to the matching engine, as a
    /// market or a limit order: its reports, or why it refused.
    fn submit_to_book(&mut self, id: u64, now: UnixNanos) -> Result<Vec<ExecutionReport>, String> {
        let rec = &self.orders[&id];
        let instrument = InstrumentId(rec.symbol as u32);
        let qty = rec.orig_qty - rec.executed_qty;
        let tif = match rec.tif {
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        };
        let mut request = match (rec.kind.is_market(), rec.price) {
            (false, Some(p)) => OrderRequest::limit(instrument, rec.side, qty, p).with_tif(tif),
            _ => OrderRequest::market(instrument, rec.side, qty),
        };
        request.post_only = rec.kind == OrderType::LimitMaker;
        let mut reports = Vec::new();
        self.venue.handle(VenueCommand::Submit { order_id: OrderId(id), request }, now, &mut reports);
        match reports.iter().find_map(|r| match r {
            ExecutionReport::Rejected { reason, .. } => Some(reason.clone()),
            _ => None,
        }) {
            Some(reason) => Err(reason),
            None => Ok(reports),
        }
    }

    /// Checks, locks funds for and submits a new order. Returns its id.
    pub fn place(&mut self, api_key: &str, o: NewOrder, now: UnixNanos) -> Result<u64, ApiError> {
        self.retire();
        let waiting = self.check_new(api_key, &o)?;
        let (asset, need) = self.funds_needed(&o, waiting.is_some());
        self.lock(api_key, &asset, need, holds_lock(&o))?;
        let id = self.record(api_key, &o, waiting.is_some(), None, now);
        self.start(id, waiting, now)
    }

    /// Checks a new order against the filters, the account's working
    /// client order ids and, for a contingent order, the last price: the
    /// trigger it waits for, if it is one.
    pub(crate) fn check_new(&self, api_key: &str, o: &NewOrder) -> Result<Option<Contingent>, ApiError> {
        self.check_filters(o)?;
        if let Some(c) = &o.client_order_id
            && self.accounts.get(api_key).and_then(|a| a.by_client(c)).is_some_and(|id| self.is_open(id))
        {
            return Err(ApiError::duplicate_client_id());
        }
        // A contingent order waits off the book; one whose stop price is
        // already met would trigger at once, which Binance refuses.
        let last = self.last_price(o.symbol);
        let waiting = o.kind.is_contingent().then(|| {
            let take_profit = matches!(o.kind, OrderType::TakeProfit | OrderType::TakeProfitLimit);
            Contingent::new(0, o.symbol, o.side, take_profit, o.stop_price, o.trailing_delta, last)
        });
        if let (Some(c), Some(last)) = (&waiting, last)
            && c.would_trigger_now(last)
        {
            return Err(ApiError::rejected("Stop price would trigger immediately."));
        }
        Ok(waiting)
    }

    /// The symbol's last trade price.
    pub(crate) fn last_price(&self, symbol: usize) -> Option<Price> {
        self.tapes.get(symbol).last(1).next().map(|t| t.price)
    }

    /// What an order locks while it works: a buy limit its quote, a sell
    /// its base; a market buy needs what sweeping the book would cost when
    /// it executes (checked then, locking nothing; a contingent one is
    /// checked when triggered).
    pub(crate) fn funds_needed(&self, o: &NewOrder, waiting: bool) -> (String, Money) {
        let spec = &self.specs[o.symbol];
        match (o.side, o.price) {
            (Side::Buy, Some(p)) => (spec.quote.clone(), Money::notional(p, o.qty)),
            (Side::Buy, None) if waiting => (spec.quote.clone(), Money::ZERO),
            (Side::Buy, None) => (spec.quote.clone(), self.market_buy_cost(o.symbol, o.qty)),
            (Side::Sell, _) => (spec.base.clone(), money(o.qty)),
        }
    }

    /// Checks that the account has `amount` of `asset` free (-2010 if
    /// not) and, if `hold`, moves it to locked.
    pub(crate) fn lock(&mut self, api_key: &str, asset: &str, amount: Money, hold: bool) -> Result<(), ApiError> {
        let account = self.accounts.get_mut(api_key).ok_or_else(ApiError::bad_api_key)?;
        let balance = account.balances.entry(asset.to_string()).or_default();
        if balance.free < amount {
            return Err(ApiError::insufficient_balance());
        }
        if hold {
            balance.free -= amount;
            balance.locked += amount;
        }
        Ok(())
    }

    /// Undoes [`Exchange::lock`].
    pub(crate) fn unlock(&mut self, api_key: &str, asset: &str, amount: Money) {
        let account = self.accounts.get_mut(api_key).expect("orders belong to accounts");
        let b = account.balances.entry(asset.to_string()).or_default();
        b.locked -= amount;
        b.free += amount;
    }

    /// Records a new order (open, nothing filled); returns its id.
    pub(crate) fn record(
        &mut self,
        api_key: &str,
        o: &NewOrder,
        waiting: bool,
        list: Option<u64>,
        now: UnixNanos,
    ) -> u64 {
        let id = self.next_order_id;
        self.next_order_id += 1;
        let now_ms = now / 1_000_000;
        let account = self.accounts.get_mut(api_key).expect("checked by the caller");
        let client_order_id = o.client_order_id.clone().unwrap_or_else(|| format!("pyrt-{id}"));
        account.placed(o.symbol, id, &client_order_id, now_ms);
        let tif = match (o.kind.is_market(), o.tif) {
            (true, _) => "GTC",
            (_, TimeInForce::Ioc) => "IOC",
            (_, TimeInForce::Fok) => "FOK",
            _ => "GTC",
        };
        let record = OrderRecord {
            order_id: id,
            symbol: o.symbol,
            api_key: account.api_key.clone(),
            client_order_id,
            side: o.side,
            kind: o.kind,
            tif,
            price: o.price,
            stop_price: o.stop_price,
            trailing_delta: o.trailing_delta,
            working_ms: (!waiting).then_some(now_ms),
            orig_qty: o.qty,
            orig_quote_qty: o.quote_qty.unwrap_or(Money::ZERO),
            executed_qty: Quantity::ZERO,
            cumm_quote: Money::ZERO,
            status: Status::New,
            time_ms: now_ms,
            update_ms: now_ms,
            fills: Vec::new(),
            list,
            // An order list's legs share the list's lock until one of them runs.
            holds_lock: list.is_none() && holds_lock(o),
        };
        self.orders.insert(id, record);
        id
    }

    /// Starts a recorded order: waiting for its trigger, or on the book.
    /// An order the book refuses (a post-only that would take) is rejected
    /// and its funds released.
    pub(crate) fn start(&mut self, id: u64, waiting: Option<Contingent>, now: UnixNanos) -> Result<u64, ApiError> {
        let now_ms = now / 1_000_000;
        if let Some(mut c) = waiting {
            c.order_id = id;
            self.contingent.push(c);
            self.report(id, "NEW", now_ms);
            return Ok(id);
        }
        let symbol = self.orders[&id].symbol;
        let first_new_trade = self.tapes.get(symbol).next_id();
        let reports = match self.submit_to_book(id, now) {
            Ok(reports) => reports,
            Err(reason) => {
                self.release(id);
                self.closed(id);
                let rec = self.orders.get_mut(&id).expect("just inserted");
                rec.status = Status::Rejected;
                return Err(if reason.starts_with("post-only") {
                    ApiError::rejected("Order would immediately match and take.")
                } else {
                    ApiError::rejected(&reason)
                });
            }
        };
        self.report(id, "NEW", now_ms);
        self.apply(reports, now);
        self.run_triggers(symbol, first_new_trade, now);
        Ok(id)
    }

    /// The quantity a market order spending (buy) or receiving (sell)
    /// `amount` of quote takes from the book now: whole lots, never more
    /// than the amount.
    pub fn size_quote_order(&self, symbol: usize, side: Side, amount: Money) -> Result<Quantity, ApiError> {
        let s = &self.specs[symbol];
        if amount < s.min_notional {
            return Err(ApiError::filter("NOTIONAL"));
        }
        let (mut left, mut qty) = (amount, Quantity::ZERO);
        for level in self.book(symbol).side(side.opposite()).levels() {
            let whole = Money::notional(level.price, level.qty);
            if whole <= left {
                left -= whole;
                qty += level.qty;
                continue;
            }
            qty += left.lots_at(level.price, s.lot);
            break;
        }
        Ok(qty.floor_to(s.lot))
    }

    fn check_filters(&self, o: &NewOrder) -> Result<(), ApiError> {
        let s = &self.specs[o.symbol];
        for p in [o.price, o.stop_price].into_iter().flatten() {
            if p < s.min_price || p > s.max_price || !p.is_multiple_of(s.tick) {
                return Err(ApiError::filter("PRICE_FILTER"));
            }
        }
        if o.trailing_delta
            .is_some_and(|d| !(conditional::MIN_TRAILING_DELTA..=conditional::MAX_TRAILING_DELTA).contains(&d))
        {
            return Err(ApiError::filter("TRAILING_DELTA"));
        }
        if o.qty < s.min_qty || o.qty > s.max_qty || !o.qty.is_multiple_of(s.lot) {
            return Err(ApiError::filter("LOT_SIZE"));
        }
        let reference = o.price.or(o.stop_price).or_else(|| self.book(o.symbol).mid());
        if let Some(p) = reference
            && Money::notional(p, o.qty) < s.min_notional
        {
            return Err(ApiError::filter("NOTIONAL"));
        }
        Ok(())
    }

    /// Cancels an open order (and, for a list's leg, the whole list);
    /// returns its id.
    pub fn cancel(&mut self, api_key: &str, symbol: usize, by: &OrderRef, now: UnixNanos) -> Result<u64, ApiError> {
        self.retire();
        let (id, list) = match self.order(api_key, symbol, by) {
            Some(o) if o.status.is_open() => (o.order_id, o.list),
            _ => return Err(ApiError::unknown_order_cancel()),
        };
        match list {
            Some(list) => self.cancel_list(list, now),
            None => self.cancel_order(id, now),
        }
        Ok(id)
    }

    /// Cancels one open order.
    fn cancel_order(&mut self, id: u64, now: UnixNanos) {
        if let Some(at) = self.contingent.iter().position(|c| c.order_id == id) {
            // Still waiting: the matching engine has never seen it.
            self.contingent.remove(at);
            self.release(id);
            self.closed(id);
            let now_ms = now / 1_000_000;
            if let Some(rec) = self.orders.get_mut(&id) {
                rec.status = Status::Canceled;
                rec.update_ms = now_ms;
            }
            self.report(id, "CANCELED", now_ms);
            return;
        }
        let mut reports = Vec::new();
        self.venue.handle(VenueCommand::Cancel { order_id: OrderId(id) }, now, &mut reports);
        self.apply(reports, now);
    }

    /// Applies the matching engine's reports to orders and balances.
    fn apply(&mut self, reports: Vec<ExecutionReport>, now: UnixNanos) {
        let now_ms = now / 1_000_000;
        for report in reports {
            match report {
                ExecutionReport::Filled(fill) => self.on_fill(&fill, now),
                ExecutionReport::Cancelled { order_id, .. } | ExecutionReport::Expired { order_id, .. } => {
                    let id = order_id.0;
                    self.release(id);
                    let expiring = self.is_expiring(id);
                    if let Some(rec) = self.orders.get_mut(&id) {
                        // IOC/FOK/market remainders and a list's other leg
                        // expire; user cancels cancel.
                        rec.status = match (rec.kind.is_market(), rec.tif) {
                            (true, _) | (_, "IOC") | (_, "FOK") => Status::Expired,
                            _ if expiring => Status::Expired,
                            _ => Status::Canceled,
                        };
                        rec.update_ms = now_ms;
                        let execution = if rec.status == Status::Expired { "EXPIRED" } else { "CANCELED" };
                        self.closed(id);
                        self.report(id, execution, now_ms);
                    }
                }
                _ => {}
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill, now: UnixNanos) {
        // A list's leg that fills runs: the list's lock becomes its own first.
        self.leg_runs(fill.order_id.0, now);
        let now_ms = now / 1_000_000;
        let Some(rec) = self.orders.get_mut(&fill.order_id.0) else { return };
        let spec = &self.specs[rec.symbol];
        let rate = if fill.liquidity == Liquidity::Maker { self.maker } else { self.taker };
        let notional = Money::notional(fill.price, fill.qty);
        let account = self.accounts.get_mut(&*rec.api_key).expect("orders belong to accounts");
        let (commission, commission_asset) = match rec.side {
            Side::Buy => {
                // Commissions at the asset's precision, as balances are
                // kept: the report's `n` is then exactly what moved.
                let fee = rate.of_money(money(fill.qty)).round_dp(ASSET_DECIMALS);
                // What this much of the order locked (limit) or costs (market).
                let quote = account.balances.entry(spec.quote.clone()).or_default();
                match rec.price {
                    Some(limit) => {
                        let locked = Money::notional(limit, fill.qty);
                        quote.locked -= locked;
                        quote.free += locked - notional;
                    }
                    None => quote.free -= notional,
                }
                account.balances.entry(spec.base.clone()).or_default().free += money(fill.qty) - fee;
                (fee, spec.base.clone())
            }
            Side::Sell => {
                let fee = rate.of_money(notional).round_dp(ASSET_DECIMALS);
                account.balances.entry(spec.base.clone()).or_default().locked -= money(fill.qty);
                account.balances.entry(spec.quote.clone()).or_default().free += notional - fee;
                (fee, spec.quote.clone())
            }
        };
        rec.executed_qty += fill.qty;
        rec.cumm_quote += notional;
        rec.status = if rec.executed_qty >= rec.orig_qty { Status::Filled } else { Status::PartiallyFilled };
        rec.update_ms = now_ms;
        // A resting buy was the maker; a buy that took the book was not.
        let buyer_maker = (rec.side == Side::Buy) == (fill.liquidity == Liquidity::Maker);
        let trade_id = self.tapes.get(rec.symbol).record(fill.price, fill.qty, now_ms, buyer_maker);
        let commission_asset = account.asset_index(&commission_asset);
        account.traded(
            rec.symbol,
            AccountTrade {
                id: trade_id,
                order_id: rec.order_id,
                price: fill.price,
                qty: fill.qty,
                commission,
                commission_asset,
                time_ms: now_ms,
                is_buyer: rec.side == Side::Buy,
                is_maker: fill.liquidity == Liquidity::Maker,
            },
        );
        let commission_asset = account.asset_name(commission_asset).to_string();
        rec.fills.push(TradeFill {
            trade_id,
            price: fill.price,
            qty: fill.qty,
            commission,
            commission_asset,
            maker: fill.liquidity == Liquidity::Maker,
        });
        let (id, done) = (rec.order_id, !rec.status.is_open());
        if done {
            account.closed(id);
            self.retiring.push(id);
        }
        self.report(id, "TRADE", now_ms);
    }

    /// Returns what an order still has locked to free.
    fn release(&mut self, id: u64) {
        let Some(rec) = self.orders.get(&id).filter(|r| r.holds_lock) else { return };
        let Some((asset, amount)) = self.own_lock(rec) else { return };
        let key = rec.api_key.clone();
        self.unlock(&key, &asset, amount);
    }

    /// What a working order's remaining quantity locks: a buy limit its
    /// quote, a sell its base; a market buy nothing (it pays when it runs).
    fn own_lock(&self, rec: &OrderRecord) -> Option<(String, Money)> {
        let spec = &self.specs[rec.symbol];
        let remaining = rec.orig_qty - rec.executed_qty;
        match (rec.side, rec.price) {
            (Side::Buy, Some(p)) => Some((spec.quote.clone(), Money::notional(p, remaining))),
            (Side::Buy, None) => None,
            (Side::Sell, _) => Some((spec.base.clone(), money(remaining))),
        }
    }
}

/// Whether an order holds its funds while it works: all but market buys,
/// whose cost is known only when they execute.
pub(crate) fn holds_lock(o: &NewOrder) -> bool {
    !(o.side == Side::Buy && o.price.is_none())
}

//! The order manager: every order the engine ever sent, its state, and the
//! contingencies between orders (OCO groups and brackets).
//!
//! Order ids are dense (`OrderId(n)` lives at index `n − 1`), so lookups are
//! `Vec` indexing. Contingencies are emulated here rather than left to the
//! venue, so they behave identically on the simulated venue and on a live
//! venue that lacks native OCO or bracket orders.

use std::collections::{BTreeMap, HashMap, VecDeque};

use pyrt_model::{
    ExecutionReport, InstrumentId, Money, OrderId, OrderKind, OrderQty, OrderRequest, OrderStatus, Price, Quantity,
    Side, UnixNanos,
};
use serde::Serialize;

use crate::rejections::{Rejections, VENUE_REJECTED};
use crate::strategy::StrategyId;

/// What the engine knows about one order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRecord {
    pub id: OrderId,
    pub strategy: StrategyId,
    pub request: OrderRequest,
    pub status: OrderStatus,
    pub filled: Quantity,
    /// Σ price × qty of the fills, for the average fill price.
    pub filled_notional: Money,
    pub fees: Money,
    pub ts_submitted: UnixNanos,
    pub ts_updated: UnixNanos,
    /// Why the order was rejected or cancelled, when it was.
    pub reason: Option<String>,
    /// The price the order was expected to fill at when it was sent: its
    /// limit (or trigger), else the last price. Fills far from it trip the
    /// circuit breaker.
    pub expected_price: Option<Price>,
    /// The strategy's own id for the order, when it gave one.
    pub client_id: Option<String>,
    #[serde(skip)]
    pub(crate) oco_group: Option<usize>,
    #[serde(skip)]
    pub(crate) bracket: Option<BracketExits>,
}

impl OrderRecord {
    /// Average fill price, rounded for display.
    pub fn avg_fill_price(&self) -> Option<Price> {
        if self.filled.is_zero() {
            return None;
        }
        let raw = pyrt_model::fixed::div_round_half_even(self.filled_notional.raw(), self.filled.raw() as i128);
        Some(Price::from_raw(raw as i64))
    }

    pub fn instrument(&self) -> InstrumentId {
        self.request.instrument
    }

    pub fn is_open(&self) -> bool {
        !self.status.is_terminal()
    }
}

/// The protective exits of a bracket, placed once its entry has filled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BracketExits {
    pub take_profit: Price,
    pub stop_loss: Price,
}

/// Follow-up work a report causes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FollowUp {
    Cancel(OrderId),
    /// Submit the two exits of a bracket as an OCO pair.
    PlaceExits {
        strategy: StrategyId,
        exits: [OrderRequest; 2],
    },
}

/// All orders of a run.
#[derive(Debug, Default)]
pub struct OrderManager {
    /// Orders by id: `orders[k]` has id `first_id + k`.
    orders: VecDeque<OrderRecord>,
    first_id: u64,
    /// How many finished orders to keep (all when `None`).
    keep_finished: Option<usize>,
    /// Ids of orders not yet terminal, oldest first: strategies ask "do I
    /// have anything working?" on every bar, and the answer must not cost
    /// a scan of every order ever sent.
    open_ids: Vec<OrderId>,
    /// Client order ids of open orders.
    open_client_ids: HashMap<String, OrderId>,
    /// Live OCO groups by number; a group is dropped when all its legs are done.
    oco_groups: BTreeMap<usize, Vec<OrderId>>,
    next_oco_group: usize,
    /// Reports that tried an impossible state change (a venue bug or a
    /// corrupted feed); counted, logged, and otherwise ignored.
    invalid_reports: u64,
    /// Every refused order, by code (kept whatever the history limit).
    rejections: Rejections,
}

impl OrderManager {
    /// An order manager keeping at most `keep_finished` finished orders
    /// (the oldest are forgotten first); open orders are always kept.
    pub fn new(keep_finished: Option<usize>) -> Self {
        Self { first_id: 1, keep_finished, ..Self::default() }
    }

    fn index(&self, id: OrderId) -> Option<usize> {
        id.0.checked_sub(self.first_id).map(|i| i as usize)
    }

    /// The order with this id, unless it finished long enough ago to be
    /// forgotten under a history limit.
    pub fn get(&self, id: OrderId) -> Option<&OrderRecord> {
        self.index(id).and_then(|i| self.orders.get(i))
    }

    fn get_mut(&mut self, id: OrderId) -> Option<&mut OrderRecord> {
        self.index(id).and_then(|i| self.orders.get_mut(i))
    }

    /// Every order kept, in submission order.
    pub fn all(&self) -> &VecDeque<OrderRecord> {
        &self.orders
    }

    /// Orders that are not in a terminal state, oldest first.
    pub fn open(&self) -> impl Iterator<Item = &OrderRecord> {
        self.open_ids.iter().map(|id| &self.orders[(id.0 - self.first_id) as usize])
    }

    /// Keeps `open_ids` in step after `id`'s status changed.
    fn on_status(&mut self, id: OrderId) {
        if self.get(id).is_some_and(|o| o.status.is_terminal())
            && let Some(pos) = self.open_ids.iter().position(|o| *o == id)
        {
            self.open_ids.remove(pos);
            if let Some(i) = self.index(id)
                && let Some(client_id) = self.orders.get(i).and_then(|o| o.client_id.as_deref())
            {
                self.open_client_ids.remove(client_id);
            }
        }
        if let Some(group) = self.get(id).and_then(|o| o.oco_group)
            && self.oco_groups[&group].iter().all(|leg| self.get(*leg).is_none_or(|o| o.status.is_terminal()))
        {
            self.oco_groups.remove(&group);
        }
        // Forget the oldest finished orders beyond the limit.
        if let Some(keep) = self.keep_finished {
            while self.orders.len() > keep + self.open_ids.len()
                && self.orders.front().is_some_and(|o| o.status.is_terminal())
            {
                self.orders.pop_front();
                self.first_id += 1;
            }
        }
    }

    pub fn invalid_reports(&self) -> u64 {
        self.invalid_reports
    }

    /// Every order refused so far, locally or by a venue.
    pub fn rejections(&self) -> &Rejections {
        &self.rejections
    }

    /// Records a new order. Ids are handed out by the kernel in order, so
    /// `id` is always the next dense id.
    pub(crate) fn create(&mut self, id: OrderId, strategy: StrategyId, request: OrderRequest, now: UnixNanos) {
        assert_eq!(id.0, self.first_id + self.orders.len() as u64, "order ids must be created in order");
        self.orders.push_back(OrderRecord {
            id,
            strategy,
            request,
            status: OrderStatus::Submitted,
            filled: Quantity::ZERO,
            filled_notional: Money::ZERO,
            fees: Money::ZERO,
            ts_submitted: now,
            ts_updated: now,
            reason: None,
            expected_price: None,
            client_id: None,
            oco_group: None,
            bracket: None,
        });
        self.open_ids.push(id);
    }

    /// Records an order an earlier session left open (see `Engine::adopt`),
    /// as the venue has it.
    pub(crate) fn adopt(&mut self, id: OrderId, strategy: StrategyId, o: crate::reconcile::AdoptedOrder) {
        let expected_price = match o.request.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. } => Some(price),
            OrderKind::Stop { trigger } => Some(trigger),
            OrderKind::Market | OrderKind::TrailingStop { .. } => None,
        };
        self.create(id, strategy, o.request, o.ts_submitted);
        let client_id = o.client_id;
        self.open_client_ids.insert(client_id.clone(), id);
        let r = self.get_mut(id).expect("just created");
        (r.status, r.filled, r.filled_notional, r.fees) = (o.status, o.filled, o.filled_notional, o.fees);
        (r.expected_price, r.client_id) = (expected_price, Some(client_id));
    }

    pub(crate) fn link_oco(&mut self, ids: &[OrderId]) {
        let group = self.next_oco_group;
        self.next_oco_group += 1;
        self.oco_groups.insert(group, ids.to_vec());
        for id in ids {
            if let Some(o) = self.get_mut(*id) {
                o.oco_group = Some(group);
            }
        }
    }

    /// Puts a new order's prices on the `tick` grid (`EngineConfig::round_prices`).
    pub(crate) fn round_prices(&mut self, id: OrderId, tick: Price) {
        if let Some(o) = self.get_mut(id) {
            o.request = o.request.clone().rounded_to(tick);
        }
    }

    pub(crate) fn set_expected_price(&mut self, id: OrderId, price: Option<Price>) {
        if let Some(o) = self.get_mut(id) {
            o.expected_price = price;
        }
    }

    pub(crate) fn set_bracket(&mut self, id: OrderId, take_profit: Price, stop_loss: Price) {
        if let Some(o) = self.get_mut(id) {
            o.bracket = Some(BracketExits { take_profit, stop_loss });
        }
    }

    /// Gives order `id` the strategy's client order id, unless an open
    /// order already has it (whose id is the error).
    pub(crate) fn set_client_id(&mut self, id: OrderId, client_id: String) -> Result<(), OrderId> {
        if let Some(&used_by) = self.open_client_ids.get(&client_id) {
            return Err(used_by);
        }
        self.open_client_ids.insert(client_id.clone(), id);
        if let Some(o) = self.get_mut(id) {
            o.client_id = Some(client_id);
        }
        Ok(())
    }

    /// Marks an order rejected before it reached a venue (engine checks),
    /// with the check's `code`.
    pub(crate) fn reject_locally(&mut self, id: OrderId, now: UnixNanos, code: &'static str, reason: String) {
        self.rejections.record(id, now, code, &reason);
        if let Some(o) = self.get_mut(id) {
            o.status = OrderStatus::Rejected;
            o.ts_updated = now;
            o.reason = Some(reason);
            self.on_status(id);
        }
    }

    /// Applies a venue report. Returns the order's new status (if the
    /// report was valid) and any follow-up work it causes.
    pub(crate) fn apply(&mut self, report: &ExecutionReport, follow: &mut Vec<FollowUp>) -> Option<OrderStatus> {
        let id = report.order_id();
        let Some(order) = self.get_mut(id) else {
            self.invalid_reports += 1;
            return None;
        };
        let target = match report {
            ExecutionReport::Accepted { .. } => OrderStatus::Accepted,
            ExecutionReport::Rejected { .. } => OrderStatus::Rejected,
            ExecutionReport::Triggered { .. } => OrderStatus::Triggered,
            ExecutionReport::Cancelled { .. } => OrderStatus::Cancelled,
            ExecutionReport::Expired { .. } => OrderStatus::Expired,
            ExecutionReport::Filled(fill) => {
                // A fill beyond any representable size is an impossible report.
                let sums = (order.filled.checked_add(fill.qty), order.fees.checked_add(fill.fee));
                let (Some(total), Some(_)) = sums else {
                    self.invalid_reports += 1;
                    return None;
                };
                match order.request.qty {
                    OrderQty::Base(q) if total < q => OrderStatus::PartiallyFilled,
                    _ => OrderStatus::Filled,
                }
            }
            ExecutionReport::Modified { ts, qty, price, trigger, .. } => {
                // Also how a venue reports the size it gave a notional order.
                if !qty.is_zero() {
                    order.request.qty = OrderQty::Base(*qty);
                }
                match (&mut order.request.kind, price, trigger) {
                    (OrderKind::Limit { price: p }, Some(x), _) => *p = *x,
                    (OrderKind::Stop { trigger: t }, _, Some(x)) => *t = *x,
                    (OrderKind::StopLimit { trigger: t, limit: l }, lp, tp) => {
                        if let Some(x) = lp {
                            *l = *x;
                        }
                        if let Some(x) = tp {
                            *t = *x;
                        }
                    }
                    _ => {}
                }
                order.ts_updated = *ts;
                return Some(order.status);
            }
            ExecutionReport::CommandRejected { reason, .. } => {
                order.reason = Some(reason.clone());
                return Some(order.status);
            }
        };
        // A triggered stop that already filled partially stays partially filled.
        if target == OrderStatus::Triggered && order.status == OrderStatus::PartiallyFilled {
            return Some(order.status);
        }
        let Ok(status) = order.status.apply(target) else {
            self.invalid_reports += 1;
            return None;
        };
        order.status = status;
        match report {
            ExecutionReport::Filled(fill) => {
                order.filled += fill.qty; // checked above
                order.filled_notional = order.filled_notional.saturating_add(Money::notional(fill.price, fill.qty));
                order.fees += fill.fee; // checked above
                order.ts_updated = fill.ts;
            }
            ExecutionReport::Rejected { ts, reason, .. } | ExecutionReport::Cancelled { ts, reason, .. } => {
                order.ts_updated = *ts;
                order.reason = Some(reason.clone());
            }
            ExecutionReport::Accepted { ts, .. }
            | ExecutionReport::Triggered { ts, .. }
            | ExecutionReport::Expired { ts, .. } => order.ts_updated = *ts,
            _ => {}
        }
        let status = order.status;
        if let ExecutionReport::Rejected { ts, reason, .. } = report {
            self.rejections.record(id, *ts, VENUE_REJECTED, reason);
        }
        self.on_status(id);
        let Some(order) = self.get(id) else { return Some(status) };
        if order.oco_group.is_some() || order.bracket.is_some() {
            self.contingencies(order, report, follow);
        }
        Some(status)
    }

    fn contingencies(&self, order: &OrderRecord, report: &ExecutionReport, follow: &mut Vec<FollowUp>) {
        // OCO: the first fill or the end of one leg cancels the others.
        let ends_leg = matches!(report, ExecutionReport::Filled(_)) || order.status.is_terminal();
        if let Some(group) = order.oco_group
            && ends_leg
        {
            for other in self.oco_groups.get(&group).into_iter().flatten() {
                if *other != order.id && self.get(*other).is_some_and(|o| o.is_open()) {
                    follow.push(FollowUp::Cancel(*other));
                }
            }
        }
        // Bracket: once the entry is done, protect what was filled.
        if let Some(exits) = order.bracket
            && order.status.is_terminal()
            && order.filled.is_positive()
        {
            let exit_side = order.request.side.opposite();
            let i = order.instrument();
            let take = OrderRequest::limit(i, exit_side, order.filled, exits.take_profit).reduce_only();
            let stop = OrderRequest::stop(i, exit_side, order.filled, exits.stop_loss).reduce_only();
            follow.push(FollowUp::PlaceExits { strategy: order.strategy, exits: [take, stop] });
        }
    }

    /// What open orders of `instrument` on `side` may still fill, for the
    /// cash account's check of order `checked`: each order's unfilled base
    /// quantity, an OCO group once at its largest leg (the first fill of a
    /// leg cancels the others), and nothing of `checked` itself or of its
    /// own OCO group (its legs exclude one another).
    pub fn committed_quantity(
        &self,
        instrument: InstrumentId,
        side: Side,
        checked: OrderId,
        owner: Option<StrategyId>,
    ) -> Quantity {
        let own_group = self.get(checked).and_then(|o| o.oco_group);
        let mut total = Quantity::ZERO;
        let mut groups: BTreeMap<usize, Quantity> = BTreeMap::new();
        for o in self.open() {
            if o.id == checked
                || o.instrument() != instrument
                || o.request.side != side
                || owner.is_some_and(|s| s != o.strategy)
            {
                continue;
            }
            let left = match o.request.qty {
                OrderQty::Base(q) => q - o.filled,
                OrderQty::Quote(_) => Quantity::ZERO,
            };
            match o.oco_group {
                Some(g) if Some(g) == own_group => {}
                Some(g) => {
                    let largest = groups.entry(g).or_insert(Quantity::ZERO);
                    *largest = (*largest).max(left);
                }
                None => total += left,
            }
        }
        groups.into_values().fold(total, |a, b| a + b)
    }
}

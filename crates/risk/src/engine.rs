//! The risk engine: every new order passes [`RiskEngine::check`] before it
//! may leave for a venue, and equity updates drive the post-trade state.
//!
//! Checks run in a fixed order and the first failure is the answer, as a
//! [`Denial`] with a stable [`DenialCode`] and a message with the numbers.
//! Orders that only shrink a position are never stopped by position,
//! exposure, leverage or cash limits (de-risking must always be possible),
//! only by the trading state and the per-order limits.
//!
//! Everything is O(1) per check except group limits (O(group size)); the
//! rate windows keep one timestamp per recent order.

use std::collections::VecDeque;

use pyrt_model::time::{NANOS_PER_DAY, NANOS_PER_MINUTE, NANOS_PER_SECOND, utc_day};
use pyrt_model::{Instrument, InstrumentId, Money, Price, Quantity, Rate, Side, UnixNanos};

use crate::limits::{OnBreach, RiskLimits, SymbolLimits};
use crate::var::VarModel;

/// Whether and how the account may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradingState {
    Active,
    /// Only orders that shrink positions.
    Reducing,
    /// Nothing (the kill switch, or a breach with `halt`/`flatten`).
    Halted,
}

/// Why an order was denied. The codes are stable: logs, alerts and tests
/// can match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialCode {
    Halted,
    ReducingOnly,
    MaxOrderQuantity,
    MaxOrderNotional,
    PriceBand,
    OrderRate,
    InstrumentOrderRate,
    MaxPositionQuantity,
    MaxPositionNotional,
    MaxGrossExposure,
    MaxNetExposure,
    MaxConcentration,
    GroupExposure,
    MaxLeverage,
    CashBuffer,
    NoReferencePrice,
    StaleData,
    DuplicateClientOrderId,
    VarLimit,
    InstrumentRules,
    /// A cash account selling more than it holds (net of sells already working).
    InsufficientPosition,
    /// A cash account buying more than its cash pays for.
    InsufficientCash,
    /// An order the account or engine cannot carry out in this form.
    UnsupportedOrder,
    /// An order so large its fill could not be booked exactly.
    OutOfRange,
    /// Before a run's trading starts (a walk-forward window's warm-up):
    /// counted apart from the rejections, as it is by design.
    WarmingUp,
}

impl DenialCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DenialCode::Halted => "HALTED",
            DenialCode::ReducingOnly => "REDUCING_ONLY",
            DenialCode::MaxOrderQuantity => "MAX_ORDER_QUANTITY",
            DenialCode::MaxOrderNotional => "MAX_ORDER_NOTIONAL",
            DenialCode::PriceBand => "PRICE_BAND",
            DenialCode::OrderRate => "ORDER_RATE",
            DenialCode::InstrumentOrderRate => "INSTRUMENT_ORDER_RATE",
            DenialCode::MaxPositionQuantity => "MAX_POSITION_QUANTITY",
            DenialCode::MaxPositionNotional => "MAX_POSITION_NOTIONAL",
            DenialCode::MaxGrossExposure => "MAX_GROSS_EXPOSURE",
            DenialCode::MaxNetExposure => "MAX_NET_EXPOSURE",
            DenialCode::MaxConcentration => "MAX_CONCENTRATION",
            DenialCode::GroupExposure => "GROUP_EXPOSURE",
            DenialCode::MaxLeverage => "MAX_LEVERAGE",
            DenialCode::CashBuffer => "CASH_BUFFER",
            DenialCode::NoReferencePrice => "NO_REFERENCE_PRICE",
            DenialCode::StaleData => "STALE_DATA",
            DenialCode::DuplicateClientOrderId => "DUPLICATE_CLIENT_ORDER_ID",
            DenialCode::VarLimit => "VAR_LIMIT",
            DenialCode::InstrumentRules => "INSTRUMENT_RULES",
            DenialCode::InsufficientPosition => "INSUFFICIENT_POSITION",
            DenialCode::InsufficientCash => "INSUFFICIENT_CASH",
            DenialCode::UnsupportedOrder => "UNSUPPORTED_ORDER",
            DenialCode::OutOfRange => "OUT_OF_RANGE",
            DenialCode::WarmingUp => "WARMING_UP",
        }
    }
}

/// A refused order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk {}: {message}", code.as_str())]
pub struct Denial {
    pub code: DenialCode,
    pub message: String,
}

/// The order being checked, and the account around it.
#[derive(Debug, Clone, Copy)]
pub struct OrderCheck<'a> {
    pub now: UnixNanos,
    pub instrument: &'a Instrument,
    pub side: Side,
    /// Base quantity; for a notional order, its estimate at the reference price.
    pub qty: Option<Quantity>,
    /// The amount of a notional (quote-quantity) order.
    pub amount: Option<Money>,
    /// Limit price (limit, stop-limit) or trigger (stop), if any.
    pub price: Option<Price>,
    pub reduce_only: bool,
    /// Last price of the instrument.
    pub mark: Option<Price>,
    /// Time since the instrument's last market data, if it had any.
    pub data_age_ns: Option<i64>,
    /// Signed position in the instrument.
    pub position: Quantity,
    pub equity: Money,
    pub cash: Money,
    pub gross_exposure: Money,
    pub net_exposure: Money,
}

/// Absolute exposure of any instrument, for group limits.
pub trait Exposures {
    fn abs_exposure(&self, instrument: InstrumentId) -> Money;
}

/// What the engine must do after a post-trade update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RiskAction {
    /// Cancel every working order (the state is now `Halted`).
    CancelAll { reason: String },
    /// Cancel every working order and close every position.
    Flatten { reason: String },
    /// Nothing to cancel; only the state changed (to `Reducing`).
    Reduce { reason: String },
}

struct Group {
    name: String,
    members: Vec<InstrumentId>,
    max_gross: Money,
}

/// Pre-trade checks, trading state and post-trade stops for one account.
pub struct RiskEngine {
    limits: RiskLimits,
    /// Whether any limit is set (fixed at construction).
    has_limits: bool,
    /// Whether a daily-loss or drawdown stop is set.
    has_stops: bool,
    state: TradingState,
    symbol: Vec<SymbolLimits>,
    groups: Vec<Group>,
    /// Per instrument, the groups it belongs to.
    member_of: Vec<Vec<usize>>,
    last_second: VecDeque<UnixNanos>,
    last_minute: VecDeque<UnixNanos>,
    per_instrument: Vec<VecDeque<UnixNanos>>,
    consecutive_rejects: u32,
    /// Start of the next UTC day: crossing it resets the daily loss.
    next_day: UnixNanos,
    day_start_equity: Option<Money>,
    peak_equity: Option<Money>,
    /// Per instrument, the open position's stop state (see [`PositionStop`]).
    position_stops: Vec<PositionStop>,
    /// The portfolio VaR model, when a VaR limit is set.
    var: Option<VarModel>,
}

/// What the stop manager remembers of one open position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PositionStop {
    /// +1 long, −1 short, 0 flat.
    sign: i64,
    /// The best mark since the position opened (highest for a long).
    best: Price,
    /// A closing order went out; wait until flat.
    triggered: bool,
}

fn deny(code: DenialCode, message: String) -> Result<(), Denial> {
    Err(Denial { code, message })
}

impl RiskEngine {
    /// An engine for `instruments` (dense ids); limits naming unknown
    /// symbols are errors.
    pub fn new(limits: RiskLimits, instruments: &[Instrument]) -> Result<Self, crate::LimitsError> {
        limits.validate()?;
        let id_of = |s: &str, key: &str| {
            instruments.iter().find(|i| i.symbol == s).map(|i| i.id).ok_or_else(|| crate::LimitsError::Invalid {
                key: key.to_string(),
                problem: format!("unknown symbol `{s}` (this run trades {})", {
                    let names: Vec<_> = instruments.iter().map(|i| i.symbol.as_str()).collect();
                    names.join(", ")
                }),
            })
        };
        let mut symbol = vec![SymbolLimits::default(); instruments.len()];
        for (s, l) in &limits.position_limits.symbols {
            symbol[id_of(s, &format!("position_limits.symbols.{s}"))?.index()] = l.clone();
        }
        let mut groups = Vec::new();
        let mut member_of = vec![Vec::new(); instruments.len()];
        for (name, g) in &limits.position_limits.groups {
            let members = g
                .symbols
                .iter()
                .map(|s| id_of(s, &format!("position_limits.groups.{name}.symbols")))
                .collect::<Result<Vec<_>, _>>()?;
            for m in &members {
                member_of[m.index()].push(groups.len());
            }
            groups.push(Group { name: name.clone(), members, max_gross: g.max_gross_exposure });
        }
        Ok(Self {
            has_limits: limits != RiskLimits::default(),
            has_stops: limits.risk_metrics.daily_loss_limit.is_some() || limits.risk_metrics.max_drawdown.is_some(),
            state: TradingState::Active,
            symbol,
            groups,
            member_of,
            last_second: VecDeque::new(),
            last_minute: VecDeque::new(),
            per_instrument: vec![VecDeque::new(); instruments.len()],
            consecutive_rejects: 0,
            next_day: i64::MIN,
            day_start_equity: None,
            peak_equity: None,
            position_stops: vec![PositionStop::default(); instruments.len()],
            var: limits.risk_metrics.var_limit_1d_95.map(|_| {
                let m = &limits.risk_metrics;
                VarModel::new(instruments.len(), m.var_lambda.unwrap_or(0.94), m.var_min_days.unwrap_or(20))
            }),
            limits,
        })
    }

    /// Puts the account under new limits while it trades. What the engine
    /// has learned is kept: the trading state, the order-rate windows,
    /// rejects in a row, the day's starting and the peak equity, and each
    /// position's stop state. Bad limits are refused and the old ones stay.
    pub fn replace_limits(&mut self, limits: RiskLimits, instruments: &[Instrument]) -> Result<(), crate::LimitsError> {
        let fresh = Self::new(limits, instruments)?;
        let old = std::mem::replace(self, fresh);
        self.state = old.state;
        self.last_second = old.last_second;
        self.last_minute = old.last_minute;
        self.per_instrument = old.per_instrument;
        self.consecutive_rejects = old.consecutive_rejects;
        self.next_day = old.next_day;
        self.day_start_equity = old.day_start_equity;
        self.peak_equity = old.peak_equity;
        self.position_stops = old.position_stops;
        // The same model keeps its history; a new limit only changes the bound.
        if let (Some(var), Some(old_var)) = (&mut self.var, old.var) {
            *var = old_var;
        }
        Ok(())
    }

    /// Whether the engine follows prices and positions for a VaR limit.
    pub fn tracks_var(&self) -> bool {
        self.var.is_some()
    }

    /// A price of `instrument` at `ts` (for the VaR model).
    pub fn on_price(&mut self, instrument: InstrumentId, price: Price, ts: UnixNanos) {
        if let Some(var) = &mut self.var {
            var.on_price(instrument.index(), price.to_f64(), ts);
        }
    }

    /// The position in `instrument` is now `qty` (for the VaR model).
    pub fn on_position(&mut self, instrument: InstrumentId, qty: Quantity) {
        if let Some(var) = &mut self.var {
            var.on_position(instrument.index(), qty.to_f64());
        }
    }

    /// The portfolio's one-day 95 % VaR, when a VaR limit is set and
    /// enough daily returns are in.
    pub fn var_1d_95(&self) -> Option<f64> {
        self.var.as_ref().and_then(VarModel::var)
    }

    /// Whether a stop-loss or trailing stop is configured.
    pub fn has_position_stops(&self) -> bool {
        self.limits.stops.stop_loss.is_some() || self.limits.stops.trailing_stop.is_some()
    }

    /// The stop manager, at a new mark of a position: `qty` its signed
    /// size, `avg_price` its average entry. Returns why the position must
    /// be closed, once per position (again only after it went flat or
    /// changed side).
    pub fn on_position_mark(
        &mut self,
        instrument: InstrumentId,
        qty: Quantity,
        avg_price: Option<Price>,
        mark: Price,
    ) -> Option<String> {
        let st = &mut self.position_stops[instrument.index()];
        let sign = qty.raw().signum();
        if sign == 0 {
            *st = PositionStop::default();
            return None;
        }
        if st.sign != sign {
            *st = PositionStop { sign, best: avg_price.unwrap_or(mark), triggered: false };
        }
        st.best = if sign > 0 { st.best.max(mark) } else { st.best.min(mark) };
        if st.triggered {
            return None;
        }
        // Adverse move from a reference price, as a fraction of it (> 0 is a loss).
        let adverse = |from: Price| (from.to_f64() - mark.to_f64()) * sign as f64 / from.to_f64();
        let stops = &self.limits.stops;
        let side = if sign > 0 { "long" } else { "short" };
        let reason = match (stops.stop_loss, avg_price, stops.trailing_stop) {
            (Some(sl), Some(avg), _) if avg.is_positive() && adverse(avg) >= sl.to_f64() => Some(format!(
                "STOP_LOSS: {side} position marked at {mark} is {:.2} % from its average entry {avg} (stop {})",
                adverse(avg) * 100.0,
                sl
            )),
            (_, _, Some(ts)) if st.best.is_positive() && adverse(st.best) >= ts.to_f64() => Some(format!(
                "TRAILING_STOP: {side} position marked at {mark} is {:.2} % from its best mark {} (stop {})",
                adverse(st.best) * 100.0,
                st.best,
                ts
            )),
            _ => None,
        };
        st.triggered = reason.is_some();
        reason
    }

    pub fn state(&self) -> TradingState {
        self.state
    }

    /// Sets the state by hand (an operator resuming after a halt).
    pub fn set_state(&mut self, state: TradingState) {
        self.state = state;
    }

    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// Whether a check can deny anything: false with no limits while
    /// active, so callers may skip building an [`OrderCheck`].
    #[inline]
    pub fn is_checking(&self) -> bool {
        self.has_limits || self.state != TradingState::Active
    }

    /// Stops all order flow at once; the engine cancels (and flattens).
    pub fn kill_switch(&mut self, flatten: bool) -> RiskAction {
        self.state = TradingState::Halted;
        let reason = "kill switch".to_string();
        if flatten { RiskAction::Flatten { reason } } else { RiskAction::CancelAll { reason } }
    }

    /// Checks a new order. `flattening` marks the engine's own closing
    /// orders after a kill switch or breach, which pass a halt.
    pub fn check(&self, o: &OrderCheck, book: &dyn Exposures, flattening: bool) -> Result<(), Denial> {
        let sym = &o.instrument.symbol;
        let signed = |q: Quantity| Quantity::from_raw(q.raw() * o.side.sign());
        let qty = o.qty.unwrap_or(Quantity::ZERO);
        let new_pos = o.position + signed(qty);
        let reduces = new_pos.abs() <= o.position.abs()
            && (new_pos.is_zero() || new_pos.is_positive() == o.position.is_positive());
        match self.state {
            TradingState::Halted if !(flattening && reduces) => {
                return deny(
                    DenialCode::Halted,
                    "trading is halted (kill switch or risk breach); only the engine's closing orders pass".into(),
                );
            }
            TradingState::Reducing if !reduces => {
                return deny(
                    DenialCode::ReducingOnly,
                    format!(
                        "trading is reducing-only: this {} would take {sym} from {} to {new_pos}",
                        o.side, o.position
                    ),
                );
            }
            _ => {}
        }
        if let (Some(max_ms), Some(age)) = (self.limits.circuit_breakers.max_data_age_ms, o.data_age_ns)
            && age > max_ms as i64 * 1_000_000
        {
            return deny(
                DenialCode::StaleData,
                format!("market data for {sym} is {} ms old, over {max_ms} ms", age / 1_000_000),
            );
        }
        let ol = &self.limits.order_limits;
        let price = o.price.or(o.mark);
        if let Some(max) = ol.max_quantity
            && qty > max
        {
            return deny(DenialCode::MaxOrderQuantity, format!("order quantity {qty} {sym} exceeds the limit {max}"));
        }
        let order_notional = o.amount.or(price.map(|p| Money::notional(p, qty)));
        if let Some(max) = ol.max_notional {
            match order_notional {
                Some(n) if n > max => {
                    return deny(
                        DenialCode::MaxOrderNotional,
                        format!("order notional {n:.2} exceeds the limit {max:.2}"),
                    );
                }
                None => {
                    return deny(DenialCode::NoReferencePrice, format!("no price for {sym} yet to value the order"));
                }
                _ => {}
            }
        }
        if let (Some(bps), Some(limit), Some(mark)) = (ol.price_band_bps, o.price, o.mark) {
            let band = Rate::from_bps(bps as i64).of_price(mark);
            if (limit - mark).abs() > band {
                return deny(
                    DenialCode::PriceBand,
                    format!("price {limit} is more than {bps} bps from the last price {mark} of {sym}"),
                );
            }
        }
        // Timestamps are in order: binary search for the window's start.
        let recent = |q: &VecDeque<UnixNanos>, window: i64| q.len() - q.partition_point(|t| o.now - *t >= window);
        if let Some(max) = ol.max_orders_per_second
            && recent(&self.last_second, NANOS_PER_SECOND) >= max as usize
        {
            return deny(DenialCode::OrderRate, format!("more than {max} orders in one second"));
        }
        if let Some(max) = ol.max_orders_per_minute
            && recent(&self.last_minute, NANOS_PER_MINUTE) >= max as usize
        {
            return deny(DenialCode::OrderRate, format!("more than {max} orders in one minute"));
        }
        if let Some(max) = ol.max_orders_per_second_per_instrument
            && recent(&self.per_instrument[o.instrument.id.index()], NANOS_PER_SECOND) >= max as usize
        {
            return deny(DenialCode::InstrumentOrderRate, format!("more than {max} orders in one second on {sym}"));
        }
        if reduces || o.reduce_only {
            return Ok(());
        }
        self.check_exposure(o, book, new_pos, price)?;
        self.check_var(o, signed(qty), price)
    }

    /// Denies an order that would raise the VaR above its limit; one that
    /// lowers it (a hedge) passes even over the limit.
    fn check_var(&self, o: &OrderCheck, dq: Quantity, price: Option<Price>) -> Result<(), Denial> {
        let (Some(var), Some(limit)) = (&self.var, self.limits.risk_metrics.var_limit_1d_95) else { return Ok(()) };
        let Some(p) = o.mark.or(price) else {
            return deny(
                DenialCode::NoReferencePrice,
                format!("no price for {} yet to value the order", o.instrument.symbol),
            );
        };
        let (Some(now), Some(after)) = (var.var(), var.var_after(o.instrument.id.index(), dq.to_f64(), p.to_f64()))
        else {
            return Ok(());
        };
        if after > limit.to_f64() && after > now {
            return deny(
                DenialCode::VarLimit,
                format!(
                    "the order would take the portfolio's 1-day 95 % VaR from {now:.2} to {after:.2}, over the limit {limit:.2}"
                ),
            );
        }
        Ok(())
    }

    fn check_exposure(
        &self,
        o: &OrderCheck,
        book: &dyn Exposures,
        new_pos: Quantity,
        price: Option<Price>,
    ) -> Result<(), Denial> {
        let sym = &o.instrument.symbol;
        let pl = &self.limits.position_limits;
        let sl = &self.symbol[o.instrument.id.index()];
        for (max, scope) in [(pl.max_quantity, "per instrument"), (sl.max_quantity, "for this symbol")] {
            if let Some(max) = max
                && new_pos.abs() > max
            {
                return deny(
                    DenialCode::MaxPositionQuantity,
                    format!("position in {sym} would be {new_pos}, over the {scope} limit {max}"),
                );
            }
        }
        let needs_price = pl.max_notional.is_some()
            || sl.max_notional.is_some()
            || pl.max_gross_exposure.is_some()
            || pl.max_net_exposure.is_some()
            || pl.max_concentration.is_some()
            || !self.member_of[o.instrument.id.index()].is_empty()
            || self.limits.margin.max_leverage.is_some()
            || self.limits.margin.cash_buffer.is_some();
        if !needs_price {
            return Ok(());
        }
        let Some(mark) = o.mark.or(price) else {
            return deny(DenialCode::NoReferencePrice, format!("no price for {sym} yet to value the position"));
        };
        let new_abs = Money::notional(mark, new_pos.abs());
        let old_abs = Money::notional(mark, o.position.abs());
        for (max, scope) in [(pl.max_notional, "per instrument"), (sl.max_notional, "for this symbol")] {
            if let Some(max) = max
                && new_abs > max
            {
                return deny(
                    DenialCode::MaxPositionNotional,
                    format!("position in {sym} would be worth {new_abs:.2}, over the {scope} limit {max:.2}"),
                );
            }
        }
        let gross = o.gross_exposure - old_abs + new_abs;
        if let Some(max) = pl.max_gross_exposure
            && gross > max
        {
            return deny(DenialCode::MaxGrossExposure, format!("gross exposure would be {gross:.2}, over {max:.2}"));
        }
        let net = o.net_exposure - Money::notional(mark, o.position) + Money::notional(mark, new_pos);
        if let Some(max) = pl.max_net_exposure
            && net.abs() > max
        {
            return deny(DenialCode::MaxNetExposure, format!("net exposure would be {net:.2}, over ±{max:.2}"));
        }
        if let Some(max) = pl.max_concentration
            && new_abs > max.of_money(o.equity)
        {
            return deny(
                DenialCode::MaxConcentration,
                format!("{sym} would be {new_abs:.2} of equity {:.2}, over {max}", o.equity),
            );
        }
        for &g in &self.member_of[o.instrument.id.index()] {
            let group = &self.groups[g];
            let total: Money = group.members.iter().map(|m| book.abs_exposure(*m)).sum::<Money>() - old_abs + new_abs;
            if total > group.max_gross {
                return deny(
                    DenialCode::GroupExposure,
                    format!("group `{}` would be {total:.2}, over {:.2}", group.name, group.max_gross),
                );
            }
        }
        if let Some(max) = self.limits.margin.max_leverage {
            if !o.equity.is_positive() {
                return deny(DenialCode::MaxLeverage, "equity is not positive: no new exposure".into());
            }
            let leverage = gross.ratio(o.equity);
            if leverage > max {
                return deny(DenialCode::MaxLeverage, format!("leverage would be {leverage:.2}, over {max}"));
            }
        }
        if let Some(buffer) = self.limits.margin.cash_buffer
            && o.side == Side::Buy
        {
            let cost = o.amount.unwrap_or(Money::notional(price.unwrap_or(mark), o.qty.unwrap_or(Quantity::ZERO)));
            let keep = buffer.of_money(o.equity);
            if o.cash - cost < keep {
                return deny(
                    DenialCode::CashBuffer,
                    format!("cash after the order would be {:.2}, under the buffer {keep:.2}", o.cash - cost),
                );
            }
        }
        Ok(())
    }

    /// Records an order that passed and was sent (for the rate windows).
    pub fn record_order(&mut self, now: UnixNanos, instrument: InstrumentId) {
        let trim = |q: &mut VecDeque<UnixNanos>, window: i64| {
            while q.front().is_some_and(|t| now - *t >= window) {
                q.pop_front();
            }
        };
        let ol = &self.limits.order_limits;
        if ol.max_orders_per_second.is_some() {
            self.last_second.push_back(now);
            trim(&mut self.last_second, NANOS_PER_SECOND);
        }
        if ol.max_orders_per_minute.is_some() {
            self.last_minute.push_back(now);
            trim(&mut self.last_minute, NANOS_PER_MINUTE);
        }
        if ol.max_orders_per_second_per_instrument.is_some() {
            let q = &mut self.per_instrument[instrument.index()];
            q.push_back(now);
            trim(q, NANOS_PER_SECOND);
        }
    }

    /// A venue refused an order. After too many in a row, trading halts
    /// (something is wrong with the orders or the venue).
    pub fn on_venue_reject(&mut self) -> Option<RiskAction> {
        self.consecutive_rejects += 1;
        let max = self.limits.circuit_breakers.max_consecutive_rejects?;
        if self.consecutive_rejects < max || self.state == TradingState::Halted {
            return None;
        }
        self.state = TradingState::Halted;
        Some(RiskAction::CancelAll { reason: format!("{} venue rejections in a row", self.consecutive_rejects) })
    }

    /// An order filled at `price`; `expected` is what it was priced at
    /// when sent (its limit, or the last price for a market order).
    pub fn on_fill(&mut self, expected: Option<Price>, price: Price) -> Option<RiskAction> {
        self.consecutive_rejects = 0;
        let (max_bps, expected) = (self.limits.circuit_breakers.max_fill_deviation_bps?, expected?);
        if !expected.is_positive() || self.state == TradingState::Halted {
            return None;
        }
        let bps = (price - expected).abs().to_f64() / expected.to_f64() * 10_000.0;
        if bps <= max_bps as f64 {
            return None;
        }
        self.state = TradingState::Halted;
        Some(RiskAction::CancelAll {
            reason: format!("fill at {price} is {bps:.0} bps from the expected {expected}, over {max_bps} bps"),
        })
    }

    /// Post-trade: the account's equity at `now`. Returns what the engine
    /// must do when a daily-loss or drawdown limit is breached.
    #[inline]
    pub fn on_equity(&mut self, now: UnixNanos, equity: Money) -> Option<RiskAction> {
        if !self.has_stops {
            return None;
        }
        let m = &self.limits.risk_metrics;
        if now >= self.next_day {
            self.next_day = (utc_day(now) + 1) * NANOS_PER_DAY;
            self.day_start_equity = Some(equity);
        }
        let peak = *self.peak_equity.get_or_insert(equity);
        if equity > peak {
            self.peak_equity = Some(equity);
        }
        if self.state == TradingState::Halted {
            return None;
        }
        let mut breach = None;
        if let (Some(limit), Some(start)) = (m.daily_loss_limit, self.day_start_equity)
            && start - equity >= limit
        {
            breach = Some(format!("daily loss {:.2} reached the limit {limit:.2}", start - equity));
        }
        if let Some(max) = m.max_drawdown
            && peak.is_positive()
            && (peak - equity).ratio(peak) >= max.to_f64()
        {
            breach = Some(format!(
                "drawdown {:.2} % from the peak {peak:.2} reached the limit {max}",
                (peak - equity).ratio(peak) * 100.0
            ));
        }
        let reason = breach?;
        match m.on_breach {
            OnBreach::Reduce if self.state == TradingState::Reducing => None,
            OnBreach::Reduce => {
                self.state = TradingState::Reducing;
                Some(RiskAction::Reduce { reason })
            }
            OnBreach::Halt => {
                self.state = TradingState::Halted;
                Some(RiskAction::CancelAll { reason })
            }
            OnBreach::Flatten => {
                self.state = TradingState::Halted;
                Some(RiskAction::Flatten { reason })
            }
        }
    }
}

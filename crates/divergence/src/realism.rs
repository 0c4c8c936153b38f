//! Realism: the backtest on the recorded market data, against what really
//! happened, order by order.
//!
//! The backtest runs the same strategy on the market events the live
//! kernel saw (trades, quotes, bars; book changes when the feed had them,
//! then on the order-book venue), with the venue's fee rate. Orders are
//! paired by id (both kernels number them in submission order) and each
//! difference is put in a category:
//!
//! * `fees`: the same fill, a different fee;
//! * `latency`: the market moved between the backtest's fill time and the
//!   live one (the market price at each, from the recorded trades);
//! * `slippage`: the live price beyond where the market was at its time;
//! * `queue_position`: a resting order filled in one run and not the other
//!   (the venue's queue is not the simulator's), valued at the last price;
//! * `path`: an order only one run sent, or sent differently: after an
//!   earlier difference, the runs hold different positions, and the
//!   strategy decides differently.
//!
//! The P&L difference (live minus backtest, each marked at the last price)
//! is the sum of the categories' effects; `path` also takes what no single
//! order explains, so the attribution always adds up, and the report says
//! how much that was.

use std::collections::HashMap;

use pyrt_engine::{ChannelVenue, Engine, NotionalSizer, OrderRecord, Venue};
use pyrt_live::recording::Recording;
use pyrt_model::{
    ExecutionReport, Fill, MarketEvent, Money, OrderKind, OrderStatus, Price, Quantity, Side, UnixNanos, VenueCommand,
};
use pyrt_sim::{BookVenue, SimConfig, SimVenue};
use serde::Serialize;

use crate::{DivergenceError, Latency, engine_like};

/// One side's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Books {
    pub orders: usize,
    pub fills: usize,
    pub filled_qty: Quantity,
    pub fees: Money,
    /// Equity at the end minus the starting cash, marked at the last price.
    pub pnl: Money,
    pub position: Quantity,
}

/// One order, live against backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderDiff {
    pub order_id: u64,
    pub side: Option<Side>,
    pub kind: Option<&'static str>,
    /// Each order's end (or current) state in each run (`None`: not sent there).
    pub live_status: Option<OrderStatus>,
    pub backtest_status: Option<OrderStatus>,
    /// Why the backtest's venue or checks refused or cancelled it.
    pub backtest_reason: Option<String>,
    pub live_filled: Quantity,
    pub backtest_filled: Quantity,
    /// Average fill prices.
    pub live_price: Option<Price>,
    pub backtest_price: Option<Price>,
    pub live_fees: Money,
    pub backtest_fees: Money,
    /// First live fill's time minus the backtest's (ns), when both filled.
    pub fill_delay_ns: Option<i64>,
    /// Both runs sent this order id with the same request (side,
    /// quantity, kind, prices, flags). When not, the runs had parted
    /// earlier: the difference is `path`, even where the fills coincide.
    pub same_request: bool,
    /// What explains the difference; empty when the two agree.
    pub categories: Vec<&'static str>,
    /// The order's part of the P&L difference (live minus backtest).
    pub pnl_effect: Money,
}

/// The P&L difference (live minus backtest) by cause.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Attribution {
    pub total: Money,
    pub fees: Money,
    pub latency: Money,
    pub slippage: Money,
    pub queue_position: Money,
    pub path: Money,
    /// The part of `path` no single order explains.
    pub path_residual: Money,
}

/// The realism answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealismReport {
    /// The simulated venue: `bars` (trades and bars) or `book`.
    pub venue: &'static str,
    pub fees: String,
    /// The order round trip the backtest used, and the one measured.
    pub latency: Latency,
    /// Buys paid their fee in the coin bought (as the live venue's did).
    pub buy_fees_in_base: bool,
    pub live: Books,
    pub backtest: Books,
    pub orders: Vec<OrderDiff>,
    pub attribution: Attribution,
}

/// The backtest's venue made to behave as the live one did around its
/// matching: a notional order reaches it in the lots the live channel
/// sized it to, and when the live venue took buy fees in the coin bought
/// (Binance), the simulated fills do too. Otherwise a backtest would hold
/// a few more coins after every buy, sell that many, and part from the
/// live run on every order for a reason no one would call realism.
struct LikeLive<V> {
    sizer: Option<NotionalSizer>,
    buy_fees_in_base: bool,
    inner: V,
}

impl<V> LikeLive<V> {
    /// A buy's fee as coins: its value at the fill price, to eight decimals
    /// (the venue's precision), and the fee as those coins' value.
    fn fees_in_base(&self, out: &mut [ExecutionReport]) {
        if !self.buy_fees_in_base {
            return;
        }
        for r in out {
            if let ExecutionReport::Filled(f) = r
                && f.side == Side::Buy
                && f.fee.is_positive()
                && f.price.is_positive()
            {
                let coins = pyrt_model::fixed::div_round_half_even(f.fee.raw(), f.price.raw() as i128);
                let coins = Quantity::from_raw(coins as i64).floor_to(Quantity::from_raw(10));
                f.fee_base = coins;
                f.fee = Money::notional(f.price, coins);
            }
        }
    }
}

impl<V: Venue> Venue for LikeLive<V> {
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let start = out.len();
        match (cmd, &self.sizer) {
            (VenueCommand::Submit { order_id, request }, Some(sizer)) => {
                if let Some(request) = sizer.size(order_id, request, now, out) {
                    self.inner.handle(VenueCommand::Submit { order_id, request }, now, out);
                }
            }
            (cmd, _) => self.inner.handle(cmd, now, out),
        }
        self.fees_in_base(&mut out[start..]);
    }

    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        if let Some(sizer) = &mut self.sizer {
            sizer.on_market(event);
        }
        let start = out.len();
        self.inner.on_market(event, now, out);
        self.fees_in_base(&mut out[start..]);
    }
}

/// Market prices through the run (trades and bar closes), for "where was
/// the market when this filled".
struct PriceTape(Vec<(UnixNanos, Price)>);

impl PriceTape {
    fn of(events: &[MarketEvent]) -> Self {
        Self(
            events
                .iter()
                .filter_map(|e| match e {
                    MarketEvent::Trade(t) => Some((t.ts_recv, t.price)),
                    MarketEvent::Bar(b) => Some((b.ts_recv, b.close)),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The last price at or before `ts` (the first one before that).
    fn at(&self, ts: UnixNanos) -> Option<Price> {
        let i = self.0.partition_point(|(t, _)| *t <= ts);
        self.0.get(i.saturating_sub(1)).map(|(_, p)| *p)
    }

    fn last(&self) -> Option<Price> {
        self.0.last().map(|(_, p)| *p)
    }
}

fn books<V: Venue>(engine: &Engine<V>, initial: Money) -> Books {
    let fills = engine.fills();
    Books {
        orders: engine.orders().all().len(),
        fills: fills.len(),
        filled_qty: fills.iter().fold(Quantity::ZERO, |a, f| a + f.qty),
        fees: fills.iter().fold(Money::ZERO, |a, f| a + f.fee),
        pnl: engine.portfolio().equity() - initial,
        position: engine.portfolio().positions().iter().fold(Quantity::ZERO, |a, p| a + p.qty),
    }
}

/// The fee spec the live fills paid, in basis points of their notional.
fn live_fee_spec(fills: &[Fill]) -> String {
    let notional = fills.iter().fold(Money::ZERO, |a, f| a + Money::notional(f.price, f.qty));
    let fees = fills.iter().fold(Money::ZERO, |a, f| a + f.fee);
    if notional.is_zero() || fees.is_zero() {
        return "none".into();
    }
    // Statistics, not accounting: a rate to two decimals of a basis point.
    let bps = (fees.ratio(notional) * 1_000_000.0).round() / 100.0;
    format!("bps:{bps}")
}

/// `(filled, average price, fees, first fill time)` of an order.
fn filled(order: &OrderRecord, fills: &HashMap<u64, Vec<Fill>>) -> (Quantity, Option<Price>, Money, Option<i64>) {
    let price = (!order.filled.is_zero()).then(|| {
        Price::from_raw(
            pyrt_model::fixed::div_round_half_even(order.filled_notional.raw(), order.filled.raw() as i128) as i64
        )
    });
    let first = fills.get(&order.id.0).and_then(|f| f.first()).map(|f| f.ts);
    (order.filled, price, order.fees, first)
}

/// `qty` at `price` as the position moves: what the fill is worth at
/// `mark` (negative: paid more than it is worth).
fn marked_value(side: Side, qty: Quantity, price: Price, mark: Price) -> Money {
    let gain = Money::notional(mark - price, qty);
    if side == Side::Buy { gain } else { -gain }
}

/// Compares the live run (`live`, the replay's engine) with a backtest of
/// the recording.
pub fn compare(
    recording: &Recording,
    live: &Engine<ChannelVenue>,
    strategy: Box<dyn pyrt_engine::Strategy>,
    fees: Option<&str>,
    latency: Latency,
) -> Result<RealismReport, DivergenceError> {
    let market: Vec<MarketEvent> = recording
        .events
        .iter()
        .filter(|e| e["event"]["type"] == "market")
        .map(|e| {
            serde_json::from_value(e["event"]["event"].clone()).map_err(|err| DivergenceError::BadEvent {
                seq: e["seq"].as_u64().unwrap_or(0),
                reason: err.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let live_fills: Vec<Fill> = live.fills().iter().copied().collect();
    let fees = fees.map_or_else(|| live_fee_spec(&live_fills), str::to_string);
    let fee_model =
        pyrt_sim::parse_fees(&fees).map_err(|e| DivergenceError::Fees { spec: fees.clone(), reason: e.to_string() })?;
    let instruments = recording.header.instruments.clone();
    let has_book = market.iter().any(|e| matches!(e, MarketEvent::BookDelta(_)));
    let initial = recording.header.initial_cash;
    let events = || market.iter().copied().map(Ok::<_, std::convert::Infallible>);
    let sizer = (!recording.header.native_notional).then(|| NotionalSizer::new(instruments.clone()));
    let buy_fees_in_base = live_fills.iter().any(|f| f.side == Side::Buy && f.fee_base.is_positive());
    let (venue, backtest_books, backtest_orders, backtest_fills) = if has_book {
        let venue = LikeLive { sizer, buy_fees_in_base, inner: BookVenue::new(instruments, fee_model) };
        let mut engine = engine_like(recording, venue, strategy, Some(&latency))?;
        engine.run(events()).map_err(DivergenceError::Backtest)?;
        let orders: Vec<OrderRecord> = engine.orders().all().iter().cloned().collect();
        ("book", books(&engine, initial), orders, engine.fills().iter().copied().collect::<Vec<_>>())
    } else {
        let config = SimConfig { fees: fee_model, ..SimConfig::default() };
        let venue = LikeLive { sizer, buy_fees_in_base, inner: SimVenue::new(instruments, config) };
        let mut engine = engine_like(recording, venue, strategy, Some(&latency))?;
        engine.run(events()).map_err(DivergenceError::Backtest)?;
        let orders: Vec<OrderRecord> = engine.orders().all().iter().cloned().collect();
        ("bars", books(&engine, initial), orders, engine.fills().iter().copied().collect::<Vec<_>>())
    };
    let tape = PriceTape::of(&market);
    let last = tape.last().unwrap_or(Price::ZERO);
    let by_order = |fills: &[Fill]| {
        let mut map: HashMap<u64, Vec<Fill>> = HashMap::new();
        for f in fills {
            map.entry(f.order_id.0).or_default().push(*f);
        }
        map
    };
    let (live_by, bt_by) = (by_order(&live_fills), by_order(&backtest_fills));
    let live_orders: HashMap<u64, &OrderRecord> = live.orders().all().iter().map(|o| (o.id.0, o)).collect();
    let bt_orders: HashMap<u64, &OrderRecord> = backtest_orders.iter().map(|o| (o.id.0, o)).collect();
    let mut ids: Vec<u64> = live_orders.keys().chain(bt_orders.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();

    let mut attribution = Attribution::default();
    let mut diffs = Vec::with_capacity(ids.len());
    for id in ids {
        let (l, b) = (live_orders.get(&id).copied(), bt_orders.get(&id).copied());
        let any = l.or(b).expect("an id from one of them");
        let side = any.request.side;
        let (lq, lp, lf, lt) = l.map_or((Quantity::ZERO, None, Money::ZERO, None), |o| filled(o, &live_by));
        let (bq, bp, bf, bt) = b.map_or((Quantity::ZERO, None, Money::ZERO, None), |o| filled(o, &bt_by));
        let mut d = OrderDiff {
            order_id: id,
            side: Some(side),
            kind: Some(any.request.kind.name()),
            live_status: l.map(|o| o.status),
            backtest_status: b.map(|o| o.status),
            backtest_reason: b.and_then(|o| o.reason.clone()),
            live_filled: lq,
            backtest_filled: bq,
            live_price: lp,
            backtest_price: bp,
            live_fees: lf,
            backtest_fees: bf,
            fill_delay_ns: lt.zip(bt).map(|(a, b)| a - b),
            same_request: matches!((l, b), (Some(l), Some(b)) if l.request == b.request),
            categories: Vec::new(),
            pnl_effect: Money::ZERO,
        };
        if !d.same_request {
            // One run sent it and the other did not, or sent something else.
            let live_value = lp.map_or(Money::ZERO, |p| marked_value(side, lq, p, last)) - lf;
            let bt_value = bp.map_or(Money::ZERO, |p| marked_value(side, bq, p, last)) - bf;
            d.categories.push("path");
            d.pnl_effect = live_value - bt_value;
            attribution.path += d.pnl_effect;
            diffs.push(d);
            continue;
        }
        if lf != bf {
            d.categories.push("fees");
            attribution.fees += bf - lf;
            d.pnl_effect += bf - lf;
        }
        let common = lq.min(bq);
        // The same price is no difference, even when the market moved
        // between the two fill times (latency and slippage would cancel).
        if let (Some(lp), Some(bp), Some(lt), Some(bt)) = (lp, bp, lt, bt)
            && common.is_positive()
            && lp != bp
        {
            // Higher prices help sells and hurt buys.
            let signed = |m: Money| if side == Side::Sell { m } else { -m };
            let total = signed(Money::notional(lp - bp, common));
            let (ml, mb) = (tape.at(lt).unwrap_or(lp), tape.at(bt).unwrap_or(bp));
            let latency = signed(Money::notional(ml - mb, common));
            let slippage = total - latency;
            if !latency.is_zero() {
                d.categories.push("latency");
                attribution.latency += latency;
            }
            if !slippage.is_zero() {
                d.categories.push("slippage");
                attribution.slippage += slippage;
            }
            d.pnl_effect += total;
        }
        if lq != bq {
            // Filled in one run and not (or less) in the other.
            let resting = !matches!(any.request.kind, OrderKind::Market);
            let extra = if lq > bq {
                lp.map_or(Money::ZERO, |p| marked_value(side, lq - bq, p, last))
            } else {
                -bp.map_or(Money::ZERO, |p| marked_value(side, bq - lq, p, last))
            };
            let category = if resting { "queue_position" } else { "latency" };
            d.categories.push(category);
            if resting {
                attribution.queue_position += extra;
            } else {
                attribution.latency += extra;
            }
            d.pnl_effect += extra;
        }
        diffs.push(d);
    }
    let live_books = books(live, initial);
    attribution.total = live_books.pnl - backtest_books.pnl;
    let explained =
        attribution.fees + attribution.latency + attribution.slippage + attribution.queue_position + attribution.path;
    attribution.path_residual = attribution.total - explained;
    attribution.path += attribution.path_residual;
    Ok(RealismReport {
        venue,
        fees,
        latency,
        buy_fees_in_base,
        live: live_books,
        backtest: backtest_books,
        orders: diffs,
        attribution,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_market_price_at_a_time_is_the_last_print_before_it() {
        let tape = PriceTape(vec![(10, Price::from_int(100)), (20, Price::from_int(101)), (30, Price::from_int(99))]);
        assert_eq!(tape.at(5), Some(Price::from_int(100)), "before the first: the first");
        assert_eq!(tape.at(20), Some(Price::from_int(101)));
        assert_eq!(tape.at(29), Some(Price::from_int(101)));
        assert_eq!(tape.last(), Some(Price::from_int(99)));
    }

    #[test]
    fn a_fill_is_worth_what_the_last_price_says() {
        let (q, p, mark) = (Quantity::from_int(2), Price::from_int(100), Price::from_int(103));
        assert_eq!(marked_value(Side::Buy, q, p, mark), Money::from_int(6));
        assert_eq!(marked_value(Side::Sell, q, p, mark), Money::from_int(-6));
    }
}

//! The rules every simulated venue applies to incoming commands, before it
//! looks at the market: the instrument exists, sizes and prices sit on its
//! grid, and the order's options fit its type; when a time-limited order
//! expires; how a cancel is answered.

use pyrt_model::time::{NANOS_PER_DAY, utc_day};
use pyrt_model::{ExecutionReport, Instrument, OrderId, OrderKind, OrderQty, OrderRequest, TimeInForce, UnixNanos};

/// When an order placed at `now` with `tif` expires: the end of the UTC
/// day for DAY, the given time for GTD, never otherwise.
pub fn expiry(tif: TimeInForce, now: UnixNanos) -> Option<UnixNanos> {
    match tif {
        TimeInForce::Day => Some((utc_day(now) + 1) * NANOS_PER_DAY),
        TimeInForce::Gtd(ts) => Some(ts),
        _ => None,
    }
}

/// The answer to a cancel: done if the order was still open, refused if not.
pub fn cancel_answer(order_id: OrderId, now: UnixNanos, was_open: bool) -> ExecutionReport {
    if was_open {
        ExecutionReport::Cancelled { order_id, ts: now, reason: "cancelled".into() }
    } else {
        ExecutionReport::CommandRejected {
            order_id,
            ts: now,
            reason: "cancel rejected: order is not open at the venue".into(),
        }
    }
}

/// Why the venue refuses `req`, in the words of its reject report.
pub fn validate(instruments: &[Instrument], req: &OrderRequest) -> Result<(), String> {
    let Some(inst) = instruments.get(req.instrument.index()) else {
        return Err(format!("unknown instrument id {}", req.instrument.0));
    };
    match req.qty {
        OrderQty::Base(q) => inst.check_quantity(q).map_err(|e| e.to_string())?,
        OrderQty::Quote(amount) => {
            if !amount.is_positive() {
                return Err(format!("notional amount {amount} must be greater than zero"));
            }
            if req.kind != OrderKind::Market {
                return Err("a notional (quote quantity) order must be a market order".into());
            }
        }
    }
    match req.kind {
        OrderKind::Market | OrderKind::TrailingStop { .. } => {}
        OrderKind::Limit { price } => inst.check_price(price).map_err(|e| e.to_string())?,
        OrderKind::Stop { trigger } => inst.check_price(trigger).map_err(|e| e.to_string())?,
        OrderKind::StopLimit { trigger, limit } => {
            inst.check_price(trigger).map_err(|e| e.to_string())?;
            inst.check_price(limit).map_err(|e| e.to_string())?;
        }
    }
    if let OrderKind::TrailingStop { offset } = req.kind {
        let positive = match offset {
            pyrt_model::TrailingOffset::Price(p) => p.is_positive(),
            pyrt_model::TrailingOffset::Bps(b) => b > 0,
        };
        if !positive {
            return Err("trailing offset must be greater than zero".into());
        }
    }
    if req.post_only && !matches!(req.kind, OrderKind::Limit { .. }) {
        return Err("post-only applies to limit orders only".into());
    }
    Ok(())
}

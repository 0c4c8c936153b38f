//! The checks every simulated venue makes on an incoming order, before it
//! looks at the market: the instrument exists, sizes and prices sit on its
//! grid, and the order's options fit its type.

use pyrt_model::{Instrument, OrderKind, OrderQty, OrderRequest};

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

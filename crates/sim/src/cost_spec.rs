//! The one-line text form of the fee and slippage models, shared by the
//! CLI flags (`--fees bps:10`) and the Python package (`fees="bps:10"`).
//!
//! | fees | meaning |
//! |---|---|
//! | `none` | no fees |
//! | `bps:10` | 10 bp of notional, maker and taker |
//! | `bps:-1/5` | maker rebate 1 bp, taker 5 bp |
//! | `per-unit:0.005,min=1,max_bps=100` | per share, with a minimum per fill and a cap in bp of notional |
//! | `fixed:1.5` | a fixed amount per fill |
//!
//! | slippage | meaning |
//! |---|---|
//! | `none` | fills at the model price |
//! | `bps:5` | 5 bp against the taker |
//! | `spread-bps:10` | half of a 10 bp spread |
//! | `sqrt:0.1,cap=0.1` | square-root impact `coef·σ·√participation`, participation capped at 10 % of bar volume |
//!
//! Amounts and rates are parsed as exact decimals; 1 bp is exactly 1e-4.

use pyrt_model::{Money, Rate};

use crate::costs::{Fees, Slippage};

/// A fee or slippage text that does not parse; the message lists the forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} `{spec}`: expected {expected}")]
pub struct CostSpecError {
    what: &'static str,
    spec: String,
    expected: &'static str,
}

const FEE_FORMS: &str = "none, bps:TAKER, bps:MAKER/TAKER, per-unit:AMOUNT[,min=M][,max_bps=B] or fixed:AMOUNT";
const SLIPPAGE_FORMS: &str = "none, bps:B, spread-bps:B or sqrt:COEF[,cap=FRACTION]";

/// Parses a fee model (see the module docs for the forms).
pub fn parse_fees(spec: &str) -> Result<Fees, CostSpecError> {
    let bad = || CostSpecError { what: "fees", spec: spec.to_string(), expected: FEE_FORMS };
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    Ok(match kind {
        "none" => Fees::None,
        "bps" => {
            let (maker, taker) = rest.split_once('/').unwrap_or((rest, rest));
            Fees::Rate { maker: bps(maker).ok_or_else(bad)?, taker: bps(taker).ok_or_else(bad)? }
        }
        "per-unit" => {
            let mut parts = rest.split(',');
            let per_unit: Money = parts.next().unwrap_or("").parse().map_err(|_| bad())?;
            let (mut minimum, mut max_rate) = (Money::ZERO, None);
            for part in parts {
                match part.split_once('=') {
                    Some(("min", v)) => minimum = v.parse().map_err(|_| bad())?,
                    Some(("max_bps", v)) => max_rate = Some(bps(v).ok_or_else(bad)?),
                    _ => return Err(bad()),
                }
            }
            Fees::PerUnit { per_unit, minimum, max_rate }
        }
        "fixed" => Fees::Fixed { per_fill: rest.parse().map_err(|_| bad())? },
        _ => return Err(bad()),
    })
}

/// Parses a slippage model (see the module docs for the forms).
pub fn parse_slippage(spec: &str) -> Result<Slippage, CostSpecError> {
    let bad = || CostSpecError { what: "slippage", spec: spec.to_string(), expected: SLIPPAGE_FORMS };
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    Ok(match kind {
        "none" => Slippage::None,
        "bps" => Slippage::Fixed { rate: bps(rest).ok_or_else(bad)? },
        "spread-bps" => Slippage::HalfSpread { spread: bps(rest).ok_or_else(bad)? },
        "sqrt" => {
            let mut parts = rest.split(',');
            let coefficient: f64 =
                parts.next().unwrap_or("").parse().ok().filter(|c: &f64| c.is_finite() && *c >= 0.0).ok_or_else(bad)?;
            let mut max_participation = Rate::from_int(1);
            for part in parts {
                match part.split_once('=') {
                    Some(("cap", v)) => max_participation = v.parse().map_err(|_| bad())?,
                    _ => return Err(bad()),
                }
            }
            Slippage::SquareRoot { coefficient, max_participation }
        }
        _ => return Err(bad()),
    })
}

fn bps(text: &str) -> Option<Rate> {
    let v: Rate = text.trim().parse().ok()?;
    Some(v.mul_ratio(1, 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_specs() {
        assert_eq!(parse_fees("none").unwrap(), Fees::None);
        assert_eq!(parse_fees("bps:10").unwrap(), Fees::Rate { maker: Rate::from_bps(10), taker: Rate::from_bps(10) });
        assert_eq!(parse_fees("bps:-1/5").unwrap(), Fees::Rate { maker: Rate::from_bps(-1), taker: Rate::from_bps(5) });
        assert_eq!(
            parse_fees("per-unit:0.005,min=1,max_bps=100").unwrap(),
            Fees::PerUnit {
                per_unit: "0.005".parse().unwrap(),
                minimum: Money::from_int(1),
                max_rate: Some(Rate::from_bps(100))
            }
        );
        assert_eq!(parse_fees("fixed:1.5").unwrap(), Fees::Fixed { per_fill: "1.5".parse().unwrap() });
        let e = parse_fees("bps:x").unwrap_err().to_string();
        assert!(e.starts_with("invalid fees `bps:x`: expected none, bps:TAKER"), "{e}");
        assert!(parse_fees("percent:1").is_err());
        assert!(parse_fees("per-unit:0.01,minimum=1").is_err());
    }

    #[test]
    fn slippage_specs() {
        assert_eq!(parse_slippage("bps:2.5").unwrap(), Slippage::Fixed { rate: "0.00025".parse().unwrap() });
        assert_eq!(parse_slippage("spread-bps:10").unwrap(), Slippage::HalfSpread { spread: Rate::from_bps(10) });
        assert_eq!(
            parse_slippage("sqrt:0.1,cap=0.05").unwrap(),
            Slippage::SquareRoot { coefficient: 0.1, max_participation: "0.05".parse().unwrap() }
        );
        assert!(parse_slippage("sqrt:-1").is_err());
        assert!(
            parse_slippage("sqrt:0.1,cap=x").unwrap_err().to_string().contains("invalid slippage `sqrt:0.1,cap=x`")
        );
    }
}

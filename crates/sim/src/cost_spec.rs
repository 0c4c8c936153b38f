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
//!
//! Every number has bounds, because a typo in a cost must not turn a
//! backtest into a fortune (`bps:-99999` would pay 999.99 % of every
//! trade's notional back):
//!
//! | parameter | bounds |
//! |---|---|
//! | taker fee rate | 0 to 1000 bp |
//! | maker fee rate | −100 bp (a rebate) to 1000 bp |
//! | `max_bps` fee cap | 0 to 1000 bp |
//! | `per-unit` amount, `min` | 0 to 1,000 a unit; 0 to 1,000,000 a fill |
//! | `fixed` amount | 0 to 1,000,000 a fill |
//! | slippage `bps`, `spread-bps` | 0 to 1000 bp |
//! | `sqrt` coefficient | 0 to 10 |
//! | `sqrt` `cap` (participation) | above 0, at most 1 |

use pyrt_model::{Money, Rate};

use crate::costs::{Fees, Slippage};

/// A fee or slippage text that does not parse, or a number in it outside
/// its bounds; the message says which and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostSpecError {
    #[error("invalid {what} `{spec}`: expected {expected}")]
    Form { what: &'static str, spec: String, expected: &'static str },
    #[error("invalid {what} `{spec}`: {bounds}")]
    OutOfBounds { what: &'static str, spec: String, bounds: OutOfBounds },
}

/// A number outside its bounds: which, its value, and the bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfBounds {
    pub field: &'static str,
    pub value: String,
    pub bounds: &'static str,
}

impl std::fmt::Display for OutOfBounds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the {} {} is outside its bounds, {}", self.field, self.value, self.bounds)
    }
}

const FEE_BPS: &str = "0 to 1000 bp (10 = 0.1 % of notional)";
const REBATE_BPS: &str = "-100 bp (a rebate) to 1000 bp";
const SLIPPAGE_BPS: &str = "0 to 1000 bp (slippage always works against the trader)";

fn bps_within(field: &'static str, rate: Rate, lo: i64, hi: i64, bounds: &'static str) -> Result<(), OutOfBounds> {
    if rate < Rate::from_bps(lo) || rate > Rate::from_bps(hi) {
        return Err(OutOfBounds { field, value: format!("{} bp", rate.mul_ratio(10_000, 1)), bounds });
    }
    Ok(())
}

fn money_within(field: &'static str, amount: Money, max: i64, bounds: &'static str) -> Result<(), OutOfBounds> {
    if amount < Money::ZERO || amount > Money::from_int(max) {
        return Err(OutOfBounds { field, value: amount.to_string(), bounds });
    }
    Ok(())
}

/// Checks a fee model against the bounds of the module docs (a model from
/// a config file as much as one from text).
pub fn check_fees(fees: &Fees) -> Result<(), OutOfBounds> {
    match fees {
        Fees::None => Ok(()),
        Fees::Rate { maker, taker } => {
            bps_within("taker rate", *taker, 0, 1000, FEE_BPS)?;
            bps_within("maker rate", *maker, -100, 1000, REBATE_BPS)
        }
        Fees::PerUnit { per_unit, minimum, max_rate } => {
            money_within("amount per unit", *per_unit, 1_000, "0 to 1000 per unit")?;
            money_within("minimum", *minimum, 1_000_000, "0 to 1000000 per fill")?;
            match max_rate {
                Some(cap) => bps_within("max_bps cap", *cap, 0, 1000, "0 to 1000 bp"),
                None => Ok(()),
            }
        }
        Fees::Fixed { per_fill } => money_within("amount per fill", *per_fill, 1_000_000, "0 to 1000000 per fill"),
    }
}

/// Checks a slippage model against the bounds of the module docs.
pub fn check_slippage(slippage: &Slippage) -> Result<(), OutOfBounds> {
    match slippage {
        Slippage::None => Ok(()),
        Slippage::Fixed { rate } => bps_within("rate", *rate, 0, 1000, SLIPPAGE_BPS),
        Slippage::HalfSpread { spread } => bps_within("spread", *spread, 0, 1000, SLIPPAGE_BPS),
        Slippage::SquareRoot { coefficient, max_participation } => {
            if !(0.0..=10.0).contains(coefficient) {
                return Err(OutOfBounds { field: "coefficient", value: coefficient.to_string(), bounds: "0 to 10" });
            }
            if !(max_participation.is_positive() && *max_participation <= Rate::from_int(1)) {
                let bounds = "above 0 and at most 1 (a fraction of the bar's volume)";
                return Err(OutOfBounds { field: "cap", value: max_participation.to_string(), bounds });
            }
            Ok(())
        }
    }
}

const FEE_FORMS: &str = "none, bps:TAKER, bps:MAKER/TAKER, per-unit:AMOUNT[,min=M][,max_bps=B] or fixed:AMOUNT";
const SLIPPAGE_FORMS: &str = "none, bps:B, spread-bps:B or sqrt:COEF[,cap=FRACTION]";

/// Parses a fee model (see the module docs for the forms).
pub fn parse_fees(spec: &str) -> Result<Fees, CostSpecError> {
    let bad = || CostSpecError::Form { what: "fees", spec: spec.to_string(), expected: FEE_FORMS };
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let fees = match kind {
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
    };
    check_fees(&fees).map_err(|e| CostSpecError::OutOfBounds { what: "fees", spec: spec.to_string(), bounds: e })?;
    Ok(fees)
}

/// Parses a slippage model (see the module docs for the forms).
pub fn parse_slippage(spec: &str) -> Result<Slippage, CostSpecError> {
    let bad = || CostSpecError::Form { what: "slippage", spec: spec.to_string(), expected: SLIPPAGE_FORMS };
    let (kind, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let slippage = match kind {
        "none" => Slippage::None,
        "bps" => Slippage::Fixed { rate: bps(rest).ok_or_else(bad)? },
        "spread-bps" => Slippage::HalfSpread { spread: bps(rest).ok_or_else(bad)? },
        "sqrt" => {
            let mut parts = rest.split(',');
            let coefficient: f64 = parts.next().unwrap_or("").parse().map_err(|_| bad())?;
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
    };
    check_slippage(&slippage).map_err(|e| CostSpecError::OutOfBounds {
        what: "slippage",
        spec: spec.to_string(),
        bounds: e,
    })?;
    Ok(slippage)
}

fn bps(text: &str) -> Option<Rate> {
    let v: Rate = text.trim().parse().ok()?;
    Some(v.mul_ratio(1, 10_000))
}

/// A setting with a fixed set of names (`fill`, `limit_fill`), read the
/// same way from a settings file, a command-line flag and Python: the
/// error names the setting and the value.
pub fn parse_choice<T: serde::de::DeserializeOwned>(setting: &str, value: &str) -> Result<T, String> {
    use serde::de::IntoDeserializer;
    let de: serde::de::value::StrDeserializer<serde::de::value::Error> = value.into_deserializer();
    T::deserialize(de).map_err(|e| format!("invalid {setting} `{value}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_their_bounds_are_refused_with_the_bounds() {
        let e = parse_fees("bps:-99999").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid fees `bps:-99999`: the taker rate -99999 bp is outside its bounds, 0 to 1000 bp (10 = 0.1 % of notional)"
        );
        let e = parse_fees("bps:-101/5").unwrap_err().to_string();
        assert!(e.contains("the maker rate -101 bp is outside its bounds, -100 bp (a rebate) to 1000 bp"), "{e}");
        assert!(parse_fees("bps:-100/5").is_ok(), "a one-percent rebate is the limit");
        assert!(parse_fees("bps:1000").is_ok() && parse_fees("bps:1000.5").is_err());
        assert!(parse_fees("per-unit:-0.01").unwrap_err().to_string().contains("amount per unit -0.01"));
        assert!(parse_fees("per-unit:0.01,min=-1").is_err() && parse_fees("per-unit:0.01,max_bps=-5").is_err());
        assert!(parse_fees("fixed:-1").unwrap_err().to_string().contains("amount per fill -1"));
        assert!(parse_fees("fixed:1e30").is_err());
        let e = parse_slippage("bps:-5000").unwrap_err().to_string();
        assert!(e.contains("the rate -5000 bp is outside its bounds, 0 to 1000 bp"), "{e}");
        assert!(parse_slippage("spread-bps:5000").is_err());
        assert!(parse_slippage("sqrt:11").unwrap_err().to_string().contains("coefficient 11"));
        assert!(parse_slippage("sqrt:0.1,cap=0").unwrap_err().to_string().contains("cap 0 is outside"));
        assert!(parse_slippage("sqrt:0.1,cap=1.5").is_err() && parse_slippage("sqrt:0.1,cap=1").is_ok());
    }

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
        assert!(parse_slippage("sqrt:nan").is_err());
        assert!(
            parse_slippage("sqrt:0.1,cap=x").unwrap_err().to_string().contains("invalid slippage `sqrt:0.1,cap=x`")
        );
    }
}

//! Transaction costs: fee models and slippage models.
//!
//! Both are traits so a venue can be given any model; the built-in ones are
//! also plain data (serde) so a run config can name them.
//!
//! Fees are exact: a rate times an exact notional, rounded half-even at
//! 1e-18. Slippage moves a fill *price*, and the moved price is rounded to
//! the instrument's tick against the trader (buys up, sells down), so what
//! reaches the accounting is still an exact, tradable price.

use pyrt_model::{Liquidity, Money, Price, Quantity, Rate, Side};
use serde::{Deserialize, Serialize};

/// What a fee depends on.
pub trait FeeModel: Send {
    fn fee(&self, price: Price, qty: Quantity, liquidity: Liquidity) -> Money;
}

/// The built-in fee models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fees {
    /// No fees.
    #[default]
    None,
    /// A rate of the notional, by liquidity. Negative maker rates are rebates.
    Rate { maker: Rate, taker: Rate },
    /// Per unit traded (per share), with a minimum and an optional cap as a
    /// rate of the notional (the IBKR fixed schedule: $0.005/share, $1
    /// minimum, 1% cap).
    PerUnit { per_unit: Money, minimum: Money, max_rate: Option<Rate> },
    /// A fixed amount per fill.
    Fixed { per_fill: Money },
}

impl FeeModel for Fees {
    fn fee(&self, price: Price, qty: Quantity, liquidity: Liquidity) -> Money {
        match self {
            Fees::None => Money::ZERO,
            Fees::Rate { maker, taker } => {
                let rate = if liquidity == Liquidity::Maker { maker } else { taker };
                rate.of_money(Money::notional(price, qty.abs()))
            }
            Fees::PerUnit { per_unit, minimum, max_rate } => {
                // per_unit is money per whole unit; qty is in 1e-9 units.
                let mut fee = per_unit.mul_ratio(qty.abs().raw() as i128, pyrt_model::fixed::FIXED_SCALE as i128);
                if fee < *minimum {
                    fee = *minimum;
                }
                if let Some(cap) = max_rate {
                    fee = fee.min(cap.of_money(Money::notional(price, qty.abs())));
                }
                fee
            }
            Fees::Fixed { per_fill } => *per_fill,
        }
    }
}

/// Market facts a slippage model may use.
#[derive(Debug, Clone, Copy, Default)]
pub struct SlippageContext {
    /// Volume of the bar being filled against, when filling on bars.
    pub bar_volume: Option<Quantity>,
    /// Whether the reference price already is the opposite side of a quoted
    /// spread (quote data), so a spread model must not add it again.
    pub quoted: bool,
}

/// How far a taker fill lands from its reference price, and how much of the
/// market an order may take at once.
pub trait SlippageModel: Send {
    /// The (unrounded) price a taker fill of `qty` gets, from `reference`.
    fn taker_price(&self, side: Side, reference: Price, qty: Quantity, ctx: &SlippageContext) -> Price;
    /// The most one fill may take, given the context (a volume cap).
    fn max_fill(&self, _ctx: &SlippageContext) -> Option<Quantity> {
        None
    }
}

/// The built-in slippage models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum Slippage {
    /// Fill at the reference price.
    #[default]
    None,
    /// A fixed fraction of the price against the trader.
    Fixed { rate: Rate },
    /// Half of a quoted spread against the trader. On quote data the fill is
    /// already at the opposite side, so only bar and trade fills move.
    HalfSpread { spread: Rate },
    /// Square-root market impact: `coefficient × sqrt(qty / bar volume)` of
    /// the price, and no fill may exceed `max_participation` of the bar's
    /// volume (the rest waits for the next bar).
    SquareRoot { coefficient: f64, max_participation: Rate },
}

impl SlippageModel for Slippage {
    fn taker_price(&self, side: Side, reference: Price, qty: Quantity, ctx: &SlippageContext) -> Price {
        let adverse = match self {
            Slippage::None => Price::ZERO,
            Slippage::Fixed { rate } => rate.of_price(reference),
            Slippage::HalfSpread { spread } if !ctx.quoted => spread.of_price(reference).mul_ratio(1, 2),
            Slippage::HalfSpread { .. } => Price::ZERO,
            Slippage::SquareRoot { coefficient, .. } => match ctx.bar_volume {
                Some(v) if v.is_positive() => {
                    let fraction = coefficient * (qty.abs().to_f64() / v.to_f64()).sqrt();
                    Price::from_f64(reference.to_f64() * fraction).unwrap_or(Price::ZERO)
                }
                _ => Price::ZERO,
            },
        };
        // At the top of the price range a buy's slipped price saturates
        // rather than wrap (a sell's, moving down, cannot overflow).
        match side {
            Side::Buy => reference.checked_add(adverse).unwrap_or(Price::MAX),
            Side::Sell => reference.checked_sub(adverse).unwrap_or(Price::ZERO),
        }
    }

    fn max_fill(&self, ctx: &SlippageContext) -> Option<Quantity> {
        match (self, ctx.bar_volume) {
            (Slippage::SquareRoot { max_participation, .. }, Some(v)) => {
                Some(Quantity::from_raw(max_participation.of_price(Price::from_raw(v.raw())).raw()))
            }
            _ => None,
        }
    }
}

/// Rounds a slipped price to the tick grid against the trader.
pub fn round_against(side: Side, price: Price, tick: Price) -> Price {
    match side {
        Side::Buy => price.ceil_to(tick),
        Side::Sell => price.floor_to(tick),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn rate_fees_by_liquidity() {
        let fees = Fees::Rate { maker: Rate::from_bps(-1), taker: Rate::from_bps(5) };
        let q = Quantity::from_int(100);
        assert_eq!(fees.fee(px("50"), q, Liquidity::Taker), "2.5".parse().unwrap());
        assert_eq!(fees.fee(px("50"), q, Liquidity::Maker), "-0.5".parse().unwrap());
    }

    #[test]
    fn per_unit_fees_with_minimum_and_cap() {
        let fees = Fees::PerUnit {
            per_unit: "0.005".parse().unwrap(),
            minimum: Money::from_int(1),
            max_rate: Some("0.01".parse().unwrap()),
        };
        assert_eq!(fees.fee(px("20"), Quantity::from_int(1000), Liquidity::Taker), Money::from_int(5));
        assert_eq!(fees.fee(px("20"), Quantity::from_int(10), Liquidity::Taker), Money::from_int(1));
        // 1% of a $0.50 notional caps the $1 minimum.
        assert_eq!(fees.fee(px("0.05"), Quantity::from_int(10), Liquidity::Taker), "0.005".parse().unwrap());
    }

    #[test]
    fn fixed_fee_per_fill() {
        let fees = Fees::Fixed { per_fill: "1.25".parse().unwrap() };
        assert_eq!(fees.fee(px("1"), Quantity::from_int(1), Liquidity::Maker), "1.25".parse().unwrap());
    }

    #[test]
    fn slippage_moves_against_the_trader() {
        let s = Slippage::Fixed { rate: Rate::from_bps(10) };
        let ctx = SlippageContext::default();
        assert_eq!(s.taker_price(Side::Buy, px("100"), Quantity::from_int(1), &ctx), px("100.1"));
        assert_eq!(s.taker_price(Side::Sell, px("100"), Quantity::from_int(1), &ctx), px("99.9"));
        assert_eq!(round_against(Side::Buy, px("100.101"), px("0.01")), px("100.11"));
        assert_eq!(round_against(Side::Sell, px("99.899"), px("0.01")), px("99.89"));
    }

    #[test]
    fn half_spread_only_without_quotes() {
        let s = Slippage::HalfSpread { spread: Rate::from_bps(20) };
        let bars = SlippageContext::default();
        let quotes = SlippageContext { quoted: true, ..Default::default() };
        assert_eq!(s.taker_price(Side::Buy, px("100"), Quantity::from_int(1), &bars), px("100.1"));
        assert_eq!(s.taker_price(Side::Buy, px("100"), Quantity::from_int(1), &quotes), px("100"));
    }

    #[test]
    fn square_root_impact_and_participation_cap() {
        let s = Slippage::SquareRoot { coefficient: 0.1, max_participation: "0.1".parse().unwrap() };
        let ctx = SlippageContext { bar_volume: Some(Quantity::from_int(10_000)), quoted: false };
        // 100 of 10k = 1% participation -> 0.1 * 0.1 = 1% impact.
        assert_eq!(s.taker_price(Side::Buy, px("50"), Quantity::from_int(100), &ctx), px("50.5"));
        assert_eq!(s.max_fill(&ctx), Some(Quantity::from_int(1000)));
        assert_eq!(s.max_fill(&SlippageContext::default()), None);
    }

    #[test]
    fn models_read_from_config() {
        let f: Fees = toml::from_str("model = \"rate\"\nmaker = 0.0001\ntaker = \"0.0005\"").unwrap();
        assert_eq!(f, Fees::Rate { maker: Rate::from_bps(1), taker: Rate::from_bps(5) });
        let err = toml::from_str::<Fees>("model = \"rate\"\nmaker = 1\ntaker = 1\nextra = 2").unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }
}

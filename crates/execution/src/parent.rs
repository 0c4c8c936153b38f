//! What a parent order asks for, and the checks it passes before any child
//! is sent.

use pyrt_model::{Instrument, InstrumentId, Price, Quantity, Rate, Side, UnixNanos};
use serde::Serialize;

use crate::profile::VolumeProfile;

/// Identifies a parent order within a run (its own numbering, apart from
/// order ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ParentId(pub u64);

impl std::fmt::Display for ParentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P-{}", self.0)
    }
}

/// How a parent order is worked.
#[derive(Debug, Clone, PartialEq)]
pub enum Algo {
    /// Equal slices at (nearly) even times between start and end. Each
    /// slice starts up to `jitter` × the slice interval after its even
    /// time (never past the next one), drawn from `seed`, so the pattern is
    /// harder to spot on the tape.
    Twap { slices: u32, jitter: Rate, seed: u64 },
    /// Follows `profile`: by each bucket's start, the parent should be done
    /// up to that bucket's share of the window's expected volume.
    Vwap { profile: VolumeProfile },
    /// Participates at `rate` of the volume the market trades after the
    /// start. Children are at least `min_child` (except the last) and at
    /// most `max_child`.
    Pov { rate: Rate, min_child: Quantity, max_child: Option<Quantity> },
    /// Shows at most `display` at `price`; the next piece is shown when the
    /// previous one has filled.
    Iceberg { display: Quantity, price: Price },
}

impl Algo {
    pub fn name(&self) -> &'static str {
        match self {
            Algo::Twap { .. } => "twap",
            Algo::Vwap { .. } => "vwap",
            Algo::Pov { .. } => "pov",
            Algo::Iceberg { .. } => "iceberg",
        }
    }
}

/// What happens to a quantity still undone at the end time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AtEnd {
    /// Cancel what is working and stop; the parent ends `Expired`.
    #[default]
    Stop,
    /// Send the rest as one last child (a limit at the protection price if
    /// the parent has one, else a market order).
    Complete,
}

/// A quantity to work through child orders.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentOrder {
    pub instrument: InstrumentId,
    pub side: Side,
    pub qty: Quantity,
    pub algo: Algo,
    /// Nothing is sent before `start`.
    pub start: UnixNanos,
    /// TWAP and VWAP spread the quantity up to here; every algorithm stops
    /// here (`UnixNanos::MAX`: POV and iceberg run until done).
    pub end: UnixNanos,
    /// Limit-price protection: never buy above (sell below) this price.
    pub limit: Option<Price>,
    /// Slippage protection: never buy above (sell below) the arrival price
    /// moved by this fraction against the order.
    pub max_slippage: Option<Rate>,
    pub at_end: AtEnd,
}

impl ParentOrder {
    pub fn new(
        instrument: InstrumentId,
        side: Side,
        qty: Quantity,
        algo: Algo,
        start: UnixNanos,
        end: UnixNanos,
    ) -> Self {
        Self { instrument, side, qty, algo, start, end, limit: None, max_slippage: None, at_end: AtEnd::Stop }
    }
    pub fn with_limit(mut self, price: Price) -> Self {
        self.limit = Some(price);
        self
    }
    pub fn with_max_slippage(mut self, fraction: Rate) -> Self {
        self.max_slippage = Some(fraction);
        self
    }
    pub fn completing(mut self) -> Self {
        self.at_end = AtEnd::Complete;
        self
    }

    /// Checks the order against the instrument it trades.
    pub fn validate(&self, inst: &Instrument) -> Result<(), ParentError> {
        let lot = inst.lot_size;
        let on_lots = |field: &'static str, qty: Quantity| {
            if !qty.is_positive() {
                Err(ParentError::NonPositive { field, value: qty.to_string() })
            } else if !qty.is_multiple_of(lot) {
                Err(ParentError::OffGrid { field, value: qty.to_string(), step: lot.to_string() })
            } else {
                Ok(())
            }
        };
        let on_ticks = |field: &'static str, price: Price| {
            if !price.is_positive() {
                Err(ParentError::NonPositive { field, value: price.to_string() })
            } else if !price.is_multiple_of(inst.tick_size) {
                Err(ParentError::OffGrid { field, value: price.to_string(), step: inst.tick_size.to_string() })
            } else {
                Ok(())
            }
        };
        on_lots("qty", self.qty)?;
        if self.end <= self.start {
            return Err(ParentError::EmptyWindow { start: self.start, end: self.end });
        }
        if let Some(limit) = self.limit {
            on_ticks("limit", limit)?;
        }
        if let Some(slip) = self.max_slippage
            && !slip.is_positive()
        {
            return Err(ParentError::NonPositive { field: "max_slippage", value: slip.to_string() });
        }
        match &self.algo {
            Algo::Twap { slices, jitter, .. } => {
                if *slices == 0 {
                    return Err(ParentError::NonPositive { field: "slices", value: "0".into() });
                }
                if jitter.is_negative() || *jitter > Rate::from_int(1) {
                    return Err(ParentError::OutOfRange {
                        field: "jitter",
                        value: jitter.to_string(),
                        range: "0 to 1",
                    });
                }
                self.needs_end()?;
            }
            Algo::Vwap { profile } => {
                self.needs_end()?;
                if profile.expected_volume(self.start, self.end) <= 0.0 {
                    return Err(ParentError::NoVolumeInWindow);
                }
            }
            Algo::Pov { rate, min_child, max_child } => {
                if !rate.is_positive() || *rate > Rate::from_int(1) {
                    return Err(ParentError::OutOfRange {
                        field: "rate",
                        value: rate.to_string(),
                        range: "above 0, at most 1",
                    });
                }
                on_lots("min_child", *min_child)?;
                if let Some(max) = max_child {
                    on_lots("max_child", *max)?;
                    if max < min_child {
                        return Err(ParentError::Contradiction(format!(
                            "max_child {max} is below min_child {min_child}"
                        )));
                    }
                }
            }
            Algo::Iceberg { display, price } => {
                on_lots("display", *display)?;
                on_ticks("price", *price)?;
                if *display > self.qty {
                    return Err(ParentError::Contradiction(format!(
                        "display {display} is larger than the whole quantity {}",
                        self.qty
                    )));
                }
                if let Some(limit) = self.limit {
                    let beyond = match self.side {
                        Side::Buy => *price > limit,
                        Side::Sell => *price < limit,
                    };
                    if beyond {
                        return Err(ParentError::Contradiction(format!(
                            "iceberg price {price} is beyond its own limit {limit}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn needs_end(&self) -> Result<(), ParentError> {
        if self.end == UnixNanos::MAX {
            return Err(ParentError::NoEnd(self.algo.name()));
        }
        Ok(())
    }
}

/// Why a parent order was refused before any child was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParentError {
    #[error("parent order {field} must be greater than zero, got {value}")]
    NonPositive { field: &'static str, value: String },
    #[error("parent order {field} {value} is not a multiple of the instrument's step {step}")]
    OffGrid { field: &'static str, value: String, step: String },
    #[error("parent order {field} must be {range}, got {value}")]
    OutOfRange { field: &'static str, value: String, range: &'static str },
    #[error("parent order window is empty: end {end} is not after start {start}")]
    EmptyWindow { start: UnixNanos, end: UnixNanos },
    #[error("{0} spreads the quantity up to an end time: give the parent order an end")]
    NoEnd(&'static str),
    #[error(
        "the VWAP profile expects no volume between the parent's start and end: learn it from bars covering those hours of the day"
    )]
    NoVolumeInWindow,
    #[error("parent order settings contradict each other: {0}")]
    Contradiction(String),
    #[error("parent order for unknown instrument id {0}")]
    UnknownInstrument(u32),
}

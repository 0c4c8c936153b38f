//! Instruments: what can be traded and the grid its prices and sizes live on.

use serde::{Deserialize, Serialize};

use crate::fixed::{Price, Quantity};

/// Dense index of an instrument within one run.
///
/// The kernel keeps per-instrument state in `Vec`s indexed by this, so the
/// hot path never hashes a symbol string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct InstrumentId(pub u32);

impl InstrumentId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A tradable instrument and its trading rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    pub id: InstrumentId,
    pub symbol: String,
    /// Smallest price increment; every order price must be a multiple.
    pub tick_size: Price,
    /// Smallest quantity increment; every order quantity must be a multiple.
    pub lot_size: Quantity,
    /// Smallest accepted order quantity.
    pub min_quantity: Quantity,
    /// Largest accepted order quantity, if the venue has one.
    #[serde(default)]
    pub max_quantity: Option<Quantity>,
}

/// Why an order's price or quantity does not fit an instrument's grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("price {price} is not a multiple of the tick size {tick} of {symbol}")]
    OffTick { symbol: String, price: Price, tick: Price },
    #[error("price {price} of {symbol} must be greater than zero")]
    NonPositivePrice { symbol: String, price: Price },
    #[error("quantity {qty} is not a multiple of the lot size {lot} of {symbol}")]
    OffLot { symbol: String, qty: Quantity, lot: Quantity },
    #[error("quantity {qty} of {symbol} must be greater than zero")]
    NonPositiveQuantity { symbol: String, qty: Quantity },
    #[error("quantity {qty} is below the minimum {min} of {symbol}")]
    BelowMinimum { symbol: String, qty: Quantity, min: Quantity },
    #[error("quantity {qty} is above the maximum {max} of {symbol}")]
    AboveMaximum { symbol: String, qty: Quantity, max: Quantity },
}

impl Instrument {
    /// An instrument with the given grid; `min_quantity` defaults to one lot.
    pub fn new(id: InstrumentId, symbol: impl Into<String>, tick_size: Price, lot_size: Quantity) -> Self {
        Self { id, symbol: symbol.into(), tick_size, lot_size, min_quantity: lot_size, max_quantity: None }
    }

    /// Number of decimals needed to show any price on this instrument's grid.
    pub fn price_precision(&self) -> u32 {
        decimals_of(self.tick_size.raw())
    }

    /// Number of decimals needed to show any quantity on this instrument's grid.
    pub fn quantity_precision(&self) -> u32 {
        decimals_of(self.lot_size.raw())
    }

    pub fn check_price(&self, price: Price) -> Result<(), GridError> {
        if !price.is_positive() {
            return Err(GridError::NonPositivePrice { symbol: self.symbol.clone(), price });
        }
        if !price.is_multiple_of(self.tick_size) {
            return Err(GridError::OffTick { symbol: self.symbol.clone(), price, tick: self.tick_size });
        }
        Ok(())
    }

    pub fn check_quantity(&self, qty: Quantity) -> Result<(), GridError> {
        if !qty.is_positive() {
            return Err(GridError::NonPositiveQuantity { symbol: self.symbol.clone(), qty });
        }
        if !qty.is_multiple_of(self.lot_size) {
            return Err(GridError::OffLot { symbol: self.symbol.clone(), qty, lot: self.lot_size });
        }
        if qty < self.min_quantity {
            return Err(GridError::BelowMinimum { symbol: self.symbol.clone(), qty, min: self.min_quantity });
        }
        if let Some(max) = self.max_quantity
            && qty > max
        {
            return Err(GridError::AboveMaximum { symbol: self.symbol.clone(), qty, max });
        }
        Ok(())
    }
}

fn decimals_of(raw_step: i64) -> u32 {
    let mut step = raw_step.max(1);
    let mut zeros = 0;
    while step % 10 == 0 && zeros < crate::fixed::FIXED_DECIMALS {
        step /= 10;
        zeros += 1;
    }
    crate::fixed::FIXED_DECIMALS - zeros
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orcl() -> Instrument {
        Instrument::new(InstrumentId(0), "ORCL", "0.01".parse().unwrap(), Quantity::from_int(1))
    }

    #[test]
    fn precision_follows_the_grid() {
        let i = orcl();
        assert_eq!(i.price_precision(), 2);
        assert_eq!(i.quantity_precision(), 0);
        let btc = Instrument::new(InstrumentId(1), "BTCUSDT", "0.01".parse().unwrap(), "0.00001".parse().unwrap());
        assert_eq!(btc.quantity_precision(), 5);
    }

    #[test]
    fn grid_checks_name_the_problem() {
        let i = orcl();
        assert!(i.check_price("10.01".parse().unwrap()).is_ok());
        let e = i.check_price("10.015".parse().unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "price 10.015 is not a multiple of the tick size 0.01 of ORCL");
        assert!(matches!(i.check_price(Price::ZERO), Err(GridError::NonPositivePrice { .. })));
        assert!(matches!(i.check_quantity("1.5".parse().unwrap()), Err(GridError::OffLot { .. })));
        assert!(matches!(i.check_quantity(Quantity::from_int(-1)), Err(GridError::NonPositiveQuantity { .. })));
        let mut big_min = orcl();
        big_min.min_quantity = Quantity::from_int(10);
        assert!(matches!(big_min.check_quantity(Quantity::from_int(5)), Err(GridError::BelowMinimum { .. })));
        let mut capped = orcl();
        capped.max_quantity = Some(Quantity::from_int(100));
        assert!(capped.check_quantity(Quantity::from_int(100)).is_ok());
        let e = capped.check_quantity(Quantity::from_int(101)).unwrap_err();
        assert_eq!(e.to_string(), "quantity 101 is above the maximum 100 of ORCL");
    }
}

//! Fixed-point values: [`Price`], [`Quantity`] and [`Money`].
//!
//! Accounting never passes through `f64`. Prices and quantities are `i64`
//! counts of `1e-9` units ([`FIXED_DECIMALS`] = 9), which covers every tick
//! and lot size a venue publishes while leaving ±9.2e9 of headroom.
//!
//! [`Money`] is an `i128` count of `1e-18` units: exactly the scale of a
//! price times a quantity. That makes a fill's notional `price × qty` exact,
//! so cash, cost basis and P&L add up to the last unit with no rounding at
//! all. The only rounding in the system happens where a rate is applied
//! (fees in basis points, a proportional share of cost basis), and it is
//! round-half-even at 1e-18.
//!
//! Strings parse exactly (`"2.179012"` is `2_179_012_000` raw, never the
//! nearest `f64`); `f64` enters only at the edges (Parquet floats, Python)
//! through [`Price::from_f64`], which rejects NaN and infinities.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decimal places held by [`Price`] and [`Quantity`].
pub const FIXED_DECIMALS: u32 = 9;
/// `10^FIXED_DECIMALS`: raw units per whole price or quantity unit.
pub const FIXED_SCALE: i64 = 1_000_000_000;
/// Decimal places held by [`Money`] (price decimals + quantity decimals).
pub const MONEY_DECIMALS: u32 = 2 * FIXED_DECIMALS;
/// Raw [`Money`] units per whole currency unit.
pub const MONEY_SCALE: i128 = (FIXED_SCALE as i128) * (FIXED_SCALE as i128);

use crate::decimal::parse_plain_fixed;
pub use crate::decimal::{ValueError, parse_decimal, parse_plain_prefix};

/// Writes `raw / 10^decimals` with trailing zeros trimmed (at least one
/// digit after the point is never forced: `100` prints as `100`).
fn write_decimal(f: &mut fmt::Formatter<'_>, raw: i128, decimals: u32) -> fmt::Result {
    let scale = 10i128.pow(decimals);
    let sign = if raw < 0 { "-" } else { "" };
    let abs = raw.unsigned_abs();
    let int = abs / scale as u128;
    let frac = abs % scale as u128;
    if let Some(places) = f.precision() {
        // Explicit precision: round half-even to that many places.
        let places = places.min(decimals as usize) as u32;
        let unit = 10u128.pow(decimals - places);
        let mut q = abs / unit;
        let r = abs % unit;
        if r * 2 > unit || (r * 2 == unit && q % 2 == 1) {
            q += 1;
        }
        let p = 10u128.pow(places);
        if places == 0 {
            return write!(f, "{sign}{q}");
        }
        return write!(f, "{sign}{}.{:0width$}", q / p, q % p, width = places as usize);
    }
    if frac == 0 {
        return write!(f, "{sign}{int}");
    }
    let frac_str = format!("{:0width$}", frac, width = decimals as usize);
    write!(f, "{sign}{int}.{}", frac_str.trim_end_matches('0'))
}

/// Sign predicates and same-type arithmetic shared by every fixed-point
/// type (the inner integer differs: `i64` or `i128`).
macro_rules! signed_ops {
    ($name:ident) => {
        impl $name {
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }
            pub const fn abs(self) -> Self {
                Self(self.0.abs())
            }
        }
        impl std::ops::Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                Self(self.0 + rhs.0)
            }
        }
        impl std::ops::Sub for $name {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                Self(self.0 - rhs.0)
            }
        }
        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 += rhs.0;
            }
        }
        impl std::ops::SubAssign for $name {
            fn sub_assign(&mut self, rhs: Self) {
                self.0 -= rhs.0;
            }
        }
        impl std::ops::Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }
    };
}

macro_rules! fixed_i64 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: Self = Self(0);
            pub const MAX: Self = Self(i64::MAX);

            /// From a raw count of 1e-9 units.
            pub const fn from_raw(raw: i64) -> Self {
                Self(raw)
            }
            /// The raw count of 1e-9 units.
            pub const fn raw(self) -> i64 {
                self.0
            }
            /// A whole number of units.
            pub const fn from_int(units: i64) -> Self {
                Self(units * FIXED_SCALE)
            }
            /// Nearest fixed-point value to a float (round half to even);
            /// rejects NaN, infinities and values out of range.
            pub fn from_f64(value: f64) -> Result<Self, ValueError> {
                if value.is_nan() {
                    return Err(ValueError::NaN);
                }
                if value.is_infinite() {
                    return Err(ValueError::Infinite);
                }
                let scaled = (value * FIXED_SCALE as f64).round_ties_even();
                if scaled.abs() >= i64::MAX as f64 {
                    return Err(ValueError::OutOfRange(value.to_string()));
                }
                Ok(Self(scaled as i64))
            }
            /// For statistics and display only, never for accounting.
            pub fn to_f64(self) -> f64 {
                self.0 as f64 / FIXED_SCALE as f64
            }
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }
            /// Whether `self` is a whole multiple of `step` (a tick or lot size).
            pub fn is_multiple_of(self, step: Self) -> bool {
                step.0 > 0 && self.0 % step.0 == 0
            }
            /// Rounds down (towards negative infinity) to a multiple of `step`.
            pub fn floor_to(self, step: Self) -> Self {
                Self(self.0.div_euclid(step.0) * step.0)
            }
            /// Rounds up (towards positive infinity) to a multiple of `step`.
            pub fn ceil_to(self, step: Self) -> Self {
                let f = self.0.div_euclid(step.0) * step.0;
                Self(if f == self.0 { f } else { f + step.0 })
            }
            /// Scales by `num / den`, rounding half to even.
            pub fn mul_ratio(self, num: i64, den: i64) -> Self {
                Self(div_round_half_even(self.0 as i128 * num as i128, den as i128) as i64)
            }
        }

        signed_ops!($name);
        impl FromStr for $name {
            type Err = ValueError;
            #[inline]
            fn from_str(s: &str) -> Result<Self, ValueError> {
                if let Some(raw) = parse_plain_fixed(s.as_bytes()) {
                    return Ok(Self(raw));
                }
                let raw = parse_decimal(s, FIXED_DECIMALS)?;
                i64::try_from(raw).map(Self).map_err(|_| ValueError::OutOfRange(s.trim().to_string()))
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_decimal(f, self.0 as i128, FIXED_DECIMALS)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
        /// Serialized as an exact decimal string.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        /// Accepts a decimal string or a number (TOML/JSON configs).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_fixed(d)
            }
        }
    };
}

fixed_i64!(
    /// A price: `i64` count of 1e-9 currency units. May be negative (spreads,
    /// some futures), but market data and orders validate positivity at the
    /// boundary.
    Price
);
fixed_i64!(
    /// A quantity in base units (shares, coins, contracts): `i64` count of
    /// 1e-9 units. Signed so it can also express a position (+long / −short).
    Quantity
);
fixed_i64!(
    /// A dimensionless fraction with 1e-9 resolution: fee rates, slippage,
    /// participation caps. `"0.0005"` is 5 basis points.
    Rate
);

impl Rate {
    /// `bps` basis points (1 bp = 0.0001).
    pub fn from_bps(bps: i64) -> Self {
        Self(bps * (FIXED_SCALE / 10_000))
    }
    /// `price × self`, rounded half to even to the raw unit.
    pub fn of_price(self, price: Price) -> Price {
        price.mul_ratio(self.0, FIXED_SCALE)
    }
    /// `amount × self`, rounded half to even to the raw unit.
    pub fn of_money(self, amount: Money) -> Money {
        amount.mul_ratio(self.0 as i128, FIXED_SCALE as i128)
    }
}

/// An amount of cash in the account currency: `i128` count of 1e-18 units.
///
/// `Price × Quantity` lands here exactly; see the module docs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i128);

impl Money {
    pub const ZERO: Self = Self(0);

    pub const fn from_raw(raw: i128) -> Self {
        Self(raw)
    }
    pub const fn raw(self) -> i128 {
        self.0
    }
    pub const fn from_int(units: i64) -> Self {
        Self(units as i128 * MONEY_SCALE)
    }
    /// Rounded half to even to `decimals` places (at most 18): an amount
    /// as an account of that precision holds it (8 at Binance).
    pub fn round_dp(self, decimals: u32) -> Self {
        let unit = 10i128.pow(MONEY_DECIMALS - decimals.min(MONEY_DECIMALS));
        Self(div_round_half_even(self.0, unit) * unit)
    }
    /// Exact notional of `qty` at `price`.
    pub fn notional(price: Price, qty: Quantity) -> Self {
        Self(price.raw() as i128 * qty.raw() as i128)
    }
    /// Nearest value to a float; rejects NaN and infinities.
    pub fn from_f64(value: f64) -> Result<Self, ValueError> {
        if value.is_nan() {
            return Err(ValueError::NaN);
        }
        if value.is_infinite() {
            return Err(ValueError::Infinite);
        }
        // Through the decimal text, so 0.1 becomes exactly 0.1 and not the
        // binary float's 0.1000000000000000055...
        parse_decimal(&format!("{value}"), MONEY_DECIMALS).map(Self)
    }
    /// For statistics and display only, never for accounting. Whole units
    /// and the fraction convert separately, so `100000` stays `100000.0`.
    pub fn to_f64(self) -> f64 {
        (self.0 / MONEY_SCALE) as f64 + (self.0 % MONEY_SCALE) as f64 / MONEY_SCALE as f64
    }
    /// `self / other` as a float, for statistics on a hot path (drawdown
    /// on every event): two hardware conversions per operand instead of the
    /// slow software `i128 → f64`, accurate to about one ulp.
    #[inline]
    pub fn ratio(self, other: Money) -> f64 {
        fast_f64(self.0) / fast_f64(other.0)
    }
    /// Like [`Money::to_f64`] but with hardware conversions only, accurate
    /// to about one ulp: for comparisons on hot paths.
    #[inline]
    pub fn to_f64_approx(self) -> f64 {
        fast_f64(self.0) * (1.0 / MONEY_SCALE as f64)
    }
    /// Scales by `num / den`, rounding half to even (fees, pro-rata cost).
    /// Exact without a wider intermediate (see [`Money::checked_mul_ratio`]);
    /// callers scale by ratios whose result fits (at most 1 for pro-rata
    /// shares, bounded rates for fees): anything else is a broken invariant.
    pub fn mul_ratio(self, num: i128, den: i128) -> Self {
        self.checked_mul_ratio(num, den).expect("a scaled amount beyond the range of Money")
    }
    /// `self × num / den` rounded half to even, or `None` when the result
    /// does not fit. Split as `(q·den + r)·num/den = q·num + r·num/den`, so
    /// no intermediate is larger than the result or `r·num` (`r < den`).
    pub fn checked_mul_ratio(self, num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        // The common case: the plain product fits, and one division is enough.
        if let Some(product) = self.0.checked_mul(num) {
            return Some(Self(div_round_half_even(product, den)));
        }
        let (num, den) = if den < 0 { (num.checked_neg()?, den.checked_neg()?) } else { (num, den) };
        let (q, r) = (self.0.div_euclid(den), self.0.rem_euclid(den));
        let part = r.checked_mul(num)?;
        let (fl, rem) = (part.div_euclid(den), part.rem_euclid(den));
        let base = q.checked_mul(num)?.checked_add(fl)?;
        let up = match (2 * rem).cmp(&den) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => 0,
            std::cmp::Ordering::Equal => base & 1,
        };
        base.checked_add(up).map(Self)
    }
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }
    /// For risk sums (exposures): at the end of the range, which any limit refuses.
    pub fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
    pub const MAX: Self = Self(i128::MAX);
    /// How many whole `lot`s of an instrument at `price` this amount buys
    /// (rounded down); the sizing rule for notional (quote-quantity) orders.
    pub fn lots_at(self, price: Price, lot: Quantity) -> Quantity {
        if price.raw() <= 0 || lot.raw() <= 0 || self.0 <= 0 {
            return Quantity::ZERO;
        }
        let lot_cost = price.raw() as i128 * lot.raw() as i128;
        Quantity::from_raw((self.0 / lot_cost) as i64 * lot.raw())
    }
}

/// `x` as a float from its two 64-bit halves (hardware conversions only).
#[inline]
fn fast_f64(x: i128) -> f64 {
    ((x >> 64) as i64 as f64) * 18_446_744_073_709_551_616.0 + (x as u64 as f64)
}

/// `n / d` rounded half to even; `d` must be non-zero.
pub fn div_round_half_even(n: i128, d: i128) -> i128 {
    let (d, n) = if d < 0 { (-d, -n) } else { (d, n) };
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

signed_ops!(Money);
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, |a, b| a + b)
    }
}
impl FromStr for Money {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        parse_decimal(s, MONEY_DECIMALS).map(Self)
    }
}
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decimal(f, self.0, MONEY_DECIMALS)
    }
}
impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_fixed(d)
    }
}

/// Reads a fixed-point value from a decimal string (parsed in place, with
/// no allocation: venue messages carry every price as a string) or from a
/// JSON/TOML number.
fn deserialize_fixed<'de, D: Deserializer<'de>, T: FromStr<Err = ValueError>>(d: D) -> Result<T, D::Error> {
    struct Fixed<T>(std::marker::PhantomData<T>);
    impl<T: FromStr<Err = ValueError>> serde::de::Visitor<'_> for Fixed<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number or a string holding one")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
            self.visit_str(&v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
            if !v.is_finite() {
                return Err(E::custom("NaN and infinities are not allowed"));
            }
            self.visit_str(&format!("{v}"))
        }
    }
    d.deserialize_any(Fixed(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!("2.179012".parse::<Price>().unwrap().raw(), 2_179_012_000);
        assert_eq!("-0.5".parse::<Price>().unwrap().raw(), -500_000_000);
        assert_eq!("+3".parse::<Quantity>().unwrap(), Quantity::from_int(3));
        assert_eq!(".25".parse::<Price>().unwrap().raw(), 250_000_000);
        assert_eq!("1.5e-3".parse::<Price>().unwrap().raw(), 1_500_000);
        assert_eq!("2E2".parse::<Price>().unwrap(), Price::from_int(200));
        assert_eq!("46319.0".parse::<Price>().unwrap(), Price::from_int(46319));
    }

    #[test]
    fn money_rounds_to_an_account_precision_half_to_even() {
        let m = |t: &str| t.parse::<Money>().unwrap();
        assert_eq!(m("0.0797494300552").round_dp(8), m("0.07974943"));
        assert_eq!(m("0.000000015").round_dp(8), m("0.00000002"));
        assert_eq!(m("0.000000025").round_dp(8), m("0.00000002"));
        assert_eq!(m("-0.000000035").round_dp(8), m("-0.00000004"));
        assert_eq!(m("1.25").round_dp(0), m("1")); // whole units
        assert_eq!(m("1.5").round_dp(30), m("1.5")); // beyond 18 places: unchanged
    }

    #[test]
    fn rounds_extra_digits_half_to_even() {
        assert_eq!("0.0000000005".parse::<Price>().unwrap().raw(), 0);
        assert_eq!("0.0000000015".parse::<Price>().unwrap().raw(), 2);
        assert_eq!("0.00000000150001".parse::<Price>().unwrap().raw(), 2);
        assert_eq!("0.0000000025".parse::<Price>().unwrap().raw(), 2);
        assert_eq!("0.00000000251".parse::<Price>().unwrap().raw(), 3);
        assert_eq!("-0.0000000025".parse::<Price>().unwrap().raw(), -2);
    }

    proptest! {
        // A leading space makes the fast path decline, so the right-hand
        // side is the general parser's answer for the same number.
        #[test]
        fn fast_path_agrees_with_general_parser(
            int in 0u64..1_000_000_000_000_000_000,
            frac in "[0-9]{0,18}",
            decimals in prop::sample::select(vec![FIXED_DECIMALS, MONEY_DECIMALS]),
        ) {
            let text = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            prop_assert_eq!(parse_decimal(&text, decimals), parse_decimal(&format!(" {text}"), decimals));
        }
    }

    proptest! {
        // Prices and quantities take their own `i64` fast path first; a
        // leading space sends the same number through the general parser.
        // Up to 19 integer digits, so overflow and the 18-digit limit are
        // both crossed.
        #[test]
        fn fixed_fast_path_agrees_with_general_parser(int in "[0-9]{0,19}", point in any::<bool>(), frac in "[0-9]{0,11}") {
            let text = if point { format!("{int}.{frac}") } else { format!("{int}{frac}") };
            let general = parse_decimal(&format!(" {text}"), FIXED_DECIMALS)
                .and_then(|raw| i64::try_from(raw).map_err(|_| ValueError::OutOfRange(text.clone())));
            prop_assert_eq!(text.parse::<Price>().map(Price::raw), general);
        }
    }

    #[test]
    fn rejects_bad_text_with_specific_errors() {
        assert_eq!("".parse::<Price>(), Err(ValueError::Empty));
        assert_eq!("NaN".parse::<Price>(), Err(ValueError::NaN));
        assert_eq!("-inf".parse::<Price>(), Err(ValueError::Infinite));
        assert!(matches!("1.2.3".parse::<Price>(), Err(ValueError::NotANumber(_))));
        assert!(matches!("12a".parse::<Price>(), Err(ValueError::NotANumber(_))));
        assert!(matches!(".".parse::<Price>(), Err(ValueError::NotANumber(_))));
        assert!(matches!("1e".parse::<Price>(), Err(ValueError::NotANumber(_))));
        assert!(matches!("99999999999".parse::<Price>(), Err(ValueError::OutOfRange(_))));
    }

    #[test]
    fn floats_enter_only_when_finite() {
        assert_eq!(Price::from_f64(f64::NAN), Err(ValueError::NaN));
        assert_eq!(Price::from_f64(f64::INFINITY), Err(ValueError::Infinite));
        assert_eq!(Price::from_f64(0.1).unwrap().raw(), 100_000_000);
        assert_eq!(Money::from_f64(0.1).unwrap(), "0.1".parse().unwrap());
        assert_eq!(Money::from_f64(f64::NAN), Err(ValueError::NaN));
    }

    #[test]
    fn to_f64_keeps_whole_amounts_whole() {
        assert_eq!(Money::from_int(100_000).to_f64(), 100_000.0);
        assert_eq!("-0.25".parse::<Money>().unwrap().to_f64(), -0.25);
        assert_eq!("558585.913009".parse::<Money>().unwrap().to_f64(), 558585.913009);
    }

    #[test]
    fn fast_ratio_agrees_with_exact_conversion() {
        let a: Money = "123456.789".parse().unwrap();
        let b: Money = "-98765.4321".parse().unwrap();
        let exact = a.to_f64() / b.to_f64();
        assert!((a.ratio(b) - exact).abs() <= exact.abs() * 1e-15);
        assert_eq!(Money::from_int(3).ratio(Money::from_int(4)), 0.75);
    }

    proptest::proptest! {
        // The split product equals the plain one wherever the plain one
        // fits in i128, and says None exactly when the result cannot fit.
        #[test]
        fn checked_mul_ratio_is_the_exact_rounded_product(
            a in proptest::num::i128::ANY, num in -(1i128 << 62)..(1i128 << 62), den in 1i128..(1i128 << 62),
        ) {
            let exact = a.checked_mul(num).map(|p| div_round_half_even(p, den));
            let ours = Money::from_raw(a).checked_mul_ratio(num, den).map(Money::raw);
            if let Some(e) = exact {
                proptest::prop_assert_eq!(ours, Some(e));
            }
            if ours.is_none() {
                // Then the true result is beyond i128 (checked in 256 bits via f64 magnitude).
                let magnitude = (a as f64) * (num as f64) / (den as f64);
                proptest::prop_assert!(magnitude.abs() >= 1.6e38, "{a} * {num} / {den}");
            }
        }
    }

    #[test]
    fn checked_mul_ratio_edges() {
        let m = Money::from_raw(i128::MAX);
        assert_eq!(m.checked_mul_ratio(1, 1), Some(m));
        assert_eq!(m.checked_mul_ratio(2, 1), None);
        assert_eq!(m.checked_mul_ratio(1, 2).unwrap().raw(), i128::MAX / 2 + 1, "half to even");
        assert_eq!(Money::from_raw(5).checked_mul_ratio(1, 2).unwrap().raw(), 2);
        assert_eq!(Money::from_raw(7).checked_mul_ratio(1, 2).unwrap().raw(), 4);
        assert_eq!(Money::from_raw(-5).checked_mul_ratio(1, 2).unwrap().raw(), -2);
        assert_eq!(Money::from_raw(10).checked_mul_ratio(1, -4).unwrap().raw(), -2, "-2.5 to even");
        assert_eq!(Money::from_raw(1).checked_mul_ratio(1, 0), None);
    }

    #[test]
    fn notional_is_exact() {
        let p: Price = "2.179012".parse().unwrap();
        let q: Quantity = "45892".parse().unwrap();
        assert_eq!(Money::notional(p, q).to_string(), "99999.218704");
        let tiny: Quantity = "0.000000001".parse().unwrap();
        assert_eq!(Money::notional("0.000000001".parse().unwrap(), tiny).raw(), 1);
    }

    #[test]
    fn lots_at_rounds_down_to_whole_lots() {
        let cash = Money::from_int(100_000);
        let px: Price = "2.179012".parse().unwrap();
        assert_eq!(cash.lots_at(px, Quantity::from_int(1)), Quantity::from_int(45892));
        assert_eq!(cash.lots_at(px, Quantity::from_int(100)), Quantity::from_int(45800));
        assert_eq!(Money::from_int(-5).lots_at(px, Quantity::from_int(1)), Quantity::ZERO);
    }

    #[test]
    fn displays_trimmed_and_with_precision() {
        assert_eq!(Price::from_raw(2_179_012_000).to_string(), "2.179012");
        assert_eq!(Price::from_int(100).to_string(), "100");
        assert_eq!(format!("{:.2}", Price::from_raw(2_125_000_000)), "2.12");
        assert_eq!(format!("{:.2}", Price::from_raw(2_135_000_000)), "2.14");
        assert_eq!(format!("{:.0}", Price::from_raw(-2_500_000_000)), "-2");
        assert_eq!(Money::from_raw(-MONEY_SCALE / 4).to_string(), "-0.25");
    }

    #[test]
    fn tick_rounding() {
        let tick: Price = "0.05".parse().unwrap();
        let p: Price = "10.07".parse().unwrap();
        assert_eq!(p.floor_to(tick).to_string(), "10.05");
        assert_eq!(p.ceil_to(tick).to_string(), "10.1");
        assert!(!p.is_multiple_of(tick));
        assert!(Price::from_int(10).is_multiple_of(tick));
    }

    #[test]
    fn serde_roundtrips_as_exact_strings() {
        let p: Price = "45.549999".parse().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"45.549999\"");
        assert_eq!(serde_json::from_str::<Price>(&json).unwrap(), p);
        assert_eq!(serde_json::from_str::<Price>("12.5").unwrap(), "12.5".parse().unwrap());
        assert!(serde_json::from_str::<Price>("\"abc\"").is_err());
    }

    #[test]
    fn half_even_division() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(-7, 2), -4);
        assert_eq!(div_round_half_even(10, -4), -2);
        assert_eq!(div_round_half_even(1, 3), 0);
    }

    proptest! {
        #[test]
        fn display_then_parse_roundtrips(raw in any::<i64>()) {
            let p = Price::from_raw(raw);
            prop_assert_eq!(p.to_string().parse::<Price>().unwrap(), p);
        }

        #[test]
        fn money_display_then_parse_roundtrips(raw in any::<i64>(), mul in -1_000_000i128..1_000_000) {
            let m = Money::from_raw(raw as i128 * mul);
            prop_assert_eq!(m.to_string().parse::<Money>().unwrap(), m);
        }

        #[test]
        fn lots_never_cost_more_than_the_budget(cash in 0i64..1_000_000_000, px in 1i64..10_000_000_000_000, lot_exp in 0u32..10) {
            let budget = Money::from_raw(cash as i128 * 1_000_000_000_000);
            let price = Price::from_raw(px);
            let lot = Quantity::from_raw(10i64.pow(lot_exp));
            let q = budget.lots_at(price, lot);
            prop_assert!(Money::notional(price, q) <= budget);
            prop_assert!(Money::notional(price, q + lot) > budget);
            prop_assert!(q.is_multiple_of(lot) || q.is_zero());
        }
    }
}

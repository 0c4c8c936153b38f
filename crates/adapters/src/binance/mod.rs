//! Binance Spot.

pub mod rest;

pub use rest::{BinanceRest, OrderParams, RestConfig, RestError};

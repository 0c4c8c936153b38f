//! Binance Spot.

pub mod feed;
pub mod rest;

pub use feed::{FeedConfig, FeedEvent};
pub use rest::{BinanceRest, OrderParams, RestConfig, RestError};

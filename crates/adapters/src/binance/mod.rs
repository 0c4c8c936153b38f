//! Binance Spot.

pub mod feed;
pub mod rest;
pub mod user;

pub use feed::{FeedConfig, FeedEvent};
pub use rest::{BinanceRest, OrderParams, RestConfig, RestError};
pub use user::{UserStreamConfig, UserStreamEvent};

//! Binance Spot.

pub mod feed;
pub mod gateway;
pub mod history;
pub mod ports;
pub mod rest;
pub mod user;

pub use feed::{FeedConfig, FeedEvent};
pub use gateway::{Gateway, GatewaySymbol};
pub use history::{RunHistory, run_history};
pub use ports::{BinanceExecution, BinanceMarketData};
pub use rest::{BinanceRest, OrderParams, RestConfig, RestError, SymbolInfo};
pub use user::{UserStreamConfig, UserStreamEvent};

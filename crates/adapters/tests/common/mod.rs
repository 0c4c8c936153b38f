//! What the adapter tests against the local venue share: the venue, a
//! REST client and a subscribed user-data stream on its docs account.

// Each test file uses only part of this.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use pyrt_adapters::binance::user::{self, UserStreamConfig, UserStreamEvent};
use pyrt_adapters::binance::{BinanceRest, GatewaySymbol, RestConfig};
use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET, RunningVenue, VenueConfig, spawn};
use tokio::sync::{mpsc, watch};

/// `pyrt venue` on a free loopback port, with its defaults.
pub async fn local_venue() -> RunningVenue {
    let (venue, _server) =
        spawn(VenueConfig::default(), "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    venue
}

/// A REST client on the docs account.
pub fn rest(address: SocketAddr) -> BinanceRest {
    BinanceRest::new(RestConfig::new(format!("http://{address}"), DOCS_API_KEY, DOCS_SECRET)).unwrap()
}

pub fn user_config(address: SocketAddr, secret: &str) -> UserStreamConfig {
    UserStreamConfig {
        url: format!("ws://{address}/ws-api/v3"),
        api_key: DOCS_API_KEY.into(),
        secret: secret.into(),
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(1),
        tls: pyrt_adapters::tls::default_client_config(),
    }
}

/// The docs account's user-data stream, once subscribed; send `true` on
/// the sender to stop it.
pub async fn user_stream(address: SocketAddr) -> (mpsc::Receiver<UserStreamEvent>, watch::Sender<bool>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(user::run(user_config(address, DOCS_SECRET), tx, stop));
    assert_eq!(rx.recv().await, Some(UserStreamEvent::Subscribed));
    (rx, stop_tx)
}

/// BTCUSDT, the venue's default symbol, for a gateway.
pub fn btcusdt() -> Vec<GatewaySymbol> {
    vec![GatewaySymbol { symbol: "BTCUSDT".into(), base: "BTC".into(), quote: "USDT".into() }]
}

//! The adapter over TLS against the local venue serving HTTPS and WSS with
//! its own self-signed certificate: REST, market streams and the user-data
//! stream all connect when that certificate is trusted, and none of them
//! does when it is not.

mod common;

use std::sync::Arc;
use std::time::Duration;

use pyrt_adapters::binance::feed::{self, FeedConfig, FeedEvent};
use pyrt_adapters::binance::user::{self, UserStreamEvent};
use pyrt_adapters::binance::{BinanceRest, RestConfig, RestError};
use pyrt_adapters::tls::{self, TlsError};
use pyrt_binance::Market;
use pyrt_model::{InstrumentId, MarketEvent};
use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET, RunningVenue, VenueConfig, spawn};
use tokio::sync::{mpsc, watch};

struct TlsVenue {
    venue: RunningVenue,
    ca_file: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl Drop for TlsVenue {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn tls_venue(name: &str) -> TlsVenue {
    let dir = std::env::temp_dir().join(format!("pyrt-adapters-tls-{name}-{}", std::process::id()));
    let (cert, key) = pyrt_venue_server::tls::self_signed(&dir).unwrap();
    let config = VenueConfig {
        step: Duration::from_millis(10),
        tls: Some(pyrt_venue_server::tls::server_config(&cert, &key).unwrap()),
        ..VenueConfig::default()
    };
    let (venue, _server) = spawn(config, "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    TlsVenue { venue, ca_file: cert, dir }
}

fn rest(base: &str, trust: Arc<rustls::ClientConfig>) -> BinanceRest {
    let mut cfg = RestConfig::new(base, DOCS_API_KEY, DOCS_SECRET);
    cfg.tls = trust;
    cfg.max_retries = 0;
    BinanceRest::new(cfg).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_works_over_tls_when_the_venue_is_trusted() {
    let v = tls_venue("trusted").await;
    let trust = tls::client_config(Some(&v.ca_file)).unwrap();
    let (https, wss) = (format!("https://{}", v.venue.address), format!("wss://{}", v.venue.address));

    let client = Arc::new(rest(&https, trust.clone()));
    client.sync_time().await.unwrap();
    assert_eq!(client.symbol_info("BTCUSDT").await.unwrap().quote, "USDT");
    assert!(client.account().await.unwrap()["balances"].is_array());

    // The user-data stream over the WebSocket API.
    let mut user_cfg = common::user_config(v.venue.address, DOCS_SECRET);
    user_cfg.url = format!("{wss}/ws-api/v3");
    user_cfg.tls = trust.clone();
    let (user_tx, mut user_rx) = mpsc::channel(64);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(user::run(user_cfg, user_tx, stop.clone()));
    assert_eq!(user_rx.recv().await, Some(UserStreamEvent::Subscribed));

    // Market streams, synced from an HTTPS snapshot.
    let mut feed_cfg = FeedConfig::new(&wss, Market::Spot, vec![("BTCUSDT".into(), InstrumentId(0))]);
    feed_cfg.tls = trust;
    let (feed_tx, mut feed_rx) = mpsc::channel(4096);
    tokio::spawn(feed::run(feed_cfg, client, feed_tx, stop));
    let (mut synced, mut deltas) = (false, 0);
    while !synced || deltas < 20 {
        let event = tokio::time::timeout(Duration::from_secs(10), feed_rx.recv()).await.unwrap().unwrap();
        match event {
            FeedEvent::Synced { .. } => synced = true,
            FeedEvent::Market(MarketEvent::BookDelta(_)) if synced => deltas += 1,
            FeedEvent::Disconnected { reason, .. } | FeedEvent::BadMessage { error: reason } => panic!("{reason}"),
            _ => {}
        }
    }
    stop_tx.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_before_anything_is_sent() {
    let v = tls_venue("untrusted").await;
    // Mozilla's roots only: the venue's self-signed certificate is unknown.
    let client = rest(&format!("https://{}", v.venue.address), tls::default_client_config());
    let err = client.sync_time().await.unwrap_err();
    assert!(matches!(err, RestError::Connect(_)), "{err:?}");
    assert!(!err.outcome_unknown(), "no connection, so nothing was sent: {err}");
    assert!(err.to_string().contains("certificate"), "the message should say why: {err}");

    let err = tls::connect_websocket(&format!("wss://{}/ws-api/v3", v.venue.address), &tls::default_client_config())
        .await
        .expect_err("the handshake must fail");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");

    // The venue is still serving after refused handshakes.
    let trusted = rest(&format!("https://{}", v.venue.address), tls::client_config(Some(&v.ca_file)).unwrap());
    trusted.sync_time().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_handshake_holds_up_no_one() {
    let v = tls_venue("stalled").await;
    // Connect and say nothing: the venue must go on accepting others.
    let _silent = tokio::net::TcpStream::connect(v.venue.address).await.unwrap();
    let _garbage = {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(v.venue.address).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        s
    };
    let trusted = rest(&format!("https://{}", v.venue.address), tls::client_config(Some(&v.ca_file)).unwrap());
    tokio::time::timeout(Duration::from_secs(5), trusted.sync_time())
        .await
        .expect("served while others stall")
        .unwrap();
}

#[test]
fn a_ca_file_with_no_certificate_is_refused_by_name() {
    let err = tls::client_config(Some(std::path::Path::new("/nonexistent/venue-ca.pem"))).unwrap_err();
    assert!(matches!(err, TlsError::CaFile { .. }), "{err:?}");
}

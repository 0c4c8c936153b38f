//! The market-data feed against the local venue, and against a server that
//! loses an update, sends garbage and hangs up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::get;
use pyrt_adapters::binance::feed::{self, FeedConfig, FeedEvent};
use pyrt_adapters::binance::{BinanceRest, RestConfig};
use pyrt_binance::Market;
use pyrt_book::L2Book;
use pyrt_model::{InstrumentId, MarketEvent, Side};
use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET, VenueConfig, spawn};
use tokio::sync::{mpsc, watch};

fn start(ws_base: String, http_base: &str) -> (mpsc::Receiver<FeedEvent>, watch::Sender<bool>) {
    let mut rest = RestConfig::new(http_base, DOCS_API_KEY, DOCS_SECRET);
    rest.backoff = Duration::from_millis(5);
    let rest = Arc::new(BinanceRest::new(rest).unwrap());
    let mut cfg = FeedConfig::new(ws_base, Market::Spot, vec![("BTCUSDT".into(), InstrumentId(0))]);
    cfg.backoff = Duration::from_millis(20);
    let (tx, rx) = mpsc::channel(4096);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(feed::run(cfg, rest, tx, stop));
    (rx, stop_tx)
}

async fn next(rx: &mut mpsc::Receiver<FeedEvent>) -> FeedEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the feed went quiet")
        .expect("the feed stopped")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_from_the_feed_matches_every_ticker() {
    let config = VenueConfig { step: Duration::from_millis(10), ..VenueConfig::default() };
    let (venue, _server) = spawn(config, "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    let (mut rx, stop) = start(format!("ws://{}", venue.address), &format!("http://{}", venue.address));
    assert_eq!(next(&mut rx).await, FeedEvent::Connected);
    let mut book = L2Book::new();
    let (mut checked, mut trades, mut synced) = (0, 0, 0);
    while checked < 30 {
        match next(&mut rx).await {
            FeedEvent::Market(MarketEvent::BookDelta(d)) => book.apply(&d).unwrap(),
            FeedEvent::Market(MarketEvent::Quote(q)) if synced > 0 => {
                let top = |s: Side| book.side(s).best().map(|l| (l.price, l.qty));
                assert_eq!(top(Side::Buy), Some((q.bid, q.bid_size)));
                assert_eq!(top(Side::Sell), Some((q.ask, q.ask_size)));
                checked += 1;
            }
            FeedEvent::Market(MarketEvent::Trade(_)) => trades += 1,
            FeedEvent::Synced { .. } => synced += 1,
            other @ (FeedEvent::Gap { .. } | FeedEvent::BadMessage { .. } | FeedEvent::Disconnected { .. }) => {
                panic!("unexpected {other:?}")
            }
            _ => {}
        }
    }
    assert_eq!(synced, 1);
    assert!(trades > 0);
    stop.send(true).unwrap();
}

/// Each connection: diff 11, a garbage frame, diff 13 (12 is lost), diff 14, then hang up.
async fn faulty_venue(connections: Arc<AtomicU32>, snapshots: Arc<AtomicU32>) -> String {
    let diff = |first: u64, last: u64, bid: &str| {
        format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{first},"u":{last},"b":[["{bid}","1"]],"a":[]}}}}"#
        )
    };
    let ws = get(move |ws: WebSocketUpgrade| {
        connections.fetch_add(1, Ordering::SeqCst);
        let frames = vec![diff(11, 11, "100"), "{not json".to_string(), diff(13, 13, "101"), diff(14, 14, "102")];
        async move {
            ws.on_upgrade(move |mut socket| async move {
                for f in frames {
                    let _ = socket.send(Message::Text(f.into())).await;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                let _ = socket.send(Message::Close(None)).await;
            })
        }
    });
    let depth = get(move || {
        let n = snapshots.fetch_add(1, Ordering::SeqCst);
        // First a snapshot at 10 (joins diff 11), then one at 13 (joins 13 and 14).
        let id = if n.is_multiple_of(2) { 10 } else { 13 };
        async move { axum::Json(serde_json::json!({ "lastUpdateId": id, "bids": [["99", "1"]], "asks": [["110", "1"]] })) }
    });
    let router = Router::new().route("/stream", ws).route("/api/v3/depth", depth);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_bad_frames_and_hang_ups_are_recovered_from() {
    let (connections, snapshots) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
    let address = faulty_venue(connections.clone(), snapshots.clone()).await;
    let (mut rx, stop) = start(format!("ws://{address}"), &format!("http://{address}"));
    let mut seen = Vec::new();
    while seen.iter().filter(|e| matches!(e, FeedEvent::Connected)).count() < 2 {
        let event = next(&mut rx).await;
        if !matches!(event, FeedEvent::Market(_)) {
            seen.push(event);
        }
    }
    let kinds: Vec<&str> = seen
        .iter()
        .map(|e| match e {
            FeedEvent::Connected => "connected",
            FeedEvent::Synced { .. } => "synced",
            FeedEvent::Gap { .. } => "gap",
            FeedEvent::BadMessage { .. } => "bad",
            FeedEvent::Disconnected { .. } => "disconnected",
            FeedEvent::Market(_) => "market",
        })
        .collect();
    assert_eq!(kinds, ["connected", "synced", "bad", "gap", "synced", "disconnected", "connected"]);
    let FeedEvent::Gap { error, .. } = &seen[3] else { unreachable!() };
    assert!(error.contains("fetch a new snapshot"), "{error}");
    assert_eq!(seen[4], FeedEvent::Synced { symbol: "BTCUSDT".into(), update_id: 13 });
    assert!(connections.load(Ordering::SeqCst) >= 2 && snapshots.load(Ordering::SeqCst) >= 2);
    stop.send(true).unwrap();
}

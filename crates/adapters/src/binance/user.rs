//! The account's user-data stream: order executions and balances, pushed.
//!
//! [`run`] connects to the WebSocket API (`/ws-api/v3`), subscribes with
//! `userDataStream.subscribe.signature` — `apiKey` and `timestamp`, signed
//! over the parameters sorted by name and form-encoded — and forwards each
//! event as a [`UserEvent`]. A refused subscription (bad key or signature)
//! stops the stream with the venue's reason; a dropped connection is made
//! again after a jittered backoff, and [`UserStreamEvent::Reconnected`]
//! tells the consumer to reconcile its open orders over REST, since events
//! may have been missed meanwhile.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pyrt_binance::signing::sign;
use pyrt_binance::user::{UserEvent, parse_user};
use pyrt_model::time::wall_clock;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::backoff::{exponential, jittered};

/// What the user stream tells its consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserStreamEvent {
    /// Subscribed; events follow.
    Subscribed,
    Event(UserEvent),
    /// Connected again after a drop: events in between may be lost.
    Reconnected,
    /// The connection ended; the next attempt is in `retry_in`.
    Disconnected {
        reason: String,
        retry_in: Duration,
    },
    /// The venue refused the subscription; the stream has stopped.
    Refused {
        reason: String,
    },
    BadMessage {
        error: String,
    },
}

/// Where to connect and as whom.
#[derive(Debug, Clone)]
pub struct UserStreamConfig {
    /// e.g. `ws://127.0.0.1:8765/ws-api/v3` or `wss://ws-api.binance.com:443/ws-api/v3`.
    pub url: String,
    pub api_key: String,
    pub secret: String,
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Used for `wss://` URLs.
    pub tls: std::sync::Arc<rustls::ClientConfig>,
}

/// The subscribe request: parameters sorted by name, signed as sent.
fn subscribe_request(cfg: &UserStreamConfig, id: u64) -> String {
    let timestamp = wall_clock() / 1_000_000;
    let payload = format!("apiKey={}&timestamp={timestamp}", cfg.api_key);
    let signature = sign(&cfg.secret, &payload);
    serde_json::json!({
        "id": id.to_string(),
        "method": "userDataStream.subscribe.signature",
        "params": { "apiKey": cfg.api_key, "timestamp": timestamp, "signature": signature },
    })
    .to_string()
}

/// Runs until `stop` turns true, the consumer goes away, or the venue
/// refuses the subscription.
pub async fn run(cfg: UserStreamConfig, tx: mpsc::Sender<UserStreamEvent>, mut stop: watch::Receiver<bool>) {
    let mut failures = 0u32;
    let mut connected_before = false;
    while !*stop.borrow() {
        let reason = match session(&cfg, &tx, &mut stop, connected_before).await {
            Session::Stopped => return,
            Session::Refused(reason) => {
                let _ = tx.send(UserStreamEvent::Refused { reason }).await;
                return;
            }
            Session::Ended { reason, subscribed } => {
                if subscribed {
                    failures = 0;
                    connected_before = true;
                }
                reason
            }
        };
        let retry_in = jittered(exponential(cfg.backoff, cfg.max_backoff, failures));
        failures += 1;
        if tx.send(UserStreamEvent::Disconnected { reason, retry_in }).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(retry_in) => {}
            _ = stop.changed() => {}
        }
    }
}

enum Session {
    Stopped,
    Refused(String),
    Ended { reason: String, subscribed: bool },
}

async fn session(
    cfg: &UserStreamConfig,
    tx: &mpsc::Sender<UserStreamEvent>,
    stop: &mut watch::Receiver<bool>,
    reconnect: bool,
) -> Session {
    let ended = |reason: String, subscribed| Session::Ended { reason, subscribed };
    let mut ws = match crate::tls::connect_websocket(&cfg.url, &cfg.tls).await {
        Ok(ws) => ws,
        Err(e) => return ended(format!("cannot connect to {}: {e}", cfg.url), false),
    };
    if let Err(e) = ws.send(Message::Text(subscribe_request(cfg, 1).into())).await {
        return ended(format!("cannot subscribe: {e}"), false);
    }
    let mut subscribed = false;
    loop {
        let frame = tokio::select! {
            _ = stop.changed() => return Session::Stopped,
            frame = ws.next() => frame,
        };
        let text = match frame {
            None => return ended("connection closed by the server".into(), subscribed),
            Some(Err(e)) => return ended(format!("connection failed: {e}"), subscribed),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                return ended(format!("server closed the connection: {frame:?}"), subscribed);
            }
            Some(Ok(_)) => continue,
        };
        let event = match parse_user(&text) {
            Ok(UserEvent::Response { status: 200, .. }) if !subscribed => {
                subscribed = true;
                let note = if reconnect { UserStreamEvent::Reconnected } else { UserStreamEvent::Subscribed };
                if tx.send(note).await.is_err() {
                    return Session::Stopped;
                }
                continue;
            }
            Ok(UserEvent::Response { status, error, .. }) if !subscribed => {
                return Session::Refused(format!("HTTP {status}: {}", error.unwrap_or_default()));
            }
            Ok(event) => UserStreamEvent::Event(event),
            Err(e) => UserStreamEvent::BadMessage { error: e.to_string() },
        };
        if tx.send(event).await.is_err() {
            return Session::Stopped;
        }
    }
}

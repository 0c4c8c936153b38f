//! The user-data stream: order executions and balance changes, pushed.
//!
//! Two ways in, as on Binance:
//!
//! * the WebSocket API, `/ws-api/v3`: the client sends
//!   `userDataStream.subscribe.signature` with `apiKey`, `timestamp` and an
//!   HMAC `signature` over its other parameters sorted by name and
//!   form-encoded; events then arrive as `{"subscriptionId":N,"event":..}`
//!   (what python-binance's `user_socket()` uses);
//! * a listen key from `POST /api/v3/userDataStream`, opened as
//!   `/ws/<listenKey>`; events arrive bare, until the key expires
//!   ([`listen_keys`](crate::listen_keys)).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use pyrt_binance::signing::verify;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::errors::ApiError;
use crate::listen_keys::KeyState;
use crate::rest::App;
use crate::ws_api;

pub async fn ws_api(
    ws: WebSocketUpgrade,
    State(app): State<Arc<App>>,
    peer: Option<axum::Extension<crate::rest::Peer>>,
) -> Response {
    let ip = peer.map_or(std::net::Ipv4Addr::LOCALHOST.into(), |p| p.0.0.ip());
    let rx = app.user.subscribe();
    ws.on_upgrade(move |socket| serve_ws_api(socket, app, ip, rx))
}

/// A listen-key connection: every event of that account, bare, for as
/// long as the key lives. When it expires the stream says so
/// (`listenKeyExpired`) and closes; when it is closed by `DELETE`, the
/// stream just closes.
pub async fn serve_listen_key(
    mut socket: WebSocket,
    app: Arc<App>,
    key: String,
    api_key: String,
    mut rx: broadcast::Receiver<Arc<(Arc<str>, Value)>>,
) {
    loop {
        let now_ms = (app.clock)() / 1_000_000;
        let state =
            app.listen_keys.lock().expect("a handler panicked while holding the listen keys").state(&key, now_ms);
        let expires_ms = match state {
            KeyState::Live { expires_ms } => expires_ms,
            KeyState::Expired => {
                let event = json!({ "e": "listenKeyExpired", "E": now_ms, "listenKey": key });
                let _ = socket.send(Message::Text(event.to_string().into())).await;
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            KeyState::Gone => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        // Look again at the expiry time, or within a second (a keepalive
        // moves it; a DELETE ends it).
        let wait = Duration::from_millis((expires_ms - now_ms).clamp(1, 1000) as u64);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            event = rx.recv() => match event {
                Ok(e) if *e.0 == *api_key => {
                    if socket.send(Message::Text(e.1.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(lost)) => return fell_behind(socket, lost).await,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) => {
                    crate::streams::finish_close(&mut socket).await;
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}

async fn serve_ws_api(
    mut socket: WebSocket,
    app: Arc<App>,
    ip: std::net::IpAddr,
    mut rx: broadcast::Receiver<Arc<(Arc<str>, Value)>>,
) {
    // subscription id → API key
    let mut subscriptions: BTreeMap<u64, String> = BTreeMap::new();
    let mut next_id = 0;
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Ok(e) => {
                    for (sid, key) in &subscriptions {
                        if **key == *e.0 {
                            let frame = json!({ "subscriptionId": sid, "event": e.1 });
                            if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                // Before any subscription, nothing of its was lost.
                Err(broadcast::error::RecvError::Lagged(_)) if subscriptions.is_empty() => {}
                Err(broadcast::error::RecvError::Lagged(lost)) => return fell_behind(socket, lost).await,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            msg = socket.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(text))) => text,
                    // Answer a close so the client need not wait for its timeout.
                    Some(Ok(Message::Close(_))) => {
                        crate::streams::finish_close(&mut socket).await;
                        return;
                    }
                    Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let reply = request(&app, ip, &text, &mut subscriptions, &mut next_id);
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A subscriber that read too slowly lost `lost` events (the account
/// stream is one bounded channel): it must not go on as if it had every
/// execution, so the connection is closed with the reason (1008, policy),
/// and the client knows to reconnect and reconcile over REST.
async fn fell_behind(mut socket: WebSocket, lost: u64) {
    let reason = format!("subscriber fell behind: {lost} events lost; reconnect and reconcile over REST");
    let frame = axum::extract::ws::CloseFrame { code: 1008, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// One WebSocket API request and its answer: the connection's user-data
/// subscriptions here, every other method through [`ws_api::call`].
fn request(
    app: &App,
    ip: std::net::IpAddr,
    text: &str,
    subscriptions: &mut BTreeMap<u64, String>,
    next_id: &mut u64,
) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return ws_api::error(&Value::Null, &ApiError::malformed_request());
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let params = req.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
    match req.get("method").and_then(Value::as_str) {
        Some("userDataStream.subscribe.signature") => {
            let Some(api_key) = params.get("apiKey").and_then(Value::as_str) else {
                return ws_api::error(&id, &ApiError::mandatory("apiKey"));
            };
            let ex = app.exchange.lock().expect("a handler panicked while holding the exchange");
            let Some(secret) = ex.secret(api_key) else {
                return ws_api::error(&id, &ApiError::bad_api_key());
            };
            let signature = params.get("signature").and_then(Value::as_str).unwrap_or("");
            let signed = format!("{}&signature={signature}", ws_api::payload(&params));
            if verify(secret, &signed, "").is_err() {
                return ws_api::error(&id, &ApiError::bad_signature());
            }
            let sid = *next_id;
            *next_id += 1;
            subscriptions.insert(sid, api_key.to_string());
            json!({ "id": id, "status": 200, "result": { "subscriptionId": sid } })
        }
        Some("userDataStream.unsubscribe") => {
            match params.get("subscriptionId").and_then(Value::as_u64) {
                Some(sid) => {
                    subscriptions.remove(&sid);
                }
                None => subscriptions.clear(),
            }
            json!({ "id": id, "status": 200, "result": {} })
        }
        Some(method) => ws_api::call(app, ip, &id, method, &params),
        None => ws_api::error(&id, &ApiError::mandatory("method")),
    }
}

//! A user-data subscriber that falls behind is told so and disconnected
//! (it used to miss executions silently): every event reaches it, or the
//! connection closes with code 1008 and the reason.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pyrt_venue_server::{DOCS_API_KEY, VenueConfig, spawn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// A listen key for the docs' account, by a raw `POST` (no signature needed).
async fn listen_key(address: std::net::SocketAddr) -> String {
    let mut tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /api/v3/userDataStream HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: {DOCS_API_KEY}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).await.unwrap();
    let body = reply.split("\r\n\r\n").nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    v["listenKey"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_is_told_and_disconnected() {
    let config = VenueConfig { user_stream_buffer: 8, step: Duration::from_secs(3600), ..VenueConfig::default() };
    let (venue, _server) = spawn(config, "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    let key = listen_key(venue.address).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/{key}", venue.address)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Far more events than the buffer holds, faster than one connection drains them.
    for n in 0..20_000 {
        let event = serde_json::json!({ "e": "executionReport", "i": n });
        let _ = venue.app.user.send(Arc::new((DOCS_API_KEY.into(), event)));
    }
    let mut seen = Vec::new();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("an answer within 10 s") {
            Some(Ok(Message::Text(text))) => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                seen.push(v["i"].as_i64().unwrap());
            }
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("the stream ended without a close frame: {other:?}"),
        }
    };
    let frame = close.expect("a close frame with a reason");
    assert_eq!(u16::from(frame.code), 1008);
    assert!(frame.reason.contains("fell behind") && frame.reason.contains("reconcile"), "{}", frame.reason);
    assert!(seen.len() < 20_000, "it did fall behind");
    // What it did get came in order, without gaps: nothing is skipped silently.
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "a gap without a close");
}

//! The REST client against the local venue, and against servers that fail
//! on purpose: 429 with Retry-After, 5xx, and a new order whose answer is
//! lost — which must be looked up, not sent twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use pyrt_adapters::binance::{BinanceRest, OrderParams, RestConfig, RestError};
use pyrt_model::Side;
use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET, VenueConfig, spawn};

async fn local_venue() -> String {
    let (venue, _server) =
        spawn(VenueConfig::default(), "127.0.0.1:0".parse().unwrap(), std::future::pending()).await.unwrap();
    format!("http://{}", venue.address)
}

fn client(base: &str) -> BinanceRest {
    let mut cfg = RestConfig::new(base, DOCS_API_KEY, DOCS_SECRET);
    cfg.backoff = Duration::from_millis(5);
    BinanceRest::new(cfg).unwrap()
}

fn order(kind: &'static str, qty: &str, price: Option<&str>, id: &str) -> OrderParams {
    OrderParams {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: kind,
        time_in_force: price.map(|_| "GTC"),
        quantity: qty.parse().unwrap(),
        price: price.map(|p| p.parse().unwrap()),
        stop_price: None,
        trailing_delta: None,
        client_order_id: id.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_against_the_local_venue() {
    let base = local_venue().await;
    let rest = client(&base);
    rest.ping().await.unwrap();
    assert!(rest.sync_time().await.unwrap().abs() < 1000);
    let info = rest.symbol_info("BTCUSDT").await.unwrap();
    assert_eq!((info.base.as_str(), info.quote.as_str()), ("BTC", "USDT"));
    assert_eq!((info.tick_size, info.step_size), ("0.01".parse().unwrap(), "0.00001".parse().unwrap()));
    let book = rest.depth("BTCUSDT", 10).await.unwrap();
    assert_eq!((book.bids.len(), book.asks.len()), (10, 10));

    let filled = rest.place_order(&order("MARKET", "0.01", None, "m-1")).await.unwrap();
    assert_eq!(filled["status"], "FILLED");
    assert_eq!(filled["clientOrderId"], "m-1");

    let price = (book.bids[0].0.to_f64() * 0.8).floor().to_string();
    let resting = rest.place_order(&order("LIMIT", "0.01", Some(&price), "l-1")).await.unwrap();
    assert_eq!(resting["status"], "NEW");
    assert_eq!(rest.open_orders("BTCUSDT").await.unwrap().len(), 1);
    assert_eq!(rest.query_order("BTCUSDT", "l-1").await.unwrap().unwrap()["status"], "NEW");
    assert_eq!(rest.cancel_order("BTCUSDT", "l-1").await.unwrap()["status"], "CANCELED");
    assert_eq!(rest.query_order("BTCUSDT", "nope").await.unwrap(), None);

    let balances = rest.account().await.unwrap();
    let usdt = balances["balances"].as_array().unwrap().iter().find(|b| b["asset"] == "USDT").unwrap().clone();
    assert_eq!(usdt["locked"], "0.00000000");

    // Rejections come back with Binance's code and are not retried.
    let err = rest.place_order(&order("MARKET", "5000", None, "m-2")).await.unwrap_err();
    assert!(matches!(err, RestError::Api { code: -2010, .. }), "{err}");
    let err = rest.place_order(&order("LIMIT", "0.01", Some("100.001"), "l-2")).await.unwrap_err();
    assert_eq!(err.to_string(), "Binance refused the request (HTTP 400, code -1013): Filter failure: PRICE_FILTER");
    let wrong = BinanceRest::new(RestConfig::new(&base, DOCS_API_KEY, "wrong")).unwrap();
    assert!(matches!(wrong.account().await.unwrap_err(), RestError::Api { code: -1022, .. }));
}

/// A server on loopback whose handlers count their calls.
async fn fault_server(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_429_and_5xx_on_reads_and_gives_up_after_the_limit() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let router = Router::new().route(
        "/api/v3/time",
        get(move || {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => (StatusCode::TOO_MANY_REQUESTS, [("Retry-After", "0")], "{}").into_response(),
                    1 => (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
                    _ => axum::Json(serde_json::json!({"serverTime": 1})).into_response(),
                }
            }
        }),
    );
    let rest = client(&fault_server(router).await);
    rest.sync_time().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let always = Router::new().route("/api/v3/ping", get(|| async { (StatusCode::BAD_GATEWAY, "down") }));
    let rest = client(&fault_server(always).await);
    let err = rest.ping().await.unwrap_err();
    assert_eq!(err, RestError::Server { status: 502, body: "down".into() });
    assert!(err.outcome_unknown());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_order_answer_is_looked_up_not_resent() {
    let posts = Arc::new(AtomicU32::new(0));
    let queries = Arc::new(AtomicU32::new(0));
    let (p, q) = (posts.clone(), queries.clone());
    // The order is accepted, but the answer is a 500 (Binance: "execution
    // status unknown"); the venue does know it when asked.
    let router = Router::new().route(
        "/api/v3/order",
        axum::routing::post(move || {
            p.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::INTERNAL_SERVER_ERROR, "timeout waiting for the matching engine") }
        })
        .get(move || {
            q.fetch_add(1, Ordering::SeqCst);
            async { axum::Json(serde_json::json!({"clientOrderId": "x-1", "status": "FILLED"})) }
        }),
    );
    let rest = client(&fault_server(router).await);
    let v = rest.place_order(&order("MARKET", "0.01", None, "x-1")).await.unwrap();
    assert_eq!(v["status"], "FILLED");
    assert_eq!((posts.load(Ordering::SeqCst), queries.load(Ordering::SeqCst)), (1, 1));

    // When the venue does not know it, it is sent again with the same id.
    let posts = Arc::new(AtomicU32::new(0));
    let p = posts.clone();
    let router = Router::new().route(
        "/api/v3/order",
        axum::routing::post(move || {
            let n = p.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
                } else {
                    axum::Json(serde_json::json!({"clientOrderId": "x-2", "status": "NEW"})).into_response()
                }
            }
        })
        .get(|| async { (StatusCode::BAD_REQUEST, r#"{"code":-2013,"msg":"Order does not exist."}"#) }),
    );
    let rest = client(&fault_server(router).await);
    assert_eq!(rest.place_order(&order("MARKET", "0.01", None, "x-2")).await.unwrap()["status"], "NEW");
    assert_eq!(posts.load(Ordering::SeqCst), 2);
}

//! The user-data client against the local venue: every execution of an
//! order placed over REST arrives, and a bad secret is refused.

use std::time::Duration;

use pyrt_adapters::binance::user::{self, UserStreamEvent};
use pyrt_adapters::binance::{BinanceRest, OrderParams, RestConfig};
use pyrt_binance::user::UserEvent;
use pyrt_model::Side;
use pyrt_venue_server::{DOCS_API_KEY, DOCS_SECRET};
use tokio::sync::{mpsc, watch};

mod common;

async fn next(rx: &mut mpsc::Receiver<UserStreamEvent>) -> UserStreamEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("the stream went quiet").expect("stopped")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_arrive_in_order() {
    let venue = common::local_venue().await;
    let (tx, mut rx) = mpsc::channel(256);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(user::run(common::user_config(venue.address, DOCS_SECRET), tx, stop));
    assert_eq!(next(&mut rx).await, UserStreamEvent::Subscribed);

    let rest =
        BinanceRest::new(RestConfig::new(format!("http://{}", venue.address), DOCS_API_KEY, DOCS_SECRET)).unwrap();
    let order = OrderParams {
        symbol: "BTCUSDT".into(),
        side: Side::Sell,
        order_type: "MARKET",
        time_in_force: None,
        quantity: "0.05".parse().unwrap(),
        price: None,
        stop_price: None,
        trailing_delta: None,
        client_order_id: "u-1".into(),
    };
    let placed = rest.place_order(&order).await.unwrap();
    let mut executions = Vec::new();
    while executions.last().is_none_or(|(_, status): &(String, String)| status != "FILLED") {
        if let UserStreamEvent::Event(UserEvent::Execution(e)) = next(&mut rx).await {
            assert_eq!((e.client_order_id.as_str(), e.order_id), ("u-1", placed["orderId"].as_u64().unwrap()));
            executions.push((e.execution_type.clone(), e.status.clone()));
        }
    }
    assert_eq!(executions[0], ("NEW".to_string(), "NEW".to_string()));
    assert!(executions[1..].iter().all(|(x, _)| x == "TRADE"));
    assert_eq!(executions.len() - 1, placed["fills"].as_array().unwrap().len());
    stop_tx.send(true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_the_stream_stops() {
    let venue = common::local_venue().await;
    let (tx, mut rx) = mpsc::channel(16);
    let (_stop_tx, stop) = watch::channel(false);
    tokio::spawn(user::run(common::user_config(venue.address, "wrong"), tx, stop));
    let UserStreamEvent::Refused { reason } = next(&mut rx).await else { panic!("expected a refusal") };
    assert_eq!(reason, "HTTP 400: Signature for this request is not valid.");
    assert!(rx.recv().await.is_none(), "the stream stops after a refusal");
}

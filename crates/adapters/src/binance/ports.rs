//! Binance behind the node's ports (`pyrt_ports`): the WebSocket feed as a
//! [`MarketDataPort`], the order gateway and the user-data stream as an
//! [`ExecutionPort`].
//!
//! [`BinanceExecution::send`] only queues: one task sends the commands over
//! REST in the order they were queued (so a cancel never overtakes its
//! order), while the node goes on reading its feeds. The REST answer
//! decides acceptance or rejection; fills, cancels and expiries come from
//! the user-data stream, each fill with the order's cumulative quantity so
//! the node never books one twice. Everything the venue says arrives on one
//! queue, in the order it was said.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use pyrt_model::{InstrumentId, OrderId, UnixNanos, VenueCommand, VenueOrderState};
use pyrt_ports::{AccountItem, ExecutionPort, FeedItem, MarketDataPort, Offers, PortError};
use tokio::sync::{mpsc, watch};

use super::feed::{self, FeedConfig, FeedEvent};
use super::gateway::{Gateway, GatewaySymbol};
use super::rest::BinanceRest;
use super::user::{self, UserStreamConfig, UserStreamEvent};
use pyrt_binance::user::UserEvent;

/// The Binance WebSocket feed as a market-data port.
pub struct BinanceMarketData {
    rx: mpsc::Receiver<FeedEvent>,
    ids: HashMap<String, InstrumentId>,
}

impl BinanceMarketData {
    /// Starts the feed's task; it runs until `stop` turns true.
    pub fn start(config: FeedConfig, rest: Arc<BinanceRest>, stop: watch::Receiver<bool>) -> Self {
        let ids = config.symbols.iter().cloned().collect();
        let (tx, rx) = mpsc::channel(65_536);
        tokio::spawn(feed::run(config, rest, tx, stop));
        Self { rx, ids }
    }

    fn instrument(&self, symbol: &str) -> InstrumentId {
        self.ids.get(symbol).copied().unwrap_or(InstrumentId(u32::MAX))
    }
}

impl MarketDataPort for BinanceMarketData {
    async fn next(&mut self) -> Option<FeedItem> {
        let event = self.rx.recv().await?;
        Some(match event {
            FeedEvent::Market(m) => FeedItem::Market(m),
            FeedEvent::Connected => FeedItem::Connected,
            FeedEvent::Synced { symbol, .. } => FeedItem::Synced { instrument: self.instrument(&symbol) },
            FeedEvent::Gap { symbol, error } => FeedItem::Gap { instrument: self.instrument(&symbol), reason: error },
            FeedEvent::BadMessage { error } => FeedItem::BadMessage { reason: error },
            FeedEvent::Disconnected { reason, retry_in } => {
                FeedItem::Disconnected { reason: format!("{reason}; reconnecting in {retry_in:?}") }
            }
        })
    }
}

/// Orders to Binance and the account's executions back, as an execution port.
pub struct BinanceExecution {
    commands: mpsc::UnboundedSender<(VenueCommand, UnixNanos)>,
    rx: mpsc::UnboundedReceiver<AccountItem>,
    gateway: Arc<Gateway>,
}

impl BinanceExecution {
    /// Starts the user-data stream and the sending task. Client order ids
    /// are `<prefix>-<order id>`; `adopted` are orders an earlier session
    /// of the run placed (kernel id, the venue's client order id, symbol
    /// index), which keep their names (see `history::run_history`).
    pub fn start(
        rest: Arc<BinanceRest>,
        prefix: &str,
        symbols: Vec<GatewaySymbol>,
        adopted: Vec<(OrderId, String, usize)>,
        user_stream: UserStreamConfig,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let mut gateway = Gateway::new(rest, prefix, symbols);
        for (id, name, symbol) in adopted {
            gateway.adopt(id, name, symbol);
        }
        let gateway = Arc::new(gateway);
        let (items, rx) = mpsc::unbounded_channel();
        let (commands, mut queued) = mpsc::unbounded_channel::<(VenueCommand, UnixNanos)>();
        // Commands, one after another, in the order they were queued.
        let (sender, to_node) = (gateway.clone(), items.clone());
        tokio::spawn(async move {
            while let Some((cmd, now)) = queued.recv().await {
                for report in sender.send(cmd, now).await {
                    if to_node.send(AccountItem::Report { report, filled_total: None }).is_err() {
                        return;
                    }
                }
            }
        });
        // The account's events, as reports.
        let (user_tx, mut user_rx) = mpsc::channel(4096);
        tokio::spawn(user::run(user_stream, user_tx, stop));
        let (reader, to_node) = (gateway.clone(), items);
        tokio::spawn(async move {
            while let Some(event) = user_rx.recv().await {
                let items: Vec<AccountItem> = match event {
                    UserStreamEvent::Subscribed => vec![AccountItem::Ready],
                    UserStreamEvent::Reconnected => vec![AccountItem::Reconnected],
                    UserStreamEvent::Refused { reason } => vec![AccountItem::Refused { reason }],
                    UserStreamEvent::Disconnected { reason, retry_in } => {
                        vec![AccountItem::Disconnected { reason: format!("{reason}; reconnecting in {retry_in:?}") }]
                    }
                    UserStreamEvent::Event(UserEvent::Execution(e)) => reader
                        .on_execution(&e)
                        .into_iter()
                        .map(|report| AccountItem::Report { report, filled_total: Some(e.cum_qty) })
                        .collect(),
                    _ => Vec::new(),
                };
                for item in items {
                    if to_node.send(item).is_err() {
                        return;
                    }
                }
            }
        });
        Self { commands, rx, gateway }
    }

    /// The client order id an order of the kernel's travels under.
    pub fn client_order_id(&self, id: OrderId) -> String {
        self.gateway.client_order_id(id)
    }
}

impl ExecutionPort for BinanceExecution {
    /// Binance Spot has neither DAY nor GTD, and trails by basis points
    /// only (`trailingDelta`): the node emulates those.
    fn offers(&self) -> Offers {
        Offers { day: false, good_till_date: false, trailing_by_price: false }
    }

    fn send(&mut self, cmd: VenueCommand, now: UnixNanos) {
        // The sending task only ends with the port; nothing to do then.
        let _ = self.commands.send((cmd, now));
    }

    fn next(&mut self) -> impl Future<Output = Option<AccountItem>> + Send {
        self.rx.recv()
    }

    fn try_next(&mut self) -> Option<AccountItem> {
        self.rx.try_recv().ok()
    }

    fn order_states(
        &mut self,
        ids: &[OrderId],
    ) -> impl Future<Output = Result<Vec<VenueOrderState>, PortError>> + Send {
        let (gateway, ids) = (self.gateway.clone(), ids.to_vec());
        async move { gateway.venue_states(&ids).await.map_err(|e| PortError(e.to_string())) }
    }
}

//! Accounts: balances, and what each account placed and traded.
//!
//! Every lookup a request makes by account is indexed, so its cost does
//! not grow with the orders the venue has seen: an order by client order
//! id (the duplicate check on every new order is one), the open orders,
//! an account's orders and trades per symbol in the order they happened
//! (for `allOrders` and `myTrades`, found by search on ids and times,
//! which both only grow). Orders can be archived (forgotten) out of the
//! middle of an account's list, so that list is a map by id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use pyrt_model::{Money, Price, Quantity};

/// An account to create: its API key, secret and starting balances.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub api_key: String,
    pub secret: String,
    pub balances: Vec<(String, Money)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    pub free: Money,
    pub locked: Money,
}

/// One of an account's trades, as `myTrades` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTrade {
    /// The trade's id on the symbol's tape.
    pub id: u64,
    pub order_id: u64,
    pub price: Price,
    pub qty: Quantity,
    pub commission: Money,
    /// An index into the account's asset names ([`Account::asset_name`]).
    pub commission_asset: u16,
    pub time_ms: i64,
    pub is_buyer: bool,
    pub is_maker: bool,
}

#[derive(Debug, Clone)]
pub struct Account {
    /// The API key, shared by every order record of the account.
    pub api_key: Arc<str>,
    pub secret: String,
    pub balances: BTreeMap<String, Balance>,
    /// The latest order with each client order id.
    by_client: HashMap<String, u64>,
    open: BTreeSet<u64>,
    /// Per symbol: order ids, and the time each was placed.
    orders: Vec<BTreeMap<u64, i64>>,
    /// Per symbol: trades as they happened.
    trades: Vec<Vec<AccountTrade>>,
    /// Commission assets, named once.
    assets: Vec<String>,
}

impl Account {
    pub fn new(spec: AccountSpec, symbols: usize) -> Self {
        let balances = spec.balances.into_iter().map(|(asset, free)| (asset, Balance { free, locked: Money::ZERO }));
        Self {
            api_key: spec.api_key.into(),
            secret: spec.secret,
            balances: balances.collect(),
            by_client: HashMap::new(),
            open: BTreeSet::new(),
            orders: vec![BTreeMap::new(); symbols],
            trades: vec![Vec::new(); symbols],
            assets: Vec::new(),
        }
    }

    /// A new order, open until [`Account::closed`].
    pub fn placed(&mut self, symbol: usize, id: u64, client_order_id: &str, time_ms: i64) {
        self.by_client.insert(client_order_id.to_string(), id);
        self.open.insert(id);
        self.orders[symbol].insert(id, time_ms);
    }

    /// Forgets a finished order: no longer found by id or client order id.
    pub fn archive(&mut self, symbol: usize, id: u64, client_order_id: &str) {
        self.orders[symbol].remove(&id);
        if self.by_client.get(client_order_id) == Some(&id) {
            self.by_client.remove(client_order_id);
        }
    }

    /// The order is no longer open (filled, cancelled, expired, rejected).
    pub fn closed(&mut self, id: u64) {
        self.open.remove(&id);
    }

    /// The latest order placed with `client_order_id`.
    pub fn by_client(&self, client_order_id: &str) -> Option<u64> {
        self.by_client.get(client_order_id).copied()
    }

    pub fn open_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.open.iter().copied()
    }

    pub fn is_open(&self, id: u64) -> bool {
        self.open.contains(&id)
    }

    /// The account's orders on `symbol` by id, with the times they were placed.
    pub fn orders(&self, symbol: usize) -> &BTreeMap<u64, i64> {
        &self.orders[symbol]
    }

    pub fn traded(&mut self, symbol: usize, trade: AccountTrade) {
        self.trades[symbol].push(trade);
    }

    /// The account's trades on `symbol`, oldest first.
    pub fn trades(&self, symbol: usize) -> &[AccountTrade] {
        &self.trades[symbol]
    }

    /// The index of an asset name, for [`AccountTrade::commission_asset`].
    pub fn asset_index(&mut self, name: &str) -> u16 {
        match self.assets.iter().position(|a| a == name) {
            Some(i) => i as u16,
            None => {
                self.assets.push(name.to_string());
                (self.assets.len() - 1) as u16
            }
        }
    }

    pub fn asset_name(&self, index: u16) -> &str {
        &self.assets[index as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_order_id_names_the_latest_order_and_open_orders_are_tracked() {
        let spec =
            AccountSpec { api_key: "k".into(), secret: "s".into(), balances: vec![("USDT".into(), Money::ZERO)] };
        let mut a = Account::new(spec, 2);
        a.placed(0, 1, "mine", 10);
        a.placed(1, 2, "other", 11);
        a.closed(1);
        a.placed(0, 3, "mine", 12);
        assert_eq!(a.by_client("mine"), Some(3));
        assert_eq!(a.by_client("nope"), None);
        assert_eq!(a.open_ids().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(a.orders(0).iter().map(|(&i, &t)| (i, t)).collect::<Vec<_>>(), [(1, 10), (3, 12)]);
        a.archive(0, 1, "mine");
        assert_eq!(a.by_client("mine"), Some(3), "archiving an older order keeps the newer one's name");
        a.archive(0, 3, "mine");
        assert_eq!(a.by_client("mine"), None);
        assert!(a.orders(0).is_empty());
        assert_eq!(a.asset_index("BTC"), 0);
        assert_eq!(a.asset_index("USDT"), 1);
        assert_eq!(a.asset_index("BTC"), 0);
        assert_eq!(a.asset_name(1), "USDT");
    }
}

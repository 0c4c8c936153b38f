//! Listen keys for the user-data stream, with Binance's lifetime rules.
//!
//! `POST /api/v3/userDataStream` hands out a key valid for 60 minutes; if
//! the account already has a live key, that same key comes back with its
//! time extended. `PUT` with the key extends it again; `DELETE` ends it.
//! A key that is not kept alive expires: its open streams receive
//! `{"e":"listenKeyExpired",..}` and are closed, and any later `PUT` or
//! `DELETE` is answered `-1125 This listenKey does not exist.`, as are keys
//! that were never issued or that belong to another account.
//!
//! Keys are 64 hex characters derived from the account's secret and a
//! counter, so they say nothing about the API key and never repeat.

use std::collections::HashMap;

use pyrt_binance::signing::sign;

use crate::errors::ApiError;

/// Binance's listen-key lifetime.
pub const DEFAULT_TTL_MS: i64 = 60 * 60 * 1000;

struct Entry {
    api_key: String,
    expires_ms: i64,
}

/// Every issued key that has not been closed.
pub struct ListenKeys {
    ttl_ms: i64,
    keys: HashMap<String, Entry>,
    issued: u64,
}

/// What a stream on a key should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Live until this time (ms).
    Live { expires_ms: i64 },
    /// It ran out without a keepalive.
    Expired,
    /// Closed by `DELETE`, or never issued.
    Gone,
}

impl ListenKeys {
    pub fn new(ttl_ms: i64) -> Self {
        Self { ttl_ms, keys: HashMap::new(), issued: 0 }
    }

    /// The account's live key, extended, or a new one.
    pub fn open(&mut self, api_key: &str, secret: &str, now_ms: i64) -> String {
        self.keys.retain(|_, e| e.expires_ms > now_ms || e.api_key != api_key);
        if let Some((key, entry)) = self.keys.iter_mut().find(|(_, e)| e.api_key == api_key) {
            entry.expires_ms = now_ms + self.ttl_ms;
            return key.clone();
        }
        self.issued += 1;
        let key = sign(secret, &format!("listenKey:{}:{now_ms}", self.issued));
        self.keys.insert(key.clone(), Entry { api_key: api_key.to_string(), expires_ms: now_ms + self.ttl_ms });
        key
    }

    /// Extends a live key of this account by the full lifetime.
    pub fn keep_alive(&mut self, key: &str, api_key: &str, now_ms: i64) -> Result<(), ApiError> {
        let ttl = self.ttl_ms;
        match self.keys.get_mut(key) {
            Some(e) if e.api_key == api_key && e.expires_ms > now_ms => {
                e.expires_ms = now_ms + ttl;
                Ok(())
            }
            _ => Err(ApiError::unknown_listen_key()),
        }
    }

    /// Ends a live key of this account.
    pub fn close(&mut self, key: &str, api_key: &str, now_ms: i64) -> Result<(), ApiError> {
        match self.keys.get(key) {
            Some(e) if e.api_key == api_key && e.expires_ms > now_ms => {
                self.keys.remove(key);
                Ok(())
            }
            _ => Err(ApiError::unknown_listen_key()),
        }
    }

    /// The account a live key streams, for opening `/ws/<key>`.
    pub fn account(&self, key: &str, now_ms: i64) -> Option<&str> {
        self.keys.get(key).filter(|e| e.expires_ms > now_ms).map(|e| e.api_key.as_str())
    }

    pub fn state(&self, key: &str, now_ms: i64) -> KeyState {
        match self.keys.get(key) {
            None => KeyState::Gone,
            Some(e) if e.expires_ms > now_ms => KeyState::Live { expires_ms: e.expires_ms },
            Some(_) => KeyState::Expired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_live_for_their_lifetime_unless_kept_alive() {
        let mut keys = ListenKeys::new(1000);
        let a = keys.open("alice", "s1", 0);
        assert_eq!(a.len(), 64);
        assert!(!a.contains("alice"));
        // Asking again while live: the same key, extended.
        assert_eq!(keys.open("alice", "s1", 500), a);
        assert_eq!(keys.state(&a, 1400), KeyState::Live { expires_ms: 1500 });
        keys.keep_alive(&a, "alice", 1400).unwrap();
        assert_eq!(keys.state(&a, 2399), KeyState::Live { expires_ms: 2400 });
        assert_eq!(keys.account(&a, 2399), Some("alice"));
        // Not kept alive: expired, and no longer usable.
        assert_eq!(keys.state(&a, 2400), KeyState::Expired);
        assert_eq!(keys.account(&a, 2400), None);
        assert_eq!(keys.keep_alive(&a, "alice", 2400).unwrap_err().code, -1125);
        // A new key after expiry is a different key.
        let b = keys.open("alice", "s1", 3000);
        assert_ne!(a, b);
        assert_eq!(keys.state(&a, 3000), KeyState::Gone);
    }

    #[test]
    fn only_the_owner_can_keep_alive_or_close_a_key() {
        let mut keys = ListenKeys::new(1000);
        let a = keys.open("alice", "s1", 0);
        let b = keys.open("bob", "s2", 0);
        assert_ne!(a, b);
        assert_eq!(keys.keep_alive(&a, "bob", 10).unwrap_err().code, -1125);
        assert_eq!(keys.close(&a, "bob", 10).unwrap_err().code, -1125);
        assert_eq!(keys.keep_alive("never-issued", "alice", 10).unwrap_err().code, -1125);
        keys.close(&a, "alice", 10).unwrap();
        assert_eq!(keys.state(&a, 10), KeyState::Gone);
        assert_eq!(keys.close(&a, "alice", 10).unwrap_err().code, -1125);
        assert_eq!(keys.state(&b, 10), KeyState::Live { expires_ms: 1000 });
    }
}

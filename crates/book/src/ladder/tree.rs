//! Levels in a `BTreeMap`: every operation logarithmic, any price.

use std::collections::BTreeMap;

/// Key → raw quantity; best last.
#[derive(Debug, Clone, Default)]
pub(super) struct TreeLadder {
    levels: BTreeMap<i64, i64>,
}

impl TreeLadder {
    #[inline]
    pub(super) fn set(&mut self, key: i64, qty: i64) {
        if qty == 0 {
            self.levels.remove(&key);
        } else {
            self.levels.insert(key, qty);
        }
    }

    pub(super) fn get(&self, key: i64) -> i64 {
        self.levels.get(&key).copied().unwrap_or(0)
    }

    #[inline]
    pub(super) fn best(&self) -> Option<(i64, i64)> {
        self.levels.last_key_value().map(|(&k, &q)| (k, q))
    }

    pub(super) fn iter_best_first(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.levels.iter().rev().map(|(&k, &q)| (k, q))
    }

    /// Takes every level at or above `key` out of the tree.
    pub(super) fn split_off_from(&mut self, key: i64) -> BTreeMap<i64, i64> {
        self.levels.split_off(&key)
    }

    pub(super) fn len(&self) -> usize {
        self.levels.len()
    }

    pub(super) fn clear(&mut self) {
        self.levels.clear();
    }
}

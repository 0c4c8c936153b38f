//! A direct reader for depth messages, the one kind of frame whose size
//! grows with the market.
//!
//! A USD-M diff at a busy moment carries 500 levels or more, and reading it
//! through serde's generic visitors cost about 70 ns a level: most of the
//! time from a WebSocket frame to a trading decision. [`scan`] reads the two
//! depth shapes — a `depthUpdate` event (diff or futures partial depth) and
//! a `lastUpdateId` book (REST snapshot, spot partial depth), bare or
//! wrapped by a combined stream — byte by byte into the same
//! [`StreamMessage`] that [`parse`](crate::parse) builds.
//!
//! It is a fast path, not a second parser. It accepts only what it fully
//! understands: keys it knows, each once; strings without escapes; plain
//! unsigned integers; prices and sizes as decimal strings. For anything
//! else, valid or not, it returns `None` and the general parser decides, so
//! every answer and every error message stays the general parser's. The
//! tests hold it to that on every recorded frame and on mutated ones.

use pyrt_book::UpdateIds;
use pyrt_model::fixed::parse_plain_prefix;
use pyrt_model::{Price, Quantity};

use crate::stream::{DepthSnapshot, DepthUpdate, Levels, StreamMessage};

/// The depth message in `text`, or `None` when the general parser must
/// decide.
pub(crate) fn scan(text: &str) -> Option<StreamMessage> {
    let mut cursor = Cursor { text, bytes: text.as_bytes(), pos: 0 };
    cursor.expect(b'{')?;
    let key = cursor.first_key()?;
    let message = if key == Some("stream") {
        cursor.string()?;
        cursor.next_key()?.filter(|k| *k == "data")?;
        let message = cursor.depth_object()?;
        if cursor.next_key()?.is_some() {
            return None;
        }
        message
    } else {
        // A bare frame: this object is the message; read its first key again.
        cursor.pos = 0;
        cursor.depth_object()?
    };
    cursor.end()?;
    Some(message)
}

/// The fields a depth message may carry, each at most once.
#[derive(Default)]
#[allow(non_snake_case)]
struct DepthFields<'a> {
    event: Option<&'a str>,
    ignored: [Option<&'a str>; 3],
    symbol: Option<&'a str>,
    E: Option<u64>,
    T: Option<u64>,
    U: Option<u64>,
    u: Option<u64>,
    pu: Option<u64>,
    last_update_id: Option<u64>,
    /// `b`/`a` in events, `bids`/`asks` in books: different keys to the
    /// general parser, so they are kept apart here too.
    b: Option<Levels>,
    a: Option<Levels>,
    bids: Option<Levels>,
    asks: Option<Levels>,
}

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Reads `{ ... }` holding a depth message's keys.
    fn depth_object(&mut self) -> Option<StreamMessage> {
        self.expect(b'{')?;
        let mut f = DepthFields::default();
        let mut key = self.first_key();
        while let Some(k) = key? {
            match k {
                "e" => set(&mut f.event, self.string()?)?,
                "s" => set(&mut f.symbol, self.string()?)?,
                "E" => set(&mut f.E, self.integer()?)?,
                "T" => set(&mut f.T, self.integer()?)?,
                "U" => set(&mut f.U, self.integer()?)?,
                "u" => set(&mut f.u, self.integer()?)?,
                "pu" => set(&mut f.pu, self.integer()?)?,
                // Names no message keeps: COIN-M's pair in events (`ps`),
                // and symbol and pair in its REST snapshots.
                "ps" => set(&mut f.ignored[0], self.string()?)?,
                "symbol" => set(&mut f.ignored[1], self.string()?)?,
                "pair" => set(&mut f.ignored[2], self.string()?)?,
                "lastUpdateId" => set(&mut f.last_update_id, self.integer()?)?,
                "b" => set(&mut f.b, self.levels()?)?,
                "a" => set(&mut f.a, self.levels()?)?,
                "bids" => set(&mut f.bids, self.levels()?)?,
                "asks" => set(&mut f.asks, self.levels()?)?,
                _ => return None,
            }
            key = self.next_key();
        }
        f.into_message()
    }

    /// After `{`: the first key and its `:`, or `Some(None)` for `{}`.
    fn first_key(&mut self) -> Option<Option<&'a str>> {
        self.skip_space();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(None);
        }
        self.key().map(Some)
    }

    /// After a value: `, key :` or the closing `}` (`Some(None)`).
    fn next_key(&mut self) -> Option<Option<&'a str>> {
        self.skip_space();
        match self.peek()? {
            b'}' => {
                self.pos += 1;
                Some(None)
            }
            b',' => {
                self.pos += 1;
                self.key().map(Some)
            }
            _ => None,
        }
    }

    fn key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.expect(b':')?;
        Some(key)
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match *self.bytes.get(self.pos)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
        let text = self.text.get(start..self.pos);
        self.pos += 1;
        // Both ends are ASCII quotes, so the slice is always on characters.
        text
    }

    /// An unsigned integer as JSON spells it (no leading zeros, no fraction).
    fn integer(&mut self) -> Option<u64> {
        self.skip_space();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(&b) = self.bytes.get(self.pos) {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value.checked_mul(10)?.checked_add(digit as u64)?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && self.bytes[start] == b'0';
        let fraction = matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        (digits > 0 && !leading_zero && !fraction).then_some(value)
    }

    /// `[["price","qty"], ...]` with every price above zero and no negative
    /// size, as the general parser requires.
    fn levels(&mut self) -> Option<Levels> {
        self.expect(b'[')?;
        // Sizing from the bytes left was measured no faster.
        let mut levels = Vec::with_capacity(32);
        self.skip_space();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(levels);
        }
        loop {
            self.expect(b'[')?;
            let price = Price::from_raw(self.decimal()?);
            self.expect(b',')?;
            let qty = Quantity::from_raw(self.decimal()?);
            self.expect(b']')?;
            if !price.is_positive() || qty.is_negative() {
                return None;
            }
            levels.push((price, qty));
            self.skip_space();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(levels);
                }
                _ => return None,
            }
        }
    }

    /// `"digits[.digits]"`, read as it is scanned. Any other spelling,
    /// including ones `FromStr` would take, is for the general parser.
    #[inline]
    fn decimal(&mut self) -> Option<i64> {
        self.expect(b'"')?;
        let (raw, read) = parse_plain_prefix(&self.bytes[self.pos..])?;
        self.pos += read;
        self.expect_now(b'"')?;
        Some(raw)
    }

    /// `byte` right here, with no whitespace before it.
    #[inline]
    fn expect_now(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Only whitespace may follow the message.
    fn end(&mut self) -> Option<()> {
        self.skip_space();
        (self.pos == self.bytes.len()).then_some(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }
}

/// Stores a field's value; a key seen twice is for the general parser.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value))
}

impl DepthFields<'_> {
    /// The message these fields make, when the general parser would make
    /// the same one from them.
    fn into_message(self) -> Option<StreamMessage> {
        match self.event {
            Some("depthUpdate") => {
                let (first, last) = (self.U?, self.u?);
                let book_keys = self.last_update_id.is_some() || self.bids.is_some() || self.asks.is_some();
                if first > last || book_keys {
                    return None;
                }
                Some(StreamMessage::Depth(DepthUpdate {
                    symbol: self.symbol?.to_string(),
                    event_time_ms: i64::try_from(self.E?).ok()?,
                    transaction_time_ms: self.T.map(i64::try_from).transpose().ok()?,
                    ids: UpdateIds { first, last, prev_last: self.pu },
                    bids: self.b?,
                    asks: self.a?,
                }))
            }
            None => {
                // A book by `lastUpdateId`; futures snapshots add `E` and `T`.
                let event_keys = self.symbol.is_some()
                    || self.U.is_some()
                    || self.u.is_some()
                    || self.pu.is_some()
                    || self.b.is_some()
                    || self.a.is_some();
                let times_fit = [self.E, self.T].iter().flatten().all(|&t| i64::try_from(t).is_ok());
                if event_keys || !times_fit {
                    return None;
                }
                Some(StreamMessage::Snapshot(DepthSnapshot {
                    last_update_id: self.last_update_id?,
                    bids: self.bids?,
                    asks: self.asks?,
                }))
            }
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::*;
    use crate::capture::CaptureReader;
    use crate::stream::parse_general;

    /// The fast path's answer, held to the general parser's.
    fn agrees(text: &str) -> Option<StreamMessage> {
        let fast = scan(text);
        if let Some(message) = &fast {
            assert_eq!(parse_general(text).as_ref(), Ok(message), "fast path differs on {text}");
        }
        fast
    }

    const SPOT: &str = r#"{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":50093239189,"u":50093239202,"b":[["61737.63000000","0.00000000"],["61730.17","1.5"]],"a":[["61837.64000000","0.01000000"]]}"#;

    #[test]
    fn reads_every_depth_shape() {
        let combined = format!(r#"{{"stream":"btcusdt@depth@100ms","data":{SPOT}}}"#);
        let futures = r#"{"e":"depthUpdate","E":1723161257440,"T":1723161257432,"s":"BTCUSD_PERP","ps":"BTCUSD","U":10,"u":12,"pu":9,"b":[],"a":[["61773.6","1001"]]}"#;
        let snapshot = r#"{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}"#;
        let futures_snapshot = r#"{"lastUpdateId":160,"E":1571889248277,"T":1571889248276,"bids":[],"asks":[]}"#;
        let pretty =
            " {\n  \"lastUpdateId\" : 160 ,\n  \"bids\" : [ [ \"0.0024\" , \"10\" ] ],\r\n\t\"asks\": [ ]\n}\n";
        for text in [SPOT, &combined, futures, snapshot, futures_snapshot, pretty] {
            assert!(agrees(text).is_some(), "declined {text}");
        }
        let Some(StreamMessage::Depth(d)) = scan(SPOT) else { panic!("not a diff") };
        assert_eq!(d.bids[1], ("61730.17".parse().unwrap(), "1.5".parse().unwrap()));
        assert_eq!(d.ids, UpdateIds { first: 50093239189, last: 50093239202, prev_last: None });
    }

    /// Valid or not, each of these is for the general parser: the fast path
    /// must not guess at what it does not fully take.
    #[test]
    fn declines_what_it_does_not_fully_take() {
        let cases = [
            // Spellings serde accepts: escapes, numbers as prices, exponents, signs.
            SPOT.replace(r#""BTCUSDT""#, r#""BTC\u0055SDT""#),
            SPOT.replace(r#""61730.17""#, "61730.17"),
            SPOT.replace(r#""61730.17""#, r#""6.173017e4""#),
            SPOT.replace(r#""1.5""#, r#""+1.5""#),
            SPOT.replace(r#""1.5""#, r#""1.5000000001""#),
            // Keys it does not know, seen twice, or of the other shape.
            SPOT.replace(r#""E":"#, r#""x":1,"E":"#),
            SPOT.replace(r#""E":"#, r#""E":1,"E":"#),
            SPOT.replace(r#""b":"#, r#""bids":"#),
            SPOT.replace(r#""U":"#, r#""lastUpdateId":3,"U":"#),
            // Errors the general parser words: missing, bad and out-of-range fields.
            SPOT.replace(r#""s":"BTCUSDT","#, ""),
            SPOT.replace(r#""U":50093239189"#, r#""U":60093239189"#),
            SPOT.replace(r#""61730.17""#, r#""0""#),
            SPOT.replace(r#""1.5""#, r#""-1.5""#),
            SPOT.replace(r#""1.5""#, r#""NaN""#),
            SPOT.replace(r#""61730.17""#, r#""99999999999""#),
            SPOT.replace(r#""E":1723161255208"#, r#""E":01723161255208"#),
            SPOT.replace(r#""E":1723161255208"#, r#""E":-1"#),
            SPOT.replace(r#""E":1723161255208"#, r#""E":18446744073709551615"#),
            SPOT.replace(r#""U":50093239189"#, r#""U":5.0e10"#),
            SPOT.replace(r#""depthUpdate""#, r#""trade""#),
            format!("{SPOT} x"),
            SPOT[..SPOT.len() - 1].to_string(),
            format!(r#"{{"data":{SPOT},"stream":"x"}}"#),
            format!(r#"{{"stream":"x","data":{SPOT},"id":1}}"#),
            r#"{"lastUpdateId":1,"bids":[],"asks":[],"s":"BTCUSDT"}"#.to_string(),
            r#"{"lastUpdateId":1,"bids":[]}"#.to_string(),
        ];
        for text in &cases {
            assert_eq!(agrees(text), None, "took {text}");
            assert_eq!(crate::parse(text), parse_general(text));
        }
    }

    fn shared() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
        if !dir.is_dir() {
            eprintln!("SKIPPED: shared data not found at {}", dir.display());
            return None;
        }
        Some(dir)
    }

    /// Every frame of three recorded sessions (spot, USD-M, COIN-M): the
    /// fast path takes every depth message and gives the general parser's
    /// answer. (`tests/parser_robustness.rs` does the same for damaged
    /// frames through `parse`.)
    #[test]
    fn takes_every_recorded_depth_message_as_the_general_parser_reads_it() {
        let Some(shared) = shared() else { return };
        for file in ["spot_btcusdt_20240808.gz", "usdm_btcusdt_20240808.gz", "cm_btcusd_perp_20240808.gz"] {
            let mut reader = CaptureReader::open(shared.join("data/hftbacktest/raw").join(file)).unwrap();
            let (mut depth, mut taken) = (0, 0);
            while let Some(record) = reader.next_record() {
                let text = record.unwrap().message.to_string();
                let general = parse_general(&text);
                let fast = agrees(&text);
                if matches!(general, Ok(StreamMessage::Depth(_) | StreamMessage::Snapshot(_))) {
                    depth += 1;
                    taken += fast.is_some() as usize;
                } else {
                    assert!(fast.is_none(), "{file}: took a frame that is not depth");
                }
            }
            assert!(depth > 1000, "{file}: only {depth} depth messages");
            assert_eq!(taken, depth, "{file}: declined a recorded depth message");
        }
    }

    fn level() -> impl Strategy<Value = String> {
        ("[0-9]{1,6}", prop::option::of("[0-9]{0,9}"), "[0-9]{1,4}", prop::option::of("[0-9]{0,9}")).prop_map(
            |(pi, pf, qi, qf)| {
                let num = |i: String, f: Option<String>| f.map_or(i.clone(), |f| format!("{i}.{f}"));
                format!(r#"["{}","{}"]"#, num(pi, pf), num(qi, qf))
            },
        )
    }

    proptest! {
        /// Diffs built in any key order, with any whitespace between
        /// tokens: taken, and read as the general parser reads them.
        #[test]
        fn takes_any_key_order_and_spacing(
            bids in prop::collection::vec(level(), 0..6),
            asks in prop::collection::vec(level(), 0..6),
            order in Just((0..8).collect::<Vec<usize>>()).prop_shuffle(),
            space in prop::collection::vec(prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"]), 64),
            first in 0u64..1 << 40, span in 0u64..1000, wrapped in any::<bool>(),
        ) {
            let fields = [
                r#""e":"depthUpdate""#.to_string(),
                r#""E":1723161255208"#.to_string(),
                r#""T":1723161255207"#.to_string(),
                r#""s":"BTCUSDT""#.to_string(),
                format!(r#""U":{first}"#),
                format!(r#""u":{}"#, first + span),
                format!(r#""b":[{}]"#, bids.join(",")),
                format!(r#""a":[{}]"#, asks.join(",")),
            ];
            let body = order.iter().map(|&i| fields[i].clone()).collect::<Vec<_>>().join(",");
            let mut text = format!("{{{body}}}");
            if wrapped {
                text = format!(r#"{{"stream":"btcusdt@depth","data":{text}}}"#);
            }
            // Whitespace after every structural byte outside strings.
            let mut spaced = String::new();
            let mut in_string = false;
            for (i, c) in text.chars().enumerate() {
                spaced.push(c);
                in_string ^= c == '"';
                if !in_string && "{}[],:".contains(c) {
                    spaced.push_str(space[i % space.len()]);
                }
            }
            let expect_taken = parse_general(&spaced).is_ok();
            prop_assert_eq!(agrees(&spaced).is_some(), expect_taken);
        }
    }
}

//! Input mutation for the campaign: the byte-level moves of AFL and
//! libFuzzer (flip, insert, delete, repeat, splice) plus tokens that
//! matter to these parsers (digits, signs, exponents, separators, long
//! runs), so a few mutations reach deep into a number or a CSV row.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Tokens worth inserting whole.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"1",
    b"9",
    b"-",
    b"+",
    b".",
    b"e",
    b"E",
    b"e-",
    b"e+",
    b"1e308",
    b"1e-2147483648",
    b"NaN",
    b"inf",
    b"-0",
    b"00000000000000000000",
    b"99999999999999999999",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"0.000000001",
    b",",
    b";",
    b"\n",
    b"\r\n",
    b"\"",
    b" ",
    b"\t",
    b"\0",
    b"\xff",
    b":",
    b"=",
    b"&",
    b"%",
    b"@lag",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"e\":",
    b"true",
    b"null",
    b"2024-01-01",
    b"T00:00:00Z",
    b"bps:",
    b"/",
    b"timestamp=",
    b"recvWindow=",
    b"signature=",
    b"PAR1",
    b"[order_limits]",
    b"max_quantity = ",
];

pub struct Mutator {
    rng: Xoshiro256PlusPlus,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Self { rng: Xoshiro256PlusPlus::seed_from_u64(seed) }
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.rng.random_range(0..n) }
    }

    /// A mutant of `input` (1 to 4 moves), splicing from `other`; at most
    /// `max_len` bytes.
    pub fn mutate(&mut self, input: &[u8], other: &[u8], max_len: usize) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(out.len() + 1);
            match self.below(8) {
                0 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] ^= 1 << self.below(8);
                }
                1 if !out.is_empty() => {
                    let i = self.below(out.len());
                    out[i] = self.rng.random();
                }
                2 => {
                    let token = TOKENS[self.below(TOKENS.len())];
                    out.splice(at..at, token.iter().copied());
                }
                3 if !out.is_empty() => {
                    let end = (at + 1 + self.below(16)).min(out.len());
                    out.drain(at.min(end)..end);
                }
                4 if !out.is_empty() => {
                    // Repeat a slice: long fields and many rows.
                    let start = self.below(out.len());
                    let end = (start + 1 + self.below(32)).min(out.len());
                    let piece = out[start..end].to_vec();
                    for _ in 0..1 + self.below(64) {
                        out.splice(at..at, piece.iter().copied());
                    }
                }
                5 if !other.is_empty() => {
                    let start = self.below(other.len());
                    let end = (start + 1 + self.below(64)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
                6 if !out.is_empty() => {
                    // Replace a digit run with an interesting number.
                    let i = self.below(out.len());
                    if out[i].is_ascii_digit() {
                        let end = out[i..].iter().position(|b| !b.is_ascii_digit()).map_or(out.len(), |p| i + p);
                        let token = TOKENS[self.below(TOKENS.len())];
                        out.splice(i..end, token.iter().copied());
                    }
                }
                _ => {
                    let byte: u8 = self.rng.random();
                    out.insert(at, byte);
                }
            }
        }
        out.truncate(max_len);
        out
    }
}

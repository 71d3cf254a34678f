//! Text key=value data segments (RFC 7143 section 6.1): parsing
//! ([`KeyValueIter`]), writing ([`KeyValueWriter`]), and the hex (`0x`),
//! base64 (`0b`) and decimal value encodings (section 6.1, "hex-constant",
//! "base64-constant", "decimal-constant").
//!
//! A text data segment is a sequence of `key=value\0` pairs. A key-name
//! is 1..=63 bytes of letters, digits, `.`, `-`, `+`, `@`, `_` starting
//! with a capital letter (`#` is also accepted, for `X#` extension keys).
//! A value is any bytes except NUL; at most 255 bytes, or 8192 bytes if it
//! is a hex/base64 constant (large binary values such as CHAP_C/CHAP_R).
//! Negotiation rules are not part of the codec.

use super::error::TextError;

/// Longest key-name, in bytes.
pub const MAX_KEY_LEN: usize = 63;
/// Longest ordinary value, in bytes (RFC 7143 6.1).
pub const MAX_VALUE_LEN: usize = 255;
/// Longest hex/base64 encoded value accepted, in bytes (the 8192-byte
/// bound on key=value text an implementation must accept).
pub const MAX_LARGE_VALUE_LEN: usize = 8192;

/// One `key=value` pair, borrowing from the data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyValue<'a> {
    /// The key-name (validated, ASCII).
    pub key: &'a str,
    /// The raw value bytes (no NUL; may be UTF-8, hex or base64 constants,
    /// comma-separated lists...).
    pub value: &'a [u8],
}

impl<'a> KeyValue<'a> {
    /// The value as UTF-8 text, if it is valid UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.value).ok()
    }
}

/// Is `c` allowed in a key-name (after the first character)?
const fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'@' | b'_' | b'#')
}

/// Validate a key-name: 1..=63 bytes, a letter first, then key
/// characters.
pub fn check_key(key: &[u8]) -> Result<(), TextError> {
    let (first, rest) = key.split_first().ok_or(TextError::EmptyKey)?;
    if key.len() > MAX_KEY_LEN {
        return Err(TextError::KeyTooLong);
    }
    // RFC 7143 6.1 standard-labels begin with an uppercase letter, but
    // later RFCs define keys that do not (iSCSIProtocolLevel, RFC 7144;
    // iSERHelloRequired, RFC 7145): accept any letter first.
    if !first.is_ascii_alphabetic() {
        return Err(TextError::BadKeyChar(*first));
    }
    match rest.iter().find(|c| !is_key_char(**c)) {
        Some(c) => Err(TextError::BadKeyChar(*c)),
        None => Ok(()),
    }
}

/// The length limit that applies to `value` by default: 8192 bytes for a
/// hex/base64 constant, 255 otherwise.
pub fn value_limit(value: &[u8]) -> usize {
    if binary_encoding(value).is_some() {
        MAX_LARGE_VALUE_LEN
    } else {
        MAX_VALUE_LEN
    }
}

/// Iterator over the `key=value` pairs of a (complete) text data segment.
/// `Item = Result<KeyValue, TextError>`; after an error it yields nothing
/// more. Empty entries (two NULs in a row, e.g. padding) are skipped.
#[derive(Debug, Clone)]
pub struct KeyValueIter<'a> {
    rest: &'a [u8],
    max_value_len: Option<usize>,
}

impl<'a> KeyValueIter<'a> {
    /// Iterate over `data` (DataSegmentLength bytes, without padding) with
    /// the default value limits ([`value_limit`]).
    pub const fn new(data: &'a [u8]) -> Self {
        KeyValueIter {
            rest: data,
            max_value_len: None,
        }
    }

    /// Iterate with one value limit (bytes) for every value.
    pub const fn with_max_value_len(data: &'a [u8], max_value_len: usize) -> Self {
        KeyValueIter {
            rest: data,
            max_value_len: Some(max_value_len),
        }
    }

    fn parse(&self, pair: &'a [u8]) -> Result<KeyValue<'a>, TextError> {
        let eq = pair
            .iter()
            .position(|&c| c == b'=')
            .ok_or(TextError::MissingEquals)?;
        let (key, value) = pair.split_at_checked(eq).ok_or(TextError::MissingEquals)?;
        let value = value.get(1..).ok_or(TextError::MissingEquals)?;
        check_key(key)?;
        let limit = self.max_value_len.unwrap_or_else(|| value_limit(value));
        if value.len() > limit {
            return Err(TextError::ValueTooLong);
        }
        let key = core::str::from_utf8(key).map_err(|_| TextError::BadKeyChar(0x80))?;
        Ok(KeyValue { key, value })
    }
}

impl<'a> Iterator for KeyValueIter<'a> {
    type Item = Result<KeyValue<'a>, TextError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let Some(nul) = self.rest.iter().position(|&c| c == 0) else {
                self.rest = &[];
                return Some(Err(TextError::MissingNul));
            };
            let (pair, after) = self.rest.split_at_checked(nul).unwrap_or((&[], &[]));
            self.rest = after.get(1..).unwrap_or(&[]);
            if pair.is_empty() {
                continue;
            }
            let r = self.parse(pair);
            if r.is_err() {
                self.rest = &[];
            }
            return Some(r);
        }
    }
}

/// The value of the first pair with this key, `Ok(None)` if absent, or
/// the first parse error met before it.
pub fn find<'a>(data: &'a [u8], key: &str) -> Result<Option<&'a [u8]>, TextError> {
    for kv in KeyValueIter::new(data) {
        let kv = kv?;
        if kv.key == key {
            return Ok(Some(kv.value));
        }
    }
    Ok(None)
}

/// Appends `key=value\0` pairs to a caller-supplied buffer. A failed
/// append (overflow, bad key or value) writes nothing.
#[derive(Debug)]
pub struct KeyValueWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> KeyValueWriter<'a> {
    /// A writer appending at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        KeyValueWriter { buf, len: 0 }
    }

    /// Bytes written so far (the DataSegmentLength to send).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Nothing written yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes still free in the buffer.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.len)
    }

    /// The text written so far.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Reserve `key=` + `value_len` + NUL after checking the key; returns
    /// the slice for the value.
    fn reserve(&mut self, key: &str, value_len: usize) -> Result<&mut [u8], TextError> {
        check_key(key.as_bytes())?;
        let need = key.len().saturating_add(value_len).saturating_add(2);
        let start = self.len;
        let end = start.checked_add(need).ok_or(TextError::Overflow)?;
        let dst = self.buf.get_mut(start..end).ok_or(TextError::Overflow)?;
        let (k, rest) = dst
            .split_at_mut_checked(key.len())
            .ok_or(TextError::Overflow)?;
        k.copy_from_slice(key.as_bytes());
        let (eq, rest) = rest.split_first_mut().ok_or(TextError::Overflow)?;
        *eq = b'=';
        let (nul, v) = rest.split_last_mut().ok_or(TextError::Overflow)?;
        *nul = 0;
        self.len = end;
        Ok(v)
    }

    /// Append `key=value\0`. The value must not contain NUL and must
    /// respect [`value_limit`].
    pub fn push(&mut self, key: &str, value: &[u8]) -> Result<(), TextError> {
        if let Some(c) = value.iter().find(|&&c| c == 0) {
            return Err(TextError::BadValueChar(*c));
        }
        if value.len() > value_limit(value) {
            return Err(TextError::ValueTooLong);
        }
        self.reserve(key, value.len())?.copy_from_slice(value);
        Ok(())
    }

    /// Append `key=value\0` with a text value.
    pub fn push_str(&mut self, key: &str, value: &str) -> Result<(), TextError> {
        self.push(key, value.as_bytes())
    }

    /// Append `key=Yes\0` or `key=No\0`.
    pub fn push_bool(&mut self, key: &str, value: bool) -> Result<(), TextError> {
        self.push(key, if value { b"Yes" } else { b"No" })
    }

    /// Append `key=<decimal>\0`.
    pub fn push_u64(&mut self, key: &str, value: u64) -> Result<(), TextError> {
        let mut tmp = [0u8; 20];
        let n = write_decimal(value, &mut tmp)?;
        self.push(key, tmp.get(..n).unwrap_or(&[]))
    }

    /// Append `key=0x<hex>\0` encoding `bytes` (lowercase hex).
    pub fn push_hex(&mut self, key: &str, bytes: &[u8]) -> Result<(), TextError> {
        let n = bytes
            .len()
            .checked_mul(2)
            .and_then(|n| n.checked_add(2))
            .ok_or(TextError::Overflow)?;
        self.push_encoded(key, n, |v| encode_hex(bytes, v))
    }

    /// Append `key=0b<base64>\0` encoding `bytes` (with `=` padding).
    pub fn push_base64(&mut self, key: &str, bytes: &[u8]) -> Result<(), TextError> {
        let n = base64_len(bytes.len())
            .checked_add(2)
            .ok_or(TextError::Overflow)?;
        self.push_encoded(key, n, |v| encode_base64(bytes, v))
    }

    /// Append `key=` and an `n`-byte value (prefix included) that `encode`
    /// writes; on failure nothing is appended.
    fn push_encoded(
        &mut self,
        key: &str,
        n: usize,
        encode: impl FnOnce(&mut [u8]) -> Result<usize, TextError>,
    ) -> Result<(), TextError> {
        if n > MAX_LARGE_VALUE_LEN {
            return Err(TextError::ValueTooLong);
        }
        let start = self.len;
        let v = self.reserve(key, n)?;
        if encode(v).is_err() {
            self.len = start;
            return Err(TextError::Overflow);
        }
        Ok(())
    }
}

/// How a binary value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryEncoding {
    /// `0x`/`0X` followed by hex digits.
    Hex,
    /// `0b`/`0B` followed by base64 (RFC 4648) characters.
    Base64,
}

/// The encoding of a value that is a hex or base64 constant (prefix and
/// at least one more byte), else `None`.
pub fn binary_encoding(value: &[u8]) -> Option<BinaryEncoding> {
    match value {
        [b'0', b'x' | b'X', _, ..] => Some(BinaryEncoding::Hex),
        [b'0', b'b' | b'B', _, ..] => Some(BinaryEncoding::Base64),
        _ => None,
    }
}

const fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

const fn b64_val(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Lowercase hex digit of the low 4 bits of `n`.
const fn hex_digit(n: u8) -> u8 {
    match n & 0xf {
        d @ 0..=9 => b'0' + d,
        d => b'a' + (d - 10),
    }
}

/// Base64 character of the low 6 bits of `n`.
const fn b64_char(n: u32) -> u8 {
    let d = (n & 0x3f) as u8;
    match d {
        0..=25 => b'A' + d,
        26..=51 => b'a' + (d - 26),
        52..=61 => b'0' + (d - 52),
        62 => b'+',
        _ => b'/',
    }
}

/// Length of the base64 encoding (with padding) of `n` bytes, without the
/// `0b` prefix.
pub const fn base64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// Number of bytes a hex or base64 constant decodes to (an upper bound for
/// malformed input); `None` if `value` is not such a constant.
pub fn decoded_len(value: &[u8]) -> Option<usize> {
    let body = value.get(2..)?;
    match binary_encoding(value)? {
        BinaryEncoding::Hex => Some(body.len().div_ceil(2)),
        BinaryEncoding::Base64 => {
            let pad = body.iter().rev().take_while(|&&c| c == b'=').count();
            let chars = body.len().saturating_sub(pad);
            Some(chars.saturating_mul(3) / 4)
        }
    }
}

/// Decode a hex (`0x`) or base64 (`0b`) constant into `out`; returns the
/// number of bytes. An odd number of hex digits gets a leading zero
/// nibble. Base64 padding is optional.
pub fn decode_binary(value: &[u8], out: &mut [u8]) -> Result<usize, TextError> {
    let enc = binary_encoding(value).ok_or(TextError::BadEncoding)?;
    let body = value.get(2..).ok_or(TextError::BadEncoding)?;
    let n = decoded_len(value).ok_or(TextError::BadEncoding)?;
    let dst = out.get_mut(..n).ok_or(TextError::Overflow)?;
    match enc {
        BinaryEncoding::Hex => {
            // If odd, the first output byte takes a single digit.
            let mut digits = body.iter();
            let mut odd = body.len() % 2 == 1;
            for d in dst.iter_mut() {
                let hi = if odd {
                    odd = false;
                    0
                } else {
                    digits
                        .next()
                        .and_then(|c| hex_val(*c))
                        .ok_or(TextError::BadEncoding)?
                };
                let lo = digits
                    .next()
                    .and_then(|c| hex_val(*c))
                    .ok_or(TextError::BadEncoding)?;
                *d = (hi << 4) | lo;
            }
            Ok(n)
        }
        BinaryEncoding::Base64 => {
            let pad = body.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return Err(TextError::BadEncoding);
            }
            let chars = body
                .get(..body.len().saturating_sub(pad))
                .ok_or(TextError::BadEncoding)?;
            if chars.len() % 4 == 1 || (pad > 0 && (chars.len().wrapping_add(pad)) % 4 != 0) {
                return Err(TextError::BadEncoding);
            }
            let mut acc: u32 = 0;
            let mut bits: u32 = 0;
            let mut o = dst.iter_mut();
            for &c in chars {
                let v = b64_val(c).ok_or(TextError::BadEncoding)?;
                acc = (acc << 6) | u32::from(v);
                bits += 6;
                if bits >= 8 {
                    bits -= 8;
                    let byte = (acc >> bits) as u8;
                    acc &= (1 << bits) - 1;
                    *o.next().ok_or(TextError::BadEncoding)? = byte;
                }
            }
            Ok(n)
        }
    }
}

/// Write `0x` + lowercase hex of `bytes` into `out`; returns the bytes
/// written (2 + 2 * len).
pub fn encode_hex(bytes: &[u8], out: &mut [u8]) -> Result<usize, TextError> {
    let n = bytes
        .len()
        .checked_mul(2)
        .and_then(|n| n.checked_add(2))
        .ok_or(TextError::Overflow)?;
    let dst = out.get_mut(..n).ok_or(TextError::Overflow)?;
    let (prefix, body) = dst.split_at_mut_checked(2).ok_or(TextError::Overflow)?;
    prefix.copy_from_slice(b"0x");
    for (pair, b) in body.chunks_exact_mut(2).zip(bytes) {
        if let [h, l] = pair {
            *h = hex_digit(b >> 4);
            *l = hex_digit(*b);
        }
    }
    Ok(n)
}

/// Write `0b` + base64 (RFC 4648, with `=` padding) of `bytes` into
/// `out`; returns the bytes written.
pub fn encode_base64(bytes: &[u8], out: &mut [u8]) -> Result<usize, TextError> {
    let n = base64_len(bytes.len())
        .checked_add(2)
        .ok_or(TextError::Overflow)?;
    let dst = out.get_mut(..n).ok_or(TextError::Overflow)?;
    let (prefix, body) = dst.split_at_mut_checked(2).ok_or(TextError::Overflow)?;
    prefix.copy_from_slice(b"0b");
    for (quad, chunk) in body.chunks_exact_mut(4).zip(bytes.chunks(3)) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let v = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let idx = |shift: u32| b64_char(v >> shift);
        if let [q0, q1, q2, q3] = quad {
            *q0 = idx(18);
            *q1 = idx(12);
            *q2 = if chunk.len() > 1 { idx(6) } else { b'=' };
            *q3 = if chunk.len() > 2 { idx(0) } else { b'=' };
        }
    }
    Ok(n)
}

/// Parse a numerical value: decimal, or a hex/base64 constant of at most 8
/// bytes (big-endian). Fails on anything else or on overflow.
pub fn parse_number(value: &[u8]) -> Result<u64, TextError> {
    if binary_encoding(value).is_some() {
        let mut buf = [0u8; 8];
        let n = decode_binary(value, &mut buf).map_err(|_| TextError::BadEncoding)?;
        let bytes = buf.get(..n).ok_or(TextError::BadEncoding)?;
        return Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)));
    }
    if value.is_empty() {
        return Err(TextError::BadEncoding);
    }
    let mut acc: u64 = 0;
    for &c in value {
        if !c.is_ascii_digit() {
            return Err(TextError::BadEncoding);
        }
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(c - b'0')))
            .ok_or(TextError::BadEncoding)?;
    }
    Ok(acc)
}

/// Write `n` in decimal into `out`; returns the bytes written (1..=20).
pub fn write_decimal(n: u64, out: &mut [u8]) -> Result<usize, TextError> {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = n;
    loop {
        i -= 1;
        if let Some(d) = tmp.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    let digits = tmp.get(i..).unwrap_or(&[]);
    let dst = out.get_mut(..digits.len()).ok_or(TextError::Overflow)?;
    dst.copy_from_slice(digits);
    Ok(digits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_pairs() {
        let data =
            b"InitiatorName=iqn.2026-11.test:i\0HeaderDigest=CRC32C,None\0\0X-com.example.k=\0";
        let v: std::vec::Vec<_> = KeyValueIter::new(data).collect();
        assert_eq!(v.len(), 3);
        let kv = v[0].unwrap();
        assert_eq!(
            (kv.key, kv.value),
            ("InitiatorName", &b"iqn.2026-11.test:i"[..])
        );
        assert_eq!(v[1].unwrap().value_str(), Some("CRC32C,None"));
        assert_eq!(v[2].unwrap().value, b"");
        assert_eq!(find(data, "HeaderDigest"), Ok(Some(&b"CRC32C,None"[..])));
        assert_eq!(find(data, "Nope"), Ok(None));
    }

    #[test]
    fn parse_errors() {
        let e = |d: &[u8]| KeyValueIter::new(d).find_map(|r| r.err());
        assert_eq!(e(b"A=1"), Some(TextError::MissingNul));
        assert_eq!(e(b"A1\0"), Some(TextError::MissingEquals));
        assert_eq!(e(b"=1\0"), Some(TextError::EmptyKey));
        assert_eq!(e(b"1a=1\0"), Some(TextError::BadKeyChar(b'1')));
        assert_eq!(e(b"iSCSIProtocolLevel=1\0"), None);
        assert_eq!(e(b"A b=1\0"), Some(TextError::BadKeyChar(b' ')));
        let mut long = std::vec![b'K'; 64];
        long.extend_from_slice(b"=1\0");
        assert_eq!(e(&long), Some(TextError::KeyTooLong));
        let mut v = std::vec::Vec::from(&b"K="[..]);
        v.extend(std::iter::repeat_n(b'v', 256));
        v.push(0);
        assert_eq!(e(&v), Some(TextError::ValueTooLong));
        let mut v = std::vec::Vec::from(&b"CHAP_C=0x"[..]);
        v.extend(std::iter::repeat_n(b'a', 2048));
        v.push(0);
        assert_eq!(e(&v), None);
        // error stops iteration
        assert_eq!(KeyValueIter::new(b"1=1\0B=2\0").count(), 1);
    }

    #[test]
    fn writer() {
        let mut buf = [0u8; 80];
        let mut w = KeyValueWriter::new(&mut buf);
        w.push_str("SessionType", "Normal").unwrap();
        w.push_u64("MaxRecvDataSegmentLength", 262144).unwrap();
        w.push_bool("InitialR2T", false).unwrap();
        assert_eq!(
            w.as_bytes(),
            b"SessionType=Normal\0MaxRecvDataSegmentLength=262144\0InitialR2T=No\0"
        );
        let before = w.len();
        assert_eq!(
            w.push_str("TargetName", "iqn.2026-11.test:target-with-a-long-name"),
            Err(TextError::Overflow)
        );
        assert_eq!(w.len(), before);
        assert_eq!(w.push("K", b"a\0b"), Err(TextError::BadValueChar(0)));
        assert_eq!(w.push("-k", b"x"), Err(TextError::BadKeyChar(b'-')));
        assert_eq!(
            w.push_hex("CHAP_C", &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            Err(TextError::Overflow)
        );
        assert_eq!(w.len(), before);

        let mut buf = [0u8; 64];
        let mut w = KeyValueWriter::new(&mut buf);
        w.push_hex("CHAP_C", &[0xde, 0xad]).unwrap();
        w.push_base64("CHAP_R", b"hi!").unwrap();
        assert_eq!(w.as_bytes(), b"CHAP_C=0xdead\0CHAP_R=0baGkh\0");
    }

    #[test]
    fn binary_values() {
        let mut out = [0u8; 16];
        assert_eq!(decode_binary(b"0xDEADbeef", &mut out), Ok(4));
        assert_eq!(&out[..4], &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(decode_binary(b"0x123", &mut out), Ok(2));
        assert_eq!(&out[..2], &[0x01, 0x23]);
        assert_eq!(
            decode_binary(b"0xzz", &mut out),
            Err(TextError::BadEncoding)
        );
        assert_eq!(decode_binary(b"0x", &mut out), Err(TextError::BadEncoding));
        assert_eq!(decode_binary(b"0bAQID", &mut out), Ok(3));
        assert_eq!(&out[..3], &[1, 2, 3]);
        assert_eq!(decode_binary(b"0baGk=", &mut out), Ok(2));
        assert_eq!(&out[..2], b"hi");
        assert_eq!(decode_binary(b"0baGk", &mut out), Ok(2));
        assert_eq!(decode_binary(b"0ba", &mut out), Err(TextError::BadEncoding));
        assert_eq!(
            decode_binary(b"0b====", &mut out),
            Err(TextError::BadEncoding)
        );
        assert_eq!(
            decode_binary(b"0x0102", &mut out[..1]),
            Err(TextError::Overflow)
        );
        for len in 0..10usize {
            let src: std::vec::Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            let mut enc = [0u8; 64];
            if len > 0 {
                let n = encode_base64(&src, &mut enc).unwrap();
                assert_eq!(decode_binary(&enc[..n], &mut out), Ok(len));
                assert_eq!(&out[..len], &src[..]);
                let n = encode_hex(&src, &mut enc).unwrap();
                assert_eq!(decode_binary(&enc[..n], &mut out), Ok(len));
                assert_eq!(&out[..len], &src[..]);
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"262144"), Ok(262144));
        assert_eq!(parse_number(b"0x10"), Ok(16));
        assert_eq!(parse_number(b"0bAQ=="), Ok(1));
        assert_eq!(parse_number(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_number(b"18446744073709551616"),
            Err(TextError::BadEncoding)
        );
        assert_eq!(
            parse_number(b"0x010203040506070809"),
            Err(TextError::BadEncoding)
        );
        assert_eq!(parse_number(b""), Err(TextError::BadEncoding));
        assert_eq!(parse_number(b"12a"), Err(TextError::BadEncoding));
        let mut b = [0u8; 20];
        assert_eq!(write_decimal(0, &mut b), Ok(1));
        assert_eq!(&b[..1], b"0");
        let n = write_decimal(u64::MAX, &mut b).unwrap();
        assert_eq!(&b[..n], b"18446744073709551615");
        assert_eq!(write_decimal(100, &mut b[..2]), Err(TextError::Overflow));
    }
}

//! Owned-value adapters over the codec's text helpers (`iscsi_codec::keys`,
//! RFC 7143 §5.1 and §6.1): key=value segments, binary values (`0x` hex,
//! `0b` base64) and numbers. The codec is `no_std`/no-alloc and writes into
//! caller buffers; these wrappers size the buffers and return `Vec`/`String`.

use iscsi_codec::keys::{self, KeyValueIter, KeyValueWriter};

/// Parse a complete text data segment into `(key, value)` pairs, in order.
/// Values must be UTF-8.
pub fn parse_pairs(data: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for kv in KeyValueIter::new(data) {
        let kv = kv.map_err(|e| format!("malformed text data segment: {e}"))?;
        let v = kv
            .value_str()
            .ok_or_else(|| format!("value of {} is not UTF-8", kv.key))?;
        out.push((kv.key.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Serialise `(key, value)` pairs as `key=value\0...`.
pub fn serialize_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<Vec<u8>, String> {
    let need: usize = pairs
        .iter()
        .map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 2)
        .sum();
    let mut buf = vec![0u8; need];
    let mut w = KeyValueWriter::new(&mut buf);
    for (k, v) in pairs {
        w.push_str(k.as_ref(), v.as_ref())
            .map_err(|e| format!("cannot encode {}={}: {e}", k.as_ref(), v.as_ref()))?;
    }
    let n = w.len();
    buf.truncate(n);
    Ok(buf)
}

/// Decode a binary value: `0x`/`0X` hex or `0b`/`0B` base64.
pub fn decode_binary(value: &str) -> Result<Vec<u8>, String> {
    let v = value.as_bytes();
    let n = keys::decoded_len(v).ok_or("not a 0x (hex) or 0b (base64) value")?;
    let mut out = vec![0u8; n];
    let n = keys::decode_binary(v, &mut out).map_err(|e| e.to_string())?;
    out.truncate(n);
    Ok(out)
}

/// Encode bytes as a `0x` hex binary value (lowercase).
pub fn encode_hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; 2 + 2 * bytes.len()];
    let n = keys::encode_hex(bytes, &mut out).expect("buffer sized for the encoding");
    out.truncate(n);
    String::from_utf8(out).expect("hex is ASCII")
}

/// Encode bytes as a `0b` base64 binary value.
pub fn encode_base64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; 2 + keys::base64_len(bytes.len())];
    let n = keys::encode_base64(bytes, &mut out).expect("buffer sized for the encoding");
    out.truncate(n);
    String::from_utf8(out).expect("base64 is ASCII")
}

/// Parse a numerical value: decimal, `0x` hex or `0b` base64 (RFC 7143 §5.1).
pub fn parse_number(value: &str) -> Option<u64> {
    keys::parse_number(value.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let pairs = vec![
            ("InitiatorName", "iqn.2026-11.org.x:y"),
            ("AuthMethod", "CHAP,None"),
        ];
        let bytes = serialize_pairs(&pairs).unwrap();
        assert_eq!(
            bytes,
            b"InitiatorName=iqn.2026-11.org.x:y\0AuthMethod=CHAP,None\0"
        );
        let back = parse_pairs(&bytes).unwrap();
        assert_eq!(back[1], ("AuthMethod".to_string(), "CHAP,None".to_string()));
        assert!(parse_pairs(b"A=1").is_err());
        assert!(serialize_pairs(&[("bad key", "1")]).is_err());
        assert_eq!(decode_binary("0x0a0B").unwrap(), vec![10, 11]);
        assert_eq!(decode_binary("0bAQID").unwrap(), vec![1, 2, 3]);
        assert!(decode_binary("12").is_err());
        assert_eq!(encode_hex(&[0xde, 0xad]), "0xdead");
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(parse_number("8192"), Some(8192));
        assert_eq!(parse_number("x"), None);
    }
}

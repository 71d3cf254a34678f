//! Adapter over the codec's text value helpers (RFC 7143 §5.1, §6.1).
//! TEMPORARY implementation until the codec's binary-value helpers land.

/// Decode a binary value: `0x`/`0X` hex or `0b`/`0B` base64.
pub fn decode_binary(value: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    if let Some(h) = value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        if h.is_empty() {
            return Err("empty hex value".into());
        }
        let h = if h.len() % 2 == 1 { format!("0{h}") } else { h.to_string() };
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| "bad hex digit".to_string()))
            .collect();
    }
    if let Some(b) = value.strip_prefix("0b").or_else(|| value.strip_prefix("0B")) {
        return base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|e| format!("bad base64: {e}"));
    }
    Err("not a 0x (hex) or 0b (base64) value".into())
}

/// Encode bytes as a `0x` hex binary value.
pub fn encode_hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

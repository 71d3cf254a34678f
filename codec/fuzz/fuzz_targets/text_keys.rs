//! Fuzz the text key=value parser (RFC 7143 6.1), the binary/numeric value
//! decoders, the writer (parse -> write -> parse must be stable) and the
//! C-bit assembler/splitter.
#![no_main]

use iscsi_codec::assembler::{TextAssembler, TextSegments};
use iscsi_codec::keys::{decode_binary, find, parse_number, KeyValueIter, KeyValueWriter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bin = [0u8; 8192];
    let mut out = vec![0u8; data.len() + 16];
    let mut w = KeyValueWriter::new(&mut out);
    let mut n = 0usize;
    let mut failed = false;
    for kv in KeyValueIter::new(data) {
        let Ok(kv) = kv else {
            failed = true;
            break;
        };
        let _ = decode_binary(kv.value, &mut bin);
        let _ = parse_number(kv.value);
        let _ = kv.value_str();
        // Every accepted pair can be written back (no overflow: the output
        // is at least as large as the input).
        w.push(kv.key, kv.value)
            .expect("write back an accepted pair");
        n += 1;
    }
    if !failed {
        // parse(write(parse(x))) == parse(x)
        let again: usize = KeyValueIter::new(w.as_bytes())
            .map(|kv| kv.expect("reparse"))
            .count();
        assert_eq!(again, n);
        let a: Vec<_> = KeyValueIter::new(data).map(|kv| kv.unwrap()).collect();
        let b: Vec<_> = KeyValueIter::new(w.as_bytes())
            .map(|kv| kv.unwrap())
            .collect();
        assert_eq!(a, b);
    }
    let _ = find(data, "TargetName");
    for kv in KeyValueIter::with_max_value_len(data, 16) {
        let _ = kv;
    }

    // Split with a size taken from the input, reassemble, compare.
    let max = usize::from(data.first().copied().unwrap_or(1)) + 1;
    let mut abuf = [0u8; 4096];
    let mut a = TextAssembler::new(&mut abuf);
    let mut ok = true;
    for (seg, cont) in TextSegments::new(data, max) {
        if a.push(seg, cont).is_err() {
            ok = false;
            break;
        }
    }
    if ok {
        assert!(a.is_complete());
        assert_eq!(a.data(), data);
    }
});

//! Shared test helpers: the capture file loader and a `Crc32c` on top of
//! the `crc32c` crate.
//!
//! Capture file format (codec/tests/data/*.txt, see
//! codec/tests/capture/iscsi_capture.py):
//!
//! ```text
//! # comment
//! @ <I|T> hd=<0|1> dd=<0|1> <description>
//! <hex of the whole PDU, any whitespace/line breaks>
//! ```
//!
//! Any file dropped into tests/data/ with that format is picked up by the
//! generic capture tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use iscsi_codec::digest::Crc32c;

/// CRC32C from the `crc32c` crate.
pub struct Crc;

impl Crc32c for Crc {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        crc32c::crc32c_append(crc, bytes)
    }
}

/// Who sent a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Initiator to target.
    I,
    /// Target to initiator.
    T,
}

/// One recorded PDU.
#[derive(Debug, Clone)]
pub struct Record {
    pub dir: Dir,
    pub header_digest: bool,
    pub data_digest: bool,
    pub desc: String,
    pub bytes: Vec<u8>,
    /// 1-based line of the `@` line, for messages.
    pub line: usize,
}

impl Record {
    pub fn bhs(&self) -> &[u8; 48] {
        self.bytes[..48].try_into().unwrap()
    }
}

/// A capture file.
#[derive(Debug, Clone)]
pub struct Capture {
    pub path: PathBuf,
    pub records: Vec<Record>,
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).map_err(|e| e.to_string())?;
            u8::from_str_radix(s, 16).map_err(|e| format!("bad hex {s:?}: {e}"))
        })
        .collect()
}

pub fn parse_capture(path: &Path, text: &str) -> Capture {
    let mut records: Vec<Record> = Vec::new();
    let mut hex = String::new();
    let flush = |records: &mut Vec<Record>, hex: &mut String| {
        if let Some(r) = records.last_mut() {
            r.bytes =
                hex_decode(hex).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), r.line));
        }
        hex.clear();
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('@') {
            flush(&mut records, &mut hex);
            let mut it = rest.split_whitespace();
            let dir = match it.next() {
                Some("I") => Dir::I,
                Some("T") => Dir::T,
                d => panic!("{}:{}: bad direction {d:?}", path.display(), i + 1),
            };
            let flag = |s: Option<&str>, name: &str| -> bool {
                match s.and_then(|s| s.strip_prefix(name)) {
                    Some("0") => false,
                    Some("1") => true,
                    _ => panic!("{}:{}: expected {name}0|1", path.display(), i + 1),
                }
            };
            let header_digest = flag(it.next(), "hd=");
            let data_digest = flag(it.next(), "dd=");
            let desc = it.collect::<Vec<_>>().join(" ");
            records.push(Record {
                dir,
                header_digest,
                data_digest,
                desc,
                bytes: Vec::new(),
                line: i + 1,
            });
        } else {
            assert!(
                !records.is_empty(),
                "{}:{}: hex before the first '@' line",
                path.display(),
                i + 1
            );
            hex.push_str(line);
        }
    }
    flush(&mut records, &mut hex);
    Capture {
        path: path.to_path_buf(),
        records,
    }
}

/// All capture files in tests/data (sorted by name).
pub fn load_all() -> Vec<Capture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| parse_capture(p, &std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// One capture file by name.
pub fn load(name: &str) -> Capture {
    let p = data_dir().join(name);
    parse_capture(
        &p,
        &std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
}

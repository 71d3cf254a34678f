//! Arbitrary bytes, cut into arbitrary pieces, through the receive
//! framer (`kcore::framer`) that the kernel's `data_ready` callback runs.
//!
//! Checks: no panic; a piece is never asked for more than it holds; the
//! headers, data segments, trailers and the error seen are the same
//! whichever way the stream is cut (here: the fuzzer's pieces against one
//! byte at a time).
#![no_main]

use iscsi_kmod_core::codec::digest::Crc32c;
use iscsi_kmod_core::failure::Failure;
use iscsi_kmod_core::framer::{Framer, Want};
use libfuzzer_sys::fuzz_target;

/// A stand-in digest: any function of the bytes does for consistency.
struct Fnv;

impl Crc32c for Fnv {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        bytes.iter().fold(crc ^ 0x811c_9dc5, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Header([u8; 48], Vec<u8>),
    Data(Vec<u8>),
    End(Vec<u8>, Option<u32>),
    Failed(Failure),
}

fn run(stream: &[u8], pieces: &[u8], hd: bool, dd: bool, max: u32) -> Vec<Seen> {
    let mut f = Framer::new(hd, dd, max);
    let mut seen = Vec::new();
    let mut data = Vec::new();
    let mut pos = 0;
    let mut sizes = pieces.iter().map(|&p| usize::from(p).max(1)).cycle();
    while pos < stream.len() {
        let end = (pos + sizes.next().unwrap_or(1)).min(stream.len());
        while pos < end {
            let avail = end - pos;
            let r = match f.want() {
                Want::Header(buf) => {
                    let n = buf.len().min(avail);
                    buf[..n].copy_from_slice(&stream[pos..pos + n]);
                    pos += n;
                    f.header_filled(n, &Fnv).map(|h| {
                        if let Some(h) = h {
                            seen.push(Seen::Header(h.bhs, f.ahs(&h.layout).to_vec()));
                        }
                    })
                }
                Want::Data(left) => {
                    assert!(left > 0);
                    let n = left.min(avail);
                    data.extend_from_slice(&stream[pos..pos + n]);
                    pos += n;
                    f.data_done(n).map(|t| {
                        if let Some(t) = t {
                            seen.push(Seen::Data(std::mem::take(&mut data)));
                            seen.push(Seen::End(t.pad().to_vec(), t.digest));
                        }
                    })
                }
                Want::Trailer(buf) => {
                    assert!(!buf.is_empty());
                    let n = buf.len().min(avail);
                    buf[..n].copy_from_slice(&stream[pos..pos + n]);
                    pos += n;
                    f.trailer_filled(n).map(|t| {
                        if let Some(t) = t {
                            seen.push(Seen::Data(std::mem::take(&mut data)));
                            seen.push(Seen::End(t.pad().to_vec(), t.digest));
                        }
                    })
                }
            };
            if let Err(e) = r {
                seen.push(Seen::Failed(e));
                return seen;
            }
        }
    }
    seen
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else { return };
    let npieces = usize::from(flags >> 4);
    if rest.len() < npieces {
        return;
    }
    let (pieces, stream) = rest.split_at(npieces);
    let (hd, dd) = (flags & 1 != 0, flags & 2 != 0);
    // Small limits too, so that DataSegmentLength checks fire.
    let max = if flags & 4 != 0 { 512 } else { 1 << 24 };
    let cut = run(stream, if pieces.is_empty() { &[255] } else { pieces }, hd, dd, max);
    let bytewise = run(stream, &[1], hd, dd, max);
    assert_eq!(cut, bytewise);
});

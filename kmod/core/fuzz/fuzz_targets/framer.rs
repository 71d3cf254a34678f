//! Arbitrary bytes, cut into arbitrary pieces, through the receive
//! framer (`kcore::framer`) that the kernel's `data_ready` callback runs.
//!
//! Checks: no panic; a piece is never asked for more than it holds (the
//! recording sink of `framer::record::run` panics if it is); the
//! headers, data segments, trailers and the error seen are the same
//! whichever way the stream is cut (here: the fuzzer's pieces against one
//! byte at a time).
#![no_main]

use iscsi_kmod_core::codec::digest::Crc32c;
use iscsi_kmod_core::framer::{record, Framer};
use libfuzzer_sys::fuzz_target;

/// A stand-in digest: any function of the bytes does for consistency.
struct Fnv;

impl Crc32c for Fnv {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        bytes.iter().fold(crc ^ 0x811c_9dc5, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }
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
    let sizes: Vec<usize> = if pieces.is_empty() { vec![255] } else { pieces.iter().map(|&p| usize::from(p)).collect() };
    let cut = record::run(&mut Framer::new(hd, dd, max), stream, &sizes, &Fnv);
    let bytewise = record::run(&mut Framer::new(hd, dd, max), stream, &[1], &Fnv);
    assert_eq!(cut, bytewise);
});

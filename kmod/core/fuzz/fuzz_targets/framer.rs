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
use iscsi_kmod_core::framer::{Framer, Header, Sink, Trailer};
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

/// Records what the framer reports for the piece being fed.
struct Record<'a> {
    piece: &'a [u8],
    seen: Vec<Seen>,
    data: Vec<u8>,
}

impl Sink for Record<'_> {
    fn copy(&mut self, pos: usize, into: &mut [u8]) -> Result<(), Failure> {
        // A piece is never asked for more than it holds.
        into.copy_from_slice(&self.piece[pos..pos + into.len()]);
        Ok(())
    }
    fn header(&mut self, h: &Header, ahs: &[u8]) -> Result<(), Failure> {
        self.seen.push(Seen::Header(h.bhs, ahs.to_vec()));
        Ok(())
    }
    fn data(&mut self, pos: usize, n: usize) -> Result<(), Failure> {
        assert!(n > 0);
        self.data.extend_from_slice(&self.piece[pos..pos + n]);
        Ok(())
    }
    fn end(&mut self, t: Option<&Trailer>) -> Result<bool, Failure> {
        self.seen.push(Seen::Data(std::mem::take(&mut self.data)));
        self.seen.push(Seen::End(t.map(|t| t.pad().to_vec()).unwrap_or_default(), t.and_then(|t| t.digest)));
        Ok(false)
    }
}

fn run(stream: &[u8], pieces: &[u8], hd: bool, dd: bool, max: u32) -> Vec<Seen> {
    let mut f = Framer::new(hd, dd, max);
    let mut r = Record { piece: &[], seen: Vec::new(), data: Vec::new() };
    let mut pos = 0;
    let mut sizes = pieces.iter().map(|&p| usize::from(p).max(1)).cycle();
    while pos < stream.len() {
        let end = (pos + sizes.next().unwrap_or(1)).min(stream.len());
        r.piece = &stream[pos..end];
        match f.feed(end - pos, &mut r, &Fnv) {
            Ok(stopped) => assert!(!stopped),
            Err(e) => {
                r.seen.push(Seen::Failed(e));
                break;
            }
        }
        pos = end;
    }
    r.seen
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

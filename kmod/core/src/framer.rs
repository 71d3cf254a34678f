//! Framing of the receive stream (RFC 7143 §11.1): which bytes of the
//! stream are the next PDU's header (BHS, AHS, HeaderDigest), its data
//! segment, and its trailer (padding, DataDigest), for a receiver that is
//! handed the stream in pieces of any size: the module receives in the
//! socket's `data_ready` callback, one `sk_buff` at a time, and cannot wait
//! for the rest of a PDU.
//!
//! The header and the trailer are gathered here; the data segment is the
//! caller's to place (a command's pages, a small buffer, or dropped), so
//! that Data-In goes from the `sk_buff` straight into the scatterlist.
//! [`Framer::feed`] frames one piece for a [`Sink`]: it copies header and
//! trailer bytes out of the piece with [`Sink::copy`], and hands the sink
//! each header, each run of data segment bytes, and each PDU's end. The
//! module's receive callback, the unit tests and the fuzz target all run
//! this same loop. Under it, [`Framer::want`] says what the next bytes
//! are, and [`Framer::header_filled`], [`Framer::data_done`] and
//! [`Framer::trailer_filled`] take them.

use super::failure::Failure;
use crate::codec::bhs::{Layout, BHS_LEN};
use crate::codec::digest::{self, Crc32c, DIGEST_LEN};

/// Bytes of AHS at most: TotalAHSLength is at most 255 four-byte words.
pub const AHS_MAX: usize = 1020;
/// Bytes of a header at most: BHS, AHS, HeaderDigest.
pub const HEADER_MAX: usize = BHS_LEN + AHS_MAX + DIGEST_LEN;

/// What the next bytes of the stream are.
#[derive(Debug, PartialEq, Eq)]
pub enum Want<'a> {
    /// Header bytes: copy at most `buf.len()` of them into `buf`'s start,
    /// then call [`Framer::header_filled`].
    Header(&'a mut [u8]),
    /// Data segment bytes, this many left (excluding padding): place at
    /// most that many, then call [`Framer::data_done`].
    Data(usize),
    /// Trailer bytes (padding, DataDigest): copy at most `buf.len()` into
    /// `buf`'s start, then call [`Framer::trailer_filled`].
    Trailer(&'a mut [u8]),
}

/// A complete, digest-checked header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The BHS.
    pub bhs: [u8; BHS_LEN],
    /// Where the PDU's parts are; `layout.data_len == 0` means the PDU is
    /// complete with its header.
    pub layout: Layout,
}

/// The end of a PDU with a data segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    pad: [u8; 4],
    pad_len: usize,
    /// The DataDigest received, when DataDigest=CRC32C was negotiated.
    pub digest: Option<u32>,
}

impl Trailer {
    /// The padding bytes received (0 to 3; the digest covers them).
    pub fn pad(&self) -> &[u8] {
        self.pad.get(..self.pad_len).unwrap_or(&[])
    }
}

/// The user of a [`Framer`]: the source of a piece's bytes and the taker
/// of what the framing finds in them (see [`Framer::feed`]).
pub trait Sink {
    /// Copies bytes `pos..pos + into.len()` of the piece being fed into
    /// `into`.
    ///
    /// # Errors
    ///
    /// Any [`Failure`]: framing stops with it.
    fn copy(&mut self, pos: usize, into: &mut [u8]) -> Result<(), Failure>;

    /// A complete, digest-checked header, with its AHS. When
    /// `h.layout.data_len == 0`, [`Sink::end`] follows at once.
    ///
    /// # Errors
    ///
    /// Any [`Failure`]: framing stops with it.
    fn header(&mut self, h: &Header, ahs: &[u8]) -> Result<(), Failure>;

    /// Bytes `pos..pos + n` of the piece are data segment bytes of the
    /// current PDU (`n > 0`), in order.
    ///
    /// # Errors
    ///
    /// Any [`Failure`]: framing stops with it.
    fn data(&mut self, pos: usize, n: usize) -> Result<(), Failure>;

    /// The current PDU is complete: `t` is its trailer (padding and
    /// DataDigest received, the digest not checked here), `None` for a PDU
    /// without a data segment. `Ok(true)` stops the framing after this PDU
    /// (the connection ends with it).
    ///
    /// # Errors
    ///
    /// Any [`Failure`]: framing stops with it.
    fn end(&mut self, t: Option<&Trailer>) -> Result<bool, Failure>;
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// `have` of `need` header bytes are in `hdr`; `need` is `BHS_LEN`
    /// until the BHS is complete, then the whole header's length.
    Header { have: usize, need: usize },
    /// `left` bytes of the data segment are still to come.
    Data { layout: Layout, left: usize },
    /// `have` of the trailer's bytes are in `trailer`.
    Trailer { layout: Layout, have: usize },
}

/// The receive stream's framing state (see the module documentation).
///
/// # Invariants
///
/// In `Header`, `have <= need <= HEADER_MAX`; in `Data`, `left <=
/// layout.data_len`; in `Trailer`, `have < pad_len + data_digest_len <= 8`.
#[derive(Clone, Debug)]
pub struct Framer {
    header_digest: bool,
    data_digest: bool,
    max_recv_dsl: u32,
    hdr: [u8; HEADER_MAX],
    trailer: [u8; 8],
    phase: Phase,
}

impl Framer {
    /// A framer at the start of a PDU, for the digests negotiated and our
    /// MaxRecvDataSegmentLength (bytes): longer data segments fail.
    pub fn new(header_digest: bool, data_digest: bool, max_recv_dsl: u32) -> Self {
        Framer {
            header_digest,
            data_digest,
            max_recv_dsl,
            hdr: [0; HEADER_MAX],
            trailer: [0; 8],
            phase: Phase::Header {
                have: 0,
                need: BHS_LEN,
            },
        }
    }

    /// Whether a DataDigest follows each data segment (as negotiated).
    pub fn data_digest(&self) -> bool {
        self.data_digest
    }

    /// Whether the stream is inside a PDU (a stream that ends now ends
    /// inside one).
    pub fn inside_pdu(&self) -> bool {
        !matches!(self.phase, Phase::Header { have: 0, .. })
    }

    /// Bytes still to come before the PDU being received is whole, as far
    /// as they are known, at least 1: the rest of its header (the BHS
    /// first: the data segment's length is known once it is in), or the
    /// rest of its data segment with padding and DataDigest, or of that
    /// trailer.
    pub fn rest_of_pdu(&self) -> usize {
        let n = match self.phase {
            Phase::Header { have, need } => need.saturating_sub(have),
            Phase::Data { layout, left } => left + layout.pad_len + layout.data_digest_len,
            Phase::Trailer { layout, have } => {
                (layout.pad_len + layout.data_digest_len).saturating_sub(have)
            }
        };
        n.max(1)
    }

    /// What the next bytes are.
    pub fn want(&mut self) -> Want<'_> {
        match self.phase {
            Phase::Header { have, need } => {
                Want::Header(self.hdr.get_mut(have..need).unwrap_or(&mut []))
            }
            Phase::Data { left, .. } => Want::Data(left),
            Phase::Trailer { layout, have } => {
                let end = layout.pad_len + layout.data_digest_len;
                Want::Trailer(self.trailer.get_mut(have..end).unwrap_or(&mut []))
            }
        }
    }

    /// Frames the `len` bytes of one piece of the stream for `sink`,
    /// header digests checked with `crc`. Returns `Ok(true)` when
    /// [`Sink::end`] stopped the framing (the rest of the piece is not
    /// looked at), `Ok(false)` when the whole piece was taken; a PDU may
    /// continue in the next piece.
    ///
    /// # Errors
    ///
    /// Those of [`Framer::header_filled`] and of the sink; the stream
    /// cannot go on after one.
    pub fn feed<S: Sink + ?Sized, C: Crc32c + ?Sized>(
        &mut self,
        len: usize,
        sink: &mut S,
        crc: &C,
    ) -> Result<bool, Failure> {
        let mut pos = 0;
        while pos < len {
            let avail = len - pos;
            let trailer = match self.want() {
                Want::Header(buf) => {
                    let n = buf.len().min(avail);
                    sink.copy(pos, buf.get_mut(..n).ok_or(Failure::BadLength)?)?;
                    pos += n;
                    let Some(h) = self.header_filled(n, crc)? else {
                        continue;
                    };
                    sink.header(&h, self.ahs(&h.layout))?;
                    if h.layout.data_len > 0 {
                        continue;
                    }
                    None
                }
                Want::Data(left) => {
                    let n = left.min(avail);
                    sink.data(pos, n)?;
                    pos += n;
                    match self.data_done(n)? {
                        Some(t) => Some(t),
                        None => continue,
                    }
                }
                Want::Trailer(buf) => {
                    let n = buf.len().min(avail);
                    sink.copy(pos, buf.get_mut(..n).ok_or(Failure::BadLength)?)?;
                    pos += n;
                    match self.trailer_filled(n)? {
                        Some(t) => Some(t),
                        None => continue,
                    }
                }
            };
            if sink.end(trailer.as_ref())? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The AHS of the header [`Framer::header_filled`] returned last.
    pub fn ahs(&self, layout: &Layout) -> &[u8] {
        self.hdr
            .get(BHS_LEN..BHS_LEN + layout.ahs_len)
            .unwrap_or(&[])
    }

    /// `n` more header bytes were copied into [`Want::Header`]'s buffer.
    /// Returns the header once complete (its digest checked with `crc`);
    /// the framer then wants its data segment, or the next PDU.
    ///
    /// # Errors
    ///
    /// [`Failure::BadLength`] for a DataSegmentLength above
    /// MaxRecvDataSegmentLength (or `n` beyond what was wanted),
    /// [`Failure::HeaderDigest`] for a header digest that does not match.
    pub fn header_filled<C: Crc32c + ?Sized>(
        &mut self,
        n: usize,
        crc: &C,
    ) -> Result<Option<Header>, Failure> {
        let Phase::Header { have, need } = self.phase else {
            return Err(Failure::BadLength);
        };
        let have = have + n;
        if have > need {
            return Err(Failure::BadLength);
        }
        if have < need {
            self.phase = Phase::Header { have, need };
            return Ok(None);
        }
        let mut bhs = [0u8; BHS_LEN];
        bhs.copy_from_slice(self.hdr.get(..BHS_LEN).ok_or(Failure::BadLength)?);
        let layout = Layout::of_bhs(
            &bhs,
            self.header_digest,
            self.data_digest,
            self.max_recv_dsl,
        )
        .map_err(|_| Failure::BadLength)?;
        let full = BHS_LEN + layout.header_rest_len();
        if full > HEADER_MAX {
            return Err(Failure::BadLength);
        }
        if need == BHS_LEN && full > BHS_LEN {
            // The BHS is in: the AHS and HeaderDigest follow.
            self.phase = Phase::Header { have, need: full };
            return Ok(None);
        }
        if self.header_digest {
            let ahs = self
                .hdr
                .get(BHS_LEN..BHS_LEN + layout.ahs_len)
                .ok_or(Failure::BadLength)?;
            let want = digest::header_digest(crc, &bhs, ahs);
            let at = BHS_LEN + layout.ahs_len;
            let got = self
                .hdr
                .get(at..at + DIGEST_LEN)
                .ok_or(Failure::BadLength)?;
            if u32::from_le_bytes([got[0], got[1], got[2], got[3]]) != want {
                return Err(Failure::HeaderDigest);
            }
        }
        self.phase = if layout.data_len > 0 {
            Phase::Data {
                layout,
                left: layout.data_len,
            }
        } else {
            Phase::Header {
                have: 0,
                need: BHS_LEN,
            }
        };
        Ok(Some(Header { bhs, layout }))
    }

    /// `n` data segment bytes were placed. Returns the trailer when that
    /// ends the PDU (no padding and no DataDigest follow).
    ///
    /// # Errors
    ///
    /// [`Failure::BadLength`] for `n` beyond what was wanted.
    pub fn data_done(&mut self, n: usize) -> Result<Option<Trailer>, Failure> {
        let Phase::Data { layout, left } = self.phase else {
            return Err(Failure::BadLength);
        };
        let left = left.checked_sub(n).ok_or(Failure::BadLength)?;
        if left > 0 {
            self.phase = Phase::Data { layout, left };
            return Ok(None);
        }
        if layout.pad_len + layout.data_digest_len > 0 {
            self.phase = Phase::Trailer { layout, have: 0 };
            return Ok(None);
        }
        self.phase = Phase::Header {
            have: 0,
            need: BHS_LEN,
        };
        Ok(Some(Trailer {
            pad: [0; 4],
            pad_len: 0,
            digest: None,
        }))
    }

    /// `n` more trailer bytes were copied into [`Want::Trailer`]'s buffer.
    /// Returns the trailer once complete; the framer then wants the next
    /// PDU.
    ///
    /// # Errors
    ///
    /// [`Failure::BadLength`] for `n` beyond what was wanted.
    pub fn trailer_filled(&mut self, n: usize) -> Result<Option<Trailer>, Failure> {
        let Phase::Trailer { layout, have } = self.phase else {
            return Err(Failure::BadLength);
        };
        let have = have + n;
        let end = layout.pad_len + layout.data_digest_len;
        if have > end {
            return Err(Failure::BadLength);
        }
        if have < end {
            self.phase = Phase::Trailer { layout, have };
            return Ok(None);
        }
        let mut pad = [0u8; 4];
        pad.get_mut(..layout.pad_len)
            .ok_or(Failure::BadLength)?
            .copy_from_slice(
                self.trailer
                    .get(..layout.pad_len)
                    .ok_or(Failure::BadLength)?,
            );
        let digest = if layout.data_digest_len > 0 {
            let d = self
                .trailer
                .get(layout.pad_len..end)
                .ok_or(Failure::BadLength)?;
            Some(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
        } else {
            None
        };
        self.phase = Phase::Header {
            have: 0,
            need: BHS_LEN,
        };
        Ok(Some(Trailer {
            pad,
            pad_len: layout.pad_len,
            digest,
        }))
    }
}

/// A [`Sink`] that records what the framer reports, for the unit tests and
/// the `framer` fuzz target (feature `testing`; not in the module).
#[cfg(any(test, feature = "testing"))]
pub mod record {
    extern crate alloc;
    use super::{Framer, Header, Sink, Trailer};
    use crate::codec::bhs::BHS_LEN;
    use crate::codec::digest::Crc32c;
    use crate::failure::Failure;
    use alloc::vec::Vec;

    /// One report of the framer, in stream order.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Event {
        /// A header: its BHS and AHS.
        Header([u8; BHS_LEN], Vec<u8>),
        /// A PDU's whole data segment, gathered across pieces (empty for a
        /// PDU without one), then its end: padding and DataDigest received
        /// (`None` without a data segment or without DataDigest).
        End {
            /// The data segment.
            data: Vec<u8>,
            /// The padding bytes.
            pad: Vec<u8>,
            /// The DataDigest received.
            digest: Option<u32>,
        },
    }

    /// The recording sink [`run`] feeds: the events so far, and the bytes
    /// of the piece being fed.
    #[derive(Default)]
    struct Record<'a> {
        piece: &'a [u8],
        events: Vec<Event>,
        data: Vec<u8>,
    }

    impl Sink for Record<'_> {
        fn copy(&mut self, pos: usize, into: &mut [u8]) -> Result<(), Failure> {
            // Panics if the framer asks for bytes beyond the piece.
            into.copy_from_slice(&self.piece[pos..pos + into.len()]);
            Ok(())
        }
        fn header(&mut self, h: &Header, ahs: &[u8]) -> Result<(), Failure> {
            self.events.push(Event::Header(h.bhs, ahs.to_vec()));
            Ok(())
        }
        fn data(&mut self, pos: usize, n: usize) -> Result<(), Failure> {
            assert!(n > 0, "an empty data report");
            self.data.extend_from_slice(&self.piece[pos..pos + n]);
            Ok(())
        }
        fn end(&mut self, t: Option<&Trailer>) -> Result<bool, Failure> {
            self.events.push(Event::End {
                data: core::mem::take(&mut self.data),
                pad: t.map(|t| t.pad().to_vec()).unwrap_or_default(),
                digest: t.and_then(|t| t.digest),
            });
            Ok(false)
        }
    }

    /// Feeds `stream` to `f` in pieces of the sizes `sizes` yields (cycled;
    /// 0 counts as 1). Returns the events and how framing ended: `Ok` at the
    /// end of the stream, or the first failure (no piece is fed after it).
    /// Panics if the framer asks a piece for bytes beyond it, reports an
    /// empty data run, or says stop (the recording sink never asks to).
    pub fn run(
        f: &mut Framer,
        stream: &[u8],
        sizes: &[usize],
        crc: &impl Crc32c,
    ) -> (Vec<Event>, Result<(), Failure>) {
        let mut r = Record::default();
        let mut pos = 0;
        let mut sizes = sizes.iter().map(|&n| n.max(1)).cycle();
        while pos < stream.len() {
            let end = (pos + sizes.next().unwrap_or(1)).min(stream.len());
            r.piece = &stream[pos..end];
            match f.feed(end - pos, &mut r, crc) {
                Ok(stopped) => assert!(!stopped, "a Record never stops"),
                Err(e) => return (r.events, Err(e)),
            }
            pos = end;
        }
        (r.events, Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::std_crc::SoftCrc32c;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// One PDU of the test stream: a NOP-In-shaped BHS (opcode 0x20) with
    /// `ahs_words` of AHS and `data` as its data segment.
    fn pdu(ahs_words: u8, data: &[u8], hd: bool, dd: bool) -> Vec<u8> {
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = 0x20;
        bhs[1] = 0x80;
        bhs[4] = ahs_words;
        let len = data.len() as u32;
        bhs[5..8].copy_from_slice(&len.to_be_bytes()[1..]);
        let ahs: Vec<u8> = (0..usize::from(ahs_words) * 4).map(|i| i as u8).collect();
        let mut out = bhs.to_vec();
        out.extend_from_slice(&ahs);
        if hd {
            out.extend_from_slice(&digest::header_digest(&SoftCrc32c, &bhs, &ahs).to_le_bytes());
        }
        out.extend_from_slice(data);
        let pad = digest::pad_len(data.len());
        out.extend(core::iter::repeat_n(0u8, pad));
        if dd && !data.is_empty() {
            out.extend_from_slice(&digest::data_digest(&SoftCrc32c, data).to_le_bytes());
        }
        out
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Header { ahs: Vec<u8>, data_len: usize },
        Data(Vec<u8>),
        End { digest_ok: bool },
    }

    /// Feeds `stream` in pieces of the given sizes with
    /// [`record::run`]; returns what the framer reported (data gathered
    /// per PDU, each DataDigest checked), and whether the stream ended
    /// inside a PDU.
    fn run(
        stream: &[u8],
        pieces: &[usize],
        hd: bool,
        dd: bool,
    ) -> Result<(Vec<Seen>, bool), Failure> {
        let mut f = Framer::new(hd, dd, 65536);
        let (events, end) = record::run(&mut f, stream, pieces, &SoftCrc32c);
        end?;
        let mut seen = Vec::new();
        for e in events {
            match e {
                record::Event::Header(bhs, ahs) => seen.push(Seen::Header {
                    ahs,
                    data_len: crate::codec::bhs::data_segment_length(&bhs) as usize,
                }),
                record::Event::End { data, pad, digest } => {
                    let crc = SoftCrc32c.append(SoftCrc32c.append(0, &data), &pad);
                    if !data.is_empty() {
                        seen.push(Seen::Data(data));
                    }
                    seen.push(Seen::End {
                        digest_ok: digest.is_none_or(|g| g == crc),
                    });
                }
            }
        }
        Ok((seen, f.inside_pdu()))
    }

    #[test]
    fn an_end_that_says_stop_stops_the_piece() {
        struct StopAtFirst(Vec<u8>, usize);
        impl Sink for StopAtFirst {
            fn copy(&mut self, pos: usize, into: &mut [u8]) -> Result<(), Failure> {
                into.copy_from_slice(&self.0[pos..pos + into.len()]);
                Ok(())
            }
            fn header(&mut self, _: &Header, _: &[u8]) -> Result<(), Failure> {
                Ok(())
            }
            fn data(&mut self, _: usize, _: usize) -> Result<(), Failure> {
                Ok(())
            }
            fn end(&mut self, _: Option<&Trailer>) -> Result<bool, Failure> {
                self.1 += 1;
                Ok(true)
            }
        }
        let mut s = pdu(0, b"", false, false);
        s.extend(pdu(0, b"abc", false, false));
        let mut sink = StopAtFirst(s.clone(), 0);
        let mut f = Framer::new(false, false, 4096);
        assert_eq!(f.feed(s.len(), &mut sink, &SoftCrc32c), Ok(true));
        assert_eq!(sink.1, 1);
        assert!(!f.inside_pdu());
    }

    fn expected(pdus: &[(u8, Vec<u8>)]) -> Vec<Seen> {
        let mut v = Vec::new();
        for (w, d) in pdus {
            v.push(Seen::Header {
                ahs: (0..usize::from(*w) * 4).map(|i| i as u8).collect(),
                data_len: d.len(),
            });
            if !d.is_empty() {
                v.push(Seen::Data(d.clone()));
            }
            v.push(Seen::End { digest_ok: true });
        }
        v
    }

    proptest! {
        /// However the stream is cut, the same headers, data and ends come
        /// out, with every digest matching.
        #[test]
        fn any_cut_gives_the_same_pdus(
            pdus in proptest::collection::vec((0u8..4, proptest::collection::vec(any::<u8>(), 0..300)), 1..6),
            pieces in proptest::collection::vec(1usize..200, 1..8),
            hd: bool,
            dd: bool,
        ) {
            let stream: Vec<u8> = pdus.iter().flat_map(|(w, d)| pdu(*w, d, hd, dd)).collect();
            let (seen, inside) = run(&stream, &pieces, hd, dd).unwrap();
            prop_assert_eq!(seen, expected(&pdus));
            prop_assert!(!inside);
        }
    }

    proptest! {
        /// After any byte, the bytes the framer says the PDU still needs
        /// are at least 1 and never more than the stream still holds of
        /// that PDU (a wait for them always ends), and exactly the rest of
        /// the PDU once its header is in; between PDUs, the BHS.
        #[test]
        fn rest_of_pdu_never_waits_beyond_the_pdu(
            pdus in proptest::collection::vec((0u8..4, proptest::collection::vec(any::<u8>(), 0..300)), 1..4),
            hd: bool,
            dd: bool,
        ) {
            let mut ends = Vec::new();
            let mut stream = Vec::new();
            let mut headers = Vec::new();
            for (w, d) in &pdus {
                let start = stream.len();
                stream.extend(pdu(*w, d, hd, dd));
                headers.push(start + BHS_LEN + usize::from(*w) * 4 + if hd { DIGEST_LEN } else { 0 });
                ends.push(stream.len());
            }
            for fed in 0..=stream.len() {
                let mut f = Framer::new(hd, dd, 65536);
                let (_, end) = record::run(&mut f, &stream[..fed], &[fed], &SoftCrc32c);
                prop_assert!(end.is_ok());
                let rest = f.rest_of_pdu();
                prop_assert!(rest >= 1);
                match ends.iter().position(|&e| e > fed) {
                    Some(_) if ends.contains(&fed) || fed == 0 => prop_assert_eq!(rest, BHS_LEN),
                    Some(i) => {
                        prop_assert!(rest <= ends[i] - fed);
                        if fed >= headers[i] {
                            prop_assert_eq!(rest, ends[i] - fed);
                        }
                    }
                    None => prop_assert_eq!(rest, BHS_LEN),
                }
            }
        }
    }

    #[test]
    fn a_stream_cut_inside_a_pdu_is_seen_inside() {
        let s = pdu(1, b"abcdef", true, true);
        for cut in 1..s.len() {
            let (_, inside) = run(&s[..cut], &[7], true, true).unwrap();
            assert!(inside, "cut at {cut}");
        }
    }

    #[test]
    fn a_wrong_header_digest_fails() {
        let mut s = pdu(0, b"", true, false);
        s[50] ^= 1;
        assert_eq!(
            run(&s, &[3], true, false).unwrap_err(),
            Failure::HeaderDigest
        );
    }

    #[test]
    fn a_wrong_data_digest_is_reported() {
        let mut s = pdu(0, b"hello", false, true);
        let last = s.len() - 1;
        s[last] ^= 1;
        let (seen, _) = run(&s, &[5], false, true).unwrap();
        assert_eq!(seen.last(), Some(&Seen::End { digest_ok: false }));
    }

    #[test]
    fn a_data_segment_above_max_recv_dsl_fails() {
        let mut f = Framer::new(false, false, 4096);
        let mut bhs = [0u8; BHS_LEN];
        bhs[0] = 0x20;
        bhs[5..8].copy_from_slice(&4097u32.to_be_bytes()[1..]);
        match f.want() {
            Want::Header(b) => b.copy_from_slice(&bhs),
            w => panic!("{w:?}"),
        }
        assert_eq!(
            f.header_filled(BHS_LEN, &SoftCrc32c),
            Err(Failure::BadLength)
        );
    }

    #[test]
    fn reporting_more_than_wanted_fails() {
        let mut f = Framer::new(false, false, 4096);
        assert_eq!(
            f.header_filled(BHS_LEN + 1, &SoftCrc32c),
            Err(Failure::BadLength)
        );
        assert_eq!(f.data_done(1), Err(Failure::BadLength));
        assert_eq!(f.trailer_filled(1), Err(Failure::BadLength));
    }
}

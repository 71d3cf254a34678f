//! Read-ahead for the receive thread: one socket call takes whatever has
//! arrived (several PDUs at queue depth 32, a BHS and its 4 KiB of data at
//! queue depth 1) into a fixed buffer, and the PDU parser is served from
//! it, instead of one blocking receive per BHS, segment, padding and digest.
//! Reads as long as half the buffer or more bypass it and go straight to
//! their destination.

use core::ops::DerefMut;

/// Where the bytes come from: the connection's socket in the kernel, a
/// script in tests.
pub trait Source {
    /// The source's error.
    type Error;
    /// Receives what has arrived, at most `buf.len()` bytes, waiting for at
    /// least one: the count, 0 at end of stream.
    ///
    /// # Errors
    ///
    /// The source's.
    fn recv_some(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error>;
    /// Receives exactly `buf.len()` bytes: `Ok(false)` at end of stream
    /// before the first byte.
    ///
    /// # Errors
    ///
    /// The source's, also for a stream that ends inside `buf`.
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<bool, Self::Error>;
}

/// Why [`ReadAhead::read`] failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError<E> {
    /// The source failed.
    Source(E),
    /// The stream ended inside the read.
    Truncated,
}

/// Bytes received ahead of the parser, in the caller's buffer `B`
/// (`KVec<u8>` in the kernel).
///
/// # Invariants
///
/// `start <= end <= buf.len()`; `buf[start..end]` are the next bytes of the
/// stream, received and not yet consumed.
pub struct ReadAhead<B: DerefMut<Target = [u8]>> {
    buf: B,
    start: usize,
    end: usize,
}

impl<B: DerefMut<Target = [u8]>> ReadAhead<B> {
    /// An empty read-ahead over `buf` (its length is the most one socket
    /// call takes).
    pub fn new(buf: B) -> Self {
        ReadAhead {
            buf,
            start: 0,
            end: 0,
        }
    }

    /// The bytes received and not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// Marks the first `n` buffered bytes consumed (at most all of them).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Copies buffered bytes into `out`; returns how many.
    fn take_into(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.end - self.start);
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.buf.get(self.start..self.start + n))
        {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        n
    }

    /// Fills `out` with the next bytes of the stream: first what is
    /// buffered; then, if the rest is at least half the buffer, straight
    /// from the source; else from new read-ahead. `Ok(false)` when the
    /// stream ended before the first byte of `out` (a clean end between
    /// PDUs, when `out` is a BHS).
    ///
    /// # Errors
    ///
    /// [`ReadError::Truncated`] if the stream ends inside `out`; the
    /// source's errors.
    pub fn read<S: Source>(
        &mut self,
        src: &mut S,
        out: &mut [u8],
    ) -> Result<bool, ReadError<S::Error>> {
        let mut done = self.take_into(out);
        if done == out.len() {
            return Ok(true);
        }
        let cap = self.buf.len();
        let rest = out.get_mut(done..).unwrap_or(&mut []);
        if rest.len() >= cap / 2 {
            return match src.recv_exact(rest).map_err(ReadError::Source)? {
                true => Ok(true),
                false if done == 0 => Ok(false),
                false => Err(ReadError::Truncated),
            };
        }
        // The buffer is empty here (take_into took all of it).
        while done < out.len() {
            let n = src
                .recv_some(&mut self.buf)
                .map_err(ReadError::Source)?
                .min(cap);
            if n == 0 {
                return if done == 0 {
                    Ok(false)
                } else {
                    Err(ReadError::Truncated)
                };
            }
            self.start = 0;
            self.end = n;
            done += self.take_into(out.get_mut(done..).unwrap_or(&mut []));
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// A stream handed out in the chunk sizes of `chunks` (then the rest at
    /// once), counting the calls.
    struct Script {
        data: Vec<u8>,
        pos: usize,
        chunks: Vec<usize>,
        calls: usize,
    }

    impl Source for Script {
        type Error = ();
        fn recv_some(&mut self, buf: &mut [u8]) -> Result<usize, ()> {
            self.calls += 1;
            let left = self.data.len() - self.pos;
            let chunk = if self.chunks.is_empty() {
                left
            } else {
                self.chunks.remove(0).max(1)
            };
            let n = chunk.min(left).min(buf.len());
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
        fn recv_exact(&mut self, buf: &mut [u8]) -> Result<bool, ()> {
            self.calls += 1;
            let left = self.data.len() - self.pos;
            if left == 0 {
                return Ok(false);
            }
            if left < buf.len() {
                return Err(());
            }
            buf.copy_from_slice(&self.data[self.pos..self.pos + buf.len()]);
            self.pos += buf.len();
            Ok(true)
        }
    }

    fn script(len: usize, chunks: Vec<usize>) -> Script {
        Script {
            data: (0..len).map(|i| (i * 7 + i / 251) as u8).collect(),
            pos: 0,
            chunks,
            calls: 0,
        }
    }

    /// Queue depth 32: four 4 KiB Data-In PDUs that arrived together take
    /// one socket call for their eight reads, not eight.
    #[test]
    fn pdus_that_arrived_together_take_one_call() {
        let pdu = 48 + 4096;
        let mut s = script(4 * pdu, vec![]);
        let mut ra = ReadAhead::new(vec![0u8; 4 * pdu]);
        let mut got = Vec::new();
        for _ in 0..4 {
            let mut bhs = [0u8; 48];
            let mut data = vec![0u8; 4096];
            assert_eq!(ra.read(&mut s, &mut bhs), Ok(true));
            // The Data-In data is taken from the buffer (as conn.rs does).
            let n = ra.buffered().len().min(4096);
            data[..n].copy_from_slice(&ra.buffered()[..n]);
            ra.consume(n);
            assert_eq!(n, 4096);
            got.extend_from_slice(&bhs);
            got.extend_from_slice(&data);
        }
        assert_eq!(got, s.data);
        assert_eq!(s.calls, 1);
        let mut bhs = [0u8; 48];
        assert_eq!(
            ra.read(&mut s, &mut bhs),
            Ok(false),
            "a clean end between PDUs"
        );
    }

    #[test]
    fn large_reads_bypass_the_buffer_and_ends_inside_a_read_are_errors() {
        let mut s = script(100 + 5000, vec![100]);
        let mut ra = ReadAhead::new(vec![0u8; 1024]);
        let mut a = [0u8; 48];
        assert_eq!(ra.read(&mut s, &mut a), Ok(true));
        let mut big = vec![0u8; 52 + 5000];
        assert_eq!(ra.read(&mut s, &mut big), Ok(true));
        assert_eq!(
            s.calls, 2,
            "one call for the read-ahead, one straight into the big read"
        );
        assert_eq!([&a[..], &big[..]].concat(), s.data);

        let mut s = script(10, vec![]);
        let mut ra = ReadAhead::new(vec![0u8; 1024]);
        let mut b = [0u8; 48];
        assert_eq!(ra.read(&mut s, &mut b), Err(ReadError::Truncated));
    }

    proptest! {
        /// Whatever the arrival chunks and the read sizes, the reads give
        /// back the stream in order, and a read past its end reports a clean
        /// end only on a boundary.
        #[test]
        fn reads_reproduce_the_stream(
            len in 0usize..20000,
            chunks in proptest::collection::vec(1usize..3000, 0..40),
            reads in proptest::collection::vec(0usize..3000, 1..60),
            cap in 16usize..4096,
        ) {
            let mut s = script(len, chunks);
            let data = s.data.clone();
            let mut ra = ReadAhead::new(vec![0u8; cap]);
            let mut got = Vec::new();
            for r in reads.iter().copied().cycle().take(200) {
                let mut out = vec![0u8; r.max(1)];
                match ra.read(&mut s, &mut out) {
                    Ok(true) => got.extend_from_slice(&out),
                    Ok(false) => {
                        prop_assert_eq!(got.len(), len);
                        break;
                    }
                    Err(_) => {
                        prop_assert!(len - got.len() < out.len());
                        break;
                    }
                }
            }
            prop_assert_eq!(&got[..], &data[..got.len()]);
        }
    }
}

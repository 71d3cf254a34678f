//! Moving whole PDUs over a connection.
//!
//! [`Transport`] is what the login, discovery and logout code talk to; the
//! real one is [`TcpTransport`], the unit tests script a fake one. PDUs are
//! a 48-byte BHS plus a data segment; everything about the wire layout
//! (AHS, padding, digests) is computed by the codec (`iscsi_codec::bhs::Layout`,
//! `iscsi_codec::digest`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use iscsi_codec::bhs::{Layout, BHS_LEN};
use iscsi_codec::digest::{self, DIGEST_LEN};
use iscsi_codec::std_crc::SoftCrc32c;

use crate::diag::trace;
use crate::error::{io_network, Error, Result};
use crate::portal::Portal;

/// One PDU: its Basic Header Segment and its data segment (without padding
/// or digests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPdu {
    /// The 48-byte BHS, as encoded by the codec.
    pub bhs: [u8; BHS_LEN],
    /// DataSegmentLength bytes of data.
    pub data: Vec<u8>,
}

/// A connection carrying iSCSI PDUs.
pub trait Transport {
    /// Send one PDU (padding and digests are added as negotiated).
    fn send(&mut self, pdu: &RawPdu) -> Result<()>;
    /// Receive one PDU (digests are checked as negotiated).
    fn recv(&mut self) -> Result<RawPdu>;
    /// Digests in force from now on: they start with the full-feature phase
    /// (RFC 7143 §13.1), so the login code sets them after the final Login
    /// Response.
    fn set_digests(&mut self, header: bool, data: bool);
    /// Largest data segment accepted from the peer, in bytes (our
    /// MaxRecvDataSegmentLength).
    fn set_max_recv(&mut self, bytes: u32);
}

/// Largest data segment accepted during login: RFC 7143 §13.12 fixes 8192
/// bytes for login PDUs; we accept up to our own MaxRecvDataSegmentLength
/// from lenient targets.
pub const LOGIN_MAX_SEGMENT: u32 = 8192;

/// A TCP connection to a portal.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    peer: SocketAddr,
    header_digest: bool,
    data_digest: bool,
    max_recv: u32,
}

impl TcpTransport {
    /// Connect to `portal` (each resolved address in turn) within
    /// `connect_timeout`; every later read and write must complete within
    /// `io_timeout`.
    pub fn connect(
        portal: &Portal,
        connect_timeout: Duration,
        io_timeout: Duration,
    ) -> Result<Self> {
        let addrs = portal.resolve()?;
        let mut last: Option<Error> = None;
        for addr in addrs {
            trace(|| format!("connecting to {addr}"));
            match TcpStream::connect_timeout(&addr, connect_timeout) {
                Ok(stream) => {
                    let t = || -> std::io::Result<()> {
                        stream.set_nodelay(true)?;
                        stream.set_read_timeout(Some(io_timeout))?;
                        stream.set_write_timeout(Some(io_timeout))?;
                        Ok(())
                    };
                    t().map_err(|e| io_network(format!("{portal}"), &e))?;
                    return Ok(Self {
                        stream,
                        peer: addr,
                        header_digest: false,
                        data_digest: false,
                        max_recv: LOGIN_MAX_SEGMENT,
                    });
                }
                Err(e) => last = Some(io_network(format!("cannot connect to {portal}"), &e)),
            }
        }
        Err(last.unwrap_or_else(|| Error::network(format!("cannot connect to {portal}"))))
    }

    /// The address we are connected to.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Give up the transport, returning the socket in blocking mode with no
    /// timeouts (the kernel module would inherit SO_RCVTIMEO/SO_SNDTIMEO).
    pub fn into_stream(self) -> Result<TcpStream> {
        let s = self.stream;
        s.set_read_timeout(None)
            .and_then(|()| s.set_write_timeout(None))
            .and_then(|()| s.set_nonblocking(false))
            .map_err(|e| io_network("cannot reset socket timeouts", &e))?;
        Ok(s)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<()> {
        self.stream
            .read_exact(buf)
            .map_err(|e| io_network(format!("reading from {}", self.peer), &e))
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, pdu: &RawPdu) -> Result<()> {
        let layout = Layout::of_bhs(&pdu.bhs, self.header_digest, self.data_digest, u32::MAX)
            .map_err(|e| Error::other(format!("cannot send PDU: {e}")))?;
        if layout.data_len != pdu.data.len() {
            return Err(Error::other(format!(
                "internal error: DataSegmentLength {} but {} data bytes",
                layout.data_len,
                pdu.data.len()
            )));
        }
        let mut buf = Vec::with_capacity(layout.total());
        buf.extend_from_slice(&pdu.bhs);
        if self.header_digest {
            let d = digest::header_digest(&SoftCrc32c, &pdu.bhs, &[]);
            buf.extend_from_slice(&digest::digest_to_wire(d));
        }
        buf.extend_from_slice(&pdu.data);
        buf.resize(buf.len() + layout.pad_len, 0);
        if layout.data_digest_len > 0 {
            let d = digest::data_digest(&SoftCrc32c, &pdu.data);
            buf.extend_from_slice(&digest::digest_to_wire(d));
        }
        self.stream
            .write_all(&buf)
            .map_err(|e| io_network(format!("writing to {}", self.peer), &e))
    }

    fn recv(&mut self) -> Result<RawPdu> {
        let mut bhs = [0u8; BHS_LEN];
        self.read(&mut bhs)?;
        let layout = Layout::of_bhs(&bhs, self.header_digest, self.data_digest, self.max_recv)
            .map_err(|e| Error::protocol(format!("bad PDU header from the target: {e}")))?;
        let mut ahs = vec![0u8; layout.ahs_len];
        self.read(&mut ahs)?;
        if self.header_digest {
            let mut d = [0u8; DIGEST_LEN];
            self.read(&mut d)?;
            digest::verify_header_digest(&SoftCrc32c, &bhs, &ahs, d)
                .map_err(|e| Error::protocol(format!("PDU from the target: {e}")))?;
        }
        let mut data = vec![0u8; layout.data_len + layout.pad_len];
        self.read(&mut data)?;
        if layout.data_digest_len > 0 {
            let mut d = [0u8; DIGEST_LEN];
            self.read(&mut d)?;
            // The data digest covers the padding as received.
            digest::verify_data_digest(&SoftCrc32c, &data, d)
                .map_err(|e| Error::protocol(format!("PDU from the target: {e}")))?;
        }
        data.truncate(layout.data_len);
        Ok(RawPdu { bhs, data })
    }

    fn set_digests(&mut self, header: bool, data: bool) {
        self.header_digest = header;
        self.data_digest = data;
    }

    fn set_max_recv(&mut self, bytes: u32) {
        self.max_recv = bytes.max(LOGIN_MAX_SEGMENT);
    }
}

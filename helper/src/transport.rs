//! Moving whole PDUs over a connection.
//!
//! [`Transport`] is what the login, discovery and logout code talk to; the
//! real one is [`TcpTransport`], the unit tests script a fake one. PDUs are
//! a typed header (`iscsi_codec::pdu::Pdu`) plus a data segment; the wire
//! framing (padding, digests) is the codec's `write_pdu` / `parse_pdu`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use iscsi_codec::bhs::{Layout, BHS_LEN};
use iscsi_codec::digest::Crc32c;
use iscsi_codec::pdu::{parse_pdu, write_pdu, Pdu};
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
    /// Send one PDU: header `pdu` and data segment `data` (padding and
    /// digests are added as negotiated).
    fn send(&mut self, pdu: &Pdu, data: &[u8]) -> Result<()>;
    /// Receive one PDU (digests are checked as negotiated).
    fn recv(&mut self) -> Result<RawPdu>;
    /// Digests in force from now on: they start with the full-feature phase
    /// (RFC 7143 §13.1), so the login code sets them after the final Login
    /// Response.
    fn set_digests(&mut self, header: bool, data: bool);
    /// Largest data segment accepted from the peer, in bytes (our
    /// MaxRecvDataSegmentLength).
    fn set_max_recv_data_segment_length(&mut self, bytes: u32);
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
    max_recv_data_segment_length: u32,
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
                        max_recv_data_segment_length: LOGIN_MAX_SEGMENT,
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
    fn send(&mut self, pdu: &Pdu, data: &[u8]) -> Result<()> {
        let crc = SoftCrc32c;
        let hd: Option<&dyn Crc32c> = self.header_digest.then_some(&crc);
        let dd: Option<&dyn Crc32c> = self.data_digest.then_some(&crc);
        let len = pdu
            .layout(hd.is_some(), dd.is_some(), u32::MAX)
            .map_err(|e| Error::other(format!("cannot send {:?}: {e}", pdu.opcode())))?
            .total();
        let mut buf = vec![0u8; len];
        let n = write_pdu(pdu, &[], data, hd, dd, &mut buf)
            .map_err(|e| Error::other(format!("cannot encode {:?}: {e}", pdu.opcode())))?;
        self.stream
            .write_all(&buf[..n])
            .map_err(|e| io_network(format!("writing to {}", self.peer), &e))
    }

    fn recv(&mut self) -> Result<RawPdu> {
        let mut buf = vec![0u8; BHS_LEN];
        self.read(&mut buf)?;
        let bhs: [u8; BHS_LEN] = buf[..].try_into().expect("BHS_LEN bytes");
        let layout = Layout::of_bhs(
            &bhs,
            self.header_digest,
            self.data_digest,
            self.max_recv_data_segment_length,
        )
        .map_err(|e| Error::protocol(format!("bad PDU header from the target: {e}")))?;
        buf.resize(layout.total(), 0);
        self.read(&mut buf[BHS_LEN..])?;
        let crc = SoftCrc32c;
        let hd: Option<&dyn Crc32c> = self.header_digest.then_some(&crc);
        let dd: Option<&dyn Crc32c> = self.data_digest.then_some(&crc);
        let parsed = parse_pdu(&buf, hd, dd, self.max_recv_data_segment_length)
            .map_err(|e| Error::protocol(format!("PDU from the target: {e}")))?;
        if !parsed.ahs.is_empty() {
            return Err(Error::protocol(format!(
                "unexpected AHS on a {:?} PDU",
                parsed.pdu.opcode()
            )));
        }
        Ok(RawPdu {
            bhs,
            data: parsed.data.to_vec(),
        })
    }

    fn set_digests(&mut self, header: bool, data: bool) {
        self.header_digest = header;
        self.data_digest = data;
    }

    fn set_max_recv_data_segment_length(&mut self, bytes: u32) {
        self.max_recv_data_segment_length = bytes.max(LOGIN_MAX_SEGMENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iscsi_codec::serial::Sn;
    use iscsi_codec::text::{TextRequest, TextResponse};
    use std::net::TcpListener;

    fn text_rsp(data: &[u8]) -> Pdu {
        Pdu::TextResponse(TextResponse {
            final_bit: true,
            data_segment_length: data.len() as u32,
            itt: 7,
            ttt: 0xffff_ffff,
            stat_sn: Sn(5),
            ..Default::default()
        })
    }

    /// Digests on both directions over a real socket; a corrupted data
    /// digest is a protocol error.
    #[test]
    fn digests_over_tcp() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = vec![0u8; 48 + 4 + 16 + 4];
            s.read_exact(&mut buf).unwrap();
            let crc = SoftCrc32c;
            let p = parse_pdu(&buf, Some(&crc), Some(&crc), 8192).unwrap();
            assert_eq!(p.data, b"SendTargets=All\0");
            let data = b"TargetName=iqn.2026-11.x:y\0";
            let mut out = vec![0u8; 256];
            let n =
                write_pdu(&text_rsp(data), &[], data, Some(&crc), Some(&crc), &mut out).unwrap();
            s.write_all(&out[..n]).unwrap();
            out[n - 1] ^= 0xff;
            s.write_all(&out[..n]).unwrap();
        });
        let portal = Portal::parse(&format!("127.0.0.1:{port}"), 3260).unwrap();
        let mut t =
            TcpTransport::connect(&portal, Duration::from_secs(5), Duration::from_secs(5)).unwrap();
        t.set_digests(true, true);
        let data = b"SendTargets=All\0";
        let req = Pdu::TextRequest(TextRequest {
            immediate: true,
            final_bit: true,
            data_segment_length: data.len() as u32,
            itt: 7,
            ttt: 0xffff_ffff,
            ..Default::default()
        });
        t.send(&req, data).unwrap();
        let r = t.recv().unwrap();
        assert_eq!(r.data, b"TargetName=iqn.2026-11.x:y\0");
        let e = t.recv().unwrap_err();
        assert!(e.message.contains("data digest mismatch"), "{e}");
        server.join().unwrap();
        let s = t.into_stream().unwrap();
        assert_eq!(s.read_timeout().unwrap(), None);
        assert_eq!(s.write_timeout().unwrap(), None);
    }

    #[test]
    fn connect_errors_are_network_errors() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let portal = Portal::parse(&format!("127.0.0.1:{port}"), 3260).unwrap();
        let e = TcpTransport::connect(&portal, Duration::from_secs(2), Duration::from_secs(2))
            .unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::Network);
        assert_eq!(
            e.message,
            format!("cannot connect to 127.0.0.1:{port}: connection refused")
        );
    }
}

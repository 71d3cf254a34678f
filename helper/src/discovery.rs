//! The full-feature phase the helper itself runs: SendTargets discovery
//! (RFC 7143 §11.10/§11.11, Appendix C) and Logout (§11.14/§11.15), for
//! discovery sessions and `login --check`. Normal sessions are otherwise
//! handed to the kernel module.

use iscsi_codec::assembler::TextAssembler;
use iscsi_codec::bhs::RESERVED_TAG;
use iscsi_codec::keys::KeyValueIter;
use iscsi_codec::logout::{LogoutReason, LogoutRequest, LogoutResponseCode};
use iscsi_codec::nop::{NopIn, NopOut};
use iscsi_codec::pdu::Pdu;
use iscsi_codec::serial::Sn;
use iscsi_codec::text::TextRequest;
use serde::Serialize;

use crate::diag::trace;
use crate::error::{Error, Result};
use crate::login::LoggedIn;
use crate::negotiate::Digest;
use crate::portal::{parse_target_address, Portal};
use crate::textval::serialize_pairs;
use crate::transport::Transport;

/// Largest SendTargets answer accepted (all Text Responses together), bytes.
pub const MAX_SENDTARGETS_TEXT: usize = 4 << 20;
/// Most Text Response PDUs of one SendTargets exchange.
pub const MAX_TEXT_PDUS: usize = 4096;

/// One portal of a discovered target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiscoveredPortal {
    /// `host:port` or `[v6]:port`.
    pub address: String,
    /// Host part.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Target portal group tag, when the target gave one.
    pub tpgt: Option<u16>,
}

/// One target of a SendTargets answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiscoveredTarget {
    /// TargetName.
    pub name: String,
    /// TargetAlias, if sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Its portals (RFC 7143 §13.8). When the target sent none it is
    /// reachable through the discovery portal, which is listed without tag.
    pub portals: Vec<DiscoveredPortal>,
}

/// Parse a complete SendTargets answer (TargetName starts a record,
/// TargetAddress adds a portal to it). `discovery_portal` stands in for
/// targets without TargetAddress.
pub fn parse_send_targets(data: &[u8], discovery_portal: &Portal) -> Result<Vec<DiscoveredTarget>> {
    let mut out: Vec<DiscoveredTarget> = Vec::new();
    for kv in KeyValueIter::new(data) {
        let kv = kv.map_err(|e| Error::protocol(format!("malformed SendTargets answer: {e}")))?;
        let v = kv
            .value_str()
            .ok_or_else(|| Error::protocol(format!("SendTargets {} is not UTF-8", kv.key)))?;
        match kv.key {
            "TargetName" => out.push(DiscoveredTarget {
                name: v.to_string(),
                alias: None,
                portals: Vec::new(),
            }),
            "TargetAddress" => {
                let t = out.last_mut().ok_or_else(|| {
                    Error::protocol("SendTargets answer has a TargetAddress before any TargetName")
                })?;
                let (p, tpgt) = parse_target_address(v).map_err(Error::protocol)?;
                t.portals.push(DiscoveredPortal {
                    address: p.to_string(),
                    host: p.host.clone(),
                    port: p.port,
                    tpgt,
                });
            }
            "TargetAlias" => {
                if let Some(t) = out.last_mut() {
                    t.alias = Some(v.to_string());
                }
            }
            _ => trace(|| format!("ignoring {}={v} in the SendTargets answer", kv.key)),
        }
    }
    for t in &mut out {
        if t.portals.is_empty() {
            t.portals.push(DiscoveredPortal {
                address: discovery_portal.to_string(),
                host: discovery_portal.host.clone(),
                port: discovery_portal.port,
                tpgt: None,
            });
        }
    }
    Ok(out)
}

/// The error for a PDU other than the response we wait for.
fn unexpected(expected: &str, got: &Pdu) -> Error {
    Error::protocol(format!("expected {expected}, got {:?}", got.opcode()))
}

/// A logged-in connection driven by the helper.
pub struct Session<T: Transport> {
    t: T,
    cid: u16,
    cmd_sn: Sn,
    exp_stat_sn: Sn,
    next_itt: u32,
    max_xmit_data_segment_length: u32,
    portal: Portal,
}

impl<T: Transport> Session<T> {
    /// Start the full-feature phase on `t` after `li` (switches the
    /// negotiated digests on).
    pub fn new(mut t: T, li: &LoggedIn) -> Self {
        let n = &li.negotiated;
        t.set_digests(
            n.header_digest == Digest::Crc32c,
            n.data_digest == Digest::Crc32c,
        );
        t.set_max_recv_data_segment_length(n.max_recv_data_segment_length);
        Session {
            t,
            cid: li.cid,
            cmd_sn: Sn(li.cmd_sn),
            exp_stat_sn: Sn(li.exp_stat_sn),
            next_itt: 1,
            max_xmit_data_segment_length: n.max_xmit_data_segment_length,
            portal: li.portal.clone().unwrap_or(Portal {
                host: String::new(),
                port: 0,
            }),
        }
    }

    /// Give the transport back.
    pub fn into_transport(self) -> T {
        self.t
    }

    fn itt(&mut self) -> u32 {
        let i = self.next_itt;
        self.next_itt = self.next_itt.wrapping_add(1);
        if self.next_itt == RESERVED_TAG {
            self.next_itt = 1;
        }
        i
    }

    fn send(&mut self, pdu: Pdu, data: &[u8]) -> Result<()> {
        self.t.send(&pdu, data)
    }

    fn ack(&mut self, stat_sn: Sn) {
        if stat_sn.ge(self.exp_stat_sn) {
            self.exp_stat_sn = stat_sn.next();
        }
    }

    /// Receive the next PDU for `itt`, answering NOP-In pings and skipping
    /// asynchronous messages on the way.
    fn recv_for(&mut self, itt: u32) -> Result<(Pdu, Vec<u8>)> {
        for _ in 0..1024 {
            let raw = self.t.recv()?;
            let pdu = Pdu::decode(&raw.bhs)
                .map_err(|e| Error::protocol(format!("bad PDU from the target: {e}")))?;
            match pdu {
                Pdu::NopIn(nop) => self.on_nop_in(nop, &raw.data)?,
                Pdu::AsyncMessage(a) => {
                    self.ack(a.stat_sn);
                    trace(|| format!("asynchronous message from the target: {:?}", a.async_event));
                    use iscsi_codec::async_msg::AsyncEvent;
                    if matches!(
                        a.async_event,
                        AsyncEvent::ConnectionDrop | AsyncEvent::SessionDrop
                    ) {
                        return Err(Error::target(
                            "the target dropped the connection (asynchronous message)",
                        ));
                    }
                }
                Pdu::Reject(r) => {
                    self.ack(r.stat_sn);
                    return Err(Error::protocol(format!(
                        "target rejected our request (Reject reason {:?})",
                        r.reason
                    )));
                }
                p if p.itt() == itt => return Ok((p, raw.data)),
                p => {
                    return Err(Error::protocol(format!(
                        "unexpected {:?} PDU with ITT 0x{:08x}",
                        p.opcode(),
                        p.itt()
                    )))
                }
            }
        }
        Err(Error::protocol("too many unsolicited PDUs from the target"))
    }

    fn on_nop_in(&mut self, nop: NopIn, data: &[u8]) -> Result<()> {
        if nop.ttt == RESERVED_TAG {
            return Ok(());
        }
        // A ping: answer with a NOP-Out echoing TTT and data (§11.18).
        let out = NopOut {
            immediate: true,
            data_segment_length: data.len() as u32,
            lun: nop.lun,
            itt: RESERVED_TAG,
            ttt: nop.ttt,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
        };
        self.send(Pdu::NopOut(out), data)
    }

    /// `SendTargets=All` (or `=<target>`): a Text exchange, following
    /// continuations (F=0 / C=1 with a Target Transfer Tag, §11.10.2).
    pub fn send_targets(&mut self, which: &str) -> Result<Vec<DiscoveredTarget>> {
        let itt = self.itt();
        let text = serialize_pairs(&[("SendTargets", which)]).map_err(Error::other)?;
        if text.len() as u32 > self.max_xmit_data_segment_length {
            return Err(Error::other(
                "SendTargets request exceeds MaxXmitDataSegmentLength (the target's MaxRecvDataSegmentLength)",
            ));
        }
        let mut buf = vec![0u8; MAX_SENDTARGETS_TEXT];
        let mut asm = TextAssembler::new(&mut buf);
        let mut ttt = RESERVED_TAG;
        let mut payload: &[u8] = &text;
        for _ in 0..MAX_TEXT_PDUS {
            let req = TextRequest {
                immediate: true,
                final_bit: true,
                continue_: false,
                data_segment_length: payload.len() as u32,
                lun: Default::default(),
                itt,
                ttt,
                cmd_sn: self.cmd_sn,
                exp_stat_sn: self.exp_stat_sn,
            };
            trace(|| {
                format!(
                    "-> Text Request TTT=0x{ttt:08x} {}",
                    String::from_utf8_lossy(payload)
                )
            });
            self.send(Pdu::TextRequest(req), payload)?;
            payload = &[];
            let (pdu, data) = self.recv_for(itt)?;
            let rsp = match pdu {
                Pdu::TextResponse(r) => r,
                other => return Err(unexpected("a Text Response", &other)),
            };
            self.ack(rsp.stat_sn);
            trace(|| {
                format!(
                    "<- Text Response F={} C={} TTT=0x{:08x} {} bytes",
                    rsp.final_bit as u8,
                    rsp.continue_ as u8,
                    rsp.ttt,
                    data.len()
                )
            });
            // C=1 means the text continues; F=0 (with C=0) means the target
            // has more to send: both are fetched with an empty request.
            let more = rsp.continue_ || !rsp.final_bit;
            asm.push(&data, more).map_err(|e| {
                Error::protocol(format!(
                    "SendTargets answer too long ({e}, limit {MAX_SENDTARGETS_TEXT} bytes)"
                ))
            })?;
            if !more {
                return parse_send_targets(asm.data(), &self.portal);
            }
            if rsp.ttt == RESERVED_TAG {
                return Err(Error::protocol(
                    "Text Response asks us to continue but has no Target Transfer Tag",
                ));
            }
            ttt = rsp.ttt;
        }
        Err(Error::protocol(format!(
            "SendTargets answer spans more than {MAX_TEXT_PDUS} PDUs"
        )))
    }

    /// Logout with reason "close the session" (§11.14) and wait for the
    /// Logout Response. A target that closes the connection (end of stream)
    /// instead of answering has ended the session too: that is `Ok`, noted
    /// under `-v`.
    pub fn logout(&mut self) -> Result<()> {
        let itt = self.itt();
        let req = LogoutRequest {
            immediate: true,
            reason: LogoutReason::CloseSession,
            itt,
            cid: self.cid,
            cmd_sn: self.cmd_sn,
            exp_stat_sn: self.exp_stat_sn,
        };
        trace(|| "-> Logout Request (close session)".into());
        self.send(Pdu::LogoutRequest(req), &[])?;
        let (pdu, _) = match self.recv_for(itt) {
            Ok(p) => p,
            // The target closed the connection after our Logout Request
            // instead of answering it: the connection, and with it the
            // session (one connection, ERL 0), is gone, which is what the
            // Logout asked for. istgt does this now and then: its worker
            // closes the socket before its sender thread wrote the queued
            // Logout Response.
            Err(e) if e.closed_by_target => {
                trace(|| {
                    format!(
                        "no Logout Response, the target closed the connection ({e}); logged out"
                    )
                });
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let rsp = match pdu {
            Pdu::LogoutResponse(r) => r,
            other => return Err(unexpected("a Logout Response", &other)),
        };
        self.ack(rsp.stat_sn);
        trace(|| format!("<- Logout Response {:?}", rsp.response));
        match rsp.response {
            LogoutResponseCode::Success => Ok(()),
            LogoutResponseCode::CidNotFound => Err(Error::target("logout failed: CID not found")),
            LogoutResponseCode::RecoveryNotSupported => Err(Error::target(
                "logout failed: connection recovery not supported",
            )),
            LogoutResponseCode::CleanupFailed => {
                Err(Error::target("logout failed: cleanup failed"))
            }
        }
    }
}

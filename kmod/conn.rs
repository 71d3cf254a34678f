// SPDX-License-Identifier: GPL-2.0

//! A connection in the full-feature phase (RFC 7143 §10–11): the socket and
//! its two kernel threads.
//!
//! - The receive thread blocks in `recv` on the socket: it reads each PDU's
//!   BHS, lets the codec say how many AHS/data/padding/digest bytes follow,
//!   and places Data-In straight into the command's scatterlist. Every field
//!   is validated; a violation fails the connection, never the kernel.
//! - The transmit thread sleeps on `Session::tx_wait`; it sends SCSI Command
//!   PDUs (with immediate data), unsolicited and R2T-solicited Data-Out
//!   straight from the command's pages, NOP-Out answers and the Logout.
//!
//! A blocking receive thread per connection is the simplest design that
//! never blocks the midlayer, and it keeps all data placement in one thread.

use crate::codec::bhs::{Layout, BHS_LEN, RESERVED_TAG};
use crate::codec::data::{DataIn, DataOut, R2t};
use crate::codec::digest::{self, Crc32c, DIGEST_LEN};
use crate::codec::async_msg::AsyncEvent;
use crate::codec::logout::{LogoutReason, LogoutRequest, LogoutResponseCode};
use crate::codec::lun::Lun;
use crate::codec::nop::{NopIn, NopOut};
use crate::codec::pdu::Pdu;
use crate::codec::scsi::{self, ScsiCommand, ScsiResponse, ServiceResponse, TaskAttribute};
use crate::codec::serial::Sn;
use crate::session::{Completion, Session, State, Stats, TxItem, LOGOUT_ITT, SENSE_LEN};
use crate::sys::crc::KernelCrc32c;
use crate::sys::scsi::{Cmd, DataDir, HostByte};
use crate::sys::socket::Socket;
use crate::sys::thread;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Bytes of non-Data-In data segment kept by the receive thread (sense data,
/// Reject headers, async events); longer segments are read and dropped.
const RX_BUF_LEN: usize = 4096;
/// Room for an AHS: TotalAHSLength is at most 255 words.
const AHS_MAX: usize = 1020;
const ZERO_PAD: [u8; 4] = [0; 4];

/// Why a connection failed.
pub(crate) struct Failure(&'static str);

type Res<T = ()> = core::result::Result<T, Failure>;

fn io(_e: Error) -> Failure {
    Failure("socket error")
}

/// The connection of a session.
pub(crate) struct Conn {
    pub(crate) session: Arc<Session>,
    sock: Socket,
    hd: bool,
    dd: bool,
    /// MaxRecvDataSegmentLength we declared (bytes).
    mrdsl: u32,
    /// MaxRecvDataSegmentLength the target declared (bytes).
    mxdsl: u32,
    first_burst: u32,
    max_burst: u32,
    initial_r2t: bool,
    immediate_data: bool,
    cid: u16,
}

impl Conn {
    pub(crate) fn new(session: Arc<Session>, sock: Socket, p: &crate::abi::NegotiatedParams, cid: u16) -> Self {
        Self {
            session,
            sock,
            hd: p.header_digest != 0,
            dd: p.data_digest != 0,
            mrdsl: p.max_recv_data_segment_length,
            mxdsl: p.max_xmit_data_segment_length,
            first_burst: p.first_burst_length,
            max_burst: p.max_burst_length,
            initial_r2t: p.initial_r2t != 0,
            immediate_data: p.immediate_data != 0,
            cid,
        }
    }

    /// The peer's address, for log lines.
    pub(crate) fn peer<'a>(&self, buf: &'a mut [u8]) -> &'a str {
        match self.sock.peer(buf) {
            Ok(b) => core::str::from_utf8(b).unwrap_or("?"),
            Err(_) => "?",
        }
    }

    /// Unblocks both threads (socket shutdown).
    pub(crate) fn shutdown(&self) {
        self.sock.shutdown();
    }

    fn fail(&self, f: Failure) {
        self.session.mark_failed(f.0);
        self.sock.shutdown();
    }

    // ---------------------------------------------------------------- receive

    /// Body of the receive thread.
    pub(crate) fn rx_main(&self) {
        let s = &*self.session;
        let mut buf = match KVec::from_elem(0u8, RX_BUF_LEN, GFP_KERNEL) {
            Ok(b) => b,
            Err(_) => {
                self.fail(Failure("out of memory for the receive buffer"));
                KVec::new()
            }
        };
        loop {
            if thread::should_stop() || buf.is_empty() {
                break;
            }
            match self.rx_pdu(&mut buf) {
                Ok(true) => {}
                Ok(false) => break,
                Err(f) => {
                    if !matches!(f.0, "socket error" | "connection closed by the target") {
                        Stats::add(&s.stats.protocol_errors, 1);
                    }
                    self.fail(f);
                    break;
                }
            }
        }
        // Stop the transmit side, wait for it, then complete what is left.
        {
            let mut g = s.inner.lock();
            if g.state == State::LoggedIn {
                g.state = State::Failed;
                drop(g);
                pr_err!("session {}: connection closed\n", s.id);
                Stats::add(&s.stats.conn_failures, 1);
            }
        }
        self.sock.shutdown();
        s.tx_wait.notify_all();
        {
            let mut g = s.inner.lock();
            while g.tx_running {
                // Kernel threads take no signals: a wake-up is a state change.
                let _ = s.event.wait_interruptible(&mut g);
            }
        }
        s.flush(HostByte::TransportDisrupted);
        s.inner.lock().rx_running = false;
        s.event.notify_all();
    }

    /// Receives and handles one PDU. `Ok(false)` ends the loop normally
    /// (after a Logout Response).
    fn rx_pdu(&self, buf: &mut [u8]) -> Res<bool> {
        let s = &*self.session;
        let mut bhs = [0u8; BHS_LEN];
        if !self.sock.recv(&mut bhs).map_err(io)? {
            let g = s.inner.lock();
            return if g.state == State::LoggedOut || g.logout_response.is_some() {
                Ok(false)
            } else {
                Err(Failure("connection closed by the target"))
            };
        }
        let layout =
            Layout::of_bhs(&bhs, self.hd, self.dd, self.mrdsl).map_err(|_| Failure("bad DataSegmentLength or AHS"))?;
        let mut ahs = [0u8; AHS_MAX + DIGEST_LEN];
        let rest = layout.header_rest_len();
        if rest > 0 {
            let part = ahs.get_mut(..rest).ok_or(Failure("AHS too long"))?;
            if !self.sock.recv(part).map_err(io)? {
                return Err(Failure("connection closed inside a PDU"));
            }
            if self.hd {
                let (a, d) = part.split_at(layout.ahs_len);
                let want = digest::header_digest(&KernelCrc32c, &bhs, a);
                let got = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
                if want != got {
                    Stats::add(&s.stats.digest_errors, 1);
                    return Err(Failure("header digest error"));
                }
            }
        }
        Stats::add(&s.stats.pdus_received, 1);
        let pdu = Pdu::decode(&bhs).map_err(|_| Failure("malformed PDU header"))?;
        match pdu {
            Pdu::DataIn(d) => self.rx_data_in(&d, &layout),
            Pdu::ScsiResponse(r) => {
                let data = self.rx_segment(&layout, buf)?;
                self.rx_scsi_response(&r, data)
            }
            Pdu::R2t(r) => self.rx_r2t(&r),
            Pdu::NopIn(n) => {
                self.rx_segment(&layout, buf)?;
                self.rx_nop_in(&n)
            }
            Pdu::LogoutResponse(r) => {
                let mut g = s.inner.lock();
                if r.itt != LOGOUT_ITT {
                    return Err(Failure("Logout Response for an unknown ITT"));
                }
                g.exp_stat_sn = r.stat_sn.next();
                g.logout_response = Some(match r.response {
                    LogoutResponseCode::Success => 0,
                    LogoutResponseCode::CidNotFound => 1,
                    LogoutResponseCode::RecoveryNotSupported => 2,
                    LogoutResponseCode::CleanupFailed => 3,
                });
                g.state = State::LoggedOut;
                drop(g);
                s.event.notify_all();
                Ok(false)
            }
            Pdu::AsyncMessage(a) => {
                let _ = self.rx_segment(&layout, buf)?;
                {
                    let mut g = s.inner.lock();
                    self.advance_stat_sn(&mut g, a.stat_sn);
                    g.window.update(a.exp_cmd_sn, a.max_cmd_sn);
                }
                match a.async_event {
                    AsyncEvent::LogoutRequest => {
                        pr_warn!("session {}: target requests logout\n", s.id);
                        let queued = {
                            let mut g = s.inner.lock();
                            if g.state == State::LoggedIn {
                                g.state = State::LoggingOut;
                                g.txq.push(TxItem::Logout).is_ok()
                            } else {
                                false
                            }
                        };
                        if queued {
                            s.tx_wait.notify_one();
                        }
                        Ok(true)
                    }
                    AsyncEvent::ConnectionDrop | AsyncEvent::SessionDrop => {
                        Err(Failure("target announced it drops the connection"))
                    }
                    ev => {
                        pr_info!("session {}: async event {:?} (vcode {})\n", s.id, ev, a.async_vcode);
                        s.tx_wait.notify_one();
                        Ok(true)
                    }
                }
            }
            Pdu::Reject(r) => {
                let data = self.rx_segment(&layout, buf)?;
                let rejected = crate::codec::reject::Reject::rejected_bhs(data)
                    .map(|h| crate::codec::bhs::initiator_task_tag(h));
                pr_err!(
                    "session {}: target rejected a PDU (reason {:?}, ITT {:#x})\n",
                    s.id,
                    r.reason,
                    rejected.unwrap_or(RESERVED_TAG)
                );
                let done = {
                    let mut g = s.inner.lock();
                    self.advance_stat_sn(&mut g, r.stat_sn);
                    g.window.update(r.exp_cmd_sn, r.max_cmd_sn);
                    match rejected.and_then(|itt| Session::task_mut(&mut g, itt).map(|t| (itt & 0xffff, t.info.bufflen))) {
                        Some((tag, len)) => Session::finish(&mut g, tag, Completion::host(HostByte::Error, len)),
                        None => None,
                    }
                };
                s.complete(done);
                s.tx_wait.notify_one();
                Ok(true)
            }
            _ => Err(Failure("unexpected PDU in the full-feature phase")),
        }
    }

    /// StatSN of a status-carrying PDU: ExpStatSN becomes StatSN + 1.
    fn advance_stat_sn(&self, g: &mut crate::session::Inner, stat_sn: Sn) {
        if stat_sn.ge(g.exp_stat_sn) {
            g.exp_stat_sn = stat_sn.next();
        }
    }

    /// Checks the StatSN of a command's status (in order on one connection).
    fn check_stat_sn(g: &mut crate::session::Inner, stat_sn: Sn) -> Res {
        if stat_sn != g.exp_stat_sn {
            pr_err!("StatSN {} where {} was expected\n", stat_sn.0, g.exp_stat_sn.0);
            return Err(Failure("StatSN out of order"));
        }
        g.exp_stat_sn = stat_sn.next();
        Ok(())
    }

    /// Reads a data segment (+ padding + digest) into `buf`; returns the
    /// data, truncated to `buf`'s length (the rest is read and dropped).
    fn rx_segment<'a>(&self, l: &Layout, buf: &'a mut [u8]) -> Res<&'a [u8]> {
        let total = l.data_len + l.pad_len;
        let keep = total.min(buf.len());
        let mut crc = 0u32;
        let head = buf.get_mut(..keep).ok_or(Failure("receive buffer"))?;
        if !self.sock.recv(head).map_err(io)? {
            return Err(Failure("connection closed inside a PDU"));
        }
        if self.dd {
            crc = KernelCrc32c.append(crc, head);
        }
        let mut left = total - keep;
        let mut scratch = [0u8; 256];
        while left > 0 {
            let n = left.min(scratch.len());
            let chunk = scratch.get_mut(..n).ok_or(Failure("receive buffer"))?;
            if !self.sock.recv(chunk).map_err(io)? {
                return Err(Failure("connection closed inside a PDU"));
            }
            if self.dd {
                crc = KernelCrc32c.append(crc, chunk);
            }
            left -= n;
        }
        if l.data_digest_len > 0 {
            self.check_data_digest(crc)?;
        }
        Ok(buf.get(..l.data_len.min(keep)).unwrap_or(&[]))
    }

    fn check_data_digest(&self, crc: u32) -> Res {
        let mut d = [0u8; DIGEST_LEN];
        if !self.sock.recv(&mut d).map_err(io)? {
            return Err(Failure("connection closed inside a PDU"));
        }
        if u32::from_le_bytes(d) != crc {
            Stats::add(&self.session.stats.digest_errors, 1);
            return Err(Failure("data digest error"));
        }
        Ok(())
    }

    fn rx_data_in(&self, d: &DataIn, l: &Layout) -> Res<bool> {
        let s = &*self.session;
        let len = l.data_len as u32;
        let (cmd, tag) = {
            let mut g = s.inner.lock();
            let t = Session::task_mut(&mut g, d.itt).ok_or(Failure("Data-In for an unknown ITT"))?;
            if t.info.dir != DataDir::Read && len > 0 {
                return Err(Failure("Data-In for a command that reads nothing"));
            }
            if d.data_sn.0 != t.exp_data_sn {
                return Err(Failure("Data-In DataSN out of order"));
            }
            let end = d.buffer_offset.checked_add(len).ok_or(Failure("Data-In BufferOffset overflows"))?;
            if end > t.info.bufflen {
                return Err(Failure("Data-In beyond the command's buffer"));
            }
            if d.buffer_offset != t.data_in {
                return Err(Failure("Data-In BufferOffset out of order"));
            }
            t.exp_data_sn = t.exp_data_sn.wrapping_add(1);
            (t.cmd.ok_or(Failure("Data-In for an unknown ITT"))?, d.itt & 0xffff)
        };
        if len > 0 {
            self.sock.recv_data(&cmd, d.buffer_offset, len).map_err(io)?;
            let pad = ZERO_PAD.get(..l.pad_len).unwrap_or(&[]);
            let mut padbuf = [0u8; 4];
            let p = padbuf.get_mut(..pad.len()).unwrap_or(&mut []);
            if !p.is_empty() && !self.sock.recv(p).map_err(io)? {
                return Err(Failure("connection closed inside a PDU"));
            }
            if self.dd {
                let crc = cmd.crc32c(0, d.buffer_offset, len);
                let crc = KernelCrc32c.append(crc, p);
                self.check_data_digest(crc)?;
            }
            Stats::add(&s.stats.read_bytes, u64::from(len));
        }
        let done = {
            let mut g = s.inner.lock();
            let t = Session::task_mut(&mut g, d.itt).ok_or(Failure("Data-In for an unknown ITT"))?;
            t.data_in = t.data_in.wrapping_add(len);
            let bufflen = t.info.bufflen;
            g.window.update(d.exp_cmd_sn, d.max_cmd_sn);
            if d.status_present {
                Self::check_stat_sn(&mut g, d.stat_sn)?;
                let resid = residual(d.residual_underflow, d.residual_overflow, d.residual_count, bufflen);
                let mut c = Completion::host(HostByte::Ok, resid);
                c.status = d.status;
                Session::finish(&mut g, tag, c)
            } else {
                None
            }
        };
        s.complete(done);
        s.tx_wait.notify_one();
        Ok(true)
    }

    fn rx_scsi_response(&self, r: &ScsiResponse, data: &[u8]) -> Res<bool> {
        let s = &*self.session;
        let done = {
            let mut g = s.inner.lock();
            g.window.update(r.exp_cmd_sn, r.max_cmd_sn);
            Self::check_stat_sn(&mut g, r.stat_sn)?;
            let t = Session::task_mut(&mut g, r.itt).ok_or(Failure("SCSI Response for an unknown ITT"))?;
            let tag = r.itt & 0xffff;
            let resid = residual(r.residual_underflow, r.residual_overflow, r.residual_count, t.info.bufflen);
            let mut c = match r.response {
                ServiceResponse::CommandCompleted => Completion::host(HostByte::Ok, resid),
                _ => Completion::host(HostByte::Error, t.info.bufflen),
            };
            c.status = r.status;
            if let Ok((sense, _)) = scsi::sense_data(data) {
                let n = sense.len().min(SENSE_LEN);
                if let (Some(dst), Some(src)) = (c.sense.get_mut(..n), sense.get(..n)) {
                    dst.copy_from_slice(src);
                    c.sense_len = n;
                }
            }
            Session::finish(&mut g, tag, c)
        };
        s.complete(done);
        s.tx_wait.notify_one();
        Ok(true)
    }

    fn rx_r2t(&self, r: &R2t) -> Res<bool> {
        let s = &*self.session;
        {
            let mut g = s.inner.lock();
            g.window.update(r.exp_cmd_sn, r.max_cmd_sn);
            let max_burst = self.max_burst;
            let t = Session::task_mut(&mut g, r.itt).ok_or(Failure("R2T for an unknown ITT"))?;
            if t.info.dir != DataDir::Write {
                return Err(Failure("R2T for a command that writes nothing"));
            }
            if r.r2t_sn.0 != t.exp_r2t_sn {
                return Err(Failure("R2TSN out of order"));
            }
            let len = r.desired_data_transfer_length;
            let end = r.buffer_offset.checked_add(len).ok_or(Failure("R2T BufferOffset overflows"))?;
            if end > t.info.bufflen {
                return Err(Failure("R2T beyond the command's buffer"));
            }
            if len > max_burst {
                return Err(Failure("R2T Desired Data Transfer Length above MaxBurstLength"));
            }
            t.exp_r2t_sn = t.exp_r2t_sn.wrapping_add(1);
            t.tx_refs += 1;
            let item = TxItem::DataOut { tag: r.itt & 0xffff, itt: r.itt, ttt: r.ttt, offset: r.buffer_offset, len };
            if g.txq.push(item).is_err() {
                return Err(Failure("more outstanding R2Ts than MaxOutstandingR2T"));
            }
        }
        s.tx_wait.notify_one();
        Ok(true)
    }

    fn rx_nop_in(&self, n: &NopIn) -> Res<bool> {
        let s = &*self.session;
        {
            let mut g = s.inner.lock();
            g.window.update(n.exp_cmd_sn, n.max_cmd_sn);
            if n.ttt != RESERVED_TAG {
                // A target ping: answer with the same TTT and LUN (RFC 7143 §11.19.2).
                if g.txq.push(TxItem::NopOut { ttt: n.ttt, lun: n.lun.0 }).is_err() {
                    return Err(Failure("transmit queue full"));
                }
            } else if n.itt != RESERVED_TAG {
                return Err(Failure("NOP-In answers a ping we did not send"));
            }
        }
        s.tx_wait.notify_one();
        Ok(true)
    }

    // --------------------------------------------------------------- transmit

    /// Body of the transmit thread.
    pub(crate) fn tx_main(&self) {
        let s = &*self.session;
        loop {
            let work = {
                let mut g = s.inner.lock();
                loop {
                    if thread::should_stop() || matches!(g.state, State::Failed | State::LoggedOut) {
                        break None;
                    }
                    if let Some(item) = g.txq.pop() {
                        break Some(Work::Item(item, g.exp_stat_sn, g.cmd_sn));
                    }
                    if g.state == State::LoggedIn {
                        if let Some(tag) = g.cmdq.peek() {
                            if g.window.may_send(g.cmd_sn) {
                                g.cmdq.pop();
                                let task = g.tasks.get(tag as usize).and_then(|t| t.cmd.map(|c| (c, t.itt, t.info)));
                                if let Some((cmd, itt, info)) = task {
                                    let cmd_sn = g.cmd_sn;
                                    g.cmd_sn = cmd_sn.next();
                                    let exp = g.exp_stat_sn;
                                    break Some(Work::Command { tag, itt, cmd, info, cmd_sn, exp });
                                }
                                continue;
                            }
                        }
                    }
                    // Kernel threads take no signals: a wake-up means work.
                    let _ = s.tx_wait.wait_interruptible(&mut g);
                }
            };
            let Some(work) = work else { break };
            let (res, tag) = match work {
                Work::Command { tag, itt, cmd, info, cmd_sn, exp } => {
                    (self.tx_command(tag, itt, &cmd, &info, cmd_sn, exp), Some(tag))
                }
                Work::Item(TxItem::DataOut { tag, itt, ttt, offset, len }, exp, _) => {
                    let cmd = {
                        let mut g = s.inner.lock();
                        Session::task_mut(&mut g, itt).and_then(|t| t.cmd.map(|c| (c, t.info.lun)))
                    };
                    let r = match cmd {
                        Some((cmd, lun)) => self.tx_data_out(&cmd, itt, lun, ttt, offset, len, exp),
                        None => Ok(()),
                    };
                    (r, Some(tag))
                }
                Work::Item(TxItem::NopOut { ttt, lun }, exp, cmd_sn) => (self.tx_nop_out(ttt, lun, cmd_sn, exp), None),
                Work::Item(TxItem::Logout, exp, cmd_sn) => (self.tx_logout(cmd_sn, exp), None),
            };
            if let Some(tag) = tag {
                let done = Session::tx_put(&mut s.inner.lock(), tag);
                s.complete(done);
            }
            if let Err(f) = res {
                self.fail(f);
                break;
            }
        }
        s.inner.lock().tx_running = false;
        s.event.notify_all();
    }

    /// Sends a BHS (+ AHS) with its header digest.
    fn send_header(&self, bhs: &[u8; BHS_LEN], ahs: &[u8], more: bool) -> Res {
        let mut hdr = [0u8; BHS_LEN + 256 + DIGEST_LEN];
        let n = BHS_LEN + ahs.len();
        hdr.get_mut(..BHS_LEN).ok_or(Failure("header"))?.copy_from_slice(bhs);
        hdr.get_mut(BHS_LEN..n).ok_or(Failure("AHS too long"))?.copy_from_slice(ahs);
        let mut len = n;
        if self.hd {
            let d = digest::header_digest(&KernelCrc32c, bhs, ahs).to_le_bytes();
            hdr.get_mut(n..n + DIGEST_LEN).ok_or(Failure("header"))?.copy_from_slice(&d);
            len += DIGEST_LEN;
        }
        self.sock.send(hdr.get(..len).unwrap_or(&[]), more).map_err(io)?;
        Stats::add(&self.session.stats.pdus_sent, 1);
        Ok(())
    }

    /// Sends `len` bytes of `cmd`'s buffer at `offset` as a data segment:
    /// data from its pages, padding, data digest.
    fn send_segment(&self, cmd: &Cmd, offset: u32, len: u32) -> Res {
        let pad = digest::pad_len(len as usize);
        let padding = ZERO_PAD.get(..pad).unwrap_or(&[]);
        let trailer = pad > 0 || self.dd;
        // Pages may only be spliced when no digest is computed over them.
        self.sock.send_data(cmd, offset, len, trailer, !self.dd).map_err(io)?;
        let mut tail = [0u8; 8];
        tail.get_mut(..pad).ok_or(Failure("pad"))?.copy_from_slice(padding);
        let mut n = pad;
        if self.dd {
            let crc = KernelCrc32c.append(cmd.crc32c(0, offset, len), padding);
            tail.get_mut(n..n + DIGEST_LEN).ok_or(Failure("pad"))?.copy_from_slice(&crc.to_le_bytes());
            n += DIGEST_LEN;
        }
        if n > 0 {
            self.sock.send(tail.get(..n).unwrap_or(&[]), false).map_err(io)?;
        }
        Stats::add(&self.session.stats.write_bytes, u64::from(len));
        Ok(())
    }

    fn tx_command(&self, _tag: u32, itt: u32, cmd: &Cmd, info: &crate::session::CmdInfoCopy, cmd_sn: Sn, exp: Sn) -> Res {
        let write = info.dir == DataDir::Write;
        let len = if info.dir == DataDir::None { 0 } else { info.bufflen };
        // Unsolicited data (RFC 7143 §10.3.1): up to FirstBurstLength, as
        // immediate data and/or Data-Out PDUs with TTT 0xffffffff.
        let (imm, unsolicited) = if write {
            let first = len.min(self.first_burst);
            let imm = if self.immediate_data { first.min(self.mxdsl) } else { 0 };
            let unsol = if self.initial_r2t { 0 } else { first - imm };
            (imm, unsol)
        } else {
            (0, 0)
        };
        let mut c = ScsiCommand {
            immediate: false,
            final_bit: unsolicited == 0,
            read: info.dir == DataDir::Read,
            write,
            attr: TaskAttribute::Simple,
            total_ahs_length: 0,
            data_segment_length: imm,
            lun: Lun(info.lun),
            itt,
            expected_data_transfer_length: len,
            cmd_sn,
            exp_stat_sn: exp,
            cdb: [0; 16],
        };
        let mut ahs = [0u8; 256];
        let cdb = info.cdb.get(..info.cdb_len).ok_or(Failure("CDB"))?;
        let ahs_len = c.set_cdb(cdb, &mut ahs).map_err(|_| Failure("CDB too long"))?;
        let mut bhs = [0u8; BHS_LEN];
        c.encode(&mut bhs).map_err(|_| Failure("cannot encode SCSI Command"))?;
        self.send_header(&bhs, ahs.get(..ahs_len).unwrap_or(&[]), imm > 0)?;
        if imm > 0 {
            self.send_segment(cmd, 0, imm)?;
        }
        if unsolicited > 0 {
            self.tx_data_out(cmd, itt, info.lun, RESERVED_TAG, imm, unsolicited, exp)?;
        }
        Ok(())
    }

    /// One Data-Out sequence: `len` bytes at `offset`, in PDUs of at most the
    /// target's MaxRecvDataSegmentLength, DataSN from 0, F on the last.
    #[allow(clippy::too_many_arguments)]
    fn tx_data_out(&self, cmd: &Cmd, itt: u32, lun: [u8; 8], ttt: u32, offset: u32, len: u32, exp: Sn) -> Res {
        let mut done = 0u32;
        let mut data_sn = 0u32;
        while done < len {
            let n = (len - done).min(self.mxdsl);
            let d = DataOut {
                final_bit: done + n == len,
                data_segment_length: n,
                lun: Lun(lun),
                itt,
                ttt,
                exp_stat_sn: exp,
                data_sn: Sn(data_sn),
                buffer_offset: offset + done,
            };
            let mut bhs = [0u8; BHS_LEN];
            d.encode(&mut bhs).map_err(|_| Failure("cannot encode Data-Out"))?;
            self.send_header(&bhs, &[], true)?;
            self.send_segment(cmd, offset + done, n)?;
            done += n;
            data_sn = data_sn.wrapping_add(1);
        }
        Ok(())
    }

    fn tx_nop_out(&self, ttt: u32, lun: [u8; 8], cmd_sn: Sn, exp: Sn) -> Res {
        let n = NopOut {
            immediate: true,
            data_segment_length: 0,
            lun: Lun(lun),
            itt: RESERVED_TAG,
            ttt,
            cmd_sn,
            exp_stat_sn: exp,
        };
        let mut bhs = [0u8; BHS_LEN];
        n.encode(&mut bhs).map_err(|_| Failure("cannot encode NOP-Out"))?;
        self.send_header(&bhs, &[], false)
    }

    fn tx_logout(&self, cmd_sn: Sn, exp: Sn) -> Res {
        let l = LogoutRequest {
            immediate: true,
            reason: LogoutReason::CloseSession,
            itt: LOGOUT_ITT,
            cid: self.cid,
            cmd_sn,
            exp_stat_sn: exp,
        };
        let mut bhs = [0u8; BHS_LEN];
        l.encode(&mut bhs).map_err(|_| Failure("cannot encode Logout Request"))?;
        self.send_header(&bhs, &[], false)
    }
}

/// Residual count for `scsi_set_resid`: the U bit's count (bytes not
/// transferred), 0 for an overflow (the midlayer sees the full transfer).
fn residual(under: bool, over: bool, count: u32, bufflen: u32) -> u32 {
    if under && !over {
        count.min(bufflen)
    } else {
        0
    }
}

enum Work {
    Command { tag: u32, itt: u32, cmd: Cmd, info: crate::session::CmdInfoCopy, cmd_sn: Sn, exp: Sn },
    Item(TxItem, Sn, Sn),
}

// SPDX-License-Identifier: GPL-2.0

//! A connection in the full-feature phase (RFC 7143 §10–11): the socket and
//! its two kernel threads.
//!
//! - The receive thread blocks in `recv` on the socket: one call takes what
//!   has arrived into its read-ahead buffer (`kcore::readahead`); it reads
//!   each PDU's BHS, lets the codec say how many AHS/data/padding/digest
//!   bytes follow, and places Data-In into the command's scatterlist (from
//!   the read-ahead, then straight from the socket for the rest). Every field
//!   is validated; a violation fails the connection, never the kernel.
//! - The transmit thread sleeps on `Session::tx_wait`; it sends SCSI Command
//!   PDUs (with immediate data), unsolicited and R2T-solicited Data-Out
//!   straight from the command's pages, NOP-Out answers and the Logout.
//!
//! A blocking receive thread per connection is the simplest design that
//! never blocks the midlayer, and it keeps all data placement in one thread.
//!
//! Every decision about a PDU (is it valid here, what it completes, what it
//! queues) is made by the session's host-tested core
//! (`kcore::session::SessionCore`) under the session lock; this file only
//! moves bytes between the socket, the codec and the commands' pages.

use crate::codec::async_msg::AsyncEvent;
use crate::codec::bhs::{Layout, BHS_LEN, RESERVED_TAG};
use crate::codec::data::{DataIn, DataOut};
use crate::codec::digest::{self, Crc32c, DIGEST_LEN};
use crate::codec::logout::{LogoutReason, LogoutRequest};
use crate::codec::lun::Lun;
use crate::codec::nop::NopOut;
use crate::codec::pdu::Pdu;
use crate::codec::scsi::{ScsiCommand, TaskAttribute};
use crate::codec::serial::Sn;
use crate::codec::tmf::TaskMgmtRequest;
use crate::kcore::tmf::TmfRequest;
use crate::kcore::failure::Failure;
use crate::kcore::itt::Itt;
use crate::kcore::readahead::{ReadAhead, ReadError, Source};
use crate::kcore::session::{RxNext, TxWork};
use crate::kcore::task::{CmdInfo, DataDir};
use crate::session::{Session, Stats};
use crate::sys::crc::KernelCrc32c;
use crate::sys::scsi::CmdRef;
use crate::sys::socket::{self, Socket};
use crate::sys::thread;
use crate::sys::time::now_ms;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Bytes of non-Data-In data segment kept by the receive thread (sense data,
/// Reject headers, async events); longer segments are read and dropped.
const RX_BUF_LEN: usize = 4096;
/// Size of the receive thread's read-ahead buffer (bytes): the most one
/// socket call takes; three 4 KiB Data-In PDUs with their headers.
const RX_READAHEAD_LEN: usize = 16384;

/// The receive thread's read-ahead over the connection's socket.
type Ra = ReadAhead<KVec<u8>>;

/// The socket as the read-ahead's byte source.
struct SockSource<'a>(&'a Socket);

impl Source for SockSource<'_> {
    type Error = Error;
    fn recv_some(&mut self, buf: &mut [u8]) -> core::result::Result<usize, Error> {
        self.0.recv_some(buf)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> core::result::Result<bool, Error> {
        self.0.recv(buf)
    }
}
/// Room for an AHS: TotalAHSLength is at most 255 words.
const AHS_MAX: usize = 1020;
const ZERO_PAD: [u8; 4] = [0; 4];

type Res<T = ()> = core::result::Result<T, Failure>;

fn io(_e: Error) -> Failure {
    Failure::Socket
}

/// The connection of a session.
///
/// # Invariants
///
/// `sock` is the connection handed over for `session`'s current login; the
/// negotiated values below are that login's, fixed for the connection.
pub(crate) struct Conn {
    pub(crate) session: Arc<Session>,
    sock: Socket,
    hd: bool,
    dd: bool,
    /// MaxRecvDataSegmentLength we declared (bytes).
    max_recv_dsl: u32,
    /// MaxXmitDataSegmentLength: the target's MaxRecvDataSegmentLength (bytes).
    max_xmit_dsl: u32,
    first_burst: u32,
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
            max_recv_dsl: p.max_recv_data_segment_length,
            max_xmit_dsl: p.max_xmit_data_segment_length,
            first_burst: p.first_burst_length,
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
        self.session.mark_failed(f);
        self.sock.shutdown();
    }

    /// Reads the next `buf.len()` bytes of the stream; `Ok(false)` at a
    /// clean end of stream before the first.
    fn read(&self, ra: &mut Ra, buf: &mut [u8]) -> Res<bool> {
        ra.read(&mut SockSource(&self.sock), buf).map_err(|e| match e {
            ReadError::Source(_) => Failure::Socket,
            ReadError::Truncated => Failure::ClosedInsidePdu,
        })
    }

    /// Receives exactly `buf.len()` bytes inside a PDU.
    fn recv_in_pdu(&self, ra: &mut Ra, buf: &mut [u8]) -> Res {
        if self.read(ra, buf)? {
            Ok(())
        } else {
            Err(Failure::ClosedInsidePdu)
        }
    }

    // ---------------------------------------------------------------- receive

    /// Body of the receive thread.
    pub(crate) fn rx_main(&self) {
        let s = &*self.session;
        let (mut buf, mut ra) =
            match (KVec::from_elem(0u8, RX_BUF_LEN, GFP_KERNEL), KVec::from_elem(0u8, RX_READAHEAD_LEN, GFP_KERNEL)) {
                (Ok(b), Ok(r)) => (b, ReadAhead::new(r)),
                _ => {
                    self.fail(Failure::OutOfMemory);
                    (KVec::new(), ReadAhead::new(KVec::new()))
                }
            };
        while !thread::should_stop() && !buf.is_empty() {
            match self.rx_pdu(&mut buf, &mut ra) {
                Ok(RxNext::Continue) => {}
                Ok(RxNext::LoggedOut) => break,
                Err(f) => {
                    self.fail(f);
                    break;
                }
            }
        }
        // Stop the transmit side (the thread and any inline sender), wait
        // for it, then hold (or fail) the session's I/O and requeue what is
        // left.
        self.sock.shutdown();
        s.tx_wait.notify_all();
        let conn = {
            let mut g = s.inner.lock();
            while g.threads_running().1 || g.sending() {
                // Kernel threads take no signals: a wake-up is a state change.
                let _ = s.event.wait_interruptible(&mut g);
            }
            // No inline send from now on; dropped outside the lock.
            g.conn.take()
        };
        drop(conn);
        s.connection_ended();
    }

    /// Receives and handles one PDU.
    fn rx_pdu(&self, buf: &mut [u8], ra: &mut Ra) -> Res<RxNext> {
        let s = &*self.session;
        let mut bhs = [0u8; BHS_LEN];
        if !self.read(ra, &mut bhs)? {
            return if s.inner.lock().machine().conn_running() {
                Err(Failure::ClosedByTarget)
            } else {
                Ok(RxNext::LoggedOut)
            };
        }
        let layout = Layout::of_bhs(&bhs, self.hd, self.dd, self.max_recv_dsl).map_err(|_| Failure::BadLength)?;
        let mut ahs = [0u8; AHS_MAX + DIGEST_LEN];
        let part = ahs.get_mut(..layout.header_rest_len()).ok_or(Failure::BadLength)?;
        self.recv_in_pdu(ra, part)?;
        if self.hd {
            let (a, d) = part.split_at(layout.ahs_len);
            let want = digest::header_digest(&KernelCrc32c, &bhs, a);
            if d.get(..DIGEST_LEN).map(|d| u32::from_le_bytes([d[0], d[1], d[2], d[3]])) != Some(want) {
                return Err(Failure::HeaderDigest);
            }
        }
        Stats::add(&s.stats.pdus_received, 1);
        s.last_rx.store(now_ms(), Ordering::Relaxed);
        let pdu = Pdu::decode(&bhs).map_err(|_| Failure::MalformedHeader)?;
        let next = match pdu {
            Pdu::DataIn(d) => return self.rx_data_in(&d, &layout, ra),
            Pdu::ScsiResponse(r) => {
                let data = self.rx_segment(&layout, buf, ra)?;
                let (done, rescan, late) = {
                    let mut g = s.inner.lock();
                    let late = g.late_after_tmf();
                    let done = g.rx_scsi_response(&r, data)?;
                    (done, r.status != 0 && g.rescan_pending(), g.late_after_tmf() != late)
                };
                if late {
                    pr_info!(
                        "session {}: SCSI Response for ITT {:#x} after task management ended it: dropped\n",
                        s.id,
                        r.itt
                    );
                }
                s.complete(done);
                if rescan {
                    // The maintenance thread scans the host.
                    s.event.notify_all();
                }
                RxNext::Continue
            }
            Pdu::R2t(r) => {
                s.inner.lock().rx_r2t(&r)?;
                RxNext::Continue
            }
            Pdu::NopIn(n) => {
                self.rx_segment(&layout, buf, ra)?;
                s.inner.lock().rx_nop_in(&n)?;
                RxNext::Continue
            }
            Pdu::TaskMgmtResponse(r) => {
                s.inner.lock().rx_tmf_response(&r)?;
                // The tasks the function ended, each once (those still
                // being sent end at their last transmit reference).
                loop {
                    let done = s.inner.lock().take_terminated();
                    if done.is_none() {
                        break;
                    }
                    s.complete(done);
                }
                s.event.notify_all();
                RxNext::Continue
            }
            Pdu::LogoutResponse(r) => {
                let next = s.inner.lock().rx_logout_response(&r)?;
                s.event.notify_all();
                next
            }
            Pdu::AsyncMessage(a) => {
                let data = self.rx_segment(&layout, buf, ra)?;
                let ev = s.inner.lock().rx_async(&a, data)?;
                match ev {
                    AsyncEvent::LogoutRequest => {
                        pr_warn!("session {}: target requests logout; reconnecting after it\n", s.id)
                    }
                    ev => pr_info!("session {}: async event {:?} (vcode {})\n", s.id, ev, a.async_vcode),
                }
                // A rescan is the maintenance thread's.
                s.event.notify_all();
                RxNext::Continue
            }
            Pdu::Reject(r) => {
                let data = self.rx_segment(&layout, buf, ra)?;
                let (rejected, done) = s.inner.lock().rx_reject(&r, data);
                pr_err!(
                    "session {}: target rejected a PDU (reason {:?}, ITT {:#x})\n",
                    s.id,
                    r.reason,
                    rejected.unwrap_or(RESERVED_TAG)
                );
                s.complete(done);
                RxNext::Continue
            }
            _ => return Err(Failure::UnexpectedPdu),
        };
        self.wake_tx();
        Ok(next)
    }

    /// Reads a data segment (+ padding + digest) into `buf`; returns the
    /// data, truncated to `buf`'s length (the rest is read and dropped).
    fn rx_segment<'a>(&self, l: &Layout, buf: &'a mut [u8], ra: &mut Ra) -> Res<&'a [u8]> {
        let total = l.data_len + l.pad_len;
        let keep = total.min(buf.len());
        let mut crc = 0u32;
        let head = buf.get_mut(..keep).ok_or(Failure::BadLength)?;
        self.recv_in_pdu(ra, head)?;
        if self.dd {
            crc = KernelCrc32c.append(crc, head);
        }
        let mut left = total - keep;
        let mut scratch = [0u8; 256];
        while left > 0 {
            let n = left.min(scratch.len());
            let chunk = scratch.get_mut(..n).ok_or(Failure::BadLength)?;
            self.recv_in_pdu(ra, chunk)?;
            if self.dd {
                crc = KernelCrc32c.append(crc, chunk);
            }
            left -= n;
        }
        if l.data_digest_len > 0 {
            self.check_data_digest(crc, ra)?;
        }
        Ok(buf.get(..l.data_len.min(keep)).unwrap_or(&[]))
    }

    fn check_data_digest(&self, crc: u32, ra: &mut Ra) -> Res {
        let mut d = [0u8; DIGEST_LEN];
        self.recv_in_pdu(ra, &mut d)?;
        if u32::from_le_bytes(d) != crc {
            return Err(Failure::DataDigest);
        }
        Ok(())
    }

    /// Data-In: the core checks the header, the data goes straight into
    /// the command's pages, then the core counts it (and takes the status).
    fn rx_data_in(&self, d: &DataIn, l: &Layout, ra: &mut Ra) -> Res<RxNext> {
        let s = &*self.session;
        let len = l.data_len as u32;
        let cmd = s.inner.lock().rx_data_in_begin(d, len)?;
        if let Some(cmd) = cmd {
            // What the read-ahead holds of the data is copied; the rest
            // goes from the socket straight into the pages. The core
            // checked the range against the buffer.
            let have = ra.buffered().len().min(len as usize);
            if have > 0 {
                cmd.copy_in(d.buffer_offset, ra.buffered().get(..have).unwrap_or(&[]))
                    .map_err(|_| Failure::BadLength)?;
                ra.consume(have);
            }
            let have = have as u32;
            if have < len {
                self.sock.recv_data(&cmd, d.buffer_offset + have, len - have).map_err(io)?;
            }
            let mut padbuf = [0u8; 4];
            let p = padbuf.get_mut(..l.pad_len).unwrap_or(&mut []);
            self.recv_in_pdu(ra, p)?;
            if self.dd {
                let crc = cmd.crc32c(0, d.buffer_offset, len);
                self.check_data_digest(KernelCrc32c.append(crc, p), ra)?;
            }
            Stats::add(&s.stats.read_bytes, u64::from(len));
        } else if len > 0 {
            // A command that task management ended: its data is dropped.
            self.rx_segment(l, &mut [], ra)?;
        }
        let done = s.inner.lock().rx_data_in_end(d, len)?;
        s.complete(done);
        self.wake_tx();
        Ok(RxNext::Continue)
    }

    /// Wakes the transmit thread if a PDU just received left it work that
    /// no sender is doing (an R2T's Data-Out, a NOP-Out answer, commands a
    /// wider window or a finished task management function lets out); not
    /// after every PDU, which would cost a wake-up per command.
    fn wake_tx(&self) {
        let s = &*self.session;
        if s.inner.lock().tx_wanted() {
            s.tx_wait.notify_one();
        }
    }

    // --------------------------------------------------------------- transmit

    /// Body of the transmit thread: it sends whenever work is queued that
    /// no inline sender took.
    pub(crate) fn tx_main(&self) {
        let s = &*self.session;
        loop {
            let work = {
                let mut g = s.inner.lock();
                loop {
                    if thread::should_stop() || g.tx_done() {
                        break None;
                    }
                    if let Some(w) = g.claim_tx() {
                        break Some((w, g.tx_more()));
                    }
                    // Kernel threads take no signals: a wake-up means work.
                    let _ = s.tx_wait.wait_interruptible(&mut g);
                }
            };
            let Some((work, more)) = work else { break };
            if self.send_all(work, more).is_err() {
                break;
            }
        }
        s.inner.lock().set_running(false, false);
        s.event.notify_all();
    }

    /// Sends `first`, the work of a transmitter just claimed
    /// ([`crate::kcore::session::SessionCore::claim_tx`]), then whatever is queued behind it, and
    /// releases the transmitter when nothing is left. Called by the
    /// transmit thread and by `queuecommand` (inline); it may sleep for
    /// socket room. `first_more` is
    /// [`crate::kcore::session::SessionCore::tx_more`] when `first`
    /// was taken: with the module parameter `tx_batch`, each PDU that has
    /// more queued behind it ends with MSG_MORE, and the last of the burst
    /// without, so the burst shares TCP segments and goes out whole.
    ///
    /// # Errors
    ///
    /// The failure of a send; the connection is failed (socket shut down)
    /// and the transmitter released before it returns.
    pub(crate) fn send_all(&self, first: TxWork<CmdRef>, first_more: bool) -> Res {
        let s = &*self.session;
        let batch = socket::tx_batch();
        let (mut work, mut more) = (first, first_more && batch);
        loop {
            let tag = work.tag();
            let res = self.tx_work(work, more);
            let held_back = more;
            let (done, next, ended) = {
                let mut g = s.inner.lock();
                let done = tag.and_then(|t| g.tx_put(t));
                let next = if res.is_ok() { g.continue_tx() } else { None };
                more = batch && next.is_some() && g.tx_more();
                // Released because the connection stopped: the receive
                // thread's end may be waiting for it.
                let ended = next.is_none() && g.tx_done();
                (done, next, ended)
            };
            s.complete(done);
            if let Err(f) = res {
                self.fail(f);
                s.inner.lock().release_tx();
                s.event.notify_all();
                return Err(f);
            }
            if ended {
                s.event.notify_all();
            }
            match next {
                Some(w) => work = w,
                None => {
                    // The work that looked queued was gone (a command
                    // taken back): what MSG_MORE held goes out now.
                    if held_back {
                        self.sock.push();
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Sends one piece of work. Its command handle is dropped on return,
    /// before the transmit reference is given back.
    /// `more`: more work follows at once, so its last bytes go with
    /// MSG_MORE (the sender pushes if none does).
    fn tx_work(&self, work: TxWork<CmdRef>, more: bool) -> Res {
        match work {
            TxWork::Command { itt, cmd, info, cmd_sn, exp_stat_sn } => {
                self.tx_command(itt, &cmd, &info, cmd_sn, exp_stat_sn, more)
            }
            TxWork::DataOut { itt, cmd: Some((cmd, lun)), ttt, offset, len, exp_stat_sn } => {
                self.tx_data_out(&cmd, itt, lun, ttt, offset, len, exp_stat_sn, more)
            }
            // The task ended before its data went out: nothing was held
            // back by this work, but an earlier one may have been.
            TxWork::DataOut { cmd: None, .. } => {
                if !more {
                    self.sock.push();
                }
                Ok(())
            }
            TxWork::NopOut { ttt, lun, cmd_sn, exp_stat_sn } => self.tx_nop_out(ttt, lun, cmd_sn, exp_stat_sn, more),
            TxWork::Logout { cmd_sn, exp_stat_sn } => self.tx_logout(cmd_sn, exp_stat_sn, more),
            TxWork::Ping { cmd_sn, exp_stat_sn } => self.tx_ping(cmd_sn, exp_stat_sn, more),
            TxWork::Tmf { req, cmd_sn, exp_stat_sn } => self.tx_tmf(&req, cmd_sn, exp_stat_sn, more),
        }
    }

    /// Sends a BHS (+ AHS) with its header digest.
    fn send_header(&self, bhs: &[u8; BHS_LEN], ahs: &[u8], more: bool) -> Res {
        let mut hdr = [0u8; BHS_LEN + 256 + DIGEST_LEN];
        let n = BHS_LEN + ahs.len();
        hdr.get_mut(..BHS_LEN).ok_or(Failure::Encode)?.copy_from_slice(bhs);
        hdr.get_mut(BHS_LEN..n).ok_or(Failure::Encode)?.copy_from_slice(ahs);
        let mut len = n;
        if self.hd {
            let d = digest::header_digest(&KernelCrc32c, bhs, ahs).to_le_bytes();
            hdr.get_mut(n..n + DIGEST_LEN).ok_or(Failure::Encode)?.copy_from_slice(&d);
            len += DIGEST_LEN;
        }
        self.sock.send(hdr.get(..len).unwrap_or(&[]), more).map_err(io)?;
        Stats::add(&self.session.stats.pdus_sent, 1);
        Ok(())
    }

    /// Sends `len` bytes of `cmd`'s buffer at `offset` as a data segment:
    /// data from its pages, padding, data digest; the last bytes with
    /// MSG_MORE if `more`.
    fn send_segment(&self, cmd: &CmdRef, offset: u32, len: u32, more: bool) -> Res {
        let pad = digest::pad_len(len as usize);
        let padding = ZERO_PAD.get(..pad).unwrap_or(&[]);
        let trailer = pad > 0 || self.dd;
        // Pages may only be spliced when no digest is computed over them.
        self.sock.send_data(cmd, offset, len, trailer || more, !self.dd).map_err(io)?;
        let mut tail = [0u8; 8];
        tail.get_mut(..pad).ok_or(Failure::Encode)?.copy_from_slice(padding);
        let mut n = pad;
        if self.dd {
            let crc = KernelCrc32c.append(cmd.crc32c(0, offset, len), padding);
            tail.get_mut(n..n + DIGEST_LEN).ok_or(Failure::Encode)?.copy_from_slice(&crc.to_le_bytes());
            n += DIGEST_LEN;
        }
        if n > 0 {
            self.sock.send(tail.get(..n).unwrap_or(&[]), more).map_err(io)?;
        }
        Stats::add(&self.session.stats.write_bytes, u64::from(len));
        Ok(())
    }

    fn tx_command(&self, itt: Itt, cmd: &CmdRef, info: &CmdInfo, cmd_sn: Sn, exp_stat_sn: Sn, more: bool) -> Res {
        let write = info.dir == DataDir::Write;
        let len = if info.dir == DataDir::None { 0 } else { info.bufflen };
        // Unsolicited data (RFC 7143 §10.3.1): up to FirstBurstLength, as
        // immediate data and/or Data-Out PDUs with TTT 0xffffffff.
        let (imm, unsolicited) = if write {
            let first = len.min(self.first_burst);
            let imm = if self.immediate_data { first.min(self.max_xmit_dsl) } else { 0 };
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
            itt: itt.to_wire(),
            expected_data_transfer_length: len,
            cmd_sn,
            exp_stat_sn,
            cdb: [0; 16],
        };
        let mut ahs = [0u8; 256];
        let cdb = info.cdb.get(..info.cdb_len).ok_or(Failure::Encode)?;
        let ahs_len = c.set_cdb(cdb, &mut ahs).map_err(|_| Failure::Encode)?;
        let mut bhs = [0u8; BHS_LEN];
        c.encode(&mut bhs).map_err(|_| Failure::Encode)?;
        self.send_header(&bhs, ahs.get(..ahs_len).unwrap_or(&[]), imm > 0 || unsolicited > 0 || more)?;
        if imm > 0 {
            self.send_segment(cmd, 0, imm, unsolicited > 0 || more)?;
        }
        if unsolicited > 0 {
            self.tx_data_out(cmd, itt, info.lun, RESERVED_TAG, imm, unsolicited, exp_stat_sn, more)?;
        }
        Ok(())
    }

    /// One Data-Out sequence: `len` bytes at `offset`, in PDUs of at most
    /// MaxXmitDataSegmentLength, DataSN from 0, F on the last.
    #[allow(clippy::too_many_arguments)]
    fn tx_data_out(
        &self,
        cmd: &CmdRef,
        itt: Itt,
        lun: [u8; 8],
        ttt: u32,
        offset: u32,
        len: u32,
        exp_stat_sn: Sn,
        more: bool,
    ) -> Res {
        let mut done = 0u32;
        let mut data_sn = 0u32;
        while done < len {
            let n = (len - done).min(self.max_xmit_dsl);
            let d = DataOut {
                final_bit: done + n == len,
                data_segment_length: n,
                lun: Lun(lun),
                itt: itt.to_wire(),
                ttt,
                exp_stat_sn,
                data_sn: Sn(data_sn),
                buffer_offset: offset + done,
            };
            let mut bhs = [0u8; BHS_LEN];
            d.encode(&mut bhs).map_err(|_| Failure::Encode)?;
            self.send_header(&bhs, &[], true)?;
            self.send_segment(cmd, offset + done, n, more || done + n < len)?;
            done += n;
            data_sn = data_sn.wrapping_add(1);
        }
        Ok(())
    }

    fn tx_nop_out(&self, ttt: u32, lun: [u8; 8], cmd_sn: Sn, exp_stat_sn: Sn, more: bool) -> Res {
        let n = NopOut { immediate: true, data_segment_length: 0, lun: Lun(lun), itt: RESERVED_TAG, ttt, cmd_sn, exp_stat_sn };
        let mut bhs = [0u8; BHS_LEN];
        n.encode(&mut bhs).map_err(|_| Failure::Encode)?;
        self.send_header(&bhs, &[], more)
    }

    /// Our keepalive ping (RFC 7143 §11.18): ITT `Itt::PING`, TTT
    /// 0xffffffff, immediate, LUN 0, no data; the target answers with a
    /// NOP-In carrying the same ITT.
    /// A Task Management Function Request (RFC 7143 §11.5), immediate.
    fn tx_tmf(&self, req: &TmfRequest, cmd_sn: Sn, exp_stat_sn: Sn, more: bool) -> Res {
        let mut t = TaskMgmtRequest::new(req.kind.function(), Lun(req.lun), req.itt.to_wire(), cmd_sn, exp_stat_sn);
        t.referenced_task_tag = req.referenced_itt.to_wire();
        t.ref_cmd_sn = req.ref_cmd_sn;
        let mut bhs = [0u8; BHS_LEN];
        t.encode(&mut bhs).map_err(|_| Failure::Encode)?;
        self.send_header(&bhs, &[], more)
    }

    fn tx_ping(&self, cmd_sn: Sn, exp_stat_sn: Sn, more: bool) -> Res {
        let n = NopOut {
            immediate: true,
            data_segment_length: 0,
            lun: Lun([0; 8]),
            itt: Itt::PING.to_wire(),
            ttt: RESERVED_TAG,
            cmd_sn,
            exp_stat_sn,
        };
        let mut bhs = [0u8; BHS_LEN];
        n.encode(&mut bhs).map_err(|_| Failure::Encode)?;
        self.send_header(&bhs, &[], more)
    }

    fn tx_logout(&self, cmd_sn: Sn, exp_stat_sn: Sn, more: bool) -> Res {
        let l = LogoutRequest {
            immediate: true,
            reason: LogoutReason::CloseSession,
            itt: Itt::LOGOUT.to_wire(),
            cid: self.cid,
            cmd_sn,
            exp_stat_sn,
        };
        let mut bhs = [0u8; BHS_LEN];
        l.encode(&mut bhs).map_err(|_| Failure::Encode)?;
        self.send_header(&bhs, &[], more)
    }
}

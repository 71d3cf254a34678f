// SPDX-License-Identifier: GPL-2.0

//! A connection in the full-feature phase (RFC 7143 §10–11): the socket, its
//! receive side and its two kernel threads.
//!
//! - Receiving happens in the socket's `data_ready` callback ([`RxSide`],
//!   as iscsi_tcp does): `tcp_read_sock()` hands each `sk_buff` to the
//!   framer (`kcore::framer`), which says which bytes are a PDU's header,
//!   data segment and trailer; Data-In is copied from the `sk_buff`
//!   straight into the command's scatterlist. Every field is validated; a
//!   violation fails the connection, never the kernel.
//! - The receive thread only installs the callbacks, sleeps until the
//!   receive side ends the connection or the socket's state changes (FIN,
//!   RST, shutdown), and tears the connection down at its end (which
//!   sleeps, so it cannot happen in the callback).
//! - The transmit thread sleeps on `Session::tx_wait`; it sends SCSI Command
//!   PDUs (with immediate data), unsolicited and R2T-solicited Data-Out
//!   straight from the command's pages, NOP-Out answers and the Logout. At
//!   queue depth 1 the session's work item, queued by `queuecommand` on the
//!   submitting CPU, sends instead ([`Conn::send_all`] either way).
//!
//! Every decision about a PDU (is it valid here, what it completes, what it
//! queues) is made by the session's host-tested core
//! (`kcore::session::SessionCore`) under the session lock; this file only
//! moves bytes between the socket, the codec and the commands' pages.

use crate::codec::async_msg::AsyncEvent;
use crate::codec::bhs::{Layout, BHS_LEN, RESERVED_TAG};
use crate::codec::data::DataOut;
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
use crate::kcore::framer::{Framer, Header, Sink, Trailer};
use crate::kcore::session::{RxNext, TxWork};
use crate::kcore::task::{CmdInfo, DataDir};
use crate::session::{Session, Stats};
use crate::sys::crc::KernelCrc32c;
use crate::sys::scsi::CmdRef;
use crate::sys::socket::{self, Chunk, Receiver, Socket};
use crate::sys::sync::{new_spinlock_bh, SpinLockBh};
use crate::sys::thread;
use crate::sys::time::now_ms;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};

/// Bytes of non-Data-In data segment kept by the receiver (sense data,
/// Reject headers, async events); longer segments are received and dropped.
const RX_BUF_LEN: usize = 4096;
const ZERO_PAD: [u8; 4] = [0; 4];
/// Bytes of [`Conn`]'s bounce buffer: one page.
const BOUNCE_LEN: usize = 4096;

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
/// `bounce` holds [`BOUNCE_LEN`] bytes if `dd`, none otherwise.
#[pin_data]
pub(crate) struct Conn {
    pub(crate) session: Arc<Session>,
    sock: Socket,
    hd: bool,
    dd: bool,
    /// MaxXmitDataSegmentLength: the target's MaxRecvDataSegmentLength (bytes).
    max_xmit_dsl: u32,
    first_burst: u32,
    initial_r2t: bool,
    immediate_data: bool,
    cid: u16,
    /// The receive side, hooked to `sock` while the receive thread runs.
    rx: Arc<RxSide>,
    /// With DataDigest, a page ([`BOUNCE_LEN`] bytes; empty without it) for
    /// the write data of a disk whose pages are not stable: the data is
    /// copied here, and its CRC32C computed over and sent from the copy
    /// (`send_segment`). Lock order: a leaf, taken only by the sender that
    /// holds the transmitter, with no other lock held.
    #[pin]
    bounce: Mutex<KVec<u8>>,
}

impl Conn {
    /// A connection on `sock` with the values its login negotiated.
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn new(
        session: Arc<Session>,
        sock: Socket,
        p: &crate::abi::NegotiatedParams,
        cid: u16,
    ) -> Result<impl PinInit<Self, Error> + use<>> {
        let dd = p.data_digest != 0;
        let bounce = if dd { KVec::from_elem(0u8, BOUNCE_LEN, GFP_KERNEL)? } else { KVec::new() };
        let rx = RxSide::new(session.clone(), p)?;
        let (hd, max_xmit_dsl, first_burst) =
            (p.header_digest != 0, p.max_xmit_data_segment_length, p.first_burst_length);
        let (initial_r2t, immediate_data) = (p.initial_r2t != 0, p.immediate_data != 0);
        Ok(try_pin_init!(Self {
            rx,
            session,
            sock,
            hd,
            dd,
            max_xmit_dsl,
            first_burst,
            initial_r2t,
            immediate_data,
            cid,
            bounce <- kernel::new_mutex!(bounce, "iscsi_init::Conn::bounce"),
        }? Error))
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

    // ---------------------------------------------------------------- receive

    /// Body of the receive thread: it installs the receive callbacks, then
    /// watches the connection: it sleeps until the receiver ends it (a
    /// failure, the Logout Response) or the socket's state changes (FIN,
    /// RST, shutdown), and at the end tears the connection down.
    pub(crate) fn rx_main(&self) {
        let s = &*self.session;
        let rx = &*self.rx;
        let mut hook = match self.sock.hook(self.rx.clone()) {
            Ok(h) => Some(h),
            Err(_) => {
                self.fail(Failure::OutOfMemory);
                None
            }
        };
        if let Some(h) = hook.as_ref() {
            // What arrived between the login and the hook.
            h.read();
            loop {
                {
                    let mut g = rx.state.lock();
                    while g.ended.is_none() && !g.state_changed && !g.read_pending && !thread::should_stop() {
                        // Kernel threads take no signals: a wake-up is a state change.
                        let _ = rx.wake.wait_interruptible(&mut g);
                    }
                    if g.ended.is_some() || thread::should_stop() {
                        break;
                    }
                    if core::mem::take(&mut g.read_pending) {
                        Stats::add(&s.stats.rx_thread_reads, 1);
                    }
                    g.state_changed = false;
                }
                // Take what is queued (what `sk_data_ready` left to this
                // thread, or what is left after a state change), then see
                // whether the stream ended.
                h.read();
                if self.sock.rx_ended() {
                    let mut g = rx.state.lock();
                    if g.ended.is_none() {
                        g.ended = Some(if g.framer.inside_pdu() {
                            RxEnd::Failed(Failure::ClosedInsidePdu)
                        } else if s.inner.lock().machine().conn_running() {
                            RxEnd::Failed(Failure::ClosedByTarget)
                        } else {
                            RxEnd::LoggedOut
                        });
                    }
                    break;
                }
            }
        }
        // No callback runs from here on; the command handle of a Data-In
        // cut short is given back before the commands are flushed.
        if let Some(mut h) = hook.take() {
            h.unhook();
        }
        let end = {
            let mut g = rx.state.lock();
            g.pdu.cur = None;
            g.ended.take()
        };
        if let Some(RxEnd::Failed(f)) = end {
            self.fail(f);
        }
        // Stop the transmit side (the thread, and any sender on the
        // submitting CPU: inline or the session's work item), wait
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
            // No send from queuecommand or its work item from now on (they
            // claim through `Inner::conn`); dropped outside the lock.
            g.conn.take()
        };
        drop(conn);
        s.connection_ended();
    }
}

/// How the receive side ended the connection.
#[derive(Clone, Copy, Debug)]
enum RxEnd {
    /// The connection failed.
    Failed(Failure),
    /// The Logout Response came (or the stream ended after the logout).
    LoggedOut,
}

/// Where the data segment of the PDU being received goes.
enum Dest {
    /// The receiver's buffer (the first [`RX_BUF_LEN`] bytes; the rest is
    /// dropped): sense data, NOP-In ping data, Reject, async events.
    Buf,
    /// Data-In: the command's pages, from this buffer offset on.
    Cmd { cmd: CmdRef, offset: u32 },
    /// Dropped (Data-In for a command task management ended, a data
    /// segment on a PDU that carries none).
    Drop,
}

/// The PDU being received.
struct Cur {
    pdu: Pdu,
    layout: Layout,
    dest: Dest,
}

/// The PDU being received, past its header, under [`RxSide::state`].
///
/// # Invariants
///
/// `cur` is `Some` exactly while the framer is past a header whose PDU has
/// a data segment still to come; `kept <= buf.len()`.
struct RxPdu {
    cur: Option<Cur>,
    /// Data segment bytes kept for [`Dest::Buf`] (`RX_BUF_LEN` bytes).
    buf: KVec<u8>,
    kept: usize,
    /// DataDigest of the data segment so far ("append" CRC32C).
    crc: u32,
}

/// The receive state of a connection, under [`RxSide::state`].
///
/// # Invariants
///
/// `ended`, once set, is only taken by the receive thread after the
/// callbacks are unhooked.
struct Rx {
    framer: Framer,
    pdu: RxPdu,
    ended: Option<RxEnd>,
    /// The socket's state changed since the receive thread last looked.
    state_changed: bool,
    /// `sk_data_ready` left bytes for the receive thread to read
    /// ([`RxSide::defer`]).
    read_pending: bool,
}

/// One `data_ready` piece being framed: what [`Framer::feed`] hands the
/// headers, data segment bytes and PDU ends of `c` to.
struct RxSink<'a> {
    side: &'a RxSide,
    c: &'a Chunk<'a>,
    pdu: &'a mut RxPdu,
    /// DataDigest=CRC32C was negotiated.
    dd: bool,
    /// Set when a PDU ends the connection (framing then stops).
    end: Option<RxEnd>,
}

impl Sink for RxSink<'_> {
    fn copy(&mut self, pos: usize, into: &mut [u8]) -> Res {
        self.c.copy(pos, into).map_err(io)
    }

    fn header(&mut self, h: &Header, _ahs: &[u8]) -> Res {
        self.side.begin(self.pdu, h)
    }

    fn data(&mut self, pos: usize, n: usize) -> Res {
        self.side.place(self.pdu, self.c, pos, n, self.dd)
    }

    fn end(&mut self, t: Option<&Trailer>) -> Res<bool> {
        if let Some(got) = t.and_then(|t| t.digest.map(|d| (d, t.pad()))) {
            if got.0 != KernelCrc32c.append(self.pdu.crc, got.1) {
                return Err(Failure::DataDigest);
            }
        }
        self.end = self.side.finish(self.pdu)?;
        Ok(self.end.is_some())
    }
}

/// The receive side of a connection: what the socket's `data_ready`
/// callback runs (the [`Receiver`]), as iscsi_tcp does. Each call takes the
/// bytes that arrived, frames them into PDUs ([`Framer`]), places Data-In
/// from the `sk_buff` straight into the command's pages (the DataDigest
/// computed over each page fragment as it is copied) and hands every PDU
/// to the session's core. No task wakes up to receive: a completion is
/// signalled from the softirq that received it.
///
/// # Invariants
///
/// The negotiated values are those of the connection whose socket it is
/// hooked to.
#[pin_data]
pub(crate) struct RxSide {
    session: Arc<Session>,
    /// The receive state. Taken in softirq context (a `_bh` spinlock);
    /// in the lock order after the socket's own locks and before
    /// `Session::inner`.
    #[pin]
    state: SpinLockBh<Rx>,
    /// Wakes the receive thread: the connection ended, or the socket's
    /// state changed.
    #[pin]
    wake: CondVar,
}

impl RxSide {
    fn new(session: Arc<Session>, p: &crate::abi::NegotiatedParams) -> Result<Arc<Self>> {
        let hd = p.header_digest != 0;
        let rx = Rx {
            framer: Framer::new(hd, p.data_digest != 0, p.max_recv_data_segment_length),
            pdu: RxPdu {
                cur: None,
                buf: KVec::from_elem(0u8, RX_BUF_LEN, GFP_KERNEL)?,
                kept: 0,
                crc: 0,
            },
            ended: None,
            state_changed: false,
            read_pending: false,
        };
        Arc::pin_init(
            pin_init!(RxSide {
                session,
                state <- new_spinlock_bh!(rx, "iscsi_init::RxSide::state"),
                wake <- kernel::new_condvar!("iscsi_init::RxSide::wake"),
            }),
            GFP_KERNEL,
        )
    }

    /// Frames and handles the bytes of `c`. `Ok(Some(_))` when the
    /// connection ends with them (the rest is dropped).
    fn rx_chunk(&self, rx: &mut Rx, c: &Chunk<'_>) -> Res<Option<RxEnd>> {
        let Rx { framer, pdu, .. } = rx;
        let mut sink = RxSink { side: self, c, pdu, dd: framer.data_digest(), end: None };
        framer.feed(c.len(), &mut sink, &KernelCrc32c)?;
        Ok(sink.end)
    }

    /// A header is in: the core checks a Data-In's and names its command;
    /// every PDU gets a place for its data segment.
    fn begin(&self, rx: &mut RxPdu, h: &Header) -> Res {
        let s = &*self.session;
        Stats::add(&s.stats.pdus_received, 1);
        s.last_rx.store(now_ms(), Ordering::Relaxed);
        let pdu = Pdu::decode(&h.bhs).map_err(|_| Failure::MalformedHeader)?;
        let dest = match pdu {
            Pdu::DataIn(d) => match s.inner.lock().rx_data_in_begin(&d, h.layout.data_len as u32)? {
                Some(cmd) => Dest::Cmd { cmd, offset: d.buffer_offset },
                // A command that task management ended: its data is dropped.
                None => Dest::Drop,
            },
            Pdu::ScsiResponse(_) | Pdu::NopIn(_) | Pdu::AsyncMessage(_) | Pdu::Reject(_) => Dest::Buf,
            Pdu::R2t(_) | Pdu::TaskMgmtResponse(_) | Pdu::LogoutResponse(_) => Dest::Drop,
            _ => return Err(Failure::UnexpectedPdu),
        };
        rx.cur = Some(Cur { pdu, layout: h.layout, dest });
        rx.kept = 0;
        rx.crc = 0;
        Ok(())
    }

    /// Places `n` data segment bytes from byte `pos` of `c`, counted in
    /// the DataDigest when `dd`.
    fn place(&self, rx: &mut RxPdu, c: &Chunk<'_>, pos: usize, n: usize, dd: bool) -> Res {
        let RxPdu { cur, buf, kept, crc } = rx;
        let cur = cur.as_mut().ok_or(Failure::BadLength)?;
        match &mut cur.dest {
            Dest::Cmd { cmd, offset } => {
                // The core checked the range against the buffer.
                c.copy_to_cmd(pos, cmd, *offset, n as u32, dd.then_some(crc)).map_err(|_| Failure::BadLength)?;
                *offset += n as u32;
            }
            Dest::Buf => {
                let k = n.min(buf.len() - *kept);
                let into = buf.get_mut(*kept..*kept + k).ok_or(Failure::BadLength)?;
                c.copy(pos, into).map_err(io)?;
                if dd {
                    *crc = KernelCrc32c.append(*crc, into);
                }
                *kept += k;
                if dd {
                    drop_bytes(c, pos + k, n - k, crc)?;
                }
            }
            Dest::Drop if dd => drop_bytes(c, pos, n, crc)?,
            Dest::Drop => {}
        }
        Ok(())
    }

    /// Handles a PDU received whole. `Some(_)` when it ends the connection.
    ///
    /// Each handler asks, under the same lock, whether the transmit thread
    /// has work (a Data-Out for an R2T, a command that the window held
    /// back): one `Session::inner` lock per PDU on the common path.
    fn finish(&self, rx: &mut RxPdu) -> Res<Option<RxEnd>> {
        let s = &*self.session;
        let Cur { pdu, layout, dest } = rx.cur.take().ok_or(Failure::BadLength)?;
        if matches!(dest, Dest::Cmd { .. }) {
            Stats::add(&s.stats.read_bytes, layout.data_len as u64);
        }
        // A command's handle is given back before its status may complete it.
        drop(dest);
        let data = rx.buf.get(..rx.kept.min(layout.data_len)).unwrap_or(&[]);
        let mut end = None;
        let tx = match pdu {
            Pdu::DataIn(d) => {
                let (done, tx) = {
                    let mut g = s.inner.lock();
                    let done = g.rx_data_in_end(&d, layout.data_len as u32)?;
                    (done, g.tx_wanted())
                };
                s.complete(done);
                tx
            }
            Pdu::ScsiResponse(r) => {
                let (done, rescan, late, tx) = {
                    let mut g = s.inner.lock();
                    let late = g.late_after_tmf();
                    let done = g.rx_scsi_response(&r, data)?;
                    (done, r.status != 0 && g.rescan_pending(), g.late_after_tmf() != late, g.tx_wanted())
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
                tx
            }
            Pdu::R2t(r) => {
                let mut g = s.inner.lock();
                g.rx_r2t(&r)?;
                g.tx_wanted()
            }
            Pdu::NopIn(n) => {
                let mut g = s.inner.lock();
                g.rx_nop_in(&n)?;
                g.tx_wanted()
            }
            Pdu::TaskMgmtResponse(r) => {
                s.inner.lock().rx_tmf_response(&r)?;
                // The tasks the function ended, each once (those still
                // being sent end at their last transmit reference).
                let tx = loop {
                    let (done, tx) = {
                        let mut g = s.inner.lock();
                        (g.take_terminated(), g.tx_wanted())
                    };
                    if done.is_none() {
                        break tx;
                    }
                    s.complete(done);
                };
                s.event.notify_all();
                tx
            }
            Pdu::LogoutResponse(r) => {
                let tx = {
                    let mut g = s.inner.lock();
                    if g.rx_logout_response(&r)? == RxNext::LoggedOut {
                        end = Some(RxEnd::LoggedOut);
                    }
                    g.tx_wanted()
                };
                s.event.notify_all();
                tx
            }
            Pdu::AsyncMessage(a) => {
                let (ev, tx) = {
                    let mut g = s.inner.lock();
                    (g.rx_async(&a, data)?, g.tx_wanted())
                };
                match ev {
                    AsyncEvent::LogoutRequest => {
                        pr_warn!("session {}: target requests logout; reconnecting after it\n", s.id)
                    }
                    ev => pr_info!("session {}: async event {:?} (vcode {})\n", s.id, ev, a.async_vcode),
                }
                // A rescan is the maintenance thread's.
                s.event.notify_all();
                tx
            }
            Pdu::Reject(r) => {
                let (rejected, done, tx) = {
                    let mut g = s.inner.lock();
                    let (rejected, done) = g.rx_reject(&r, data);
                    (rejected, done, g.tx_wanted())
                };
                pr_err!(
                    "session {}: target rejected a PDU (reason {:?}, ITT {:#x})\n",
                    s.id,
                    r.reason,
                    rejected.unwrap_or(RESERVED_TAG)
                );
                s.complete(done);
                tx
            }
            _ => return Err(Failure::UnexpectedPdu),
        };
        if tx {
            s.tx_wait.notify_one();
        }
        Ok(end)
    }
}

impl Receiver for RxSide {
    fn received(&self, c: &Chunk<'_>) -> bool {
        let mut rx = self.state.lock();
        if rx.ended.is_some() {
            return false;
        }
        let end = match self.rx_chunk(&mut rx, c) {
            Ok(None) => return true,
            Ok(Some(end)) => end,
            Err(f) => RxEnd::Failed(f),
        };
        rx.ended = Some(end);
        drop(rx);
        self.wake.notify_all();
        false
    }

    fn defer(&self) -> bool {
        let depth = socket::rx_thread_depth();
        if depth == 0 || !self.session.inner.lock().receive_in_thread(depth) {
            return false;
        }
        {
            let mut rx = self.state.lock();
            if rx.ended.is_some() {
                // The thread is ending the connection: it reads nothing
                // more, and neither does this callback.
                return true;
            }
            rx.read_pending = true;
        }
        self.wake.notify_all();
        true
    }

    fn state_changed(&self) {
        self.state.lock().state_changed = true;
        self.wake.notify_all();
    }

    fn rest(&self) -> u32 {
        u32::try_from(self.state.lock().framer.rest_of_pdu()).unwrap_or(u32::MAX)
    }
}

/// Wakes the transmit thread if a PDU just received left it work that no
/// sender is doing (an R2T's Data-Out, a NOP-Out answer, commands a wider
/// window or a finished task management function lets out); not after
/// every PDU, which would cost a wake-up per command.
/// Drops `n` bytes from byte `pos` of `c`, counting them in the DataDigest
/// `crc`.
fn drop_bytes(c: &Chunk<'_>, pos: usize, n: usize, crc: &mut u32) -> Res {
    let mut scratch = [0u8; 256];
    let mut done = 0;
    while done < n {
        let k = (n - done).min(scratch.len());
        let part = scratch.get_mut(..k).ok_or(Failure::BadLength)?;
        c.copy(pos + done, part).map_err(io)?;
        *crc = KernelCrc32c.append(*crc, part);
        done += k;
    }
    Ok(())
}

impl Conn {
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
        // Bytes went out with MSG_MORE and no send since has pushed them.
        let mut held_back = false;
        loop {
            let tag = work.tag();
            let res = self.tx_work(work, more);
            if let Ok(true) = res {
                held_back = more;
            }
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
                    // taken back), or sent nothing: what MSG_MORE held
                    // goes out now. This is the only explicit push.
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
    /// MSG_MORE (the sender pushes if none does). `Ok(false)` when there
    /// was nothing to send.
    fn tx_work(&self, work: TxWork<CmdRef>, more: bool) -> Res<bool> {
        match work {
            TxWork::Command { itt, cmd, info, cmd_sn, exp_stat_sn } => {
                self.tx_command(itt, &cmd, &info, cmd_sn, exp_stat_sn, more)?
            }
            TxWork::DataOut { itt, cmd: Some((cmd, lun)), ttt, offset, len, exp_stat_sn } => {
                self.tx_data_out(&cmd, itt, lun, ttt, offset, len, exp_stat_sn, more)?
            }
            // The task ended before its data went out.
            TxWork::DataOut { cmd: None, .. } => return Ok(false),
            TxWork::NopOut { ttt, lun, cmd_sn, exp_stat_sn } => self.tx_nop_out(ttt, lun, cmd_sn, exp_stat_sn, more)?,
            TxWork::Logout { cmd_sn, exp_stat_sn } => self.tx_logout(cmd_sn, exp_stat_sn, more)?,
            TxWork::Ping { cmd_sn, exp_stat_sn } => self.tx_ping(cmd_sn, exp_stat_sn, more)?,
            TxWork::Tmf { req, cmd_sn, exp_stat_sn } => self.tx_tmf(&req, cmd_sn, exp_stat_sn, more)?,
        }
        Ok(true)
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
        let crc = if self.dd && !cmd.stable_pages() {
            Some(self.send_copied(cmd, offset, len, trailer || more)?)
        } else {
            // Spliced also with DataDigest: the pages are stable under
            // writeback on such a session's disks (`SessionHost::stable_writes`),
            // so the CRC32C below covers what was sent, as in nvme-tcp.
            self.sock.send_data(cmd, offset, len, trailer || more).map_err(io)?;
            self.dd.then(|| cmd.crc32c(0, offset, len))
        };
        let mut tail = [0u8; 8];
        tail.get_mut(..pad).ok_or(Failure::Encode)?.copy_from_slice(padding);
        let mut n = pad;
        if let Some(crc) = crc {
            let crc = KernelCrc32c.append(crc, padding);
            tail.get_mut(n..n + DIGEST_LEN).ok_or(Failure::Encode)?.copy_from_slice(&crc.to_le_bytes());
            n += DIGEST_LEN;
        }
        if n > 0 {
            self.sock.send(tail.get(..n).unwrap_or(&[]), more).map_err(io)?;
        }
        Stats::add(&self.session.stats.write_bytes, u64::from(len));
        Ok(())
    }

    /// Sends `len` bytes of `cmd`'s buffer at `offset` a page at a time
    /// from a copy in `bounce`, and returns the CRC32C of what was sent.
    /// For a DataDigest over pages that may change while they are sent:
    /// those of a disk without stable pages (`queue/stable_writes` 0,
    /// cleared by root, or a disk scanned before a recovery's login
    /// negotiated DataDigest). Computed over the pages apart from their
    /// send, the digest of a page rewritten in between would not match the
    /// data, and the target would drop the connection (RFC 7143 §7.8).
    fn send_copied(&self, cmd: &CmdRef, offset: u32, len: u32, more: bool) -> Res<u32> {
        let mut bounce = self.bounce.lock();
        if bounce.is_empty() {
            // Allocated with DataDigest only, the one case that calls this.
            return Err(Failure::Encode);
        }
        let (mut crc, mut done) = (0u32, 0u32);
        while done < len {
            let n = (len - done).min(bounce.len() as u32);
            let buf = bounce.get_mut(..n as usize).ok_or(Failure::Encode)?;
            cmd.copy_out(offset + done, buf).map_err(io)?;
            crc = KernelCrc32c.append(crc, buf);
            done += n;
            self.sock.send(buf, more || done < len).map_err(io)?;
        }
        Stats::add(&self.session.stats.copied_bytes, u64::from(len));
        Ok(crc)
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

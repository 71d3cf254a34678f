//! Arbitrary sequences of target PDUs, interleaved with new commands and
//! transmit steps, against the module's session core: the same validation,
//! task table and state machine that the kernel's receive thread runs.
//!
//! Checks: no panic; every command is completed at most once; after a
//! connection failure the flush completes every outstanding command, and a
//! continuation starts with an empty task table.
#![no_main]

use iscsi_kmod_core::codec::bhs::BHS_LEN;
use iscsi_kmod_core::codec::pdu::Pdu;
use iscsi_kmod_core::codec::serial::{CmdWindow, Sn};
use iscsi_kmod_core::failure::Failure;
use iscsi_kmod_core::fsm::Event;
use iscsi_kmod_core::recovery::Timers;
use iscsi_kmod_core::session::{Limits, LoginSn, RxNext, SessionCore, TxItem};
use iscsi_kmod_core::task::{CmdInfo, DataDir, HostStatus, Task};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

const DEPTH: usize = 8;

use iscsi_kmod_core::task::NumberedCmd as Cmd;

type Core = SessionCore<Cmd, Vec<Task<Cmd>>, Vec<u32>, Vec<TxItem>>;

struct Harness {
    core: Core,
    next_id: u64,
    live: HashSet<u64>,
    done: HashSet<u64>,
}

impl Harness {
    fn complete(&mut self, d: Option<(Cmd, iscsi_kmod_core::task::Completion)>) {
        if let Some((c, _)) = d {
            assert!(self.live.remove(&c.0), "command {} completed but not outstanding", c.0);
            assert!(self.done.insert(c.0), "command {} completed twice", c.0);
        }
    }

    /// A connection failure: flush, clean up, and continue the session.
    fn fail(&mut self, f: Failure) {
        self.core.fail(f);
        while let Some(d) = self.core.drain_one(HostStatus::TransportDisrupted) {
            self.complete(Some(d));
        }
        assert!(self.live.is_empty(), "flush left commands outstanding");
        let _ = self.core.on(Event::CleanedUp);
        let sn = LoginSn { cmd_sn: Sn(1), exp_stat_sn: Sn(0), window: CmdWindow::new(Sn(1), Sn(16)).unwrap() };
        let _ = self.core.continue_with(sn, Limits { max_burst_length: 4096, default_time2wait: 2 });
    }
}

fuzz_target!(|data: &[u8]| {
    let sn = LoginSn { cmd_sn: Sn(1), exp_stat_sn: Sn(0), window: CmdWindow::new(Sn(1), Sn(16)).unwrap() };
    let mut core = Core::new(
        1,
        (0..DEPTH).map(|_| Task::new()).collect(),
        vec![0; DEPTH],
        vec![TxItem::Logout; DEPTH * 3],
        sn,
        Limits { max_burst_length: 4096, default_time2wait: 2 },
        Timers::default(),
    );
    core.on(Event::LoginComplete).unwrap();
    let mut h = Harness { core, next_id: 0, live: HashSet::new(), done: HashSet::new() };
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            0 => {
                // A new command: tag, direction, length.
                let Some((args, tail)) = rest.split_first_chunk::<3>() else { break };
                rest = tail;
                let dir = [DataDir::None, DataDir::Read, DataDir::Write][usize::from(args[1] % 3)];
                let info = CmdInfo { bufflen: u32::from(args[2]) * 512, dir, cdb_len: 6, ..CmdInfo::EMPTY };
                let id = h.next_id;
                h.next_id += 1;
                if h.core.queue(u32::from(args[0]) % DEPTH as u32 + u32::from(args[0] >> 7), Cmd(id), info).is_ok() {
                    h.live.insert(id);
                }
            }
            1 => {
                // The transmit thread sends one piece of work.
                if let Some(w) = h.core.next_tx() {
                    if let Some(tag) = w.tag() {
                        drop(w);
                        let d = h.core.tx_put(tag);
                        h.complete(d);
                    }
                }
            }
            2 => {
                // The admin logs out.
                h.core.start_logout();
            }
            _ => {
                // A PDU from the target; op's high bits patch in a live ITT
                // and the expected StatSN, to get past the first checks.
                let Some((hdr, tail)) = rest.split_first_chunk::<BHS_LEN>() else { break };
                rest = tail;
                let mut bhs = *hdr;
                if op & 0x10 != 0 {
                    let tag = u32::from(bhs[16]) % DEPTH as u32;
                    let itt = iscsi_kmod_core::itt::Itt::new(tag as u16, bhs[17].into());
                    let g = h.core.exp_stat_sn().0;
                    bhs[16..20].copy_from_slice(&itt.to_wire().to_be_bytes());
                    if op & 0x20 != 0 {
                        bhs[24..28].copy_from_slice(&g.to_be_bytes());
                    }
                }
                let seg_len = usize::from(op >> 6) * 8;
                let (seg, tail) = rest.split_at(seg_len.min(rest.len()));
                rest = tail;
                let r = match Pdu::decode(&bhs) {
                    Ok(Pdu::DataIn(d)) => {
                        let len = d.data_segment_length.min(1 << 20);
                        h.core.rx_data_in_begin(&d, len).and_then(|_| h.core.rx_data_in_end(&d, len)).map(|d| {
                            h.complete(d);
                            RxNext::Continue
                        })
                    }
                    Ok(Pdu::ScsiResponse(r)) => h.core.rx_scsi_response(&r, seg).map(|d| {
                        h.complete(d);
                        RxNext::Continue
                    }),
                    Ok(Pdu::R2t(r)) => h.core.rx_r2t(&r).map(|_| RxNext::Continue),
                    Ok(Pdu::NopIn(n)) => h.core.rx_nop_in(&n).map(|_| RxNext::Continue),
                    Ok(Pdu::LogoutResponse(r)) => h.core.rx_logout_response(&r),
                    Ok(Pdu::AsyncMessage(a)) => h.core.rx_async(&a, seg).map(|_| RxNext::Continue),
                    Ok(Pdu::Reject(r)) => {
                        let (_, d) = h.core.rx_reject(&r, seg);
                        h.complete(d);
                        Ok(RxNext::Continue)
                    }
                    Ok(_) => Err(Failure::UnexpectedPdu),
                    Err(_) => Err(Failure::MalformedHeader),
                };
                match r {
                    Ok(RxNext::Continue) => {}
                    // Logged out: the receive thread ends and flushes.
                    Ok(RxNext::LoggedOut) => h.fail(Failure::Stopped),
                    Err(f) => h.fail(f),
                }
            }
        }
    }
    h.fail(Failure::Stopped);
});

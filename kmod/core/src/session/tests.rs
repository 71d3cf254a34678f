//! Host tests of the session core: the command window at its edges and
//! across wraparound, the receive-side checks, logout, and completion of
//! every command exactly once.

use super::*;
use crate::codec::async_msg::AsyncMessage;
use crate::codec::data::{DataIn, R2t};
use crate::codec::logout::LogoutResponse;
use crate::codec::nop::NopIn;
use crate::codec::scsi::ScsiResponse;
use core::sync::atomic::{AtomicU64, Ordering};
use std::vec;
use std::vec::Vec;

use super::super::task::NumberedCmd as TestCmd;

type Core = SessionCore<TestCmd, Vec<Task<TestCmd>>, Vec<u32>, Vec<TxItem>>;

fn core_with(depth: usize, cmd_sn: u32, exp: u32, max: u32) -> Core {
    let sn = LoginSn {
        cmd_sn: Sn(cmd_sn),
        exp_stat_sn: Sn(100),
        window: CmdWindow::new(Sn(exp), Sn(max)).expect("valid window"),
    };
    let mut c = Core::new(
        1,
        vec![Task::new(); depth],
        vec![0; depth],
        vec![TxItem::Logout; depth * 3],
        sn,
        Limits {
            max_burst_length: 65536,
            default_time2wait: 2,
        },
        Timers::default(),
    );
    c.on(Event::LoginComplete).expect("T5");
    c
}

fn core() -> Core {
    core_with(8, 1, 1, 64)
}

fn read(len: u32) -> CmdInfo {
    CmdInfo {
        bufflen: len,
        dir: DataDir::Read,
        ..CmdInfo::EMPTY
    }
}

fn write(len: u32) -> CmdInfo {
    CmdInfo {
        bufflen: len,
        dir: DataDir::Write,
        ..CmdInfo::EMPTY
    }
}

/// Queues command `n` under tag `n` and sends its SCSI Command PDU.
fn send(c: &mut Core, n: u32, info: CmdInfo) -> Itt {
    let itt = c.queue(n, TestCmd(n.into()), info).expect("queued");
    match c.next_tx() {
        Some(TxWork::Command { itt: i, cmd, .. }) => {
            assert_eq!((i, cmd), (itt, u64::from(n)));
        }
        other => panic!("expected the command, got {other:?}"),
    }
    assert_eq!(c.tx_put(n), None);
    itt
}

fn data_in(itt: Itt, sn: u32, offset: u32, len: u32, stat: Option<u32>) -> DataIn {
    DataIn {
        itt: itt.to_wire(),
        data_sn: Sn(sn),
        buffer_offset: offset,
        data_segment_length: len,
        status_present: stat.is_some(),
        final_bit: stat.is_some(),
        stat_sn: Sn(stat.unwrap_or(0)),
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(64),
        ..DataIn::default()
    }
}

/// An R2T for `itt` with TTT `ttt`, R2TSN `sn`, `len` bytes at BufferOffset
/// `offset` (ExpCmdSN 1, MaxCmdSN 64).
fn r2t(itt: Itt, ttt: u32, sn: u32, offset: u32, len: u32) -> R2t {
    R2t {
        itt: itt.to_wire(),
        ttt,
        r2t_sn: Sn(sn),
        buffer_offset: offset,
        desired_data_transfer_length: len,
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(64),
        ..R2t::default()
    }
}

fn response(itt: Itt, stat_sn: u32) -> ScsiResponse {
    ScsiResponse {
        itt: itt.to_wire(),
        stat_sn: Sn(stat_sn),
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(64),
        ..ScsiResponse::default()
    }
}

/// Queues `n` commands (tags 0..n) and returns the CmdSNs of those the
/// transmit side sends now.
fn queue_and_send(c: &mut Core, n: u32) -> Vec<u32> {
    for tag in 0..n {
        c.queue(tag, TestCmd(tag.into()), read(0)).unwrap();
    }
    core::iter::from_fn(|| match c.next_tx() {
        Some(TxWork::Command { cmd_sn, .. }) => Some(cmd_sn.0),
        _ => None,
    })
    .collect()
}

/// A NOP-In (no ping) carrying ExpCmdSN `exp` and MaxCmdSN `max`.
fn window_update(c: &mut Core, exp: u32, max: u32) {
    let nop = NopIn {
        itt: 0xffff_ffff,
        ttt: 0xffff_ffff,
        exp_cmd_sn: Sn(exp),
        max_cmd_sn: Sn(max),
        ..NopIn::default()
    };
    c.rx_nop_in(&nop).unwrap();
}

#[test]
fn commands_wait_before_login_and_after_failure() {
    let sn = LoginSn {
        cmd_sn: Sn(1),
        exp_stat_sn: Sn(1),
        window: CmdWindow::new(Sn(1), Sn(8)).unwrap(),
    };
    let mut c = Core::new(
        1,
        vec![Task::new(); 2],
        vec![0; 2],
        vec![TxItem::Logout; 4],
        sn,
        Limits {
            max_burst_length: 512,
            default_time2wait: 2,
        },
        Timers::default(),
    );
    c.set_clock(clock);
    NOW.store(1000, Ordering::Relaxed);
    // Before the login completes, commands wait (the midlayer retries).
    assert_eq!(
        c.queue(0, TestCmd(0), read(0)),
        Err(QueueError::Busy(TestCmd(0)))
    );
    c.on(Event::LoginComplete).unwrap();
    assert!(c.queue(0, TestCmd(0), read(0)).is_ok());
    assert!(c.fail(Failure::Socket).is_some());
    assert!(
        c.fail(Failure::Socket).is_none(),
        "a second failure is not a transition"
    );
    // After a failure, too: the devices are about to be blocked.
    assert_eq!(
        c.queue(1, TestCmd(1), read(0)),
        Err(QueueError::Busy(TestCmd(1)))
    );
    assert!(c.next_tx().is_none());
    assert!(c.tx_done());
    // The outstanding command goes back to the block layer, retry budget
    // untouched, and I/O is held.
    assert_eq!(c.io_after_connection(), (Io::Held, HostStatus::Requeue));
    let (cmd, done) = c.drain_one(HostStatus::Requeue).unwrap();
    assert_eq!((cmd, done.host), (TestCmd(0), HostStatus::Requeue));
    assert!(c.drain_one(HostStatus::Requeue).is_none());
    c.on(Event::CleanedUp).unwrap();
    assert!(c.awaits_connection());
    // replacement_timeout (120 s) expires: held and new I/O fails fast.
    NOW.store(120_999, Ordering::Relaxed);
    assert_eq!(c.replacement(), Some(1));
    NOW.store(121_000, Ordering::Relaxed);
    assert_eq!(c.replacement(), Some(0));
    assert_eq!(
        c.queue(1, TestCmd(1), read(0)),
        Err(QueueError::Refuse(
            TestCmd(1),
            HostStatus::TransportFailfast
        ))
    );
    // Removal: commands fail with DID_NO_CONNECT.
    c.close();
    assert_eq!(
        c.queue(1, TestCmd(1), read(0)),
        Err(QueueError::Refuse(TestCmd(1), HostStatus::NoConnect))
    );
    assert!(!c.awaits_connection());
}

static NOW: AtomicU64 = AtomicU64::new(0);

fn clock() -> u64 {
    NOW.load(Ordering::Relaxed)
}

fn sn_of(cmd_sn: u32) -> LoginSn {
    LoginSn {
        cmd_sn: Sn(cmd_sn),
        exp_stat_sn: Sn(7),
        window: CmdWindow::new(Sn(cmd_sn), Sn(cmd_sn + 10)).unwrap(),
    }
}

const LIMITS: Limits = Limits {
    max_burst_length: 512,
    default_time2wait: 2,
};

#[test]
fn reinstatement_reissues_with_new_itt_and_cmd_sn() {
    let mut c = core();
    let old = send(&mut c, 0, read(512));
    c.fail(Failure::ClosedByTarget).unwrap();
    assert!(!c.awaits_connection(), "not before the cleanup");
    assert!(c.reinstate_with(sn_of(40), LIMITS).is_err());
    assert_eq!(c.io_after_connection().1, HostStatus::Requeue);
    while c.drain_one(HostStatus::Requeue).is_some() {}
    c.on(Event::CleanedUp).unwrap();
    assert!(c.awaits_connection());
    c.reinstate_with(sn_of(40), LIMITS).unwrap();
    assert_eq!(c.recovered(), Some(0));
    assert_eq!(c.recovery().recoveries(), 1);
    assert!(c.machine().accepts_commands());
    // The midlayer sends the requeued command again: same tag, new ITT,
    // the new session's CmdSN.
    c.queue(0, TestCmd(0), read(512)).unwrap();
    match c.next_tx() {
        Some(TxWork::Command { itt, cmd_sn, .. }) => {
            assert_eq!(itt.tag(), old.tag());
            assert_ne!(itt, old);
            assert_eq!(cmd_sn, Sn(40));
        }
        w => panic!("{w:?}"),
    }
}

#[test]
fn requested_logout_then_new_leading_login() {
    let mut c = core();
    let a = AsyncMessage {
        async_event: AsyncEvent::LogoutRequest,
        stat_sn: Sn(100),
        ..AsyncMessage::default()
    };
    c.rx_async(&a, &[]).unwrap();
    assert!(matches!(c.next_tx(), Some(TxWork::Logout { .. })));
    let r = LogoutResponse {
        itt: Itt::LOGOUT.to_wire(),
        stat_sn: Sn(101),
        ..LogoutResponse::default()
    };
    assert_eq!(c.rx_logout_response(&r), Ok(RxNext::LoggedOut));
    assert_eq!(c.state(), (SessionState::Free, ConnState::Free));
    // Not a removal: I/O is held and the session reconnects after
    // DefaultTime2Wait.
    assert_eq!(c.io_after_connection(), (Io::Held, HostStatus::Requeue));
    assert_eq!(c.recovery().reconnect_delay(), 2);
    assert!(c.awaits_connection());
    c.reinstate_with(sn_of(1), LIMITS).unwrap();
    assert!(c.machine().accepts_commands());
}

#[test]
fn keepalive_ping_and_answer() {
    let mut c = core();
    c.set_clock(clock);
    NOW.store(10_000, Ordering::Relaxed);
    assert_eq!(c.keepalive(9000), Keepalive::Wait(Some(4000)));
    NOW.store(14_000, Ordering::Relaxed);
    assert_eq!(c.keepalive(9000), Keepalive::Ping(5000));
    match c.next_tx() {
        Some(TxWork::Ping { cmd_sn, .. }) => assert_eq!(cmd_sn, Sn(1)),
        w => panic!("{w:?}"),
    }
    let pong = NopIn {
        itt: Itt::PING.to_wire(),
        ttt: RESERVED_TAG,
        stat_sn: Sn(100),
        ..NopIn::default()
    };
    assert_eq!(c.rx_nop_in(&pong), Ok(()));
    assert_eq!(c.exp_stat_sn(), Sn(101));
    // A second answer is not one.
    assert_eq!(c.rx_nop_in(&pong), Err(Failure::NopInUnsolicited));
    // Unanswered: the connection fails.
    NOW.store(20_000, Ordering::Relaxed);
    assert_eq!(c.keepalive(14_000), Keepalive::Ping(5000));
    NOW.store(25_000, Ordering::Relaxed);
    assert_eq!(c.keepalive(14_000), Keepalive::Expired);
}

#[test]
fn async_drop_and_lun_change() {
    let mut c = core();
    let drop = AsyncMessage {
        async_event: AsyncEvent::ConnectionDrop,
        parameter2: 3,
        stat_sn: Sn(100),
        ..AsyncMessage::default()
    };
    assert_eq!(c.rx_async(&drop, &[]), Err(Failure::AsyncDrop));
    assert_eq!(c.recovery().reconnect_delay(), 3);
    let mut c = core();
    let ev = AsyncMessage {
        async_event: AsyncEvent::ScsiEvent,
        stat_sn: Sn(100),
        ..AsyncMessage::default()
    };
    // SenseLength 18, then fixed-format sense: UNIT ATTENTION 3Fh/0Eh.
    let mut data = [0u8; 20];
    data[1] = 18;
    data[2] = 0x70;
    data[4] = 0x06;
    data[14] = 0x3f;
    data[15] = 0x0e;
    assert_eq!(c.rx_async(&ev, &data), Ok(AsyncEvent::ScsiEvent));
    assert!(c.take_rescan());
    assert!(!c.take_rescan());
    assert_eq!(c.rx_async(&ev, &[0, 0]), Ok(AsyncEvent::ScsiEvent));
    assert!(!c.take_rescan());
}

#[test]
fn busy_tag_and_bad_tag() {
    let mut c = core();
    c.queue(3, TestCmd(3), read(0)).unwrap();
    assert_eq!(
        c.queue(3, TestCmd(9), read(0)),
        Err(QueueError::Busy(TestCmd(9)))
    );
    assert_eq!(
        c.queue(8, TestCmd(8), read(0)),
        Err(QueueError::Refuse(TestCmd(8), HostStatus::Error))
    );
}

#[test]
fn window_edges() {
    // ExpCmdSN 1, MaxCmdSN 2: two commands fit, the third waits.
    let mut c = core_with(4, 1, 1, 2);
    assert_eq!(queue_and_send(&mut c, 3), [1, 2]);
    // The target opens the window by one (on a NOP-In): the third goes.
    window_update(&mut c, 2, 3);
    assert_eq!(queue_and_send(&mut c, 0), [3]);
    assert!(c.next_tx().is_none());
}

/// NetBSD's target after login: a command window of 1 (MaxCmdSN =
/// ExpCmdSN), opened by one with each status, the first status repeating
/// the last StatSN of the login. One command at a time goes out, in order,
/// and all of them complete: nothing stalls.
#[test]
fn window_of_one_end_to_end() {
    let mut c = core_with(8, 1, 1, 1);
    let itts: Vec<Itt> = (0..4u32)
        .map(|t| c.queue(t, TestCmd(t.into()), read(0)).unwrap())
        .collect();
    let first: Vec<u32> = core::iter::from_fn(|| match c.next_tx() {
        Some(TxWork::Command { cmd_sn, .. }) => Some(cmd_sn.0),
        _ => None,
    })
    .collect();
    assert_eq!(first, [1]);
    assert_eq!(c.tx_put(0), None);
    let mut stat_sn = 99;
    for n in 1..=4u32 {
        let r = ScsiResponse {
            itt: itts[n as usize - 1].to_wire(),
            stat_sn: Sn(stat_sn),
            exp_cmd_sn: Sn(n + 1),
            max_cmd_sn: Sn(n + 1),
            ..ScsiResponse::default()
        };
        let (cmd, _) = c.rx_scsi_response(&r, &[]).unwrap().unwrap();
        assert_eq!(cmd, TestCmd((n - 1).into()));
        stat_sn = if n == 1 { 100 } else { stat_sn + 1 };
        let next: Vec<u32> = core::iter::from_fn(|| match c.next_tx() {
            Some(TxWork::Command { cmd_sn, .. }) => Some(cmd_sn.0),
            _ => None,
        })
        .collect();
        let want: &[u32] = if n < 4 { &[n + 1] } else { &[] };
        assert_eq!(next, want, "after status {n}");
        if n < 4 {
            assert_eq!(c.tx_put(n), None);
        }
    }
}

/// A hostile target acknowledges commands we never sent (ExpCmdSN beyond
/// our next CmdSN): those values are ignored, the window stays as it was,
/// and the queued commands still go out as it allows.
#[test]
fn exp_cmd_sn_ahead_of_our_cmd_sn_is_ignored() {
    let mut c = core_with(8, 1, 1, 2);
    assert_eq!(queue_and_send(&mut c, 4), [1, 2]);
    // We sent CmdSN 1 and 2 (next is 3). ExpCmdSN 9 acknowledges 3..8.
    window_update(&mut c, 9, 20);
    assert_eq!(c.window().exp_cmd_sn, Sn(1));
    assert_eq!(c.window().max_cmd_sn, Sn(2));
    assert_eq!(c.ignored_windows(), 1);
    assert_eq!(queue_and_send(&mut c, 0), Vec::<u32>::new());
    // A sane update (ExpCmdSN 3 = our next CmdSN) opens the window.
    window_update(&mut c, 3, 4);
    assert_eq!(queue_and_send(&mut c, 0), [3, 4]);
    assert_eq!(c.ignored_windows(), 1);
}

#[test]
fn closed_window_sends_nothing() {
    // MaxCmdSN = ExpCmdSN - 1: closed.
    let mut c = core_with(2, 5, 5, 4);
    c.queue(0, TestCmd(0), read(0)).unwrap();
    assert!(c.next_tx().is_none());
    // A window update with MaxCmdSN < ExpCmdSN - 1 is ignored.
    window_update(&mut c, 9, 2);
    assert!(c.next_tx().is_none());
    window_update(&mut c, 5, 5);
    assert_eq!(queue_and_send(&mut c, 0), [5]);
}

#[test]
fn window_wraps_around() {
    let mut c = core_with(4, 0xffff_fffe, 0xffff_fffe, 1);
    assert_eq!(queue_and_send(&mut c, 4), [0xffff_fffe, 0xffff_ffff, 0, 1]);
    assert_eq!(c.cmd_sn(), Sn(2));
}

#[test]
fn read_with_data_and_status() {
    let mut c = core();
    let itt = send(&mut c, 0, read(8192));
    assert_eq!(
        c.rx_data_in_begin(&data_in(itt, 0, 0, 4096, None), 4096),
        Ok(Some(0))
    );
    assert_eq!(
        c.rx_data_in_end(&data_in(itt, 0, 0, 4096, None), 4096),
        Ok(None)
    );
    let last = data_in(itt, 1, 4096, 4096, Some(100));
    assert_eq!(c.rx_data_in_begin(&last, 4096), Ok(Some(0)));
    let (cmd, done) = c.rx_data_in_end(&last, 4096).unwrap().unwrap();
    assert_eq!(
        (cmd, done.host, done.resid),
        (TestCmd(0), HostStatus::Ok, 0)
    );
    assert_eq!(c.exp_stat_sn(), Sn(101));
    // The task is gone: a late Data-In fails the connection.
    assert_eq!(
        c.rx_data_in_begin(&data_in(itt, 2, 8192, 0, None), 0),
        Err(Failure::DataInUnknownItt)
    );
}

#[test]
fn data_in_violations() {
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let w = send(&mut c, 1, write(4096));
    let cases = [
        (
            data_in(Itt::new(5, 1), 0, 0, 512, None),
            512,
            Failure::DataInUnknownItt,
        ),
        (data_in(w, 0, 0, 512, None), 512, Failure::DataInNotRead),
        (data_in(itt, 1, 0, 512, None), 512, Failure::DataSnOrder),
        (
            data_in(itt, 0, u32::MAX, 512, None),
            512,
            Failure::BufferOffsetOverflow,
        ),
        (
            data_in(itt, 0, 0, 8192, None),
            8192,
            Failure::DataInBeyondBuffer,
        ),
        (
            data_in(itt, 0, 512, 512, None),
            512,
            Failure::BufferOffsetOrder,
        ),
        (
            data_in(Itt::new(0, 7), 0, 0, 512, None),
            512,
            Failure::DataInUnknownItt,
        ),
    ];
    for (d, len, want) in cases {
        assert_eq!(c.rx_data_in_begin(&d, len), Err(want), "{d:?}");
    }
}

#[test]
fn status_out_of_order_fails() {
    let mut c = core();
    let itt = send(&mut c, 0, read(0));
    // ExpStatSN is 100: a gap (101) and anything before the last StatSN
    // (98) fail the connection.
    for sn in [101, 98, 100 + 0x8000_0000] {
        assert_eq!(
            c.rx_scsi_response(&response(itt, sn), &[]),
            Err(Failure::StatSnOrder),
            "StatSN {sn}"
        );
    }
    let (cmd, _) = c
        .rx_scsi_response(&response(itt, 100), &[])
        .unwrap()
        .unwrap();
    assert_eq!(cmd, TestCmd(0));
    assert_eq!(c.exp_stat_sn(), Sn(101));
    assert_eq!(
        c.rx_scsi_response(&response(itt, 101), &[]),
        Err(Failure::ResponseUnknownItt)
    );
}

/// NetBSD's target: the first status repeats the last StatSN (the final
/// Login Response's). It is taken without advancing ExpStatSN, and the
/// next status must then be ExpStatSN (FreeBSD's rule, RFC 7143 §4.2.2.2).
#[test]
fn status_repeating_the_last_stat_sn_is_taken() {
    let mut c = core();
    let a = send(&mut c, 0, read(0));
    let b = send(&mut c, 1, read(0));
    let (cmd, _) = c.rx_scsi_response(&response(a, 99), &[]).unwrap().unwrap();
    assert_eq!(cmd, TestCmd(0));
    assert_eq!(c.exp_stat_sn(), Sn(100));
    let (cmd, _) = c.rx_scsi_response(&response(b, 100), &[]).unwrap().unwrap();
    assert_eq!(cmd, TestCmd(1));
    assert_eq!(c.exp_stat_sn(), Sn(101));
    // A repeated StatSN does not let a task complete twice.
    assert_eq!(
        c.rx_scsi_response(&response(b, 100), &[]),
        Err(Failure::ResponseUnknownItt)
    );
}

#[test]
fn response_sense_and_residual() {
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let mut r = response(itt, 100);
    r.status = 2;
    r.residual_underflow = true;
    r.residual_count = 1024;
    let sense = [0u8, 3, 0x70, 0, 5];
    r.data_segment_length = sense.len() as u32;
    let (_, done) = c.rx_scsi_response(&r, &sense).unwrap().unwrap();
    assert_eq!(
        (done.status, done.resid, done.sense()),
        (2, 1024, &[0x70, 0, 5][..])
    );
    assert_eq!(residual(true, true, 5, 10), 0);
    assert_eq!(residual(true, false, 50, 10), 10);
}

/// A hostile target answers a READ with GOOD and less data than the buffer,
/// without the U bit: old memory would reach the application as read data.
/// The command ends with a host error (the connection stays). A declared
/// underflow, and a status other than GOOD, are taken.
#[test]
fn read_good_with_undeclared_shortfall_fails_the_command() {
    let failed = |done: &Completion| (done.host, done.resid) == (HostStatus::Error, 4096);
    // No Data-In at all, status in the SCSI Response.
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let (_, done) = c
        .rx_scsi_response(&response(itt, 100), &[])
        .unwrap()
        .unwrap();
    assert!(failed(&done), "{done:?}");
    // The connection goes on: the next status is taken.
    let itt = send(&mut c, 1, read(0));
    assert!(c
        .rx_scsi_response(&response(itt, 101), &[])
        .unwrap()
        .is_some());
    // Half the data, status in the last Data-In.
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let d = data_in(itt, 0, 0, 2048, Some(100));
    assert!(c.rx_data_in_begin(&d, 2048).unwrap().is_some());
    let (_, done) = c.rx_data_in_end(&d, 2048).unwrap().unwrap();
    assert!(failed(&done), "{done:?}");
    // Half the data, declared: GOOD with residual 2048.
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let mut d = data_in(itt, 0, 0, 2048, Some(100));
    d.residual_underflow = true;
    d.residual_count = 2048;
    assert!(c.rx_data_in_begin(&d, 2048).unwrap().is_some());
    let (_, done) = c.rx_data_in_end(&d, 2048).unwrap().unwrap();
    assert_eq!(
        (done.host, done.status, done.resid),
        (HostStatus::Ok, 0, 2048)
    );
    // A declared underflow smaller than what is missing still fails it.
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let mut r = response(itt, 100);
    r.residual_underflow = true;
    r.residual_count = 1024;
    let (_, done) = c.rx_scsi_response(&r, &[]).unwrap().unwrap();
    assert!(failed(&done), "{done:?}");
    // CHECK CONDITION with no data: taken, with its sense.
    let mut c = core();
    let itt = send(&mut c, 0, read(4096));
    let mut r = response(itt, 100);
    r.status = 2;
    let sense = [0u8, 2, 0x70, 0];
    r.data_segment_length = 4;
    let (_, done) = c.rx_scsi_response(&r, &sense).unwrap().unwrap();
    assert_eq!(
        (done.host, done.status, done.sense()),
        (HostStatus::Ok, 2, &[0x70, 0][..])
    );
}

/// SenseLength must fit the data segment (RFC 7143 §11.4.7.2); sense longer
/// than the receive buffer keeps what arrived (the midlayer's 96 bytes).
#[test]
fn sense_length_beyond_the_segment_fails() {
    for (segment, data) in [(5u32, vec![0u8, 9, 0x70, 0, 5]), (1, vec![0u8])] {
        let mut c = core();
        let itt = send(&mut c, 0, read(0));
        let mut r = response(itt, 100);
        r.status = 2;
        r.data_segment_length = segment;
        assert_eq!(
            c.rx_scsi_response(&r, &data),
            Err(Failure::SenseMalformed),
            "segment {segment}"
        );
    }
    // 6000 bytes of sense in a 6002-byte segment, of which the receive
    // thread kept 4096: the first 96 are taken.
    let mut c = core();
    let itt = send(&mut c, 0, read(0));
    let mut r = response(itt, 100);
    r.status = 2;
    r.data_segment_length = 6002;
    let mut data = vec![0x70u8; 4096];
    data[..2].copy_from_slice(&6000u16.to_be_bytes());
    let (_, done) = c.rx_scsi_response(&r, &data).unwrap().unwrap();
    assert_eq!(done.sense().len(), 96);
}

#[test]
fn r2t_queues_data_out_and_holds_the_command() {
    let mut c = core();
    let itt = send(&mut c, 0, write(8192));
    let r2t = r2t(itt, 77, 0, 0, 8192);
    c.rx_r2t(&r2t).unwrap();
    // The response arrives before the Data-Out went out: held.
    assert_eq!(c.rx_scsi_response(&response(itt, 100), &[]), Ok(None));
    match c.next_tx() {
        Some(TxWork::DataOut {
            cmd: None, ttt: 77, ..
        }) => {}
        other => panic!("expected a Data-Out with no command left, got {other:?}"),
    }
    assert_eq!(c.tx_put(0).map(|d| d.0), Some(TestCmd(0)));
}

#[test]
fn r2t_violations() {
    let mut c = core();
    let w = send(&mut c, 0, write(4096));
    let rd = send(&mut c, 1, read(4096));
    let r2t = |itt: Itt, sn: u32, off: u32, len: u32| r2t(itt, 0, sn, off, len);
    assert_eq!(
        c.rx_r2t(&r2t(Itt::new(4, 1), 0, 0, 512)),
        Err(Failure::R2tUnknownItt)
    );
    assert_eq!(c.rx_r2t(&r2t(rd, 0, 0, 512)), Err(Failure::R2tNotWrite));
    assert_eq!(c.rx_r2t(&r2t(w, 1, 0, 512)), Err(Failure::R2tSnOrder));
    assert_eq!(
        c.rx_r2t(&r2t(w, 0, u32::MAX, 512)),
        Err(Failure::BufferOffsetOverflow)
    );
    assert_eq!(c.rx_r2t(&r2t(w, 0, 0, 8192)), Err(Failure::R2tBeyondBuffer));
    let mut small = core_with(2, 1, 1, 64);
    small.limits.max_burst_length = 512;
    let w2 = send(&mut small, 0, write(4096));
    assert_eq!(
        small.rx_r2t(&r2t(w2, 0, 0, 1024)),
        Err(Failure::R2tAboveMaxBurst)
    );
}

#[test]
fn too_many_r2ts() {
    let mut c = core_with(1, 1, 1, 64);
    let w = send(&mut c, 0, write(1 << 20));
    let mut last = Ok(());
    for sn in 0..4 {
        let r = R2t {
            itt: w.to_wire(),
            r2t_sn: Sn(sn),
            buffer_offset: sn * 512,
            desired_data_transfer_length: 512,
            ..R2t::default()
        };
        last = c.rx_r2t(&r);
        if last.is_err() {
            break;
        }
    }
    assert_eq!(last, Err(Failure::TooManyR2t));
}

#[test]
fn nop_in() {
    let mut c = core();
    let ping = NopIn {
        itt: 0xffff_ffff,
        ttt: 5,
        lun: crate::codec::lun::Lun([1; 8]),
        ..NopIn::default()
    };
    c.rx_nop_in(&ping).unwrap();
    assert!(matches!(
        c.next_tx(),
        Some(TxWork::NopOut {
            ttt: 5,
            lun: [1, 1, 1, 1, 1, 1, 1, 1],
            ..
        })
    ));
    let answer = NopIn {
        itt: 3,
        ttt: 0xffff_ffff,
        ..NopIn::default()
    };
    assert_eq!(c.rx_nop_in(&answer), Err(Failure::NopInUnsolicited));
}

fn logout_response(itt: Itt, code: LogoutResponseCode) -> LogoutResponse {
    LogoutResponse {
        itt: itt.to_wire(),
        response: code,
        stat_sn: Sn(100),
        ..LogoutResponse::default()
    }
}

#[test]
fn logout() {
    let mut c = core();
    // Unsolicited: a protocol violation, the session stays logged in.
    assert_eq!(
        c.rx_logout_response(&logout_response(Itt::LOGOUT, LogoutResponseCode::Success)),
        Err(Failure::LogoutResponseUnsolicited)
    );
    assert!(c.machine().accepts_commands());
    assert!(c.start_logout());
    assert!(!c.start_logout(), "one Logout at a time");
    assert!(matches!(c.next_tx(), Some(TxWork::Logout { .. })));
    assert_eq!(
        c.rx_logout_response(&logout_response(
            Itt::new(0, 1),
            LogoutResponseCode::Success
        )),
        Err(Failure::LogoutResponseUnknownItt)
    );
    assert_eq!(
        c.rx_logout_response(&logout_response(Itt::LOGOUT, LogoutResponseCode::Success)),
        Ok(RxNext::LoggedOut)
    );
    assert_eq!(c.state(), (SessionState::Free, ConnState::Free));
    assert_eq!(c.exp_stat_sn(), Sn(101));
}

#[test]
fn logout_refused() {
    let mut c = core();
    assert!(c.start_logout());
    assert_eq!(
        c.rx_logout_response(&logout_response(
            Itt::LOGOUT,
            LogoutResponseCode::CleanupFailed
        )),
        Err(Failure::LogoutRefused)
    );
    assert_eq!(c.logout_response(), Some(LogoutResponseCode::CleanupFailed));
}

#[test]
fn async_messages() {
    let mut c = core();
    let a = AsyncMessage {
        async_event: AsyncEvent::LogoutRequest,
        stat_sn: Sn(100),
        ..AsyncMessage::default()
    };
    assert_eq!(c.rx_async(&a, &[]), Ok(AsyncEvent::LogoutRequest));
    assert_eq!(c.state().1, ConnState::InLogout);
    assert!(matches!(c.next_tx(), Some(TxWork::Logout { .. })));
    // Asked again while our Logout is out: nothing more is queued.
    assert_eq!(c.rx_async(&a, &[]), Ok(AsyncEvent::LogoutRequest));
    assert!(c.next_tx().is_none());
    let drop = AsyncMessage {
        async_event: AsyncEvent::ConnectionDrop,
        ..a
    };
    assert_eq!(c.rx_async(&drop, &[]), Err(Failure::AsyncDrop));
}

/// A target asks for a logout (AsyncEvent 1), then answers nothing: the
/// Logout times out after LOGOUT_TIMEOUT_S instead of leaving the session
/// in `logging_out` for good. A Logout Response in time ends the wait.
#[test]
fn requested_logout_that_is_never_answered_times_out() {
    static T: AtomicU64 = AtomicU64::new(1_000);
    fn t() -> u64 {
        T.load(Ordering::Relaxed)
    }
    let mut c = core();
    c.set_clock(t);
    assert_eq!(c.logout_due(), None);
    let a = AsyncMessage {
        async_event: AsyncEvent::LogoutRequest,
        stat_sn: Sn(100),
        ..AsyncMessage::default()
    };
    assert_eq!(c.rx_async(&a, &[]), Ok(AsyncEvent::LogoutRequest));
    let full = u64::from(LOGOUT_TIMEOUT_S) * 1000;
    assert_eq!(c.logout_due(), Some(full));
    T.store(1_000 + full - 1, Ordering::Relaxed);
    assert_eq!(c.logout_due(), Some(1));
    T.store(1_000 + full + 5_000, Ordering::Relaxed);
    assert_eq!(c.logout_due(), Some(0));
    // The caller fails the connection: no Logout is outstanding any more.
    c.on(Event::ConnFailed(Failure::LogoutTimeout)).unwrap();
    assert_eq!(c.logout_due(), None);
    // Answered in time: nothing is due.
    let mut c = core();
    c.set_clock(t);
    assert!(c.start_logout());
    assert!(matches!(c.next_tx(), Some(TxWork::Logout { .. })));
    assert!(c.logout_due().is_some());
    let r = logout_response(Itt::LOGOUT, LogoutResponseCode::Success);
    assert_eq!(c.rx_logout_response(&r), Ok(RxNext::LoggedOut));
    assert_eq!(c.logout_due(), None);
}

/// A target pings while it reads none of our answers: after
/// MAX_QUEUED_PING_ANSWERS waiting answers the next ping fails the
/// connection as a ping flood. Answers that went out make room again.
#[test]
fn ping_flood_fails_the_connection() {
    let mut c = core_with(32, 1, 1, 64);
    let ping = |ttt: u32| NopIn {
        itt: 0xffff_ffff,
        ttt,
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(64),
        ..NopIn::default()
    };
    for i in 0..MAX_QUEUED_PING_ANSWERS {
        c.rx_nop_in(&ping(i)).unwrap();
    }
    assert_eq!(c.rx_nop_in(&ping(999)), Err(Failure::PingFlood));
    assert!(matches!(c.next_tx(), Some(TxWork::NopOut { ttt: 0, .. })));
    c.rx_nop_in(&ping(1000)).unwrap();
    assert_eq!(c.rx_nop_in(&ping(1001)), Err(Failure::PingFlood));
}

#[test]
fn reject_ends_the_rejected_command() {
    let mut c = core();
    let itt = send(&mut c, 0, read(512));
    let mut hdr = [0u8; 48];
    hdr[16..20].copy_from_slice(&itt.to_wire().to_be_bytes());
    let r = crate::codec::reject::Reject {
        stat_sn: Sn(100),
        ..crate::codec::reject::Reject::default()
    };
    let (rejected, done) = c.rx_reject(&r, &hdr);
    assert_eq!(rejected, Some(itt.to_wire()));
    let (cmd, d) = done.unwrap();
    assert_eq!((cmd, d.host), (TestCmd(0), HostStatus::Error));
}

#[test]
fn continuation_after_failure() {
    let mut c = core();
    send(&mut c, 0, read(512));
    c.fail(Failure::ClosedByTarget).unwrap();
    let sn = LoginSn {
        cmd_sn: Sn(40),
        exp_stat_sn: Sn(7),
        window: CmdWindow::new(Sn(40), Sn(50)).unwrap(),
    };
    let limits = Limits {
        max_burst_length: 512,
        default_time2wait: 2,
    };
    // Not before the old connection was cleaned up.
    assert!(c.continue_with(sn, limits).is_err());
    while c.drain_one(HostStatus::TransportDisrupted).is_some() {}
    c.on(Event::CleanedUp).unwrap();
    c.continue_with(sn, limits).unwrap();
    assert!(c.machine().accepts_commands());
    assert_eq!((c.cmd_sn(), c.exp_stat_sn()), (Sn(40), Sn(7)));
}

#[test]
fn status_before_the_command_went_out() {
    let mut c = core();
    let itt = c.queue(0, TestCmd(0), read(0)).unwrap();
    // A (broken) target answers a command we have not sent yet: the
    // completion waits for the transmit reference.
    assert_eq!(c.rx_scsi_response(&response(itt, 100), &[]), Ok(None));
    assert!(matches!(c.next_tx(), Some(TxWork::Command { cmd: 0, .. })));
    assert_eq!(c.tx_put(0).map(|d| d.0), Some(TestCmd(0)));
}

// ------------------------------------------------------ task management

use super::super::tmf::{TmfKind, TmfOutcome};
use crate::codec::tmf::{TaskMgmtResponse, TmfResponse};

fn lun(n: u8) -> [u8; 8] {
    [0, n, 0, 0, 0, 0, 0, 0]
}

fn on_lun(info: CmdInfo, n: u8) -> CmdInfo {
    CmdInfo {
        lun: lun(n),
        ..info
    }
}

fn tmf_response(itt: Itt, response: TmfResponse, stat_sn: u32) -> TaskMgmtResponse {
    TaskMgmtResponse {
        response,
        itt: itt.to_wire(),
        stat_sn: Sn(stat_sn),
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(64),
    }
}

/// The TMF request the transmit side sends next.
fn sent_tmf(c: &mut Core) -> (TmfRequest, Sn) {
    match c.next_tx() {
        Some(TxWork::Tmf { req, cmd_sn, .. }) => (req, cmd_sn),
        other => panic!("expected a TMF request, got {other:?}"),
    }
}

fn terminated(c: &mut Core) -> Vec<(u64, HostStatus)> {
    let mut v: Vec<_> = core::iter::from_fn(|| c.take_terminated())
        .map(|(cmd, d)| (cmd.0, d.host))
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

#[test]
fn abort_task_names_the_task_and_its_cmd_sn() {
    let mut c = core();
    send(&mut c, 0, read(512));
    let itt = send(&mut c, 1, on_lun(read(512), 2));
    let TmfStart::Queued(tmf_itt) = c.tmf_abort(1) else {
        panic!("not queued")
    };
    let (req, cmd_sn) = sent_tmf(&mut c);
    assert_eq!(req.kind, TmfKind::AbortTask);
    assert_eq!(
        (req.itt, req.referenced_itt, req.ref_cmd_sn),
        (tmf_itt, itt, Sn(2))
    );
    assert_eq!(req.lun, lun(2));
    // Immediate: it carries the next CmdSN without taking it.
    assert_eq!(cmd_sn, Sn(3));
    assert_eq!(c.cmd_sn(), Sn(3));
    // An ABORT TASK holds no other command.
    c.queue(2, TestCmd(2), read(0)).unwrap();
    assert!(matches!(c.next_tx(), Some(TxWork::Command { cmd: 2, .. })));
    c.tx_put(2);
    assert_eq!(c.tmf_outcome(tmf_itt), None);
    c.rx_tmf_response(&tmf_response(tmf_itt, TmfResponse::FunctionComplete, 100))
        .unwrap();
    assert_eq!(
        c.tmf_outcome(tmf_itt),
        Some(TmfOutcome::Answered(TmfResponse::FunctionComplete))
    );
    assert_eq!(terminated(&mut c), [(1, HostStatus::Aborted)]);
    assert!(!c.outstanding_itt(itt));
    assert!(c.outstanding(0) && c.outstanding(2));
    c.tmf_release(tmf_itt);
    assert!(c.tmf_idle());
    let n = c.tmf_counters()[TmfKind::AbortTask.index()];
    assert_eq!((n.sent, n.succeeded), (1, 1));
}

#[test]
fn abort_of_a_command_still_queued_is_answered_locally() {
    let mut c = core_with(4, 1, 1, 1);
    // The window holds one command: the second stays queued.
    send(&mut c, 0, read(0));
    let itt1 = c.queue(1, TestCmd(1), read(4096)).unwrap();
    assert!(c.next_tx().is_none());
    match c.tmf_abort(1) {
        TmfStart::Local(cmd, d) => assert_eq!(
            (cmd, d.host, d.resid),
            (TestCmd(1), HostStatus::Aborted, 4096)
        ),
        other => panic!("expected a local abort, got {other:?}"),
    }
    assert!(!c.outstanding(1));
    // The midlayer reissues it under the same tag: it goes out once, with
    // the new ITT, when the window opens (the stale queue entry is skipped).
    let itt1b = c.queue(1, TestCmd(11), read(4096)).unwrap();
    assert_ne!(itt1, itt1b);
    window_update(&mut c, 2, 8);
    match c.next_tx() {
        Some(TxWork::Command {
            itt,
            cmd: 11,
            cmd_sn,
            ..
        }) => assert_eq!((itt, cmd_sn), (itt1b, Sn(2))),
        other => panic!("expected the reissued command, got {other:?}"),
    }
    c.tx_put(1);
    assert!(c.next_tx().is_none());
    assert_eq!(c.tmf_counters()[0].succeeded, 1);
    assert_eq!(c.tmf_counters()[0].sent, 0);
    // Nothing to abort for a tag with no command.
    assert_eq!(c.tmf_abort(3), TmfStart::NotOutstanding);
}

#[test]
fn lu_reset_ends_the_lun_tasks_once_when_responses_race() {
    let mut c = core();
    let a = send(&mut c, 0, on_lun(read(512), 1));
    let b = send(&mut c, 1, on_lun(write(8192), 1));
    send(&mut c, 2, on_lun(read(512), 1));
    send(&mut c, 3, on_lun(read(512), 0));
    // The write's R2T: a Data-Out is being sent while the reset runs.
    c.rx_r2t(&r2t(b, 7, 0, 0, 8192)).unwrap();
    assert!(matches!(
        c.next_tx(),
        Some(TxWork::DataOut { cmd: Some(_), .. })
    ));
    let TmfStart::Queued(t) = c.tmf_reset(TmfKind::LogicalUnitReset, lun(1)) else {
        panic!("not queued")
    };
    // Commands wait while the reset is outstanding.
    c.queue(4, TestCmd(4), on_lun(read(0), 0)).unwrap();
    let (req, _) = sent_tmf(&mut c);
    assert_eq!(
        (req.kind, req.lun, req.referenced_itt),
        (TmfKind::LogicalUnitReset, lun(1), Itt::RESERVED)
    );
    assert!(c.next_tx().is_none());
    // Task 0's own status arrives before the TMF Response: it completes
    // normally, and the reset does not end it a second time.
    assert_eq!(
        c.rx_scsi_response(&response(a, 100), &[])
            .unwrap()
            .map(|d| d.0),
        Some(TestCmd(0))
    );
    c.rx_tmf_response(&tmf_response(t, TmfResponse::FunctionComplete, 101))
        .unwrap();
    // Task 2 ends now; task 1 when its Data-Out is sent; task 3 (LUN 0) stays.
    assert_eq!(terminated(&mut c), [(2, HostStatus::Reset)]);
    assert_eq!(
        c.tx_put(1).map(|d| (d.0, d.1.host)),
        Some((TestCmd(1), HostStatus::Reset))
    );
    assert!(terminated(&mut c).is_empty());
    assert!(c.outstanding(3));
    assert!(!c.tmf_affected_outstanding(&req));
    // A late status for an ended task is dropped, once; a second one
    // names no command.
    assert_eq!(c.rx_scsi_response(&response(b, 102), &[]), Ok(None));
    assert_eq!(c.late_after_tmf(), 1);
    assert_eq!(
        c.rx_scsi_response(&response(b, 103), &[]),
        Err(Failure::ResponseUnknownItt)
    );
}

/// LIO does not abort a command whose backend already completed when a
/// LOGICAL UNIT RESET arrives, and may send its Data-In, R2T or status
/// after the TMF Response. Those PDUs are dropped (their StatSN counted);
/// the midlayer has the commands back already, and a reused tag's new
/// command is not touched.
#[test]
fn late_pdus_for_tasks_a_reset_ended_are_dropped() {
    let mut c = core();
    let r = send(&mut c, 0, on_lun(read(8192), 1));
    let w = send(&mut c, 1, on_lun(write(8192), 1));
    let s = send(&mut c, 2, on_lun(read(0), 1));
    let TmfStart::Queued(t) = c.tmf_reset(TmfKind::LogicalUnitReset, lun(1)) else {
        panic!("not queued")
    };
    sent_tmf(&mut c);
    c.rx_tmf_response(&tmf_response(t, TmfResponse::FunctionComplete, 100))
        .unwrap();
    c.tmf_release(t);
    assert_eq!(
        terminated(&mut c),
        [
            (0, HostStatus::Reset),
            (1, HostStatus::Reset),
            (2, HostStatus::Reset)
        ]
    );
    // Tag 0 is used again at once.
    let r2 = send(&mut c, 0, on_lun(read(4096), 1));
    assert_ne!(r, r2);
    // The read's data: no buffer to place it in (read and dropped), and
    // the new command under the same tag does not see it.
    let d = data_in(r, 0, 0, 4096, None);
    assert_eq!(c.rx_data_in_begin(&d, 4096), Ok(None));
    assert_eq!(c.rx_data_in_end(&d, 4096), Ok(None));
    let last = data_in(r, 1, 4096, 4096, Some(101));
    assert_eq!(c.rx_data_in_begin(&last, 4096), Ok(None));
    assert_eq!(c.rx_data_in_end(&last, 4096), Ok(None));
    // The write's R2T asks for nothing that is sent.
    assert_eq!(c.rx_r2t(&r2t(w, 1, 0, 0, 8192)), Ok(()));
    assert!(c.next_tx().is_none());
    // Its status, and the other command's.
    assert_eq!(c.rx_scsi_response(&response(w, 102), &[]), Ok(None));
    assert_eq!(c.rx_scsi_response(&response(s, 103), &[]), Ok(None));
    assert_eq!(c.late_after_tmf(), 5);
    // The StatSNs counted: the new command's status is next.
    assert_eq!(
        c.rx_scsi_response(&response(r2, 104), &[])
            .unwrap()
            .map(|d| d.0),
        Some(TestCmd(0))
    );
    // Each ended command's final status is taken once.
    assert_eq!(
        c.rx_data_in_end(&data_in(r, 2, 8192, 0, Some(105)), 0),
        Err(Failure::DataInUnknownItt)
    );
    assert_eq!(
        c.rx_scsi_response(&response(s, 105), &[]),
        Err(Failure::ResponseUnknownItt)
    );
    // A command that was never ended stays unknown.
    assert_eq!(
        c.rx_r2t(&r2t(Itt::new(5, 1), 1, 0, 0, 512)),
        Err(Failure::R2tUnknownItt)
    );
}

#[test]
fn reset_released_after_timeout_lets_commands_go_and_ignores_the_late_answer() {
    let mut c = core();
    send(&mut c, 0, read(512));
    let TmfStart::Queued(t) = c.tmf_reset(TmfKind::TargetWarmReset, lun(3)) else {
        panic!()
    };
    let (req, _) = sent_tmf(&mut c);
    assert_eq!(req.lun, [0; 8]);
    assert_eq!(
        c.tmf_reset(TmfKind::LogicalUnitReset, lun(0)),
        TmfStart::Busy
    );
    c.queue(1, TestCmd(1), read(0)).unwrap();
    assert!(c.next_tx().is_none());
    // The waiter gives up.
    c.tmf_release(t);
    assert!(matches!(c.next_tx(), Some(TxWork::Command { cmd: 1, .. })));
    c.tx_put(1);
    c.rx_tmf_response(&tmf_response(t, TmfResponse::FunctionComplete, 100))
        .unwrap();
    assert!(terminated(&mut c).is_empty());
    assert!(c.outstanding(0));
    assert_eq!(c.tmf_ignored(), 1);
    assert_eq!(
        c.tmf_counters()[TmfKind::TargetWarmReset.index()].timed_out,
        1
    );
}

#[test]
fn refused_reset_and_connection_loss() {
    let mut c = core();
    send(&mut c, 0, read(512));
    let TmfStart::Queued(t) = c.tmf_reset(TmfKind::TargetWarmReset, [0; 8]) else {
        panic!()
    };
    sent_tmf(&mut c);
    // LIO refuses TARGET WARM RESET unless the ACL allows it.
    c.rx_tmf_response(&tmf_response(t, TmfResponse::AuthorizationFailed, 100))
        .unwrap();
    assert_eq!(
        c.tmf_outcome(t),
        Some(TmfOutcome::Answered(TmfResponse::AuthorizationFailed))
    );
    assert!(terminated(&mut c).is_empty());
    assert!(c.outstanding(0));
    c.tmf_release(t);
    assert_eq!(c.tmf_counters()[2].failed, 1);
    // An abort waiting when the connection fails: the waiter learns it, and
    // the command leaves with the flush.
    let TmfStart::Queued(a) = c.tmf_abort(0) else {
        panic!()
    };
    c.fail(Failure::Socket);
    assert_eq!(c.tmf_outcome(a), Some(TmfOutcome::ConnectionLost));
    c.tmf_release(a);
    assert_eq!(c.tmf_abort(0), TmfStart::Leaving);
    assert_eq!(
        c.tmf_reset(TmfKind::LogicalUnitReset, lun(0)),
        TmfStart::NoConnection
    );
    assert!(c.drain_one(HostStatus::Requeue).is_some());
    assert_eq!(c.tmf_abort(0), TmfStart::NotOutstanding);
}

#[test]
fn tmf_response_for_a_task_itt_fails_the_connection() {
    let mut c = core();
    let itt = send(&mut c, 0, read(512));
    assert_eq!(
        c.rx_tmf_response(&tmf_response(itt, TmfResponse::FunctionComplete, 100)),
        Err(Failure::TmfResponseUnknownItt)
    );
}

#[test]
fn unit_attention_luns_changed_asks_for_a_rescan() {
    let mut c = core();
    let itt = send(&mut c, 0, read(512));
    let mut seg = vec![0u8, 18];
    let mut sense = [0u8; 18];
    sense[0] = 0x70;
    sense[2] = 0x06; // UNIT ATTENTION
    sense[12] = 0x3f;
    sense[13] = 0x0e;
    seg.extend_from_slice(&sense);
    let r = ScsiResponse {
        status: 0x02,
        data_segment_length: seg.len() as u32,
        ..response(itt, 100)
    };
    let done = c.rx_scsi_response(&r, &seg).unwrap().unwrap();
    assert_eq!(done.1.status, 0x02);
    assert_eq!(done.1.sense(), &sense[..]);
    assert!(c.rescan_pending());
    assert!(c.take_rescan());
    assert!(!c.take_rescan());
    // Other sense data asks for nothing.
    let itt = send(&mut c, 1, read(512));
    sense[13] = 0x03;
    let mut seg = vec![0u8, 18];
    seg.extend_from_slice(&sense);
    let r = ScsiResponse {
        status: 0x02,
        data_segment_length: seg.len() as u32,
        ..response(itt, 101)
    };
    c.rx_scsi_response(&r, &seg).unwrap();
    assert!(!c.take_rescan());
}

/// One sender at a time: while a sender (the transmit thread, or
/// queuecommand inline) holds the transmitter, nobody else takes work; the
/// holder takes what was queued meanwhile, in CmdSN order, and releases the
/// transmitter only when it finds nothing, under the same lock.
#[test]
fn one_sender_at_a_time_and_nothing_left_behind() {
    let mut c = core();
    assert!(c.claim_tx().is_none(), "nothing to send: nothing claimed");
    assert!(!c.sending());
    assert!(!c.tx_wanted());

    c.queue(0, TestCmd(0), read(512)).unwrap();
    assert!(c.tx_wanted());
    let first = c.claim_tx().expect("the idle transmitter is claimed");
    assert!(matches!(first, TxWork::Command { cmd_sn: Sn(1), .. }));
    assert!(c.sending());
    // A second producer finds it held: it neither sends nor needs the thread.
    c.queue(1, TestCmd(1), read(512)).unwrap();
    assert!(c.claim_tx().is_none());
    assert!(!c.tx_wanted(), "the holder will take it");
    assert_eq!(c.tx_put(0), None);
    // The holder goes on with what was queued meanwhile, then releases.
    assert!(matches!(
        c.continue_tx(),
        Some(TxWork::Command { cmd_sn: Sn(2), .. })
    ));
    assert_eq!(c.tx_put(1), None);
    assert!(c.sending());
    assert!(c.continue_tx().is_none());
    assert!(!c.sending(), "released when nothing was left");
    // Work queued after the release is claimed by its producer.
    c.queue(2, TestCmd(2), read(512)).unwrap();
    assert!(matches!(
        c.claim_tx(),
        Some(TxWork::Command { cmd_sn: Sn(3), .. })
    ));
    assert_eq!(c.tx_put(2), None);
    // A failed send releases without taking work, and a failed connection
    // lets nobody claim.
    c.queue(3, TestCmd(3), read(512)).unwrap();
    c.release_tx();
    assert!(!c.sending());
    assert!(c.fail(Failure::Socket).is_some());
    assert!(!c.tx_wanted());
    assert!(c.claim_tx().is_none());
    assert!(!c.sending());
}

/// The receive path wakes the transmit thread only for work it can send:
/// an R2T's Data-Out, or a command the window lets out; not for a command
/// beyond MaxCmdSN, nor when nothing is queued.
#[test]
fn transmit_thread_is_wanted_only_for_sendable_work() {
    let mut c = core_with(8, 1, 1, 1);
    let itt = send(&mut c, 0, write(8192));
    assert!(!c.tx_wanted(), "nothing queued");
    c.queue(1, TestCmd(1), read(512)).unwrap();
    assert!(!c.tx_wanted(), "CmdSN 2 is beyond MaxCmdSN 1");
    c.rx_r2t(&R2t {
        max_cmd_sn: Sn(1),
        ..r2t(itt, 7, 0, 0, 8192)
    })
    .unwrap();
    assert!(c.tx_wanted(), "the R2T's Data-Out");
    assert!(matches!(c.claim_tx(), Some(TxWork::DataOut { ttt: 7, .. })));
    assert!(!c.tx_wanted(), "held");
    assert_eq!(c.tx_put(0), None);
    assert!(c.continue_tx().is_none(), "the window is still closed");
    assert!(!c.tx_wanted());
}

/// The holder of the transmitter learns, with each work it takes, whether
/// more is sendable behind it (it then sends with MSG_MORE).
#[test]
fn tx_more_says_whether_a_burst_goes_on() {
    let mut c = core_with(8, 1, 1, 2);
    for tag in 0..3 {
        c.queue(tag, TestCmd(tag.into()), read(512)).unwrap();
    }
    assert!(matches!(c.claim_tx(), Some(TxWork::Command { cmd: 0, .. })));
    assert!(c.tx_more(), "command 1 fits the window");
    assert!(matches!(
        c.continue_tx(),
        Some(TxWork::Command { cmd: 1, .. })
    ));
    assert!(!c.tx_more(), "command 2 is beyond MaxCmdSN 2");
    assert!(c.continue_tx().is_none());
    // A reset holds commands back: nothing more to send behind it.
    window_update(&mut c, 1, 8);
    let TmfStart::Queued(_) = c.tmf_reset(TmfKind::LogicalUnitReset, lun(0)) else {
        panic!("not queued")
    };
    assert!(matches!(c.claim_tx(), Some(TxWork::Tmf { .. })));
    assert!(!c.tx_more());
}

/// What `queuecommand` does for a command just queued: the submitter's
/// claim when the session is idle.
fn inline(c: &mut Core, info: &CmdInfo) -> Option<TxWork<<TestCmd as CmdHandle>::Ref>> {
    if c.send_in_submitter(info) {
        c.claim_tx()
    } else {
        None
    }
}

/// Runs `n` idle reads through tags 0.. (each sent and answered before the
/// next is queued), none of them claimed inline; returns the next StatSN.
fn idle_reads(c: &mut Core, n: u32, mut stat_sn: u32) -> u32 {
    for _ in 0..n {
        c.queue(0, TestCmd(0), read(512)).unwrap();
        assert!(inline(c, &read(512)).is_none(), "inline before the streak");
        let itt = match c.claim_tx() {
            Some(TxWork::Command { itt, .. }) => itt,
            other => panic!("expected the command, got {other:?}"),
        };
        assert_eq!(c.tx_put(0), None);
        assert!(c.continue_tx().is_none());
        assert!(c
            .rx_scsi_response(&response(itt, stat_sn), &[])
            .unwrap()
            .is_some());
        stat_sn += 1;
    }
    stat_sn
}

/// queuecommand sends inline only once INLINE_AFTER_IDLE commands in a row
/// found the session idle (no other command outstanding); one command that
/// finds another outstanding starts the streak again. The task table's
/// count follows starts and completions.
#[test]
fn inline_only_after_a_streak_of_idle_submissions() {
    let mut c = core();
    let stat_sn = idle_reads(&mut c, INLINE_AFTER_IDLE - 1, 100);
    assert_eq!(c.tasks.active(), 0);
    c.queue(0, TestCmd(0), read(512)).unwrap();
    let itt0 = match inline(&mut c, &read(512)) {
        Some(TxWork::Command { itt, .. }) => itt,
        other => panic!("expected command 0 inline, got {other:?}"),
    };
    assert_eq!(c.tx_put(0), None);
    assert!(c.continue_tx().is_none());
    // Command 0 is still outstanding: command 1 goes to the thread.
    c.queue(1, TestCmd(1), read(512)).unwrap();
    assert!(inline(&mut c, &read(512)).is_none());
    assert!(!c.sending());
    assert!(c.tx_wanted());
    assert!(matches!(c.claim_tx(), Some(TxWork::Command { .. })));
    assert_eq!(c.tx_put(1), None);
    assert!(c.continue_tx().is_none());
    assert!(c
        .rx_scsi_response(&response(itt0, stat_sn), &[])
        .unwrap()
        .is_some());
    let itt1 = c.tasks.by_tag(1).unwrap().itt();
    assert!(c
        .rx_scsi_response(&response(itt1, stat_sn + 1), &[])
        .unwrap()
        .is_some());
    assert_eq!(c.tasks.active(), 0);
    // The streak starts again.
    idle_reads(&mut c, INLINE_AFTER_IDLE - 1, stat_sn + 2);
    c.queue(2, TestCmd(2), read(512)).unwrap();
    assert!(inline(&mut c, &read(512)).is_some());
    assert_eq!(c.tx_put(2), None);
    assert!(c.continue_tx().is_none());
}

/// A large write goes to the transmit thread even on an idle session.
#[test]
fn large_writes_are_not_sent_inline() {
    let mut c = core();
    idle_reads(&mut c, INLINE_AFTER_IDLE - 1, 100);
    let big = write(INLINE_MAX_WRITE + 512);
    c.queue(0, TestCmd(0), big).unwrap();
    assert!(inline(&mut c, &big).is_none());
    assert!(c.tx_wanted());
    let mut c = core();
    idle_reads(&mut c, INLINE_AFTER_IDLE - 1, 100);
    let small = write(INLINE_MAX_WRITE);
    c.queue(0, TestCmd(0), small).unwrap();
    assert!(inline(&mut c, &small).is_some());
}

/// A command that finds the transmitter held is left to its holder (which
/// takes it with `continue_tx`), not handed to the submitter's work item.
#[test]
fn no_submitter_send_while_the_transmitter_is_held() {
    let mut c = core();
    let stat_sn = idle_reads(&mut c, INLINE_AFTER_IDLE - 1, 100);
    c.queue(0, TestCmd(0), read(512)).unwrap();
    assert!(c.send_in_submitter(&read(512)));
    // The work item claims the transmitter for command 0 and holds it.
    let itt0 = match c.claim_tx() {
        Some(TxWork::Command { itt, .. }) => itt,
        other => panic!("expected command 0, got {other:?}"),
    };
    assert!(c.sending());
    assert!(c
        .rx_scsi_response(&response(itt0, stat_sn), &[])
        .unwrap()
        .is_none());
    // Command 1, queued while it is held, is left to the holder.
    c.queue(1, TestCmd(1), read(512)).unwrap();
    assert!(!c.send_in_submitter(&read(512)));
    assert!(!c.tx_wanted());
    assert_eq!(c.tx_put(0).map(|(t, _)| t.0), Some(0));
    assert!(matches!(c.continue_tx(), Some(TxWork::Command { .. })));
}

/// The receive thread reads while at least `depth` commands are
/// outstanding, the callback below that; depth 0 never hands over.
#[test]
fn receive_in_thread_from_depth() {
    let mut c = core();
    assert!(!c.receive_in_thread(1));
    assert!(!c.receive_in_thread(0));
    let itt0 = send(&mut c, 0, read(512));
    assert!(c.receive_in_thread(1));
    assert!(!c.receive_in_thread(2));
    send(&mut c, 1, read(512));
    assert!(c.receive_in_thread(2));
    assert!(!c.receive_in_thread(3));
    assert!(!c.receive_in_thread(0));
    // A completion brings it back under the depth.
    assert!(c
        .rx_scsi_response(&response(itt0, 100), &[])
        .unwrap()
        .is_some());
    assert!(!c.receive_in_thread(2));
    assert!(c.receive_in_thread(1));
}

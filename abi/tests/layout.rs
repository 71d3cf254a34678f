//! The ioctl numbers and struct layouts are the ABI: pin them down so that a
//! change is deliberate (and comes with a new ABI version).
use core::mem::{offset_of, size_of};
use iscsi_init_abi::*;

/// `_IOC(dir, 0xE6, nr, size)` written out independently of `ioc()`.
fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (0xE6 << 8) | nr
}

#[test]
fn ioctl_numbers() {
    assert_eq!(IOC_VERSION, ioc(2, 0, 8));
    assert_eq!(IOC_CONN_BIND, ioc(3, 1, 904));
    assert_eq!(IOC_SESSION_REMOVE, ioc(1, 2, 32));
    assert_eq!(IOC_SESSION_LIST, ioc(3, 3, 40));
    assert_eq!(IOC_SESSION_STATS, ioc(3, 4, 264));
    assert_eq!(IOC_EVENT_WAIT, ioc(3, 5, 64));
    assert_eq!(IOC_CONN_BIND, 0xc388_e601);
}

#[test]
fn conn_bind_layout() {
    assert_eq!(offset_of!(ConnBind, fd), 8);
    assert_eq!(offset_of!(ConnBind, session_id), 12);
    assert_eq!(offset_of!(ConnBind, cid), 20);
    assert_eq!(offset_of!(ConnBind, isid), 24);
    assert_eq!(offset_of!(ConnBind, cmd_sn), 32);
    assert_eq!(offset_of!(ConnBind, params), 56);
    // Version 2: the recovery timers follow the parameters.
    assert_eq!(offset_of!(ConnBind, replacement_timeout), 104);
    assert_eq!(offset_of!(ConnBind, noop_out_timeout), 112);
    assert_eq!(offset_of!(ConnBind, target_name), 116);
    assert_eq!(offset_of!(ConnBind, portal), 820);
    // Version 3: the error handler's timeouts, from the old reserved words.
    assert_eq!(offset_of!(ConnBind, abort_timeout), 884);
    assert_eq!(offset_of!(ConnBind, tgt_reset_timeout), 892);
    assert_eq!(offset_of!(ConnBind, reserved), 896);
    assert_eq!(size_of::<ConnBind>(), 904);
    let b = ConnBind::new();
    assert_eq!(
        b.hdr,
        AbiHeader {
            version: ABI_VERSION,
            size: 904
        }
    );
    assert_eq!(b.fd, -1);
    assert_eq!(b.replacement_timeout, TIMER_DEFAULT);
    assert_eq!(b.lu_reset_timeout, TIMER_DEFAULT);
}

#[test]
fn version_3_layouts() {
    assert_eq!(ABI_VERSION, 3);
    assert_eq!(offset_of!(SessionStats, conn_failures), 96);
    assert_eq!(offset_of!(SessionStats, tmf), 104);
    assert_eq!(offset_of!(SessionStats, host_resets), 224);
    assert_eq!(offset_of!(SessionStats, reserved), 232);
    assert_eq!(size_of::<SessionStats>(), 264);
    assert_eq!(size_of::<TmfStats>(), 40);
    assert_eq!(offset_of!(TmfStats, connection_lost), 32);
}

#[test]
fn version_2_layouts() {
    assert_eq!(offset_of!(SessionInfo, io), 860);
    assert_eq!(offset_of!(SessionInfo, noop_out_timeout), 888);
    assert_eq!(size_of::<SessionInfo>(), 892);
    assert_eq!(offset_of!(EventWait, seq), 16);
    assert_eq!(offset_of!(EventWait, session_id), 24);
    assert_eq!(offset_of!(EventWait, lost), 40);
    assert_eq!(size_of::<EventWait>(), 64);
}

#[test]
fn other_layouts() {
    assert_eq!(offset_of!(NegotiatedParams, header_digest), 24);
    assert_eq!(offset_of!(NegotiatedParams, reserved), 32);
    assert_eq!(offset_of!(SessionInfo, params), 44);
    assert_eq!(offset_of!(SessionList, buf), 16);
    assert_eq!(offset_of!(SessionStats, commands), 16);
    assert_eq!(offset_of!(SessionRemove, logout_timeout), 16);
}

//! One encode/decode round trip per PDU type of RFC 7143 section 11, with
//! the wire bytes of the fixed fields checked, plus the typed errors.

use iscsi_codec::async_msg::{AsyncEvent, AsyncMessage};
use iscsi_codec::bhs::{self, Layout, Opcode};
use iscsi_codec::data::{DataIn, DataOut, R2t};
use iscsi_codec::error::{CodecError, Field};
use iscsi_codec::login::{Isid, LoginRequest, LoginResponse, Stage};
use iscsi_codec::logout::{LogoutReason, LogoutRequest, LogoutResponse, LogoutResponseCode};
use iscsi_codec::lun::Lun;
use iscsi_codec::nop::{NopIn, NopOut};
use iscsi_codec::pdu::Pdu;
use iscsi_codec::reject::{Reject, RejectReason};
use iscsi_codec::scsi::{ScsiCommand, ScsiResponse, ServiceResponse, TaskAttribute};
use iscsi_codec::serial::Sn;
use iscsi_codec::snack::{SnackRequest, SnackType};
use iscsi_codec::text::{TextRequest, TextResponse};
use iscsi_codec::tmf::{TaskMgmtRequest, TaskMgmtResponse, TmfFunction, TmfResponse};

/// Encode, check byte 0 / byte 1 / DataSegmentLength, decode, compare.
fn roundtrip(p: Pdu, byte0: u8, byte1: u8) -> [u8; 48] {
    let mut b = [0xeeu8; 48];
    p.encode(&mut b).unwrap();
    assert_eq!(b[0], byte0, "byte 0 of {p:?}");
    assert_eq!(b[1], byte1, "byte 1 of {p:?}");
    assert_eq!(bhs::data_segment_length(&b), p.data_segment_length());
    assert_eq!(bhs::total_ahs_length(&b), p.total_ahs_length());
    assert_eq!(bhs::initiator_task_tag(&b), p.itt());
    assert_eq!(bhs::opcode(&b), Ok(p.opcode()));
    assert_eq!(Pdu::decode(&b), Ok(p));
    b
}

const LUN: Lun = Lun([0x40, 0x05, 0, 0, 0, 0, 0, 0]);

#[test]
fn nop_out_and_in() {
    let p = NopOut {
        immediate: true,
        data_segment_length: 5,
        lun: LUN,
        itt: 0x1234_5678,
        ttt: 0xffff_ffff,
        cmd_sn: Sn(7),
        exp_stat_sn: Sn(9),
    };
    let b = roundtrip(p.into(), 0x40, 0x80);
    assert_eq!(&b[5..8], &[0, 0, 5]);
    assert_eq!(&b[8..16], &LUN.0);
    assert_eq!(
        &b[16..32],
        &[0x12, 0x34, 0x56, 0x78, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7, 0, 0, 0, 9]
    );
    assert_eq!(&b[32..], &[0; 16]);
    let p = NopIn {
        data_segment_length: 0,
        lun: Lun::ZERO,
        itt: 0xffff_ffff,
        ttt: 0x10,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(2),
        max_cmd_sn: Sn(3),
    };
    let b = roundtrip(p.into(), 0x20, 0x80);
    assert_eq!(&b[24..36], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
}

#[test]
fn scsi_command_and_response() {
    let mut p = ScsiCommand {
        immediate: false,
        final_bit: true,
        read: true,
        write: true,
        attr: TaskAttribute::HeadOfQueue,
        total_ahs_length: 0,
        data_segment_length: 512,
        lun: LUN,
        itt: 3,
        expected_data_transfer_length: 4096,
        cmd_sn: Sn(0xffff_ffff),
        exp_stat_sn: Sn(4),
        cdb: [0; 16],
    };
    let mut ahs = [0u8; 64];
    let cdb: Vec<u8> = (1..=20).collect();
    let n = p.set_cdb(&cdb, &mut ahs).unwrap();
    assert_eq!((n, p.total_ahs_length), (8, 2));
    let b = roundtrip(p.into(), 0x01, 0x80 | 0x40 | 0x20 | 3);
    assert_eq!(b[4], 2);
    assert_eq!(&b[32..48], &cdb[..16]);
    let l = Pdu::ScsiCommand(p).layout(true, true, 8192).unwrap();
    assert_eq!(
        (l.ahs_len, l.data_offset(), l.total()),
        (8, 60, 60 + 512 + 4)
    );

    let p = ScsiResponse {
        bidi_read_residual_overflow: true,
        bidi_read_residual_underflow: false,
        residual_overflow: false,
        residual_underflow: true,
        response: ServiceResponse::CommandCompleted,
        status: 0x02,
        data_segment_length: 20,
        itt: 3,
        snack_tag: 0,
        stat_sn: Sn(10),
        exp_cmd_sn: Sn(11),
        max_cmd_sn: Sn(42),
        exp_data_sn: Sn(2),
        bidi_read_residual_count: 7,
        residual_count: 100,
    };
    let b = roundtrip(p.into(), 0x21, 0x80 | 0x10 | 0x02);
    assert_eq!((b[2], b[3]), (0, 2));
    assert_eq!(&b[36..48], &[0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 100]);
    let v = ScsiResponse {
        response: ServiceResponse::VendorSpecific(0x99),
        ..p
    };
    roundtrip(v.into(), 0x21, 0x92);
}

#[test]
fn task_management() {
    let mut p = TaskMgmtRequest::new(TmfFunction::LogicalUnitReset, LUN, 8, Sn(5), Sn(6));
    p.ref_cmd_sn = Sn(4);
    p.exp_data_sn = Sn(1);
    let b = roundtrip(p.into(), 0x42, 0x85);
    assert_eq!(&b[20..24], &[0xff; 4]);
    for f in 1..=8u8 {
        let mut b = b;
        b[1] = 0x80 | f;
        assert!(Pdu::decode(&b).is_ok());
    }
    let p = TaskMgmtResponse {
        response: TmfResponse::Rejected,
        itt: 8,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(6),
        max_cmd_sn: Sn(70),
    };
    let b = roundtrip(p.into(), 0x22, 0x80);
    assert_eq!(b[2], 255);
}

#[test]
fn login_and_text() {
    let p = LoginRequest {
        transit: false,
        continue_: true,
        csg: Stage::LoginOperationalNegotiation,
        nsg: Stage::SecurityNegotiation,
        version_max: 0,
        version_min: 0,
        data_segment_length: 8192,
        isid: Isid::new(2, 0, 0xabcd, 0xef, 0x0102),
        tsih: 0x55,
        itt: 1,
        cid: 0x1234,
        cmd_sn: Sn(1),
        exp_stat_sn: Sn(0),
    };
    let b = roundtrip(p.into(), 0x43, 0x40 | 0x04);
    assert_eq!(&b[8..16], &[0x80, 0xab, 0xcd, 0xef, 0x01, 0x02, 0x00, 0x55]);
    assert_eq!(&b[20..22], &[0x12, 0x34]);
    let p = LoginResponse {
        transit: true,
        continue_: false,
        csg: Stage::LoginOperationalNegotiation,
        nsg: Stage::FullFeaturePhase,
        version_max: 0,
        version_active: 0,
        data_segment_length: 100,
        isid: Isid([1, 2, 3, 4, 5, 6]),
        tsih: 9,
        itt: 1,
        stat_sn: Sn(0x100),
        exp_cmd_sn: Sn(1),
        max_cmd_sn: Sn(32),
        status_class: 2,
        status_detail: 1,
    };
    let b = roundtrip(p.into(), 0x23, 0x87);
    assert_eq!((b[36], b[37]), (2, 1));
    assert!(!p.is_success());

    let p = TextRequest {
        immediate: true,
        final_bit: false,
        continue_: true,
        data_segment_length: 4096,
        lun: Lun::ZERO,
        itt: 2,
        ttt: 0xffff_ffff,
        cmd_sn: Sn(3),
        exp_stat_sn: Sn(4),
    };
    roundtrip(p.into(), 0x44, 0x40);
    let p = TextResponse {
        final_bit: true,
        continue_: false,
        data_segment_length: 17,
        lun: Lun::ZERO,
        itt: 2,
        ttt: 0xffff_ffff,
        stat_sn: Sn(5),
        exp_cmd_sn: Sn(4),
        max_cmd_sn: Sn(5),
    };
    roundtrip(p.into(), 0x24, 0x80);
}

#[test]
fn data_out_data_in_r2t() {
    let p = DataOut {
        final_bit: true,
        data_segment_length: 8192,
        lun: LUN,
        itt: 5,
        ttt: 0x77,
        exp_stat_sn: Sn(3),
        data_sn: Sn(2),
        buffer_offset: 16384,
    };
    let b = roundtrip(p.into(), 0x05, 0x80);
    assert_eq!(&b[36..44], &[0, 0, 0, 2, 0, 0, 0x40, 0]);
    let p = DataIn {
        final_bit: true,
        acknowledge: true,
        residual_overflow: true,
        residual_underflow: false,
        status_present: true,
        status: 0,
        data_segment_length: 1000,
        lun: LUN,
        itt: 5,
        ttt: 0x99,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(2),
        max_cmd_sn: Sn(3),
        data_sn: Sn(4),
        buffer_offset: 5,
        residual_count: 6,
    };
    let b = roundtrip(p.into(), 0x25, 0x80 | 0x40 | 0x04 | 0x01);
    assert_eq!(&b[36..48], &[0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6]);
    assert_eq!(Pdu::DataIn(p).stat_sn(), Some(Sn(1)));
    let p = R2t {
        lun: LUN,
        itt: 5,
        ttt: 0x1000,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(2),
        max_cmd_sn: Sn(3),
        r2t_sn: Sn(4),
        buffer_offset: 0x2000,
        desired_data_transfer_length: 0x3000,
    };
    let b = roundtrip(p.into(), 0x31, 0x80);
    assert_eq!(&b[44..48], &[0, 0, 0x30, 0]);
}

#[test]
fn logout_snack_async_reject() {
    let p = LogoutRequest {
        immediate: true,
        reason: LogoutReason::RemoveConnectionForRecovery,
        itt: 9,
        cid: 3,
        cmd_sn: Sn(8),
        exp_stat_sn: Sn(7),
    };
    roundtrip(p.into(), 0x46, 0x82);
    let p = LogoutResponse {
        response: LogoutResponseCode::CleanupFailed,
        itt: 9,
        stat_sn: Sn(7),
        exp_cmd_sn: Sn(9),
        max_cmd_sn: Sn(9),
        time2wait: 2,
        time2retain: 20,
    };
    let b = roundtrip(p.into(), 0x26, 0x80);
    assert_eq!((b[2], &b[40..44]), (3, &[0, 2, 0, 20][..]));
    let p = SnackRequest {
        snack_type: SnackType::RData,
        lun: LUN,
        itt: 1,
        ttt_or_snack_tag: 0xabc,
        exp_stat_sn: Sn(2),
        beg_run: 3,
        run_length: 0,
    };
    roundtrip(p.into(), 0x10, 0x83);
    let p = AsyncMessage {
        data_segment_length: 0,
        lun: Lun::ZERO,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(2),
        max_cmd_sn: Sn(3),
        async_event: AsyncEvent::ConnectionDrop,
        async_vcode: 0,
        parameter1: 1,
        parameter2: 2,
        parameter3: 20,
    };
    let b = roundtrip(p.into(), 0x32, 0x80);
    assert_eq!(&b[16..20], &[0xff; 4]);
    assert_eq!(&b[36..44], &[2, 0, 0, 1, 0, 2, 0, 20]);
    let p = Reject {
        reason: RejectReason::InvalidPduField,
        data_segment_length: 48,
        stat_sn: Sn(1),
        exp_cmd_sn: Sn(2),
        max_cmd_sn: Sn(3),
        data_sn_or_r2t_sn: Sn(0),
    };
    let b = roundtrip(p.into(), 0x3f, 0x80);
    assert_eq!(b[2], 9);
    let mut seg = [0u8; 60];
    seg[..48].copy_from_slice(&b);
    assert_eq!(Reject::rejected_bhs(&seg), Some(&b));
    assert_eq!(Reject::rejected_bhs(&seg[..47]), None);
}

fn bhs_with(op: u8, b1: u8) -> [u8; 48] {
    let mut b = [0u8; 48];
    b[0] = op;
    b[1] = b1;
    b
}

#[test]
fn typed_errors() {
    assert_eq!(
        Pdu::decode(&bhs_with(0x07, 0)),
        Err(CodecError::ReservedOpcode(0x07))
    );
    assert_eq!(
        Pdu::decode(&bhs_with(0x1d, 0)),
        Err(CodecError::UnknownOpcode(0x1d))
    );
    assert_eq!(
        Pdu::decode(&bhs_with(0x3c, 0)),
        Err(CodecError::UnknownOpcode(0x3c))
    );
    // the I bit and bit 7 are not part of the opcode
    assert!(Pdu::decode(&bhs_with(0x80 | 0x40 | 0x20, 0x80)).is_ok());
    // no AHS outside SCSI Command
    let mut b = bhs_with(0x20, 0x80);
    b[4] = 1;
    assert_eq!(
        Pdu::decode(&b),
        Err(CodecError::InconsistentLength(Field::TotalAhsLength))
    );
    // no data on R2T/TMF/Logout/SNACK
    for op in [0x31u8, 0x02, 0x22, 0x06, 0x26, 0x10] {
        let mut b = bhs_with(op, 0x81);
        b[44] = 1; // DesiredDataTransferLength for R2T
        b[7] = 1;
        assert_eq!(
            Pdu::decode(&b),
            Err(CodecError::InconsistentLength(Field::DataSegmentLength)),
            "{op:#x}"
        );
    }
    let oor = |op: u8, b1: u8, f: Field| {
        assert_eq!(
            Pdu::decode(&bhs_with(op, b1)),
            Err(CodecError::FieldOutOfRange(f))
        )
    };
    oor(0x01, 0x85, Field::TaskAttribute);
    oor(0x02, 0x80, Field::TmfFunction);
    oor(0x02, 0x89, Field::TmfFunction);
    oor(0x03, 0x80 | 0x40, Field::ContinueBit);
    oor(0x03, 0x08, Field::Stage);
    oor(0x23, 0x82, Field::Stage);
    oor(0x04, 0xc0, Field::ContinueBit);
    oor(0x24, 0xc0, Field::ContinueBit);
    oor(0x06, 0x83, Field::LogoutReason);
    oor(0x10, 0x84, Field::SnackType);
    oor(0x25, 0x01, Field::StatusBit);
    oor(0x25, 0x86, Field::ResidualFlags);
    oor(0x21, 0x86, Field::ResidualFlags);
    oor(0x21, 0x98, Field::ResidualFlags);
    oor(0x31, 0x80, Field::DesiredDataTransferLength);
    oor(0x3f, 0x80, Field::RejectReason);
    // reserved codes in a byte other than byte 1
    let oor_at = |op: u8, at: usize, v: u8, f: Field| {
        let mut b = bhs_with(op, 0x80);
        b[at] = v;
        assert_eq!(Pdu::decode(&b), Err(CodecError::FieldOutOfRange(f)));
    };
    oor_at(0x21, 2, 0x02, Field::ServiceResponse);
    oor_at(0x22, 2, 7, Field::TmfResponse);
    oor_at(0x26, 2, 4, Field::LogoutResponse);
    oor_at(0x32, 36, 6, Field::AsyncEvent);
    // typed decoders check the opcode
    assert_eq!(
        NopIn::decode(&bhs_with(0x21, 0x80)),
        Err(CodecError::FieldOutOfRange(Field::Opcode))
    );

    // encode refuses what decode would refuse
    let mut out = [0u8; 48];
    let t = TextRequest {
        final_bit: true,
        continue_: true,
        ..Default::default()
    };
    assert_eq!(
        t.encode(&mut out),
        Err(CodecError::FieldOutOfRange(Field::ContinueBit))
    );
    let n = NopOut {
        data_segment_length: 1 << 24,
        ..Default::default()
    };
    assert_eq!(
        n.encode(&mut out),
        Err(CodecError::FieldOutOfRange(Field::DataSegmentLength))
    );
    assert!(R2t::default().encode(&mut out).is_err());
    let mut c = ScsiCommand::default();
    assert_eq!(
        c.set_cdb(&[0; 261], &mut [0; 1024]),
        Err(CodecError::FieldOutOfRange(Field::CdbLength))
    );
    assert!(matches!(
        c.set_cdb(&[0; 32], &mut [0; 8]),
        Err(CodecError::BufferTooSmall { .. })
    ));

    // DataSegmentLength limit
    let mut b = bhs_with(0x25, 0x80);
    b[5] = 1; // 65536 bytes
    let p = Pdu::decode(&b).unwrap();
    assert_eq!(
        p.layout(false, false, 8192),
        Err(CodecError::DataSegmentTooLong {
            length: 65536,
            limit: 8192
        })
    );
    assert_eq!(
        Layout::of_bhs(&b, false, false, 65536).unwrap().data_len,
        65536
    );
}

#[test]
fn write_pdu_checks_lengths() {
    use iscsi_codec::pdu::{parse_pdu, write_pdu};
    let p: Pdu = NopOut {
        data_segment_length: 3,
        itt: 1,
        ..Default::default()
    }
    .into();
    let mut out = [0u8; 64];
    assert_eq!(
        write_pdu(&p, &[], b"ab", None, None, &mut out),
        Err(CodecError::InconsistentLength(Field::DataSegmentLength))
    );
    assert_eq!(
        write_pdu(&p, &[0; 4], b"abc", None, None, &mut out),
        Err(CodecError::InconsistentLength(Field::TotalAhsLength))
    );
    assert_eq!(
        write_pdu(&p, &[], b"abc", None, None, &mut out[..51]),
        Err(CodecError::BufferTooSmall {
            needed: 52,
            available: 51
        })
    );
    assert_eq!(write_pdu(&p, &[], b"abc", None, None, &mut out), Ok(52));
    assert_eq!(&out[48..52], b"abc\0");
    let parsed = parse_pdu(&out[..52], None, None, 8192).unwrap();
    assert_eq!((parsed.pdu, parsed.data), (p, &b"abc"[..]));
    assert_eq!(
        parse_pdu(&out[..52], None, None, 2),
        Err(CodecError::DataSegmentTooLong {
            length: 3,
            limit: 2
        })
    );
    assert_eq!(
        parse_pdu(&out[..20], None, None, 8192),
        Err(CodecError::BufferTooSmall {
            needed: 48,
            available: 20
        })
    );
}

#[test]
fn every_opcode_roundtrips_through_pdu() {
    let all: Vec<Pdu> = vec![
        NopOut::default().into(),
        ScsiCommand::default().into(),
        TaskMgmtRequest::default().into(),
        LoginRequest::default().into(),
        TextRequest::default().into(),
        DataOut::default().into(),
        LogoutRequest::default().into(),
        SnackRequest::default().into(),
        NopIn::default().into(),
        ScsiResponse::default().into(),
        TaskMgmtResponse::default().into(),
        LoginResponse::default().into(),
        TextResponse::default().into(),
        DataIn::default().into(),
        LogoutResponse::default().into(),
        R2t {
            desired_data_transfer_length: 1,
            ..Default::default()
        }
        .into(),
        AsyncMessage::default().into(),
        Reject::default().into(),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for p in all {
        let mut b = [0u8; 48];
        p.encode(&mut b).unwrap();
        assert_eq!(Pdu::decode(&b), Ok(p));
        assert_eq!(Opcode::from_u8(b[0] & 0x3f), Ok(p.opcode()));
        assert_eq!(p.cmd_window().is_some(), !p.opcode().is_initiator());
        seen.insert(p.opcode().as_u8());
    }
    assert_eq!(seen.len(), 18);
}

//! Property tests: typed round trips of every PDU type, decoding arbitrary
//! bytes never panics and is stable, text/AHS/serial-number properties.

use iscsi_codec::ahs::{write_extended_cdb, AhsIter, CommandAhs};
use iscsi_codec::assembler::{Assembly, TextAssembler, TextSegments};
use iscsi_codec::async_msg::{AsyncEvent, AsyncMessage};
use iscsi_codec::bhs::Layout;
use iscsi_codec::data::{DataIn, DataOut, R2t};
use iscsi_codec::keys::{
    decode_binary, encode_base64, encode_hex, parse_number, write_decimal, KeyValueIter,
    KeyValueWriter,
};
use iscsi_codec::login::{Isid, LoginRequest, LoginResponse, Stage};
use iscsi_codec::logout::{LogoutReason, LogoutRequest, LogoutResponse, LogoutResponseCode};
use iscsi_codec::lun::Lun;
use iscsi_codec::nop::{NopIn, NopOut};
use iscsi_codec::pdu::Pdu;
use iscsi_codec::reject::{Reject, RejectReason};
use iscsi_codec::scsi::{ScsiCommand, ScsiResponse, ServiceResponse, TaskAttribute};
use iscsi_codec::serial::{CmdWindow, Sn};
use iscsi_codec::snack::{SnackRequest, SnackType};
use iscsi_codec::text::{TextRequest, TextResponse};
use iscsi_codec::tmf::{TaskMgmtRequest, TaskMgmtResponse, TmfFunction, TmfResponse};
use proptest::prelude::*;

fn sn() -> impl Strategy<Value = Sn> {
    any::<u32>().prop_map(Sn)
}
fn lun() -> impl Strategy<Value = Lun> {
    any::<[u8; 8]>().prop_map(Lun)
}
fn dsl() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=16, 0u32..=0xff_ffff]
}
fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        Just(Stage::SecurityNegotiation),
        Just(Stage::LoginOperationalNegotiation),
        Just(Stage::FullFeaturePhase)
    ]
}
/// (a, b) not both true
fn exclusive() -> impl Strategy<Value = (bool, bool)> {
    prop_oneof![
        Just((false, false)),
        Just((true, false)),
        Just((false, true))
    ]
}

prop_compose! {
    fn nop_out()(immediate in any::<bool>(), data_segment_length in dsl(), lun in lun(), itt in any::<u32>(),
                 ttt in any::<u32>(), cmd_sn in sn(), exp_stat_sn in sn()) -> NopOut {
        NopOut { immediate, data_segment_length, lun, itt, ttt, cmd_sn, exp_stat_sn }
    }
}
prop_compose! {
    fn nop_in()(data_segment_length in dsl(), lun in lun(), itt in any::<u32>(), ttt in any::<u32>(),
                stat_sn in sn(), exp_cmd_sn in sn(), max_cmd_sn in sn()) -> NopIn {
        NopIn { data_segment_length, lun, itt, ttt, stat_sn, exp_cmd_sn, max_cmd_sn }
    }
}
prop_compose! {
    fn scsi_command()(flags in any::<[bool; 4]>(), attr in 0u8..=4, total_ahs_length in any::<u8>(),
                      data_segment_length in dsl(), lun in lun(), itt in any::<u32>(),
                      expected_data_transfer_length in any::<u32>(), cmd_sn in sn(), exp_stat_sn in sn(),
                      cdb in any::<[u8; 16]>()) -> ScsiCommand {
        ScsiCommand {
            immediate: flags[0], final_bit: flags[1], read: flags[2], write: flags[3],
            attr: TaskAttribute::from_u8(attr).unwrap(), total_ahs_length, data_segment_length, lun, itt,
            expected_data_transfer_length, cmd_sn, exp_stat_sn, cdb,
        }
    }
}
prop_compose! {
    fn scsi_response()(bidi in exclusive(), res in exclusive(),
                       response in prop_oneof![Just(0u8), Just(1u8), 0x80u8..=0xff], status in any::<u8>(),
                       data_segment_length in dsl(), itt in any::<u32>(), snack_tag in any::<u32>(),
                       sns in any::<[u32; 4]>(), counts in any::<[u32; 2]>()) -> ScsiResponse {
        ScsiResponse {
            bidi_read_residual_overflow: bidi.0, bidi_read_residual_underflow: bidi.1,
            residual_overflow: res.0, residual_underflow: res.1,
            response: ServiceResponse::from_u8(response).unwrap(), status, data_segment_length, itt, snack_tag,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]), exp_data_sn: Sn(sns[3]),
            bidi_read_residual_count: counts[0], residual_count: counts[1],
        }
    }
}
prop_compose! {
    fn tmf_request()(immediate in any::<bool>(), f in 1u8..=8, lun in lun(), itt in any::<u32>(),
                     referenced_task_tag in any::<u32>(), sns in any::<[u32; 4]>()) -> TaskMgmtRequest {
        TaskMgmtRequest {
            immediate, function: TmfFunction::from_u8(f).unwrap(), lun, itt, referenced_task_tag,
            cmd_sn: Sn(sns[0]), exp_stat_sn: Sn(sns[1]), ref_cmd_sn: Sn(sns[2]), exp_data_sn: Sn(sns[3]),
        }
    }
}
prop_compose! {
    fn tmf_response()(r in prop_oneof![0u8..=6, Just(255u8)], itt in any::<u32>(), sns in any::<[u32; 3]>())
                      -> TaskMgmtResponse {
        TaskMgmtResponse {
            response: TmfResponse::from_u8(r).unwrap(), itt,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]),
        }
    }
}
prop_compose! {
    fn login_request()(tc in exclusive(), csg in stage(), nsg in stage(), v in any::<[u8; 2]>(),
                       data_segment_length in dsl(), isid in any::<[u8; 6]>(), tsih in any::<u16>(),
                       itt in any::<u32>(), cid in any::<u16>(), cmd_sn in sn(), exp_stat_sn in sn())
                       -> LoginRequest {
        LoginRequest {
            transit: tc.0, continue_: tc.1, csg, nsg, version_max: v[0], version_min: v[1],
            data_segment_length, isid: Isid(isid), tsih, itt, cid, cmd_sn, exp_stat_sn,
        }
    }
}
prop_compose! {
    fn login_response()(tc in exclusive(), csg in stage(), nsg in stage(), v in any::<[u8; 4]>(),
                        data_segment_length in dsl(), isid in any::<[u8; 6]>(), tsih in any::<u16>(),
                        itt in any::<u32>(), sns in any::<[u32; 3]>()) -> LoginResponse {
        LoginResponse {
            transit: tc.0, continue_: tc.1, csg, nsg, version_max: v[0], version_active: v[1],
            data_segment_length, isid: Isid(isid), tsih, itt,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]),
            status_class: v[2], status_detail: v[3],
        }
    }
}
prop_compose! {
    fn text_request()(immediate in any::<bool>(), fc in exclusive(), data_segment_length in dsl(), lun in lun(),
                      itt in any::<u32>(), ttt in any::<u32>(), cmd_sn in sn(), exp_stat_sn in sn())
                      -> TextRequest {
        TextRequest {
            immediate, final_bit: fc.0, continue_: fc.1, data_segment_length, lun, itt, ttt, cmd_sn, exp_stat_sn,
        }
    }
}
prop_compose! {
    fn text_response()(fc in exclusive(), data_segment_length in dsl(), lun in lun(), itt in any::<u32>(),
                       ttt in any::<u32>(), sns in any::<[u32; 3]>()) -> TextResponse {
        TextResponse {
            final_bit: fc.0, continue_: fc.1, data_segment_length, lun, itt, ttt,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]),
        }
    }
}
prop_compose! {
    fn data_out()(final_bit in any::<bool>(), data_segment_length in dsl(), lun in lun(), itt in any::<u32>(),
                  ttt in any::<u32>(), exp_stat_sn in sn(), data_sn in sn(), buffer_offset in any::<u32>())
                  -> DataOut {
        DataOut { final_bit, data_segment_length, lun, itt, ttt, exp_stat_sn, data_sn, buffer_offset }
    }
}
prop_compose! {
    fn data_in()(fs in prop_oneof![Just((false, false)), Just((true, false)), Just((true, true))],
                 acknowledge in any::<bool>(), ou in exclusive(), status in any::<u8>(),
                 data_segment_length in dsl(), lun in lun(), itt in any::<u32>(), ttt in any::<u32>(),
                 sns in any::<[u32; 4]>(), buffer_offset in any::<u32>(), residual_count in any::<u32>()) -> DataIn {
        DataIn {
            final_bit: fs.0, acknowledge, residual_overflow: ou.0, residual_underflow: ou.1, status_present: fs.1,
            status, data_segment_length, lun, itt, ttt,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]), data_sn: Sn(sns[3]),
            buffer_offset, residual_count,
        }
    }
}
prop_compose! {
    fn r2t()(lun in lun(), itt in any::<u32>(), ttt in any::<u32>(), sns in any::<[u32; 4]>(),
             buffer_offset in any::<u32>(), ddtl in 1u32..) -> R2t {
        R2t {
            lun, itt, ttt, stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]), r2t_sn: Sn(sns[3]),
            buffer_offset, desired_data_transfer_length: ddtl,
        }
    }
}
prop_compose! {
    fn logout_request()(immediate in any::<bool>(), r in 0u8..=2, itt in any::<u32>(), cid in any::<u16>(),
                        cmd_sn in sn(), exp_stat_sn in sn()) -> LogoutRequest {
        LogoutRequest { immediate, reason: LogoutReason::from_u8(r).unwrap(), itt, cid, cmd_sn, exp_stat_sn }
    }
}
prop_compose! {
    fn logout_response()(r in 0u8..=3, itt in any::<u32>(), sns in any::<[u32; 3]>(), t in any::<[u16; 2]>())
                         -> LogoutResponse {
        LogoutResponse {
            response: LogoutResponseCode::from_u8(r).unwrap(), itt,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]), time2wait: t[0], time2retain: t[1],
        }
    }
}
prop_compose! {
    fn snack()(t in 0u8..=3, lun in lun(), itt in any::<u32>(), tag in any::<u32>(), exp_stat_sn in sn(),
               beg_run in any::<u32>(), run_length in any::<u32>()) -> SnackRequest {
        SnackRequest {
            snack_type: SnackType::from_u8(t).unwrap(), lun, itt, ttt_or_snack_tag: tag, exp_stat_sn, beg_run, run_length,
        }
    }
}
prop_compose! {
    fn async_message()(data_segment_length in dsl(), lun in lun(), sns in any::<[u32; 3]>(),
                       ev in prop_oneof![0u8..=5, Just(255u8)], async_vcode in any::<u8>(), p in any::<[u16; 3]>())
                       -> AsyncMessage {
        AsyncMessage {
            data_segment_length, lun, stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]),
            async_event: AsyncEvent::from_u8(ev).unwrap(), async_vcode, parameter1: p[0], parameter2: p[1], parameter3: p[2],
        }
    }
}
prop_compose! {
    fn reject()(r in 2u8..=0x0c, data_segment_length in dsl(), sns in any::<[u32; 4]>()) -> Reject {
        Reject {
            reason: RejectReason::from_u8(r).unwrap(), data_segment_length,
            stat_sn: Sn(sns[0]), exp_cmd_sn: Sn(sns[1]), max_cmd_sn: Sn(sns[2]), data_sn_or_r2t_sn: Sn(sns[3]),
        }
    }
}

fn any_pdu() -> impl Strategy<Value = Pdu> {
    prop_oneof![
        nop_out().prop_map(Pdu::from),
        scsi_command().prop_map(Pdu::from),
        tmf_request().prop_map(Pdu::from),
        login_request().prop_map(Pdu::from),
        text_request().prop_map(Pdu::from),
        data_out().prop_map(Pdu::from),
        logout_request().prop_map(Pdu::from),
        snack().prop_map(Pdu::from),
        nop_in().prop_map(Pdu::from),
        scsi_response().prop_map(Pdu::from),
        tmf_response().prop_map(Pdu::from),
        login_response().prop_map(Pdu::from),
        text_response().prop_map(Pdu::from),
        data_in().prop_map(Pdu::from),
        logout_response().prop_map(Pdu::from),
        r2t().prop_map(Pdu::from),
        async_message().prop_map(Pdu::from),
        reject().prop_map(Pdu::from),
    ]
}

const OPCODES: [u8; 18] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x31,
    0x32, 0x3f,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn typed_roundtrip(p in any_pdu()) {
        let mut b = [0u8; 48];
        p.encode(&mut b).unwrap();
        prop_assert_eq!(Pdu::decode(&b), Ok(p));
        let mut again = [0xffu8; 48];
        p.encode(&mut again).unwrap();
        prop_assert_eq!(b, again);
        let l = p.layout(true, true, u32::MAX).unwrap();
        prop_assert_eq!(l, Layout::of_bhs(&b, true, true, u32::MAX).unwrap());
        prop_assert_eq!(l.total() % 4, 0);
    }

    #[test]
    fn arbitrary_bhs_never_panics_and_is_stable(mut b in any::<[u8; 48]>(), op in 0usize..18, force in any::<bool>(),
                                                hd in any::<bool>(), dd in any::<bool>(), max in any::<u32>()) {
        if force {
            // make decoding likely to succeed, to exercise the re-encode path
            b[0] = (b[0] & 0xc0) | OPCODES[op];
            b[4] = 0;
        }
        let _ = Layout::of_bhs(&b, hd, dd, max);
        if let Ok(p) = Pdu::decode(&b) {
            let _ = p.layout(hd, dd, max);
            let mut e = [0u8; 48];
            p.encode(&mut e).unwrap();
            prop_assert_eq!(Pdu::decode(&e), Ok(p));
            // only reserved bits may differ
            prop_assert_eq!(e[0] & 0x3f, b[0] & 0x3f);
            prop_assert_eq!(&e[4..8], &b[4..8]);
        }
    }

    #[test]
    fn ahs_parse_never_panics(ahs in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = CommandAhs::parse(&ahs);
        for a in AhsIter::new(&ahs) {
            let _ = a;
        }
    }

    #[test]
    fn extended_cdb_roundtrip(cdb in proptest::collection::vec(any::<u8>(), 1..=260)) {
        let mut c = ScsiCommand::default();
        let mut ahs = [0u8; 300];
        let n = c.set_cdb(&cdb, &mut ahs).unwrap();
        prop_assert_eq!(n, usize::from(c.total_ahs_length) * 4);
        let parsed = CommandAhs::parse(&ahs[..n]).unwrap();
        let mut out = [0u8; 300];
        let len = c.full_cdb(&parsed, &mut out).unwrap();
        prop_assert_eq!(&out[..cdb.len()], &cdb[..]);
        prop_assert!(out[cdb.len()..len].iter().all(|&b| b == 0));
        if cdb.len() > 16 {
            prop_assert_eq!(write_extended_cdb(&cdb[16..], &mut out), Ok(n));
        }
    }

    #[test]
    fn text_parser_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        for kv in KeyValueIter::new(&data).flatten() {
            let mut out = [0u8; 300];
            let _ = decode_binary(kv.value, &mut out);
            let _ = parse_number(kv.value);
        }
    }

    #[test]
    fn text_writer_parser_roundtrip(
        pairs in proptest::collection::vec(("[A-Z][A-Za-z0-9.+@_-]{0,62}", "[^\u{0}]{0,60}"), 0..20)
    ) {
        let mut buf = vec![0u8; 20 * (64 + 256)];
        let mut w = KeyValueWriter::new(&mut buf);
        let mut kept = Vec::new();
        for (k, v) in &pairs {
            if v.len() <= 255 {
                w.push_str(k, v).unwrap();
                kept.push((k.clone(), v.clone()));
            }
        }
        let n = w.len();
        let text = &buf[..n];
        let parsed: Vec<(String, String)> = KeyValueIter::new(text)
            .map(|kv| kv.unwrap())
            .map(|kv| (kv.key.to_string(), kv.value_str().unwrap().to_string()))
            .collect();
        prop_assert_eq!(&parsed, &kept);

        // split into segments of any size and reassemble (C bit)
        for max in [1usize, 7, 100, 8192] {
            let mut abuf = vec![0u8; n];
            let mut a = TextAssembler::new(&mut abuf);
            for (seg, cont) in TextSegments::new(text, max) {
                prop_assert!(seg.len() <= max);
                let st = a.push(seg, cont).unwrap();
                prop_assert_eq!(st == Assembly::Complete, !cont);
            }
            prop_assert!(a.is_complete());
            prop_assert_eq!(a.data(), text);
        }
    }

    #[test]
    fn binary_value_roundtrip(bytes in proptest::collection::vec(any::<u8>(), 1..200)) {
        let mut enc = [0u8; 512];
        let mut dec = [0u8; 256];
        let n = encode_hex(&bytes, &mut enc).unwrap();
        prop_assert_eq!(decode_binary(&enc[..n], &mut dec), Ok(bytes.len()));
        prop_assert_eq!(&dec[..bytes.len()], &bytes[..]);
        let n = encode_base64(&bytes, &mut enc).unwrap();
        prop_assert_eq!(decode_binary(&enc[..n], &mut dec), Ok(bytes.len()));
        prop_assert_eq!(&dec[..bytes.len()], &bytes[..]);
        let mut buf = [0u8; 1024];
        let mut w = KeyValueWriter::new(&mut buf);
        w.push_base64("CHAP_C", &bytes).unwrap();
        w.push_hex("CHAP_R", &bytes).unwrap();
        let len = w.len();
        for kv in KeyValueIter::new(&buf[..len]) {
            let kv = kv.unwrap();
            prop_assert_eq!(decode_binary(kv.value, &mut dec), Ok(bytes.len()));
            prop_assert_eq!(&dec[..bytes.len()], &bytes[..]);
        }
    }

    #[test]
    fn numbers_roundtrip(n in any::<u64>()) {
        let mut b = [0u8; 20];
        let len = write_decimal(n, &mut b).unwrap();
        prop_assert_eq!(parse_number(&b[..len]), Ok(n));
        let mut h = [0u8; 18];
        let len = encode_hex(&n.to_be_bytes(), &mut h).unwrap();
        prop_assert_eq!(parse_number(&h[..len]), Ok(n));
    }

    #[test]
    fn serial_arithmetic(a in any::<u32>(), n in 1u32..0x8000_0000) {
        let a = Sn(a);
        let b = a.add(n);
        prop_assert!(a.lt(b) && b.gt(a) && a.le(b) && !b.le(a));
        prop_assert!(!a.gt(b) && !b.lt(a));
        prop_assert_eq!(a.distance_to(b), n);
        prop_assert_eq!(b.sub(n), a);
        prop_assert_eq!(i64::from(b.diff(a)), i64::from(n));
    }

    #[test]
    fn window_matches_definition(exp in any::<u32>(), size in 0u32..64, probe in 0u32..128) {
        let exp = Sn(exp);
        let max = exp.add(size).sub(1);
        let w = CmdWindow::new(exp, max).unwrap();
        prop_assert_eq!(w.size(), size);
        let c = exp.sub(32).add(probe);
        let inside = c.ge(exp) && c.le(max);
        prop_assert_eq!(w.may_send(c), inside && size > 0);
    }

    #[test]
    fn window_update_only_advances(exp in any::<u32>(), size in 0u32..1000, e2 in any::<u32>(), m2 in any::<u32>()) {
        let mut w = CmdWindow::new(Sn(exp), Sn(exp).add(size).sub(1)).unwrap();
        let before = w;
        let u = w.update(Sn(e2), Sn(m2));
        if u.ignored {
            prop_assert_eq!(w, before);
            prop_assert!(Sn(m2).lt(Sn(e2).sub(1)));
        }
        prop_assert!(w.exp_cmd_sn.ge(before.exp_cmd_sn) || w.exp_cmd_sn == before.exp_cmd_sn);
        prop_assert!(w.max_cmd_sn.ge(before.max_cmd_sn));
    }
}

//! Byte-exact tests against PDUs captured from real targets
//! (tests/data/*.txt, format in tests/common/mod.rs). Every capture file
//! is checked generically (decode, layout, digests, re-encode, text keys);
//! the tgt captures are also checked field by field.

mod common;

use common::{load, load_all, Crc, Dir, Record};
use iscsi_codec::ahs::CommandAhs;
use iscsi_codec::assembler::{Assembly, TextAssembler};
use iscsi_codec::bhs::Layout;
use iscsi_codec::digest::Crc32c;
use iscsi_codec::digest::{
    data_digest, digest_from_wire, verify_data_digest, verify_header_digest,
};
use iscsi_codec::error::CodecError;
use iscsi_codec::keys::{find, KeyValueIter};
use iscsi_codec::login::Stage;
use iscsi_codec::lun::Lun;
use iscsi_codec::pdu::{parse_pdu, write_pdu, Pdu};
use iscsi_codec::reject::Reject;
use iscsi_codec::scsi::{sense_data, ServiceResponse, TaskAttribute};
use iscsi_codec::serial::{CmdWindow, Sn};
use iscsi_codec::tmf::{TmfFunction, TmfResponse};

/// Decoded view of one record.
struct Decoded<'a> {
    pdu: Pdu,
    layout: Layout,
    ahs: &'a [u8],
    data: &'a [u8],
}

fn check_record<'a>(file: &str, r: &'a Record) -> Decoded<'a> {
    let at = format!("{file}:{} ({})", r.line, r.desc);
    assert!(r.bytes.len() >= 48, "{at}: shorter than a BHS");
    let bhs = r.bhs();
    let pdu = Pdu::decode(bhs).unwrap_or_else(|e| panic!("{at}: decode: {e}"));
    assert_eq!(
        pdu.opcode().is_initiator(),
        r.dir == Dir::I,
        "{at}: direction"
    );

    // Layout, from the typed header and from the raw BHS.
    let layout = pdu
        .layout(r.header_digest, r.data_digest, u32::MAX)
        .unwrap();
    assert_eq!(
        layout,
        Layout::of_bhs(bhs, r.header_digest, r.data_digest, u32::MAX).unwrap()
    );
    assert_eq!(layout.total(), r.bytes.len(), "{at}: layout total");
    // The data segment length limit is enforced.
    if layout.data_len > 0 {
        let dsl = pdu.data_segment_length();
        assert!(pdu.layout(false, false, dsl - 1).is_err());
    }

    // Re-encoding the decoded header gives the identical 48 bytes.
    let mut out = [0xa5u8; 48];
    pdu.encode(&mut out).unwrap();
    assert_eq!(&out, bhs, "{at}: re-encode");

    let ahs = &r.bytes[48..48 + layout.ahs_len];
    if let Pdu::ScsiCommand(_) = pdu {
        CommandAhs::parse(ahs).unwrap_or_else(|e| panic!("{at}: AHS: {e}"));
    }
    if r.header_digest {
        let off = 48 + layout.ahs_len;
        let wire: [u8; 4] = r.bytes[off..off + 4].try_into().unwrap();
        verify_header_digest(&Crc, bhs, ahs, wire).unwrap_or_else(|e| panic!("{at}: {e}"));
    }
    let d0 = layout.data_offset();
    let data = &r.bytes[d0..d0 + layout.data_len];
    let pad = &r.bytes[d0 + layout.data_len..d0 + layout.data_len + layout.pad_len];
    assert!(pad.iter().all(|&b| b == 0), "{at}: padding not zero");
    if layout.data_digest_len != 0 {
        let off = d0 + layout.data_len + layout.pad_len;
        let wire: [u8; 4] = r.bytes[off..off + 4].try_into().unwrap();
        verify_data_digest(&Crc, &r.bytes[d0..off], wire).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(data_digest(&Crc, data), digest_from_wire(wire), "{at}");
    }
    match pdu {
        Pdu::LoginRequest(_)
        | Pdu::LoginResponse(_)
        | Pdu::TextRequest(_)
        | Pdu::TextResponse(_) => {
            // (these captures have no C bit: each segment is complete)
            for kv in KeyValueIter::new(data) {
                kv.unwrap_or_else(|e| panic!("{at}: text: {e}"));
            }
        }
        Pdu::ScsiResponse(_) | Pdu::AsyncMessage(_) => {
            sense_data(data).unwrap_or_else(|e| panic!("{at}: sense: {e}"));
        }
        Pdu::Reject(_) => {
            let bad = Reject::rejected_bhs(data).expect("rejected BHS");
            let _ = Pdu::decode(bad);
        }
        _ => {}
    }

    // Whole-PDU helpers: parse (with digest checks) and rebuild byte-exact.
    let hd: Option<&dyn Crc32c> = if r.header_digest { Some(&Crc) } else { None };
    let dd: Option<&dyn Crc32c> = if r.data_digest { Some(&Crc) } else { None };
    let parsed =
        parse_pdu(&r.bytes, hd, dd, u32::MAX).unwrap_or_else(|e| panic!("{at}: parse_pdu: {e}"));
    assert_eq!(
        (parsed.pdu, parsed.layout, parsed.ahs, parsed.data),
        (pdu, layout, ahs, data)
    );
    let mut again = vec![0u8; r.bytes.len()];
    assert_eq!(
        write_pdu(&pdu, ahs, data, hd, dd, &mut again),
        Ok(r.bytes.len())
    );
    assert_eq!(again, r.bytes, "{at}: write_pdu");
    let short = &r.bytes[..r.bytes.len() - 1];
    assert!(matches!(
        parse_pdu(short, hd, dd, u32::MAX),
        Err(CodecError::BufferTooSmall { needed, .. }) if needed == r.bytes.len()
    ));
    Decoded {
        pdu,
        layout,
        ahs,
        data,
    }
}

#[test]
fn every_capture_decodes_reencodes_and_verifies() {
    let all = load_all();
    assert!(all.len() >= 3, "expected the tgt captures in tests/data");
    let mut n = 0;
    for cap in &all {
        let file = cap.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!cap.records.is_empty(), "{file}: no records");
        // Text spanning PDUs (C bit) is assembled per direction.
        let mut bufs = [[0u8; 65536], [0u8; 65536]];
        let [bi, bt] = &mut bufs;
        let mut asm = [TextAssembler::new(bi), TextAssembler::new(bt)];
        for r in &cap.records {
            let d = check_record(&file, r);
            n += 1;
            let cont = match d.pdu {
                Pdu::LoginRequest(p) => Some(p.continue_),
                Pdu::LoginResponse(p) => Some(p.continue_),
                Pdu::TextRequest(p) => Some(p.continue_),
                Pdu::TextResponse(p) => Some(p.continue_),
                _ => None,
            };
            if let Some(c) = cont {
                let a = &mut asm[usize::from(r.dir == Dir::T)];
                if a.push(d.data, c).unwrap() == Assembly::Complete {
                    assert!(a.pairs().all(|kv| kv.is_ok()));
                    a.reset();
                }
            }
        }
    }
    assert!(n >= 50, "only {n} PDUs checked");
}

/// A receive loop over the concatenated target byte stream: only the BHS
/// and the Layout decide how much to read, as in the kernel.
#[test]
fn receive_loop_over_target_streams() {
    for cap in load_all() {
        let recs: Vec<&Record> = cap.records.iter().filter(|r| r.dir == Dir::T).collect();
        let stream: Vec<u8> = recs.iter().flat_map(|r| r.bytes.iter().copied()).collect();
        let mut pos = 0;
        let mut window: Option<CmdWindow> = None;
        for r in recs {
            let bhs: &[u8; 48] = stream[pos..pos + 48].try_into().unwrap();
            let pdu = Pdu::decode(bhs).unwrap();
            let l = pdu.layout(r.header_digest, r.data_digest, 262_144).unwrap();
            pos += 48 + l.after_bhs();
            if let Some((exp, max)) = pdu.cmd_window() {
                match &mut window {
                    None => window = CmdWindow::new(exp, max),
                    Some(w) => {
                        w.update(exp, max);
                    }
                }
            }
        }
        assert_eq!(pos, stream.len(), "{}", cap.path.display());
        assert!(window.is_some());
    }
}

fn decode_at(r: &Record) -> (Pdu, Vec<u8>) {
    let d = check_record("", r);
    (d.pdu, d.data.to_vec())
}

#[test]
fn tgt_discovery_session() {
    let cap = load("tgt-discovery.txt");
    let r = &cap.records;
    assert_eq!(r.len(), 8);

    let (p, data) = decode_at(&r[0]);
    let Pdu::LoginRequest(l) = p else {
        panic!("{p:?}")
    };
    assert!(l.transit && !l.continue_);
    assert_eq!(
        (l.csg, l.nsg),
        (
            Stage::SecurityNegotiation,
            Stage::LoginOperationalNegotiation
        )
    );
    assert_eq!((l.version_max, l.version_min), (0, 0));
    assert_eq!(l.isid.0, [0x80, 0x12, 0x34, 0x56, 0x00, 0x01]);
    assert_eq!(
        (l.isid.t(), l.isid.a(), l.isid.b(), l.isid.c(), l.isid.d()),
        (2, 0, 0x1234, 0x56, 1)
    );
    assert_eq!((l.tsih, l.itt, l.cid), (0, 0x10, 0));
    assert_eq!((l.cmd_sn, l.exp_stat_sn), (Sn(1), Sn(0)));
    assert_eq!(l.data_segment_length, 0x53);
    assert_eq!(find(&data, "SessionType"), Ok(Some(&b"Discovery"[..])));
    assert_eq!(
        find(&data, "InitiatorName"),
        Ok(Some(&b"iqn.2026-11.test.codec:capture"[..]))
    );
    assert_eq!(find(&data, "AuthMethod"), Ok(Some(&b"None"[..])));

    let (p, data) = decode_at(&r[1]);
    let Pdu::LoginResponse(l) = p else {
        panic!("{p:?}")
    };
    assert!(l.transit && l.is_success());
    assert_eq!(
        (l.csg, l.nsg),
        (
            Stage::SecurityNegotiation,
            Stage::LoginOperationalNegotiation
        )
    );
    assert_eq!(
        (l.status_class, l.status_detail, l.tsih, l.itt),
        (0, 0, 0, 0x10)
    );
    assert_eq!(
        (l.stat_sn, l.exp_cmd_sn, l.max_cmd_sn),
        (Sn(0), Sn(1), Sn(2))
    );
    let kvs: Vec<_> = KeyValueIter::new(&data)
        .map(|kv| kv.unwrap())
        .map(|kv| (kv.key, kv.value))
        .collect();
    assert_eq!(
        kvs,
        [
            ("TargetPortalGroupTag", &b"1"[..]),
            ("AuthMethod", &b"None"[..])
        ]
    );

    let (p, _) = decode_at(&r[3]);
    let Pdu::LoginResponse(l) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (l.csg, l.nsg),
        (Stage::LoginOperationalNegotiation, Stage::FullFeaturePhase)
    );
    assert_eq!((l.tsih, l.stat_sn), (0x0100, Sn(1)));

    let (p, data) = decode_at(&r[4]);
    let Pdu::TextRequest(t) = p else {
        panic!("{p:?}")
    };
    assert!(t.immediate && t.final_bit && !t.continue_);
    assert_eq!(
        (t.itt, t.ttt, t.cmd_sn, t.exp_stat_sn),
        (0x11, 0xffff_ffff, Sn(1), Sn(2))
    );
    assert_eq!(data, b"SendTargets=All\0");

    let (p, data) = decode_at(&r[5]);
    let Pdu::TextResponse(t) = p else {
        panic!("{p:?}")
    };
    assert!(t.final_bit && !t.continue_);
    assert_eq!(
        (t.itt, t.ttt, t.stat_sn, t.exp_cmd_sn, t.max_cmd_sn),
        (0x11, 0xffff_ffff, Sn(2), Sn(1), Sn(2))
    );
    assert_eq!(t.data_segment_length, 73);
    assert_eq!(
        find(&data, "TargetName"),
        Ok(Some(&b"iqn.2026-11.test:codec-capture"[..]))
    );
    assert_eq!(
        find(&data, "TargetAddress"),
        Ok(Some(&b"127.0.0.1:3271,1"[..]))
    );

    let (p, _) = decode_at(&r[6]);
    let Pdu::LogoutRequest(lo) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (lo.itt, lo.cid, lo.cmd_sn, lo.exp_stat_sn),
        (0x12, 0, Sn(1), Sn(3))
    );
    let (p, _) = decode_at(&r[7]);
    let Pdu::LogoutResponse(lo) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (lo.itt, lo.stat_sn, lo.time2wait, lo.time2retain),
        (0x12, Sn(3), 0, 0)
    );
}

#[test]
fn tgt_normal_session() {
    let cap = load("tgt-session.txt");
    let r = &cap.records;
    assert_eq!(r.len(), 34);
    let lun1 = Lun::peripheral(0, 1);

    let (p, data) = decode_at(&r[3]);
    let Pdu::LoginResponse(l) = p else {
        panic!("{p:?}")
    };
    assert_eq!((l.tsih, l.isid.d()), (0x0100, 2));
    assert_eq!(find(&data, "MaxBurstLength"), Ok(Some(&b"16384"[..])));
    assert_eq!(find(&data, "ImmediateData"), Ok(Some(&b"No"[..])));

    // NOP-Out ping / NOP-In echo
    let (p, data) = decode_at(&r[4]);
    let Pdu::NopOut(n) = p else { panic!("{p:?}") };
    assert!(n.immediate);
    assert_eq!(
        (n.itt, n.ttt, n.cmd_sn, n.exp_stat_sn, n.lun),
        (0x11, 0xffff_ffff, Sn(1), Sn(2), Lun::ZERO)
    );
    assert_eq!(data, b"ping");
    let (p, data) = decode_at(&r[5]);
    let Pdu::NopIn(n) = p else { panic!("{p:?}") };
    assert_eq!(
        (n.itt, n.ttt, n.stat_sn, n.exp_cmd_sn, n.max_cmd_sn),
        (0x11, 0xffff_ffff, Sn(2), Sn(1), Sn(0x81))
    );
    assert_eq!(data, b"ping");

    // TEST UNIT READY -> CHECK CONDITION, UNIT ATTENTION (sense key 6, ASC 0x29)
    let (p, _) = decode_at(&r[6]);
    let Pdu::ScsiCommand(c) = p else {
        panic!("{p:?}")
    };
    assert!(c.final_bit && !c.read && !c.write && !c.immediate);
    assert_eq!(c.attr, TaskAttribute::Simple);
    assert_eq!(
        (c.lun, c.itt, c.expected_data_transfer_length),
        (lun1, 0x12, 0)
    );
    assert_eq!((c.cmd_sn, c.exp_stat_sn, c.cdb), (Sn(1), Sn(3), [0; 16]));
    let (p, data) = decode_at(&r[7]);
    let Pdu::ScsiResponse(s) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (s.response, s.status),
        (ServiceResponse::CommandCompleted, 0x02)
    );
    assert_eq!(
        (s.itt, s.stat_sn, s.exp_cmd_sn, s.max_cmd_sn),
        (0x12, Sn(3), Sn(2), Sn(0x82))
    );
    assert!(!s.residual_underflow && !s.residual_overflow);
    let (sense, rest) = sense_data(&data).unwrap();
    assert_eq!(sense.len(), 18);
    assert!(rest.is_empty());
    assert_eq!(
        (sense[0], sense[2] & 0xf, sense[12], sense[13]),
        (0x70, 0x06, 0x29, 0x00)
    );

    // INQUIRY 96 -> 66 bytes in one Data-In with status and underflow 30
    let (p, _) = decode_at(&r[10]);
    let Pdu::ScsiCommand(c) = p else {
        panic!("{p:?}")
    };
    assert!(c.read && !c.write && c.final_bit);
    assert_eq!(
        (c.expected_data_transfer_length, &c.cdb[..6]),
        (96, &[0x12, 0, 0, 0, 96, 0][..])
    );
    let (p, data) = decode_at(&r[11]);
    let Pdu::DataIn(d) = p else { panic!("{p:?}") };
    assert!(
        d.final_bit
            && d.status_present
            && d.residual_underflow
            && !d.residual_overflow
            && !d.acknowledge
    );
    assert_eq!(
        (d.status, d.itt, d.ttt, d.stat_sn),
        (0, 0x14, 0xffff_ffff, Sn(5))
    );
    assert_eq!(
        (
            d.data_sn,
            d.buffer_offset,
            d.residual_count,
            d.data_segment_length
        ),
        (Sn(0), 0, 30, 66)
    );
    assert_eq!(&data[8..16], b"IET     ");
    assert_eq!(p.stat_sn(), Some(Sn(5)));

    // READ CAPACITY(10): last LBA 0x7ff, block 512 (1 MiB)
    let (_, data) = decode_at(&r[13]);
    assert_eq!(data, [0, 0, 7, 0xff, 0, 0, 2, 0]);

    // WRITE(10) 16 blocks: R2T for 8192 bytes, two Data-Out of 4096
    let (p, _) = decode_at(&r[14]);
    let Pdu::ScsiCommand(c) = p else {
        panic!("{p:?}")
    };
    assert!(c.write && !c.read && c.final_bit);
    assert_eq!(
        (
            c.itt,
            c.expected_data_transfer_length,
            c.data_segment_length
        ),
        (0x16, 8192, 0)
    );
    let (p, _) = decode_at(&r[15]);
    let Pdu::R2t(t) = p else { panic!("{p:?}") };
    assert_eq!((t.lun, t.itt, t.ttt), (lun1, 0x16, 0x1013_b14e));
    assert_eq!(
        (t.stat_sn, t.exp_cmd_sn, t.max_cmd_sn),
        (Sn(7), Sn(6), Sn(0x86))
    );
    assert_eq!(
        (t.r2t_sn, t.buffer_offset, t.desired_data_transfer_length),
        (Sn(0), 0, 8192)
    );
    for (i, rec) in r[16..18].iter().enumerate() {
        let (p, data) = decode_at(rec);
        let Pdu::DataOut(o) = p else { panic!("{p:?}") };
        assert_eq!(o.final_bit, i == 1);
        assert_eq!(
            (o.lun, o.itt, o.ttt, o.exp_stat_sn),
            (lun1, 0x16, 0x1013_b14e, Sn(7))
        );
        assert_eq!(
            (o.data_sn, o.buffer_offset, o.data_segment_length),
            (Sn(i as u32), 4096 * i as u32, 4096)
        );
        assert_eq!(data.len(), 4096);
    }

    // READ(10) 16 blocks: two Data-In, the second with status
    let (p, _) = decode_at(&r[20]);
    let Pdu::DataIn(d) = p else { panic!("{p:?}") };
    assert!(!d.final_bit && !d.status_present);
    assert_eq!(
        (d.data_sn, d.buffer_offset, d.exp_cmd_sn, d.max_cmd_sn),
        (Sn(0), 0, Sn(7), Sn(0x87))
    );
    assert_eq!(p.stat_sn(), None);
    let (p, _) = decode_at(&r[21]);
    let Pdu::DataIn(d) = p else { panic!("{p:?}") };
    assert!(d.final_bit && d.status_present);
    assert_eq!(
        (d.data_sn, d.buffer_offset, d.stat_sn, d.residual_count),
        (Sn(1), 4096, Sn(8), 0)
    );

    // READ(10) past the end: CHECK CONDITION, ILLEGAL REQUEST 0x21, underflow 512
    let (p, data) = decode_at(&r[27]);
    let Pdu::ScsiResponse(s) = p else {
        panic!("{p:?}")
    };
    assert!(s.residual_underflow && !s.residual_overflow);
    assert_eq!((s.status, s.residual_count, s.stat_sn), (2, 512, Sn(0xb)));
    let (sense, _) = sense_data(&data).unwrap();
    assert_eq!((sense[2] & 0xf, sense[12]), (5, 0x21));

    // 32-byte CDB: TotalAHSLength 5 words, Extended CDB AHS of 16 bytes
    let d = check_record("", &r[28]);
    let Pdu::ScsiCommand(c) = d.pdu else { panic!() };
    assert_eq!((c.total_ahs_length, d.layout.ahs_len), (5, 20));
    let ahs = CommandAhs::parse(d.ahs).unwrap();
    assert_eq!(ahs.extended_cdb, Some(&[0u8; 16][..]));
    assert_eq!(ahs.bidi_read_expected_data_transfer_length, None);
    let mut cdb = [0u8; 64];
    assert_eq!(c.full_cdb(&ahs, &mut cdb), Ok(32));
    assert_eq!(&cdb[..8], &[0x7f, 0, 0, 0, 0, 0, 0, 0x18]);
    // set_cdb rebuilds the same header and AHS
    let mut c2 = c;
    let mut ahs2 = [0u8; 64];
    assert_eq!(c2.set_cdb(&cdb[..32], &mut ahs2), Ok(20));
    assert_eq!((c2, &ahs2[..20]), (c, d.ahs));

    // ABORT TASK of an unknown ITT -> "task does not exist"
    let (p, _) = decode_at(&r[30]);
    let Pdu::TaskMgmtRequest(t) = p else {
        panic!("{p:?}")
    };
    assert!(t.immediate);
    assert_eq!(
        (t.function, t.lun, t.itt, t.referenced_task_tag),
        (TmfFunction::AbortTask, lun1, 0x1c, 0x7777)
    );
    assert_eq!(
        (t.cmd_sn, t.exp_stat_sn, t.ref_cmd_sn),
        (Sn(0xb), Sn(0xd), Sn(0xb))
    );
    let (p, _) = decode_at(&r[31]);
    let Pdu::TaskMgmtResponse(t) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (t.response, t.itt, t.stat_sn),
        (TmfResponse::TaskDoesNotExist, 0x1c, Sn(0xd))
    );

    let (p, _) = decode_at(&r[33]);
    let Pdu::LogoutResponse(l) = p else {
        panic!("{p:?}")
    };
    assert_eq!(
        (l.itt, l.stat_sn, l.exp_cmd_sn, l.max_cmd_sn),
        (0x1d, Sn(0xe), Sn(0xb), Sn(0x8b))
    );
}

#[test]
fn tgt_session_with_digests() {
    let cap = load("tgt-digests.txt");
    let r = &cap.records;
    assert_eq!(r.len(), 18);
    // Login PDUs carry no digests; every PDU after the final Login Response does.
    assert!(r[..4].iter().all(|r| !r.header_digest && !r.data_digest));
    assert!(r[4..].iter().all(|r| r.header_digest));
    let (_, data) = decode_at(&r[3]);
    assert_eq!(find(&data, "HeaderDigest"), Ok(Some(&b"CRC32C"[..])));
    assert_eq!(find(&data, "DataDigest"), Ok(Some(&b"CRC32C"[..])));

    // NOP-Out with 6 data bytes: 2 bytes padding, both digests
    let d = check_record("", &r[4]);
    assert_eq!(
        (
            d.layout.data_len,
            d.layout.pad_len,
            d.layout.header_digest_len,
            d.layout.data_digest_len
        ),
        (6, 2, 4, 4)
    );
    assert_eq!(d.data, b"digest");
    assert_eq!(r[4].bytes.len(), 48 + 4 + 8 + 4);

    // A PDU without data has no data digest even with DataDigest=CRC32C
    let d = check_record("", &r[6]);
    assert_eq!((d.layout.data_digest_len, d.layout.total()), (0, 52));

    // WRITE with 1024 bytes of immediate data, then unsolicited Data-Out
    let (p, data) = decode_at(&r[10]);
    let Pdu::ScsiCommand(c) = p else {
        panic!("{p:?}")
    };
    assert!(c.write && !c.final_bit);
    assert_eq!(
        (
            c.expected_data_transfer_length,
            c.data_segment_length,
            data.len()
        ),
        (2048, 1024, 1024)
    );
    let (p, _) = decode_at(&r[12]);
    let Pdu::DataOut(o) = p else { panic!("{p:?}") };
    assert!(o.final_bit);
    assert_eq!(
        (o.ttt, o.data_sn, o.buffer_offset),
        (0xffff_ffff, Sn(1), 1536)
    );

    // A corrupted byte is caught by the digests.
    let rec = &r[15];
    let bhs = *rec.bhs();
    let mut bad = bhs;
    bad[40] ^= 1;
    let wire: [u8; 4] = rec.bytes[48..52].try_into().unwrap();
    assert!(verify_header_digest(&Crc, &bhs, &[], wire).is_ok());
    assert!(verify_header_digest(&Crc, &bad, &[], wire).is_err());
    let mut body = rec.bytes[52..52 + 2048].to_vec();
    let dwire: [u8; 4] = rec.bytes[52 + 2048..].try_into().unwrap();
    assert!(verify_data_digest(&Crc, &body, dwire).is_ok());
    body[100] ^= 0x80;
    assert!(verify_data_digest(&Crc, &body, dwire).is_err());
}

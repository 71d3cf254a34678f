//! Fuzz the receive path: BHS decoding, Layout, AHS parsing, digests and
//! the data segment helpers, on arbitrary bytes. Input: one flags byte
//! (bit 0: HeaderDigest, bit 1: DataDigest), a 48-byte BHS, then whatever
//! the Layout says (AHS, header digest, data, padding, data digest).
#![no_main]

use iscsi_codec::ahs::{AhsIter, CommandAhs};
use iscsi_codec::bhs::Layout;
use iscsi_codec::digest::{verify_data_digest, verify_header_digest, Crc32c};
use iscsi_codec::keys::KeyValueIter;
use iscsi_codec::pdu::{parse_pdu, write_pdu, Pdu};
use iscsi_codec::reject::Reject;
use iscsi_codec::scsi::sense_data;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/bitwise_crc.rs"]
mod bitwise_crc;

/// Bitwise CRC32C (the codec itself has none).
struct Bitwise;
impl Crc32c for Bitwise {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        bitwise_crc::crc32c_append(crc, bytes)
    }
}

fn word(b: &[u8]) -> Option<[u8; 4]> {
    b.get(..4)?.try_into().ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let Some((bhs, rest)) = data.split_first_chunk::<48>() else {
        let _ = CommandAhs::parse(data);
        return;
    };
    let hd = flags & 1 != 0;
    let dd = flags & 2 != 0;
    let hcrc: Option<&dyn Crc32c> = if hd { Some(&Bitwise) } else { None };
    let dcrc: Option<&dyn Crc32c> = if dd { Some(&Bitwise) } else { None };
    if let Ok(p) = parse_pdu(data, hcrc, dcrc, 1 << 20) {
        // A PDU that parses (digests included) can be rebuilt.
        let mut out = vec![0u8; p.layout.total()];
        assert_eq!(
            write_pdu(&p.pdu, p.ahs, p.data, hcrc, dcrc, &mut out),
            Ok(out.len())
        );
        let l = p.layout;
        let d0 = l.data_offset();
        assert_eq!(&out[48..48 + l.ahs_len], p.ahs);
        assert_eq!(&out[d0..d0 + l.data_len], p.data);
        // Byte-exact when the input was canonical (reserved bits and
        // padding zero): only then do the digests match too.
        let pad = &data[d0 + l.data_len..d0 + l.data_len + l.pad_len];
        if out[..48] == data[..48] && pad.iter().all(|&b| b == 0) {
            assert_eq!(&out[..], &data[..out.len()]);
        }
    }
    let _ = Layout::of_bhs(bhs, hd, dd, 8192);
    let Ok(pdu) = Pdu::decode(bhs) else { return };

    // Whatever decodes must re-encode to something that decodes the same.
    let mut out = [0u8; 48];
    pdu.encode(&mut out).expect("re-encode of a decoded header");
    assert_eq!(Pdu::decode(&out), Ok(pdu));
    assert_eq!(out[0] & 0x3f, bhs[0] & 0x3f);
    let _ = (pdu.itt(), pdu.stat_sn(), pdu.cmd_window());

    let Ok(l) = pdu.layout(hd, dd, 1 << 16) else {
        return;
    };
    assert_eq!(l.total(), 48 + l.after_bhs());
    let Some(ahs) = rest.get(..l.ahs_len) else {
        return;
    };
    if let Pdu::ScsiCommand(c) = pdu {
        if let Ok(a) = CommandAhs::parse(ahs) {
            let mut cdb = [0u8; 1100];
            let _ = c.full_cdb(&a, &mut cdb);
        }
    }
    for a in AhsIter::new(ahs) {
        let _ = a;
    }
    let mut pos = l.ahs_len;
    if hd {
        let Some(w) = rest.get(pos..).and_then(word) else {
            return;
        };
        let _ = verify_header_digest(&Bitwise, bhs, ahs, w);
        pos += 4;
    }
    let Some(seg) = rest.get(pos..pos + l.data_len) else {
        return;
    };
    match pdu {
        Pdu::ScsiResponse(_) | Pdu::AsyncMessage(_) => {
            let _ = sense_data(seg);
        }
        Pdu::LoginRequest(_)
        | Pdu::LoginResponse(_)
        | Pdu::TextRequest(_)
        | Pdu::TextResponse(_) => {
            for kv in KeyValueIter::new(seg) {
                let _ = kv;
            }
        }
        Pdu::Reject(_) => {
            if let Some(b) = Reject::rejected_bhs(seg) {
                let _ = Pdu::decode(b);
            }
        }
        _ => {}
    }
    if l.data_digest_len != 0 {
        let end = pos + l.data_len + l.pad_len;
        if let (Some(padded), Some(w)) = (rest.get(pos..end), rest.get(end..).and_then(word)) {
            let _ = verify_data_digest(&Bitwise, padded, w);
        }
    }
});

//! CRC32C as iSCSI uses it: RFC 3720 appendix B.4 test vectors (kept by
//! RFC 7143), through the `Crc32c` trait with the `crc32c` crate.

mod common;

use common::Crc;
use iscsi_codec::digest::{data_digest, digest_to_wire, header_digest, Crc32c, DataDigest};
use iscsi_codec::pdu::Pdu;
use iscsi_codec::scsi::TaskAttribute;
use iscsi_codec::serial::Sn;

#[test]
fn rfc3720_b4_vectors() {
    let wire = |b: &[u8]| digest_to_wire(Crc.append(0, b));
    assert_eq!(wire(&[0u8; 32]), [0xaa, 0x36, 0x91, 0x8a]);
    assert_eq!(wire(&[0xffu8; 32]), [0x43, 0xab, 0xa8, 0x62]);
    let inc: Vec<u8> = (0..32).collect();
    assert_eq!(wire(&inc), [0x4e, 0x79, 0xdd, 0x46]);
    let dec: Vec<u8> = (0..32).rev().collect();
    assert_eq!(wire(&dec), [0x5c, 0xdb, 0x3f, 0x11]);
}

/// The last B.4 vector is a SCSI READ(10) Command PDU; it also decodes.
#[test]
fn rfc3720_b4_read10_pdu() {
    let bhs: [u8; 48] = [
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
        0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ];
    assert_eq!(
        digest_to_wire(header_digest(&Crc, &bhs, &[])),
        [0x56, 0x3a, 0x96, 0xd9]
    );
    let Ok(Pdu::ScsiCommand(c)) = Pdu::decode(&bhs) else {
        panic!()
    };
    assert!(c.final_bit && c.read && !c.write);
    assert_eq!(c.attr, TaskAttribute::Untagged);
    assert_eq!(
        (c.itt, c.expected_data_transfer_length),
        (0x1400_0000, 1024)
    );
    assert_eq!((c.cmd_sn, c.exp_stat_sn), (Sn(0x14), Sn(0x18)));
    assert_eq!(c.cdb[0], 0x28);
    assert_eq!(c.cdb[8], 0x02);
}

#[test]
fn data_digest_covers_padding() {
    for len in 0..12usize {
        let data: Vec<u8> = (0..len as u8).collect();
        let mut padded = data.clone();
        padded.resize(len.div_ceil(4) * 4, 0);
        assert_eq!(data_digest(&Crc, &data), crc32c::crc32c(&padded));
        let mut d = DataDigest::new(Crc);
        for chunk in data.chunks(3) {
            d.update(chunk);
        }
        assert_eq!(d.finish(), crc32c::crc32c(&padded));
    }
}

#[test]
fn header_digest_covers_ahs() {
    let bhs = [7u8; 48];
    let ahs = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let mut all = bhs.to_vec();
    all.extend_from_slice(&ahs);
    assert_eq!(header_digest(&Crc, &bhs, &ahs), crc32c::crc32c(&all));
}

#[cfg(feature = "std-crc")]
#[test]
fn std_crc_feature() {
    use iscsi_codec::std_crc::SoftCrc32c;
    assert_eq!(
        digest_to_wire(SoftCrc32c.append(0, &[0u8; 32])),
        [0xaa, 0x36, 0x91, 0x8a]
    );
}

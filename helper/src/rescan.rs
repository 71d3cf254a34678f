//! `iscsi-init rescan`: new LUNs appear, removed ones go, without a new
//! login (as `iscsiadm -m session -R`, plus the removal that
//! `rescan-scsi-bus.sh -r` does).
//!
//! For a session's SCSI host: the midlayer scans it (`scan` in sysfs, which
//! sends REPORT LUNS and adds the LUNs it does not know), then REPORT LUNS
//! (SPC-4 §6.33) is sent through `SG_IO` to one of the host's devices, and
//! every device whose LUN the target no longer reports is deleted
//! (`delete` in sysfs). Nothing is deleted when no device answers REPORT
//! LUNS. The daemon runs the same for a session whose target reported
//! REPORTED LUNS DATA HAS CHANGED (`EVENT_LUNS_CHANGED`).

use std::fs::{self, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sysfs::{self, ScsiDevice};

/// `struct sg_io_hdr` of `<scsi/sg.h>` (the v3 `SG_IO` interface).
#[repr(C)]
struct SgIoHdr {
    interface_id: i32,
    dxfer_direction: i32,
    cmd_len: u8,
    mx_sb_len: u8,
    iovec_count: u16,
    dxfer_len: u32,
    dxferp: *mut u8,
    cmdp: *const u8,
    sbp: *mut u8,
    timeout: u32,
    flags: u32,
    pack_id: i32,
    usr_ptr: *mut u8,
    status: u8,
    masked_status: u8,
    msg_status: u8,
    sb_len_wr: u8,
    host_status: u16,
    driver_status: u16,
    resid: i32,
    duration: u32,
    info: u32,
}

/// `SG_DXFER_FROM_DEV`.
const SG_DXFER_FROM_DEV: i32 = -3;
/// `SG_IO`, on a block device or an sg node.
const SG_IO: u64 = 0x2285;
mod ioctl {
    #![allow(missing_docs)]
    nix::ioctl_readwrite_bad!(sg_io, super::SG_IO, super::SgIoHdr);
}
use ioctl::sg_io;

/// Bytes of the REPORT LUNS allocation: 8 header bytes + 1023 LUNs.
const REPORT_LUNS_LEN: usize = 8 + 8 * 1023;
/// Milliseconds a REPORT LUNS may take.
const REPORT_LUNS_TIMEOUT_MS: u32 = 30_000;

/// The Linux LUN number of an 8-byte SAM LUN (the kernel's
/// `scsilun_to_int`: each 2-byte level, first level lowest).
pub fn scsilun_to_int(l: &[u8; 8]) -> u64 {
    let mut lun = 0u64;
    for i in (0..8).step_by(2) {
        lun |= (u64::from(l[i]) << ((i + 1) * 8)) | (u64::from(l[i + 1]) << (i * 8));
    }
    lun
}

/// The LUNs of REPORT LUNS parameter data (SPC-4 §6.33.2): the LUN list
/// length, 4 reserved bytes, then 8 bytes a LUN.
///
/// # Errors
///
/// A list shorter than its header.
pub fn parse_report_luns(data: &[u8]) -> Result<Vec<u64>> {
    let Some(head) = data.get(..8) else {
        return Err(Error::other("REPORT LUNS: short parameter data"));
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let list = data.get(8..).unwrap_or(&[]);
    let n = (len / 8).min(list.len() / 8);
    Ok(list
        .chunks_exact(8)
        .take(n)
        .map(|c| {
            let mut l = [0u8; 8];
            l.copy_from_slice(c);
            scsilun_to_int(&l)
        })
        .collect())
}

/// Sends REPORT LUNS (select report 0: every LUN) through `SG_IO` to
/// `node` (`/dev/sdX` or `/dev/sgN`).
///
/// # Errors
///
/// The device cannot be opened, the ioctl fails, or the command does not
/// end with status GOOD.
pub fn report_luns(node: &Path) -> Result<Vec<u64>> {
    let f = OpenOptions::new()
        .read(true)
        .open(node)
        .map_err(|e| Error::other(format!("{}: {e}", node.display())))?;
    let mut data = vec![0u8; REPORT_LUNS_LEN];
    let len = REPORT_LUNS_LEN as u32;
    let cdb: [u8; 12] = [
        0xa0,
        0,
        0,
        0,
        0,
        0,
        (len >> 24) as u8,
        (len >> 16) as u8,
        (len >> 8) as u8,
        len as u8,
        0,
        0,
    ];
    let mut sense = [0u8; 32];
    let mut h = SgIoHdr {
        interface_id: i32::from(b'S'),
        dxfer_direction: SG_DXFER_FROM_DEV,
        cmd_len: cdb.len() as u8,
        mx_sb_len: sense.len() as u8,
        iovec_count: 0,
        dxfer_len: len,
        dxferp: data.as_mut_ptr(),
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: REPORT_LUNS_TIMEOUT_MS,
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // SAFETY: `h` is a valid sg_io_hdr; its CDB, data and sense pointers
    // point to live buffers of the lengths it gives, which outlive the
    // (synchronous) ioctl; the fd is open.
    unsafe { sg_io(f.as_raw_fd(), &mut h) }
        .map_err(|e| Error::other(format!("{}: SG_IO: {}", node.display(), e.desc())))?;
    if h.status != 0 || h.host_status != 0 || h.driver_status != 0 {
        return Err(Error::other(format!(
            "{}: REPORT LUNS failed (status {:#x}, host {:#x}, driver {:#x})",
            node.display(),
            h.status,
            h.host_status,
            h.driver_status
        )));
    }
    let got = data.len().saturating_sub(h.resid.max(0) as usize);
    data.truncate(got);
    parse_report_luns(&data)
}

/// What a rescan of one host did.
#[derive(Clone, Debug, Serialize)]
pub struct HostRescan {
    /// SCSI host number.
    pub host_no: u32,
    /// Devices that appeared.
    pub added: Vec<ScsiDevice>,
    /// Devices deleted because the target no longer reports their LUN.
    pub removed: Vec<ScsiDevice>,
    /// Why removed LUNs were not looked for (no device answered REPORT
    /// LUNS), if so.
    pub removal_skipped: Option<String>,
    /// The devices now.
    pub devices: Vec<ScsiDevice>,
}

/// The node to send REPORT LUNS to for `d`: its block device, else its sg
/// node.
fn node_of(sys: &Path, d: &ScsiDevice) -> Option<String> {
    if let Some(b) = &d.block {
        return Some(b.clone());
    }
    let dir = sys
        .join("bus/scsi/devices")
        .join(&d.hctl)
        .join("scsi_generic");
    let sg = fs::read_dir(dir).ok()?.flatten().next()?;
    Some(format!("/dev/{}", sg.file_name().to_string_lossy()))
}

/// Rescans host `host_no`: scan, then delete the devices whose LUN the
/// target no longer reports; waits up to `timeout` for the new disks'
/// block devices.
///
/// # Errors
///
/// The scan cannot be started (sysfs), or a removal fails.
pub fn rescan_host(host_no: u32, timeout: Duration) -> Result<HostRescan> {
    let sys = Path::new(sysfs::SYSFS);
    let before = sysfs::devices_of_host(sys, host_no);
    let scan = sys.join(format!("class/scsi_host/host{host_no}/scan"));
    fs::write(&scan, "- - -").map_err(|e| Error::other(format!("{}: {e}", scan.display())))?;
    // Which LUNs the target reports now.
    let mut reported = None;
    let mut why = String::from("no device to send REPORT LUNS to");
    for d in sysfs::devices_of_host(sys, host_no) {
        let Some(node) = node_of(sys, &d) else {
            continue;
        };
        match report_luns(Path::new(&node)) {
            Ok(l) => {
                reported = Some(l);
                break;
            }
            Err(e) => why = e.to_string(),
        }
    }
    let mut removed = Vec::new();
    if let Some(luns) = &reported {
        for d in sysfs::devices_of_host(sys, host_no) {
            if luns.contains(&d.lun) {
                continue;
            }
            let del = sys.join("bus/scsi/devices").join(&d.hctl).join("delete");
            fs::write(&del, "1").map_err(|e| Error::other(format!("{}: {e}", del.display())))?;
            removed.push(d);
        }
    }
    // With no LUN left there is nothing to wait for.
    let devices = if reported.as_ref().is_some_and(|l| l.is_empty()) {
        sysfs::devices_of_host(sys, host_no)
    } else {
        sysfs::wait_for_devices(sys, host_no, timeout, Duration::from_millis(300)).0
    };
    let added = devices
        .iter()
        .filter(|d| !before.iter().any(|b| b.hctl == d.hctl))
        .cloned()
        .collect();
    Ok(HostRescan {
        host_no,
        added,
        removed,
        removal_skipped: reported.is_none().then_some(why),
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lun_numbers_as_the_kernel_has_them() {
        assert_eq!(scsilun_to_int(&[0, 0, 0, 0, 0, 0, 0, 0]), 0);
        assert_eq!(scsilun_to_int(&[0, 5, 0, 0, 0, 0, 0, 0]), 5);
        // Flat space addressing (01b): LUN 300 is 0x412c.
        assert_eq!(scsilun_to_int(&[0x41, 0x2c, 0, 0, 0, 0, 0, 0]), 0x412c);
        // Second level.
        assert_eq!(scsilun_to_int(&[0, 1, 0, 2, 0, 0, 0, 0]), 0x0002_0001);
    }

    #[test]
    fn report_luns_data() {
        let mut d = vec![0, 0, 0, 16, 0, 0, 0, 0];
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        d.extend_from_slice(&[0, 3, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse_report_luns(&d).unwrap(), [0, 3]);
        // A list length beyond the data returned: what arrived counts.
        d[3] = 64;
        assert_eq!(parse_report_luns(&d).unwrap(), [0, 3]);
        // Fewer than the data: the length counts.
        d[3] = 8;
        assert_eq!(parse_report_luns(&d).unwrap(), [0]);
        assert!(parse_report_luns(&[0, 0]).is_err());
        assert!(parse_report_luns(&[0; 8]).unwrap().is_empty());
    }
}

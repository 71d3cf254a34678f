//! SCSI devices of a SCSI host, from sysfs: `/sys/bus/scsi/devices/H:C:T:L`
//! (the children of `/sys/class/scsi_host/hostH/device`), each with its
//! `type`, `vendor`, `model` and `block/sdX`; and the module's data path
//! counters of a host, `/sys/class/scsi_host/hostH/iscsi_*`
//! (Documentation/ioctl-abi.rst, "sysfs").

use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Default sysfs mount point.
pub const SYSFS: &str = "/sys";

/// One SCSI device (LUN) of a host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScsiDevice {
    /// `H:C:T:L`.
    pub hctl: String,
    /// LUN.
    pub lun: u64,
    /// SCSI peripheral device type (0 = disk, 5 = CD/DVD, 12 = controller...).
    pub device_type: Option<u32>,
    /// Vendor identification.
    pub vendor: String,
    /// Product identification.
    pub model: String,
    /// Block device path (`/dev/sdX`), once the disk driver created it.
    pub block: Option<String>,
}

/// The data path counters of one of the module's SCSI hosts (one
/// session), from its sysfs attributes (Documentation/kmod.rst).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DataPathCounters {
    /// Commands `queuecommand` sent itself (`iscsi_tx_inline_sends`).
    pub tx_inline_sends: u64,
    /// Sends by the transmit work item (`iscsi_tx_work_sends`).
    pub tx_work_sends: u64,
    /// Times the socket's `data_ready` callback left the reading to the
    /// receive thread (`iscsi_rx_thread_reads`).
    pub rx_thread_reads: u64,
    /// Bytes of write data sent from a copy, not zero-copy
    /// (`iscsi_tx_copied_bytes`).
    pub tx_copied_bytes: u64,
}

/// The data path counters of host `host_no`, read from
/// `SYSFS/class/scsi_host/hostH/`; `None` if any is missing or not a
/// number (a module older than these attributes, or the host is gone).
pub fn data_path_counters(sysfs: &Path, host_no: u32) -> Option<DataPathCounters> {
    let dir = sysfs.join(format!("class/scsi_host/host{host_no}"));
    let read = |name: &str| read_trim(&dir.join(name)).parse::<u64>().ok();
    Some(DataPathCounters {
        tx_inline_sends: read("iscsi_tx_inline_sends")?,
        tx_work_sends: read("iscsi_tx_work_sends")?,
        rx_thread_reads: read("iscsi_rx_thread_reads")?,
        tx_copied_bytes: read("iscsi_tx_copied_bytes")?,
    })
}

/// Peripheral device types that get a block device (disk, optical, RBC, ZBC).
fn expects_block(t: Option<u32>) -> bool {
    matches!(t, Some(0) | Some(5) | Some(7) | Some(14) | Some(20))
}

fn read_trim(p: &Path) -> String {
    fs::read_to_string(p)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The SCSI devices of host `host_no`, sorted by LUN.
pub fn devices_of_host(sysfs: &Path, host_no: u32) -> Vec<ScsiDevice> {
    let dir = sysfs.join("bus/scsi/devices");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let parts: Vec<&str> = name.split(':').collect();
        if parts.len() != 4 || parts[0].parse::<u32>().ok() != Some(host_no) {
            continue;
        }
        let Ok(lun) = parts[3].parse::<u64>() else {
            continue;
        };
        let p = e.path();
        let device_type = read_trim(&p.join("type")).parse::<u32>().ok();
        let block = fs::read_dir(p.join("block"))
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|b| b.ok())
            .map(|b| format!("/dev/{}", b.file_name().to_string_lossy()));
        out.push(ScsiDevice {
            hctl: name.clone(),
            lun,
            device_type,
            vendor: read_trim(&p.join("vendor")),
            model: read_trim(&p.join("model")),
            block,
        });
    }
    out.sort_by(|a, b| (a.lun, &a.hctl).cmp(&(b.lun, &b.hctl)));
    out
}

/// Poll until the LUN scan of `host_no` settled: at least one device, every
/// disk-like device has its block node, and nothing changed for `settle`.
/// Returns what exists at the deadline otherwise (and `false`).
pub fn wait_for_devices(
    sysfs: &Path,
    host_no: u32,
    timeout: Duration,
    settle: Duration,
) -> (Vec<ScsiDevice>, bool) {
    let start = Instant::now();
    let mut last = devices_of_host(sysfs, host_no);
    let mut stable_since = Instant::now();
    loop {
        let ready = !last.is_empty()
            && last
                .iter()
                .all(|d| !expects_block(d.device_type) || d.block.is_some());
        if ready && stable_since.elapsed() >= settle {
            return (last, true);
        }
        if start.elapsed() >= timeout {
            return (last, false);
        }
        sleep(Duration::from_millis(100));
        let now = devices_of_host(sysfs, host_no);
        if now != last {
            last = now;
            stable_since = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkdev(root: &Path, hctl: &str, t: u32, block: Option<&str>) {
        let d = root.join("bus/scsi/devices").join(hctl);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("type"), format!("{t}\n")).unwrap();
        fs::write(d.join("vendor"), "IET     \n").unwrap();
        fs::write(d.join("model"), "VIRTUAL-DISK    \n").unwrap();
        if let Some(b) = block {
            fs::create_dir_all(d.join("block").join(b)).unwrap();
        }
    }

    #[test]
    fn lists_and_waits() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        mkdev(root, "7:0:0:0", 12, None);
        mkdev(root, "7:0:0:1", 0, Some("sdb"));
        mkdev(root, "8:0:0:1", 0, Some("sdc"));
        let d = devices_of_host(root, 7);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].lun, 0);
        assert_eq!(d[1].block.as_deref(), Some("/dev/sdb"));
        assert_eq!(d[1].vendor, "IET");
        let (d, ok) = wait_for_devices(root, 7, Duration::from_secs(2), Duration::from_millis(200));
        assert!(ok);
        assert_eq!(d.len(), 2);
        // A disk without its block node: not settled.
        mkdev(root, "9:0:0:1", 0, None);
        let (d, ok) = wait_for_devices(
            root,
            9,
            Duration::from_millis(300),
            Duration::from_millis(100),
        );
        assert!(!ok);
        assert_eq!(d.len(), 1);
        // Nothing at all.
        let (d, ok) = wait_for_devices(
            root,
            10,
            Duration::from_millis(200),
            Duration::from_millis(100),
        );
        assert!(!ok && d.is_empty());
    }

    #[test]
    fn reads_data_path_counters() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(data_path_counters(root, 3), None);
        let h = root.join("class/scsi_host/host3");
        fs::create_dir_all(&h).unwrap();
        fs::write(h.join("iscsi_tx_inline_sends"), "0\n").unwrap();
        fs::write(h.join("iscsi_tx_work_sends"), "64\n").unwrap();
        fs::write(h.join("iscsi_rx_thread_reads"), "7\n").unwrap();
        // One missing: no counters rather than a made-up zero.
        assert_eq!(data_path_counters(root, 3), None);
        fs::write(h.join("iscsi_tx_copied_bytes"), "garbage\n").unwrap();
        assert_eq!(data_path_counters(root, 3), None);
        fs::write(h.join("iscsi_tx_copied_bytes"), "4096\n").unwrap();
        assert_eq!(
            data_path_counters(root, 3),
            Some(DataPathCounters {
                tx_inline_sends: 0,
                tx_work_sends: 64,
                rx_thread_reads: 7,
                tx_copied_bytes: 4096,
            })
        );
        assert_eq!(data_path_counters(root, 4), None);
    }
}

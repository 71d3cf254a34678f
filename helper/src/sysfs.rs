//! SCSI devices of a SCSI host, from sysfs: `/sys/bus/scsi/devices/H:C:T:L`
//! (the children of `/sys/class/scsi_host/hostH/device`), each with its
//! `type`, `vendor`, `model` and `block/sdX`.

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
}

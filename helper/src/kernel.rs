//! The ioctl interface of /dev/iscsi_init (ABI in `abi/src/iscsi_init_abi.rs`,
//! Documentation/ioctl-abi.rst). This is the only module of the helper with
//! `unsafe` code: one block per ioctl, each with its SAFETY argument.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;

use iscsi_init_abi as abi;
use nix::errno::Errno;

use crate::error::{Error, Kind, Result};

/// The control device of the module.
pub const DEVICE: &str = "/dev/iscsi_init";

/// The raw ioctl wrappers (private: only [`Device`] calls them).
mod sys {
    use super::abi;
    use nix::{ioctl_read_bad, ioctl_readwrite_bad, ioctl_write_ptr_bad};

    ioctl_read_bad!(ioc_version, abi::IOC_VERSION, abi::AbiHeader);
    ioctl_readwrite_bad!(ioc_conn_bind, abi::IOC_CONN_BIND, abi::ConnBind);
    ioctl_write_ptr_bad!(
        ioc_session_remove,
        abi::IOC_SESSION_REMOVE,
        abi::SessionRemove
    );
    ioctl_readwrite_bad!(ioc_session_list, abi::IOC_SESSION_LIST, abi::SessionList);
    ioctl_readwrite_bad!(ioc_session_stats, abi::IOC_SESSION_STATS, abi::SessionStats);
}
use sys::{ioc_conn_bind, ioc_session_list, ioc_session_remove, ioc_session_stats, ioc_version};

/// An open /dev/iscsi_init whose ABI version was checked.
#[derive(Debug)]
pub struct Device {
    file: File,
}

fn ioctl_error(what: &str, e: Errno) -> Error {
    let detail = match e {
        Errno::EPERM | Errno::EACCES => {
            "permission denied (needs CAP_SYS_ADMIN: run as root)".to_string()
        }
        Errno::EOPNOTSUPP => format!(
            "the module does not speak ABI version {} (rebuild the helper or the module)",
            abi::ABI_VERSION
        ),
        Errno::ENOTTY => {
            "the device does not know this ioctl (module and helper do not match)".to_string()
        }
        _ => format!("{} ({})", e.desc(), e),
    };
    Error::kernel(format!("{what} failed: {detail}"))
}

/// A zeroed `SessionInfo`, the element of the `IOC_SESSION_LIST` buffer.
pub fn empty_session_info() -> abi::SessionInfo {
    abi::SessionInfo::new()
}

impl Device {
    /// Open the device and check the module's ABI version.
    pub fn open() -> Result<Device> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(DEVICE)
            .map_err(|e| match e.raw_os_error().map(Errno::from_raw) {
                Some(Errno::ENOENT) => Error::kernel(format!(
                    "{DEVICE} not found: is the iscsi_init module loaded?"
                )),
                Some(Errno::ENXIO) | Some(Errno::ENODEV) => Error::kernel(format!(
                    "{DEVICE} has no driver: is the iscsi_init module loaded?"
                )),
                Some(Errno::EACCES) | Some(Errno::EPERM) => {
                    Error::kernel(format!("permission denied opening {DEVICE}: run as root"))
                }
                _ => Error::kernel(format!(
                    "cannot open {DEVICE}: {}",
                    crate::error::strip_os_error(&e)
                )),
            })?;
        let dev = Device { file };
        let v = dev.version()?;
        if v.version != abi::ABI_VERSION {
            return Err(Error::kernel(format!(
                "the iscsi_init module speaks ABI version {}, this helper version {}",
                v.version,
                abi::ABI_VERSION
            )));
        }
        Ok(dev)
    }

    /// `IOC_VERSION`: the module's ABI version and largest argument size.
    pub fn version(&self) -> Result<abi::AbiHeader> {
        let mut h = abi::AbiHeader::default();
        // SAFETY: the fd is an open /dev/iscsi_init; IOC_VERSION writes one
        // AbiHeader (its size is encoded in the request number) to the
        // pointer, which points to a live, properly aligned AbiHeader.
        unsafe { ioc_version(self.file.as_raw_fd(), &mut h) }
            .map_err(|e| ioctl_error("IOC_VERSION", e))?;
        Ok(h)
    }

    /// `IOC_CONN_BIND`: hand a logged-in socket to the module. On success
    /// `bind.session_id` and `bind.host_no` are filled in.
    pub fn conn_bind(&self, bind: &mut abi::ConnBind) -> Result<()> {
        bind.hdr = abi::AbiHeader::for_type::<abi::ConnBind>();
        // SAFETY: `bind` is a live, aligned ConnBind of exactly the size in
        // the request number; the module reads it and writes session_id and
        // host_no back into it. `bind.fd` is an open socket owned by the
        // caller for the duration of the call (the module takes its own
        // reference).
        unsafe { ioc_conn_bind(self.file.as_raw_fd(), bind) }.map_err(|e| match e {
            Errno::EBADF | Errno::ENOTSOCK => {
                Error::kernel("IOC_CONN_BIND failed: the module did not accept the socket")
            }
            Errno::ENOENT => Error::kernel(format!(
                "IOC_CONN_BIND failed: session {} does not exist",
                bind.session_id
            )),
            Errno::EBUSY => Error::kernel(format!(
                "IOC_CONN_BIND failed: session {} is not waiting for a new connection",
                bind.session_id
            )),
            Errno::EINVAL => Error::kernel(
                "IOC_CONN_BIND failed: the module rejected the session parameters (EINVAL)",
            ),
            e => ioctl_error("IOC_CONN_BIND", e),
        })?;
        Ok(())
    }

    /// `IOC_SESSION_REMOVE`: log a session out and remove it.
    /// `logout_timeout` in seconds, 0 for the module's default.
    pub fn session_remove(&self, session_id: u32, force: bool, logout_timeout: u32) -> Result<()> {
        let arg = abi::SessionRemove {
            hdr: abi::AbiHeader::for_type::<abi::SessionRemove>(),
            session_id,
            flags: if force { abi::REMOVE_FORCE } else { 0 },
            logout_timeout,
            reserved: [0; 3],
        };
        // SAFETY: `arg` is a live, aligned SessionRemove of exactly the size
        // in the request number; the module only reads it.
        unsafe { ioc_session_remove(self.file.as_raw_fd(), &arg) }.map_err(|e| match e {
            Errno::ENOENT => Error::new(Kind::NotFound, format!("no session {session_id}")),
            e => ioctl_error(&format!("removing session {session_id}"), e),
        })?;
        Ok(())
    }

    /// `IOC_SESSION_LIST`: every session of the module.
    pub fn session_list(&self) -> Result<Vec<abi::SessionInfo>> {
        let mut capacity: u32 = 16;
        for _ in 0..8 {
            let mut buf = vec![empty_session_info(); capacity as usize];
            let mut arg = abi::SessionList {
                hdr: abi::AbiHeader::for_type::<abi::SessionList>(),
                capacity,
                count: 0,
                buf: buf.as_mut_ptr() as u64,
                reserved: [0; 4],
            };
            // SAFETY: `arg` is a live, aligned SessionList of the size in the
            // request number. `arg.buf` points to `buf`, a live Vec of
            // exactly `capacity` SessionInfo records that outlives the call;
            // the module writes at most `capacity` records there and the
            // count into `arg`.
            unsafe { ioc_session_list(self.file.as_raw_fd(), &mut arg) }
                .map_err(|e| ioctl_error("IOC_SESSION_LIST", e))?;
            if arg.count <= capacity {
                buf.truncate(arg.count as usize);
                return Ok(buf);
            }
            capacity = arg.count + 8;
        }
        Err(Error::kernel(
            "IOC_SESSION_LIST: the number of sessions keeps changing",
        ))
    }

    /// `IOC_SESSION_STATS`: counters of one session.
    pub fn session_stats(&self, session_id: u32) -> Result<abi::SessionStats> {
        let mut arg = abi::SessionStats {
            hdr: abi::AbiHeader::for_type::<abi::SessionStats>(),
            session_id,
            ..Default::default()
        };
        // SAFETY: `arg` is a live, aligned SessionStats of the size in the
        // request number; the module reads session_id and writes the
        // counters back into it.
        unsafe { ioc_session_stats(self.file.as_raw_fd(), &mut arg) }.map_err(|e| match e {
            Errno::ENOENT => Error::new(Kind::NotFound, format!("no session {session_id}")),
            e => ioctl_error("IOC_SESSION_STATS", e),
        })?;
        Ok(arg)
    }
}

/// Copy `s` into a NUL-terminated fixed-size ABI string field.
pub fn put_str(field: &mut [u8], s: &str, what: &str) -> Result<()> {
    let b = s.as_bytes();
    if b.len() >= field.len() || b.contains(&0) {
        return Err(Error::other(format!(
            "{what} {s:?} does not fit the kernel interface ({} bytes at most)",
            field.len() - 1
        )));
    }
    field.fill(0);
    field[..b.len()].copy_from_slice(b);
    Ok(())
}

/// Read a NUL-terminated ABI string field.
pub fn get_str(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        let mut f = [0xffu8; 8];
        put_str(&mut f, "abc", "x").unwrap();
        assert_eq!(&f, b"abc\0\0\0\0\0");
        assert_eq!(get_str(&f), "abc");
        assert!(put_str(&mut f, "12345678", "x").is_err());
        put_str(&mut f, "1234567", "x").unwrap();
        assert_eq!(get_str(&f), "1234567");
    }

    #[test]
    fn request_numbers_match_the_abi() {
        // _IOR(0xE6, 0, 8 bytes) etc., computed by hand.
        assert_eq!(abi::IOC_VERSION, 0x8008_e600);
        assert_eq!(abi::IOC_CONN_BIND, 0xc000_e601 | (904 << 16));
        assert_eq!(abi::IOC_SESSION_REMOVE, 0x4000_e602 | (32 << 16));
    }

    #[test]
    fn missing_device_message() {
        if std::path::Path::new(DEVICE).exists() {
            return;
        }
        let e = Device::open().unwrap_err();
        assert_eq!(e.kind, Kind::Kernel);
        assert_eq!(
            e.message,
            "/dev/iscsi_init not found: is the iscsi_init module loaded?"
        );
    }
}

//! Runtime records: what the recovery daemon needs to log a session in
//! again, written by `login` to `/run/iscsi-init/sessions/<id>.json`
//! (directory 0700, file 0600, root's). A record holds the login's command
//! line: target record name or IQN and portal, the session's ISID, and the
//! CHAP options given as flags (so a session logged in from flags keeps
//! its secret here, never in the kernel). Secrets of a config-file target
//! record are not copied: the daemon reads that record again.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::LoginArgs;
use crate::error::{Error, Result};

/// Where the records live (`ISCSI_INIT_RUN_DIR` overrides it).
pub const DEFAULT_RUN_DIR: &str = "/run/iscsi-init/sessions";
/// Version of the record format.
pub const RECORD_VERSION: u32 = 1;

/// One session's record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    /// [`RECORD_VERSION`].
    pub version: u32,
    /// The module's session id.
    pub session_id: u32,
    /// TargetName, to check the record against the session.
    pub target: String,
    /// `--config` of the login, if one was given.
    pub config: Option<PathBuf>,
    /// `--initiator-name` of the login, if one was given.
    pub initiator_name: Option<String>,
    /// The login's arguments, with the ISID made explicit.
    pub login: LoginArgs,
    /// The network namespace the login ran in (the inode of
    /// `/proc/self/ns/net`): the session's socket lives there, and only a
    /// daemon in the same namespace recovers it. Absent in records of
    /// helpers before it.
    #[serde(default)]
    pub netns: Option<u64>,
}

/// The network namespace of the calling process: the inode number of
/// `/proc/self/ns/net` (what `ip netns identify` compares). `None` if
/// /proc is not mounted.
pub fn current_netns() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino())
}

/// Whether the calling process is in the network namespace of PID 1 (the
/// initial one, on a host).
pub fn in_initial_netns() -> bool {
    use std::os::unix::fs::MetadataExt;
    let init = fs::metadata("/proc/1/ns/net").ok().map(|m| m.ino());
    init.is_none() || init == current_netns()
}

/// The records' directory.
pub fn run_dir() -> PathBuf {
    std::env::var_os("ISCSI_INIT_RUN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_RUN_DIR))
}

fn path_of(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// Writes (or replaces) the record of `rec.session_id`, mode 0600.
pub fn write(rec: &SessionRecord) -> Result<()> {
    write_in(&run_dir(), rec)
}

/// [`write`] into `dir`.
pub fn write_in(dir: &Path, rec: &SessionRecord) -> Result<()> {
    let io = |e: std::io::Error| Error::other(format!("{}: {e}", dir.display()));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io)?;
    let tmp = dir.join(format!(".{}.json.tmp", rec.session_id));
    let text = serde_json::to_string_pretty(rec).map_err(|e| Error::other(e.to_string()))?;
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path_of(dir, rec.session_id)).map_err(io)?;
    Ok(())
}

/// Reads the record of session `id`.
pub fn read(id: u32) -> Result<SessionRecord> {
    read_in(&run_dir(), id)
}

/// [`read`] from `dir`.
pub fn read_in(dir: &Path, id: u32) -> Result<SessionRecord> {
    let p = path_of(dir, id);
    let text = fs::read_to_string(&p).map_err(|e| {
        Error::not_found(format!(
            "no runtime record for session {id} ({}: {e})",
            p.display()
        ))
    })?;
    let rec: SessionRecord =
        serde_json::from_str(&text).map_err(|e| Error::config(format!("{}: {e}", p.display())))?;
    if rec.version != RECORD_VERSION || rec.session_id != id {
        return Err(Error::config(format!(
            "{}: not a version {RECORD_VERSION} record of session {id}",
            p.display()
        )));
    }
    Ok(rec)
}

/// Removes the record of session `id` (no error if there is none).
pub fn remove(id: u32) {
    let _ = fs::remove_file(path_of(&run_dir(), id));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trip_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("sessions");
        let rec = SessionRecord {
            version: RECORD_VERSION,
            session_id: 7,
            target: "iqn.2003-01.org.example:t".into(),
            config: None,
            initiator_name: Some("iqn.2003-01.org.example:i".into()),
            netns: Some(4026531840),
            login: LoginArgs {
                target: Some("iqn.2003-01.org.example:t".into()),
                portal: Some("10.0.0.1".into()),
                isid: Some("400001370000".into()),
                ..LoginArgs::default()
            },
        };
        write_in(&d, &rec).unwrap();
        let m = fs::metadata(path_of(&d, 7)).unwrap().permissions().mode();
        assert_eq!(m & 0o777, 0o600);
        assert_eq!(
            fs::metadata(&d).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let back = read_in(&d, 7).unwrap();
        assert_eq!(back.login.isid.as_deref(), Some("400001370000"));
        assert_eq!(back.target, rec.target);
        assert!(read_in(&d, 8).is_err());
    }
}

//! A private istgt (Debian's `istgt`, 0.4) on 127.0.0.1, owned by one test:
//! its configuration and auth files in a scratch directory, free ports for
//! the iSCSI portal and the unit controller, killed when dropped.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{find_program, free_port, wait_listening};

/// istgt's node base: a target named `disk1` is `NODE_BASE:disk1`.
pub const NODE_BASE: &str = "iqn.2026-12.org.iscsi-init.istgt";

/// One logical unit (target) of the istgt configuration.
pub struct Lu {
    /// `TargetName` (after the node base).
    pub name: &'static str,
    /// `AuthMethod`: "Auto", "None", "CHAP" or "CHAP Mutual".
    pub auth: &'static str,
}

/// A CHAP account: user, secret, and for mutual CHAP the target's user and
/// secret.
pub type Account<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);

/// An istgt instance.
pub struct Istgt {
    child: Option<Child>,
    /// iSCSI port on 127.0.0.1.
    pub port: u16,
    /// Scratch directory (configuration, auth file, LUN files, log).
    pub dir: tempfile::TempDir,
}

impl Istgt {
    /// Start istgt with these logical units, the CHAP accounts `auth`
    /// (user, secret, and for mutual CHAP the target's user and secret) for
    /// all of them, and `discovery_auth` as `DiscoveryAuthMethod` (accounts
    /// `discovery`). Panics (the test fails) when istgt is not installed.
    pub fn start(
        lus: &[Lu],
        auth: &[Account<'_>],
        discovery_auth: &str,
        discovery: &[Account<'_>],
    ) -> Istgt {
        let istgt = find_program("istgt").unwrap_or_else(|| {
            panic!(
                "istgt not found: the integration tests need the istgt package \
                 (Debian: apt-get install istgt, or run scripts/setup.sh)"
            )
        });
        let mut last_err = String::new();
        for _attempt in 0..5 {
            let (port, ctl) = (free_port(), free_port());
            let dir = tempfile::tempdir().expect("temp dir");
            let d = dir.path().display().to_string();
            let mut conf = format!(
                "[Global]\n  NodeBase \"{NODE_BASE}\"\n  PidFile {d}/istgt.pid\n  AuthFile {d}/auth.conf\n  \
                 MediaDirectory {d}\n  LogFacility \"local7\"\n  Timeout 30\n  NopInInterval 20\n  \
                 DiscoveryAuthMethod {discovery_auth}\n  DiscoveryAuthGroup AuthGroup2\n  MaxSessions 16\n  \
                 MaxConnections 4\n  FirstBurstLength 262144\n  MaxBurstLength 1048576\n  \
                 MaxRecvDataSegmentLength 262144\n  InitialR2T Yes\n  ImmediateData Yes\n  ErrorRecoveryLevel 0\n\
                 [UnitControl]\n  AuthMethod CHAP Mutual\n  AuthGroup AuthGroup10000\n  \
                 Portal UC1 127.0.0.1:{ctl}\n  Netmask 127.0.0.1\n\
                 [PortalGroup1]\n  Portal DA1 127.0.0.1:{port}\n\
                 [InitiatorGroup1]\n  InitiatorName \"ALL\"\n  Netmask 127.0.0.0/8\n"
            );
            for (i, lu) in lus.iter().enumerate() {
                let img = dir.path().join(format!("{}.img", lu.name));
                fs::File::create(&img).unwrap().set_len(16 << 20).unwrap();
                conf.push_str(&format!(
                    "[LogicalUnit{n}]\n  TargetName {name}\n  Mapping PortalGroup1 InitiatorGroup1\n  \
                     AuthMethod {auth}\n  AuthGroup AuthGroup1\n  UseDigest Auto\n  UnitType Disk\n  \
                     LUN0 Storage {img} 16MB\n",
                    n = i + 1,
                    name = lu.name,
                    auth = lu.auth,
                    img = img.display()
                ));
            }
            let group = |n: u32, accounts: &[Account<'_>]| {
                let mut g = format!("[AuthGroup{n}]\n");
                for (user, secret, mutual) in accounts {
                    g.push_str(&format!("  Auth \"{user}\" \"{secret}\""));
                    if let Some((mu, ms)) = mutual {
                        g.push_str(&format!(" \"{mu}\" \"{ms}\""));
                    }
                    g.push('\n');
                }
                g
            };
            let authf = format!(
                "{}{}[AuthGroup10000]\n  Auth \"ctluser\" \"ctl-secret-1\" \"mutualuser\" \"ctl-secret-2\"\n",
                group(1, auth),
                group(2, discovery)
            );
            fs::write(dir.path().join("istgt.conf"), conf).unwrap();
            fs::write(dir.path().join("auth.conf"), authf).unwrap();
            let log = fs::File::create(dir.path().join("istgt.log")).unwrap();
            let child = Command::new(&istgt)
                .arg("-c")
                .arg(dir.path().join("istgt.conf"))
                .arg("-D")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", istgt.display()));
            let mut t = Istgt {
                child: Some(child),
                port,
                dir,
            };
            if t.wait_ready() {
                return t;
            }
            last_err = fs::read_to_string(t.dir.path().join("istgt.log")).unwrap_or_default();
            drop(t);
        }
        panic!("istgt did not start: {last_err}");
    }

    fn wait_ready(&mut self) -> bool {
        wait_listening(self.child.as_mut(), "127.0.0.1", self.port, || true)
    }

    /// What istgt logged so far (its stdout and stderr, `-D`).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("istgt.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`.
    pub fn portal(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The full name of target `name`.
    pub fn iqn(name: &str) -> String {
        format!("{NODE_BASE}:{name}")
    }

    /// Path of an (empty) config file for the helper.
    pub fn config(&self) -> PathBuf {
        let p = self.dir.path().join("config.toml");
        if !p.exists() {
            fs::write(&p, "").unwrap();
        }
        p
    }
}

impl Drop for Istgt {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

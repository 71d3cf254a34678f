//! Test harness: a private tgtd on 127.0.0.1 with a free port and its own
//! control port, configured with tgtadm, killed when dropped; and a runner
//! for the iscsi-init binary.

#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub mod istgt;

/// A tgtd instance owned by one test.
pub struct Tgtd {
    child: Option<Child>,
    /// Whether our tgtd came up (and so owns the control socket files).
    started: bool,
    /// Loopback address tgtd listens on.
    pub addr: String,
    /// iSCSI port.
    pub port: u16,
    /// Control port (`tgtd -C N`, `tgtadm -C N`).
    pub ctl: u16,
    /// Scratch directory (LUN files, configs, secrets).
    pub dir: tempfile::TempDir,
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// Whether process `pid` holds a TCP socket that listens on `port` (any
/// address), from `/proc/net/tcp`, `/proc/net/tcp6` and `/proc/PID/fd`.
///
/// A successful connect alone does not tell: it may reach another process
/// (a concurrent test's target that was handed the same free port), or,
/// for a port of the ephemeral range that nobody listens on, the
/// connecting socket itself (TCP simultaneous open). Either made a test's
/// first connection to its own target fail with "connection refused".
fn listens(pid: u32, port: u16) -> bool {
    let mut sockets = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st ... inode (field 9)
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = f
                .get(1)
                .and_then(|a| a.rsplit_once(':'))
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if f.len() > 9 && f[3] == "0A" && local_port == Some(port) {
                sockets.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    !sockets.is_empty()
        && fds.flatten().any(|fd| {
            fs::read_link(fd.path())
                .map(|l| sockets.iter().any(|s| l.as_os_str() == s.as_str()))
                .unwrap_or(false)
        })
}

/// Waits up to 10 s until `child` (a target we started, in the foreground)
/// is `ready`, itself listens on `port` and accepts a TCP connection on
/// `addr:port`; false if it exited or the time ran out.
fn wait_listening(
    mut child: Option<&mut Child>,
    addr: &str,
    port: u16,
    ready: impl Fn() -> bool,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(Ok(Some(_))) = child.as_mut().map(|c| c.try_wait()) {
            return false;
        }
        let ours = child.as_ref().is_none_or(|c| listens(c.id(), port));
        if ours && ready() && TcpStream::connect((addr, port)).is_ok() {
            return true;
        }
        sleep(Duration::from_millis(100));
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .unwrap()
        .port()
}

impl Tgtd {
    /// Start tgtd on 127.0.0.1. Panics (the test fails) when tgt is not
    /// installed.
    pub fn start() -> Tgtd {
        Tgtd::start_on("127.0.0.1")
    }

    /// Start tgtd on another loopback address (127.0.0.0/8).
    pub fn start_on(addr: &str) -> Tgtd {
        let tgtd = find_program("tgtd").unwrap_or_else(|| {
            panic!(
                "tgtd not found: the integration tests need the tgt package \
                 (Debian: apt-get install tgt, or run scripts/setup.sh)"
            )
        });
        find_program("tgtadm").expect("tgtadm not found: install the tgt package");
        let mut last_err = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            // tgtd takes control ports 0..=32767; map the ephemeral range
            // (32768..=60999) one to one onto 4096.. so that concurrent
            // tests never share one and system instances (0, small
            // numbers) are left alone.
            let ctl = 4096 + (port.wrapping_sub(32768) % 28672);
            let dir = tempfile::tempdir().expect("temp dir");
            let log = fs::File::create(dir.path().join("tgtd.log")).unwrap();
            let child = Command::new(&tgtd)
                .args([
                    "-f",
                    "--iscsi",
                    &format!("portal={addr}:{port}"),
                    "-C",
                    &ctl.to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", tgtd.display()));
            let mut t = Tgtd {
                child: Some(child),
                started: false,
                addr: addr.to_string(),
                port,
                ctl,
                dir,
            };
            if t.wait_ready() {
                t.started = true;
                return t;
            }
            last_err = fs::read_to_string(t.dir.path().join("tgtd.log")).unwrap_or_default();
            drop(t);
        }
        panic!("tgtd did not start (are the tests running as root?): {last_err}");
    }

    fn wait_ready(&mut self) -> bool {
        let (ctl, addr, port) = (self.ctl.to_string(), self.addr.clone(), self.port);
        wait_listening(self.child.as_mut(), &addr, port, || {
            Command::new("tgtadm")
                .args(["-C", &ctl, "--op", "show", "--mode", "sys"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        })
    }

    /// `tgtadm -C N --lld iscsi ARGS`; panics on failure.
    pub fn adm(&self, args: &[&str]) {
        let out = Command::new("tgtadm")
            .args(["-C", &self.ctl.to_string(), "--lld", "iscsi"])
            .args(args)
            .output()
            .expect("run tgtadm");
        assert!(
            out.status.success(),
            "tgtadm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A target with `luns` LUNs backed by sparse files, open to all initiators.
    pub fn add_target(&self, tid: u32, iqn: &str, luns: u32) {
        let t = tid.to_string();
        self.adm(&["--op", "new", "--mode", "target", "--tid", &t, "-T", iqn]);
        for lun in 1..=luns {
            let f = self.dir.path().join(format!("t{tid}-lun{lun}.img"));
            fs::File::create(&f).unwrap().set_len(16 << 20).unwrap();
            self.adm(&[
                "--op",
                "new",
                "--mode",
                "logicalunit",
                "--tid",
                &t,
                "--lun",
                &lun.to_string(),
                "-b",
                f.to_str().unwrap(),
            ]);
        }
        self.adm(&["--op", "bind", "--mode", "target", "--tid", &t, "-I", "ALL"]);
    }

    /// Create a CHAP account; bind it to `tid` (or to discovery when `None`),
    /// as the target's own (mutual) account when `outgoing`.
    pub fn account(&self, tid: Option<u32>, user: &str, password: &str, outgoing: bool) {
        self.adm(&[
            "--op",
            "new",
            "--mode",
            "account",
            "--user",
            user,
            "--password",
            password,
        ]);
        let t = tid.map(|t| t.to_string());
        let mut args = vec!["--op", "bind", "--mode", "account", "--user", user];
        if let Some(t) = &t {
            args.extend(["--tid", t.as_str()]);
        }
        if outgoing {
            args.push("--outgoing");
        }
        self.adm(&args);
    }

    /// Set a target parameter (e.g. HeaderDigest).
    pub fn param(&self, tid: u32, name: &str, value: &str) {
        self.adm(&[
            "--op",
            "update",
            "--mode",
            "target",
            "--tid",
            &tid.to_string(),
            "-n",
            name,
            "-v",
            value,
        ]);
    }

    /// `ADDR:PORT`.
    pub fn portal(&self) -> String {
        format!("{}:{}", self.addr, self.port)
    }

    /// Redirect logins to target `tid` to `portal` (tgtd does it for
    /// initiators whose address differs from the redirect address).
    pub fn redirect(&self, tid: u32, addr: &str, port: u16, reason: &str) {
        self.param(tid, "RedirectAddress", addr);
        self.param(tid, "RedirectPort", &port.to_string());
        self.param(tid, "RedirectReason", reason);
    }

    /// Write a file in the scratch directory with the given mode.
    pub fn write(&self, name: &str, content: &str, mode: u32) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Path of an (empty) config file for the helper.
    pub fn config(&self) -> PathBuf {
        let p = self.dir.path().join("config.toml");
        if !p.exists() {
            self.write("config.toml", "", 0o600);
        }
        p
    }
}

impl Drop for Tgtd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // tgtd ignores SIGTERM; SIGKILL this one process (our child).
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.started {
            for suffix in ["", ".lock"] {
                let _ = fs::remove_file(format!("/var/run/tgtd/socket.{}{suffix}", self.ctl));
            }
        }
    }
}

/// Result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Assert success and return self.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "exit {}; stderr: {}; stdout: {}",
            self.code, self.stderr, self.stdout
        );
        self
    }
}

/// A local TCP port nothing listens on.
pub fn closed_port() -> u16 {
    free_port()
}

/// Initiator name used by the tests.
pub const INITIATOR: &str = "iqn.2026-11.org.iscsi-init:integration-test";

/// Run `iscsi-init -c CONFIG --initiator-name INITIATOR ARGS`.
pub fn run(config: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_iscsi-init"))
        .arg("-c")
        .arg(config)
        .args(["--initiator-name", INITIATOR])
        .args(args)
        .env_remove("ISCSI_INIT_CONFIG")
        .output()
        .expect("run iscsi-init");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A command line for the helper, built step by step.
#[derive(Clone, Debug)]
pub struct Cmd(Vec<String>);

impl Cmd {
    /// These arguments.
    pub fn new(args: &[&str]) -> Cmd {
        Cmd(args.iter().map(|a| a.to_string()).collect())
    }

    /// `login --check -T TARGET -p PORTAL`.
    pub fn login_check(target: &str, portal: &str) -> Cmd {
        Cmd::new(&["login", "--check", "-T", target, "-p", portal])
    }

    /// `discover -p PORTAL`.
    pub fn discover(portal: &str) -> Cmd {
        Cmd::new(&["discover", "-p", portal])
    }

    /// `--json` in front.
    pub fn json(mut self) -> Cmd {
        self.0.insert(0, "--json".into());
        self
    }

    /// More arguments at the end.
    pub fn args(mut self, args: &[&str]) -> Cmd {
        self.0.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// One-way CHAP with MD5 (tgtd numbers SHA-1 as 7):
    /// `-u USER -s SECRET --chap-algs MD5`.
    pub fn chap(self, user: &str, secret: &str) -> Cmd {
        self.args(&["-u", user, "-s", secret, "--chap-algs", "MD5"])
    }

    /// Mutual CHAP: `-U USER -S SECRET`.
    pub fn mutual(self, user: &str, secret: &str) -> Cmd {
        self.args(&["-U", user, "-S", secret])
    }

    /// Run it with `config` (see [`run`]).
    pub fn run(&self, config: &Path) -> Run {
        let args: Vec<&str> = self.0.iter().map(String::as_str).collect();
        run(config, &args)
    }
}

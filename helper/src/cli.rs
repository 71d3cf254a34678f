//! Command line (clap derive), in the manner of iscsiadm and FreeBSD iscsictl.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;

const EXIT_CODES: &str = "\
Exit status:
  0  success
  1  other error (local I/O, internal)
  2  usage error (bad command line)
  3  configuration error (config file, secret file, initiator name)
  4  network error (resolve, connect, timeout, connection lost)
  5  authentication or authorization failure (CHAP, login status 0x0201/0x0202)
  6  target error (login refused, protocol violation, negotiation failure)
  7  kernel module error (/dev/iscsi_init missing, ioctl failed)
  8  not found (no matching session or target record)

Errors are one line on stderr: \"iscsi-init: <message>\".
See Documentation/helper.rst for the configuration file.";

/// iscsi-init: iSCSI initiator helper (discovery, CHAP login, handoff to the
/// iscsi_init kernel module).
#[derive(Debug, Parser)]
#[command(name = "iscsi-init", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Configuration file [default: /etc/iscsi-init/config.toml].
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "ISCSI_INIT_CONFIG",
        value_name = "PATH"
    )]
    pub config: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Trace the iSCSI exchanges on stderr (secrets and CHAP values elided).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Initiator name to use instead of /etc/iscsi/initiatorname.iscsi or the config file.
    #[arg(long, global = true, value_name = "IQN")]
    pub initiator_name: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// SendTargets discovery: list the targets and portals a portal offers.
    #[command(after_help = EXIT_CODES)]
    Discover(DiscoverArgs),
    /// Log in to a target and hand the session to the kernel module
    /// (or, with --check, log in and out again without the module).
    #[command(after_help = EXIT_CODES)]
    Login(LoginArgs),
    /// Log sessions out and remove them.
    #[command(after_help = EXIT_CODES)]
    Logout(LogoutArgs),
    /// List the module's sessions with their parameters and devices.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Scan sessions for new LUNs and drop the LUNs the target no longer
    /// reports (as `iscsiadm -m session -R`); every session by default.
    #[command(after_help = EXIT_CODES)]
    Rescan(RescanArgs),
    /// Run the recovery daemon: reconnect sessions whose connection failed
    /// (the iscsid of FreeBSD and OpenBSD).
    #[command(after_help = EXIT_CODES)]
    Daemon(DaemonArgs),
}

/// `daemon`.
#[derive(Debug, Args, Clone)]
pub struct DaemonArgs {
    /// First log in every target record with startup = "automatic".
    #[arg(long)]
    pub login_all: bool,
    /// Longest wait between two reconnect attempts once a session's I/O
    /// fails fast, seconds (default 2); a session holding I/O is retried
    /// every 0.25 s after a network error or a target error (Status-Class 3).
    #[arg(long, value_name = "SECONDS", default_value_t = 2)]
    pub max_backoff: u64,
    /// Keep every capability (for debugging; by default the daemon drops
    /// them all once /dev/iscsi_init is open).
    #[arg(long)]
    pub keep_capabilities: bool,
}

/// CHAP options.
#[derive(Debug, Args, Default, Clone, Serialize, Deserialize)]
pub struct AuthArgs {
    /// CHAP user name (our CHAP_N).
    #[arg(short = 'u', long, value_name = "USER")]
    pub chap_user: Option<String>,
    /// CHAP secret (visible in the process list: prefer --chap-secret-file).
    #[arg(
        short = 's',
        long,
        value_name = "SECRET",
        conflicts_with = "chap_secret_file"
    )]
    pub chap_secret: Option<String>,
    /// File holding the CHAP secret (mode 0600).
    #[arg(long, value_name = "PATH")]
    pub chap_secret_file: Option<PathBuf>,
    /// Name the target must answer with for mutual CHAP.
    #[arg(short = 'U', long, value_name = "NAME")]
    pub mutual_user: Option<String>,
    /// Mutual CHAP secret (the target's; enables mutual CHAP).
    #[arg(
        short = 'S',
        long,
        value_name = "SECRET",
        conflicts_with = "mutual_secret_file"
    )]
    pub mutual_secret: Option<String>,
    /// File holding the mutual CHAP secret (mode 0600).
    #[arg(long, value_name = "PATH")]
    pub mutual_secret_file: Option<PathBuf>,
    /// CHAP algorithms to offer, preferred first (MD5, SHA-1, SHA-256, SHA3-256).
    #[arg(long, value_name = "LIST")]
    pub chap_algs: Option<String>,
    /// Length of our mutual CHAP challenge, bytes (16..1024, default 32).
    #[arg(long, value_name = "BYTES")]
    pub chap_challenge_len: Option<usize>,
    /// No authentication, even if the configuration has some.
    #[arg(long, conflicts_with_all = ["chap_user", "chap_secret", "chap_secret_file"])]
    pub no_auth: bool,
}

impl AuthArgs {
    /// The options as a settings layer.
    pub fn settings(&self) -> AuthSettings {
        AuthSettings {
            method: if self.no_auth {
                Some("none".into())
            } else {
                None
            },
            username: self.chap_user.clone(),
            secret: self.chap_secret.clone(),
            secret_file: self.chap_secret_file.clone(),
            mutual_username: self.mutual_user.clone(),
            mutual_secret: self.mutual_secret.clone(),
            mutual_secret_file: self.mutual_secret_file.clone(),
            chap_algorithms: self.chap_algs.clone().map(|a| vec![a]),
            challenge_length: self.chap_challenge_len,
        }
    }
}

/// Operational parameter and connection options.
#[derive(Debug, Args, Default, Clone, Serialize, Deserialize)]
pub struct ParamArgs {
    /// HeaderDigest values to offer, preferred first (CRC32C,None).
    #[arg(long, value_name = "LIST")]
    pub header_digest: Option<String>,
    /// DataDigest values to offer, preferred first (CRC32C,None).
    #[arg(long, value_name = "LIST")]
    pub data_digest: Option<String>,
    /// Any operational parameter by its RFC 7143 name, e.g. -o MaxBurstLength=262144.
    #[arg(short = 'o', long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// TCP connect timeout, seconds (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// Timeout for each response of the target, seconds (default 15).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Most login redirections to follow (default 4).
    #[arg(long, value_name = "N")]
    pub max_redirects: Option<u32>,
}

/// `discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Portal to ask: HOST[:PORT] or [IPv6]:PORT (default port 3260).
    #[arg(short, long, value_name = "PORTAL")]
    pub portal: Option<String>,
    /// Discovery CHAP.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Parameters.
    #[command(flatten)]
    pub params: ParamArgs,
}

/// `login`.
#[derive(Debug, Args, Clone, Default, Serialize, Deserialize)]
pub struct LoginArgs {
    /// Log in every target record with startup = "automatic" (skipping
    /// those already logged in).
    #[arg(long, conflicts_with_all = ["name", "target", "portal", "check", "isid"])]
    #[serde(skip)]
    pub all: bool,
    /// Name of a target record in the configuration file.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Target name (IQN).
    #[arg(short = 'T', long, value_name = "IQN")]
    pub target: Option<String>,
    /// Portal: HOST[:PORT] or [IPv6]:PORT (default port 3260).
    #[arg(short, long, value_name = "PORTAL")]
    pub portal: Option<String>,
    /// Log in and out again without the kernel module; print the negotiated parameters.
    #[arg(long)]
    pub check: bool,
    /// ISID to use instead of the derived one (12 hex digits).
    #[arg(long, value_name = "HEX")]
    pub isid: Option<String>,
    /// SCSI queue depth to ask of the module (0: module default).
    #[arg(long, value_name = "N")]
    pub queue_depth: Option<u32>,
    /// SCSI command timeout, seconds (0: module default).
    #[arg(long, value_name = "SECONDS")]
    pub cmd_timeout: Option<u32>,
    /// Seconds I/O is held while the session has no connection, before it
    /// fails (default 120; 0 fails it at once, for dm-multipath).
    #[arg(long, value_name = "SECONDS")]
    pub replacement_timeout: Option<u32>,
    /// Seconds without a PDU from the target before a NOP-Out ping
    /// (default 5; 0 disables the keepalive).
    #[arg(long, value_name = "SECONDS")]
    pub noop_out_interval: Option<u32>,
    /// Seconds a NOP-Out ping may go unanswered before the connection is
    /// dropped and recovered (default 5).
    #[arg(long, value_name = "SECONDS")]
    pub noop_out_timeout: Option<u32>,
    /// Seconds an ABORT TASK for a timed-out command waits for its answer
    /// before the error handler escalates (default 15).
    #[arg(long, value_name = "SECONDS")]
    pub abort_timeout: Option<u32>,
    /// Seconds a LOGICAL UNIT RESET waits for its answer (default 30).
    #[arg(long, value_name = "SECONDS")]
    pub lu_reset_timeout: Option<u32>,
    /// Seconds a TARGET WARM RESET waits for its answer (default 30).
    #[arg(long, value_name = "SECONDS")]
    pub tgt_reset_timeout: Option<u32>,
    /// Seconds to wait for the LUN scan to create block devices (default 15).
    #[arg(long, value_name = "SECONDS")]
    pub scan_timeout: Option<u64>,
    /// Do not wait for block devices.
    #[arg(long)]
    pub no_wait: bool,
    /// CHAP.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Parameters.
    #[command(flatten)]
    pub params: ParamArgs,
}

/// `logout`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["name", "target", "session", "all"])))]
pub struct LogoutArgs {
    /// Name of a target record in the configuration file.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Log out every session to this target.
    #[arg(short = 'T', long, value_name = "IQN")]
    pub target: Option<String>,
    /// Log out this session.
    #[arg(long, value_name = "ID")]
    pub session: Option<u32>,
    /// Log out every session.
    #[arg(long)]
    pub all: bool,
    /// Tear the session down without a Logout exchange (dead connection).
    #[arg(long)]
    pub force: bool,
}

/// `rescan`.
#[derive(Debug, Args)]
pub struct RescanArgs {
    /// Rescan the sessions to this target.
    #[arg(short = 'T', long, value_name = "IQN", conflicts_with_all = ["session", "all"])]
    pub target: Option<String>,
    /// Rescan this session.
    #[arg(long, value_name = "ID", conflicts_with = "all")]
    pub session: Option<u32>,
    /// Rescan every session (the default).
    #[arg(long)]
    pub all: bool,
    /// Seconds to wait for the block devices of new LUNs (default 15).
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    pub scan_timeout: u64,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Also show the session counters (IOC_SESSION_STATS).
    #[arg(long)]
    pub stats: bool,
}

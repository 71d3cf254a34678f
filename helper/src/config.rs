//! The TOML configuration file and the merging of settings.
//!
//! Default path: `/etc/iscsi-init/config.toml`, overridden by `--config` or
//! the environment variable `ISCSI_INIT_CONFIG`. Precedence, lowest first:
//! built-in defaults, `[defaults]`, `[discovery]` (discovery sessions only) or
//! `[targets.NAME]` (the chosen record), command-line flags.
//! Documentation/helper.rst has the full format with an example.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chap::{ChapAlgorithm, ChapConfig, MutualChap, Secret, DEFAULT_CHALLENGE_LEN};
use crate::error::{Error, Result};
use crate::negotiate::{parse_number, validate_offer, Digest, Offer};
use crate::params::{self, KeyDef};
use crate::portal::Portal;
use crate::warn;

/// Default configuration file.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/iscsi-init/config.toml";

/// Authentication settings (a `[...auth]` table or the command-line flags).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `"none"` or `"chap"`; CHAP when absent and a user or secret is set.
    pub method: Option<String>,
    /// CHAP user name (our `CHAP_N`).
    pub username: Option<String>,
    /// CHAP secret, inline.
    pub secret: Option<String>,
    /// CHAP secret, read from this file (mode 0600 or stricter).
    pub secret_file: Option<PathBuf>,
    /// Name the target must send for mutual CHAP (any when absent).
    pub mutual_username: Option<String>,
    /// Mutual CHAP secret (the target's), inline.
    pub mutual_secret: Option<String>,
    /// Mutual CHAP secret, read from this file (mode 0600 or stricter).
    pub mutual_secret_file: Option<PathBuf>,
    /// CHAP algorithms to offer, preferred first: MD5, SHA-1, SHA-256, SHA3-256.
    pub chap_algorithms: Option<Vec<String>>,
    /// Length in bytes of the challenge we send for mutual CHAP (16..=1024).
    pub challenge_length: Option<usize>,
}

impl AuthSettings {
    /// Overlay `upper` on `self`: each field set in `upper` wins. A secret
    /// and a secret file replace each other.
    pub fn merge(&mut self, upper: &AuthSettings) {
        let u = upper.clone();
        overlay(&mut self.method, u.method);
        overlay(&mut self.username, u.username);
        if u.secret.is_some() || u.secret_file.is_some() {
            self.secret = u.secret;
            self.secret_file = u.secret_file;
        }
        overlay(&mut self.mutual_username, u.mutual_username);
        if u.mutual_secret.is_some() || u.mutual_secret_file.is_some() {
            self.mutual_secret = u.mutual_secret;
            self.mutual_secret_file = u.mutual_secret_file;
        }
        overlay(&mut self.chap_algorithms, u.chap_algorithms);
        overlay(&mut self.challenge_length, u.challenge_length);
    }

    /// Turn the merged settings into a CHAP configuration, reading secret
    /// files. `None` when no authentication is wanted.
    pub fn resolve(&self) -> Result<Option<ChapConfig>> {
        let method = match self.method.as_deref().map(str::to_ascii_lowercase) {
            Some(m) if m == "none" => return Ok(None),
            Some(m) if m == "chap" => true,
            Some(m) => {
                return Err(Error::config(format!(
                    "unknown auth method {m:?} (none or chap)"
                )))
            }
            None => false,
        };
        let secret = read_secret(self.secret.as_deref(), self.secret_file.as_deref())?;
        if !method && self.username.is_none() && secret.is_none() {
            return Ok(None);
        }
        let username = self
            .username
            .clone()
            .ok_or_else(|| Error::config("CHAP needs a user name (username / --chap-user)"))?;
        let secret = secret.ok_or_else(|| {
            Error::config(
                "CHAP needs a secret (secret, secret_file / --chap-secret, --chap-secret-file)",
            )
        })?;
        let mutual_secret = read_secret(
            self.mutual_secret.as_deref(),
            self.mutual_secret_file.as_deref(),
        )?;
        let mutual = match mutual_secret {
            Some(secret) => Some(MutualChap {
                username: self.mutual_username.clone(),
                secret,
            }),
            None if self.mutual_username.is_some() => {
                return Err(Error::config(
                    "mutual CHAP needs the target's secret (mutual_secret / --mutual-secret)",
                ))
            }
            None => None,
        };
        let algorithms = match &self.chap_algorithms {
            None => ChapAlgorithm::ALL.to_vec(),
            Some(list) => parse_algorithms(list)?,
        };
        let cfg = ChapConfig {
            username,
            secret,
            mutual,
            algorithms,
            challenge_len: self.challenge_length.unwrap_or(DEFAULT_CHALLENGE_LEN),
        };
        cfg.validate()?;
        for what in cfg.short_secrets() {
            warn(&format!(
                "the {what} is shorter than 12 bytes (RFC 7143 §12.1.3 recommends at least 96 bits)"
            ));
        }
        Ok(Some(cfg))
    }
}

/// `upper` replaces `lower` when set.
fn overlay<T>(lower: &mut Option<T>, upper: Option<T>) {
    if upper.is_some() {
        *lower = upper;
    }
}

/// Parse a list of CHAP algorithm names (each item may itself be a
/// comma-separated list).
pub fn parse_algorithms(list: &[String]) -> Result<Vec<ChapAlgorithm>> {
    let mut out = Vec::new();
    for item in list {
        for name in item.split(',').filter(|s| !s.trim().is_empty()) {
            let a = ChapAlgorithm::parse(name).ok_or_else(|| {
                Error::config(format!(
                    "unknown CHAP algorithm {:?} (MD5, SHA-1, SHA-256, SHA3-256)",
                    name.trim()
                ))
            })?;
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    if out.is_empty() {
        return Err(Error::config("empty CHAP algorithm list"));
    }
    Ok(out)
}

/// Read a secret given inline or as a file. A file must not be accessible by
/// group or others; one trailing newline is removed.
pub fn read_secret(inline: Option<&str>, file: Option<&Path>) -> Result<Option<Secret>> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(Error::config(
            "give a secret either inline or as a file, not both",
        )),
        (Some(s), None) => Ok(Some(Secret::new(s.as_bytes().to_vec()))),
        (None, Some(path)) => {
            let unreadable = |e: std::io::Error| {
                Error::config(format!(
                    "cannot read secret file {}: {}",
                    path.display(),
                    crate::error::strip_os_error(&e)
                ))
            };
            let meta = fs::metadata(path).map_err(unreadable)?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(Error::config(format!(
                    "refusing secret file {}: it is accessible by group or others (mode {mode:04o}); run chmod 600 {}",
                    path.display(),
                    path.display()
                )));
            }
            let mut bytes = fs::read(path).map_err(unreadable)?;
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            if bytes.is_empty() {
                return Err(Error::config(format!(
                    "secret file {} is empty",
                    path.display()
                )));
            }
            Ok(Some(Secret::new(bytes)))
        }
        (None, None) => Ok(None),
    }
}

/// Operational parameter settings: RFC key name -> value (string, integer,
/// Boolean or list of strings).
pub type ParamTable = BTreeMap<String, toml::Value>;

/// `[defaults]`: settings for every session.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Default TCP port of portals given without one (3260).
    pub port: Option<u16>,
    /// TCP connect timeout, seconds (default 10).
    pub connect_timeout: Option<u64>,
    /// Timeout for each login/text/logout response, seconds (default 15).
    pub response_timeout: Option<u64>,
    /// Most login redirections followed (default 4).
    pub max_redirects: Option<u32>,
    /// Seconds `login` waits for the LUN scan to create block devices (default 15).
    pub scan_timeout: Option<u64>,
    /// SCSI queue depth asked of the module (0: the module's default).
    pub queue_depth: Option<u32>,
    /// SCSI command timeout, seconds (0: the module's default).
    pub cmd_timeout: Option<u32>,
    /// Seconds I/O is held after a connection failure (default 120; 0 fails
    /// it at once, for dm-multipath).
    pub replacement_timeout: Option<u32>,
    /// Seconds without a PDU from the target before a NOP-Out ping
    /// (default 5; 0 disables the keepalive).
    pub noop_out_interval: Option<u32>,
    /// Seconds a NOP-Out ping may go unanswered before the connection
    /// fails (default 5).
    pub noop_out_timeout: Option<u32>,
    /// Seconds an ABORT TASK waits for its answer (default 15).
    pub abort_timeout: Option<u32>,
    /// Seconds a LOGICAL UNIT RESET waits for its answer (default 30).
    pub lu_reset_timeout: Option<u32>,
    /// Seconds a TARGET WARM RESET waits for its answer (default 30).
    pub tgt_reset_timeout: Option<u32>,
    /// Authentication of normal sessions.
    pub auth: Option<AuthSettings>,
    /// Operational parameters (RFC 7143 key names).
    pub params: Option<ParamTable>,
}

/// `[discovery]`: settings for SendTargets discovery sessions.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverySection {
    /// Default portal of `discover` without `-p`.
    pub portal: Option<String>,
    /// Discovery CHAP.
    pub auth: Option<AuthSettings>,
    /// Parameters of discovery sessions (HeaderDigest, DataDigest, ...).
    pub params: Option<ParamTable>,
}

/// When a target record is logged in.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Startup {
    /// Only when asked for by name.
    #[default]
    Manual,
    /// At boot (`login --all`, `daemon --login-all`).
    Automatic,
}

/// `[targets.NAME]`: a named target record.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRecord {
    /// Portal, `HOST[:PORT]` or `[IPv6]:PORT`.
    pub portal: Option<String>,
    /// Target name (IQN/EUI/NAA).
    pub iqn: String,
    /// Explicit ISID, 12 hex digits (default: derived, see Documentation/helper.rst).
    pub isid: Option<String>,
    /// SCSI queue depth asked of the module.
    pub queue_depth: Option<u32>,
    /// SCSI command timeout, seconds.
    pub cmd_timeout: Option<u32>,
    /// `replacement_timeout`, seconds (see `[defaults]`).
    pub replacement_timeout: Option<u32>,
    /// `noop_out_interval`, seconds (see `[defaults]`).
    pub noop_out_interval: Option<u32>,
    /// `noop_out_timeout`, seconds (see `[defaults]`).
    pub noop_out_timeout: Option<u32>,
    /// `abort_timeout`, seconds (see `[defaults]`).
    pub abort_timeout: Option<u32>,
    /// `lu_reset_timeout`, seconds (see `[defaults]`).
    pub lu_reset_timeout: Option<u32>,
    /// `tgt_reset_timeout`, seconds (see `[defaults]`).
    pub tgt_reset_timeout: Option<u32>,
    /// `"automatic"`: `login --all` and the daemon's start log this record
    /// in (open-iscsi's node.startup); `"manual"` (the default): only
    /// by name.
    pub startup: Option<Startup>,
    /// Authentication.
    pub auth: Option<AuthSettings>,
    /// Operational parameters (RFC 7143 key names).
    pub params: Option<ParamTable>,
}

/// The whole configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Initiator name used when /etc/iscsi/initiatorname.iscsi does not exist.
    pub initiator_name: Option<String>,
    /// InitiatorAlias sent at login (optional).
    pub initiator_alias: Option<String>,
    /// Settings for every session.
    #[serde(default)]
    pub defaults: Defaults,
    /// Settings for discovery sessions.
    #[serde(default)]
    pub discovery: DiscoverySection,
    /// Named target records.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetRecord>,
}

/// A configuration file as loaded, with where it came from.
#[derive(Clone, Debug)]
pub struct Config {
    /// Path of the file (it may not exist).
    pub path: PathBuf,
    /// Whether the file existed.
    pub exists: bool,
    /// Its contents (defaults when it did not exist).
    pub file: ConfigFile,
}

impl Config {
    /// Load the configuration. A missing file is an error only when the path
    /// was given explicitly (`--config` / `ISCSI_INIT_CONFIG`).
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, explicit) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config {
                    path,
                    exists: false,
                    file: ConfigFile::default(),
                })
            }
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot read config file {}: {}",
                    path.display(),
                    crate::error::strip_os_error(&e)
                )))
            }
        };
        let file = Self::parse(&text).map_err(|e| e.context(path.display()))?;
        let has_inline = file.has_inline_secrets();
        if has_inline {
            if let Ok(meta) = fs::metadata(&path) {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o044 != 0 {
                    warn(&format!(
                        "{} holds inline secrets and is readable by others (mode {mode:04o}): run chmod 600 {} or use secret_file",
                        path.display(),
                        path.display()
                    ));
                }
            }
        }
        Ok(Config {
            path,
            exists: true,
            file,
        })
    }

    /// Parse configuration text.
    pub fn parse(text: &str) -> Result<ConfigFile> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            // toml's messages span several lines; keep the first one and the
            // position.
            let msg = e.message().to_string();
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            Error::config(format!("{at}{msg}"))
        })?;
        for (name, rec) in &file.targets {
            if rec.iqn.trim().is_empty() {
                return Err(Error::config(format!(
                    "target record {name:?} has an empty iqn"
                )));
            }
        }
        Ok(file)
    }

    /// The target record called `name`.
    pub fn target(&self, name: &str) -> Option<&TargetRecord> {
        self.file.targets.get(name)
    }

    /// Records whose IQN is `iqn` (and whose portal is `portal`, if given).
    pub fn find_by_iqn(&self, iqn: &str, portal: Option<&Portal>) -> Vec<(&String, &TargetRecord)> {
        self.file
            .targets
            .iter()
            .filter(|(_, r)| r.iqn == iqn)
            .filter(|(_, r)| match (portal, &r.portal) {
                (Some(p), Some(rp)) => Portal::parse(rp, p.port)
                    .map(|rp| rp == *p)
                    .unwrap_or(false),
                _ => true,
            })
            .collect()
    }

    /// Store a generated initiator name in the file (created when missing,
    /// mode 0600; an existing file gets the key prepended, keeping the rest).
    pub fn store_initiator_name(&mut self, name: &str) -> Result<()> {
        let line = format!(
            "# Generated by iscsi-init: the initiator name used when /etc/iscsi/initiatorname.iscsi is absent.\ninitiator_name = \"{name}\"\n"
        );
        let fail = |e: std::io::Error| {
            Error::config(format!(
                "cannot store the generated initiator name in {}: {}",
                self.path.display(),
                crate::error::strip_os_error(&e)
            ))
        };
        if self.exists {
            let old = fs::read_to_string(&self.path).map_err(fail)?;
            let tmp = self.path.with_extension("toml.tmp");
            let mode = fs::metadata(&self.path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0o600);
            {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(mode)
                    .open(&tmp)
                    .map_err(fail)?;
                f.write_all(line.as_bytes()).map_err(fail)?;
                f.write_all(b"\n").map_err(fail)?;
                f.write_all(old.as_bytes()).map_err(fail)?;
                f.sync_all().map_err(fail)?;
            }
            fs::rename(&tmp, &self.path).map_err(fail)?;
        } else {
            if let Some(dir) = self.path.parent() {
                if !dir.as_os_str().is_empty() {
                    fs::create_dir_all(dir).map_err(fail)?;
                }
            }
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&self.path)
                .map_err(fail)?;
            f.write_all(line.as_bytes()).map_err(fail)?;
            self.exists = true;
        }
        self.file.initiator_name = Some(name.to_string());
        Ok(())
    }
}

impl ConfigFile {
    fn has_inline_secrets(&self) -> bool {
        let a = |x: &Option<AuthSettings>| {
            x.as_ref()
                .map(|a| a.secret.is_some() || a.mutual_secret.is_some())
                .unwrap_or(false)
        };
        a(&self.defaults.auth)
            || a(&self.discovery.auth)
            || self.targets.values().any(|t| a(&t.auth))
    }
}

/// Convert a TOML parameter value to the wire spelling.
fn param_value(key: &str, v: &toml::Value) -> Result<String> {
    Ok(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => params::yes_no(*b).to_string(),
        toml::Value::Array(items) => {
            let mut parts = Vec::new();
            for item in items {
                match item {
                    toml::Value::String(s) => parts.push(s.clone()),
                    _ => {
                        return Err(Error::config(format!(
                            "parameter {key}: list items must be strings"
                        )))
                    }
                }
            }
            parts.join(",")
        }
        _ => {
            return Err(Error::config(format!(
                "parameter {key}: unsupported value type"
            )))
        }
    })
}

/// What a configurable key sets in the offer.
enum Setting {
    /// A digest list.
    Digests(fn(&mut Offer) -> &mut Vec<Digest>),
    /// A number in the key's range, at most the second value.
    Number(fn(&mut Offer) -> &mut u32, u32),
    /// A Boolean.
    Bool(fn(&mut Offer) -> &mut bool),
}

/// A key the configuration and `--param` may set.
struct Configurable {
    def: &'static KeyDef,
    setting: Setting,
}

const fn digests(def: &'static KeyDef, f: fn(&mut Offer) -> &mut Vec<Digest>) -> Configurable {
    Configurable {
        def,
        setting: Setting::Digests(f),
    }
}

/// A number up to `max`, which may be below the key's RFC maximum.
const fn number_upto(
    def: &'static KeyDef,
    f: fn(&mut Offer) -> &mut u32,
    max: u32,
) -> Configurable {
    Configurable {
        def,
        setting: Setting::Number(f, max),
    }
}

const fn number(def: &'static KeyDef, f: fn(&mut Offer) -> &mut u32) -> Configurable {
    number_upto(def, f, def.max())
}

const fn boolean(def: &'static KeyDef, f: fn(&mut Offer) -> &mut bool) -> Configurable {
    Configurable {
        def,
        setting: Setting::Bool(f),
    }
}

/// The keys the configuration and `--param` may set; names and ranges come
/// from the registry ([`crate::params`]).
const SETTINGS: &[Configurable] = &[
    digests(&params::HEADER_DIGEST, |o| &mut o.header_digest),
    digests(&params::DATA_DIGEST, |o| &mut o.data_digest),
    number(&params::MAX_RECV_DATA_SEGMENT_LENGTH, |o| {
        &mut o.max_recv_data_segment_length
    }),
    number(&params::MAX_BURST_LENGTH, |o| &mut o.max_burst_length),
    number(&params::FIRST_BURST_LENGTH, |o| &mut o.first_burst_length),
    boolean(&params::INITIAL_R2T, |o| &mut o.initial_r2t),
    boolean(&params::IMMEDIATE_DATA, |o| &mut o.immediate_data),
    // Never more than the module tracks.
    number_upto(
        &params::MAX_OUTSTANDING_R2T,
        |o| &mut o.max_outstanding_r2t,
        params::MAX_OUTSTANDING_R2T_LIMIT,
    ),
    number(&params::ERROR_RECOVERY_LEVEL, |o| {
        &mut o.error_recovery_level
    }),
    number(&params::MAX_CONNECTIONS, |o| &mut o.max_connections),
    boolean(&params::DATA_PDU_IN_ORDER, |o| &mut o.data_pdu_in_order),
    boolean(&params::DATA_SEQUENCE_IN_ORDER, |o| {
        &mut o.data_sequence_in_order
    }),
    number(&params::DEFAULT_TIME2WAIT, |o| &mut o.default_time2wait),
    number(&params::DEFAULT_TIME2RETAIN, |o| &mut o.default_time2retain),
];

/// Apply one `Key=Value` setting (RFC spelling, from `--param` or the config
/// file) to `offer`, with range checks.
pub fn apply_setting(offer: &mut Offer, key: &str, value: &str) -> Result<(), String> {
    let v = value.trim();
    let Some(Configurable { def, setting }) = SETTINGS.iter().find(|c| c.def.name == key) else {
        return Err(format!(
            "unknown or non-configurable parameter {key:?} (see Documentation/helper.rst)"
        ));
    };
    match setting {
        Setting::Number(field, hi) => {
            let (lo, _) = def.range().expect("a numerical key");
            *field(offer) = match parse_number(v) {
                Some(n) if n >= lo as u64 && n <= *hi as u64 => n as u32,
                Some(n) => return Err(format!("{key}={n} is out of range {lo}..{hi}")),
                None => return Err(format!("{key}={v:?} is not a number")),
            };
        }
        Setting::Bool(field) => {
            *field(offer) = match v.to_ascii_lowercase().as_str() {
                "yes" | "true" | "1" => true,
                "no" | "false" | "0" => false,
                _ => return Err(format!("{key}={v:?} is not Yes or No")),
            };
        }
        Setting::Digests(field) => {
            let mut out = Vec::new();
            for part in v.split(',') {
                let d = Digest::parse_loose(part)
                    .ok_or_else(|| format!("{key}: unknown digest {part:?} (CRC32C or None)"))?;
                if !out.contains(&d) {
                    out.push(d);
                }
            }
            *field(offer) = out;
        }
    }
    Ok(())
}

/// Build the offer from layered parameter tables (lowest first) and
/// command-line `Key=Value` settings (applied last).
/// A FirstBurstLength left at its default is lowered to a configured
/// MaxBurstLength below it.
pub fn build_offer(tables: &[Option<&ParamTable>], cli: &[(String, String)]) -> Result<Offer> {
    let mut offer = Offer::default();
    let mut fbl_set = false;
    for t in tables.iter().flatten() {
        for (k, v) in t.iter() {
            let v = param_value(k, v)?;
            apply_setting(&mut offer, k, &v).map_err(Error::config)?;
            fbl_set |= k == params::FIRST_BURST_LENGTH.name;
        }
    }
    for (k, v) in cli {
        apply_setting(&mut offer, k, v).map_err(Error::usage)?;
        fbl_set |= k == params::FIRST_BURST_LENGTH.name;
    }
    if !fbl_set && offer.first_burst_length > offer.max_burst_length {
        offer.first_burst_length = offer.max_burst_length;
    }
    validate_offer(&offer).map_err(Error::config)?;
    Ok(offer)
}

#[cfg(test)]
mod tests;

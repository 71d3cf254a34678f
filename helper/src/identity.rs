//! Initiator identity: the initiator name (RFC 7143 §4.2.7, RFC 3721) and the
//! ISID rule (RFC 7143 §4.4.3, §11.12.5).
//!
//! Initiator name, first found wins:
//! 1. `--initiator-name`;
//! 2. `InitiatorName=` in /etc/iscsi/initiatorname.iscsi (open-iscsi's file);
//! 3. `initiator_name` in the helper's config file;
//! 4. generated once as `iqn.2026-11.org.iscsi-init:<12 hex digits>` from the
//!    OS RNG and stored in the config file.
//!
//! ISID: type 10b "Random" (§11.12.5): byte 0 = 0x80 (T=10b, A=0), then B, C
//! and the qualifier D are the first 5 bytes of
//! `SHA-256("iscsi-init isid v1\0" || initiator name || "\0" || target name)`.
//! The same initiator always uses the same ISID towards the same target, on
//! every portal group and across reboots, so a re-login reinstates the old
//! session (§6.3.5) instead of creating a second one. An explicit ISID in a
//! target record (`isid = "..."`) or `--isid` overrides it.

use std::fs;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::chap::random_bytes;
use crate::config::Config;
use crate::error::{Error, Result};

/// open-iscsi's initiator name file.
pub const OPEN_ISCSI_NAME_FILE: &str = "/etc/iscsi/initiatorname.iscsi";

/// Naming authority of generated names (RFC 3721 §1: `iqn.yyyy-mm.` + reversed domain).
pub const GENERATED_PREFIX: &str = "iqn.2026-11.org.iscsi-init";

/// Longest iSCSI name in bytes (RFC 7143 §4.2.7.1).
pub const MAX_NAME_LEN: usize = 223;

/// Where the initiator name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameSource {
    /// `--initiator-name`.
    CommandLine,
    /// /etc/iscsi/initiatorname.iscsi.
    OpenIscsi,
    /// The helper's config file.
    Config,
    /// Generated now and stored in the config file.
    Generated,
}

/// Check the form of an iSCSI name (RFC 7143 §4.2.7): `iqn.`, `eui.` (16 hex
/// digits) or `naa.` (16 or 32 hex digits), at most 223 bytes, no spaces or
/// control characters. Returns a message naming the problem.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty iSCSI name".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "iSCSI name is {} bytes long (at most {MAX_NAME_LEN})",
            name.len()
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "iSCSI name {name:?} contains spaces or control characters"
        ));
    }
    let lower = name.to_ascii_lowercase();
    let hex_len = |rest: &str, lens: &[usize]| {
        lens.contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_hexdigit())
    };
    if let Some(rest) = lower.strip_prefix("iqn.") {
        // iqn.yyyy-mm.reversed-domain[:...]
        let ok = rest.len() > 8
            && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[4] == b'-'
            && rest.as_bytes()[5..7].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[7] == b'.';
        if !ok {
            return Err(format!(
                "iSCSI name {name:?} is not of the form iqn.yyyy-mm.domain[:id]"
            ));
        }
        Ok(())
    } else if let Some(rest) = lower.strip_prefix("eui.") {
        if hex_len(rest, &[16]) {
            Ok(())
        } else {
            Err(format!("iSCSI name {name:?}: eui. takes 16 hex digits"))
        }
    } else if let Some(rest) = lower.strip_prefix("naa.") {
        if hex_len(rest, &[16, 32]) {
            Ok(())
        } else {
            Err(format!(
                "iSCSI name {name:?}: naa. takes 16 or 32 hex digits"
            ))
        }
    } else {
        Err(format!(
            "iSCSI name {name:?} does not start with iqn., eui. or naa."
        ))
    }
}

/// Read `InitiatorName=` from an open-iscsi style file; `None` when the file
/// does not exist.
pub fn read_name_file(path: &Path) -> Result<Option<String>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read {}: {}",
                path.display(),
                crate::error::strip_os_error(&e)
            )))
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == "InitiatorName" {
                let v = v.trim().to_string();
                check_name(&v).map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
                return Ok(Some(v));
            }
        }
    }
    Err(Error::config(format!(
        "{} has no InitiatorName= line",
        path.display()
    )))
}

/// A new name `iqn.2026-11.org.iscsi-init:<12 hex digits>`.
pub fn generate_name() -> Result<String> {
    let r = random_bytes(6)?;
    let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{GENERATED_PREFIX}:{hex}"))
}

/// Determine the initiator name (see the module documentation for the
/// order), generating and storing one when none exists.
pub fn initiator_name(
    cli: Option<&str>,
    name_file: &Path,
    config: &mut Config,
) -> Result<(String, NameSource)> {
    if let Some(n) = cli {
        check_name(n).map_err(Error::usage)?;
        return Ok((n.to_string(), NameSource::CommandLine));
    }
    if let Some(n) = read_name_file(name_file)? {
        return Ok((n, NameSource::OpenIscsi));
    }
    if let Some(n) = &config.file.initiator_name {
        check_name(n).map_err(|e| {
            Error::config(format!("{}: initiator_name: {e}", config.path.display()))
        })?;
        return Ok((n.clone(), NameSource::Config));
    }
    let n = generate_name()?;
    config.store_initiator_name(&n)?;
    Ok((n, NameSource::Generated))
}

/// The derived ISID for `initiator` talking to `target` (see the module
/// documentation). `target` is empty for discovery sessions.
pub fn derive_isid(initiator: &str, target: &str) -> [u8; 6] {
    derive_path_isid(initiator, target, 0)
}

/// The derived ISID of path `n` to `target`: path 0 is [`derive_isid`];
/// path `n > 0` (a further session to the same target through another
/// portal, for multipath) also hashes `"\0"` and `n` in decimal.
pub fn derive_path_isid(initiator: &str, target: &str, n: u32) -> [u8; 6] {
    let mut h = Sha256::new();
    h.update(b"iscsi-init isid v1\0");
    h.update(initiator.as_bytes());
    h.update(b"\0");
    h.update(target.as_bytes());
    if n > 0 {
        h.update(b"\0");
        h.update(n.to_string().as_bytes());
    }
    let d = h.finalize();
    [0x80, d[0], d[1], d[2], d[3], d[4]]
}

/// How many derived path ISIDs a login tries ([`derive_path_isid`]).
pub const MAX_DERIVED_PATHS: u32 = 16;

/// Parse an explicit ISID: 12 hex digits, optionally with `0x` and `:`/`-`
/// separators.
pub fn parse_isid(s: &str) -> Result<[u8; 6], String> {
    let t: String = s
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| *c != ':' && *c != '-')
        .collect();
    if t.len() != 12 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid ISID {s:?}: 12 hex digits expected"));
    }
    let mut out = [0u8; 6];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).expect("hex checked");
    }
    if out[0] >> 6 == 3 {
        return Err(format!(
            "invalid ISID {s:?}: type 11b is reserved (RFC 7143 §11.12.5)"
        ));
    }
    Ok(out)
}

/// Format an ISID as 12 hex digits.
pub fn format_isid(isid: &[u8; 6]) -> String {
    isid.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        check_name("iqn.2026-11.org.iscsi-init:0123456789ab").unwrap();
        check_name("iqn.1993-08.org.debian:01:8ac5fe41c22d").unwrap();
        check_name("eui.02004567A425678D").unwrap();
        check_name("naa.52004567BA64678D").unwrap();
        check_name("naa.62004567BA64678D0123456789ABCDEF").unwrap();
        for bad in [
            "",
            "iqn.",
            "iqn.2026.org.x",
            "iqn.2026-11org",
            "eui.123",
            "naa.xyz",
            "foo.bar",
            "iqn.2026-11.org.x:a b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&format!("iqn.2026-11.org.x:{}", "a".repeat(220))).is_err());
        let g = generate_name().unwrap();
        check_name(&g).unwrap();
        assert!(g.starts_with("iqn.2026-11.org.iscsi-init:"));
        assert_eq!(g.len(), "iqn.2026-11.org.iscsi-init:".len() + 12);
    }

    #[test]
    fn name_file_and_generation() {
        let dir = tempfile::tempdir().unwrap();
        let name_file = dir.path().join("initiatorname.iscsi");
        let cfg_path = dir.path().join("sub/config.toml");
        // Nothing anywhere: generated and stored.
        let mut cfg = Config::load(None).unwrap();
        cfg.path = cfg_path.clone();
        cfg.exists = false;
        cfg.file = Default::default();
        let (n, src) = initiator_name(None, &name_file, &mut cfg).unwrap();
        assert_eq!(src, NameSource::Generated);
        let stored = fs::read_to_string(&cfg_path).unwrap();
        assert!(stored.contains(&format!("initiator_name = \"{n}\"")));
        // Loading again finds it in the config.
        let mut cfg2 = Config::load(Some(&cfg_path)).unwrap();
        let (n2, src2) = initiator_name(None, &name_file, &mut cfg2).unwrap();
        assert_eq!((n2.as_str(), src2), (n.as_str(), NameSource::Config));
        // An existing config keeps its content when the name is prepended.
        let p3 = dir.path().join("c3.toml");
        fs::write(&p3, "[targets.a]\niqn = \"iqn.2001-04.com.example:a\"\n").unwrap();
        let mut cfg3 = Config::load(Some(&p3)).unwrap();
        let (n3, _) = initiator_name(None, &name_file, &mut cfg3).unwrap();
        let cfg3b = Config::load(Some(&p3)).unwrap();
        assert_eq!(cfg3b.file.initiator_name.as_deref(), Some(n3.as_str()));
        assert!(cfg3b.target("a").is_some());
        // open-iscsi's file wins over the config.
        fs::write(
            &name_file,
            "## comment\n#InitiatorName=iqn.2000-01.com.x:commented\nInitiatorName=iqn.1993-08.org.debian:01:abc\n",
        )
        .unwrap();
        let (n4, src4) = initiator_name(None, &name_file, &mut cfg2).unwrap();
        assert_eq!(n4, "iqn.1993-08.org.debian:01:abc");
        assert_eq!(src4, NameSource::OpenIscsi);
        // The command line wins over everything.
        let (n5, src5) =
            initiator_name(Some("iqn.2026-01.com.example:cli"), &name_file, &mut cfg2).unwrap();
        assert_eq!(
            (n5.as_str(), src5),
            ("iqn.2026-01.com.example:cli", NameSource::CommandLine)
        );
        assert!(initiator_name(Some("bogus"), &name_file, &mut cfg2).is_err());
    }

    #[test]
    fn isid_rule() {
        let a = derive_isid("iqn.2026-11.org.iscsi-init:1", "iqn.2001-04.com.example:t1");
        let b = derive_isid("iqn.2026-11.org.iscsi-init:1", "iqn.2001-04.com.example:t1");
        let c = derive_isid("iqn.2026-11.org.iscsi-init:1", "iqn.2001-04.com.example:t2");
        let d = derive_isid("iqn.2026-11.org.iscsi-init:2", "iqn.2001-04.com.example:t1");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a[0], 0x80, "type 10b random format, A = 0");
        assert_eq!(
            parse_isid("0x80:12:34:56:00:01").unwrap(),
            [0x80, 0x12, 0x34, 0x56, 0, 1]
        );
        assert_eq!(format_isid(&[0x80, 0x12, 0x34, 0x56, 0, 1]), "801234560001");
        assert!(parse_isid("801234").is_err());
        assert!(parse_isid("c01234560001").is_err());
    }

    #[test]
    fn path_isids_are_distinct_and_path_0_is_the_old_rule() {
        let (i, t) = ("iqn.2026-11.org.iscsi-init:1", "iqn.2001-04.com.example:t1");
        assert_eq!(derive_path_isid(i, t, 0), derive_isid(i, t));
        let all: Vec<_> = (0..MAX_DERIVED_PATHS)
            .map(|n| derive_path_isid(i, t, n))
            .collect();
        for (k, a) in all.iter().enumerate() {
            assert_eq!(a[0], 0x80);
            assert!(all[k + 1..].iter().all(|b| b != a), "path {k} repeats");
        }
        // Stable across releases: records and target ACLs depend on it.
        assert_eq!(format_isid(&derive_path_isid(i, t, 1)), "800fa95b3d25");
    }
}

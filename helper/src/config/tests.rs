//! Tests of the configuration file and the merging of settings.

use super::*;
use crate::chap::ChapAlgorithm;
use crate::error::Kind;
use crate::negotiate::Digest;

const EXAMPLE: &str = r#"
initiator_name = "iqn.2026-11.org.iscsi-init:0123456789ab"

[defaults]
connect_timeout = 5
params = { HeaderDigest = ["CRC32C", "None"], MaxBurstLength = 1048576 }

[defaults.auth]
username = "host1"
secret = "defaultsecret123"

[discovery]
portal = "192.0.2.10"
auth = { username = "disc", secret = "discoverysecret" }

[targets.db]
portal = "192.0.2.10:3260"
iqn = "iqn.2001-04.com.example:db"
isid = "800000000001"
params = { ImmediateData = false, FirstBurstLength = 65536 }

[targets.db.auth]
method = "chap"
secret = "dbsecret-123456"
mutual_username = "target-db"
mutual_secret = "dbtargetsecret99"
chap_algorithms = ["SHA-256", "MD5"]
"#;

#[test]
fn parse_example() {
    let f = Config::parse(EXAMPLE).unwrap();
    assert_eq!(f.defaults.connect_timeout, Some(5));
    let db = &f.targets["db"];
    assert_eq!(db.iqn, "iqn.2001-04.com.example:db");
    let mut auth = f.defaults.auth.clone().unwrap();
    auth.merge(db.auth.as_ref().unwrap());
    let chap = auth.resolve().unwrap().unwrap();
    assert_eq!(chap.username, "host1");
    assert_eq!(chap.secret.bytes(), b"dbsecret-123456");
    let m = chap.mutual.unwrap();
    assert_eq!(m.username.as_deref(), Some("target-db"));
    assert_eq!(
        chap.algorithms,
        vec![ChapAlgorithm::Sha256, ChapAlgorithm::Md5]
    );
    let offer = build_offer(
        &[f.defaults.params.as_ref(), db.params.as_ref()],
        &[("DataDigest".into(), "CRC32C".into())],
    )
    .unwrap();
    assert_eq!(offer.header_digest, vec![Digest::Crc32c, Digest::None]);
    assert_eq!(offer.data_digest, vec![Digest::Crc32c]);
    assert_eq!(offer.max_burst_length, 1048576);
    assert_eq!(offer.first_burst_length, 65536);
    assert!(!offer.immediate_data);
}

#[test]
fn unknown_keys_and_bad_values_are_errors() {
    let e = Config::parse("[defaults]\nbogus = 1\n").unwrap_err();
    assert_eq!(e.kind, Kind::Config);
    assert!(e.message.contains("line 2"), "{e}");
    assert!(!e.message.contains('\n'));
    let e = Config::parse("[targets.x]\nportal = \"a\"\n").unwrap_err();
    assert!(e.message.contains("iqn"), "{e}");
    let f = Config::parse("[defaults.params]\nMaxBurstLength = 100\n").unwrap();
    let e = build_offer(&[f.defaults.params.as_ref()], &[]).unwrap_err();
    assert!(e.message.contains("out of range"), "{e}");
    // A default FirstBurstLength follows a lower MaxBurstLength...
    let f = Config::parse("[defaults.params]\nMaxBurstLength = 65536\n").unwrap();
    let o = build_offer(&[f.defaults.params.as_ref()], &[]).unwrap();
    assert_eq!(o.first_burst_length, 65536);
    // ... an explicit one must fit.
    let f =
        Config::parse("[defaults.params]\nFirstBurstLength = 1048576\nMaxBurstLength = 65536\n")
            .unwrap();
    let e = build_offer(&[f.defaults.params.as_ref()], &[]).unwrap_err();
    assert!(e.message.contains("exceeds"), "{e}");
    // A bad command-line parameter is a usage error.
    let e = build_offer(&[], &[("MaxBurstLength".into(), "x".into())]).unwrap_err();
    assert_eq!(e.kind, Kind::Usage);
}

#[test]
fn cli_overrides_config() {
    let mut auth = AuthSettings {
        username: Some("a".into()),
        secret: Some("config-secret-1".into()),
        ..Default::default()
    };
    auth.merge(&AuthSettings {
        secret_file: Some("/nonexistent".into()),
        ..Default::default()
    });
    assert_eq!(auth.secret, None);
    assert_eq!(auth.secret_file.as_deref(), Some(Path::new("/nonexistent")));
    assert_eq!(auth.username.as_deref(), Some("a"));
    // method = none in an upper layer disables CHAP.
    auth.merge(&AuthSettings {
        method: Some("none".into()),
        ..Default::default()
    });
    assert!(auth.resolve().unwrap().is_none());
}

/// `base` changed by `set`.
fn auth(base: AuthSettings, set: impl FnOnce(&mut AuthSettings)) -> AuthSettings {
    let mut a = base;
    set(&mut a);
    a
}

/// A user with the secret "0123456789abc".
fn user_and_secret() -> AuthSettings {
    AuthSettings {
        username: Some("u".into()),
        secret: Some("0123456789abc".into()),
        ..Default::default()
    }
}

#[test]
fn auth_resolution_errors() {
    let none = AuthSettings::default;
    let cases = [
        (
            auth(none(), |a| a.method = Some("chap".into())),
            "user name",
        ),
        (auth(none(), |a| a.username = Some("u".into())), "secret"),
        (
            auth(none(), |a| a.method = Some("kerberos".into())),
            "unknown auth method",
        ),
        (
            auth(user_and_secret(), |a| {
                a.secret = Some("same-secret-here".into());
                a.mutual_secret = Some("same-secret-here".into());
            }),
            "same secret",
        ),
        (
            auth(user_and_secret(), |a| a.mutual_username = Some("t".into())),
            "mutual CHAP needs",
        ),
        (
            auth(user_and_secret(), |a| {
                a.chap_algorithms = Some(vec!["MD4".into()])
            }),
            "unknown CHAP algorithm",
        ),
    ];
    for (settings, want) in cases {
        let m = settings.resolve().unwrap_err().message;
        assert!(m.contains(want), "{m:?} lacks {want:?}");
    }
    // No auth at all.
    assert!(AuthSettings::default().resolve().unwrap().is_none());
}

#[test]
fn secret_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s");
    fs::write(&p, "file-secret-123\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    let e = read_secret(None, Some(&p)).unwrap_err();
    assert_eq!(e.kind, Kind::Config);
    assert!(
        e.message
            .contains("accessible by group or others (mode 0640)"),
        "{e}"
    );
    assert!(e.message.contains("chmod 600"), "{e}");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    let s = read_secret(None, Some(&p)).unwrap().unwrap();
    assert_eq!(s.bytes(), b"file-secret-123");
    fs::write(&p, "crlf-secret-123\r\n").unwrap();
    assert_eq!(
        read_secret(None, Some(&p)).unwrap().unwrap().bytes(),
        b"crlf-secret-123"
    );
    let e = read_secret(None, Some(&dir.path().join("missing"))).unwrap_err();
    assert!(e.message.contains("cannot read secret file"), "{e}");
    assert!(!e.message.contains("os error"), "{e}");
    assert!(read_secret(Some("x"), Some(&p)).is_err());
}

#[test]
fn load_missing_files() {
    // An explicit path must exist.
    let e = Config::load(Some(Path::new("/nonexistent/iscsi-init.toml"))).unwrap_err();
    assert_eq!(e.kind, Kind::Config);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    fs::write(&p, EXAMPLE).unwrap();
    let c = Config::load(Some(&p)).unwrap();
    assert!(c.exists);
    let pp = Portal::parse("192.0.2.10", 3260).unwrap();
    assert_eq!(
        c.find_by_iqn("iqn.2001-04.com.example:db", Some(&pp)).len(),
        1
    );
    let other = Portal::parse("192.0.2.11", 3260).unwrap();
    assert_eq!(
        c.find_by_iqn("iqn.2001-04.com.example:db", Some(&other))
            .len(),
        0
    );
    assert_eq!(c.find_by_iqn("iqn.2001-04.com.example:db", None).len(), 1);
}

#[test]
fn settings_from_config_and_command_line() {
    let mut o = Offer::default();
    apply_setting(&mut o, "HeaderDigest", "crc32c, none").unwrap();
    assert_eq!(o.header_digest, vec![Digest::Crc32c, Digest::None]);
    apply_setting(&mut o, "InitialR2T", "Yes").unwrap();
    assert!(o.initial_r2t);
    apply_setting(&mut o, "MaxBurstLength", "0x40000").unwrap();
    assert_eq!(o.max_burst_length, 262144);
    assert!(apply_setting(&mut o, "MaxOutstandingR2T", "17")
        .unwrap_err()
        .contains("out of range 1..16"));
    assert!(apply_setting(&mut o, "DefaultTime2Wait", "3601").is_err());
    assert!(apply_setting(&mut o, "DataDigest", "MD5").is_err());
    assert!(apply_setting(&mut o, "Nope", "1")
        .unwrap_err()
        .contains("unknown"));
}

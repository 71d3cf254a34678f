//! Command-line behaviour that needs no target: usage errors, the missing
//! kernel module, configuration errors, exit codes.

mod common;

use std::process::Command;

use common::{run, Cmd};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iscsi-init"));
    c.env_remove("ISCSI_INIT_CONFIG");
    c
}

fn empty_config() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.toml");
    std::fs::write(&p, "").unwrap();
    (d, p)
}

#[test]
fn help_documents_exit_codes() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    for line in [
        "2  usage error",
        "3  configuration error",
        "4  network error",
        "5  authentication or authorization failure",
        "6  target error",
        "7  kernel module error",
    ] {
        assert!(s.contains(line), "--help lacks {line:?}");
    }
    for cmd in ["discover", "login", "logout", "list"] {
        let out = bin().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success(), "{cmd} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Exit status:"));
    }
}

#[test]
fn usage_errors_exit_2() {
    let (_d, cfg) = empty_config();
    let check = |extra: &[&str]| Cmd::login_check("iqn.2026-11.org.x:y", "h").args(extra);
    for args in [
        Cmd::new(&["frobnicate"]),
        Cmd::new(&["login", "--check"]),
        Cmd::new(&["logout"]),
        Cmd::new(&["discover"]),
        Cmd::login_check("not-an-iqn", "127.0.0.1"),
        Cmd::new(&["login", "--check", "-T", "iqn.2026-11.org.x:y"]),
        Cmd::login_check("iqn.2026-11.org.x:y", "[::1"),
        check(&["-o", "MaxBurstLength"]),
        check(&["-o", "Bogus=1"]),
        check(&["--header-digest", "MD5"]),
        check(&["--isid", "12"]),
    ] {
        let r = args.run(&cfg);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("iscsi-init") || r.stderr.contains("Usage"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

#[test]
fn kernel_commands_without_module() {
    if std::path::Path::new("/dev/iscsi_init").exists() {
        eprintln!("skipped: /dev/iscsi_init exists (module loaded)");
        return;
    }
    let (_d, cfg) = empty_config();
    for args in [
        vec!["list"],
        vec!["logout", "--all"],
        vec!["login", "-T", "iqn.2026-11.org.x:y", "-p", "127.0.0.1:1"],
    ] {
        let r = run(&cfg, &args);
        assert_eq!(r.code, 7, "{args:?}: {}", r.stderr);
        assert_eq!(
            r.stderr,
            "iscsi-init: /dev/iscsi_init not found: is the iscsi_init module loaded?\n"
        );
    }
    let r = run(&cfg, &["--json", "list"]);
    assert_eq!(r.code, 7);
    assert_eq!(r.json()["error"]["kind"], "kernel");
}

#[test]
fn config_errors_exit_3() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.toml");
    std::fs::write(&p, "[defaults]\nport = \"x\"\n").unwrap();
    let r = run(
        &p,
        &[
            "login",
            "--check",
            "-T",
            "iqn.2026-11.org.x:y",
            "-p",
            "127.0.0.1:1",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("iscsi-init: "), "{}", r.stderr);
    let missing = d.path().join("missing.toml");
    let r = run(&missing, &["discover", "-p", "127.0.0.1:1"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // The environment variable names the config file too.
    let out = bin()
        .env("ISCSI_INIT_CONFIG", &p)
        .args([
            "--initiator-name",
            common::INITIATOR,
            "discover",
            "-p",
            "127.0.0.1:1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn generated_initiator_name_is_stored() {
    // Only meaningful where open-iscsi's name file does not exist.
    if std::path::Path::new("/etc/iscsi/initiatorname.iscsi").exists() {
        eprintln!("skipped: /etc/iscsi/initiatorname.iscsi exists");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("new/config.toml");
    let closed = format!("127.0.0.1:{}", common::closed_port());
    // Without --initiator-name: the name is generated.
    let discover = || {
        bin()
            .arg("-c")
            .arg(&p)
            .args(["discover", "-p", &closed])
            .output()
            .unwrap()
    };
    assert_eq!(
        discover().status.code(),
        Some(3),
        "explicit config path must exist"
    );
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, "").unwrap();
    assert_eq!(discover().status.code(), Some(4));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("initiator_name = \"iqn.2026-11.org.iscsi-init:"),
        "{text}"
    );
}

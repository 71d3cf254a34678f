//! Integration tests against a real tgtd on 127.0.0.1 (each test starts its
//! own on a free port with its own control port; they run in parallel).
//! tgt (Debian 1.0.x) knows CHAP_A=5 (MD5) and numbers SHA-1 as 7, so the
//! CHAP tests offer MD5 only.

mod common;

use common::{run, Tgtd};

const T1: &str = "iqn.2026-11.org.iscsi-init.test:disk1";
const T2: &str = "iqn.2026-11.org.iscsi-init.test:disk2";

fn one_line_error(stderr: &str, prefix: &str) {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains(": warning: "))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one error line expected: {stderr:?}"
    );
    assert!(
        lines[0].starts_with(prefix),
        "error line {:?} does not start with {prefix:?}",
        lines[0]
    );
}

#[test]
fn discovery_lists_targets_and_portals() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.add_target(2, T2, 2);
    let cfg = t.config();
    let r = run(&cfg, &["discover", "-p", &t.portal()]).ok();
    let want = format!("{T1}\n    {},1\n{T2}\n    {},1\n", t.portal(), t.portal());
    assert_eq!(r.stdout, want);
    let j = run(&cfg, &["--json", "discover", "-p", &t.portal()])
        .ok()
        .json();
    assert_eq!(j["portal"], t.portal());
    let targets = j["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["name"], T1);
    assert_eq!(targets[0]["portals"][0]["address"], t.portal());
    assert_eq!(targets[0]["portals"][0]["tpgt"], 1);
    assert_eq!(targets[0]["portals"][0]["port"], t.port);
    assert_eq!(j["authentication"]["method"], "None");
}

#[test]
fn discovery_spanning_several_text_pdus() {
    let t = Tgtd::start();
    let names: Vec<String> = (0..40)
        .map(|i| format!("iqn.2026-11.org.iscsi-init.test:a-rather-long-target-name-number-{i:03}"))
        .collect();
    for (i, n) in names.iter().enumerate() {
        t.add_target(i as u32 + 1, n, 0);
    }
    // With a 512-byte MaxRecvDataSegmentLength tgtd sends the ~4 KB answer
    // in many Text Responses (F=0 + Target Transfer Tag continuation).
    let r = run(
        &t.config(),
        &[
            "--json",
            "discover",
            "-p",
            &t.portal(),
            "-o",
            "MaxRecvDataSegmentLength=512",
        ],
    )
    .ok();
    let j = r.json();
    let got: Vec<&str> = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, names);
}

#[test]
fn login_check_without_auth() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    let cfg = t.config();
    let r = run(&cfg, &["login", "--check", "-T", T1, "-p", &t.portal()]).ok();
    assert!(
        r.stdout
            .starts_with(&format!("login to {T1} at {} succeeded", t.portal())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("authentication: none"));
    assert!(r.stdout.contains("    HeaderDigest = None\n"));
    assert!(r.stdout.ends_with("logged out\n"));
    let j = run(
        &cfg,
        &["--json", "login", "--check", "-T", T1, "-p", &t.portal()],
    )
    .ok()
    .json();
    let n = &j["negotiated"];
    assert_eq!(n["SessionType"], "Normal");
    assert_eq!(n["HeaderDigest"], "None");
    assert_eq!(n["DataDigest"], "None");
    assert_eq!(n["ErrorRecoveryLevel"], 0);
    assert_eq!(n["MaxConnections"], 1);
    assert_eq!(n["TargetPortalGroupTag"], 1);
    // tgtd's defaults win the min/max/boolean functions.
    assert_eq!(n["MaxBurstLength"], 262144);
    assert_eq!(n["FirstBurstLength"], 65536);
    assert_eq!(n["InitialR2T"], true);
    assert_eq!(n["ImmediateData"], true);
    assert_eq!(n["MaxOutstandingR2T"], 1);
    assert_eq!(n["MaxRecvDataSegmentLength"], 262144);
    assert_eq!(j["logged_out"], true);
    assert_ne!(j["tsih"], 0);
    // The ISID is stable: the same on every login (type 10b random format).
    let j2 = run(
        &cfg,
        &["--json", "login", "--check", "-T", T1, "-p", &t.portal()],
    )
    .ok()
    .json();
    assert_eq!(j["isid"], j2["isid"]);
    assert!(j["isid"].as_str().unwrap().starts_with("80"));
}

#[test]
fn login_check_one_way_chap() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.account(Some(1), "alice", "alice-secret-1", false);
    let cfg = t.config();
    // No credentials: the target asks for them.
    let r = run(&cfg, &["login", "--check", "-T", T1, "-p", &t.portal()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: authentication failed: the target requires authentication",
    );
    let j = run(
        &cfg,
        &[
            "--json",
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &t.portal(),
            "-u",
            "alice",
            "-s",
            "alice-secret-1",
            "--chap-algs",
            "MD5",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["authentication"]["method"], "CHAP");
    assert_eq!(j["authentication"]["algorithm"], "MD5");
    assert_eq!(j["authentication"]["mutual"], false);
}

#[test]
fn login_check_mutual_chap() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.account(Some(1), "alice", "alice-secret-1", false);
    t.account(Some(1), "tgt-one", "target-secret-2", true);
    let cfg = t.config();
    let base = [
        "login",
        "--check",
        "-T",
        T1,
        "-p",
        &t.portal(),
        "-u",
        "alice",
        "-s",
        "alice-secret-1",
        "--chap-algs",
        "MD5",
        "-U",
        "tgt-one",
    ];
    let mut args = base.to_vec();
    args.extend(["-S", "target-secret-2"]);
    let r = run(&cfg, &args).ok();
    assert!(
        r.stdout.contains("authentication: mutual CHAP (MD5)"),
        "{}",
        r.stdout
    );
    // The target proves a secret other than the one we expect.
    let mut args = base.to_vec();
    args.extend(["-S", "not-the-target-secret"]);
    let r = run(&cfg, &args);
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: authentication failed: target's CHAP response did not verify",
    );
    // Same secret both ways is refused before connecting.
    let mut args = base.to_vec();
    args[9] = "same-secret-both";
    args.extend(["-S", "same-secret-both"]);
    let r = run(&cfg, &args);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: refusing mutual CHAP with the same secret",
    );
}

#[test]
fn wrong_secret_is_an_authentication_failure() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.account(Some(1), "alice", "alice-secret-1", false);
    let r = run(
        &t.config(),
        &[
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &t.portal(),
            "-u",
            "alice",
            "-s",
            "wrong-secret-99",
            "--chap-algs",
            "MD5",
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "iscsi-init: authentication failed: target rejected our CHAP response (status 0x0201)\n"
    );
    assert!(r.stdout.is_empty());
    // --json adds a machine-readable error on stdout.
    let r = run(
        &t.config(),
        &[
            "--json",
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &t.portal(),
            "-u",
            "alice",
            "-s",
            "wrong-secret-99",
            "--chap-algs",
            "MD5",
        ],
    );
    assert_eq!(r.code, 5);
    assert_eq!(r.json()["error"]["kind"], "auth");
}

#[test]
fn crc32c_digests_when_both_ask() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.param(1, "HeaderDigest", "CRC32C,None");
    t.param(1, "DataDigest", "CRC32C,None");
    let j = run(
        &t.config(),
        &[
            "--json",
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &t.portal(),
            "--header-digest",
            "CRC32C,None",
            "--data-digest",
            "CRC32C",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["negotiated"]["HeaderDigest"], "CRC32C");
    assert_eq!(j["negotiated"]["DataDigest"], "CRC32C");
    // The Logout exchange ran with digests on: it succeeded.
    assert_eq!(j["logged_out"], true);
    // Our default (None) stays None.
    let j = run(
        &t.config(),
        &["--json", "login", "--check", "-T", T1, "-p", &t.portal()],
    )
    .ok()
    .json();
    assert_eq!(j["negotiated"]["HeaderDigest"], "None");
}

#[test]
fn discovery_chap() {
    // tgtd: accounts bound without --tid apply to discovery sessions.
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.account(None, "disco", "discovery-secret", false);
    t.account(None, "disco-tgt", "discovery-target-secret", true);
    let cfg = t.config();
    let r = run(&cfg, &["discover", "-p", &t.portal()]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(&r.stderr, "iscsi-init: authentication failed:");
    let r = run(
        &cfg,
        &[
            "discover",
            "-p",
            &t.portal(),
            "-u",
            "disco",
            "-s",
            "discovery-secret",
            "--chap-algs",
            "MD5",
            "-U",
            "disco-tgt",
            "-S",
            "discovery-target-secret",
        ],
    )
    .ok();
    assert_eq!(r.stdout, format!("{T1}\n    {},1\n", t.portal()));
    let r = run(
        &cfg,
        &[
            "discover",
            "-p",
            &t.portal(),
            "-u",
            "disco",
            "-s",
            "wrong-discovery",
            "--chap-algs",
            "MD5",
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[test]
fn target_records_and_secret_files() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    t.account(Some(1), "alice", "alice-secret-1", false);
    t.account(Some(1), "tgt-one", "target-secret-2", true);
    let secret = t.write("alice.secret", "alice-secret-1\n", 0o600);
    let tsecret = t.write("tgt.secret", "target-secret-2\n", 0o600);
    let loose = t.write("loose.secret", "alice-secret-1\n", 0o644);
    let cfg = t.write(
        "config.toml",
        &format!(
            r#"
[defaults.params]
MaxBurstLength = 131072

[targets.db]
portal = "{portal}"
iqn = "{T1}"

[targets.db.auth]
username = "alice"
secret_file = "{secret}"
mutual_username = "tgt-one"
mutual_secret_file = "{tsecret}"
chap_algorithms = ["MD5"]

[targets.loose]
portal = "{portal}"
iqn = "{T1}"
auth = {{ username = "alice", secret_file = "{loose}", chap_algorithms = ["MD5"] }}
"#,
            portal = t.portal(),
            secret = secret.display(),
            tsecret = tsecret.display(),
            loose = loose.display(),
        ),
        0o600,
    );
    let j = run(&cfg, &["--json", "login", "--check", "db"]).ok().json();
    assert_eq!(j["authentication"]["mutual"], true);
    assert_eq!(j["negotiated"]["MaxBurstLength"], 131072);
    // A command-line flag overrides the record.
    let j = run(
        &cfg,
        &[
            "--json",
            "login",
            "--check",
            "db",
            "-o",
            "MaxBurstLength=65536",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["negotiated"]["MaxBurstLength"], 65536);
    let r = run(&cfg, &["login", "--check", "loose"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line_error(&r.stderr, "iscsi-init: refusing secret file");
    assert!(r.stderr.contains("mode 0644"), "{}", r.stderr);
    let r = run(&cfg, &["login", "--check", "nosuch"]);
    assert_eq!(r.code, 8, "{}", r.stderr);
}

#[test]
fn target_and_network_errors() {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    let cfg = t.config();
    let r = run(
        &cfg,
        &[
            "login",
            "--check",
            "-T",
            "iqn.2026-11.org.iscsi-init.test:nope",
            "-p",
            &t.portal(),
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: target not found: iqn.2026-11.org.iscsi-init.test:nope (status 0x0203)",
    );
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(
        &cfg,
        &[
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &format!("127.0.0.1:{closed}"),
        ],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    one_line_error(&r.stderr, "iscsi-init: cannot connect to 127.0.0.1:");
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn login_redirection() {
    // A (127.0.0.1) redirects to B (127.0.0.2), which has the LUN.
    let a = Tgtd::start();
    let b = Tgtd::start_on("127.0.0.2");
    a.add_target(1, T1, 0);
    b.add_target(1, T1, 1);
    a.redirect(1, "127.0.0.2", b.port, "Temporary");
    let j = run(
        &a.config(),
        &["--json", "login", "--check", "-T", T1, "-p", &a.portal()],
    )
    .ok()
    .json();
    assert_eq!(j["portal"], b.portal());
    assert_eq!(j["redirects"][0], b.portal());
    // Permanent redirections are followed too, with a warning.
    a.redirect(1, "127.0.0.2", b.port, "Permanent");
    let r = run(
        &a.config(),
        &["login", "--check", "-T", T1, "-p", &a.portal()],
    )
    .ok();
    assert!(
        r.stdout.contains(&format!("redirected to {}", b.portal())),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("moved permanently"), "{}", r.stderr);
}

#[test]
fn login_redirection_loop_is_bounded() {
    // A (127.0.0.3) -> B (127.0.0.2) -> A -> ...
    let a = Tgtd::start_on("127.0.0.3");
    let b = Tgtd::start_on("127.0.0.2");
    a.add_target(1, T1, 0);
    b.add_target(1, T1, 0);
    a.redirect(1, "127.0.0.2", b.port, "Temporary");
    b.redirect(1, "127.0.0.3", a.port, "Temporary");
    let r = run(
        &a.config(),
        &[
            "login",
            "--check",
            "-T",
            T1,
            "-p",
            &a.portal(),
            "--max-redirects",
            "3",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: too many login redirections (more than 3)",
    );
}

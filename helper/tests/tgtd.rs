//! Integration tests against a real tgtd on 127.0.0.1 (each test starts its
//! own on a free port with its own control port; they run in parallel).
//! tgt (Debian 1.0.x) knows CHAP_A=5 (MD5) and numbers SHA-1 as 7, so the
//! CHAP tests offer MD5 only.

mod common;

use common::{Cmd, Tgtd};

const T1: &str = "iqn.2026-11.org.iscsi-init.test:disk1";
const T2: &str = "iqn.2026-11.org.iscsi-init.test:disk2";

/// The CHAP account the initiator logs in with, and the target's own
/// account for mutual CHAP.
const ALICE: (&str, &str) = ("alice", "alice-secret-1");
const TGT_ONE: (&str, &str) = ("tgt-one", "target-secret-2");

/// A tgtd with target 1 = [`T1`] (one LUN, portal group tag 1), and with
/// `accounts` bound to it: the initiator's, then optionally the target's
/// own (outgoing) account.
fn tgtd_with_t1(accounts: &[(&str, &str)]) -> Tgtd {
    let t = Tgtd::start();
    t.add_target(1, T1, 1);
    for (i, (user, password)) in accounts.iter().enumerate() {
        t.account(Some(1), user, password, i == 1);
    }
    t
}

/// `login --check -T T1 -p PORTAL` towards `t`.
fn check_t1(t: &Tgtd) -> Cmd {
    Cmd::login_check(T1, &t.portal())
}

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
    let t = tgtd_with_t1(&[]);
    t.add_target(2, T2, 2);
    let cfg = t.config();
    let r = Cmd::discover(&t.portal()).run(&cfg).ok();
    let want = format!("{T1}\n    {},1\n{T2}\n    {},1\n", t.portal(), t.portal());
    assert_eq!(r.stdout, want);
    let j = Cmd::discover(&t.portal()).json().run(&cfg).ok().json();
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
    let r = Cmd::discover(&t.portal())
        .json()
        .args(&["-o", "MaxRecvDataSegmentLength=512"])
        .run(&t.config())
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
    let t = tgtd_with_t1(&[]);
    let cfg = t.config();
    let r = check_t1(&t).run(&cfg).ok();
    assert!(
        r.stdout
            .starts_with(&format!("login to {T1} at {} succeeded", t.portal())),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("authentication: none"));
    assert!(r.stdout.contains("    HeaderDigest = None\n"));
    assert!(r.stdout.ends_with("logged out\n"));
    let j = check_t1(&t).json().run(&cfg).ok().json();
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
    let j2 = check_t1(&t).json().run(&cfg).ok().json();
    assert_eq!(j["isid"], j2["isid"]);
    assert!(j["isid"].as_str().unwrap().starts_with("80"));
}

#[test]
fn login_check_one_way_chap() {
    let t = tgtd_with_t1(&[ALICE]);
    let cfg = t.config();
    // No credentials: the target asks for them.
    let r = check_t1(&t).run(&cfg);
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: authentication failed: the target requires authentication",
    );
    let j = check_t1(&t)
        .json()
        .chap(ALICE.0, ALICE.1)
        .run(&cfg)
        .ok()
        .json();
    assert_eq!(j["authentication"]["method"], "CHAP");
    assert_eq!(j["authentication"]["algorithm"], "MD5");
    assert_eq!(j["authentication"]["mutual"], false);
}

#[test]
fn login_check_mutual_chap() {
    let t = tgtd_with_t1(&[ALICE, TGT_ONE]);
    let cfg = t.config();
    let login = |secret: &str, target_secret: &str| {
        check_t1(&t)
            .chap(ALICE.0, secret)
            .mutual(TGT_ONE.0, target_secret)
            .run(&cfg)
    };
    let r = login(ALICE.1, TGT_ONE.1).ok();
    assert!(
        r.stdout.contains("authentication: mutual CHAP (MD5)"),
        "{}",
        r.stdout
    );
    // The target proves a secret other than the one we expect.
    let r = login(ALICE.1, "not-the-target-secret");
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: authentication failed: target's CHAP response did not verify",
    );
    // Same secret both ways is refused before connecting.
    let r = login("same-secret-both", "same-secret-both");
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: refusing mutual CHAP with the same secret",
    );
}

#[test]
fn wrong_secret_is_an_authentication_failure() {
    let t = tgtd_with_t1(&[ALICE]);
    let wrong = check_t1(&t).chap(ALICE.0, "wrong-secret-99");
    let r = wrong.run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "iscsi-init: authentication failed: target rejected our CHAP response (status 0x0201)\n"
    );
    assert!(r.stdout.is_empty());
    // --json adds a machine-readable error on stdout.
    let r = wrong.json().run(&t.config());
    assert_eq!(r.code, 5);
    assert_eq!(r.json()["error"]["kind"], "auth");
}

#[test]
fn crc32c_digests_when_both_ask() {
    let t = tgtd_with_t1(&[]);
    t.param(1, "HeaderDigest", "CRC32C,None");
    t.param(1, "DataDigest", "CRC32C,None");
    let j = check_t1(&t)
        .json()
        .args(&["--header-digest", "CRC32C,None", "--data-digest", "CRC32C"])
        .run(&t.config())
        .ok()
        .json();
    assert_eq!(j["negotiated"]["HeaderDigest"], "CRC32C");
    assert_eq!(j["negotiated"]["DataDigest"], "CRC32C");
    // The Logout exchange ran with digests on: it succeeded.
    assert_eq!(j["logged_out"], true);
    // Our default (None) stays None.
    let j = check_t1(&t).json().run(&t.config()).ok().json();
    assert_eq!(j["negotiated"]["HeaderDigest"], "None");
}

#[test]
fn discovery_chap() {
    // tgtd: accounts bound without --tid apply to discovery sessions.
    let t = tgtd_with_t1(&[]);
    t.account(None, "disco", "discovery-secret", false);
    t.account(None, "disco-tgt", "discovery-target-secret", true);
    let cfg = t.config();
    let r = Cmd::discover(&t.portal()).run(&cfg);
    assert_eq!(r.code, 5, "{}", r.stderr);
    one_line_error(&r.stderr, "iscsi-init: authentication failed:");
    let r = Cmd::discover(&t.portal())
        .chap("disco", "discovery-secret")
        .mutual("disco-tgt", "discovery-target-secret")
        .run(&cfg)
        .ok();
    assert_eq!(r.stdout, format!("{T1}\n    {},1\n", t.portal()));
    let r = Cmd::discover(&t.portal())
        .chap("disco", "wrong-discovery")
        .run(&cfg);
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[test]
fn target_records_and_secret_files() {
    let t = tgtd_with_t1(&[ALICE, TGT_ONE]);
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
    let db = Cmd::new(&["login", "--check", "db"]);
    let j = db.clone().json().run(&cfg).ok().json();
    assert_eq!(j["authentication"]["mutual"], true);
    assert_eq!(j["negotiated"]["MaxBurstLength"], 131072);
    // A command-line flag overrides the record.
    let j = db
        .json()
        .args(&["-o", "MaxBurstLength=65536"])
        .run(&cfg)
        .ok()
        .json();
    assert_eq!(j["negotiated"]["MaxBurstLength"], 65536);
    let r = Cmd::new(&["login", "--check", "loose"]).run(&cfg);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line_error(&r.stderr, "iscsi-init: refusing secret file");
    assert!(r.stderr.contains("mode 0644"), "{}", r.stderr);
    let r = Cmd::new(&["login", "--check", "nosuch"]).run(&cfg);
    assert_eq!(r.code, 8, "{}", r.stderr);
}

#[test]
fn target_and_network_errors() {
    let t = tgtd_with_t1(&[]);
    let cfg = t.config();
    let r = Cmd::login_check("iqn.2026-11.org.iscsi-init.test:nope", &t.portal()).run(&cfg);
    assert_eq!(r.code, 6, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: target not found: iqn.2026-11.org.iscsi-init.test:nope (status 0x0203)",
    );
    // Nothing listens on this port.
    let closed = common::closed_port();
    let r = Cmd::login_check(T1, &format!("127.0.0.1:{closed}")).run(&cfg);
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
    let j = check_t1(&a).json().run(&a.config()).ok().json();
    assert_eq!(j["portal"], b.portal());
    assert_eq!(j["redirects"][0], b.portal());
    // Permanent redirections are followed too, with a warning.
    a.redirect(1, "127.0.0.2", b.port, "Permanent");
    let r = check_t1(&a).run(&a.config()).ok();
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
    let r = check_t1(&a)
        .args(&["--max-redirects", "3"])
        .run(&a.config());
    assert_eq!(r.code, 6, "{}", r.stderr);
    one_line_error(
        &r.stderr,
        "iscsi-init: too many login redirections (more than 3)",
    );
}

//! `iscsi-init daemon`: the recovery daemon (the iscsid of FreeBSD and
//! OpenBSD, Documentation/helper.rst "Recovery").
//!
//! It opens /dev/iscsi_init once (while it has CAP_SYS_ADMIN, which the
//! module then grants the open file),
//! optionally logs in every `startup = "automatic"` record, drops every
//! capability, and then waits for the module's events (`IOC_EVENT_WAIT`).
//! When a session's connection fails it logs in again with the same ISID
//! and TSIH 0 (a session reinstatement, RFC 7143 §6.3.5), the same
//! credentials and parameters (from the session's runtime record, and the
//! config file's target record), and binds the new connection to the same
//! session: its SCSI host and /dev/sdX stay. The first attempt waits
//! DefaultTime2Wait (or what the target asked for). While the session
//! holds I/O (applications wait on its disk), an attempt that failed in a
//! way that may pass (network, or a target error such as "service
//! unavailable") is retried every 0.25 s; other failures, and all once
//! `replacement_timeout` has failed the I/O (or with `replacement_timeout`
//! 0, for dm-multipath), back off from 0.5 s, doubling up to
//! `--max-backoff`. Each wait is counted from the end of the attempt that
//! failed. Each recovery is one log
//! line on stderr: session, cause, downtime.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use iscsi_init_abi as abi;

use crate::cli::{Cli, DaemonArgs};
use crate::commands::{attach, login_all, LoginContext, Output};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::kernel::Device;
use crate::runtime;

/// First wait after a failed attempt while the session's I/O fails fast.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Wait after a failed attempt while the session holds I/O: applications
/// are blocked on the disk, so every wait after the target's return is a
/// stall they see. open-iscsi's iscsid retries at once after a failed
/// reopen login; 4 attempts a second per session bound our load on a
/// target that answers "service unavailable".
const HELD_RETRY: Duration = Duration::from_millis(250);
/// Longest wait for an event before the daemon looks at its timers.
const TICK: Duration = Duration::from_millis(500);

/// A session waiting for a new connection.
struct Pending {
    /// When to try next.
    due: Instant,
    /// Wait after the next failed attempt.
    backoff: Duration,
    /// Attempts so far.
    attempts: u32,
    /// An attempt is running.
    busy: bool,
    /// Why the connection failed.
    cause: String,
}

fn log(msg: &str) {
    eprintln!("iscsi-init daemon: {msg}");
}

/// Drops every capability (effective, permitted, inheritable, ambient and
/// the bounding set) and sets no_new_privs. The daemon keeps only its open
/// /dev/iscsi_init, whose ioctls need nothing more; it stays uid 0, which
/// lets it read the root-owned config file and runtime records.
fn drop_capabilities() -> Result<()> {
    use caps::CapSet;
    let err = |e: caps::errors::CapsError| Error::other(format!("dropping capabilities: {e}"));
    for cap in caps::all() {
        caps::drop(None, CapSet::Bounding, cap).map_err(err)?;
    }
    caps::clear(None, CapSet::Ambient).map_err(err)?;
    caps::clear(None, CapSet::Inheritable).map_err(err)?;
    caps::clear(None, CapSet::Effective).map_err(err)?;
    caps::clear(None, CapSet::Permitted).map_err(err)?;
    nix::sys::prctl::set_no_new_privs()
        .map_err(|e| Error::other(format!("PR_SET_NO_NEW_PRIVS: {e}")))?;
    Ok(())
}

/// Takes the daemon's lock file (`daemon.lock` beside the runtime records'
/// directory), held for the daemon's life.
fn single_instance() -> Result<nix::fcntl::Flock<std::fs::File>> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = runtime::run_dir();
    let base = dir.parent().unwrap_or(&dir).to_path_buf();
    let io = |e: std::io::Error| Error::other(format!("{}: {e}", base.display()));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)
        .map_err(io)?;
    // One per network namespace: a daemon recovers only the sessions
    // logged in from its own namespace (their sockets connect there).
    let name = match runtime::current_netns() {
        Some(ns) if !runtime::in_initial_netns() => format!("daemon-net{ns}.lock"),
        _ => "daemon.lock".to_string(),
    };
    let path = base.join(name);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
        Error::other(format!(
            "another iscsi-init daemon runs ({} is locked: {e})",
            path.display()
        ))
    })
}

/// Whether session `id` was logged in from another network namespace than
/// the daemon's (its runtime record says so): a daemon there recovers it.
fn foreign(id: u32) -> bool {
    match (
        runtime::read(id).ok().and_then(|r| r.netns),
        runtime::current_netns(),
    ) {
        (Some(theirs), Some(ours)) => theirs != ours,
        _ => false,
    }
}

/// Logs session `id` in again from its runtime record and binds it.
fn reconnect(dev: &Device, id: u32) -> Result<()> {
    let rec = runtime::read(id)?;
    let mut config = Config::load(rec.config.as_deref())?;
    let ctx = LoginContext {
        initiator_override: rec.initiator_name.as_deref(),
        config_path: rec.config.as_deref(),
    };
    let at = attach(&ctx, &mut config, &rec.login, dev, Some(id))?;
    runtime::write(&at.record)?;
    Ok(())
}

/// The daemon's main loop; returns only on a fatal error.
pub fn run(cli: &Cli, mut config: Config, a: &DaemonArgs) -> Result<Output> {
    // One daemon per host: two would reinstate each other's sessions.
    let _lock = single_instance()?;
    let dev = std::sync::Arc::new(Device::open()?);
    if a.login_all {
        match login_all(
            cli.initiator_name.as_deref(),
            cli.config.as_deref(),
            &mut config,
        ) {
            Ok(out) => {
                for l in out.text.lines() {
                    log(l);
                }
            }
            Err(e) => log(&format!("login --all: {e}")),
        }
    }
    if !a.keep_capabilities {
        drop_capabilities()?;
    }
    let max_backoff = Duration::from_secs(a.max_backoff.max(1));
    // Skip the events from before our start, then catch up from the list.
    let mut seq = 0u64;
    while let Some(ev) = dev.event_wait(seq, 0)? {
        if ev.kind == abi::EVENT_NONE {
            break;
        }
        seq = ev.seq;
    }
    let mut pending: BTreeMap<u32, Pending> = BTreeMap::new();
    let catch_up = |pending: &mut BTreeMap<u32, Pending>| -> Result<()> {
        for s in dev.session_list()? {
            if s.state == abi::STATE_FAILED && s.io != abi::IO_CLOSING && !foreign(s.session_id) {
                pending.entry(s.session_id).or_insert(Pending {
                    due: Instant::now(),
                    backoff: FIRST_BACKOFF,
                    attempts: 0,
                    busy: false,
                    cause: abi::failure_name(s.last_failure).to_string(),
                });
            }
        }
        Ok(())
    };
    catch_up(&mut pending)?;
    log(&format!(
        "started (ABI version {}), {} session(s) waiting for a connection",
        abi::ABI_VERSION,
        pending.len()
    ));
    // Each attempt's result, with when it ended: the next attempt is due a
    // backoff after that, not after the loop's next look (up to a TICK
    // later), so failed attempts repeat every backoff, as open-iscsi's
    // retries every DefaultTime2Wait.
    let (done_tx, done_rx) = mpsc::channel::<(u32, Result<()>, Instant)>();
    loop {
        let now = Instant::now();
        let next = pending
            .values()
            .filter(|p| !p.busy)
            .map(|p| p.due.saturating_duration_since(now))
            .min()
            .unwrap_or(TICK)
            .min(TICK);
        if let Some(ev) = dev.event_wait(seq, next.as_millis() as u32)? {
            if ev.kind != abi::EVENT_NONE {
                seq = ev.seq;
                if ev.lost != 0 {
                    log("events were lost; catching up from the session list");
                    catch_up(&mut pending)?;
                }
                handle(&ev, &mut pending);
                if ev.kind == abi::EVENT_LUNS_CHANGED && !foreign(ev.session_id) {
                    let (dev, id) = (dev.clone(), ev.session_id);
                    thread::spawn(move || rescan(&dev, id));
                }
            }
        }
        while let Ok((id, r, ended)) = done_rx.try_recv() {
            let Some(p) = pending.get_mut(&id) else {
                continue;
            };
            p.busy = false;
            if let Err(e) = r {
                let wait = retry_wait(p.backoff, transient(&e) && holding(&dev, id));
                log(&format!(
                    "session {id}: reconnect attempt {} failed: {e}; next in {:.2} s",
                    p.attempts,
                    wait.as_secs_f64()
                ));
                p.due = ended + wait;
                p.backoff = (p.backoff * 2).min(max_backoff);
            }
        }
        let now = Instant::now();
        for (&id, p) in pending.iter_mut() {
            if p.busy || p.due > now {
                continue;
            }
            p.busy = true;
            p.attempts += 1;
            let (dev, tx) = (dev.clone(), done_tx.clone());
            thread::spawn(move || {
                let r = reconnect(&dev, id);
                let _ = tx.send((id, r, Instant::now()));
            });
        }
    }
}

/// Whether a failed attempt may succeed soon by itself: the target could
/// not be reached or dropped the connection (a network error), or it
/// answered with a target error (Status-Class 3: service unavailable, out of
/// resources; RFC 7143 §11.13.5). An initiator error (Status-Class 2:
/// authentication, target not found or removed), a configuration or a
/// kernel error does not go away in a quarter of a second.
fn transient(e: &Error) -> bool {
    match e.login_status {
        Some(status) => status >> 8 == 3,
        None => e.kind == crate::error::Kind::Network || e.closed_by_target,
    }
}

/// The wait before the next attempt, after one failed with `backoff` as the
/// session's current backoff: at most [`HELD_RETRY`] when `fast` (the
/// session holds I/O and the failure was [`transient`]), else `backoff`.
fn retry_wait(backoff: Duration, fast: bool) -> Duration {
    if fast {
        backoff.min(HELD_RETRY)
    } else {
        backoff
    }
}

/// Session `id` as the module lists it; None if it is gone or the list
/// failed.
fn session_info(dev: &Device, id: u32) -> Option<abi::SessionInfo> {
    dev.session_list()
        .ok()?
        .into_iter()
        .find(|s| s.session_id == id)
}

/// Whether session `id` holds its I/O (`IO_HOLDING`: no connection, within
/// `replacement_timeout`). A session not listed counts as not holding (the
/// slower backoff).
fn holding(dev: &Device, id: u32) -> bool {
    session_info(dev, id).is_some_and(|s| s.io == abi::IO_HOLDING)
}

/// The target of session `id` reported changed LUNs: the module scanned
/// for new ones; `rescan` also drops the removed ones.
fn rescan(dev: &Device, id: u32) {
    let Some(host) = session_info(dev, id).map(|s| s.host_no) else {
        return;
    };
    match crate::rescan::rescan_host(host, Duration::from_secs(15)) {
        Ok(r) => log(&format!(
            "LUNs changed: {}",
            crate::commands::rescan_text(id, &r).trim_end()
        )),
        Err(e) => log(&format!(
            "session {id}: rescan after changed LUNs failed: {e}"
        )),
    }
}

/// Applies one event to the pending sessions.
fn handle(ev: &abi::EventWait, pending: &mut BTreeMap<u32, Pending>) {
    let id = ev.session_id;
    match ev.kind {
        abi::EVENT_CONN_FAILED if foreign(id) => {
            log(&format!(
                "session {id}: connection failed; it was logged in from another network namespace, whose daemon recovers it"
            ));
        }
        abi::EVENT_CONN_FAILED => {
            let cause = abi::failure_name(ev.cause).to_string();
            log(&format!(
                "session {id}: connection failed ({cause}); reconnecting in {} s",
                ev.delay_s
            ));
            let p = pending.entry(id).or_insert(Pending {
                due: Instant::now(),
                backoff: FIRST_BACKOFF,
                attempts: 0,
                busy: false,
                cause: cause.clone(),
            });
            p.due = Instant::now() + Duration::from_secs(u64::from(ev.delay_s));
            p.cause = cause;
        }
        abi::EVENT_REPLACEMENT_TIMEOUT => {
            log(&format!(
                "session {id}: replacement_timeout expired, I/O now fails; still reconnecting"
            ));
        }
        abi::EVENT_RECOVERED => {
            let p = pending.remove(&id);
            if p.is_none() && foreign(id) {
                // Recovered by the daemon of its own namespace.
                return;
            }
            let (cause, attempts) = p
                .map(|p| (p.cause, p.attempts))
                .unwrap_or_else(|| ("unknown".into(), 0));
            log(&format!(
                "session {id}: recovered after {:.3} s without a connection (cause: {cause}; {attempts} attempt(s))",
                f64::from(ev.downtime_ms) / 1000.0
            ));
        }
        abi::EVENT_REMOVED => {
            // The record goes with the session (the daemon of the session's
            // namespace, or any if it had none recorded, removes it).
            if pending.remove(&id).is_some() || !foreign(id) {
                runtime::remove(id);
            }
            log(&format!("session {id}: removed"));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures() {
        let status = |s: u16| {
            let mut e = Error::new(crate::error::Kind::Target, "x");
            e.login_status = Some(s);
            e
        };
        assert!(transient(&status(0x0301)));
        assert!(transient(&status(0x0302)));
        assert!(!transient(&status(0x0201)));
        assert!(!transient(&status(0x0203)));
        assert!(transient(&Error::new(
            crate::error::Kind::Network,
            "refused"
        )));
        assert!(!transient(&Error::new(crate::error::Kind::Auth, "chap")));
        assert!(!transient(&Error::new(crate::error::Kind::Kernel, "ioctl")));
    }

    #[test]
    fn held_io_retries_fast_failfast_backs_off() {
        let max = Duration::from_secs(2);
        let (mut backoff, mut held, mut fast) = (FIRST_BACKOFF, vec![], vec![]);
        for _ in 0..5 {
            held.push(retry_wait(backoff, true));
            fast.push(retry_wait(backoff, false));
            backoff = (backoff * 2).min(max);
        }
        assert!(held.iter().all(|&w| w == HELD_RETRY));
        let ms: Vec<u128> = fast.iter().map(|w| w.as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 2000, 2000]);
        // A backoff already below the held wait stays as it is.
        assert_eq!(
            retry_wait(Duration::from_millis(100), true),
            Duration::from_millis(100)
        );
    }
}

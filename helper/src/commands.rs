//! The subcommands: merging of settings, the work, and the output (text or
//! JSON).

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use iscsi_init_abi as abi;
use serde_json::{json, Map, Value};

use crate::cli::{
    Cli, Command, DiscoverArgs, ListArgs, LoginArgs, LogoutArgs, ParamArgs, RescanArgs,
};
use crate::config::{build_offer, AuthSettings, Config, Defaults, Startup, TargetRecord};
use crate::diag::{trace, warn};
use crate::discovery::{DiscoveredTarget, Session};
use crate::error::{Error, Result};
use crate::identity::{self, check_name, derive_isid, derive_path_isid, format_isid, parse_isid};
use crate::kernel::{
    abi_params, conn_bind_for, get_str, io_name, state_name, BindRequest, Device, RecoveryTimers,
};
use crate::login::{login, LoggedIn, LoginSettings, DEFAULT_MAX_REDIRECTS};
use crate::negotiate::SessionType;
use crate::portal::{Portal, DEFAULT_PORT};
use crate::runtime;
use crate::sysfs::{self, ScsiDevice};
use crate::transport::TcpTransport;

/// What a command prints: JSON for `--json`, text otherwise.
#[derive(Debug)]
pub struct Output {
    /// The `--json` document.
    pub json: Value,
    /// The human-readable text (ends with a newline, or is empty).
    pub text: String,
}

/// Default TCP connect timeout, seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
/// Default timeout for each response, seconds.
pub const DEFAULT_RESPONSE_TIMEOUT: u64 = 15;
/// Default wait for block devices after login, seconds.
pub const DEFAULT_SCAN_TIMEOUT: u64 = 15;

/// Run the command line.
pub fn run(cli: Cli) -> Result<Output> {
    crate::diag::set_verbose(cli.verbose);
    let config_path = cli.config.clone();
    let mut config = Config::load(config_path.as_deref())?;
    match &cli.command {
        Command::Discover(a) => discover(&cli, &mut config, a),
        Command::Login(a) => login_cmd(&cli, &mut config, a),
        Command::Logout(a) => logout_cmd(&config, a),
        Command::List(a) => list_cmd(a),
        Command::Rescan(a) => rescan_cmd(a),
        Command::Daemon(a) => crate::daemon::run(&cli, config, a),
    }
}

fn initiator(initiator_override: Option<&str>, config: &mut Config) -> Result<String> {
    let (name, src) = identity::initiator_name(
        initiator_override,
        Path::new(identity::OPEN_ISCSI_NAME_FILE),
        config,
    )?;
    if src == identity::NameSource::Generated {
        warn(&format!(
            "generated initiator name {name} and stored it in {}",
            config.path.display()
        ));
    }
    trace(|| format!("initiator name {name} (from {src:?})"));
    Ok(name)
}

fn cli_params(p: &ParamArgs) -> Result<Vec<(String, String)>> {
    let mut v = Vec::new();
    if let Some(h) = &p.header_digest {
        v.push(("HeaderDigest".to_string(), h.clone()));
    }
    if let Some(d) = &p.data_digest {
        v.push(("DataDigest".to_string(), d.clone()));
    }
    for kv in &p.params {
        let (k, val) = kv
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--param {kv:?}: expected KEY=VALUE")))?;
        v.push((k.trim().to_string(), val.trim().to_string()));
    }
    Ok(v)
}

struct Timing {
    connect: Duration,
    response: Duration,
    max_redirects: u32,
}

fn timing(d: &Defaults, p: &ParamArgs) -> Result<Timing> {
    let connect = p
        .connect_timeout
        .or(d.connect_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let response = p
        .timeout
        .or(d.response_timeout)
        .unwrap_or(DEFAULT_RESPONSE_TIMEOUT);
    if connect == 0 || response == 0 {
        return Err(Error::usage("timeouts must be at least 1 second"));
    }
    Ok(Timing {
        connect: Duration::from_secs(connect),
        response: Duration::from_secs(response),
        max_redirects: p
            .max_redirects
            .or(d.max_redirects)
            .unwrap_or(DEFAULT_MAX_REDIRECTS),
    })
}

fn connect_fn(t: &Timing) -> impl FnMut(&Portal) -> Result<TcpTransport> + '_ {
    move |p: &Portal| TcpTransport::connect(p, t.connect, t.response)
}

fn parse_portal(s: &str, d: &Defaults) -> Result<Portal> {
    Portal::parse(s, d.port.unwrap_or(DEFAULT_PORT)).map_err(Error::usage)
}

// ---------------------------------------------------------------- discover

fn discover(cli: &Cli, config: &mut Config, a: &DiscoverArgs) -> Result<Output> {
    let initiator_name = initiator(cli.initiator_name.as_deref(), config)?;
    let f = &config.file;
    let portal_s = a
        .portal
        .clone()
        .or_else(|| f.discovery.portal.clone())
        .ok_or_else(|| {
            Error::usage(
                "discover needs -p PORTAL (or a portal in the [discovery] section of the config)",
            )
        })?;
    let portal = parse_portal(&portal_s, &f.defaults)?;
    let mut auth = f.discovery.auth.clone().unwrap_or_default();
    auth.merge(&a.auth.settings());
    let chap = auth.resolve()?;
    let offer = build_offer(
        &[f.defaults.params.as_ref(), f.discovery.params.as_ref()],
        &cli_params(&a.params)?,
    )?;
    let timing = timing(&f.defaults, &a.params)?;
    let settings = LoginSettings::leading(
        SessionType::Discovery,
        derive_isid(&initiator_name, ""),
        initiator_name,
        f.initiator_alias.clone(),
        None,
        offer,
        chap,
    );
    let (t, li) = login(
        connect_fn(&timing),
        &portal,
        &settings,
        timing.max_redirects,
    )?;
    let mut s = Session::new(t, &li);
    let targets = s.send_targets("All")?;
    if let Err(e) = s.logout() {
        warn(&format!("discovery logout: {e}"));
    }
    let from = li.portal.clone().unwrap_or(portal);
    Ok(discover_output(&from, &targets, &li))
}

fn discover_output(portal: &Portal, targets: &[DiscoveredTarget], li: &LoggedIn) -> Output {
    let mut text = String::new();
    if targets.is_empty() {
        text.push_str(&format!("no targets at {portal}\n"));
    }
    for t in targets {
        match &t.alias {
            Some(a) => text.push_str(&format!("{} ({a})\n", t.name)),
            None => text.push_str(&format!("{}\n", t.name)),
        }
        for p in &t.portals {
            match p.tpgt {
                Some(tag) => text.push_str(&format!("    {},{tag}\n", p.address)),
                None => text.push_str(&format!("    {}\n", p.address)),
            }
        }
    }
    Output {
        json: json!({
            "portal": portal.to_string(),
            "targets": targets,
            "authentication": auth_json(li),
        }),
        text,
    }
}

fn auth_json(li: &LoggedIn) -> Value {
    match li.chap_algorithm {
        None => json!({"method": "None"}),
        Some(a) => json!({"method": "CHAP", "algorithm": a.name(), "mutual": li.mutual_chap}),
    }
}

fn auth_text(li: &LoggedIn) -> String {
    match li.chap_algorithm {
        None => "none".into(),
        Some(a) if li.mutual_chap => format!("mutual CHAP ({a})"),
        Some(a) => format!("CHAP ({a})"),
    }
}

// ------------------------------------------------------------------- login

struct Resolved<'a> {
    record_name: Option<String>,
    record: Option<&'a TargetRecord>,
    target: String,
    portal: Portal,
}

fn resolve_target<'a>(
    config: &'a Config,
    name: Option<&str>,
    target: Option<&str>,
    portal: Option<&str>,
) -> Result<Resolved<'a>> {
    let d = &config.file.defaults;
    let cli_portal = portal.map(|p| parse_portal(p, d)).transpose()?;
    let (record_name, record) = match (name, target) {
        (Some(n), _) => {
            let r = config.target(n).ok_or_else(|| {
                Error::not_found(format!(
                    "no target record {n:?} in {}",
                    config.path.display()
                ))
            })?;
            (Some(n.to_string()), Some(r))
        }
        (None, Some(iqn)) => {
            let found = config.find_by_iqn(iqn, cli_portal.as_ref());
            if found.len() == 1 {
                (Some(found[0].0.clone()), Some(found[0].1))
            } else {
                (None, None)
            }
        }
        (None, None) => {
            return Err(Error::usage(
                "login needs -T IQN -p PORTAL or the NAME of a target record",
            ))
        }
    };
    let target = target
        .map(str::to_string)
        .or_else(|| record.map(|r| r.iqn.clone()))
        .expect("name or target given");
    check_name(&target).map_err(|e| Error::usage(format!("target name: {e}")))?;
    let portal = match (cli_portal, record.and_then(|r| r.portal.as_deref())) {
        (Some(p), _) => p,
        (None, Some(p)) => Portal::parse(p, d.port.unwrap_or(DEFAULT_PORT)).map_err(|e| {
            Error::config(format!(
                "target record {:?}: {e}",
                record_name.as_deref().unwrap_or("")
            ))
        })?,
        (None, None) => {
            return Err(Error::usage(format!(
                "no portal for {target}: give -p PORTAL or set portal in its target record"
            )))
        }
    };
    Ok(Resolved {
        record_name,
        record,
        target,
        portal,
    })
}

fn login_cmd(cli: &Cli, config: &mut Config, a: &LoginArgs) -> Result<Output> {
    if a.all {
        return login_all(cli.initiator_name.as_deref(), cli.config.as_deref(), config);
    }
    let ctx = LoginContext {
        initiator_override: cli.initiator_name.as_deref(),
        config_path: cli.config.as_deref(),
    };
    if a.check {
        return login_check(&ctx, config, a);
    }
    // Fail before touching the network if the module is missing.
    let dev = Device::open()?;
    let attached = attach(&ctx, config, a, &dev, None)?;
    finish_login(config, a, &attached)
}

/// Where a login's settings come from besides its arguments.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LoginContext<'a> {
    /// `--initiator-name`.
    pub initiator_override: Option<&'a str>,
    /// `--config` (recorded so that the daemon reads the same file).
    pub config_path: Option<&'a Path>,
}

/// A session the module took: what `login` prints and records.
pub(crate) struct Attached {
    pub target: String,
    pub peer: String,
    pub session_id: u32,
    pub host_no: u32,
    pub li: LoggedIn,
    /// A failed session was reinstated (not a new session).
    pub recovered: bool,
    /// The arguments to record for the daemon (ISID made explicit).
    pub record: runtime::SessionRecord,
}

/// `login --check`: log in and out without the module.
fn login_check(ctx: &LoginContext, config: &mut Config, a: &LoginArgs) -> Result<Output> {
    let p = prepare(ctx, config, a)?;
    let (t, li) = login(
        connect_fn(&p.timing),
        &p.portal,
        &p.settings,
        p.timing.max_redirects,
    )?;
    let mut s = Session::new(t, &li);
    // The login is what is checked: a Logout the target refuses (NetBSD's
    // target rejects some immediate Logouts) is a warning, as in discovery.
    let logged_out = match s.logout() {
        Ok(()) => true,
        Err(e) => {
            warn(&format!("logout after the check: {e}"));
            false
        }
    };
    Ok(check_output(&p.target, &li, logged_out))
}

/// A login's resolved settings.
struct Prepared {
    target: String,
    portal: Portal,
    initiator_name: String,
    settings: LoginSettings,
    timing: Timing,
    queue_depth: u32,
    cmd_timeout: u32,
    timers: RecoveryTimers,
    /// The ISID is derived (no `--isid`, none in the record).
    isid_derived: bool,
}

/// Resolves a login's settings: command line over target record over
/// `[defaults]`.
fn prepare(ctx: &LoginContext, config: &mut Config, a: &LoginArgs) -> Result<Prepared> {
    let initiator_name = initiator(ctx.initiator_override, config)?;
    let config = &*config;
    let r = resolve_target(
        config,
        a.name.as_deref(),
        a.target.as_deref(),
        a.portal.as_deref(),
    )?;
    let f = &config.file;
    let rec = r.record;
    let mut auth: AuthSettings = f.defaults.auth.clone().unwrap_or_default();
    if let Some(ra) = rec.and_then(|r| r.auth.as_ref()) {
        auth.merge(ra);
    }
    auth.merge(&a.auth.settings());
    let chap = auth.resolve()?;
    let offer = build_offer(
        &[
            f.defaults.params.as_ref(),
            rec.and_then(|r| r.params.as_ref()),
        ],
        &cli_params(&a.params)?,
    )?;
    let timing = timing(&f.defaults, &a.params)?;
    let isid = match (&a.isid, rec.and_then(|r| r.isid.as_deref())) {
        (Some(s), _) => parse_isid(s).map_err(Error::usage)?,
        (None, Some(s)) => parse_isid(s).map_err(|e| {
            Error::config(format!(
                "target record {:?}: {e}",
                r.record_name.as_deref().unwrap_or("")
            ))
        })?,
        (None, None) => derive_isid(&initiator_name, &r.target),
    };
    trace(|| {
        format!(
            "target {} at {} (record {:?}), ISID {}",
            r.target,
            r.portal,
            r.record_name,
            format_isid(&isid)
        )
    });
    let settings = LoginSettings::leading(
        SessionType::Normal,
        isid,
        initiator_name.clone(),
        f.initiator_alias.clone(),
        Some(r.target.clone()),
        offer,
        chap,
    );
    // Command line over target record over [defaults], key by key.
    macro_rules! pick {
        ($key:ident) => {
            a.$key.or(rec.and_then(|r| r.$key)).or(f.defaults.$key)
        };
    }
    let timers = RecoveryTimers {
        replacement_timeout: pick!(replacement_timeout),
        noop_out_interval: pick!(noop_out_interval),
        noop_out_timeout: pick!(noop_out_timeout),
        abort_timeout: pick!(abort_timeout),
        lu_reset_timeout: pick!(lu_reset_timeout),
        tgt_reset_timeout: pick!(tgt_reset_timeout),
    };
    check_timers(&timers)?;
    let isid_derived = a.isid.is_none() && rec.and_then(|r| r.isid.as_deref()).is_none();
    Ok(Prepared {
        isid_derived,
        target: r.target,
        portal: r.portal,
        initiator_name,
        settings,
        timing,
        queue_depth: pick!(queue_depth).unwrap_or(0),
        cmd_timeout: pick!(cmd_timeout).unwrap_or(0),
        timers,
    })
}

/// The ISID of a new login, and the failed session it recovers, if any.
///
/// A session to the same target with the same ISID that has no connection
/// is recovered; one that is logged in through the same portal is an error.
/// With a derived ISID, one logged in through another portal is another
/// path (dm-multipath): the login takes the next derived path ISID
/// ([`derive_path_isid`]) that no live session through another portal
/// uses. An explicit ISID is used as it is.
fn choose_isid(p: &Prepared, sessions: &[abi::SessionInfo]) -> Result<([u8; 6], Option<u32>)> {
    let portal = p.portal.to_string();
    let paths = if p.isid_derived {
        identity::MAX_DERIVED_PATHS
    } else {
        1
    };
    for n in 0..paths {
        let isid = if p.isid_derived {
            derive_path_isid(&p.initiator_name, &p.target, n)
        } else {
            p.settings.isid
        };
        let same = sessions
            .iter()
            .find(|si| get_str(&si.target_name) == p.target && si.isid == isid);
        let Some(si) = same else {
            return Ok((isid, None));
        };
        let same_portal = get_str(&si.portal) == portal;
        if si.state == abi::STATE_FAILED && (same_portal || !p.isid_derived) {
            return Ok((isid, Some(si.session_id)));
        }
        if same_portal || !p.isid_derived {
            return Err(Error::other(format!(
                "already logged in to {} through {} (session {}); log out first",
                p.target,
                get_str(&si.portal),
                si.session_id
            )));
        }
        trace(|| {
            format!(
                "ISID {} is session {}'s (through {}): trying path {}",
                format_isid(&isid),
                si.session_id,
                get_str(&si.portal),
                n + 1
            )
        });
    }
    Err(Error::other(format!(
        "{} sessions to {} already: give an explicit --isid",
        paths, p.target
    )))
}

/// The timers' ranges (the module checks them too).
fn check_timers(t: &RecoveryTimers) -> Result<()> {
    let max = 3600;
    for (name, v, lo) in [
        ("replacement_timeout", t.replacement_timeout, 0),
        ("noop_out_interval", t.noop_out_interval, 0),
        ("noop_out_timeout", t.noop_out_timeout, 1),
        ("abort_timeout", t.abort_timeout, 1),
        ("lu_reset_timeout", t.lu_reset_timeout, 1),
        ("tgt_reset_timeout", t.tgt_reset_timeout, 1),
    ] {
        if let Some(v) = v {
            if v < lo || v > max {
                return Err(Error::usage(format!(
                    "{name}={v}: must be {lo}..={max} seconds"
                )));
            }
        }
    }
    Ok(())
}

/// Logs in and hands the connection to the module.
///
/// Without `recover`, a session with the same target and ISID that has no
/// connection is recovered (a manual recovery, as `iscsi-init login` on a
/// failed session); one that is logged in is an error. With `recover` (the
/// daemon), that session is recovered. A recovery is a session
/// reinstatement (RFC 7143 §6.3.5): a leading login with the session's
/// ISID and TSIH 0, bound to the same SCSI host.
pub(crate) fn attach(
    ctx: &LoginContext,
    config: &mut Config,
    a: &LoginArgs,
    dev: &Device,
    recover: Option<u32>,
) -> Result<Attached> {
    let mut p = prepare(ctx, config, a)?;
    let mut session_id = recover;
    if recover.is_none() {
        let sessions = dev.session_list()?;
        let (isid, existing) = choose_isid(&p, &sessions)?;
        p.settings.isid = isid;
        if let Some(id) = existing {
            trace(|| format!("recovering failed session {id}"));
            session_id = Some(id);
        }
    }
    let isid = p.settings.isid;
    let (t, li) = login(
        connect_fn(&p.timing),
        &p.portal,
        &p.settings,
        p.timing.max_redirects,
    )?;
    let peer = Portal::from_socket_addr(t.peer()).to_string();
    let stream = t.into_stream()?;
    let mut b = conn_bind_for(
        &li,
        &BindRequest {
            fd: stream.as_raw_fd(),
            session_id: session_id.unwrap_or(0),
            queue_depth: p.queue_depth,
            cmd_timeout: p.cmd_timeout,
            timers: p.timers,
            target_name: &p.target,
            initiator_name: &p.initiator_name,
            portal: &peer,
        },
    )?;
    // On failure the socket closes here, which ends the target's session.
    dev.conn_bind(&mut b)?;
    // The module holds its own reference to the socket now.
    drop(stream);
    let mut login = a.clone();
    login.isid = Some(format_isid(&isid));
    let record = runtime::SessionRecord {
        version: runtime::RECORD_VERSION,
        session_id: b.session_id,
        target: p.target.clone(),
        config: ctx.config_path.map(Path::to_path_buf),
        initiator_name: ctx.initiator_override.map(str::to_string),
        login,
        netns: runtime::current_netns(),
    };
    Ok(Attached {
        target: p.target,
        peer,
        session_id: b.session_id,
        host_no: b.host_no,
        li,
        recovered: session_id.is_some(),
        record,
    })
}

/// After `attach`: the runtime record, the wait for the block devices, the
/// output.
fn finish_login(config: &Config, a: &LoginArgs, at: &Attached) -> Result<Output> {
    if let Err(e) = runtime::write(&at.record) {
        warn(&format!(
            "session {}: cannot write its runtime record ({e}); the daemon cannot recover it",
            at.session_id
        ));
    }
    let f = &config.file;
    let (devices, settled) = if a.no_wait {
        (Vec::new(), true)
    } else {
        let timeout = a
            .scan_timeout
            .or(f.defaults.scan_timeout)
            .unwrap_or(DEFAULT_SCAN_TIMEOUT);
        sysfs::wait_for_devices(
            Path::new(sysfs::SYSFS),
            at.host_no,
            Duration::from_secs(timeout),
            Duration::from_secs(1),
        )
    };
    if !settled {
        warn(&format!(
            "the LUN scan of host{} did not settle in time; devices may still appear",
            at.host_no
        ));
    }
    Ok(login_output(
        &at.target,
        &at.peer,
        at.session_id,
        at.host_no,
        &at.li,
        &devices,
        at.recovered,
    ))
}

/// `login --all`: every target record with startup = "automatic" that has
/// no session yet. Failures are reported and the others still logged in.
pub(crate) fn login_all(
    initiator_override: Option<&str>,
    config_path: Option<&Path>,
    config: &mut Config,
) -> Result<Output> {
    let ctx = LoginContext {
        initiator_override,
        config_path,
    };
    let names: Vec<String> = config
        .file
        .targets
        .iter()
        .filter(|(_, r)| r.startup == Some(Startup::Automatic))
        .map(|(n, _)| n.clone())
        .collect();
    let dev = Device::open()?;
    let mut text = String::new();
    let mut arr = Vec::new();
    let mut first_err: Option<Error> = None;
    if names.is_empty() {
        text.push_str("no target record has startup = \"automatic\"\n");
    }
    for name in names {
        let a = LoginArgs {
            name: Some(name.clone()),
            no_wait: true,
            ..LoginArgs::default()
        };
        let iqn = config
            .target(&name)
            .map(|r| r.iqn.clone())
            .unwrap_or_default();
        let live = dev
            .session_list()?
            .iter()
            .any(|s| get_str(&s.target_name) == iqn && s.state != abi::STATE_FAILED);
        if live {
            text.push_str(&format!("{name}: already logged in\n"));
            arr.push(json!({"record": name, "already_logged_in": true}));
            continue;
        }
        match attach(&ctx, config, &a, &dev, None).and_then(|at| {
            finish_login(config, &a, &at)?;
            Ok(at)
        }) {
            Ok(at) => {
                text.push_str(&format!(
                    "{name}: session {}, SCSI host {}\n",
                    at.session_id, at.host_no
                ));
                arr.push(
                    json!({"record": name, "session_id": at.session_id, "host_no": at.host_no}),
                );
            }
            Err(e) => {
                warn(&format!("{name}: {e}"));
                arr.push(json!({"record": name, "error": e.message}));
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(Output {
        json: json!({"logged_in": arr}),
        text,
    })
}

fn check_output(target: &str, li: &LoggedIn, logged_out: bool) -> Output {
    let n = &li.negotiated;
    let portal = li
        .portal
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let mut text = format!(
        "login to {target} at {portal} succeeded (ISID {}, TSIH 0x{:04x})\n",
        format_isid(&li.isid),
        li.tsih
    );
    for r in &li.redirects {
        text.push_str(&format!("redirected to {r}\n"));
    }
    text.push_str(&format!("authentication: {}\n", auth_text(li)));
    text.push_str("negotiated parameters:\n");
    for (k, v) in n.pairs() {
        text.push_str(&format!("    {k} = {v}\n"));
    }
    text.push_str(if logged_out {
        "logged out\n"
    } else {
        "logout refused by the target (the connection is closed)\n"
    });
    Output {
        json: json!({
            "target": target,
            "portal": portal,
            "redirects": li.redirects,
            "isid": format_isid(&li.isid),
            "tsih": li.tsih,
            "authentication": auth_json(li),
            "negotiated": n,
            "logged_out": logged_out,
        }),
        text,
    }
}

fn devices_text(devices: &[ScsiDevice]) -> String {
    let mut s = String::new();
    for d in devices {
        let what = format!("{} {}", d.vendor, d.model);
        match &d.block {
            Some(b) => s.push_str(&format!("    lun {}: {b} ({})\n", d.lun, what.trim())),
            None => s.push_str(&format!(
                "    lun {}: no block device (type {}, {})\n",
                d.lun,
                d.device_type.map(|t| t.to_string()).unwrap_or("?".into()),
                what.trim()
            )),
        }
    }
    s
}

fn login_output(
    target: &str,
    portal: &str,
    session_id: u32,
    host_no: u32,
    li: &LoggedIn,
    devices: &[ScsiDevice],
    recovered: bool,
) -> Output {
    let mut text = format!(
        "session {session_id}{}: logged in to {target} at {portal}, SCSI host {host_no}\n",
        if recovered { " (recovered)" } else { "" }
    );
    text.push_str(&devices_text(devices));
    Output {
        json: json!({
            "session_id": session_id,
            "host_no": host_no,
            "recovered": recovered,
            "target": target,
            "portal": portal,
            "isid": format_isid(&li.isid),
            "tsih": li.tsih,
            "authentication": auth_json(li),
            "negotiated": li.negotiated,
            "devices": devices,
        }),
        text,
    }
}

// ------------------------------------------------------------ logout, list

/// `rescan`: [`crate::rescan::rescan_host`] for each chosen session.
fn rescan_cmd(a: &RescanArgs) -> Result<Output> {
    let dev = Device::open()?;
    let sessions = dev.session_list()?;
    let chosen: Vec<&abi::SessionInfo> = sessions
        .iter()
        .filter(|s| match (&a.target, a.session) {
            (Some(t), _) => get_str(&s.target_name) == *t,
            (None, Some(id)) => s.session_id == id,
            _ => true,
        })
        .collect();
    if chosen.is_empty() {
        return match (&a.target, a.session) {
            (Some(t), _) => Err(Error::not_found(format!("no session to {t}"))),
            (None, Some(id)) => Err(Error::not_found(format!("no session {id}"))),
            _ => Ok(Output {
                json: json!({"sessions": []}),
                text: "no sessions\n".into(),
            }),
        };
    }
    let mut text = String::new();
    let mut arr = Vec::new();
    for s in chosen {
        let r = crate::rescan::rescan_host(s.host_no, Duration::from_secs(a.scan_timeout))?;
        text.push_str(&rescan_text(s.session_id, &r));
        arr.push(
            json!({"session_id": s.session_id, "target": get_str(&s.target_name), "rescan": r}),
        );
    }
    Ok(Output {
        json: json!({"sessions": arr}),
        text,
    })
}

/// One session's rescan, for the terminal (and the daemon's log).
pub(crate) fn rescan_text(id: u32, r: &crate::rescan::HostRescan) -> String {
    let name = |d: &crate::sysfs::ScsiDevice| match &d.block {
        Some(b) => format!("{} (LUN {}, {b})", d.hctl, d.lun),
        None => format!("{} (LUN {})", d.hctl, d.lun),
    };
    let mut t = format!("session {id} (host {}): ", r.host_no);
    if r.added.is_empty() && r.removed.is_empty() {
        t.push_str("no change");
    }
    if !r.added.is_empty() {
        t.push_str(&format!(
            "added {}",
            r.added.iter().map(name).collect::<Vec<_>>().join(", ")
        ));
    }
    if !r.removed.is_empty() {
        if !r.added.is_empty() {
            t.push_str("; ");
        }
        t.push_str(&format!(
            "removed {}",
            r.removed.iter().map(name).collect::<Vec<_>>().join(", ")
        ));
    }
    t.push_str(&format!("; {} LUN(s)", r.devices.len()));
    if let Some(why) = &r.removal_skipped {
        t.push_str(&format!(" (removed LUNs not checked: {why})"));
    }
    t.push('\n');
    t
}

fn logout_cmd(config: &Config, a: &LogoutArgs) -> Result<Output> {
    let target = match (&a.name, &a.target) {
        (_, Some(t)) => Some(t.clone()),
        (Some(n), None) => Some(
            config
                .target(n)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "no target record {n:?} in {}",
                        config.path.display()
                    ))
                })?
                .iqn
                .clone(),
        ),
        _ => None,
    };
    let dev = Device::open()?;
    let sessions = dev.session_list()?;
    let chosen: Vec<&abi::SessionInfo> = sessions
        .iter()
        .filter(|s| {
            a.all
                || Some(s.session_id) == a.session
                || target.as_deref() == Some(get_str(&s.target_name).as_str())
        })
        .collect();
    if chosen.is_empty() {
        let what = match (&target, a.session) {
            (Some(t), _) => format!("no session to {t}"),
            (None, Some(id)) => format!("no session {id}"),
            _ => "no sessions".to_string(),
        };
        if a.all {
            return Ok(Output {
                json: json!({"logged_out": []}),
                text: format!("{what}\n"),
            });
        }
        return Err(Error::not_found(what));
    }
    let mut text = String::new();
    let mut done = Vec::new();
    let mut first_err: Option<Error> = None;
    for s in chosen {
        let name = get_str(&s.target_name);
        match dev.session_remove(s.session_id, a.force, 0) {
            Ok(()) => {
                runtime::remove(s.session_id);
                text.push_str(&format!("logged out session {} ({name})\n", s.session_id));
                done.push(json!({"session_id": s.session_id, "target": name}));
            }
            Err(e) => {
                warn(&format!("session {}: {e}", s.session_id));
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(Output {
        json: json!({"logged_out": done}),
        text,
    })
}

fn list_cmd(a: &ListArgs) -> Result<Output> {
    let dev = Device::open()?;
    let sessions = dev.session_list()?;
    let mut text = String::new();
    let mut arr = Vec::new();
    if sessions.is_empty() {
        text.push_str("no sessions\n");
    }
    for s in &sessions {
        let devices = sysfs::devices_of_host(Path::new(sysfs::SYSFS), s.host_no);
        let target = get_str(&s.target_name);
        let portal = get_str(&s.portal);
        let alias = get_str(&s.target_alias);
        let params = abi_params(&s.params);
        text.push_str(&format!(
            "session {}  {}  {}{}  {},{}  host {}\n",
            s.session_id,
            state_name(s.state),
            target,
            if alias.is_empty() {
                String::new()
            } else {
                format!(" ({alias})")
            },
            portal,
            s.tpgt,
            s.host_no
        ));
        text.push_str(&format!(
            "    ISID {} TSIH 0x{:04x} CmdSN {} ExpCmdSN {} MaxCmdSN {} ExpStatSN {} queue depth {}\n",
            format_isid(&s.isid),
            s.tsih,
            s.cmd_sn,
            s.exp_cmd_sn,
            s.max_cmd_sn,
            s.exp_stat_sn,
            s.queue_depth
        ));
        let line: Vec<String> = params
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map(str::to_string).unwrap_or(v.to_string())
                )
            })
            .collect();
        text.push_str(&format!("    {}\n", line.join(" ")));
        text.push_str(&format!(
            "    I/O {} for {:.1} s in this state; {} recoveries; last failure: {}; replacement_timeout {} s, NOP-Out every {} s (timeout {} s)\n",
            io_name(s.io),
            f64::from(s.state_age_ms) / 1000.0,
            s.recoveries,
            last_failure_text(s),
            s.replacement_timeout,
            s.noop_out_interval,
            s.noop_out_timeout
        ));
        text.push_str(&devices_text(&devices));
        let mut pm = Map::new();
        for (k, v) in params {
            pm.insert(k.to_string(), v);
        }
        let mut o = json!({
            "session_id": s.session_id,
            "state": state_name(s.state),
            "target": target,
            "target_alias": alias,
            "initiator": get_str(&s.initiator_name),
            "portal": portal,
            "tpgt": s.tpgt,
            "host_no": s.host_no,
            "isid": format_isid(&s.isid),
            "tsih": s.tsih,
            "cid": s.cid,
            "cmd_sn": s.cmd_sn,
            "exp_cmd_sn": s.exp_cmd_sn,
            "max_cmd_sn": s.max_cmd_sn,
            "exp_stat_sn": s.exp_stat_sn,
            "queue_depth": s.queue_depth,
            "io": io_name(s.io),
            "state_seconds": f64::from(s.state_age_ms) / 1000.0,
            "recoveries": s.recoveries,
            "last_failure": if s.last_failure == 0 {
                Value::Null
            } else {
                json!({
                    "cause": abi::failure_name(s.last_failure),
                    "seconds_ago": f64::from(s.last_failure_age_ms) / 1000.0,
                })
            },
            "replacement_timeout": s.replacement_timeout,
            "noop_out_interval": s.noop_out_interval,
            "noop_out_timeout": s.noop_out_timeout,
            "negotiated": Value::Object(pm),
            "devices": devices,
        });
        if a.stats {
            let st = dev.session_stats(s.session_id)?;
            text.push_str(&format!(
                "    commands {} responses {} read {} B written {} B PDUs {}/{} digest errors {} protocol errors {} transport errors {} aborts {} connection failures {}\n",
                st.commands, st.responses, st.read_bytes, st.write_bytes, st.pdus_sent,
                st.pdus_received, st.digest_errors, st.protocol_errors, st.transport_errors,
                st.aborts, st.conn_failures
            ));
            let names = ["ABORT TASK", "LOGICAL UNIT RESET", "TARGET WARM RESET"];
            let mut tmf = serde_json::Map::new();
            for (name, (key, c)) in names.iter().zip(
                ["abort_task", "lu_reset", "target_reset"]
                    .iter()
                    .zip(st.tmf.iter()),
            ) {
                text.push_str(&format!(
                    "    {name}: sent {} succeeded {} failed {} timed out {} connection lost {}\n",
                    c.sent, c.succeeded, c.failed, c.timed_out, c.connection_lost
                ));
                tmf.insert(
                    key.to_string(),
                    json!({
                        "sent": c.sent,
                        "succeeded": c.succeeded,
                        "failed": c.failed,
                        "timed_out": c.timed_out,
                        "connection_lost": c.connection_lost,
                    }),
                );
            }
            text.push_str(&format!("    host resets {}\n", st.host_resets));
            let data_path = sysfs::data_path_counters(Path::new(sysfs::SYSFS), s.host_no);
            if let Some(c) = data_path {
                text.push_str(&format!(
                    "    data path: inline sends {} work item sends {} receive thread reads {} copied write bytes {}\n",
                    c.tx_inline_sends, c.tx_work_sends, c.rx_thread_reads, c.tx_copied_bytes
                ));
            }
            o["stats"] = json!({
                "commands": st.commands,
                "responses": st.responses,
                "read_bytes": st.read_bytes,
                "write_bytes": st.write_bytes,
                "pdus_sent": st.pdus_sent,
                "pdus_received": st.pdus_received,
                "digest_errors": st.digest_errors,
                "protocol_errors": st.protocol_errors,
                "transport_errors": st.transport_errors,
                "aborts": st.aborts,
                "conn_failures": st.conn_failures,
                "tmf": Value::Object(tmf),
                "host_resets": st.host_resets,
                "data_path": data_path,
            });
        }
        arr.push(o);
    }
    Ok(Output {
        json: json!({"sessions": arr}),
        text,
    })
}

fn last_failure_text(s: &abi::SessionInfo) -> String {
    if s.last_failure == 0 {
        return "none".to_string();
    }
    format!(
        "{} ({:.1} s ago)",
        abi::failure_name(s.last_failure),
        f64::from(s.last_failure_age_ms) / 1000.0
    )
}

/// The JSON document printed on stdout for an error with `--json`.
pub fn error_json(e: &Error) -> Value {
    json!({"error": {"kind": e.kind, "message": e.message, "exit_code": e.exit_code()}})
}

//! The subcommands: merging of settings, the work, and the output (text or
//! JSON).

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use iscsi_init_abi as abi;
use serde_json::{json, Map, Value};

use crate::cli::{Cli, Command, DiscoverArgs, ListArgs, LoginArgs, LogoutArgs, ParamArgs};
use crate::config::{build_offer, AuthSettings, Config, Defaults, TargetRecord};
use crate::diag::{trace, warn};
use crate::discovery::{DiscoveredTarget, Session};
use crate::error::{Error, Result};
use crate::identity::{self, check_name, derive_isid, format_isid, parse_isid};
use crate::kernel::{
    abi_params, conn_bind_for, get_str, session_negotiated, state_name, BindRequest, Device,
};
use crate::login::{login, LoggedIn, LoginSettings, DEFAULT_MAX_REDIRECTS};
use crate::negotiate::SessionType;
use crate::portal::{Portal, DEFAULT_PORT};
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
    }
}

fn initiator(cli: &Cli, config: &mut Config) -> Result<String> {
    let (name, src) = identity::initiator_name(
        cli.initiator_name.as_deref(),
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
    let initiator_name = initiator(cli, config)?;
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
    let initiator_name = initiator(cli, config)?;
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

    if a.check {
        let (t, li) = login(
            connect_fn(&timing),
            &r.portal,
            &settings,
            timing.max_redirects,
        )?;
        let mut s = Session::new(t, &li);
        s.logout()?;
        return Ok(check_output(&r.target, &li));
    }

    // Fail before touching the network if the module is missing.
    let dev = Device::open()?;
    let mut failed: Option<abi::SessionInfo> = None;
    for si in dev.session_list()? {
        if get_str(&si.target_name) == r.target && si.isid == isid {
            if si.state == abi::STATE_FAILED {
                failed = Some(si);
            } else {
                return Err(Error::other(format!(
                    "already logged in to {} (session {}); log out first",
                    r.target, si.session_id
                )));
            }
        }
    }
    let recover = failed.as_ref().map(|si| si.session_id);
    let (t, li) = match &failed {
        // A failed session gets a new connection: a non-leading login with
        // its TSIH, CID and sequence numbers, keeping its session-wide
        // parameters (Documentation/ioctl-abi.rst, IOC_CONN_BIND).
        Some(si) => {
            let cont = LoginSettings {
                tsih: si.tsih,
                cid: si.cid,
                initial_cmd_sn: si.cmd_sn,
                initial_exp_stat_sn: si.exp_stat_sn,
                session: Some(session_negotiated(si)),
                ..settings.clone()
            };
            trace(|| {
                format!(
                    "reconnecting failed session {} (TSIH 0x{:04x})",
                    si.session_id, si.tsih
                )
            });
            login(connect_fn(&timing), &r.portal, &cont, timing.max_redirects).map_err(|e| {
                if e.login_status == Some(0x020a) {
                    Error::target(format!(
                        "the target no longer knows session {} (status 0x020a): remove it with 'iscsi-init logout --session {} --force' and log in again",
                        si.session_id, si.session_id
                    ))
                } else {
                    e
                }
            })?
        }
        None => login(
            connect_fn(&timing),
            &r.portal,
            &settings,
            timing.max_redirects,
        )?,
    };
    let peer = Portal::from_socket_addr(t.peer()).to_string();
    let stream = t.into_stream()?;
    let mut b = conn_bind_for(
        &li,
        &BindRequest {
            fd: stream.as_raw_fd(),
            session_id: recover.unwrap_or(0),
            queue_depth: a
                .queue_depth
                .or(rec.and_then(|r| r.queue_depth))
                .or(f.defaults.queue_depth)
                .unwrap_or(0),
            cmd_timeout: a
                .cmd_timeout
                .or(rec.and_then(|r| r.cmd_timeout))
                .or(f.defaults.cmd_timeout)
                .unwrap_or(0),
            target_name: &r.target,
            initiator_name: &initiator_name,
            portal: &peer,
        },
    )?;
    dev.conn_bind(&mut b)?;
    // The module holds its own reference to the socket now.
    drop(stream);
    let (devices, settled) = if a.no_wait {
        (Vec::new(), true)
    } else {
        let timeout = a
            .scan_timeout
            .or(f.defaults.scan_timeout)
            .unwrap_or(DEFAULT_SCAN_TIMEOUT);
        sysfs::wait_for_devices(
            Path::new(sysfs::SYSFS),
            b.host_no,
            Duration::from_secs(timeout),
            Duration::from_secs(1),
        )
    };
    if !settled {
        warn(&format!(
            "the LUN scan of host{} did not settle in time; devices may still appear",
            b.host_no
        ));
    }
    Ok(login_output(
        &r.target,
        &peer,
        b.session_id,
        b.host_no,
        &li,
        &devices,
        recover.is_some(),
    ))
}

fn check_output(target: &str, li: &LoggedIn) -> Output {
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
    text.push_str("logged out\n");
    Output {
        json: json!({
            "target": target,
            "portal": portal,
            "redirects": li.redirects,
            "isid": format_isid(&li.isid),
            "tsih": li.tsih,
            "authentication": auth_json(li),
            "negotiated": n,
            "logged_out": true,
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
            });
        }
        arr.push(o);
    }
    Ok(Output {
        json: json!({"sessions": arr}),
        text,
    })
}

/// The JSON document printed on stdout for an error with `--json`.
pub fn error_json(e: &Error) -> Value {
    json!({"error": {"kind": e.kind, "message": e.message, "exit_code": e.exit_code()}})
}

//! The session and connection state machine of RFC 7143 §8, as an initiator
//! at ErrorRecoveryLevel 0 with one connection per session sees it.
//!
//! The helper performs T1 and T4 (TCP connect, start of login) and the
//! login itself in userspace; the module receives the connection in S4
//! IN_LOGIN and the session in Q2 ACTIVE (a new session, or a new leading
//! login after the old session instance ended) or Q5 IN_CONTINUE (a new
//! connection for a failed session that the target still knows).
//!
//! Recovery at ERL 0 (RFC 7143 §6.3.5, §8.3): after a connection failure
//! the session waits in Q4 FAILED. The daemon then logs in again with the
//! same ISID and TSIH 0, which reinstates the session on the target: the
//! old instance is cleared (N6 Reinstate) and a new leading login binds to
//! the same SCSI host (N1, then T5/N2). A target-requested logout ends the
//! instance in Q1 FREE (T13/N3), from which the next login starts with N1.
//! Continuation with the old TSIH (N7, T5/N10) stays possible. S2 XPT_WAIT and S3 XPT_UP (a
//! target state) therefore never occur in the module and are not modelled.
//!
//! Every transition is a row of [`TABLE`] and happens in [`Machine::on`]:
//! the row names the RFC's transition labels (T5, T15, N5, ...). An event
//! that no row handles in the current state is refused and changes nothing.
//!
//! ```text
//!  connection (§8.1.3)                         session (§8.3)
//!
//!   S4 IN_LOGIN --T5 LoginComplete--> S5       Q2 ACTIVE --N2--> Q3 LOGGED_IN
//!   S4 --T7 ConnFailed--> S1                   Q2 --N9--> Q1 FREE
//!   S5 LOGGED_IN --T9 LogoutStart--> S6        Q3 --N3 (T13)--> Q1
//!   S5 --T11 LogoutRequested--> S7             Q3 --N5 (T15/T16/T17)--> Q4 FAILED
//!   S7 LOGOUT_REQUESTED --T10 LogoutStart--> S6    Q4 --N7 ContinuationStart--> Q5
//!   S6 IN_LOGOUT --T13 LogoutSuccess--> S1     Q5 IN_CONTINUE --N10 (T5)--> Q3
//!   S5 --T15 ConnFailed--> S8                  Q5 --N8 (T7)--> Q4
//!   S6 --T16 ConnFailed--> S8                  Q4 --N6 Close--> Q1
//!   S7 --T17 ConnFailed--> S8
//!   S8 CLEANUP_WAIT --M1 CleanedUp--> S1 FREE  Q4 --N6 Reinstate--> Q1
//!                                              Q1 FREE --N1 LeadingLogin--> Q2
//! ```
//!
//! M1 is the cleanup diagram's "connection state timeout" (§8.2): at ERL 0
//! no task is reassigned to another connection, so the cleanup ends as soon
//! as the connection's threads stopped and its tasks were completed.

use super::failure::Failure;

/// Session states (RFC 7143 §8.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Q1 FREE: no session (logged out, or never logged in).
    Free,
    /// Q2 ACTIVE: the leading connection is logging in.
    Active,
    /// Q3 LOGGED_IN: full-feature phase.
    LoggedIn,
    /// Q4 FAILED: the session's connection failed; a continuation (a new
    /// connection with the same ISID and TSIH) may bring it back.
    Failed,
    /// Q5 IN_CONTINUE: a new connection is logging in to continue it.
    InContinue,
}

impl SessionState {
    /// Every state.
    pub const ALL: [SessionState; 5] = [
        SessionState::Free,
        SessionState::Active,
        SessionState::LoggedIn,
        SessionState::Failed,
        SessionState::InContinue,
    ];

    /// The RFC's label and name, e.g. "Q3 LOGGED_IN".
    pub const fn name(self) -> &'static str {
        match self {
            SessionState::Free => "Q1 FREE",
            SessionState::Active => "Q2 ACTIVE",
            SessionState::LoggedIn => "Q3 LOGGED_IN",
            SessionState::Failed => "Q4 FAILED",
            SessionState::InContinue => "Q5 IN_CONTINUE",
        }
    }
}

/// Connection states of an initiator (RFC 7143 §8.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// S1 FREE: no connection (it ended, or was cleaned up).
    Free,
    /// S4 IN_LOGIN: logging in (in the helper).
    InLogin,
    /// S5 LOGGED_IN: full-feature phase.
    LoggedIn,
    /// S6 IN_LOGOUT: our Logout Request is queued or sent.
    InLogout,
    /// S7 LOGOUT_REQUESTED: the target asked for a logout (Async Message
    /// AsyncEvent 1).
    LogoutRequested,
    /// S8 CLEANUP_WAIT: the connection failed; its threads are stopping and
    /// its tasks are being completed.
    CleanupWait,
}

impl ConnState {
    /// Every state.
    pub const ALL: [ConnState; 6] = [
        ConnState::Free,
        ConnState::InLogin,
        ConnState::LoggedIn,
        ConnState::InLogout,
        ConnState::LogoutRequested,
        ConnState::CleanupWait,
    ];

    /// The RFC's label and name, e.g. "S5 LOGGED_IN".
    pub const fn name(self) -> &'static str {
        match self {
            ConnState::Free => "S1 FREE",
            ConnState::InLogin => "S4 IN_LOGIN",
            ConnState::LoggedIn => "S5 LOGGED_IN",
            ConnState::InLogout => "S6 IN_LOGOUT",
            ConnState::LogoutRequested => "S7 LOGOUT_REQUESTED",
            ConnState::CleanupWait => "S8 CLEANUP_WAIT",
        }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The helper handed over a logged-in connection (final Login Response
    /// with Status-Class 0).
    LoginComplete,
    /// We queue a Logout Request ("close the session").
    LogoutStart,
    /// The target sent Async Message AsyncEvent 1 (logout requested).
    LogoutRequested,
    /// A Logout Response with response 0 (closed successfully) arrived.
    LogoutSuccess,
    /// The connection failed, for this reason.
    ConnFailed(Failure),
    /// The failed connection's threads stopped and its tasks completed.
    CleanedUp,
    /// A new connection is being bound to the failed session.
    ContinuationStart,
    /// The failed session is closed (removed by the admin).
    Close,
    /// A login with the session's ISID and TSIH 0 reinstated the session
    /// on the target: the failed instance is cleared (RFC 7143 §6.3.5).
    Reinstate,
    /// A new leading login binds to the session's SCSI host.
    LeadingLogin,
}

/// [`Event`] without its payload: the key of a [`TABLE`] row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// [`Event::LoginComplete`]
    LoginComplete,
    /// [`Event::LogoutStart`]
    LogoutStart,
    /// [`Event::LogoutRequested`]
    LogoutRequested,
    /// [`Event::LogoutSuccess`]
    LogoutSuccess,
    /// [`Event::ConnFailed`]
    ConnFailed,
    /// [`Event::CleanedUp`]
    CleanedUp,
    /// [`Event::ContinuationStart`]
    ContinuationStart,
    /// [`Event::Close`]
    Close,
    /// [`Event::Reinstate`]
    Reinstate,
    /// [`Event::LeadingLogin`]
    LeadingLogin,
}

impl EventKind {
    /// Every event kind.
    pub const ALL: [EventKind; 10] = [
        EventKind::LoginComplete,
        EventKind::LogoutStart,
        EventKind::LogoutRequested,
        EventKind::LogoutSuccess,
        EventKind::ConnFailed,
        EventKind::CleanedUp,
        EventKind::ContinuationStart,
        EventKind::Close,
        EventKind::Reinstate,
        EventKind::LeadingLogin,
    ];
}

impl Event {
    /// The row key.
    pub const fn kind(self) -> EventKind {
        match self {
            Event::LoginComplete => EventKind::LoginComplete,
            Event::LogoutStart => EventKind::LogoutStart,
            Event::LogoutRequested => EventKind::LogoutRequested,
            Event::LogoutSuccess => EventKind::LogoutSuccess,
            Event::ConnFailed(_) => EventKind::ConnFailed,
            Event::CleanedUp => EventKind::CleanedUp,
            Event::ContinuationStart => EventKind::ContinuationStart,
            Event::Close => EventKind::Close,
            Event::Reinstate => EventKind::Reinstate,
            Event::LeadingLogin => EventKind::LeadingLogin,
        }
    }

    /// A short name for log lines.
    pub const fn name(self) -> &'static str {
        match self {
            Event::LoginComplete => "LoginComplete",
            Event::LogoutStart => "LogoutStart",
            Event::LogoutRequested => "LogoutRequested",
            Event::LogoutSuccess => "LogoutSuccess",
            Event::ConnFailed(f) => f.text(),
            Event::CleanedUp => "CleanedUp",
            Event::ContinuationStart => "ContinuationStart",
            Event::Close => "Close",
            Event::Reinstate => "Reinstate",
            Event::LeadingLogin => "LeadingLogin",
        }
    }
}

/// One transition: in session state `session` and connection state `conn`,
/// event `event` leads to `to_session`/`to_conn`, labelled `label` (the
/// connection diagram's, or the session diagram's when only the session
/// moves) and `session_label` (the session diagram's, if the session moves
/// along).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Current session state.
    pub session: SessionState,
    /// Current connection state.
    pub conn: ConnState,
    /// The event.
    pub event: EventKind,
    /// New session state.
    pub to_session: SessionState,
    /// New connection state.
    pub to_conn: ConnState,
    /// RFC 7143 transition label (T5, M1, N7, ...).
    pub label: &'static str,
    /// The session transition that goes with it, if any (N2, N5, ...).
    pub session_label: Option<&'static str>,
}

const fn row(
    session: SessionState,
    conn: ConnState,
    event: EventKind,
    to_session: SessionState,
    to_conn: ConnState,
    label: &'static str,
    session_label: Option<&'static str>,
) -> Row {
    Row {
        session,
        conn,
        event,
        to_session,
        to_conn,
        label,
        session_label,
    }
}

use ConnState as S;
use EventKind as E;
use SessionState as Q;

/// Every transition the module makes (see the module documentation).
pub static TABLE: &[Row] = &[
    row(
        Q::Active,
        S::InLogin,
        E::LoginComplete,
        Q::LoggedIn,
        S::LoggedIn,
        "T5",
        Some("N2"),
    ),
    row(
        Q::InContinue,
        S::InLogin,
        E::LoginComplete,
        Q::LoggedIn,
        S::LoggedIn,
        "T5",
        Some("N10"),
    ),
    row(
        Q::Active,
        S::InLogin,
        E::ConnFailed,
        Q::Free,
        S::Free,
        "T7",
        Some("N9"),
    ),
    row(
        Q::InContinue,
        S::InLogin,
        E::ConnFailed,
        Q::Failed,
        S::Free,
        "T7",
        Some("N8"),
    ),
    row(
        Q::LoggedIn,
        S::LoggedIn,
        E::LogoutStart,
        Q::LoggedIn,
        S::InLogout,
        "T9",
        None,
    ),
    row(
        Q::LoggedIn,
        S::LoggedIn,
        E::LogoutRequested,
        Q::LoggedIn,
        S::LogoutRequested,
        "T11",
        None,
    ),
    row(
        Q::LoggedIn,
        S::LogoutRequested,
        E::LogoutStart,
        Q::LoggedIn,
        S::InLogout,
        "T10",
        None,
    ),
    row(
        Q::LoggedIn,
        S::InLogout,
        E::LogoutSuccess,
        Q::Free,
        S::Free,
        "T13",
        Some("N3"),
    ),
    row(
        Q::LoggedIn,
        S::LoggedIn,
        E::ConnFailed,
        Q::Failed,
        S::CleanupWait,
        "T15",
        Some("N5"),
    ),
    row(
        Q::LoggedIn,
        S::InLogout,
        E::ConnFailed,
        Q::Failed,
        S::CleanupWait,
        "T16",
        Some("N5"),
    ),
    row(
        Q::LoggedIn,
        S::LogoutRequested,
        E::ConnFailed,
        Q::Failed,
        S::CleanupWait,
        "T17",
        Some("N5"),
    ),
    row(
        Q::Failed,
        S::CleanupWait,
        E::CleanedUp,
        Q::Failed,
        S::Free,
        "M1",
        None,
    ),
    row(
        Q::Failed,
        S::Free,
        E::ContinuationStart,
        Q::InContinue,
        S::InLogin,
        "N7",
        None,
    ),
    row(Q::Failed, S::Free, E::Close, Q::Free, S::Free, "N6", None),
    row(
        Q::Failed,
        S::Free,
        E::Reinstate,
        Q::Free,
        S::Free,
        "N6",
        None,
    ),
    row(
        Q::Free,
        S::Free,
        E::LeadingLogin,
        Q::Active,
        S::InLogin,
        "N1",
        None,
    ),
];

/// A transition that happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The row that was taken.
    pub row: &'static Row,
    /// The event, with its payload.
    pub event: Event,
}

/// An event that the current state does not handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Session state at the time.
    pub session: SessionState,
    /// Connection state at the time.
    pub conn: ConnState,
    /// The refused event.
    pub event: Event,
}

/// The states of one session and its connection.
///
/// # Invariants
///
/// `(session, conn)` is a state pair that [`TABLE`] reaches from the
/// initial pairs (Q2, S4) and (Q5, S4); it changes only in [`Machine::on`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    session: SessionState,
    conn: ConnState,
}

impl Machine {
    /// A new session whose leading connection is logging in (Q2, S4).
    pub const fn new() -> Self {
        Machine {
            session: SessionState::Active,
            conn: ConnState::InLogin,
        }
    }

    /// The session state.
    pub const fn session(&self) -> SessionState {
        self.session
    }

    /// The connection state.
    pub const fn conn(&self) -> ConnState {
        self.conn
    }

    /// The row that handles `event` now, if any.
    pub fn lookup(&self, event: EventKind) -> Option<&'static Row> {
        TABLE
            .iter()
            .find(|r| r.session == self.session && r.conn == self.conn && r.event == event)
    }

    /// Applies `event`: the one place where states change.
    ///
    /// # Errors
    ///
    /// [`Refused`] when no row handles the event in the current state; the
    /// state is then unchanged.
    pub fn on(&mut self, event: Event) -> Result<Transition, Refused> {
        match self.lookup(event.kind()) {
            Some(row) => {
                self.session = row.to_session;
                self.conn = row.to_conn;
                Ok(Transition { row, event })
            }
            None => Err(Refused {
                session: self.session,
                conn: self.conn,
                event,
            }),
        }
    }

    /// Full-feature phase: new commands may be sent (Q3, S5).
    pub fn accepts_commands(&self) -> bool {
        self.session == SessionState::LoggedIn && self.conn == ConnState::LoggedIn
    }

    /// The connection's threads may send and receive (S5, S6, S7).
    pub fn conn_running(&self) -> bool {
        matches!(
            self.conn,
            ConnState::LoggedIn | ConnState::InLogout | ConnState::LogoutRequested
        )
    }
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn event_of(kind: EventKind) -> Event {
        match kind {
            EventKind::LoginComplete => Event::LoginComplete,
            EventKind::LogoutStart => Event::LogoutStart,
            EventKind::LogoutRequested => Event::LogoutRequested,
            EventKind::LogoutSuccess => Event::LogoutSuccess,
            EventKind::ConnFailed => Event::ConnFailed(Failure::Socket),
            EventKind::CleanedUp => Event::CleanedUp,
            EventKind::ContinuationStart => Event::ContinuationStart,
            EventKind::Close => Event::Close,
            EventKind::Reinstate => Event::Reinstate,
            EventKind::LeadingLogin => Event::LeadingLogin,
        }
    }

    /// Every (session, connection) pair × every event: handled pairs take
    /// their row, all others are refused without a change.
    #[test]
    fn every_state_and_event() {
        let mut handled = 0;
        for &q in &SessionState::ALL {
            for &s in &ConnState::ALL {
                for &k in &EventKind::ALL {
                    let mut m = Machine {
                        session: q,
                        conn: s,
                    };
                    let rows: Vec<&Row> = TABLE
                        .iter()
                        .filter(|r| r.session == q && r.conn == s && r.event == k)
                        .collect();
                    assert!(rows.len() <= 1, "two rows for {q:?} {s:?} {k:?}");
                    match (m.on(event_of(k)), rows.first()) {
                        (Ok(t), Some(r)) => {
                            handled += 1;
                            assert_eq!(t.row, *r);
                            assert_eq!((m.session, m.conn), (r.to_session, r.to_conn));
                        }
                        (Err(e), None) => {
                            assert_eq!((e.session, e.conn), (q, s));
                            assert_eq!(
                                (m.session, m.conn),
                                (q, s),
                                "a refused event changed the state"
                            );
                        }
                        (got, want) => {
                            panic!("{q:?} {s:?} {k:?}: got {got:?}, table says {want:?}")
                        }
                    }
                }
            }
        }
        assert_eq!(handled, TABLE.len());
    }

    /// The paths an initiator takes, with their RFC labels.
    #[test]
    fn paths() {
        let run = |events: &[Event]| -> Vec<&'static str> {
            let mut m = Machine::new();
            events
                .iter()
                .map(|&e| m.on(e).expect("handled").row.label)
                .collect()
        };
        use Event::*;
        assert_eq!(
            run(&[LoginComplete, LogoutStart, LogoutSuccess]),
            ["T5", "T9", "T13"]
        );
        assert_eq!(
            run(&[LoginComplete, LogoutRequested, LogoutStart, LogoutSuccess]),
            ["T5", "T11", "T10", "T13"]
        );
        let fail = ConnFailed(Failure::ClosedByTarget);
        assert_eq!(
            run(&[
                LoginComplete,
                fail,
                CleanedUp,
                ContinuationStart,
                LoginComplete
            ]),
            ["T5", "T15", "M1", "N7", "T5"]
        );
        assert_eq!(
            run(&[LoginComplete, LogoutStart, fail, CleanedUp, Close]),
            ["T5", "T9", "T16", "M1", "N6"]
        );
        assert_eq!(
            run(&[LoginComplete, LogoutRequested, fail]),
            ["T5", "T11", "T17"]
        );
        assert_eq!(run(&[fail]), ["T7"]);
        // ERL 0 recovery: reinstatement, then a new leading login.
        assert_eq!(
            run(&[
                LoginComplete,
                fail,
                CleanedUp,
                Reinstate,
                LeadingLogin,
                LoginComplete
            ]),
            ["T5", "T15", "M1", "N6", "N1", "T5"]
        );
        // A target-requested logout, then a new leading login.
        assert_eq!(
            run(&[
                LoginComplete,
                LogoutRequested,
                LogoutStart,
                LogoutSuccess,
                LeadingLogin,
                LoginComplete
            ]),
            ["T5", "T11", "T10", "T13", "N1", "T5"]
        );
    }

    #[test]
    fn end_states() {
        let mut m = Machine::new();
        m.on(Event::LoginComplete).unwrap();
        assert!(m.accepts_commands() && m.conn_running());
        m.on(Event::LogoutStart).unwrap();
        assert!(!m.accepts_commands() && m.conn_running());
        // A second logout, or an unsolicited Logout Response, is refused.
        assert!(m.on(Event::LogoutStart).is_err());
        m.on(Event::ConnFailed(Failure::Socket)).unwrap();
        assert_eq!(
            (m.session(), m.conn()),
            (SessionState::Failed, ConnState::CleanupWait)
        );
        // A second failure changes nothing.
        assert!(m.on(Event::ConnFailed(Failure::Stopped)).is_err());
        assert!(!m.conn_running());
    }

    #[test]
    fn unsolicited_logout_response_is_refused() {
        let mut m = Machine::new();
        m.on(Event::LoginComplete).unwrap();
        let e = m.on(Event::LogoutSuccess).unwrap_err();
        assert_eq!(e.conn, ConnState::LoggedIn);
        assert!(m.accepts_commands());
    }

    /// Row `i` of [`TABLE`], from its own state pair: the dispatcher takes
    /// this row (no earlier row shadows it) to its target state. `name` is
    /// the test's name, which starts with the row's labels.
    fn check_row(name: &str, i: usize) {
        let r = &TABLE[i];
        let mut labels = String::from(r.label);
        if let Some(s) = r.session_label {
            labels = std::format!("{labels}_{s}");
        }
        assert!(
            name.starts_with(&labels.to_lowercase()),
            "test {name} is not for row {i} ({labels})"
        );
        let mut m = Machine {
            session: r.session,
            conn: r.conn,
        };
        let t = m.on(event_of(r.event)).expect("handled");
        assert!(
            core::ptr::eq(t.row, r),
            "row {i} is shadowed by {:?}",
            t.row
        );
        assert_eq!((m.session(), m.conn()), (r.to_session, r.to_conn));
    }

    /// One test per handled (session, connection, event) pair.
    macro_rules! row_tests {
        ($($name:ident = $i:literal),* $(,)?) => {$(
            #[test]
            fn $name() {
                check_row(stringify!($name), $i);
            }
        )*
            #[test]
            fn every_row_has_its_own_test() {
                let mut rows = [$($i),*];
                rows.sort();
                assert_eq!(rows.to_vec(), (0..TABLE.len()).collect::<Vec<_>>());
            }
        };
    }

    row_tests! {
        t5_n2_login_complete = 0, t5_n10_continuation_complete = 1, t7_n9_leading_login_fails = 2,
        t7_n8_continuation_fails = 3, t9_logout_start = 4, t11_logout_requested = 5,
        t10_requested_logout_start = 6, t13_n3_logged_out = 7, t15_n5_failure = 8, t16_n5_failure_in_logout = 9,
        t17_n5_failure_logout_requested = 10, m1_cleaned_up = 11, n7_continuation_start = 12, n6_close = 13,
        n6_reinstate = 14, n1_leading_login = 15,
    }
}

//! Diagnostics on stderr: warnings (each printed once) and the verbose trace.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Print `iscsi-init: warning: <msg>` on stderr, once per distinct message.
pub fn warn(msg: &str) {
    let mut g = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if g.get_or_insert_with(HashSet::new).insert(msg.to_string()) {
        eprintln!("iscsi-init: warning: {msg}");
    }
}

/// Turn the verbose trace (`-v`) on or off.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Whether `-v` was given.
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Print a trace line on stderr when verbose.
pub fn trace(msg: impl FnOnce() -> String) {
    if verbose() {
        eprintln!("iscsi-init: {}", msg());
    }
}

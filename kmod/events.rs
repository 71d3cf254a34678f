// SPDX-License-Identifier: GPL-2.0

//! Session events for userland (`IOC_EVENT_WAIT`, Documentation/ioctl-abi.rst):
//! a connection failed and the session needs a new one, `replacement_timeout`
//! expired, a session recovered or was removed. The recovery daemon waits
//! for them; sessions post them.
//!
//! The queue keeps the last [`KEPT`] events, numbered from 1. A reader
//! passes the number of the last event it saw and gets the next one; if
//! that one was already dropped, the reader is told (`lost`) and lists the
//! sessions to catch up, so a slow daemon never misses a failed session.

use crate::abi;
use kernel::prelude::*;
use kernel::sync::{CondVar, SpinLock};
use kernel::time::msecs_to_jiffies;

/// Events kept for readers.
const KEPT: usize = 64;
/// Longest wait of one `IOC_EVENT_WAIT`, in milliseconds.
pub(crate) const MAX_WAIT_MS: u32 = 60_000;

/// One event (the `EventWait` fields a session fills in).
#[derive(Clone, Copy, Default)]
pub(crate) struct Event {
    /// `abi::EVENT_*`.
    pub(crate) kind: u32,
    /// The session.
    pub(crate) session_id: u32,
    /// 1-based failure cause (`abi::FAILURE_NAMES`), or 0.
    pub(crate) cause: u32,
    /// Seconds to wait before reconnecting.
    pub(crate) delay_s: u32,
    /// Milliseconds without a connection (recovered).
    pub(crate) downtime_ms: u32,
}

/// The ring of recent events.
///
/// # Invariants
///
/// `ring[(n - 1) % KEPT]` holds event number `n` for every `n` in
/// `last - min(last, KEPT) + 1 ..= last`.
struct Ring {
    ring: [Event; KEPT],
    last: u64,
}

/// The event queue of the module.
#[pin_data]
pub(crate) struct Events {
    /// The ring; a spinlock because sessions post from their threads and
    /// from ioctls. It is the last lock in the order: nothing is taken
    /// under it.
    #[pin]
    ring: SpinLock<Ring>,
    /// Wakes readers when an event is posted.
    #[pin]
    posted: CondVar,
}

impl Events {
    /// An empty queue.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Events {
            ring <- kernel::new_spinlock!(Ring { ring: [Event::default(); KEPT], last: 0 }, "iscsi_init::Events::ring"),
            posted <- kernel::new_condvar!("iscsi_init::Events::posted"),
        })
    }

    /// Posts `ev` and wakes every reader.
    pub(crate) fn post(&self, ev: Event) {
        {
            let mut r = self.ring.lock();
            r.last += 1;
            let i = ((r.last - 1) % KEPT as u64) as usize;
            if let Some(slot) = r.ring.get_mut(i) {
                *slot = ev;
            }
        }
        self.posted.notify_all();
    }

    /// Fills `w` with the first event after `w.seq`, waiting up to
    /// `w.timeout_ms` (at most [`MAX_WAIT_MS`]) for one. With none,
    /// `w.kind` is `EVENT_NONE`.
    ///
    /// # Errors
    ///
    /// EINTR if a signal arrived while waiting.
    pub(crate) fn wait(&self, w: &mut abi::EventWait) -> Result {
        let mut left = msecs_to_jiffies(w.timeout_ms.min(MAX_WAIT_MS));
        let mut r = self.ring.lock();
        loop {
            if r.last > w.seq {
                let oldest = r.last.saturating_sub(KEPT as u64) + 1;
                let n = (w.seq + 1).max(oldest);
                let ev = r.ring.get(((n - 1) % KEPT as u64) as usize).copied().unwrap_or_default();
                w.lost = u32::from(n > w.seq + 1);
                w.seq = n;
                w.kind = ev.kind;
                w.session_id = ev.session_id;
                w.cause = ev.cause;
                w.delay_s = ev.delay_s;
                w.downtime_ms = ev.downtime_ms;
                return Ok(());
            }
            if w.seq > r.last {
                // A reader from before a module reload: start over.
                w.seq = 0;
                continue;
            }
            if left == 0 {
                w.kind = abi::EVENT_NONE;
                return Ok(());
            }
            match self.posted.wait_interruptible_timeout(&mut r, left) {
                kernel::sync::CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
                kernel::sync::CondVarTimeoutResult::Timeout => left = 0,
                kernel::sync::CondVarTimeoutResult::Signal { .. } => return Err(EINTR),
            }
        }
    }
}

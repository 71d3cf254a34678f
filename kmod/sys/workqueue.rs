// SPDX-License-Identifier: GPL-2.0

//! The module's own workqueue (include/linux/workqueue.h): per-CPU,
//! WQ_MEM_RECLAIM (and WQ_HIGHPRI with the module parameter `tx_highpri`,
//! read at load), for work items on the I/O path. The 6.12 kernel crate
//! has work items ([`kernel::workqueue`]) but cannot allocate a queue. A
//! queue of the module's own, not `system_wq`: destroying it at module exit
//! drains it, so no work item runs the module's code after the module is
//! gone, and reclaim cannot wait behind unrelated work.

use super::bindings;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::workqueue::{Queue, RawWorkItem};

/// Module parameter `tx_work` (default true): whether `queuecommand`, finding
/// the session idle, queues its send on its own CPU ([`enqueue`]) instead of
/// waking the transmit thread. Read per command.
pub(crate) fn tx_work() -> bool {
    // SAFETY: reads a module parameter; no arguments.
    unsafe { bindings::iscsi_init_tx_work() }
}

/// The workqueue of the [`ModuleQueue`] that exists, else null.
static QUEUE: AtomicPtr<kernel::bindings::workqueue_struct> = AtomicPtr::new(null_mut());

/// Owner of the module's workqueue: created at module init, drained and
/// destroyed when dropped at module exit.
///
/// # Invariants
///
/// While a `ModuleQueue` exists, [`QUEUE`] points at the workqueue it
/// allocated, and there is no other `ModuleQueue`.
pub(crate) struct ModuleQueue(());

impl ModuleQueue {
    /// Allocates the module's workqueue, named `name` (its kworkers show
    /// as `kworker/N:M-name`).
    ///
    /// # Errors
    ///
    /// ENOMEM; EBUSY if one exists already.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated; alloc_workqueue() copies it.
        let wq = unsafe { bindings::iscsi_init_wq_alloc(name.as_char_ptr()) };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        if QUEUE.compare_exchange(null_mut(), wq, Ordering::AcqRel, Ordering::Acquire).is_err() {
            // SAFETY: allocated above; nothing can have been queued on it.
            unsafe { bindings::iscsi_init_wq_destroy(wq) };
            return Err(EBUSY);
        }
        // INVARIANT: `QUEUE` holds the queue just allocated, and was empty.
        Ok(ModuleQueue(()))
    }
}

impl Drop for ModuleQueue {
    fn drop(&mut self) {
        let wq = QUEUE.swap(null_mut(), Ordering::AcqRel);
        if !wq.is_null() {
            // SAFETY: `wq` is the queue `new` allocated (invariant), taken
            // out of `QUEUE` so that `enqueue` no longer finds it;
            // destroy_workqueue() runs what is still queued first.
            unsafe { bindings::iscsi_init_wq_destroy(wq) };
        }
    }
}

/// Queues `w` on the module's workqueue, on the calling CPU (a per-CPU
/// queue and `WORK_CPU_UNBOUND`: the local CPU). `None` when the module
/// has no queue (before init or after exit); else what
/// [`Queue::enqueue`] returns (`Err(w)` if the item is queued already).
///
/// Only callers that the module stops before it drops its [`ModuleQueue`]
/// may call this: the module's sessions, which module exit shuts down
/// first.
pub(crate) fn enqueue<W: RawWorkItem<0> + Send + 'static>(w: W) -> Option<W::EnqueueOutput> {
    let wq = QUEUE.load(Ordering::Acquire);
    if wq.is_null() {
        return None;
    }
    // SAFETY: non-null, so the `ModuleQueue` that allocated `wq` existed
    // at the load; it is dropped only at module exit after every caller of
    // this function (the sessions) has stopped, so `wq` stays valid for
    // this call.
    let q = unsafe { Queue::from_raw(wq) };
    Some(q.enqueue(w))
}

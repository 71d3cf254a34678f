// SPDX-License-Identifier: GPL-2.0

//! Kernel threads (include/linux/kthread.h); the 6.12 kernel crate has none.

use super::bindings;
use kernel::ffi::{c_int, c_void};
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::sync::Arc;

struct Start<T> {
    ctx: Arc<T>,
    body: fn(&T),
}

/// A running kernel thread executing `body(&ctx)`.
///
/// # Invariants
///
/// `task` is a kthread started by `iscsi_init_kthread_start()` whose
/// task_struct we hold a reference to; `start` is the `KBox<Start<T>>` it
/// reads, freed only after `kthread_stop()` returned (the thread has exited
/// or never ran).
pub(crate) struct Thread {
    task: NonNull<kernel::bindings::task_struct>,
    start: *mut c_void,
    free: fn(*mut c_void),
}

// SAFETY: the handle only stops the thread and frees its start block; both
// may be done from any thread.
unsafe impl Send for Thread {}
// SAFETY: no method takes `&self`.
unsafe impl Sync for Thread {}

/// The thread function given to `kthread_run()`: runs `body(&ctx)`.
///
/// # Safety
///
/// Called by the kthread machinery only, once, with the `Start<T>` that
/// `spawn::<T>` leaked for this thread.
unsafe extern "C" fn trampoline<T>(data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `Start<T>` that `spawn` leaked for this thread; it
    // stays valid until `Thread::stop` frees it after the thread exited.
    let start = unsafe { &*(data as *const Start<T>) };
    (start.body)(&start.ctx);
    // Returning before kthread_stop() is fine: `Thread` holds a reference to
    // the task, and kthread_stop() collects the result of an exited thread.
    0
}

fn free_start<T>(p: *mut c_void) {
    // SAFETY: `p` came from `KBox::into_raw` of a `Start<T>` in `spawn`, and
    // is freed once.
    drop(unsafe { KBox::from_raw(p as *mut Start<T>) });
}

/// Starts a kernel thread named `name` running `body(&ctx)`.
///
/// # Errors
///
/// ENOMEM, or what `kthread_run()` returns.
pub(crate) fn spawn<T: Send + Sync + 'static>(name: &CStr, ctx: Arc<T>, body: fn(&T)) -> Result<Thread> {
    let start = KBox::into_raw(KBox::new(Start { ctx, body }, GFP_KERNEL)?) as *mut c_void;
    let mut err: c_int = 0;
    // SAFETY: `trampoline::<T>` matches `int (*)(void *)` and gets `start`,
    // which lives until `Thread::stop`; `name` is NUL-terminated (copied).
    let task =
        unsafe { bindings::iscsi_init_kthread_start(Some(trampoline::<T>), start, name.as_char_ptr(), &mut err) };
    let Some(task) = NonNull::new(task) else {
        free_start::<T>(start);
        return Err(Error::from_errno(if err < 0 { err } else { -12 }));
    };
    // INVARIANT: started and referenced by the shim; `start` leaked above.
    Ok(Thread { task, start, free: free_start::<T> })
}

impl Thread {
    /// Asks the thread to stop (`kthread_stop()`) and waits until it has
    /// exited. The thread's body must return once `should_stop()` is true or
    /// whatever it blocks on was woken (callers shut the socket down first).
    pub(crate) fn stop(self) {
        drop(self);
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        // SAFETY: `task` is a referenced kthread (invariant); the shim drops
        // our reference after it exited.
        unsafe { bindings::iscsi_init_kthread_stop(self.task.as_ptr()) };
        (self.free)(self.start);
    }
}

/// Whether the current kthread was asked to stop.
pub(crate) fn should_stop() -> bool {
    // SAFETY: only called from threads started by `spawn`.
    unsafe { bindings::iscsi_init_kthread_should_stop() }
}

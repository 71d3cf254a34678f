// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also disables softirqs (`spin_lock_bh()`), for data that
//! the socket's receive callbacks touch: they run in softirq context, so
//! every other holder must keep softirqs off on its CPU while it holds the
//! lock, or a callback interrupting it would spin forever. The 6.12 kernel
//! crate's [`kernel::sync::SpinLock`] has no `_bh` variant; this is one more
//! [`Backend`] for its [`Lock`], so guards and [`kernel::sync::CondVar`]
//! waits work unchanged (a wait unlocks with `spin_unlock_bh()` and relocks
//! with `spin_lock_bh()`).

use super::bindings;
use kernel::sync::lock::{Backend, Lock};

/// A [`Lock`] taken with `spin_lock_bh()`: may be taken in process and in
/// softirq context, never in hard interrupt context.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// Creates a [`SpinLockBh`] initialiser with a lock class of its own and
/// the given name.
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal $(,)?) => {
        kernel::sync::lock::Lock::<_, $crate::sys::sync::SpinLockBhBackend>::new(
            $inner,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_spinlock_bh;

/// The backend of [`SpinLockBh`]: a kernel `spinlock_t`.
pub(crate) struct SpinLockBhBackend;

// SAFETY: `spinlock_t` gives mutual exclusion between `lock` and `unlock`;
// `relock` is the default, which calls `lock`, the same locking method.
unsafe impl Backend for SpinLockBhBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(ptr: *mut Self::State, name: *const kernel::ffi::c_char, key: *mut kernel::bindings::lock_class_key) {
        // SAFETY: the caller gives a `ptr` valid for writes and `name`, `key`
        // valid for reads indefinitely (the trait's contract).
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: `ptr` was initialised by `init` (the trait's contract).
        unsafe { bindings::iscsi_init_spin_lock_bh(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock (the trait's contract), taken
        // with `spin_lock_bh()`.
        unsafe { bindings::iscsi_init_spin_unlock_bh(ptr) }
    }
}

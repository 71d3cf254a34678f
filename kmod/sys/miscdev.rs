// SPDX-License-Identifier: GPL-2.0

//! The misc device `/dev/iscsi_init` (include/linux/miscdevice.h).

use super::bindings;
use crate::control::Control;
use kernel::ffi::{c_long, c_uint, c_ulong};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

#[pin_data]
struct Inner {
    #[pin]
    dev: Opaque<bindings::miscdevice>,
    #[pin]
    control: Control,
}

/// A registered misc device whose ioctls go to the [`Control`] it owns.
///
/// # Invariants
///
/// `inner.dev` holds a `struct miscdevice` registered with `misc_register()`
/// at a fixed (pinned) address until `drop`; the VFS sets an open file's
/// `private_data` to it, which is how `iscsi_init_rust_ioctl` finds
/// `inner.control`.
pub(crate) struct Registration {
    inner: Pin<KBox<Inner>>,
}

// SAFETY: the miscdevice is only touched by misc_register/deregister (which
// lock internally) and read by the VFS; `Control` is itself `Send + Sync`.
unsafe impl Send for Registration {}
// SAFETY: as above; `&Registration` only gives `&Control`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers a misc device with a dynamic minor, the node name `name` and
    /// the file mode `mode` (e.g. 0o600) for its devtmpfs node.
    ///
    /// # Errors
    ///
    /// ENOMEM, or what `misc_register()` returns (EBUSY for a taken name).
    pub(crate) fn register(name: &'static CStr, mode: u16, control: impl PinInit<Control, Error>) -> Result<Self> {
        let inner = KBox::try_pin_init(
            try_pin_init!(Inner {
                dev <- Opaque::ffi_init(|p: *mut bindings::miscdevice| {
                    // SAFETY: `p` is valid for writes of a miscdevice; zero is
                    // a valid bit pattern for it (null pointers, an empty
                    // list head that misc_register initialises).
                    unsafe {
                        core::ptr::write_bytes(p, 0, 1);
                        (*p).minor = bindings::MISC_DYNAMIC_MINOR as i32;
                        (*p).name = name.as_char_ptr();
                        (*p).fops = &bindings::iscsi_init_fops;
                        (*p).mode = mode;
                    }
                }),
                control <- control,
            }? Error),
            GFP_KERNEL,
        )?;
        // SAFETY: `dev` is a fully initialised miscdevice that stays pinned
        // for as long as the returned `Registration`, which deregisters it.
        to_result(unsafe { bindings::misc_register(inner.dev.get()) })?;
        // INVARIANT: registered above; pinned in its box.
        Ok(Self { inner })
    }

    /// The control state behind the device.
    pub(crate) fn control(&self) -> &Control {
        &self.inner.control
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the device is registered.
        unsafe { bindings::misc_deregister(self.inner.dev.get()) };
    }
}

/// `unlocked_ioctl` of `iscsi_init_fops` (kmod/sys/shim.c).
///
/// # Safety
///
/// Called by the VFS only, with a valid open file of our misc device.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_ioctl(file: *mut kernel::bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: misc_open() set `private_data` to our `miscdevice`, which is
    // the `dev` field of a live `Inner` (the open file pins the module, so
    // the registration outlives the call).
    let inner = unsafe {
        let dev = (*file).private_data as *const Opaque<bindings::miscdevice>;
        &*kernel::container_of!(dev, Inner, dev)
    };
    match inner.control.ioctl(cmd, arg as usize) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

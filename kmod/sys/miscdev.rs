// SPDX-License-Identifier: GPL-2.0

//! Misc devices (include/linux/miscdevice.h), shaped like the 6.13+
//! `kernel::miscdevice` abstraction so that moving to it is a rename: a
//! driver implements [`MiscDevice`] (open, release, ioctl on a
//! [`ForeignOwnable`] per open file) and registers it with
//! [`MiscDeviceRegistration`]. As in 6.15+, the registration carries shared
//! data (`RegistrationData`) that `open` can reach.
//!
//! The file_operations stay a C static (shim.c) whose callbacks land in the
//! non-generic trampolines below; they reach `T` through a vtable stored
//! right after the `struct miscdevice`.

use super::bindings;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::{ForeignOwnable, Opaque};

/// What a misc device driver implements.
pub(crate) trait MiscDevice: Sized + 'static {
    /// What an open file holds.
    type Ptr: ForeignOwnable + Send + Sync;
    /// Shared data of the registration, given to `open`.
    type RegistrationData: Send + Sync;

    /// open(2): the per-file value, from the registration's data (6.15+:
    /// `open(file, misc)` with `misc.data()`).
    ///
    /// # Errors
    ///
    /// Whatever open(2) should return.
    fn open(data: &Self::RegistrationData) -> Result<Self::Ptr>;

    /// The last close of the file.
    fn release(device: Self::Ptr) {
        drop(device);
    }

    /// ioctl(2) (and its compat form, through compat_ptr_ioctl): returns the
    /// ioctl's non-negative result.
    ///
    /// # Errors
    ///
    /// The errno ioctl(2) returns.
    fn ioctl(device: <Self::Ptr as ForeignOwnable>::Borrowed<'_>, cmd: u32, arg: usize) -> Result<isize>;
}

/// The callbacks of one `T: MiscDevice`.
struct MiscVTable {
    open: unsafe fn(*const Head) -> Result<*const c_void>,
    release: unsafe fn(*const c_void),
    ioctl: unsafe fn(*const c_void, u32, usize) -> Result<isize>,
}

/// The non-generic prefix of [`Inner`]: what the trampolines find from the
/// `struct miscdevice` that misc_open() stores in `file->private_data`.
#[repr(C)]
struct Head {
    dev: Opaque<bindings::miscdevice>,
    vtable: &'static MiscVTable,
}

#[repr(C)]
struct Inner<T: MiscDevice> {
    dev: Opaque<bindings::miscdevice>,
    vtable: &'static MiscVTable,
    data: T::RegistrationData,
}

/// What an open file's `private_data` points to.
struct OpenFile {
    vtable: &'static MiscVTable,
    ptr: *const c_void,
}

/// # Safety
///
/// `head` is the `Head` of a live `Inner<T>`.
unsafe fn vt_open<T: MiscDevice>(head: *const Head) -> Result<*const c_void> {
    // SAFETY: `Inner<T>` starts with the fields of `Head` (both repr(C)), and
    // `head` is the start of a live `Inner<T>` (contract).
    let inner = unsafe { &*(head as *const Inner<T>) };
    Ok(T::open(&inner.data)?.into_foreign())
}

/// # Safety
///
/// `ptr` came from `vt_open::<T>` and is released once.
unsafe fn vt_release<T: MiscDevice>(ptr: *const c_void) {
    // SAFETY: by the contract, and no borrow of it is live (release runs
    // after every other file operation returned).
    T::release(unsafe { <T::Ptr as ForeignOwnable>::from_foreign(ptr) });
}

/// # Safety
///
/// `ptr` came from `vt_open::<T>` and was not released.
unsafe fn vt_ioctl<T: MiscDevice>(ptr: *const c_void, cmd: u32, arg: usize) -> Result<isize> {
    // SAFETY: by the contract.
    T::ioctl(unsafe { <T::Ptr as ForeignOwnable>::borrow(ptr) }, cmd, arg)
}

struct VTableOf<T>(PhantomData<T>);

impl<T: MiscDevice> VTableOf<T> {
    const VTABLE: MiscVTable = MiscVTable { open: vt_open::<T>, release: vt_release::<T>, ioctl: vt_ioctl::<T> };
}

/// A registered misc device whose file operations go to `T`.
///
/// # Invariants
///
/// `inner.dev` holds a `struct miscdevice` registered with `misc_register()`
/// at a fixed (boxed, pinned) address until `drop`; `inner.vtable` is
/// `VTableOf::<T>::VTABLE`.
pub(crate) struct MiscDeviceRegistration<T: MiscDevice> {
    inner: Pin<KBox<Inner<T>>>,
}

// SAFETY: the miscdevice is only touched by misc_register/deregister (which
// lock internally) and read by the VFS; the data is `Send + Sync`.
unsafe impl<T: MiscDevice> Send for MiscDeviceRegistration<T> {}
// SAFETY: as above; `&Self` only gives `&T::RegistrationData`.
unsafe impl<T: MiscDevice> Sync for MiscDeviceRegistration<T> {}

impl<T: MiscDevice> MiscDeviceRegistration<T> {
    /// Registers a misc device with a dynamic minor, the node name `name` and
    /// the file mode `mode` (e.g. 0o600) for its devtmpfs node.
    ///
    /// # Errors
    ///
    /// ENOMEM, or what `misc_register()` returns (EBUSY for a taken name).
    pub(crate) fn register(name: &'static CStr, mode: u16, data: T::RegistrationData) -> Result<Self> {
        let vtable: &'static MiscVTable = &VTableOf::<T>::VTABLE;
        let inner = KBox::pin(Inner::<T> { dev: Opaque::uninit(), vtable, data }, GFP_KERNEL)?;
        let dev = inner.dev.get();
        // SAFETY: `dev` is valid for writes of a miscdevice and not yet
        // shared; zero is a valid bit pattern for it (null pointers, an
        // empty list head that misc_register initialises).
        unsafe {
            core::ptr::write_bytes(dev, 0, 1);
            (*dev).minor = bindings::MISC_DYNAMIC_MINOR as i32;
            (*dev).name = name.as_char_ptr();
            (*dev).fops = &bindings::iscsi_init_fops;
            (*dev).mode = mode;
        }
        // SAFETY: `dev` is a fully initialised miscdevice that stays pinned
        // for as long as the returned registration, which deregisters it.
        to_result(unsafe { bindings::misc_register(dev) })?;
        // INVARIANT: registered above; pinned in its box.
        Ok(Self { inner })
    }

    /// The shared data given at registration.
    pub(crate) fn data(&self) -> &T::RegistrationData {
        &self.inner.data
    }
}

impl<T: MiscDevice> Drop for MiscDeviceRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the device is registered.
        unsafe { bindings::misc_deregister(self.inner.dev.get()) };
    }
}

/// The `Head` of the misc device an open file belongs to.
///
/// # Safety
///
/// `file` is an open file of one of our misc devices, during open().
unsafe fn head_of(file: *mut kernel::bindings::file) -> *const Head {
    // SAFETY: misc_open() set `private_data` to our `miscdevice`, the first
    // field of a live `Head` (the open file pins the module, so the
    // registration outlives the call).
    unsafe {
        let dev = (*file).private_data as *const Opaque<bindings::miscdevice>;
        kernel::container_of!(dev, Head, dev)
    }
}

/// `open` of `iscsi_init_fops` (kmod/sys/shim.c).
///
/// # Safety
///
/// Called by the VFS only (through misc_open), with a file of our device.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_open(_inode: *mut kernel::bindings::inode, file: *mut kernel::bindings::file) -> c_int {
    // SAFETY: by the contract.
    let head = unsafe { head_of(file) };
    // SAFETY: `head` is live (see `head_of`).
    let vtable = unsafe { (*head).vtable };
    // SAFETY: `head` belongs to an `Inner<T>` whose vtable this is.
    let ptr = match unsafe { (vtable.open)(head) } {
        Ok(p) => p,
        Err(e) => return e.to_errno(),
    };
    match KBox::new(OpenFile { vtable, ptr }, GFP_KERNEL) {
        Ok(b) => {
            // SAFETY: the file is ours until release; nothing else uses
            // `private_data` after misc_open.
            unsafe { (*file).private_data = KBox::into_raw(b) as *mut c_void };
            0
        }
        Err(_) => {
            // SAFETY: `ptr` came from this vtable's open and is released once.
            unsafe { (vtable.release)(ptr) };
            ENOMEM.to_errno()
        }
    }
}

/// `release` of `iscsi_init_fops`.
///
/// # Safety
///
/// Called by the VFS only, once, for a file that `iscsi_init_rust_open`
/// opened.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_release(_inode: *mut kernel::bindings::inode, file: *mut kernel::bindings::file) -> c_int {
    // SAFETY: open stored a `KBox<OpenFile>` in `private_data`; this is the
    // last use of it.
    let of = unsafe { KBox::from_raw((*file).private_data as *mut OpenFile) };
    // SAFETY: `of.ptr` came from the vtable's open, released once.
    unsafe { (of.vtable.release)(of.ptr) };
    0
}

/// `unlocked_ioctl` of `iscsi_init_fops`.
///
/// # Safety
///
/// Called by the VFS only, for a file that `iscsi_init_rust_open` opened
/// and that is not yet released.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_ioctl(file: *mut kernel::bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: open stored a `KBox<OpenFile>` in `private_data`, live until
    // release, which cannot run during this call.
    let of = unsafe { &*((*file).private_data as *const OpenFile) };
    // SAFETY: `of.ptr` came from the vtable's open and is not released.
    match unsafe { (of.vtable.ioctl)(of.ptr, cmd, arg as usize) } {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

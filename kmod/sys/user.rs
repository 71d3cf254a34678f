// SPDX-License-Identifier: GPL-2.0

//! Copying the ioctl ABI structs from and to user space.

use crate::abi;
use kernel::prelude::*;
use kernel::types::{AsBytes, FromBytes};
use kernel::uaccess::{UserPtr, UserSlice};

/// A struct of the ioctl ABI that can be copied to and from user space.
pub(crate) trait AbiStruct: FromBytes + AsBytes + Sized {}

macro_rules! abi_structs {
    ($($t:ty),*) => {$(
        // SAFETY: the ABI structs are `#[repr(C)]`, made only of integers and
        // integer arrays, so every bit pattern is valid; abi/ asserts their
        // sizes, which leave no padding, so no byte is uninitialised.
        unsafe impl FromBytes for $t {}
        // SAFETY: as above: no padding, no pointers, all bytes initialised.
        unsafe impl AsBytes for $t {}
        impl AbiStruct for $t {}
    )*};
}
abi_structs!(
    abi::AbiHeader,
    abi::ConnBind,
    abi::SessionRemove,
    abi::SessionInfo,
    abi::SessionList,
    abi::SessionStats,
    abi::EventWait
);

/// Reads a `T` from user address `ptr`. EFAULT if it is not readable.
pub(crate) fn read<T: AbiStruct>(ptr: UserPtr) -> Result<T> {
    UserSlice::new(ptr, core::mem::size_of::<T>()).reader().read::<T>()
}

/// Writes `value` to user address `ptr`. EFAULT if it is not writable.
pub(crate) fn write<T: AbiStruct>(ptr: UserPtr, value: &T) -> Result {
    UserSlice::new(ptr, core::mem::size_of::<T>()).writer().write(value)
}

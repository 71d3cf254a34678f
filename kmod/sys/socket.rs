// SPDX-License-Identifier: GPL-2.0

//! A TCP socket handed over by the helper (include/linux/net.h).

use super::bindings;
use super::scsi::CmdRef;
use kernel::ffi::c_char;
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::prelude::*;

/// Module parameter `tx_batch` (default true): whether a sender that sees
/// more PDUs queued sends a PDU's last bytes with MSG_MORE and pushes at the
/// end of the burst ([`Socket::push`]). Read at every send.
pub(crate) fn tx_batch() -> bool {
    // SAFETY: reads a module parameter; no arguments.
    unsafe { bindings::iscsi_init_tx_batch() }
}

/// A connected TCP socket, looked up from a user fd with `sockfd_lookup()`.
///
/// # Invariants
///
/// `ptr` is a `struct socket` whose file we hold one reference to (taken by
/// `sockfd_lookup()`), released with `sockfd_put()` in `drop`; it is a
/// connected TCP stream socket when created.
pub(crate) struct Socket {
    ptr: NonNull<bindings::socket>,
}

// SAFETY: a `struct socket` may be used from any thread; concurrent send and
// receive are serialised by the socket lock inside the networking stack.
unsafe impl Send for Socket {}
// SAFETY: as above, all methods take `&self` and the stack does the locking.
unsafe impl Sync for Socket {}

impl Socket {
    /// Takes a reference to the socket behind the calling process's `fd` and
    /// prepares it for a block-device transport: `GFP_NOIO | __GFP_MEMALLOC`
    /// allocations and `sk_set_memalloc()` (as nbd and iscsi_tcp do, against
    /// memory-reclaim deadlocks), TCP_NODELAY.
    ///
    /// # Errors
    ///
    /// EBADF for a bad fd, ENOTSOCK for a non-TCP socket, ENOTCONN for an
    /// unconnected one.
    pub(crate) fn from_fd(fd: i32) -> Result<Self> {
        let mut err: i32 = 0;
        // SAFETY: `err` is a valid out pointer; the shim only takes a reference.
        let ptr = unsafe { bindings::iscsi_init_sock_lookup(fd, &mut err) };
        let ptr = NonNull::new(ptr).ok_or_else(|| Error::from_errno(if err < 0 { err } else { -9 }))?;
        // SAFETY: `ptr` is a connected TCP socket we hold a reference to.
        unsafe { bindings::iscsi_init_sock_setup(ptr.as_ptr()) };
        // INVARIANT: referenced by sockfd_lookup, checked connected TCP.
        Ok(Self { ptr })
    }

    /// The peer's address as text into `buf`; returns the used part.
    pub(crate) fn peer<'a>(&self, buf: &'a mut [u8]) -> Result<&'a [u8]> {
        // SAFETY: `self.ptr` is valid (invariant); `buf` is writable for its length.
        let n = unsafe {
            bindings::iscsi_init_sock_peer(self.ptr.as_ptr(), buf.as_mut_ptr() as *mut c_char, buf.len() as u32)
        };
        if n < 0 {
            return Err(Error::from_errno(n));
        }
        Ok(buf.get(..n as usize).unwrap_or(buf))
    }

    /// Sends all of `data`; `more` hints that more follows (MSG_MORE).
    pub(crate) fn send(&self, data: &[u8], more: bool) -> Result {
        // SAFETY: `self.ptr` is valid (invariant); `data` is readable for its length.
        to_result(unsafe {
            bindings::iscsi_init_sock_send_buf(self.ptr.as_ptr(), data.as_ptr().cast(), data.len() as u32, more)
        })
    }

    /// Sends at once what earlier sends with `more` left in the socket
    /// (a TCP push).
    pub(crate) fn push(&self) {
        // SAFETY: `self.ptr` is valid (invariant).
        unsafe { bindings::iscsi_init_sock_push(self.ptr.as_ptr()) }
    }

    /// Receives exactly `buf.len()` bytes. Returns `Ok(false)` at end of
    /// stream before the first byte.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> Result<bool> {
        if buf.is_empty() {
            return Ok(true);
        }
        // SAFETY: `self.ptr` is valid (invariant); `buf` is writable for its length.
        let n = unsafe {
            bindings::iscsi_init_sock_recv_buf(self.ptr.as_ptr(), buf.as_mut_ptr().cast(), buf.len() as u32)
        };
        match n {
            0 => Ok(false),
            n if n < 0 => Err(Error::from_errno(n)),
            _ => Ok(true),
        }
    }

    /// Receives what has arrived, at most `buf.len()` bytes, waiting for at
    /// least one: the count, 0 at end of stream.
    ///
    /// # Errors
    ///
    /// Socket errors.
    pub(crate) fn recv_some(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `self.ptr` is valid (invariant); `buf` is writable for its length.
        let n = unsafe {
            bindings::iscsi_init_sock_recv_some(self.ptr.as_ptr(), buf.as_mut_ptr().cast(), buf.len() as u32)
        };
        if n < 0 {
            return Err(Error::from_errno(n));
        }
        Ok(n as usize)
    }

    /// Sends `len` bytes of `cmd`'s data buffer from byte `offset`, straight
    /// from its pages (MSG_SPLICE_PAGES when `splice`: no copy).
    ///
    /// # Errors
    ///
    /// EINVAL if the range is outside the buffer; socket errors.
    pub(crate) fn send_data(&self, cmd: &CmdRef, offset: u32, len: u32, more: bool, splice: bool) -> Result {
        // SAFETY: `self.ptr` is valid (invariant); `cmd` is outstanding (its
        // invariant), so its scatterlist is valid; the shim checks the range.
        to_result(unsafe {
            bindings::iscsi_init_sock_send_sg(self.ptr.as_ptr(), cmd.as_ptr(), offset, len, more, splice)
        })
    }

    /// Receives `len` bytes into `cmd`'s data buffer at byte `offset`,
    /// straight into its pages.
    ///
    /// # Errors
    ///
    /// EINVAL if the range is outside the buffer; EPIPE at end of stream;
    /// socket errors.
    pub(crate) fn recv_data(&self, cmd: &CmdRef, offset: u32, len: u32) -> Result {
        // SAFETY: as for `send_data`.
        to_result(unsafe { bindings::iscsi_init_sock_recv_sg(self.ptr.as_ptr(), cmd.as_ptr(), offset, len) })
    }

    /// Shuts both directions down, so that blocked senders and receivers
    /// return at once.
    pub(crate) fn shutdown(&self) {
        // SAFETY: `self.ptr` is valid (invariant).
        unsafe { bindings::iscsi_init_sock_shutdown(self.ptr.as_ptr()) };
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: we hold the reference taken by sockfd_lookup (invariant).
        unsafe { bindings::iscsi_init_sock_put(self.ptr.as_ptr()) };
    }
}

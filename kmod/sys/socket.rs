// SPDX-License-Identifier: GPL-2.0

//! A TCP socket handed over by the helper (include/linux/net.h).

use super::bindings;
use super::scsi::CmdRef;
use kernel::ffi::c_char;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::sync::Arc;
use kernel::error::to_result;
use kernel::prelude::*;

/// Module parameter `tx_batch` (default true): whether a sender that sees
/// more PDUs queued sends a PDU's last bytes with MSG_MORE and pushes at the
/// end of the burst ([`Socket::push`]). Read at every send.
pub(crate) fn tx_batch() -> bool {
    // SAFETY: reads a module parameter; no arguments.
    unsafe { bindings::iscsi_init_tx_batch() }
}

/// Module parameter `rx_thread_depth` (default 2): from how many
/// outstanding commands on a session [`Receiver::defer`] leaves the
/// reading to the receive thread; 0, never. Read per `sk_data_ready`.
pub(crate) fn rx_thread_depth() -> u32 {
    // SAFETY: reads a module parameter; no arguments.
    unsafe { bindings::iscsi_init_rx_thread_depth() }
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

/// What a socket's receive callbacks call ([`Socket::hook`]).
///
/// Both methods run in the socket's receive context: softirq, or the
/// `release_sock()` of whichever task owns the socket, or
/// [`Hook::read`]'s caller. They must not sleep. Calls for one socket never
/// overlap (the socket is owned during each).
pub(crate) trait Receiver: Send + Sync {
    /// Bytes arrived: `chunk` holds the next `chunk.len()` bytes of the
    /// stream. Returns `true` to keep reading, `false` when the connection
    /// is ending (the rest is dropped and nothing more is read now).
    fn received(&self, chunk: &Chunk<'_>) -> bool;
    /// Bytes arrived, in `sk_data_ready` (softirq, or the `release_sock()`
    /// of the socket's owner), before they are read: `true` leaves them
    /// queued, for the receiver to take from process context with
    /// [`Hook::read`] (which it must then arrange); `false` reads them now,
    /// in this context.
    fn defer(&self) -> bool;
    /// The socket's state changed: the peer's FIN or RST, a shutdown.
    fn state_changed(&self);
    /// Bytes the PDU being received still needs before it is whole, as far
    /// as they are known (at least 1): the socket's receive low-water mark
    /// with the module parameter `rx_lowat`. Called after each read, in
    /// its context.
    fn rest(&self) -> u32;
}

/// The next bytes of a socket's stream, inside one `sk_buff`, valid for the
/// duration of a [`Receiver::received`] call.
///
/// # Invariants
///
/// `skb` holds at least `offset + len` bytes and stays valid for `'a`.
pub(crate) struct Chunk<'a> {
    skb: NonNull<bindings::sk_buff>,
    offset: u32,
    len: usize,
    _skb: PhantomData<&'a bindings::sk_buff>,
}

impl Chunk<'_> {
    /// Bytes in the chunk.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies `buf.len()` bytes from byte `at` of the chunk into `buf`.
    ///
    /// # Errors
    ///
    /// EINVAL if the range is outside the chunk.
    pub(crate) fn copy(&self, at: usize, buf: &mut [u8]) -> Result {
        if at.checked_add(buf.len()).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        if buf.is_empty() {
            return Ok(());
        }
        // SAFETY: the range is inside the chunk, so inside `skb`, which is
        // valid (invariant); `buf` is writable for its length.
        to_result(unsafe {
            bindings::iscsi_init_skb_copy(self.skb.as_ptr(), self.offset + at as u32, buf.as_mut_ptr().cast(), buf.len() as u32)
        })
    }

    /// Copies `len` bytes from byte `at` of the chunk into `cmd`'s data
    /// buffer at byte `offset`, straight into its pages; with `crc`, extends
    /// that CRC32C ("append" form) over the bytes as they are copied.
    ///
    /// # Errors
    ///
    /// EINVAL if either range is outside the chunk or the buffer.
    pub(crate) fn copy_to_cmd(&self, at: usize, cmd: &CmdRef, offset: u32, len: u32, crc: Option<&mut u32>) -> Result {
        if at.checked_add(len as usize).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        let crc = crc.map_or(core::ptr::null_mut(), |c| c as *mut u32);
        // SAFETY: the chunk's range is inside `skb` (invariant); `cmd` is
        // outstanding (its invariant), so its scatterlist is valid, and the
        // shim checks the buffer's range; `crc` is null or writable.
        to_result(unsafe {
            bindings::iscsi_init_skb_copy_sg(self.skb.as_ptr(), self.offset + at as u32, cmd.as_ptr(), offset, len, crc)
        })
    }
}

/// The receive callbacks of a socket, installed by [`Socket::hook`] and
/// restored by [`Hook::unhook`] (or on drop).
///
/// # Invariants
///
/// `hook` is the shim's hook of a socket that outlives this value, created
/// with `user` = `Arc::into_raw` of the receiver `R`, of which it owns that
/// reference; both are released in `unhook`.
pub(crate) struct Hook<R: Receiver> {
    hook: Option<NonNull<bindings::iscsi_init_sk_hook>>,
    user: *const R,
}

// SAFETY: the hook is only read or released through `&mut self` or by the
// shim under the socket's callback lock; `R` is `Send + Sync`.
unsafe impl<R: Receiver> Send for Hook<R> {}
// SAFETY: `read` takes `&self` and the shim serialises it with the socket
// lock.
unsafe impl<R: Receiver> Sync for Hook<R> {}

/// `recv` of the shim's hook.
///
/// # Safety
///
/// `user` is `Arc::into_raw` of an `R` still owned by the hook; `skb` holds
/// `offset + len` bytes for the duration of the call.
unsafe extern "C" fn recv_trampoline<R: Receiver>(user: *mut c_void, skb: *mut bindings::sk_buff, offset: c_uint, len: usize) -> c_int {
    // SAFETY: the hook owns a reference to `R` until it is restored, and it
    // is restored only once no callback runs (the function's contract).
    let r = unsafe { &*(user as *const R) };
    let Some(skb) = NonNull::new(skb) else { return -1 };
    // INVARIANT: the shim passes a range inside `skb`, valid during the call.
    let chunk = Chunk { skb, offset, len, _skb: PhantomData };
    if r.received(&chunk) {
        len.min(c_int::MAX as usize) as c_int
    } else {
        -1
    }
}

/// `defer` of the shim's hook.
///
/// # Safety
///
/// As for [`recv_trampoline`].
unsafe extern "C" fn defer_trampoline<R: Receiver>(user: *mut c_void) -> bool {
    // SAFETY: as in `recv_trampoline`.
    let r = unsafe { &*(user as *const R) };
    r.defer()
}

/// `rest` of the shim's hook.
///
/// # Safety
///
/// As for [`recv_trampoline`].
unsafe extern "C" fn rest_trampoline<R: Receiver>(user: *mut c_void) -> u32 {
    // SAFETY: as in `recv_trampoline`.
    let r = unsafe { &*(user as *const R) };
    r.rest()
}

/// `state` of the shim's hook.
///
/// # Safety
///
/// As for [`recv_trampoline`].
unsafe extern "C" fn state_trampoline<R: Receiver>(user: *mut c_void) {
    // SAFETY: as in `recv_trampoline`.
    let r = unsafe { &*(user as *const R) };
    r.state_changed();
}

impl<R: Receiver> Hook<R> {
    /// Hands what the socket has queued to the receiver, from process
    /// context (what arrived before the hook was installed, or what a
    /// receiver that stopped left). May sleep (the socket lock).
    pub(crate) fn read(&self) {
        if let Some(h) = self.hook {
            // SAFETY: the hook is live until `unhook` (invariant), which
            // takes `&mut self`.
            unsafe { bindings::iscsi_init_sock_read(h.as_ptr()) }
        }
    }

    /// Restores the socket's callbacks: when it returns, the receiver is
    /// not running and will not be called again. May sleep.
    pub(crate) fn unhook(&mut self) {
        if let Some(h) = self.hook.take() {
            // SAFETY: the hook is live (invariant); taken out, so released
            // once.
            unsafe { bindings::iscsi_init_sock_unhook(h.as_ptr()) };
            // SAFETY: `user` came from `Arc::into_raw` and the hook's
            // reference is released once, now that no callback runs.
            drop(unsafe { Arc::from_raw(self.user) });
        }
    }
}

impl<R: Receiver> Drop for Hook<R> {
    fn drop(&mut self) {
        self.unhook();
    }
}

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

    /// Sends `len` bytes of `cmd`'s data buffer from byte `offset`, straight
    /// from its pages (MSG_SPLICE_PAGES: no copy, but for pages that fail
    /// `sendpage_ok()`).
    ///
    /// # Errors
    ///
    /// EINVAL if the range is outside the buffer; socket errors.
    pub(crate) fn send_data(&self, cmd: &CmdRef, offset: u32, len: u32, more: bool) -> Result {
        // SAFETY: `self.ptr` is valid (invariant); `cmd` is outstanding (its
        // invariant), so its scatterlist is valid; the shim checks the range.
        to_result(unsafe {
            bindings::iscsi_init_sock_send_sg(self.ptr.as_ptr(), cmd.as_ptr(), offset, len, more)
        })
    }

    /// Installs `receiver` as the socket's receive callbacks (as iscsi_tcp
    /// does): data is handed to [`Receiver::received`] as it arrives, in
    /// the socket's receive context, with `tcp_read_sock()`; no task waits
    /// in `recvmsg`. The hook must be unhooked (or dropped) before the
    /// socket. Call [`Hook::read`] after it for data already queued.
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn hook<R: Receiver>(&self, receiver: Arc<R>) -> Result<Hook<R>> {
        let user = Arc::into_raw(receiver);
        // SAFETY: `self.ptr` is valid (invariant); the trampolines match the
        // shim's callback types and get `user`, which the hook owns until
        // `unhook`.
        let hook = unsafe {
            bindings::iscsi_init_sock_hook(
                self.ptr.as_ptr(),
                user as *mut c_void,
                Some(recv_trampoline::<R>),
                Some(defer_trampoline::<R>),
                Some(state_trampoline::<R>),
                Some(rest_trampoline::<R>),
            )
        };
        match NonNull::new(hook) {
            // INVARIANT: created with `user`, whose reference it owns.
            Some(h) => Ok(Hook { hook: Some(h), user }),
            None => {
                // SAFETY: not handed over: the reference is ours to drop.
                drop(unsafe { Arc::from_raw(user) });
                Err(ENOMEM)
            }
        }
    }

    /// Whether no more data can arrive: the peer's FIN came, the receive
    /// side was shut down, the socket has an error or is closed.
    pub(crate) fn rx_ended(&self) -> bool {
        // SAFETY: `self.ptr` is valid (invariant); the shim only reads.
        unsafe { bindings::iscsi_init_sock_rx_ended(self.ptr.as_ptr()) }
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

//! A fixed-capacity FIFO over caller-provided storage: pushing never
//! allocates, which is what a transmit queue filled from queuecommand and
//! from the receive path needs.

use core::marker::PhantomData;
use core::ops::DerefMut;

/// A FIFO of `T` in the slots of `B` (`KVec<T>` in the kernel, `Vec<T>` in
/// tests); its capacity is `B`'s length, fixed at creation.
///
/// # Invariants
///
/// `head < buf.len()` (or `buf` is empty and `len == 0`), `len <= buf.len()`;
/// the elements are the `len` slots from `head`, wrapping.
pub struct Ring<T: Copy, B: DerefMut<Target = [T]>> {
    buf: B,
    head: usize,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Copy, B: DerefMut<Target = [T]>> Ring<T, B> {
    /// An empty ring over `buf` (its contents are ignored).
    pub fn new(buf: B) -> Self {
        Ring {
            buf,
            head: 0,
            len: 0,
            _t: PhantomData,
        }
    }

    /// Capacity in elements.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Number of queued elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `v`.
    ///
    /// # Errors
    ///
    /// `Err(v)` when the ring is full.
    pub fn push(&mut self, v: T) -> Result<(), T> {
        let cap = self.buf.len();
        if self.len == cap {
            return Err(v);
        }
        let idx = (self.head + self.len) % cap;
        match self.buf.get_mut(idx) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
                Ok(())
            }
            None => Err(v),
        }
    }

    /// The oldest element, left in place.
    pub fn peek(&self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.buf.get(self.head).copied()
    }

    /// Removes and returns the oldest element.
    pub fn pop(&mut self) -> Option<T> {
        let v = self.peek()?;
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(v)
    }

    /// Drops every element.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::vec;

    #[test]
    fn full_and_empty() {
        let mut r = Ring::new(vec![0u32; 3]);
        assert_eq!(r.pop(), None);
        for i in 0..3 {
            r.push(i).unwrap();
        }
        assert_eq!(r.push(9), Err(9));
        assert_eq!(r.pop(), Some(0));
        r.push(3).unwrap();
        assert_eq!(
            (r.pop(), r.pop(), r.pop(), r.pop()),
            (Some(1), Some(2), Some(3), None)
        );
    }

    #[test]
    fn zero_capacity() {
        let mut r: Ring<u8, _> = Ring::new(vec![]);
        assert_eq!(r.push(1), Err(1));
        assert_eq!(r.pop(), None);
    }

    proptest! {
        /// The ring behaves as a bounded VecDeque.
        #[test]
        fn like_a_deque(cap in 1usize..8, ops in proptest::collection::vec(any::<Option<u8>>(), 0..64)) {
            let mut r = Ring::new(vec![0u8; cap]);
            let mut d = VecDeque::new();
            for op in ops {
                match op {
                    Some(v) => {
                        let want = if d.len() < cap { d.push_back(v); Ok(()) } else { Err(v) };
                        prop_assert_eq!(r.push(v), want);
                    }
                    None => prop_assert_eq!(r.pop(), d.pop_front()),
                }
                prop_assert_eq!(r.len(), d.len());
            }
        }
    }
}

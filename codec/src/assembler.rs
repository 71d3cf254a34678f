//! Multi-PDU text (RFC 7143 6.1 and 11.10.2/11.12.2, the C bit): joining
//! the data segments of a Login/Text PDU sequence into one logical text
//! data segment ([`TextAssembler`]), and splitting a text for sending
//! ([`TextSegments`]).

use super::error::TextError;
use super::keys::KeyValueIter;

/// State after [`TextAssembler::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assembly {
    /// The segment had the C bit set: more segments follow.
    Incomplete,
    /// The segment had the C bit clear: the text is complete.
    Complete,
}

/// Joins the data segments of PDUs with the C (Continue) bit into one
/// caller-supplied buffer. Push every segment with its C bit; when a
/// segment with C = 0 arrives the text is complete and can be parsed with
/// [`TextAssembler::pairs`].
#[derive(Debug)]
pub struct TextAssembler<'a> {
    buf: &'a mut [u8],
    len: usize,
    complete: bool,
}

impl<'a> TextAssembler<'a> {
    /// An empty assembler writing into `buf` (its length is the largest
    /// text accepted, e.g. 8192 bytes or more).
    pub fn new(buf: &'a mut [u8]) -> Self {
        TextAssembler {
            buf,
            len: 0,
            complete: false,
        }
    }

    /// Append one data segment (DataSegmentLength bytes, no padding).
    /// `continue_bit` is the C bit of its PDU. Fails with
    /// [`TextError::Overflow`] (nothing appended) if the buffer is too
    /// small, or [`TextError::AlreadyComplete`] after the final segment.
    pub fn push(&mut self, segment: &[u8], continue_bit: bool) -> Result<Assembly, TextError> {
        if self.complete {
            return Err(TextError::AlreadyComplete);
        }
        let end = self
            .len
            .checked_add(segment.len())
            .ok_or(TextError::Overflow)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(TextError::Overflow)?;
        dst.copy_from_slice(segment);
        self.len = end;
        if continue_bit {
            Ok(Assembly::Incomplete)
        } else {
            self.complete = true;
            Ok(Assembly::Complete)
        }
    }

    /// Whether the final (C = 0) segment has been pushed.
    pub const fn is_complete(&self) -> bool {
        self.complete
    }

    /// Bytes assembled so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Nothing assembled yet.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes assembled so far (the whole text once complete).
    pub fn data(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Iterate over the key=value pairs of the assembled text (call when
    /// complete; before that the last pair may be cut).
    pub fn pairs(&self) -> KeyValueIter<'_> {
        KeyValueIter::new(self.data())
    }

    /// Forget the text, keep the buffer, start again.
    pub fn reset(&mut self) {
        self.len = 0;
        self.complete = false;
    }
}

/// Splits a text into data segments of at most `max_len` bytes (the
/// peer's MaxRecvDataSegmentLength) for sending: `Item = (segment,
/// continue_bit)`, the C bit being set on every segment but the last. An
/// empty text yields one empty segment with C = 0.
#[derive(Debug, Clone)]
pub struct TextSegments<'a> {
    rest: &'a [u8],
    max_len: usize,
    done: bool,
}

impl<'a> TextSegments<'a> {
    /// Split `text` into segments of at most `max_len` bytes (a `max_len`
    /// of 0 is treated as 1).
    pub const fn new(text: &'a [u8], max_len: usize) -> Self {
        TextSegments {
            rest: text,
            max_len: if max_len == 0 { 1 } else { max_len },
            done: false,
        }
    }
}

impl<'a> Iterator for TextSegments<'a> {
    type Item = (&'a [u8], bool);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.rest.split_at_checked(self.max_len) {
            Some((seg, rest)) if !rest.is_empty() => {
                self.rest = rest;
                Some((seg, true))
            }
            _ => {
                self.done = true;
                Some((self.rest, false))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assemble() {
        let mut buf = [0u8; 32];
        let mut a = TextAssembler::new(&mut buf);
        assert_eq!(a.push(b"TargetName=iq", true), Ok(Assembly::Incomplete));
        assert_eq!(a.push(b"n.x:y\0A=", true), Ok(Assembly::Incomplete));
        assert_eq!(a.push(b"B\0", false), Ok(Assembly::Complete));
        assert!(a.is_complete());
        let v: std::vec::Vec<_> = a.pairs().map(|r| r.unwrap()).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].value, b"iqn.x:y");
        assert_eq!(a.push(b"", false), Err(TextError::AlreadyComplete));
        a.reset();
        assert_eq!(a.push(&[b'x'; 33], true), Err(TextError::Overflow));
        assert!(a.is_empty());
    }

    #[test]
    fn split() {
        let text = b"0123456789";
        let v: std::vec::Vec<_> = TextSegments::new(text, 4).collect();
        assert_eq!(
            v,
            [
                (&b"0123"[..], true),
                (&b"4567"[..], true),
                (&b"89"[..], false)
            ]
        );
        let v: std::vec::Vec<_> = TextSegments::new(text, 5).collect();
        assert_eq!(v, [(&b"01234"[..], true), (&b"56789"[..], false)]);
        let v: std::vec::Vec<_> = TextSegments::new(b"", 5).collect();
        assert_eq!(v, [(&b""[..], false)]);
        assert_eq!(TextSegments::new(text, 0).count(), 10);
    }
}

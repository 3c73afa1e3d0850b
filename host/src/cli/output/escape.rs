//! Text for a terminal, with what a registry or a publisher wrote made
//! inert: names, descriptions, key labels and error details reach human
//! output as they were sent, and an escape sequence in them (ESC, any C0 or
//! C1 control, DEL), a line or paragraph separator (U+2028, U+2029) or a
//! bidirectional override or isolate (U+202A-U+202E, U+2066-U+2069) could
//! rewrite what the terminal shows: recolour a line, move the cursor over
//! an earlier one, retitle the window, or reorder characters so a name
//! reads as another. Each such character is written as `\u{XX}` instead;
//! newlines and tabs, which this program's own text uses, pass.
//! JSON output needs none of this: serde escapes control characters, and a
//! script reads the string, not a terminal.

use std::io::{self, Write};

/// Whether `c` is written as `\u{..}` in text for people.
pub fn is_inert(c: char) -> bool {
    !(c.is_control() && c != '\n' && c != '\t'
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

/// A writer that escapes, as above, what passes through it to `inner`.
pub struct Escaped<W: Write> {
    inner: W,
}

impl<W: Write> Escaped<W> {
    pub fn new(inner: W) -> Self {
        Escaped { inner }
    }

    /// The writer within, for what must pass as it is (JSON, bytes).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Write for Escaped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `write!` hands over whole `str` pieces, so a character is never
        // split between two calls; bytes that are not UTF-8 are escaped
        // one by one.
        for chunk in buf.utf8_chunks() {
            let text = chunk.valid();
            let mut start = 0;
            for (at, c) in text.char_indices() {
                if !is_inert(c) {
                    self.inner.write_all(&text.as_bytes()[start..at])?;
                    write!(self.inner, "\\u{{{:x}}}", c as u32)?;
                    start = at + c.len_utf8();
                }
            }
            self.inner.write_all(&text.as_bytes()[start..])?;
            for byte in chunk.invalid() {
                write!(self.inner, "\\x{byte:02x}")?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &[u8]) -> String {
        let mut out = Vec::new();
        Escaped::new(&mut out).write_all(text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn controls_separators_and_bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(escaped(b"plain name\n\tindented"), "plain name\n\tindented");
        assert_eq!(
            escaped("ok \u{1b}[31mred\u{7}".as_bytes()),
            "ok \\u{1b}[31mred\\u{7}"
        );
        assert_eq!(
            escaped("a\u{2028}b\u{2029}c".as_bytes()),
            "a\\u{2028}b\\u{2029}c"
        );
        assert_eq!(
            escaped("\u{202e}exe.txt\u{2066}".as_bytes()),
            "\\u{202e}exe.txt\\u{2066}"
        );
        assert_eq!(escaped("\r\u{7f}\u{9b}".as_bytes()), "\\u{d}\\u{7f}\\u{9b}");
        assert_eq!(escaped("naïve ünïcödé".as_bytes()), "naïve ünïcödé");
        assert_eq!(escaped(b"bad \xff byte"), "bad \\xff byte");
    }
}

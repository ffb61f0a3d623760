//! A tiny cursor over one unfolded header value, and the character classes of RFC 3261 25.1.
//!
//! Every position the cursor stops at is the start, the end, or an ASCII byte (all the
//! delimiters of the grammar are ASCII and UTF-8 continuation bytes never are), so slicing at
//! those positions cannot split a character; `str::get` still guards every slice so that a
//! mistake here becomes an empty string, never a panic on bytes from the network.

use crate::error::ValueError;

/// `token` characters: alphanum and `-.!%*_+`'~`.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// `unreserved`: alphanum and the marks `-_.!~*'()`.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

/// Whether `s` is a non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// Whitespace inside an unfolded value (folding has already become a single space).
pub(crate) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A cursor over a header value.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Scanner { s, pos: 0 }
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        // Positions are always at ASCII bytes or the ends (see the module comment).
        self.s.get(from..to).unwrap_or_default()
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.slice(self.pos, self.s.len())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips whitespace; returns whether there was any.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes `b` with optional whitespace around it (SWS b SWS, as in `SEMI`, `EQUAL`,
    /// `SLASH`, `COLON`).
    pub(crate) fn eat_sep(&mut self, b: u8) -> bool {
        let save = self.pos;
        self.skip_ws();
        if self.eat(b) {
            self.skip_ws();
            true
        } else {
            self.pos = save;
            false
        }
    }

    /// Takes the longest run of ASCII bytes matching `pred` (possibly empty).
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii() && pred(b)) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// Takes bytes up to (not including) the first ASCII byte matching `stop`; non-ASCII
    /// bytes are taken.
    pub(crate) fn take_until(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| !(b.is_ascii() && stop(b))) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// A token, or `None` (and nothing consumed) if none starts here.
    pub(crate) fn token(&mut self) -> Option<&'a str> {
        let t = self.take_while(is_token_char);
        (!t.is_empty()).then_some(t)
    }

    /// A quoted string starting at the cursor, returned raw with its quotes and escapes.
    pub(crate) fn quoted(&mut self) -> Result<&'a str, ValueError> {
        let start = self.pos;
        if !self.eat(b'"') {
            return Err(ValueError::Expected("a quoted string"));
        }
        let bytes = self.s.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'"' => return Ok(self.slice(start, self.pos)),
                // A quoted-pair: the escaped byte is any of %x00-09 / %x0B-0C / %x0E-7F, so
                // the next position is still at a character boundary.
                b'\\' => match bytes.get(self.pos) {
                    Some(&e) if e.is_ascii() && e != b'\r' && e != b'\n' => self.pos += 1,
                    _ => return Err(ValueError::UnterminatedQuote),
                },
                // qdtext has no control characters but HT; they travel as quoted-pairs.
                b if (b < 0x20 && b != b'\t') || b == 0x7f => {
                    return Err(ValueError::Expected(
                        "no raw control characters in a quoted string",
                    ));
                }
                _ => {}
            }
        }
        Err(ValueError::UnterminatedQuote)
    }
}

/// The content of a raw quoted string (with its quotes) with its quoted-pairs resolved.
pub(crate) fn unquote(raw: &str) -> String {
    let inner = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = chars.next() {
                out.push(e);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` as a quoted string, escaping `"` and `\`; CR and LF (which no quoted-pair may carry)
/// become spaces so that a value can never break a header line.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits a list header's value at the commas that separate elements: not the ones inside
/// quoted strings, `<...>` or `(comments)`. Elements are trimmed.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut in_angle = false;
    let mut paren_depth = 0u32;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_quote {
            match b {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_quote = true,
                b'<' => in_angle = true,
                b'>' => in_angle = false,
                b'(' => paren_depth = paren_depth.saturating_add(1),
                b')' => paren_depth = paren_depth.saturating_sub(1),
                b',' if !in_angle && paren_depth == 0 => {
                    out.push(value.get(start..i).unwrap_or_default().trim_matches([' ', '\t']));
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    out.push(value.get(start..).unwrap_or_default().trim_matches([' ', '\t']));
    out
}

/// Parses a run of decimal digits into a u32, refusing overflow.
pub(crate) fn parse_u32(s: &str) -> Result<u32, ValueError> {
    let n = parse_u64_saturating(s)?;
    u32::try_from(n).map_err(|_| ValueError::NumberTooLarge)
}

/// Parses a run of decimal digits, saturating at `u64::MAX` instead of overflowing; the
/// callers decide whether a saturated value is an error or a clamp.
pub(crate) fn parse_u64_saturating(s: &str) -> Result<u64, ValueError> {
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(ValueError::NotANumber);
        }
        n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_list_respects_quotes_angles_and_comments() {
        assert_eq!(
            split_list(r#""a, b" <sip:x@y;a=1,2>, c , d"#),
            vec![r#""a, b" <sip:x@y;a=1,2>"#, "c", "d"]
        );
        assert_eq!(split_list(r#""a\", b", c"#), vec![r#""a\", b""#, "c"]);
        assert_eq!(split_list("x (a, b), y"), vec!["x (a, b)", "y"]);
        assert_eq!(split_list(";;,;,,"), vec![";;", ";", "", ""]);
    }

    #[test]
    fn quoted_strings() {
        let mut s = Scanner::new(r#""J Rosenberg \\\"" rest"#);
        assert_eq!(s.quoted(), Ok(r#""J Rosenberg \\\"""#));
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
        assert_eq!(Scanner::new(r#""abc"#).quoted(), Err(ValueError::UnterminatedQuote));
        assert_eq!(Scanner::new("\"abc\\").quoted(), Err(ValueError::UnterminatedQuote));
        assert_eq!(quote("a\"b\\c\0"), "\"a\\\"b\\\\c\\\0\"");
        assert!(Scanner::new("\"a\rb\"").quoted().is_err());
        assert!(Scanner::new("\"a\0b\"").quoted().is_err());
        assert_eq!(Scanner::new("\"a\tb\\\0\"").quoted(), Ok("\"a\tb\\\0\""));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32("0009"), Ok(9));
        assert_eq!(parse_u32("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_u32("4294967296"), Err(ValueError::NumberTooLarge));
        assert_eq!(parse_u32("36893488147419103232"), Err(ValueError::NumberTooLarge));
        assert_eq!(parse_u32("-1"), Err(ValueError::NotANumber));
        assert_eq!(parse_u32(""), Err(ValueError::Empty));
        assert_eq!(parse_u64_saturating(&"9".repeat(200)), Ok(u64::MAX));
    }
}

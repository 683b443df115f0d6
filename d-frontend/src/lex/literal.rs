//! Numbers, character constants and string literals.
//!
//! These follow libdtrace's rules rather than ISO C's where the two differ: a constant's type is
//! chosen as `dt_node_int` chooses it, floating-point constants are rejected, and an unknown escape
//! such as `\q` keeps its backslash.

use super::{LexError, Lexer, TokenKind};
use crate::lex::IntLit;

/// The largest value of `int`, `unsigned int`, `long`, `unsigned long`, `long long` and
/// `unsigned long long` on LP64, in the order `dt_node_int` tries them.
const INT_LIMITS: [u64; 6] = [
    i32::MAX as u64,
    u32::MAX as u64,
    i64::MAX as u64,
    u64::MAX,
    i64::MAX as u64,
    u64::MAX,
];

impl<'a> Lexer<'a> {
    /// Lexes an integer constant, or reports a floating-point one.
    pub(super) fn lex_number(&mut self) -> TokenKind {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let hex = rest.len() > 2
            && rest[0] == b'0'
            && matches!(rest[1], b'x' | b'X')
            && rest[2].is_ascii_hexdigit();
        let digits = if hex {
            2..2 + count(&rest[2..], |byte| byte.is_ascii_hexdigit())
        } else {
            0..count(rest, |byte| byte.is_ascii_digit())
        };
        let int_len = digits.end + suffix_len(&rest[digits.end..]);
        if !hex {
            let float_len = float_len(rest);
            if float_len > int_len {
                self.pos += float_len;
                let span = self.span(start, self.pos);
                self.errors.push(LexError::Float { span });
                return self.int_token(start, 0, false, false);
            }
        }
        self.pos += int_len;
        let span = self.span(start, self.pos);
        let text = &self.text[start..self.pos];
        let digit_text = &text[digits.clone()];
        let suffix = &text[digits.end..];
        let radix = match (hex, digit_text.len()) {
            (true, _) => 16,
            (false, 1) => 10,
            (false, _) if digit_text.starts_with('0') => 8,
            (false, _) => 10,
        };
        let mut value: u64 = 0;
        for ch in digit_text.chars() {
            let Some(digit) = ch.to_digit(radix) else {
                self.errors.push(LexError::IntDigit {
                    text,
                    digit: ch,
                    span,
                });
                return self.int_token(start, 0, false, false);
            };
            let Some(next) = value
                .checked_mul(u64::from(radix))
                .and_then(|value| value.checked_add(u64::from(digit)))
            else {
                self.errors.push(LexError::IntOverflow { text, span });
                return self.int_token(start, 0, false, false);
            };
            value = next;
        }
        let decimal = !text.starts_with('0');
        let Some((unsigned, long)) = int_type(value, decimal, suffix) else {
            self.errors
                .push(LexError::IntUnrepresentable { value, span });
            return self.int_token(start, value, true, true);
        };
        self.int_token(start, value, unsigned, long)
    }

    fn int_token(&self, start: usize, value: u64, unsigned: bool, long: bool) -> TokenKind {
        TokenKind::Int(IntLit {
            value,
            unsigned,
            long,
            text: self.text[start..self.pos].to_owned(),
        })
    }

    /// Lexes a string literal and returns its decoded bytes; `pos` is at the opening quote.
    ///
    /// An unterminated literal is reported and ends before the newline (or at the end of input).
    pub(super) fn lex_string(&mut self) -> Vec<u8> {
        let raw = self.lex_quoted(b'"');
        decode_escapes(raw)
    }

    /// Lexes a character constant; `pos` is at the opening quote.
    pub(super) fn lex_char(&mut self) -> TokenKind {
        let start = self.pos;
        let n_errors = self.errors.len();
        let bytes = decode_escapes(self.lex_quoted(b'\''));
        let span = self.span(start, self.pos);
        if self.errors.len() > n_errors {
            return self.int_token(start, 0, false, false);
        }
        match bytes.as_slice() {
            [] => {
                self.errors.push(LexError::CharEmpty { span });
                self.int_token(start, 0, false, false)
            }
            [byte] => TokenKind::Char(*byte),
            _ if bytes.len() > 8 => {
                self.errors.push(LexError::CharTooLong { span });
                self.int_token(start, 0, false, false)
            }
            _ => {
                let value = bytes
                    .iter()
                    .fold(0u64, |value, &byte| (value << 8) | u64::from(byte));
                let Some((unsigned, long)) = int_type(value, true, "") else {
                    self.errors
                        .push(LexError::IntUnrepresentable { value, span });
                    return self.int_token(start, value, true, true);
                };
                self.int_token(start, value, unsigned, long)
            }
        }
    }

    /// Scans from an opening `quote` to its partner and returns the raw bytes between them.
    fn lex_quoted(&mut self, quote: u8) -> &'a [u8] {
        let bytes = self.bytes;
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek(0) {
                Some(byte) if byte == quote => {
                    self.pos += 1;
                    return &bytes[start + 1..self.pos - 1];
                }
                Some(b'\n') => {
                    let span = self.span(self.pos + 1, self.pos + 1);
                    self.errors.push(if quote == b'"' {
                        LexError::StrNewline { span }
                    } else {
                        LexError::CharNewline { span }
                    });
                    return &bytes[start + 1..self.pos];
                }
                Some(b'\\') if self.peek(1).is_some_and(|next| next != b'\n') => self.pos += 2,
                Some(_) => self.pos += 1,
                None => {
                    let span = self.span(start, start + 1);
                    self.errors.push(LexError::Unterminated {
                        quote: quote as char,
                        span,
                    });
                    return &bytes[start + 1..];
                }
            }
        }
    }
}

fn count(bytes: &[u8], accept: impl Fn(u8) -> bool) -> usize {
    bytes.iter().take_while(|&&byte| accept(byte)).count()
}

/// The length of an integer suffix: `u`, `l`, `ll`, `ul`, `ull`, `lu`, `llu`, in either case.
fn suffix_len(rest: &[u8]) -> usize {
    let is_u = |byte: &u8| matches!(byte, b'u' | b'U');
    let n_ells = |from: usize| {
        count(&rest[from.min(rest.len())..], |byte| {
            matches!(byte, b'l' | b'L')
        })
        .min(2)
    };
    if rest.first().is_some_and(is_u) {
        return 1 + n_ells(1);
    }
    let ells = n_ells(0);
    if ells > 0 && rest.get(ells).is_some_and(is_u) {
        return ells + 1;
    }
    ells
}

/// The length of libdtrace's floating-point pattern at the start of `rest` (0 if none).
fn float_len(rest: &[u8]) -> usize {
    let mut len = count(rest, |byte| byte.is_ascii_digit());
    if rest.get(len) == Some(&b'.') {
        len += 1 + count(&rest[len + 1..], |byte| byte.is_ascii_digit());
    }
    if len == 0 || rest[..len] == *b"." {
        return 0;
    }
    if matches!(rest.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(rest.get(len + 1), Some(b'+' | b'-')));
        let exponent_start = (len + 1 + sign).min(rest.len());
        let n_digits = count(&rest[exponent_start..], |byte| byte.is_ascii_digit());
        if n_digits > 0 {
            len = exponent_start + n_digits;
        }
    }
    if matches!(rest.get(len), Some(b'f' | b'F' | b'l' | b'L')) {
        len += 1;
    }
    len
}

/// Chooses a constant's type as `dt_node_int` does: the first of `int`, `unsigned int`, `long`,
/// `unsigned long`, `long long`, `unsigned long long` that holds the value, starting from the one
/// the suffix names and skipping unsigned types for a decimal constant without `u`.
/// Returns `(unsigned, long)`, or `None` when no type holds the value.
pub(super) fn int_type(value: u64, decimal: bool, suffix: &str) -> Option<(bool, bool)> {
    let has_u = suffix.contains(['u', 'U']);
    let n_ells = suffix.matches(['l', 'L']).count();
    let step = if decimal || has_u { 2 } else { 1 };
    (usize::from(has_u) + 2 * n_ells..INT_LIMITS.len())
        .step_by(step)
        .find(|&type_idx| value <= INT_LIMITS[type_idx])
        .map(|type_idx| (type_idx % 2 == 1, type_idx >= 2))
}

/// Decodes C escapes as libdtrace's `stresc2chr` does, except that `\'` and `\?` are one byte as
/// in C.
pub(super) fn decode_escapes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut idx = 0;
    while let Some(&byte) = raw.get(idx) {
        idx += 1;
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        let Some(&escaped) = raw.get(idx) else {
            out.push(b'\\');
            break;
        };
        idx += 1;
        let decoded = match escaped {
            b'0'..=b'7' => {
                let mut value = u32::from(escaped - b'0');
                for _ in 0..2 {
                    match raw.get(idx) {
                        Some(&digit @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(digit - b'0');
                            idx += 1;
                        }
                        _ => break,
                    }
                }
                value as u8
            }
            b'x' => {
                let mut value: u32 = 0;
                while let Some(digit) = raw.get(idx).and_then(|&digit| (digit as char).to_digit(16))
                {
                    value = ((value << 4) | digit) & 0xff;
                    idx += 1;
                }
                value as u8
            }
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            b'"' | b'\\' | b'\'' | b'?' => escaped,
            _ => {
                out.push(b'\\');
                escaped
            }
        };
        out.push(decoded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;
    use crate::source::FileId;

    fn first(text: &str) -> (TokenKind, Vec<String>) {
        let source = format!("BEGIN {{ {text}");
        let (tokens, diagnostics) = lex(&source, FileId(0));
        let messages = diagnostics.into_iter().map(|d| d.message).collect();
        (tokens[2].kind.clone(), messages)
    }

    fn int(text: &str) -> (u64, bool, bool) {
        match first(text) {
            (TokenKind::Int(lit), messages) if messages.is_empty() => {
                assert_eq!(lit.text, text);
                (lit.value, lit.unsigned, lit.long)
            }
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn integer_types_follow_dt_node_int() {
        assert_eq!(int("42"), (42, false, false));
        assert_eq!(int("0"), (0, false, false));
        assert_eq!(int("0x10"), (16, false, false));
        assert_eq!(int("017"), (15, false, false));
        assert_eq!(int("0xffffffff"), (0xffff_ffff, true, false));
        assert_eq!(int("4294967295"), (4_294_967_295, false, true));
        assert_eq!(int("10u"), (10, true, false));
        assert_eq!(int("10UL"), (10, true, true));
        assert_eq!(int("10ll"), (10, false, true));
        assert_eq!(int("10LLU"), (10, true, true));
        assert_eq!(int("0xffffffffffffffff"), (u64::MAX, true, true));
    }

    #[test]
    fn bad_integers_are_reported() {
        let messages = |text: &str| first(text).1;
        assert_eq!(
            messages("0x12345678123456781"),
            ["constant 0x12345678123456781 results in integer overflow"]
        );
        assert_eq!(messages("0128"), ["constant 0128 contains invalid digit 8"]);
        assert_eq!(
            messages("18446744073709551615"),
            [
                "integer constant 0xffffffffffffffff cannot be represented in any built-in integral type"
            ]
        );
        for float in ["1.5", "1e3", ".5", "2f", "3.", "1.5e-3L"] {
            assert_eq!(
                messages(float),
                ["floating-point constants are not permitted"],
                "{float}"
            );
        }
    }

    #[test]
    fn characters() {
        assert_eq!(first("'a'").0, TokenKind::Char(b'a'));
        assert_eq!(first(r"'\n'").0, TokenKind::Char(b'\n'));
        assert_eq!(first(r"'\''").0, TokenKind::Char(b'\''));
        assert!(matches!(
            first("'ab'").0,
            TokenKind::Int(IntLit { value: 0x6162, .. })
        ));
        assert_eq!(first("''").1, ["empty character constant"]);
        assert_eq!(first("'abcdefghi'").1, ["character constant is too long"]);
        assert_eq!(
            first("'a\n").1,
            ["newline encountered in character constant"]
        );
    }

    #[test]
    fn strings_decode_escapes() {
        assert_eq!(
            first(r#""a\n\t\\\"\0\101\x41\x4a\q""#).0,
            TokenKind::Str(b"a\n\t\\\"\0AAJ\\q".to_vec())
        );
        assert_eq!(
            first("\"abc\n\";\n").1,
            ["newline encountered in string literal"; 2]
        );
        assert_eq!(first("\"abc").1, ["syntax error near \"\"\""]);
    }

    #[test]
    fn suffixes_and_floats_measure_their_length() {
        assert_eq!(suffix_len(b"ul;"), 2);
        assert_eq!(suffix_len(b"LLu"), 3);
        assert_eq!(suffix_len(b"lul"), 2);
        assert_eq!(suffix_len(b"x"), 0);
        assert_eq!(float_len(b"10l"), 3);
        assert_eq!(float_len(b"1.5e+3x"), 6);
        assert_eq!(float_len(b"1e"), 1);
    }
}

//! dtrace's default text layouts: the probe header and line prefix, `trace()`, and aggregation keys.
//!
//! Every function writes exactly the bytes dtrace writes; the caller adds the separators between
//! them, which dtrace prints from its main loop: without `quiet`, [`probe_header`] once before the
//! first record, then for each record [`probe_line_prefix`], the output of each action, and `\n`.
//! Aggregations are laid out by `output::agg`, which prints their keys with [`write_key`].

use std::fmt::Write as _;

use tracer_ebpf::layout::Value;

use super::printf::{signed_of, unsigned_of};
use super::stack;

/// The column header printed before the first record without `quiet`, newline included.
pub fn probe_header(testing: bool) -> &'static str {
    if testing {
        "                   FUNCTION:NAME\n"
    } else {
        "CPU     ID                    FUNCTION:NAME\n"
    }
}

/// The start of each record's line without `quiet`: CPU, probe ID and `function:name` (`:BEGIN`
/// for `dtrace:::BEGIN`), ending with a space. In testing mode (see [`testing_mode`]) the CPU
/// and ID columns, which vary from run to run, are left out.
pub fn probe_line_prefix(
    cpu: u32,
    probe_id: u32,
    function: &str,
    name: &str,
    testing: bool,
) -> String {
    let probe = format!("{function}:{name}");
    if testing {
        format!("{probe:>32} ")
    } else {
        format!("{cpu:>3} {probe_id:>6} {probe:>32} ")
    }
}

/// dtrace's testing mode, which its test suite turns on with the `_DTRACE_TESTING` environment
/// variable to quiet output that varies between runs (the CPU and probe ID columns).
pub fn testing_mode() -> bool {
    std::env::var_os("_DTRACE_TESTING").is_some()
}

/// What `trace(value)` writes. Without `quiet`, integers are right-aligned in a column sized for
/// their type and strings are left-aligned after two spaces; with `quiet`, values are bare.
pub fn trace_value(value: &Value, quiet: bool, out: &mut Vec<u8>) {
    let (bits, size, signed) = match value {
        Value::Stack(stack) => return stack::write_stack(stack, out),
        Value::Sym(sym) => return stack::write_sym(sym, out),
        Value::Bytes(_) => return write_key(value, out),
        Value::Str(bytes) if quiet => return out.extend_from_slice(bytes),
        Value::Str(bytes) => {
            out.extend_from_slice(b"  ");
            return pad_right(bytes, 33, out);
        }
        &Value::Int { bits, size, signed } => (bits, size, signed),
    };
    let text = if signed {
        signed_of(bits, size).to_string()
    } else {
        unsigned_of(bits, size).to_string()
    };
    if quiet {
        return out.extend_from_slice(text.as_bytes());
    }
    let width = match (size, signed) {
        (1, _) => 3,
        (2, _) => 5,
        (4, _) => 10,
        (_, true) => 19,
        (_, false) => 20,
    };
    let _ = write!(Utf8Sink(out), " {text:>width$}");
}

/// Lets `write!` append formatted text to a byte buffer.
struct Utf8Sink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Utf8Sink<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// Writes `bytes` left-aligned in a field of `width` bytes.
fn pad_right(bytes: &[u8], width: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(bytes);
    out.resize(out.len() + width.saturating_sub(bytes.len()), b' ');
}

/// One key in the default layout. Integers are right-aligned in a column sized for their type and
/// printed as C's `%d` of the unsigned value (so a `char` -2 prints 254 but an `int` -2 prints -2).
/// Printable strings are left-aligned in 50 columns; other strings are dumped as bytes.
pub(crate) fn write_key(key: &Value, out: &mut Vec<u8>) {
    match *key {
        Value::Bytes(ref bytes) => match bytes_as_int(bytes) {
            Some(value) => write_key(&value, out),
            None => write_bytes(bytes, out),
        },
        Value::Stack(ref stack) => stack::write_stack(stack, out),
        Value::Sym(ref sym) => stack::write_sym(sym, out),
        Value::Int { bits, size, .. } => {
            let mut sink = Utf8Sink(out);
            let _ = match size {
                1 => write!(sink, " {:>3}", bits as u8),
                2 => write!(sink, " {:>5}", bits as u16),
                4 => write!(sink, " {:>8}", bits as u32 as i32),
                _ => write!(sink, " {:>16}", bits as i64),
            };
        }
        Value::Str(ref bytes) => {
            let printable = |byte: &u8| matches!(byte, 0x07..=0x0d | 0x20..=0x7e);
            if !bytes.is_empty() && bytes.iter().all(printable) {
                out.extend_from_slice(b"  ");
                pad_right(bytes, 50, out);
            } else {
                let mut record = bytes.clone();
                record.push(0);
                write_raw_bytes(&record, out);
            }
        }
    }
}

/// A struct, union or array value of 1, 2, 4 or 8 bytes, which dtrace prints as the integer of that
/// size its bytes make (signed for 4 and 8 bytes, as C's `%d` of the unsigned value does).
pub(crate) fn bytes_as_int(bytes: &[u8]) -> Option<Value> {
    let size = u8::try_from(bytes.len())
        .ok()
        .filter(|size| matches!(size, 1 | 2 | 4 | 8))?;
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    Some(Value::Int {
        bits: u64::from_le_bytes(word),
        size,
        signed: size >= 4,
    })
}

/// Other struct, union or array values as dtrace prints them: as a string in 50 columns when the
/// bytes are printable characters, alone or followed only by NULs; else as a hex dump.
fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let printable = |byte: &u8| matches!(byte, 0x07..=0x0d | 0x20..=0x7e);
    let text_len = bytes
        .iter()
        .position(|byte| !printable(byte))
        .unwrap_or(bytes.len());
    let rest_is_nul = bytes[text_len..].iter().all(|&byte| byte == 0);
    if text_len > 0 && rest_is_nul {
        out.extend_from_slice(b"  ");
        pad_right(&bytes[..text_len], 50, out);
    } else {
        write_raw_bytes(bytes, out);
    }
}

/// A hex and character dump, as dtrace prints data it cannot show as a string.
fn write_raw_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    const MARGIN: &str = "     ";
    let mut sink = Utf8Sink(out);
    let _ = write!(sink, "\n{MARGIN}      ");
    for digit in "0123456789abcdef".chars() {
        let _ = write!(sink, "  {digit}");
    }
    let _ = writeln!(sink, "  0123456789abcdef");
    for (line_idx, line) in bytes.chunks(16).enumerate() {
        let _ = write!(sink, "{MARGIN}{:5x}:", line_idx * 16);
        for byte in line {
            let _ = write!(sink, " {byte:02x}");
        }
        let _ = write!(sink, "{:1$}  ", "", 3 * (16 - line.len()));
        for &byte in line {
            let shown = if (0x20..=0x7e).contains(&byte) {
                char::from(byte)
            } else {
                '.'
            };
            let _ = sink.write_char(shown);
        }
        let _ = writeln!(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64, size: u8, signed: bool) -> Value {
        Value::Int {
            bits: value as u64,
            size,
            signed,
        }
    }

    fn string(text: &str) -> Value {
        Value::Str(text.as_bytes().to_vec())
    }

    fn traced(value: &Value, quiet: bool) -> String {
        let mut out = Vec::new();
        trace_value(value, quiet, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    #[test]
    fn header_and_prefix() {
        assert_eq!(
            probe_header(false),
            format!("CPU {:>6} {:>32}\n", "ID", "FUNCTION:NAME")
        );
        assert_eq!(
            probe_line_prefix(0, 1, "", "BEGIN", false),
            format!("  0      1 {:>32} ", ":BEGIN")
        );
        let long = probe_line_prefix(
            12,
            123_456,
            "do_sys_openat2_with_a_long_name",
            "entry",
            false,
        );
        assert_eq!(long, " 12 123456 do_sys_openat2_with_a_long_name:entry ");
        assert_eq!(probe_header(true), format!("{:>32}\n", "FUNCTION:NAME"));
        assert_eq!(
            probe_line_prefix(0, 1, "", "BEGIN", true),
            format!("{:>32} ", ":BEGIN")
        );
    }

    #[test]
    fn testing_mode_leaves_out_cpu_and_id() {
        assert_eq!(probe_header(true), format!("{:>32}\n", "FUNCTION:NAME"));
        assert_eq!(
            probe_line_prefix(1, 7, "", "BEGIN", true),
            format!("{:>32} ", ":BEGIN")
        );
    }

    #[test]
    fn trace_values() {
        assert_eq!(
            traced(&string("hello world"), false),
            format!("  {:<33}", "hello world")
        );
        assert_eq!(traced(&string("hello world"), true), "hello world");
        assert_eq!(traced(&int(-2, 1, true), false), "  -2");
        assert_eq!(traced(&int(-2, 1, true), true), "-2");
        assert_eq!(traced(&int(255, 1, false), false), " 255");
        assert_eq!(traced(&int(-1, 2, true), false), format!(" {:>5}", -1));
        assert_eq!(traced(&int(7, 4, true), false), format!(" {:>10}", 7));
        assert_eq!(traced(&int(-1, 4, false), false), " 4294967295");
        assert_eq!(traced(&int(-5, 8, true), false), format!(" {:>19}", -5));
        assert_eq!(traced(&int(-1, 8, false), true), "18446744073709551615");
        assert_eq!(traced(&int(5, 8, false), false), format!(" {:>20}", 5));
    }

    fn key_text(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_key(&Value::Bytes(bytes.to_vec()), &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    #[test]
    fn struct_keys_of_an_integer_size_print_as_that_integer() {
        assert_eq!(key_text(&(-3_i32).to_le_bytes()), format!(" {:>8}", -3));
        assert_eq!(key_text(&(-3_i64).to_le_bytes()), format!(" {:>16}", -3));
        assert_eq!(key_text(&(-3_i16).to_le_bytes()), format!(" {:>5}", 65533));
        assert_eq!(key_text(&[0xfe]), format!(" {:>3}", 254));
    }

    #[test]
    fn other_struct_keys_print_as_text_or_a_dump() {
        assert_eq!(key_text(b"hi\0\0\0\0"), format!("  {:<50}", "hi"));
        assert_eq!(key_text(b"abcdef"), format!("  {:<50}", "abcdef"));
        let dump = |line: &str| {
            format!(
                "\n{:11}{}  0123456789abcdef\n{:5}{:>5}:{line}\n",
                "", "  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f", "", 0
            )
        };
        // A NUL with more bytes after it, and a NUL first, make a dump.
        assert_eq!(
            key_text(b"hi\0x\0\0"),
            dump(&format!(" 68 69 00 78 00 00{:30}  hi.x..", ""))
        );
        assert_eq!(
            key_text(&[0, 0, 0, 1, 0, 0]),
            dump(&format!(" 00 00 00 01 00 00{:30}  ......", ""))
        );
    }
}

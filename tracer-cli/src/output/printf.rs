//! `printf` and `printa` conversions, byte for byte as dtrace prints them.
//!
//! libdtrace turns each D conversion into a C one and hands it to glibc's `printf`, so the rules
//! here are glibc's, applied to the value as libdtrace reads it from the record:
//! - integers are read at the D type's size and signedness, so `%x` of an `int` -1 is `ffffffff`
//!   and `%u` of a `char` -1 is `255`;
//! - `%d` and `%i` of an unsigned type print as `%u`;
//! - `%p` is `%x` (no `0x` unless `#` is given);
//! - a precision of 0 or less counts as no precision, and a negative `*` width pads on the right;
//! - `%s` pads with spaces even with the `0` flag, as glibc does;
//! - `%S` escapes the string's record up to and including its first NUL, so `"ab"` prints `ab\0`.
//!
//! The printer never fails: a missing argument prints nothing for its conversion, and an argument of
//! the wrong kind (which the type checker rules out) prints in the nearest sensible way.
//! `%a` and `%A` print an address symbolized by the consumer (``module`symbol+0xoffset``), and
//! `%k` a stack; an address that reaches them as a plain integer prints as `0x...` (what dtrace
//! prints when no symbol matches). The floating-point conversions read the `float` or `double` the
//! type checker let through from its recorded IEEE bits. `%ls` and `%ws` print nothing.

use d_frontend::printf::{Conversion, Count, FormatPiece, Length};
use tracer_ebpf::layout::Value;

use super::cfloat::{self, FloatSpec};
use super::stack;

/// Widths and precisions are clamped to this many bytes, so a huge `*` argument cannot exhaust
/// memory.
const MAX_COUNT: usize = 1 << 20;

/// Formats `printf` arguments. Arguments are consumed in order: each conversion's `*` width, its
/// `.*` precision, then its value.
pub fn format(pieces: &[FormatPiece], args: &[Value], out: &mut Vec<u8>) {
    format_row(pieces, args, &[], out);
}

/// Formats one `printa` row: `args` are the keys, and the `%@` conversions take `agg_values` in
/// order, the ones past the end taking the last value again (as libdtrace does).
pub(crate) fn format_row(
    pieces: &[FormatPiece],
    args: &[Value],
    agg_values: &[Value],
    out: &mut Vec<u8>,
) {
    let mut args = args.iter();
    let mut agg_idx = 0;
    for piece in pieces {
        let conv = match piece {
            FormatPiece::Literal(bytes) => {
                out.extend_from_slice(bytes);
                continue;
            }
            FormatPiece::Conversion(conv) => conv,
        };
        if conv.conv == b'%' {
            out.push(b'%');
            continue;
        }
        let width = match conv.width {
            Some(Count::Star) => i64::from(star_value(args.next())),
            Some(Count::Fixed(width)) => i64::from(width),
            None => 0,
        };
        let precision = match conv.precision {
            Some(Count::Star) => i64::from(star_value(args.next())),
            Some(Count::Fixed(precision)) => i64::from(precision),
            None => 0,
        };
        let value = if conv.is_agg {
            let value = agg_values.get(agg_idx);
            if agg_idx + 1 < agg_values.len() {
                agg_idx += 1;
            }
            value
        } else {
            args.next()
        };
        let Some(value) = value else {
            continue;
        };
        let field = Field {
            left: conv.flags.left || width < 0,
            zero: conv.flags.zero,
            plus: conv.flags.plus,
            space: conv.flags.space,
            alt: conv.flags.alt,
            width: clamp(width.unsigned_abs()),
            precision: (precision > 0).then(|| clamp(precision.unsigned_abs())),
        };
        write_conversion(conv, &field, value, out);
    }
}

/// How one conversion lays out its text.
struct Field {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

/// An integer as C's `printf` receives it.
#[derive(Clone, Copy)]
enum CInt {
    Signed(i64),
    Unsigned(u64),
}

fn clamp(count: u64) -> usize {
    usize::try_from(count).map_or(MAX_COUNT, |count| count.min(MAX_COUNT))
}

/// A `*` argument as libdtrace reads it: sign-extended from its size, then cut to a C `int`.
fn star_value(value: Option<&Value>) -> i32 {
    match value {
        Some(&Value::Int { bits, size, .. }) => signed_of(bits, size) as i32,
        _ => 0,
    }
}

/// The value of `bits` read as a signed integer of `size` bytes.
pub(crate) fn signed_of(bits: u64, size: u8) -> i64 {
    match size {
        1 => i64::from(bits as u8 as i8),
        2 => i64::from(bits as u16 as i16),
        4 => i64::from(bits as u32 as i32),
        _ => bits as i64,
    }
}

/// The value of `bits` read as an unsigned integer of `size` bytes.
pub(crate) fn unsigned_of(bits: u64, size: u8) -> u64 {
    match size {
        1 => u64::from(bits as u8),
        2 => u64::from(bits as u16),
        4 => u64::from(bits as u32),
        _ => bits,
    }
}

fn write_conversion(conv: &Conversion, field: &Field, value: &Value, out: &mut Vec<u8>) {
    let (bits, size, signed) = match *value {
        Value::Int { bits, size, signed } => (bits, size, signed),
        // A struct, union or array key of an integer's size converts as that integer; a larger one
        // as the string its bytes start with.
        Value::Bytes(ref bytes) => {
            let value = match super::text::bytes_as_int(bytes) {
                Some(value) => value,
                None => {
                    let end = bytes.iter().position(|&byte| byte == 0);
                    Value::Str(bytes[..end.unwrap_or(bytes.len())].to_vec())
                }
            };
            return write_conversion(conv, field, &value, out);
        }
        Value::Stack(ref stack) => {
            if conv.conv == b'k' {
                // libdtrace indents the frames by the width of a left-aligned `%-Nk`, and lays
                // out each frame with the conversion's own width.
                let indent = if field.left { field.width } else { 0 };
                stack::write_stack_with(stack, indent, out, |text, out| {
                    write_str(field, text.as_bytes(), out);
                });
            }
            return;
        }
        Value::Sym(ref sym) => {
            let text = match conv.conv {
                b'a' | b'A' => stack::address_text(sym.addr, sym.symbol.as_ref()),
                _ => stack::sym_text(sym),
            };
            write_str(field, text.as_bytes(), out);
            return;
        }
        Value::Str(ref bytes) => {
            match conv.conv {
                b'S' => {
                    let mut record = bytes.clone();
                    record.push(0);
                    write_str(field, &escape(&record), out);
                }
                b'e' | b'E' | b'f' | b'g' | b'G' | b'k' => {}
                b's' if conv.length == Length::Default => write_str(field, bytes, out),
                b's' => {}
                _ => write_str(field, bytes, out),
            }
            return;
        }
    };
    match conv.conv {
        b'd' | b'i' if signed || conv.length != Length::Default => {
            write_int(field, conv.conv, CInt::Signed(signed_of(bits, size)), out);
        }
        b'd' | b'i' | b'u' => write_int(field, b'u', CInt::Unsigned(unsigned_of(bits, size)), out),
        b'o' | b'x' | b'X' => {
            write_int(
                field,
                conv.conv,
                CInt::Unsigned(unsigned_of(bits, size)),
                out,
            );
        }
        b'p' => write_int(field, b'x', CInt::Unsigned(unsigned_of(bits, size)), out),
        b'e' | b'E' | b'f' | b'g' | b'G' => {
            let spec = FloatSpec {
                left: field.left,
                zero: field.zero,
                plus: field.plus,
                space: field.space,
                alt: field.alt,
                width: field.width,
                precision: field.precision,
            };
            cfloat::write(cfloat::from_bits(bits, size), conv.conv, &spec, out);
        }
        b'c' if conv.length == Length::Default => {
            write_str(field, &[signed_of(bits, size) as u8], out);
        }
        b'c' => {
            if let Ok(ascii) = u8::try_from(signed_of(bits, size))
                && ascii.is_ascii()
            {
                write_str(field, &[ascii], out);
            }
        }
        b'C' => write_str(field, &escape(&[signed_of(bits, size) as u8]), out),
        b's' | b'S' if conv.length == Length::Default => {
            let text = if signed {
                signed_of(bits, size).to_string()
            } else {
                unsigned_of(bits, size).to_string()
            };
            write_str(field, text.as_bytes(), out);
        }
        b'a' | b'A' => {
            let address = if size == 4 { bits & 0xffff_ffff } else { bits };
            write_str(field, format!("0x{address:x}").as_bytes(), out);
        }
        b'Y' | b'T' => {
            let secs = (bits as i64) / 1_000_000_000;
            if let Some(civil) = Civil::local(secs) {
                let text = if conv.conv == b'Y' {
                    civil.ctime_style()
                } else {
                    civil.rfc822_style()
                };
                write_str(field, text.as_bytes(), out);
            }
        }
        _ => {}
    }
}

/// Writes `body` padded with spaces to the field width.
fn pad(field: &Field, body: &[u8], out: &mut Vec<u8>) {
    let fill = field.width.saturating_sub(body.len());
    if !field.left {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(body);
    if field.left {
        out.resize(out.len() + fill, b' ');
    }
}

/// `%s`: at most `precision` bytes, padded to the width.
fn write_str(field: &Field, bytes: &[u8], out: &mut Vec<u8>) {
    let len = field
        .precision
        .map_or(bytes.len(), |precision| precision.min(bytes.len()));
    pad(field, &bytes[..len], out);
}

/// `%d %i %u %o %x %X` with glibc's rules for sign, alternate form, precision and zero padding.
///
/// The pieces (sign or `0x`, the zeros a precision or `#o` adds, the digits) are written straight
/// to `out`, so an integer costs no allocation.
fn write_int(field: &Field, conv: u8, value: CInt, out: &mut Vec<u8>) {
    let (negative, magnitude) = match value {
        CInt::Signed(value) => (value < 0, value.unsigned_abs()),
        CInt::Unsigned(value) => (false, value),
    };
    let mut digit_buffer = [0u8; MAX_DIGITS];
    let digits = digits(conv, magnitude, &mut digit_buffer);
    let mut zeros = field
        .precision
        .map_or(0, |precision| precision.saturating_sub(digits.len()));
    if conv == b'o' && field.alt && zeros == 0 && digits.first() != Some(&b'0') {
        zeros = 1;
    }
    let mut prefix_buffer = [0u8; 3];
    let mut prefix_len = 0;
    let mut push_prefix = |bytes: &[u8]| {
        prefix_buffer[prefix_len..prefix_len + bytes.len()].copy_from_slice(bytes);
        prefix_len += bytes.len();
    };
    if matches!(value, CInt::Signed(_)) {
        if negative {
            push_prefix(b"-");
        } else if field.plus {
            push_prefix(b"+");
        } else if field.space {
            push_prefix(b" ");
        }
    }
    if field.alt && magnitude != 0 && matches!(conv, b'x' | b'X') {
        push_prefix(if conv == b'x' { b"0x" } else { b"0X" });
    }
    let prefix = &prefix_buffer[..prefix_len];
    let body_len = prefix.len() + zeros + digits.len();
    let fill = field.width.saturating_sub(body_len);
    if field.zero && !field.left && field.precision.is_none() {
        out.extend_from_slice(prefix);
        out.resize(out.len() + fill + zeros, b'0');
        out.extend_from_slice(digits);
        return;
    }
    if !field.left {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(prefix);
    out.resize(out.len() + zeros, b'0');
    out.extend_from_slice(digits);
    if field.left {
        out.resize(out.len() + fill, b' ');
    }
}

/// The most digits a `u64` has in any base `printf` prints: 22 in octal.
const MAX_DIGITS: usize = 22;

/// The digits of `magnitude` in `conv`'s base, written into `buffer`.
fn digits(conv: u8, magnitude: u64, buffer: &mut [u8; MAX_DIGITS]) -> &[u8] {
    use std::io::Write as _;

    let mut rest = &mut buffer[..];
    // Writing into the slice cannot fail: no base needs more than `MAX_DIGITS` digits.
    let _ = match conv {
        b'o' => write!(rest, "{magnitude:o}"),
        b'x' => write!(rest, "{magnitude:x}"),
        b'X' => write!(rest, "{magnitude:X}"),
        _ => write!(rest, "{magnitude}"),
    };
    let len = MAX_DIGITS - rest.len();
    &buffer[..len]
}

/// `%S` and `%C`: C escapes for quotes, backslashes and control characters, octal for the rest of
/// the unprintable bytes. Stops after the first NUL, which prints as `\0`.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut escaped = Vec::with_capacity(bytes.len());
    for &byte in bytes {
        let short = match byte {
            0 => Some(b'0'),
            0x07 => Some(b'a'),
            0x08 => Some(b'b'),
            0x0c => Some(b'f'),
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            0x0b => Some(b'v'),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(short) = short {
            escaped.extend_from_slice(&[b'\\', short]);
        } else if byte == b' ' || byte.is_ascii_graphic() {
            escaped.push(byte);
        } else {
            escaped.extend_from_slice(&[b'\\', b'0' + (byte >> 6), b'0' + ((byte >> 3) & 7)]);
            escaped.push(b'0' + (byte & 7));
        }
        if byte == 0 {
            break;
        }
    }
    escaped
}

/// A broken-down local time, for `%Y` and `%T`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    /// 0 to 11.
    month: usize,
    mday: i32,
    hour: i32,
    min: i32,
    sec: i32,
    /// 0 (Sunday) to 6.
    wday: usize,
    /// 0 to 365.
    yday: i32,
    zone: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl Civil {
    /// Converts seconds since the epoch to local time with the C library's time zone rules.
    fn local(secs: i64) -> Option<Civil> {
        let time: libc::time_t = secs;
        // SAFETY: `tm` is plain integers and a nullable pointer, for which all zeros is valid.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the duration of the call, which keeps neither.
        let result = unsafe { libc::localtime_r(&raw const time, &raw mut tm) };
        if result.is_null() {
            return None;
        }
        let zone = if tm.tm_zone.is_null() {
            String::new()
        } else {
            // SAFETY: glibc points `tm_zone` at a NUL-terminated string that lives for the process.
            unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
                .to_string_lossy()
                .into_owned()
        };
        Some(Civil {
            year: i64::from(tm.tm_year) + 1900,
            month: usize::try_from(tm.tm_mon).ok()?.min(11),
            mday: tm.tm_mday,
            hour: tm.tm_hour,
            min: tm.tm_min,
            sec: tm.tm_sec,
            wday: usize::try_from(tm.tm_wday).ok()?.min(6),
            yday: tm.tm_yday,
            zone,
        })
    }

    /// `%Y`: `ctime`'s fields with the year moved to the front, `2024 Oct  4 08:13:13`.
    fn ctime_style(&self) -> String {
        format!(
            "{:4} {} {:2} {:02}:{:02}:{:02}",
            self.year, MONTHS[self.month], self.mday, self.hour, self.min, self.sec
        )
    }

    /// `%T`: `strftime`'s `%a, %d %b %G %T %Z`, where `%G` is the ISO 8601 week-based year.
    fn rfc822_style(&self) -> String {
        format!(
            "{}, {:02} {} {} {:02}:{:02}:{:02} {}",
            WEEKDAYS[self.wday],
            self.mday,
            MONTHS[self.month],
            self.iso_year(),
            self.hour,
            self.min,
            self.sec,
            self.zone
        )
    }

    /// The year that owns this date's ISO week (the week's Thursday decides).
    fn iso_year(&self) -> i64 {
        let days_from_monday = (self.wday as i32 + 6) % 7;
        let thursday_yday = self.yday - days_from_monday + 3;
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        let days_in_year = if leap { 366 } else { 365 };
        if thursday_yday < 0 {
            self.year - 1
        } else if thursday_yday >= days_in_year {
            self.year + 1
        } else {
            self.year
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use d_frontend::printf::parse_format;

    fn int(value: i64, size: u8, signed: bool) -> Value {
        Value::Int {
            bits: value as u64,
            size,
            signed,
        }
    }

    fn i32v(value: i64) -> Value {
        int(value, 4, true)
    }

    fn string(text: &str) -> Value {
        Value::Str(text.as_bytes().to_vec())
    }

    fn printf_bytes(fmt: &str, args: &[Value]) -> Vec<u8> {
        let pieces = parse_format(fmt.as_bytes()).expect("format parses");
        let mut out = Vec::new();
        format(&pieces, args, &mut out);
        out
    }

    fn printf(fmt: &str, args: &[Value]) -> String {
        String::from_utf8(printf_bytes(fmt, args)).expect("output is UTF-8")
    }

    #[test]
    fn literals_and_percent() {
        assert_eq!(
            printf("hello world from BEGIN", &[]),
            "hello world from BEGIN"
        );
        assert_eq!(printf("100%%\n", &[]), "100%\n");
    }

    #[test]
    fn integers_read_at_their_type_size() {
        let value = 0x1234_5678_90ab_cdef_u64 as i64;
        let expected_d = ["-17", "-12817", "-1867788817", "1311768467294899695"];
        let expected_ud = ["239", "52719", "2427178479", "1311768467294899695"];
        let expected_x = ["ef", "cdef", "90abcdef", "1234567890abcdef"];
        let expected_o = ["357", "146757", "22052746757", "110642547422052746757"];
        for (idx, size) in [1u8, 2, 4, 8].into_iter().enumerate() {
            let signed = int(value, size, true);
            let unsigned = int(value, size, false);
            assert_eq!(printf("%d", std::slice::from_ref(&signed)), expected_d[idx]);
            assert_eq!(
                printf("%d", std::slice::from_ref(&unsigned)),
                expected_ud[idx]
            );
            assert_eq!(
                printf("%u", std::slice::from_ref(&signed)),
                expected_ud[idx]
            );
            assert_eq!(printf("%x", std::slice::from_ref(&signed)), expected_x[idx]);
            assert_eq!(printf("%x", &[unsigned]), expected_x[idx]);
            assert_eq!(printf("%o", &[signed]), expected_o[idx]);
        }
        assert_eq!(printf("%X %i", &[i32v(0xabc), int(-3, 8, true)]), "ABC -3");
        assert_eq!(printf("%x", &[i32v(-1)]), "ffffffff");
        assert_eq!(printf("%u", &[int(-1, 8, true)]), "18446744073709551615");
        assert_eq!(printf("%d", &[int(-1, 8, false)]), "18446744073709551615");
        assert_eq!(
            printf("%lld %hd", &[int(-5, 8, true), int(-2, 2, true)]),
            "-5 -2"
        );
        assert_eq!(printf("%p", &[int(0x9_0abc_def0, 8, false)]), "90abcdef0");
        assert_eq!(printf("%#p", &[int(0x1234, 8, false)]), "0x1234");
    }

    #[test]
    fn flags() {
        assert_eq!(printf("%#8x|", &[i32v(0x123)]), "   0x123|");
        assert_eq!(printf("%08x|", &[i32v(0x123)]), "00000123|");
        assert_eq!(printf("%-8x|", &[i32v(0x123)]), "123     |");
        assert_eq!(printf("%+8d|", &[i32v(123)]), "    +123|");
        assert_eq!(printf("% 8d|", &[i32v(123)]), "     123|");
        assert_eq!(
            printf("%-05d|%0-5d|", &[i32v(42), i32v(42)]),
            "00042|42   |"
        );
        assert_eq!(
            printf("% 05d|%+d|%+u", &[i32v(-5), i32v(0), i32v(5)]),
            "-0005|+0|5"
        );
        assert_eq!(
            printf("%#o %#o %#x %#05x", &[i32v(0), i32v(8), i32v(0), i32v(255)]),
            "0 010 0 0x0ff"
        );
        assert_eq!(
            printf("%#.3o|%.0d|%+.3d", &[i32v(8), i32v(0), i32v(-5)]),
            "010|0|-005"
        );
        assert_eq!(printf("%08.3d|", &[i32v(7)]), "     007|");
        assert_eq!(printf("%'d", &[i32v(1_234_567)]), "1234567");
    }

    #[test]
    fn the_longest_integers_in_every_base() {
        let max = int(-1, 8, false);
        assert_eq!(
            printf("%#o|%u|%X", &[max.clone(), max.clone(), max.clone()]),
            "01777777777777777777777|18446744073709551615|FFFFFFFFFFFFFFFF"
        );
        assert_eq!(
            printf("%d|%.25x", &[int(i64::MIN, 8, true), max]),
            "-9223372036854775808|000000000ffffffffffffffff"
        );
    }

    #[test]
    fn widths() {
        assert_eq!(
            printf("%0d|%1d|%5d|%-10d|", &[i32v(1), i32v(1), i32v(1), i32v(1)]),
            "1|1|    1|1         |"
        );
        assert_eq!(printf("%?d", &[i32v(3)]), "               3");
        assert_eq!(printf("%*d|", &[i32v(4), i32v(1)]), "   1|");
        assert_eq!(printf("%*d|", &[i32v(-4), i32v(1)]), "1   |");
        assert_eq!(printf("%-*d|", &[i32v(4), i32v(1)]), "1   |");
        assert_eq!(printf("%*d|", &[int(255, 1, false), i32v(7)]), "7|");
        assert_eq!(printf("%3d|", &[i32v(12345)]), "12345|");
    }

    #[test]
    fn strings() {
        let hello = string("hello");
        let expected = [
            "hello", "h", "he", "hel", "hell", "hello", " hello", "  hello",
        ];
        for (precision, want) in expected.iter().enumerate() {
            let fixed = printf(
                &format!("%{precision}.{precision}s"),
                std::slice::from_ref(&hello),
            );
            assert_eq!(&fixed, want);
            let star = printf(
                "%*.*s",
                &[
                    i32v(precision as i64),
                    i32v(precision as i64),
                    hello.clone(),
                ],
            );
            assert_eq!(&star, want);
        }
        assert_eq!(
            printf("%.0s|%.*s", &[hello.clone(), i32v(-1), hello.clone()]),
            "hello|hello"
        );
        assert_eq!(
            printf(
                "[%10s][%-10s][%05s]",
                &[hello.clone(), hello.clone(), hello]
            ),
            "[     hello][hello     ][hello]"
        );
        assert_eq!(printf("[%7s]", &[string("ab")]), "[     ab]");
    }

    #[test]
    fn characters() {
        let a = i32v(i64::from(b'a'));
        assert_eq!(
            printf("%c|%3c|%-3c|%lc", &[a.clone(), a.clone(), a.clone(), a]),
            "a|  a|a  |a"
        );
        assert_eq!(
            printf_bytes("%c%c", &[int(-1, 1, true), int(0, 4, true)]),
            [0xff, 0]
        );
        assert_eq!(printf("%lc|", &[i32v(0x263a)]), "|");
    }

    #[test]
    fn escaped_strings() {
        let text = Value::Str(b"a\"b\\c\n\t\x01\xff d".to_vec());
        assert_eq!(printf("%S", &[text]), "a\\\"b\\\\c\\n\\t\\001\\377 d\\0");
        assert_eq!(printf("[%-6S]", &[string("ab")]), "[ab\\0  ]");
        assert_eq!(printf("%C%C", &[i32v(10), i32v(65)]), "\\nA");
    }

    #[test]
    fn addresses_without_symbols() {
        assert_eq!(
            printf("%a", &[int(0xffff_ffff_8100_0000_u64 as i64, 8, false)]),
            "0xffffffff81000000"
        );
        assert_eq!(printf("[%12A]", &[int(0x400, 8, false)]), "[       0x400]");
    }

    #[test]
    fn floats_and_doubles_print_from_their_bits() {
        let double = int(2.5f64.to_bits() as i64, 8, false);
        let float = int(i64::from((-0.125f32).to_bits()), 4, false);
        assert_eq!(
            printf(
                "%f %e %g %G|%8.2f|%-8.1E|",
                &[
                    double.clone(),
                    double.clone(),
                    float.clone(),
                    float,
                    double.clone(),
                    double
                ]
            ),
            "2.500000 2.500000e+00 -0.125 -0.125|    2.50|2.5E+00 |"
        );
    }

    #[test]
    fn missing_and_mismatched_arguments_do_not_panic() {
        assert_eq!(printf("a%db%sc", &[]), "abc");
        assert_eq!(printf("%*d|", &[i32v(3)]), "|");
        assert_eq!(printf("%d %s", &[string("x"), i32v(-7)]), "x -7");
        assert_eq!(
            printf(
                "%f|%e|%k|%ls",
                &[i32v(1), string("x"), i32v(2), string("w")]
            ),
            "0.000000|||"
        );
        assert_eq!(printf("%@d", &[i32v(1)]), "");
        let huge = printf("%*d", &[i32v(i64::from(i32::MAX)), i32v(1)]);
        assert_eq!(huge.len(), MAX_COUNT);
        let odd_size = Value::Int {
            bits: u64::MAX,
            size: 3,
            signed: true,
        };
        assert_eq!(printf("%d", &[odd_size]), "-1");
    }

    #[test]
    fn aggregation_values_repeat_the_last() {
        let pieces = parse_format(b"%s %@u %@u %@u\n").expect("format parses");
        let mut out = Vec::new();
        format_row(
            &pieces,
            &[string("k")],
            &[int(1, 8, false), int(2, 8, false)],
            &mut out,
        );
        assert_eq!(out, b"k 1 2 2\n");
    }

    #[test]
    fn time_layouts() {
        let civil = Civil {
            year: 2021,
            month: 0,
            mday: 3,
            hour: 7,
            min: 5,
            sec: 9,
            wday: 0,
            yday: 2,
            zone: "UTC".to_owned(),
        };
        assert_eq!(civil.ctime_style(), "2021 Jan  3 07:05:09");
        assert_eq!(civil.rfc822_style(), "Sun, 03 Jan 2020 07:05:09 UTC");
        let monday = Civil {
            mday: 4,
            wday: 1,
            yday: 3,
            ..civil.clone()
        };
        assert_eq!(monday.iso_year(), 2021);
        let new_year_week = Civil {
            year: 2024,
            month: 11,
            mday: 30,
            wday: 1,
            yday: 364,
            ..civil
        };
        assert_eq!(new_year_week.iso_year(), 2025);
        let printed = printf("%Y", &[int(1_000_000_000_000_000_000, 8, false)]);
        assert_eq!(printed.len(), "2001 Sep  9 01:46:40".len());
        assert!(printed.starts_with("2001 Sep  "));
    }
}

//! `tracemem()`'s hex dump, as libdtrace's `dt_print_rawbytes` lays it out: a blank line, a
//! column header, then 16 bytes per line with their offset and their printable characters.
//!
//! ```text
//!
//!              0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef
//!          0: 4c 69 6e 75 78 20 76 65 72 73 69 6f 6e 20        Linux version
//! ```

use std::fmt::Write as _;

use tracer_ebpf::layout::Value;

use super::printf::signed_of;

/// Prints `tracemem()`'s record: `bytes` are the recorded bytes, `shown` its third argument, which
/// shows fewer of them when it is not negative and less than their count. Nothing is printed for
/// zero bytes.
pub fn tracemem(bytes: &[u8], shown: Option<&Value>, out: &mut Vec<u8>) {
    let count = shown_count(bytes, shown);
    if count == 0 {
        return;
    }
    let mut text = String::from("\n           ");
    for digit in "0123456789abcdef".chars() {
        let _ = write!(text, "  {digit}");
    }
    text.push_str("  0123456789abcdef\n");
    for (line_idx, line) in bytes[..count].chunks(16).enumerate() {
        let _ = write!(text, "     {:5x}:", line_idx * 16);
        for byte in line {
            let _ = write!(text, " {byte:02x}");
        }
        text.push_str(&"   ".repeat(16 - line.len()));
        text.push_str("  ");
        text.extend(line.iter().map(|&byte| {
            if byte.is_ascii_graphic() || byte == b' ' {
                char::from(byte)
            } else {
                '.'
            }
        }));
        text.push('\n');
    }
    out.extend_from_slice(text.as_bytes());
}

/// How many of `bytes` `tracemem()` shows: `shown` of them when it is not negative and less than
/// their count, all of them otherwise.
pub fn shown_count(bytes: &[u8], shown: Option<&Value>) -> usize {
    match shown {
        Some(&Value::Int { bits, size, signed }) if !signed || signed_of(bits, size) >= 0 => {
            usize::try_from(bits).map_or(bytes.len(), |shown| shown.min(bytes.len()))
        }
        _ => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(bytes: &[u8], shown: Option<&Value>) -> String {
        let mut out = Vec::new();
        tracemem(bytes, shown, &mut out);
        String::from_utf8(out).unwrap()
    }

    const HEADER: &str =
        "\n             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n";

    #[test]
    fn short_dump_pads_the_hex_columns() {
        assert_eq!(
            dump(b"Linux version ", None),
            format!(
                "{HEADER}         0: 4c 69 6e 75 78 20 76 65 72 73 69 6f 6e 20        Linux version \n"
            )
        );
    }

    #[test]
    fn long_dump_numbers_each_line_and_dots_unprintable_bytes() {
        let bytes: Vec<u8> = (0u8..20).map(|byte| byte + 60).chain([0, 127]).collect();
        assert_eq!(
            dump(&bytes, None),
            format!(
                "{HEADER}         0: 3c 3d 3e 3f 40 41 42 43 44 45 46 47 48 49 4a 4b  <=>?@ABCDEFGHIJK\n        10: 4c 4d 4e 4f 00 7f                                LMNO..\n"
            )
        );
    }

    #[test]
    fn shown_count_limits_the_bytes() {
        let int = |bits: u64, signed: bool| Value::Int {
            bits,
            size: 8,
            signed,
        };
        assert!(
            dump(b"Linux", Some(&int(2, true)))
                .ends_with(" 4c 69                                            Li\n")
        );
        assert_eq!(dump(b"Linux", Some(&int(0, true))), "");
        assert_eq!(
            dump(b"Linux", Some(&int(u64::MAX, true))),
            dump(b"Linux", None)
        );
        assert_eq!(dump(b"Linux", Some(&int(9, false))), dump(b"Linux", None));
    }
}

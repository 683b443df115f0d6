//! dtrace's default text layouts: the probe header and line prefix, `trace()`, and aggregations.
//!
//! Every function writes exactly the bytes dtrace writes; the caller adds the separators between
//! them, which dtrace prints from its main loop:
//! - without `quiet`, [`probe_header`] once before the first record, then for each record
//!   [`probe_line_prefix`], the output of each action, and `\n`;
//! - `printa(@a)` without a format writes `\n`, then [`print_aggregations`] (or
//!   [`print_aggregation`]);
//! - `printa("...", @a)` writes only [`printa_formatted`], with no leading newline;
//! - at exit, dtrace writes `\n` (even with `quiet`), then prints each aggregation that no `printa`
//!   printed, in the order the program first uses them, with [`print_aggregation`] and no blank
//!   line between them.
//!
//! Rows are sorted as dtrace sorts them by default (neither `aggsortkey` nor `aggsortrev` set):
//! by value ascending, compared as signed 64-bit numbers, then by key. Keys compare position by
//! position; integers compare as unsigned numbers of their type's size (so a `char` -1 sorts after
//! 2) and strings compare byte by byte.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;

use d_frontend::printf::FormatPiece;
use tracer_ebpf::layout::{AggFunc, AggValue, Value};

use super::printf::{format_row, signed_of, unsigned_of};

/// The column header printed before the first record without `quiet`, newline included.
pub fn probe_header() -> &'static str {
    "CPU     ID                    FUNCTION:NAME\n"
}

/// The start of each record's line without `quiet`: CPU, probe ID and `function:name` (`:BEGIN`
/// for `dtrace:::BEGIN`), ending with a space.
pub fn probe_line_prefix(cpu: u32, probe_id: u32, function: &str, name: &str) -> String {
    let probe = format!("{function}:{name}");
    format!("{cpu:>3} {probe_id:>6} {probe:>32} ")
}

/// What `trace(value)` writes. Without `quiet`, integers are right-aligned in a column sized for
/// their type and strings are left-aligned after two spaces; with `quiet`, values are bare.
pub fn trace_value(value: &Value, quiet: bool, out: &mut Vec<u8>) {
    let (bits, size, signed) = match value {
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

/// One aggregation's merged entries: its keys and value per row, in any order.
#[derive(Clone, Copy, Debug)]
pub struct Aggregation<'a> {
    /// The aggregating function.
    pub func: AggFunc,
    /// Keys and value of each entry; an aggregation without keys has one row with no keys.
    pub rows: &'a [(Vec<Value>, AggValue)],
}

/// The default layout of one aggregation, as at exit or by `printa(@a)`: each row's keys, then its
/// value, sorted. Writes nothing for an aggregation without rows.
pub fn print_aggregation(func: AggFunc, rows: &[(Vec<Value>, AggValue)], out: &mut Vec<u8>) {
    print_aggregations(&[Aggregation { func, rows }], out);
}

/// The default layout of `printa(@a, @b, ...)`: aggregations joined by key, each row's keys then one
/// value per aggregation (0 where an aggregation has no entry for the key), sorted by the first
/// aggregation's value, then the next's, then by key.
pub fn print_aggregations(aggs: &[Aggregation<'_>], out: &mut Vec<u8>) {
    for row in join(aggs) {
        for key in row.keys {
            write_key(key, out);
        }
        for &value in &row.values {
            let _ = write!(Utf8Sink(out), " {:>16}", agg_scalar(value));
        }
        out.push(b'\n');
    }
}

/// `printa(format, @a, @b, ...)`: each joined, sorted row formatted with `pieces`. Conversions
/// without `@` take the keys in order; `%@` conversions take the aggregations' values in order,
/// and those past the last aggregation repeat its value.
pub fn printa_formatted(pieces: &[FormatPiece], aggs: &[Aggregation<'_>], out: &mut Vec<u8>) {
    for row in join(aggs) {
        let values: Vec<Value> = aggs
            .iter()
            .zip(&row.values)
            .map(|(agg, &value)| Value::Int {
                bits: agg_scalar(value) as u64,
                size: 8,
                signed: agg.func != AggFunc::Count,
            })
            .collect();
        format_row(pieces, row.keys, &values, out);
    }
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

/// The value the default layout prints and sorts by; an average rounds toward zero.
fn agg_scalar(value: AggValue) -> i64 {
    match value {
        AggValue::Avg { count, total } => total.checked_div(count as i64).unwrap_or(0),
        other => other.scalar(),
    }
}

/// The value an aggregation has for a key it never saw: all-zero data.
fn zero(func: AggFunc) -> AggValue {
    match func {
        AggFunc::Count => AggValue::Count(0),
        AggFunc::Sum => AggValue::Sum(0),
        AggFunc::Avg => AggValue::Avg { count: 0, total: 0 },
        AggFunc::Min => AggValue::Min(0),
        AggFunc::Max => AggValue::Max(0),
    }
}

/// One key with a value per aggregation.
struct JoinedRow<'a> {
    keys: &'a [Value],
    values: Vec<AggValue>,
}

/// Joins aggregations by key and sorts the rows.
fn join<'a>(aggs: &[Aggregation<'a>]) -> Vec<JoinedRow<'a>> {
    let mut rows: Vec<JoinedRow<'a>> = Vec::new();
    let mut row_of_keys: HashMap<&'a [Value], usize> = HashMap::new();
    for (agg_idx, agg) in aggs.iter().enumerate() {
        for (keys, value) in agg.rows {
            let row_idx = *row_of_keys.entry(keys.as_slice()).or_insert_with(|| {
                let values = aggs.iter().map(|agg| zero(agg.func)).collect();
                rows.push(JoinedRow { keys, values });
                rows.len() - 1
            });
            rows[row_idx].values[agg_idx] = *value;
        }
    }
    rows.sort_by(|lhs, rhs| {
        let by_value = lhs
            .values
            .iter()
            .zip(&rhs.values)
            .map(|(&lhs, &rhs)| agg_scalar(lhs).cmp(&agg_scalar(rhs)))
            .find(|ordering| ordering.is_ne());
        by_value.unwrap_or_else(|| compare_keys(lhs.keys, rhs.keys))
    });
    rows
}

/// dtrace's key order: fewer keys first, then position by position.
fn compare_keys(lhs: &[Value], rhs: &[Value]) -> Ordering {
    lhs.len().cmp(&rhs.len()).then_with(|| {
        lhs.iter()
            .zip(rhs)
            .map(|(lhs, rhs)| compare_key(lhs, rhs))
            .find(|ordering| ordering.is_ne())
            .unwrap_or(Ordering::Equal)
    })
}

/// Integers by size, then as unsigned numbers of that size; strings byte by byte.
fn compare_key(lhs: &Value, rhs: &Value) -> Ordering {
    match (lhs, rhs) {
        (
            &Value::Int {
                bits: lhs_bits,
                size: lhs_size,
                ..
            },
            &Value::Int {
                bits: rhs_bits,
                size: rhs_size,
                ..
            },
        ) => lhs_size
            .cmp(&rhs_size)
            .then_with(|| unsigned_of(lhs_bits, lhs_size).cmp(&unsigned_of(rhs_bits, rhs_size))),
        (Value::Str(lhs), Value::Str(rhs)) => lhs.cmp(rhs),
        (Value::Int { .. }, Value::Str(_)) => Ordering::Less,
        (Value::Str(_), Value::Int { .. }) => Ordering::Greater,
    }
}

/// One key in the default layout. Integers are right-aligned in a column sized for their type and
/// printed as C's `%d` of the unsigned value (so a `char` -2 prints 254 but an `int` -2 prints -2).
/// Printable strings are left-aligned in 50 columns; other strings are dumped as bytes.
fn write_key(key: &Value, out: &mut Vec<u8>) {
    match *key {
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
    use d_frontend::printf::parse_format;

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

    fn default_layout(func: AggFunc, rows: &[(Vec<Value>, AggValue)]) -> String {
        let mut out = Vec::new();
        print_aggregation(func, rows, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    fn formatted(fmt: &str, aggs: &[Aggregation<'_>]) -> String {
        let pieces = parse_format(fmt.as_bytes()).expect("format parses");
        let mut out = Vec::new();
        printa_formatted(&pieces, aggs, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    #[test]
    fn header_and_prefix() {
        assert_eq!(
            probe_header(),
            format!("CPU {:>6} {:>32}\n", "ID", "FUNCTION:NAME")
        );
        assert_eq!(
            probe_line_prefix(0, 1, "", "BEGIN"),
            format!("  0      1 {:>32} ", ":BEGIN")
        );
        let long = probe_line_prefix(12, 123_456, "do_sys_openat2_with_a_long_name", "entry");
        assert_eq!(long, " 12 123456 do_sys_openat2_with_a_long_name:entry ");
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

    #[test]
    fn keyless_aggregations() {
        let count = [(vec![], AggValue::Count(2))];
        assert_eq!(
            default_layout(AggFunc::Count, &count),
            format!(" {:>16}\n", 2)
        );
        let avg = [(
            vec![],
            AggValue::Avg {
                count: 2,
                total: -900,
            },
        )];
        assert_eq!(
            default_layout(AggFunc::Avg, &avg),
            format!(" {:>16}\n", -450)
        );
        assert_eq!(default_layout(AggFunc::Sum, &[]), "");
    }

    #[test]
    fn rows_sort_by_value_then_key() {
        let rows = [
            (vec![int(3, 4, true)], AggValue::Sum(1100)),
            (vec![int(0, 4, true)], AggValue::Sum(500)),
            (vec![int(-1, 4, true)], AggValue::Sum(500)),
            (vec![int(2, 4, true)], AggValue::Sum(-7)),
        ];
        let expected = format!(
            " {:>8} {:>16}\n {:>8} {:>16}\n {:>8} {:>16}\n {:>8} {:>16}\n",
            2, -7, 0, 500, -1, 500, 3, 1100
        );
        assert_eq!(default_layout(AggFunc::Sum, &rows), expected);
    }

    #[test]
    fn keys_print_by_type_size() {
        let rows = [
            (vec![int(-2, 1, true), int(-2, 2, true)], AggValue::Count(1)),
            (vec![int(-2, 4, true), int(-2, 8, true)], AggValue::Count(2)),
        ];
        let expected = format!(
            " {:>3} {:>5} {:>16}\n {:>8} {:>16} {:>16}\n",
            254, 65534, 1, -2, -2, 2
        );
        assert_eq!(default_layout(AggFunc::Count, &rows), expected);
    }

    #[test]
    fn string_keys() {
        let rows = [
            (vec![string("dog"), int(-1, 8, true)], AggValue::Sum(-111)),
            (vec![string("cat"), int(-1, 8, true)], AggValue::Sum(-1)),
        ];
        let expected = format!(
            "  {:<50} {:>16} {:>16}\n  {:<50} {:>16} {:>16}\n",
            "dog", -1, -111, "cat", -1, -1
        );
        assert_eq!(default_layout(AggFunc::Sum, &rows), expected);
    }

    #[test]
    fn unprintable_string_keys_are_dumped() {
        let rows = [(vec![Value::Str(b"a\xffb".to_vec())], AggValue::Count(1))];
        let header = format!(
            "\n{:11}{}  0123456789abcdef\n",
            "", "  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f"
        );
        let line = format!("{:5}{:>5}: 61 ff 62 00{:36}  a.b.\n", "", 0, "");
        let expected = format!("{header}{line} {:>16}\n", 1);
        assert_eq!(default_layout(AggFunc::Count, &rows), expected);
    }

    #[test]
    fn joined_aggregations_fill_missing_values_with_zero() {
        let counts = [
            (vec![string("b")], AggValue::Count(5)),
            (vec![string("a")], AggValue::Count(5)),
        ];
        let maxes = [
            (vec![string("a")], AggValue::Max(9)),
            (vec![string("c")], AggValue::Max(1)),
        ];
        let aggs = [
            Aggregation {
                func: AggFunc::Count,
                rows: &counts,
            },
            Aggregation {
                func: AggFunc::Max,
                rows: &maxes,
            },
        ];
        let mut out = Vec::new();
        print_aggregations(&aggs, &mut out);
        let expected = format!(
            "  {:<50} {:>16} {:>16}\n  {:<50} {:>16} {:>16}\n  {:<50} {:>16} {:>16}\n",
            "c", 0, 1, "b", 5, 0, "a", 5, 9
        );
        assert_eq!(String::from_utf8(out).expect("output is UTF-8"), expected);
        assert_eq!(formatted("%s %@d/%@d\n", &aggs), "c 0/1\nb 5/0\na 5/9\n");
    }

    #[test]
    fn printa_with_formats() {
        let rows = [(vec![], AggValue::Count(1))];
        let count = [Aggregation {
            func: AggFunc::Count,
            rows: &rows,
        }];
        assert_eq!(formatted("%@u", &count), "1");
        assert_eq!(formatted("%@u %@u %@u\n", &count), "1 1 1\n");
        let tour = [
            (vec![string("Ghent"), int(0, 4, true)], AggValue::Sum(5)),
            (
                vec![string("Amsterdam"), int(17, 4, true)],
                AggValue::Sum(-3),
            ),
        ];
        let sums = [Aggregation {
            func: AggFunc::Sum,
            rows: &tour,
        }];
        let expected = format!(
            "{:>20} {:>8} {:>8}\n{:>20} {:>8} {:>8}\n",
            "Amsterdam", 17, -3, "Ghent", 0, 5
        );
        assert_eq!(formatted("%20s %8d %8@d\n", &sums), expected);
        assert_eq!(formatted("%@x\n", &sums), "fffffffffffffffd\n5\n");
    }

    #[test]
    fn printa_dynamic_width_from_keys() {
        let rows = [
            (vec![int(10, 4, true), int(100, 4, true)], AggValue::Sum(1)),
            (vec![int(-10, 4, true), int(200, 4, true)], AggValue::Sum(2)),
        ];
        let sums = [Aggregation {
            func: AggFunc::Sum,
            rows: &rows,
        }];
        let expected = format!("-->{:<10}<--\n-->{:<10}<--\n", 100, 200);
        assert_eq!(formatted("-->%-*d<--\n", &sums), expected);
        let expected = format!("-->{:>10}<--\n-->{:<10}<--\n", 100, 200);
        assert_eq!(formatted("-->%*d<--\n", &sums), expected);
    }

    #[test]
    fn printa_count_is_unsigned() {
        let rows = [(vec![], AggValue::Count(u64::MAX))];
        let count = [Aggregation {
            func: AggFunc::Count,
            rows: &rows,
        }];
        assert_eq!(formatted("%@d", &count), "18446744073709551615");
        let rows = [(vec![], AggValue::Min(-1))];
        let min = [Aggregation {
            func: AggFunc::Min,
            rows: &rows,
        }];
        assert_eq!(formatted("%@d %@u", &min), "-1 18446744073709551615");
    }
}

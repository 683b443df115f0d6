//! Aggregations as dtrace prints them: the default layout, `printa` with a format, the order of
//! rows, and several aggregations joined by key.
//!
//! The caller adds the separators, which dtrace prints from its main loop:
//! - `printa(@a, ...)` without a format writes `\n`, then [`print_aggregations`];
//! - `printa("...", @a, ...)` writes only [`printa_formatted`], with no leading newline;
//! - at exit, dtrace writes `\n` (even with `quiet`), then prints each aggregation that no `printa`
//!   printed with [`print_aggregations`], one after the other.
//!
//! Rows are ordered as libdtrace's `dt_aggregate_valcmp` and `dt_aggregate_keycmp` order them (see
//! [`SortOptions`]): by value, then by key. Values compare as their function says: `count`, `sum`,
//! `min` and `max` as signed numbers, `avg` and `stddev` by their result, histograms by the sum of
//! bucket value times count and then by the count at zero. Keys compare position by position;
//! integers by size, then as unsigned numbers of that size (so a `char` -1 sorts after 2), strings
//! byte by byte. Values are compared before normalization.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::{Add as _, Mul as _};

use d_frontend::printf::FormatPiece;
use tracer_ebpf::layout::{AggFunc, AggParams, AggValue, LogLinear, Value, agg_data_words};

use super::extended::Extended;
use super::folded;
use super::histogram::{quantize_bucket_value, write_histogram};
use super::printf::{format_row, unsigned_of};
use super::text::{self, write_key};

/// One aggregation's merged entries and how to print them.
#[derive(Clone, Copy, Debug)]
pub struct Aggregation<'a> {
    /// The aggregating function.
    pub func: AggFunc,
    /// The bucket parameters of `lquantize` and `llquantize`.
    pub params: AggParams,
    /// The `normalize()` factor (1 when not normalized).
    pub normal: u64,
    /// Keys and value of each entry, in any order; an aggregation without keys has one row with
    /// no keys.
    pub rows: &'a [(Vec<Value>, AggValue)],
}

/// The run-time options that order aggregation rows (libdtrace's `aggsort*` options), and
/// `stackfmt`, which lays out rows keyed by stacks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SortOptions {
    /// `aggsortkey`: order by key, then by value.
    pub by_key: bool,
    /// `aggsortrev`: reverse every comparison.
    pub reverse: bool,
    /// `aggsortkeypos`: the key position compared first (the others follow, wrapping around).
    pub key_position: usize,
    /// `aggsortpos`: which of several joined aggregations' values is compared first.
    pub agg_position: usize,
    /// `stackfmt=folded`: print a stack-keyed aggregation as folded stacks (see `folded`).
    pub folded_stacks: bool,
}

/// The default layout of one or more aggregations joined by key: each row's keys, then one value
/// per aggregation (all-zero data where an aggregation has no entry for the key), then `\n`.
pub fn print_aggregations(aggs: &[Aggregation<'_>], options: SortOptions, out: &mut Vec<u8>) {
    if let [agg] = aggs
        && options.folded_stacks
        && folded::applies(agg.rows)
    {
        for row in join(aggs, options) {
            folded::write_row(row.keys, &format_value(agg, &row.values[0]), out);
        }
        return;
    }
    for row in join(aggs, options) {
        for key in row.keys {
            write_key(key, out);
        }
        for (agg, value) in aggs.iter().zip(&row.values) {
            write_datum(agg, value, out);
        }
        out.push(b'\n');
    }
}

/// `printa(format, @a, @b, ...)`: each joined, ordered row formatted with `pieces`. Conversions
/// without `@` take the keys in order; `%@` conversions take the aggregations' values in order,
/// and those past the last aggregation repeat its value.
pub fn printa_formatted(
    pieces: &[FormatPiece],
    aggs: &[Aggregation<'_>],
    options: SortOptions,
    out: &mut Vec<u8>,
) {
    for row in join(aggs, options) {
        let values: Vec<Value> = aggs
            .iter()
            .zip(&row.values)
            .map(|(agg, value)| format_value(agg, value))
            .collect();
        format_row(pieces, row.keys, &values, out);
    }
}

/// One aggregation's rows in the order its default layout prints them.
pub fn ordered_rows(agg: Aggregation<'_>, options: SortOptions) -> Vec<(&[Value], AggValue)> {
    join(&[agg], options)
        .into_iter()
        .filter_map(|row| Some((row.keys, row.values.into_iter().next()?)))
        .collect()
}

/// The order in which the exit dump prints aggregations `0..n`: as declared, or reversed with
/// `aggsortrev` (libdtrace compares the aggregation first, with the same reversal).
pub fn dump_order(n_aggs: usize, options: SortOptions) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n_aggs).collect();
    if options.reverse {
        order.reverse();
    }
    order
}

/// The entries of `agg` that `trunc(@a, count)` keeps: the `count` largest by value (then key),
/// or with a negative `count` the `-count` smallest.
pub fn truncated_keys(agg: &Aggregation<'_>, count: i64) -> Vec<Vec<Value>> {
    let mut rows: Vec<&(Vec<Value>, AggValue)> = agg.rows.iter().collect();
    rows.sort_by(|lhs, rhs| {
        compare_values(agg, &lhs.1, &rhs.1).then_with(|| compare_keys(&lhs.0, &rhs.0, 0))
    });
    if count >= 0 {
        rows.reverse();
    }
    let kept = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    rows.into_iter()
        .skip(kept)
        .map(|(keys, _)| keys.clone())
        .collect()
}

/// One datum of the default layout, as libdtrace's `dt_print_datum`.
fn write_datum(agg: &Aggregation<'_>, value: &AggValue, out: &mut Vec<u8>) {
    let normal = agg.normal.max(1);
    let mut sink = Sink(out);
    let _ = match *value {
        AggValue::Histogram(ref buckets) => {
            write_histogram(agg.func, agg.params, buckets, normal, sink.0);
            Ok(())
        }
        AggValue::Avg { count, total } => {
            let average = (total / normal as i64)
                .checked_div(count as i64)
                .unwrap_or(0);
            write!(sink, " {average:>16}")
        }
        AggValue::Stddev {
            count,
            total,
            squares,
        } => write!(sink, " {:>16}", stddev(count, total, squares, normal)),
        AggValue::Count(count) => write!(sink, " {:>16}", (count / normal) as i64),
        AggValue::Sum(value) | AggValue::Min(value) | AggValue::Max(value) => {
            write!(sink, " {:>16}", ((value as u64) / normal) as i64)
        }
    };
}

/// The value a `%@` conversion prints, as libdtrace's `pfprint_*` functions compute it. A histogram
/// is drawn whole in place of the conversion, whatever the conversion is; it is passed as text,
/// which is longer than any width the conversion could pad it to.
fn format_value(agg: &Aggregation<'_>, value: &AggValue) -> Value {
    let normal = agg.normal.max(1);
    let int = |bits: u64, signed: bool| Value::Int {
        bits,
        size: 8,
        signed,
    };
    match *value {
        AggValue::Histogram(ref buckets) => {
            let mut text = Vec::new();
            write_histogram(agg.func, agg.params, buckets, normal, &mut text);
            Value::Str(text)
        }
        // libdtrace reads the average's data as unsigned here, unlike in the default layout.
        AggValue::Avg { count, total } => int(
            (total as u64 / normal).checked_div(count).unwrap_or(0),
            true,
        ),
        AggValue::Stddev {
            count,
            total,
            squares,
        } => int(stddev(count, total, squares, normal), true),
        AggValue::Count(count) => int(count / normal, false),
        AggValue::Sum(value) | AggValue::Min(value) | AggValue::Max(value) => {
            int((value / normal as i64) as u64, true)
        }
    }
}

/// libdtrace's `dt_stddev`: `sqrt(avg(x^2) - avg(x)^2)` in integers, 0 without values.
pub fn stddev(count: u64, total: i64, squares: u128, normal: u64) -> u64 {
    if count == 0 {
        return 0;
    }
    let normal = normal.max(1);
    let mean_of_squares = squares / u128::from(normal) / u128::from(count);
    let mean = (total / normal as i64)
        .checked_div(count as i64)
        .unwrap_or(0);
    let square_of_mean = u128::from(mean.unsigned_abs()).pow(2);
    mean_of_squares.wrapping_sub(square_of_mean).isqrt() as u64
}

/// Compares two values of `agg`'s function, as libdtrace's `dt_aggregate_valcmp`.
fn compare_values(agg: &Aggregation<'_>, lhs: &AggValue, rhs: &AggValue) -> Ordering {
    match (lhs, rhs) {
        (AggValue::Histogram(lhs), AggValue::Histogram(rhs)) => {
            let (lhs_sum, lhs_zero) = histogram_weight(agg, lhs);
            let (rhs_sum, rhs_zero) = histogram_weight(agg, rhs);
            lhs_sum.cmp(&rhs_sum).then(lhs_zero.cmp(&rhs_zero))
        }
        (
            &AggValue::Stddev {
                count,
                total,
                squares,
            },
            &AggValue::Stddev {
                count: rhs_count,
                total: rhs_total,
                squares: rhs_squares,
            },
        ) => stddev(count, total, squares, 1).cmp(&stddev(rhs_count, rhs_total, rhs_squares, 1)),
        _ => scalar(lhs).cmp(&scalar(rhs)),
    }
}

/// The signed number `count`, `sum`, `min`, `max` and `avg` sort by.
fn scalar(value: &AggValue) -> i64 {
    match *value {
        AggValue::Count(count) => count as i64,
        AggValue::Sum(value) | AggValue::Min(value) | AggValue::Max(value) => value,
        AggValue::Avg { count, total } => total.checked_div(count as i64).unwrap_or(0),
        AggValue::Stddev { .. } | AggValue::Histogram(_) => 0,
    }
}

/// A histogram's sort weight: the sum of each bucket's value times its count, in libdtrace's `long
/// double` arithmetic, and the count of the bucket that holds zero (0 when no bucket does).
fn histogram_weight(agg: &Aggregation<'_>, buckets: &[i64]) -> (Extended, i64) {
    let count = |bucket: usize| buckets.get(bucket).copied().unwrap_or(0);
    let long = Extended::from_i64;
    match agg.params {
        AggParams::Linear { base, levels, step } => {
            let (base, levels, step) = (i64::from(base), i64::from(levels), i64::from(step));
            let mut sum = long(count(0)).mul(long(base - 1));
            let mut zero = if base - 1 == 0 { Some(count(0)) } else { None };
            for level in 0..levels {
                let value = base + level * step;
                sum = sum.add(long(count(level as usize + 1)).mul(long(value)));
                if value == 0 {
                    zero = zero.or(Some(count(level as usize + 1)));
                }
            }
            let limit = base + levels * step;
            sum = sum.add(long(count(levels as usize + 1)).mul(long(limit + 1)));
            if limit + 1 == 0 {
                zero = zero.or(Some(count(levels as usize + 1)));
            }
            (sum, zero.unwrap_or(0))
        }
        AggParams::LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        } => {
            let geometry = LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            };
            let underflow = geometry.underflow_bucket() as usize;
            let steps_factor = u64::from(steps) / u64::from(factor);
            let pair =
                |offset: usize| count(underflow + offset).wrapping_sub(count(underflow - offset));
            let power = |exponent: i32| {
                (0..exponent).fold(long(1), |power, _| power.mul(long(i64::from(factor))))
            };
            let mut sum = power(i32::from(lmag)).mul(long(pair(1)));
            let mut offset = 1;
            let mut magnitude = i32::from(lmag);
            if lmag == 0 && steps > factor {
                for step in 2..=i64::from(factor) {
                    offset += steps_factor as usize;
                    sum = sum.add(long(step.wrapping_mul(pair(offset))));
                }
                magnitude = 1;
            }
            let mut scale = power(magnitude + 1)
                .checked_div(long(i64::from(steps)))
                .unwrap_or(Extended::ZERO);
            for _ in magnitude..=i32::from(hmag) {
                for step in steps_factor + 1..=u64::from(steps) {
                    offset += 1;
                    let weight = long(step as i64).mul(scale).mul(long(pair(offset)));
                    sum = sum.add(weight);
                }
                scale = scale.mul(long(i64::from(factor)));
            }
            (sum, count(underflow))
        }
        AggParams::None => {
            let sum = (0..buckets.len()).fold(Extended::ZERO, |sum, bucket| {
                sum.add(long(quantize_bucket_value(bucket)).mul(long(count(bucket))))
            });
            (sum, count(63))
        }
    }
}

/// dtrace's key order from position `key_position` on, wrapping around (`aggsortkeypos`): fewer
/// keys first, then position by position.
fn compare_keys(lhs: &[Value], rhs: &[Value], key_position: usize) -> Ordering {
    let start = if key_position < lhs.len() {
        key_position
    } else {
        0
    };
    lhs.len().cmp(&rhs.len()).then_with(|| {
        (0..lhs.len())
            .map(|offset| (start + offset) % lhs.len())
            .map(|key_idx| compare_key(&lhs[key_idx], &rhs[key_idx]))
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
        // Struct, union and array values of an integer's size compare as that unsigned integer,
        // others byte by byte.
        (Value::Bytes(lhs_bytes), Value::Bytes(rhs_bytes)) => {
            match (text::bytes_as_int(lhs_bytes), text::bytes_as_int(rhs_bytes)) {
                (Some(lhs), Some(rhs)) => compare_key(&lhs, &rhs),
                _ => lhs_bytes.cmp(rhs_bytes),
            }
        }
        (Value::Int { .. }, Value::Str(_)) => Ordering::Less,
        (Value::Str(_), Value::Int { .. }) => Ordering::Greater,
        (lhs, rhs) => lhs.cmp(rhs),
    }
}

/// The value an aggregation has for a key it never saw: all-zero data.
fn zero(agg: &Aggregation<'_>) -> AggValue {
    match agg.func {
        AggFunc::Count => AggValue::Count(0),
        AggFunc::Sum => AggValue::Sum(0),
        AggFunc::Avg => AggValue::Avg { count: 0, total: 0 },
        AggFunc::Stddev => AggValue::Stddev {
            count: 0,
            total: 0,
            squares: 0,
        },
        AggFunc::Min => AggValue::Min(0),
        AggFunc::Max => AggValue::Max(0),
        AggFunc::Quantize | AggFunc::Lquantize | AggFunc::Llquantize => {
            AggValue::Histogram(vec![0; agg_data_words(agg.func, agg.params) as usize])
        }
    }
}

/// One key with a value per aggregation.
struct JoinedRow<'a> {
    keys: &'a [Value],
    values: Vec<AggValue>,
}

/// Joins aggregations by key and orders the rows as libdtrace's `dt_aggregate_bundlecmp`: values
/// from aggregation `agg_position` on (wrapping around), then keys; or keys first with
/// `aggsortkey`; every comparison reversed with `aggsortrev`.
fn join<'a>(aggs: &[Aggregation<'a>], options: SortOptions) -> Vec<JoinedRow<'a>> {
    let mut rows: Vec<JoinedRow<'a>> = Vec::new();
    let mut row_of_keys: HashMap<&'a [Value], usize> = HashMap::new();
    for (agg_idx, agg) in aggs.iter().enumerate() {
        for (keys, value) in agg.rows {
            let row_idx = *row_of_keys.entry(keys.as_slice()).or_insert_with(|| {
                rows.push(JoinedRow {
                    keys,
                    values: aggs.iter().map(zero).collect(),
                });
                rows.len() - 1
            });
            rows[row_idx].values[agg_idx] = value.clone();
        }
    }
    let first_agg = if options.agg_position < aggs.len() {
        options.agg_position
    } else {
        0
    };
    rows.sort_by(|lhs, rhs| {
        let by_value = || {
            (0..aggs.len())
                .map(|offset| (first_agg + offset) % aggs.len())
                .map(|agg_idx| {
                    compare_values(&aggs[agg_idx], &lhs.values[agg_idx], &rhs.values[agg_idx])
                })
                .find(|ordering| ordering.is_ne())
                .unwrap_or(Ordering::Equal)
        };
        let by_key = || compare_keys(lhs.keys, rhs.keys, options.key_position);
        let ordering = if options.by_key {
            by_key().then_with(by_value)
        } else {
            by_value().then_with(by_key)
        };
        if options.reverse {
            ordering.reverse()
        } else {
            ordering
        }
    });
    rows
}

/// Lets `write!` append to a byte buffer.
struct Sink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
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

    fn view(func: AggFunc, rows: &[(Vec<Value>, AggValue)]) -> Aggregation<'_> {
        Aggregation {
            func,
            params: AggParams::None,
            normal: 1,
            rows,
        }
    }

    fn layout(aggs: &[Aggregation<'_>], options: SortOptions) -> String {
        let mut out = Vec::new();
        print_aggregations(aggs, options, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    fn default_layout(func: AggFunc, rows: &[(Vec<Value>, AggValue)]) -> String {
        layout(&[view(func, rows)], SortOptions::default())
    }

    fn formatted(fmt: &str, aggs: &[Aggregation<'_>], options: SortOptions) -> String {
        let pieces = parse_format(fmt.as_bytes()).expect("format parses");
        let mut out = Vec::new();
        printa_formatted(&pieces, aggs, options, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
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
    fn struct_keys_sort_as_integers_of_their_size_or_bytewise() {
        let bytes = |data: &[u8]| vec![Value::Bytes(data.to_vec())];
        // 256 and 2 as 4-byte structs: 2 is smaller although its first byte is larger.
        let rows = [
            (bytes(&256_u32.to_le_bytes()), AggValue::Count(1)),
            (bytes(&2_u32.to_le_bytes()), AggValue::Count(1)),
        ];
        let expected = format!(" {:>8} {:>16}\n {:>8} {:>16}\n", 2, 1, 256, 1);
        assert_eq!(default_layout(AggFunc::Count, &rows), expected);
        let rows = [
            (bytes(b"b\0\0"), AggValue::Count(1)),
            (bytes(b"a\0\x01"), AggValue::Count(1)),
        ];
        let first_line = default_layout(AggFunc::Count, &rows);
        assert!(first_line.contains("61 00 01"), "{first_line}");
        assert!(first_line.ends_with(&format!("  {:<50} {:>16}\n", "b", 1)));
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
        let aggs = [view(AggFunc::Count, &counts), view(AggFunc::Max, &maxes)];
        let expected = format!(
            "  {:<50} {:>16} {:>16}\n  {:<50} {:>16} {:>16}\n  {:<50} {:>16} {:>16}\n",
            "c", 0, 1, "b", 5, 0, "a", 5, 9
        );
        assert_eq!(layout(&aggs, SortOptions::default()), expected);
        let options = SortOptions::default();
        assert_eq!(
            formatted("%s %@d/%@d\n", &aggs, options),
            "c 0/1\nb 5/0\na 5/9\n"
        );
        // `aggsortpos` compares the maxima first.
        let by_max = SortOptions {
            agg_position: 1,
            ..SortOptions::default()
        };
        assert_eq!(
            formatted("%s %@d/%@d\n", &aggs, by_max),
            "b 5/0\nc 0/1\na 5/9\n"
        );
    }

    #[test]
    fn sort_options_order_by_key_position_and_reverse() {
        let rows = [
            (vec![string("b"), int(1, 4, true)], AggValue::Sum(3)),
            (vec![string("a"), int(2, 4, true)], AggValue::Sum(2)),
            (vec![string("c"), int(0, 4, true)], AggValue::Sum(1)),
        ];
        let aggs = [view(AggFunc::Sum, &rows)];
        let fmt = "%s%d ";
        let options = SortOptions::default();
        assert_eq!(formatted(fmt, &aggs, options), "c0 a2 b1 ");
        let by_key = SortOptions {
            by_key: true,
            ..options
        };
        assert_eq!(formatted(fmt, &aggs, by_key), "a2 b1 c0 ");
        let second_key = SortOptions {
            key_position: 1,
            ..by_key
        };
        assert_eq!(formatted(fmt, &aggs, second_key), "c0 b1 a2 ");
        let past_the_keys = SortOptions {
            key_position: 2,
            ..by_key
        };
        assert_eq!(formatted(fmt, &aggs, past_the_keys), "a2 b1 c0 ");
        let reversed = SortOptions {
            reverse: true,
            ..options
        };
        assert_eq!(formatted(fmt, &aggs, reversed), "b1 a2 c0 ");
        assert_eq!(dump_order(3, reversed), [2, 1, 0]);
        assert_eq!(dump_order(2, options), [0, 1]);
    }

    #[test]
    fn printa_with_formats() {
        let rows = [(vec![], AggValue::Count(1))];
        let count = [view(AggFunc::Count, &rows)];
        let options = SortOptions::default();
        assert_eq!(formatted("%@u", &count, options), "1");
        assert_eq!(formatted("%@u %@u %@u\n", &count, options), "1 1 1\n");
        let tour = [
            (vec![string("Ghent"), int(0, 4, true)], AggValue::Sum(5)),
            (
                vec![string("Amsterdam"), int(17, 4, true)],
                AggValue::Sum(-3),
            ),
        ];
        let sums = [view(AggFunc::Sum, &tour)];
        let expected = format!(
            "{:>20} {:>8} {:>8}\n{:>20} {:>8} {:>8}\n",
            "Amsterdam", 17, -3, "Ghent", 0, 5
        );
        assert_eq!(formatted("%20s %8d %8@d\n", &sums, options), expected);
        assert_eq!(formatted("%@x\n", &sums, options), "fffffffffffffffd\n5\n");
    }

    #[test]
    fn printa_dynamic_width_from_keys() {
        let rows = [
            (vec![int(10, 4, true), int(100, 4, true)], AggValue::Sum(1)),
            (vec![int(-10, 4, true), int(200, 4, true)], AggValue::Sum(2)),
        ];
        let sums = [view(AggFunc::Sum, &rows)];
        let options = SortOptions::default();
        let expected = format!("-->{:<10}<--\n-->{:<10}<--\n", 100, 200);
        assert_eq!(formatted("-->%-*d<--\n", &sums, options), expected);
        let expected = format!("-->{:>10}<--\n-->{:<10}<--\n", 100, 200);
        assert_eq!(formatted("-->%*d<--\n", &sums, options), expected);
    }

    #[test]
    fn printa_count_is_unsigned() {
        let options = SortOptions::default();
        let rows = [(vec![], AggValue::Count(u64::MAX))];
        let count = [view(AggFunc::Count, &rows)];
        assert_eq!(formatted("%@d", &count, options), "18446744073709551615");
        let rows = [(vec![], AggValue::Min(-1))];
        let min = [view(AggFunc::Min, &rows)];
        assert_eq!(
            formatted("%@d %@u", &min, options),
            "-1 18446744073709551615"
        );
    }

    #[test]
    fn normalized_values_divide_as_libdtrace_does() {
        let rows = [(vec![], AggValue::Sum(1000))];
        let mut sums = view(AggFunc::Sum, &rows);
        sums.normal = 3;
        assert_eq!(
            layout(&[sums], SortOptions::default()),
            format!(" {:>16}\n", 333)
        );
        // The default layout divides the bits unsigned; `%@d` divides them signed.
        let rows = [(vec![], AggValue::Sum(-10))];
        let mut negative = view(AggFunc::Sum, &rows);
        negative.normal = 5;
        assert_eq!(
            layout(&[negative], SortOptions::default()),
            format!(" {:>16}\n", (-10i64 as u64 / 5) as i64)
        );
        assert_eq!(formatted("%@d", &[negative], SortOptions::default()), "-2");
    }

    #[test]
    fn averages_and_standard_deviations() {
        assert_eq!(stddev(0, 0, 0, 1), 0);
        // 10 and 20: mean 15, mean of squares 250, variance 25.
        assert_eq!(stddev(2, 30, 500, 1), 5);
        // Large values keep their precision: 5e9, 5e9 + 100, 5e9 + 200.
        let squares: u128 = [0u128, 100, 200]
            .iter()
            .map(|offset| (5_000_000_000 + offset).pow(2))
            .sum();
        assert_eq!(stddev(3, 15_000_000_300, squares, 1), 81);
        let rows = [(
            vec![],
            AggValue::Stddev {
                count: 2,
                total: 30,
                squares: 500,
            },
        )];
        assert_eq!(
            default_layout(AggFunc::Stddev, &rows),
            format!(" {:>16}\n", 5)
        );
        // printa's `%@d` divides the average's data unsigned.
        let rows = [(
            vec![],
            AggValue::Avg {
                count: 2,
                total: -4,
            },
        )];
        let avg = [view(AggFunc::Avg, &rows)];
        assert_eq!(
            formatted("%@d", &avg, SortOptions::default()),
            ((-4i64 as u64) / 2).to_string()
        );
    }

    #[test]
    fn histograms_sort_by_weighted_sum_then_zero_bucket() {
        let mut low = vec![0; 127];
        low[63] = 5;
        low[64] = 1;
        let mut high = vec![0; 127];
        high[65] = 1;
        let mut zeros = vec![0; 127];
        zeros[63] = 9;
        zeros[64] = 1;
        let rows = [
            (vec![string("high")], AggValue::Histogram(high)),
            (vec![string("zeros")], AggValue::Histogram(zeros)),
            (vec![string("low")], AggValue::Histogram(low)),
        ];
        let aggs = [view(AggFunc::Quantize, &rows)];
        let text = layout(&aggs, SortOptions::default());
        let keys: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("  ") && !line.trim().is_empty())
            .filter(|line| !line.contains('|') && !line.contains("value"))
            .map(str::trim)
            .collect();
        assert_eq!(keys, ["low", "zeros", "high"]);
    }

    #[test]
    fn histogram_sums_past_double_precision_still_order_rows() {
        // Buckets 1, 2, 4 and 8 weighted so the sums are 2^65 - 15 and 2^65 - 20: one `double`,
        // but two `long double`s, so the key no longer decides.
        let weights = |first: i64, second: i64| {
            let mut buckets = vec![0; 127];
            buckets[64] = first;
            buckets[65] = second;
            buckets[66] = (1 << 61) - 1;
            buckets[67] = (1 << 60) - 1;
            buckets
        };
        let rows = [
            (
                vec![string("a")],
                AggValue::Histogram(weights(i64::MAX, (1 << 62) - 1)),
            ),
            (
                vec![string("b")],
                AggValue::Histogram(weights(i64::MAX - 3, (1 << 62) - 2)),
            ),
        ];
        let sorted: Vec<&[Value]> =
            ordered_rows(view(AggFunc::Quantize, &rows), SortOptions::default())
                .into_iter()
                .map(|(keys, _)| keys)
                .collect();
        assert_eq!(sorted, [&[string("b")][..], &[string("a")][..]]);
    }

    #[test]
    fn trunc_keeps_the_largest_or_smallest_entries() {
        let rows = [
            (vec![int(1, 4, true)], AggValue::Sum(10)),
            (vec![int(2, 4, true)], AggValue::Sum(30)),
            (vec![int(3, 4, true)], AggValue::Sum(20)),
        ];
        let sums = view(AggFunc::Sum, &rows);
        assert_eq!(truncated_keys(&sums, 2), [vec![int(1, 4, true)]]);
        assert_eq!(
            truncated_keys(&sums, -1),
            [vec![int(3, 4, true)], vec![int(2, 4, true)]]
        );
        assert_eq!(truncated_keys(&sums, 0).len(), 3);
        assert!(truncated_keys(&sums, 5).is_empty());
    }
}

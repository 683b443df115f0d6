//! `quantize`, `lquantize` and `llquantize` distributions, byte for byte as dtrace draws them.
//!
//! Every histogram starts with a blank line and the `value  --- Distribution --- count` header,
//! then prints one row per bucket from the bucket before the first non-zero one to the bucket after
//! the last, each with its label, a bar and its count divided by the normalization factor:
//! - when every count is non-negative the bar grows right from `|` over 40 columns;
//! - when every count is non-positive it grows left towards a `|` after 40 columns;
//! - when there are both, each side has 20 columns around a centre `|`.
//!
//! The bar's length is `|count| * width / total + 0.5` columns rounded down, where `total` sums the
//! absolute counts shown; it is computed exactly here, where libdtrace uses `long double`.

use std::fmt::Write as _;

use tracer_ebpf::layout::{AggFunc, AggParams, LogLinear, QUANTIZE_ZERO_BUCKET};

/// The columns of a whole bar.
const BAR_WIDTH: usize = 40;
/// Label bytes dtrace keeps for `llquantize` rows (its buffer is 16 bytes with the NUL).
const LABEL_BYTES: usize = 15;

/// The value of `quantize()`'s bucket `bucket`: `-2^62 .. -1`, 0, `1 .. 2^62`.
pub fn quantize_bucket_value(bucket: usize) -> i64 {
    let zero = QUANTIZE_ZERO_BUCKET as usize;
    match bucket.cmp(&zero) {
        std::cmp::Ordering::Less => -(1i64 << (zero - 1 - bucket)),
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1i64 << (bucket - zero - 1),
    }
}

/// Writes the histogram of an aggregation of `func` with `params`, counts divided by `normal`.
pub fn write_histogram(
    func: AggFunc,
    params: AggParams,
    buckets: &[i64],
    normal: u64,
    out: &mut Vec<u8>,
) {
    let rows = match (func, params) {
        (AggFunc::Lquantize, AggParams::Linear { base, levels, step }) => {
            linear_rows(buckets, base, levels, step)
        }
        (
            AggFunc::Llquantize,
            AggParams::LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            },
        ) => log_linear_rows(
            buckets,
            LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            },
        ),
        _ => quantize_rows(buckets),
    };
    let shown: Vec<i64> = rows.iter().map(|&(_, bucket)| buckets[bucket]).collect();
    let _ = writeln!(
        Sink(out),
        "\n{:>16} {:>41} {:<9}",
        "value",
        "------------- Distribution -------------",
        "count"
    );
    let bar = Bar::new(&shown);
    for (label, bucket) in rows {
        let _ = write!(Sink(out), "{label:>16} ");
        bar.write_row(buckets[bucket], normal, out);
    }
}

/// The buckets to show: from the one before the first non-zero bucket to the one after the last,
/// or the three around `zero_window` when every bucket is zero.
fn shown_range(buckets: &[i64], zero_window: (usize, usize)) -> (usize, usize) {
    let Some(first) = buckets.iter().position(|&count| count != 0) else {
        return zero_window;
    };
    let last = buckets
        .iter()
        .rposition(|&count| count != 0)
        .unwrap_or(first);
    (first.saturating_sub(1), (last + 1).min(buckets.len() - 1))
}

/// `quantize`: each bucket labelled with its power of two.
fn quantize_rows(buckets: &[i64]) -> Vec<(String, usize)> {
    let zero = QUANTIZE_ZERO_BUCKET as usize;
    let (first, last) = shown_range(buckets, (zero - 1, zero + 1));
    (first..=last)
        .map(|bucket| (quantize_bucket_value(bucket).to_string(), bucket))
        .collect()
}

/// `lquantize`: `< base`, each step's lower bound, `>= limit`.
fn linear_rows(buckets: &[i64], base: i32, levels: u16, step: u16) -> Vec<(String, usize)> {
    let (first, last) = shown_range(buckets, (0, 2));
    let (base, levels, step) = (i64::from(base), usize::from(levels), i64::from(step));
    (first..=last)
        .map(|bucket| {
            let label = if bucket == 0 {
                format!("< {base}")
            } else if bucket == levels + 1 {
                format!(">= {}", base + levels as i64 * step)
            } else {
                (base + (bucket as i64 - 1) * step).to_string()
            };
            (label, bucket)
        })
        .collect()
}

/// `llquantize`: the overflow buckets, each magnitude's steps on both sides of the underflow bucket,
/// as dtrace's `dt_print_llquantize` labels them. Buckets no value can reach (with `lmag == 0` and
/// `steps > factor`, some steps below `factor`) have no label and are not shown, unless one ends
/// the shown range, which then takes its nearest label.
fn log_linear_rows(buckets: &[i64], geometry: LogLinear) -> Vec<(String, usize)> {
    let n_buckets = buckets.len() as i64;
    let underflow = i64::from(geometry.underflow_bucket());
    let (first, last) = match buckets.iter().position(|&count| count != 0) {
        None => (underflow + 1, underflow + 1),
        Some(first) => {
            let last = buckets
                .iter()
                .rposition(|&count| count != 0)
                .unwrap_or(first);
            (first as i64, last as i64)
        }
    };
    let (first, last) = ((first - 1).max(0), (last + 1).min(n_buckets - 1));
    let (factor, steps) = (u64::from(geometry.factor), u64::from(geometry.steps));
    let steps_factor = steps / factor;
    let ghosts = geometry.lmag == 0 && steps > factor;
    let pad = if ghosts { steps_factor as i64 } else { 0 };
    let mut labels: Vec<Option<String>> = vec![None; (last - first + 1 + 2 * pad) as usize];
    let mut label = |bucket: i64, text: String| {
        if bucket >= first - pad && bucket <= last + pad {
            let mut text = text;
            text.truncate(LABEL_BYTES);
            labels[(bucket - first + pad) as usize] = Some(text);
        }
    };
    let mut scale = factor.pow(u32::from(geometry.lmag));
    let zero_label = if scale == 1 {
        "0".to_string()
    } else if first >= underflow {
        format!("< {scale}")
    } else {
        format!("abs() < {scale}")
    };
    label(underflow, zero_label);
    label(underflow - 1, format!("-{scale}"));
    label(underflow + 1, scale.to_string());
    let mut magnitude = u32::from(geometry.lmag);
    let mut offset = 1i64;
    if ghosts {
        for step in 2..=factor {
            offset += steps_factor as i64;
            label(underflow - offset, format!("-{step}"));
            label(underflow + offset, step.to_string());
        }
        magnitude += 1;
    }
    scale = factor.pow(magnitude + 1) / steps;
    for _ in magnitude..=u32::from(geometry.hmag) {
        for step in steps_factor + 1..=steps {
            offset += 1;
            label(underflow - offset, format!("-{}", step * scale));
            label(underflow + offset, (step * scale).to_string());
        }
        scale = scale.wrapping_mul(factor);
    }
    let limit = factor.pow(u32::from(geometry.hmag) + 1);
    label(0, format!("<= -{limit}"));
    label(n_buckets - 1, format!(">= {limit}"));
    if pad > 0 {
        fill_ghost_end(&mut labels, pad as usize, (last - first) as usize);
    }
    (first..=last)
        .filter_map(|bucket| {
            let text = labels[(bucket - first + pad) as usize].clone()?;
            Some((text, bucket as usize))
        })
        .collect()
}

/// Gives the first and last shown buckets, when they have no label, the nearest label beyond them
/// (within `pad` buckets), as dtrace does for its "ghost bins".
fn fill_ghost_end(labels: &mut [Option<String>], pad: usize, span: usize) {
    let (first, last) = (pad, pad + span);
    if labels[first].is_none()
        && let Some(found) = (1..pad).find_map(|distance| labels[first - distance].clone())
    {
        labels[first] = Some(found);
    }
    if labels[last].is_none()
        && let Some(found) = (1..pad).find_map(|distance| labels[last + distance].clone())
    {
        labels[last] = Some(found);
    }
}

/// How a histogram's bars are drawn: which sides have counts and their absolute total.
struct Bar {
    positives: bool,
    negatives: bool,
    total: u128,
}

impl Bar {
    fn new(shown: &[i64]) -> Bar {
        Bar {
            positives: shown.iter().any(|&count| count > 0),
            negatives: shown.iter().any(|&count| count < 0),
            total: shown
                .iter()
                .map(|&count| u128::from(count.unsigned_abs()))
                .sum(),
        }
    }

    /// Columns of `width` that `count` fills: `|count| * width / total`, rounded half up.
    fn depth(&self, count: i64, width: usize) -> usize {
        if self.total == 0 {
            return 0;
        }
        let scaled = 2 * u128::from(count.unsigned_abs()) * width as u128 + self.total;
        (scaled / (2 * self.total)) as usize
    }

    /// One row after its label: the bar and the count, as dtrace's `dt_print_quantline`.
    fn write_row(&self, count: i64, normal: u64, out: &mut Vec<u8>) {
        // libdtrace divides the count by the unsigned factor, so the division is unsigned.
        let shown = ((count as u64) / normal.max(1)) as i64;
        let at = |n: usize| "@".repeat(n);
        let space = |n: usize| " ".repeat(n);
        let mut sink = Sink(out);
        let _ = if !self.negatives {
            let depth = if self.positives {
                self.depth(count, BAR_WIDTH)
            } else {
                0
            };
            writeln!(
                sink,
                "|{}{} {shown:<9}",
                at(depth),
                space(BAR_WIDTH - depth)
            )
        } else if !self.positives {
            let depth = self.depth(count, BAR_WIDTH);
            writeln!(
                sink,
                "{}{}| {shown:<9}",
                space(BAR_WIDTH - depth),
                at(depth)
            )
        } else {
            let half = BAR_WIDTH / 2;
            let depth = self.depth(count, half);
            if count <= 0 {
                writeln!(
                    sink,
                    "{}{}|{} {shown:<9}",
                    space(half - depth),
                    at(depth),
                    space(half)
                )
            } else {
                writeln!(
                    sink,
                    "{}|{}{} {shown:<9}",
                    space(half),
                    at(depth),
                    space(half - depth)
                )
            }
        };
    }
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

    const HEADER: &str = "\n           value  ------------- Distribution ------------- count    \n";

    fn histogram(func: AggFunc, params: AggParams, buckets: &[i64], normal: u64) -> String {
        let mut out = Vec::new();
        write_histogram(func, params, buckets, normal, &mut out);
        String::from_utf8(out).expect("output is UTF-8")
    }

    fn quantize(values: &[(i64, i64)]) -> Vec<i64> {
        let mut buckets = vec![0; 127];
        for &(value, count) in values {
            let magnitude = 63 - value.unsigned_abs().leading_zeros() as usize;
            let bucket = match value.signum() {
                1 => 64 + magnitude,
                -1 => 62 - magnitude,
                _ => 63,
            };
            buckets[bucket] += count;
        }
        buckets
    }

    fn row(label: &str, bar: &str, count: &str) -> String {
        format!("{label:>16} {bar} {count:<9}\n")
    }

    #[test]
    fn bucket_values_are_powers_of_two() {
        assert_eq!(quantize_bucket_value(0), -(1 << 62));
        assert_eq!(quantize_bucket_value(62), -1);
        assert_eq!(quantize_bucket_value(63), 0);
        assert_eq!(quantize_bucket_value(64), 1);
        assert_eq!(quantize_bucket_value(126), 1 << 62);
    }

    #[test]
    fn one_value_fills_the_bar_between_empty_neighbours() {
        let buckets = quantize(&[(100, 1)]);
        let expected = format!(
            "{HEADER}{}{}{}",
            row("32", &format!("|{:40}", ""), "0"),
            row("64", &format!("|{}", "@".repeat(40)), "1"),
            row("128", &format!("|{:40}", ""), "0"),
        );
        assert_eq!(
            histogram(AggFunc::Quantize, AggParams::None, &buckets, 1),
            expected
        );
    }

    #[test]
    fn bars_round_half_up_and_counts_divide_by_the_factor() {
        let buckets = quantize(&[(1, 1), (2, 2), (4, 5)]);
        let bar = |n: usize| format!("|{}{}", "@".repeat(n), " ".repeat(40 - n));
        let expected = format!(
            "{HEADER}{}{}{}{}{}",
            row("0", &bar(0), "0"),
            row("1", &bar(5), "0"),
            row("2", &bar(10), "1"),
            row("4", &bar(25), "2"),
            row("8", &bar(0), "0"),
        );
        assert_eq!(
            histogram(AggFunc::Quantize, AggParams::None, &buckets, 2),
            expected
        );
    }

    #[test]
    fn negative_counts_draw_left_and_mixed_counts_split_the_bar() {
        let buckets = quantize(&[(1, -3)]);
        let text = histogram(AggFunc::Quantize, AggParams::None, &buckets, 1);
        assert!(text.contains(&row("1", &format!("{}|", "@".repeat(40)), "-3")));
        assert!(text.contains(&row("0", &format!("{:40}|", ""), "0")));
        let buckets = quantize(&[(-1, -1), (1, 3)]);
        let text = histogram(AggFunc::Quantize, AggParams::None, &buckets, 1);
        assert!(text.contains(&row(
            "-1",
            &format!("{:15}{}|{:20}", "", "@".repeat(5), ""),
            "-1"
        )));
        assert!(text.contains(&row(
            "1",
            &format!("{:20}|{}{:5}", "", "@".repeat(15), ""),
            "3"
        )));
        assert!(text.contains(&row("0", &format!("{:20}|{:20}", "", ""), "0")));
    }

    #[test]
    fn empty_histograms_show_the_buckets_around_zero() {
        let text = histogram(AggFunc::Quantize, AggParams::None, &[0; 127], 1);
        let empty = format!("|{:40}", "");
        let expected = format!(
            "{HEADER}{}{}{}",
            row("-1", &empty, "0"),
            row("0", &empty, "0"),
            row("1", &empty, "0")
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn linear_buckets_have_open_ends() {
        let params = AggParams::Linear {
            base: -10,
            levels: 4,
            step: 5,
        };
        let buckets = [2, 0, 0, 0, 0, 2];
        let text = histogram(AggFunc::Lquantize, params, &buckets, 1);
        let half = format!("|{}{}", "@".repeat(20), " ".repeat(20));
        let empty = format!("|{:40}", "");
        let expected = format!(
            "{HEADER}{}{}{}{}{}{}",
            row("< -10", &half, "2"),
            row("-10", &empty, "0"),
            row("-5", &empty, "0"),
            row("0", &empty, "0"),
            row("5", &empty, "0"),
            row(">= 10", &half, "2"),
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn log_linear_labels_follow_magnitudes() {
        let geometry = AggParams::LogLinear {
            factor: 10,
            lmag: 0,
            hmag: 1,
            steps: 10,
        };
        // 2 * 2 * 9 buckets per side, the underflow bucket and the overflow buckets.
        let mut buckets = vec![0; 39];
        buckets[19 + 3] = 1;
        buckets[19 + 12] = 1;
        let text = histogram(AggFunc::Llquantize, geometry, &buckets, 1);
        let labels: Vec<&str> = text
            .lines()
            .skip(2)
            .map(|line| line[..16].trim_start())
            .collect();
        assert_eq!(
            labels,
            [
                "2", "3", "4", "5", "6", "7", "8", "9", "10", "20", "30", "40"
            ]
        );
    }

    #[test]
    fn log_linear_underflow_label_depends_on_negative_data() {
        let geometry = AggParams::LogLinear {
            factor: 10,
            lmag: 1,
            hmag: 1,
            steps: 10,
        };
        let mut buckets = vec![0; 21];
        buckets[11] = 1;
        let text = histogram(AggFunc::Llquantize, geometry, &buckets, 1);
        assert!(text.contains("            < 10 |"), "{text}");
        buckets[11] = 0;
        buckets[10] = 1;
        let text = histogram(AggFunc::Llquantize, geometry, &buckets, 1);
        assert!(text.contains("      abs() < 10 |"), "{text}");
        assert!(text.contains("             -10 |"), "{text}");
    }
}

//! The values each bucket of `quantize`, `lquantize` and `llquantize` counts.
//!
//! A bucket counts the integers from `min` to `max`, both inclusive, exactly as the generated code
//! picks buckets (tracer-ebpf's `codegen/agg.rs`, which follows DTrace):
//! - `quantize`: bucket 63 counts 0; bucket `63 + n` counts `2^(n-1) .. 2^n - 1` and bucket
//!   `63 - n` their negatives; the last buckets reach `i64::MAX` and `i64::MIN`.
//! - `lquantize(x, base, limit, step)`: bucket 0 counts everything below `base`, bucket `i`
//!   counts `base + (i-1)*step .. base + i*step - 1`, the last one everything from `limit` on.
//! - `llquantize(x, factor, lmag, hmag, steps)`: the middle bucket counts `|x| < factor^lmag`;
//!   each magnitude `m` splits `factor^m .. factor^(m+1) - 1` into `steps` buckets of equal width
//!   (those below `factor^m` belong to lower magnitudes), positive values above the middle and
//!   negative ones mirrored below it; the outer buckets count `|x| >= factor^(hmag+1)`. With
//!   `lmag` 0 and more steps than `factor`, some buckets of magnitude 0 count no integer at all.

use tracer_ebpf::layout::{AggParams, LogLinear, QUANTIZE_BUCKETS, QUANTIZE_ZERO_BUCKET};

/// The integers one bucket counts, both bounds inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketRange {
    /// The smallest value the bucket counts.
    pub min: i64,
    /// The largest value the bucket counts.
    pub max: i64,
}

/// The range of bucket `bucket` of a distribution with `params` (`AggParams::None` for
/// `quantize`), or `None` for a bucket past the end or one that counts no integer.
pub fn bucket_range(params: AggParams, bucket: usize) -> Option<BucketRange> {
    match params {
        AggParams::None => quantize_range(bucket),
        AggParams::Linear { base, levels, step } => linear_range(base, levels, step, bucket),
        AggParams::LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        } => log_linear_range(
            LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            },
            bucket,
        ),
    }
}

fn quantize_range(bucket: usize) -> Option<BucketRange> {
    let zero = QUANTIZE_ZERO_BUCKET as usize;
    if bucket >= QUANTIZE_BUCKETS as usize {
        return None;
    }
    let range = match bucket.cmp(&zero) {
        std::cmp::Ordering::Equal => BucketRange { min: 0, max: 0 },
        std::cmp::Ordering::Greater => {
            let power = bucket - zero;
            BucketRange {
                min: 1 << (power - 1),
                max: if power == 63 {
                    i64::MAX
                } else {
                    (1 << power) - 1
                },
            }
        }
        std::cmp::Ordering::Less => {
            let power = zero - bucket;
            BucketRange {
                min: if power == 63 {
                    i64::MIN
                } else {
                    1 - (1 << power)
                },
                max: -(1 << (power - 1)),
            }
        }
    };
    Some(range)
}

fn linear_range(base: i32, levels: u16, step: u16, bucket: usize) -> Option<BucketRange> {
    let (base, step) = (i64::from(base), i64::from(step));
    let levels = usize::from(levels);
    let lower = |level: usize| base + level as i64 * step;
    match bucket {
        0 => Some(BucketRange {
            min: i64::MIN,
            max: base - 1,
        }),
        _ if bucket <= levels => Some(BucketRange {
            min: lower(bucket - 1),
            max: lower(bucket) - 1,
        }),
        _ if bucket == levels + 1 => Some(BucketRange {
            min: lower(levels),
            max: i64::MAX,
        }),
        _ => None,
    }
}

fn log_linear_range(geometry: LogLinear, bucket: usize) -> Option<BucketRange> {
    let underflow = geometry.underflow_bucket() as usize;
    if bucket >= geometry.n_buckets() as usize {
        return None;
    }
    let (low, high) = magnitude_range(geometry, bucket.abs_diff(underflow) as u64)?;
    let clamp = |value: i128| value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    let (min, max) = match bucket.cmp(&underflow) {
        std::cmp::Ordering::Equal => (-high, high),
        std::cmp::Ordering::Greater => (low, high),
        std::cmp::Ordering::Less => (-high, -low),
    };
    let range = BucketRange {
        min: clamp(min),
        max: clamp(max),
    };
    Some(range)
}

/// The absolute values `|x|` counted `distance` buckets from the middle bucket, both inclusive;
/// `None` when no integer lands there.
fn magnitude_range(geometry: LogLinear, distance: u64) -> Option<(i128, i128)> {
    let factor = i128::from(geometry.factor);
    let steps = i128::from(geometry.steps);
    let per_magnitude = u64::from(geometry.buckets_per_magnitude());
    let (lmag, hmag) = (u32::from(geometry.lmag), u32::from(geometry.hmag));
    // |INT64_MIN|, which lands in the outer buckets like every other value past the last magnitude.
    let largest = 1i128 << 63;
    if distance == 0 {
        return Some((0, factor.pow(lmag) - 1));
    }
    let overflow = u64::from(hmag - lmag + 1) * per_magnitude + 1;
    if distance == overflow {
        return Some((factor.pow(hmag + 1), largest));
    }
    let magnitude = lmag + u32::try_from((distance - 1) / per_magnitude).ok()?;
    let step = i128::from((distance - 1) % per_magnitude) + steps / factor;
    let limit = factor.pow(magnitude + 1);
    let (first, next) = if magnitude == 0 {
        // The generated code computes `|x| * steps / factor`: bucket `step` starts at the first
        // integer whose product reaches it.
        let ceiling = |step: i128| (step * limit + steps - 1) / steps;
        (ceiling(step), ceiling(step + 1))
    } else {
        let width = limit / steps;
        (step * width, (step + 1) * width)
    };
    let low = first.max(factor.pow(magnitude));
    let high = (next - 1).min(limit - 1);
    (low <= high).then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `quantize`'s bucket of `x`, as the generated code computes it.
    fn quantize_bucket(x: i64) -> usize {
        if x == 0 {
            return 63;
        }
        if x == i64::MIN {
            return 0;
        }
        let power = 64 - x.unsigned_abs().leading_zeros() as usize;
        if x > 0 { 63 + power } else { 63 - power }
    }

    /// `lquantize`'s bucket of `x`, as the generated code computes it.
    fn linear_bucket(x: i64, base: i32, levels: u16, step: u16) -> usize {
        if x < i64::from(base) {
            return 0;
        }
        let level = (x.wrapping_sub(i64::from(base)) as u64) / u64::from(step);
        level.min(u64::from(levels)) as usize + 1
    }

    /// `llquantize`'s bucket of `x`, as the generated code computes it.
    fn log_linear_bucket(x: i64, geometry: LogLinear) -> usize {
        let absolute = x.unsigned_abs();
        let factor = u64::from(geometry.factor);
        let steps = u64::from(geometry.steps);
        let per_magnitude = u64::from(geometry.buckets_per_magnitude());
        let underflow = i64::from(geometry.underflow_bucket());
        if absolute < factor.pow(u32::from(geometry.lmag)) {
            return underflow as usize;
        }
        let mut distance =
            (u64::from(geometry.hmag) - u64::from(geometry.lmag) + 1) * per_magnitude + 1;
        for magnitude in geometry.lmag..=geometry.hmag {
            let limit = factor.pow(u32::from(magnitude) + 1);
            if absolute < limit {
                let step = if magnitude == 0 {
                    absolute * steps / limit
                } else {
                    absolute / (limit / steps)
                };
                distance = u64::from(magnitude - geometry.lmag) * per_magnitude + step
                    - steps / factor
                    + 1;
                break;
            }
        }
        let signed = if x < 0 {
            -(distance as i64)
        } else {
            distance as i64
        };
        (underflow + signed) as usize
    }

    /// Values near every power of two and of ten, both signs, and the extremes.
    fn probes() -> Vec<i64> {
        let mut values = vec![0, i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1];
        for shift in 0..63 {
            for delta in [-1, 0, 1] {
                values.push((1i64 << shift) + delta);
            }
        }
        let mut power = 1i64;
        while let Some(next) = power.checked_mul(10) {
            for delta in [-1, 0, 1] {
                values.push(power + delta);
            }
            power = next;
        }
        values.extend(-1000..=1000);
        let negatives: Vec<i64> = values.iter().map(|value| value.saturating_neg()).collect();
        values.extend(negatives);
        values
    }

    /// The ranges of all `n_buckets` buckets cover every `i64` once, in order.
    fn assert_partition(params: AggParams, n_buckets: usize) {
        let ranges: Vec<BucketRange> = (0..n_buckets)
            .filter_map(|bucket| bucket_range(params, bucket))
            .collect();
        assert_eq!(ranges.first().map(|range| range.min), Some(i64::MIN));
        assert_eq!(ranges.last().map(|range| range.max), Some(i64::MAX));
        for pair in ranges.windows(2) {
            assert!(pair[0].min <= pair[0].max, "{params:?}: {pair:?}");
            assert_eq!(pair[0].max + 1, pair[1].min, "{params:?}: {pair:?}");
        }
        assert_eq!(bucket_range(params, n_buckets), None);
    }

    fn assert_counts(params: AggParams, bucket_of: impl Fn(i64) -> usize) {
        for x in probes() {
            let bucket = bucket_of(x);
            let range = bucket_range(params, bucket).unwrap_or_else(|| {
                panic!("{params:?}: {x} lands in bucket {bucket}, which has no range")
            });
            assert!(
                range.min <= x && x <= range.max,
                "{params:?}: {x} lands in bucket {bucket}, whose range is {range:?}"
            );
        }
    }

    #[test]
    fn quantize_buckets_are_powers_of_two() {
        assert_eq!(quantize_range(63), Some(BucketRange { min: 0, max: 0 }));
        assert_eq!(quantize_range(64), Some(BucketRange { min: 1, max: 1 }));
        assert_eq!(quantize_range(66), Some(BucketRange { min: 4, max: 7 }));
        assert_eq!(quantize_range(61), Some(BucketRange { min: -3, max: -2 }));
        assert_eq!(
            quantize_range(126),
            Some(BucketRange {
                min: 1 << 62,
                max: i64::MAX
            })
        );
        assert_eq!(
            quantize_range(0),
            Some(BucketRange {
                min: i64::MIN,
                max: -(1 << 62)
            })
        );
        assert_partition(AggParams::None, QUANTIZE_BUCKETS as usize);
        assert_counts(AggParams::None, quantize_bucket);
    }

    #[test]
    fn linear_buckets_are_steps() {
        let params = AggParams::Linear {
            base: -10,
            levels: 4,
            step: 5,
        };
        assert_eq!(
            bucket_range(params, 0),
            Some(BucketRange {
                min: i64::MIN,
                max: -11
            })
        );
        assert_eq!(
            bucket_range(params, 1),
            Some(BucketRange { min: -10, max: -6 })
        );
        assert_eq!(
            bucket_range(params, 5),
            Some(BucketRange {
                min: 10,
                max: i64::MAX
            })
        );
        for (base, levels, step) in [(-10, 4, 5), (0, 100, 1), (i32::MIN, 65_535, 65_535)] {
            let params = AggParams::Linear { base, levels, step };
            assert_partition(params, usize::from(levels) + 2);
            assert_counts(params, |x| linear_bucket(x, base, levels, step));
        }
    }

    #[test]
    fn log_linear_buckets_follow_the_generated_code() {
        let geometries = [
            (10, 0, 2, 10),
            (10, 0, 6, 20),
            (10, 2, 4, 5),
            (2, 0, 61, 4),
            (4, 1, 3, 16),
            (10, 1, 17, 100),
        ];
        for (factor, lmag, hmag, steps) in geometries {
            let geometry = LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            };
            let params = AggParams::LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            };
            assert_partition(params, geometry.n_buckets() as usize);
            assert_counts(params, |x| log_linear_bucket(x, geometry));
        }
        let params = AggParams::LogLinear {
            factor: 10,
            lmag: 0,
            hmag: 2,
            steps: 10,
        };
        let middle = LogLinear {
            factor: 10,
            lmag: 0,
            hmag: 2,
            steps: 10,
        }
        .underflow_bucket() as usize;
        assert_eq!(
            bucket_range(params, middle),
            Some(BucketRange { min: 0, max: 0 })
        );
        assert_eq!(
            bucket_range(params, middle + 10),
            Some(BucketRange { min: 10, max: 19 })
        );
        assert_eq!(
            bucket_range(params, middle - 10),
            Some(BucketRange { min: -19, max: -10 })
        );
    }
}

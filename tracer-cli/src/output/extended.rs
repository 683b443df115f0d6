//! The x87 `long double` arithmetic libdtrace sorts histograms with.
//!
//! libdtrace orders `quantize`, `lquantize` and `llquantize` rows by the sum of each bucket's value
//! times its count, computed in `long double`: on x86-64 a 64-bit significand, so sums near 2^65
//! still tell apart values that a `double` (53 bits) rounds to the same number. [`Extended`] keeps a
//! sign, a 64-bit significand and a binary exponent, and rounds every sum, product and quotient to
//! the nearest representable value, ties to even, as the x87 unit does in its default mode.

use std::cmp::Ordering;
use std::ops::{Add, Mul};

/// A number `(-1)^negative * significand * 2^exponent`, with the significand's top bit set (or the
/// significand 0 for zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extended {
    negative: bool,
    significand: u64,
    exponent: i32,
}

impl Extended {
    /// Zero.
    pub const ZERO: Extended = Extended {
        negative: false,
        significand: 0,
        exponent: 0,
    };

    /// `value`, exactly: every `i64` fits in 64 bits of significand.
    pub fn from_i64(value: i64) -> Extended {
        round(value < 0, u128::from(value.unsigned_abs()), 0)
    }

    /// `self / rhs`, rounded; `None` when `rhs` is zero.
    pub fn checked_div(self, rhs: Extended) -> Option<Extended> {
        if rhs.significand == 0 {
            return None;
        }
        let divisor = u128::from(rhs.significand);
        let dividend = u128::from(self.significand) << 64;
        let (quotient, remainder) = (dividend / divisor, dividend % divisor);
        // Two more quotient bits, then whatever remains as a sticky bit.
        let extra = remainder << 2;
        let wide = (quotient << 3) | (extra / divisor) << 1 | u128::from(extra % divisor != 0);
        Some(round(
            self.negative != rhs.negative,
            wide,
            self.exponent - rhs.exponent - 67,
        ))
    }
}

impl Add for Extended {
    type Output = Extended;

    /// `self + rhs`, rounded.
    fn add(self, rhs: Extended) -> Extended {
        if self.significand == 0 {
            return rhs;
        }
        if rhs.significand == 0 {
            return self;
        }
        let (big, small) = if (self.exponent, self.significand) >= (rhs.exponent, rhs.significand) {
            (self, rhs)
        } else {
            (rhs, self)
        };
        // The larger operand sits at bits 126..63, leaving 63 guard bits below it; bits of the
        // smaller one shifted out past them only matter as a sticky bit.
        let exponent = big.exponent - 63;
        let big_wide = u128::from(big.significand) << 63;
        let shift = u32::try_from(big.exponent - small.exponent).unwrap_or(u32::MAX);
        let small_wide = shift_sticky(u128::from(small.significand) << 63, shift);
        if big.negative == small.negative {
            round(big.negative, big_wide + small_wide, exponent)
        } else {
            round(big.negative, big_wide - small_wide, exponent)
        }
    }
}

impl Mul for Extended {
    type Output = Extended;

    /// `self * rhs`, rounded.
    fn mul(self, rhs: Extended) -> Extended {
        let product = u128::from(self.significand) * u128::from(rhs.significand);
        round(
            self.negative != rhs.negative,
            product,
            self.exponent + rhs.exponent,
        )
    }
}

impl PartialOrd for Extended {
    fn partial_cmp(&self, rhs: &Extended) -> Option<Ordering> {
        Some(self.cmp(rhs))
    }
}

impl Ord for Extended {
    fn cmp(&self, rhs: &Extended) -> Ordering {
        let sign = |value: &Extended| match (value.significand, value.negative) {
            (0, _) => 0,
            (_, true) => -1,
            (_, false) => 1,
        };
        let magnitude = |value: &Extended| (value.exponent, value.significand);
        match sign(self).cmp(&sign(rhs)) {
            Ordering::Equal if sign(self) == 0 => Ordering::Equal,
            Ordering::Equal if self.negative => magnitude(rhs).cmp(&magnitude(self)),
            Ordering::Equal => magnitude(self).cmp(&magnitude(rhs)),
            unequal => unequal,
        }
    }
}

/// `value >> shift`, with a 1 in the lowest bit when any bit shifted out was set.
fn shift_sticky(value: u128, shift: u32) -> u128 {
    if shift == 0 {
        return value;
    }
    if shift >= 128 {
        return u128::from(value != 0);
    }
    let lost = value & ((1u128 << shift) - 1);
    (value >> shift) | u128::from(lost != 0)
}

/// `(-1)^negative * wide * 2^exponent` rounded to 64 bits of significand, ties to even. The lowest
/// bit of `wide` may be a sticky bit: callers keep at least two bits below the rounding point.
fn round(negative: bool, wide: u128, exponent: i32) -> Extended {
    if wide == 0 {
        return Extended::ZERO;
    }
    let width = 128 - wide.leading_zeros();
    if width <= 64 {
        let shift = 64 - width;
        return Extended {
            negative,
            significand: (wide << shift) as u64,
            exponent: exponent - shift as i32,
        };
    }
    let shift = width - 64;
    let rest = wide & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let mut significand = (wide >> shift) as u64;
    let mut exponent = exponent + shift as i32;
    if rest > half || (rest == half && significand & 1 == 1) {
        significand = significand.wrapping_add(1);
        if significand == 0 {
            significand = 1 << 63;
            exponent += 1;
        }
    }
    Extended {
        negative,
        significand,
        exponent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64) -> Extended {
        Extended::from_i64(value)
    }

    #[test]
    fn integers_are_exact_and_ordered() {
        assert!(int(i64::MIN) < int(-1));
        assert!(int(-1) < Extended::ZERO);
        assert!(Extended::ZERO < int(1));
        assert!(int(i64::MAX - 1) < int(i64::MAX));
        assert_eq!(int(5).add(int(-5)), Extended::ZERO);
        assert_eq!(int(3).mul(int(-4)), int(-12));
        assert_eq!(int(-12).checked_div(int(4)), Some(int(-3)));
        assert_eq!(int(1).checked_div(Extended::ZERO), None);
    }

    #[test]
    fn sums_keep_sixty_four_bits() {
        // 2^65 - 15 and 2^65 - 20 are the same `double` but not the same `long double`; the odd
        // one rounds to the even neighbour 2^65 - 16.
        let big = |low: i64| int(i64::MAX).mul(int(4)).add(int(low));
        assert!(big(4 - 20) < big(4 - 15));
        assert_eq!(big(4 - 15), big(4 - 16));
        assert_ne!(big(4 - 14), big(4 - 16));
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        let two_64 = int(1 << 62).mul(int(4));
        // 2^64 + 1 is halfway between 2^64 and 2^64 + 2: the even significand wins.
        assert_eq!(two_64.add(int(1)), two_64);
        assert_eq!(two_64.add(int(3)), two_64.add(int(4)));
        // Just over halfway rounds up.
        let quarter = int(1).checked_div(int(4)).unwrap();
        assert_eq!(two_64.add(int(1)).add(quarter), two_64);
        assert_eq!(two_64.add(int(1).add(quarter)), two_64.add(int(2)));
    }

    #[test]
    fn quotients_round() {
        let third = int(1).checked_div(int(3)).unwrap();
        assert!(third.mul(int(3)) <= int(1));
        assert!(int(2).checked_div(int(3)).unwrap() > third);
        assert_eq!(int(10).checked_div(int(5)), Some(int(2)));
    }
}

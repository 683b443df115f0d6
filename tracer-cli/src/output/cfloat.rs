//! `printf`'s floating-point conversions `%e %E %f %F %g %G`, as glibc formats a `double`.
//!
//! D has no floating-point arithmetic, so a `float` or `double` reaches the consumer as the IEEE
//! bits it had in memory, and libdtrace hands the value to C's `printf`. Rust's own formatting
//! rounds exactly as glibc does (the decimal nearest to the binary value, ties to even), so the
//! digits come from it and this module lays them out in C's shape: the exponent with a sign and
//! at least two digits, `%g`'s choice between the two styles and its trimmed zeros, `inf` and
//! `nan`, and the `+`, space, `#`, `0` and `-` flags.

/// The flags, width and precision of one conversion.
#[derive(Clone, Copy, Debug, Default)]
pub struct FloatSpec {
    /// `-`: pad on the right.
    pub left: bool,
    /// `0`: pad with zeros after the sign.
    pub zero: bool,
    /// `+`: a sign even for positive values.
    pub plus: bool,
    /// ` `: a space where a positive value has no sign.
    pub space: bool,
    /// `#`: always a decimal point; `%g` keeps its trailing zeros.
    pub alt: bool,
    /// The field width.
    pub width: usize,
    /// The precision, or `None` for C's default of 6.
    pub precision: Option<usize>,
}

/// The value of a recorded floating-point number: the IEEE bits of a `float` (4 bytes) or a
/// `double` (8 bytes).
pub fn from_bits(bits: u64, size: u8) -> f64 {
    if size == 4 {
        f64::from(f32::from_bits(bits as u32))
    } else {
        f64::from_bits(bits)
    }
}

/// Writes `value` as conversion `conv` (`e E f F g G`) would.
pub fn write(value: f64, conv: u8, spec: &FloatSpec, out: &mut Vec<u8>) {
    let upper = conv.is_ascii_uppercase();
    let sign: &[u8] = if value.is_sign_negative() {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    let magnitude = value.abs();
    let body = if magnitude.is_nan() || magnitude.is_infinite() {
        let word = if magnitude.is_nan() { "nan" } else { "inf" };
        pad_spaces(spec, sign, word, upper, out);
        return;
    } else {
        let precision = spec.precision.unwrap_or(6);
        match conv.to_ascii_lowercase() {
            b'e' => exponential(magnitude, precision, spec.alt),
            b'f' => fixed(magnitude, precision, spec.alt),
            _ => general(magnitude, precision, spec.alt),
        }
    };
    let body = if upper {
        body.to_ascii_uppercase()
    } else {
        body
    };
    let fill = spec.width.saturating_sub(sign.len() + body.len());
    if spec.left {
        out.extend_from_slice(sign);
        out.extend_from_slice(body.as_bytes());
        out.resize(out.len() + fill, b' ');
    } else if spec.zero {
        out.extend_from_slice(sign);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body.as_bytes());
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(sign);
        out.extend_from_slice(body.as_bytes());
    }
}

/// `inf` and `nan` ignore the `0` flag.
fn pad_spaces(spec: &FloatSpec, sign: &[u8], word: &str, upper: bool, out: &mut Vec<u8>) {
    let word = if upper {
        word.to_ascii_uppercase()
    } else {
        word.to_owned()
    };
    let fill = spec.width.saturating_sub(sign.len() + word.len());
    if !spec.left {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(sign);
    out.extend_from_slice(word.as_bytes());
    if spec.left {
        out.resize(out.len() + fill, b' ');
    }
}

/// `%f` of a non-negative finite value.
fn fixed(magnitude: f64, precision: usize, alt: bool) -> String {
    let mut text = format!("{magnitude:.precision$}");
    if alt && precision == 0 {
        text.push('.');
    }
    text
}

/// `%e` of a non-negative finite value: one digit, the fraction, and `e±XX`.
fn exponential(magnitude: f64, precision: usize, alt: bool) -> String {
    let (mantissa, exponent) = split_exponential(magnitude, precision);
    let point = if alt && precision == 0 { "." } else { "" };
    let exponent_sign = if exponent < 0 { '-' } else { '+' };
    format!(
        "{mantissa}{point}e{exponent_sign}{:02}",
        exponent.unsigned_abs()
    )
}

/// Rust's `{:.precision$e}` split into its mantissa and its decimal exponent.
fn split_exponential(magnitude: f64, precision: usize) -> (String, i32) {
    let text = format!("{magnitude:.precision$e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa.to_owned(), exponent.parse().unwrap_or(0)),
        None => (text, 0),
    }
}

/// `%g`: `%e` when the exponent is below -4 or not below the precision, `%f` otherwise, with
/// trailing zeros (and a bare decimal point) removed unless `#` is given.
fn general(magnitude: f64, precision: usize, alt: bool) -> String {
    let significant = precision.max(1);
    let (_, exponent) = split_exponential(magnitude, significant - 1);
    let significant_i32 = i32::try_from(significant).unwrap_or(i32::MAX);
    let text = if exponent < -4 || exponent >= significant_i32 {
        exponential(magnitude, significant - 1, alt)
    } else {
        let decimals = usize::try_from(significant_i32 - 1 - exponent).unwrap_or(0);
        fixed(magnitude, decimals, alt)
    };
    if alt {
        return text;
    }
    let (number, exponent_part) = match text.find('e') {
        Some(at) => text.split_at(at),
        None => (text.as_str(), ""),
    };
    let number = if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    };
    format!("{number}{exponent_part}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(value: f64, conv: u8, spec: FloatSpec) -> String {
        let mut out = Vec::new();
        write(value, conv, &spec, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn plain(value: f64, conv: u8) -> String {
        show(value, conv, FloatSpec::default())
    }

    fn with_precision(value: f64, conv: u8, precision: usize) -> String {
        show(
            value,
            conv,
            FloatSpec {
                precision: Some(precision),
                ..FloatSpec::default()
            },
        )
    }

    #[test]
    fn zero_in_every_conversion() {
        assert_eq!(plain(0.0, b'e'), "0.000000e+00");
        assert_eq!(plain(0.0, b'E'), "0.000000E+00");
        assert_eq!(plain(0.0, b'f'), "0.000000");
        assert_eq!(plain(0.0, b'g'), "0");
        assert_eq!(plain(0.0, b'G'), "0");
        assert_eq!(plain(-0.0, b'f'), "-0.000000");
    }

    #[test]
    fn exponents_have_a_sign_and_two_digits_at_least() {
        assert_eq!(plain(1234.5, b'e'), "1.234500e+03");
        assert_eq!(plain(0.000_123, b'e'), "1.230000e-04");
        assert_eq!(plain(1e300, b'E'), "1.000000E+300");
        assert_eq!(with_precision(2.5, b'e', 0), "2e+00");
    }

    #[test]
    fn rounding_is_to_the_nearest_decimal() {
        assert_eq!(with_precision(0.125, b'f', 2), "0.12");
        assert_eq!(with_precision(0.375, b'f', 2), "0.38");
        assert_eq!(with_precision(2.675, b'f', 2), "2.67");
        assert_eq!(plain(1.0 / 3.0, b'f'), "0.333333");
    }

    #[test]
    fn general_picks_the_shorter_style_and_trims_zeros() {
        assert_eq!(plain(100_000.0, b'g'), "100000");
        assert_eq!(plain(1_000_000.0, b'g'), "1e+06");
        assert_eq!(plain(0.0001, b'g'), "0.0001");
        assert_eq!(plain(0.000_01, b'G'), "1E-05");
        assert_eq!(plain(3.25, b'g'), "3.25");
        assert_eq!(with_precision(123_456.0, b'g', 3), "1.23e+05");
        assert_eq!(plain(999_999.5, b'g'), "1e+06");
        assert_eq!(
            show(
                3.0,
                b'g',
                FloatSpec {
                    alt: true,
                    ..FloatSpec::default()
                }
            ),
            "3.00000"
        );
    }

    #[test]
    fn flags_and_widths() {
        let spec = |left, zero, plus, space| FloatSpec {
            left,
            zero,
            plus,
            space,
            width: 10,
            precision: Some(2),
            alt: false,
        };
        assert_eq!(
            show(-1.5, b'f', spec(false, false, false, false)),
            "     -1.50"
        );
        assert_eq!(
            show(-1.5, b'f', spec(false, true, false, false)),
            "-000001.50"
        );
        assert_eq!(
            show(1.5, b'f', spec(true, false, true, false)),
            "+1.50     "
        );
        assert_eq!(
            show(1.5, b'f', spec(false, false, false, true)),
            "      1.50"
        );
        assert_eq!(
            show(f64::INFINITY, b'f', spec(false, true, false, false)),
            "       inf"
        );
        assert_eq!(plain(f64::NEG_INFINITY, b'E'), "-INF");
        assert_eq!(plain(f64::NAN, b'g'), "nan");
    }

    #[test]
    fn floats_widen_to_double() {
        assert_eq!(
            from_bits(u64::from(1.5f32.to_bits()), 4).to_bits(),
            1.5f64.to_bits()
        );
        assert_eq!(from_bits(0.1f64.to_bits(), 8).to_bits(), 0.1f64.to_bits());
        assert_eq!(
            with_precision(from_bits(u64::from(0.1f32.to_bits()), 4), b'f', 10),
            "0.1000000015"
        );
    }
}

//! Parsers for option values, one per libdtrace value syntax (`dt_opt_runtime`, `dt_optval_parse`,
//! `dt_opt_rate`, `dt_version_str2num`, `dtrace_str2attr`).
//!
//! They are apart from the option table so that each syntax is tested once, whichever options
//! share it.

use super::options::OptionError;

const KIB: u64 = 1024;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// `dt_opt_runtime`: a yes/no word or a non-negative number. No value means 0 (which counts as
/// set) and an empty value unsets the option.
pub(super) fn runtime(value: Option<&str>) -> Result<Option<u64>, OptionError> {
    const COUPLES: &[(&str, &str)] = &[
        ("yes", "no"),
        ("enable", "disable"),
        ("enabled", "disabled"),
        ("true", "false"),
        ("on", "off"),
        ("set", "unset"),
    ];
    let Some(text) = value else {
        return Ok(Some(0));
    };
    if text.is_empty() {
        return Ok(None);
    }
    for (positive, negative) in COUPLES {
        if text.eq_ignore_ascii_case(positive) {
            return Ok(Some(1));
        }
        if text.eq_ignore_ascii_case(negative) {
            return Ok(None);
        }
    }
    match c_number(text) {
        Some((number, "")) => Ok(Some(number)),
        _ => Err(OptionError::InvalidValue),
    }
}

/// `dt_optval_parse`: a number of bytes with an optional `k`, `m`, `g` or `t` suffix.
pub(super) fn size(text: &str) -> Result<u64, OptionError> {
    let (digits, multiplier) = match text.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'k') => (&text[..text.len() - 1], KIB),
        Some(b'm') => (&text[..text.len() - 1], KIB * KIB),
        Some(b'g') => (&text[..text.len() - 1], KIB * KIB * KIB),
        Some(b't') => (&text[..text.len() - 1], KIB * KIB * KIB * KIB),
        _ => (text, 1),
    };
    let Some((number, "")) = c_number(digits) else {
        return Err(OptionError::InvalidValue);
    };
    number
        .checked_mul(multiplier)
        .filter(|bytes| i64::try_from(*bytes).is_ok())
        .ok_or(OptionError::InvalidValue)
}

/// `dt_opt_rate`: a time (nanoseconds without a suffix) or a frequency in `hz`, in nanoseconds.
pub(super) fn rate(text: &str) -> Result<u64, OptionError> {
    const SUFFIXES: &[(&str, u64)] = &[
        ("ns", 1),
        ("nsec", 1),
        ("us", 1_000),
        ("usec", 1_000),
        ("ms", 1_000_000),
        ("msec", 1_000_000),
        ("s", NANOS_PER_SEC),
        ("sec", NANOS_PER_SEC),
        ("m", 60 * NANOS_PER_SEC),
        ("min", 60 * NANOS_PER_SEC),
        ("h", 3600 * NANOS_PER_SEC),
        ("hour", 3600 * NANOS_PER_SEC),
        ("d", 86_400 * NANOS_PER_SEC),
        ("day", 86_400 * NANOS_PER_SEC),
    ];
    let Some((number, suffix)) = c_number(text) else {
        return Err(OptionError::InvalidValue);
    };
    if suffix.eq_ignore_ascii_case("hz") {
        return Ok(NANOS_PER_SEC.checked_div(number).unwrap_or(0));
    }
    let multiplier = if suffix.is_empty() {
        1
    } else {
        match SUFFIXES
            .iter()
            .find(|(name, _)| suffix.eq_ignore_ascii_case(name))
        {
            Some((_, multiplier)) => *multiplier,
            None => return Err(OptionError::InvalidValue),
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or(OptionError::InvalidValue)
}

/// C's `atoi`: optional blanks and sign, then as many decimal digits as there are; 0 when none.
pub(super) fn atoi(text: &str) -> i64 {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |value, digit| {
            value
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'))
        });
    if negative { -magnitude } else { magnitude }
}

/// Reads a non-negative integer the way `strtoull(text, &end, 0)` does (`0x` for hexadecimal, a
/// leading `0` for octal) and returns it with the unread rest, or `None` when no digit was read,
/// the number is negative or it overflows.
pub(super) fn c_number(text: &str) -> Option<(u64, &str)> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    let (radix, digits) = match unsigned.as_bytes() {
        [b'0', b'x' | b'X', next, ..] if next.is_ascii_hexdigit() => (16, &unsigned[2..]),
        [b'0', ..] => (8, unsigned),
        _ => (10, unsigned),
    };
    let n_digits = digits
        .bytes()
        .take_while(|byte| char::from(*byte).is_digit(radix))
        .count();
    if n_digits == 0 {
        return None;
    }
    let number = u64::from_str_radix(&digits[..n_digits], radix).ok()?;
    Some((number, &digits[n_digits..]))
}

/// `dt_version_str2num`: `major[.minor[.micro]]`, encoded as libdtrace encodes versions.
pub(super) fn version(text: &str) -> Option<u32> {
    let mut parts = [0u32; 3];
    let mut part_idx = 0;
    for ch in text.chars() {
        match ch.to_digit(10) {
            Some(digit) => {
                parts[part_idx] = parts[part_idx].checked_mul(10)?.checked_add(digit)?;
            }
            None if ch == '.' && part_idx < 2 => part_idx += 1,
            None => return None,
        }
    }
    let [major, minor, micro] = parts;
    if major > 0xff || minor > 0xfff || micro > 0xfff {
        return None;
    }
    Some(version_number(major, minor, micro))
}

/// `DT_VERSION_NUMBER`.
pub(super) const fn version_number(major: u32, minor: u32, micro: u32) -> u32 {
    (major << 24) | (minor << 12) | micro
}

/// `dtrace_str2attr`: up to three `/`-separated names, two stabilities and a dependency class.
pub(super) fn attributes(text: &str) -> bool {
    const STABILITIES: &[&str] = &[
        "internal", "private", "obsolete", "external", "unstable", "evolving", "stable", "standard",
    ];
    const CLASSES: &[&str] = &["unknown", "cpu", "platform", "group", "isa", "common"];
    let known =
        |names: &[&str], part: &str| names.iter().any(|name| part.eq_ignore_ascii_case(name));
    let parts: Vec<&str> = text.split('/').filter(|part| !part.is_empty()).collect();
    match parts.as_slice() {
        [] => true,
        [name] => known(STABILITIES, name),
        [name, data] => known(STABILITIES, name) && known(STABILITIES, data),
        [name, data, class] => {
            known(STABILITIES, name) && known(STABILITIES, data) && known(CLASSES, class)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_values_are_words_or_numbers() {
        assert_eq!(runtime(None), Ok(Some(0)));
        assert_eq!(runtime(Some("yes")), Ok(Some(1)));
        assert_eq!(runtime(Some("ON")), Ok(Some(1)));
        assert_eq!(runtime(Some("disabled")), Ok(None));
        assert_eq!(runtime(Some("")), Ok(None));
        assert_eq!(runtime(Some("0x10")), Ok(Some(16)));
        assert_eq!(runtime(Some("010")), Ok(Some(8)));
        assert_eq!(runtime(Some("-72")), Err(OptionError::InvalidValue));
        assert_eq!(runtime(Some("4x")), Err(OptionError::InvalidValue));
        assert_eq!(
            runtime(Some("99999999999999999999")),
            Err(OptionError::InvalidValue)
        );
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(size("512"), Ok(512));
        assert_eq!(size("4k"), Ok(4 * KIB));
        assert_eq!(size("4K"), Ok(4 * KIB));
        assert_eq!(size("2m"), Ok(2 * KIB * KIB));
        assert_eq!(size("1g"), Ok(KIB * KIB * KIB));
        assert_eq!(size("1t"), Ok(KIB * KIB * KIB * KIB));
        assert_eq!(size("0x10k"), Ok(16 * KIB));
        assert_eq!(size("k"), Err(OptionError::InvalidValue));
        assert_eq!(size(""), Err(OptionError::InvalidValue));
        assert_eq!(size("4kb"), Err(OptionError::InvalidValue));
        assert_eq!(size("-1"), Err(OptionError::InvalidValue));
        assert_eq!(size("99999999999t"), Err(OptionError::InvalidValue));
    }

    #[test]
    fn rates_take_time_suffixes_and_hz() {
        assert_eq!(rate("10"), Ok(10));
        assert_eq!(rate("10ns"), Ok(10));
        assert_eq!(rate("250us"), Ok(250_000));
        assert_eq!(rate("10ms"), Ok(10_000_000));
        assert_eq!(rate("1s"), Ok(NANOS_PER_SEC));
        assert_eq!(rate("2SEC"), Ok(2 * NANOS_PER_SEC));
        assert_eq!(rate("1m"), Ok(60 * NANOS_PER_SEC));
        assert_eq!(rate("1day"), Ok(86_400 * NANOS_PER_SEC));
        assert_eq!(rate("10hz"), Ok(100_000_000));
        assert_eq!(rate("0hz"), Ok(0));
        assert_eq!(rate("10parsecs"), Err(OptionError::InvalidValue));
        assert_eq!(rate("hz"), Err(OptionError::InvalidValue));
    }

    #[test]
    fn atoi_reads_a_leading_number() {
        assert_eq!(atoi("8"), 8);
        assert_eq!(atoi(" -3x"), -3);
        assert_eq!(atoi("x"), 0);
    }

    #[test]
    fn versions_are_dotted_triples() {
        assert_eq!(version("2.0"), Some(0x0200_0000));
        assert_eq!(version("1.6.4"), Some(version_number(1, 6, 4)));
        assert_eq!(version("99.1"), Some(version_number(99, 1, 0)));
        assert_eq!(version("1.2.3.4"), None);
        assert_eq!(version("256"), None);
        assert_eq!(version("1.x"), None);
    }

    #[test]
    fn attributes_name_stabilities_and_a_class() {
        assert!(attributes("Evolving/Evolving/Common"));
        assert!(attributes("stable"));
        assert!(attributes(""));
        assert!(!attributes("Evolving/Common"));
        assert!(!attributes("Solid"));
    }
}

//! The `-x name[=value]` options: one table mirroring libdtrace's `dt_options.c`.
//!
//! Options come from `-x`, from the flags that are shorthands for them (`-q`, `-w`, `-b`, `-F`,
//! `-Z`) and from `#pragma D option` lines, so the table and its value parsers live apart from
//! the flag parser and [`Options::set`] can be called for each source. Values are stored the way
//! libdtrace stores them, one optional integer per option, where `None` is `DTRACEOPT_UNSET`:
//! sizes in bytes, rates in nanoseconds, choices as an index into their list of names, and every
//! other option as the number it was given (a bare `-x quiet` stores 0, which counts as set).

use std::fmt;

use d_frontend::diagnostic::DiagFormat;

/// How an option's value is written and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `yes`/`no` and friends or a number; no value means 0 (set) and an empty value unsets it.
    Runtime,
    /// Bytes with an optional `k`, `m`, `g` or `t` suffix; no value means 0.
    Size {
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value; above it the error is an overflow.
        max: u64,
    },
    /// A time with a suffix from `ns` to `day`, or a frequency in `hz`; no value means 0.
    Rate,
    /// One name from a fixed list; a value is required.
    Choice(&'static [&'static str]),
    /// A compiler flag that takes no value.
    CompileFlag,
    /// An option libdtrace has that tracer does not implement yet.
    Unsupported,
}

/// One entry of the option table.
struct OptionDef {
    name: &'static str,
    kind: Kind,
    /// The value before any `-x`, as libdtrace and dtrace(8) set it.
    default: Option<u64>,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The names `-x diagfmt` accepts, in the order of [`DiagFormat`]'s variants.
const DIAG_FORMATS: &[&str] = &["rich", "dtrace"];

/// Every option tracer knows, sorted by name. `diagfmt` is ours; the rest are libdtrace's.
const OPTIONS: &[OptionDef] = &[
    opt("aggrate", Kind::Rate, Some(0)),
    opt(
        "aggsize",
        Kind::Size {
            min: 0,
            max: u64::MAX,
        },
        Some(4 * MIB),
    ),
    opt("aggsortkey", Kind::Runtime, None),
    opt("aggsortkeypos", Kind::Runtime, None),
    opt("aggsortpos", Kind::Runtime, None),
    opt("aggsortrev", Kind::Runtime, None),
    opt("argref", Kind::CompileFlag, None),
    opt("bpflog", Kind::Runtime, None),
    opt(
        "bpflogsize",
        Kind::Size {
            min: 0,
            max: u64::MAX,
        },
        None,
    ),
    opt("bufpolicy", Kind::Choice(&["ring", "fill", "switch"]), None),
    opt("bufresize", Kind::Choice(&["auto", "manual"]), None),
    opt(
        "bufsize",
        Kind::Size {
            min: 0,
            max: u64::MAX,
        },
        Some(4 * MIB),
    ),
    opt("cleanrate", Kind::Rate, None),
    opt("cpp", Kind::Unsupported, None),
    opt("cppargs", Kind::Unsupported, None),
    opt("cpphdrs", Kind::Unsupported, None),
    opt("cpppath", Kind::Unsupported, None),
    opt("cpu", Kind::Runtime, None),
    opt("defaultargs", Kind::CompileFlag, None),
    opt("define", Kind::Unsupported, None),
    opt("destructive", Kind::Runtime, None),
    opt("diagfmt", Kind::Choice(DIAG_FORMATS), Some(0)),
    opt(
        "dynvarsize",
        Kind::Size {
            min: 0,
            max: u64::MAX,
        },
        Some(MIB),
    ),
    opt("empty", Kind::CompileFlag, None),
    opt("errtags", Kind::CompileFlag, None),
    opt("flowindent", Kind::Runtime, None),
    opt("incdir", Kind::Unsupported, None),
    opt("maxframes", Kind::Runtime, None),
    opt("noresolve", Kind::Runtime, None),
    opt("nspec", Kind::Runtime, Some(1)),
    opt("pspec", Kind::CompileFlag, None),
    opt("quiet", Kind::Runtime, None),
    opt("quietresize", Kind::Runtime, None),
    opt("rawbytes", Kind::Runtime, None),
    opt(
        "specsize",
        Kind::Size {
            min: 0,
            max: u64::MAX,
        },
        Some(4 * MIB),
    ),
    opt("stackframes", Kind::Runtime, None),
    opt("stackindent", Kind::Runtime, None),
    opt("statusrate", Kind::Rate, Some(NANOS_PER_SEC)),
    opt("stdc", Kind::Unsupported, None),
    opt(
        "strsize",
        Kind::Size {
            min: 2,
            max: u32::MAX as u64,
        },
        Some(256),
    ),
    opt("switchrate", Kind::Rate, Some(0)),
    opt("undef", Kind::Unsupported, None),
    opt("ustackframes", Kind::Runtime, None),
    opt("zdefs", Kind::CompileFlag, None),
];

const fn opt(name: &'static str, kind: Kind, default: Option<u64>) -> OptionDef {
    OptionDef {
        name,
        kind,
        default,
    }
}

/// Why an option could not be set. The messages are libdtrace's, so that
/// `tracer: failed to set -x NAME: MESSAGE` reads as dtrace's does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// No option has this name (`EDT_BADOPTNAME`).
    #[error("Invalid option name")]
    InvalidName,
    /// The value does not parse or is out of range (`EDT_BADOPTVAL`).
    #[error("Invalid value for specified option")]
    InvalidValue,
    /// The value is larger than the option can hold (`EOVERFLOW`).
    #[error("Value too large for defined data type")]
    Overflow,
    /// libdtrace has this option but tracer does not implement it yet.
    #[error("Option not yet supported")]
    Unsupported,
}

/// The value of every option, as libdtrace's `dt_options[]` array holds them.
#[derive(Clone, PartialEq, Eq)]
pub struct Options {
    /// One slot per entry of `OPTIONS`, in the same order.
    values: Vec<Option<u64>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            values: OPTIONS.iter().map(|def| def.default).collect(),
        }
    }
}

impl fmt::Debug for Options {
    /// Only the options that have a value, by name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = OPTIONS
            .iter()
            .zip(&self.values)
            .filter_map(|(def, value)| value.map(|value| (def.name, value)));
        f.debug_map().entries(set).finish()
    }
}

impl Options {
    /// Sets option `name` from the text after `=` (`None` when there was no `=`).
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), OptionError> {
        let Some(option_idx) = OPTIONS.iter().position(|def| def.name == name) else {
            return Err(OptionError::InvalidName);
        };
        let parsed = match OPTIONS[option_idx].kind {
            Kind::Runtime => parse_runtime(value)?,
            Kind::Size { min, max } => parse_size(value, min, max)?,
            Kind::Rate => Some(parse_rate(value)?),
            Kind::Choice(names) => {
                let Some(choice_idx) = value.and_then(|text| names.iter().position(|n| *n == text))
                else {
                    return Err(OptionError::InvalidValue);
                };
                Some(choice_idx as u64)
            }
            Kind::CompileFlag => {
                if value.is_some() {
                    return Err(OptionError::InvalidValue);
                }
                Some(1)
            }
            Kind::Unsupported => return Err(OptionError::Unsupported),
        };
        self.values[option_idx] = parsed;
        Ok(())
    }

    /// The stored value of option `name`: bytes, nanoseconds, a count or a choice index; `None`
    /// when unset.
    ///
    /// # Panics
    ///
    /// If no option is called `name`: callers pass names from the table, so that is a bug.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.values[table_index(name)]
    }

    /// Whether option `name` is set, which is how libdtrace reads on/off options.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The chosen name of a choice option such as `bufpolicy`, if set.
    ///
    /// # Panics
    ///
    /// If `name` is not a choice option in the table.
    pub fn choice(&self, name: &str) -> Option<&'static str> {
        let option_idx = table_index(name);
        let Kind::Choice(names) = OPTIONS[option_idx].kind else {
            panic!("`{name}` is not a choice option");
        };
        let choice_idx = self.values[option_idx]?;
        names.get(choice_idx as usize).copied()
    }

    /// `quiet` (`-q`): print only what the program traces.
    pub fn quiet(&self) -> bool {
        self.is_set("quiet")
    }

    /// `destructive` (`-w`): permit destructive actions.
    pub fn destructive(&self) -> bool {
        self.is_set("destructive")
    }

    /// `flowindent` (`-F`): indent output by function entry and return.
    pub fn flowindent(&self) -> bool {
        self.is_set("flowindent")
    }

    /// `zdefs` (`-Z`): permit probe descriptions that match no probe.
    pub fn zdefs(&self) -> bool {
        self.is_set("zdefs")
    }

    /// `errtags`: print `[D_TAG] ` in compiler errors.
    pub fn errtags(&self) -> bool {
        self.is_set("errtags")
    }

    /// `strsize`: the size of a D string in bytes.
    pub fn strsize(&self) -> u64 {
        self.get("strsize").unwrap_or(256)
    }

    /// `bufsize` (`-b`): the trace buffer size in bytes.
    pub fn bufsize(&self) -> u64 {
        self.get("bufsize").unwrap_or(4 * MIB)
    }

    /// `diagfmt`: how much of each compiler error to print.
    pub fn diag_format(&self) -> DiagFormat {
        match self.choice("diagfmt") {
            Some("dtrace") => DiagFormat::Dtrace,
            _ => DiagFormat::Rich,
        }
    }
}

/// The position of option `name` in `OPTIONS`; the name comes from code, so a miss is a bug.
fn table_index(name: &str) -> usize {
    match OPTIONS.iter().position(|def| def.name == name) {
        Some(option_idx) => option_idx,
        None => panic!("`{name}` is not in the option table"),
    }
}

/// `dt_opt_runtime`: a yes/no word or a non-negative number.
fn parse_runtime(value: Option<&str>) -> Result<Option<u64>, OptionError> {
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
    match parse_c_number(text) {
        Some((number, "")) => Ok(Some(number)),
        _ => Err(OptionError::InvalidValue),
    }
}

/// `dt_opt_size`: a number of bytes with an optional binary suffix.
fn parse_size(value: Option<&str>, min: u64, max: u64) -> Result<Option<u64>, OptionError> {
    let Some(text) = value else {
        return Ok(Some(0));
    };
    let (digits, multiplier) = match text.as_bytes().last().map(u8::to_ascii_lowercase) {
        Some(b'k') => (&text[..text.len() - 1], KIB),
        Some(b'm') => (&text[..text.len() - 1], MIB),
        Some(b'g') => (&text[..text.len() - 1], 1024 * MIB),
        Some(b't') => (&text[..text.len() - 1], 1024 * 1024 * MIB),
        _ => (text, 1),
    };
    let Some((number, "")) = parse_c_number(digits) else {
        return Err(OptionError::InvalidValue);
    };
    let Some(bytes) = number.checked_mul(multiplier) else {
        return Err(OptionError::InvalidValue);
    };
    if bytes < min {
        return Err(OptionError::InvalidValue);
    }
    if bytes > max {
        return Err(OptionError::Overflow);
    }
    Ok(Some(bytes))
}

/// `dt_opt_rate`: a time (nanoseconds without a suffix) or a frequency in `hz`.
fn parse_rate(value: Option<&str>) -> Result<u64, OptionError> {
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
    let Some(text) = value else {
        return Ok(0);
    };
    let Some((number, suffix)) = parse_c_number(text) else {
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

/// Reads a non-negative integer the way `strtoull(text, &end, 0)` does (`0x` for hexadecimal, a
/// leading `0` for octal) and returns it with the unread rest, or `None` when no digit was read,
/// the number is negative or it overflows.
fn parse_c_number(text: &str) -> Option<(u64, &str)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: Option<&str>) -> Result<Options, OptionError> {
        let mut options = Options::default();
        options.set(name, value)?;
        Ok(options)
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in OPTIONS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn defaults_mirror_libdtrace() {
        let options = Options::default();
        assert_eq!(options.strsize(), 256);
        assert_eq!(options.bufsize(), 4 * MIB);
        assert_eq!(options.get("nspec"), Some(1));
        assert_eq!(options.get("statusrate"), Some(NANOS_PER_SEC));
        assert!(!options.quiet());
        assert_eq!(options.diag_format(), DiagFormat::Rich);
    }

    #[test]
    fn unknown_name_is_rejected() {
        assert_eq!(set("bogus", None), Err(OptionError::InvalidName));
        assert_eq!(set("", Some("1")), Err(OptionError::InvalidName));
        assert_eq!(set("QUIET", None), Err(OptionError::InvalidName));
    }

    #[test]
    fn runtime_options_take_words_and_numbers() {
        assert!(set("quiet", None).unwrap().quiet());
        assert!(set("quiet", Some("yes")).unwrap().quiet());
        assert!(set("quiet", Some("ON")).unwrap().quiet());
        assert!(!set("quiet", Some("no")).unwrap().quiet());
        assert!(!set("quiet", Some("")).unwrap().quiet());
        // As in libdtrace, any number sets an on/off option, even 0.
        assert!(set("quiet", Some("0")).unwrap().quiet());
        assert_eq!(set("nspec", Some("4")).unwrap().get("nspec"), Some(4));
        assert_eq!(set("nspec", Some("0x10")).unwrap().get("nspec"), Some(16));
        assert_eq!(set("nspec", Some("010")).unwrap().get("nspec"), Some(8));
        assert_eq!(set("nspec", Some("-72")), Err(OptionError::InvalidValue));
        assert_eq!(set("nspec", Some("4x")), Err(OptionError::InvalidValue));
        assert_eq!(
            set("nspec", Some("99999999999999999999")),
            Err(OptionError::InvalidValue)
        );
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        let size = |text| set("bufsize", Some(text)).map(|options| options.bufsize());
        assert_eq!(size("512"), Ok(512));
        assert_eq!(size("4k"), Ok(4 * KIB));
        assert_eq!(size("4K"), Ok(4 * KIB));
        assert_eq!(size("2m"), Ok(2 * MIB));
        assert_eq!(size("1g"), Ok(1024 * MIB));
        assert_eq!(size("1t"), Ok(1024 * 1024 * MIB));
        assert_eq!(size("k"), Err(OptionError::InvalidValue));
        assert_eq!(size("4kb"), Err(OptionError::InvalidValue));
        assert_eq!(size("-1"), Err(OptionError::InvalidValue));
        assert_eq!(size("99999999999t"), Err(OptionError::InvalidValue));
        assert_eq!(set("bufsize", None).unwrap().bufsize(), 0);
    }

    #[test]
    fn strsize_has_limits() {
        assert_eq!(set("strsize", Some("1")), Err(OptionError::InvalidValue));
        assert_eq!(set("strsize", Some("2")).unwrap().strsize(), 2);
        assert_eq!(set("strsize", Some("4g")), Err(OptionError::Overflow));
    }

    #[test]
    fn rates_take_time_suffixes_and_hz() {
        let rate = |text| set("switchrate", Some(text)).map(|options| options.get("switchrate"));
        assert_eq!(rate("10"), Ok(Some(10)));
        assert_eq!(rate("10ns"), Ok(Some(10)));
        assert_eq!(rate("250us"), Ok(Some(250_000)));
        assert_eq!(rate("10ms"), Ok(Some(10_000_000)));
        assert_eq!(rate("1s"), Ok(Some(NANOS_PER_SEC)));
        assert_eq!(rate("2SEC"), Ok(Some(2 * NANOS_PER_SEC)));
        assert_eq!(rate("1m"), Ok(Some(60 * NANOS_PER_SEC)));
        assert_eq!(rate("1day"), Ok(Some(86_400 * NANOS_PER_SEC)));
        assert_eq!(rate("10hz"), Ok(Some(100_000_000)));
        assert_eq!(rate("0hz"), Ok(Some(0)));
        assert_eq!(rate("10parsecs"), Err(OptionError::InvalidValue));
        assert_eq!(rate("hz"), Err(OptionError::InvalidValue));
    }

    #[test]
    fn choices_need_a_listed_name() {
        assert_eq!(
            set("bufpolicy", Some("fill")).unwrap().choice("bufpolicy"),
            Some("fill")
        );
        assert_eq!(
            set("bufpolicy", Some("FILL")),
            Err(OptionError::InvalidValue)
        );
        assert_eq!(set("bufpolicy", None), Err(OptionError::InvalidValue));
        let options = set("diagfmt", Some("dtrace")).unwrap();
        assert_eq!(options.diag_format(), DiagFormat::Dtrace);
    }

    #[test]
    fn compile_flags_take_no_value() {
        assert!(set("errtags", None).unwrap().errtags());
        assert!(set("zdefs", None).unwrap().zdefs());
        assert_eq!(set("errtags", Some("1")), Err(OptionError::InvalidValue));
    }

    #[test]
    fn preprocessor_options_are_unsupported() {
        assert_eq!(set("cpp", None), Err(OptionError::Unsupported));
        assert_eq!(set("define", Some("X=1")), Err(OptionError::Unsupported));
    }

    #[test]
    fn debug_shows_set_options_by_name() {
        let options = set("quiet", None).unwrap();
        let text = format!("{options:?}");
        assert!(text.contains("\"quiet\": 0"), "{text}");
        assert!(!text.contains("flowindent"), "{text}");
    }

    #[test]
    fn later_settings_override_earlier_ones() {
        let mut options = Options::default();
        options.set("quiet", None).unwrap();
        options.set("quiet", Some("no")).unwrap();
        assert!(!options.quiet());
    }
}

//! printf-style format strings, parsed once and shared by the type checker and the printers.
//!
//! `printf`, `printa`, `sprintf` and friends take a format string that libdtrace parses at compile
//! time (`dt_printf_create`), checks against the argument types (`dt_printf_validate`) and replays at
//! run time (`dt_printf_format`). The parse lives here, in the pure front end, so that the checker
//! reports format errors with libdtrace's wording and the printer in `tracer-cli` never re-parses.
//!
//! The grammar is C's with libdtrace's additions and omissions:
//! - flags `-`, `+`, space, `#`, `0`, `'`, and `@` (printa's aggregation value);
//! - `?` sets the width to that of a pointer (16);
//! - `*` takes the width or precision from an integer argument;
//! - length prefixes are `h`, `l`, `ll`, `L` and `w`; there is no `hh`, `j`, `z` or `t`;
//! - a conversion name (prefix plus letter) must be in libdtrace's table, e.g. `%hx` and `%lld` exist
//!   but `%hhd` does not.
//!
//! Quirks kept from libdtrace: a `0` flag after `-` cancels it and vice versa (the last one wins),
//! a NUL byte ends the format, and a precision of 0 means "no precision" when printing.

use crate::diagnostic::ErrTag;
use crate::types::Type;

/// One piece of a parsed format: text to copy, or a conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatPiece {
    /// Bytes copied to the output as they are.
    Literal(Vec<u8>),
    /// A `%` conversion, including `%%`.
    Conversion(Conversion),
}

/// A field width or precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Written in the format.
    Fixed(u32),
    /// `*`: taken from the next argument, which must be an integer.
    Star,
}

/// The flag characters of one conversion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `-`: pad on the right.
    pub left: bool,
    /// `+`: always print a sign for signed conversions.
    pub plus: bool,
    /// ` `: print a space where a `+` sign would go.
    pub space: bool,
    /// `#`: the alternate form (`0x` for `%x`, a leading `0` for `%o`).
    pub alt: bool,
    /// `0`: pad numbers with zeros.
    pub zero: bool,
    /// `'`: group thousands (no effect in the C locale).
    pub group: bool,
}

/// A length prefix. In D it names the argument's type rather than how to read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Length {
    /// No prefix.
    #[default]
    Default,
    /// `h`: short.
    Short,
    /// `l`: long (or wide for `%lc`, `%ls`).
    Long,
    /// `ll`: long long.
    LongLong,
    /// `L`: long double.
    LongDouble,
    /// `w`: wide character or string.
    Wide,
}

impl Length {
    /// The prefix as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Length::Default => "",
            Length::Short => "h",
            Length::Long => "l",
            Length::LongLong => "ll",
            Length::LongDouble => "L",
            Length::Wide => "w",
        }
    }
}

/// One `%` conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversion {
    /// Flag characters.
    pub flags: Flags,
    /// Field width (`?` is stored as `Fixed(16)`).
    pub width: Option<Count>,
    /// Precision; a `.` without digits is `Fixed(0)`.
    pub precision: Option<Count>,
    /// Length prefix.
    pub length: Length,
    /// The conversion letter (`d`, `s`, `x`, `%`, ...).
    pub conv: u8,
    /// `%@...`: formats the aggregation value in `printa` instead of taking an argument.
    pub is_agg: bool,
}

impl Conversion {
    /// The conversion's name as libdtrace's messages print it after `%`: prefix and letter (`lld`).
    pub fn name(&self) -> String {
        let mut name = self.length.as_str().to_owned();
        name.push(char::from(self.conv));
        name
    }

    /// The argument types the conversion accepts, in libdtrace's words (the `prototype:` line of
    /// `D_PRINTF_ARG_TYPE`).
    pub fn prototype(&self) -> &'static str {
        lookup(self.length.as_str().as_bytes(), self.conv).map_or("void", |spec| spec.prototype)
    }
}

/// What kind of argument a conversion consumes, for the type checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgClass {
    /// `%%`: none.
    None,
    /// Any integer (`d i o u x X`).
    Integer,
    /// An integer of at most 4 bytes: char, short or int (`c C`).
    Char,
    /// An integer of exactly this size, and this signedness when given (`hd`, `lu`, `llx`, `lc`...).
    SizedInteger {
        /// Size in bytes.
        size: u8,
        /// Required signedness, or `None` for either.
        signed: Option<bool>,
    },
    /// A pointer or an integer (`p a A`).
    Pointer,
    /// A string or a `char` array (`s S`).
    String,
    /// A `wchar_t` array (`ls ws`).
    WideString,
    /// A floating-point value (`e E f g G`, with or without `L`).
    Float,
    /// A stack (`k`).
    Stack,
    /// A 64-bit integer holding nanoseconds since the epoch (`T Y`).
    Time,
}

impl ArgClass {
    /// Whether an integer of `size` bytes and this signedness fits the class.
    ///
    /// The type checker uses it for integer arguments, for `*` arguments (class [`ArgClass::Integer`])
    /// and for `printa`'s `%@` conversions, whose value is a 64-bit integer, unsigned for `count()`.
    pub fn accepts_integer(self, size: u8, signed: bool) -> bool {
        match self {
            ArgClass::Integer | ArgClass::Pointer => true,
            ArgClass::Char => size <= 4,
            ArgClass::SizedInteger {
                size: want_size,
                signed: want_signed,
            } => size == want_size && want_signed.is_none_or(|want| want == signed),
            ArgClass::Time => size == 8,
            ArgClass::None
            | ArgClass::String
            | ArgClass::WideString
            | ArgClass::Float
            | ArgClass::Stack => false,
        }
    }
}

/// The argument class a conversion consumes (ignoring `*` widths and precisions, which are always
/// integers). For a `%@` conversion this is the class the aggregation value must fit.
pub fn arg_class(conv: &Conversion) -> ArgClass {
    lookup(conv.length.as_str().as_bytes(), conv.conv).map_or(ArgClass::None, |spec| spec.class)
}

/// Whether a stack or symbolic address of type `ty` fits `conv`: `%k` takes stacks, `%a` kernel
/// symbolic addresses and `%A` user ones, as libdtrace's `pfcheck_stack`, `pfcheck_kaddr` and
/// `pfcheck_uaddr` decide.
pub fn accepts_symbolic(conv: &Conversion, ty: Type) -> bool {
    match (conv.conv, ty) {
        (b'k', Type::Stack(_)) => conv.length == Length::Default,
        (b'a', Type::SymAddr(kind)) => !kind.is_user(),
        (b'A', Type::SymAddr(kind)) => kind.is_user(),
        _ => false,
    }
}

/// Which part of a conversion an argument feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// A `*` width.
    Width,
    /// A `.*` precision.
    Precision,
    /// The value to convert.
    Value,
}

/// One argument the format consumes, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSlot<'a> {
    /// What the argument is for.
    pub kind: SlotKind,
    /// The conversion's 1-based number among all conversions (`%%` included), as messages count.
    pub conv_number: u32,
    /// The conversion.
    pub conv: &'a Conversion,
}

/// The arguments a format consumes, in order: for each conversion its `*` width, then its `.*`
/// precision, then its value. `%%` consumes nothing and `%@` takes no value argument.
///
/// For `printa` the "arguments" are the aggregation's keys.
pub fn arg_slots(pieces: &[FormatPiece]) -> Vec<ArgSlot<'_>> {
    let mut slots = Vec::new();
    let conversions = pieces.iter().filter_map(|piece| match piece {
        FormatPiece::Conversion(conv) => Some(conv),
        FormatPiece::Literal(_) => None,
    });
    for (conv_idx, conv) in conversions.enumerate() {
        let conv_number = conv_idx as u32 + 1;
        if conv.conv == b'%' {
            continue;
        }
        let kinds = [
            (conv.width == Some(Count::Star), SlotKind::Width),
            (conv.precision == Some(Count::Star), SlotKind::Precision),
            (!conv.is_agg, SlotKind::Value),
        ];
        for (used, kind) in kinds {
            if used {
                slots.push(ArgSlot {
                    kind,
                    conv_number,
                    conv,
                });
            }
        }
    }
    slots
}

/// How many arguments the format consumes (see [`arg_slots`]).
pub fn n_args(pieces: &[FormatPiece]) -> usize {
    arg_slots(pieces).len()
}

/// Which count a repeated `*` was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountField {
    /// The field width.
    Width,
    /// The precision.
    Precision,
}

impl std::fmt::Display for CountField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CountField::Width => "width",
            CountField::Precision => "precision",
        })
    }
}

/// A malformed format string. Conversions are numbered from 1, `%%` included.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Two `*` for the same count.
    #[error("format conversion #{number} has more than one '*' specified for the output {field}")]
    RepeatedStar {
        /// The conversion's number.
        number: u32,
        /// Which count.
        field: CountField,
    },
    /// Two `.` in one conversion.
    #[error("format conversion #{number} has more than one '.' specified")]
    RepeatedDot {
        /// The conversion's number.
        number: u32,
    },
    /// `%n$`.
    #[error("format conversion #{number} uses unsupported positional format (%n$)")]
    Positional {
        /// The conversion's number.
        number: u32,
    },
    /// `%` after flags, as in `%-%`.
    #[error("format conversion #{number} cannot be combined with other format flags: %%")]
    FlaggedPercent {
        /// The conversion's number.
        number: u32,
    },
    /// The format ends inside a conversion.
    #[error("format conversion #{number} name expected before end of format string")]
    NameExpected {
        /// The conversion's number.
        number: u32,
    },
    /// A conversion name that is not in libdtrace's table.
    #[error("format conversion #{number} is undefined: %{name}")]
    Undefined {
        /// The conversion's number.
        number: u32,
        /// The name: length prefix and letter.
        name: String,
    },
}

impl FormatError {
    /// libdtrace reports every format parse error as a syntax error.
    pub fn tag(&self) -> ErrTag {
        ErrTag::D_SYNTAX
    }
}

/// Parses a format string whose escapes are already decoded.
pub fn parse_format(fmt: &[u8]) -> Result<Vec<FormatPiece>, FormatError> {
    let fmt = fmt
        .iter()
        .position(|&byte| byte == 0)
        .map_or(fmt, |nul| &fmt[..nul]);
    let mut pieces = Vec::new();
    let mut literal = Vec::new();
    let mut pos = 0;
    let mut number = 0;
    while let Some(&byte) = fmt.get(pos) {
        if byte != b'%' {
            literal.push(byte);
            pos += 1;
            continue;
        }
        number += 1;
        if !literal.is_empty() {
            pieces.push(FormatPiece::Literal(std::mem::take(&mut literal)));
        }
        let (conv, next) = parse_conversion(fmt, pos + 1, number)?;
        pieces.push(FormatPiece::Conversion(conv));
        pos = next;
    }
    if !literal.is_empty() {
        pieces.push(FormatPiece::Literal(literal));
    }
    Ok(pieces)
}

/// Longest length prefix libdtrace keeps; further prefix letters are dropped.
const MAX_PREFIX: usize = 6;

/// Parses the conversion whose text starts at `start` (just after the `%`); returns it and the
/// position after it.
fn parse_conversion(
    fmt: &[u8],
    start: usize,
    number: u32,
) -> Result<(Conversion, usize), FormatError> {
    let mut flags = Flags::default();
    let mut width = None;
    let mut precision = None;
    let (mut star_width, mut star_precision) = (false, false);
    let mut is_agg = false;
    let mut dot = false;
    let mut digit_runs = 0;
    let mut prefix = Vec::new();
    let mut pos = start;
    let conv = loop {
        let Some(&byte) = fmt.get(pos) else {
            return Err(FormatError::NameExpected { number });
        };
        pos += 1;
        match byte {
            b'0' if !dot && digit_runs == 0 => {
                flags.zero = true;
                flags.left = false;
            }
            b'0'..=b'9' => {
                let mut value = u32::from(byte - b'0');
                while let Some(&digit @ b'0'..=b'9') = fmt.get(pos) {
                    value = value
                        .saturating_mul(10)
                        .saturating_add(u32::from(digit - b'0'));
                    pos += 1;
                }
                if dot {
                    precision = Some(value);
                } else {
                    width = Some(value);
                }
                digit_runs += 1;
            }
            b'#' => flags.alt = true,
            b'*' => {
                let (seen, field) = if dot {
                    (&mut star_precision, CountField::Precision)
                } else {
                    (&mut star_width, CountField::Width)
                };
                if *seen {
                    return Err(FormatError::RepeatedStar { number, field });
                }
                *seen = true;
            }
            b'+' => flags.plus = true,
            b'-' => {
                flags.left = true;
                flags.zero = false;
            }
            b'.' => {
                if dot {
                    return Err(FormatError::RepeatedDot { number });
                }
                dot = true;
                precision = Some(0);
                digit_runs = 0;
            }
            b'?' => width = Some(16),
            b'@' => is_agg = true,
            b'\'' => flags.group = true,
            b' ' => flags.space = true,
            b'$' => return Err(FormatError::Positional { number }),
            b'%' if pos - 1 != start => return Err(FormatError::FlaggedPercent { number }),
            b'h' | b'l' | b'L' | b'w' => {
                if prefix.len() < MAX_PREFIX {
                    prefix.push(byte);
                }
            }
            _ => break byte,
        }
    };
    let Some(spec) = lookup(&prefix, conv) else {
        prefix.push(conv);
        let name = String::from_utf8_lossy(&prefix).into_owned();
        return Err(FormatError::Undefined { number, name });
    };
    let count = |star: bool, fixed: Option<u32>| {
        if star {
            Some(Count::Star)
        } else {
            fixed.map(Count::Fixed)
        }
    };
    let conversion = Conversion {
        flags,
        width: count(star_width, width),
        precision: count(star_precision, precision),
        length: spec.length,
        conv,
        is_agg,
    };
    Ok((conversion, pos))
}

/// One entry of libdtrace's conversion table.
struct ConvSpec {
    prefix: &'static str,
    conv: u8,
    length: Length,
    class: ArgClass,
    prototype: &'static str,
}

const XINT: &str = "char, short, int, long, or long long";
const CSI: &str = "char, short, or int";
const FP: &str = "float, double, or long double";
const ADDR: &str = "pointer or integer";
const UADDR: &str = "pointer or integer (with -p/-c) or _usymaddr (without -p/-c)";
const CSTR: &str = "char [] or string (or use stringof)";
const WSTR: &str = "wchar_t []";

/// Shorthand for a table entry.
const fn spec(
    prefix: &'static str,
    conv: u8,
    length: Length,
    class: ArgClass,
    prototype: &'static str,
) -> ConvSpec {
    ConvSpec {
        prefix,
        conv,
        length,
        class,
        prototype,
    }
}

/// Shorthand for a sized-integer class.
const fn sized(size: u8, signed: Option<bool>) -> ArgClass {
    ArgClass::SizedInteger { size, signed }
}

use ArgClass as A;
use Length as L;

/// The conversions libdtrace defines (`_dtrace_conversions`).
const CONVERSIONS: &[ConvSpec] = &[
    spec("", b'a', L::Default, A::Pointer, ADDR),
    spec("", b'A', L::Default, A::Pointer, UADDR),
    spec("", b'c', L::Default, A::Char, CSI),
    spec("", b'C', L::Default, A::Char, CSI),
    spec("", b'd', L::Default, A::Integer, XINT),
    spec("", b'e', L::Default, A::Float, FP),
    spec("", b'E', L::Default, A::Float, FP),
    spec("", b'f', L::Default, A::Float, FP),
    spec("", b'g', L::Default, A::Float, FP),
    spec("", b'G', L::Default, A::Float, FP),
    spec("h", b'd', L::Short, sized(2, Some(true)), "short"),
    spec("h", b'i', L::Short, sized(2, Some(true)), "short"),
    spec("h", b'o', L::Short, sized(2, Some(false)), "unsigned short"),
    spec("h", b'u', L::Short, sized(2, Some(false)), "unsigned short"),
    spec("h", b'x', L::Short, sized(2, None), "short"),
    spec("h", b'X', L::Short, sized(2, None), "short"),
    spec("", b'i', L::Default, A::Integer, XINT),
    spec("", b'k', L::Default, A::Stack, "stack"),
    spec("l", b'c', L::Long, sized(4, Some(true)), "int"),
    spec("l", b'd', L::Long, sized(8, Some(true)), "long"),
    spec("l", b'i', L::Long, sized(8, Some(true)), "long"),
    spec("l", b'o', L::Long, sized(8, Some(false)), "unsigned long"),
    spec("l", b'u', L::Long, sized(8, Some(false)), "unsigned long"),
    spec("l", b's', L::Long, A::WideString, WSTR),
    spec("l", b'x', L::Long, sized(8, None), "long"),
    spec("l", b'X', L::Long, sized(8, None), "long"),
    spec("ll", b'd', L::LongLong, sized(8, Some(true)), "long long"),
    spec("ll", b'i', L::LongLong, sized(8, Some(true)), "long long"),
    spec(
        "ll",
        b'o',
        L::LongLong,
        sized(8, Some(false)),
        "unsigned long long",
    ),
    spec(
        "ll",
        b'u',
        L::LongLong,
        sized(8, Some(false)),
        "unsigned long long",
    ),
    spec("ll", b'x', L::LongLong, sized(8, None), "long long"),
    spec("ll", b'X', L::LongLong, sized(8, None), "long long"),
    spec("L", b'e', L::LongDouble, A::Float, "long double"),
    spec("L", b'E', L::LongDouble, A::Float, "long double"),
    spec("L", b'f', L::LongDouble, A::Float, "long double"),
    spec("L", b'g', L::LongDouble, A::Float, "long double"),
    spec("L", b'G', L::LongDouble, A::Float, "long double"),
    spec("", b'o', L::Default, A::Integer, XINT),
    spec("", b'p', L::Default, A::Pointer, ADDR),
    spec("", b's', L::Default, A::String, CSTR),
    spec("", b'S', L::Default, A::String, CSTR),
    spec("", b'T', L::Default, A::Time, "int64_t"),
    spec("", b'u', L::Default, A::Integer, XINT),
    spec("w", b'c', L::Wide, sized(4, Some(true)), "int"),
    spec("w", b's', L::Wide, A::WideString, WSTR),
    spec("", b'x', L::Default, A::Integer, XINT),
    spec("", b'X', L::Default, A::Integer, XINT),
    spec("", b'Y', L::Default, A::Time, "int64_t"),
    spec("", b'%', L::Default, A::None, "void"),
];

/// Finds a conversion by prefix and letter.
fn lookup(prefix: &[u8], conv: u8) -> Option<&'static ConvSpec> {
    CONVERSIONS
        .iter()
        .find(|spec| spec.prefix.as_bytes() == prefix && spec.conv == conv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversions(fmt: &str) -> Vec<Conversion> {
        let pieces = parse_format(fmt.as_bytes()).expect("format parses");
        pieces
            .into_iter()
            .filter_map(|piece| match piece {
                FormatPiece::Conversion(conv) => Some(conv),
                FormatPiece::Literal(_) => None,
            })
            .collect()
    }

    fn one(fmt: &str) -> Conversion {
        let mut convs = conversions(fmt);
        assert_eq!(convs.len(), 1, "{fmt:?} has one conversion");
        convs.remove(0)
    }

    fn error(fmt: &str) -> String {
        parse_format(fmt.as_bytes())
            .expect_err("format is rejected")
            .to_string()
    }

    #[test]
    fn literals_and_conversions_alternate() {
        let pieces = parse_format(b"x = %d, y = %s\n").expect("format parses");
        assert_eq!(pieces.len(), 5);
        assert_eq!(pieces[0], FormatPiece::Literal(b"x = ".to_vec()));
        assert!(matches!(&pieces[1], FormatPiece::Conversion(conv) if conv.conv == b'd'));
        assert_eq!(pieces[2], FormatPiece::Literal(b", y = ".to_vec()));
        assert!(matches!(&pieces[3], FormatPiece::Conversion(conv) if conv.conv == b's'));
        assert_eq!(pieces[4], FormatPiece::Literal(b"\n".to_vec()));
        assert_eq!(parse_format(b""), Ok(vec![]));
    }

    #[test]
    fn flags_width_and_precision() {
        let conv = one("%-+ #'10.3d");
        let flags = Flags {
            left: true,
            plus: true,
            space: true,
            alt: true,
            zero: false,
            group: true,
        };
        assert_eq!(conv.flags, flags);
        assert_eq!(conv.width, Some(Count::Fixed(10)));
        assert_eq!(conv.precision, Some(Count::Fixed(3)));
        assert_eq!(one("%.s").precision, Some(Count::Fixed(0)));
        assert_eq!(one("%?d").width, Some(Count::Fixed(16)));
        assert_eq!(one("%0d").width, None);
        assert!(one("%0d").flags.zero);
    }

    #[test]
    fn zero_and_minus_cancel_each_other() {
        let zero_last = one("%-05d").flags;
        assert!(zero_last.zero && !zero_last.left);
        let minus_last = one("%0-5d").flags;
        assert!(minus_last.left && !minus_last.zero);
        assert_eq!(one("%-05d").width, Some(Count::Fixed(5)));
        let after_width = one("%5 0d");
        assert!(!after_width.flags.zero);
        assert_eq!(after_width.width, Some(Count::Fixed(0)));
    }

    #[test]
    fn stars_override_written_counts() {
        let conv = one("%*.*s");
        assert_eq!(conv.width, Some(Count::Star));
        assert_eq!(conv.precision, Some(Count::Star));
        assert_eq!(one("%5*d").width, Some(Count::Star));
        assert_eq!(one("%.3*d").precision, Some(Count::Star));
    }

    #[test]
    fn length_prefixes() {
        assert_eq!(one("%hd").length, Length::Short);
        assert_eq!(one("%lx").length, Length::Long);
        assert_eq!(one("%llu").length, Length::LongLong);
        assert_eq!(one("%Lf").length, Length::LongDouble);
        assert_eq!(one("%ws").length, Length::Wide);
        assert_eq!(one("%l d").length, Length::Long);
        assert_eq!(one("%lld").name(), "lld");
        assert_eq!(one("%hX").name(), "hX");
    }

    #[test]
    fn aggregation_conversions() {
        let conv = one("%@8d");
        assert!(conv.is_agg);
        assert_eq!(conv.width, Some(Count::Fixed(8)));
        assert!(one("%8@d").is_agg);
    }

    #[test]
    fn percent_percent_is_a_conversion() {
        let pieces = parse_format(b"100%% %q").expect_err("%q is undefined");
        assert_eq!(pieces.to_string(), "format conversion #2 is undefined: %q");
        assert_eq!(one("%%").conv, b'%');
    }

    #[test]
    fn nul_ends_the_format() {
        let pieces = parse_format(b"ab\0%q").expect("text after NUL is ignored");
        assert_eq!(pieces, vec![FormatPiece::Literal(b"ab".to_vec())]);
    }

    #[test]
    fn errors_use_libdtrace_wording() {
        assert_eq!(error("%Z"), "format conversion #1 is undefined: %Z");
        assert_eq!(error("%d %hhd"), "format conversion #2 is undefined: %hhd");
        assert_eq!(error("%zu"), "format conversion #1 is undefined: %z");
        assert_eq!(
            error("%lllllllld"),
            "format conversion #1 is undefined: %lllllld"
        );
        assert_eq!(
            error("%3"),
            "format conversion #1 name expected before end of format string"
        );
        assert_eq!(
            error("%3$d"),
            "format conversion #1 uses unsupported positional format (%n$)"
        );
        assert_eq!(
            error("%-%"),
            "format conversion #1 cannot be combined with other format flags: %%"
        );
        assert_eq!(
            error("%**d"),
            "format conversion #1 has more than one '*' specified for the output width"
        );
        assert_eq!(
            error("%.**d"),
            "format conversion #1 has more than one '*' specified for the output precision"
        );
        assert_eq!(
            error("%1.2.3d"),
            "format conversion #1 has more than one '.' specified"
        );
        assert_eq!(
            error("%\u{e9}"),
            "format conversion #1 is undefined: %\u{fffd}"
        );
        assert_eq!(
            FormatError::RepeatedDot { number: 1 }.tag(),
            ErrTag::D_SYNTAX
        );
    }

    #[test]
    fn arg_classes() {
        assert_eq!(arg_class(&one("%d")), ArgClass::Integer);
        assert_eq!(arg_class(&one("%c")), ArgClass::Char);
        assert_eq!(arg_class(&one("%s")), ArgClass::String);
        assert_eq!(arg_class(&one("%p")), ArgClass::Pointer);
        assert_eq!(arg_class(&one("%%")), ArgClass::None);
        assert_eq!(arg_class(&one("%Lg")), ArgClass::Float);
        assert_eq!(arg_class(&one("%Y")), ArgClass::Time);
        assert_eq!(arg_class(&one("%hu")), sized(2, Some(false)));
        assert_eq!(arg_class(&one("%@d")), ArgClass::Integer);
        assert_eq!(one("%d").prototype(), XINT);
        assert_eq!(one("%hx").prototype(), "short");
        assert_eq!(one("%s").prototype(), CSTR);
    }

    #[test]
    fn accepted_integers() {
        assert!(ArgClass::Char.accepts_integer(4, true));
        assert!(!ArgClass::Char.accepts_integer(8, true));
        assert!(sized(2, None).accepts_integer(2, false));
        assert!(!sized(2, Some(true)).accepts_integer(2, false));
        assert!(!sized(8, Some(true)).accepts_integer(4, true));
        assert!(ArgClass::Time.accepts_integer(8, true));
        assert!(!ArgClass::String.accepts_integer(8, true));
    }

    #[test]
    fn slots_follow_c_order() {
        let pieces = parse_format(b"%% %*.*s %@*d %d").expect("format parses");
        let slots: Vec<(SlotKind, u32)> = arg_slots(&pieces)
            .iter()
            .map(|slot| (slot.kind, slot.conv_number))
            .collect();
        let expected = vec![
            (SlotKind::Width, 2),
            (SlotKind::Precision, 2),
            (SlotKind::Value, 2),
            (SlotKind::Width, 3),
            (SlotKind::Value, 4),
        ];
        assert_eq!(slots, expected);
        assert_eq!(n_args(&pieces), 5);
    }
}

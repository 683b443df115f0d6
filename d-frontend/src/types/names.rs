//! D's built-in type names: C's integer keywords and the typedefs every D program starts with.
//!
//! libdtrace fills its "D" container with C's base types and a table of LP64 typedefs
//! (`int8_t`, `size_t`, `pid_t`, ...), so that D definitions can use `<sys/types.h>` names. This
//! module holds the same facts as two small lookups; user and kernel typedefs come later, from the
//! type table.

use super::Type;

/// Why a list of specifier words names no integer type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegerWordsError {
    /// A word repeats where C allows it once (`char int`, `signed unsigned`, `double double`).
    Combination,
    /// The words are each allowed but name no type together (`short long`).
    Unknown,
    /// `signed` or `unsigned` with a floating-point type (`unsigned double`).
    SignedFloat,
}

/// The integer type named by C's specifier words (`unsigned long long`, `short int`, `char`), with
/// qualifiers already removed. `None` when a word is not an integer keyword.
pub fn integer_type_name(words: &[&str]) -> Option<Result<Type, IntegerWordsError>> {
    let mut n_signed = 0;
    let mut n_unsigned = 0;
    let mut n_char = 0;
    let mut n_short = 0;
    let mut n_int = 0;
    let mut n_long = 0;
    for word in words {
        match *word {
            "signed" => n_signed += 1,
            "unsigned" => n_unsigned += 1,
            "char" => n_char += 1,
            "short" => n_short += 1,
            "int" => n_int += 1,
            "long" => n_long += 1,
            _ => return None,
        }
    }
    if n_signed + n_unsigned > 1 || n_char > 1 || n_short > 1 || n_int > 1 || n_long > 2 {
        return Some(Err(IntegerWordsError::Combination));
    }
    if n_char == 1 && (n_int + n_short + n_long) > 0 {
        return Some(Err(IntegerWordsError::Combination));
    }
    if n_short == 1 && n_long > 0 {
        return Some(Err(IntegerWordsError::Unknown));
    }
    let size = if n_char == 1 {
        1
    } else if n_short == 1 {
        2
    } else if n_long > 0 {
        8
    } else {
        4
    };
    Some(Ok(Type::Int {
        size,
        signed: n_unsigned == 0,
    }))
}

/// The floating-point type named by C's specifier words (`float`, `double`, `long double`), with
/// qualifiers already removed. `None` when neither `float` nor `double` is among them.
pub fn float_type_name(words: &[&str]) -> Option<Result<Type, IntegerWordsError>> {
    let n_float = words.iter().filter(|word| **word == "float").count();
    let n_double = words.iter().filter(|word| **word == "double").count();
    if n_float + n_double == 0 {
        return None;
    }
    if words
        .iter()
        .any(|word| matches!(*word, "signed" | "unsigned"))
    {
        return Some(Err(IntegerWordsError::SignedFloat));
    }
    let n_long = words.iter().filter(|word| **word == "long").count();
    if n_float + n_double > 1 || n_long + n_float + n_double != words.len() {
        return Some(Err(IntegerWordsError::Combination));
    }
    let size = match (n_double, n_long) {
        (0, 0) => 4,
        (1, 0) => 8,
        (1, 1) => 16,
        _ => return Some(Err(IntegerWordsError::Unknown)),
    };
    Some(Ok(Type::Float { size }))
}

/// The typedefs of libdtrace's LP64 "D" container, as the integer types they stand for.
const D_TYPEDEFS: &[(&str, u8, bool)] = &[
    ("int8_t", 1, true),
    ("int16_t", 2, true),
    ("int32_t", 4, true),
    ("int64_t", 8, true),
    ("intptr_t", 8, true),
    ("ssize_t", 8, true),
    ("uint8_t", 1, false),
    ("uint16_t", 2, false),
    ("uint32_t", 4, false),
    ("uint64_t", 8, false),
    ("uchar_t", 1, false),
    ("ushort_t", 2, false),
    ("uint_t", 4, false),
    ("ulong_t", 8, false),
    ("u_longlong_t", 8, false),
    ("ptrdiff_t", 8, true),
    ("uintptr_t", 8, false),
    ("size_t", 8, false),
    ("id_t", 4, true),
    ("pid_t", 4, true),
    // From the D library's `ip.d` rather than the container, for `inet_ntoa`.
    ("ipaddr_t", 4, false),
];

/// The built-in D typedef called `name` (`uint64_t`, `size_t`, `pid_t`).
pub fn d_typedef(name: &str) -> Option<Type> {
    D_TYPEDEFS
        .iter()
        .find(|(typedef_name, _, _)| *typedef_name == name)
        .map(|&(_, size, signed)| Type::Int { size, signed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(words: &str) -> Option<Result<Type, IntegerWordsError>> {
        let words: Vec<&str> = words.split(' ').collect();
        integer_type_name(&words)
    }

    #[test]
    fn c_integer_names() {
        let signed = |size| Some(Ok(Type::Int { size, signed: true }));
        let unsigned = |size| {
            Some(Ok(Type::Int {
                size,
                signed: false,
            }))
        };
        assert_eq!(int("char"), signed(1));
        assert_eq!(int("unsigned char"), unsigned(1));
        assert_eq!(int("signed char"), signed(1));
        assert_eq!(int("short int"), signed(2));
        assert_eq!(int("unsigned short"), unsigned(2));
        assert_eq!(int("int"), signed(4));
        assert_eq!(int("unsigned"), unsigned(4));
        assert_eq!(int("long"), signed(8));
        assert_eq!(int("unsigned long long int"), unsigned(8));
        assert_eq!(int("long unsigned"), unsigned(8));
    }

    #[test]
    fn floating_point_names() {
        let float = |words: &str| float_type_name(&words.split(' ').collect::<Vec<_>>());
        assert_eq!(float("float"), Some(Ok(Type::Float { size: 4 })));
        assert_eq!(float("double"), Some(Ok(Type::Float { size: 8 })));
        assert_eq!(float("long double"), Some(Ok(Type::Float { size: 16 })));
        assert_eq!(float("double long"), Some(Ok(Type::Float { size: 16 })));
        assert_eq!(
            float("double double"),
            Some(Err(IntegerWordsError::Combination))
        );
        assert_eq!(
            float("int double"),
            Some(Err(IntegerWordsError::Combination))
        );
        assert_eq!(float("long float"), Some(Err(IntegerWordsError::Unknown)));
        assert_eq!(
            float("unsigned float"),
            Some(Err(IntegerWordsError::SignedFloat))
        );
        assert_eq!(float("long"), None);
    }

    #[test]
    fn bad_combinations() {
        assert_eq!(int("char int"), Some(Err(IntegerWordsError::Combination)));
        assert_eq!(
            int("signed unsigned"),
            Some(Err(IntegerWordsError::Combination))
        );
        assert_eq!(
            int("long long long"),
            Some(Err(IntegerWordsError::Combination))
        );
        assert_eq!(int("short long"), Some(Err(IntegerWordsError::Unknown)));
        assert_eq!(int("uint64_t"), None);
    }

    #[test]
    fn d_typedefs_are_lp64() {
        assert_eq!(d_typedef("size_t"), Some(Type::ULONG));
        assert_eq!(d_typedef("pid_t"), Some(Type::INT));
        assert_eq!(
            d_typedef("int8_t"),
            Some(Type::Int {
                size: 1,
                signed: true
            })
        );
        assert_eq!(d_typedef("task_struct"), None);
    }
}

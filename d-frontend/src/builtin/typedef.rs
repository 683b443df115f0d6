//! D's built-in type names: the C integer keywords, `string`, and the LP64 typedefs libdtrace puts in
//! its "D" container (`uint64_t`, `size_t`, `pid_t`, ...).
//!
//! The lexer needs the typedef names to tell a declaration (`uint64_t x;`) from a probe description
//! at the outer level, and sema needs the types to check variable declarations.

use crate::types::Type;

const fn int(size: u8, signed: bool) -> Type {
    Type::Int { size, signed }
}

/// The integer typedefs every D program may use, as libdtrace defines them for LP64.
const TYPEDEFS: &[(&str, Type)] = &[
    ("int8_t", int(1, true)),
    ("int16_t", int(2, true)),
    ("int32_t", int(4, true)),
    ("int64_t", int(8, true)),
    ("intptr_t", int(8, true)),
    ("ssize_t", int(8, true)),
    ("uint8_t", int(1, false)),
    ("uint16_t", int(2, false)),
    ("uint32_t", int(4, false)),
    ("uint64_t", int(8, false)),
    ("uchar_t", int(1, false)),
    ("ushort_t", int(2, false)),
    ("uint_t", int(4, false)),
    ("ulong_t", int(8, false)),
    ("u_longlong_t", int(8, false)),
    ("ptrdiff_t", int(8, true)),
    ("uintptr_t", int(8, false)),
    ("size_t", int(8, false)),
    ("id_t", int(4, true)),
    ("pid_t", int(4, true)),
];

/// The type a built-in typedef name stands for.
pub fn lookup(name: &str) -> Option<Type> {
    TYPEDEFS
        .iter()
        .find(|(typedef, _)| *typedef == name)
        .map(|(_, ty)| *ty)
}

/// The integer or string type that the specifier words of a type name spell (`["unsigned",
/// "long"]`, `["uint64_t"]`, `["string"]`), ignoring qualifiers; `None` for anything else.
pub fn resolve(words: &[String]) -> Option<Type> {
    let mut n_long = 0;
    let (mut signed, mut unsigned) = (false, false);
    let mut base: Option<&str> = None;
    for word in words {
        match word.as_str() {
            "const" | "volatile" | "restrict" => {}
            "signed" => signed = true,
            "unsigned" => unsigned = true,
            "long" => n_long += 1,
            "char" | "short" | "int" if base.is_none() => base = Some(word),
            "int" if base == Some("short") => {}
            "string" if words.len() == 1 => return Some(Type::String),
            name if words.len() == 1 => return lookup(name),
            _ => return None,
        }
    }
    if signed && unsigned {
        return None;
    }
    let size = match (base, n_long) {
        (Some("char"), 0) => 1,
        (Some("short"), 0) => 2,
        (Some("int") | None, 0) => 4,
        (Some("int") | None, 1 | 2) => 8,
        _ => return None,
    };
    if base.is_none() && n_long == 0 && !signed && !unsigned {
        return None;
    }
    Some(int(size, !unsigned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn keywords_and_typedefs_resolve() {
        assert_eq!(resolve(&words("int")), Some(Type::INT));
        assert_eq!(resolve(&words("unsigned")), Some(Type::UINT));
        assert_eq!(resolve(&words("unsigned long long")), Some(Type::ULONG));
        assert_eq!(resolve(&words("long")), Some(Type::LONG));
        assert_eq!(resolve(&words("const char")), Some(int(1, true)));
        assert_eq!(resolve(&words("unsigned short int")), Some(int(2, false)));
        assert_eq!(resolve(&words("uint64_t")), Some(Type::ULONG));
        assert_eq!(resolve(&words("string")), Some(Type::String));
    }

    #[test]
    fn other_types_do_not() {
        assert_eq!(resolve(&words("struct foo")), None);
        assert_eq!(resolve(&words("signed unsigned int")), None);
        assert_eq!(resolve(&words("long char")), None);
        assert_eq!(resolve(&words("double")), None);
        assert_eq!(resolve(&words("foo_t")), None);
        assert_eq!(resolve(&words("const")), None);
    }
}

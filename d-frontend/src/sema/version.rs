//! The D version a program is compiled for (`#pragma D option version=1.0`) and the built-in
//! functions each version defines.
//!
//! As in libdtrace, a built-in function newer than the requested version does not exist for the
//! program, so its name is free for a variable; at or after it, declaring a variable of that name
//! redeclares a built-in identifier. Versions are encoded as `DT_VERSION_NUMBER` does.

use super::Checker;
use crate::ast::Declarator;
use crate::builtin::{function, subr};
use crate::diagnostic::ErrTag;

/// `major.minor.micro` as one number.
const fn number(major: u32, minor: u32, micro: u32) -> u32 {
    (major << 24) | (minor << 12) | micro
}

/// The version of D programs that ask for none.
pub(super) const LATEST: u32 = number(2, 0, 1);

/// The functions that appeared after D 1.0, with their version.
const INTRODUCED: &[(&str, u32)] = &[
    ("freopen", number(1, 1, 0)),
    ("index", number(1, 1, 0)),
    ("rindex", number(1, 1, 0)),
    ("strchr", number(1, 1, 0)),
    ("strrchr", number(1, 1, 0)),
    ("strstr", number(1, 1, 0)),
    ("strtok", number(1, 1, 0)),
    ("substr", number(1, 1, 0)),
    ("func", number(1, 2, 0)),
    ("mod", number(1, 2, 0)),
    ("sym", number(1, 2, 0)),
    ("ufunc", number(1, 2, 0)),
    ("umod", number(1, 2, 0)),
    ("usym", number(1, 2, 0)),
    ("uaddr", number(1, 2, 0)),
    ("toupper", number(1, 2, 0)),
    ("tolower", number(1, 2, 0)),
    ("htonl", number(1, 3, 0)),
    ("htonll", number(1, 3, 0)),
    ("htons", number(1, 3, 0)),
    ("ntohl", number(1, 3, 0)),
    ("ntohll", number(1, 3, 0)),
    ("ntohs", number(1, 3, 0)),
    ("inet_ntoa", number(1, 5, 0)),
    ("inet_ntoa6", number(1, 5, 0)),
    ("inet_ntop", number(1, 5, 0)),
    ("getmajor", number(1, 5, 0)),
    ("print", number(2, 0, 0)),
];

/// `dt_version_str2num`: `major[.minor[.micro]]`, each part in range.
pub(super) fn parse(text: &str) -> Option<u32> {
    let mut parts = text.split('.');
    let mut part = |limit: u32| -> Option<u32> {
        match parts.next() {
            None => Some(0),
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse().ok().filter(|&value| value <= limit)
            }
            Some(_) => None,
        }
    };
    let (major, minor, micro) = (part(0xff)?, part(0xfff)?, part(0xfff)?);
    parts
        .next()
        .is_none()
        .then_some(number(major, minor, micro))
}

/// Whether `name` is a built-in function in D `version`.
fn is_builtin_function(name: &str, version: u32) -> bool {
    let exists = function::lookup(name).is_some() || subr::lookup(name).is_some();
    let since = INTRODUCED
        .iter()
        .find(|(newer, _)| *newer == name)
        .map_or(number(1, 0, 0), |&(_, since)| since);
    exists && since <= version
}

impl Checker<'_> {
    /// Reports a global variable named after a built-in function of the program's D version.
    pub(super) fn redeclares_function(&mut self, declarator: &Declarator) -> bool {
        let name = &declarator.name;
        if !is_builtin_function(name, self.d_version) {
            return false;
        }
        let message = format!("built-in identifier redeclared: {name}");
        self.error(ErrTag::D_DECL_IDRED, declarator.span, message);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::diagnostic::Origin;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    #[test]
    fn versions_parse_as_in_libdtrace() {
        assert_eq!(parse("1.1"), Some(number(1, 1, 0)));
        assert_eq!(parse("2.0.1"), Some(LATEST));
        assert_eq!(parse("1"), Some(number(1, 0, 0)));
        assert_eq!(parse("1.x"), None);
        assert_eq!(parse("1..2"), None);
        assert_eq!(parse("1.2.3.4"), None);
        assert_eq!(parse("256.0"), None);
    }

    fn first_error(text: &str) -> Option<String> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let options = CompileOptions::default();
        compile(&sources, &[(file, Origin::Script)], &FakeCatalog, &options)
            .err()
            .map(|errors| format!("[{:?}] {}", errors[0].tag, errors[0].message))
    }

    #[test]
    fn functions_of_the_version_are_not_variable_names() {
        assert_eq!(
            first_error("int strstr; BEGIN { exit(0); }").as_deref(),
            Some("[D_DECL_IDRED] built-in identifier redeclared: strstr")
        );
        assert_eq!(
            first_error("#pragma D option version=1.1\nint substr; BEGIN { exit(0); }").as_deref(),
            Some("[D_DECL_IDRED] built-in identifier redeclared: substr")
        );
        assert_eq!(
            first_error("int trace; BEGIN { exit(0); }").as_deref(),
            Some("[D_DECL_IDRED] built-in identifier redeclared: trace")
        );
        assert_eq!(
            first_error("#pragma D option version=1.0\nint strstr; int index; BEGIN { exit(0); }"),
            None
        );
    }
}

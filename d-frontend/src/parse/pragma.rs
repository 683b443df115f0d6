//! `#pragma D` directives, checked as libdtrace's `dt_pragma` checks them while it lexes: a bad
//! directive is reported at its line, before any syntax error further on.
//!
//! `option`, `attributes`, `binding` and `depends_on provider|module` become items for sema,
//! which knows the program's identifiers and the providers; `error` is `#error`; `ident` and
//! `line` are ignored; anything else is an invalid D pragma.

use super::{PResult, ParseError};
use crate::ast::{Item, Pragma};
use crate::diagnostic::ErrTag;
use crate::source::Span;

/// DTrace's stability levels, the first two parts of an attributes string.
const STABILITIES: &[&str] = &[
    "Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable", "Standard",
];
/// DTrace's dependency classes, the third part.
const CLASSES: &[&str] = &["Unknown", "CPU", "Platform", "Group", "ISA", "Common"];

/// Checks the words after `#pragma D`; returns the item sema takes, if any.
pub(super) fn directive(words: &[String], span: Span) -> PResult<'_, Option<Item>> {
    let Some((name, args)) = words.split_first() else {
        return Ok(None);
    };
    let error = |tag, message: String| ParseError::Pragma { tag, message, span };
    match name.as_str() {
        "option" => {}
        "attributes" => {
            let [attributes, _ident, ..] = args else {
                let message = "malformed #pragma attributes <attributes> <ident>".to_owned();
                return Err(error(ErrTag::D_PRAGMA_MALFORM, message));
            };
            if !is_attributes(attributes) {
                let message = "invalid attributes specified by #pragma attributes".to_owned();
                return Err(error(ErrTag::D_PRAGMA_INVAL, message));
            }
        }
        "binding" => {
            let [version, _ident, ..] = args else {
                let message = "malformed #pragma binding \"version\" <ident>".to_owned();
                return Err(error(ErrTag::D_PRAGMA_MALFORM, message));
            };
            if !is_version(version) {
                let message = "invalid version string specified by #pragma binding".to_owned();
                return Err(error(ErrTag::D_PRAGMA_INVAL, message));
            }
        }
        "depends_on" => {
            let [class, _name, ..] = args else {
                let message = "malformed #pragma depends_on <class> <name>".to_owned();
                return Err(error(ErrTag::D_PRAGMA_MALFORM, message));
            };
            match class.as_str() {
                "provider" | "module" => {}
                "library" => {
                    let message = "main program may not explicitly depend on a library".to_owned();
                    return Err(error(ErrTag::D_PRAGMA_DEPEND, message));
                }
                _ => {
                    let message = format!("invalid class {class} specified by #pragma depends_on");
                    return Err(error(ErrTag::D_PRAGMA_INVAL, message));
                }
            }
        }
        "error" => return Err(ParseError::ErrorDirective { words: args, span }),
        "ident" | "line" => return Ok(None),
        _ => {
            let message = format!("invalid D pragma: {name}");
            return Err(error(ErrTag::D_PRAGMA_INVAL, message));
        }
    }
    Ok(Some(Item::Pragma(Pragma {
        words: words.to_vec(),
        span,
    })))
}

/// `dtrace_str2attr`: up to three `/`-separated parts, name and data stability then class, each
/// matched without regard to case; missing parts are allowed.
fn is_attributes(text: &str) -> bool {
    let known =
        |names: &[&str], part: &str| names.iter().any(|name| name.eq_ignore_ascii_case(part));
    let mut parts = text.split('/');
    let checks: [&[&str]; 3] = [STABILITIES, STABILITIES, CLASSES];
    for names in checks {
        match parts.next() {
            None | Some("") => return true,
            Some(part) if !known(names, part) => return false,
            Some(_) => {}
        }
    }
    true
}

/// `dt_version_str2num`: `major[.minor[.micro]]` in decimal.
fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() <= 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::source::FileId;

    fn check(line: &str) -> Result<bool, Diagnostic> {
        let words: Vec<String> = line.split(' ').map(str::to_owned).collect();
        let span = Span::new(FileId(0), 0, 0);
        directive(&words, span)
            .map(|item| item.is_some())
            .map_err(|error| error.to_diagnostic())
    }

    fn error_of(line: &str) -> (ErrTag, String) {
        let error = check(line).expect_err(line);
        (error.tag, error.message)
    }

    #[test]
    fn good_directives_become_items_or_are_ignored() {
        for line in [
            "option quiet",
            "attributes Stable/Stable/Common foo",
            "attributes evolving foo",
            "binding 1.6.3 foo",
            "depends_on provider syscall",
            "depends_on module vmlinux",
        ] {
            assert_eq!(check(line), Ok(true), "{line}");
        }
        assert_eq!(check("ident anything"), Ok(false));
    }

    #[test]
    fn bad_directives_are_libdtraces_errors() {
        assert_eq!(
            error_of("attributes incorrect_attr"),
            (
                ErrTag::D_PRAGMA_MALFORM,
                "malformed #pragma attributes <attributes> <ident>".to_owned()
            )
        );
        assert_eq!(
            error_of("attributes incorrect_attr foo"),
            (
                ErrTag::D_PRAGMA_INVAL,
                "invalid attributes specified by #pragma attributes".to_owned()
            )
        );
        assert_eq!(
            error_of("attributes Stable/Stable/Nowhere foo").0,
            ErrTag::D_PRAGMA_INVAL
        );
        assert_eq!(error_of("binding 1.x foo").0, ErrTag::D_PRAGMA_INVAL);
        assert_eq!(error_of("binding 1.0").0, ErrTag::D_PRAGMA_MALFORM);
        assert_eq!(
            error_of("depends_on library net.d"),
            (
                ErrTag::D_PRAGMA_DEPEND,
                "main program may not explicitly depend on a library".to_owned()
            )
        );
        assert_eq!(
            error_of("depends_on thing x").1,
            "invalid class thing specified by #pragma depends_on"
        );
        assert_eq!(
            error_of("error this is it"),
            (ErrTag::D_PRAGERR, "#error: this is it ".to_owned())
        );
        assert_eq!(
            error_of("frobnicate"),
            (
                ErrTag::D_PRAGMA_INVAL,
                "invalid D pragma: frobnicate".to_owned()
            )
        );
    }
}

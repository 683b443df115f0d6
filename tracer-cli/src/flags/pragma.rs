//! `#pragma D option name[=value]`: settings that a program makes for itself.
//!
//! The frontend collects the pragmas with their lines; they are checked here against the same
//! option table as `-x`, and a bad one is a compile error at its line (`D_PRAGMA_OPTSET`) in
//! libdtrace's words, such as `failed to set option 'iregs' to '9': Invalid value for specified
//! option`. Options that only make sense before compiling (the preprocessor's, the paths) are
//! refused, as libdtrace refuses them inside a D program.

use d_frontend::diagnostic::{Diagnostic, ErrTag};
use d_frontend::sema::PragmaOption;

use super::options::{OptionSource, Options};

/// Applies the pragmas in order, stopping at the first that fails.
pub fn apply_pragmas(options: &mut Options, pragmas: &[PragmaOption]) -> Result<(), Diagnostic> {
    for pragma in pragmas {
        let value = pragma.value.as_deref();
        if let Err(option_error) = options.set_from(OptionSource::Program, &pragma.name, value) {
            let message = match value {
                Some(value) => format!(
                    "failed to set option '{}' to '{value}': {option_error}",
                    pragma.name
                ),
                None => format!("failed to set option '{}': {option_error}", pragma.name),
            };
            return Err(Diagnostic::error(
                ErrTag::D_PRAGMA_OPTSET,
                pragma.span,
                message,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use d_frontend::source::{FileId, Span};

    use super::*;

    fn pragma(name: &str, value: Option<&str>, line_start: usize) -> PragmaOption {
        PragmaOption {
            name: name.to_owned(),
            value: value.map(str::to_owned),
            span: Span::new(FileId(0), line_start, line_start + 1),
        }
    }

    #[test]
    fn pragmas_set_options_in_order() {
        let mut options = Options::default();
        let pragmas = [
            pragma("quiet", None, 0),
            pragma("bufsize", Some("8k"), 10),
            pragma("quiet", Some("no"), 20),
        ];
        apply_pragmas(&mut options, &pragmas).expect("valid pragmas");
        assert_eq!(options.bufsize(), 8192);
        assert!(!options.quiet());
    }

    #[test]
    fn a_bad_pragma_is_an_error_at_its_line() {
        let mut options = Options::default();
        let error = apply_pragmas(
            &mut options,
            &[pragma("quiet", None, 0), pragma("iregs", Some("9"), 30)],
        )
        .unwrap_err();
        assert_eq!(error.tag, ErrTag::D_PRAGMA_OPTSET);
        assert_eq!(error.span.start, 30);
        assert_eq!(
            error.message,
            "failed to set option 'iregs' to '9': Invalid value for specified option"
        );
        let error = apply_pragmas(&mut options, &[pragma("nosuch", None, 0)]).unwrap_err();
        assert_eq!(
            error.message,
            "failed to set option 'nosuch': Invalid option name"
        );
        let error = apply_pragmas(&mut options, &[pragma("define", Some("X"), 0)]).unwrap_err();
        assert_eq!(
            error.message,
            "failed to set option 'define' to 'X': Option cannot be used from within a D program"
        );
    }
}

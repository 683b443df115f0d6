//! Function prototypes (`void func(int, int);`), which libdtrace takes as `extern` declarations.
//!
//! A prototype declares a function of the kernel or of an included header; D never calls it, so a
//! prototype only has its types checked. It names no variable of the program: a `#pragma D
//! attributes` for the function's name is left unused, as in libdtrace.

use super::Checker;
use crate::ast::{Decl, DeclClass};
use crate::diagnostic::ErrTag;

impl Checker<'_> {
    /// Checks a declaration of function prototypes; false, having done nothing, for a declaration
    /// that declares none.
    pub(super) fn prototypes(&mut self, decl: &Decl) -> bool {
        let Some(first) = decl
            .declarators
            .iter()
            .find(|declarator| declarator.params.is_some())
        else {
            return false;
        };
        let supported = match &decl.class {
            DeclClass::None => true,
            DeclClass::Other(word) if word == "auto" || word == "register" => {
                self.error(
                    ErrTag::D_DECL_BADCLASS,
                    decl.span,
                    "specified storage class not appropriate in D",
                );
                return true;
            }
            // libdtrace makes a `static` prototype an `extern` one.
            DeclClass::Other(_) => true,
            DeclClass::Typedef
            | DeclClass::Inline
            | DeclClass::ThreadLocal
            | DeclClass::ClauseLocal => false,
        };
        if !supported
            || decl
                .declarators
                .iter()
                .any(|declarator| declarator.params.is_none())
        {
            let message = format!(
                "function types are only supported in prototypes of their own: {}",
                first.name
            );
            self.error(ErrTag::D_UNKNOWN, decl.span, message);
            return true;
        }
        if let Some(ty) = &decl.ty
            && self.type_spec(ty).is_none()
        {
            return true;
        }
        for param in decl
            .declarators
            .iter()
            .flat_map(|declarator| declarator.params.iter().flatten())
        {
            if self.type_name(param).is_none() {
                return true;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};

    #[test]
    fn prototypes_declare_no_variable() {
        for text in [
            "void func(int, int);\nBEGIN { exit(0); }",
            "extern int f(void), g(char *, ...);\nstatic long h();\nBEGIN { exit(0); }",
        ] {
            let compiled = compile_one(text);
            assert!(compiled.is_ok(), "{text}: {compiled:?}");
        }
        assert_eq!(
            errors_of(
                "void func(int, int);\n#pragma D attributes Stable/Stable/Common func\nBEGIN { }"
            ),
            ["[D_PRAGMA_UNUSED] unused #pragma attributes"]
        );
    }

    #[test]
    fn prototypes_take_libdtrace_errors() {
        for (text, expected) in [
            (
                "register int f(int);\nBEGIN { }",
                "[D_DECL_BADCLASS] specified storage class not appropriate in D",
            ),
            (
                "void f(no_such_t);\nBEGIN { }",
                "[D_UNKNOWN] failed to resolve type no_such_t",
            ),
            (
                "typedef void f_t(int);\nBEGIN { }",
                "[D_UNKNOWN] function types are only supported in prototypes of their own: f_t",
            ),
        ] {
            let errors = errors_of(text);
            assert!(
                errors
                    .first()
                    .is_some_and(|error| error.starts_with(expected)),
                "{text}: {errors:?}"
            );
        }
    }
}

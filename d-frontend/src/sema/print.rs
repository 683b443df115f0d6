//! Checking `print(pointer)`: libdtrace records the pointer and the bytes it points to, and its
//! consumer prints them with the pointee's type.
//!
//! The argument must be a pointer (libdtrace's prototype is `void *`) to a type of non-zero size.
//! Recording and printing the pointee are not implemented yet, so a program that passes these
//! checks gets a compile error saying so rather than wrong output.

use super::Checker;
use crate::ast::Expr;
use crate::diagnostic::ErrTag;

impl Checker<'_> {
    pub(super) fn print(&mut self, args: &[Expr]) {
        let ty = self.expr(&args[0]);
        let table = &self.type_info.table;
        let Some(pointee) = table.pointee(ty) else {
            let name = table.name(ty);
            self.error(
                ErrTag::D_PROTO_ARG,
                args[0].span,
                format!(
                    "print( ) argument #1 is incompatible with prototype:\n\tprototype: void *\n\t argument: {name}"
                ),
            );
            return;
        };
        if table.size_of(pointee, 1).unwrap_or(0) == 0 {
            let name = table.name(pointee);
            self.error(
                ErrTag::D_PRINT_SIZE,
                args[0].span,
                format!(
                    "print( ) argument #1 reference has type '{name}' with size 0; cannot print( ) it."
                ),
            );
            return;
        }
        self.error(
            ErrTag::D_UNKNOWN,
            args[0].span,
            "print( ) of a pointed-to value is not supported yet",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::{Compiled, compile};
    use crate::diagnostic::{Diagnostic, ErrTag, Origin};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn compile_one(text: &str) -> Result<Compiled, Vec<Diagnostic>> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
    }

    fn first_error(text: &str) -> Diagnostic {
        compile_one(text).expect_err(text).swap_remove(0)
    }

    #[test]
    fn print_takes_exactly_one_argument() {
        for (text, message) in [
            (
                "BEGIN { print(); }",
                "print( ) prototype mismatch: 0 args passed, 1 expected",
            ),
            (
                "BEGIN { x = 1; print(x, x); }",
                "print( ) prototype mismatch: 2 args passed, 1 expected",
            ),
        ] {
            let error = first_error(text);
            assert_eq!(error.tag, ErrTag::D_PROTO_LEN, "{text}");
            assert_eq!(error.message, message, "{text}");
        }
    }

    #[test]
    fn print_takes_a_pointer() {
        for (text, argument) in [
            ("BEGIN { print(1); }", "int"),
            ("BEGIN { print(\"s\"); }", "string"),
            (
                "struct s { int a; }; struct s v; BEGIN { print(v); }",
                "struct s",
            ),
        ] {
            let error = first_error(text);
            assert_eq!(error.tag, ErrTag::D_PROTO_ARG, "{text}");
            assert_eq!(
                error.message,
                format!(
                    "print( ) argument #1 is incompatible with prototype:\n\tprototype: void *\n\t argument: {argument}"
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn print_refuses_a_pointee_of_size_zero() {
        for (text, name) in [("BEGIN { print((void *)0); }", "void")] {
            let error = first_error(text);
            assert_eq!(error.tag, ErrTag::D_PRINT_SIZE, "{text}");
            assert_eq!(
                error.message,
                format!(
                    "print( ) argument #1 reference has type '{name}' with size 0; cannot print( ) it."
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn printing_a_pointee_is_refused_until_it_is_implemented() {
        let error = first_error("BEGIN { print((int *)alloca(4)); }");
        assert_eq!(error.tag, ErrTag::D_UNKNOWN);
        assert!(
            error.message.contains("not supported yet"),
            "{}",
            error.message
        );
    }
}

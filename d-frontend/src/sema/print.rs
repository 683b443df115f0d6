//! Checking `print(pointer)`: libdtrace records the pointer and the bytes it points to, and its
//! consumer prints them with the pointee's type.
//!
//! The argument must be a pointer (libdtrace's prototype is `void *`) to a type of non-zero size.
//! Sema also builds the [`PrintType`] the consumer formats the bytes with, loading kernel struct
//! members as deep as `print()` shows them.

use super::Checker;
use crate::ast::Expr;
use crate::diagnostic::ErrTag;
use crate::ir::{PrintKind, PrintMember, PrintType};
use crate::types::Type;

/// How deep `print()` shows nested members, as libdtrace's `DT_PRINT_DEPTH`.
const PRINT_DEPTH: u32 = 10;

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
        let print_type = self.print_type(pointee, 0);
        self.type_info.prints.insert(args[0].span, print_type);
    }

    fn print_type(&mut self, ty: Type, depth: u32) -> PrintType {
        let table = &self.type_info.table;
        let size = table.size_of(ty, 1).unwrap_or(0);
        let mut name = table.name(ty);
        if depth >= PRINT_DEPTH {
            return PrintType {
                name,
                size,
                kind: PrintKind::TooDeep,
            };
        }
        let kind = match ty {
            Type::Int { signed, .. } => PrintKind::Int { signed },
            Type::Pointer(_) => PrintKind::Pointer,
            Type::Array(_) => match table.array(ty) {
                Some((element, len)) => PrintKind::Array {
                    element: Box::new(self.print_type(element, depth + 1)),
                    len,
                },
                None => PrintKind::Other,
            },
            Type::Struct(id) => {
                let def = table.struct_def(id);
                if def.name.is_none() {
                    if def.union { "union" } else { "struct" }.clone_into(&mut name);
                }
                let members = self
                    .type_info
                    .table
                    .loaded_members(id, self.catalog)
                    .unwrap_or_default();
                let members = members
                    .into_iter()
                    .map(|member| PrintMember {
                        ty: self.print_type(member.ty, depth + 1),
                        name: member.name,
                        bit_offset: member.bit_offset,
                        bit_size: member.bit_size,
                    })
                    .collect();
                PrintKind::Struct { members }
            }
            _ => PrintKind::Other,
        };
        PrintType { name, size, kind }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::{Compiled, compile};
    use crate::diagnostic::{Diagnostic, ErrTag, Origin};
    use crate::ir::{PrintKind, RecordAction};
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
        let error = first_error("BEGIN { print((void *)0); }");
        assert_eq!(error.tag, ErrTag::D_PRINT_SIZE);
        assert_eq!(
            error.message,
            "print( ) argument #1 reference has type 'void' with size 0; cannot print( ) it."
        );
    }

    #[test]
    fn print_records_the_pointee_with_its_type() {
        let compiled = compile_one(
            "struct s { int a; struct { char c[2]; } in; long *p; }; \
             BEGIN { print((struct s *)alloca(sizeof(struct s))); }",
        )
        .unwrap();
        let (size, ty) = compiled.module.clauses[0]
            .record
            .iter()
            .flatten()
            .find_map(|action| match action {
                RecordAction::Print { size, ty, .. } => Some((*size, ty.clone())),
                _ => None,
            })
            .expect("a print action");
        assert_eq!(size, 16);
        assert_eq!(ty.name, "struct s");
        let PrintKind::Struct { members } = &ty.kind else {
            panic!("{ty:?}");
        };
        let shown: Vec<(&str, &str, u32)> = members
            .iter()
            .map(|m| (m.name.as_str(), m.ty.name.as_str(), m.bit_offset))
            .collect();
        assert_eq!(
            shown,
            [("a", "int", 0), ("in", "struct", 32), ("p", "long *", 64)]
        );
        let PrintKind::Struct { members: inner } = &members[1].ty.kind else {
            panic!("{:?}", members[1]);
        };
        assert_eq!(inner[0].ty.name, "char [2]");
        assert!(matches!(inner[0].ty.kind, PrintKind::Array { len: 2, .. }));
    }
}

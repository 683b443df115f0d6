//! Kernel symbols: `` `max_pfn ``, `` vmlinux`linux_banner ``.
//!
//! As in libdtrace, only a scoped name (one with a backquote) is looked up among the kernel's
//! symbols. The symbol is an lvalue in kernel memory that cannot be assigned: its value is read
//! with a probe read at the symbol's address, and `&` gives the address. Its type is that of the
//! BTF variable of the same name when the kernel has one, and otherwise `uintptr_t`, DTrace's type
//! for a kernel symbol it has no type information for. User symbols (``` ``main ```) are not
//! supported.

use super::Checker;
use crate::ast::Expr;
use crate::diagnostic::ErrTag;
use crate::types::Type;

impl Checker<'_> {
    /// Types a backquoted identifier as the kernel symbol it names, recording its address for
    /// lowering; reports a name that names no symbol.
    pub(super) fn kernel_symbol(&mut self, name: &str, expr: &Expr) -> Type {
        let (module, symbol) = name.rsplit_once('`').unwrap_or(("", name));
        let module = match module {
            "" => None,
            module if module.ends_with('`') => {
                self.error(
                    ErrTag::D_IDENT_UNDEF,
                    expr.span,
                    format!("failed to resolve {name}: user symbols are not supported"),
                );
                return Type::ULONG;
            }
            module => Some(module),
        };
        let Some(found) = self.catalog.kernel_symbol(module, symbol) else {
            self.error(
                ErrTag::D_IDENT_UNDEF,
                expr.span,
                format!("failed to resolve {name}: Unknown symbol name"),
            );
            return Type::ULONG;
        };
        self.type_info
            .kernel_symbols
            .insert(expr.span, found.address);
        found
            .ty
            .and_then(|id| self.type_info.table.import_kernel(self.catalog, id))
            .filter(|ty| *ty != Type::Void)
            .unwrap_or(Type::ULONG)
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{constants_of, errors_of, first_clause};
    use crate::ir::Inst;

    #[test]
    fn symbols_are_read_at_their_address_with_their_btf_type() {
        let insts = first_clause("BEGIN { trace(`max_pfn); }").insts;
        assert!(insts.iter().any(
            |inst| matches!(inst, Inst::Const { value, .. } if *value == 0xffff_ffff_8300_0000)
        ));
        assert!(insts.iter().any(|inst| matches!(
            inst,
            Inst::Load {
                size: 8,
                signed: false,
                ..
            }
        )));
    }

    #[test]
    fn the_address_of_a_symbol_is_a_constant_pointer() {
        let values = constants_of(
            "BEGIN { trace((long)&vmlinux`max_pfn); trace(sizeof(`linux_banner)); trace(sizeof(`untyped_sym)); }",
        );
        assert!(values.contains(&0xffff_ffff_8300_0000));
        assert!(values.contains(&200));
        assert!(values.contains(&8));
    }

    #[test]
    fn an_array_symbol_traces_as_its_bytes() {
        let values = constants_of("BEGIN { trace(vmlinux`linux_banner); }");
        assert!(values.contains(&0xffff_ffff_8240_0100));
    }

    #[test]
    fn symbols_take_dtrace_errors() {
        for (program, expected) in [
            (
                "BEGIN { trace(`no_such_symbol); }",
                "[D_IDENT_UNDEF] failed to resolve `no_such_symbol: Unknown symbol name",
            ),
            (
                "BEGIN { trace(ext4`max_pfn); }",
                "[D_IDENT_UNDEF] failed to resolve ext4`max_pfn: Unknown symbol name",
            ),
            (
                "BEGIN { `max_pfn = 1; }",
                "[D_OP_WRITE] operator = can only be applied to a writable variable",
            ),
        ] {
            let errors = errors_of(program);
            assert!(
                errors.iter().any(|error| error.contains(expected)),
                "{program}: {errors:?}"
            );
        }
    }
}

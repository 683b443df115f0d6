//! `-x linkmode=dynamic` with `-x kdefs`: kernel symbols left unlinked are refused.
//!
//! libdtrace resolves a kernel symbol (`` `max_pfn ``) while compiling when the link mode is
//! `kernel` or `static`. With `dynamic` it leaves a relocation for the symbol in the clause's
//! code instead, and without `knodefs` its assembler refuses any such relocation (`D_ASRELO`),
//! naming the symbol and the instruction that needs it. tracer always resolves kernel symbols
//! while compiling, so in that mode every reference is one that libdtrace would leave; the offset
//! it reports is the index (from 1) of the instruction in the clause's IR that loads the address.

use crate::diagnostic::{Diagnostic, ErrTag};
use crate::ir::Module;
use crate::sema::Checked;
use crate::source::SourceMap;

/// The first kernel symbol reference of the program, in clause order, as the error libdtrace's
/// assembler gives it when relocations against kernel symbols are not permitted.
pub(crate) fn unlinked_kernel_symbol(
    sources: &SourceMap,
    checked: &Checked,
    module: &Module,
) -> Option<Diagnostic> {
    let symbols = &checked.type_info.kernel_symbols;
    module.clauses.iter().find_map(|clause| {
        let inst_idx = clause
            .spans
            .iter()
            .position(|span| symbols.contains_key(span))?;
        let span = clause.spans[inst_idx];
        let written = sources.slice(span);
        let (object, name) = match written.rsplit_once('`') {
            Some((object, name)) if !object.is_empty() => (object, name),
            _ => ("vmlinux", written.trim_start_matches('`')),
        };
        let message = format!(
            "relocation remains against kernel symbol {object}`{name} (offset {:#x})",
            inst_idx + 1
        );
        Some(Diagnostic::error(ErrTag::D_ASRELO, span, message))
    })
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::Origin;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn compile_with(text: &str, kernel_relocations: bool) -> Result<(), Vec<String>> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let options = CompileOptions {
            kernel_relocations,
            ..CompileOptions::default()
        };
        compile(&sources, &[(file, Origin::Script)], &FakeCatalog, &options)
            .map(|_| ())
            .map_err(|errors| {
                errors
                    .iter()
                    .map(|error| format!("[{:?}] {}", error.tag, error.message))
                    .collect()
            })
    }

    #[test]
    fn kernel_symbols_are_refused_only_when_left_to_link() {
        let program = "BEGIN { x = 1; }\nEND { trace((long)&`max_pfn); trace(vmlinux`max_pfn); }";
        assert!(compile_with(program, false).is_ok());
        let errors = compile_with(program, true).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "[D_ASRELO] relocation remains against kernel symbol vmlinux`max_pfn (offset 0x"
            ),
            "{errors:?}"
        );
        assert!(compile_with("BEGIN { exit(0); }", true).is_ok());
    }
}

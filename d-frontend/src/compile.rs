//! The whole front half in one function: parse every source, check them together, lower.

use crate::diagnostic::{Diagnostic, Origin};
use crate::ir;
use crate::lower::lower;
use crate::parse::parse_source;
use crate::provider::ProbeCatalog;
use crate::sema::{self, CompileOptions, SourceProgram};
use crate::source::{FileId, SourceMap};

/// A compiled program: the IR, and the `#pragma D option` settings for the caller to apply.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The lowered program.
    pub module: ir::Module,
    /// `#pragma D option name[=value]`, in order.
    pub pragma_options: Vec<(String, Option<String>)>,
}

/// Compiles the sources (`-n` descriptions and `-s` scripts, in command-line order) as one program.
pub fn compile(
    sources: &SourceMap,
    inputs: &[(FileId, Origin)],
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut programs = Vec::new();
    let mut errors = Vec::new();
    for &(file, origin) in inputs {
        let (program, diagnostics) = parse_source(sources, file);
        errors.extend(diagnostics);
        programs.push(SourceProgram {
            file,
            origin,
            program,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let checked = sema::check(sources, programs, catalog, options)?;
    let module = lower(&checked);
    Ok(Compiled {
        module,
        pragma_options: checked.pragma_options,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::provider::tests::FakeCatalog;

    /// Compiles one `-n` source against the fake catalog.
    pub(crate) fn compile_one(text: &str) -> Result<Compiled, Vec<Diagnostic>> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
    }

    /// Every constant the first clause of `program` loads, in order.
    pub(crate) fn constants_of(program: &str) -> Vec<u64> {
        let compiled =
            compile_one(program).unwrap_or_else(|errors| panic!("{program}: {errors:?}"));
        compiled.module.clauses[0]
            .insts
            .iter()
            .filter_map(|inst| match inst {
                ir::Inst::Const { value, .. } => Some(*value),
                _ => None,
            })
            .collect()
    }

    /// The value `BEGIN { trace(expr); }` records, when sema folded `expr` to one constant.
    pub(crate) fn traced_constant(expr: &str) -> u64 {
        let constants = constants_of(&format!("BEGIN {{ trace({expr}); }}"));
        match constants[..] {
            [value] => value,
            _ => panic!("{expr} lowers to constants {constants:?}"),
        }
    }

    /// The messages of a program that must fail to compile.
    pub(crate) fn errors_of(text: &str) -> Vec<String> {
        match compile_one(text) {
            Ok(_) => panic!("{text} compiled"),
            Err(errors) => errors
                .into_iter()
                .map(|error| format!("[{:?}] {}", error.tag, error.message))
                .collect(),
        }
    }

    #[test]
    fn one_liner_compiles_to_one_clause() {
        let compiled = compile_one("syscall::openat:entry { @[execname] = count(); }").unwrap();
        let module = compiled.module;
        assert_eq!(module.clauses.len(), 1);
        assert_eq!(module.clauses[0].probe_ids, [8]);
        assert_eq!(module.aggregations[0].keys, [crate::types::Type::String]);
        assert_eq!(module.clauses[0].record, None);
        assert_eq!(module.sources[0].name, "syscall::openat:entry ");
        assert_eq!(module.sources[0].n_matched, 1);
    }

    #[test]
    fn unmatched_probe_is_d_pdesc_zero() {
        let errors = compile_one("nosuch:::probe { }").unwrap_err();
        assert_eq!(errors[0].tag, crate::diagnostic::ErrTag::D_PDESC_ZERO);
        assert_eq!(
            errors[0].message,
            "probe description nosuch:::probe does not match any probes"
        );
    }

    #[test]
    fn every_error_is_reported() {
        let errors =
            compile_one("BEGIN { trace(nosuch); exit(); printf(\"%d\", \"s\"); }").unwrap_err();
        let tags: Vec<_> = errors.iter().map(|error| error.tag).collect();
        assert_eq!(tags.len(), 3, "{errors:?}");
    }

    #[test]
    fn compound_assignment_to_an_aggregation_names_the_operator() {
        let errors = compile_one("BEGIN { @a += count(); }").unwrap_err();
        assert_eq!(
            errors[0].message,
            "operator += may not be applied to aggregation @a"
        );
    }
}

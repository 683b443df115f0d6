//! The whole front half in one function: parse every source (the D library's first), check them
//! together, lower.

use std::collections::HashSet;

use crate::ast::{DeclClass, Item, Program};
use crate::diagnostic::{Diagnostic, ErrTag, Origin};
use crate::ir;
use crate::lex::macros::Macros;
use crate::library::needed;
use crate::lower::lower;
use crate::parse::{KnownTypes, parse_source, parse_source_with_known_types};
use crate::provider::{ProbeCatalog, ProbeField};
use crate::sema::{self, CompileOptions, PragmaOption, SourceProgram};
use crate::source::{FileId, SourceMap, Span};

/// A compiled program: the IR, and the `#pragma D option` settings for the caller to apply.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The lowered program.
    pub module: ir::Module,
    /// `#pragma D option name[=value]`, in order.
    pub pragma_options: Vec<PragmaOption>,
}

/// One source of a program: its file, how it was given, and the field a partial probe
/// description in it names (`-P syscall` names a provider, `-n read` a probe name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// The source's file.
    pub file: FileId,
    /// `-s` or a probe specifier flag.
    pub origin: Origin,
    /// The field a partial description names.
    pub spec: ProbeField,
}

/// Compiles the sources (`-n` descriptions and `-s` scripts, in command-line order) as one program.
pub fn compile(
    sources: &SourceMap,
    inputs: &[(FileId, Origin)],
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let inputs: Vec<Input> = inputs
        .iter()
        .map(|&(file, origin)| Input {
            file,
            origin,
            spec: ProbeField::Name,
        })
        .collect();
    compile_inputs(sources, &inputs, catalog, options)
}

/// Compiles the sources as one program, each read as its [`Input`] says.
pub fn compile_inputs(
    sources: &SourceMap,
    inputs: &[Input],
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut programs = Vec::new();
    let mut errors = Vec::new();
    let library = needed_library(sources, inputs, options);
    for (file, program, diagnostics) in library {
        if diagnostics.is_empty() && !module_dependencies_met(&program, catalog) {
            continue;
        }
        errors.extend(diagnostics);
        programs.push(SourceProgram {
            file,
            origin: Origin::Script,
            spec: ProbeField::Name,
            program,
        });
    }
    let known = KnownTypes {
        typedefs: programs
            .iter()
            .flat_map(|library| typedef_names(&library.program))
            .collect(),
        catalog: Some(catalog),
    };
    for &Input { file, origin, spec } in inputs {
        let (program, diagnostics) = parse_source_with_known_types(
            sources,
            file,
            origin,
            &macros(sources, file, origin, options),
            options.pspec,
            &known,
        );
        let empty = diagnostics.is_empty()
            && !options.empty
            && program
                .items
                .iter()
                .all(|item| matches!(item, Item::Pragma(_)));
        if empty {
            let end = sources.file(file).text.len();
            errors.push(Diagnostic::error(
                ErrTag::D_EMPTY,
                Span::new(file, end, end),
                "empty D program translation unit",
            ));
        }
        errors.extend(diagnostics);
        programs.push(SourceProgram {
            file,
            origin,
            spec,
            program,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let checked = sema::check(sources, programs, catalog, options)?;
    let module = lower(&checked);
    if options.kernel_relocations
        && let Some(error) = crate::relocation::unlinked_kernel_symbol(sources, &checked, &module)
    {
        return Err(vec![error]);
    }
    Ok(Compiled {
        module,
        pragma_options: checked.pragma_options,
    })
}

/// The names the `typedef` declarations of `program` declare.
fn typedef_names(program: &Program) -> impl Iterator<Item = String> + '_ {
    program.items.iter().flat_map(|item| match item {
        Item::Decl(decl) if decl.class == DeclClass::Typedef => decl
            .declarators
            .iter()
            .map(|declarator| declarator.name.clone())
            .collect(),
        _ => Vec::new(),
    })
}

/// The library files parsed, with their diagnostics, leaving out those that depend on a kernel
/// module and whose declarations the program cannot use (see [`crate::library::needed`]).
fn needed_library(
    sources: &SourceMap,
    inputs: &[Input],
    options: &CompileOptions,
) -> Vec<(FileId, Program, Vec<Diagnostic>)> {
    let parsed: Vec<_> = options
        .library
        .iter()
        .map(|&file| {
            let (program, diagnostics) = parse_source(sources, file);
            (file, program, diagnostics)
        })
        .collect();
    let is_optional = |program: &Program, diagnostics: &[Diagnostic]| {
        diagnostics.is_empty() && needed::depends_on_module(program)
    };
    let mut used: HashSet<&str> = inputs
        .iter()
        .flat_map(|input| needed::words(&sources.file(input.file).text))
        .chain(options.macro_args.iter().flat_map(|arg| needed::words(arg)))
        .chain(needed::words(&options.program_name))
        .collect();
    let mut optional = Vec::new();
    for (file, program, diagnostics) in &parsed {
        if is_optional(program, diagnostics) {
            optional.push((program, sources.file(*file).text.as_str()));
        } else {
            used.extend(needed::words(&sources.file(*file).text));
        }
    }
    let mut keep = needed::needed(&optional, used).into_iter();
    parsed
        .into_iter()
        .filter(|(_, program, diagnostics)| {
            !is_optional(program, diagnostics) || keep.next().unwrap_or(true)
        })
        .collect()
}

/// Whether every `#pragma D depends_on module NAME` of a library file names a module the catalog
/// has; libdtrace leaves out a library file whose dependencies are not met.
fn module_dependencies_met(program: &Program, catalog: &dyn ProbeCatalog) -> bool {
    program.items.iter().all(|item| match item {
        Item::Pragma(pragma) => match pragma.words.as_slice() {
            [directive, class, name, ..] if directive == "depends_on" && class == "module" => {
                catalog.has_module(name)
            }
            _ => true,
        },
        _ => true,
    })
}

/// What the macros of one source stand for: `$0` is a script's name, or the program's for a probe
/// description, as dtrace passes them to `dt_compile`.
fn macros(sources: &SourceMap, file: FileId, origin: Origin, options: &CompileOptions) -> Macros {
    let arg0 = match origin {
        Origin::Script => sources.file(file).name.clone(),
        Origin::ProbeSpecifier => options.program_name.clone(),
    };
    Macros {
        args: std::iter::once(arg0)
            .chain(options.macro_args.iter().cloned())
            .collect(),
        variables: options.macro_variables,
        defaultargs: options.defaultargs,
        argref: options.argref,
    }
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

    /// The first clause of `program`, lowered; panics on a compile error.
    pub(crate) fn first_clause(program: &str) -> ir::Clause {
        let compiled =
            compile_one(program).unwrap_or_else(|errors| panic!("{program}: {errors:?}"));
        compiled
            .module
            .clauses
            .into_iter()
            .next()
            .expect("a clause")
    }

    /// The instructions of `BEGIN { body }`.
    pub(crate) fn insts_of(body: &str) -> Vec<ir::Inst> {
        first_clause(&format!("BEGIN {{ {body} }}")).insts
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
    fn macros_are_substituted_per_source() {
        let mut sources = SourceMap::default();
        let description = sources.add("syscall::$1:entry { }", "syscall::$1:entry { }");
        let script = sources.add("t.d", "BEGIN { trace($$0); trace($2); }");
        let options = CompileOptions {
            macro_args: vec!["openat".to_owned(), "pid".to_owned()],
            ..CompileOptions::default()
        };
        let errors = compile(
            &sources,
            &[(description, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &options,
        )
        .unwrap_err();
        assert_eq!(errors[0].tag, crate::diagnostic::ErrTag::D_MACRO_UNUSED);
        assert_eq!(
            errors[0].message,
            "extraneous argument 'pid' ($2 is not referenced)"
        );
        let compiled = compile(
            &sources,
            &[
                (description, Origin::ProbeSpecifier),
                (script, Origin::Script),
            ],
            &FakeCatalog,
            &CompileOptions {
                argref: true,
                ..options
            },
        )
        .unwrap();
        assert_eq!(compiled.module.sources[0].n_matched, 1);
        assert_eq!(compiled.module.clauses.len(), 2);
    }

    #[test]
    fn a_source_without_clauses_is_empty_unless_permitted() {
        let errors = compile_one("#pragma D option quiet\n").unwrap_err();
        assert_eq!(errors[0].tag, crate::diagnostic::ErrTag::D_EMPTY);
        assert_eq!(errors[0].message, "empty D program translation unit");
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "\n");
        let options = CompileOptions {
            empty: true,
            ..CompileOptions::default()
        };
        let compiled = compile(&sources, &[(file, Origin::Script)], &FakeCatalog, &options);
        assert!(
            compiled
                .expect("empty is permitted")
                .module
                .clauses
                .is_empty()
        );
    }

    #[test]
    fn zdefs_permits_descriptions_that_match_nothing() {
        let mut sources = SourceMap::default();
        let text = "nosuch:::probe { } BEGIN { }";
        let file = sources.add(text, text);
        let options = CompileOptions {
            zdefs: true,
            ..CompileOptions::default()
        };
        let compiled = compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &options,
        )
        .expect("zdefs permits it");
        assert_eq!(compiled.module.sources[0].n_matched, 1);
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

    #[test]
    fn a_kernel_typedef_in_parentheses_casts_a_negated_operand() {
        assert_eq!(traced_constant("sizeof((u32)-12345)"), 4);
        assert_eq!(traced_constant("sizeof((u32)+1)"), 4);
        let errors = errors_of("BEGIN { trace((nosuch_t)-1); }");
        assert_eq!(
            errors,
            ["[D_IDENT_UNDEF] failed to resolve nosuch_t: Unknown variable name"]
        );
    }
}

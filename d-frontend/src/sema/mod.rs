//! Semantic analysis: resolve probes, type every expression, check actions and aggregations.
//!
//! Sema reports every error in the program, then stops: lowering never runs on a program with
//! errors. Its output, [`Checked`], is plain data that lowering reads without re-checking.

mod access;
mod action_operand;
mod agg;
mod agg_shape;
mod alloca;
mod args;
pub mod blocks;
mod clause_flags;
mod consteval;
mod decl;
mod destructive;
mod expr;
mod inline;
mod keys;
mod ksym;
mod lookahead;
mod path;
mod pragma;
mod print;
mod prototype;
mod scope;
mod stack;
mod stmt;
mod string_width;
pub(crate) mod subr;
mod translate;
mod value_key;

pub use alloca::{is_alloca, place_is_alloca};
pub use var_place::{is_aggregate_var, var_place_root};
mod var;
mod var_place;
mod version;

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use crate::ast::{self, Item, VarScope};
use crate::diagnostic::{Diagnostic, ErrTag, Origin};
use crate::ir::{AggDecl, DescriptionMatch, SourceSummary, Variable};
use crate::lex::macros::MacroVariables;
use crate::provider::{Probe, ProbeCatalog, ProbeDesc, ProbeField, ProbeTable};
use crate::source::{FileId, SourceMap, Span};
use crate::types::Type;

pub use scope::{
    Binder, Inline, ParamRef, TranslatorDef, TranslatorMemberDef, TypeInfo, XlateMember,
};

/// Options that change how a program is read, checked and lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// The `strsize` option: bytes per string.
    pub strsize: u32,
    /// The `scratchsize` option: bytes `alloca` may take in one clause (DTrace's option value
    /// less the 8 bytes its offsets start at).
    pub scratchsize: u32,
    /// `$0` of a probe description: the program's own name as it was run. A script's `$0` is the
    /// script's name.
    pub program_name: String,
    /// `$1`, `$2`, ...: the operands of the command line.
    pub macro_args: Vec<String>,
    /// `$pid`, `$target`, `$uid` and the other macro variables.
    pub macro_variables: MacroVariables,
    /// The `defaultargs` option: missing macro arguments are 0 or `""`.
    pub defaultargs: bool,
    /// The `argref` option: the last macro argument need not be referenced.
    pub argref: bool,
    /// The `zdefs` option (`-Z`): a probe description may match no probe.
    pub zdefs: bool,
    /// The `empty` option: a source may have no clause.
    pub empty: bool,
    /// The files of the D library ([`crate::library`]), checked before the inputs.
    pub library: Vec<FileId>,
    /// The `stackframes`, `ustackframes` and `maxframes` options, which size stacks.
    pub stack_frames: StackFrames,
    /// The `pspec` option: a word at the outer level that may be a probe description is one.
    pub pspec: bool,
    /// `linkmode=dynamic` without `knodefs`: a kernel symbol, which that mode leaves to be linked
    /// later, is refused (`D_ASRELO`).
    pub kernel_relocations: bool,
}

/// The options that say how many frames a stack records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackFrames {
    /// `stackframes`: frames of `stack()` without an argument.
    pub kernel: u32,
    /// `ustackframes`: frames of `ustack()` and `jstack()` without an argument.
    pub user: u32,
    /// `maxframes`: the most frames any stack records (libdtrace's default is the kernel's
    /// `perf_event_max_stack`, 127).
    pub max: u32,
}

impl Default for StackFrames {
    fn default() -> StackFrames {
        StackFrames {
            kernel: 20,
            user: 100,
            max: 127,
        }
    }
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            strsize: 256,
            scratchsize: 256,
            program_name: String::new(),
            macro_args: Vec::new(),
            macro_variables: MacroVariables::default(),
            defaultargs: false,
            argref: false,
            zdefs: false,
            empty: false,
            library: Vec::new(),
            stack_frames: StackFrames::default(),
            pspec: false,
            kernel_relocations: false,
        }
    }
}

/// The type of every expression, keyed by the expression's span.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeMap(HashMap<Span, Type>);

impl TypeMap {
    /// The type sema gave the expression at `span`.
    pub fn get(&self, span: Span) -> Type {
        match self.0.get(&span) {
            Some(ty) => *ty,
            None => panic!("sema gave no type to the expression at {span:?}"),
        }
    }

    /// The type sema gave the expression at `span`, if it typed it (the subscripted name of an
    /// associative array has none).
    pub fn lookup(&self, span: Span) -> Option<Type> {
        self.0.get(&span).copied()
    }

    fn insert(&mut self, span: Span, ty: Type) {
        self.0.insert(span, ty);
    }
}

/// A checked program: the AST plus everything sema learned about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The clauses of every source, in order.
    pub clauses: Vec<ast::Clause>,
    /// For each clause, the IDs of the probes it is enabled on.
    pub clause_probes: Vec<Vec<u32>>,
    /// Every matched probe, by ID.
    pub probes: Vec<Probe>,
    /// Every expression's type.
    pub types: TypeMap,
    /// Aggregations in order of first use.
    pub aggregations: Vec<AggDecl>,
    /// Variables in order of declaration or first use.
    pub variables: Vec<Variable>,
    /// `#pragma D option` settings, in order.
    pub pragma_options: Vec<PragmaOption>,
    /// What each source matched.
    pub sources: Vec<SourceSummary>,
    /// `task_struct` offsets for `ppid` (`real_parent`, `tgid`), when BTF has them.
    pub ppid_offsets: Option<(u32, u32)>,
    /// The offset of `task_struct.se.sum_exec_runtime` for `vtimestamp`, when BTF has it.
    pub vtimestamp_offset: Option<u32>,
    /// The kernel field offsets `d_path` walks with, when BTF has them.
    pub path_offsets: Option<crate::ir::PathOffsets>,
    /// The kernel field offsets `execargs` reads, when BTF has them.
    pub execargs_offsets: Option<crate::ir::ExecArgsOffsets>,
    /// The options it was checked with.
    pub options: CompileOptions,
    /// Whether it uses a destructive action (`raise`, `system`, `stop`, `chill`).
    pub destructive: bool,
    /// The type table and what sema resolved for lowering (constants, members, inlines).
    pub type_info: TypeInfo,
}

impl Checked {
    /// The index in [`Checked::variables`] of the variable `name` in `scope`.
    pub fn variable_index(&self, scope: VarScope, name: &str) -> usize {
        match self
            .variables
            .iter()
            .position(|var| var.scope == scope && var.name == name)
        {
            Some(var_idx) => var_idx,
            None => panic!("sema declared no variable {}{name}", scope.prefix()),
        }
    }
}

/// One `#pragma D option name[=value]` line, for the caller to check against its option table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PragmaOption {
    /// The option's name.
    pub name: String,
    /// The text after `=`, if any.
    pub value: Option<String>,
    /// The pragma line, where an invalid setting is reported (`D_PRAGMA_OPTSET`).
    pub span: Span,
}

/// One parsed source and how it was given.
pub struct SourceProgram {
    /// The file.
    pub file: FileId,
    /// `-n` or `-s`.
    pub origin: Origin,
    /// The field a partial description names (`-P`, `-m`, `-f` or `-n`).
    pub spec: ProbeField,
    /// Its AST.
    pub program: ast::Program,
}

/// Checks the parsed sources together, as one program.
pub fn check(
    sources: &SourceMap,
    programs: Vec<SourceProgram>,
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
) -> Result<Checked, Vec<Diagnostic>> {
    let mut checker = Checker {
        types: TypeMap::default(),
        aggregations: Vec::new(),
        variables: Vec::new(),
        errors: Vec::new(),
        kernel_writes: Vec::new(),
        zdefs: options.zdefs,
        strsize: options.strsize,
        scratchsize: options.scratchsize,
        ppid_offsets: OnceCell::new(),
        vtimestamp_offset: OnceCell::new(),
        path_offsets: OnceCell::new(),
        execargs_offsets: OnceCell::new(),
        destructive: false,
        catalog,
        sources,
        type_info: TypeInfo::default(),
        scope: scope::Scope::default(),
        clause_args: args::ClauseArgs::default(),
        clause_start: None,
        library: options.library.clone(),
        stack_frames: options.stack_frames,
        d_version: version::LATEST,
    };
    let mut probe_table = ProbeTable::new(catalog);
    let mut clauses = Vec::new();
    let mut clause_probes = Vec::new();
    let mut probes: Vec<Probe> = Vec::new();
    let mut program_probe_ids = HashSet::new();
    let mut pragma_options = Vec::new();
    let mut deferred_pragmas = Vec::new();
    let mut summaries = Vec::new();
    for source in programs {
        let mut n_matched = 0;
        let mut descriptions = Vec::new();
        for item in source.program.items {
            match item {
                Item::Pragma(pragma) => {
                    checker.pragma(
                        &pragma,
                        &mut pragma_options,
                        &mut deferred_pragmas,
                        &mut probe_table,
                    );
                    if let Some(option) = pragma_options.last() {
                        stack::pragma_frames(&mut checker.stack_frames, option);
                        if option.name == "version"
                            && let Some(number) = option.value.as_deref().and_then(version::parse)
                        {
                            checker.d_version = number;
                        }
                    }
                }
                Item::Decl(decl) => checker.declaration(&decl),
                Item::Translator(translator) => checker.translator(&translator),
                Item::Clause(clause) => {
                    let matched = checker.match_probes(
                        &clause,
                        source.spec,
                        &mut probe_table,
                        &mut descriptions,
                    );
                    n_matched += matched.len();
                    let first_desc = descriptions
                        .last()
                        .filter(|_| !clause.probes.is_empty())
                        .map(|description: &DescriptionMatch| description.desc.to_string())
                        .unwrap_or_default();
                    checker.clause_args = args::ClauseArgs::of(&matched, first_desc);
                    for probe in &matched {
                        if program_probe_ids.insert(probe.id) {
                            probes.push(probe.clone());
                        }
                    }
                    checker.clause_start = clause.probes.first().map(|probe| probe.span);
                    checker.clause(&clause);
                    clause_probes.push(matched.iter().map(|probe| probe.id).collect());
                    clauses.push(clause);
                }
            }
        }
        if !options.library.contains(&source.file) {
            let mut summary = summary(sources, source.file, source.origin, n_matched);
            summary.descriptions = descriptions;
            summaries.push(summary);
        }
    }
    checker.unused_pragmas(deferred_pragmas);
    checker.errors.append(&mut checker.kernel_writes);
    if !checker.errors.is_empty() {
        return Err(checker.errors);
    }
    probes.sort_by_key(|probe| probe.id);
    let ppid_offsets = checker.ppid_offsets.get().copied().flatten();
    let vtimestamp_offset = checker.vtimestamp_offset.get().copied().flatten();
    let path_offsets = checker.path_offsets.get().copied().flatten();
    let execargs_offsets = checker.execargs_offsets.get().copied().flatten();
    let mut options = options.clone();
    if let Some(strsize) = pragma_strsize(&pragma_options) {
        options.strsize = strsize;
    }
    options.scratchsize = checker.scratchsize;
    options.stack_frames = checker.stack_frames;
    let mut aggregations = checker.aggregations;
    let mut variables: Vec<Variable> = checker
        .variables
        .into_iter()
        .map(|var| var.finish(&checker.type_info.table))
        .collect();
    for agg in &mut aggregations {
        string_width::fit_to_strsize(&agg.keys, &mut agg.key_value_sizes, options.strsize);
    }
    for var in &mut variables {
        let keys = var.keys.as_deref().unwrap_or_default();
        string_width::fit_to_strsize(keys, &mut var.key_value_sizes, options.strsize);
    }
    Ok(Checked {
        clauses,
        clause_probes,
        probes,
        types: checker.types,
        aggregations,
        variables,
        pragma_options,
        sources: summaries,
        ppid_offsets,
        vtimestamp_offset,
        path_offsets,
        execargs_offsets,
        options,
        destructive: checker.destructive,
        type_info: checker.type_info,
    })
}

/// The last `#pragma D option strsize=N` with a number DTrace accepts (2 or more), which sizes
/// every string of the program as `-x strsize` does. Other values are left for the caller, which
/// checks every pragma option and reports bad ones.
fn pragma_strsize(pragma_options: &[PragmaOption]) -> Option<u32> {
    pragma_options
        .iter()
        .rev()
        .find(|option| option.name == "strsize")
        .and_then(|option| option.value.as_deref()?.parse::<u32>().ok())
        .filter(|strsize| (2..=1 << 20).contains(strsize))
}

/// The banner entry for one source: `description 'TEXT '` up to the first `{`, `/` or `;` for `-n`,
/// `script 'NAME'` for `-s`.
fn summary(sources: &SourceMap, file: FileId, origin: Origin, n_matched: usize) -> SourceSummary {
    let source = sources.file(file);
    match origin {
        Origin::ProbeSpecifier => {
            let end = source
                .text
                .find(['{', '/', ';'])
                .unwrap_or(source.text.len());
            SourceSummary {
                kind: "description",
                name: source.text[..end].to_string(),
                n_matched,
                descriptions: Vec::new(),
            }
        }
        Origin::Script => SourceSummary {
            kind: "script",
            name: source.name.clone(),
            n_matched,
            descriptions: Vec::new(),
        },
    }
}

/// The checking state shared by the statement and expression checkers.
struct Checker<'c> {
    types: TypeMap,
    aggregations: Vec<AggDecl>,
    variables: Vec<var::VarState>,
    errors: Vec<Diagnostic>,
    /// Stores to kernel memory through a pointer held in a D variable: libdtrace accepts them and
    /// the BPF verifier refuses the program, so they are reported after every other error.
    kernel_writes: Vec<Diagnostic>,
    /// `-Z`: descriptions that match nothing are not errors.
    zdefs: bool,
    /// The `strsize` option: bytes in a `string`.
    strsize: u32,
    /// The `scratchsize` option as the last pragma so far left it (see [`CompileOptions`]).
    scratchsize: u32,
    /// `task_struct` offsets for `ppid` and `progenyof`, looked up in the catalog when a clause
    /// first uses one: reading them parses the kernel's BTF, which most programs never need.
    ppid_offsets: OnceCell<Option<(u32, u32)>>,
    /// The offset for `vtimestamp`, looked up when a clause first uses it.
    vtimestamp_offset: OnceCell<Option<u32>>,
    /// The offsets for `d_path` and `d_mountpath`, looked up when a clause first uses one.
    path_offsets: OnceCell<Option<crate::ir::PathOffsets>>,
    /// The offsets for `execargs`, looked up when a clause first uses it.
    execargs_offsets: OnceCell<Option<crate::ir::ExecArgsOffsets>>,
    destructive: bool,
    /// Where kernel types come from.
    catalog: &'c dyn ProbeCatalog,
    /// The source texts, for the few errors libdtrace reports at the token after a node.
    sources: &'c SourceMap,
    /// The type table and the facts lowering needs.
    type_info: TypeInfo,
    /// The names the program's declarations put in scope.
    scope: scope::Scope,
    /// What `args[]` means in the clause being checked.
    clause_args: args::ClauseArgs,
    /// The first probe description of the clause being checked: libdtrace reports the errors it
    /// finds while generating a clause's code at that line.
    clause_start: Option<Span>,
    /// The frame options as the `#pragma`s so far set them.
    stack_frames: StackFrames,
    /// The D version as the `#pragma`s so far set it.
    d_version: u32,
    /// The files of the D library, whose typedefs a program may declare again.
    library: Vec<FileId>,
}

impl Checker<'_> {
    /// `task_struct.real_parent` and `.tgid`, for `ppid` and `progenyof`, when BTF has them.
    fn ppid_offsets(&self) -> Option<(u32, u32)> {
        *self.ppid_offsets.get_or_init(|| {
            self.catalog
                .struct_member("task_struct", "real_parent")
                .zip(self.catalog.struct_member("task_struct", "tgid"))
                .map(|(real_parent, tgid)| (real_parent.offset, tgid.offset))
        })
    }

    /// The offset of `task_struct.se.sum_exec_runtime`, for `vtimestamp`, when BTF has it.
    fn vtimestamp_offset(&self) -> Option<u32> {
        *self.vtimestamp_offset.get_or_init(|| {
            self.catalog
                .struct_member("task_struct", "se")
                .zip(
                    self.catalog
                        .struct_member("sched_entity", "sum_exec_runtime"),
                )
                .map(|(se, runtime)| se.offset + runtime.offset)
        })
    }

    fn error(&mut self, tag: ErrTag, span: Span, message: impl Into<String>) {
        self.errors.push(Diagnostic::error(tag, span, message));
    }

    /// The probes a clause's descriptions match, each once; records every description with its
    /// matches in `descriptions` (what `-l` lists).
    fn match_probes(
        &mut self,
        clause: &ast::Clause,
        spec: ProbeField,
        table: &mut ProbeTable<'_>,
        descriptions: &mut Vec<DescriptionMatch>,
    ) -> Vec<Probe> {
        let mut matched: Vec<Probe> = Vec::new();
        // `fbt` descriptions may match a hundred thousand probes: look duplicates up by ID.
        let mut matched_ids = HashSet::new();
        for probe_spec in &clause.probes {
            let Some((desc, found)) = self.match_description(probe_spec, spec, table) else {
                continue;
            };
            descriptions.push(DescriptionMatch {
                desc,
                probe_ids: found.iter().map(|probe| probe.id).collect(),
            });
            for mut probe in found {
                if matched_ids.insert(probe.id) {
                    probe.args = table.args(&probe);
                    probe.sources = table.sources(&probe);
                    matched.push(probe);
                }
            }
        }
        matched
    }

    /// One description and the probes it matches, or `None` after reporting why it is invalid.
    /// A description of digits alone is a probe ID (`-i 12`, or `12 { }` in a script).
    fn match_description(
        &mut self,
        probe_spec: &ast::ProbeSpec,
        spec: ProbeField,
        table: &mut ProbeTable<'_>,
    ) -> Option<(ProbeDesc, Vec<Probe>)> {
        let text = &probe_spec.text;
        if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
            let probe = text.parse::<u32>().ok().and_then(|id| table.by_id(id));
            let Some(probe) = probe else {
                self.error(
                    ErrTag::D_PDESC_INVAL,
                    probe_spec.span,
                    format!("invalid probe identifier {text}: Unknown probe identifier"),
                );
                return None;
            };
            return Some((probe.desc.clone(), vec![probe]));
        }
        let Some(desc) = ProbeDesc::parse_as(text, spec) else {
            self.error(
                ErrTag::D_PDESC_INVAL,
                probe_spec.span,
                format!("invalid probe description \"{text}\": Overspecified probe description"),
            );
            return None;
        };
        let found = match table.try_matching(&desc) {
            Ok(found) => found,
            Err(error) => {
                self.error(error.tag, probe_spec.span, error.message);
                return None;
            }
        };
        if found.is_empty() && !self.zdefs {
            self.error(
                ErrTag::D_PDESC_ZERO,
                probe_spec.span,
                format!("probe description {desc} does not match any probes"),
            );
        }
        Some((desc, found))
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::{ErrTag, Origin};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    #[test]
    fn option_pragmas_take_exactly_one_setting() {
        for (text, message) in [
            (
                "#pragma D option nspec=24 * 44\nBEGIN { }",
                "superfluous arguments specified for #pragma option",
            ),
            (
                "#pragma D option\nBEGIN { }",
                "malformed #pragma option <option>=<val>",
            ),
        ] {
            let mut sources = SourceMap::default();
            let file = sources.add("t.d", text);
            let errors = compile(
                &sources,
                &[(file, Origin::Script)],
                &FakeCatalog,
                &CompileOptions::default(),
            )
            .expect_err(text);
            assert_eq!(errors[0].tag, ErrTag::D_PRAGMA_MALFORM, "{text}");
            assert_eq!(errors[0].message, message);
        }
    }
}

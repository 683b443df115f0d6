//! Data-driven snapshot tests for the lexer, the parser, sema and lowering.
//!
//! Every `tests/data/{lex,parse}/{ok,err}/NAME.d` gives one snapshot in `tests/snapshots/`: the
//! token dump for `lex/ok`, the lexer's rendered diagnostics for `lex/err`, the AST dump for
//! `parse/ok` and the rendered diagnostics of lexing and parsing for `parse/err`; every
//! `tests/data/sema/err/NAME.d` gives the rendered diagnostics of the whole front end and every
//! `tests/data/lower/ok/NAME.d` the IR dump. An `ok` input must produce no diagnostic and an `err`
//! input at least one. Add a case by adding a file, then
//! run `INSTA_UPDATE=always cargo test -p d-frontend` (or `cargo insta review`) and read the new
//! snapshot.

use std::path::Path;

use d_frontend::ast_dump::dump_ast;
use d_frontend::compile::{Compiled, compile};
use d_frontend::diagnostic::{DiagFormat, Diagnostic, Origin, RenderOptions, render};
use d_frontend::lex::{dump_tokens, lex};
use d_frontend::parse::parse_source;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::{FileId, SourceMap};

/// A machine with three system calls and the `task_struct` members `ppid` and `progenyof` use.
struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        [("read", 0), ("write", 1), ("openat", 257)]
            .into_iter()
            .map(|(name, nr)| SyscallInfo {
                name: name.to_string(),
                nr,
            })
            .collect()
    }

    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        match (struct_name, member) {
            ("task_struct", "real_parent") => Some(MemberInfo {
                offset: 2440,
                size: 8,
            }),
            ("task_struct", "tgid") => Some(MemberInfo {
                offset: 2428,
                size: 4,
            }),
            _ => None,
        }
    }
}

/// Compiles the script in `file` with the default options; its pragmas may change them.
fn compile_script(sources: &SourceMap, file: FileId) -> Result<Compiled, Vec<Diagnostic>> {
    let options = CompileOptions::default();
    compile(sources, &[(file, Origin::Script)], &Catalog, &options)
}

fn load(path: &Path) -> (SourceMap, FileId) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let name = path
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let mut sources = SourceMap::default();
    let file = sources.add(name, text);
    (sources, file)
}

fn render_all(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let options = RenderOptions {
        program: "tracer",
        origin: Origin::Script,
        errtags: true,
        format: DiagFormat::Rich,
    };
    diagnostics
        .iter()
        .map(|diagnostic| render(sources, diagnostic, &options))
        .collect()
}

#[test]
fn lex_ok() {
    insta::glob!("data/lex/ok/*.d", |path| {
        let (sources, file) = load(path);
        let (tokens, diagnostics) = lex(&sources.file(file).text, file);
        assert!(
            diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&sources, &diagnostics)
        );
        insta::assert_snapshot!(dump_tokens(&tokens));
    });
}

#[test]
fn lex_err() {
    insta::glob!("data/lex/err/*.d", |path| {
        let (sources, file) = load(path);
        let (_, diagnostics) = lex(&sources.file(file).text, file);
        assert!(!diagnostics.is_empty(), "{}: no error", path.display());
        insta::assert_snapshot!(render_all(&sources, &diagnostics));
    });
}

#[test]
fn parse_ok() {
    insta::glob!("data/parse/ok/*.d", |path| {
        let (sources, file) = load(path);
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(
            diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render_all(&sources, &diagnostics)
        );
        insta::assert_snapshot!(dump_ast(&program));
    });
}

#[test]
fn parse_err() {
    insta::glob!("data/parse/err/*.d", |path| {
        let (sources, file) = load(path);
        let (_, diagnostics) = parse_source(&sources, file);
        assert!(!diagnostics.is_empty(), "{}: no error", path.display());
        insta::assert_snapshot!(render_all(&sources, &diagnostics));
    });
}

#[test]
fn sema_err() {
    insta::glob!("data/sema/err/*.d", |path| {
        let (sources, file) = load(path);
        let Err(diagnostics) = compile_script(&sources, file) else {
            panic!("{}: no error", path.display());
        };
        insta::assert_snapshot!(render_all(&sources, &diagnostics));
    });
}

#[test]
fn lower_ok() {
    insta::glob!("data/lower/ok/*.d", |path| {
        let (sources, file) = load(path);
        let compiled = compile_script(&sources, file).unwrap_or_else(|diagnostics| {
            panic!(
                "{}:\n{}",
                path.display(),
                render_all(&sources, &diagnostics)
            )
        });
        insta::assert_snapshot!(compiled.module.dump());
    });
}

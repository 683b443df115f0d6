//! Data-driven snapshot tests for the lexer and the parser.
//!
//! Every `tests/data/{lex,parse}/{ok,err}/NAME.d` gives one snapshot in `tests/snapshots/`: the
//! token dump for `lex/ok`, the lexer's rendered diagnostics for `lex/err`, the AST dump for
//! `parse/ok` and the rendered diagnostics of lexing and parsing for `parse/err`. An `ok` input
//! must produce no diagnostic and an `err` input at least one. Add a case by adding a file, then
//! run `INSTA_UPDATE=always cargo test -p d-frontend` (or `cargo insta review`) and read the new
//! snapshot.

use std::path::Path;

use d_frontend::ast_dump::dump_ast;
use d_frontend::diagnostic::{DiagFormat, Diagnostic, Origin, RenderOptions, render};
use d_frontend::lex::{dump_tokens, lex};
use d_frontend::parse::parse_source;
use d_frontend::source::{FileId, SourceMap};

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

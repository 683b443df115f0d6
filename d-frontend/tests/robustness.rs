//! The lexer and parser never panic, whatever the input.
//!
//! A cheap stand-in for the fuzzer: every prefix of every test input, every input with one byte
//! removed, and pseudo-random strings of D fragments and bytes go through lexing, parsing,
//! rendering and both dumps.

use std::path::Path;

use d_frontend::ast_dump::dump_ast;
use d_frontend::diagnostic::{DiagFormat, Origin, RenderOptions, render};
use d_frontend::lex::{dump_tokens, lex};
use d_frontend::parse::parse_source;
use d_frontend::source::SourceMap;

fn check(text: &str) {
    let mut sources = SourceMap::default();
    let file = sources.add("fuzz.d", text);
    let (tokens, _) = lex(text, file);
    let _ = dump_tokens(&tokens);
    let (program, diagnostics) = parse_source(&sources, file);
    let _ = dump_ast(&program);
    let options = RenderOptions {
        program: "tracer",
        origin: Origin::Script,
        errtags: true,
        format: DiagFormat::Rich,
    };
    for diagnostic in &diagnostics {
        let _ = render(&sources, diagnostic, &options);
    }
}

fn inputs() -> Vec<String> {
    let mut inputs = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "d") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
                inputs.push(text);
            }
        }
    }
    assert!(inputs.len() > 20, "test inputs not found");
    inputs
}

#[test]
fn every_prefix_and_every_deletion() {
    for input in inputs() {
        for (idx, _) in input.char_indices() {
            check(&input[..idx]);
            let mut deleted = input.clone();
            deleted.remove(idx);
            check(&deleted);
        }
    }
}

#[test]
fn random_fragments() {
    const FRAGMENTS: &[&str] = &[
        "BEGIN",
        "syscall::read:entry",
        "tick-1s",
        ",",
        "/",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        "\n",
        " ",
        "x",
        "self",
        "->",
        "this",
        ".",
        "@",
        "@a",
        "$1",
        "$$",
        "$target",
        "=",
        "+=",
        "?",
        ":",
        "*",
        "&",
        "-",
        "++",
        "sizeof",
        "stringof",
        "int",
        "struct",
        "unsigned",
        "if",
        "else",
        "\"s",
        "\"",
        "'",
        "'a'",
        "0x",
        "0",
        "09",
        "1.5",
        "99999999999999999999",
        "/*",
        "*/",
        "//",
        "#pragma D option quiet",
        "#",
        "\\",
        "`",
        "é",
        "\t",
        "^^",
        "<<=",
        "...",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let n_fragments = next() % 24;
        let text: String = (0..n_fragments)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        check(&text);
    }
}

#[test]
fn deep_nesting() {
    for (open, close) in [
        ("(", ")"),
        ("-", ""),
        ("!", ""),
        ("a ? b : ", ""),
        ("a = ", ""),
    ] {
        let text = format!(
            "BEGIN {{ x = {}1{}; }}",
            open.repeat(3000),
            close.repeat(3000)
        );
        check(&text);
    }
    check(&format!("BEGIN {{ {} }}", "if (a) ".repeat(3000)));
    check(&format!("BEGIN {{ {} }}", "if (a) {".repeat(3000)));
    check(&format!("BEGIN {{ x = 1{}; }}", " + 1".repeat(3000)));
    check(&format!("BEGIN {{ x = a{}; }}", "[1]".repeat(3000)));
}

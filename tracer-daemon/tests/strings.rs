//! D strings and subroutines compiled by the real pipeline and run in the kernel: each program is a
//! `BEGIN` clause run once with `BPF_PROG_TEST_RUN`, and its `trace()` records are decoded.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::time::Duration;

use d_frontend::sema::CompileOptions;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::layout::Value;

/// What one run of a `BEGIN` program gave.
struct Run {
    /// Every traced value, in order.
    values: Vec<Value>,
    /// Instructions the verifier processed for `dtrace_begin`.
    verified: u32,
    /// Instructions in `dtrace_begin`.
    n_insns: usize,
}

/// Compiles `text` with `strsize`, runs its `BEGIN` clauses once and returns what they traced.
fn run_begin(text: &str, strsize: u32) -> Run {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let options = CompileOptions {
        strsize,
        ..CompileOptions::default()
    };
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    let (generated, mut session) = compiled::load(text, &catalog, &options, &codegen);
    let verified = session
        .verified_instructions()
        .iter()
        .find(|(name, _)| name == "dtrace_begin")
        .and_then(|(_, count)| *count)
        .expect("the kernel reports verified_insns");
    let n_insns = generated
        .listings
        .iter()
        .find(|listing| listing.name == "dtrace_begin")
        .map_or(0, |listing| listing.insns.len());
    session.run_begin().expect("BEGIN runs");
    let mut values = Vec::new();
    session
        .poll_events(Duration::ZERO, &mut |bytes| {
            let clause = u32::from_ne_bytes(bytes[..4].try_into().expect("a header")) as usize;
            let record = decode_record(&generated.program.records[clause], bytes)
                .expect("the record decodes");
            values.extend(record.actions.into_iter().flatten());
        })
        .expect("polling works");
    Run {
        values,
        verified,
        n_insns,
    }
}

/// The program `BEGIN { trace(e1); trace(e2); ... }`.
fn traces(exprs: &[&str]) -> String {
    let body: Vec<String> = exprs.iter().map(|expr| format!("trace({expr});")).collect();
    format!("BEGIN {{ {} }}", body.join(" "))
}

fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|value| match value {
            Value::Str(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Value::Int { bits, .. } => (*bits as i64).to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Runs each `(expression, expected)` pair as one `trace()` of one clause and compares.
fn check(cases: &[(&str, &str)], strsize: u32) -> Run {
    let exprs: Vec<&str> = cases.iter().map(|(expr, _)| *expr).collect();
    let run = run_begin(&traces(&exprs), strsize);
    let got = strings(&run.values);
    let expected: Vec<String> = cases.iter().map(|(_, value)| (*value).to_owned()).collect();
    for ((expr, want), have) in cases.iter().zip(&got) {
        assert_eq!(have, want, "{expr} at strsize {strsize}");
    }
    assert_eq!(got.len(), expected.len());
    run
}

#[test]
fn string_subroutines_give_dtrace_results() {
    check(
        &[
            (r#"strjoin("foo", "bar")"#, "foobar"),
            (r#"strjoin("", "")"#, ""),
            (r#"substr("hello world", 6)"#, "world"),
            (r#"substr("hello", -3)"#, "llo"),
            (r#"substr("hello", -10)"#, "hello"),
            (r#"substr("hello", -10, 3)"#, ""),
            (r#"substr("hello", -10, 7)"#, "he"),
            (r#"substr("hello", 1, -1)"#, "ell"),
            (r#"substr("hello", 1, -10)"#, ""),
            (r#"substr("hello", 5)"#, ""),
            (r#"substr("hello", 0, 0)"#, ""),
            (r#"toupper("Hello, World 42")"#, "HELLO, WORLD 42"),
            (r#"tolower("Hello, World 42")"#, "hello, world 42"),
            (r#"strchr("hello", 'l')"#, "llo"),
            (r#"strrchr("hello", 'l')"#, "lo"),
            (r#"strstr("foobarbaz", "bar")"#, "barbaz"),
            (r#"strstr("foobarbaz", "")"#, "foobarbaz"),
            ("lltostr(0)", "0"),
            ("lltostr(-123456789)", "-123456789"),
            ("lltostr(0x8000000000000000)", "-9223372036854775808"),
            ("lltostr(255, 16)", "0xff"),
            ("lltostr(0, 16)", "0x0"),
            ("lltostr(8, 8)", "010"),
            ("lltostr(-1, 2)", &"1".repeat(64)),
        ],
        256,
    );
}

#[test]
fn basename_and_dirname_follow_dtrace() {
    let paths = [
        ("", ".", "."),
        ("/", "/", "/"),
        ("//", "/", "/"),
        ("a", "a", "."),
        ("/a", "a", "/"),
        ("a/", "a", "."),
        ("a/b/", "b", "a"),
        ("/a/b//", "b", "/a"),
        ("a//b", "b", "a"),
        ("/usr/lib/libc.so.6", "libc.so.6", "/usr/lib"),
    ];
    let exprs: Vec<String> = paths
        .iter()
        .flat_map(|(path, _, _)| {
            [
                format!("basename(\"{path}\")"),
                format!("dirname(\"{path}\")"),
            ]
        })
        .collect();
    let cases: Vec<(&str, &str)> = exprs
        .iter()
        .zip(paths.iter().flat_map(|(_, base, dir)| [*base, *dir]))
        .map(|(expr, want)| (expr.as_str(), want))
        .collect();
    check(&cases, 256);
}

#[test]
fn integer_subroutines_and_comparisons() {
    check(
        &[
            (r#"strlen("hello")"#, "5"),
            (r#"strlen("")"#, "0"),
            (r#"index("foobarbaz", "barbaz")"#, "3"),
            (r#"index("foofoofoo", "foo", 4)"#, "6"),
            (r#"index("foobar", "", 400)"#, "6"),
            (r#"index("foobar", "foobarbaz")"#, "-1"),
            (r#"rindex("foofoofoo", "foo")"#, "6"),
            (r#"rindex("foofoofoo", "foo", 4)"#, "3"),
            (r#"rindex("foofoofoo", "foo", -1)"#, "-1"),
            (r#"rindex("foobar", "", -1)"#, "0"),
            (r#""abc" < "abd""#, "1"),
            (r#""abc" > "abd""#, "0"),
            (r#""abc" == "abc""#, "1"),
            (r#""abc" != "abc""#, "0"),
            (r#""ab" < "abc""#, "1"),
            (r#""b" >= "abc""#, "1"),
            (r#""" <= """#, "1"),
            (r#""\xff" > "a""#, "1"),
            (r#"strstr("abc", "x") == NULL"#, "1"),
            (r#"strchr("abc", 'c') != NULL"#, "1"),
            ("progenyof(1)", "1"),
            ("progenyof(-5)", "0"),
        ],
        256,
    );
}

#[test]
fn strtok_goes_on_across_calls_and_clauses() {
    let run = run_begin(
        r#"BEGIN { trace(strtok(",,Carrots,,Barley,", ",")); trace(strtok(NULL, ",")); }
BEGIN { trace(strtok(NULL, ",") == NULL); trace(strtok(NULL, ",") == NULL); trace(strtok("", "") == NULL); trace(strtok("foo", "")); }"#,
        256,
    );
    assert_eq!(
        strings(&run.values),
        ["Carrots", "Barley", "1", "1", "1", "foo"]
    );
}

#[test]
fn results_are_cut_at_strsize() {
    check(
        &[
            (r#""1234567890123""#, "1234567890123"),
            (r#"substr("1234567890123", 0, 12)"#, "123456789012"),
            (r#"substr("1234567890123", 0, 14)"#, "1234567890123"),
            (r#"strjoin("1234567", "89abcdefgh")"#, "123456789abcd"),
            (r#"strlen("1234567890123456")"#, "13"),
            ("lltostr(12345678901234567)", "1234567890123"),
            ("lltostr(-12345678901234567)", "-123456789012"),
            (r#"toupper("abcdefghijklmnopq")"#, "ABCDEFGHIJKLM"),
        ],
        13,
    );
}

/// Many string operations in one clause, at two string sizes: the verifier checks each loop about
/// twice rather than once per character, so its work stays a small multiple of the program's
/// length (which grows with `strsize` only by the stores that clear each string).
#[test]
fn verifier_cost_does_not_grow_with_strsize() {
    let cases = [
        (
            r#"strjoin(strjoin("a", "b"), substr("hello", 1, 3))"#,
            "abell",
        ),
        (
            r#"index(toupper("xxfoo"), "FOO") + rindex("a/b/c", "/")"#,
            "5",
        ),
        (r#"strtok(basename("/x/y,z"), ",")"#, "y"),
        (
            r#"dirname("/x/y") == "/x" ? lltostr(-42, 10) : "no""#,
            "-42",
        ),
        (r#"strstr(strchr("hello world", 'o'), "wor")"#, "world"),
        (r#"strlen(tolower("ABC")) + ("a" < "b")"#, "4"),
    ];
    for strsize in [256, 1024, 2048] {
        let run = check(&cases, strsize);
        eprintln!(
            "strsize {strsize}: {} instructions, {} verified",
            run.n_insns, run.verified
        );
        assert!(
            (run.verified as usize) < 3 * run.n_insns,
            "strsize {strsize}: {} verified for {} instructions",
            run.verified,
            run.n_insns
        );
    }
}

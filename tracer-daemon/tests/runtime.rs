//! DTrace's run-time semantics of integers and string comparisons, compiled by the real pipeline
//! and run in the kernel: each program is a `BEGIN` clause run once with `BPF_PROG_TEST_RUN`, and
//! its `trace()` records are decoded.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::time::Duration;

use d_frontend::sema::CompileOptions;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::layout::Value;

/// Compiles `text`, runs its `BEGIN` clauses once and returns every traced value, integers as
/// signed numbers and strings as text.
fn traced(text: &str) -> Vec<String> {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    let (generated, mut session) =
        compiled::load(text, &catalog, &CompileOptions::default(), &codegen);
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
    values
        .iter()
        .map(|value| match value {
            Value::Int { bits, .. } => (*bits as i64).to_string(),
            Value::Str(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            other => panic!("{text} traced {other:?}"),
        })
        .collect()
}

/// Runs each `(expression, expected)` pair as one `trace()` of one `BEGIN` clause.
fn check(setup: &str, cases: &[(&str, i64)]) {
    let body: Vec<String> = cases
        .iter()
        .map(|(expr, _)| format!("trace({expr});"))
        .collect();
    let got = traced(&format!("BEGIN {{ {setup} {} }}", body.join(" ")));
    assert_eq!(got.len(), cases.len());
    for ((expr, want), have) in cases.iter().zip(&got) {
        assert_eq!(*have, want.to_string(), "{expr}");
    }
}

#[test]
fn int_arithmetic_keeps_sixty_four_bits_until_stored() {
    check(
        "this->x = 1 << 32; this->i = 1; this->big = (1 << 63) - 1;",
        &[
            // Compared, cast wider or divided, the value is the 64-bit one.
            ("(1 << 32) != 0", 1),
            ("(long)(1 << 31) * 2", 1 << 32),
            ("(long)((1 << 63) - 1)", i64::MAX),
            ("(long)(this->i << 40) >> 40", 1),
            ("(long)-(1 << 31)", -(1 << 31)),
            // Recorded or stored in an `int`, it is cut to 32 bits.
            ("1 << 32", 0),
            ("this->x", 0),
            ("(1 << 63) - 1", -1),
            ("this->big", -1),
        ],
    );
}

#[test]
fn a_null_string_compares_equal_to_the_empty_string() {
    check(
        r#"this->null = strtok("", ""); this->empty = ""; this->word = "a";"#,
        &[
            ("this->null == NULL", 1),
            ("this->empty == NULL", 0),
            ("this->null == this->empty", 1),
            (r#"this->null == """#, 1),
            ("this->null != this->empty", 0),
            ("this->null < this->word", 1),
            ("this->word > this->null", 1),
        ],
    );
}

#[test]
fn strings_read_from_alloca_memory_ignore_what_earlier_clauses_left_in_scratch() {
    // The first clause records a string, leaving bytes in the scratch area where the second
    // clause's string slots later lie; a stale byte in a slot's NULL mark made the strings read
    // from `alloca` memory NULL and fault.
    let got = traced(
        r#"BEGIN { this->s = "left behind"; trace(this->s); }
        BEGIN {
            x = (char *)alloca(8); y = (char *)alloca(8);
            x[0] = 'a'; x[1] = '/'; x[2] = 'b'; x[3] = 0; y[0] = '/'; y[1] = 0;
            trace(strlen(x)); trace(index(x, y)); trace(basename(x));
        }"#,
    );
    assert_eq!(got, ["left behind", "3", "1", "b"]);
}

#[test]
fn strings_are_stored_into_and_read_back_from_alloca_memory() {
    let got = traced(
        r#"#pragma D option strsize=64
        BEGIN {
            s = (string *)alloca(sizeof(string));
            *s = "abc";
            trace(*s); trace(strlen(*s)); trace(strjoin(*s, "d"));
        }"#,
    );
    assert_eq!(got, ["abc", "3", "abcd"]);
}

//! Property tests of the whole compile pipeline, on stable Rust in the normal test suite: D
//! programs built from a grammar of well-typed clauses always compile to an object aya-obj parses,
//! and arbitrary text or damaged programs never make any stage panic.
//!
//! The same invariants run under libFuzzer in `fuzz/` (`cargo xtask fuzz`).

mod pipeline;

use pipeline::Reached;
use proptest::prelude::*;

/// An integer expression over literals, probe arguments, built-in variables and the variables the
/// generated clauses declare; every one is well typed wherever an integer is.
fn int_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0i64..1_000_000).prop_map(|n| n.to_string()),
        Just("arg0".to_string()),
        Just("arg1".to_string()),
        Just("pid".to_string()),
        Just("tid".to_string()),
        Just("timestamp".to_string()),
        Just("cpu".to_string()),
        Just("x".to_string()),
        Just("self->t".to_string()),
        Just("a[pid]".to_string()),
        Just("strlen(execname)".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![
                    Just("+"),
                    Just("-"),
                    Just("*"),
                    Just("&"),
                    Just("|"),
                    Just("^"),
                    Just("<<"),
                    Just(">>"),
                    Just("=="),
                    Just("!="),
                    Just("<"),
                    Just(">="),
                    Just("&&"),
                    Just("||"),
                ],
                inner.clone()
            )
                .prop_map(|(lhs, op, rhs)| format!("({lhs} {op} {rhs})")),
            // The divisor is never a constant zero, which the compiler refuses.
            (
                inner.clone(),
                prop_oneof![Just("/"), Just("%")],
                inner.clone()
            )
                .prop_map(|(lhs, op, rhs)| format!("({lhs} {op} ({rhs} | 1))")),
            (prop_oneof![Just("-"), Just("!"), Just("~")], inner.clone())
                .prop_map(|(op, operand)| format!("{op}({operand})")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(cond, then, other)| format!("({cond} ? {then} : {other})")),
        ]
    })
}

/// One statement of a clause body.
fn statement() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        int_expr().prop_map(|value| format!("x = {value};")),
        int_expr().prop_map(|value| format!("self->t = {value};")),
        (int_expr(), int_expr()).prop_map(|(key, value)| format!("a[{key}] = {value};")),
        int_expr().prop_map(|key| format!("@counts[{key}] = count();")),
        int_expr().prop_map(|value| format!("@total = sum({value});")),
        int_expr().prop_map(|value| format!("@dist = quantize({value});")),
        int_expr().prop_map(|value| format!("@top = max({value});")),
        int_expr().prop_map(|value| format!("printf(\"%d %s\\n\", {value}, execname);")),
        int_expr().prop_map(|value| format!("trace({value});")),
        Just("self->t = 0;".to_string()),
    ];
    simple.prop_recursive(2, 8, 3, |inner| {
        (int_expr(), prop::collection::vec(inner, 1..3))
            .prop_map(|(cond, body)| format!("if ({cond}) {{ {} }}", body.join(" ")))
    })
}

/// A whole program: declarations, then one to four clauses on probes the test catalog has.
fn program() -> impl Strategy<Value = String> {
    let probe = prop_oneof![
        Just("BEGIN"),
        Just("END"),
        Just("syscall::read:entry"),
        Just("syscall::write:return"),
        Just("syscall:::entry"),
        Just("tick-1s"),
        Just("profile-97"),
    ];
    let clause = (
        probe,
        prop::option::of(int_expr()),
        prop::collection::vec(statement(), 0..5),
    )
        .prop_map(|(probe, predicate, body)| {
            let predicate = predicate.map(|p| format!(" /{p}/")).unwrap_or_default();
            format!("{probe}{predicate}\n{{\n\t{}\n}}\n", body.join("\n\t"))
        });
    prop::collection::vec(clause, 1..5).prop_map(|clauses| {
        format!(
            "int64_t x;\nself int64_t t;\nint64_t a[int64_t];\n\n{}",
            clauses.concat()
        )
    })
}

proptest! {
    #[test]
    fn well_typed_programs_compile_to_objects_aya_parses(text in program()) {
        prop_assert_eq!(pipeline::compile(&text), Reached::Object, "{}", text);
    }

    #[test]
    fn damaged_programs_never_panic(
        text in program(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4, "[ -~\n]{0,3}"), 1..4),
    ) {
        let mut damaged = text.into_bytes();
        for (at, len, insert) in cuts {
            let start = at.index(damaged.len() + 1);
            let end = (start + len).min(damaged.len());
            damaged.splice(start..end, insert.into_bytes());
        }
        let damaged = String::from_utf8_lossy(&damaged);
        pipeline::parse(&damaged);
        pipeline::compile(&damaged);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        pipeline::parse(&text);
        pipeline::compile(&text);
    }
}

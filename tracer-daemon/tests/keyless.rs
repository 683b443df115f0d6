//! Aggregations without keys, which live in a per-CPU array rather than a hash map: compiled by the
//! real pipeline, updated by a `BEGIN` clause run once in the kernel, then read, truncated and
//! cleared through the engine as the consumer does.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use d_frontend::sema::CompileOptions;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::load::Session;
use tracer_ebpf::codegen::{CodegenOptions, Generated};
use tracer_ebpf::layout::{AggValue, Value};
use tracer_ebpf::plan::AggDesc;

fn run_begin(text: &str) -> (Generated, Session) {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    let (generated, session) = compiled::load(text, &catalog, &CompileOptions::default(), &codegen);
    session.run_begin().expect("BEGIN runs");
    (generated, session)
}

fn desc<'a>(generated: &'a Generated, name: &str) -> &'a AggDesc {
    generated
        .program
        .aggregations
        .iter()
        .find(|agg| agg.name == name)
        .unwrap_or_else(|| panic!("no aggregation @{name}"))
}

fn entries(session: &Session, agg: &AggDesc) -> Vec<(Vec<Value>, AggValue)> {
    session
        .aggregation(agg)
        .unwrap_or_else(|error| panic!("@{} reads: {error}", agg.name))
}

#[test]
fn keyless_aggregations_read_truncate_and_clear_like_keyed_ones() {
    let (generated, session) = run_begin(
        "BEGIN { @c = count(); @c = count(); @s = sum(5); @s = sum(-8); @m = max(3); }
BEGIN /0/ { @never = count(); }",
    );
    let (count, sum, max, never) = (
        desc(&generated, "c"),
        desc(&generated, "s"),
        desc(&generated, "m"),
        desc(&generated, "never"),
    );
    assert!(count.array && sum.array && max.array && never.array);
    assert_eq!(count.map, sum.map, "one array for each value size");
    assert_eq!(entries(&session, count), [(vec![], AggValue::Count(2))]);
    assert_eq!(entries(&session, sum), [(vec![], AggValue::Sum(-3))]);
    // An element no CPU wrote is no entry at all.
    assert_eq!(entries(&session, never), []);
    // trunc() removes the entry of @c alone; clear() keeps @m's, reset.
    session
        .remove_aggregation_keys(count, &[vec![]])
        .expect("trunc works");
    assert_eq!(entries(&session, count), []);
    assert_eq!(entries(&session, sum), [(vec![], AggValue::Sum(-3))]);
    session.clear_aggregation(max).expect("clear works");
    assert_eq!(entries(&session, max), [(vec![], AggValue::Max(i64::MIN))]);
}

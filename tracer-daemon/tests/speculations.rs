//! Speculations in the kernel: programs compiled from D run with `BPF_PROG_TEST_RUN` (`BEGIN`),
//! and the records, the state words and the counters they leave are checked.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

use std::time::Duration;

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_daemon::events::decode_record;
use tracer_daemon::load::Session;
use tracer_daemon::speculations::SpecDrops;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::layout::{RecordHeader, Value, finished_speculation};

/// `BEGIN` needs nothing from the machine.
struct NoCatalog;

impl ProbeCatalog for NoCatalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        Vec::new()
    }

    fn struct_member(&self, _struct_name: &str, _member: &str) -> Option<MemberInfo> {
        None
    }
}

/// A program that claims speculation 1 (and fails to claim a second with `nspec` 1), speculates
/// a `printf` of the ID, commits it, then tries to claim one more while 1 is committing. `END`
/// runs the same clauses again, after `BEGIN` (the engine runs `BEGIN` only once).
const PROGRAM: &str = r#"
BEGIN, END { a = speculation(); b = speculation(); printf("%d %d", a, b); }
BEGIN, END { speculate(a); printf("%d", a); }
BEGIN, END { commit(a); }
BEGIN, END { c = speculation(); printf("%d", c); }
"#;

fn load(text: &str, specsize: u64) -> (Generated, Session) {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the speculation tests load BPF programs and need root (CAP_BPF, CAP_PERFMON)"
    );
    let mut sources = SourceMap::default();
    let file = sources.add("t.d", text);
    let compiled = compile(
        &sources,
        &[(file, Origin::Script)],
        &NoCatalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} does not compile: {errors:?}"));
    let options = CodegenOptions {
        bufsize: 1 << 16,
        specsize,
        ..CodegenOptions::default()
    };
    let generated = generate(&compiled.module, &options)
        .unwrap_or_else(|error| panic!("{text} does not generate: {error}"));
    let session = Session::load(&generated.program)
        .unwrap_or_else(|error| panic!("{text} does not load: {error:?}"));
    (generated, session)
}

/// Runs `BEGIN` once; returns each record's header and values.
fn run_begin(generated: &Generated, session: &mut Session) -> Vec<(RecordHeader, Vec<Value>)> {
    session.run_begin().expect("BEGIN runs");
    records(generated, session)
}

/// Runs `END`; returns each record's header and values.
fn run_end(generated: &Generated, session: &mut Session) -> Vec<(RecordHeader, Vec<Value>)> {
    session.run_end().expect("END runs");
    records(generated, session)
}

/// The records the last run sent: each one's header and values.
fn records(generated: &Generated, session: &mut Session) -> Vec<(RecordHeader, Vec<Value>)> {
    let mut records = Vec::new();
    session
        .poll_events(Duration::ZERO, &mut |bytes| records.push(bytes.to_vec()))
        .expect("polling works");
    records
        .iter()
        .map(|bytes| {
            let header = RecordHeader::decode(bytes).expect("a header");
            let desc = &generated.program.records[header.clause_id as usize];
            let record = decode_record(desc, bytes).expect("the record decodes");
            (header, record.actions.into_iter().flatten().collect())
        })
        .collect()
}

fn int(value: &Value) -> u64 {
    match value {
        Value::Int { bits, .. } => *bits,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn ids_are_claimed_marked_committed_and_freed_by_generation() {
    let (generated, mut session) = load(PROGRAM, 1 << 20);
    let specs = generated
        .program
        .speculations
        .clone()
        .expect("the program has a specs map");
    let records = run_begin(&generated, &mut session);
    assert_eq!(records.len(), 4, "{records:?}");
    let ints =
        |record: &(RecordHeader, Vec<Value>)| -> Vec<u64> { record.1.iter().map(int).collect() };
    assert_eq!(ints(&records[0]), [1, 0]);
    assert_eq!((records[0].0.spec_id, records[0].0.spec_gen), (0, 0));
    assert_eq!(ints(&records[1]), [1]);
    assert_eq!((records[1].0.spec_id, records[1].0.spec_gen), (1, 1));
    assert_eq!(finished_speculation(int(&records[2].1[0])), (1, 1));
    assert_eq!(
        ints(&records[3]),
        [0],
        "ID 1 is busy until the consumer frees it"
    );
    assert_eq!(
        session.spec_drops().expect("the counters read"),
        SpecDrops {
            drops: 0,
            busy: 1,
            unavail: 1
        }
    );
    assert!(
        !session
            .free_speculation(&specs, 1, 2)
            .expect("the map reads")
    );
    assert!(
        session
            .free_speculation(&specs, 1, 1)
            .expect("the map reads")
    );
    assert!(
        !session
            .free_speculation(&specs, 1, 1)
            .expect("the map reads")
    );

    let records = run_end(&generated, &mut session);
    assert_eq!(
        ints(&records[0]),
        [1, 0],
        "the freed ID is handed out again"
    );
    assert_eq!(
        (records[1].0.spec_id, records[1].0.spec_gen),
        (1, 2),
        "with the next generation"
    );
    assert_eq!(finished_speculation(int(&records[2].1[0])), (1, 2));
}

#[test]
fn records_larger_than_specsize_end_their_clause() {
    let (generated, mut session) = load(
        r#"
BEGIN { a = speculation(); n = 0; }
BEGIN { speculate(a); printf("%d", 1); n++; printf("%d", 2); n++; }
BEGIN { printf("%d", n); }
"#,
        24,
    );
    let records = run_begin(&generated, &mut session);
    assert_eq!(
        records.len(),
        1,
        "the speculative record is not sent: {records:?}"
    );
    assert_eq!(
        int(&records[0].1[0]),
        1,
        "the clause ran up to the printf that outgrew specsize"
    );
    assert_eq!(session.spec_drops().expect("the counters read").drops, 1);
}

#[test]
fn commit_and_discard_of_inactive_ids_record_nothing() {
    let (generated, mut session) = load(
        "BEGIN { commit(1); discard(0); } BEGIN { a = speculation(); discard(a); discard(a); }",
        1 << 20,
    );
    let records = run_begin(&generated, &mut session);
    let finished: Vec<(u8, u8)> = records
        .iter()
        .flat_map(|(_, values)| values.iter().map(|value| finished_speculation(int(value))))
        .collect();
    assert_eq!(
        finished,
        [(0, 0), (0, 0), (1, 1), (0, 0)],
        "only the first discard of the active ID ends it"
    );
}

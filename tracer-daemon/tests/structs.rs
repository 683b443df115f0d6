//! Struct, union and array values in D variables and `alloca` memory, compiled by the real
//! pipeline and run in the kernel: each program's `BEGIN` clauses run once with
//! `BPF_PROG_TEST_RUN` (so the verifier accepts every access first), and their records and fault
//! records are decoded.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::fmt::Write as _;
use std::time::Duration;

use d_frontend::sema::CompileOptions;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::layout::{FAULT_RECORD_ID, Fault, FaultRecord, Value};

/// What one run of a program's `BEGIN` clauses gave.
#[derive(Debug, Default)]
struct Run {
    /// Every recorded integer as a number, every recorded byte string as hex.
    values: Vec<String>,
    /// The faults, as `(clause, fault code, address)`.
    faults: Vec<(u64, u64, u64)>,
}

/// Compiles `text`, runs its `BEGIN` clauses once and returns what they recorded and how they
/// faulted.
fn run_begin(text: &str) -> Run {
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let codegen = CodegenOptions {
        bufsize: 1 << 20,
        ..CodegenOptions::default()
    };
    let (generated, mut session) =
        compiled::load(text, &catalog, &CompileOptions::default(), &codegen);
    session.run_begin().expect("BEGIN runs");
    let mut run = Run::default();
    session
        .poll_events(Duration::ZERO, &mut |bytes| {
            let clause = u32::from_ne_bytes(bytes[..4].try_into().expect("a header"));
            if clause == FAULT_RECORD_ID {
                let fault = FaultRecord::decode(bytes).expect("the fault record decodes");
                run.faults.push((fault.clause, fault.fault, fault.addr));
                return;
            }
            let record = decode_record(&generated.program.records[clause as usize], bytes)
                .expect("the record decodes");
            run.values.extend(
                record
                    .actions
                    .into_iter()
                    .flatten()
                    .map(|value| match value {
                        Value::Int { bits, .. } => (bits as i64).to_string(),
                        Value::Str(bytes) | Value::Bytes(bytes) => hex(&bytes),
                        Value::Stack(_) | Value::Sym(_) => unreachable!("no stacks are recorded"),
                    }),
            );
        })
        .expect("polling works");
    run
}

/// `bytes` as lowercase hex digits, two per byte.
fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Runs `text`, which must not fault, and returns what it recorded.
fn recorded(text: &str) -> Vec<String> {
    let run = run_begin(text);
    assert_eq!(run.faults, [], "{text} faulted");
    run.values
}

#[test]
fn struct_variables_of_every_scope_hold_their_members() {
    let values = recorded(
        r#"
struct pair { int a; char b; long c; };
struct pair g;
this struct pair l;
BEGIN
{
	g.a = 0x1234; g.b = 'x'; g.c = -5;
	this->l = g;
	this->l.a++;
	self->s = this->l;
	self->s.c -= 2;
	a[7] = self->s;
	a[7].b = 'y';
	printf("%d %d %d", g.a, g.b, g.c);
	printf("%d %d %d", this->l.a, self->s.c, a[7].b);
	trace(g);
}
"#,
    );
    assert_eq!(
        values,
        [
            "4660",
            "120",
            "-5",
            "4661",
            "-7",
            "121",
            "3412000078000000fbffffffffffffff"
        ]
    );
}

#[test]
fn struct_members_of_variables_take_copies_of_structs() {
    let values = recorded(
        r"
struct coords { int x, y; };
struct particle { struct coords position; struct coords velocity; };
struct particle g;
this struct coords c;
BEGIN
{
	this->c.x = 3;
	this->c.y = 4;
	g.velocity = this->c;
	self->p = g;
	self->p.position = g.velocity;
	self->p.position.y++;
	trace(g.velocity.y);
	trace(self->p.position.x);
	trace(self->p.position.y);
	trace(self->p);
}
",
    );
    assert_eq!(values, ["4", "3", "5", "03000000050000000300000004000000"]);
}

#[test]
fn array_variables_take_indexes_computed_at_run_time() {
    let values = recorded(
        r"
uint8_t bytes[20];
this int arr[4];
BEGIN
{
	this->i = 3;
	bytes[this->i] = 0xff;
	bytes[this->i + 1] += 2;
	this->arr[this->i - 2] = 7;
	this->arr[this->i]--;
	trace((int)bytes[3] + bytes[4]);
	trace(this->arr);
}
",
    );
    assert_eq!(values, ["257", "000000000700000000000000ffffffff"]);
}

#[test]
fn an_index_past_the_end_faults_with_the_index() {
    let run = run_begin("this int arr[4];\nBEGIN { this->i = 4; this->arr[this->i] = 1; }");
    assert_eq!(run.faults, [(0, Fault::BadIndex as u64, 4)]);
    assert_eq!(run.values, Vec::<String>::new());
    let run = run_begin("uint8_t b[3];\nBEGIN { this->i = -1; trace(b[this->i]); }");
    assert_eq!(run.faults, [(0, Fault::BadIndex as u64, u64::MAX)]);
}

#[test]
fn a_thread_local_struct_copies_the_kernel_struct_and_storing_zero_deletes_it() {
    let run = run_begin(
        r"
BEGIN { self->t = *curthread; trace(self->t.pid == tid); self->t = 0; }
BEGIN { trace(self->t.pid); }
",
    );
    assert_eq!(run.values, ["1"]);
    let pid_offset = run.faults.first().map(|fault| fault.2);
    assert_eq!(
        run.faults,
        [(1, Fault::BadAddr as u64, pid_offset.unwrap_or(0))],
        "a deleted struct reads from its NULL address"
    );
    assert!(pid_offset.is_some_and(|offset| offset > 0 && offset < 1 << 16));
}

#[test]
fn an_associative_array_of_unions_deletes_on_zero() {
    let values = recorded(
        r"
union u { int i; char c[4]; };
this union u val;
BEGIN
{
	this->val.i = 0x41424344;
	a[1] = this->val;
	a[2] = this->val;
	a[1] = 0;
	trace(a[2].c[1]);
	trace(a[2]);
}
",
    );
    assert_eq!(values, ["67", "44434241"]);
}

#[test]
fn alloca_structs_are_written_through_members_elements_and_moved_pointers() {
    let values = recorded(
        r"
struct rec { int a; char b; long arr[2]; };
BEGIN
{
	this->p = (struct rec *)alloca(2 * sizeof(struct rec));
	this->i = 1;
	this->p->a = 1;
	this->p[this->i].b = 'q';
	this->p->arr[this->i] = 42;
	this->q = this->p;
	this->q += 1;
	this->q->arr[0] = 99;
	this->q -= 1;
	this->q++;
	this->p->a++;
	--this->p->arr[this->i];
	trace(this->p->a);
	trace(this->p[1].b);
	trace(this->q->arr[0]);
	trace(this->p->arr[1]);
}
",
    );
    assert_eq!(values, ["2", "113", "99", "41"]);
}

#[test]
fn struct_keys_find_elements_by_their_bytes() {
    let values = recorded(
        r"
struct pair { int a; char b; long c; };
struct pair g;
this struct pair l;
BEGIN
{
	g.a = 1; g.b = 2; g.c = 3;
	a[g] = 10;
	this->l = g;
	trace(a[this->l]);
	this->l.c = 4;
	trace(a[this->l]);
	a[this->l] = 20;
	self->t[g, this->l] = 30;
	trace(self->t[g, this->l]);
	trace(self->t[this->l, g]);
	a[g] = 0;
	trace(a[g]);
	trace(a[this->l]);
}
",
    );
    assert_eq!(values, ["10", "0", "30", "0", "0", "20"]);
}

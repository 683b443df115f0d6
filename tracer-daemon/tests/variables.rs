//! D variables in the kernel: programs compiled from D run with `BPF_PROG_TEST_RUN` (`BEGIN`,
//! then `END`, both in the calling thread), and the values they record are checked.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod compiled;

use std::time::Duration;

use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use tracer_daemon::events::decode_record;
use tracer_ebpf::codegen::CodegenOptions;
use tracer_ebpf::layout::Value;

/// `BEGIN` and `END` need nothing from the machine.
struct NoCatalog;

impl ProbeCatalog for NoCatalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        Vec::new()
    }

    fn struct_member(&self, _struct_name: &str, _member: &str) -> Option<MemberInfo> {
        None
    }
}

/// Compiles `text`, runs `BEGIN` then `END`, and returns every recorded value in order and the
/// number of dynamic variable drops.
fn run_with(text: &str, dynvarsize: u64) -> (Vec<Value>, u64) {
    let codegen = CodegenOptions {
        bufsize: 1 << 16,
        dynvarsize,
        ..CodegenOptions::default()
    };
    let (generated, mut session) =
        compiled::load(text, &NoCatalog, &CompileOptions::default(), &codegen);
    session.run_begin().expect("BEGIN runs");
    session.detach();
    session.run_end().expect("END runs");
    let mut records = Vec::new();
    session
        .poll_events(Duration::ZERO, &mut |bytes| records.push(bytes.to_vec()))
        .expect("polling works");
    let mut values = Vec::new();
    for bytes in &records {
        let clause_id = u32::from_ne_bytes(bytes[..4].try_into().expect("a header"));
        let desc = &generated.program.records[clause_id as usize];
        let record = decode_record(desc, bytes).expect("the record decodes");
        values.extend(record.actions.into_iter().flatten());
    }
    let dynvar_drops = session
        .dynvar_drops()
        .expect("the drop counters read")
        .iter()
        .map(|&(_, drops)| drops)
        .sum();
    (values, dynvar_drops)
}

fn run(text: &str) -> Vec<Value> {
    let (values, dynvar_drops) = run_with(text, 1 << 20);
    assert_eq!(dynvar_drops, 0, "{text}");
    values
}

/// The integers of `values`, as signed numbers.
fn ints(values: &[Value]) -> Vec<i64> {
    values
        .iter()
        .map(|value| match value {
            Value::Int { bits, .. } => *bits as i64,
            other => panic!("expected an integer, got {other:?}"),
        })
        .collect()
}

fn string(text: &str) -> Value {
    Value::Str(text.as_bytes().to_vec())
}

#[test]
fn globals_keep_their_values_from_begin_to_end() {
    let values = run(r#"
BEGIN { x = 40; s = "hello"; }
END { x += 2; printf("%d %s", x, s); }
"#);
    assert_eq!(values, [int_value(42, 4, true), string("hello")]);
}

fn int_value(bits: i64, size: u8, signed: bool) -> Value {
    Value::Int {
        bits: bits as u64,
        size,
        signed,
    }
}

#[test]
fn thread_locals_follow_the_thread_and_start_at_zero() {
    let values = run(r"
BEGIN { self->a = 1; self->b = 2; self->b = 0; }
END { trace(self->a); trace(self->b); self->a++; trace(self->a); }
");
    assert_eq!(ints(&values), [1, 0, 2]);
}

#[test]
fn storing_zero_deletes_the_element() {
    // With room for one element only (20 bytes: an 8-byte key, an 8-byte word and a 4-byte int,
    // as libdtrace counts dynvarsize), a[2] fits only if storing 0 in a[1] deleted it.
    let program = r"
BEGIN { a[1] = 1; a[1] = 0; a[2] = 2; self->x = 5; self->x = 0; self->y = 6; }
END { trace(a[1]); trace(a[2]); trace(self->x); trace(self->y); }
";
    let (values, dynvar_drops) = run_with(program, 20);
    assert_eq!((ints(&values), dynvar_drops), (vec![0, 2, 0, 6], 0));
    let full = r"
BEGIN { a[1] = 1; a[2] = 2; }
END { trace(a[1]); trace(a[2]); }
";
    let (values, dynvar_drops) = run_with(full, 20);
    assert_eq!(
        (ints(&values), dynvar_drops),
        (vec![1, 0], 1),
        "the map holds one element; the second store is a dynamic variable drop"
    );
}

/// A deleted string reads as DTrace's NULL string, equal to `NULL` (recording it faults).
#[test]
fn a_deleted_string_reads_as_null() {
    let values = run(r#"
BEGIN { self->s = "abc"; names[1] = "one"; names[2] = "two"; names[2] = 0; }
END { trace(self->s); self->s = 0; trace(self->s == NULL); trace(names[1]); trace(names[2] == NULL); trace(names[1] == NULL); }
"#);
    assert_eq!(values[0], string("abc"));
    assert_eq!(values[2], string("one"));
    assert_eq!(
        ints(&[values[1].clone(), values[3].clone(), values[4].clone()]),
        [1, 1, 0]
    );
}

#[test]
fn tuple_keys_with_strings_are_distinct() {
    let values = run(r#"
BEGIN { a[1, "a"] = 10; a[1, "b"] = 20; a[2, "a"] = 30; a[1, "a"] += 1; }
END { trace(a[1, "a"]); trace(a[1, "b"]); trace(a[2, "a"]); trace(a[2, "b"]); }
"#);
    assert_eq!(ints(&values), [11, 20, 30, 0]);
}

#[test]
fn clause_locals_are_shared_by_one_firing_and_zeroed_for_the_next() {
    let values = run(r"
BEGIN { this->x = 5; }
BEGIN { trace(this->x); this->y++; trace(this->y); }
END { this->y++; trace(this->y); }
");
    assert_eq!(ints(&values), [5, 1, 1]);
}

#[test]
fn compound_assignments_and_increments() {
    let values = run(r"
BEGIN {
	x = 7; x *= 6; x -= 2; x /= 4; x %= 7; x <<= 3; x |= 1; x ^= 3; x &= 0xff; x >>= 1;
	y = z = x;
	trace(x); trace(y); trace(z);
	trace(x++); trace(++x); trace(x--); trace(--x);
}
");
    assert_eq!(ints(&values), [13, 13, 13, 13, 15, 15, 13]);
}

#[test]
fn values_wrap_to_the_variable_type() {
    let values = run(r"
char c;
BEGIN { c = 127; c++; trace(c); u = 0xffffffffU; u++; trace(u); }
");
    assert_eq!(values, [int_value(-128, 1, true), int_value(0, 4, false)]);
}

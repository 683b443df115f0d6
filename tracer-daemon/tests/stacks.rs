//! Stacks compiled by the real pipeline and taken in the kernel with `bpf_get_stack`: a `BEGIN`
//! clause run with `BPF_PROG_TEST_RUN` in this process, whose user stack is this test's own.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

use std::time::Duration;

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::events::decode_record;
use tracer_daemon::load::Session;
use tracer_ebpf::codegen::{CodegenOptions, generate};
use tracer_ebpf::layout::{StackValue, Value};

/// Compiles `text`, runs its `BEGIN` clause once and returns every value it recorded.
fn run_begin(text: &str) -> Vec<Value> {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(euid, 0, "these tests load BPF programs and need root");
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the probe catalog loads: {error}"));
    let mut sources = SourceMap::default();
    let file = sources.add(text, text);
    let compiled = compile(
        &sources,
        &[(file, Origin::ProbeSpecifier)],
        &catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} does not compile: {errors:?}"));
    let generated = generate(
        &compiled.module,
        &CodegenOptions {
            bufsize: 1 << 20,
            ..CodegenOptions::default()
        },
    )
    .unwrap_or_else(|error| panic!("{text}: no code: {error}"));
    let mut session = Session::load(&generated.program)
        .unwrap_or_else(|error| panic!("{text}: the session does not load: {error}"));
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
}

fn stack(value: &Value) -> &StackValue {
    match value {
        Value::Stack(stack) => stack,
        other => panic!("expected a stack, got {other:?}"),
    }
}

fn int(value: &Value) -> u64 {
    match value {
        Value::Int { bits, .. } => *bits,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn user_stacks_are_this_process_and_kernel_stacks_of_begin_are_empty() {
    let values = run_begin(
        "BEGIN { ustack(); stack(); trace(ustackdepth); trace(stackdepth); trace(caller); uaddr(ucaller); }",
    );
    assert_eq!(values.len(), 6, "{values:?}");
    let user = stack(&values[0]);
    assert_eq!(user.pid, Some(std::process::id()));
    assert!(!user.frames.is_empty(), "the test thread has a user stack");
    assert!(
        user.frames
            .iter()
            .all(|&frame| frame < 0x8000_0000_0000_0000),
        "user frames are user addresses: {:x?}",
        user.frames
    );
    assert_eq!(
        int(&values[2]),
        user.frames.len() as u64,
        "ustackdepth counts the frames ustack() records"
    );
    let kernel = stack(&values[1]);
    assert_eq!((kernel.pid, kernel.frames.len()), (None, 0));
    assert_eq!(int(&values[3]), 0, "stackdepth of BEGIN");
    assert_eq!(int(&values[4]), 0, "caller of BEGIN");
    let Value::Sym(ucaller) = &values[5] else {
        panic!("expected a symbolic address, got {:?}", values[5]);
    };
    assert_eq!(ucaller.pid, Some(std::process::id()));
    assert_eq!(
        Some(ucaller.addr),
        user.frames.get(1).copied().or(Some(0)),
        "ucaller is the second user frame"
    );
}

#[test]
fn stack_sizes_follow_their_arguments() {
    let values = run_begin("BEGIN { ustack(1); ustack(2, 64); }");
    assert_eq!(stack(&values[0]).frames.len(), 1);
    assert!(stack(&values[1]).frames.len() <= 2);
}

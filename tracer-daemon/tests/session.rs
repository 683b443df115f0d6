//! The engine against the running kernel: load, `map_inits`, tracepoints, `BEGIN`/`END` test runs,
//! perf timers, the ring buffer, drop counters, aggregations, verifier errors and detaching.
//!
//! These tests need root and a kernel with BPF; without them they fail saying so.

mod common;

use std::time::{Duration, Instant};

use common::{
    Asm, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, SYS_GETPPID, U64, calls_agg, compiled,
    dtrace_record, getppid, getppid_counter, gettid, record_desc, require_root, tick_counter,
    tracepoint,
};
use d_frontend::provider::ProbeCatalog as _;
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::error::EngineError;
use tracer_daemon::events::decode_record;
use tracer_daemon::load::Session;
use tracer_ebpf::elf::ProgramObject;
use tracer_ebpf::insn::{AluOp, Helper, Insn, Reg, Size};
use tracer_ebpf::layout::{AggValue, Value};
use tracer_ebpf::plan::Attach;

const RING_SIZE: u32 = 1 << 16;

fn load(compiled: &tracer_ebpf::plan::CompiledProgram) -> Session {
    require_root();
    Session::load(compiled)
        .unwrap_or_else(|error| panic!("the session loads: {:#}", Report(&error)))
}

/// Drains the ring buffer without waiting, returning every record's bytes.
fn drain(session: &mut Session) -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    session
        .poll_events(Duration::ZERO, &mut |bytes| records.push(bytes.to_vec()))
        .expect("polling works");
    records
}

fn u64_value(bits: u64) -> Value {
    Value::Int {
        bits,
        size: 8,
        signed: false,
    }
}

/// Formats an error with its chain of causes.
struct Report<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[test]
fn a_tracepoint_counts_and_records_getppid() {
    let compiled = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "sys_enter"),
        )],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    assert_eq!(session.n_links(), 1);
    for _ in 0..5 {
        getppid();
    }

    let records = drain(&mut session);
    assert_eq!(records.len(), 5, "one record per getppid");
    for bytes in &records {
        let decoded = decode_record(&record_desc(), bytes).expect("the record decodes");
        assert_eq!((decoded.header.clause_id, decoded.header.probe_id), (0, 1));
        assert_eq!(decoded.actions, [vec![u64_value(SYS_GETPPID as u64)]]);
    }
    let calls = session
        .aggregation(&calls_agg())
        .expect("the aggregation reads");
    assert_eq!(
        calls,
        [(vec![u64_value(SYS_GETPPID as u64)], AggValue::Count(5))]
    );
    let drops = session.drops().expect("the drop counters read");
    assert!(!drops.is_empty(), "one counter per possible CPU");
    assert!(
        drops.iter().all(|&(_, drops)| drops == 0),
        "no drops: {drops:?}"
    );
}

#[test]
fn a_program_planned_twice_is_loaded_once_and_attached_twice() {
    let counter = getppid_counter(BPF_RB_NO_WAKEUP);
    let compiled = compiled(
        &[
            (counter.clone(), tracepoint("raw_syscalls", "sys_enter")),
            (counter, tracepoint("raw_syscalls", "sys_exit")),
        ],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    assert_eq!(session.n_links(), 2);
    getppid();
    // On `sys_exit`, offset 8 is also the syscall number.
    assert_eq!(
        drain(&mut session).len(),
        2,
        "one record on entry, one on return"
    );
}

#[test]
fn detaching_stops_the_probes_and_keeps_the_maps() {
    let compiled = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "sys_enter"),
        )],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    getppid();
    let start = Instant::now();
    session.detach();
    let detach_time = start.elapsed();
    eprintln!("detaching raw_syscalls:sys_enter took {detach_time:?}");
    assert!(
        detach_time < Duration::from_secs(1),
        "detaching took {detach_time:?}"
    );
    assert_eq!(session.n_links(), 0);
    getppid();
    getppid();

    assert_eq!(
        drain(&mut session).len(),
        1,
        "only the call before detaching"
    );
    let calls = session
        .aggregation(&calls_agg())
        .expect("the aggregation reads");
    assert_eq!(
        calls,
        [(vec![u64_value(SYS_GETPPID as u64)], AggValue::Count(1))]
    );
}

#[test]
fn begin_and_end_run_once_each_in_the_calling_thread() {
    let compiled = compiled(
        &[
            (dtrace_record("dtrace_begin", 1, 42), Attach::Begin),
            (dtrace_record("dtrace_end", 2, 43), Attach::End),
        ],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    assert_eq!(session.n_links(), 0, "BEGIN and END are never attached");
    session.run_begin().expect("BEGIN runs");

    let mut records = Vec::new();
    // The record forces a wake-up, so this returns at once rather than after the timeout.
    let start = Instant::now();
    session
        .poll_events(Duration::from_secs(10), &mut |bytes| {
            records.push(bytes.to_vec());
        })
        .expect("polling works");
    assert!(start.elapsed() < Duration::from_secs(5), "poll waited");
    session.detach();
    session.run_end().expect("END runs");
    records.extend(drain(&mut session));

    let decoded: Vec<(u32, Vec<Vec<Value>>)> = records
        .iter()
        .map(|bytes| {
            let record = decode_record(&record_desc(), bytes).expect("the record decodes");
            (record.header.clause_id, record.actions)
        })
        .collect();
    assert_eq!(
        decoded,
        [
            (1, vec![vec![u64_value(42)]]),
            (2, vec![vec![u64_value(43)]])
        ]
    );
}

#[test]
fn poll_waits_for_the_timeout_when_nothing_wakes_it() {
    let compiled = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "sys_enter"),
        )],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    let start = Instant::now();
    let n_records = session
        .poll_events(Duration::from_millis(200), &mut |_| {})
        .expect("polling works");
    let waited = start.elapsed();
    assert_eq!(n_records, 0);
    assert!(
        waited >= Duration::from_millis(190),
        "poll returned after {waited:?}"
    );
}

#[test]
fn a_full_ring_buffer_counts_drops_per_cpu() {
    // 4096 bytes hold 128 records of 24 bytes plus their 8-byte headers, less the last one: the
    // kernel refuses a reservation that would fill the buffer to the byte.
    let compiled = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "sys_enter"),
        )],
        4096,
    );
    let mut session = load(&compiled);
    for _ in 0..500 {
        getppid();
    }
    let n_records = drain(&mut session).len();
    let drops: u64 = session
        .drops()
        .expect("the drop counters read")
        .iter()
        .map(|&(_, drops)| drops)
        .sum();
    assert!((120..=128).contains(&n_records), "{n_records} records fit");
    assert_eq!(n_records as u64 + drops, 500);
    let calls = session
        .aggregation(&calls_agg())
        .expect("the aggregation reads");
    assert_eq!(
        calls,
        [(vec![u64_value(SYS_GETPPID as u64)], AggValue::Count(500))]
    );
}

#[test]
fn profile_fires_on_every_cpu_and_tick_on_one() {
    let online = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .expect("the online CPU list is readable");
    let compiled_profile = compiled(
        &[(
            tick_counter("profile_0"),
            Attach::PerfTimer {
                period_ns: 1_000_000,
                all_cpus: true,
            },
        )],
        RING_SIZE,
    );
    let compiled_tick = compiled(
        &[(
            tick_counter("tick_0"),
            Attach::PerfTimer {
                period_ns: 1_000_000,
                all_cpus: false,
            },
        )],
        RING_SIZE,
    );
    let profile = load(&compiled_profile);
    let tick = load(&compiled_tick);
    let n_online = aya::util::online_cpus().expect("online CPUs").len();
    assert_eq!(
        profile.n_links(),
        n_online,
        "online CPUs: {}",
        online.trim()
    );
    assert_eq!(tick.n_links(), 1);

    std::thread::sleep(Duration::from_millis(300));
    let key_zero = vec![u64_value(0)];
    for (name, session) in [("profile", &profile), ("tick", &tick)] {
        let ticks = session
            .aggregation(&calls_agg())
            .expect("the aggregation reads");
        let [(key, AggValue::Count(count))] = ticks.as_slice() else {
            panic!("{name}: unexpected aggregation {ticks:?}");
        };
        assert_eq!(key, &key_zero);
        // 300 ms at 1 kHz per CPU, with generous slack for a loaded VM.
        assert!(*count >= 30, "{name} fired {count} times");
        eprintln!("{name} fired {count} times in 300 ms");
    }
}

#[test]
fn a_verifier_rejection_names_the_program_and_keeps_the_log() {
    // `exit` without setting r0.
    let bad = ProgramObject {
        name: "syscall_entry_3".to_owned(),
        section: "tracepoint/raw_syscalls/sys_enter".to_owned(),
        insns: vec![Insn::mov64_reg(Reg::R6, Reg::R1), Insn::exit()],
        map_relocs: Vec::new(),
    };
    let compiled = compiled(
        &[
            (
                getppid_counter(BPF_RB_NO_WAKEUP),
                tracepoint("raw_syscalls", "sys_enter"),
            ),
            (bad, tracepoint("raw_syscalls", "sys_enter")),
        ],
        RING_SIZE,
    );
    require_root();
    let error = Session::load(&compiled).expect_err("the verifier rejects the program");
    let EngineError::Verifier {
        program,
        verifier_log,
        io_error,
    } = &error
    else {
        panic!("not a verifier error: {:#}", Report(&error));
    };
    assert_eq!(program, "syscall_entry_3");
    assert_eq!(io_error.raw_os_error(), Some(libc::EACCES));
    assert!(
        verifier_log.contains("R0 !read_ok"),
        "the log says why: {verifier_log}"
    );
    assert_eq!(
        error.to_string(),
        "the verifier rejected program `syscall_entry_3`"
    );
}

#[test]
fn plan_mistakes_are_errors() {
    require_root();
    let mut missing = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "sys_enter"),
        )],
        RING_SIZE,
    );
    missing.programs[0].name = "nope".to_owned();
    let error = Session::load(&missing).expect_err("no such program");
    assert_eq!(error.to_string(), "program `nope` is not in the BPF object");

    let wrong_type = compiled(
        &[(getppid_counter(BPF_RB_NO_WAKEUP), Attach::Begin)],
        RING_SIZE,
    );
    let error = Session::load(&wrong_type).expect_err("a tracepoint program cannot be BEGIN");
    assert_eq!(
        error.to_string(),
        "program `sys_enter_0` is not a raw_tp program"
    );

    let mut bad_init = compiled(&[], RING_SIZE);
    bad_init.map_inits[0].value.pop();
    let error = Session::load(&bad_init).expect_err("the value is short");
    assert_eq!(
        error.to_string(),
        "map `config` has 8-byte values, not 7-byte values"
    );

    let no_tracepoint = compiled(
        &[(
            getppid_counter(BPF_RB_NO_WAKEUP),
            tracepoint("raw_syscalls", "no_such_event"),
        )],
        RING_SIZE,
    );
    let error = Session::load(&no_tracepoint).expect_err("no such tracepoint");
    assert_eq!(
        error.to_string(),
        "failed to attach program `sys_enter_0` to tracepoint raw_syscalls:no_such_event"
    );

    let mut wrong_ring = compiled(&[], RING_SIZE);
    wrong_ring.events_map = "calls".to_owned();
    let error = Session::load(&wrong_ring).expect_err("calls is not a ring buffer");
    assert_eq!(
        error.to_string(),
        "map `calls` is not a BPF_MAP_TYPE_RINGBUF map"
    );
}

#[test]
fn aggregation_sizes_are_checked_against_the_map() {
    let compiled = compiled(&[], RING_SIZE);
    let session = load(&compiled);
    let mut two_keys = calls_agg();
    two_keys.keys.push(U64);
    let error = session
        .aggregation(&two_keys)
        .expect_err("the key is too long");
    assert_eq!(
        error.to_string(),
        "map `calls` has 16-byte keys, not 24-byte keys"
    );
    assert_eq!(
        session
            .aggregation(&calls_agg())
            .expect("an empty aggregation"),
        []
    );
}

#[test]
fn btf_offsets_read_the_running_task() {
    require_root();
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the catalog loads: {error}"));
    let member = |name: &str| {
        catalog
            .struct_member("task_struct", name)
            .unwrap_or_else(|| panic!("task_struct has `{name}` in BTF: {:?}", catalog.btf().err()))
    };
    let (pid, tgid) = (member("pid"), member("tgid"));
    // BEGIN { trace(curthread->pid | (u64)curthread->tgid << 32) }
    let mut asm = Asm::default();
    asm.push(Insn::call(Helper::bpf_get_current_task))
        .push(Insn::mov64_reg(Reg::R6, Reg::R0))
        .push(Insn::st_mem(Size::DW, Reg::FP, -16, 0));
    for (info, slot) in [(pid, -16), (tgid, -12)] {
        asm.push(Insn::mov64_reg(Reg::R1, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R1, slot))
            .push(Insn::mov64_imm(Reg::R2, info.size as i32))
            .push(Insn::mov64_reg(Reg::R3, Reg::R6))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R3, info.offset as i32))
            .push(Insn::call(Helper::bpf_probe_read_kernel));
    }
    asm.push(Insn::ldx_mem(Size::DW, Reg::R8, Reg::FP, -16))
        .record_r8(0, 0, BPF_RB_FORCE_WAKEUP)
        .exit_zero();
    let compiled = compiled(
        &[(
            asm.finish("dtrace_begin", "raw_tp/dtrace_begin"),
            Attach::Begin,
        )],
        RING_SIZE,
    );
    let mut session = load(&compiled);
    session.run_begin().expect("BEGIN runs");
    let records = drain(&mut session);
    let [bytes] = records.as_slice() else {
        panic!("expected one record, got {}", records.len());
    };
    let decoded = decode_record(&record_desc(), bytes).expect("the record decodes");
    // SAFETY: `getpid` has no preconditions.
    let process_id = unsafe { libc::getpid() } as u64;
    assert_eq!(
        decoded.actions,
        [vec![u64_value(gettid() | process_id << 32)]],
        "pid at {pid:?}, tgid at {tgid:?}"
    );
}

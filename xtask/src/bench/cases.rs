//! The benchmark cases: the same work written for `tracer` (D) and for `bpftrace`.
//!
//! bpftrace has no `syscall` provider, so its scripts use the per-syscall tracepoints
//! (`tracepoint:syscalls:sys_enter_NAME`), which is how a bpftrace user writes them.

use std::fmt::Write as _;

/// Which tracer runs a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Our `tracer`.
    Tracer,
    /// Debian's `bpftrace`.
    Bpftrace,
}

impl Tool {
    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Tracer => "tracer",
            Tool::Bpftrace => "bpftrace",
        }
    }
}

/// A start-up case: how long until the probes are attached, and until the process has exited
/// after an interrupt.
pub struct StartupCase {
    /// The case's name.
    pub name: &'static str,
    /// The D program; its `BEGIN` prints `ready` once the probes are attached.
    pub d: String,
    /// The bpftrace program, likewise.
    pub bpftrace: String,
}

/// A probe-effect case: a script that fires on every call the workload makes.
pub struct EffectCase {
    /// The case's name.
    pub name: &'static str,
    /// The workload's system call (`getppid`, `read` or `fork`).
    pub op: &'static str,
    /// The D program.
    pub d: &'static str,
    /// The bpftrace program.
    pub bpftrace: &'static str,
}

/// The start-up cases.
pub fn startup_cases() -> Vec<StartupCase> {
    let (ten_clauses_d, ten_clauses_bt) = many_clauses(10);
    let (thousand_clauses_d, thousand_clauses_bt) = many_clauses(1000);
    vec![
        StartupCase {
            name: "one syscall probe",
            d: "syscall::getppid:entry { @ = count(); } BEGIN { printf(\"ready\\n\"); }".into(),
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { @ = count(); } BEGIN { printf(\"ready\\n\"); }".into(),
        },
        StartupCase {
            name: "all syscall entries",
            d: "syscall:::entry { @ = count(); } BEGIN { printf(\"ready\\n\"); }".into(),
            bpftrace: "tracepoint:syscalls:sys_enter_* { @ = count(); } BEGIN { printf(\"ready\\n\"); }".into(),
        },
        StartupCase {
            name: "10-clause script",
            d: format!("{ten_clauses_d}BEGIN {{ printf(\"ready\\n\"); }}"),
            bpftrace: format!("{ten_clauses_bt}BEGIN {{ printf(\"ready\\n\"); }}"),
        },
        StartupCase {
            name: "1,000-clause script",
            d: format!("{thousand_clauses_d}BEGIN {{ printf(\"ready\\n\"); }}"),
            bpftrace: format!("{thousand_clauses_bt}BEGIN {{ printf(\"ready\\n\"); }}"),
        },
    ]
}

/// `n` clauses on `getppid`, each with a predicate and an aggregation of its own, for tracer and
/// for bpftrace.
fn many_clauses(n: usize) -> (String, String) {
    let mut d = String::new();
    let mut bpftrace = String::new();
    for idx in 0..n {
        let _ = write!(
            d,
            "syscall::getppid:entry /arg0 == {idx}/ {{ @c{idx} = count(); }} "
        );
        let _ = write!(
            bpftrace,
            "tracepoint:syscalls:sys_enter_getppid /pid == {idx}/ {{ @c{idx} = count(); }} "
        );
    }
    (d, bpftrace)
}

/// `BEGIN { exit(0); }`, timed as a whole process.
pub const BEGIN_EXIT_D: &str = "BEGIN { exit(0); }";
/// The same for bpftrace.
pub const BEGIN_EXIT_BPFTRACE: &str = "BEGIN { exit(); }";

/// The probe-effect cases, the empty clause first (the floor).
pub fn effect_cases() -> Vec<EffectCase> {
    vec![
        EffectCase {
            name: "empty clause",
            op: "getppid",
            d: "syscall::getppid:entry { }",
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { }",
        },
        EffectCase {
            name: "count()",
            op: "getppid",
            d: "syscall::getppid:entry { @ = count(); }",
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { @ = count(); }",
        },
        EffectCase {
            name: "count() by pid",
            op: "getppid",
            d: "syscall::getppid:entry { @[pid] = count(); }",
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { @[pid] = count(); }",
        },
        EffectCase {
            name: "count() by execname",
            op: "getppid",
            d: "syscall::getppid:entry { @[execname] = count(); }",
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }",
        },
        EffectCase {
            name: "sum(arg2) of read",
            op: "read",
            d: "syscall::read:entry { @ = sum(arg2); }",
            bpftrace: "tracepoint:syscalls:sys_enter_read { @ = sum(args->count); }",
        },
        EffectCase {
            name: "read latency, quantize",
            op: "read",
            d: "syscall::read:entry { self->ts = timestamp; } \
                syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
            bpftrace: "tracepoint:syscalls:sys_enter_read { @ts[tid] = nsecs; } \
                tracepoint:syscalls:sys_exit_read /@ts[tid]/ { @ = hist(nsecs - @ts[tid]); delete(@ts[tid]); }",
        },
        EffectCase {
            name: "fork under proc:::create count()",
            op: "fork",
            d: "proc:::create { @ = count(); }",
            bpftrace: "tracepoint:sched:sched_process_fork { @ = count(); }",
        },
        EffectCase {
            name: "printf per event to a file",
            op: "getppid",
            d: "syscall::getppid:entry { printf(\"%d %d\\n\", pid, tid); }",
            bpftrace: "tracepoint:syscalls:sys_enter_getppid { printf(\"%d %d\\n\", pid, tid); }",
        },
    ]
}

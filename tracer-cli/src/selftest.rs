//! `-x fbtmode`, `-x loopmode`, `-x bufmode` and `tracer --self-test`: how `fbt` probes attach,
//! loops stay finite and records travel on this kernel, from the engine's capability probe ([`tracer_daemon::capability`]),
//! which runs once per boot.

use d_frontend::ir::Module;
use d_frontend::provider::{ProbeKind, SourceKind};
use tracer_cli::flags::Options;
use tracer_daemon::capability::kernel::Privileges;
use tracer_daemon::capability::{self, FbtFacts, FbtMechanism, FbtMode, LoopMode, report};

/// Whether `module`'s `fbt` probes (and the probes on kernel functions of other providers,
/// `io:::wait-start`) are to be kprobes rather than fentry programs: when `-x fbtmode=kprobe`
/// says so, or when the kernel allows kprobes but not fentry. Where the way asked for is not
/// allowed, the engine refuses the programs with the reason.
pub fn fbt_kprobes(options: &Options, module: &Module) -> bool {
    let has_fbt = module.probes.iter().any(|probe| {
        matches!(probe.kind, ProbeKind::Fbt { .. })
            || probe
                .sources
                .iter()
                .any(|source| source.kind != SourceKind::RawTracepoint)
    });
    match options.fbt_mode() {
        _ if !has_fbt => false,
        FbtMode::Kprobe => true,
        FbtMode::Fentry => false,
        FbtMode::Auto => matches!(
            capability::choose(&FbtFacts::probe()),
            Ok(FbtMechanism::Kprobes | FbtMechanism::KprobeMulti)
        ),
    }
}

/// Whether generated loops count their iterations rather than start with `may_goto`: when
/// `-x loopmode=bounded` says so, or when the kernel lacks `may_goto`.
pub fn bounded_loops(options: &Options) -> bool {
    match options.loop_mode() {
        LoopMode::Bounded => true,
        LoopMode::MayGoto => false,
        LoopMode::Auto => capability::bounded_loops(&FbtFacts::probe(), LoopMode::Auto),
    }
}

/// Whether records go through per-CPU perf buffers: when `-x bufmode=perf` says so, or when the
/// kernel has no ring buffer.
pub fn perf_buffer(options: &Options) -> bool {
    capability::perf_buffer(&FbtFacts::probe(), options.buf_mode())
}

/// Prints the kernel's facts and how each provider attaches; returns the exit status.
pub fn run(options: &Options) -> u8 {
    let (facts, cached) = FbtFacts::probe_with_origin();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    print!(
        "{}",
        report::self_test(
            release.trim(),
            &facts,
            cached,
            Privileges::of_this_process(),
            report::Modes {
                fbt: options.fbt_mode(),
                loops: options.loop_mode(),
                buf: options.buf_mode(),
            },
        )
    );
    0
}

//! `-x fbtmode`, `-x uprobemode`, `-x loopmode`, `-x bufmode` and `tracer --self-test`: how
//! `fbt`, `pid` and USDT probes attach, loops stay finite and records travel on this kernel,
//! from the engine's capability probe ([`tracer_daemon::capability`]), which runs once per boot.

use d_frontend::ir::Module;
use d_frontend::provider::{ProbeKind, SourceKind};
use tracer_cli::flags::Options;
use tracer_daemon::capability::kernel::Privileges;
use tracer_daemon::capability::uprobe::{UprobeMechanism, UprobeMode};
use tracer_daemon::capability::{self, FbtFacts, FbtMechanism, FbtMode, LoopMode, report};

/// How `module`'s `fbt` probes (and the probes of other providers on kernel functions,
/// `io:::wait-start`) are to attach, `None` without any: the way `-x fbtmode` forces, or the best
/// the kernel allows for that many functions ([`capability::choose_for`]: a kprobe-multi link for
/// a wildcard where the kernel has them). Where the way asked for is not allowed, fentry is
/// generated, and the engine refuses the programs with the reason.
pub fn fbt_mechanism(options: &Options, module: &Module) -> Option<FbtMechanism> {
    let mut functions: Vec<&str> = module
        .probes
        .iter()
        .flat_map(|probe| {
            let fbt =
                matches!(probe.kind, ProbeKind::Fbt { .. }).then_some(probe.desc.function.as_str());
            let sources = probe
                .sources
                .iter()
                .filter(|source| source.kind != SourceKind::RawTracepoint)
                .map(|source| source.tracepoint.as_str());
            fbt.into_iter().chain(sources)
        })
        .collect();
    if functions.is_empty() {
        return None;
    }
    functions.sort_unstable();
    functions.dedup();
    let mode = options.fbt_mode();
    let chosen = capability::choose_for(&FbtFacts::probe(), mode, functions.len());
    Some(match (chosen, mode) {
        (Ok(mechanism), _) => mechanism,
        (Err(_), FbtMode::Kprobe) => FbtMechanism::Kprobes,
        (Err(_), FbtMode::KprobeMulti) => FbtMechanism::KprobeMulti,
        (Err(_), FbtMode::Auto | FbtMode::Fentry) => FbtMechanism::Fentry,
    })
}

/// Whether `pid` and USDT probes attach through uprobe-multi links: where the kernel has them,
/// unless `-x uprobemode=single` says otherwise, and always under `-x uprobemode=multi` (on a
/// kernel without them the engine refuses the programs with the reason).
pub fn uprobe_multi(options: &Options) -> bool {
    let mode = options.uprobe_mode();
    match capability::uprobe::choose(&FbtFacts::probe().kernel, mode) {
        Ok(mechanism) => mechanism == UprobeMechanism::Multi,
        Err(_) => mode == UprobeMode::Multi,
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
                uprobe: options.uprobe_mode(),
                loops: options.loop_mode(),
                buf: options.buf_mode(),
            },
        )
    );
    0
}

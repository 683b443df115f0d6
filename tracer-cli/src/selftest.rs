//! `-x fbtmode` and `tracer --self-test`: how `fbt` probes attach on this kernel.
//!
//! The engine's capability probe ([`tracer_daemon::capability`]) is asked only when the program
//! has `fbt` probes, so other programs do not pay for it on the first run after a boot.

use d_frontend::ir::Module;
use d_frontend::provider::ProbeKind;
use tracer_cli::flags::Options;
use tracer_daemon::capability::{self, FbtFacts, FbtMechanism, FbtMode, report};

/// Whether `module`'s `fbt` probes are to be kprobes rather than fentry programs: when
/// `-x fbtmode=kprobe` says so, or when the kernel allows kprobes but not fentry. Where the way
/// asked for is not allowed, the engine refuses the programs with the reason.
pub fn fbt_kprobes(options: &Options, module: &Module) -> bool {
    let has_fbt = module
        .probes
        .iter()
        .any(|probe| matches!(probe.kind, ProbeKind::Fbt { .. }));
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

/// Prints the kernel's facts and how each provider attaches; returns the exit status.
pub fn run(options: &Options) -> u8 {
    let (facts, cached) = FbtFacts::probe_with_origin();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    print!(
        "{}",
        report::self_test(release.trim(), &facts, cached, options.fbt_mode())
    );
    0
}

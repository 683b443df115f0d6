//! `fbt` probes on kernel functions: `fentry/FUNC` and `fexit/FUNC` programs, or
//! `kprobe/FUNC` and `kretprobe/FUNC` programs where fentry is refused or `-x fbtmode=kprobe`
//! asks for them (kprobe-multi links are [`super::kprobe_multi`]'s).
//!
//! Before anything of the session is loaded, [`check`] asks [`crate::capability`] whether this
//! kernel lets the programs attach the way they were generated: when it does not, the session
//! fails with the reason, and nothing is loaded or attached. fentry programs are loaded against
//! the kernel's BTF, which names the function's `attach_btf_id`; kprobes attach by name.

use aya::programs::{FEntry, FExit, KProbe};
use aya::{Btf, Ebpf};
use tracer_ebpf::plan::{Attach, CompiledProgram};

use super::{Link, load_error, program_mut};
use crate::capability::{self, FbtFacts, FbtMechanism, FbtMode};
use crate::error::EngineError;

/// Fails, naming the first `fbt` probe and the reason, unless the kernel lets its programs
/// attach the way they were generated; does nothing for a program without `fbt` probes.
pub(crate) fn check(compiled: &CompiledProgram) -> Result<(), EngineError> {
    let mut checked = Vec::new();
    for plan in &compiled.programs {
        let (probe, mode) = match &plan.attach {
            Attach::Fentry { probe, .. } => (probe, FbtMode::Fentry),
            Attach::Kprobe { probe, .. } => (probe, FbtMode::Kprobe),
            Attach::KprobeMulti { targets, .. } => match targets.first() {
                Some(target) => (&target.probe, FbtMode::KprobeMulti),
                None => continue,
            },
            _ => continue,
        };
        if checked.contains(&mode) {
            continue;
        }
        checked.push(mode);
        let facts = FbtFacts::probe();
        let allowed = match mode {
            // fentry was generated because nothing else was chosen or forced: the reason names
            // every way that failed.
            FbtMode::Fentry => match capability::choose(&facts) {
                Ok(FbtMechanism::Fentry) => Ok(()),
                Ok(FbtMechanism::KprobeMulti | FbtMechanism::Kprobes) => {
                    Err(capability::why_not_fentry(&facts).unwrap_or_default())
                }
                Err(reason) => Err(reason),
            },
            _ => capability::choose_with(&facts, mode).map(drop),
        };
        allowed.map_err(|reason| EngineError::FbtUnavailable {
            probe: probe.clone(),
            reason,
        })?;
    }
    Ok(())
}

/// Loads the kprobe (or kretprobe) program `program`.
pub(crate) fn load_kprobe(ebpf: &mut Ebpf, program: &str) -> Result<(), EngineError> {
    let kprobe: &mut KProbe = program_mut(ebpf, program, "kprobe")?;
    kprobe.load().map_err(|error| load_error(program, error))
}

/// Attaches the loaded kprobe (or kretprobe) program `program` to `function`.
pub(crate) fn attach_kprobe(
    ebpf: &mut Ebpf,
    program: &str,
    function: &str,
) -> Result<Link, EngineError> {
    let attach_error = |source| EngineError::Attach {
        program: program.to_owned(),
        target: format!("kernel function {function}"),
        source: Box::new(source),
    };
    let kprobe: &mut KProbe = program_mut(ebpf, program, "kprobe")?;
    let link_id = kprobe.attach(function, 0).map_err(attach_error)?;
    let link = kprobe.take_link(link_id).map_err(attach_error)?;
    Ok(Link::Kprobe(link))
}

/// Loads the fentry (or fexit) program `program` on `function`.
pub(crate) fn load(
    ebpf: &mut Ebpf,
    btf: &Btf,
    program: &str,
    function: &str,
    is_return: bool,
) -> Result<(), EngineError> {
    let loaded = if is_return {
        let fexit: &mut FExit = program_mut(ebpf, program, "fexit")?;
        fexit.load(function, btf)
    } else {
        let fentry: &mut FEntry = program_mut(ebpf, program, "fentry")?;
        fentry.load(function, btf)
    };
    loaded.map_err(|error| load_error(program, error))
}

/// Attaches the loaded fentry (or fexit) program `program`.
pub(crate) fn attach(
    ebpf: &mut Ebpf,
    program: &str,
    function: &str,
    is_return: bool,
) -> Result<Link, EngineError> {
    let attach_error = |source| EngineError::Attach {
        program: program.to_owned(),
        target: format!("kernel function {function}"),
        source: Box::new(source),
    };
    if is_return {
        let fexit: &mut FExit = program_mut(ebpf, program, "fexit")?;
        let link_id = fexit.attach().map_err(attach_error)?;
        let link = fexit.take_link(link_id).map_err(attach_error)?;
        Ok(Link::Fexit(link))
    } else {
        let fentry: &mut FEntry = program_mut(ebpf, program, "fentry")?;
        let link_id = fentry.attach().map_err(attach_error)?;
        let link = fentry.take_link(link_id).map_err(attach_error)?;
        Ok(Link::Fentry(link))
    }
}

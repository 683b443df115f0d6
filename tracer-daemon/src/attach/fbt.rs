//! `fentry/FUNC` and `fexit/FUNC` programs: `fbt` probes on kernel functions.
//!
//! Before anything of the session is loaded, [`check`] asks [`crate::capability`] how this kernel
//! lets programs attach to kernel functions. The programs are generated as fentry and fexit
//! programs, so only that way is usable yet: when the kernel refuses it, the session fails with
//! the reason, and nothing is loaded or attached. fentry programs are loaded against the kernel's
//! BTF, which names the function's `attach_btf_id`.

use aya::programs::{FEntry, FExit};
use aya::{Btf, Ebpf};
use tracer_ebpf::plan::{Attach, CompiledProgram};

use super::{Link, load_error, program_mut};
use crate::capability::{self, FbtFacts, FbtMechanism};
use crate::error::EngineError;

/// Fails, naming the first `fbt` probe and the reason, unless the kernel lets fentry programs
/// attach; does nothing for a program without `fbt` probes.
pub(crate) fn check(compiled: &CompiledProgram) -> Result<(), EngineError> {
    let Some(probe) = compiled
        .programs
        .iter()
        .find_map(|plan| match &plan.attach {
            Attach::Fentry { probe, .. } => Some(probe),
            _ => None,
        })
    else {
        return Ok(());
    };
    let reason = match capability::choose(&FbtFacts::probe()) {
        Ok(FbtMechanism::Fentry) => return Ok(()),
        Ok(FbtMechanism::KprobeMulti | FbtMechanism::Kprobes) => {
            "fentry is unavailable and attaching with kprobes is not implemented yet".to_string()
        }
        Err(reason) => reason,
    };
    Err(EngineError::FbtUnavailable {
        probe: probe.clone(),
        reason,
    })
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

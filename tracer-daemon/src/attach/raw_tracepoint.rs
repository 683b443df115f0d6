//! `raw_tp/NAME` programs: raw tracepoints (`syscall` probes), and `BEGIN`/`END`, which load the
//! same way but run with `BPF_PROG_TEST_RUN` instead of attaching (see [`super::dtrace`]).

use aya::Ebpf;
use aya::programs::RawTracePoint;

use super::{Link, load_error, program_mut};
use crate::error::EngineError;

/// Loads the raw tracepoint program `program`.
pub(crate) fn load(ebpf: &mut Ebpf, program: &str) -> Result<(), EngineError> {
    let raw_tracepoint: &mut RawTracePoint = program_mut(ebpf, program, "raw_tp")?;
    raw_tracepoint
        .load()
        .map_err(|error| load_error(program, error))
}

/// Attaches the loaded `program` to the raw tracepoint `name`.
pub(crate) fn attach(ebpf: &mut Ebpf, program: &str, name: &str) -> Result<Link, EngineError> {
    let raw_tracepoint: &mut RawTracePoint = program_mut(ebpf, program, "raw_tp")?;
    let attach_error = |source| EngineError::Attach {
        program: program.to_owned(),
        target: format!("raw tracepoint {name}"),
        source: Box::new(source),
    };
    let link_id = raw_tracepoint.attach(name).map_err(attach_error)?;
    let link = raw_tracepoint.take_link(link_id).map_err(attach_error)?;
    Ok(Link::RawTracepoint(link))
}

//! `tracepoint/CATEGORY/NAME` programs: tracefs tracepoints (`syscall` and `tracepoint` probes).

use aya::Ebpf;
use aya::programs::TracePoint;

use super::{Link, load_error, program_mut};
use crate::error::EngineError;

/// Loads the tracepoint program `program`.
pub(crate) fn load(ebpf: &mut Ebpf, program: &str) -> Result<(), EngineError> {
    let tracepoint: &mut TracePoint = program_mut(ebpf, program, "tracepoint")?;
    tracepoint
        .load()
        .map_err(|error| load_error(program, error))
}

/// Attaches the loaded `program` to `category:name`; tracefs must already be mounted.
pub(crate) fn attach(
    ebpf: &mut Ebpf,
    program: &str,
    category: &str,
    name: &str,
) -> Result<Link, EngineError> {
    let tracepoint: &mut TracePoint = program_mut(ebpf, program, "tracepoint")?;
    let attach_error = |source| EngineError::Attach {
        program: program.to_owned(),
        target: format!("tracepoint {category}:{name}"),
        source: Box::new(source),
    };
    let link_id = tracepoint.attach(category, name).map_err(attach_error)?;
    let link = tracepoint.take_link(link_id).map_err(attach_error)?;
    Ok(Link::Tracepoint(link))
}

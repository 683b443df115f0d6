//! `perf_event` programs on the `cpu-clock` software event (`profile-N` and `tick-N` probes).
//!
//! `profile` fires on every CPU, so it gets one perf event per online CPU; `tick` fires on one
//! CPU, the first online one, as a cyclic does in `dtrace`.

use aya::Ebpf;
use aya::programs::PerfEvent;
use aya::programs::perf_event::{PerfEventConfig, PerfEventScope, SamplePolicy, SoftwareEvent};

use super::{Link, load_error, program_mut};
use crate::error::EngineError;

/// Loads the perf event program `program`.
pub(crate) fn load(ebpf: &mut Ebpf, program: &str) -> Result<(), EngineError> {
    let perf_event: &mut PerfEvent = program_mut(ebpf, program, "perf_event")?;
    perf_event
        .load()
        .map_err(|error| load_error(program, error))
}

/// Attaches the loaded `program` to a `cpu-clock` event every `period_ns` nanoseconds, on every
/// online CPU or on the first.
pub(crate) fn attach(
    ebpf: &mut Ebpf,
    program: &str,
    period_ns: u64,
    all_cpus: bool,
) -> Result<Vec<Link>, EngineError> {
    let online = aya::util::online_cpus()
        .map_err(|(path, io_error)| EngineError::Cpus { path, io_error })?;
    let cpus = if all_cpus {
        online
    } else {
        online.into_iter().take(1).collect()
    };
    let perf_event: &mut PerfEvent = program_mut(ebpf, program, "perf_event")?;
    let mut links = Vec::with_capacity(cpus.len());
    for cpu in cpus {
        let attach_error = |source| EngineError::Attach {
            program: program.to_owned(),
            target: format!("cpu-clock every {period_ns} ns on CPU {cpu}"),
            source: Box::new(source),
        };
        let link_id = perf_event
            .attach(
                PerfEventConfig::Software(SoftwareEvent::CpuClock),
                PerfEventScope::AllProcessesOneCpu { cpu },
                SamplePolicy::Period(period_ns),
                false,
            )
            .map_err(attach_error)?;
        let link = perf_event.take_link(link_id).map_err(attach_error)?;
        links.push(Link::Perf(link));
    }
    Ok(links)
}

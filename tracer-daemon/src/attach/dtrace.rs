//! `dtrace:::BEGIN` and `dtrace:::END`: raw tracepoint programs that are never attached.
//!
//! The engine runs each once with `BPF_PROG_TEST_RUN`, in the calling thread and on its CPU,
//! which gives the clause a real program context (helpers, maps, the ring buffer) without a
//! kernel event to hang it on. They load as any raw tracepoint program (see [`super::raw_tracepoint::load`]).

use aya::Ebpf;
use aya::programs::{RawTracePoint, RawTracePointRunOptions, TestRun as _};

use crate::error::EngineError;

/// Runs the loaded `program` once, with all arguments zero.
pub(crate) fn run(ebpf: &Ebpf, program: &str) -> Result<(), EngineError> {
    let Some(loaded) = ebpf.program(program) else {
        return Err(EngineError::MissingProgram {
            program: program.to_owned(),
        });
    };
    let Ok(raw_tracepoint) = <&RawTracePoint>::try_from(loaded) else {
        return Err(EngineError::WrongProgramType {
            program: program.to_owned(),
            expected: "raw_tp",
        });
    };
    match raw_tracepoint.test_run(RawTracePointRunOptions::new()) {
        Ok(_) => Ok(()),
        Err(source) => Err(EngineError::Run {
            program: program.to_owned(),
            source: Box::new(source),
        }),
    }
}

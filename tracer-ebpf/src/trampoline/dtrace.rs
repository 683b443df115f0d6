//! `BEGIN` and `END`: raw tracepoint programs run once with `BPF_PROG_TEST_RUN`; no arguments.

use super::{fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;

/// Sets the probe ID and zeros every argument.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32) {
    fixed_probe(emitter, probe_id);
    zero_args_from(emitter, 0);
}

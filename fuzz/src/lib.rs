//! What the fuzz targets run: the pipeline checks shared with tracer-ebpf's property tests,
//! included from there so both check exactly the same invariants.

#[path = "../../tracer-ebpf/tests/pipeline/mod.rs"]
pub mod pipeline;

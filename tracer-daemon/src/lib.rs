//! The engine: loads a compiled D program into the kernel, attaches its probes, and reads back
//! what its programs write.
//!
//! It takes the back end's [`CompiledProgram`](tracer_ebpf::plan::CompiledProgram) (an ELF object
//! plus its plan) and turns it into a [`Session`](load::Session) that owns the loaded programs, their maps and
//! their attachments. Records arrive on a ring buffer ([`Session::poll_events`](load::Session::poll_events),
//! [`decode_record`](events::decode_record)); aggregations are read from per-CPU hash maps and
//! merged across CPUs ([`Session::aggregation`](load::Session::aggregation)). [`KernelCatalog`](catalog::KernelCatalog)
//! answers the front end's questions about the running kernel (syscalls, struct members).
//!
//! ```text
//! CompiledProgram --Session::load--> Session --poll_events--> record bytes --decode_record--> values
//!                                            --aggregation--> merged aggregation entries
//! ```
//!
//! Everything here needs root (`CAP_BPF` and `CAP_PERFMON`) and a kernel with BPF, except the pure
//! pieces: record decoding, aggregation merging, the syscall table and the BTF reader.
//!
//! ```no_run
//! # fn compiled() -> tracer_ebpf::plan::CompiledProgram { unimplemented!() }
//! use std::time::Duration;
//!
//! use tracer_daemon::events::decode_record;
//! use tracer_daemon::load::Session;
//!
//! let compiled = compiled();
//! let mut session = Session::load(&compiled)?;
//! session.run_begin()?;
//! session.poll_events(Duration::from_secs(1), &mut |bytes| {
//!     let Some(header) = tracer_ebpf::layout::RecordHeader::decode(bytes) else { return };
//!     if let Some(desc) = compiled.records.get(header.clause_id as usize) {
//!         println!("{:?}", decode_record(desc, bytes));
//!     }
//! })?;
//! session.detach();
//! session.run_end()?;
//! for agg in &compiled.aggregations {
//!     println!("{:?}", session.aggregation(agg)?);
//! }
//! # Ok::<(), tracer_daemon::error::EngineError>(())
//! ```

#![deny(missing_docs)]

pub mod aggregate;
mod attach;
pub mod btf;
pub mod buckets;
pub mod capability;
pub mod catalog;
pub mod engine;
pub mod error;
pub mod events;
pub mod generated;
pub mod kallsyms;
pub mod load;
mod maps;
mod perfbuf;
pub mod program;
mod ringbuf;
pub mod server;
pub mod speculations;
mod sys;
pub mod tracefs;
pub mod tracepoints;
pub mod user;

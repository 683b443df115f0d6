//! Building a [`ProgramRequest`]: the daemon's compile, the same front end and code generator
//! calls that `tracer` makes in-process, from the settings the client sent.
//!
//! The daemon compiles every program itself, whatever the client compiled, because it alone
//! decides what may load (destructive actions). The client compiles the same request too, to
//! print with the program's plan; the [`fingerprint`] of the two plans must agree.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use d_frontend::compile::{Compiled, Input, compile_inputs};
use d_frontend::diagnostic::{self, Origin, RenderOptions};
use d_frontend::provider::{ProbeCatalog, ProbeField};
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{Generated, generate};
use tracer_ebpf::plan::CompiledProgram;

use tracer_protocol::{ErrorKind, ErrorReply, ProgramRequest, SourceKind};

/// A program compiled from a request.
pub struct Built {
    /// The sources, for messages.
    pub sources: SourceMap,
    /// The front end's result.
    pub compiled: Compiled,
    /// The code generator's result, with the plan to load.
    pub generated: Generated,
}

/// The sources of `request` with the D library before them, as inputs to the front end.
pub fn inputs(
    request: &ProgramRequest,
) -> (SourceMap, Vec<Input>, Vec<d_frontend::source::FileId>) {
    let mut sources = SourceMap::default();
    let library = d_frontend::library::add(&mut sources, d_frontend::library::FILES);
    let inputs = request
        .sources
        .iter()
        .map(|source| {
            let (origin, spec) = match source.kind {
                SourceKind::Script => (Origin::Script, ProbeField::Name),
                SourceKind::Provider => (Origin::ProbeSpecifier, ProbeField::Provider),
                SourceKind::Module => (Origin::ProbeSpecifier, ProbeField::Module),
                SourceKind::Function => (Origin::ProbeSpecifier, ProbeField::Function),
                SourceKind::Name => (Origin::ProbeSpecifier, ProbeField::Name),
            };
            Input {
                file: sources.add(source.name.clone(), source.text.clone()),
                origin,
                spec,
            }
        })
        .collect();
    (sources, inputs, library)
}

/// Compiles and generates `request`; refuses destructive actions unless both the client asked
/// for them and `allow_destructive` (the daemon's config) permits them.
pub fn build(
    request: &ProgramRequest,
    catalog: &dyn ProbeCatalog,
    allow_destructive: bool,
    wall_clock_offset_ns: u64,
) -> Result<Built, ErrorReply> {
    let (sources, inputs, library) = inputs(request);
    let options = request.compile.compile_options(library);
    let compiled = match compile_inputs(&sources, &inputs, catalog, &options) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            let message = diagnostics.first().map_or_else(String::new, |diagnostic| {
                let origin = inputs
                    .iter()
                    .find(|input| input.file == diagnostic.span.file)
                    .map_or(Origin::Script, |input| input.origin);
                let render_options = RenderOptions {
                    program: "tracer",
                    origin,
                    errtags: false,
                    format: diagnostic::DiagFormat::Dtrace,
                };
                diagnostic::render(&sources, diagnostic, &render_options)
            });
            return Err(error(ErrorKind::Compile, message.trim_end().to_owned()));
        }
    };
    let generated = generate(
        &compiled.module,
        &request.codegen.codegen_options(wall_clock_offset_ns),
    )
    .map_err(|codegen_error| {
        error(
            ErrorKind::Compile,
            format!("failed to generate code: {codegen_error}"),
        )
    })?;
    if compiled.module.destructive && !(request.destructive && allow_destructive) {
        let why = if request.destructive {
            "the daemon's config does not allow them"
        } else {
            "-w was not given"
        };
        return Err(error(
            ErrorKind::Destructive,
            format!("could not enable tracing: Destructive actions not allowed ({why})"),
        ));
    }
    Ok(Built {
        sources,
        compiled,
        generated,
    })
}

/// A digest of what the consumer relies on in `program`: its records, aggregations, probes and
/// speculations (not the instructions, which embed the loading side's clock offset).
pub fn fingerprint(program: &CompiledProgram) -> String {
    let mut hasher = DefaultHasher::new();
    format!(
        "{:?}{:?}{:?}{:?}",
        program.records, program.aggregations, program.probes, program.speculations
    )
    .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// An error reply without verifier details.
pub fn error(kind: ErrorKind, message: String) -> ErrorReply {
    ErrorReply {
        kind,
        message,
        program: None,
        verifier_log: None,
    }
}

/// `CLOCK_REALTIME - CLOCK_MONOTONIC`, for `walltimestamp`.
pub fn wall_clock_offset_ns() -> u64 {
    let read = |clock| {
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid `timespec` for the call to write.
        unsafe { libc::clock_gettime(clock, &raw mut time) };
        time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64
    };
    read(libc::CLOCK_REALTIME).wrapping_sub(read(libc::CLOCK_MONOTONIC))
}

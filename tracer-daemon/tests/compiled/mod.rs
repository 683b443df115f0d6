//! D programs compiled, generated and loaded for the engine's kernel tests: the steps every such
//! test repeats, with the root check and readable failures (the verifier's last lines).

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::ProbeCatalog;
use d_frontend::sema::CompileOptions;
use d_frontend::source::{FileId, SourceMap};
use tracer_daemon::error::EngineError;
use tracer_daemon::load::Session;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};

/// Compiles `text` (a script) against `catalog` with `options`, generates its code with `codegen`
/// and loads it; panics saying why when any step fails or when not run as root.
pub fn load(
    text: &str,
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
    codegen: &CodegenOptions,
) -> (Generated, Session) {
    let mut sources = SourceMap::default();
    let file = sources.add("t.d", text);
    load_sources(&sources, file, catalog, options, codegen)
}

/// Like [`load`], for the script `file` of `sources`, which may hold more files (the D library,
/// which `options` then names).
pub fn load_sources(
    sources: &SourceMap,
    file: FileId,
    catalog: &dyn ProbeCatalog,
    options: &CompileOptions,
    codegen: &CodegenOptions,
) -> (Generated, Session) {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "these tests load BPF programs and need root (CAP_BPF, CAP_PERFMON)"
    );
    let text = &sources.file(file).text;
    let compiled = compile(sources, &[(file, Origin::Script)], catalog, options)
        .unwrap_or_else(|errors| panic!("{text} does not compile: {errors:?}"));
    let generated = generate(&compiled.module, codegen)
        .unwrap_or_else(|error| panic!("{text} does not generate: {error}"));
    let session = Session::load(&generated.program).unwrap_or_else(|error| match error {
        EngineError::Verifier { verifier_log, .. } => {
            let tail: Vec<&str> = verifier_log.lines().rev().take(30).collect();
            panic!("{text}: the verifier refuses it:\n{}", tail.join("\n"))
        }
        error => panic!("{text}: the session does not load: {error}"),
    });
    (generated, session)
}

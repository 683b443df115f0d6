//! The `fbt`, `proc` and `sched` providers against the running kernel: `fbt` probes come from its
//! BTF and attach only the way the capability probe allows; every `proc` and `sched` source loads,
//! attaches and fires.
//!
//! These tests need root and a kernel with BPF and BTF; without them they fail saying so.

use std::collections::BTreeMap;
use std::time::Duration;

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{KernelType, ProbeCatalog as _};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_daemon::capability::{self, FbtFacts, FbtMechanism};
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::error::EngineError;
use tracer_daemon::load::Session;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::layout::{AggValue, Value};

fn catalog() -> KernelCatalog {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the provider tests load BPF programs and need root (CAP_BPF, CAP_PERFMON)"
    );
    let catalog =
        KernelCatalog::load().unwrap_or_else(|error| panic!("the catalog loads: {error}"));
    if let Err(error) = catalog.btf() {
        panic!("this kernel's BTF is needed (CONFIG_DEBUG_INFO_BTF): {error}");
    }
    catalog
}

fn generated(catalog: &KernelCatalog, text: &str) -> Generated {
    let mut sources = SourceMap::default();
    let file = sources.add("t.d", text);
    let compiled = compile(
        &sources,
        &[(file, Origin::Script)],
        catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} does not compile: {errors:?}"));
    let options = CodegenOptions {
        bufsize: 1 << 16,
        ..CodegenOptions::default()
    };
    generate(&compiled.module, &options)
        .unwrap_or_else(|error| panic!("{text} does not generate: {error}"))
}

#[test]
fn kernel_functions_and_their_prototypes_come_from_btf() {
    let catalog = catalog();
    let functions = catalog.kernel_functions();
    assert!(
        functions.len() > 10_000,
        "only {} functions",
        functions.len()
    );
    assert!(functions.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(functions.binary_search(&"vfs_read".to_owned()).is_ok());
    let read = catalog
        .kernel_function("vfs_read")
        .expect("vfs_read has a prototype");
    let names: Vec<&str> = read.params.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["file", "buf", "count", "pos"]);
    let Some(KernelType::Pointer { target }) = catalog.kernel_type(read.params[0].1) else {
        panic!("vfs_read's first parameter is a pointer");
    };
    assert!(matches!(
        catalog.kernel_type(target),
        Some(KernelType::Struct { name, .. }) if name == "file"
    ));
}

#[test]
fn fbt_attaches_only_the_way_the_capability_probe_allows() {
    let catalog = catalog();
    let facts = FbtFacts::probe();
    assert!(
        facts.lockdown.is_some(),
        "the lockdown level is readable as root: {facts:?}"
    );
    let generated = generated(&catalog, "fbt::vfs_read:entry { @ = count(); }");
    let loaded = Session::load(&generated.program);
    match capability::choose(&facts) {
        Ok(FbtMechanism::Fentry) => {
            let session = loaded.unwrap_or_else(|error| panic!("fentry loads: {error:?}"));
            assert_eq!(session.n_links(), 1);
        }
        Ok(_) => assert!(matches!(loaded, Err(EngineError::FbtUnavailable { .. }))),
        Err(reason) => {
            let Err(EngineError::FbtUnavailable { probe, reason: why }) = loaded else {
                panic!("fbt loads although {reason}");
            };
            assert_eq!(
                (probe.as_str(), why.as_str()),
                ("fbt:vmlinux:vfs_read:entry", reason.as_str())
            );
        }
    }
}

#[test]
fn every_proc_and_sched_source_loads_attaches_and_fires() {
    let catalog = catalog();
    let generated = generated(&catalog, "proc:::, sched::: { @[id] = count(); }");
    let mut session = Session::load(&generated.program)
        .unwrap_or_else(|error| panic!("the proc and sched programs load: {error:?}"));
    // Tracing starts once BEGIN has run (there is none here): until then no probe's clauses run.
    session.run_begin().expect("tracing starts");
    assert_eq!(session.n_links(), generated.program.programs.len());
    for _ in 0..3 {
        let status = std::process::Command::new("/bin/true")
            .status()
            .expect("/bin/true runs");
        assert!(status.success());
        let mut sleeper = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("sleep runs");
        std::thread::sleep(Duration::from_millis(20));
        // SAFETY: `kill` has no memory preconditions; the pid is our child's.
        assert_eq!(unsafe { libc::kill(sleeper.id() as i32, libc::SIGTERM) }, 0);
        sleeper.wait().expect("sleep is reaped");
    }
    session.detach();
    let counts = session
        .aggregation(&generated.program.aggregations[0])
        .expect("the aggregation reads");
    let mut fired = BTreeMap::new();
    for (key, value) in counts {
        let ([Value::Int { bits, .. }], AggValue::Count(count)) = (key.as_slice(), value) else {
            panic!("an id key and a count");
        };
        let probe = generated
            .program
            .probes
            .iter()
            .find(|probe| u64::from(probe.id) == *bits)
            .expect("a known probe");
        fired.insert(format!("{}:::{}", probe.provider, probe.name), count);
    }
    for probe in [
        "proc:::create",
        "proc:::exec",
        "proc:::exec-success",
        "proc:::exit",
        "proc:::lwp-exit",
        "proc:::start",
        "proc:::lwp-start",
        "proc:::signal-send",
        "proc:::signal-handle",
        "sched:::on-cpu",
        "sched:::off-cpu",
        "sched:::sleep",
        "sched:::wakeup",
        "sched:::enqueue",
        "sched:::dequeue",
    ] {
        assert!(
            fired.get(probe).copied().unwrap_or(0) >= 3,
            "{probe} fired fewer than three times: {fired:?}"
        );
    }
}

//! One run of `tracer`: compile, load, trace until done, print.
//!
//! The order follows dtrace: compile every source; with `-e` stop there; create the `-c` command
//! stopped; refuse a program with destructive actions unless they are allowed; load and attach
//! everything; print the banner (which marks "ready"); let the command go; run `BEGIN`; consume
//! records until `exit()`, a signal or the end of the target; detach; run `END`; print what is
//! left; exit with `exit()`'s status. What is printed goes through the output format's sink
//! (`-O`, `-x oformat`), chosen once the options of the program's `#pragma`s are known.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use d_frontend::compile::{Compiled, Input, compile_inputs};
use d_frontend::diagnostic::{self, Diagnostic, Origin, RenderOptions};
use d_frontend::provider::ProbeCatalog;
use d_frontend::sema::{CompileOptions, StackFrames};
use d_frontend::source::{FileId, SourceMap};
use tracer_cli::consume::Consumer;
use tracer_cli::flags::{
    DEFAULT_SOCKET, HiArgs, Mode, Options, ProbeSpecKind, ProgramKind, apply_pragmas,
};
use tracer_cli::output::sink::{DropCount, EndReason, OutputFormat, Sink};
use tracer_cli::output::text;
use tracer_cli::remote::RemoteSession;
use tracer_cli::signals::Signals;
use tracer_cli::target::{Target, TargetRequest};
use tracer_daemon::capability::{self, FbtFacts, FbtMechanism};
use tracer_daemon::catalog::KernelCatalog;
use tracer_daemon::engine::Engine;
use tracer_daemon::error::EngineError;
use tracer_daemon::load::Session;
use tracer_daemon::program;
use tracer_ebpf::codegen::{CodegenError, Generated, generate};
use tracer_ebpf::disasm::disassemble;
use tracer_protocol::user::{FactCatalog, UserFacts};
use tracer_protocol::{
    CodegenSettings, CompileSettings, MacroVariableSettings, ProgramRequest, SourceKind, SourceText,
};

/// How long the consumer waits for records before checking for the end of the run, unless the
/// `switchrate` option asks for less.
const SWITCH_INTERVAL: Duration = Duration::from_millis(50);
/// The shortest wait `switchrate` may ask for.
const MIN_SWITCH_INTERVAL: Duration = Duration::from_millis(1);
/// The program name printed before every message.
pub(crate) const PROGRAM: &str = "tracer";

/// Runs the program the command line describes and returns the exit status.
pub fn run(args: &HiArgs) -> anyhow::Result<u8> {
    let mut request = program_request(args, None);
    let kernel_catalog = || KernelCatalog::load().context("failed to read the kernel's probes");
    if args.mode == Mode::List {
        let (sources, inputs, library) = program::inputs(&request);
        let kernel_catalog = kernel_catalog();
        let remote = catalog_daemon(args, &kernel_catalog)?;
        // `-c` commands are created (and killed unreleased when dropped) so that `pid$target`
        // descriptions list the probes of their program.
        let mut targets = Vec::new();
        for target_request in &args.targets {
            targets.push(Target::start(target_request)?);
        }
        note_created_processes(&kernel_catalog, remote.as_ref(), args, &targets);
        let catalog: &dyn ProbeCatalog = match (&kernel_catalog, &remote) {
            (Ok(kernel_catalog), _) => kernel_catalog,
            (Err(_), Some(remote)) => remote,
            (Err(_), None) => return kernel_catalog.map(|_| 1),
        };
        return crate::list::list(args, &sources, &inputs, library, catalog, &targets);
    }
    if args.mode == Mode::SelfTest {
        return Ok(crate::selftest::run(&args.options));
    }
    // Connecting first makes a refusal by tracerd the first thing reported.
    let mut remote = match args.engine.socket() {
        Some(path) if args.mode == Mode::Exec => Some(RemoteSession::connect(&path)?),
        _ => None,
    };
    let attached = match (&args.attach, remote.as_mut()) {
        (Some(name), Some(remote)) => Some(remote.attach(name)?),
        (Some(_), None) => anyhow::bail!(
            "--attach needs tracerd, and none listens at {DEFAULT_SOCKET}: use --daemon PATH"
        ),
        (None, _) => None,
    };
    if let Some((program, _)) = &attached {
        request = program.clone();
    }
    let (sources, inputs, library) = program::inputs(&request);
    let signals = Signals::install()?;
    let mut targets = Vec::new();
    for target_request in &args.targets {
        targets.push(Target::start(target_request)?);
    }
    if attached.is_none() {
        request.compile = compile_settings(args, targets.first().map(Target::pid));
    }
    // A client that is not root cannot read tracefs; it compiles against the daemon's catalog.
    let kernel_catalog = kernel_catalog();
    if remote.is_none() {
        remote = catalog_daemon(args, &kernel_catalog)?;
    }
    note_created_processes(&kernel_catalog, remote.as_ref(), args, &targets);
    let catalog: &dyn ProbeCatalog = match (&kernel_catalog, &remote) {
        (Ok(kernel_catalog), _) => kernel_catalog,
        (Err(_), Some(remote)) => remote,
        (Err(_), None) => return kernel_catalog.map(|_| 1),
    };
    // Through the daemon, the user-space answers are recorded for it, or, attached to a session,
    // those its owner recorded are used, so that both sides create the same `pid` and USDT probes.
    let facts = attached
        .as_ref()
        .map(|(program, _)| program.user.clone())
        .unwrap_or_default();
    let recording = remote
        .as_ref()
        .map(|_| FactCatalog::new(catalog, facts, true));
    let compile_catalog: &dyn ProbeCatalog = match &recording {
        Some(recording) => recording,
        None => catalog,
    };
    let compile_options = request.compile.compile_options(library);
    let compiled = match compile_inputs(&sources, &inputs, compile_catalog, &compile_options) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            if let Some(diagnostic) = diagnostics.first() {
                print_diagnostic(&sources, &inputs, diagnostic, &args.options);
            }
            return Ok(1);
        }
    };
    if let (Some(recording), None) = (recording, &attached) {
        request.user = recording.into_facts();
        request.user.keep_probed(&compiled.module.probes);
    }
    let mut options = args.options.clone();
    if let Err(diagnostic) = apply_pragmas(&mut options, &compiled.pragma_options) {
        print_diagnostic(&sources, &inputs, &diagnostic, &options);
        return Ok(1);
    }
    if attached.is_none() {
        request.codegen = codegen_settings(&options)?;
        let fbt = crate::selftest::fbt_mechanism(&options, &compiled.module);
        request.codegen.fbt_kprobes =
            matches!(fbt, Some(FbtMechanism::Kprobes | FbtMechanism::KprobeMulti));
        request.codegen.fbt_kprobe_multi = fbt == Some(FbtMechanism::KprobeMulti);
        request.codegen.uprobe_multi = crate::selftest::uprobe_multi(&options);
        request.codegen.bounded_loops = crate::selftest::bounded_loops(&options);
        request.codegen.perf_buffer = crate::selftest::perf_buffer(&options);
        request.codegen.task_btf = capability::task_btf(&FbtFacts::probe());
        request.destructive = options.destructive();
    }
    let quiet = options.quiet();
    let output_format = options.output_format();
    let mut sink = output_format.sink(text::testing_mode());
    let n_matched: usize = compiled
        .module
        .sources
        .iter()
        .map(|source| source.n_matched)
        .sum();
    if n_matched == 0 && !options.zdefs() && args.mode == Mode::Exec {
        print_banner(sink.as_mut(), &compiled, quiet)?;
        let what = if args.programs.is_empty() {
            "specified"
        } else {
            "matched"
        };
        return Err(anyhow::anyhow!("no probes {what}"));
    }
    let codegen_options = request
        .codegen
        .codegen_options(program::wall_clock_offset_ns());
    let generated = match generate(&compiled.module, &codegen_options) {
        Ok(generated) => generated,
        // dtrace finds the buffers too small when it enables the probes, after its banner.
        Err(error @ CodegenError::BufferTooSmall) if args.mode == Mode::Exec => {
            print_banner(sink.as_mut(), &compiled, quiet)?;
            anyhow::bail!("could not enable tracing: {error}");
        }
        Err(error) => return Err(error).context("failed to generate code"),
    };
    let bufsize = options.get("bufsize").unwrap_or(4 << 20);
    if args.mode == Mode::Exec
        && !crate::bufcheck::holds_records(bufsize, &generated.program.records)
    {
        print_banner(sink.as_mut(), &compiled, quiet)?;
        anyhow::bail!("could not enable tracing: {}", CodegenError::BufferTooSmall);
    }
    if args.intermediate {
        print_intermediate(&compiled, &generated);
    }
    if args.mode == Mode::CompileOnly {
        return Ok(0);
    }
    // A standing script was allowed its destructive actions by tracerd's config.
    if compiled.module.destructive && !options.destructive() && attached.is_none() {
        print_banner(sink.as_mut(), &compiled, quiet)?;
        anyhow::bail!("could not enable tracing: Destructive actions not allowed");
    }
    let explain =
        |error| explain_load_error(error, &compiled, &generated, &sources, args.verbose > 0);
    let mut engine: Box<dyn Engine> = match remote {
        None => Box::new(Session::load(&generated.program).map_err(explain)?),
        Some(mut remote) => {
            let fingerprint = match attached {
                Some((_, fingerprint)) => fingerprint,
                None => remote.start(request).map_err(explain)?,
            };
            if fingerprint != program::fingerprint(&generated.program) {
                anyhow::bail!(
                    "tracerd compiled the program differently: are tracer and tracerd from the same build?"
                );
            }
            Box::new(remote)
        }
    };
    print_banner(sink.as_mut(), &compiled, quiet)?;
    if !quiet && options.destructive() {
        eprintln!("{PROGRAM}: allowing destructive actions");
    }
    let output = Output {
        sink,
        flush_each_record: output_format == OutputFormat::Json,
    };
    trace(
        engine.as_mut(),
        &generated,
        &mut targets,
        &signals,
        options,
        output,
    )
}

/// Tells the catalog the program compiles against (the kernel's, or the daemon's for a client
/// that cannot read the kernel's) which program each `-c` command will execute, so that its
/// `pid` and USDT probes are found there while it still waits to be released.
fn note_created_processes(
    kernel_catalog: &anyhow::Result<KernelCatalog>,
    remote: Option<&RemoteSession>,
    args: &HiArgs,
    targets: &[Target],
) {
    for (request, target) in args.targets.iter().zip(targets) {
        if let TargetRequest::Command(command) = request {
            let pid = target.pid() as u32;
            match (kernel_catalog, remote) {
                (Ok(catalog), _) => catalog.add_created_process(pid, command.program()),
                (Err(_), Some(remote)) => remote.add_created_process(pid, command.program()),
                (Err(_), None) => {}
            }
        }
    }
}

/// A connection to `tracerd` for its catalog, when this process cannot read the kernel's (it is
/// not root) and a daemon listens.
fn catalog_daemon(
    args: &HiArgs,
    kernel_catalog: &anyhow::Result<KernelCatalog>,
) -> anyhow::Result<Option<RemoteSession>> {
    match (kernel_catalog, args.engine.socket()) {
        (Err(_), Some(path)) => Ok(Some(RemoteSession::connect(&path)?)),
        _ => Ok(None),
    }
}

/// What `tracer` asks `tracerd` to run, and what it compiles itself: the sources of the command
/// line with the settings of its options (the code generator's are completed once the program's
/// `#pragma`s are known).
fn program_request(args: &HiArgs, target: Option<i32>) -> ProgramRequest {
    let sources = args
        .programs
        .iter()
        .map(|program| SourceText {
            name: program.name.clone(),
            text: program.text.clone(),
            kind: match program.kind {
                ProgramKind::Script => SourceKind::Script,
                ProgramKind::Probes(ProbeSpecKind::Provider) => SourceKind::Provider,
                ProgramKind::Probes(ProbeSpecKind::Module) => SourceKind::Module,
                ProgramKind::Probes(ProbeSpecKind::Function) => SourceKind::Function,
                ProgramKind::Probes(ProbeSpecKind::Name | ProbeSpecKind::Id) => SourceKind::Name,
            },
        })
        .collect();
    ProgramRequest {
        sources,
        compile: compile_settings(args, target),
        codegen: CodegenSettings::default(),
        destructive: args.options.destructive(),
        user: UserFacts::default(),
    }
}

/// How the front end reads the sources: the options that change it, and the macro variables of
/// this process and of `$target` (`target`, the first `-c` or `-p` process, if any).
pub(crate) fn compile_options(
    args: &HiArgs,
    target: Option<i32>,
    library: Vec<FileId>,
) -> CompileOptions {
    compile_settings(args, target).compile_options(library)
}

/// The settings behind [`compile_options`], as `tracerd` receives them.
fn compile_settings(args: &HiArgs, target: Option<i32>) -> CompileSettings {
    let frames = stack_frames(&args.options);
    CompileSettings {
        strsize: args.options.get("strsize").map_or(256, |size| size as u32),
        scratchsize: args
            .options
            .get("scratchsize")
            .filter(|&size| size > 8)
            .map_or(256, |size| u32::try_from(size - 8).unwrap_or(u32::MAX)),
        program_name: args.program_name.clone(),
        macro_args: args.macro_args.clone(),
        macro_variables: macro_variables(target),
        defaultargs: args.options.is_set("defaultargs"),
        argref: args.options.is_set("argref"),
        zdefs: args.options.zdefs(),
        empty: args.options.is_set("empty"),
        stackframes: frames.kernel,
        ustackframes: frames.user,
        maxframes: frames.max,
        pspec: args.options.is_set("pspec"),
        kernel_relocations: args.options.choice("linkmode") == Some("dynamic")
            && !args.options.is_set("knodefs"),
    }
}

/// The frame counts of the `stackframes`, `ustackframes` and `maxframes` options, or their
/// defaults.
fn stack_frames(options: &Options) -> StackFrames {
    let defaults = StackFrames::default();
    let get = |name: &str, default: u32| {
        options
            .get(name)
            .and_then(|value| u32::try_from(value).ok())
            .unwrap_or(default)
    };
    StackFrames {
        kernel: get("stackframes", defaults.kernel),
        user: get("ustackframes", defaults.user),
        max: get("maxframes", defaults.max),
    }
}

/// Where the run's output goes.
struct Output {
    /// The output format.
    sink: Box<dyn Sink>,
    /// Write each record's output as soon as it is consumed, rather than once per batch.
    flush_each_record: bool,
}

/// What each source matched, as the sink prints it (text: on stderr, unless `quiet`).
fn print_banner(sink: &mut dyn Sink, compiled: &Compiled, quiet: bool) -> anyhow::Result<()> {
    let mut out = Vec::new();
    sink.banner(&compiled.module.sources, quiet, &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

/// Prints a compile error as dtrace words it for a script or a probe specifier.
pub(crate) fn print_diagnostic(
    sources: &SourceMap,
    inputs: &[Input],
    diagnostic: &Diagnostic,
    options: &Options,
) {
    let origin = inputs
        .iter()
        .find(|input| input.file == diagnostic.span.file)
        .map_or(Origin::Script, |input| input.origin);
    let render_options = RenderOptions {
        program: PROGRAM,
        origin,
        errtags: options.errtags(),
        format: options.diag_format(),
    };
    let _ = std::io::stderr()
        .lock()
        .write_all(diagnostic::render(sources, diagnostic, &render_options).as_bytes());
}

/// Consumes records until the run ends, then runs `END` and prints what is left.
fn trace(
    session: &mut dyn Engine,
    generated: &Generated,
    targets: &mut [Target],
    signals: &Signals,
    options: Options,
    output: Output,
) -> anyhow::Result<u8> {
    // A faster switch rate also frees committed and discarded speculations sooner.
    let interval = match options.get("switchrate") {
        Some(rate) if rate > 0 => {
            Duration::from_nanos(rate).clamp(MIN_SWITCH_INTERVAL, SWITCH_INTERVAL)
        }
        _ => SWITCH_INTERVAL,
    };
    let mut consumer = Consumer::new(&generated.program, options, output.sink);
    let mut stdout = std::io::stdout().lock();
    let mut out = Vec::new();
    let mut batch = RecordBatch::default();
    session.run_begin().context("failed to run BEGIN")?;
    // As dtrace continues its victims only once tracing has started, `-c` commands run after
    // BEGIN, so their first system calls find the other probes active.
    for target in targets.iter_mut() {
        target.release()?;
    }
    let reason = loop {
        let targets_done = !targets.is_empty() && targets.iter_mut().all(Target::has_exited);
        for target in targets.iter() {
            consumer.watch(target.pid() as u32);
        }
        let each_record = output
            .flush_each_record
            .then_some(&mut stdout as &mut dyn Write);
        drain(
            session,
            &mut consumer,
            &mut batch,
            &mut out,
            interval,
            each_record,
        )?;
        consumer.refresh_aggregations(session)?;
        write_out(&mut out, &mut stdout)?;
        if consumer.exit_status().is_some() {
            break EndReason::Exit;
        }
        if signals.stop_requested() {
            break EndReason::Signal;
        }
        if targets_done {
            break EndReason::Target;
        }
    };
    session.detach().context("failed to detach the probes")?;
    session.run_end().context("failed to run END")?;
    drain(
        session,
        &mut consumer,
        &mut batch,
        &mut out,
        Duration::ZERO,
        None,
    )?;
    consumer.finish(session, &mut out)?;
    write_out(&mut out, &mut stdout)?;
    let drops = drops(session, consumer.spec_drops())?;
    consumer.sink().drops(&drops, &mut out);
    let status = consumer.exit_status().unwrap_or(0) as u8;
    consumer.sink().end(status, reason, &mut out);
    write_out(&mut out, &mut stdout)?;
    Ok(status)
}

/// Writes and flushes what is pending in `out`, then empties it.
fn write_out(out: &mut Vec<u8>, stdout: &mut dyn Write) -> anyhow::Result<()> {
    stdout.write_all(out)?;
    stdout.flush()?;
    out.clear();
    Ok(())
}

/// Records copied out of the ring buffer end to end, so that the consumer can use the session
/// while it prints them; the buffers are kept from batch to batch, so copying allocates nothing
/// once they have grown.
#[derive(Default)]
struct RecordBatch {
    /// The records' bytes.
    bytes: Vec<u8>,
    /// Where each record ends in `bytes`.
    ends: Vec<usize>,
}

impl RecordBatch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn push(&mut self, record: &[u8]) {
        self.bytes.extend_from_slice(record);
        self.ends.push(self.bytes.len());
    }

    fn records(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }
}

/// Hands every waiting record to the consumer, waiting up to `timeout` for the first; with
/// `each_record`, writes the output there after each record.
fn drain(
    session: &mut dyn Engine,
    consumer: &mut Consumer<'_>,
    batch: &mut RecordBatch,
    out: &mut Vec<u8>,
    timeout: Duration,
    mut each_record: Option<&mut dyn Write>,
) -> anyhow::Result<()> {
    let mut failure = None;
    batch.clear();
    session.poll_events(timeout, &mut |bytes| batch.push(bytes))?;
    for record in batch.records() {
        if let Err(error) = consumer.record(record, session, out) {
            failure.get_or_insert(error);
        }
        if let Some(stdout) = each_record.as_deref_mut() {
            write_out(out, stdout)?;
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// The drops of the run, in the order dtrace reports them: principal-buffer drops per CPU,
/// aggregation drops per CPU, then
/// stores that found a thread-local's or an associative array's map full, then the speculation
/// drops: records that did not fit in `specsize` (in the kernel or, `consumer_spec_drops`, in the
/// consumer), and `speculation()` calls that found no free ID. Only non-zero counts are kept.
fn drops(session: &dyn Engine, consumer_spec_drops: u64) -> anyhow::Result<Vec<DropCount>> {
    let counters = session.session_drops()?;
    let mut drops: Vec<DropCount> = counters
        .principal
        .into_iter()
        .map(|(cpu, count)| DropCount::Principal { cpu, count })
        .collect();
    drops.extend(
        counters
            .aggregation
            .into_iter()
            .map(|(cpu, count)| DropCount::Aggregation { cpu, count }),
    );
    let spec_drops = counters.speculation;
    drops.extend([
        DropCount::Dynamic(counters.dynamic),
        DropCount::Speculative(spec_drops.drops + consumer_spec_drops),
        DropCount::SpeculationBusy(spec_drops.busy),
        DropCount::SpeculationUnavailable(spec_drops.unavail),
    ]);
    drops.retain(|drop| drop.count() > 0);
    Ok(drops)
}

/// The code generator's settings of `options`, as `tracerd` receives them.
fn codegen_settings(options: &Options) -> anyhow::Result<CodegenSettings> {
    let bufsize = options.get("bufsize").unwrap_or(4 << 20);
    let page_size = 4096u64;
    let bufsize = bufsize.max(page_size).next_power_of_two();
    Ok(CodegenSettings {
        bufsize: u32::try_from(bufsize).context("bufsize is too large")?,
        dynvarsize: options.get("dynvarsize").unwrap_or(1 << 20),
        nspec: options
            .get("nspec")
            .map_or(1, |nspec| u32::try_from(nspec).unwrap_or(u32::MAX)),
        specsize: options.get("specsize").unwrap_or(4 << 20),
        aggsize: options.get("aggsize").unwrap_or(4 << 20),
        ..CodegenSettings::default()
    })
}

/// `$pid`, `$ppid`, `$uid` and the other macro variables: this process's ids, and `$target`'s
/// pid (0 without `-c` or `-p`).
fn macro_variables(target: Option<i32>) -> MacroVariableSettings {
    // SAFETY: these calls only read the calling process's ids and cannot fail for it.
    let (egid, euid, gid, pgid, ppid, sid, uid) = unsafe {
        (
            libc::getegid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getpgid(0),
            libc::getppid(),
            libc::getsid(0),
            libc::getuid(),
        )
    };
    MacroVariableSettings {
        egid,
        euid,
        gid,
        pid: std::process::id(),
        pgid: pgid as u32,
        ppid: ppid as u32,
        sid: sid as u32,
        target: target.map_or(0, |pid| pid as u32),
        uid,
    }
}

/// `-S`: the IR, then each program's annotated disassembly, on stderr as dtrace prints it.
fn print_intermediate(compiled: &Compiled, generated: &Generated) {
    let mut stdout = std::io::stderr().lock();
    let _ = writeln!(stdout, "{}", compiled.module.dump());
    for listing in &generated.listings {
        let _ = writeln!(stdout, "program {}:", listing.name);
        let annotate = |insn_idx: usize| {
            let notes: Vec<&str> = listing
                .annotations
                .iter()
                .filter(|(idx, _)| *idx == insn_idx)
                .map(|(_, text)| text.as_str())
                .collect();
            (!notes.is_empty()).then(|| notes.join("; "))
        };
        let _ = writeln!(stdout, "{}", disassemble(&listing.insns, &annotate));
    }
}

/// A verifier rejection becomes a diagnostic against the clause its failing instruction came from.
fn explain_load_error(
    error: EngineError,
    compiled: &Compiled,
    generated: &Generated,
    sources: &SourceMap,
    verbose: bool,
) -> anyhow::Error {
    if matches!(
        error,
        EngineError::FbtUnavailable { .. }
            | EngineError::UprobeUnavailable { .. }
            | EngineError::Daemon { .. }
    ) {
        return anyhow::Error::new(error);
    }
    let EngineError::Verifier {
        program,
        verifier_log,
        ..
    } = &error
    else {
        return anyhow::Error::new(error).context("failed to enable probes");
    };
    let clause = generated
        .listings
        .iter()
        .find(|listing| &listing.name == program)
        .and_then(|listing| listing.rejected_clause(verifier_log));
    let location = match clause.and_then(|clause_idx| compiled.module.clauses.get(clause_idx)) {
        Some(clause) => {
            let (line, _) = sources.line_col(clause.span);
            format!(
                "clause at {} line {line}",
                sources.file(clause.span.file).name
            )
        }
        None => format!("program {program}"),
    };
    anyhow::anyhow!(tracer_cli::verifier::message(
        &location,
        verifier_log,
        verbose
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_gives_back_its_records_and_starts_empty_again() {
        let mut batch = RecordBatch::default();
        for record in [&b"first"[..], b"", b"third record"] {
            batch.push(record);
        }
        assert_eq!(
            batch.records().collect::<Vec<_>>(),
            [&b"first"[..], b"", b"third record"]
        );
        batch.clear();
        assert_eq!(batch.records().count(), 0);
        batch.push(b"again");
        assert_eq!(batch.records().collect::<Vec<_>>(), [b"again"]);
    }
}

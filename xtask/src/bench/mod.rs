//! `cargo xtask bench`: tracer side by side with bpftrace on the same machine, in the same run.
//!
//! ```text
//! cargo xtask bench [--runs N] [--calls N] [--only TEXT]...
//! ```
//!
//! `--only TEXT` runs only the cases whose name contains `TEXT` (any of them when repeated, e.g.
//! `--only BEGIN --only "one syscall"`); such a partial run prints its table and writes
//! `target/bench/results.json`, but leaves `docs/benchmarks.md` to full runs.
//! Each case runs `--runs` times (default 5) for each tool in alternation, so drift on the machine
//! touches both alike. Sections:
//! 1. start-up: launch until the probes are attached (the program's `BEGIN` prints `ready`), and
//!    launch until exit after SIGTERM (attach plus teardown), for one probe, every syscall, and
//!    scripts of 10 and 1,000 clauses (compile and load); `BEGIN { exit(0); }` end to end;
//! 2. probe effect: nanoseconds each traced call gains over the untraced workload
//!    (`xtask/bench/workload.c`: `--calls` `getppid()` or one-byte `read()` calls), and each
//!    `fork()` gains under `proc:::create { @ = count(); }` (a thousandth of `--calls` forks);
//! 3. throughput: a `printf` per call into a file, events delivered per second, with every loss
//!    counted from the tools' own drop reports;
//! 4. fork rate: forks (each waited for) per second of the fork workload, untraced and under
//!    `proc:::create { @ = count(); }` (bpftrace: `sched_process_fork`), from the probe-effect runs;
//! 5. memory: the tracer process's peak RSS in each case.
//!
//! bpftrace is installed with apt when missing. Results go to `docs/benchmarks.md` and
//! `target/bench/results.json`.

#![expect(
    clippy::cast_precision_loss,
    reason = "counts and sizes become f64 statistics; far below 2^52"
)]

mod cases;
mod measure;
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use cases::Tool;
use measure::Setup;
use report::{Row, Samples};

struct Options {
    runs: usize,
    calls: u64,
    /// Name fragments of the cases to run; empty runs them all.
    only: Vec<String>,
}

impl Options {
    /// Whether the case called `name` runs.
    fn selects(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|part| name.contains(part.as_str()))
    }
}

fn parse(args: &[&str]) -> anyhow::Result<Options> {
    let mut options = Options {
        runs: 5,
        calls: 2_000_000,
        only: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("unknown bench argument `{arg}`"))?;
        match arg {
            "--runs" => options.runs = value.parse().context("--runs takes a number")?,
            "--calls" => options.calls = value.parse().context("--calls takes a number")?,
            "--only" => options.only.push(value.to_string()),
            _ => anyhow::bail!("unknown bench option `{arg}`"),
        }
    }
    Ok(options)
}

/// Runs every case and writes the reports.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let options = parse(args)?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace root")?;
    let setup = prepare(workspace)?;
    let mut rows = Vec::new();
    let mut memory = Vec::new();
    startup(&setup, &options, &mut rows, &mut memory)?;
    effect(&setup, &options, &mut rows, &mut memory)?;
    rows.extend(memory);
    if options.only.is_empty() {
        let header = header(&setup, &options);
        std::fs::write(
            workspace.join("docs/benchmarks.md"),
            report::markdown(&rows, &header),
        )?;
    }
    std::fs::write(
        workspace.join("target/bench/results.json"),
        report::json(&rows),
    )?;
    print!("{}", report::markdown(&rows, ""));
    Ok(())
}

/// Builds tracer and the workload, installs bpftrace if needed.
fn prepare(workspace: &Path) -> anyhow::Result<Setup> {
    let dir = workspace.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--package",
            "tracer-cli",
            "--bin",
            "tracer",
        ])
        .status()?;
    anyhow::ensure!(status.success(), "building tracer failed");
    let workload = dir.join("workload");
    let status = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&workload)
        .arg(workspace.join("xtask/bench/workload.c"))
        .status()
        .context("cannot run gcc")?;
    anyhow::ensure!(status.success(), "compiling the workload failed");
    let bpftrace = match which("bpftrace") {
        Some(path) => path,
        None => {
            eprintln!("xtask: installing bpftrace with apt-get");
            let status = Command::new("apt-get")
                .args(["install", "-y", "bpftrace"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()?;
            anyhow::ensure!(status.success(), "apt-get install bpftrace failed");
            which("bpftrace").context("bpftrace is not on PATH after installing it")?
        }
    };
    Ok(Setup {
        tracer: workspace.join("target/release/tracer"),
        bpftrace,
        workload,
        dir,
    })
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

fn header(setup: &Setup, options: &Options) -> String {
    let output = |program: &Path, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let kernel = output(Path::new("uname"), "-r");
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!(
        "# Benchmarks\n\nWritten by `cargo xtask bench` (see `xtask/src/bench/mod.rs` for what each case measures).\n\
         Kernel {kernel}, {cpus} CPUs; {} against {}; {} runs per tool and case, in alternation; \
         {} calls per workload run. Cells are medians with the min–max range.\n",
        "tracer (release build)",
        output(&setup.bpftrace, "--version"),
        options.runs,
        options.calls
    )
}

/// How many calls a workload run of `op` makes: a fork (and the wait for its child) costs
/// thousands of times a `getppid`, so the fork case makes a thousandth of `--calls`.
fn calls_of(op: &str, calls: u64) -> u64 {
    if op == "fork" {
        (calls / 1000).max(100)
    } else {
        calls
    }
}

/// The name of the `BEGIN { exit(0); }` case.
const BEGIN_EXIT_CASE: &str = "BEGIN { exit(0); }, whole process";

/// Section 1, and start-up memory.
fn startup(
    setup: &Setup,
    options: &Options,
    rows: &mut Vec<Row>,
    memory: &mut Vec<Row>,
) -> anyhow::Result<()> {
    for case in cases::startup_cases()
        .into_iter()
        .filter(|case| options.selects(case.name))
    {
        let mut attach = [Samples::default(), Samples::default()];
        let mut total = [Samples::default(), Samples::default()];
        let mut rss = [Samples::default(), Samples::default()];
        let mut notes = Vec::new();
        for run in 0..options.runs {
            for (idx, tool) in [Tool::Tracer, Tool::Bpftrace].into_iter().enumerate() {
                let program = if tool == Tool::Tracer {
                    &case.d
                } else {
                    &case.bpftrace
                };
                let mut running = setup.launch(tool, program, &format!("startup-{run}"))?;
                let ready = running.wait_ready()?;
                let finished = running.stop(ready)?;
                let Some(ready) = finished.ready else {
                    notes.push(failure(tool, &finished.stderr));
                    continue;
                };
                attach[idx].0.push(ms(ready));
                total[idx].0.push(ms(ready + finished.exit));
                rss[idx].0.push(finished.rss_kib as f64 / 1024.0);
            }
        }
        notes.dedup();
        let note = notes.join("; ");
        let [tracer, bpftrace] = attach;
        rows.push(row(
            "start-up",
            format!("{}: attached", case.name),
            "ms",
            tracer,
            bpftrace,
            &note,
        ));
        let [tracer, bpftrace] = total;
        rows.push(row(
            "start-up",
            format!("{}: attached, then torn down", case.name),
            "ms",
            tracer,
            bpftrace,
            &note,
        ));
        let [tracer, bpftrace] = rss;
        memory.push(row(
            "peak RSS",
            case.name.to_string(),
            "MiB",
            tracer,
            bpftrace,
            &note,
        ));
    }
    if !options.selects(BEGIN_EXIT_CASE) {
        return Ok(());
    }
    let mut whole = [Samples::default(), Samples::default()];
    for run in 0..options.runs {
        for (idx, (tool, program)) in [
            (Tool::Tracer, cases::BEGIN_EXIT_D),
            (Tool::Bpftrace, cases::BEGIN_EXIT_BPFTRACE),
        ]
        .into_iter()
        .enumerate()
        {
            let running = setup.launch(tool, program, &format!("begin-{run}"))?;
            let finished = running.wait()?;
            whole[idx].0.push(ms(finished.exit));
        }
    }
    let [tracer, bpftrace] = whole;
    rows.push(row(
        "start-up",
        BEGIN_EXIT_CASE.to_string(),
        "ms",
        tracer,
        bpftrace,
        "",
    ));
    Ok(())
}

/// Sections 2, 3 and 4, and their memory.
fn effect(
    setup: &Setup,
    options: &Options,
    rows: &mut Vec<Row>,
    memory: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let mut fork_rates = Vec::new();
    for case in cases::effect_cases()
        .into_iter()
        .filter(|case| options.selects(case.name))
    {
        let mut baseline = Samples::default();
        let mut added = [Samples::default(), Samples::default()];
        let mut rss = [Samples::default(), Samples::default()];
        let mut rate = [Samples::default(), Samples::default()];
        let mut untraced_forks = Samples::default();
        let mut forks = [Samples::default(), Samples::default()];
        let mut notes = Vec::new();
        for run in 0..options.runs {
            // The note keeps the last run's delivery counts of both tools.
            notes.retain(|note: &String| note.contains("failed"));
            let calls = calls_of(case.op, options.calls);
            let untraced = setup.workload(case.op, calls)?;
            baseline.0.push(untraced);
            untraced_forks.0.push(per_second(untraced));
            for (idx, tool) in [Tool::Tracer, Tool::Bpftrace].into_iter().enumerate() {
                let program = match tool {
                    Tool::Tracer => format!("{} BEGIN {{ printf(\"ready\\n\"); }}", case.d),
                    Tool::Bpftrace => {
                        format!("{} BEGIN {{ printf(\"ready\\n\"); }}", case.bpftrace)
                    }
                };
                let mut running = setup.launch(tool, &program, &format!("effect-{run}"))?;
                let Some(ready) = running.wait_ready()? else {
                    let finished = running.stop(None)?;
                    notes.push(failure(tool, &finished.stderr));
                    continue;
                };
                let traced = setup.workload(case.op, calls)?;
                let finished = running.stop(Some(ready))?;
                added[idx].0.push(traced - untraced);
                forks[idx].0.push(per_second(traced));
                rss[idx].0.push(finished.rss_kib as f64 / 1024.0);
                if case.d.contains("printf") {
                    let delivered = count_events(&finished.stdout);
                    let lost = reported_losses(&finished.stderr);
                    let seconds = traced * calls as f64 / 1e9;
                    rate[idx].0.push(delivered as f64 / seconds);
                    notes.push(format!(
                        "{}: {delivered} delivered, {lost} reported lost, {} unaccounted",
                        tool.name(),
                        calls.saturating_sub(delivered + lost)
                    ));
                }
            }
        }
        notes.dedup();
        let note = notes.join("; ");
        let [tracer, bpftrace] = added;
        let mut effect_row = row(
            "probe effect",
            case.name.to_string(),
            "ns/call",
            tracer,
            bpftrace,
            &note,
        );
        effect_row.baseline = Some(baseline);
        rows.push(effect_row);
        if case.d.contains("printf") {
            let [tracer, bpftrace] = rate;
            rows.push(row(
                "throughput",
                case.name.to_string(),
                "events/s",
                tracer,
                bpftrace,
                &note,
            ));
        }
        if case.op == "fork" {
            let [tracer, bpftrace] = forks;
            let mut rate_row = row(
                "fork rate",
                case.name.to_string(),
                "forks/s",
                tracer,
                bpftrace,
                &note,
            );
            rate_row.baseline = Some(untraced_forks);
            fork_rates.push(rate_row);
        }
        let [tracer, bpftrace] = rss;
        memory.push(row(
            "peak RSS",
            case.name.to_string(),
            "MiB",
            tracer,
            bpftrace,
            "",
        ));
    }
    rows.extend(fork_rates);
    Ok(())
}

/// Calls per second of a workload run that took `ns_per_call` nanoseconds a call.
fn per_second(ns_per_call: f64) -> f64 {
    if ns_per_call > 0.0 {
        1e9 / ns_per_call
    } else {
        0.0
    }
}

fn row(
    section: &'static str,
    case: String,
    unit: &'static str,
    tracer: Samples,
    bpftrace: Samples,
    note: &str,
) -> Row {
    Row {
        section,
        case,
        unit,
        baseline: None,
        tracer,
        bpftrace,
        note: note.to_string(),
    }
}

fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The first line of a tool's error output, to say why it could not run a case.
fn failure(tool: Tool, stderr: &str) -> String {
    format!(
        "{} failed: {}",
        tool.name(),
        stderr
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no output")
    )
}

/// Lines a `printf` case delivered: every line but the `ready` marker and bpftrace's banner.
fn count_events(stdout: &Path) -> u64 {
    std::fs::read_to_string(stdout)
        .unwrap_or_default()
        .lines()
        .filter(|line| {
            let line = line.trim();
            !line.is_empty() && line != "ready" && !line.starts_with("Attaching")
        })
        .count() as u64
}

/// Losses the tools report: tracer's `N drops on CPU C`, bpftrace's `Lost N events`.
fn reported_losses(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [_, count, "drops", ..] | ["Lost", count, "events", ..] => {
                    count.parse::<u64>().ok()
                }
                _ => None,
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_cases_by_name_fragment() {
        let all = parse(&[]).expect("no options");
        assert!(all.selects("count() by pid"));
        let some = parse(&["--only", "BEGIN", "--only", "one syscall"]).expect("two --only");
        assert!(some.selects(BEGIN_EXIT_CASE));
        assert!(some.selects("one syscall probe"));
        assert!(!some.selects("count() by pid"));
        assert!(parse(&["--only"]).is_err());
    }

    #[test]
    fn fork_rates_are_per_second() {
        assert!((per_second(250_000.0) - 4000.0).abs() < 1e-9);
        assert!(per_second(0.0).abs() < f64::EPSILON);
    }

    #[test]
    fn losses_are_read_from_both_tools() {
        let stderr = "tracer: 12 drops on CPU 0\ntracer: 3 drops on CPU 1\nLost 7 events\nother\n";
        assert_eq!(reported_losses(stderr), 22);
    }
}

//! `cargo xtask compat`: runs Oracle's dtrace-utils unit tests against `tracer`.
//!
//! ```text
//! cargo xtask compat [--dtrace-utils DIR] [--tracer PATH] [-j N] [DIR|TEST...]
//! ```
//!
//! dtrace-utils (UPL-licensed) is the public measure of DTrace's behaviour, but its files never
//! enter this repository: point the task at a checkout (default `../dtrace-utils` beside the
//! workspace, or `$DTRACE_UTILS`). Each test runs as its `runtest.sh` would run it (see
//! [`case`]), with `tracer` in place of `dtrace` (started through a link called `dtrace`, the
//! process name tests expect of the consumer) and `tracer:` read as `dtrace:` in its messages,
//! `_DTRACE_TESTING` set (dtrace's reproducible output: no CPU and ID columns) and compiler
//! errors as libdtrace prints them (`-xdiagfmt=dtrace`).
//! The C triggers the selected tests name are built with `gcc` inside the checkout ([`trigger`]). The summary
//! goes to stdout, one line per test to `target/compat/results.txt`, and each failure's command
//! and output to `target/compat/failures.txt`.

mod case;
mod run;
mod trigger;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use anyhow::Context as _;

use case::Case;
use run::{Outcome, Report};

/// The directories issue 3 measures, under `test/unittest`.
const DEFAULT_DIRS: &[&str] = &[
    "aggs",
    "printa",
    "printf",
    "predicates",
    "variables",
    "assocs",
    "funcs",
    "speculation",
    "inline",
    "translators",
    "pragma",
    "options",
    "begin",
    "end",
    "error",
    "actions",
];

struct Options {
    root: PathBuf,
    tracer: Option<PathBuf>,
    jobs: usize,
    selection: Vec<String>,
}

fn parse(args: &[&str], workspace: &Path) -> anyhow::Result<Options> {
    let mut options = Options {
        root: std::env::var_os("DTRACE_UTILS")
            .map_or_else(|| workspace.join("../dtrace-utils"), PathBuf::from),
        tracer: None,
        jobs: 2,
        selection: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(&arg) = args.next() {
        let mut value = || {
            args.next()
                .copied()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg {
            "--dtrace-utils" => options.root = PathBuf::from(value()?),
            "--tracer" => options.tracer = Some(PathBuf::from(value()?)),
            "-j" => options.jobs = value()?.parse().context("-j takes a number")?,
            _ if arg.starts_with('-') => anyhow::bail!("unknown compat option `{arg}`"),
            _ => options.selection.push(arg.to_string()),
        }
    }
    Ok(options)
}

/// Runs the selected tests and prints the summary.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace root")?;
    let options = parse(args, workspace)?;
    let root = options.root.canonicalize().with_context(|| {
        format!(
            "no dtrace-utils checkout at {} (use --dtrace-utils DIR)",
            options.root.display()
        )
    })?;
    let built = match options.tracer {
        Some(path) => path.canonicalize()?,
        None => build_tracer(workspace)?,
    };
    let link_dir = std::env::temp_dir().join(format!("tracer-compat-{}", std::process::id()));
    let tracer = named_dtrace(&built, &link_dir)?;
    let cases = collect(&root, &options.selection)?;
    build_triggers(&root, &cases);
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0_usize);
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().expect("no panics while held");
                        let index = *next;
                        *next += 1;
                        index
                    };
                    let Some(case) = cases.get(index) else { break };
                    let report = run::run(&root, &tracer, case);
                    results
                        .lock()
                        .expect("no panics while held")
                        .push((case.clone(), report));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&link_dir);
    let mut results = results.into_inner().expect("no panics while held");
    results.sort_by(|a, b| a.0.script.cmp(&b.0.script));
    write_reports(&workspace.join("target/compat"), &results)?;
    print!("{}", summary(&results));
    Ok(())
}

/// A link called `dtrace` to the `tracer` binary, made in `dir`, which the cases run: a process
/// takes its name from the file it was started as, and tests expect the consumer's own process
/// (`execname`, `curthread->comm`) to be called `dtrace`.
fn named_dtrace(tracer: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let link = dir.join("dtrace");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(tracer, &link)
        .with_context(|| format!("linking {} to {}", link.display(), tracer.display()))?;
    Ok(link)
}

fn build_tracer(workspace: &Path) -> anyhow::Result<PathBuf> {
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
        .status()
        .context("failed to run cargo build")?;
    anyhow::ensure!(status.success(), "building tracer failed: {status}");
    Ok(workspace.join("target/release/tracer"))
}

/// The `.d` files under the selected directories (or the selected files themselves), sorted.
fn collect(root: &Path, selection: &[String]) -> anyhow::Result<Vec<Case>> {
    let unittest = Path::new("test/unittest");
    let selected: Vec<PathBuf> = if selection.is_empty() {
        DEFAULT_DIRS.iter().map(|dir| unittest.join(dir)).collect()
    } else {
        selection
            .iter()
            .map(|item| {
                if root.join(item).exists() {
                    PathBuf::from(item)
                } else {
                    unittest.join(item)
                }
            })
            .collect()
    };
    let mut scripts = Vec::new();
    for path in selected {
        find_scripts(root, &path, &mut scripts)
            .with_context(|| format!("cannot read {}", root.join(&path).display()))?;
    }
    scripts.sort();
    scripts
        .iter()
        .map(|script| {
            Case::load(root, script).with_context(|| format!("cannot read {}", script.display()))
        })
        .collect()
}

fn find_scripts(root: &Path, path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let full = root.join(path);
    if full.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(&full)? {
        let name = entry?.file_name();
        let child = path.join(&name);
        if root.join(&child).is_dir() {
            find_scripts(root, &child, out)?;
        } else if name.to_string_lossy().ends_with(".d") {
            out.push(child);
        }
    }
    Ok(())
}

/// Builds the C triggers the cases name (see [`trigger`]).
fn build_triggers(root: &Path, cases: &[Case]) {
    let mut names: Vec<&str> = cases
        .iter()
        .filter_map(|case| case.trigger.as_deref()?.split_whitespace().next())
        .collect();
    names.sort_unstable();
    names.dedup();
    trigger::build(root, &names);
}

fn write_reports(dir: &Path, results: &[(Case, Report)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut lines = String::new();
    let mut failures = String::new();
    for (case, report) in results {
        let script = case.script.display();
        match &report.outcome {
            Outcome::Pass => {
                let _ = writeln!(lines, "PASS {script}");
            }
            Outcome::Skip(why) => {
                let _ = writeln!(lines, "SKIP {script}: {why}");
            }
            Outcome::Fail(why) => {
                let xfail = if case.xfail { " (xfail upstream)" } else { "" };
                let _ = writeln!(lines, "FAIL {script}: {why}{xfail}");
                let _ = writeln!(
                    failures,
                    "==== {script}: {why}\n$ {}\n{}",
                    report.command, report.output
                );
            }
        }
    }
    std::fs::write(dir.join("results.txt"), lines)?;
    std::fs::write(dir.join("failures.txt"), failures)?;
    Ok(())
}

/// Pass, fail and skip counts per directory, then the totals.
fn summary(results: &[(Case, Report)]) -> String {
    let mut rows: Vec<(String, [usize; 3])> = Vec::new();
    let mut total = [0_usize; 3];
    for (case, report) in results {
        let dir = case
            .script
            .strip_prefix("test/unittest")
            .unwrap_or(&case.script)
            .components()
            .next()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let column = match report.outcome {
            Outcome::Pass => 0,
            Outcome::Fail(_) => 1,
            Outcome::Skip(_) => 2,
        };
        total[column] += 1;
        match rows.iter_mut().find(|(name, _)| *name == dir) {
            Some((_, counts)) => counts[column] += 1,
            None => {
                let mut counts = [0; 3];
                counts[column] = 1;
                rows.push((dir, counts));
            }
        }
    }
    let mut out = format!(
        "{:<16} {:>5} {:>5} {:>5}\n",
        "directory", "pass", "fail", "skip"
    );
    for (dir, [pass, fail, skip]) in rows.iter().chain([&("total".to_string(), total)]) {
        let _ = writeln!(out, "{dir:<16} {pass:>5} {fail:>5} {skip:>5}");
    }
    out
}

//! `cargo xtask fuzz [--time SECS] [TARGET...]`: seeds the corpora from the repository's own D
//! programs, then runs each cargo-fuzz target in `fuzz/` for SECS seconds (60 by default).
//!
//! The targets are `parse` (bytes to AST) and `compile` (source to ELF, parsed back with
//! aya-obj); their invariants are in `tracer-ebpf/tests/pipeline/mod.rs`.
//! The seeds are every `.d` file under `d-frontend/tests/data` and `tests/suites/scripts`, and
//! every program an end-to-end suite passes with `PROG` or `-n '...'`; they are written to
//! `target/fuzz/corpus/TARGET`, where libFuzzer also keeps what it finds, so a later run goes
//! on from there.
//! libFuzzer needs a nightly toolchain and `cargo-fuzz` (`cargo install cargo-fuzz`); a crash
//! is saved under `fuzz/artifacts/TARGET/` and fails the task.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// The cargo-fuzz targets, in the order they run by default.
const TARGETS: &[&str] = &["parse", "compile"];

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq, Eq)]
struct Options<'a> {
    seconds: u64,
    targets: Vec<&'a str>,
}

impl<'a> Options<'a> {
    fn parse(args: &[&'a str]) -> anyhow::Result<Options<'a>> {
        let mut options = Options {
            seconds: 60,
            targets: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(&arg) = args.next() {
            match arg {
                "--time" => {
                    let value = args.next().context("--time needs a number of seconds")?;
                    options.seconds = value
                        .parse()
                        .with_context(|| format!("--time takes seconds, not `{value}`"))?;
                }
                _ if arg.starts_with('-') => anyhow::bail!("unknown fuzz option `{arg}`"),
                _ if TARGETS.contains(&arg) => options.targets.push(arg),
                _ => anyhow::bail!("no fuzz target `{arg}` (there are {})", TARGETS.join(", ")),
            }
        }
        if options.targets.is_empty() {
            options.targets = TARGETS.to_vec();
        }
        Ok(options)
    }
}

/// Seeds the corpora and runs the targets.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace root")?;
    let seeds = seeds(workspace)?;
    for target in &options.targets {
        let corpus = workspace.join("target/fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .with_context(|| format!("cannot create {}", corpus.display()))?;
        for seed in &seeds {
            let path = corpus.join(format!("seed-{:016x}", hash(seed)));
            std::fs::write(&path, seed)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        eprintln!(
            "xtask: fuzzing {target} for {}s from {} seeds in {}",
            options.seconds,
            seeds.len(),
            corpus.display()
        );
        let mut fuzz = Command::new("cargo");
        fuzz.current_dir(workspace.join("fuzz"))
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO")
            .args(["+nightly", "fuzz", "run", "-O", target])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={}", options.seconds));
        let status = fuzz.status().context(
            "cannot run `cargo +nightly fuzz` (install it with `cargo install cargo-fuzz`)",
        )?;
        anyhow::ensure!(
            status.success(),
            "fuzz target {target} failed ({status}); the input is under fuzz/artifacts/{target}/"
        );
    }
    Ok(())
}

fn hash(seed: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    seed.hash(&mut hasher);
    hasher.finish()
}

/// Every D program in the repository's tests, each once.
fn seeds(workspace: &Path) -> anyhow::Result<Vec<String>> {
    let mut seeds = Vec::new();
    for dir in ["d-frontend/tests/data", "tests/suites/scripts"] {
        for path in files_under(&workspace.join(dir))? {
            if path.extension().is_some_and(|ext| ext == "d") {
                seeds.push(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                );
            }
        }
    }
    for path in files_under(&workspace.join("tests/suites"))? {
        if path.extension().is_some_and(|ext| ext == "test") {
            let suite = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            seeds.extend(suite_programs(&suite));
        }
    }
    seeds.sort();
    seeds.dedup();
    Ok(seeds)
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

/// The programs a suite passes: each `PROG` line, and each single-quoted argument after a `-n`
/// (or `-qn`, `-Zn`, ...) flag in a `RUN` line.
fn suite_programs(suite: &str) -> Vec<String> {
    let mut programs = Vec::new();
    for line in suite.lines() {
        if let Some(program) = line.strip_prefix("PROG ") {
            programs.push(program.to_owned());
        } else if let Some(command) = line.strip_prefix("RUN ") {
            let mut rest = command;
            while let Some(at) = rest.find("n '") {
                let flag_start = rest[..at].rfind(' ').map_or(0, |space| space + 1);
                let after = &rest[at + 3..];
                let Some(end) = after.find('\'') else { break };
                if rest[flag_start..at].starts_with('-') {
                    programs.push(after[..end].to_owned());
                }
                rest = &after[end + 1..];
            }
        }
    }
    programs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_to_every_target_for_a_minute() {
        assert_eq!(
            Options::parse(&[]).unwrap(),
            Options {
                seconds: 60,
                targets: vec!["parse", "compile"]
            }
        );
        assert_eq!(
            Options::parse(&["--time", "5", "compile"]).unwrap(),
            Options {
                seconds: 5,
                targets: vec!["compile"]
            }
        );
        assert!(Options::parse(&["lex"]).is_err());
        assert!(Options::parse(&["--time"]).is_err());
        assert!(Options::parse(&["--time", "soon"]).is_err());
    }

    #[test]
    fn programs_come_from_prog_lines_and_n_flags() {
        let suite = "# PROG not a directive\n\
            PROG BEGIN { exit(0); }\n\
            RUN {{TRACER}} -qn 'tick-1s { exit(0); }' -c 'sleep 1'\n\
            RUN {{TRACER}} -n 'BEGIN { }' -x strsize=8 -n 'END { }'\n\
            RUN echo 'n 'x\n";
        assert_eq!(
            suite_programs(suite),
            [
                "BEGIN { exit(0); }",
                "tick-1s { exit(0); }",
                "BEGIN { }",
                "END { }"
            ]
        );
    }

    #[test]
    fn the_repository_has_seeds() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let seeds = seeds(workspace).unwrap();
        assert!(seeds.len() > 100, "only {} seeds", seeds.len());
        assert!(seeds.iter().any(|seed| seed.contains("count()")));
    }
}

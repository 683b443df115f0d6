//! `cargo xtask e2e [--release] [FILTER]`: builds `tracer`, then runs the end-to-end tests.
//!
//! The `tests` crate runs the `tracer` binary it finds beside its own test executables, and
//! cargo does not build another package's binaries for it, so this task builds the binary
//! first with the same profile: the suites never run a stale binary.
//! FILTER, a part of a case name, reaches the suite runner in `TRACER_E2E_FILTER`.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

/// The variable the suite runner reads its case filter from (`tests::suite::FILTER_VARIABLE`).
const FILTER_VARIABLE: &str = "TRACER_E2E_FILTER";

/// What `cargo xtask e2e` was asked to do.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options<'a> {
    release: bool,
    filter: Option<&'a str>,
}

impl<'a> Options<'a> {
    fn parse(args: &[&'a str]) -> anyhow::Result<Options<'a>> {
        let mut options = Options::default();
        for &arg in args {
            match arg {
                "--release" => options.release = true,
                _ if arg.starts_with('-') => anyhow::bail!("unknown e2e option `{arg}`"),
                _ if options.filter.is_some() => {
                    anyhow::bail!("e2e takes one FILTER, got a second: `{arg}`")
                }
                _ => options.filter = Some(arg),
            }
        }
        Ok(options)
    }
}

/// Builds the binaries and runs the `tests` crate.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    let profile: &[&str] = if options.release { &["--release"] } else { &[] };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace root")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let mut build = Command::new(&cargo);
    build
        .current_dir(workspace)
        .args(["build", "--package", "tracer-cli", "--bin", "tracer"])
        .args(profile);
    run_command(build)?;

    let mut test = Command::new(&cargo);
    test.current_dir(workspace)
        .args(["test", "--package", "tests"])
        .args(profile);
    if let Some(filter) = options.filter {
        test.env(FILTER_VARIABLE, filter);
    }
    run_command(test)
}

fn run_command(mut command: Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("failed to run {command:?}"))?;
    if !status.success() {
        anyhow::bail!("{command:?} failed: {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(Options::parse(&[]).expect("valid"), Options::default());
        assert_eq!(
            Options::parse(&["--release", "sigint"]).expect("valid"),
            Options {
                release: true,
                filter: Some("sigint")
            }
        );
        assert_eq!(
            Options::parse(&["--verbose"])
                .expect_err("invalid")
                .to_string(),
            "unknown e2e option `--verbose`"
        );
        assert_eq!(
            Options::parse(&["a", "b"])
                .expect_err("invalid")
                .to_string(),
            "e2e takes one FILTER, got a second: `b`"
        );
    }
}

//! The `tracer` command line, dtrace(8)-compatible.
//!
//! Parsing has two layers, as in ripgrep. [`LowArgs`] records what was typed, in order, and checks
//! nothing; [`HiArgs`] is the validated form that the rest of the program uses: scripts read,
//! options parsed against the libdtrace table, `-p` pids checked and `-c` commands prepared. The
//! split keeps the syntax testable without touching the file system or any process. Each flag is
//! declared once, in `defs`, with its help text.
//!
//! Exit statuses follow dtrace: 0 for success, 1 for an error and 2 for a usage error; see
//! [`report`].

mod defs;
mod hiargs;
mod interp;
mod lowargs;
mod options;
mod optval;
mod pragma;

use std::ffi::OsString;
use std::fmt;

pub use defs::usage;
pub use hiargs::{
    DEFAULT_SOCKET, DumpStage, EngineChoice, HiArgs, Mode, ProgramKind, ProgramSource,
};
pub use lowargs::{LowArgs, OptionArg, ProbeSpecKind, SourceArg, SpecialMode, TargetArg};
pub use options::{LATEST_VERSION, OptionError, OptionSource, Options};
pub use pragma::apply_pragmas;

/// What parsing the command line decided.
#[derive(Debug)]
pub enum ParseResult {
    /// Print [`SpecialMode::text`] on stdout and exit 0.
    Special(SpecialMode),
    /// Run with these arguments.
    Ok(Box<HiArgs>),
    /// Print [`report`]'s text and exit with its status.
    Err(anyhow::Error),
}

/// Parses the process's own command line, splitting the options of a `#!` line first.
pub fn parse() -> ParseResult {
    parse_from(interp::split_interpreter_options(
        std::env::args_os().collect(),
    ))
}

/// Parses `args`, whose first element is the program name.
pub fn parse_from<I, T>(args: I) -> ParseResult
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let low = match LowArgs::parse(args) {
        Ok(low) => low,
        Err(err) => return ParseResult::Err(err),
    };
    if let Some(special) = low.special {
        return ParseResult::Special(special);
    }
    match HiArgs::from_low(low) {
        Ok(hi) => ParseResult::Ok(Box::new(hi)),
        Err(err) => ParseResult::Err(err),
    }
}

impl SpecialMode {
    /// The text to print on stdout.
    pub fn text(self) -> String {
        let version = env!("CARGO_PKG_VERSION");
        match self {
            SpecialMode::Help => usage(),
            SpecialMode::Version { verbose: false } => {
                format!("tracer: D 2.0 (tracer {version})\n")
            }
            SpecialMode::Version { verbose: true } => {
                format!(
                    "tracer: D 2.0 (tracer {version})\nThis is tracer {version}, DTrace for Linux on eBPF\n"
                )
            }
        }
    }
}

/// A mistake in the command line: exit status 2, as dtrace's `E_USAGE`.
#[derive(Debug)]
pub struct UsageError {
    /// The line after `tracer: `, or `None` to print only the usage text.
    message: Option<String>,
    /// Print the usage text after the message, as dtrace does after a getopt error.
    with_usage: bool,
}

impl UsageError {
    /// A one-line usage error.
    pub fn message(message: impl Into<String>) -> UsageError {
        UsageError {
            message: Some(message.into()),
            with_usage: false,
        }
    }

    /// A usage error followed by the usage text.
    pub fn with_usage(message: impl Into<String>) -> UsageError {
        UsageError {
            message: Some(message.into()),
            with_usage: true,
        }
    }

    /// Only the usage text, as for a command line with no arguments.
    pub fn usage_only() -> UsageError {
        UsageError {
            message: None,
            with_usage: true,
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.message, self.with_usage) {
            (Some(message), false) => f.write_str(message),
            (Some(message), true) => write!(f, "{message}\n{}", usage()),
            (None, _) => f.write_str(&usage()),
        }
    }
}

impl std::error::Error for UsageError {}

/// What `main` prints for an error and the status it exits with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    /// The text for stderr, ending in a newline; empty for a broken pipe.
    pub stderr: String,
    /// 0 for a broken pipe on stdout, 2 for a [`UsageError`], 1 for anything else.
    pub status: u8,
}

/// Words an error from any stage for stderr and picks the exit status.
///
/// Messages start with `tracer: ` and print the context chain with `{:#}`, so
/// `failed to open x.d: No such file or directory` reads as dtrace's does. A write to a closed
/// stdout ends the run silently with status 0 (see [`crate::signals::is_broken_pipe`]).
pub fn report(err: &anyhow::Error) -> ErrorReport {
    if crate::signals::is_broken_pipe(err) {
        return ErrorReport {
            stderr: String::new(),
            status: 0,
        };
    }
    if let Some(usage_error) = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<UsageError>())
    {
        let mut stderr = match usage_error.message {
            Some(_) => format!("tracer: {usage_error}"),
            None => usage_error.to_string(),
        };
        if !stderr.ends_with('\n') {
            stderr.push('\n');
        }
        return ErrorReport { stderr, status: 2 };
    }
    ErrorReport {
        stderr: format!("tracer: {err:#}\n"),
        status: 1,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn parse_err(args: &[&str]) -> ErrorReport {
        let mut argv = vec!["tracer"];
        argv.extend_from_slice(args);
        match parse_from(argv) {
            ParseResult::Err(err) => report(&err),
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn help_and_version_are_special() {
        let ParseResult::Special(mode) = parse_from(["tracer", "-h"]) else {
            panic!("-h is not special");
        };
        assert!(mode.text().starts_with("Usage: tracer "));
        let ParseResult::Special(mode) = parse_from(["tracer", "-V", "-s", "/nonexistent.d"])
        else {
            panic!("-V is not special");
        };
        assert!(mode.text().starts_with("tracer: D 2.0 (tracer "));
    }

    #[test]
    fn usage_errors_exit_2() {
        let report = parse_err(&["-k"]);
        assert_eq!(report.status, 2);
        assert!(
            report
                .stderr
                .starts_with("tracer: invalid option -- 'k'\nUsage: tracer "),
            "{}",
            report.stderr
        );
        assert!(report.stderr.ends_with('\n'));

        let report = parse_err(&[]);
        assert_eq!(report.status, 2);
        assert!(report.stderr.starts_with("Usage: tracer "));
    }

    #[test]
    fn option_errors_exit_1_as_dtraces_dfatal() {
        let report = parse_err(&["-x", "bogus", "-n", "BEGIN"]);
        assert_eq!(
            report.stderr,
            "tracer: failed to set -x bogus: Invalid option name\n"
        );
        assert_eq!(report.status, 1);
    }

    #[test]
    fn other_errors_exit_1() {
        let report = parse_err(&["-s", "/nonexistent/wassup.d"]);
        assert_eq!(
            report.stderr,
            "tracer: failed to open /nonexistent/wassup.d: No such file or directory\n"
        );
        assert_eq!(report.status, 1);
    }

    #[test]
    fn broken_pipe_is_silent_success() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("failed to write to <stdout>");
        assert_eq!(
            report(&err),
            ErrorReport {
                stderr: String::new(),
                status: 0
            }
        );
    }

    #[test]
    fn a_wrapped_usage_error_is_still_one() {
        let err = anyhow::Error::new(UsageError::message("bad")).context("while parsing");
        assert_eq!(report(&err).status, 2);
    }
}

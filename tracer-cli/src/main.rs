//! `tracer`: DTrace for Linux on eBPF. See `tracer -h` and the README.

use std::io::Write as _;
use std::process::ExitCode;

use tracer_cli::flags::{self, ParseResult};

mod bufcheck;
mod list;
mod run;
mod selftest;

fn main() -> ExitCode {
    let args = match flags::parse() {
        ParseResult::Special(special) => {
            print!("{}", special.text());
            return ExitCode::SUCCESS;
        }
        ParseResult::Ok(args) => args,
        ParseResult::Err(err) => return exit_with(&err),
    };
    match run::run(&args) {
        Ok(status) => ExitCode::from(status),
        Err(err) => exit_with(&err),
    }
}

fn exit_with(err: &anyhow::Error) -> ExitCode {
    let report = flags::report(err);
    let _ = std::io::stderr().write_all(report.stderr.as_bytes());
    ExitCode::from(report.status)
}

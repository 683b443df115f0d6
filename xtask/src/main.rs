//! `cargo xtask`: development tasks.
//!
//! ```text
//! cargo xtask bench [--runs N] [--calls N] tracer and bpftrace side by side (see bench/mod.rs)
//! cargo xtask codegen [--check]         regenerate committed generated files (or check they are current)
//! cargo xtask e2e [--release] [FILTER]  build tracer and run the end-to-end suites
//! cargo xtask install [--prefix DIR] [--destdir DIR] [--debug]  install tracer, tracerd, the unit
//! cargo xtask fuzz [--time SECS] [TARGET...] run the cargo-fuzz targets (see fuzz.rs)
//! cargo xtask compat [OPTIONS] [DIR...]  run dtrace-utils unit tests against tracer (see compat/mod.rs)
//! cargo xtask vm-test [FILTER]          run tests/vm/cases.test in a stock kernel under qemu (see vm/mod.rs)
//! ```

mod bench;
mod codegen;
mod compat;
mod e2e;
mod fuzz;
mod install;
mod vm;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask bench [--runs N] [--calls N] | cargo xtask codegen [--check] | cargo xtask e2e [--release] [FILTER] | \
     cargo xtask install [--prefix DIR] [--destdir DIR] [--debug] | cargo xtask fuzz [--time SECS] [TARGET...] | \
     cargo xtask compat [--dtrace-utils DIR] [--tracer PATH] [-j N] [DIR|TEST...] | cargo xtask vm-test [FILTER]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(codegen::Mode::Check),
        ["e2e", rest @ ..] => e2e::run(rest),
        ["compat", rest @ ..] => compat::run(rest),
        ["bench", rest @ ..] => bench::run(rest),
        ["vm-test", rest @ ..] => vm::run(rest),
        ["install", rest @ ..] => install::run(rest),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::from(1)
        }
    }
}

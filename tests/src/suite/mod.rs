//! The suite runner: every case of one `tests/suites/*.test` file, reported together.
//!
//! A suite is one `#[test]`, and its cases run one after another so their timing-sensitive
//! expectations (tick counts, signals after a delay) do not compete with each other.
//! A failing case does not stop the suite: the runner runs every case and then panics once,
//! naming every failed case with its command, the reasons and both output streams.
//! The format is described in `tests/README.md`.

pub mod check;
pub mod json_schema;
pub mod parse;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::command::{Output, Status, TestCommand, shell_quote, tracer_path};
use crate::environment;
use parse::{Case, CaseCommand};

/// The placeholder in `RUN` lines that stands for the `tracer` binary.
pub const TRACER_PLACEHOLDER: &str = "{{TRACER}}";

/// The environment variable that restricts a run to cases whose name contains its value.
pub const FILTER_VARIABLE: &str = "TRACER_E2E_FILTER";

/// How long a `REQUIRES` command may run.
const REQUIRES_TIMEOUT: Duration = Duration::from_secs(10);

/// The directory holding the suite files; cases run with it as their working directory.
pub fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites")
}

/// The names of all suite files (`*.test` in [`suites_dir`]), sorted.
pub fn suite_files() -> Vec<String> {
    let dir = suites_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display())))
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "test")
        })
        .filter_map(|path| Some(path.file_name()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// Runs every case of the suite file `file_name` and panics if any of them fails.
///
/// The suite also fails, before any case runs, when the machine cannot run end-to-end tests
/// at all (not root, no tracefs) or the `tracer` binary has not been built.
pub fn run_suite(file_name: &str) {
    let suite_dir = suites_dir();
    let path = suite_dir.join(file_name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let cases = parse::parse_suite(&text).unwrap_or_else(|error| panic!("{file_name}: {error}"));
    if let Err(missing) = environment::check() {
        panic!("{file_name}: this machine cannot run the end-to-end tests: {missing}");
    }
    let tracer = tracer_path();
    let filter = std::env::var(FILTER_VARIABLE).unwrap_or_default();
    let mut failures: Vec<(&Case, String)> = Vec::new();
    let mut n_run = 0;
    for case in cases.iter().filter(|case| case.name.contains(&filter)) {
        n_run += 1;
        let started = Instant::now();
        let result = run_case(case, &tracer, &suite_dir);
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!(
            "{file_name}:{} {} ... {verdict} ({:.1}s)",
            case.line,
            case.name,
            started.elapsed().as_secs_f64()
        );
        if let Err(report) = result {
            failures.push((case, report));
        }
    }
    if failures.is_empty() {
        return;
    }
    let names: Vec<&str> = failures
        .iter()
        .map(|(case, _)| case.name.as_str())
        .collect();
    let mut message = format!(
        "{} of {n_run} cases failed in {file_name}: {}\n",
        failures.len(),
        names.join(", ")
    );
    for (case, report) in &failures {
        let _ = write!(
            message,
            "\n=== {file_name}:{} {}\n{report}",
            case.line, case.name
        );
    }
    panic!("{message}");
}

/// Runs one case; on failure returns the report to show.
fn run_case(case: &Case, tracer: &Path, suite_dir: &Path) -> Result<(), String> {
    for requirement in &case.requires {
        let output = TestCommand::shell(requirement)
            .current_dir(suite_dir)
            .timeout(REQUIRES_TIMEOUT)
            .run();
        if output.status != Status::Exited(0) {
            return Err(format!(
                "- requirement missing: `{requirement}` did not succeed\n{output}"
            ));
        }
    }
    let output = case_command(case, tracer)
        .current_dir(suite_dir)
        .timeout(case.timeout)
        .run();
    let reasons = judge(case, &output, suite_dir);
    if reasons.is_empty() {
        return Ok(());
    }
    let mut report = String::new();
    for reason in reasons {
        let _ = writeln!(report, "- {reason}");
    }
    let _ = write!(report, "{output}");
    Err(report)
}

/// The command a case runs: `RUN` through the shell, `PROG` as `tracer -n PROG`.
fn case_command(case: &Case, tracer: &Path) -> TestCommand {
    match &case.command {
        CaseCommand::Run(line) => {
            let tracer = shell_quote(&tracer.to_string_lossy());
            TestCommand::shell(&line.replace(TRACER_PLACEHOLDER, &tracer))
        }
        CaseCommand::Prog(program) => {
            let mut command = TestCommand::new(tracer);
            command.args(["-n", program]);
            command
        }
    }
}

/// Every way `output` falls short of the case; a timeout is reported alone.
fn judge(case: &Case, output: &Output, suite_dir: &Path) -> Vec<String> {
    if let Status::TimedOut(_) = output.status {
        return vec![format!(
            "the command {}; raise TIMEOUT if it is only slow",
            output.status
        )];
    }
    case.checks
        .iter()
        .filter_map(|check| check::evaluate(check, output, suite_dir))
        .chain(check::evaluate_exit(case.exit_code, output.status))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str) -> Case {
        parse::parse_suite(text).expect("the case parses").remove(0)
    }

    #[test]
    fn run_case_passes_when_every_expectation_holds() {
        let case = case(
            "NAME ok\nRUN echo hello; echo oops >&2; exit 3\nEXPECT hello\nEXPECT_STDERR oops\nEXPECT_EXIT 3\n",
        );
        assert_eq!(
            run_case(&case, Path::new("/bin/false"), Path::new("/")),
            Ok(())
        );
    }

    #[test]
    fn run_case_substitutes_the_tracer_path_quoted() {
        let case = case("NAME path\nRUN echo {{TRACER}}\nEXPECT /odd dir/tracer\n");
        assert_eq!(
            run_case(&case, Path::new("/odd dir/tracer"), Path::new("/")),
            Ok(())
        );
    }

    #[test]
    fn run_case_runs_in_the_suite_directory() {
        let case = case("NAME cwd\nRUN pwd\nEXPECT /\n");
        assert_eq!(
            run_case(&case, Path::new("/bin/false"), Path::new("/")),
            Ok(())
        );
    }

    #[test]
    fn run_case_reports_every_failed_expectation_with_the_output() {
        let case = case("NAME bad\nRUN echo hello\nEXPECT bye\nEXPECT_REGEX ^h\nEXPECT_EXIT 1\n");
        let report = run_case(&case, Path::new("/bin/false"), Path::new("/")).expect_err("fails");
        assert_eq!(
            report,
            "- line 3: expected a stdout line equal to \"bye\"\n\
             - expected exit status 1, got exit status 0\n\
             command: cd / && echo hello\n\
             status: exit status 0\n\
             stdout (1 lines):\n  | hello\n\
             stderr (0 lines):\n"
        );
    }

    #[test]
    fn a_failed_requirement_fails_the_case_without_running_it() {
        let case = case("NAME needs\nREQUIRES test -e /no/such/file\nRUN echo ran\n");
        let report = run_case(&case, Path::new("/bin/false"), Path::new("/")).expect_err("fails");
        assert!(
            report.starts_with("- requirement missing: `test -e /no/such/file` did not succeed\n"),
            "{report}"
        );
        assert!(!report.contains("ran"), "{report}");
    }

    #[test]
    fn a_timeout_is_reported_alone() {
        let case = case("NAME slow\nRUN echo started; sleep 5\nTIMEOUT 1\nEXPECT done\n");
        let report = run_case(&case, Path::new("/bin/false"), Path::new("/")).expect_err("fails");
        assert!(
            report.starts_with(
                "- the command timed out after 1s (killed); raise TIMEOUT if it is only slow\n"
            ),
            "{report}"
        );
        assert!(report.contains("  | started\n"), "{report}");
    }

    #[test]
    fn prog_runs_the_binary_with_dash_n_and_no_shell() {
        let case = case("NAME prog\nPROG BEGIN { exit(0); }\n");
        assert_eq!(
            case_command(&case, Path::new("/usr/bin/tracer")).command_line(),
            "/usr/bin/tracer -n 'BEGIN { exit(0); }'"
        );
    }
}

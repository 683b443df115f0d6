//! Running one case against `tracer` and judging the result as `runtest.sh` does.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::case::{Case, Kind, TriggerTiming};

/// The cpp flags `runtest.sh` passes to every test (it runs from the source tree).
const TEST_CPPFLAGS: &str = "-Iinclude -Iuts/common -Ibuild -Ilibdtrace -DARCH_x86_64";
/// `timeout`'s exit status when the command timed out.
const TIMED_OUT: i32 = 124;

/// How a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed, and why.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// What a run produced, for the log.
pub struct Report {
    /// The verdict.
    pub outcome: Outcome,
    /// The command line.
    pub command: String,
    /// The output as compared (after postprocessing).
    pub output: String,
}

/// Runs `case` with the `tracer` binary at `tracer`, from the dtrace-utils root `root`.
pub fn run(root: &Path, tracer: &Path, case: &Case) -> Report {
    let skipped = |why: &str| Report {
        outcome: Outcome::Skip(why.to_string()),
        command: String::new(),
        output: String::new(),
    };
    if case.skip {
        return skipped("@@skip or the test's .x program");
    }
    match case.kind {
        Kind::Shell => return skipped("shell-script test"),
        Kind::CProgram => return skipped("C-program test"),
        Kind::Script | Kind::Interpreter => {}
    }
    // Compiler errors as libdtrace prints them, the first line alone, without tracer's source
    // snippet and notes.
    let mut flags = vec![TEST_CPPFLAGS.to_string(), "-xdiagfmt=dtrace".to_string()];
    flags.extend(case.name_flags.iter().map(|flag| (*flag).to_string()));
    let trigger = match &case.trigger {
        Some(trigger) => {
            let program = trigger.split_whitespace().next().unwrap_or_default();
            if !root.join("test/triggers").join(program).exists() {
                return skipped(&format!("trigger {program} not built"));
            }
            Some(format!("test/triggers/{trigger}"))
        }
        None => None,
    };
    let script = case.script.display().to_string();
    let mut command_line = match case.kind {
        Kind::Interpreter => {
            let copy = std::env::temp_dir().join(format!(
                "tracer-compat-{}.d",
                case.script.display().to_string().replace('/', "_")
            ));
            let Ok(text) = std::fs::read_to_string(root.join(&case.script)) else {
                return skipped("unreadable script");
            };
            let text = text.replacen("#!dtrace ", &format!("#!{} ", tracer.display()), 1);
            if std::fs::write(&copy, text).is_err() || chmod_x(&copy).is_err() {
                return skipped("cannot write the interpreter copy");
            }
            format!("{} {}", copy.display(), flags.join(" "))
        }
        _ => format!("{} {} -s {script}", tracer.display(), flags.join(" ")),
    };
    if !case.runtest_opts.is_empty() {
        command_line.push(' ');
        command_line.push_str(&case.runtest_opts);
    }
    if case.compile_only {
        command_line.push_str(" -e");
    }
    match (&trigger, case.trigger_timing) {
        (None, _) => {}
        (Some(trigger), TriggerTiming::Synchro) => {
            let _ = write!(command_line, " -c '{trigger}'");
        }
        (Some(trigger), TriggerTiming::Background { delay_secs }) => {
            // As runtest does: the trigger starts in the background, bash expands `$_pid` in the
            // options to its pid, and the trigger is killed when tracer is done.
            command_line = format!(
                "(sleep {delay_secs}; exec {trigger}) >/dev/null 2>&1 & _pid=$!; {command_line}; \
                 status=$?; kill $_pid 2>/dev/null; exit $status"
            );
        }
    }
    let result = Command::new("timeout")
        .args(["-k", "2", &case.timeout_secs.to_string(), "bash", "-c"])
        .arg(&command_line)
        .current_dir(root)
        .env("_DTRACE_TESTING", "t")
        .stdin(Stdio::null())
        .output();
    let output = match result {
        Ok(output) => output,
        Err(error) => {
            return Report {
                outcome: Outcome::Fail(format!("cannot run: {error}")),
                command: command_line,
                output: String::new(),
            };
        }
    };
    let status = output.status.code().unwrap_or(-1);
    let stderr = dtrace_named(&String::from_utf8_lossy(&output.stderr));
    let mut combined = String::from_utf8_lossy(&output.stdout).into_owned();
    if !stderr.is_empty() {
        combined.push_str("-- @@stderr --\n");
        combined.push_str(&stderr);
    }
    let processed = postprocess(root, case, &combined);
    let outcome = judge(root, case, status, &stderr, &processed);
    Report {
        outcome,
        command: command_line,
        output: processed,
    }
}

fn chmod_x(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

/// Our messages say `tracer:` where DTrace's say `dtrace:`; the expected files have DTrace's.
fn dtrace_named(stderr: &str) -> String {
    stderr
        .lines()
        .map(|line| match line.strip_prefix("tracer:") {
            Some(rest) => format!("dtrace:{rest}\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

/// The test's `.r.p` filter, then runtest's pointer and BPF-pc masking.
fn postprocess(root: &Path, case: &Case, output: &str) -> String {
    let filtered = case
        .postprocessor(root)
        .and_then(|filter| {
            // runtest runs the filter with no arguments (`$postprocessor < $output`).
            let mut child = Command::new(&filter)
                .current_dir(root)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut stdin = child.stdin.take()?;
            let input = output.to_string();
            let writer = std::thread::spawn(move || {
                use std::io::Write as _;
                let _ = stdin.write_all(input.as_bytes());
            });
            let result = child.wait_with_output().ok()?;
            let _ = writer.join();
            result
                .status
                .success()
                .then(|| String::from_utf8_lossy(&result.stdout).into_owned())
        })
        .unwrap_or_else(|| output.to_string());
    mask_bpf_pc(&mask_pointers(&filtered))
}

/// Replaces the first `at BPF pc N` of each line (N not starting with 0) with `at BPF pc NNN`, as
/// runtest's sed does.
fn mask_bpf_pc(text: &str) -> String {
    const MARK: &str = "at BPF pc ";
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let masked = line.find(MARK).and_then(|at| {
            let after = &line[at + MARK.len()..];
            let digits = after
                .find(|ch: char| !ch.is_ascii_digit())
                .unwrap_or(after.len());
            (digits > 0 && !after.starts_with('0')).then(|| (at, &after[digits..]))
        });
        match masked {
            Some((at, rest)) => {
                out.push_str(&line[..at]);
                out.push_str(MARK);
                out.push_str("NNN");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Replaces every `0x` followed by lowercase hex digits with `{ptr}`, as runtest's sed does.
fn mask_pointers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let digits = after
            .find(|ch: char| !matches!(ch, '0'..='9' | 'a'..='f'))
            .unwrap_or(after.len());
        if digits == 0 {
            out.push_str("0x");
        } else {
            out.push_str("{ptr}");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn judge(root: &Path, case: &Case, status: i32, stderr: &str, output: &str) -> Outcome {
    if let Some(expected) = case.expected_output(root) {
        let expected = std::fs::read_to_string(&expected).unwrap_or_default();
        let sorted = |text: &str| {
            let mut lines: Vec<&str> = text.lines().collect();
            if !case.nosort {
                lines.sort_unstable();
            }
            lines.join("\n")
        };
        if sorted(&expected) != sorted(output) {
            return Outcome::Fail("expected results differ".to_string());
        }
    }
    if let Some(tag) = &case.expected_tag
        && !stderr.contains(&format!("[{tag}]"))
    {
        return Outcome::Fail(format!("expected tag {tag}"));
    }
    // A message saying something is "not supported" is tracer refusing a feature, unless DTrace
    // prints the same words (`Requested version is not supported by compiler`).
    let expected_says_unsupported = case
        .expected_output(root)
        .and_then(|expected| std::fs::read_to_string(expected).ok())
        .is_some_and(|expected| expected.contains("not supported"));
    if case.expected_exit != 0 && stderr.contains("not supported") && !expected_says_unsupported {
        return Outcome::Fail(
            "rejected as unsupported rather than as DTrace rejects it".to_string(),
        );
    }
    if status == TIMED_OUT && !case.timeout_success {
        return Outcome::Fail("timed out".to_string());
    }
    if status != case.expected_exit && status != TIMED_OUT {
        return Outcome::Fail(format!("erroneous exitcode ({status})"));
    }
    Outcome::Pass
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_masked_like_runtest() {
        assert_eq!(
            mask_pointers("at 0xffff8a00 and 0x and 0XAB"),
            "at {ptr} and 0x and 0XAB"
        );
        assert_eq!(mask_pointers("0x1F"), "{ptr}F");
    }

    #[test]
    fn bpf_pcs_are_masked_like_runtest() {
        assert_eq!(
            mask_bpf_pc("divide-by-zero at BPF pc 39\nat BPF pc 0\n"),
            "divide-by-zero at BPF pc NNN\nat BPF pc 0\n"
        );
    }

    #[test]
    fn stderr_names_dtrace() {
        assert_eq!(
            dtrace_named("tracer: failed to compile\n  tracer: no\n"),
            "dtrace: failed to compile\n  tracer: no\n"
        );
    }
}

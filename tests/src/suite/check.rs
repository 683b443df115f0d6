//! Judging a finished command against a case's expectations.
//!
//! Each judgement returns `None` when the expectation holds and otherwise a one-line reason
//! that names the directive's line, so a report says exactly which expectation failed and why.

use std::path::Path;

use crate::command::{Output, Status, lines};
use crate::suite::json_schema;
use crate::suite::parse::{Check, CheckKind, Stream};

/// Why `check` does not hold for `output`, or `None` if it holds.
///
/// `suite_dir` anchors relative `EXPECT_FILE` and `EXPECT_JSON_SCHEMA` paths.
pub fn evaluate(check: &Check, output: &Output, suite_dir: &Path) -> Option<String> {
    let bytes = match check.stream {
        Stream::Stdout => &output.stdout,
        Stream::Stderr => &output.stderr,
    };
    let stream = check.stream.name();
    let reason = match &check.kind {
        CheckKind::Line(expected) => {
            let found = lines(bytes).iter().any(|line| line == expected);
            (!found).then(|| format!("expected a {stream} line equal to {expected:?}"))
        }
        CheckKind::Regex(regex) => {
            let found = lines(bytes).iter().any(|line| regex.is_match(line));
            (!found).then(|| format!("expected a {stream} line matching /{regex}/"))
        }
        CheckKind::NoLine(unexpected) => lines(bytes)
            .iter()
            .position(|line| line == unexpected)
            .map(|line_idx| {
                format!(
                    "expected no {stream} line equal to {unexpected:?}, found it on line {}",
                    line_idx + 1
                )
            }),
        CheckKind::NoRegex(regex) => lines(bytes)
            .iter()
            .enumerate()
            .find(|(_, line)| regex.is_match(line))
            .map(|(line_idx, line)| {
                format!(
                    "expected no {stream} line matching /{regex}/, found line {}: {line:?}",
                    line_idx + 1
                )
            }),
        CheckKind::File(path) => compare_file(stream, bytes, &suite_dir.join(path)),
        CheckKind::JsonSchema(path) => {
            json_schema::check_lines(stream, bytes, &suite_dir.join(path))
        }
        CheckKind::LineAt { number, text } => {
            let all_lines = lines(bytes);
            match all_lines.get(number - 1) {
                Some(line) if line == text => None,
                Some(line) => Some(format!(
                    "expected {stream} line {number} to be {text:?}, got {line:?}"
                )),
                None => Some(format!(
                    "expected {stream} line {number} to be {text:?}, but {stream} has {} lines",
                    all_lines.len()
                )),
            }
        }
    };
    reason.map(|reason| format!("line {}: {reason}", check.line))
}

/// Why the command's status is not `exit_code`, or `None` if it is.
pub fn evaluate_exit(exit_code: i32, status: Status) -> Option<String> {
    (status != Status::Exited(exit_code))
        .then(|| format!("expected exit status {exit_code}, got {status}"))
}

/// Compares a whole stream with a golden file and describes the first difference.
fn compare_file(stream: &str, actual: &[u8], path: &Path) -> Option<String> {
    let expected = match std::fs::read(path) {
        Ok(expected) => expected,
        Err(error) => {
            return Some(format!(
                "cannot read expected {stream} file {}: {error}",
                path.display()
            ));
        }
    };
    if actual == expected.as_slice() {
        return None;
    }
    let expected_lines = lines(&expected);
    let actual_lines = lines(actual);
    let difference = expected_lines
        .iter()
        .map(Some)
        .chain(std::iter::repeat(None))
        .zip(actual_lines.iter().map(Some).chain(std::iter::repeat(None)))
        .take(expected_lines.len().max(actual_lines.len()))
        .enumerate()
        .find(|(_, (expected_line, actual_line))| expected_line != actual_line);
    let detail = match difference {
        Some((line_idx, (Some(expected_line), Some(actual_line)))) => {
            format!(
                "first difference at line {}: expected {expected_line:?}, got {actual_line:?}",
                line_idx + 1
            )
        }
        Some((line_idx, (Some(expected_line), None))) => {
            format!(
                "first difference at line {}: expected {expected_line:?}, got end of output",
                line_idx + 1
            )
        }
        Some((line_idx, (None, Some(actual_line)))) => {
            format!(
                "first difference at line {}: expected end of output, got {actual_line:?}",
                line_idx + 1
            )
        }
        Some((_, (None, None))) | None => {
            "the lines are equal but the line endings or the final newline differ".to_owned()
        }
    };
    Some(format!(
        "{stream} differs from {}: {detail}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use regex::Regex;

    use super::*;

    fn output(stdout: &str, stderr: &str) -> Output {
        Output {
            command_line: "tracer".to_owned(),
            status: Status::Exited(0),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            output_complete: true,
        }
    }

    fn check(stream: Stream, kind: CheckKind) -> Check {
        Check {
            line: 7,
            stream,
            kind,
        }
    }

    fn judge(kind: CheckKind, stdout: &str) -> Option<String> {
        evaluate(
            &check(Stream::Stdout, kind),
            &output(stdout, ""),
            Path::new("/"),
        )
    }

    fn regex(pattern: &str) -> Regex {
        Regex::new(pattern).expect("the test regex is valid")
    }

    #[test]
    fn line_matches_a_whole_line_only() {
        assert_eq!(
            judge(CheckKind::Line("  cat  1".to_owned()), "x\n  cat  1\n"),
            None
        );
        assert_eq!(
            judge(CheckKind::Line("cat".to_owned()), "  cat  1\n"),
            Some(r#"line 7: expected a stdout line equal to "cat""#.to_owned())
        );
    }

    #[test]
    fn a_blank_line_is_a_line() {
        assert_eq!(
            judge(CheckKind::Line(String::new()), "host\n\n  cat  1\n"),
            None
        );
        assert!(judge(CheckKind::Line(String::new()), "host\n  cat  1\n").is_some());
    }

    #[test]
    fn regex_matches_any_line() {
        assert_eq!(
            judge(CheckKind::Regex(regex(r"^\s+cat\s+\d+$")), "\n  cat   12\n"),
            None
        );
        assert_eq!(
            judge(CheckKind::Regex(regex(r"^\d{6,}$")), "99999\n"),
            Some(r"line 7: expected a stdout line matching /^\d{6,}$/".to_owned())
        );
    }

    #[test]
    fn none_reports_where_the_line_was_found() {
        assert_eq!(judge(CheckKind::NoLine("CPU".to_owned()), "hello\n"), None);
        assert_eq!(
            judge(CheckKind::NoLine("CPU".to_owned()), "x\nCPU\n"),
            Some(
                r#"line 7: expected no stdout line equal to "CPU", found it on line 2"#.to_owned()
            )
        );
        assert_eq!(
            judge(CheckKind::NoRegex(regex("matched")), "a\nb matched\n"),
            Some(
                r#"line 7: expected no stdout line matching /matched/, found line 2: "b matched""#
                    .to_owned()
            )
        );
    }

    #[test]
    fn line_at_counts_from_one() {
        let kind = || CheckKind::LineAt {
            number: 2,
            text: "end".to_owned(),
        };
        assert_eq!(judge(kind(), "begin\nend\n"), None);
        assert_eq!(
            judge(kind(), "end\nbegin\n"),
            Some(r#"line 7: expected stdout line 2 to be "end", got "begin""#.to_owned())
        );
        assert_eq!(
            judge(kind(), "end\n"),
            Some(
                r#"line 7: expected stdout line 2 to be "end", but stdout has 1 lines"#.to_owned()
            )
        );
    }

    #[test]
    fn stderr_checks_read_stderr() {
        let kind = CheckKind::Line("tracer: oops".to_owned());
        assert_eq!(
            evaluate(
                &check(Stream::Stderr, kind),
                &output("", "tracer: oops\n"),
                Path::new("/")
            ),
            None
        );
    }

    #[test]
    fn file_must_match_byte_for_byte() {
        let empty = || CheckKind::File(PathBuf::from("dev/null"));
        assert_eq!(judge(empty(), ""), None);
        assert_eq!(
            judge(empty(), "hello\n"),
            Some(r#"line 7: stdout differs from /dev/null: first difference at line 1: expected end of output, got "hello""#.to_owned())
        );
    }

    #[test]
    fn file_differences_are_located() {
        let golden = std::env::temp_dir().join(format!("tracer-check-{}.r", std::process::id()));
        std::fs::write(&golden, "\n  a  1\n  b  2\n").expect("the temp dir is writable");
        let kind = || CheckKind::File(golden.clone());
        let path = golden.display();
        assert_eq!(judge(kind(), "\n  a  1\n  b  2\n"), None);
        assert_eq!(
            judge(kind(), "\n  a  1\n  b  3\n"),
            Some(format!(
                r#"line 7: stdout differs from {path}: first difference at line 3: expected "  b  2", got "  b  3""#
            ))
        );
        assert_eq!(
            judge(kind(), "\n  a  1\n"),
            Some(format!(
                r#"line 7: stdout differs from {path}: first difference at line 3: expected "  b  2", got end of output"#
            ))
        );
        assert_eq!(
            judge(kind(), "\n  a  1\n  b  2"),
            Some(format!(
                "line 7: stdout differs from {path}: the lines are equal but the line endings or the final newline differ"
            ))
        );
        std::fs::remove_file(&golden).expect("the golden file was just written");
    }

    #[test]
    fn missing_file_is_a_failure() {
        let reason = judge(CheckKind::File(PathBuf::from("no/such/file.r")), "").expect("fails");
        assert!(
            reason.starts_with("line 7: cannot read expected stdout file /no/such/file.r: "),
            "{reason}"
        );
    }

    #[test]
    fn exit_status() {
        assert_eq!(evaluate_exit(0, Status::Exited(0)), None);
        assert_eq!(
            evaluate_exit(3, Status::Exited(0)),
            Some("expected exit status 3, got exit status 0".to_owned())
        );
        assert_eq!(
            evaluate_exit(0, Status::Signaled(2)),
            Some("expected exit status 0, got killed by signal 2".to_owned())
        );
    }
}

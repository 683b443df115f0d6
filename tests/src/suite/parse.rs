//! The directive format of suite files, parsed into [`Case`]s.
//!
//! Parsing is separate from running so that a malformed suite is reported with its line
//! number before anything runs, and so that the format is unit-tested without root.
//! `tests/README.md` documents the format for suite authors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::command::DEFAULT_TIMEOUT;

/// One test case of a suite.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's name, unique within its suite.
    pub name: String,
    /// The 1-based line of its `NAME` directive.
    pub line: usize,
    /// What to run.
    pub command: CaseCommand,
    /// Shell commands that must succeed before the case runs (`REQUIRES`).
    pub requires: Vec<String>,
    /// What the output must (or must not) contain.
    pub checks: Vec<Check>,
    /// The exit status the command must end with (`EXPECT_EXIT`, 0 when absent).
    pub exit_code: i32,
    /// How long the command may run (`TIMEOUT`, in seconds).
    pub timeout: Duration,
}

/// What a case runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseCommand {
    /// `RUN LINE`: a shell line run with `sh -c`, `{{TRACER}}` standing for the binary.
    Run(String),
    /// `PROG TEXT`: a D program run as `tracer -n TEXT`, with no shell involved.
    Prog(String),
}

/// Which stream a check reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output (`EXPECT*` directives).
    Stdout,
    /// Standard error (`EXPECT_STDERR*` directives).
    Stderr,
}

impl Stream {
    /// The stream's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One expectation about one stream.
#[derive(Clone, Debug)]
pub struct Check {
    /// The 1-based line of the directive.
    pub line: usize,
    /// The stream it reads.
    pub stream: Stream,
    /// What it expects.
    pub kind: CheckKind,
}

/// What a check expects of its stream.
#[derive(Clone, Debug)]
pub enum CheckKind {
    /// Some line equals this text (`EXPECT`).
    Line(String),
    /// Some line matches this regex (`EXPECT_REGEX`).
    Regex(Regex),
    /// No line equals this text (`EXPECT_NONE`).
    NoLine(String),
    /// No line matches this regex (`EXPECT_REGEX_NONE`).
    NoRegex(Regex),
    /// The whole stream equals this file's content, byte for byte (`EXPECT_FILE`); a relative
    /// path is relative to the suite directory.
    File(PathBuf),
    /// Every line is JSON that this file's JSON Schema accepts (`EXPECT_JSON_SCHEMA`); a relative
    /// path is relative to the suite directory.
    JsonSchema(PathBuf),
    /// Line `number` (1-based) equals `text` (`EXPECT_LINE N TEXT`).
    LineAt {
        /// The 1-based line number.
        number: usize,
        /// The text the line must equal.
        text: String,
    },
}

/// A suite file that does not follow the format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The file holds no `NAME` directive.
    #[error("the suite has no cases")]
    NoCases,
    /// A directive this format does not have.
    #[error("line {line}: unknown directive `{directive}`")]
    UnknownDirective {
        /// The 1-based line.
        line: usize,
        /// The unknown word.
        directive: String,
    },
    /// A directive before the first `NAME`.
    #[error("line {line}: `{directive}` comes before the first NAME")]
    DirectiveBeforeName {
        /// The 1-based line.
        line: usize,
        /// The directive.
        directive: String,
    },
    /// A directive that may appear once per case appears again.
    #[error("line {line}: case `{name}` already has a {directive}")]
    DuplicateDirective {
        /// The 1-based line of the second occurrence.
        line: usize,
        /// The directive (`RUN or PROG` for the command).
        directive: &'static str,
        /// The case.
        name: String,
    },
    /// A case without `RUN` or `PROG`.
    #[error("line {line}: case `{name}` has no RUN or PROG")]
    MissingCommand {
        /// The 1-based line of the case's `NAME`.
        line: usize,
        /// The case.
        name: String,
    },
    /// Two cases with the same name.
    #[error("line {line}: case name `{name}` is already used on line {first_line}")]
    DuplicateName {
        /// The 1-based line of the second `NAME`.
        line: usize,
        /// The name.
        name: String,
        /// The 1-based line of the first `NAME`.
        first_line: usize,
    },
    /// A value that does not fit its directive: a missing value, a bad number or regex.
    #[error("line {line}: invalid {directive} value `{value}`: {reason}")]
    InvalidValue {
        /// The 1-based line.
        line: usize,
        /// The directive.
        directive: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Parses a whole suite file.
pub fn parse_suite(text: &str) -> Result<Vec<Case>, ParseError> {
    let mut cases: Vec<Case> = Vec::new();
    let mut first_lines: HashMap<String, usize> = HashMap::new();
    let mut current: Option<CaseBuilder> = None;
    for (line_idx, raw_line) in text.lines().enumerate() {
        let line = line_idx + 1;
        if raw_line.trim().is_empty() || raw_line.starts_with('#') {
            continue;
        }
        let (directive, value) = raw_line.split_once(' ').unwrap_or((raw_line, ""));
        if directive == "NAME" {
            if let Some(builder) = current.take() {
                cases.push(builder.finish()?);
            }
            let name = parse_name(line, value)?;
            if let Some(&first_line) = first_lines.get(&name) {
                return Err(ParseError::DuplicateName {
                    line,
                    name,
                    first_line,
                });
            }
            first_lines.insert(name.clone(), line);
            current = Some(CaseBuilder::new(name, line));
            continue;
        }
        let Some(builder) = current.as_mut() else {
            return Err(ParseError::DirectiveBeforeName {
                line,
                directive: directive.to_owned(),
            });
        };
        builder.apply(line, directive, value)?;
    }
    if let Some(builder) = current {
        cases.push(builder.finish()?);
    }
    if cases.is_empty() {
        return Err(ParseError::NoCases);
    }
    Ok(cases)
}

/// A case whose directives are still being read.
struct CaseBuilder {
    name: String,
    line: usize,
    command: Option<CaseCommand>,
    requires: Vec<String>,
    checks: Vec<Check>,
    exit_code: Option<i32>,
    timeout: Option<Duration>,
}

impl CaseBuilder {
    fn new(name: String, line: usize) -> CaseBuilder {
        CaseBuilder {
            name,
            line,
            command: None,
            requires: Vec::new(),
            checks: Vec::new(),
            exit_code: None,
            timeout: None,
        }
    }

    fn apply(&mut self, line: usize, directive: &str, value: &str) -> Result<(), ParseError> {
        match directive {
            "RUN" | "PROG" => {
                let text = non_empty(line, directive, value)?;
                let command = if directive == "RUN" {
                    CaseCommand::Run(text)
                } else {
                    CaseCommand::Prog(text)
                };
                self.set_once(line, "RUN or PROG", |builder| &mut builder.command, command)
            }
            "REQUIRES" => {
                self.requires.push(non_empty(line, directive, value)?);
                Ok(())
            }
            "EXPECT_EXIT" => {
                let code = parse_number(line, directive, value)?;
                self.set_once(line, "EXPECT_EXIT", |builder| &mut builder.exit_code, code)
            }
            "TIMEOUT" => {
                let seconds: u64 = parse_number(line, directive, value)?;
                if seconds == 0 {
                    return Err(invalid(
                        line,
                        directive,
                        value,
                        "the timeout must be at least 1 second",
                    ));
                }
                let timeout = Duration::from_secs(seconds);
                self.set_once(line, "TIMEOUT", |builder| &mut builder.timeout, timeout)
            }
            _ => {
                let check = parse_check(line, directive, value)?;
                self.checks.push(check);
                Ok(())
            }
        }
    }

    fn set_once<T>(
        &mut self,
        line: usize,
        directive: &'static str,
        field: impl FnOnce(&mut CaseBuilder) -> &mut Option<T>,
        value: T,
    ) -> Result<(), ParseError> {
        let name = self.name.clone();
        let slot = field(self);
        if slot.is_some() {
            return Err(ParseError::DuplicateDirective {
                line,
                directive,
                name,
            });
        }
        *slot = Some(value);
        Ok(())
    }

    fn finish(self) -> Result<Case, ParseError> {
        let Some(command) = self.command else {
            return Err(ParseError::MissingCommand {
                line: self.line,
                name: self.name,
            });
        };
        Ok(Case {
            name: self.name,
            line: self.line,
            command,
            requires: self.requires,
            checks: self.checks,
            exit_code: self.exit_code.unwrap_or(0),
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
        })
    }
}

/// Parses `EXPECT[_STDERR][_REGEX|_NONE|_REGEX_NONE|_FILE|_LINE|_JSON_SCHEMA]`.
fn parse_check(line: usize, directive: &str, value: &str) -> Result<Check, ParseError> {
    let unknown = || ParseError::UnknownDirective {
        line,
        directive: directive.to_owned(),
    };
    let rest = directive.strip_prefix("EXPECT").ok_or_else(unknown)?;
    let (stream, suffix) = match rest.strip_prefix("_STDERR") {
        Some(suffix) => (Stream::Stderr, suffix),
        None => (Stream::Stdout, rest),
    };
    let kind = match suffix {
        "" => CheckKind::Line(value.to_owned()),
        "_NONE" => CheckKind::NoLine(value.to_owned()),
        "_REGEX" => CheckKind::Regex(parse_regex(line, directive, value)?),
        "_REGEX_NONE" => CheckKind::NoRegex(parse_regex(line, directive, value)?),
        "_FILE" => CheckKind::File(PathBuf::from(non_empty(line, directive, value)?)),
        "_JSON_SCHEMA" => CheckKind::JsonSchema(PathBuf::from(non_empty(line, directive, value)?)),
        "_LINE" => {
            let (number, text) = value.split_once(' ').unwrap_or((value, ""));
            let number: usize = parse_number(line, directive, number)?;
            if number == 0 {
                return Err(invalid(line, directive, value, "line numbers start at 1"));
            }
            CheckKind::LineAt {
                number,
                text: text.to_owned(),
            }
        }
        _ => return Err(unknown()),
    };
    Ok(Check { line, stream, kind })
}

fn parse_name(line: usize, value: &str) -> Result<String, ParseError> {
    let is_word = !value.is_empty()
        && value
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch));
    if !is_word {
        return Err(invalid(
            line,
            "NAME",
            value,
            "a case name is one word of letters, digits, `_`, `-` and `.`",
        ));
    }
    Ok(value.to_owned())
}

fn parse_regex(line: usize, directive: &str, value: &str) -> Result<Regex, ParseError> {
    if value.is_empty() {
        return Err(invalid(line, directive, value, "a regex is required"));
    }
    Regex::new(value).map_err(|error| invalid(line, directive, value, &error.to_string()))
}

fn parse_number<T: std::str::FromStr<Err = std::num::ParseIntError>>(
    line: usize,
    directive: &str,
    value: &str,
) -> Result<T, ParseError> {
    value.parse().map_err(|error: std::num::ParseIntError| {
        invalid(line, directive, value, &error.to_string())
    })
}

fn non_empty(line: usize, directive: &str, value: &str) -> Result<String, ParseError> {
    if value.trim().is_empty() {
        return Err(invalid(line, directive, value, "a value is required"));
    }
    Ok(value.to_owned())
}

fn invalid(line: usize, directive: &str, value: &str, reason: &str) -> ParseError {
    ParseError::InvalidValue {
        line,
        directive: directive.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> Case {
        let mut cases = parse_suite(text).expect("the suite parses");
        assert_eq!(cases.len(), 1);
        cases.remove(0)
    }

    fn parse_error(text: &str) -> String {
        parse_suite(text)
            .expect_err("the suite is rejected")
            .to_string()
    }

    #[test]
    fn a_full_case() {
        let case = parse_one(
            r"# A comment.
NAME openat_count_by_execname
REQUIRES test -d /sys/kernel/tracing/events
RUN {{TRACER}} -n 'syscall::openat:entry { @[execname] = count(); }' -c 'cat /etc/hostname'
EXPECT_REGEX ^\s+cat\s+\d+$
EXPECT_STDERR tracer: description 'syscall::openat:entry ' matched 1 probe
EXPECT_EXIT 0
TIMEOUT 20
",
        );
        assert_eq!(case.name, "openat_count_by_execname");
        assert_eq!(case.line, 2);
        assert_eq!(
            case.command,
            CaseCommand::Run(
                "{{TRACER}} -n 'syscall::openat:entry { @[execname] = count(); }' -c 'cat /etc/hostname'"
                    .to_owned()
            )
        );
        assert_eq!(case.requires, ["test -d /sys/kernel/tracing/events"]);
        assert_eq!(case.exit_code, 0);
        assert_eq!(case.timeout, Duration::from_secs(20));
        assert_eq!(case.checks.len(), 2);
        assert_eq!(case.checks[0].line, 5);
        assert_eq!(case.checks[0].stream, Stream::Stdout);
        assert!(
            matches!(&case.checks[0].kind, CheckKind::Regex(regex) if regex.is_match("  cat   3"))
        );
        assert_eq!(case.checks[1].stream, Stream::Stderr);
        assert!(matches!(
            &case.checks[1].kind,
            CheckKind::Line(text) if text == "tracer: description 'syscall::openat:entry ' matched 1 probe"
        ));
    }

    #[test]
    fn defaults_are_exit_zero_and_the_default_timeout() {
        let case = parse_one("NAME begin\nPROG BEGIN { exit(0); }\n");
        assert_eq!(
            case.command,
            CaseCommand::Prog("BEGIN { exit(0); }".to_owned())
        );
        assert_eq!(case.exit_code, 0);
        assert_eq!(case.timeout, DEFAULT_TIMEOUT);
        assert!(case.checks.is_empty());
    }

    #[test]
    fn values_keep_leading_and_trailing_spaces() {
        let case = parse_one("NAME spaces\nPROG BEGIN {}\nEXPECT   0      1   :BEGIN \n");
        assert!(
            matches!(&case.checks[0].kind, CheckKind::Line(text) if text == "  0      1   :BEGIN ")
        );
    }

    #[test]
    fn an_empty_expect_is_a_blank_line() {
        let case = parse_one("NAME blank\nPROG BEGIN {}\nEXPECT\nEXPECT_LINE 2\n");
        assert!(matches!(&case.checks[0].kind, CheckKind::Line(text) if text.is_empty()));
        assert!(
            matches!(&case.checks[1].kind, CheckKind::LineAt { number: 2, text } if text.is_empty())
        );
    }

    #[test]
    fn every_check_directive() {
        let case = parse_one(
            "NAME all
PROG BEGIN {}
EXPECT a
EXPECT_REGEX ^a$
EXPECT_NONE b
EXPECT_REGEX_NONE ^b$
EXPECT_FILE expected/all.r
EXPECT_LINE 1 CPU     ID
EXPECT_STDERR c
EXPECT_STDERR_REGEX ^c$
EXPECT_STDERR_NONE d
EXPECT_STDERR_REGEX_NONE ^d$
EXPECT_STDERR_FILE /dev/null
EXPECT_STDERR_LINE 3 e
EXPECT_EXIT 3
",
        );
        let streams: Vec<Stream> = case.checks.iter().map(|check| check.stream).collect();
        assert_eq!(streams[..6], [Stream::Stdout; 6]);
        assert_eq!(streams[6..], [Stream::Stderr; 6]);
        assert!(
            matches!(&case.checks[4].kind, CheckKind::File(path) if path == &PathBuf::from("expected/all.r"))
        );
        assert!(
            matches!(&case.checks[5].kind, CheckKind::LineAt { number: 1, text } if text == "CPU     ID")
        );
        assert!(
            matches!(&case.checks[11].kind, CheckKind::LineAt { number: 3, text } if text == "e")
        );
        assert_eq!(case.exit_code, 3);
    }

    #[test]
    fn json_schema_directive() {
        let case = parse_one(
            "NAME json\nPROG BEGIN {}\nEXPECT_JSON_SCHEMA ../../docs/json.schema.json\nEXPECT_STDERR_JSON_SCHEMA s.json\n",
        );
        assert!(matches!(
            &case.checks[0],
            Check { stream: Stream::Stdout, kind: CheckKind::JsonSchema(path), .. }
                if path == &PathBuf::from("../../docs/json.schema.json")
        ));
        assert!(matches!(
            &case.checks[1],
            Check { stream: Stream::Stderr, kind: CheckKind::JsonSchema(path), .. }
                if path == &PathBuf::from("s.json")
        ));
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPECT_JSON_SCHEMA\n"),
            "line 3: invalid EXPECT_JSON_SCHEMA value ``: a value is required"
        );
    }

    #[test]
    fn several_cases() {
        let cases = parse_suite("NAME a\nPROG BEGIN {}\n\nNAME b\nRUN true\nEXPECT_EXIT 1\n")
            .expect("parses");
        let names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(cases[1].line, 4);
        assert_eq!(cases[1].exit_code, 1);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse_error(""), "the suite has no cases");
        assert_eq!(parse_error("# only a comment\n"), "the suite has no cases");
        assert_eq!(
            parse_error("RUN true\n"),
            "line 1: `RUN` comes before the first NAME"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPEKT x\n"),
            "line 3: unknown directive `EXPEKT`"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPECT_STDOUT x\n"),
            "line 3: unknown directive `EXPECT_STDOUT`"
        );
        assert_eq!(
            parse_error("NAME a\nEXPECT x\n"),
            "line 1: case `a` has no RUN or PROG"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nNAME b\n"),
            "line 3: case `b` has no RUN or PROG"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nNAME a\nRUN true\n"),
            "line 3: case name `a` is already used on line 1"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nPROG BEGIN {}\n"),
            "line 3: case `a` already has a RUN or PROG"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nTIMEOUT 5\nTIMEOUT 6\n"),
            "line 4: case `a` already has a TIMEOUT"
        );
    }

    #[test]
    fn invalid_values_are_rejected() {
        assert_eq!(
            parse_error("NAME two words\n"),
            "line 1: invalid NAME value `two words`: a case name is one word of letters, digits, `_`, `-` and `.`"
        );
        assert_eq!(
            parse_error("NAME a\nRUN\n"),
            "line 2: invalid RUN value ``: a value is required"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPECT_EXIT zero\n"),
            "line 3: invalid EXPECT_EXIT value `zero`: invalid digit found in string"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nTIMEOUT 0\n"),
            "line 3: invalid TIMEOUT value `0`: the timeout must be at least 1 second"
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPECT_LINE 0 x\n"),
            "line 3: invalid EXPECT_LINE value `0 x`: line numbers start at 1"
        );
        assert!(
            parse_error("NAME a\nRUN true\nEXPECT_REGEX (\n")
                .starts_with("line 3: invalid EXPECT_REGEX value `(`: ")
        );
        assert_eq!(
            parse_error("NAME a\nRUN true\nEXPECT_STDERR_REGEX\n"),
            "line 3: invalid EXPECT_STDERR_REGEX value ``: a regex is required"
        );
    }
}

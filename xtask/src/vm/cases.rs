//! The guest's test list, `tests/vm/cases.test`, and the shell script that runs it in the guest.
//!
//! The list uses a small part of the suites' format (tests/README.md):
//!
//! ```text
//! # A comment.
//! NAME fbt_entry
//! RUN tracer -n 'fbt::vfs_read:entry { ... }'
//! EXPECT_REGEX ^vfs_read [0-9]+$       a line of the output (stdout and stderr) matches
//! EXPECT_REGEX_NONE ERROR              no line matches
//! EXPECT_EXIT 0                        the exit status (0 unless given)
//! SHOW ^took                           lines to show on the console even when the case passes
//! KERNEL 6.1 6.12                      the guest kernels it runs in (6.1 unless given)
//! ```
//!
//! Each `RUN` becomes a script of its own in the guest, run with a time limit by busybox `sh`;
//! the expressions are POSIX extended ones, checked by busybox `grep -E`. The guest prints
//! `VMTEST PASS name` or the output and `VMTEST FAIL name` for each case, then `VMTEST DONE`.

use std::fmt::Write as _;

/// The seconds a case may run before it is killed.
const CASE_TIMEOUT_S: u32 = 120;

/// The guest kernels, in boot order: Debian 12's stock 6.1 and bookworm-backports' 6.12, the
/// one with kprobe-multi.
pub const KERNELS: [&str; 2] = ["6.1", "6.12"];

/// One case of the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Case {
    /// Its name, unique in the list.
    pub name: String,
    /// The shell command.
    pub run: String,
    /// Expressions some output line must match.
    pub expect: Vec<String>,
    /// Expressions no output line may match.
    pub expect_none: Vec<String>,
    /// The expected exit status.
    pub exit: i32,
    /// Expressions for the output lines shown when the case passes.
    pub show: Vec<String>,
    /// The kernels of [`KERNELS`] it runs in.
    pub kernels: Vec<&'static str>,
}

/// Parses the list, naming the line of the first mistake.
pub fn parse(text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        let line_no = line_idx + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        if keyword == "NAME" {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Err(format!("line {line_no}: NAME takes one word"));
            }
            if cases.iter().any(|case| case.name == rest) {
                return Err(format!("line {line_no}: a second case named {rest}"));
            }
            cases.push(Case {
                name: rest.to_string(),
                ..Case::default()
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            return Err(format!("line {line_no}: {keyword} before the first NAME"));
        };
        match keyword {
            "RUN" if case.run.is_empty() => case.run = rest.to_string(),
            "RUN" => return Err(format!("line {line_no}: a second RUN in {}", case.name)),
            "EXPECT_REGEX" => case.expect.push(rest.to_string()),
            "EXPECT_REGEX_NONE" => case.expect_none.push(rest.to_string()),
            "SHOW" => case.show.push(rest.to_string()),
            "KERNEL" => {
                for word in rest.split_whitespace() {
                    let Some(kernel) = KERNELS.iter().find(|kernel| **kernel == word) else {
                        return Err(format!(
                            "line {line_no}: KERNEL takes {}, not {word}",
                            KERNELS.join(" or ")
                        ));
                    };
                    case.kernels.push(kernel);
                }
            }
            "EXPECT_EXIT" => {
                case.exit = rest
                    .parse()
                    .map_err(|_| format!("line {line_no}: EXPECT_EXIT takes a number"))?;
            }
            _ => return Err(format!("line {line_no}: unknown keyword {keyword}")),
        }
    }
    if let Some(case) = cases.iter().find(|case| case.run.is_empty()) {
        return Err(format!("case {} has no RUN", case.name));
    }
    for case in &mut cases {
        if case.kernels.is_empty() {
            case.kernels.push(KERNELS[0]);
        }
    }
    Ok(cases)
}

/// `text` as one single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The path in the guest of case `case_idx`'s command script.
pub fn command_path(case_idx: usize) -> String {
    format!("cases/{case_idx}.sh")
}

/// The script that runs every case and reports on the console; `/cases/N.sh` hold the commands.
pub fn runner(cases: &[Case]) -> String {
    let mut script = String::new();
    for (case_idx, case) in cases.iter().enumerate() {
        let name = &case.name;
        let exit = case.exit;
        let _ = writeln!(
            script,
            "echo '=== {name}'\nok=1\ntimeout {CASE_TIMEOUT_S} sh /{} >/tmp/out 2>&1\nrc=$?",
            command_path(case_idx)
        );
        let _ = writeln!(
            script,
            "[ \"$rc\" = {exit} ] || {{ echo \"exit status $rc, expected {exit}\"; ok=0; }}"
        );
        for regex in &case.expect {
            let word = quote(regex);
            let _ = writeln!(
                script,
                "grep -Eq -e {word} /tmp/out || {{ echo \"no line matches \"{word}; ok=0; }}"
            );
        }
        for regex in &case.expect_none {
            let word = quote(regex);
            let _ = writeln!(
                script,
                "grep -Eq -e {word} /tmp/out && {{ echo \"a line matches \"{word}; ok=0; }}"
            );
        }
        let mut show = String::new();
        for regex in &case.show {
            let _ = write!(
                show,
                "grep -E -e {} /tmp/out | sed 's/^/  | /'; ",
                quote(regex)
            );
        }
        let _ = writeln!(
            script,
            "if [ $ok = 1 ]; then {show}echo 'VMTEST PASS {name}'; \
             else sed 's/^/  | /' /tmp/out | head -n 60; echo 'VMTEST FAIL {name}'; fi"
        );
    }
    script.push_str("echo 'VMTEST DONE'\n");
    script
}

/// A case's result as the guest reported it on a console line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report<'a> {
    /// `VMTEST PASS name`.
    Pass(&'a str),
    /// `VMTEST FAIL name`.
    Fail(&'a str),
    /// `VMTEST DONE`: every case ran.
    Done,
}

/// The report on a console line, if it holds one (the serial console may end lines with `\r`).
pub fn report(line: &str) -> Option<Report<'_>> {
    let rest = line.trim_end().strip_prefix("VMTEST ")?;
    match rest.split_once(' ') {
        Some(("PASS", name)) => Some(Report::Pass(name)),
        Some(("FAIL", name)) => Some(Report::Fail(name)),
        None if rest == "DONE" => Some(Report::Done),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# Comment.\n\nNAME one\nRUN tracer -n 'BEGIN { exit(0); }'\n\
                        EXPECT_REGEX ^a'b$\nEXPECT_REGEX_NONE ERROR\nEXPECT_EXIT 2\n\
                        NAME two\nRUN true\nSHOW ^took\n";

    #[test]
    fn cases_are_parsed_with_their_expectations() {
        let cases = parse(LIST).expect("a valid list");
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].run, "tracer -n 'BEGIN { exit(0); }'");
        assert_eq!(cases[0].expect, ["^a'b$"]);
        assert_eq!(cases[0].expect_none, ["ERROR"]);
        assert_eq!(cases[0].exit, 2);
        assert_eq!(cases[1].exit, 0);
        assert_eq!(cases[0].kernels, ["6.1"]);
        let both = parse("NAME a\nRUN true\nKERNEL 6.1 6.12\n").expect("a valid list");
        assert_eq!(both[0].kernels, ["6.1", "6.12"]);
    }

    #[test]
    fn mistakes_name_their_line() {
        assert_eq!(
            parse("RUN true\n"),
            Err("line 1: RUN before the first NAME".to_string())
        );
        assert_eq!(
            parse("NAME a\nRUN true\nNAME a\n"),
            Err("line 3: a second case named a".to_string())
        );
        assert_eq!(
            parse("NAME a\nEXPECT_EXIT x\n"),
            Err("line 2: EXPECT_EXIT takes a number".to_string())
        );
        assert_eq!(parse("NAME a\n"), Err("case a has no RUN".to_string()));
        assert_eq!(
            parse("NAME a\nRUN true\nKERNEL 5.4\n"),
            Err("line 3: KERNEL takes 6.1 or 6.12, not 5.4".to_string())
        );
    }

    #[test]
    fn the_runner_checks_every_expectation_with_quoted_expressions() {
        let script = runner(&parse(LIST).unwrap());
        assert!(script.contains("timeout 120 sh /cases/0.sh >/tmp/out 2>&1\n"));
        assert!(script.contains("[ \"$rc\" = 2 ] ||"));
        assert!(script.contains(r"grep -Eq -e '^a'\''b$' /tmp/out || "));
        assert!(script.contains("grep -Eq -e 'ERROR' /tmp/out && "));
        assert!(script.contains(
            "then grep -E -e '^took' /tmp/out | sed 's/^/  | /'; echo 'VMTEST PASS two'"
        ));
        assert!(script.ends_with("echo 'VMTEST DONE'\n"));
    }

    #[test]
    fn console_lines_give_reports() {
        assert_eq!(report("VMTEST PASS one\r"), Some(Report::Pass("one")));
        assert_eq!(report("VMTEST FAIL two"), Some(Report::Fail("two")));
        assert_eq!(report("VMTEST DONE\r\n"), Some(Report::Done));
        assert_eq!(report("[    1.0] VMTEST PASS x"), None);
        assert_eq!(report("VMTEST MAYBE x"), None);
    }
}

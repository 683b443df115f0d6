//! One dtrace-utils test case: what its file name and `@@` tags ask of the run.
//!
//! dtrace-utils' `runtest.sh` reads `@@name: value` tags from comments in the test and from
//! `test.options` files in the directories above it, and derives expectations from the file name:
//! `tst.*` must exit 0, `err.*` must exit 1, `err.D_TAG.*` must also print `[D_TAG]` under
//! `-xerrtags`, and `drp.*` run under `-xdroptags`. Files named otherwise run only with `-e` unless
//! they name a trigger.

use std::path::{Path, PathBuf};

/// How a case is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A D script given to `-s`.
    Script,
    /// An executable `.sh` beside the script runs instead (not supported: skipped).
    Shell,
    /// A `.c` program beside the script runs instead (not supported: skipped).
    CProgram,
    /// A `#!dtrace` interpreter script.
    Interpreter,
}

/// When a trigger runs, as `@@trigger-timing` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerTiming {
    /// `synchro` (the default): the trigger is `-c`'s command.
    Synchro,
    /// `before`, `after` (1 s) or a number of seconds: the trigger starts in the background that
    /// long before `tracer`, and its pid replaces `$_pid` in the options.
    Background {
        /// Seconds it waits before starting.
        delay_secs: u32,
    },
}

impl TriggerTiming {
    fn parse(value: Option<&String>) -> TriggerTiming {
        match value.map(|value| value.trim()) {
            None | Some("synchro") => TriggerTiming::Synchro,
            Some("before") => TriggerTiming::Background { delay_secs: 0 },
            Some("after") => TriggerTiming::Background { delay_secs: 1 },
            Some(delay) => TriggerTiming::Background {
                delay_secs: delay.parse().unwrap_or(0),
            },
        }
    }
}

/// What a test case expects and how to run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The `.d` file, relative to the dtrace-utils root.
    pub script: PathBuf,
    /// How it runs.
    pub kind: Kind,
    /// `@@skip` was given.
    pub skip: bool,
    /// `@@runtest-opts`, before shell expansion.
    pub runtest_opts: String,
    /// `@@trigger`, or `None` for "none".
    pub trigger: Option<String>,
    /// When the trigger starts, from `@@trigger-timing`.
    pub trigger_timing: TriggerTiming,
    /// Whether the test runs with `-e` (no trigger and not `tst.`/`err.`/`drp.`).
    pub compile_only: bool,
    /// The exit status that means success.
    pub expected_exit: i32,
    /// The `D_*` tag that must appear in stderr.
    pub expected_tag: Option<String>,
    /// Extra flags the file name implies (`-xerrtags`, `-xdroptags`).
    pub name_flags: Vec<&'static str>,
    /// Seconds before the run is killed.
    pub timeout_secs: u64,
    /// A timeout counts as a pass.
    pub timeout_success: bool,
    /// Compare unsorted.
    pub nosort: bool,
    /// `@@xfail` was given: failing is expected upstream too.
    pub xfail: bool,
}

/// The default per-test timeout, shorter than runtest's 41 s so a full run stays practical, but
/// long enough for a test paced by ten ticks of `tick-1` (one per second) on a busy machine.
const DEFAULT_TIMEOUT_SECS: u64 = 20;
/// The longest timeout honoured from `@@timeout`.
const MAX_TIMEOUT_SECS: u64 = 60;

impl Case {
    /// Reads the case for `script` (relative to `root`).
    pub fn load(root: &Path, script: &Path) -> std::io::Result<Case> {
        let text = std::fs::read_to_string(root.join(script))?;
        let tags = Tags::collect(root, script, &text);
        let file_name = script
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = if text.starts_with("#!dtrace") {
            Kind::Interpreter
        } else if is_executable(&root.join(sibling_path(script, "sh"))) {
            Kind::Shell
        } else if root.join(sibling_path(script, "c")).exists() {
            Kind::CProgram
        } else {
            Kind::Script
        };
        let named_run = file_name.starts_with("tst.")
            || file_name.starts_with("err.")
            || file_name.starts_with("drp.");
        let trigger_tag = tags.get("trigger");
        let trigger = trigger_tag
            .filter(|trigger| trigger.as_str() != "none")
            .cloned();
        let compile_only = trigger_tag.is_none() && !named_run && kind == Kind::Script;
        let (expected_tag, name_flags) = if let Some(rest) = file_name.strip_prefix("err.D_") {
            let tag = rest.split('.').next().unwrap_or_default();
            (Some(format!("D_{tag}")), vec!["-xerrtags"])
        } else if let Some(rest) = file_name.strip_prefix("drp.") {
            let tag = rest.split('.').next().unwrap_or_default();
            (Some(tag.to_string()), vec!["-xdroptags"])
        } else {
            (None, Vec::new())
        };
        let timeout_secs = tags
            .get("timeout")
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map_or(DEFAULT_TIMEOUT_SECS, |secs| {
                secs.clamp(DEFAULT_TIMEOUT_SECS, MAX_TIMEOUT_SECS)
            });
        let upstream = upstream_expectation(root, script);
        Ok(Case {
            script: script.to_path_buf(),
            kind,
            skip: tags.get("skip").is_some() || upstream == 2,
            runtest_opts: tags.get("runtest-opts").cloned().unwrap_or_default(),
            trigger,
            trigger_timing: TriggerTiming::parse(tags.get("trigger-timing")),
            compile_only,
            expected_exit: i32::from(file_name.starts_with("err.")),
            expected_tag,
            name_flags,
            timeout_secs,
            timeout_success: tags.get("timeout-success").is_some(),
            nosort: tags.get("nosort").is_some(),
            xfail: (tags.get("xfail").is_some() && tags.get("no-xfail").is_none()) || upstream == 1,
        })
    }

    /// The expected-output file, if the test has one.
    pub fn expected_output(&self, root: &Path) -> Option<PathBuf> {
        ["x86_64.r", "r"]
            .into_iter()
            .map(|suffix| self.sibling(root, suffix))
            .find(|path| path.exists())
    }

    /// The expected-output postprocessor, if the test has one.
    pub fn postprocessor(&self, root: &Path) -> Option<PathBuf> {
        let path = self.sibling(root, "r.p");
        is_executable(&path).then_some(path)
    }

    /// The file beside the script with `suffix` in place of `d`: `tst.a.d` gives `tst.a.r`
    /// (`Path::with_extension` would give `tst.r`, the tests' names having dots of their own).
    fn sibling(&self, root: &Path, suffix: &str) -> PathBuf {
        root.join(sibling_path(&self.script, suffix))
    }
}

/// `script` with its final `d` replaced by `suffix`.
fn sibling_path(script: &Path, suffix: &str) -> PathBuf {
    let text = script.to_string_lossy();
    let base = text.strip_suffix(".d").unwrap_or(&text);
    PathBuf::from(format!("{base}.{suffix}"))
}

/// What the test's own `.x` program (`test.ARCH.x` first, as in `runtest.sh`) says of this machine:
/// 0 the test should pass, 1 it is expected to fail, 2 it is to be skipped. An `.x` file that is not
/// executable means an expected failure.
fn upstream_expectation(root: &Path, script: &Path) -> i32 {
    let arch_specific = sibling_path(script, &format!("{}.x", std::env::consts::ARCH));
    let xfile = [arch_specific, sibling_path(script, "x")]
        .into_iter()
        .map(|path| root.join(path))
        .find(|path| path.exists());
    match xfile {
        None => 0,
        Some(path) if !is_executable(&path) => 1,
        Some(path) => std::process::Command::new(&path)
            .current_dir(root)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()
            .and_then(|status| status.code())
            .map_or(0, |code| code.clamp(0, 2)),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// `@@name: value` tags: the test's own, then those of `test.options` files up the tree.
struct Tags(Vec<(String, String)>);

impl Tags {
    fn collect(root: &Path, script: &Path, text: &str) -> Tags {
        let mut tags = Vec::new();
        parse_tags(text, &mut tags);
        let mut dir = script.parent();
        while let Some(current) = dir {
            if current.as_os_str().is_empty() {
                break;
            }
            if let Ok(options) = std::fs::read_to_string(root.join(current).join("test.options")) {
                let mut inherited = Vec::new();
                parse_tags(&options, &mut inherited);
                for (name, value) in inherited {
                    if !tags.iter().any(|(have, _)| *have == name) {
                        tags.push((name, value));
                    }
                }
            }
            dir = current.parent();
        }
        Tags(tags)
    }

    fn get(&self, name: &str) -> Option<&String> {
        self.0
            .iter()
            .find(|(have, _)| have == name)
            .map(|(_, value)| value)
    }
}

/// Appends the tags in `text`, as `runtest.sh` finds them: `@@name` followed by `:`, a space or the
/// end of the line; the value runs to the end of the line less a closing `*/`.
fn parse_tags(text: &str, tags: &mut Vec<(String, String)>) {
    for line in text.lines() {
        let Some(at) = line.find("@@") else { continue };
        let rest = &line[at + 2..];
        let name_len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        if name.is_empty() || !(after.is_empty() || after.starts_with([':', ' '])) {
            continue;
        }
        let value = after.trim_start_matches([' ', ':']).trim_start();
        let value = value.trim_end().trim_end_matches("*/").trim_end();
        let entry = tags.iter_mut().find(|(have, _)| have == name);
        match entry {
            Some((_, existing)) => existing.push_str(value),
            None => tags.push((name.to_string(), value.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<(String, String)> {
        let mut tags = Vec::new();
        parse_tags(text, &mut tags);
        tags
    }

    #[test]
    fn tags_are_read_from_comments() {
        assert_eq!(
            tags("/* @@runtest-opts: -C */\n/* @@trigger: delaydie */\n# @@nosort\n"),
            [
                ("runtest-opts".to_string(), "-C".to_string()),
                ("trigger".to_string(), "delaydie".to_string()),
                ("nosort".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn siblings_keep_the_dots_of_the_name() {
        assert_eq!(
            sibling_path(Path::new("test/unittest/aggs/tst.max_neg.d"), "r"),
            Path::new("test/unittest/aggs/tst.max_neg.r")
        );
        assert_eq!(
            sibling_path(Path::new("a/err.D_X.y.d"), "r.p"),
            Path::new("a/err.D_X.y.r.p")
        );
    }

    #[test]
    fn expected_output_sits_beside_the_script() {
        let root = std::env::temp_dir().join(format!("compat-case-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("tst.begin-exit.d"), "BEGIN { exit(0); }").unwrap();
        std::fs::write(root.join("tst.begin-exit.r"), "").unwrap();
        std::fs::write(root.join("tst.r"), "").unwrap();
        let case = Case::load(&root, Path::new("tst.begin-exit.d")).unwrap();
        let found = case.expected_output(&root);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(found, Some(root.join("tst.begin-exit.r")));
    }

    #[test]
    fn timeouts_leave_room_for_ten_one_second_ticks() {
        let root = std::env::temp_dir().join(format!("compat-timeout-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let timeout = |name: &str, text: &str| {
            std::fs::write(root.join(name), text).unwrap();
            Case::load(&root, Path::new(name)).unwrap().timeout_secs
        };
        let default = timeout("tst.ticks.d", "tick-1 /i++ == 10/ { exit(0); }");
        let short = timeout("tst.short.d", "/* @@timeout: 5 */\nBEGIN { exit(0); }");
        let long = timeout("tst.long.d", "/* @@timeout: 120 */\nBEGIN { exit(0); }");
        std::fs::remove_dir_all(&root).unwrap();
        assert!(default > 11, "{default} s is too short for ten ticks");
        assert_eq!(short, default);
        assert_eq!(long, MAX_TIMEOUT_SECS);
    }

    #[test]
    fn trigger_timings_are_runtests() {
        let timing = |value: &str| TriggerTiming::parse(Some(&value.to_string()));
        assert_eq!(TriggerTiming::parse(None), TriggerTiming::Synchro);
        assert_eq!(timing("synchro"), TriggerTiming::Synchro);
        assert_eq!(
            timing("before"),
            TriggerTiming::Background { delay_secs: 0 }
        );
        assert_eq!(timing("after"), TriggerTiming::Background { delay_secs: 1 });
        assert_eq!(timing("3"), TriggerTiming::Background { delay_secs: 3 });
    }

    #[test]
    fn longer_names_are_not_prefix_matches() {
        assert_eq!(
            tags("/* @@trigger-timing: before */"),
            [("trigger-timing".to_string(), "before".to_string())]
        );
        assert_eq!(tags("/* @@timeoutx: 5 */")[0].0, "timeoutx");
    }
}

//! Building the C triggers the selected tests name, inside the dtrace-utils checkout.
//!
//! Each trigger is built with the options its `test/triggers/Build` entry adds
//! (`NAME_CFLAGS := -O0`, `NAME_LIBS := -lrt`) after ours: frame pointers kept, no inlining and no
//! sibling calls, because the kernel walks user stacks (`bpf_get_stack` with
//! `BPF_F_USER_STACK`) by frame pointer and the `ustack` tests expect each function of a trigger's
//! call chain as a frame of its own. The command line is kept beside the binary
//! (`.NAME.cflags`), and a trigger built with another one is built again.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// The options every trigger is built with, before its own.
const BASE_FLAGS: &[&str] = &[
    "-O1",
    "-g",
    "-D_GNU_SOURCE",
    "-fno-omit-frame-pointer",
    "-fno-inline",
    "-fno-optimize-sibling-calls",
];

/// A trigger's own options from `Build`: compiler options, then libraries.
#[derive(Debug, Default, PartialEq, Eq)]
struct Extra {
    cflags: Vec<String>,
    libs: Vec<String>,
}

/// The `NAME_CFLAGS :=` and `NAME_LIBS :=` lines of a `Build` file, by trigger name.
fn parse_build(text: &str) -> HashMap<String, Extra> {
    let mut extras: HashMap<String, Extra> = HashMap::new();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(":=") else {
            continue;
        };
        let words = value.split_whitespace().map(str::to_string);
        let name = name.trim();
        // `NAME_NOCFLAGS` takes options away (only `--coverage`, which we never add).
        if name.ends_with("_NOCFLAGS") || name.ends_with("_NOLDFLAGS") {
            continue;
        }
        if let Some(trigger) = name.strip_suffix("_CFLAGS") {
            extras
                .entry(trigger.to_string())
                .or_default()
                .cflags
                .extend(words);
        } else if let Some(trigger) = name.strip_suffix("_LIBS") {
            extras
                .entry(trigger.to_string())
                .or_default()
                .libs
                .extend(words);
        }
    }
    extras
}

/// The compiler's arguments for trigger `name`, before and after `-o OUT SOURCE`.
fn arguments(extra: Option<&Extra>) -> (Vec<String>, Vec<String>) {
    let mut before: Vec<String> = BASE_FLAGS.iter().map(|flag| (*flag).to_string()).collect();
    let mut after = vec!["-lpthread".to_string()];
    if let Some(extra) = extra {
        before.extend(extra.cflags.iter().cloned());
        after.extend(extra.libs.iter().cloned());
    }
    (before, after)
}

/// Builds each trigger in `names` that has a C source and is missing or was built with other
/// options; failures leave the trigger missing, and its tests are reported as skipped.
pub fn build(root: &Path, names: &[&str]) {
    let triggers = root.join("test/triggers");
    let extras = std::fs::read_to_string(triggers.join("Build"))
        .map(|text| parse_build(&text))
        .unwrap_or_default();
    for name in names {
        let source = Path::new("test/triggers").join(format!("{name}.c"));
        if !root.join(&source).exists() {
            continue;
        }
        let output = Path::new("test/triggers").join(name);
        let (before, after) = arguments(extras.get(*name));
        let stamp_text = format!("{} {}\n", before.join(" "), after.join(" "));
        let stamp = triggers.join(format!(".{name}.cflags"));
        let current = root.join(&output).exists()
            && std::fs::read_to_string(&stamp).is_ok_and(|text| text == stamp_text);
        if current {
            continue;
        }
        // Run from the checkout's root, where the `-I` options of `Build` point from.
        let built = Command::new("gcc")
            .current_dir(root)
            .args(&before)
            .arg("-o")
            .arg(&output)
            .arg(&source)
            .args(&after)
            .output();
        if built.is_ok_and(|output| output.status.success()) {
            let _ = std::fs::write(&stamp, stamp_text);
        } else {
            eprintln!("xtask: could not build trigger {name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_lines_add_options_and_libraries_after_ours() {
        let extras = parse_build(
            "proc-tst-sigwait_LIBS := -lrt\n\
             pid-tst-ret1_CFLAGS := -O0\n\
             usdt-tst-special_CFLAGS := -fno-inline -O2\n\
             $(1)_NOCFLAGS := --coverage\n\
             TRIGGERS = a b\n",
        );
        let (before, after) = arguments(extras.get("pid-tst-ret1"));
        assert_eq!(before.first().map(String::as_str), Some("-O1"));
        assert_eq!(before.last().map(String::as_str), Some("-O0"));
        assert_eq!(after, ["-lpthread"]);
        let (_, after) = arguments(extras.get("proc-tst-sigwait"));
        assert_eq!(after, ["-lpthread", "-lrt"]);
        assert_eq!(
            extras["usdt-tst-special"].cflags,
            ["-fno-inline", "-O2"].map(str::to_string)
        );
        assert_eq!(extras.len(), 3);
        let (before, _) = arguments(None);
        assert!(before.iter().any(|flag| flag == "-fno-omit-frame-pointer"));
    }
}

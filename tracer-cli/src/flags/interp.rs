//! `#!` interpreter lines: `#!/usr/sbin/tracer -q -x bufsize=8k -s`.
//!
//! Linux passes everything after the interpreter's path as one argument, so that line runs
//! `tracer "-q -x bufsize=8k -s" SCRIPT ARGS...`. When the command line has that shape (the
//! first argument starts with `-` and has blanks, and the second is a file whose `#!` line ends
//! with exactly that text) the first argument is split at its blanks, so the options mean what
//! they say. The check on the script's first line keeps a real option with blanks in it
//! (`-n'BEGIN { exit(0); }'`) from ever being split.

use std::ffi::OsString;
use std::io::{BufRead as _, BufReader};

/// Splits the `#!` line's options, when `args` is an interpreter invocation.
pub fn split_interpreter_options(mut args: Vec<OsString>) -> Vec<OsString> {
    let (Some(options), Some(script)) = (args.get(1), args.get(2)) else {
        return args;
    };
    let Some(options) = options.to_str() else {
        return args;
    };
    if !options.starts_with('-') || !options.contains(|ch: char| ch.is_ascii_whitespace()) {
        return args;
    }
    let Ok(file) = std::fs::File::open(script) else {
        return args;
    };
    let mut first_line = String::new();
    if BufReader::new(file).read_line(&mut first_line).is_err() {
        return args;
    }
    let first_line = first_line.trim_end();
    let is_interpreter_line = first_line.starts_with("#!")
        && first_line
            .strip_suffix(options)
            .is_some_and(|before| before.ends_with(|ch: char| ch.is_ascii_whitespace()));
    if !is_interpreter_line {
        return args;
    }
    let split: Vec<OsString> = options
        .split_ascii_whitespace()
        .map(OsString::from)
        .collect();
    args.splice(1..2, split);
    args
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    /// A script file that removes itself when dropped.
    struct Script(std::path::PathBuf);

    impl Script {
        fn new(name: &str, text: &str) -> Script {
            let path =
                std::env::temp_dir().join(format!("tracer-interp-{}-{name}", std::process::id()));
            let mut file = std::fs::File::create(&path).expect("create script");
            file.write_all(text.as_bytes()).expect("write script");
            Script(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("temp paths are UTF-8")
        }
    }

    impl Drop for Script {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn interpreter_options_are_split() {
        let script = Script::new(
            "split.d",
            "#!/usr/sbin/tracer -q -x bufsize=8k -s \nBEGIN {}\n",
        );
        let argv = args(&[
            "/usr/sbin/tracer",
            "-q -x bufsize=8k -s",
            script.path(),
            "a 1",
        ]);
        assert_eq!(
            split_interpreter_options(argv),
            args(&[
                "/usr/sbin/tracer",
                "-q",
                "-x",
                "bufsize=8k",
                "-s",
                script.path(),
                "a 1"
            ])
        );
    }

    #[test]
    fn other_command_lines_are_left_alone() {
        let script = Script::new("plain.d", "#!/usr/sbin/tracer -qs\nBEGIN {}\n");
        let one_option = args(&["tracer", "-qs", script.path()]);
        assert_eq!(split_interpreter_options(one_option.clone()), one_option);
        let description = args(&["tracer", "-nBEGIN { exit(0); }", script.path()]);
        assert_eq!(split_interpreter_options(description.clone()), description);
        let no_file = args(&["tracer", "-q -s", "/nonexistent/x.d"]);
        assert_eq!(split_interpreter_options(no_file.clone()), no_file);
        let short = args(&["tracer"]);
        assert_eq!(split_interpreter_options(short.clone()), short);
    }
}

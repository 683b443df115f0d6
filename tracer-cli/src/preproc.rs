//! `-C`: running scripts through the C preprocessor, as libdtrace's `dt_preproc` does.
//!
//! The script goes to `cpp`'s standard input, named `/dev/stdin` on its command line, and comes
//! back on its standard output with line markers that the frontend follows to report errors
//! against the lines the user wrote (see `d_frontend::source`). The predefined macros are
//! libdtrace's, so scripts can test `__linux`, `__SUNW_D` and `__SUNW_D_VERSION`. The
//! preprocessor's own messages, and the `-H` list of included files, go straight to stderr.

use std::io::{self, Write as _};
use std::process::{Command, Stdio};

use crate::flags::Options;

/// The preprocessor run when `cpppath` is not set.
const DEFAULT_CPP: &str = "cpp";

/// Why a script could not be preprocessed, in libdtrace's words.
#[derive(Debug, thiserror::Error)]
pub enum PreprocError {
    /// The program could not be found (`EDT_CPPENT`).
    #[error("Preprocessor not found")]
    NotFound,
    /// The program could not be run (`EDT_CPPEXEC`).
    #[error("Failed to exec preprocessor")]
    Exec(#[source] io::Error),
    /// The program ran and failed (`EDT_CPPERR`).
    #[error("Preprocessor failed to process input program")]
    Failed,
}

/// The arguments libdtrace always passes (`dt_vopen`, `dt_preproc`), around the user's.
pub fn cpp_arguments(options: &Options) -> Vec<String> {
    let mut args: Vec<String> = [
        "-D__linux",
        "-D__unix",
        "-D__SVR4",
        "-D__SUNW_D=1",
        "-U__GNUC__",
        "-D__SUNW_D_64",
        "-D__Linux",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.extend(options.cpp_args().iter().cloned());
    args.push(format!("-D__SUNW_D_VERSION=0x{:08x}", options.version()));
    let standard = match options.choice("stdc") {
        Some("s") => "-traditional-cpp",
        _ => "-std=c99",
    };
    args.push(standard.to_owned());
    args.push("/dev/stdin".to_owned());
    args
}

/// Runs `text` through the preprocessor and returns its output.
///
/// A `#!` first line is blanked, keeping its newline so that line numbers stay right, because
/// `cpp` would reject it.
pub fn preprocess(text: &str, options: &Options) -> Result<String, PreprocError> {
    let input = match text.strip_prefix("#!") {
        Some(rest) => rest.find('\n').map_or("", |newline| &rest[newline..]),
        None => text,
    };
    let program = options.text("cpppath").unwrap_or(DEFAULT_CPP);
    let spawned = Command::new(program)
        .args(cpp_arguments(options))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(io_error) if io_error.kind() == io::ErrorKind::NotFound => {
            return Err(PreprocError::NotFound);
        }
        Err(io_error) => return Err(PreprocError::Exec(io_error)),
    };
    let Some(mut stdin) = child.stdin.take() else {
        unreachable!("cpp's stdin was requested as a pipe");
    };
    let input = input.to_owned();
    // The writer runs apart from the reader so that neither pipe can fill up and stall the other.
    let writer = std::thread::spawn(move || {
        // The preprocessor may exit without reading everything (cpppath=/bin/false); its exit
        // status reports that, so a broken pipe here is not an error of its own.
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output();
    let _ = writer.join();
    let output = match output {
        Ok(output) => output,
        Err(io_error) => return Err(PreprocError::Exec(io_error)),
    };
    if !output.status.success() {
        return Err(PreprocError::Failed);
    }
    String::from_utf8(output.stdout).map_err(|_| PreprocError::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(settings: &[(&str, Option<&str>)]) -> Options {
        let mut options = Options::default();
        for (name, value) in settings {
            options.set(name, *value).expect("valid option");
        }
        options
    }

    #[test]
    fn predefined_macros_are_libdtraces() {
        let args = cpp_arguments(&options(&[("define", Some("X=1")), ("stdc", Some("s"))]));
        assert_eq!(
            args,
            [
                "-D__linux",
                "-D__unix",
                "-D__SVR4",
                "-D__SUNW_D=1",
                "-U__GNUC__",
                "-D__SUNW_D_64",
                "-D__Linux",
                "-DX=1",
                "-D__SUNW_D_VERSION=0x02000001",
                "-traditional-cpp",
                "/dev/stdin",
            ]
        );
    }

    #[test]
    fn scripts_are_preprocessed_with_line_markers() {
        let text = "#!/usr/sbin/tracer -Cs\n#define GREETING \"hi\"\nBEGIN { trace(GREETING); }\n";
        let output = preprocess(text, &Options::default()).expect("cpp runs");
        assert!(output.contains("BEGIN { trace(\"hi\"); }"), "{output}");
        assert!(output.contains("# 1 \"/dev/stdin\""), "{output}");
        assert!(!output.contains("#!"), "{output}");
    }

    #[test]
    fn version_and_platform_macros_are_defined() {
        let text = "__SUNW_D_VERSION __linux __SUNW_D linux\n";
        let output = preprocess(text, &Options::default()).expect("cpp runs");
        assert!(output.contains("0x02000001 1 1 linux"), "{output}");
    }

    #[test]
    fn failures_use_libdtrace_words() {
        let error = preprocess("#error stop\n", &Options::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Preprocessor failed to process input program"
        );
        let missing = options(&[("cpppath", Some("/nonexistent/cpp"))]);
        let error = preprocess("BEGIN {}\n", &missing).unwrap_err();
        assert_eq!(error.to_string(), "Preprocessor not found");
    }
}

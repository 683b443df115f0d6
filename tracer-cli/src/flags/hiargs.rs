//! The second layer of flag parsing: the checked command line the rest of `tracer` runs from.
//!
//! Checks run in the order of dtrace's passes over its arguments, so that the first error reported
//! is the one dtrace would report: options first (usage errors, exit status 2), then the processes
//! of `-c` and `-p`, then the scripts (errors, exit status 1). Processes are only checked and
//! prepared here; [`Target::start`](crate::target::Target::start) creates or grabs them, because
//! that is an effect the caller must own (and undo on exit).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::UsageError;
use super::lowargs::{LowArgs, OptionArg, ProbeSpecKind, SourceArg, TargetArg};
use super::options::Options;
use crate::preproc;
use crate::target::{CommandLine, Errno, TargetRequest, check_pid, parse_pid};

/// What the run does after compiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Enable the probes and trace.
    Exec,
    /// `-e`: stop after compiling.
    CompileOnly,
    /// `-l`: list the matching probes (every probe without sources).
    List,
    /// `--self-test`: print the kernel's capabilities and how each provider attaches.
    SelfTest,
}

/// `--dump=STAGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpStage {
    /// The token stream.
    Tokens,
    /// The syntax tree.
    Ast,
    /// The checked program with its types.
    Typed,
}

/// Where the engine runs: `--local`, `--daemon PATH`, or in `tracerd` when its socket exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineChoice {
    /// Through `tracerd` if [`DEFAULT_SOCKET`] exists, in this process otherwise.
    Auto,
    /// `--local`: in this process.
    Local,
    /// `--daemon PATH`: through the `tracerd` listening there.
    Daemon(PathBuf),
}

/// Where `tracerd` listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/tracer/tracer.sock";

impl EngineChoice {
    /// The socket of the daemon to use, or `None` to run the engine in this process.
    pub fn socket(&self) -> Option<PathBuf> {
        match self {
            EngineChoice::Auto => {
                let path = Path::new(DEFAULT_SOCKET);
                path.exists().then(|| path.to_path_buf())
            }
            EngineChoice::Local => None,
            EngineChoice::Daemon(path) => Some(path.clone()),
        }
    }
}

/// Where a program source came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramKind {
    /// `-s FILE`.
    Script,
    /// `-n`, `-P`, `-m`, `-f` or `-i`.
    Probes(ProbeSpecKind),
}

/// One program source, ready for the compiler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramSource {
    /// Which flag gave it.
    pub kind: ProgramKind,
    /// The script path or the flag's text: the name diagnostics use.
    pub name: String,
    /// The D text.
    pub text: String,
}

/// The validated command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiArgs {
    /// Trace, compile only or list.
    pub mode: Mode,
    /// The program sources in command-line order; clauses run in this order.
    pub programs: Vec<ProgramSource>,
    /// The `-c` and `-p` processes in command-line order; the first one is `$target`.
    pub targets: Vec<TargetRequest>,
    /// Every option after `-x`, `-q`, `-w`, `-b`, `-F` and `-Z`, applied in order.
    pub options: Options,
    /// How many `-v`.
    pub verbose: u8,
    /// `-S`: print the intermediate code and the eBPF instructions.
    pub intermediate: bool,
    /// `--dump`.
    pub dump: Option<DumpStage>,
    /// `-o`: append the output to this file instead of writing to stdout.
    pub output_file: Option<PathBuf>,
    /// The operands: the macro arguments `$1`, `$2`, ...
    pub macro_args: Vec<String>,
    /// The program's name as it was run: `$0` in probe descriptions.
    pub program_name: String,
    /// Where the engine runs.
    pub engine: EngineChoice,
    /// `--attach`: the `tracerd` standing script or session whose records to print.
    pub attach: Option<String>,
}

impl HiArgs {
    /// Checks `low` and reads what it names.
    pub fn from_low(low: LowArgs) -> anyhow::Result<HiArgs> {
        let output_format = match low.output_format.as_deref() {
            None => None,
            Some(format @ ("text" | "json")) => Some(format),
            Some(other) => {
                return Err(UsageError::message(format!(
                    "invalid output format '{other}': expected text or json"
                ))
                .into());
            }
        };
        let dump = match low.dump.as_deref() {
            None => None,
            Some("tokens") => Some(DumpStage::Tokens),
            Some("ast") => Some(DumpStage::Ast),
            Some("typed") => Some(DumpStage::Typed),
            Some(other) => {
                return Err(UsageError::message(format!(
                    "invalid --dump stage '{other}': expected tokens, ast or typed"
                ))
                .into());
            }
        };
        let engine = match (low.local, low.daemon) {
            (true, Some(_)) => {
                return Err(
                    UsageError::message("--local and --daemon cannot be used together").into(),
                );
            }
            (true, None) if low.attach.is_some() => {
                return Err(UsageError::message("--attach needs tracerd, not --local").into());
            }
            (true, None) => EngineChoice::Local,
            (false, Some(path)) => EngineChoice::Daemon(path),
            (false, None) => EngineChoice::Auto,
        };
        if low.attach.is_some() && !low.sources.is_empty() {
            return Err(UsageError::message(
                "--attach prints a running program: it takes no -n, -s, -P, -m, -f or -i",
            )
            .into());
        }
        let mut options = apply_options(&low.options)?;
        if let Some(format) = output_format {
            // `-O` names a choice of `oformat`, so this cannot fail; it wins over `-x oformat`.
            options
                .set("oformat", Some(format))
                .map_err(|error| UsageError::message(format!("-O {format}: {error}")))?;
        }
        let mut targets = Vec::with_capacity(low.targets.len());
        for target_arg in &low.targets {
            targets.push(prepare_target(target_arg)?);
        }
        let mut programs = Vec::with_capacity(low.sources.len());
        for source_arg in low.sources {
            programs.push(read_source(source_arg, &options)?);
        }
        let mode = if low.list {
            Mode::List
        } else if low.self_test {
            Mode::SelfTest
        } else if low.compile_only {
            Mode::CompileOnly
        } else {
            Mode::Exec
        };
        Ok(HiArgs {
            mode,
            programs,
            targets,
            options,
            verbose: low.verbose,
            intermediate: low.intermediate,
            dump,
            output_file: low.output_file,
            macro_args: low.macro_args,
            program_name: low.program_name,
            engine,
            attach: low.attach,
        })
    }

    /// Opens the `-o` file for appending, as dtrace does, or returns `None` for stdout.
    pub fn open_output_file(&self) -> anyhow::Result<Option<File>> {
        let Some(path) = &self.output_file else {
            return Ok(None);
        };
        match OpenOptions::new().append(true).create(true).open(path) {
            Ok(file) => Ok(Some(file)),
            Err(io_error) => Err(os_error(&io_error))
                .with_context(|| format!("failed to open output file '{}'", path.display())),
        }
    }
}

/// Applies the option flags in order, as dtrace's second pass does. A bad option is an error
/// (status 1), not a usage error, because dtrace reports it with `dfatal`.
fn apply_options(option_args: &[OptionArg]) -> anyhow::Result<Options> {
    let mut options = Options::default();
    for option_arg in option_args {
        let (name, value) = match option_arg {
            OptionArg::Set(text) => match text.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (text.as_str(), None),
            },
            OptionArg::Quiet => ("quiet", None),
            OptionArg::Destructive => ("destructive", None),
            OptionArg::BufSize(size) => ("bufsize", Some(size.as_str())),
            OptionArg::FlowIndent => ("flowindent", None),
            OptionArg::ZeroMatches => ("zdefs", None),
            OptionArg::Cpp => ("cpp", None),
            OptionArg::Define(text) => ("define", Some(text.as_str())),
            OptionArg::Include(text) => ("incdir", Some(text.as_str())),
            OptionArg::Undefine(text) => ("undef", Some(text.as_str())),
            OptionArg::CppHeaders => ("cpphdrs", None),
        };
        if let Err(option_error) = options.set(name, value) {
            let what = match option_arg {
                OptionArg::Set(_) => format!("-x {name}"),
                OptionArg::Quiet => "-q".to_owned(),
                OptionArg::Destructive => "-w".to_owned(),
                OptionArg::BufSize(size) => format!("-b {size}"),
                OptionArg::FlowIndent => "-F".to_owned(),
                OptionArg::ZeroMatches => "-Z".to_owned(),
                OptionArg::Cpp => "-C".to_owned(),
                OptionArg::Define(text) => format!("-D {text}"),
                OptionArg::Include(text) => format!("-I {text}"),
                OptionArg::Undefine(text) => format!("-U {text}"),
                OptionArg::CppHeaders => "-H".to_owned(),
            };
            return Err(anyhow::anyhow!("failed to set {what}: {option_error}"));
        }
    }
    Ok(options)
}

fn prepare_target(target_arg: &TargetArg) -> anyhow::Result<TargetRequest> {
    match target_arg {
        TargetArg::Command(text) => Ok(TargetRequest::Command(CommandLine::prepare(text)?)),
        TargetArg::Pid(text) => {
            let pid = parse_pid(text)?;
            check_pid(pid)?;
            Ok(TargetRequest::Pid(pid))
        }
    }
}

/// Reads a source; with `-C` (the `cpp` option) a script is preprocessed, as libdtrace
/// preprocesses files but not the text of `-n`.
fn read_source(source_arg: SourceArg, options: &Options) -> anyhow::Result<ProgramSource> {
    match source_arg {
        SourceArg::Probes { kind, text } => Ok(ProgramSource {
            kind: ProgramKind::Probes(kind),
            name: text.clone(),
            text,
        }),
        SourceArg::Script(path) => {
            let name = path.display().to_string();
            let mut text = read_script(&path)?;
            if options.is_set("cpp") {
                text = match preproc::preprocess(&text, options) {
                    Ok(text) => text,
                    Err(preproc_error) => {
                        return Err(anyhow::Error::new(preproc_error)
                            .context(format!("failed to compile script {name}")));
                    }
                };
            }
            Ok(ProgramSource {
                kind: ProgramKind::Script,
                name,
                text,
            })
        }
    }
}

fn read_script(path: &Path) -> anyhow::Result<String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(io_error) => {
            return Err(os_error(&io_error))
                .with_context(|| format!("failed to open {}", path.display()));
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(utf8_error) => Err(anyhow::anyhow!(
            "invalid UTF-8 at byte {}",
            utf8_error.utf8_error().valid_up_to()
        ))
        .with_context(|| format!("failed to read script {}", path.display())),
    }
}

/// The error as `strerror` words it when it carries an errno, so messages match dtrace's.
fn os_error(io_error: &std::io::Error) -> anyhow::Error {
    match io_error.raw_os_error() {
        Some(errno) => Errno(errno).into(),
        None => anyhow::anyhow!("{io_error}"),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::io::Write as _;

    use super::*;
    use crate::flags::report;
    use crate::output::sink::OutputFormat;

    fn hi(args: &[&str]) -> HiArgs {
        let mut argv = vec!["tracer"];
        argv.extend_from_slice(args);
        let low = LowArgs::parse(argv).unwrap_or_else(|err| panic!("{args:?}: {err:#}"));
        HiArgs::from_low(low).unwrap_or_else(|err| panic!("{args:?}: {err:#}"))
    }

    /// The stderr text and exit status of a command line that fails.
    fn failure(args: &[&str]) -> (String, u8) {
        let mut argv = vec!["tracer"];
        argv.extend_from_slice(args);
        let result = LowArgs::parse(argv).and_then(HiArgs::from_low);
        match result {
            Ok(hi) => panic!("{args:?} succeeded: {hi:?}"),
            Err(err) => {
                let report = report(&err);
                (report.stderr, report.status)
            }
        }
    }

    /// A script file that removes itself when dropped.
    struct Script(PathBuf);

    impl Script {
        fn new(name: &str, text: &[u8]) -> Script {
            let path =
                std::env::temp_dir().join(format!("tracer-hiargs-{}-{name}", std::process::id()));
            let mut file = File::create(&path).expect("create script");
            file.write_all(text).expect("write script");
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
    fn the_engine_runs_where_the_flags_say() {
        assert_eq!(hi(&["-n", "BEGIN"]).engine, EngineChoice::Auto);
        assert_eq!(hi(&["--local", "-n", "BEGIN"]).engine, EngineChoice::Local);
        assert_eq!(
            hi(&["--daemon", "/tmp/t.sock", "-n", "BEGIN"]).engine,
            EngineChoice::Daemon(PathBuf::from("/tmp/t.sock"))
        );
        assert_eq!(
            EngineChoice::Daemon(PathBuf::from("/tmp/t.sock")).socket(),
            Some(PathBuf::from("/tmp/t.sock"))
        );
        assert_eq!(EngineChoice::Local.socket(), None);
        let attached = hi(&["--attach", "syscalls", "-q"]);
        assert_eq!(attached.attach.as_deref(), Some("syscalls"));
        assert!(attached.programs.is_empty());
    }

    #[test]
    fn engine_flags_that_contradict_are_usage_errors() {
        let (stderr, status) = failure(&["--local", "--daemon", "/tmp/t.sock", "-n", "BEGIN"]);
        assert_eq!(status, 2);
        assert!(
            stderr.starts_with("tracer: --local and --daemon cannot be used together\n"),
            "{stderr}"
        );
        let (stderr, status) = failure(&["--local", "--attach", "syscalls"]);
        assert_eq!(status, 2);
        assert!(stderr.contains("--attach needs tracerd"), "{stderr}");
        let (stderr, status) = failure(&["--attach", "syscalls", "-n", "BEGIN"]);
        assert_eq!(status, 2);
        assert!(
            stderr.contains("--attach prints a running program"),
            "{stderr}"
        );
    }

    #[test]
    fn scripts_are_read_in_order_with_descriptions() {
        let first = Script::new("first.d", b"BEGIN { exit(0); }\n");
        let hi = hi(&[
            "-n",
            "tick-1s { x = 1; }",
            "-s",
            first.path(),
            "-P",
            "syscall",
        ]);
        let summary: Vec<(bool, &str, &str)> = hi
            .programs
            .iter()
            .map(|program| {
                (
                    program.kind == ProgramKind::Script,
                    program.name.as_str(),
                    program.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (false, "tick-1s { x = 1; }", "tick-1s { x = 1; }"),
                (true, first.path(), "BEGIN { exit(0); }\n"),
                (false, "syscall", "syscall"),
            ]
        );
        assert_eq!(
            hi.programs[2].kind,
            ProgramKind::Probes(ProbeSpecKind::Provider)
        );
    }

    #[test]
    fn missing_script_is_an_error() {
        assert_eq!(
            failure(&["-s", "wassup"]),
            (
                "tracer: failed to open wassup: No such file or directory\n".to_owned(),
                1
            )
        );
    }

    #[test]
    fn non_utf8_script_is_an_error() {
        let script = Script::new("latin1.d", b"BEGIN { trace(\"\xe9\"); }");
        let (stderr, status) = failure(&["-s", script.path()]);
        assert_eq!(
            stderr,
            format!(
                "tracer: failed to read script {}: invalid UTF-8 at byte 15\n",
                script.path()
            )
        );
        assert_eq!(status, 1);
    }

    #[test]
    fn modes() {
        assert_eq!(hi(&["-n", "BEGIN"]).mode, Mode::Exec);
        assert_eq!(hi(&["-e", "-n", "BEGIN"]).mode, Mode::CompileOnly);
        assert_eq!(hi(&["-l", "-e", "-n", "BEGIN"]).mode, Mode::List);
        let self_test = hi(&["--self-test", "-x", "fbtmode=kprobe"]);
        assert_eq!(self_test.mode, Mode::SelfTest);
        assert_eq!(
            self_test.options.fbt_mode(),
            tracer_daemon::capability::FbtMode::Kprobe
        );
        assert_eq!(
            hi(&["-n", "BEGIN"]).options.fbt_mode(),
            tracer_daemon::capability::FbtMode::Auto
        );
        assert_eq!(hi(&["-l"]).programs, Vec::new());
    }

    #[test]
    fn options_apply_in_order() {
        assert!(hi(&["-q", "-n", "BEGIN"]).options.quiet());
        assert!(!hi(&["-q", "-x", "quiet=no", "-n", "BEGIN"]).options.quiet());
        assert!(hi(&["-x", "quiet=no", "-q", "-n", "BEGIN"]).options.quiet());
        let hi = hi(&[
            "-w",
            "-b",
            "1m",
            "-F",
            "-Z",
            "-x",
            "strsize=64",
            "-x",
            "errtags",
            "-n",
            "BEGIN",
        ]);
        assert!(hi.options.destructive());
        assert_eq!(hi.options.bufsize(), 1024 * 1024);
        assert!(hi.options.flowindent());
        assert!(hi.options.zdefs());
        assert_eq!(hi.options.strsize(), 64);
        assert!(hi.options.errtags());
    }

    #[test]
    fn option_errors_use_dtrace_words() {
        assert_eq!(
            failure(&["-x", "wibble=1", "-n", "BEGIN"]),
            (
                "tracer: failed to set -x wibble: Invalid option name\n".to_owned(),
                1
            )
        );
        assert_eq!(
            failure(&["-xstrsize=1", "-n", "BEGIN"]),
            (
                "tracer: failed to set -x strsize: Invalid value for specified option\n".to_owned(),
                1
            )
        );
        assert_eq!(
            failure(&["-b", "lots", "-n", "BEGIN"]),
            (
                "tracer: failed to set -b lots: Invalid value for specified option\n".to_owned(),
                1
            )
        );
        assert_eq!(
            failure(&["-x", "version=99.1", "-n", "BEGIN"]).0,
            "tracer: failed to set -x version: Requested version is not supported by compiler\n"
        );
    }

    #[test]
    fn preprocessor_flags_set_options() {
        let hi = hi(&[
            "-C", "-D", "X=1", "-I", "inc", "-U", "Y", "-H", "-n", "BEGIN",
        ]);
        assert!(hi.options.is_set("cpp"));
        assert_eq!(hi.options.cpp_args(), ["-DX=1", "-Iinc", "-UY", "-H"]);
    }

    #[test]
    fn scripts_are_preprocessed_with_dash_capital_c() {
        let script = Script::new("cpp.d", b"#define NAME BEGIN\nNAME { exit(X); }\n");
        let hi = hi(&["-C", "-D", "X=3", "-s", script.path()]);
        assert!(
            hi.programs[0].text.contains("BEGIN { exit(3); }"),
            "{:?}",
            hi.programs
        );
        let hi_plain = super::HiArgs::from_low(
            LowArgs::parse(["tracer", "-s", script.path()]).expect("parse"),
        )
        .expect("read");
        assert!(hi_plain.programs[0].text.starts_with("#define NAME BEGIN"));
        let broken = Script::new("broken.d", b"#if\n");
        let (stderr, status) = failure(&["-C", "-s", broken.path()]);
        assert_eq!(
            stderr,
            format!(
                "tracer: failed to compile script {}: Preprocessor failed to process input program\n",
                broken.path()
            )
        );
        assert_eq!(status, 1);
    }

    #[test]
    fn output_formats() {
        assert_eq!(
            failure(&["-O", "xml", "-n", "BEGIN"]),
            (
                "tracer: invalid output format 'xml': expected text or json\n".to_owned(),
                2
            )
        );
        let format = |args: &[&str]| hi(args).options.output_format();
        assert_eq!(format(&["-n", "BEGIN"]), OutputFormat::Text);
        assert_eq!(format(&["-O", "text", "-n", "BEGIN"]), OutputFormat::Text);
        assert_eq!(format(&["-O", "json", "-n", "BEGIN"]), OutputFormat::Json);
        assert_eq!(
            format(&["-x", "oformat=json", "-n", "BEGIN"]),
            OutputFormat::Json
        );
        assert_eq!(
            format(&["-O", "text", "-x", "oformat=json", "-n", "BEGIN"]),
            OutputFormat::Text
        );
        assert_eq!(
            failure(&["-x", "oformat=xml", "-n", "BEGIN"]),
            (
                "tracer: failed to set -x oformat: Invalid value for specified option\n".to_owned(),
                1
            )
        );
    }

    #[test]
    fn dump_stages() {
        assert_eq!(
            hi(&["--dump=tokens", "-n", "BEGIN"]).dump,
            Some(DumpStage::Tokens)
        );
        assert_eq!(
            hi(&["--dump=ast", "-n", "BEGIN"]).dump,
            Some(DumpStage::Ast)
        );
        assert_eq!(
            hi(&["--dump=typed", "-n", "BEGIN"]).dump,
            Some(DumpStage::Typed)
        );
        assert_eq!(failure(&["--dump=elf", "-n", "BEGIN"]).1, 2);
    }

    #[test]
    fn targets_are_checked_in_order() {
        let own_pid = std::process::id().to_string();
        let hi = hi(&["-c", "true", "-p", &own_pid, "-n", "BEGIN"]);
        assert_eq!(hi.targets.len(), 2);
        let TargetRequest::Command(command) = &hi.targets[0] else {
            panic!("first target is not the command: {:?}", hi.targets);
        };
        assert_eq!(command.argv(), &[OsString::from("true")]);
        assert_eq!(hi.targets[1], TargetRequest::Pid(std::process::id() as i32));
    }

    #[test]
    fn target_errors_use_dtrace_words() {
        assert_eq!(
            failure(&["-p", "12abc", "-n", "BEGIN"]),
            ("tracer: invalid pid: 12abc\n".to_owned(), 1)
        );
        assert_eq!(
            failure(&["-p", "2147483647", "-n", "BEGIN"]),
            (
                "tracer: failed to grab pid 2147483647: No such process\n".to_owned(),
                1
            )
        );
        assert_eq!(
            failure(&["-c", "/nonexistent/process/wibble", "-P", "proc"]),
            ("tracer: failed to execute /nonexistent/process/wibble: No such file or directory\n".to_owned(), 1)
        );
    }

    #[test]
    fn option_errors_come_before_file_errors() {
        let (stderr, _) = failure(&["-s", "wassup", "-x", "bogus"]);
        assert_eq!(
            stderr,
            "tracer: failed to set -x bogus: Invalid option name\n"
        );
    }

    #[test]
    fn output_file_is_appended() {
        let existing = Script::new("out.txt", b"old\n");
        let hi = hi(&["-o", existing.path(), "-n", "BEGIN"]);
        let mut file = hi
            .open_output_file()
            .expect("open -o")
            .expect("-o was given");
        file.write_all(b"new\n").expect("write");
        drop(file);
        assert_eq!(
            std::fs::read_to_string(&existing.0).expect("read back"),
            "old\nnew\n"
        );
        let hi = HiArgs {
            output_file: Some(PathBuf::from("/nonexistent/dir/out")),
            ..hi
        };
        let err = hi.open_output_file().unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "failed to open output file '/nonexistent/dir/out': No such file or directory"
        );
    }

    #[test]
    fn macro_args_pass_through() {
        assert_eq!(hi(&["-n", "BEGIN", "a", "b"]).macro_args, vec!["a", "b"]);
    }
}

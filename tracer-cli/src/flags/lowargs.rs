//! The first layer of flag parsing: what was typed, in the order it was typed, unchecked.
//!
//! dtrace treats `-n`, `-s`, `-P`, `-m`, `-f` and `-i` as one ordered list of program sources,
//! compiled one after another so their clauses run in that order, and `-c`/`-p` as one ordered list
//! of processes whose first member is `$target`. Options are applied in order too, so `-q -x
//! quiet=no` is not quiet. Keeping this layer free of checks lets tests assert exactly how a
//! command line was understood, and leaves [`HiArgs`](super::HiArgs) as the one place that reads
//! files and looks at processes.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

use super::UsageError;
use super::defs::{FLAGS, Flag, FlagId};

/// A flag that ends the run before anything is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialMode {
    /// `-h`, `--help`: print [`usage`](super::usage) on stdout.
    Help,
    /// `-V`: print the version; `-v` as well adds detail.
    Version {
        /// `-v` was given too.
        verbose: bool,
    },
}

/// How dtrace reads the text of a probe-description flag: which field a partial description fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeSpecKind {
    /// `-P provider`.
    Provider,
    /// `-m [provider:]module`.
    Module,
    /// `-f [[provider:]module:]function`.
    Function,
    /// `-n [[[provider:]module:]function:]name`.
    Name,
    /// `-i probe-id`; dtrace compiles it the way it compiles `-n`.
    Id,
}

/// One program source flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceArg {
    /// `-n`, `-P`, `-m`, `-f` or `-i` with its text: descriptions, optionally a clause.
    Probes {
        /// Which flag.
        kind: ProbeSpecKind,
        /// The text as typed.
        text: String,
    },
    /// `-s FILE`.
    Script(PathBuf),
}

/// One process flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetArg {
    /// `-c CMD`: the command line as typed.
    Command(OsString),
    /// `-p PID`: the pid as typed.
    Pid(String),
}

/// One flag that sets an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionArg {
    /// `-x NAME[=VALUE]` as typed.
    Set(String),
    /// `-q`: `quiet`.
    Quiet,
    /// `-w`: `destructive`.
    Destructive,
    /// `-b SIZE`: `bufsize`.
    BufSize(String),
    /// `-F`: `flowindent`.
    FlowIndent,
    /// `-Z`: `zdefs`.
    ZeroMatches,
    /// `-C`: `cpp`.
    Cpp,
    /// `-D NAME[=DEF]`: `define`.
    Define(String),
    /// `-I PATH`: `incdir`.
    Include(String),
    /// `-U NAME`: `undef`.
    Undefine(String),
    /// `-H`: `cpphdrs`.
    CppHeaders,
}

/// The command line as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowArgs {
    /// `-h` or `-V`: print something and exit.
    pub special: Option<SpecialMode>,
    /// `-n`, `-s`, `-P`, `-m`, `-f` and `-i`, in command-line order.
    pub sources: Vec<SourceArg>,
    /// `-c` and `-p`, in command-line order.
    pub targets: Vec<TargetArg>,
    /// `-x` and the flags that set options (`-q`, `-w`, `-b`, `-F`, `-Z`, `-C`, `-D`, `-I`,
    /// `-U`, `-H`), in command-line order: preprocessor arguments keep their order too.
    pub options: Vec<OptionArg>,
    /// `-e`.
    pub compile_only: bool,
    /// `-S`.
    pub intermediate: bool,
    /// `-l`.
    pub list: bool,
    /// `--self-test`.
    pub self_test: bool,
    /// How many `-v`.
    pub verbose: u8,
    /// The last `-o`.
    pub output_file: Option<PathBuf>,
    /// The last `-O`.
    pub output_format: Option<String>,
    /// The last `--dump`.
    pub dump: Option<String>,
    /// The last `--daemon`.
    pub daemon: Option<PathBuf>,
    /// `--local`.
    pub local: bool,
    /// The last `--attach`.
    pub attach: Option<String>,
    /// The operands, which become the macro arguments `$1`, `$2`, ...
    pub macro_args: Vec<String>,
    /// The program's name as it was run (`argv[0]`): `$0` in probe descriptions.
    pub program_name: String,
}

/// The clap id of the operands.
const MACRO_ARGS: &str = "args";

impl LowArgs {
    /// Parses a command line whose first element is the program name.
    pub fn parse<I, T>(args: I) -> anyhow::Result<LowArgs>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        if args.len() <= 1 {
            return Err(UsageError::usage_only().into());
        }
        let matches = match command().try_get_matches_from(&args) {
            Ok(matches) => matches,
            Err(clap_error) => return Err(usage_error_from_clap(&clap_error).into()),
        };
        let mut occurrences: Vec<(usize, Option<&Flag>, &OsString)> = Vec::new();
        for flag in FLAGS {
            push_occurrences(&matches, flag.key, Some(flag), &mut occurrences);
        }
        push_occurrences(&matches, MACRO_ARGS, None, &mut occurrences);
        occurrences.sort_by_key(|(arg_idx, _, _)| *arg_idx);

        let mut low = LowArgs {
            program_name: args[0].to_string_lossy().into_owned(),
            ..LowArgs::default()
        };
        let (mut help, mut n_modes, mut version) = (false, 0, false);
        for (_, flag, value) in occurrences {
            let Some(flag) = flag else {
                low.macro_args.push(utf8("an argument", value)?);
                continue;
            };
            match flag.id {
                FlagId::Help => help = true,
                FlagId::Version => {
                    version = true;
                    n_modes += 1;
                }
                FlagId::List => {
                    low.list = true;
                    n_modes += 1;
                }
                _ => low.record(flag, value)?,
            }
        }
        if help {
            low.special = Some(SpecialMode::Help);
        } else if n_modes > 1 {
            return Err(UsageError::message(
                "only one of the [-lV] options can be specified at a time",
            )
            .into());
        } else if version {
            low.special = Some(SpecialMode::Version {
                verbose: low.verbose > 0,
            });
        }
        Ok(low)
    }

    /// Records one occurrence of a flag other than `-h`, `-V` and `-l`.
    fn record(&mut self, flag: &Flag, value: &OsString) -> anyhow::Result<()> {
        let probes = |kind| -> anyhow::Result<SourceArg> {
            Ok(SourceArg::Probes {
                kind,
                text: utf8(flag.key, value)?,
            })
        };
        match flag.id {
            FlagId::Name => self.sources.push(probes(ProbeSpecKind::Name)?),
            FlagId::Provider => self.sources.push(probes(ProbeSpecKind::Provider)?),
            FlagId::Module => self.sources.push(probes(ProbeSpecKind::Module)?),
            FlagId::Function => self.sources.push(probes(ProbeSpecKind::Function)?),
            FlagId::ProbeId => self.sources.push(probes(ProbeSpecKind::Id)?),
            FlagId::Script => self.sources.push(SourceArg::Script(PathBuf::from(value))),
            FlagId::Command => self.targets.push(TargetArg::Command(value.clone())),
            FlagId::Pid => self
                .targets
                .push(TargetArg::Pid(value.to_string_lossy().into_owned())),
            FlagId::SetOption => self.options.push(OptionArg::Set(utf8(flag.key, value)?)),
            FlagId::Quiet => self.options.push(OptionArg::Quiet),
            FlagId::Destructive => self.options.push(OptionArg::Destructive),
            FlagId::BufSize => self
                .options
                .push(OptionArg::BufSize(utf8(flag.key, value)?)),
            FlagId::FlowIndent => self.options.push(OptionArg::FlowIndent),
            FlagId::ZeroMatches => self.options.push(OptionArg::ZeroMatches),
            FlagId::Cpp => self.options.push(OptionArg::Cpp),
            FlagId::Define => self.options.push(OptionArg::Define(utf8(flag.key, value)?)),
            FlagId::Include => self
                .options
                .push(OptionArg::Include(utf8(flag.key, value)?)),
            FlagId::Undefine => self
                .options
                .push(OptionArg::Undefine(utf8(flag.key, value)?)),
            FlagId::CppHeaders => self.options.push(OptionArg::CppHeaders),
            FlagId::CompileOnly => self.compile_only = true,
            FlagId::Intermediate => self.intermediate = true,
            FlagId::Verbose => self.verbose = self.verbose.saturating_add(1),
            FlagId::Output => self.output_file = Some(PathBuf::from(value)),
            FlagId::OutputFormat => self.output_format = Some(utf8(flag.key, value)?),
            FlagId::Dump => self.dump = Some(utf8(flag.key, value)?),
            FlagId::SelfTest => self.self_test = true,
            FlagId::Daemon => self.daemon = Some(PathBuf::from(value)),
            FlagId::Local => self.local = true,
            FlagId::Attach => self.attach = Some(utf8(flag.key, value)?),
            FlagId::Help | FlagId::Version | FlagId::List => {
                unreachable!("-{} is handled by the caller", flag.key)
            }
        }
        Ok(())
    }
}

/// The clap parser for [`FLAGS`]. Every flag appends (switches append an empty value) so that
/// `indices_of` gives the position of each occurrence, and every value may start with `-`, as
/// with getopt, so that `-i -3` reads `-3` as the id.
fn command() -> Command {
    let mut command = Command::new("tracer")
        .disable_help_flag(true)
        .disable_version_flag(true);
    for flag in FLAGS {
        let mut arg = Arg::new(flag.key)
            .action(ArgAction::Append)
            .value_parser(clap::value_parser!(OsString));
        if let Some(short) = flag.short {
            arg = arg.short(short);
        }
        if let Some(long) = flag.long {
            arg = arg.long(long);
        }
        arg = match flag.value_name {
            Some(value_name) => arg.value_name(value_name).allow_hyphen_values(true),
            None => arg.num_args(0).default_missing_value(""),
        };
        command = command.arg(arg);
    }
    command.arg(
        Arg::new(MACRO_ARGS)
            .action(ArgAction::Append)
            .num_args(0..)
            .value_parser(clap::value_parser!(OsString)),
    )
}

fn push_occurrences<'a>(
    matches: &'a ArgMatches,
    key: &str,
    flag: Option<&'a Flag>,
    occurrences: &mut Vec<(usize, Option<&'a Flag>, &'a OsString)>,
) {
    let (Some(indices), Some(values)) =
        (matches.indices_of(key), matches.get_many::<OsString>(key))
    else {
        return;
    };
    occurrences.extend(
        indices
            .zip(values)
            .map(|(arg_idx, value)| (arg_idx, flag, value)),
    );
}

/// D text and option names must be UTF-8.
fn utf8(what: &str, value: &OsStr) -> anyhow::Result<String> {
    if let Some(text) = value.to_str() {
        return Ok(text.to_owned());
    }
    let what = if what.len() == 1 {
        format!("-{what}")
    } else {
        what.to_owned()
    };
    Err(UsageError::message(format!(
        "invalid UTF-8 in {what}: {}",
        value.to_string_lossy()
    ))
    .into())
}

/// Words clap's errors the way getopt does, followed by the usage text.
fn usage_error_from_clap(clap_error: &clap::Error) -> UsageError {
    let invalid_arg = match clap_error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.as_str(),
        _ => "",
    };
    // For a missing value clap names the flag with its value, `-n <[[[ provider: ]...>`.
    let flag = invalid_arg.split(' ').next().unwrap_or_default();
    let message = match clap_error.kind() {
        ErrorKind::UnknownArgument if flag.starts_with("--") => {
            format!("unrecognized option '{flag}'")
        }
        ErrorKind::UnknownArgument => {
            format!("invalid option -- '{}'", flag.trim_start_matches('-'))
        }
        ErrorKind::InvalidValue if flag.starts_with("--") => {
            format!("option '{flag}' requires an argument")
        }
        ErrorKind::InvalidValue => format!(
            "option requires an argument -- '{}'",
            flag.trim_start_matches('-')
        ),
        _ => {
            let rendered = clap_error.to_string();
            let first_line = rendered.lines().next().unwrap_or_default();
            first_line.trim_start_matches("error: ").to_owned()
        }
    };
    UsageError::with_usage(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> LowArgs {
        let mut argv = vec!["tracer"];
        argv.extend_from_slice(args);
        match LowArgs::parse(argv) {
            Ok(low) => low,
            Err(err) => panic!("{args:?}: {err:#}"),
        }
    }

    fn parse_err(args: &[&str]) -> String {
        let mut argv = vec!["tracer"];
        argv.extend_from_slice(args);
        match LowArgs::parse(argv) {
            Ok(low) => panic!("{args:?} parsed: {low:?}"),
            Err(err) => format!("{err:#}"),
        }
    }

    fn probes(kind: ProbeSpecKind, text: &str) -> SourceArg {
        SourceArg::Probes {
            kind,
            text: text.to_owned(),
        }
    }

    #[test]
    fn program_sources_keep_command_line_order() {
        let low = parse(&[
            "-n",
            "BEGIN",
            "-s",
            "a.d",
            "-P",
            "syscall",
            "-m",
            "vmlinux",
            "-f",
            "vfs_read",
            "-i",
            "12",
            "-n",
            "END { exit(0); }",
        ]);
        assert_eq!(
            low.sources,
            vec![
                probes(ProbeSpecKind::Name, "BEGIN"),
                SourceArg::Script(PathBuf::from("a.d")),
                probes(ProbeSpecKind::Provider, "syscall"),
                probes(ProbeSpecKind::Module, "vmlinux"),
                probes(ProbeSpecKind::Function, "vfs_read"),
                probes(ProbeSpecKind::Id, "12"),
                probes(ProbeSpecKind::Name, "END { exit(0); }"),
            ]
        );
    }

    #[test]
    fn order_survives_interleaving_and_repeats() {
        let low = parse(&["-s", "b.d", "-n", "tick-1s", "-s", "a.d", "-n", "BEGIN"]);
        assert_eq!(
            low.sources,
            vec![
                SourceArg::Script(PathBuf::from("b.d")),
                probes(ProbeSpecKind::Name, "tick-1s"),
                SourceArg::Script(PathBuf::from("a.d")),
                probes(ProbeSpecKind::Name, "BEGIN"),
            ]
        );
    }

    #[test]
    fn attached_and_combined_short_flags() {
        let low = parse(&["-qnBEGIN", "-xbufsize=4m", "-ve"]);
        assert_eq!(low.sources, vec![probes(ProbeSpecKind::Name, "BEGIN")]);
        assert_eq!(
            low.options,
            vec![OptionArg::Quiet, OptionArg::Set("bufsize=4m".to_owned())]
        );
        assert_eq!(low.verbose, 1);
        assert!(low.compile_only);
    }

    #[test]
    fn values_may_start_with_a_dash() {
        let low = parse(&["-l", "-i", "-3", "-o", "-q"]);
        assert_eq!(low.sources, vec![probes(ProbeSpecKind::Id, "-3")]);
        assert_eq!(low.output_file, Some(PathBuf::from("-q")));
        assert!(low.options.is_empty());
        assert!(low.list);
    }

    #[test]
    fn targets_keep_order() {
        let low = parse(&["-p", "42", "-c", "cat /etc/hostname", "-p", "7"]);
        assert_eq!(
            low.targets,
            vec![
                TargetArg::Pid("42".to_owned()),
                TargetArg::Command(OsString::from("cat /etc/hostname")),
                TargetArg::Pid("7".to_owned()),
            ]
        );
    }

    #[test]
    fn options_keep_order() {
        let low = parse(&[
            "-q",
            "-x",
            "quiet=no",
            "-w",
            "-b",
            "1m",
            "-F",
            "-Z",
            "-x",
            "strsize=64",
        ]);
        assert_eq!(
            low.options,
            vec![
                OptionArg::Quiet,
                OptionArg::Set("quiet=no".to_owned()),
                OptionArg::Destructive,
                OptionArg::BufSize("1m".to_owned()),
                OptionArg::FlowIndent,
                OptionArg::ZeroMatches,
                OptionArg::Set("strsize=64".to_owned()),
            ]
        );
    }

    #[test]
    fn switches_and_last_values() {
        let low = parse(&[
            "-S",
            "-v",
            "-v",
            "-o",
            "a",
            "-o",
            "b",
            "-O",
            "text",
            "--dump=ast",
            "--dump",
            "tokens",
            "-n",
            "BEGIN",
        ]);
        assert!(low.intermediate);
        assert_eq!(low.verbose, 2);
        assert_eq!(low.output_file, Some(PathBuf::from("b")));
        assert_eq!(low.output_format.as_deref(), Some("text"));
        assert_eq!(low.dump.as_deref(), Some("tokens"));
        assert_eq!(low.special, None);
    }

    #[test]
    fn preprocessor_flags_are_options_in_order() {
        let low = parse(&[
            "-C",
            "-D",
            "X=1",
            "-xdefine=Z",
            "-I/usr/include",
            "-U",
            "Y",
            "-H",
            "-s",
            "a.d",
        ]);
        assert_eq!(
            low.options,
            vec![
                OptionArg::Cpp,
                OptionArg::Define("X=1".into()),
                OptionArg::Set("define=Z".into()),
                OptionArg::Include("/usr/include".into()),
                OptionArg::Undefine("Y".into()),
                OptionArg::CppHeaders,
            ]
        );
    }

    #[test]
    fn operands_are_macro_arguments() {
        let low = parse(&["-s", "a.d", "one", "-q", "two", "--", "-e", "-n"]);
        assert_eq!(low.macro_args, vec!["one", "two", "-e", "-n"]);
        assert_eq!(low.options, vec![OptionArg::Quiet]);
        assert!(!low.compile_only);
    }

    #[test]
    fn the_program_name_is_kept_for_dollar_zero() {
        let low = LowArgs::parse(["/usr/sbin/tracer", "-n", "BEGIN"]).expect("parse");
        assert_eq!(low.program_name, "/usr/sbin/tracer");
    }

    #[test]
    fn special_modes() {
        assert_eq!(parse(&["-h"]).special, Some(SpecialMode::Help));
        assert_eq!(
            parse(&["--help", "-l", "-V"]).special,
            Some(SpecialMode::Help)
        );
        assert_eq!(
            parse(&["-V"]).special,
            Some(SpecialMode::Version { verbose: false })
        );
        assert_eq!(
            parse(&["-v", "-V"]).special,
            Some(SpecialMode::Version { verbose: true })
        );
        assert_eq!(parse(&["-l"]).special, None);
    }

    #[test]
    fn only_one_mode_at_a_time() {
        let expected = "only one of the [-lV] options can be specified at a time";
        assert_eq!(parse_err(&["-l", "-V"]), expected);
        assert_eq!(parse_err(&["-l", "-l"]), expected);
    }

    #[test]
    fn getopt_style_errors() {
        assert!(parse_err(&["-k"]).starts_with("invalid option -- 'k'\nUsage: tracer "));
        assert!(parse_err(&["-qk"]).starts_with("invalid option -- 'k'\n"));
        assert!(parse_err(&["--bogus"]).starts_with("unrecognized option '--bogus'\n"));
        assert!(parse_err(&["-n"]).starts_with("option requires an argument -- 'n'\n"));
        assert!(parse_err(&["-q", "-x"]).starts_with("option requires an argument -- 'x'\n"));
        assert!(parse_err(&["--dump"]).starts_with("option '--dump' requires an argument\n"));
    }

    #[test]
    fn no_arguments_prints_only_the_usage() {
        let err = LowArgs::parse(["tracer"]).unwrap_err();
        assert!(format!("{err:#}").starts_with("Usage: tracer "));
    }

    #[test]
    fn non_utf8_description_is_a_usage_error() {
        use std::os::unix::ffi::OsStringExt;
        let argv = vec![
            OsString::from("tracer"),
            OsString::from("-n"),
            OsString::from_vec(vec![b'B', 0xff]),
        ];
        let err = LowArgs::parse(argv).unwrap_err();
        assert_eq!(format!("{err:#}"), "invalid UTF-8 in -n: B\u{fffd}");
    }
}

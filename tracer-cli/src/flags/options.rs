//! The `-x name[=value]` options: one table mirroring libdtrace's `dt_options.c`.
//!
//! Options come from `-x`, from the flags that are shorthands for them (`-q`, `-w`, `-b`, `-F`,
//! `-Z`, `-C`, `-D`, `-I`, `-U`, `-H`) and from `#pragma D option` lines, so the table and its
//! value parsers live apart from the flag parser and [`Options::set`] can be called for each
//! source. Values are stored the way libdtrace stores them, one optional integer per option,
//! where `None` is `DTRACEOPT_UNSET`: sizes in bytes, rates in nanoseconds, choices as an index
//! into their list of names, and every other option as the number it was given (a bare `-x quiet`
//! stores 0, which counts as set). Options whose value is a path or a word also keep their text.
//! The preprocessor options (`define`, `undef`, `incdir`, `cppargs`, `cpphdrs`) append to one
//! ordered list of `cpp` arguments, as `dt_cpp_add_arg` does.
//!
//! Every libdtrace option is accepted and validated with libdtrace's rules and messages, so that
//! scripts written for dtrace run. Those tracer has no use for (the CTF, DOF, linker and library
//! paths, debugging aids, the register counts of DIF) are stored and have no other effect.

use std::fmt;

use d_frontend::diagnostic::DiagFormat;
use tracer_daemon::capability::uprobe::UprobeMode;
use tracer_daemon::capability::{BufMode, FbtMode, LoopMode};

use super::optval;
use crate::output::sink::OutputFormat;

/// How an option's value is written and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `yes`/`no` and friends or a number (`dt_opt_runtime`).
    Runtime,
    /// Bytes with an optional `k`, `m`, `g` or `t` suffix; no value means 0 (`dt_opt_size`).
    Size {
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value; above it the error is an overflow.
        max: u64,
    },
    /// A size that is required, rounded up to 8 bytes, and replaced by `default` when it is 0
    /// or above `max` (`pcapsize`, `printsize`).
    PacketSize { default: u64, max: u64 },
    /// A size rounded up to hold one more 8-byte word (`scratchsize`).
    ScratchSize,
    /// A required size, or `unlimited` (`lockmem`).
    LockMem,
    /// A time with a suffix from `ns` to `day`, or a frequency in `hz` (`dt_opt_rate`).
    Rate,
    /// One name from a fixed list; a value is required.
    Choice {
        names: &'static [&'static str],
        ignore_case: bool,
    },
    /// A compiler flag that takes no value (`dt_opt_cflags` and friends).
    Flag,
    /// Clears the named flag (`kdefs` clears `knodefs`).
    ClearFlag(&'static str),
    /// A flag that ignores any value it is given (`droptags`, `lazyload`).
    AnyValue,
    /// A required text, kept as given (paths, `sysslice`).
    Text,
    /// A required `atoi` number of at least `min` (`disasm`, `tree`, `tregs`, ...).
    Count { min: i64 },
    /// `iregs`: a register count, which must be exactly DIF's 8.
    Registers,
    /// `version`: a D version that tracer implements, no newer than any set before.
    Version,
    /// `amin`: minimum stability attributes.
    Attributes,
    /// A preprocessor argument: the value with this prefix (`-D`, `-U`, `-I`).
    CppOption(&'static str),
    /// `cppargs`: blank-separated preprocessor arguments.
    CppArgs,
    /// `cpphdrs`: `cpp -H`; takes no value.
    CppHeaders,
}

/// One entry of the option table.
struct OptionDef {
    name: &'static str,
    kind: Kind,
    /// The value before any `-x`, as libdtrace and dtrace(8) set it.
    default: Option<u64>,
    /// libdtrace refuses it inside a D program (`EDT_BADOPTCTX`): it must be known before
    /// compiling starts.
    command_line_only: bool,
}

const MIB: u64 = 1024 * 1024;
const NANOS_PER_SEC: u64 = 1_000_000_000;
const ANY_SIZE: Kind = Kind::Size {
    min: 0,
    max: i64::MAX as u64,
};

/// The names `-x diagfmt` accepts: `auto` (the default) prints [`DiagFormat::Rich`] on a
/// terminal and dtrace's one line otherwise, so pipes, files and scripts get dtrace's output.
const DIAG_FORMATS: &[&str] = &["auto", "rich", "dtrace"];

/// The names `-x oformat` (and `-O`) accepts, as FreeBSD's libdtrace names them: `text` (the
/// default) and `json` (JSON Lines, see docs/json.md).
const OUTPUT_FORMATS: &[&str] = &["text", "json"];

/// The D versions tracer's compiler accepts for `-x version` (libdtrace's `_dtrace_versions`).
const VERSIONS: &[u32] = &[
    optval::version_number(1, 0, 0),
    optval::version_number(1, 1, 0),
    optval::version_number(1, 2, 0),
    optval::version_number(1, 2, 1),
    optval::version_number(1, 2, 2),
    optval::version_number(1, 3, 0),
    optval::version_number(1, 4, 0),
    optval::version_number(1, 4, 1),
    optval::version_number(1, 5, 0),
    optval::version_number(1, 6, 0),
    optval::version_number(1, 6, 1),
    optval::version_number(1, 6, 2),
    optval::version_number(1, 6, 3),
    optval::version_number(1, 6, 4),
    optval::version_number(2, 0, 0),
];

/// The newest D version: the default of `version` and of `__SUNW_D_VERSION`.
pub const LATEST_VERSION: u32 = optval::version_number(2, 0, 1);

/// The names `-x fbtmode` accepts: `auto` (the default) attaches `fbt` probes the best way the
/// kernel allows; `fentry`, `kprobe` and `kprobe-multi` force fentry/fexit programs, a
/// kprobe/kretprobe per function or kprobe-multi links.
const FBT_MODES: &[&str] = &["auto", "fentry", "kprobe", "kprobe-multi"];

/// The names `-x bufmode` accepts: `auto` (the default) sends records through the ring buffer
/// where the kernel has it (Linux 5.8); `ring` and `perf` force the ring buffer or per-CPU perf
/// buffers.
const BUF_MODES: &[&str] = &["auto", "ring", "perf"];

/// The names `-x loopmode` accepts: `auto` (the default) starts loops with `may_goto` where the
/// kernel has it; `may_goto` and `bounded` force one way.
const LOOP_MODES: &[&str] = &["auto", "may_goto", "bounded"];

/// The names `-x uprobemode` accepts: `auto` (the default) attaches `pid` and USDT probes
/// through uprobe-multi links where the kernel has them (Linux 6.6); `single` and `multi` force a
/// uprobe perf event per site or uprobe-multi links.
const UPROBE_MODES: &[&str] = &["auto", "single", "multi"];

/// Every option tracer knows, sorted by name. `bufmode`, `diagfmt`, `fbtmode`, `loopmode` and
/// `uprobemode` are ours and `oformat` FreeBSD's; the rest are (Oracle's) libdtrace's.
const OPTIONS: &[OptionDef] = &[
    opt("aggpercpu", Kind::Flag),
    opt("aggrate", Kind::Rate).default(0),
    opt("aggsize", ANY_SIZE).default(4 * MIB),
    opt("aggsortkey", Kind::Runtime),
    opt("aggsortkeypos", Kind::Runtime),
    opt("aggsortpos", Kind::Runtime),
    opt("aggsortrev", Kind::Runtime),
    opt("amin", Kind::Attributes),
    opt("argref", Kind::Flag),
    opt("bpflog", Kind::Runtime),
    opt("bpflogsize", ANY_SIZE),
    opt("bufmode", choice(BUF_MODES)).default(0),
    opt("bufpolicy", choice(&["ring", "fill", "switch"])),
    opt("bufresize", choice(&["auto", "manual"])),
    opt("bufsize", ANY_SIZE).default(4 * MIB),
    opt("cleanrate", Kind::Rate),
    opt("core", Kind::Flag),
    opt("cpp", Kind::Flag),
    opt("cppargs", Kind::CppArgs).command_line_only(),
    opt("cpphdrs", Kind::CppHeaders).command_line_only(),
    opt("cpppath", Kind::Text).command_line_only(),
    opt("cpu", Kind::Runtime),
    opt("ctfpath", Kind::Text).command_line_only(),
    opt("ctypes", Kind::Text),
    opt("debug", Kind::Flag),
    opt("debugassert", choice(&["mutexes"])),
    opt("defaultargs", Kind::Flag),
    opt("define", Kind::CppOption("-D")).command_line_only(),
    opt("destructive", Kind::Runtime),
    opt("diagfmt", choice(DIAG_FORMATS)).default(0),
    opt("disasm", Kind::Count { min: 0 }),
    opt("dofstashpath", Kind::Text),
    opt("droptags", Kind::AnyValue),
    opt("dtypes", Kind::Text),
    opt("dynvarsize", ANY_SIZE).default(MIB),
    opt("empty", Kind::Flag),
    opt("errtags", Kind::Flag),
    opt("evaltime", choice(&["exec", "preinit", "postinit", "main"])),
    opt("fbtmode", choice(FBT_MODES)).default(0),
    opt("flamegraph", Kind::Text).command_line_only(),
    opt("flowindent", Kind::Runtime),
    opt("grabanon", Kind::Runtime),
    opt("incdir", Kind::CppOption("-I")).command_line_only(),
    opt("iregs", Kind::Registers),
    opt("jstackframes", Kind::Runtime),
    opt("jstackstrsize", ANY_SIZE),
    opt("kdefs", Kind::ClearFlag("knodefs")),
    opt("knodefs", Kind::Flag),
    opt("late", choice(&["dynamic", "static"])),
    opt("lazyload", Kind::AnyValue),
    opt("ldpath", Kind::Text).command_line_only(),
    opt("libdir", Kind::Text),
    opt("linkmode", choice(&["kernel", "dynamic", "static"])),
    opt("linknommap", Kind::AnyValue),
    opt(
        "linktype",
        Kind::Choice {
            names: &["elf", "dof"],
            ignore_case: true,
        },
    ),
    opt("lockmem", Kind::LockMem).command_line_only(),
    opt("loopmode", choice(LOOP_MODES)).default(0),
    opt("maxframes", Kind::Runtime),
    opt("modpath", Kind::Text).command_line_only(),
    opt("nolibs", Kind::Flag),
    opt("noresolve", Kind::Runtime),
    opt("nspec", Kind::Runtime).default(1),
    opt("oformat", choice(OUTPUT_FORMATS)).default(0),
    opt(
        "pcapsize",
        Kind::PacketSize {
            default: 128,
            max: 65_535,
        },
    )
    .default(128),
    opt("pgmax", Kind::Count { min: 0 }),
    opt("preallocate", ANY_SIZE),
    opt(
        "printsize",
        Kind::PacketSize {
            default: 8192,
            max: 65_536,
        },
    ),
    opt("procfspath", Kind::Text).command_line_only(),
    opt("pspec", Kind::Flag),
    opt("quiet", Kind::Runtime),
    opt("quietresize", Kind::Runtime),
    opt("rawbytes", Kind::Runtime),
    opt("scratchsize", Kind::ScratchSize),
    opt("specsize", ANY_SIZE).default(4 * MIB),
    opt("stackfmt", choice(&["default", "folded"])),
    opt("stackframes", Kind::Runtime),
    opt("stackindent", Kind::Runtime),
    opt("statusrate", Kind::Rate).default(NANOS_PER_SEC),
    opt("stdc", choice(&["a", "c", "t", "s"])).command_line_only(),
    opt("strip", Kind::Flag),
    opt(
        "strsize",
        Kind::Size {
            min: 2,
            max: u32::MAX as u64,
        },
    )
    .default(256),
    opt("switchrate", Kind::Rate).default(0),
    opt("syslibdir", Kind::Text),
    opt("sysslice", Kind::Text),
    opt("tree", Kind::Count { min: 1 }),
    opt("tregs", Kind::Count { min: 1 }),
    opt("udefs", Kind::ClearFlag("unodefs")),
    opt("undef", Kind::CppOption("-U")).command_line_only(),
    opt("unodefs", Kind::Flag),
    opt("uprobemode", choice(UPROBE_MODES)).default(0),
    opt("useruid", Kind::Count { min: 0 }),
    opt("ustackframes", Kind::Runtime),
    opt("verbose", Kind::Flag),
    opt("version", Kind::Version).default(LATEST_VERSION as u64),
    opt("zdefs", Kind::Flag),
];

const fn opt(name: &'static str, kind: Kind) -> OptionDef {
    OptionDef {
        name,
        kind,
        default: None,
        command_line_only: false,
    }
}

const fn choice(names: &'static [&'static str]) -> Kind {
    Kind::Choice {
        names,
        ignore_case: false,
    }
}

impl OptionDef {
    const fn default(self, value: u64) -> OptionDef {
        OptionDef {
            default: Some(value),
            ..self
        }
    }

    const fn command_line_only(self) -> OptionDef {
        OptionDef {
            command_line_only: true,
            ..self
        }
    }
}

/// Why an option could not be set. The messages are libdtrace's, so that
/// `tracer: failed to set -x NAME: MESSAGE` reads as dtrace's does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// No option has this name (`EDT_BADOPTNAME`).
    #[error("Invalid option name")]
    InvalidName,
    /// The value does not parse or is out of range (`EDT_BADOPTVAL`).
    #[error("Invalid value for specified option")]
    InvalidValue,
    /// The value is larger than the option can hold (`EOVERFLOW`).
    #[error("Value too large for defined data type")]
    Overflow,
    /// A preprocessor or path option set by `#pragma D option` (`EDT_BADOPTCTX`).
    #[error("Option cannot be used from within a D program")]
    BadContext,
    /// `version` is not `major.minor.micro` (`EDT_VERSINVAL`).
    #[error("Version is not properly formatted or is too large")]
    VersionInvalid,
    /// `version` names a version the compiler does not have (`EDT_VERSUNDEF`).
    #[error("Requested version is not supported by compiler")]
    VersionUndefined,
    /// `version` is newer than one set before (`EDT_VERSREDUCED`).
    #[error("Requested version conflicts with earlier setting")]
    VersionReduced,
    /// `iregs` below DIF's register count (`EDT_NOREG`).
    #[error("Insufficient registers to generate code")]
    NoRegisters,
}

/// Where a setting comes from, which decides whether the command-line-only options are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionSource {
    /// `-x` and the flags that stand for options.
    CommandLine,
    /// `#pragma D option`.
    Program,
}

/// The value of every option, as libdtrace's `dt_options[]` array holds them.
#[derive(Clone, PartialEq, Eq)]
pub struct Options {
    /// One slot per entry of `OPTIONS`, in the same order.
    values: Vec<Option<u64>>,
    /// The text of the text-valued options, one slot per entry of `OPTIONS`.
    texts: Vec<Option<String>>,
    /// Arguments for the C preprocessor, in the order they were given.
    cpp_args: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            values: OPTIONS.iter().map(|def| def.default).collect(),
            texts: vec![None; OPTIONS.len()],
            cpp_args: Vec::new(),
        }
    }
}

impl fmt::Debug for Options {
    /// Only the options that have a value, by name, and the preprocessor arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = OPTIONS
            .iter()
            .zip(&self.values)
            .filter_map(|(def, value)| value.map(|value| (def.name, value)));
        f.debug_map()
            .entries(set)
            .entry(&"cpp_args", &self.cpp_args)
            .finish()
    }
}

impl Options {
    /// Sets option `name` from the command line, from the text after `=` (`None` when there was
    /// no `=`).
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), OptionError> {
        self.set_from(OptionSource::CommandLine, name, value)
    }

    /// Sets option `name` from `source`.
    pub fn set_from(
        &mut self,
        source: OptionSource,
        name: &str,
        value: Option<&str>,
    ) -> Result<(), OptionError> {
        let Some(option_idx) = OPTIONS.iter().position(|def| def.name == name) else {
            return Err(OptionError::InvalidName);
        };
        let def = &OPTIONS[option_idx];
        if def.command_line_only && source == OptionSource::Program && value.is_some() {
            return Err(OptionError::BadContext);
        }
        let required = || value.ok_or(OptionError::InvalidValue);
        let parsed = match def.kind {
            Kind::Runtime => optval::runtime(value)?,
            Kind::Size { min, max } => {
                let bytes = value.map_or(Ok(0), optval::size)?;
                if bytes < min {
                    return Err(OptionError::InvalidValue);
                }
                if bytes > max {
                    return Err(OptionError::Overflow);
                }
                Some(bytes)
            }
            Kind::PacketSize { default, max } => {
                let bytes = value.map_or(Ok(default), optval::size)?;
                let bytes = if bytes == 0 || bytes > max {
                    default
                } else {
                    bytes
                };
                Some(bytes.next_multiple_of(8))
            }
            Kind::ScratchSize => {
                let bytes = value.map_or(Ok(0), optval::size)?;
                Some(if bytes > 0 {
                    (bytes + 8).next_multiple_of(8)
                } else {
                    0
                })
            }
            Kind::LockMem => match required()? {
                "unlimited" => Some(u64::MAX),
                text => Some(optval::size(text)?),
            },
            Kind::Rate => Some(value.map_or(Ok(0), optval::rate)?),
            Kind::Choice { names, ignore_case } => {
                let text = required()?;
                let Some(choice_idx) = names.iter().position(|name| {
                    if ignore_case {
                        name.eq_ignore_ascii_case(text)
                    } else {
                        *name == text
                    }
                }) else {
                    return Err(OptionError::InvalidValue);
                };
                Some(choice_idx as u64)
            }
            Kind::Flag | Kind::CppHeaders if value.is_some() => {
                return Err(OptionError::InvalidValue);
            }
            Kind::Flag => Some(1),
            Kind::ClearFlag(flag) => {
                if value.is_some() {
                    return Err(OptionError::InvalidValue);
                }
                self.values[table_index(flag)] = None;
                return Ok(());
            }
            Kind::AnyValue => Some(1),
            Kind::Text => {
                self.texts[option_idx] = Some(required()?.to_owned());
                Some(1)
            }
            Kind::Count { min } => {
                let count = optval::atoi(required()?);
                if count < min {
                    return Err(OptionError::InvalidValue);
                }
                Some(count as u64)
            }
            Kind::Registers => {
                const DIF_REGISTERS: i64 = 8;
                let count = optval::atoi(required()?);
                if count <= 0 || count > DIF_REGISTERS {
                    return Err(OptionError::InvalidValue);
                }
                if count < DIF_REGISTERS {
                    return Err(OptionError::NoRegisters);
                }
                Some(count as u64)
            }
            Kind::Version => {
                let version = optval::version(required()?).ok_or(OptionError::VersionInvalid)?;
                if !VERSIONS.contains(&version) {
                    return Err(OptionError::VersionUndefined);
                }
                if self.values[option_idx].is_some_and(|current| u64::from(version) > current) {
                    return Err(OptionError::VersionReduced);
                }
                Some(u64::from(version))
            }
            Kind::Attributes => {
                if !optval::attributes(required()?) {
                    return Err(OptionError::InvalidValue);
                }
                Some(1)
            }
            Kind::CppOption(prefix) => {
                self.cpp_args.push(format!("{prefix}{}", required()?));
                Some(1)
            }
            Kind::CppArgs => {
                self.cpp_args
                    .extend(required()?.split_ascii_whitespace().map(str::to_owned));
                Some(1)
            }
            Kind::CppHeaders => {
                if source == OptionSource::Program {
                    return Err(OptionError::BadContext);
                }
                self.cpp_args.push("-H".to_owned());
                Some(1)
            }
        };
        self.values[option_idx] = parsed;
        Ok(())
    }

    /// The stored value of option `name`: bytes, nanoseconds, a count or a choice index; `None`
    /// when unset.
    ///
    /// # Panics
    ///
    /// If no option is called `name`: callers pass names from the table, so that is a bug.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.values[table_index(name)]
    }

    /// Whether option `name` is set, which is how libdtrace reads on/off options.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The chosen name of a choice option such as `bufpolicy`, if set.
    ///
    /// # Panics
    ///
    /// If `name` is not a choice option in the table.
    pub fn choice(&self, name: &str) -> Option<&'static str> {
        let option_idx = table_index(name);
        let Kind::Choice { names, .. } = OPTIONS[option_idx].kind else {
            panic!("`{name}` is not a choice option");
        };
        let choice_idx = self.values[option_idx]?;
        names.get(choice_idx as usize).copied()
    }

    /// The text of a path or word option such as `cpppath`, if set.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.texts[table_index(name)].as_deref()
    }

    /// The preprocessor arguments from `-D`, `-U`, `-I`, `-H` and their options, in order.
    pub fn cpp_args(&self) -> &[String] {
        &self.cpp_args
    }

    /// `quiet` (`-q`): print only what the program traces.
    pub fn quiet(&self) -> bool {
        self.is_set("quiet")
    }

    /// `destructive` (`-w`): permit destructive actions.
    pub fn destructive(&self) -> bool {
        self.is_set("destructive")
    }

    /// `flowindent` (`-F`): indent output by function entry and return.
    pub fn flowindent(&self) -> bool {
        self.is_set("flowindent")
    }

    /// `zdefs` (`-Z`): permit probe descriptions that match no probe.
    pub fn zdefs(&self) -> bool {
        self.is_set("zdefs")
    }

    /// `errtags`: print `[D_TAG] ` in compiler errors.
    pub fn errtags(&self) -> bool {
        self.is_set("errtags")
    }

    /// `strsize`: the size of a D string in bytes.
    pub fn strsize(&self) -> u64 {
        self.get("strsize").unwrap_or(256)
    }

    /// `bufsize` (`-b`): the trace buffer size in bytes.
    pub fn bufsize(&self) -> u64 {
        self.get("bufsize").unwrap_or(4 * MIB)
    }

    /// `oformat` (`-O`): dtrace's text or JSON Lines.
    pub fn output_format(&self) -> OutputFormat {
        match self.choice("oformat") {
            Some("json") => OutputFormat::Json,
            _ => OutputFormat::Text,
        }
    }

    /// `fbtmode`: how `fbt` probes attach, forced or left to the kernel's capabilities.
    pub fn fbt_mode(&self) -> FbtMode {
        match self.choice("fbtmode") {
            Some("fentry") => FbtMode::Fentry,
            Some("kprobe") => FbtMode::Kprobe,
            Some("kprobe-multi") => FbtMode::KprobeMulti,
            _ => FbtMode::Auto,
        }
    }

    /// `uprobemode`: how `pid` and USDT probes attach, forced or left to the kernel.
    pub fn uprobe_mode(&self) -> UprobeMode {
        match self.choice("uprobemode") {
            Some("single") => UprobeMode::Single,
            Some("multi") => UprobeMode::Multi,
            _ => UprobeMode::Auto,
        }
    }

    /// `bufmode`: how records reach the consumer, forced or left to the kernel.
    pub fn buf_mode(&self) -> BufMode {
        match self.choice("bufmode") {
            Some("ring") => BufMode::Ring,
            Some("perf") => BufMode::Perf,
            _ => BufMode::Auto,
        }
    }

    /// `loopmode`: how generated loops are kept finite, forced or left to the kernel.
    pub fn loop_mode(&self) -> LoopMode {
        match self.choice("loopmode") {
            Some("may_goto") => LoopMode::MayGoto,
            Some("bounded") => LoopMode::Bounded,
            _ => LoopMode::Auto,
        }
    }

    /// `diagfmt`: how much of each compiler error to print; `auto` asks whether standard error
    /// is a terminal.
    pub fn diag_format(&self) -> DiagFormat {
        match self.choice("diagfmt") {
            Some("dtrace") => DiagFormat::Dtrace,
            Some("rich") => DiagFormat::Rich,
            _ if std::io::IsTerminal::is_terminal(&std::io::stderr()) => DiagFormat::Rich,
            _ => DiagFormat::Dtrace,
        }
    }

    /// `version`: the D version scripts are compiled for, as `DT_VERSION_NUMBER` encodes it.
    pub fn version(&self) -> u32 {
        self.get("version")
            .and_then(|version| u32::try_from(version).ok())
            .unwrap_or(LATEST_VERSION)
    }
}

/// The position of option `name` in `OPTIONS`; the name comes from code, so a miss is a bug.
fn table_index(name: &str) -> usize {
    match OPTIONS.iter().position(|def| def.name == name) {
        Some(option_idx) => option_idx,
        None => panic!("`{name}` is not in the option table"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: Option<&str>) -> Result<Options, OptionError> {
        let mut options = Options::default();
        options.set(name, value)?;
        Ok(options)
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in OPTIONS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn every_libdtrace_option_is_known() {
        let libdtrace = [
            "aggpercpu",
            "amin",
            "argref",
            "core",
            "cpp",
            "cppargs",
            "cpphdrs",
            "cpppath",
            "ctypes",
            "ctfpath",
            "defaultargs",
            "debug",
            "debugassert",
            "define",
            "disasm",
            "dofstashpath",
            "droptags",
            "dtypes",
            "empty",
            "errtags",
            "evaltime",
            "incdir",
            "iregs",
            "kdefs",
            "knodefs",
            "late",
            "lazyload",
            "ldpath",
            "libdir",
            "linkmode",
            "linktype",
            "linknommap",
            "modpath",
            "nolibs",
            "pgmax",
            "preallocate",
            "procfspath",
            "pspec",
            "stdc",
            "strip",
            "syslibdir",
            "sysslice",
            "tree",
            "tregs",
            "udefs",
            "undef",
            "unodefs",
            "useruid",
            "verbose",
            "version",
            "zdefs",
            "aggsize",
            "bpflog",
            "bpflogsize",
            "bufsize",
            "bufpolicy",
            "bufresize",
            "cleanrate",
            "cpu",
            "destructive",
            "dynvarsize",
            "grabanon",
            "jstackframes",
            "jstackstrsize",
            "lockmem",
            "maxframes",
            "nspec",
            "pcapsize",
            "scratchsize",
            "specsize",
            "stackframes",
            "statusrate",
            "strsize",
            "ustackframes",
            "noresolve",
            "aggrate",
            "aggsortkey",
            "aggsortkeypos",
            "aggsortpos",
            "aggsortrev",
            "flowindent",
            "quiet",
            "quietresize",
            "rawbytes",
            "stackindent",
            "switchrate",
            "printsize",
        ];
        for name in libdtrace {
            assert!(
                OPTIONS.iter().any(|def| def.name == name),
                "{name} is missing"
            );
        }
        assert_eq!(
            OPTIONS.len(),
            libdtrace.len() + 8,
            "only bufmode, diagfmt, fbtmode, flamegraph, loopmode, stackfmt and uprobemode (ours) and oformat (FreeBSD's libdtrace) are not Oracle's"
        );
    }

    #[test]
    fn defaults_mirror_libdtrace() {
        let options = Options::default();
        assert_eq!(options.strsize(), 256);
        assert_eq!(options.bufsize(), 4 * MIB);
        assert_eq!(options.get("aggsize"), Some(4 * MIB));
        assert_eq!(options.get("nspec"), Some(1));
        assert_eq!(options.get("statusrate"), Some(NANOS_PER_SEC));
        assert_eq!(options.get("pcapsize"), Some(128));
        assert_eq!(options.version(), 0x0200_0001);
        assert!(!options.quiet());
        assert_eq!(options.choice("diagfmt"), Some("auto"));
        assert_eq!(options.choice("oformat"), Some("text"));
    }

    #[test]
    fn unknown_name_is_rejected() {
        assert_eq!(set("bogus", None), Err(OptionError::InvalidName));
        assert_eq!(set("", Some("1")), Err(OptionError::InvalidName));
        assert_eq!(set("QUIET", None), Err(OptionError::InvalidName));
    }

    #[test]
    fn runtime_options_take_words_and_numbers() {
        assert!(set("quiet", None).unwrap().quiet());
        assert!(!set("quiet", Some("no")).unwrap().quiet());
        // As in libdtrace, any number sets an on/off option, even 0.
        assert!(set("quiet", Some("0")).unwrap().quiet());
        assert_eq!(set("nspec", Some("4")).unwrap().get("nspec"), Some(4));
        assert_eq!(set("nspec", Some("-72")), Err(OptionError::InvalidValue));
    }

    #[test]
    fn sizes_store_bytes() {
        assert_eq!(set("bufsize", Some("2m")).unwrap().bufsize(), 2 * MIB);
        assert_eq!(
            set("dynvarsize", Some("4k")).unwrap().get("dynvarsize"),
            Some(4096)
        );
        assert_eq!(set("bufsize", None).unwrap().bufsize(), 0);
        assert_eq!(set("bufsize", Some("-1")), Err(OptionError::InvalidValue));
        assert_eq!(
            set("scratchsize", Some("1")).unwrap().get("scratchsize"),
            Some(16)
        );
        assert_eq!(
            set("pcapsize", Some("70000")).unwrap().get("pcapsize"),
            Some(128)
        );
        assert_eq!(
            set("printsize", Some("13")).unwrap().get("printsize"),
            Some(16)
        );
        assert_eq!(
            set("lockmem", Some("unlimited")).unwrap().get("lockmem"),
            Some(u64::MAX)
        );
        assert_eq!(set("lockmem", None), Err(OptionError::InvalidValue));
    }

    #[test]
    fn strsize_has_limits() {
        assert_eq!(set("strsize", Some("1")), Err(OptionError::InvalidValue));
        assert_eq!(set("strsize", Some("2")).unwrap().strsize(), 2);
        assert_eq!(set("strsize", Some("4g")), Err(OptionError::Overflow));
    }

    #[test]
    fn rates_store_nanoseconds() {
        assert_eq!(
            set("switchrate", Some("10hz")).unwrap().get("switchrate"),
            Some(100_000_000)
        );
        assert_eq!(
            set("aggrate", Some("2ms")).unwrap().get("aggrate"),
            Some(2_000_000)
        );
        assert_eq!(set("cleanrate", Some("2x")), Err(OptionError::InvalidValue));
    }

    #[test]
    fn choices_need_a_listed_name() {
        let options = set("bufpolicy", Some("fill")).unwrap();
        assert_eq!(options.choice("bufpolicy"), Some("fill"));
        assert_eq!(
            set("bufpolicy", Some("FILL")),
            Err(OptionError::InvalidValue)
        );
        assert_eq!(set("bufpolicy", None), Err(OptionError::InvalidValue));
        assert_eq!(
            set("linktype", Some("ELF")).unwrap().choice("linktype"),
            Some("elf")
        );
        assert_eq!(set("stdc", Some("X")), Err(OptionError::InvalidValue));
        let options = set("diagfmt", Some("dtrace")).unwrap();
        assert_eq!(options.diag_format(), DiagFormat::Dtrace);
    }

    #[test]
    fn flags_take_no_value() {
        assert!(set("errtags", None).unwrap().errtags());
        assert!(set("zdefs", None).unwrap().zdefs());
        assert_eq!(set("errtags", Some("1")), Err(OptionError::InvalidValue));
        assert!(
            set("droptags", Some("anything"))
                .unwrap()
                .is_set("droptags")
        );
        let mut options = set("knodefs", None).unwrap();
        options.set("kdefs", None).unwrap();
        assert!(!options.is_set("knodefs"));
    }

    #[test]
    fn texts_and_counts_need_a_value() {
        assert_eq!(
            set("cpppath", Some("/bin/cat")).unwrap().text("cpppath"),
            Some("/bin/cat")
        );
        assert_eq!(set("cpppath", None), Err(OptionError::InvalidValue));
        assert_eq!(set("tree", Some("0")), Err(OptionError::InvalidValue));
        assert_eq!(set("disasm", Some("3")).unwrap().get("disasm"), Some(3));
        assert_eq!(set("iregs", Some("9")), Err(OptionError::InvalidValue));
        assert_eq!(set("iregs", Some("7")), Err(OptionError::NoRegisters));
        assert!(set("iregs", Some("8")).is_ok());
        assert_eq!(set("amin", Some("Solid")), Err(OptionError::InvalidValue));
    }

    #[test]
    fn versions_may_only_go_down() {
        assert_eq!(
            set("version", Some("99.1")),
            Err(OptionError::VersionUndefined)
        );
        assert_eq!(
            set("version", Some("1.x")),
            Err(OptionError::VersionInvalid)
        );
        let mut options = set("version", Some("1.6")).unwrap();
        assert_eq!(options.version(), 0x0100_6000);
        assert_eq!(
            options.set("version", Some("2.0")),
            Err(OptionError::VersionReduced)
        );
    }

    #[test]
    fn preprocessor_options_build_cpp_arguments_in_order() {
        let mut options = Options::default();
        options.set("define", Some("X=1")).unwrap();
        options.set("cpphdrs", None).unwrap();
        options.set("incdir", Some("inc")).unwrap();
        options.set("cppargs", Some(" -dM  -P")).unwrap();
        options.set("undef", Some("Y")).unwrap();
        assert_eq!(
            options.cpp_args(),
            ["-DX=1", "-H", "-Iinc", "-dM", "-P", "-UY"]
        );
        assert_eq!(options.set("define", None), Err(OptionError::InvalidValue));
    }

    #[test]
    fn a_program_may_not_set_preprocessor_or_path_options() {
        let mut options = Options::default();
        let from_program = OptionSource::Program;
        assert_eq!(
            options.set_from(from_program, "define", Some("X")),
            Err(OptionError::BadContext)
        );
        assert_eq!(
            options.set_from(from_program, "cpphdrs", None),
            Err(OptionError::BadContext)
        );
        assert_eq!(
            options.set_from(from_program, "modpath", Some("/x")),
            Err(OptionError::BadContext)
        );
        assert!(options.set_from(from_program, "quiet", None).is_ok());
        assert!(options.cpp_args().is_empty());
    }

    #[test]
    fn debug_shows_set_options_by_name() {
        let options = set("quiet", None).unwrap();
        let text = format!("{options:?}");
        assert!(text.contains("\"quiet\": 0"), "{text}");
        assert!(!text.contains("flowindent"), "{text}");
    }

    #[test]
    fn later_settings_override_earlier_ones() {
        let mut options = Options::default();
        options.set("quiet", None).unwrap();
        options.set("quiet", Some("no")).unwrap();
        assert!(!options.quiet());
    }
}

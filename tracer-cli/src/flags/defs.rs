//! One entry per command-line flag: its spelling, what it takes and its help text.
//!
//! The table is the only place a flag is declared. `lowargs` builds the clap parser from it and
//! [`usage`] prints the help from it, so the parser and the help cannot drift apart.

use std::fmt::Write as _;

/// Which flag an entry is; `lowargs` matches on it to record each occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FlagId {
    BufSize,
    Command,
    Cpp,
    Define,
    CompileOnly,
    Function,
    FlowIndent,
    Help,
    CppHeaders,
    ProbeId,
    Include,
    List,
    Module,
    Name,
    Output,
    OutputFormat,
    Pid,
    Provider,
    Quiet,
    Script,
    Intermediate,
    Undefine,
    Verbose,
    Version,
    Destructive,
    SetOption,
    ZeroMatches,
    Dump,
    SelfTest,
    Daemon,
    Local,
    Attach,
}

/// One flag.
pub(crate) struct Flag {
    pub(crate) id: FlagId,
    /// The clap id, unique in the table.
    pub(crate) key: &'static str,
    pub(crate) short: Option<char>,
    pub(crate) long: Option<&'static str>,
    /// The value's name in the usage text, or `None` for a switch.
    pub(crate) value_name: Option<&'static str>,
    /// A program source (`-n`, `-P`, ...), shown on its own usage line with a clause.
    pub(crate) source: bool,
    pub(crate) help: &'static str,
}

const fn switch(id: FlagId, key: &'static str, short: char, help: &'static str) -> Flag {
    Flag {
        id,
        key,
        short: Some(short),
        long: None,
        value_name: None,
        source: false,
        help,
    }
}

const fn value(
    id: FlagId,
    key: &'static str,
    short: char,
    value_name: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        id,
        key,
        short: Some(short),
        long: None,
        value_name: Some(value_name),
        source: false,
        help,
    }
}

const fn source(
    id: FlagId,
    key: &'static str,
    short: char,
    value_name: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        id,
        key,
        short: Some(short),
        long: None,
        value_name: Some(value_name),
        source: true,
        help,
    }
}

/// Every flag, in the order the help lists them (dtrace's: by letter, capital first).
pub(crate) const FLAGS: &[Flag] = &[
    value(
        FlagId::BufSize,
        "b",
        'b',
        "bufsz",
        "set the trace buffer size (-x bufsize)",
    ),
    value(
        FlagId::Command,
        "c",
        'c',
        "cmd",
        "run a command, trace it as $target and exit when it exits",
    ),
    switch(
        FlagId::Cpp,
        "C",
        'C',
        "run the C preprocessor cpp(1) on scripts (-x cpp)",
    ),
    value(
        FlagId::Define,
        "D",
        'D',
        "name[=def]",
        "define a symbol for the preprocessor (-x define)",
    ),
    switch(
        FlagId::CompileOnly,
        "e",
        'e',
        "exit after compiling, before enabling any probe",
    ),
    source(
        FlagId::Function,
        "f",
        'f',
        "[[ provider: ] module: ] func",
        "enable or list the probes of a function",
    ),
    switch(
        FlagId::FlowIndent,
        "F",
        'F',
        "indent output at function entry and return (-x flowindent)",
    ),
    Flag {
        id: FlagId::Help,
        key: "help",
        short: Some('h'),
        long: Some("help"),
        value_name: None,
        source: false,
        help: "print this help and exit",
    },
    switch(
        FlagId::CppHeaders,
        "H",
        'H',
        "print the names of included files to stderr (-x cpphdrs)",
    ),
    source(
        FlagId::ProbeId,
        "i",
        'i',
        "probe-id",
        "enable or list the probe with this id",
    ),
    value(
        FlagId::Include,
        "I",
        'I',
        "path",
        "add a directory to the preprocessor's search path (-x incdir)",
    ),
    switch(
        FlagId::List,
        "l",
        'l',
        "list the matching probes, or every probe, and exit",
    ),
    source(
        FlagId::Module,
        "m",
        'm',
        "[ provider: ] module",
        "enable or list the probes of a module",
    ),
    source(
        FlagId::Name,
        "n",
        'n',
        "[[[ provider: ] module: ] func: ] name",
        "enable or list the probes matching a description",
    ),
    value(
        FlagId::Output,
        "o",
        'o',
        "output",
        "append the trace output to a file",
    ),
    value(
        FlagId::OutputFormat,
        "O",
        'O',
        "text|json",
        "choose the output format: dtrace's text or JSON Lines (docs/json.md)",
    ),
    value(
        FlagId::Pid,
        "p",
        'p',
        "pid",
        "trace a running process as $target and exit when it exits",
    ),
    source(
        FlagId::Provider,
        "P",
        'P',
        "provider",
        "enable or list the probes of a provider",
    ),
    switch(
        FlagId::Quiet,
        "q",
        'q',
        "print only what the program traces (-x quiet)",
    ),
    value(
        FlagId::Script,
        "s",
        's',
        "script",
        "compile and enable a D script",
    ),
    switch(
        FlagId::Intermediate,
        "S",
        'S',
        "print the compiler's intermediate code and eBPF",
    ),
    value(
        FlagId::Undefine,
        "U",
        'U',
        "name",
        "undefine a symbol for the preprocessor (-x undef)",
    ),
    switch(FlagId::Verbose, "v", 'v', "report more detail"),
    switch(FlagId::Version, "V", 'V', "print the version and exit"),
    switch(
        FlagId::Destructive,
        "w",
        'w',
        "permit destructive actions (-x destructive)",
    ),
    value(
        FlagId::SetOption,
        "x",
        'x',
        "opt[=val]",
        "set a compiler or tracing option",
    ),
    switch(
        FlagId::ZeroMatches,
        "Z",
        'Z',
        "permit descriptions that match no probe (-x zdefs)",
    ),
    Flag {
        id: FlagId::Dump,
        key: "dump",
        short: None,
        long: Some("dump"),
        value_name: Some("tokens|ast|typed"),
        source: false,
        help: "print the program as tokens, syntax tree or typed tree",
    },
    Flag {
        id: FlagId::SelfTest,
        key: "self-test",
        short: None,
        long: Some("self-test"),
        value_name: None,
        source: false,
        help: "print how each provider attaches here (see -x fbtmode)",
    },
    Flag {
        id: FlagId::Daemon,
        key: "daemon",
        short: None,
        long: Some("daemon"),
        value_name: Some("path"),
        source: false,
        help: "trace through the tracerd listening on this socket",
    },
    Flag {
        id: FlagId::Local,
        key: "local",
        short: None,
        long: Some("local"),
        value_name: None,
        source: false,
        help: "run the engine in this process, even when tracerd listens",
    },
    Flag {
        id: FlagId::Attach,
        key: "attach",
        short: None,
        long: Some("attach"),
        value_name: Some("name"),
        source: false,
        help: "print what a tracerd standing script or session traces",
    },
];

/// The help text, in dtrace's layout: a synopsis, the program-source forms, then one line per
/// flag.
pub fn usage() -> String {
    const CLAUSE: &str = "[[ predicate ] action ]";
    let switches: String = FLAGS
        .iter()
        .filter(|flag| flag.value_name.is_none())
        .filter_map(|flag| flag.short)
        .collect();
    let mut words = vec![format!("[-{switches}]")];
    for flag in FLAGS.iter().filter(|flag| !flag.source) {
        match (flag.value_name, flag.short, flag.long) {
            (Some(value_name), Some(short), _) => words.push(format!("[-{short} {value_name}]")),
            (Some(value_name), None, Some(long)) => words.push(format!("[--{long}={value_name}]")),
            _ => {}
        }
    }
    let mut out = String::from("Usage: tracer");
    let mut column = out.len();
    for word in words {
        if column + 1 + word.len() > 72 {
            out.push_str("\n\t");
            column = 8;
        } else {
            out.push(' ');
            column += 1;
        }
        column += word.len();
        out.push_str(&word);
    }
    out.push_str("\n\n");
    // dtrace lists the sources from the widest match to the narrowest.
    let order = [
        FlagId::Provider,
        FlagId::Module,
        FlagId::Function,
        FlagId::Name,
        FlagId::ProbeId,
    ];
    let sources: Vec<&Flag> = order
        .iter()
        .filter_map(|id| FLAGS.iter().find(|flag| flag.id == *id && flag.source))
        .collect();
    for (source_idx, flag) in sources.iter().enumerate() {
        let short = flag.short.unwrap_or('?');
        let value_name = flag.value_name.unwrap_or_default();
        let args = if source_idx + 1 == sources.len() {
            " [ args ... ]"
        } else {
            ""
        };
        let _ = writeln!(out, "\t[-{short} {value_name} {CLAUSE}]{args}");
    }
    out.push_str("\n\tpredicate -> '/' D-expression '/'\n\t   action -> '{' D-statements '}'\n\n");
    for flag in FLAGS {
        let name = match (flag.short, flag.long, flag.value_name) {
            (Some(short), _, _) => format!("-{short}"),
            (None, Some(long), Some(value_name)) => format!("--{long}={value_name}"),
            (None, Some(long), None) => format!("--{long}"),
            (None, None, _) => continue,
        };
        let _ = writeln!(out, "\t{name:<3} {}", flag.help);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_letters_are_unique() {
        for (flag_idx, flag) in FLAGS.iter().enumerate() {
            for other in &FLAGS[flag_idx + 1..] {
                assert_ne!(flag.key, other.key);
                assert!(
                    flag.short.is_none() || flag.short != other.short,
                    "-{:?}",
                    flag.short
                );
                assert!(
                    flag.long.is_none() || flag.long != other.long,
                    "--{:?}",
                    flag.long
                );
            }
        }
    }

    #[test]
    fn usage_lists_every_flag() {
        let text = usage();
        assert!(
            text.starts_with("Usage: tracer [-CeFhHlqSvVwZ] [-b bufsz] [-c cmd]"),
            "{text}"
        );
        for flag in FLAGS {
            assert!(text.contains(flag.help), "{}", flag.key);
        }
        assert!(
            text.contains(
                "\t[-n [[[ provider: ] module: ] func: ] name [[ predicate ] action ]]\n"
            )
        );
        assert!(text.contains("\t[-i probe-id [[ predicate ] action ]] [ args ... ]\n"));
        assert!(text.contains("\t--dump=tokens|ast|typed print the program"));
        assert_eq!(
            text.matches("[[ predicate ] action ]]").count(),
            FLAGS.iter().filter(|flag| flag.source).count()
        );
        for line in text.lines() {
            assert!(line.len() <= 80, "{line}");
        }
    }
}

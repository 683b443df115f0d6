//! `-l`: the probe list, in dtrace's columns.
//!
//! dtrace prints a header, then one line per probe with the ID and the four names right-aligned in
//! columns of 5, 10, 17 and 33 characters and the name last; a longer name pushes the rest of its
//! line to the right rather than being cut.

use std::fmt::Write as _;

use d_frontend::provider::stability::{Attributes, probe_attributes};
use d_frontend::provider::{ArgType, Probe};

/// The column header, newline included.
pub fn list_header() -> String {
    format!(
        "{:>5} {:>10} {:>17} {:>33} {}\n",
        "ID", "PROVIDER", "MODULE", "FUNCTION", "NAME"
    )
}

/// One probe's line, newline included.
pub fn list_line(probe: &Probe) -> String {
    let desc = &probe.desc;
    format!(
        "{:>5} {:>10} {:>17} {:>33} {}\n",
        probe.id, desc.provider, desc.module, desc.function, desc.name
    )
}

/// What `-lv` prints after a probe's line: its description's and arguments' stability and its
/// argument types, in dtrace's layout.
pub fn probe_info(probe: &Probe) -> String {
    let (description, args) = probe_attributes(&probe.desc.provider);
    let mut text = String::new();
    let mut attributes = |title: &str, attributes: Attributes| {
        let _ = write!(
            text,
            "\n\t{title}\n\t\tIdentifier Names: {}\n\t\tData Semantics:   {}\n\t\tDependency Class: {}\n",
            attributes.names, attributes.data, attributes.class
        );
    };
    attributes("Probe Description Attributes", description);
    attributes("Argument Attributes", args);
    text.push_str("\n\tArgument Types\n");
    for (arg_idx, arg) in probe.args.iter().enumerate() {
        // As dtrace, a translated argument shows the type args[] has, not the native one.
        match &arg.ty {
            ArgType::Translated { output, .. } => {
                let _ = writeln!(text, "\t\targs[{arg_idx}]: {output} *");
            }
            _ => {
                let _ = writeln!(text, "\t\targs[{arg_idx}]: {}", arg.native);
            }
        }
    }
    if probe.args.is_empty() {
        text.push_str("\t\tNone\n");
    }
    text.push('\n');
    text
}

/// What dtrace prints on stderr for a description that matches nothing under `-l` (which implies
/// `-Z`, so it is not an error); `desc` has every field present.
pub fn no_match_message(program: &str, desc: &str) -> String {
    format!("{program}: failed to match {desc}: No probe matches description\n")
}

#[cfg(test)]
mod tests {
    use d_frontend::provider::{ProbeDesc, ProbeKind};

    use super::*;

    #[test]
    fn columns_match_dtrace() {
        assert_eq!(
            list_header(),
            "   ID   PROVIDER            MODULE                          FUNCTION NAME\n"
        );
        let probe = Probe {
            id: 17,
            desc: ProbeDesc::parse("syscall:vmlinux:read:entry").unwrap(),
            kind: ProbeKind::SyscallEntry { nr: 0 },
            args: Vec::new(),
            sources: Vec::new(),
            uprobes: Vec::new(),
        };
        assert_eq!(
            list_line(&probe),
            "   17    syscall           vmlinux                              read entry\n"
        );
        let begin = Probe {
            id: 1,
            desc: ProbeDesc::parse("dtrace:::BEGIN").unwrap(),
            kind: ProbeKind::Begin,
            args: Vec::new(),
            sources: Vec::new(),
            uprobes: Vec::new(),
        };
        assert_eq!(
            list_line(&begin),
            "    1     dtrace                                                     BEGIN\n"
        );
    }

    #[test]
    fn verbose_info_has_attributes_and_argument_types() {
        let probe = Probe {
            id: 40,
            desc: ProbeDesc::parse("sched:vmlinux::off-cpu").unwrap(),
            kind: ProbeKind::Dependent,
            args: vec![
                d_frontend::provider::ProbeArg {
                    native: "struct task_struct *".to_owned(),
                    name: String::new(),
                    ty: ArgType::Translated {
                        input: "struct task_struct".to_owned(),
                        output: "lwpsinfo_t".to_owned(),
                    },
                    fetch: d_frontend::provider::ArgFetch::Slot,
                },
                d_frontend::provider::ProbeArg {
                    native: "int".to_owned(),
                    name: String::new(),
                    ty: ArgType::Int {
                        size: 4,
                        signed: true,
                    },
                    fetch: d_frontend::provider::ArgFetch::Slot,
                },
            ],
            sources: Vec::new(),
            uprobes: Vec::new(),
        };
        assert_eq!(
            probe_info(&probe),
            "
\tProbe Description Attributes
\t\tIdentifier Names: Private
\t\tData Semantics:   Private
\t\tDependency Class: Unknown

\tArgument Attributes
\t\tIdentifier Names: Evolving
\t\tData Semantics:   Evolving
\t\tDependency Class: ISA

\tArgument Types
\t\targs[0]: lwpsinfo_t *
\t\targs[1]: int

"
        );
    }

    #[test]
    fn long_names_push_the_line_right() {
        let probe = Probe {
            id: 123_456,
            desc: ProbeDesc::parse("tracepoint:sched::sched_switch").unwrap(),
            kind: ProbeKind::Tracepoint,
            args: Vec::new(),
            sources: Vec::new(),
            uprobes: Vec::new(),
        };
        assert_eq!(
            list_line(&probe),
            "123456 tracepoint             sched                                   sched_switch\n"
        );
    }
}

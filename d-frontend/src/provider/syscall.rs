//! The `syscall` provider: `syscall:vmlinux:NAME:entry` and `:return` for every system call.
//!
//! All of them are served by two programs on the raw tracepoints `sys_enter`/`sys_exit`, which look the
//! syscall number up in a map; so a wildcard costs the same as one probe.

use super::TracepointField;
use super::{ArgFetch, ArgType, MAX_ARGS, Probe, ProbeArg, ProbeDesc, ProbeKind, SyscallInfo};
use crate::types::Type;
use crate::types::{d_typedef, integer_type_name};

/// The syscall probes matching `desc`, in ID order; the first syscall's probes have IDs
/// `first_id` and `first_id + 1`.
pub(super) fn matching(desc: &ProbeDesc, syscalls: &[SyscallInfo], first_id: u32) -> Vec<Probe> {
    let mut probes = Vec::new();
    for (syscall_idx, syscall) in syscalls.iter().enumerate() {
        let entry_id = first_id + 2 * syscall_idx as u32;
        for (id, name, kind) in [
            (
                entry_id,
                "entry",
                ProbeKind::SyscallEntry { nr: syscall.nr },
            ),
            (
                entry_id + 1,
                "return",
                ProbeKind::SyscallReturn { nr: syscall.nr },
            ),
        ] {
            if desc.matches("syscall", "vmlinux", &syscall.name, name) {
                probes.push(Probe {
                    id,
                    desc: ProbeDesc {
                        provider: "syscall".to_string(),
                        module: "vmlinux".to_string(),
                        function: syscall.name.clone(),
                        name: name.to_string(),
                    },
                    kind,
                    args: Vec::new(),
                    sources: Vec::new(),
                    uprobes: Vec::new(),
                });
            }
        }
    }
    probes
}
/// The arguments of an entry probe: the fields of its `sys_enter_NAME` event after
/// `__syscall_nr`, typed by their declarations (the format file gives every one 8 bytes). The
/// trampoline has put them in `arg0..arg5` from the registers already.
pub(super) fn entry_args(fields: &[TracepointField]) -> Vec<ProbeArg> {
    fields
        .iter()
        .filter(|field| field.name != "__syscall_nr")
        .take(MAX_ARGS)
        .map(|field| ProbeArg {
            native: field.declaration.clone(),
            name: field.name.clone(),
            ty: declared_type(&field.declaration),
            fetch: ArgFetch::Slot,
        })
        .collect()
}

/// The arguments of a return probe: `args[0]` and `args[1]` are both the return value, a `long`.
pub(super) fn return_args() -> Vec<ProbeArg> {
    let ret = ProbeArg {
        native: "long".to_string(),
        name: "ret".to_string(),
        ty: ArgType::Int {
            size: 8,
            signed: true,
        },
        fetch: ArgFetch::Slot,
    };
    vec![ret.clone(), ret]
}

/// The D type of a syscall argument's C declaration: a pointer, an integer C or D can name, or a
/// kernel typedef read as a `long`.
fn declared_type(declaration: &str) -> ArgType {
    if let Some(pointee) = declaration.trim().strip_suffix('*') {
        return ArgType::Pointer {
            pointee: pointee.trim().to_string(),
        };
    }
    let words: Vec<&str> = declaration
        .split_whitespace()
        .filter(|word| !matches!(*word, "const" | "volatile"))
        .collect();
    let named = match words.as_slice() {
        [name] => d_typedef(name),
        _ => None,
    };
    match named.or_else(|| integer_type_name(&words).and_then(Result::ok)) {
        Some(Type::Int { size, signed }) => ArgType::Int {
            size: u32::from(size),
            signed,
        },
        _ => ArgType::Int {
            size: 8,
            signed: true,
        },
    }
}

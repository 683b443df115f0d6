//! The `syscall` provider: `syscall:vmlinux:NAME:entry` and `:return` for every system call.
//!
//! All of them are served by two programs on the raw tracepoints `sys_enter`/`sys_exit`, which look the
//! syscall number up in a map; so a wildcard costs the same as one probe.

use super::{Probe, ProbeDesc, ProbeKind, SyscallInfo};

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
                });
            }
        }
    }
    probes
}

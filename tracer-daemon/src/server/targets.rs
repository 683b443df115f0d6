//! The processes a client's session probes with `pid` and USDT probes.
//!
//! The client named the files of its processes as it sees them, and the daemon may not see the
//! same tree (systemd gives it a private `/tmp`, a client may run in a container), so each
//! uprobe attaches to its file through the root of the process it fires in,
//! `/proc/PID/root/PATH`, which the kernel resolves in that process's mount namespace.
//!
//! The processes are checked once more after the probes are attached: a process that executed a
//! setuid program between the compile's check and the attaching is no longer the client's, and
//! the session is refused. A later such `execve` drops the probes itself, as the kernel removes a
//! process's perf events when it crosses a security domain.

use tracer_ebpf::plan::{Attach, CompiledProgram};

use super::auth;

/// Makes every uprobe of `program` attach through the root of the process it fires in.
pub(super) fn in_process_roots(program: &mut CompiledProgram) {
    for plan in &mut program.programs {
        if let Attach::Uprobe { sites, .. } = &mut plan.attach {
            for site in sites {
                if site.path.starts_with('/') {
                    site.path = format!("/proc/{}/root{}", site.pid, site.path);
                }
            }
        }
    }
}

/// The first process `program` probes that user `uid` may not trace, if any.
pub(super) fn untraceable(program: &CompiledProgram, uid: u32) -> Option<u32> {
    program
        .programs
        .iter()
        .filter_map(|plan| match &plan.attach {
            Attach::Uprobe { sites, .. } => Some(sites),
            _ => None,
        })
        .flatten()
        .map(|site| site.pid)
        .find(|&pid| !auth::may_trace(uid, pid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracer_ebpf::plan::{ProgramPlan, UprobeAttach};

    fn program(pids: &[u32]) -> CompiledProgram {
        let sites = pids
            .iter()
            .map(|&pid| UprobeAttach {
                pid,
                path: "/tmp/prog".to_owned(),
                file_offset: 0x1139,
                semaphore_offset: 0,
                cookie: 7,
            })
            .collect();
        CompiledProgram {
            programs: vec![
                ProgramPlan {
                    name: "uprobe_7".to_owned(),
                    attach: Attach::Uprobe {
                        is_return: false,
                        sites,
                        multi: true,
                    },
                },
                ProgramPlan {
                    name: "begin".to_owned(),
                    attach: Attach::Begin,
                },
            ],
            elf: Vec::new(),
            map_inits: Vec::new(),
            probes: Vec::new(),
            records: Vec::new(),
            aggregations: Vec::new(),
            events_map: "events".to_owned(),
            events_bufsize: 4096,
            stats_map: "stats".to_owned(),
            speculations: None,
        }
    }

    #[test]
    fn uprobes_attach_through_their_process_root() {
        let mut compiled = program(&[42, 43]);
        in_process_roots(&mut compiled);
        let Attach::Uprobe { sites, .. } = &compiled.programs[0].attach else {
            panic!("the first program is a uprobe");
        };
        let paths: Vec<&str> = sites.iter().map(|site| site.path.as_str()).collect();
        assert_eq!(paths, ["/proc/42/root/tmp/prog", "/proc/43/root/tmp/prog"]);
        assert_eq!(sites[0].file_offset, 0x1139);
    }

    #[test]
    fn only_the_users_own_processes_are_traceable() {
        let this = std::process::id();
        assert_eq!(untraceable(&program(&[this]), 0), None);
        // The tests run as root, so this process is not user 65534's.
        assert_eq!(untraceable(&program(&[this]), 65534), Some(this));
        assert_eq!(untraceable(&program(&[]), 65534), None);
    }
}

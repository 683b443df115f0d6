//! The kernel facts besides `fbt`'s: whether each facility `tracer` builds on is there, found by
//! trying it the cheapest way (creating a tiny map, opening a counting perf event, loading a
//! three-instruction program) and undoing it at once. The facts are cached for the boot with the
//! rest ([`super::cache`]); the process's privileges are not, as they belong to the process.

use std::ffi::CString;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::Path;

use aya_obj::generated::{
    bpf_attach_type, bpf_attr, bpf_cmd, bpf_map_type, bpf_prog_type, perf_event_attr,
};

/// The tracepoint whose perf event is opened to prove tracepoints attach.
const PROBE_TRACEPOINT: &str = "/sys/kernel/tracing/events/sched/sched_switch/id";
/// `bpf_get_current_task_btf`'s helper number (Linux 5.11).
const BPF_FUNC_GET_CURRENT_TASK_BTF: u64 = 158;
/// `r0 = 0`.
const R0_IS_0: u64 = 0x0000_0000_0000_00b7;
/// `exit`.
const EXIT: u64 = 0x0000_0000_0000_0095;

/// What trying something gave: it worked, or the kernel refused it with an errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Works,
    /// It failed with this errno.
    Fails(i32),
}

impl Outcome {
    /// Whether it worked.
    pub fn works(self) -> bool {
        self == Outcome::Works
    }

    fn of<T>(result: Result<T, i32>) -> Outcome {
        result.map_or_else(Outcome::Fails, |_| Outcome::Works)
    }
}

/// What was found out about the kernel's facilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelFacts {
    /// Creating a one-element array map with `bpf(2)`.
    pub bpf_syscall: Outcome,
    /// Whether `/sys/kernel/btf/vmlinux` parses.
    pub btf: bool,
    /// Whether tracefs is mounted at `/sys/kernel/tracing`.
    pub tracefs: bool,
    /// Opening the `sched:sched_switch` tracepoint's perf event.
    pub tracepoints: Outcome,
    /// Whether the `uprobe` perf event source exists.
    pub uprobes: bool,
    /// Opening a counting `cpu-clock` perf event on this thread.
    pub perf_events: Outcome,
    /// Creating a one-page `BPF_MAP_TYPE_RINGBUF` map (Linux 5.8).
    pub ringbuf: Outcome,
    /// Loading a tracepoint program that calls `bpf_get_current_task_btf`.
    pub current_task_btf: Outcome,
    /// Whether uprobe-multi links attach and filter by process (Linux 6.6, whose first
    /// versions filtered by thread), found by [`probe_uprobe_multi`].
    pub uprobe_multi: bool,
}

impl KernelFacts {
    /// Probes the running kernel; `btf` says whether its BTF parsed.
    pub fn probe(btf: bool) -> KernelFacts {
        let tracefs = Path::new("/sys/kernel/tracing/events").is_dir();
        KernelFacts {
            bpf_syscall: Outcome::of(create_map(bpf_map_type::BPF_MAP_TYPE_ARRAY, 4, 4, 1)),
            btf,
            tracefs,
            tracepoints: Outcome::of(open_tracepoint()),
            uprobes: Path::new("/sys/bus/event_source/devices/uprobe/type").exists(),
            perf_events: Outcome::of(open_cpu_clock()),
            ringbuf: Outcome::of(create_map(
                bpf_map_type::BPF_MAP_TYPE_RINGBUF,
                0,
                0,
                page_size(),
            )),
            current_task_btf: Outcome::of(load_current_task_btf()),
            uprobe_multi: probe_uprobe_multi(),
        }
    }
}

/// The process's privileges for tracing: its effective user and capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Privileges {
    /// The effective user ID.
    pub euid: u32,
    /// The effective capability set (`CapEff` in `/proc/self/status`).
    pub effective: u64,
}

/// The capabilities tracing needs, by number: loading programs and reading kernel memory.
pub const TRACING_CAPS: [(u32, &str); 3] =
    [(21, "CAP_SYS_ADMIN"), (38, "CAP_PERFMON"), (39, "CAP_BPF")];

impl Privileges {
    /// This process's privileges.
    pub fn of_this_process() -> Privileges {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        Privileges {
            // SAFETY: `geteuid` has no preconditions.
            euid: unsafe { libc::geteuid() },
            effective: Privileges::cap_eff(&status).unwrap_or(0),
        }
    }

    /// The `CapEff` mask in the text of `/proc/PID/status`.
    pub fn cap_eff(status: &str) -> Option<u64> {
        let hex = status
            .lines()
            .find_map(|line| line.strip_prefix("CapEff:"))?;
        u64::from_str_radix(hex.trim(), 16).ok()
    }

    /// The names of [`TRACING_CAPS`] this process lacks.
    pub fn missing(self) -> Vec<&'static str> {
        TRACING_CAPS
            .iter()
            .filter(|&&(bit, _)| self.effective & (1 << bit) == 0)
            .map(|&(_, name)| name)
            .collect()
    }
}

fn page_size() -> u32 {
    // SAFETY: `sysconf` has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u32::try_from(size).unwrap_or(4096)
}

/// Creates a map and closes it, or returns the errno.
fn create_map(
    map_type: bpf_map_type,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
) -> Result<(), i32> {
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_MAP_CREATE` member of a zeroed union.
    let create = unsafe { &mut attr.__bindgen_anon_1 };
    create.map_type = map_type as u32;
    create.key_size = key_size;
    create.value_size = value_size;
    create.max_entries = max_entries;
    // SAFETY: the attribute holds only numbers.
    let fd = unsafe { crate::sys::bpf("bpf_map_create", bpf_cmd::BPF_MAP_CREATE, &mut attr) }
        .map_err(|error| error.io_error.raw_os_error().unwrap_or(libc::EINVAL))?;
    // SAFETY: `fd` is the map's descriptor, which nothing else owns.
    unsafe { libc::close(fd as i32) };
    Ok(())
}

/// Opens a perf event and closes it, or returns the errno.
fn open_event(mut attr: perf_event_attr, pid: i32, cpu: i32) -> Result<(), i32> {
    attr.size = size_of::<perf_event_attr>() as u32;
    // SAFETY: `attr` holds no pointers.
    unsafe { crate::sys::perf_event_open(&mut attr, pid, cpu) }
        .map(drop)
        .map_err(|error| error.io_error.raw_os_error().unwrap_or(libc::EINVAL))
}

/// Opens the probe tracepoint's perf event on CPU 0, every process.
fn open_tracepoint() -> Result<(), i32> {
    let id = std::fs::read_to_string(PROBE_TRACEPOINT)
        .map_err(|error| error.raw_os_error().unwrap_or(libc::ENOENT))?;
    // SAFETY: `perf_event_attr` is plain data, for which all zeros is a valid value.
    let mut attr: perf_event_attr = unsafe { std::mem::zeroed() };
    attr.type_ = aya_obj::generated::perf_type_id::PERF_TYPE_TRACEPOINT as u32;
    attr.config = id.trim().parse().map_err(|_| libc::EINVAL)?;
    open_event(attr, -1, 0)
}

/// Opens a counting `cpu-clock` event on this thread.
fn open_cpu_clock() -> Result<(), i32> {
    // SAFETY: `perf_event_attr` is plain data, for which all zeros is a valid value.
    let mut attr: perf_event_attr = unsafe { std::mem::zeroed() };
    attr.type_ = aya_obj::generated::perf_type_id::PERF_TYPE_SOFTWARE as u32;
    attr.config = aya_obj::generated::perf_sw_ids::PERF_COUNT_SW_CPU_CLOCK as u64;
    open_event(attr, 0, -1)
}

/// Loads `insns` as a program of `prog_type` expecting `attach_type`.
fn load_program(prog_type: bpf_prog_type, attach_type: u32, insns: &[u64]) -> Result<OwnedFd, i32> {
    let license = c"GPL";
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_PROG_LOAD` member of a zeroed union.
    let load = unsafe { &mut attr.__bindgen_anon_3 };
    load.prog_type = prog_type as u32;
    load.expected_attach_type = attach_type;
    load.insns = insns.as_ptr() as u64;
    load.insn_cnt = insns.len() as u32;
    load.license = license.as_ptr() as u64;
    // SAFETY: `insns` and `license` outlive the call, and the kernel reads `insn_cnt`
    // instructions and a NUL-terminated string from them.
    let fd = unsafe { crate::sys::bpf("bpf_prog_load", bpf_cmd::BPF_PROG_LOAD, &mut attr) }
        .map_err(|error| error.io_error.raw_os_error().unwrap_or(libc::EINVAL))?;
    // SAFETY: the kernel just returned this descriptor, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Loads `call bpf_get_current_task_btf; r0 = 0; exit` as a tracepoint program.
fn load_current_task_btf() -> Result<(), i32> {
    let insns = [(BPF_FUNC_GET_CURRENT_TASK_BTF << 32) | 0x85, R0_IS_0, EXIT];
    load_program(bpf_prog_type::BPF_PROG_TYPE_TRACEPOINT, 0, &insns).map(drop)
}

/// Whether a kprobe-multi link (Linux 5.18, on fprobe) attaches: loads `r0 = 0; exit` as a
/// kprobe-multi program and links it to `function` for as long as the call lasts.
pub fn probe_kprobe_multi(function: &str) -> bool {
    let insns = [R0_IS_0, EXIT];
    let Ok(program) = load_program(
        bpf_prog_type::BPF_PROG_TYPE_KPROBE,
        bpf_attach_type::BPF_TRACE_KPROBE_MULTI as u32,
        &insns,
    ) else {
        return false;
    };
    let Ok(name) = CString::new(function) else {
        return false;
    };
    let syms = [name.as_ptr()];
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_LINK_CREATE` member of a zeroed union.
    let create = unsafe { &mut attr.link_create };
    create.__bindgen_anon_1.prog_fd = program.as_raw_fd() as u32;
    create.attach_type = bpf_attach_type::BPF_TRACE_KPROBE_MULTI as u32;
    create.__bindgen_anon_3.kprobe_multi.cnt = 1;
    create.__bindgen_anon_3.kprobe_multi.syms = syms.as_ptr() as u64;
    // SAFETY: `syms` and the name it points to outlive the call, which reads `cnt` pointers to
    // NUL-terminated strings.
    match unsafe { crate::sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) } {
        Ok(fd) => {
            // SAFETY: `fd` is the link's descriptor, which nothing else owns; closing it
            // detaches the program.
            unsafe { libc::close(fd as i32) };
            true
        }
        Err(_) => false,
    }
}

/// Whether uprobe-multi links attach and filter by process, without attaching anything: loads
/// `r0 = 0; exit` as a uprobe-multi program and asks to link it at an offset of `/`, which a
/// kernel with the links refuses with `EBADF` (a directory is not an executable file), one
/// without them with `EINVAL` (an unknown attach type). Asked again with pid -1, a kernel that
/// filters by process refuses the pid with `EINVAL` before it looks at the path; the first
/// kernels with the links, which filtered by thread and so missed the other threads of a
/// process, get to the path and say `EBADF` again.
pub fn probe_uprobe_multi() -> bool {
    let insns = [R0_IS_0, EXIT];
    let Ok(program) = load_program(
        bpf_prog_type::BPF_PROG_TYPE_KPROBE,
        bpf_attach_type::BPF_TRACE_UPROBE_MULTI as u32,
        &insns,
    ) else {
        return false;
    };
    let link_errno = |pid: i32| {
        let path = c"/";
        let offsets = [0u64];
        // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
        let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
        // SAFETY: writing the `BPF_LINK_CREATE` member of a zeroed union.
        let create = unsafe { &mut attr.link_create };
        create.__bindgen_anon_1.prog_fd = program.as_raw_fd() as u32;
        create.attach_type = bpf_attach_type::BPF_TRACE_UPROBE_MULTI as u32;
        // SAFETY: writing the `uprobe_multi` member of a zeroed union.
        let multi = unsafe { &mut create.__bindgen_anon_3.uprobe_multi };
        multi.path = path.as_ptr() as u64;
        multi.offsets = offsets.as_ptr() as u64;
        multi.cnt = 1;
        multi.pid = pid as u32;
        // SAFETY: `path` and `offsets` outlive the call, which reads a NUL-terminated string and
        // `cnt` offsets.
        match unsafe { crate::sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) } {
            Ok(fd) => {
                // SAFETY: `fd` is the link's descriptor, which nothing else owns.
                drop(unsafe { OwnedFd::from_raw_fd(fd as i32) });
                0
            }
            Err(error) => error.io_error.raw_os_error().unwrap_or(libc::EINVAL),
        }
    };
    link_errno(0) == libc::EBADF && link_errno(-1) == libc::EINVAL
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stock kernel's facts, where everything works.
    pub(crate) const STOCK: KernelFacts = KernelFacts {
        bpf_syscall: Outcome::Works,
        btf: true,
        tracefs: true,
        tracepoints: Outcome::Works,
        uprobes: true,
        perf_events: Outcome::Works,
        ringbuf: Outcome::Works,
        current_task_btf: Outcome::Works,
        uprobe_multi: true,
    };

    #[test]
    fn privileges_come_from_cap_eff() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        let root = Privileges {
            euid: 0,
            effective: Privileges::cap_eff(status).expect("a CapEff line"),
        };
        assert!(root.missing().is_empty());
        let perfmon_only = Privileges {
            euid: 1000,
            effective: 1 << 38,
        };
        assert_eq!(perfmon_only.missing(), ["CAP_SYS_ADMIN", "CAP_BPF"]);
        assert_eq!(Privileges::cap_eff("Name:\tx\n"), None);
    }

    #[test]
    fn an_outcome_keeps_the_errno() {
        assert_eq!(Outcome::of(Ok::<(), i32>(())), Outcome::Works);
        assert_eq!(
            Outcome::of::<()>(Err(libc::EPERM)),
            Outcome::Fails(libc::EPERM)
        );
        assert!(!Outcome::Fails(libc::EPERM).works());
    }
}

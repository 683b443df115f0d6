//! A kprobe or kretprobe attached with a BPF cookie: how one shared `fbt` program serves many
//! kernel functions (see `tracer_ebpf::trampoline::kprobe`).
//!
//! aya 0.14 attaches kprobes without cookies, so this opens the `kprobe` perf event itself
//! (`perf_event_open` with the PMU type from sysfs, the function's name in `config1` and the
//! return bit for a kretprobe) and links the loaded program to it with `BPF_LINK_CREATE`
//! (`BPF_PERF_EVENT`, which carries the cookie since Linux 5.15). Closing the link and the event
//! detaches the program.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd};

use aya::Ebpf;
use aya::programs::{KProbe, ProgramError};
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd, perf_event_attr};

use super::{Link, program_mut};
use crate::error::EngineError;

/// `perf_event_open`'s close-on-exec flag (libc does not define it).
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
/// The kprobe PMU's sysfs directory.
const KPROBE_PMU: &str = "/sys/bus/event_source/devices/kprobe";

/// A live cookie attachment: the BPF link, then the perf event it is on.
#[derive(Debug)]
pub(crate) struct CookieLink {
    _link: OwnedFd,
    _event: OwnedFd,
}

/// Attaches the loaded kprobe program `program` to `function` with `cookie`.
pub(crate) fn attach(
    ebpf: &mut Ebpf,
    program: &str,
    function: &str,
    is_return: bool,
    cookie: u64,
) -> Result<Link, EngineError> {
    let attach_error = |io_error: io::Error| EngineError::Attach {
        program: program.to_owned(),
        target: format!("kernel function {function}"),
        source: Box::new(ProgramError::IOError(io_error)),
    };
    let kprobe: &mut KProbe = program_mut(ebpf, program, "kprobe")?;
    let prog_fd = kprobe
        .fd()
        .map_err(|error| EngineError::Attach {
            program: program.to_owned(),
            target: format!("kernel function {function}"),
            source: Box::new(error),
        })?
        .as_fd()
        .as_raw_fd();
    let event = open_event(function, is_return).map_err(attach_error)?;
    let link = link_create(prog_fd, event.as_raw_fd(), cookie).map_err(attach_error)?;
    Ok(Link::Cookie(CookieLink {
        _link: link,
        _event: event,
    }))
}

/// The bit `format/retprobe` names (`config:0`).
fn retprobe_bit() -> io::Result<u32> {
    let format = std::fs::read_to_string(format!("{KPROBE_PMU}/format/retprobe"))?;
    format
        .trim()
        .strip_prefix("config:")
        .and_then(|bit| bit.parse().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected kprobe retprobe format {format:?}")))
}

/// Opens a kprobe (or kretprobe) perf event on `function`, on every CPU.
fn open_event(function: &str, is_return: bool) -> io::Result<OwnedFd> {
    let pmu_type: u32 = std::fs::read_to_string(format!("{KPROBE_PMU}/type"))?
        .trim()
        .parse()
        .map_err(io::Error::other)?;
    let name = CString::new(function).map_err(io::Error::other)?;
    // SAFETY: `perf_event_attr` is plain data, for which all zeros is a valid value.
    let mut attr: perf_event_attr = unsafe { std::mem::zeroed() };
    attr.type_ = pmu_type;
    attr.size = size_of::<perf_event_attr>() as u32;
    attr.config = if is_return { 1 << retprobe_bit()? } else { 0 };
    attr.__bindgen_anon_1.sample_period = 1;
    attr.__bindgen_anon_2.wakeup_events = 1;
    attr.__bindgen_anon_3.kprobe_func = name.as_ptr() as u64;
    // SAFETY: `attr` and the name it points to outlive the call, which returns a new descriptor
    // or -1.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &raw const attr,
            -1,
            0,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor, which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Links program `prog_fd` to perf event `event_fd` with `cookie`.
fn link_create(prog_fd: i32, event_fd: i32, cookie: u64) -> io::Result<OwnedFd> {
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_LINK_CREATE` member of a zeroed union.
    let create = unsafe { &mut attr.link_create };
    create.__bindgen_anon_1.prog_fd = prog_fd as u32;
    create.__bindgen_anon_2.target_fd = event_fd as u32;
    create.attach_type = bpf_attach_type::BPF_PERF_EVENT as u32;
    create.__bindgen_anon_3.perf_event.bpf_cookie = cookie;
    // SAFETY: the attribute holds only descriptors and numbers.
    match unsafe { crate::sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) } {
        // SAFETY: the kernel just returned this descriptor, which nothing else owns.
        Ok(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
        Err(error) => Err(error.io_error),
    }
}

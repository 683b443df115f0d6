//! `uprobe/NAME` and `uretprobe/NAME` programs: `pid` and USDT probes in user processes.
//!
//! One program attaches at many sites, each with the probe's ID as its attach cookie. aya's own
//! uprobe attaching cannot set a USDT semaphore, so each site is opened here as a `uprobe` PMU
//! perf event (the path in `config1`, the offset in `config2`, the semaphore's offset in the top
//! half of `config`, which makes the kernel raise it in every process that maps the file while
//! the probe is attached) for one process, and linked to the program with `BPF_LINK_CREATE`,
//! which carries the cookie. The event is bound to the process rather than to its current
//! mappings, so a `-c` command that has not yet executed its program is probed from its first
//! instruction on.
//!
//! Where the kernel has uprobe-multi links, the programs are planned for them instead
//! ([`super::uprobe_multi`]); [`check`] first makes sure that this kernel has them.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};

use aya::Ebpf;
use aya::programs::{ProgramError, UProbe};
use aya::sys::SyscallError;
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd, perf_event_attr};
use tracer_ebpf::plan::{Attach, CompiledProgram, UprobeAttach};

use super::{Link, load_error, program_mut};
use crate::capability::FbtFacts;
use crate::capability::uprobe::why_not_multi;
use crate::error::EngineError;
use crate::sys;

/// The kernel's `ENOTSUPP`, which `perf_event_open` returns for an instruction uprobes cannot
/// handle.
const ENOTSUPP: i32 = 524;

/// Where the kernel describes the `uprobe` PMU.
const UPROBE_PMU: &str = "/sys/bus/event_source/devices/uprobe";

/// Fails, naming the first probe planned for uprobe-multi links and the reason, when this
/// kernel does not have them (`-x uprobemode=multi` on an older kernel); does nothing for a
/// program without such probes.
pub(crate) fn check(compiled: &CompiledProgram) -> Result<(), EngineError> {
    let first_multi = compiled
        .programs
        .iter()
        .find_map(|plan| match &plan.attach {
            Attach::Uprobe {
                sites, multi: true, ..
            } => sites.first(),
            _ => None,
        });
    let Some(site) = first_multi else {
        return Ok(());
    };
    let Some(reason) = why_not_multi(&FbtFacts::probe().kernel) else {
        return Ok(());
    };
    let probe = compiled
        .probes
        .iter()
        .find(|probe| u64::from(probe.id) == site.cookie)
        .map_or_else(
            || format!("offset {:#x} of {}", site.file_offset, site.path),
            |probe| {
                format!(
                    "{}:{}:{}:{}",
                    probe.provider, probe.module, probe.function, probe.name
                )
            },
        );
    Err(EngineError::UprobeUnavailable { probe, reason })
}

/// Loads the uprobe (or uretprobe) program `program`.
pub(crate) fn load(ebpf: &mut Ebpf, program: &str) -> Result<(), EngineError> {
    let uprobe: &mut UProbe = program_mut(ebpf, program, "uprobe")?;
    uprobe.load().map_err(|error| load_error(program, error))
}

/// Attaches the loaded `program` at every site.
pub(crate) fn attach(
    ebpf: &mut Ebpf,
    program: &str,
    is_return: bool,
    sites: &[UprobeAttach],
) -> Result<Vec<Link>, EngineError> {
    let uprobe: &mut UProbe = program_mut(ebpf, program, "uprobe")?;
    let attach_error = |site: &UprobeAttach, source: ProgramError| EngineError::Attach {
        program: program.to_owned(),
        target: format!(
            "offset {:#x} of {} in process {}",
            site.file_offset, site.path, site.pid
        ),
        source: Box::new(source),
    };
    let pmu = Pmu::read(Path::new(UPROBE_PMU))
        .map_err(|source| attach_error(&sites[0], source.into()))?;
    let prog_fd = uprobe
        .fd()
        .map_err(|source| attach_error(&sites[0], source))?
        .as_fd()
        .as_raw_fd();
    let mut links = Vec::with_capacity(sites.len());
    let mut refused = None;
    for site in sites {
        let perf_fd = match open_event(&pmu, is_return, site) {
            Ok(perf_fd) => perf_fd,
            // The kernel cannot single-step some instructions out of line (`hlt`, some jumps), so
            // it refuses a uprobe on them; a glob may match such a function, whose probe then
            // never fires, as libdtrace skips `hlt` instructions.
            Err(error) if error.io_error.raw_os_error() == Some(ENOTSUPP) => {
                refused.get_or_insert((site, error));
                continue;
            }
            Err(error) => return Err(attach_error(site, error.into())),
        };
        let link_fd = link_create(prog_fd, &perf_fd, site.cookie)
            .map_err(|source| attach_error(site, source.into()))?;
        links.push(Link::Uprobe {
            link: link_fd,
            event: perf_fd,
        });
    }
    match refused {
        Some((site, error)) if links.is_empty() => Err(attach_error(site, error.into())),
        _ => Ok(links),
    }
}

/// The `uprobe` PMU's perf type and the `config` bit that makes a uretprobe.
#[derive(Debug, PartialEq, Eq)]
struct Pmu {
    perf_type: u32,
    retprobe_bit: u32,
}

impl Pmu {
    /// Reads `type` and `format/retprobe` (`config:0`) under the PMU's directory.
    fn read(dir: &Path) -> Result<Pmu, SyscallError> {
        let read = |path: PathBuf| {
            std::fs::read_to_string(&path).map_err(|io_error| SyscallError {
                call: "read the uprobe PMU",
                io_error,
            })
        };
        let invalid = || SyscallError {
            call: "read the uprobe PMU",
            io_error: io::Error::from(io::ErrorKind::InvalidData),
        };
        let perf_type = read(dir.join("type"))?
            .trim()
            .parse()
            .map_err(|_| invalid())?;
        let retprobe_bit = read(dir.join("format/retprobe"))?
            .trim()
            .strip_prefix("config:")
            .and_then(|bit| bit.parse().ok())
            .ok_or_else(invalid)?;
        Ok(Pmu {
            perf_type,
            retprobe_bit,
        })
    }
}

/// The `perf_event_attr` of a uprobe at `site`; `path` must outlive its use.
fn event_attr(pmu: &Pmu, is_return: bool, site: &UprobeAttach, path: &CString) -> perf_event_attr {
    // SAFETY: all zeroes is a valid `perf_event_attr`.
    let mut attr: perf_event_attr = unsafe { std::mem::zeroed() };
    attr.size = size_of::<perf_event_attr>() as u32;
    attr.type_ = pmu.perf_type;
    attr.config = (site.semaphore_offset << 32) | (u64::from(is_return) << pmu.retprobe_bit);
    attr.__bindgen_anon_3.config1 = path.as_ptr() as u64;
    attr.__bindgen_anon_4.config2 = site.file_offset;
    attr
}

fn open_event(pmu: &Pmu, is_return: bool, site: &UprobeAttach) -> Result<OwnedFd, SyscallError> {
    let Ok(path) = CString::new(site.path.as_bytes()) else {
        return Err(SyscallError {
            call: "perf_event_open",
            io_error: io::Error::from(io::ErrorKind::InvalidInput),
        });
    };
    let mut attr = event_attr(pmu, is_return, site, &path);
    // SAFETY: `attr` points only at `path`, which lives until the call returns.
    unsafe { sys::perf_event_open(&mut attr, site.pid as i32, -1) }
}

fn link_create(prog_fd: i32, perf_fd: &OwnedFd, cookie: u64) -> Result<OwnedFd, SyscallError> {
    // SAFETY: all zeroes is a valid `bpf_attr`.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    attr.link_create.__bindgen_anon_1.prog_fd = prog_fd as u32;
    attr.link_create.__bindgen_anon_2.target_fd = perf_fd.as_raw_fd() as u32;
    attr.link_create.attach_type = bpf_attach_type::BPF_PERF_EVENT as u32;
    attr.link_create.__bindgen_anon_3.perf_event.bpf_cookie = cookie;
    // SAFETY: `BPF_LINK_CREATE` reads only the descriptors and numbers set above.
    let fd = unsafe { sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) }?;
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pmu_is_read_from_sysfs() {
        let dir = std::env::temp_dir().join(format!("tracer-uprobe-pmu-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("format")).expect("create the PMU dir");
        std::fs::write(dir.join("type"), "9\n").expect("write type");
        std::fs::write(dir.join("format/retprobe"), "config:0\n").expect("write retprobe");
        let pmu = Pmu::read(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            pmu.expect("a PMU"),
            Pmu {
                perf_type: 9,
                retprobe_bit: 0
            }
        );
    }

    #[test]
    fn the_event_names_the_file_offset_return_and_semaphore() {
        let pmu = Pmu {
            perf_type: 9,
            retprobe_bit: 0,
        };
        let site = UprobeAttach {
            pid: 7,
            path: "/bin/true".to_owned(),
            file_offset: 0x1234,
            semaphore_offset: 0x4010,
            cookie: 3,
        };
        let path = CString::new(site.path.as_bytes()).expect("no NUL");
        let attr = event_attr(&pmu, true, &site, &path);
        assert_eq!(attr.type_, 9);
        assert_eq!(attr.config, 0x4010_0000_0001);
        // SAFETY: both unions were written as these members.
        let (config1, config2) =
            unsafe { (attr.__bindgen_anon_3.config1, attr.__bindgen_anon_4.config2) };
        assert_eq!(config1, path.as_ptr() as u64);
        assert_eq!(config2, 0x1234);
    }
}

//! A uprobe program on many sites through uprobe-multi links (`BPF_TRACE_UPROBE_MULTI`, Linux
//! 6.6): one link per binary and process carries every site of the program in that binary, so
//! globbing all of libc takes one system call where a perf event per site takes thousands, and
//! closing the link unregisters every site at once.
//!
//! The program is loaded with that expected attach type by the engine ([`super::own_load`]), as
//! aya 0.14 cannot. [`attach`] groups the sites by file and process and links each group with
//! `BPF_LINK_CREATE`: the file's path, each site's file offset, its USDT semaphore's offset
//! (`ref_ctr_offsets`, which the kernel raises in every process that maps the file while the
//! link lives) and its cookie, the process as the link's `pid` (the kernel runs the program only
//! for that process's threads, and places the probes in the binary it maps now or, for a `-c`
//! command that has not yet executed it, when it does), and `BPF_F_UPROBE_MULTI_RETURN` for
//! returns.
//!
//! The kernel refuses a whole link when it cannot probe one of its instructions (`ENOTSUPP`:
//! `hlt`, some jumps), which a glob may match; such a group is split in halves until the sites
//! refused are alone, and those are left out, as the perf event path leaves them out. Each
//! refused attempt costs the kernel an RCU grace period (tens of milliseconds) to undo, so a
//! glob over every instruction of code the kernel cannot all probe takes seconds to attach
//! (`pid$target:libc.so.6:str*:*`, 5,370 probes, about 10 s, against 0.3 s for their entries).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};

use aya::sys::SyscallError;
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd};
use tracer_ebpf::plan::UprobeAttach;

use super::Link;
use crate::error::EngineError;

/// `BPF_F_UPROBE_MULTI_RETURN`: the link fires at the functions' returns.
const BPF_F_UPROBE_MULTI_RETURN: u32 = 1;
/// The kernel's `ENOTSUPP`, for an instruction uprobes cannot handle.
const ENOTSUPP: i32 = 524;

/// A live uprobe-multi link; the link holds its program.
#[derive(Debug)]
pub(crate) struct MultiLink {
    _link: OwnedFd,
}

/// Links the loaded uprobe-multi program `prog_fd` (named `program`) at every site, at the
/// functions' returns when `is_return`: one link per file and process, or more when the kernel
/// refuses some sites. Fails when it refuses every site, or for any other reason.
pub(crate) fn attach(
    prog_fd: &OwnedFd,
    program: &str,
    is_return: bool,
    sites: &[UprobeAttach],
) -> Result<Vec<Link>, EngineError> {
    let attach_error = |sites: &[&UprobeAttach], io_error: io::Error| EngineError::Attach {
        program: program.to_owned(),
        target: describe(sites),
        source: Box::new(
            SyscallError {
                call: "bpf_link_create",
                io_error,
            }
            .into(),
        ),
    };
    let mut links = Vec::new();
    let mut refused = None;
    for group in groups(sites) {
        let Ok(path) = CString::new(group[0].path.as_bytes()) else {
            return Err(attach_error(
                &group,
                io::Error::from(io::ErrorKind::InvalidInput),
            ));
        };
        let mut pending = vec![group.as_slice()];
        while let Some(part) = pending.pop() {
            match link_create(prog_fd, is_return, &path, part) {
                Ok(link) => links.push(Link::UprobeMulti(MultiLink { _link: link })),
                Err(error) if error.raw_os_error() == Some(ENOTSUPP) && part.len() > 1 => {
                    let (first, second) = part.split_at(part.len() / 2);
                    pending.extend([second, first]);
                }
                Err(error) if error.raw_os_error() == Some(ENOTSUPP) => {
                    refused.get_or_insert((part[0], error));
                }
                Err(error) => return Err(attach_error(part, error)),
            }
        }
    }
    match refused {
        Some((site, error)) if links.is_empty() => Err(attach_error(&[site], error)),
        _ => Ok(links),
    }
}

/// The sites grouped by file and process, in the order each group first appears.
fn groups(sites: &[UprobeAttach]) -> Vec<Vec<&UprobeAttach>> {
    let mut groups: Vec<Vec<&UprobeAttach>> = Vec::new();
    for site in sites {
        let same = |group: &&mut Vec<&UprobeAttach>| {
            group[0].path == site.path && group[0].pid == site.pid
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(site),
            None => groups.push(vec![site]),
        }
    }
    groups
}

/// One uprobe-multi link of `prog_fd` at `sites`, all in the file `path` and one process.
fn link_create(
    prog_fd: &OwnedFd,
    is_return: bool,
    path: &CStr,
    sites: &[&UprobeAttach],
) -> io::Result<OwnedFd> {
    let offsets: Vec<u64> = sites.iter().map(|site| site.file_offset).collect();
    let ref_ctr_offsets: Vec<u64> = sites.iter().map(|site| site.semaphore_offset).collect();
    let cookies: Vec<u64> = sites.iter().map(|site| site.cookie).collect();
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_LINK_CREATE` member of a zeroed union.
    let create = unsafe { &mut attr.link_create };
    create.__bindgen_anon_1.prog_fd = prog_fd.as_raw_fd() as u32;
    create.attach_type = bpf_attach_type::BPF_TRACE_UPROBE_MULTI as u32;
    // SAFETY: writing the `uprobe_multi` member of a zeroed union.
    let multi = unsafe { &mut create.__bindgen_anon_3.uprobe_multi };
    multi.path = path.as_ptr() as u64;
    multi.offsets = offsets.as_ptr() as u64;
    // The kernel takes an offset of 0 as no semaphore; without any, it need not read them.
    if ref_ctr_offsets.iter().any(|&offset| offset != 0) {
        multi.ref_ctr_offsets = ref_ctr_offsets.as_ptr() as u64;
    }
    multi.cookies = cookies.as_ptr() as u64;
    multi.cnt = offsets.len() as u32;
    multi.flags = if is_return {
        BPF_F_UPROBE_MULTI_RETURN
    } else {
        0
    };
    multi.pid = sites[0].pid;
    // SAFETY: `path` and the three arrays outlive the call, which reads a NUL-terminated path
    // and `cnt` elements of each array.
    match unsafe { crate::sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) } {
        // SAFETY: the kernel just returned this descriptor, which nothing else owns.
        Ok(fd) => Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
        Err(error) => Err(error.io_error),
    }
}

/// The sites of a link, for errors: the first and how many more.
fn describe(sites: &[&UprobeAttach]) -> String {
    match sites {
        [] => "no site".to_string(),
        [only] => format!(
            "offset {:#x} of {} in process {}",
            only.file_offset, only.path, only.pid
        ),
        [first, rest @ ..] => format!(
            "offset {:#x} of {} in process {} and {} more through one uprobe-multi link",
            first.file_offset,
            first.path,
            first.pid,
            rest.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::os::fd::IntoRawFd as _;
    use std::rc::Rc;

    use super::*;
    use crate::sys::fake;

    fn site(pid: u32, path: &str, file_offset: u64, cookie: u64) -> UprobeAttach {
        UprobeAttach {
            pid,
            path: path.to_owned(),
            file_offset,
            semaphore_offset: 0,
            cookie,
        }
    }

    /// What one `BPF_LINK_CREATE` asked for: path, offsets, semaphores, cookies, flags, pid.
    type Request = (String, Vec<u64>, Vec<u64>, Vec<u64>, u32, u32);

    /// Installs a fake kernel that records each link asked for and refuses, with `ENOTSUPP`,
    /// every link with an offset in `unprobeable`; returns the record.
    fn fake_kernel(unprobeable: &'static [u64]) -> Rc<RefCell<Vec<Request>>> {
        let requests = Rc::new(RefCell::new(Vec::new()));
        let recorded = Rc::clone(&requests);
        fake::override_bpf(Box::new(move |cmd, attr| {
            assert_eq!(cmd, bpf_cmd::BPF_LINK_CREATE);
            // SAFETY: `link_create` wrote the `uprobe_multi` member, whose pointers live for
            // the call and hold `cnt` elements each.
            let request = unsafe {
                let create = &attr.link_create;
                assert_eq!(
                    create.attach_type,
                    bpf_attach_type::BPF_TRACE_UPROBE_MULTI as u32
                );
                let multi = &create.__bindgen_anon_3.uprobe_multi;
                let array = |pointer: u64| {
                    if pointer == 0 {
                        return Vec::new();
                    }
                    std::slice::from_raw_parts(pointer as *const u64, multi.cnt as usize).to_vec()
                };
                let path = CStr::from_ptr(multi.path as *const libc::c_char);
                (
                    path.to_string_lossy().into_owned(),
                    array(multi.offsets),
                    array(multi.ref_ctr_offsets),
                    array(multi.cookies),
                    multi.flags,
                    multi.pid,
                )
            };
            let refused = request.1.iter().any(|offset| unprobeable.contains(offset));
            recorded.borrow_mut().push(request);
            if refused {
                return -i64::from(ENOTSUPP);
            }
            let file = std::fs::File::open("/dev/null").expect("open /dev/null");
            i64::from(file.into_raw_fd())
        }));
        requests
    }

    fn program_fd() -> OwnedFd {
        std::fs::File::open("/dev/null")
            .expect("open /dev/null")
            .into()
    }

    #[test]
    fn one_link_per_file_and_process_with_every_offset_and_cookie() {
        let requests = fake_kernel(&[]);
        let mut guarded = site(7, "/bin/app", 0x30, 3);
        guarded.semaphore_offset = 0x4010;
        let sites = [
            site(7, "/lib/libc.so.6", 0x100, 1),
            site(7, "/bin/app", 0x20, 2),
            site(7, "/lib/libc.so.6", 0x200, 4),
            guarded,
            site(8, "/lib/libc.so.6", 0x100, 1),
        ];
        let links = attach(&program_fd(), "uprobe_0", true, &sites).expect("attached");
        assert_eq!(links.len(), 3);
        let ret = BPF_F_UPROBE_MULTI_RETURN;
        assert_eq!(
            *requests.borrow(),
            [
                (
                    "/lib/libc.so.6".to_owned(),
                    vec![0x100, 0x200],
                    vec![],
                    vec![1, 4],
                    ret,
                    7
                ),
                (
                    "/bin/app".to_owned(),
                    vec![0x20, 0x30],
                    vec![0, 0x4010],
                    vec![2, 3],
                    ret,
                    7
                ),
                (
                    "/lib/libc.so.6".to_owned(),
                    vec![0x100],
                    vec![],
                    vec![1],
                    ret,
                    8
                ),
            ]
        );
    }

    #[test]
    fn sites_the_kernel_cannot_probe_are_left_out() {
        let requests = fake_kernel(&[0x30]);
        let sites: Vec<UprobeAttach> = (1..=4)
            .map(|n| site(7, "/lib/libc.so.6", n * 0x10, n))
            .collect();
        let links = attach(&program_fd(), "uprobe_0", false, &sites).expect("attached");
        let linked: Vec<Vec<u64>> = requests
            .borrow()
            .iter()
            .filter(|request| !request.1.contains(&0x30))
            .map(|request| request.1.clone())
            .collect();
        assert_eq!(linked, [vec![0x10, 0x20], vec![0x40]]);
        assert_eq!(links.len(), 2);
        assert!(requests.borrow().iter().all(|request| request.4 == 0));
    }

    #[test]
    fn a_link_the_kernel_refuses_entirely_is_an_error() {
        let _requests = fake_kernel(&[0x10]);
        let sites = [site(7, "/lib/libc.so.6", 0x10, 1)];
        let error = attach(&program_fd(), "uprobe_0", false, &sites).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "failed to attach program `uprobe_0` to offset 0x10 of /lib/libc.so.6 in process 7"
        );
    }

    #[test]
    fn errors_name_the_first_site_and_the_count() {
        let sites = [site(7, "/bin/app", 0x20, 2), site(7, "/bin/app", 0x30, 3)];
        let refs: Vec<&UprobeAttach> = sites.iter().collect();
        assert_eq!(
            describe(&refs),
            "offset 0x20 of /bin/app in process 7 and 1 more through one uprobe-multi link"
        );
    }
}

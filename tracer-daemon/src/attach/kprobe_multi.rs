//! The shared `fbt` kprobe program on many kernel functions through one kprobe-multi link
//! (`BPF_TRACE_KPROBE_MULTI`, Linux 5.18 with fprobe), which attaches hundreds of functions in
//! one system call where a kprobe per function takes a perf event and a link each.
//!
//! aya 0.14 cannot load a kprobe-multi program: it loads kprobes without an expected attach
//! type, and the kernel refuses to link such a program to several functions. So the engine
//! loads the program itself ([`super::own_load`]) with `BPF_TRACE_KPROBE_MULTI`, and [`attach`]
//! links it with `BPF_LINK_CREATE`: the functions by name, each with its cookie (the
//! kernel sorts the names and keeps each cookie with its function), and
//! `BPF_F_KPROBE_MULTI_RETURN` for returns. Closing the link detaches every function at once.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};

use aya::programs::ProgramError;
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd};
use tracer_ebpf::plan::KprobeTarget;

use super::Link;
use crate::error::EngineError;

/// `BPF_F_KPROBE_MULTI_RETURN`: the link fires at the functions' returns.
const BPF_F_KPROBE_MULTI_RETURN: u32 = 1;

/// A live kprobe-multi link; the link holds its program.
#[derive(Debug)]
pub(crate) struct MultiLink {
    _link: OwnedFd,
}

/// Links the loaded kprobe-multi program `prog_fd` (named `program`) to every function of
/// `targets` with its cookie, at their returns when `is_return`.
pub(crate) fn attach(
    prog_fd: &OwnedFd,
    program: &str,
    is_return: bool,
    targets: &[KprobeTarget],
) -> Result<Link, EngineError> {
    let attach_error = |io_error: io::Error| EngineError::Attach {
        program: program.to_owned(),
        target: describe(targets),
        source: Box::new(ProgramError::IOError(io_error)),
    };
    let names: Vec<CString> = targets
        .iter()
        .map(|target| CString::new(target.function.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|error| attach_error(io::Error::other(error)))?;
    let syms: Vec<*const libc::c_char> = names.iter().map(|name| name.as_ptr()).collect();
    let cookies: Vec<u64> = targets.iter().map(|target| target.cookie).collect();
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_LINK_CREATE` member of a zeroed union.
    let create = unsafe { &mut attr.link_create };
    create.__bindgen_anon_1.prog_fd = prog_fd.as_raw_fd() as u32;
    create.attach_type = bpf_attach_type::BPF_TRACE_KPROBE_MULTI as u32;
    // SAFETY: writing the `kprobe_multi` member of a zeroed union.
    let multi = unsafe { &mut create.__bindgen_anon_3.kprobe_multi };
    multi.flags = if is_return {
        BPF_F_KPROBE_MULTI_RETURN
    } else {
        0
    };
    multi.cnt = syms.len() as u32;
    multi.syms = syms.as_ptr() as u64;
    multi.cookies = cookies.as_ptr() as u64;
    // SAFETY: `syms` (with the names they point to) and `cookies` outlive the call, which reads
    // `cnt` of each.
    match unsafe { crate::sys::bpf("bpf_link_create", bpf_cmd::BPF_LINK_CREATE, &mut attr) } {
        // SAFETY: the kernel just returned this descriptor, which nothing else owns.
        Ok(fd) => Ok(Link::KprobeMulti(MultiLink {
            _link: unsafe { OwnedFd::from_raw_fd(fd as i32) },
        })),
        Err(error) => Err(attach_error(error.io_error)),
    }
}

/// The functions a link attaches, for errors: the first probe and how many more.
fn describe(targets: &[KprobeTarget]) -> String {
    match targets {
        [] => "no kernel function".to_string(),
        [only] => format!("kernel function {} ({})", only.function, only.probe),
        [first, rest @ ..] => format!(
            "kernel functions {} ({}) and {} more through one kprobe-multi link",
            first.function,
            first.probe,
            rest.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_first_function_and_the_count() {
        let target = |function: &str| KprobeTarget {
            function: function.to_string(),
            probe: format!("fbt:vmlinux:{function}:entry"),
            cookie: 0,
        };
        assert_eq!(
            describe(&[target("vfs_read"), target("vfs_write"), target("vfs_open")]),
            "kernel functions vfs_read (fbt:vmlinux:vfs_read:entry) and 2 more through one kprobe-multi link"
        );
        assert_eq!(
            describe(&[target("vfs_read")]),
            "kernel function vfs_read (fbt:vmlinux:vfs_read:entry)"
        );
    }
}

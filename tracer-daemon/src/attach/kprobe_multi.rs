//! The shared `fbt` kprobe program on many kernel functions through one kprobe-multi link
//! (`BPF_TRACE_KPROBE_MULTI`, Linux 5.18 with fprobe), which attaches hundreds of functions in
//! one system call where a kprobe per function takes a perf event and a link each.
//!
//! aya 0.14 cannot load a kprobe-multi program: it loads kprobes without an expected attach
//! type, and the kernel refuses to link such a program to several functions. So [`load`] loads
//! the program itself: it parses the same ELF object with `aya-obj`, points its map references
//! at the maps aya created for the session (by name, as aya's loader does), resolves its calls,
//! and passes the resulting instructions to `BPF_PROG_LOAD` with `BPF_TRACE_KPROBE_MULTI`.
//! [`attach`] links it with `BPF_LINK_CREATE`: the functions by name, each with its cookie (the
//! kernel sorts the names and keeps each cookie with its function), and
//! `BPF_F_KPROBE_MULTI_RETURN` for returns. Closing the link detaches every function at once.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};

use aya::Ebpf;
use aya::programs::ProgramError;
use aya_obj::Object;
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd, bpf_insn, bpf_prog_type};
use tracer_ebpf::plan::KprobeTarget;

use super::Link;
use crate::error::EngineError;

/// `BPF_F_KPROBE_MULTI_RETURN`: the link fires at the functions' returns.
const BPF_F_KPROBE_MULTI_RETURN: u32 = 1;
/// The kernel's limit on a program's name, NUL included (`BPF_OBJ_NAME_LEN`).
const OBJ_NAME_LEN: usize = 16;
/// Bytes of verifier log asked for when a load fails.
const LOG_SIZE: usize = 16 << 20;

/// A live kprobe-multi link; the link holds its program.
#[derive(Debug)]
pub(crate) struct MultiLink {
    _link: OwnedFd,
}

/// Loads program `program` of the ELF object `elf`, whose maps `ebpf` holds, as a kprobe-multi
/// program; returns its descriptor.
pub(crate) fn load(ebpf: &Ebpf, elf: &[u8], program: &str) -> Result<OwnedFd, EngineError> {
    let object_error = |error: aya::EbpfError| EngineError::Object(Box::new(error));
    let mut object = Object::parse(elf).map_err(|error| object_error(error.into()))?;
    let Some(key) = object
        .programs
        .get(program)
        .map(aya_obj::Program::function_key)
    else {
        return Err(EngineError::MissingProgram {
            program: program.to_owned(),
        });
    };
    let fds: HashMap<&str, RawFd> = ebpf
        .maps()
        .map(|(name, map)| (name, crate::maps::map_data(map).fd().as_fd().as_raw_fd()))
        .collect();
    let maps: Vec<(String, aya_obj::Map)> = object.maps.drain().collect();
    let mut located = Vec::with_capacity(maps.len());
    for (name, map) in &maps {
        let Some(&fd) = fds.get(name.as_str()) else {
            return Err(EngineError::MissingMap { map: name.clone() });
        };
        located.push((name.as_str(), fd, map));
    }
    let text_sections: HashSet<usize> = object.functions.keys().map(|(index, _)| *index).collect();
    object
        .relocate_maps(located.into_iter(), &text_sections)
        .map_err(|error| object_error(error.into()))?;
    object
        .relocate_calls(&text_sections)
        .map_err(|error| object_error(error.into()))?;
    let Some(function) = object.functions.get(&key) else {
        return Err(EngineError::MissingProgram {
            program: program.to_owned(),
        });
    };
    load_instructions(program, &function.instructions, &object.license)
}

/// `BPF_PROG_LOAD` of `insns` as a kprobe-multi program named `program`; on a refusal, loads
/// again with a log so the error carries the verifier's reasons.
fn load_instructions(
    program: &str,
    insns: &[bpf_insn],
    license: &CString,
) -> Result<OwnedFd, EngineError> {
    let name = object_name(program);
    let mut log = Vec::new();
    loop {
        // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
        let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
        // SAFETY: writing the `BPF_PROG_LOAD` member of a zeroed union.
        let load = unsafe { &mut attr.__bindgen_anon_3 };
        load.prog_type = bpf_prog_type::BPF_PROG_TYPE_KPROBE as u32;
        load.expected_attach_type = bpf_attach_type::BPF_TRACE_KPROBE_MULTI as u32;
        load.insns = insns.as_ptr() as u64;
        load.insn_cnt = insns.len() as u32;
        load.license = license.as_ptr() as u64;
        for (to, from) in load.prog_name.iter_mut().zip(name.iter()) {
            *to = *from as libc::c_char;
        }
        if !log.is_empty() {
            load.log_level = 1;
            load.log_buf = log.as_mut_ptr() as u64;
            load.log_size = log.len() as u32;
        }
        // SAFETY: the instructions, the license and the log buffer outlive the call, which reads
        // `insn_cnt` instructions and a NUL-terminated license and writes at most `log_size`
        // bytes of log.
        match unsafe { crate::sys::bpf("bpf_prog_load", bpf_cmd::BPF_PROG_LOAD, &mut attr) } {
            // SAFETY: the kernel just returned this descriptor, which nothing else owns.
            Ok(fd) => return Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) }),
            Err(error) if log.is_empty() => {
                // A refusal the verifier explains gets its log; any other error is final.
                if error.io_error.raw_os_error() != Some(libc::EACCES)
                    && error.io_error.raw_os_error() != Some(libc::EINVAL)
                {
                    return Err(load_failed(program, error.io_error));
                }
                log = vec![0u8; LOG_SIZE];
            }
            Err(error) => {
                let end = log.iter().position(|&byte| byte == 0).unwrap_or(log.len());
                let verifier_log = String::from_utf8_lossy(&log[..end]).into_owned();
                if verifier_log.is_empty() {
                    return Err(load_failed(program, error.io_error));
                }
                return Err(EngineError::Verifier {
                    program: program.to_owned(),
                    io_error: error.io_error,
                    verifier_log,
                });
            }
        }
    }
}

fn load_failed(program: &str, io_error: io::Error) -> EngineError {
    EngineError::LoadProgram {
        program: program.to_owned(),
        source: Box::new(ProgramError::IOError(io_error)),
    }
}

/// The program's name as the kernel keeps it: at most 15 bytes of letters, digits, `_` and `.`.
fn object_name(program: &str) -> Vec<u8> {
    program
        .bytes()
        .filter(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.'))
        .take(OBJ_NAME_LEN - 1)
        .collect()
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
    fn the_kernel_name_keeps_fifteen_allowed_bytes() {
        assert_eq!(object_name("fbt_kretprobes"), b"fbt_kretprobes");
        assert_eq!(object_name("fbt_kretprobes_1234"), b"fbt_kretprobes_");
        assert_eq!(object_name("a/b-c"), b"abc");
    }

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

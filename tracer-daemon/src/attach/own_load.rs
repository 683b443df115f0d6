//! Programs the engine loads itself rather than through aya: kprobe-multi and uprobe-multi
//! programs, which the kernel links to many functions or sites only when they were loaded with
//! that expected attach type, and aya 0.14 loads kprobes and uprobes without one.
//!
//! [`OwnObject::parse`] parses the session's ELF object with `aya-obj` once, points its map
//! references at the maps aya created for the session (by name, as aya's loader does) and
//! resolves its calls; [`OwnObject::load`] then passes one program's instructions to
//! `BPF_PROG_LOAD` with the attach type asked for. The descriptor it returns is the program:
//! the links made from it hold it, and closing them all, or the process ending, frees it.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};

use aya::Ebpf;
use aya::programs::ProgramError;
use aya_obj::Object;
use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd, bpf_insn, bpf_prog_type};

use crate::error::EngineError;

/// The kernel's limit on a program's name, NUL included (`BPF_OBJ_NAME_LEN`).
const OBJ_NAME_LEN: usize = 16;
/// Bytes of verifier log asked for when a load fails.
const LOG_SIZE: usize = 16 << 20;

/// A session's ELF object with its maps and calls resolved, ready to load programs from.
pub(crate) struct OwnObject {
    object: Object,
}

impl OwnObject {
    /// Parses `elf`, whose maps `ebpf` holds, and resolves its map references and calls.
    pub(crate) fn parse(ebpf: &Ebpf, elf: &[u8]) -> Result<OwnObject, EngineError> {
        let object_error = |error: aya::EbpfError| EngineError::Object(Box::new(error));
        let mut object = Object::parse(elf).map_err(|error| object_error(error.into()))?;
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
        let text_sections: HashSet<usize> =
            object.functions.keys().map(|(index, _)| *index).collect();
        object
            .relocate_maps(located.into_iter(), &text_sections)
            .map_err(|error| object_error(error.into()))?;
        object
            .relocate_calls(&text_sections)
            .map_err(|error| object_error(error.into()))?;
        Ok(OwnObject { object })
    }

    /// Loads `program` as a kprobe program (`BPF_PROG_TYPE_KPROBE`, which uprobes are too)
    /// expecting `attach_type`; returns its descriptor.
    pub(crate) fn load(
        &self,
        program: &str,
        attach_type: bpf_attach_type,
    ) -> Result<OwnedFd, EngineError> {
        let function = self
            .object
            .programs
            .get(program)
            .and_then(|found| self.object.functions.get(&found.function_key()));
        let Some(function) = function else {
            return Err(EngineError::MissingProgram {
                program: program.to_owned(),
            });
        };
        load_instructions(
            program,
            attach_type,
            &function.instructions,
            &self.object.license,
        )
    }
}

/// `BPF_PROG_LOAD` of `insns` as a kprobe program named `program` expecting `attach_type`; on a
/// refusal, loads again with a log so the error carries the verifier's reasons.
fn load_instructions(
    program: &str,
    attach_type: bpf_attach_type,
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
        load.expected_attach_type = attach_type as u32;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_name_keeps_fifteen_allowed_bytes() {
        assert_eq!(object_name("fbt_kretprobes"), b"fbt_kretprobes");
        assert_eq!(object_name("fbt_kretprobes_1234"), b"fbt_kretprobes_");
        assert_eq!(object_name("a/b-c"), b"abc");
    }
}

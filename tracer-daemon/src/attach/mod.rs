//! Loading and attaching programs, one file per way of attaching.
//!
//! Each file loads its program type (so the verifier runs before anything is attached) and
//! attaches it the way its [`Attach`](tracer_ebpf::plan::Attach) plan says. Attachments come back
//! as [`Link`]s the session owns: dropping a link detaches it.

pub(crate) mod cookie;
pub(crate) mod dtrace;
pub(crate) mod fbt;
pub(crate) mod kprobe_multi;
pub(crate) mod own_load;
pub(crate) mod perf;
pub(crate) mod raw_tracepoint;
pub(crate) mod tracepoint;
pub(crate) mod uprobe;
pub(crate) mod uprobe_multi;

use aya::Ebpf;
use aya::programs::fentry::FEntryLink;
use aya::programs::fexit::FExitLink;
use aya::programs::kprobe::KProbeLink;
use aya::programs::perf_event::PerfEventLink;
use aya::programs::raw_trace_point::RawTracePointLink;
use aya::programs::trace_point::TracePointLink;
use aya::programs::{Program, ProgramError};

use crate::error::EngineError;

/// One live attachment; dropping it detaches the program.
#[derive(Debug)]
#[expect(
    dead_code,
    reason = "the links are held only so that dropping them detaches"
)]
pub(crate) enum Link {
    /// A tracefs tracepoint (a BPF link on a perf event).
    Tracepoint(TracePointLink),
    /// A raw tracepoint (a BPF link of its own).
    RawTracepoint(RawTracePointLink),
    /// A `cpu-clock` perf event on one CPU.
    Perf(PerfEventLink),
    /// An fentry program on a kernel function.
    Fentry(FEntryLink),
    /// An fexit program on a kernel function.
    Fexit(FExitLink),
    /// A kprobe or kretprobe program on a kernel function.
    Kprobe(KProbeLink),
    /// A shared kprobe or kretprobe program on one of its functions, with a cookie.
    Cookie(cookie::CookieLink),
    /// A shared kprobe or kretprobe program on all its functions through one kprobe-multi link.
    KprobeMulti(kprobe_multi::MultiLink),
    /// A uprobe program linked to a `uprobe` PMU perf event.
    Uprobe {
        /// The BPF link.
        link: std::os::fd::OwnedFd,
        /// The perf event.
        event: std::os::fd::OwnedFd,
    },
    /// A uprobe program on its sites in one file and process through one uprobe-multi link.
    UprobeMulti(uprobe_multi::MultiLink),
}

/// The program `name` in `ebpf` as the program type `T` (`expected` names it for errors).
fn program_mut<'a, T>(
    ebpf: &'a mut Ebpf,
    name: &str,
    expected: &'static str,
) -> Result<&'a mut T, EngineError>
where
    &'a mut T: TryFrom<&'a mut Program, Error = ProgramError>,
{
    let Some(program) = ebpf.program_mut(name) else {
        return Err(EngineError::MissingProgram {
            program: name.to_owned(),
        });
    };
    program
        .try_into()
        .map_err(|_: ProgramError| EngineError::WrongProgramType {
            program: name.to_owned(),
            expected,
        })
}

/// The error for a failed `BPF_PROG_LOAD`: a verifier rejection when the kernel left a log.
fn load_error(program: &str, error: ProgramError) -> EngineError {
    match error {
        ProgramError::LoadError {
            io_error,
            verifier_log,
        } if !verifier_log.to_string().is_empty() => EngineError::Verifier {
            program: program.to_owned(),
            io_error,
            verifier_log: verifier_log.to_string(),
        },
        source => EngineError::LoadProgram {
            program: program.to_owned(),
            source: Box::new(source),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use aya_obj::VerifierLog;

    use super::*;

    #[test]
    fn a_load_error_with_a_log_is_a_verifier_rejection() {
        let log = "0: (b7) r0 = 0\n1: (95) exit\nR0 !read_ok\n";
        let error = load_error(
            "syscall_entry_0",
            ProgramError::LoadError {
                io_error: io::Error::from_raw_os_error(libc::EACCES),
                verifier_log: VerifierLog::new(log.to_owned()),
            },
        );
        assert_eq!(
            error.to_string(),
            "the verifier rejected program `syscall_entry_0`"
        );
        let EngineError::Verifier {
            program,
            verifier_log,
            ..
        } = error
        else {
            panic!("not a verifier error: {error:?}");
        };
        assert_eq!(
            (program.as_str(), verifier_log.as_str()),
            ("syscall_entry_0", log)
        );
    }

    #[test]
    fn a_load_error_without_a_log_is_not_blamed_on_the_verifier() {
        let error = load_error(
            "tick_0",
            ProgramError::LoadError {
                io_error: io::Error::from_raw_os_error(libc::EPERM),
                verifier_log: VerifierLog::new(String::new()),
            },
        );
        assert_eq!(error.to_string(), "failed to load program `tick_0`");
    }
}

//! [`EngineError`]: everything that can go wrong while a [`Session`](crate::load::Session) runs.
//!
//! One enum for the session, rather than one per module, because the CLI handles them the same
//! way except for [`EngineError::Verifier`], which it reports against the clause that produced the
//! program.

use std::io;

use aya::programs::ProgramError;
use aya::sys::SyscallError;

use crate::tracefs::TracefsError;

/// Why the engine failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// tracefs is needed for tracepoints and is not available.
    #[error(transparent)]
    Tracefs(#[from] TracefsError),
    /// aya could not parse the object or create its maps.
    #[error("failed to load the BPF object")]
    Object(#[source] Box<aya::EbpfError>),
    /// The plan names a program the object does not have.
    #[error("program `{program}` is not in the BPF object")]
    MissingProgram {
        /// The program's name.
        program: String,
    },
    /// The program's section gives a program type its plan cannot attach.
    #[error("program `{program}` is not a {expected} program")]
    WrongProgramType {
        /// The program's name.
        program: String,
        /// The program type its plan needs.
        expected: &'static str,
    },
    /// The verifier rejected a program.
    #[error("the verifier rejected program `{program}`")]
    Verifier {
        /// The program's name.
        program: String,
        /// The `BPF_PROG_LOAD` error.
        #[source]
        io_error: io::Error,
        /// The verifier's log, verbatim.
        verifier_log: String,
    },
    /// Loading a program failed for another reason than the verifier.
    #[error("failed to load program `{program}`")]
    LoadProgram {
        /// The program's name.
        program: String,
        /// The cause.
        #[source]
        source: Box<ProgramError>,
    },
    /// Attaching a program failed.
    #[error("failed to attach program `{program}` to {target}")]
    Attach {
        /// The program's name.
        program: String,
        /// What it was attached to (`tracepoint raw_syscalls:sys_enter`, `cpu-clock on CPU 0`).
        target: String,
        /// The cause.
        #[source]
        source: Box<ProgramError>,
    },
    /// Running a `BEGIN` or `END` program with `BPF_PROG_TEST_RUN` failed.
    #[error("failed to run program `{program}`")]
    Run {
        /// The program's name.
        program: String,
        /// The cause.
        #[source]
        source: Box<ProgramError>,
    },
    /// The kernel's BTF, which fentry programs are loaded against, could not be read.
    #[error("failed to read the kernel's BTF")]
    KernelBtf(#[source] Box<aya::BtfError>),
    /// This kernel lets no program attach to kernel functions (`fbt`).
    #[error("cannot attach {probe}: {reason}")]
    FbtUnavailable {
        /// The probe (`fbt:vmlinux:vfs_read:entry`).
        probe: String,
        /// Why, from [`crate::capability::choose`].
        reason: String,
    },
    /// This kernel does not let `pid` and USDT probes attach the way they were generated.
    #[error("cannot attach {probe}: {reason}")]
    UprobeUnavailable {
        /// The probe (`pid123:libc.so.6:malloc:entry`).
        probe: String,
        /// Why, from [`crate::capability::uprobe::choose`].
        reason: String,
    },
    /// The CPU list could not be read.
    #[error("failed to read the CPU list `{path}`")]
    Cpus {
        /// The sysfs file.
        path: &'static str,
        /// The cause.
        #[source]
        io_error: io::Error,
    },
    /// The plan names a map the object does not have.
    #[error("map `{map}` is not in the BPF object")]
    MissingMap {
        /// The map's name.
        map: String,
    },
    /// A perf buffer could not be opened.
    #[error("failed to open the perf buffers of map `{map}`: {message}")]
    PerfBuffer {
        /// The perf event array's name.
        map: String,
        /// What failed.
        message: String,
    },
    /// A ring buffer could not be mapped into memory.
    #[error("failed to map the ring buffer `{map}`")]
    RingBufferMap {
        /// The ring buffer's name.
        map: String,
        /// The cause.
        #[source]
        io_error: io::Error,
    },
    /// A map is not of the type its use needs.
    #[error("map `{map}` is not a {expected} map")]
    WrongMapType {
        /// The map's name.
        map: String,
        /// The type its use needs (`BPF_MAP_TYPE_RINGBUF`).
        expected: &'static str,
    },
    /// The kernel's description of a map could not be read.
    #[error("failed to read the description of map `{map}`")]
    MapInfo {
        /// The map's name.
        map: String,
        /// The cause.
        #[source]
        source: Box<aya::maps::MapError>,
    },
    /// A key does not have the map's key size.
    #[error("map `{map}` has {expected}-byte keys, not {size}-byte keys")]
    KeySize {
        /// The map's name.
        map: String,
        /// The size given.
        size: usize,
        /// The map's key size.
        expected: usize,
    },
    /// A value does not have the map's value size.
    #[error("map `{map}` has {expected}-byte values, not {size}-byte values")]
    ValueSize {
        /// The map's name.
        map: String,
        /// The size given.
        size: usize,
        /// The map's value size.
        expected: usize,
    },
    /// A map syscall failed.
    #[error("failed to access map `{map}`")]
    MapAccess {
        /// The map's name.
        map: String,
        /// The cause.
        #[source]
        source: SyscallError,
    },
    /// Waiting on the ring buffer failed.
    #[error("failed to wait for records on map `{map}`")]
    Poll {
        /// The ring buffer's name.
        map: String,
        /// The cause.
        #[source]
        source: SyscallError,
    },
    /// `tracerd` refused a request or could not carry it out; `message` is its own words.
    #[error("tracerd: {message}")]
    Daemon {
        /// The daemon's message.
        message: String,
    },
}

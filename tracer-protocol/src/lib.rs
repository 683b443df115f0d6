//! The `tracerd` socket protocol: JSON Lines, one [`Request`] per line from the client, one
//! [`Frame`] per line from the daemon. Data only, no I/O; docs/tracerd.md describes the protocol
//! for other clients.
//!
//! This crate sits between the server (`tracer-daemon`) and its client (`tracer-cli`), so both
//! speak through the same types and neither depends on the other for them.
//!
//! Frames are bounded: a request line longer than [`MAX_REQUEST_BYTES`] is refused (the daemon
//! answers with an error and closes the connection), so a client cannot make the daemon buffer
//! without end. Requests are answered in order, one [`Frame::Reply`] or [`Frame::Error`] each;
//! [`Frame::Records`] and [`Frame::Dropped`] arrive between replies for every session the
//! connection started or attached to.
//!
//! Binary data (ring buffer records, aggregation keys and values) travels as lowercase hex.

#![deny(missing_docs)]

pub mod catalog;
pub mod user;

use d_frontend::lex::macros::MacroVariables;
use d_frontend::sema::{CompileOptions, StackFrames};
use d_frontend::source::FileId;
use serde::{Deserialize, Serialize};
use tracer_ebpf::codegen::CodegenOptions;

/// The longest request line the daemon reads, newline included.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The longest frame the client reads, newline included: an aggregation snapshot can be large.
pub const MAX_FRAME_BYTES: usize = 256 << 20;

/// The protocol's version, reported by `status`.
pub const PROTOCOL_VERSION: u32 = 1;

/// One request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The daemon's health.
    Status,
    /// Compiles a program without loading it.
    Check {
        /// The program.
        program: ProgramRequest,
    },
    /// Compiles and loads a program as a new session owned by this connection, which receives
    /// its records. Its probes are attached, but nothing runs until `begin`.
    Start {
        /// The program.
        program: ProgramRequest,
    },
    /// Receives the records of a standing script (or any session) by name from now on.
    Attach {
        /// The standing script's name (its file name without `.d`) or a session's name.
        name: String,
    },
    /// Runs `BEGIN` and starts tracing.
    Begin {
        /// The session.
        session: u64,
    },
    /// Detaches the probes, runs `END` and sends the last records before replying.
    End {
        /// The session.
        session: u64,
    },
    /// Reads one aggregation's entries, undecoded.
    Snapshot {
        /// The session.
        session: u64,
        /// The aggregation, as the plan names it (`AggDesc::handle`: `@` and its D name).
        aggregation: String,
    },
    /// `clear()`s one aggregation.
    Clear {
        /// The session.
        session: u64,
        /// The aggregation (`AggDesc::handle`).
        aggregation: String,
    },
    /// Deletes aggregation entries by undecoded key (`trunc()`).
    DeleteKeys {
        /// The session.
        session: u64,
        /// The aggregation (`AggDesc::handle`).
        aggregation: String,
        /// The keys, in hex.
        keys: Vec<String>,
    },
    /// Frees a speculation whose end the client handled.
    FreeSpeculation {
        /// The session.
        session: u64,
        /// The speculation ID.
        id: u8,
        /// The low byte of its generation.
        generation: u8,
    },
    /// Every drop counter of a session.
    Drops {
        /// The session.
        session: u64,
    },
    /// Stops and unloads a session this connection started.
    Stop {
        /// The session.
        session: u64,
    },
    /// Every session, standing scripts included.
    Sessions,
    /// The probes a description matches.
    Probes {
        /// A probe description, `provider:module:function:name` with globs.
        description: String,
    },
    /// A question to the kernel's probe catalog, for a client that cannot read it itself.
    Catalog {
        /// The question.
        query: catalog::CatalogQuery,
    },
}

/// A program to compile: its sources and every setting that changes what is compiled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramRequest {
    /// The sources, in command-line order.
    pub sources: Vec<SourceText>,
    /// Settings of the front end.
    pub compile: CompileSettings,
    /// Settings of the code generator, after `#pragma D option`.
    pub codegen: CodegenSettings,
    /// The client asks for destructive actions (`-w`); the daemon's config must allow them too.
    pub destructive: bool,
    /// What the client found about the processes and files of its `pid` and USDT probes, which
    /// the daemon compiles against (for the processes the client may trace); none when absent.
    #[serde(default, skip_serializing_if = "user::UserFacts::is_empty")]
    pub user: user::UserFacts,
}

/// One source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceText {
    /// Its name in messages: a script's path or `-n`'s text.
    pub name: String,
    /// The D text.
    pub text: String,
    /// How it was given.
    pub kind: SourceKind,
}

/// How a source was given, which says how a partial probe description reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `-s`: a script.
    Script,
    /// `-P`.
    Provider,
    /// `-m`.
    Module,
    /// `-f`.
    Function,
    /// `-n` or `-i`.
    Name,
}

/// The front end's settings ([`CompileOptions`] without the library, which each side adds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileSettings {
    /// `strsize`.
    pub strsize: u32,
    /// `scratchsize`, less its 8 bytes.
    pub scratchsize: u32,
    /// `$0`.
    pub program_name: String,
    /// `$1`, `$2`, ...
    pub macro_args: Vec<String>,
    /// `$pid`, `$ppid`, `$uid`, ... of the client, and `$target`.
    pub macro_variables: MacroVariableSettings,
    /// `defaultargs`.
    pub defaultargs: bool,
    /// `argref`.
    pub argref: bool,
    /// `zdefs`.
    pub zdefs: bool,
    /// `empty`.
    pub empty: bool,
    /// `stackframes`.
    pub stackframes: u32,
    /// `ustackframes`.
    pub ustackframes: u32,
    /// `maxframes`.
    pub maxframes: u32,
    /// `pspec`.
    #[serde(default)]
    pub pspec: bool,
    /// `linkmode=dynamic` without `knodefs`.
    #[serde(default)]
    pub kernel_relocations: bool,
}

/// The macro variables, as [`MacroVariables`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "each field is the macro variable of the same name"
)]
pub struct MacroVariableSettings {
    pub egid: u32,
    pub euid: u32,
    pub gid: u32,
    pub pid: u32,
    pub pgid: u32,
    pub ppid: u32,
    pub sid: u32,
    pub target: u32,
    pub uid: u32,
}

/// The code generator's settings ([`CodegenOptions`] without the wall clock offset, which the
/// side that loads the program measures).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodegenSettings {
    /// `bufsize`, already a power of two of at least a page.
    pub bufsize: u32,
    /// `dynvarsize`.
    pub dynvarsize: u64,
    /// `nspec`.
    pub nspec: u32,
    /// `specsize`.
    pub specsize: u64,
    /// `aggsize`.
    pub aggsize: u64,
    /// `fbt` probes through kprobes (the attach method the loading side's kernel allows or
    /// `-x fbtmode` forces); fentry when absent.
    #[serde(default)]
    pub fbt_kprobes: bool,
    /// Shared `fbt` kprobe programs attached through kprobe-multi links (the attach method the
    /// loading side's kernel allows or `-x fbtmode` forces); a kprobe per function when absent.
    #[serde(default)]
    pub fbt_kprobe_multi: bool,
    /// `pid` and USDT probes attached through uprobe-multi links (the attach method the loading
    /// side's kernel allows or `-x uprobemode` forces); a uprobe perf event per site when absent.
    #[serde(default)]
    pub uprobe_multi: bool,
    /// Loops bounded by a counter rather than `may_goto` (`-x loopmode`, or kernels without it);
    /// `may_goto` when absent.
    #[serde(default)]
    pub bounded_loops: bool,
    /// Records through per-CPU perf buffers rather than the ring buffer (`-x bufmode`, or
    /// kernels without it); the ring buffer when absent.
    #[serde(default)]
    pub perf_buffer: bool,
    /// The current task's members that built-in variables read, loaded directly through
    /// `bpf_get_current_task_btf` (kernels with it and BTF); probe reads when absent.
    #[serde(default)]
    pub task_btf: bool,
}

impl Default for CompileSettings {
    /// dtrace's defaults, for standing scripts.
    fn default() -> CompileSettings {
        let frames = StackFrames::default();
        CompileSettings {
            strsize: 256,
            scratchsize: 256,
            program_name: "tracerd".to_owned(),
            macro_args: Vec::new(),
            macro_variables: MacroVariableSettings::default(),
            defaultargs: false,
            argref: false,
            zdefs: false,
            empty: false,
            stackframes: frames.kernel,
            ustackframes: frames.user,
            maxframes: frames.max,
            pspec: false,
            kernel_relocations: false,
        }
    }
}

impl CompileSettings {
    /// The front end's options, with the D library's files `library`.
    pub fn compile_options(&self, library: Vec<FileId>) -> CompileOptions {
        let vars = self.macro_variables;
        CompileOptions {
            strsize: self.strsize,
            scratchsize: self.scratchsize,
            program_name: self.program_name.clone(),
            macro_args: self.macro_args.clone(),
            macro_variables: MacroVariables {
                egid: vars.egid,
                euid: vars.euid,
                gid: vars.gid,
                pid: vars.pid,
                pgid: vars.pgid,
                ppid: vars.ppid,
                sid: vars.sid,
                target: vars.target,
                uid: vars.uid,
            },
            defaultargs: self.defaultargs,
            argref: self.argref,
            zdefs: self.zdefs,
            empty: self.empty,
            library,
            stack_frames: StackFrames {
                kernel: self.stackframes,
                user: self.ustackframes,
                max: self.maxframes,
            },
            pspec: self.pspec,
            kernel_relocations: self.kernel_relocations,
        }
    }
}

impl Default for CodegenSettings {
    /// libdtrace's defaults.
    fn default() -> CodegenSettings {
        let defaults = CodegenOptions::default();
        CodegenSettings {
            bufsize: defaults.bufsize,
            dynvarsize: defaults.dynvarsize,
            nspec: defaults.nspec,
            specsize: defaults.specsize,
            aggsize: defaults.aggsize,
            fbt_kprobes: defaults.fbt_kprobes,
            fbt_kprobe_multi: defaults.fbt_kprobe_multi,
            uprobe_multi: defaults.uprobe_multi,
            bounded_loops: defaults.bounded_loops,
            perf_buffer: defaults.perf_buffer,
            task_btf: defaults.task_btf,
        }
    }
}

impl CodegenSettings {
    /// The code generator's options, with `walltimestamp`'s clock offset.
    pub fn codegen_options(self, wall_clock_offset_ns: u64) -> CodegenOptions {
        CodegenOptions {
            wall_clock_offset_ns,
            bufsize: self.bufsize,
            dynvarsize: self.dynvarsize,
            nspec: self.nspec,
            specsize: self.specsize,
            aggsize: self.aggsize,
            fbt_kprobes: self.fbt_kprobes,
            fbt_kprobe_multi: self.fbt_kprobe_multi,
            uprobe_multi: self.uprobe_multi,
            bounded_loops: self.bounded_loops,
            perf_buffer: self.perf_buffer,
            task_btf: self.task_btf,
        }
    }
}

/// One line from the daemon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// A request succeeded.
    Reply {
        /// What it returns.
        reply: Reply,
    },
    /// A request failed; the connection stays usable unless the frame was unreadable.
    Error {
        /// The error.
        error: ErrorReply,
    },
    /// Records of a session, in ring buffer order, each in hex.
    Records {
        /// The session.
        session: u64,
        /// The records.
        records: Vec<String>,
    },
    /// Records of a session this connection did not take in time, so the daemon dropped them.
    Dropped {
        /// The session.
        session: u64,
        /// How many records, since the last such frame.
        count: u64,
    },
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The message, as `tracer` would print it after its name.
    pub message: String,
    /// For [`ErrorKind::Verifier`]: the rejected program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// For [`ErrorKind::Verifier`]: the verifier's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_log: Option<String>,
}

/// The kinds of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The peer may not use the daemon (`SO_PEERCRED`: neither root nor in the group).
    PermissionDenied,
    /// The line was not a request (bad JSON, unknown op, too long).
    Malformed,
    /// The program does not compile; the message is the rendered diagnostic.
    Compile,
    /// The program has destructive actions and the daemon's config does not allow them.
    Destructive,
    /// The verifier rejected a program.
    Verifier,
    /// No such session, or not this connection's.
    NoSession,
    /// The engine failed.
    Engine,
}

/// What a successful request returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// `status`.
    Status(Status),
    /// `check`: the compiled program's fingerprint.
    Checked {
        /// See [`Reply::Started::fingerprint`].
        fingerprint: String,
    },
    /// `start`.
    Started {
        /// The new session.
        session: u64,
        /// A digest of the compiled program's records, aggregations and probes, with which the
        /// client checks that its own compile of the same request agrees with the daemon's.
        fingerprint: String,
    },
    /// `attach`: the session and the program it runs, for the client to compile and print with.
    Attached {
        /// The session.
        session: u64,
        /// What the session was compiled from.
        program: ProgramRequest,
        /// See [`Reply::Started::fingerprint`].
        fingerprint: String,
    },
    /// A request that returns nothing.
    Done,
    /// `free_speculation`: whether the speculation was freed.
    Freed {
        /// Whether it was.
        freed: bool,
    },
    /// `snapshot`.
    Snapshot {
        /// The aggregation's generation.
        generation: u64,
        /// Each entry: its key and its value on each CPU, in hex.
        entries: Vec<RawEntry>,
    },
    /// `drops`.
    Drops(Drops),
    /// `sessions`.
    Sessions {
        /// Every session.
        sessions: Vec<SessionInfo>,
    },
    /// `probes`.
    Probes {
        /// Every matching probe.
        probes: Vec<ProbeListing>,
    },
    /// `catalog`.
    Catalog {
        /// The catalog's answer.
        answer: catalog::CatalogAnswer,
    },
}

/// The daemon's health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The daemon's version.
    pub version: String,
    /// The daemon's pid.
    pub pid: u32,
    /// Seconds since it started.
    pub uptime_seconds: u64,
    /// Connected clients.
    pub clients: u64,
    /// Sessions, standing scripts included.
    pub sessions: u64,
    /// Records sent to clients.
    pub records: u64,
    /// Records dropped for slow clients.
    pub dropped: u64,
    /// Requests refused as malformed.
    pub malformed: u64,
}

/// One aggregation entry, undecoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawEntry {
    /// The key, in hex.
    pub key: String,
    /// The value on each possible CPU, in hex.
    pub values: Vec<String>,
}

/// Every drop counter of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    /// Ring buffer drops, `(cpu, count)`.
    pub principal: Vec<(u32, u64)>,
    /// Aggregation drops, `(cpu, count)`.
    pub aggregation: Vec<(u32, u64)>,
    /// Dynamic variable drops.
    pub dynamic: u64,
    /// Speculative records larger than `specsize`.
    pub speculative: u64,
    /// `speculation()` calls that found every ID busy.
    pub speculation_busy: u64,
    /// `speculation()` calls that found no ID.
    pub speculation_unavailable: u64,
}

/// One session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Its id.
    pub id: u64,
    /// Its name: the standing script's, or `session-ID`.
    pub name: String,
    /// Whether it is a standing script.
    pub standing: bool,
    /// The uid of the client that started it (0 for standing scripts).
    pub uid: u32,
    /// How many connections receive its records.
    pub subscribers: u64,
    /// Records read from its ring buffer.
    pub records: u64,
}

/// One probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the fields are the parts of a probe's name")]
pub struct ProbeListing {
    pub id: u32,
    pub provider: String,
    pub module: String,
    pub function: String,
    pub name: String,
}

/// `bytes` in lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    text
}

/// The bytes of hex `text`; `None` when it is not an even number of hex digits.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| (byte as char).to_digit(16).map(|value| value as u8);
    digits
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_bad_digits() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(to_hex(&bytes), "00017f80ff");
        assert_eq!(from_hex("00017f80ff").as_deref(), Some(&bytes[..]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("é0"), None);
    }

    #[test]
    fn requests_read_as_documented() {
        let request: Request =
            serde_json::from_str(r#"{"op":"snapshot","session":3,"aggregation":"agg_0"}"#).unwrap();
        assert_eq!(
            request,
            Request::Snapshot {
                session: 3,
                aggregation: "agg_0".to_owned()
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"rm -rf"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"op":"stop"}"#).is_err());
    }

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Reply {
                reply: Reply::Started {
                    session: 1,
                    fingerprint: "ab".to_owned(),
                },
            },
            Frame::Reply { reply: Reply::Done },
            Frame::Records {
                session: 1,
                records: vec!["00ff".to_owned()],
            },
            Frame::Error {
                error: ErrorReply {
                    kind: ErrorKind::PermissionDenied,
                    message: "no".to_owned(),
                    program: None,
                    verifier_log: None,
                },
            },
        ];
        for frame in frames {
            let line = serde_json::to_string(&frame).unwrap();
            assert_eq!(
                serde_json::from_str::<Frame>(&line).unwrap(),
                frame,
                "{line}"
            );
        }
    }
}

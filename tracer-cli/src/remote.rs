//! [`RemoteSession`]: a session in `tracerd`, seen through the [`Engine`] trait.
//!
//! `tracer` compiles the program itself, as in-process, and asks the daemon to compile and load
//! the same request; the daemon streams the raw ring buffer records and answers aggregation reads
//! with raw map contents, which the consumer decodes exactly as it decodes a local session's. So
//! the printers cannot tell where the engine runs, and the output is the same.
//!
//! The client is synchronous: one connection, requests answered in order, records of the session
//! arriving between replies and kept until [`Engine::poll_events`] hands them over.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use d_frontend::provider::{
    FunctionPrototype, KernelNamespace, KernelSymbol, KernelType, KernelTypeId, MemberInfo,
    ProbeCatalog, SdtNote, SyscallInfo, TracepointField, TracepointInfo, UserFunction, UserModule,
};
use tracer_daemon::aggregate::RawAggregation;
use tracer_daemon::engine::{Engine, SessionDrops};
use tracer_daemon::error::EngineError;
use tracer_daemon::speculations::SpecDrops;
use tracer_daemon::user::UserFiles;
use tracer_ebpf::plan::{AggDesc, SpecDesc};
use tracer_protocol::catalog::{CatalogAnswer, CatalogQuery, Namespace};
use tracer_protocol::{
    ErrorKind, ErrorReply, Frame, MAX_FRAME_BYTES, ProgramRequest, Reply, Request, from_hex, to_hex,
};

/// A connection to `tracerd` and the session it started or attached to.
pub struct RemoteSession {
    connection: RefCell<Connection>,
    /// The session, once started or attached.
    session: u64,
    /// Whether this client started the session (and so runs `BEGIN` and `END`), rather than
    /// attached to a running one.
    owner: bool,
    /// This client's own processes and files, for its `pid` and USDT probes.
    user: UserFiles,
}

/// The socket and what was read from it but not yet used.
struct Connection {
    stream: UnixStream,
    /// Bytes of a frame not yet complete.
    buffer: Vec<u8>,
    /// Records received, oldest first.
    records: VecDeque<Vec<u8>>,
}

impl RemoteSession {
    /// Connects to the daemon at `path` and checks that it accepts this user.
    pub fn connect(path: &Path) -> anyhow::Result<RemoteSession> {
        let stream = UnixStream::connect(path).map_err(|io_error| {
            anyhow::anyhow!(
                "failed to connect to tracerd at `{}`: {io_error}",
                path.display()
            )
        })?;
        let remote = RemoteSession {
            connection: RefCell::new(Connection {
                stream,
                buffer: Vec::new(),
                records: VecDeque::new(),
            }),
            session: 0,
            owner: false,
            user: UserFiles::default(),
        };
        remote.request(&Request::Status)?;
        Ok(remote)
    }

    /// Records that process `pid`, created by this client and not yet released, will execute
    /// `program`, as [`KernelCatalog::add_created_process`](tracer_daemon::catalog::KernelCatalog::add_created_process).
    pub fn add_created_process(&self, pid: u32, program: &Path) {
        self.user.add_created(pid, program);
    }

    /// Asks the daemon to compile and load `program`; returns the fingerprint of its compile.
    pub fn start(&mut self, program: ProgramRequest) -> Result<String, EngineError> {
        match self.request(&Request::Start { program })? {
            Reply::Started {
                session,
                fingerprint,
            } => {
                self.session = session;
                self.owner = true;
                Ok(fingerprint)
            }
            other => Err(unexpected(&other)),
        }
    }

    /// Attaches to the standing script or session `name`; returns what it was compiled from and
    /// the fingerprint of the daemon's compile.
    pub fn attach(&mut self, name: &str) -> Result<(ProgramRequest, String), EngineError> {
        let request = Request::Attach {
            name: name.to_owned(),
        };
        match self.request(&request)? {
            Reply::Attached {
                session,
                program,
                fingerprint,
            } => {
                self.session = session;
                self.owner = false;
                Ok((program, fingerprint))
            }
            other => Err(unexpected(&other)),
        }
    }

    /// Sends `request` and waits for its reply, keeping the records that arrive meanwhile.
    fn request(&self, request: &Request) -> Result<Reply, EngineError> {
        let mut connection = self.connection.borrow_mut();
        let mut line =
            serde_json::to_vec(request).map_err(|serde_error| daemon(serde_error.to_string()))?;
        line.push(b'\n');
        if let Err(io_error) = connection.stream.write_all(&line) {
            // A daemon that refused this client said why before it closed the connection.
            if let Ok(Some(Frame::Error { error })) =
                connection.read_frame(Some(Instant::now() + Duration::from_secs(1)))
            {
                return Err(engine_error(error));
            }
            return Err(daemon(format!("failed to send a request: {io_error}")));
        }
        loop {
            match connection.read_frame(None)? {
                Some(Frame::Reply { reply }) => return Ok(reply),
                Some(Frame::Error { error }) => return Err(engine_error(error)),
                Some(frame) => connection.keep(frame)?,
                None => {}
            }
        }
    }

    fn done(&self, request: &Request) -> Result<(), EngineError> {
        match self.request(request)? {
            Reply::Done => Ok(()),
            other => Err(unexpected(&other)),
        }
    }
}

impl Connection {
    /// Reads one frame, waiting until `deadline` (forever when `None`); `None` when the deadline
    /// passed or a signal interrupted the wait.
    fn read_frame(&mut self, deadline: Option<Instant>) -> Result<Option<Frame>, EngineError> {
        loop {
            if let Some(newline) = self.buffer.iter().position(|&byte| byte == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=newline).collect();
                return serde_json::from_slice(&line[..newline])
                    .map(Some)
                    .map_err(|serde_error| {
                        daemon(format!("sent a malformed frame: {serde_error}"))
                    });
            }
            if self.buffer.len() > MAX_FRAME_BYTES {
                return Err(daemon(format!(
                    "sent a frame longer than {MAX_FRAME_BYTES} bytes"
                )));
            }
            let timeout = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(None),
                },
            };
            self.stream
                .set_read_timeout(timeout)
                .map_err(|io_error| daemon(io_error.to_string()))?;
            let mut chunk = [0u8; 1 << 14];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(daemon("closed the connection".to_owned())),
                Ok(n_bytes) => self.buffer.extend_from_slice(&chunk[..n_bytes]),
                Err(io_error)
                    if matches!(
                        io_error.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    return Ok(None);
                }
                Err(io_error) => return Err(daemon(format!("failed to read: {io_error}"))),
            }
        }
    }

    /// Reads one frame if one has arrived, without waiting.
    fn read_frame_now(&mut self) -> Result<Option<Frame>, EngineError> {
        let set_nonblocking = |stream: &UnixStream, nonblocking: bool| {
            stream
                .set_nonblocking(nonblocking)
                .map_err(|io_error| daemon(io_error.to_string()))
        };
        set_nonblocking(&self.stream, true)?;
        let frame = self.read_frame(None);
        set_nonblocking(&self.stream, false)?;
        frame
    }

    /// Keeps the records of a frame that is not a reply.
    fn keep(&mut self, frame: Frame) -> Result<(), EngineError> {
        match frame {
            Frame::Records { records, .. } => {
                for record in records {
                    let Some(bytes) = from_hex(&record) else {
                        return Err(daemon("sent a record that is not hex".to_owned()));
                    };
                    self.records.push_back(bytes);
                }
                Ok(())
            }
            Frame::Dropped { count, .. } => {
                eprintln!(
                    "tracer: tracerd dropped {count} records that this client did not read in time"
                );
                Ok(())
            }
            Frame::Reply { reply } => Err(unexpected(&reply)),
            Frame::Error { error } => Err(engine_error(error)),
        }
    }
}

impl Engine for RemoteSession {
    fn run_begin(&mut self) -> Result<(), EngineError> {
        if !self.owner {
            return Ok(());
        }
        self.done(&Request::Begin {
            session: self.session,
        })
    }

    fn run_end(&mut self) -> Result<(), EngineError> {
        if !self.owner {
            return Ok(());
        }
        self.done(&Request::End {
            session: self.session,
        })
    }

    /// The daemon detaches when it runs `END`; an attached client has nothing to detach.
    fn detach(&mut self) -> Result<(), EngineError> {
        Ok(())
    }

    fn poll_events(
        &mut self,
        timeout: Duration,
        on_record: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, EngineError> {
        let deadline = Instant::now() + timeout;
        let connection = self.connection.get_mut();
        while connection.records.is_empty() {
            match connection.read_frame(Some(deadline))? {
                Some(frame) => connection.keep(frame)?,
                None => break,
            }
        }
        // Whatever else has arrived is taken too, as a local session takes the whole ring buffer.
        while let Some(frame) = connection.read_frame_now()? {
            connection.keep(frame)?;
        }
        let n_records = connection.records.len();
        for record in connection.records.drain(..) {
            on_record(&record);
        }
        Ok(n_records)
    }

    fn raw_aggregation(&self, agg: &AggDesc) -> Result<RawAggregation, EngineError> {
        let request = Request::Snapshot {
            session: self.session,
            aggregation: agg.handle(),
        };
        let Reply::Snapshot {
            generation,
            entries,
        } = self.request(&request)?
        else {
            return Err(daemon("answered a snapshot with something else".to_owned()));
        };
        let mut raw = RawAggregation {
            generation,
            entries: Vec::with_capacity(entries.len()),
        };
        for entry in entries {
            let key = from_hex(&entry.key);
            let values: Option<Vec<Vec<u8>>> =
                entry.values.iter().map(|value| from_hex(value)).collect();
            let (Some(key), Some(values)) = (key, values) else {
                return Err(daemon(
                    "sent an aggregation entry that is not hex".to_owned(),
                ));
            };
            raw.entries.push((key, values));
        }
        Ok(raw)
    }

    fn clear_aggregation(&self, agg: &AggDesc) -> Result<(), EngineError> {
        self.done(&Request::Clear {
            session: self.session,
            aggregation: agg.handle(),
        })
    }

    fn delete_aggregation_keys(
        &self,
        agg: &AggDesc,
        raw_keys: &[Vec<u8>],
    ) -> Result<(), EngineError> {
        self.done(&Request::DeleteKeys {
            session: self.session,
            aggregation: agg.handle(),
            keys: raw_keys.iter().map(|key| to_hex(key)).collect(),
        })
    }

    fn free_speculation(
        &self,
        _specs: &SpecDesc,
        id: u8,
        generation: u8,
    ) -> Result<bool, EngineError> {
        let request = Request::FreeSpeculation {
            session: self.session,
            id,
            generation,
        };
        match self.request(&request)? {
            Reply::Freed { freed } => Ok(freed),
            other => Err(unexpected(&other)),
        }
    }

    fn session_drops(&self) -> Result<SessionDrops, EngineError> {
        match self.request(&Request::Drops {
            session: self.session,
        })? {
            Reply::Drops(drops) => Ok(SessionDrops {
                principal: drops.principal,
                aggregation: drops.aggregation,
                dynamic: drops.dynamic,
                speculation: SpecDrops {
                    drops: drops.speculative,
                    busy: drops.speculation_busy,
                    unavail: drops.speculation_unavailable,
                },
            }),
            other => Err(unexpected(&other)),
        }
    }
}

fn daemon(message: String) -> EngineError {
    EngineError::Daemon { message }
}

fn unexpected(reply: &Reply) -> EngineError {
    daemon(format!("sent an unexpected reply: {reply:?}"))
}

/// The daemon's catalog, for a client that cannot read the kernel's itself (one that is not
/// root): the client then compiles against exactly what the daemon compiles against. A question
/// the daemon fails to answer gets an empty answer, as from a kernel without the probe.
///
/// Questions about processes and their files are answered here, from what this client may read:
/// they are about its own processes, which the daemon would see differently (a `-c` command not
/// yet executing its program) and may not read for it; the answers go to the daemon with the
/// program (`tracer_protocol::user`).
impl ProbeCatalog for RemoteSession {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        self.ask(CatalogQuery::Syscalls)
            .map(CatalogAnswer::into_syscalls)
            .unwrap_or_default()
    }

    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        self.ask(CatalogQuery::StructMember {
            struct_name: struct_name.to_owned(),
            member: member.to_owned(),
        })?
        .into_member()
    }

    fn kernel_type_named(&self, namespace: KernelNamespace, name: &str) -> Option<KernelTypeId> {
        self.ask(CatalogQuery::KernelTypeNamed {
            namespace: Namespace::from_kernel(namespace),
            name: name.to_owned(),
        })?
        .into_type_id()
    }

    fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
        self.ask(CatalogQuery::KernelType { id })?.into_type()
    }

    fn tracepoints(&self) -> Vec<TracepointInfo> {
        self.ask(CatalogQuery::Tracepoints)
            .map(CatalogAnswer::into_tracepoints)
            .unwrap_or_default()
    }

    fn tracepoint_format(&self, group: &str, event: &str) -> Option<Vec<TracepointField>> {
        self.ask(CatalogQuery::TracepointFormat {
            group: group.to_owned(),
            event: event.to_owned(),
        })?
        .into_fields()
    }

    fn kernel_functions(&self) -> Vec<String> {
        self.ask(CatalogQuery::KernelFunctions)
            .map(CatalogAnswer::into_functions)
            .unwrap_or_default()
    }

    fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
        self.ask(CatalogQuery::KernelFunction {
            name: name.to_owned(),
        })?
        .into_prototype()
    }

    fn has_module(&self, name: &str) -> bool {
        matches!(
            self.ask(CatalogQuery::HasModule {
                name: name.to_owned(),
            }),
            Some(CatalogAnswer::HasModule { present: true })
        )
    }

    fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        self.user.modules(pid)
    }

    fn user_library(&self, pid: u32, name: &str) -> Option<UserModule> {
        self.user.library(pid, name)
    }

    fn user_functions(&self, path: &str) -> Vec<UserFunction> {
        self.user.functions(path).as_ref().clone()
    }

    fn user_address_offset(&self, path: &str, address: u64) -> Option<u64> {
        tracer_daemon::user::address_offset(path, address)
    }

    fn user_instructions(&self, path: &str, function: &UserFunction) -> Vec<u64> {
        tracer_daemon::user::instruction_offsets(path, function)
    }

    fn sdt_notes(&self, path: &str) -> Vec<SdtNote> {
        self.user.sdt_notes(path)
    }

    fn kernel_symbol(&self, module: Option<&str>, name: &str) -> Option<KernelSymbol> {
        match self.ask(CatalogQuery::KernelSymbol {
            module: module.map(str::to_owned),
            name: name.to_owned(),
        })? {
            CatalogAnswer::KernelSymbol {
                symbol: Some((address, ty)),
            } => Some(KernelSymbol { address, ty }),
            _ => None,
        }
    }
}

impl RemoteSession {
    /// Asks the daemon's catalog.
    fn ask(&self, query: CatalogQuery) -> Option<CatalogAnswer> {
        match self.request(&Request::Catalog { query }) {
            Ok(Reply::Catalog { answer }) => Some(answer),
            _ => None,
        }
    }
}

/// The daemon's error as the engine's: a verifier rejection keeps its program and log, so that
/// `tracer` explains it against the clause as in-process.
fn engine_error(error: ErrorReply) -> EngineError {
    match (error.kind, error.program, error.verifier_log) {
        (ErrorKind::Verifier, Some(program), Some(verifier_log)) => EngineError::Verifier {
            program,
            io_error: io::Error::other("rejected by the verifier in tracerd"),
            verifier_log,
        },
        _ => daemon(error.message),
    }
}

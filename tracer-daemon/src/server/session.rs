//! One session's thread: it compiles and loads the program, then owns the [`Session`] until the
//! session stops, reading the ring buffer and answering commands.
//!
//! Socket handlers never touch a session: they send it [`Command`]s over a channel, and this
//! thread alone reads its ring buffer and maps, so aggregation reads, `clear()` and record order
//! need no lock. Records go to every subscribed connection through that connection's bounded
//! queue; a queue that is full loses the batch, which is counted and reported to the subscriber
//! with a [`Frame::Dropped`] once its queue has room again, so a slow reader never holds up the
//! session or the other readers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use tokio::sync::{mpsc as async_mpsc, oneshot};
use tracer_ebpf::layout::AggFunc;
use tracer_ebpf::plan::CompiledProgram;

use super::metrics::{AggregationSample, SessionSample, label_of};
use super::{Shared, targets};
use crate::engine::Engine as _;
use crate::error::EngineError;
use crate::load::Session;
use crate::program::{self, error};
use tracer_protocol::{
    Drops, ErrorKind, ErrorReply, Frame, ProgramRequest, RawEntry, Reply, from_hex, to_hex,
};

/// How long the thread waits for records before it looks at its commands again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A line to write to a connection.
pub type Line = Arc<String>;

/// What a command answers.
pub type Answer = oneshot::Sender<Result<Reply, ErrorReply>>;

/// What a connection asks of a session.
pub enum Command {
    /// Run `BEGIN`, start tracing.
    Begin,
    /// Detach, run `END`, send the last records.
    End,
    /// Read an aggregation.
    Snapshot(String),
    /// `clear()` an aggregation.
    Clear(String),
    /// Delete aggregation entries by key, in hex.
    DeleteKeys(String, Vec<String>),
    /// Free a speculation.
    FreeSpeculation {
        /// Its ID.
        id: u8,
        /// Its generation's low byte.
        generation: u8,
    },
    /// Read the drop counters.
    Drops,
    /// Send the records to connection `conn` from now on.
    Subscribe(u64, async_mpsc::Sender<Line>),
    /// Stop sending records to connection `conn`.
    Unsubscribe(u64),
    /// Report for a metrics scrape (the answer is `Done`; the sample goes to the sender).
    Sample(oneshot::Sender<SessionSample>),
    /// Stop and unload the session.
    Stop,
}

/// A loaded session's channel and what the connection that started it must know.
pub struct Started {
    /// Where to send commands (with the channel to answer on).
    pub commands: mpsc::Sender<(Command, Answer)>,
    /// The compiled program's fingerprint.
    pub fingerprint: String,
    /// Records read from its ring buffer so far.
    pub records: Arc<AtomicU64>,
}

/// A connection that receives the records.
struct Subscriber {
    conn: u64,
    queue: async_mpsc::Sender<Line>,
    /// Records dropped since the last `dropped` frame.
    dropped: u64,
}

/// Compiles `request` and loads it on a new thread, which then serves the session `id`; answers
/// on `ready` once the programs are attached or failed. `client` is the uid of the client that
/// started it, or `None` for a standing script, whose `BEGIN` runs at once.
pub fn spawn(
    shared: Arc<Shared>,
    id: u64,
    request: ProgramRequest,
    client: Option<u32>,
    ready: oneshot::Sender<Result<Started, ErrorReply>>,
) {
    let begin = client.is_none();
    let uid = client.unwrap_or(0);
    let spawned = std::thread::Builder::new()
        .name(format!("session-{id}"))
        .spawn(move || {
            let built = match program::build(
                &request,
                &shared.user_catalog(&request.user, uid),
                shared.config.allow_destructive,
                program::wall_clock_offset_ns(),
            ) {
                Ok(built) => built,
                Err(failure) => {
                    let _ = ready.send(Err(failure));
                    return;
                }
            };
            let mut compiled = built.generated.program;
            if client.is_some() {
                targets::in_process_roots(&mut compiled);
            }
            let session = match Session::load(&compiled) {
                Ok(session) => session,
                Err(engine_error) => {
                    let _ = ready.send(Err(load_error(&engine_error)));
                    return;
                }
            };
            if let Some(pid) = targets::untraceable(&compiled, uid) {
                drop(session);
                let _ = ready.send(Err(error(
                    ErrorKind::PermissionDenied,
                    format!("failed to grab process {pid}: not a process of uid {uid}"),
                )));
                return;
            }
            let mut running = false;
            if begin {
                if let Err(engine_error) = session.run_begin() {
                    let _ = ready.send(Err(engine_reply(&engine_error)));
                    return;
                }
                running = true;
            }
            let (commands, receiver) = mpsc::channel();
            let records = Arc::new(AtomicU64::new(0));
            let started = Started {
                commands,
                fingerprint: program::fingerprint(&compiled),
                records: Arc::clone(&records),
            };
            if ready.send(Ok(started)).is_err() {
                return;
            }
            let mut thread = SessionThread {
                shared,
                id,
                session,
                compiled,
                running,
                standing: begin,
                subscribers: Vec::new(),
                records,
            };
            let stopped = thread.serve(&receiver);
            // Dropping the session detaches and unloads everything; only then is `stop` answered.
            drop(thread);
            if let Some(answer) = stopped {
                let _ = answer.send(Ok(Reply::Done));
            }
        });
    if let Err(io_error) = spawned {
        eprintln!("tracerd: failed to start a session thread: {io_error}");
    }
}

/// The state of a session's thread.
struct SessionThread {
    shared: Arc<Shared>,
    id: u64,
    session: Session,
    compiled: CompiledProgram,
    /// Whether `BEGIN` ran and `END` has not.
    running: bool,
    /// Whether this is a standing script, whose aggregations are metrics.
    standing: bool,
    subscribers: Vec<Subscriber>,
    /// Records read from the ring buffer so far.
    records: Arc<AtomicU64>,
}

impl SessionThread {
    /// Answers commands and forwards records until `Stop`, whose answer it returns, or until
    /// every sender is gone.
    fn serve(&mut self, receiver: &mpsc::Receiver<(Command, Answer)>) -> Option<Answer> {
        loop {
            loop {
                match receiver.try_recv() {
                    Ok((Command::Stop, answer)) => return Some(answer),
                    Ok((command, answer)) => self.handle(command, answer),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return None,
                }
            }
            if self.running {
                self.forward(POLL_INTERVAL);
                continue;
            }
            match receiver.recv_timeout(POLL_INTERVAL) {
                Ok((Command::Stop, answer)) => return Some(answer),
                Ok((command, answer)) => self.handle(command, answer),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn handle(&mut self, command: Command, answer: Answer) {
        let result = match command {
            Command::Begin => self.session.run_begin().map(|()| {
                self.running = true;
                Reply::Done
            }),
            Command::End => {
                self.session.detach();
                self.running = false;
                let ended = self.session.run_end();
                self.forward(Duration::ZERO);
                ended.map(|()| Reply::Done)
            }
            Command::Snapshot(map) => match self.aggregation(&map) {
                Some(agg) => self
                    .session
                    .raw_aggregation(agg)
                    .map(|raw| Reply::Snapshot {
                        generation: raw.generation,
                        entries: raw
                            .entries
                            .iter()
                            .map(|(key, values)| RawEntry {
                                key: to_hex(key),
                                values: values.iter().map(|value| to_hex(value)).collect(),
                            })
                            .collect(),
                    }),
                None => return no_aggregation(answer, &map),
            },
            Command::Clear(map) => match self.aggregation(&map) {
                Some(agg) => self.session.clear_aggregation(agg).map(|()| Reply::Done),
                None => return no_aggregation(answer, &map),
            },
            Command::DeleteKeys(map, keys) => {
                let (Some(agg), Some(keys)) = (
                    self.aggregation(&map),
                    keys.iter()
                        .map(|key| from_hex(key))
                        .collect::<Option<Vec<_>>>(),
                ) else {
                    return no_aggregation(answer, &map);
                };
                self.session
                    .delete_aggregation_keys(agg, &keys)
                    .map(|()| Reply::Done)
            }
            Command::FreeSpeculation { id, generation } => match &self.compiled.speculations {
                Some(specs) => self
                    .session
                    .free_speculation(specs, id, generation)
                    .map(|freed| Reply::Freed { freed }),
                None => Ok(Reply::Freed { freed: false }),
            },
            Command::Drops => self.session.session_drops().map(|drops| {
                Reply::Drops(Drops {
                    principal: drops.principal,
                    aggregation: drops.aggregation,
                    dynamic: drops.dynamic,
                    speculative: drops.speculation.drops,
                    speculation_busy: drops.speculation.busy,
                    speculation_unavailable: drops.speculation.unavail,
                })
            }),
            Command::Subscribe(conn, queue) => {
                self.subscribers.push(Subscriber {
                    conn,
                    queue,
                    dropped: 0,
                });
                self.publish_subscribers();
                Ok(Reply::Done)
            }
            Command::Unsubscribe(conn) => {
                self.subscribers
                    .retain(|subscriber| subscriber.conn != conn);
                self.publish_subscribers();
                Ok(Reply::Done)
            }
            Command::Sample(sample) => {
                let _ = sample.send(self.sample());
                Ok(Reply::Done)
            }
            Command::Stop => unreachable!("Stop is handled by serve"),
        };
        let _ = answer.send(result.map_err(|engine_error| engine_reply(&engine_error)));
    }

    /// The aggregation the protocol names `handle`.
    fn aggregation(&self, handle: &str) -> Option<&tracer_ebpf::plan::AggDesc> {
        self.compiled
            .aggregations
            .iter()
            .find(|agg| agg.handle() == handle)
    }

    /// Waits up to `timeout` for records and sends them to every subscriber.
    fn forward(&mut self, timeout: Duration) {
        let mut records = Vec::new();
        if let Err(engine_error) = self
            .session
            .poll_events(timeout, &mut |bytes| records.push(to_hex(bytes)))
        {
            eprintln!("tracerd: session {}: {}", self.id, chain(&engine_error));
            std::thread::sleep(timeout);
            return;
        }
        if records.is_empty() {
            return;
        }
        let n_records = records.len() as u64;
        self.records.fetch_add(n_records, Ordering::Relaxed);
        let frame = Frame::Records {
            session: self.id,
            records,
        };
        let line = Arc::new(line_of(&frame));
        let mut n_sent = 0;
        self.subscribers.retain_mut(|subscriber| {
            if subscriber.dropped > 0 {
                let dropped = Frame::Dropped {
                    session: self.id,
                    count: subscriber.dropped,
                };
                if subscriber
                    .queue
                    .try_send(Arc::new(line_of(&dropped)))
                    .is_ok()
                {
                    subscriber.dropped = 0;
                }
            }
            match subscriber.queue.try_send(Arc::clone(&line)) {
                Ok(()) => {
                    n_sent += n_records;
                    true
                }
                Err(async_mpsc::error::TrySendError::Full(_)) => {
                    subscriber.dropped += n_records;
                    self.shared
                        .counters
                        .dropped
                        .fetch_add(n_records, Ordering::Relaxed);
                    true
                }
                Err(async_mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        self.shared
            .counters
            .records
            .fetch_add(n_sent, Ordering::Relaxed);
    }

    /// The session's counters and, for a standing script, its aggregations as they are now.
    fn sample(&self) -> SessionSample {
        let drops = match self.session.session_drops() {
            Ok(drops) => vec![
                (
                    "principal",
                    drops.principal.iter().map(|&(_, count)| count).sum(),
                ),
                (
                    "aggregation",
                    drops.aggregation.iter().map(|&(_, count)| count).sum(),
                ),
                ("dynamic", drops.dynamic),
                ("speculative", drops.speculation.drops),
            ],
            Err(_) => Vec::new(),
        };
        let aggregations = if self.standing {
            self.compiled
                .aggregations
                .iter()
                .filter_map(|agg| {
                    let rows = self.session.aggregation(agg).ok()?;
                    Some(AggregationSample {
                        name: agg.name.clone(),
                        histogram: matches!(
                            agg.func,
                            AggFunc::Quantize | AggFunc::Lquantize | AggFunc::Llquantize
                        ),
                        params: agg.params,
                        rows: rows
                            .into_iter()
                            .map(|(keys, value)| (keys.iter().map(label_of).collect(), value))
                            .collect(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        SessionSample {
            name: String::new(),
            records: self.records.load(Ordering::Relaxed),
            programs: self.compiled.programs.len() as u64,
            drops,
            aggregations,
        }
    }

    /// Tells the registry how many connections receive the records.
    fn publish_subscribers(&self) {
        self.shared
            .set_subscribers(self.id, self.subscribers.len() as u64);
    }
}

/// A frame as one line of JSON.
pub fn line_of(frame: &Frame) -> String {
    let mut line = serde_json::to_string(frame).unwrap_or_else(|serde_error| {
        unreachable!("protocol frames always serialize: {serde_error}")
    });
    line.push('\n');
    line
}

fn no_aggregation(answer: Answer, map: &str) {
    let _ = answer.send(Err(error(
        ErrorKind::Malformed,
        format!("no aggregation in map `{map}`, or a malformed key"),
    )));
}

/// An engine error and its causes, as one line.
pub fn chain(engine_error: &EngineError) -> String {
    let mut message = engine_error.to_string();
    let mut source = std::error::Error::source(engine_error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn engine_reply(engine_error: &EngineError) -> ErrorReply {
    error(ErrorKind::Engine, chain(engine_error))
}

/// A load error; a verifier rejection keeps the program and the log, for the client to map back
/// to a clause.
fn load_error(engine_error: &EngineError) -> ErrorReply {
    match engine_error {
        EngineError::Verifier {
            program,
            verifier_log,
            ..
        } => ErrorReply {
            kind: ErrorKind::Verifier,
            message: chain(engine_error),
            program: Some(program.clone()),
            verifier_log: Some(verifier_log.clone()),
        },
        _ => engine_reply(engine_error),
    }
}

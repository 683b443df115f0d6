//! `tracerd`: the engine behind a Unix socket.
//!
//! The daemon runs the same engine as `tracer` in-process: each session is compiled by
//! [`program::build`](crate::program::build) and loaded as a [`Session`](crate::load::Session)
//! on a thread of its own (`session`), which reads its ring buffer and maps. Clients speak the
//! [`protocol`](tracer_protocol) over the socket (`connection`), after `SO_PEERCRED` tells who
//! they are (`auth`). A connection that closes, however it closes, stops the sessions it started,
//! which detaches their probes and unloads their programs. Standing scripts (`standing`) are
//! sessions that the daemon starts itself and that any client may attach to by name.
//!
//! The socket server runs on a single-threaded tokio runtime: it only moves lines between
//! sockets and session threads, and the session threads do the blocking work.

pub mod auth;
pub mod config;
mod connection;
pub mod metrics;
pub mod notify;
mod session;
pub mod standing;
mod targets;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context as _;
use tokio::net::UnixListener;
use tokio::sync::oneshot;

use crate::catalog::KernelCatalog;
use config::Config;
use session::{Answer, Command, Started};
use tracer_protocol::user::{FactCatalog, UserFacts};
use tracer_protocol::{ErrorReply, ProgramRequest, SessionInfo};

/// The daemon's counters, for `status` and metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Connected clients.
    pub clients: AtomicU64,
    /// Records sent to clients.
    pub records: AtomicU64,
    /// Records dropped for slow clients.
    pub dropped: AtomicU64,
    /// Requests refused as malformed.
    pub malformed: AtomicU64,
}

/// What every connection and session thread shares.
pub struct Shared {
    /// The configuration.
    pub config: Config,
    /// The running kernel's probes, read once.
    pub catalog: KernelCatalog,
    /// The gid of the configured group, if it exists.
    pub group_gid: Option<u32>,
    /// The counters.
    pub counters: Counters,
    /// When the daemon started.
    pub started: Instant,
    registry: Mutex<Registry>,
}

/// Every session.
#[derive(Default)]
struct Registry {
    next_id: u64,
    sessions: BTreeMap<u64, Entry>,
}

/// One session as connections see it.
struct Entry {
    name: String,
    standing: bool,
    uid: u32,
    program: ProgramRequest,
    fingerprint: String,
    commands: std::sync::mpsc::Sender<(Command, Answer)>,
    records: Arc<AtomicU64>,
    subscribers: u64,
}

impl Shared {
    /// The shared state of a daemon with `config`.
    pub fn new(config: Config, catalog: KernelCatalog) -> Shared {
        let group_gid = auth::group_gid(&config.group);
        Shared {
            config,
            catalog,
            group_gid,
            counters: Counters::default(),
            started: Instant::now(),
            registry: Mutex::new(Registry::default()),
        }
    }

    /// The catalog a program of user `uid` compiles against: the kernel's, with the user-space
    /// `facts` its client sent about the processes `uid` may trace. What the client did not send
    /// is looked up on this machine only for root's programs (and standing scripts), so the
    /// daemon never reads a process or a file for a user who could not read it.
    pub fn user_catalog(&self, facts: &UserFacts, uid: u32) -> FactCatalog<'_> {
        let mut facts = facts.clone();
        facts.processes.retain(|&pid, _| auth::may_trace(uid, pid));
        FactCatalog::new(&self.catalog, facts, uid == 0)
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Compiles and loads `request` as a new session named `name` (`session-ID` when `None`),
    /// started by connection `owner` of user `uid`; returns its id and fingerprint.
    async fn start_session(
        self: &Arc<Self>,
        request: ProgramRequest,
        name: Option<String>,
        owner: Option<u64>,
        uid: u32,
    ) -> Result<(u64, String), ErrorReply> {
        let id = {
            let mut registry = self.registry();
            registry.next_id += 1;
            registry.next_id
        };
        let (ready, started) = oneshot::channel();
        session::spawn(
            Arc::clone(self),
            id,
            request.clone(),
            owner.map(|_| uid),
            ready,
        );
        let Ok(result) = started.await else {
            return Err(crate::program::error(
                tracer_protocol::ErrorKind::Engine,
                "the session's thread ended before it was ready".to_owned(),
            ));
        };
        let Started {
            commands,
            fingerprint,
            records,
        } = result?;
        self.registry().sessions.insert(
            id,
            Entry {
                name: name.unwrap_or_else(|| format!("session-{id}")),
                standing: owner.is_none(),
                uid,
                program: request,
                fingerprint: fingerprint.clone(),
                commands,
                records,
                subscribers: 0,
            },
        );
        Ok((id, fingerprint))
    }

    /// Sends `command` to session `id`; `None` when there is no such session.
    fn send(
        &self,
        id: u64,
        command: Command,
    ) -> Option<oneshot::Receiver<Result<tracer_protocol::Reply, ErrorReply>>> {
        let (answer, reply) = oneshot::channel();
        let registry = self.registry();
        let entry = registry.sessions.get(&id)?;
        entry.commands.send((command, answer)).ok()?;
        Some(reply)
    }

    /// Removes session `id` from the registry and stops it, waiting until it is unloaded.
    async fn stop_session(&self, id: u64) {
        let Some(entry) = self.registry().sessions.remove(&id) else {
            return;
        };
        let (answer, reply) = oneshot::channel();
        if entry.commands.send((Command::Stop, answer)).is_ok() {
            let _ = reply.await;
        }
    }

    /// Stops every session, at shutdown.
    pub async fn stop_all(&self) {
        let ids: Vec<u64> = self.registry().sessions.keys().copied().collect();
        for id in ids {
            self.stop_session(id).await;
        }
    }

    fn set_subscribers(&self, id: u64, subscribers: u64) {
        if let Some(entry) = self.registry().sessions.get_mut(&id) {
            entry.subscribers = subscribers;
        }
    }

    /// Every session.
    fn sessions(&self) -> Vec<SessionInfo> {
        self.registry()
            .sessions
            .iter()
            .map(|(&id, entry)| SessionInfo {
                id,
                name: entry.name.clone(),
                standing: entry.standing,
                uid: entry.uid,
                subscribers: entry.subscribers,
                records: entry.records.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The session named `name`: its id, program and fingerprint.
    fn find(&self, name: &str) -> Option<(u64, ProgramRequest, String)> {
        self.registry()
            .sessions
            .iter()
            .find(|(_, entry)| entry.name == name)
            .map(|(&id, entry)| (id, entry.program.clone(), entry.fingerprint.clone()))
    }

    /// Whether session `id` still runs.
    fn exists(&self, id: u64) -> bool {
        self.registry().sessions.contains_key(&id)
    }

    /// Every session's metrics sample, named; a session that does not answer within a second
    /// is left out.
    async fn samples(&self) -> Vec<metrics::SessionSample> {
        let sessions: Vec<(u64, String)> = self
            .registry()
            .sessions
            .iter()
            .map(|(&id, entry)| (id, entry.name.clone()))
            .collect();
        let mut samples = Vec::new();
        for (id, name) in sessions {
            let (sender, receiver) = oneshot::channel();
            if self.send(id, Command::Sample(sender)).is_none() {
                continue;
            }
            let timeout = std::time::Duration::from_secs(1);
            if let Ok(Ok(mut sample)) = tokio::time::timeout(timeout, receiver).await {
                sample.name = name;
                samples.push(sample);
            }
        }
        samples
    }

    fn n_sessions(&self) -> u64 {
        self.registry().sessions.len() as u64
    }
}

/// Binds the socket at `path`: removes a stale one, creates the directory, then sets mode 0660
/// and the configured group when it exists.
pub fn bind(path: &Path, group_gid: Option<u32>) -> anyhow::Result<UnixListener> {
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        anyhow::bail!("another tracerd is listening on `{}`", path.display());
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("failed to remove `{}`", path.display()));
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    let listener =
        UnixListener::bind(path).with_context(|| format!("failed to bind `{}`", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .with_context(|| format!("failed to set the mode of `{}`", path.display()))?;
    if let Some(gid) = group_gid {
        std::os::unix::fs::chown(path, None, Some(gid))
            .with_context(|| format!("failed to set the group of `{}`", path.display()))?;
    }
    Ok(listener)
}

/// Accepts connections until the future `shutdown` completes, then stops every session.
pub async fn serve(
    shared: Arc<Shared>,
    listener: UnixListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut next_conn = 0u64;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    next_conn += 1;
                    tokio::spawn(connection::serve(Arc::clone(&shared), stream, next_conn));
                }
                Err(io_error) => {
                    eprintln!("tracerd: failed to accept a connection: {io_error}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
    shared.stop_all().await;
}

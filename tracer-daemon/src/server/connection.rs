//! One client connection: authorization, then one request per line, answered in order.
//!
//! Lines are read with a bound ([`MAX_REQUEST_BYTES`]): a longer line is skipped to its end and
//! answered with a `malformed` error, as is a line that is not a request, so no input makes the
//! daemon buffer without end or stop serving. Frames go out through a bounded queue that a
//! writer task empties; replies wait for room, records do not (see `session`). When the
//! connection ends, by EOF, error or the client's death, every session it started is stopped and
//! every session it attached to forgets it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use super::Shared;
use super::auth::{self, Peer};
use super::session::{Command, Line, line_of};
use crate::program::error;
use tracer_protocol::{
    ErrorKind, ErrorReply, Frame, MAX_REQUEST_BYTES, PROTOCOL_VERSION, ProbeListing, Reply,
    Request, Status,
};

/// One line read from the client.
enum Read {
    /// A complete line, without its newline.
    Line(Vec<u8>),
    /// A line longer than the bound, skipped.
    TooLong,
    /// The end of the stream (a last line without a newline is a truncated frame, ignored).
    Eof,
}

/// What the connection holds.
struct Connection {
    shared: Arc<Shared>,
    id: u64,
    peer: Peer,
    queue: mpsc::Sender<Line>,
    /// Sessions this connection started.
    owned: Vec<u64>,
    /// Sessions this connection receives records of.
    subscribed: Vec<u64>,
}

/// Serves one connection until it closes.
pub async fn serve(shared: Arc<Shared>, stream: UnixStream, id: u64) {
    let peer = match stream.peer_cred() {
        Ok(cred) => Peer {
            uid: cred.uid(),
            gid: cred.gid(),
            pid: cred.pid(),
        },
        Err(io_error) => {
            eprintln!("tracerd: failed to read a client's credentials: {io_error}");
            return;
        }
    };
    let (reader, writer) = stream.into_split();
    let (queue, outgoing) = mpsc::channel(shared.config.client_queue);
    let writing = tokio::spawn(write_frames(writer, outgoing));
    shared.counters.clients.fetch_add(1, Ordering::Relaxed);
    let mut connection = Connection {
        shared: Arc::clone(&shared),
        id,
        peer,
        queue,
        owned: Vec::new(),
        subscribed: Vec::new(),
    };
    match auth::authorize(peer, &shared.config.group, shared.group_gid) {
        Ok(()) => connection.read_requests(reader).await,
        Err(message) => {
            connection
                .send(Frame::Error {
                    error: error(ErrorKind::PermissionDenied, message),
                })
                .await;
        }
    }
    connection.close().await;
    drop(connection);
    let _ = writing.await;
    shared.counters.clients.fetch_sub(1, Ordering::Relaxed);
}

/// Writes every queued line until the queue closes or the client stops reading.
async fn write_frames(mut writer: OwnedWriteHalf, mut outgoing: mpsc::Receiver<Line>) {
    while let Some(line) = outgoing.recv().await {
        if writer.write_all(line.as_bytes()).await.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

/// Reads one line of at most `max` bytes.
async fn read_line(reader: &mut BufReader<OwnedReadHalf>, max: usize) -> std::io::Result<Read> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(Read::Eof);
        }
        let (chunk, end) = match buffer.iter().position(|&byte| byte == b'\n') {
            Some(newline) => (&buffer[..newline], Some(newline + 1)),
            None => (buffer, None),
        };
        if !too_long {
            line.extend_from_slice(chunk);
            if line.len() >= max {
                too_long = true;
                line = Vec::new();
            }
        }
        let consumed = end.unwrap_or(buffer.len());
        reader.consume(consumed);
        if end.is_some() {
            return Ok(if too_long {
                Read::TooLong
            } else {
                Read::Line(line)
            });
        }
    }
}

impl Connection {
    async fn read_requests(&mut self, reader: OwnedReadHalf) {
        let mut reader = BufReader::new(reader);
        loop {
            let frame = match read_line(&mut reader, MAX_REQUEST_BYTES).await {
                Ok(Read::Eof) | Err(_) => return,
                Ok(Read::TooLong) => {
                    self.malformed(format!("request longer than {MAX_REQUEST_BYTES} bytes"))
                }
                Ok(Read::Line(line)) => match serde_json::from_slice::<Request>(&line) {
                    Ok(request) => match self.handle(request).await {
                        Ok(reply) => Frame::Reply { reply },
                        Err(error) => Frame::Error { error },
                    },
                    Err(serde_error) => self.malformed(format!("not a request: {serde_error}")),
                },
            };
            self.send(frame).await;
        }
    }

    fn malformed(&self, message: String) -> Frame {
        self.shared
            .counters
            .malformed
            .fetch_add(1, Ordering::Relaxed);
        Frame::Error {
            error: error(ErrorKind::Malformed, message),
        }
    }

    async fn send(&self, frame: Frame) {
        let _ = self.queue.send(Arc::new(line_of(&frame))).await;
    }

    async fn handle(&mut self, request: Request) -> Result<Reply, ErrorReply> {
        let shared = Arc::clone(&self.shared);
        match request {
            Request::Status => Ok(Reply::Status(self.status())),
            Request::Check { program } => {
                let uid = self.peer.uid;
                let built = tokio::task::spawn_blocking(move || {
                    crate::program::build(
                        &program,
                        &shared.user_catalog(&program.user, uid),
                        shared.config.allow_destructive,
                        0,
                    )
                    .map(|built| crate::program::fingerprint(&built.generated.program))
                })
                .await
                .map_err(|join_error| error(ErrorKind::Engine, join_error.to_string()))?;
                built.map(|fingerprint| Reply::Checked { fingerprint })
            }
            Request::Start { program } => {
                let (session, fingerprint) = shared
                    .start_session(program, None, Some(self.id), self.peer.uid)
                    .await?;
                self.owned.push(session);
                self.subscribe(session).await?;
                Ok(Reply::Started {
                    session,
                    fingerprint,
                })
            }
            Request::Attach { name } => {
                let Some((session, program, fingerprint)) = shared.find(&name) else {
                    return Err(error(
                        ErrorKind::NoSession,
                        format!("no session or standing script named `{name}`"),
                    ));
                };
                self.subscribe(session).await?;
                Ok(Reply::Attached {
                    session,
                    program,
                    fingerprint,
                })
            }
            Request::Begin { session } => self.command(session, Command::Begin, true).await,
            Request::End { session } => self.command(session, Command::End, true).await,
            Request::Stop { session } => {
                self.check(session, true)?;
                self.owned.retain(|&owned| owned != session);
                self.subscribed.retain(|&subscribed| subscribed != session);
                shared.stop_session(session).await;
                Ok(Reply::Done)
            }
            Request::Snapshot {
                session,
                aggregation,
            } => {
                self.command(session, Command::Snapshot(aggregation), false)
                    .await
            }
            Request::Clear {
                session,
                aggregation,
            } => {
                self.command(session, Command::Clear(aggregation), false)
                    .await
            }
            Request::DeleteKeys {
                session,
                aggregation,
                keys,
            } => {
                self.command(session, Command::DeleteKeys(aggregation, keys), false)
                    .await
            }
            Request::FreeSpeculation {
                session,
                id,
                generation,
            } => {
                self.command(session, Command::FreeSpeculation { id, generation }, false)
                    .await
            }
            Request::Drops { session } => self.command(session, Command::Drops, false).await,
            Request::Sessions => Ok(Reply::Sessions {
                sessions: shared.sessions(),
            }),
            Request::Catalog { query } => tokio::task::spawn_blocking(move || Reply::Catalog {
                answer: tracer_protocol::catalog::answer(&shared.catalog, &query),
            })
            .await
            .map_err(|join_error| error(ErrorKind::Engine, join_error.to_string())),
            Request::Probes { description } => {
                let uid = self.peer.uid;
                tokio::task::spawn_blocking(move || probes(&shared, &description, uid))
                    .await
                    .map_err(|join_error| error(ErrorKind::Engine, join_error.to_string()))?
            }
        }
    }

    /// Checks that this connection may act on `session`: it started it, or (unless `owner_only`)
    /// receives its records.
    fn check(&self, session: u64, owner_only: bool) -> Result<(), ErrorReply> {
        let allowed =
            self.owned.contains(&session) || (!owner_only && self.subscribed.contains(&session));
        if allowed && self.shared.exists(session) {
            return Ok(());
        }
        Err(error(
            ErrorKind::NoSession,
            format!("no session {session} on this connection"),
        ))
    }

    async fn command(
        &self,
        session: u64,
        command: Command,
        owner_only: bool,
    ) -> Result<Reply, ErrorReply> {
        self.check(session, owner_only)?;
        let gone = || error(ErrorKind::NoSession, format!("session {session} has ended"));
        let Some(reply) = self.shared.send(session, command) else {
            return Err(gone());
        };
        reply.await.map_err(|_| gone())?
    }

    async fn subscribe(&mut self, session: u64) -> Result<(), ErrorReply> {
        if self.subscribed.contains(&session) {
            return Ok(());
        }
        self.subscribed.push(session);
        let subscribe = Command::Subscribe(self.id, self.queue.clone());
        self.command(session, subscribe, false).await.map(drop)
    }

    /// Stops what this connection started and leaves what it attached to.
    async fn close(&mut self) {
        for session in std::mem::take(&mut self.owned) {
            self.shared.stop_session(session).await;
        }
        for session in std::mem::take(&mut self.subscribed) {
            if let Some(reply) = self.shared.send(session, Command::Unsubscribe(self.id)) {
                let _ = reply.await;
            }
        }
    }

    fn status(&self) -> Status {
        let counters = &self.shared.counters;
        Status {
            protocol: PROTOCOL_VERSION,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pid: std::process::id(),
            uptime_seconds: self.shared.started.elapsed().as_secs(),
            clients: counters.clients.load(Ordering::Relaxed),
            sessions: self.shared.n_sessions(),
            records: counters.records.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
            malformed: counters.malformed.load(Ordering::Relaxed),
        }
    }
}

/// The probes `description` matches, from the catalog as user `uid` may read it; nothing is
/// loaded.
fn probes(shared: &Shared, description: &str, uid: u32) -> Result<Reply, ErrorReply> {
    use tracer_protocol::user::UserFacts;
    use tracer_protocol::{
        CodegenSettings, CompileSettings, ProgramRequest, SourceKind, SourceText,
    };
    let request = ProgramRequest {
        sources: vec![SourceText {
            name: description.to_owned(),
            text: description.to_owned(),
            kind: SourceKind::Name,
        }],
        compile: CompileSettings {
            zdefs: true,
            ..CompileSettings::default()
        },
        codegen: CodegenSettings::default(),
        destructive: false,
        user: UserFacts::default(),
    };
    let (sources, inputs, library) = crate::program::inputs(&request);
    let options = request.compile.compile_options(library);
    let catalog = shared.user_catalog(&request.user, uid);
    let compiled = d_frontend::compile::compile_inputs(&sources, &inputs, &catalog, &options)
        .map_err(|_| {
            error(
                ErrorKind::Compile,
                format!("invalid probe description `{description}`"),
            )
        })?;
    let probes = compiled
        .module
        .probes
        .iter()
        .map(|probe| ProbeListing {
            id: probe.id,
            provider: probe.desc.provider.clone(),
            module: probe.desc.module.clone(),
            function: probe.desc.function.clone(),
            name: probe.desc.name.clone(),
        })
        .collect();
    Ok(Reply::Probes { probes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_bounded_and_a_long_one_is_skipped_to_its_end() {
        let (client, server) = UnixStream::pair().unwrap();
        let (reader, _writer) = server.into_split();
        let mut reader = BufReader::new(reader);
        let (_client_reader, mut client_writer) = client.into_split();
        let mut input = b"{\"op\":\"status\"}\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\nshort\ntruncated");
        tokio::spawn(async move {
            client_writer.write_all(&input).await.unwrap();
        });
        let mut reads = Vec::new();
        loop {
            match read_line(&mut reader, 64).await.unwrap() {
                Read::Line(line) => reads.push(String::from_utf8(line).unwrap()),
                Read::TooLong => reads.push("<too long>".to_owned()),
                Read::Eof => break,
            }
        }
        assert_eq!(reads, ["{\"op\":\"status\"}", "<too long>", "short"]);
    }
}

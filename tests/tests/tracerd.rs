//! `tracerd` end to end: a real daemon on a temporary socket, real `tracer` clients and raw
//! protocol clients.
//!
//! Each test starts its own daemon with its own socket, configuration and scripts directory, so
//! the tests run in parallel and never touch `/run/tracer`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::bpf_objects::BpfIds;
use tests::command::tracer_path;
use tests::{TestCommand, environment, targets};

/// How long a daemon may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Calls `attempt` every `interval` until it succeeds and returns its value; after `timeout`,
/// panics with `failure` of the last attempt's error.
fn poll<T, E>(
    timeout: Duration,
    interval: Duration,
    mut attempt: impl FnMut() -> Result<T, E>,
    failure: impl FnOnce(E) -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(error) if Instant::now() >= deadline => panic!("{}", failure(error)),
            Err(_) => thread::sleep(interval),
        }
    }
}

/// A `tracerd` running on a temporary socket; killed when dropped.
struct Daemon {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

impl Daemon {
    /// Starts a daemon whose scripts directory holds `scripts` (`(file name, text)`).
    fn start(name: &str, scripts: &[(&str, &str)]) -> Daemon {
        Daemon::start_with(name, scripts, "", &[])
    }

    /// Like [`Daemon::start`], with more configuration lines and flags.
    fn start_with(
        name: &str,
        scripts: &[(&str, &str)],
        config_lines: &str,
        flags: &[String],
    ) -> Daemon {
        if let Err(missing) = environment::check() {
            panic!("this machine cannot run the end-to-end tests: {missing}");
        }
        let dir = std::env::temp_dir().join(format!("tracerd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let scripts_dir = dir.join("scripts.d");
        std::fs::create_dir_all(&scripts_dir).unwrap();
        // The directory is world-readable so that the `nobody` client can reach the socket.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for (file, text) in scripts {
            std::fs::write(scripts_dir.join(file), text).unwrap();
        }
        let config = dir.join("tracer.toml");
        // Unless the test says otherwise, no user but root is in the daemon's group.
        let config_text = if config_lines.contains("group =") {
            config_lines.to_owned()
        } else {
            format!("group = \"tracerd-test-no-such-group\"\n{config_lines}")
        };
        std::fs::write(&config, config_text).unwrap();
        let socket = dir.join("tracer.sock");
        let child = Command::new(tracerd_path())
            .arg("--socket")
            .arg(&socket)
            .arg("--config")
            .arg(&config)
            .arg("--scripts-dir")
            .arg(&scripts_dir)
            .arg("--foreground")
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).unwrap())
            .spawn()
            .expect("tracerd starts");
        let mut daemon = Daemon { child, dir, socket };
        let log = daemon.dir.join("log");
        let listening = poll(
            START_TIMEOUT,
            Duration::from_millis(20),
            || match UnixStream::connect(&daemon.socket) {
                Ok(_) => Ok(Ok(())),
                Err(_) => match daemon.child.try_wait() {
                    Ok(Some(status)) => Ok(Err(status)),
                    _ => Err(()),
                },
            },
            |()| {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                format!("tracerd did not listen:\n{log}")
            },
        );
        if let Err(status) = listening {
            panic!("tracerd exited with {status}:\n{}", daemon.log());
        }
        daemon
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `tracer --daemon SOCKET ARGS...`.
    fn tracer(&self, args: &[&str]) -> TestCommand {
        let mut command = TestCommand::tracer();
        command
            .arg("--daemon")
            .arg(self.socket.display().to_string());
        command.args(args.iter().copied());
        command
    }

    /// Sends one request on a new connection and returns the reply frame.
    fn request(&self, request: &Value) -> Value {
        let mut client = Raw::connect(&self.socket);
        client.send_line(&request.to_string());
        client.reply()
    }

    fn sessions(&self) -> Vec<Value> {
        let reply = self.request(&json!({"op": "sessions"}));
        reply["reply"]["sessions"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no sessions in {reply}"))
    }

    /// Waits until `ready` holds for the sessions list, or panics with `what`.
    fn wait_for_sessions(&self, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        poll(
            START_TIMEOUT,
            Duration::from_millis(20),
            || {
                let sessions = self.sessions();
                if ready(&sessions) {
                    Ok(sessions)
                } else {
                    Err(sessions)
                }
            },
            |sessions| format!("{what}: sessions are {sessions:?}\n{}", self.log()),
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is this test's child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(self.child.try_wait(), Ok(Some(_))) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `tracerd`, beside `tracer`.
fn tracerd_path() -> PathBuf {
    let path = tracer_path().with_file_name("tracerd");
    assert!(
        path.is_file(),
        "tracerd not found at {}: run cargo build --workspace first",
        path.display()
    );
    path
}

/// A raw protocol client.
struct Raw {
    reader: BufReader<UnixStream>,
    stream: UnixStream,
}

impl Raw {
    fn connect(socket: &Path) -> Raw {
        let stream = UnixStream::connect(socket).expect("tracerd accepts a connection");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Raw {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    fn send_line(&mut self, line: &str) {
        self.stream.write_all(line.as_bytes()).unwrap();
        self.stream.write_all(b"\n").unwrap();
    }

    /// The next reply or error frame, skipping record frames.
    fn reply(&mut self) -> Value {
        loop {
            let mut line = String::new();
            let n_bytes = self.reader.read_line(&mut line).expect("tracerd answers");
            assert!(n_bytes > 0, "tracerd closed the connection");
            let frame: Value = serde_json::from_str(&line).expect("tracerd sends JSON");
            if frame["type"] == "reply" || frame["type"] == "error" {
                return frame;
            }
        }
    }
}

/// Sends SIGINT to a running command, as ^C would.
fn interrupt(pid: u32) {
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is this test's child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
}

/// The last non-empty line of `stdout`, as a number.
fn last_number(lines: &[String]) -> u64 {
    let last = lines
        .iter()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("no output in {lines:?}"));
    last.trim()
        .parse()
        .unwrap_or_else(|_| panic!("`{last}` is not a number"))
}

#[test]
fn records_and_aggregations_reach_two_clients() {
    let daemon = Daemon::start("two-clients", &[]);
    let owner = daemon
        .tracer(&[
            "-q",
            "-n",
            "tick-100ms { printf(\"tick %d\\n\", n++); @ticks = count(); }",
        ])
        .timeout(Duration::from_secs(30))
        .spawn();
    daemon.wait_for_sessions("the owner's session starts", |sessions| {
        sessions
            .iter()
            .any(|session| session["name"] == "session-1")
    });
    let attached = daemon
        .tracer(&["-q", "--attach", "session-1"])
        .timeout(Duration::from_secs(30))
        .spawn();
    daemon.wait_for_sessions("the second client attaches", |sessions| {
        sessions.iter().any(|session| session["subscribers"] == 2)
    });
    thread::sleep(Duration::from_millis(800));
    interrupt(attached.pid());
    let attached = attached.wait();
    interrupt(owner.pid());
    let owner = owner.wait();
    owner.assert_exit(0);
    attached.assert_exit(0);
    let owner_lines = owner.stdout_lines();
    let attached_lines = attached.stdout_lines();
    let ticks: Vec<&String> = attached_lines
        .iter()
        .filter(|line| line.starts_with("tick "))
        .collect();
    assert!(
        ticks.len() >= 3,
        "the attached client saw few records\n{attached}"
    );
    for tick in &ticks {
        assert!(
            owner_lines.contains(tick),
            "{tick} is not in the owner's output\n{owner}"
        );
    }
    let attached_count = last_number(&attached_lines);
    let owner_count = last_number(&owner_lines);
    assert!(attached_count >= ticks.len() as u64, "{attached}");
    assert!(owner_count >= attached_count, "{owner}\n{attached}");
    daemon.wait_for_sessions("the owner's session ends with it", <[Value]>::is_empty);
}

#[test]
fn a_user_neither_root_nor_in_the_group_is_refused() {
    let daemon = Daemon::start("refused", &[]);
    // The socket's mode keeps other users out; opening it up leaves the refusal to SO_PEERCRED.
    std::fs::set_permissions(&daemon.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let line = format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups {} --daemon {} -n 'BEGIN {{ exit(0); }}'",
        tracer_path().display(),
        daemon.socket.display()
    );
    let output = TestCommand::shell(&line).run();
    output.assert_exit(1);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "tracer: tracerd: permission denied: uid 65534 is neither root nor a member of group `tracerd-test-no-such-group`\n",
        "{output}"
    );
    assert!(daemon.sessions().is_empty());
    let status = daemon.request(&json!({"op": "status"}));
    assert_eq!(status["reply"]["reply"], "status", "{status}");
}

#[test]
fn a_killed_client_leaves_no_program_or_link() {
    let daemon = Daemon::start("killed", &[]);
    let client = daemon
        .tracer(&[
            "-q",
            "-n",
            "syscall::getppid:entry { @calls = count(); } tick-100ms { @ticks = count(); }",
        ])
        .timeout(Duration::from_secs(30))
        .spawn();
    daemon.wait_for_sessions("the client's session starts", |sessions| {
        sessions.len() == 1
    });
    let held = BpfIds::held_by(daemon.pid());
    assert!(
        !held.programs.is_empty() && !held.links.is_empty(),
        "tracerd holds no program or link for the session: {held:?}"
    );
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is this test's child.
    unsafe { libc::kill(client.pid() as libc::pid_t, libc::SIGKILL) };
    let _ = client.wait();
    daemon.wait_for_sessions("the killed client's session stops", <[Value]>::is_empty);
    poll(
        Duration::from_secs(10),
        Duration::from_millis(50),
        || {
            let still_held = BpfIds::held_by(daemon.pid());
            let loaded = BpfIds::loaded().expect("BPF objects can be listed");
            let left = held.intersection(&loaded);
            if still_held.programs.is_empty()
                && still_held.links.is_empty()
                && left.programs.is_empty()
                && left.links.is_empty()
            {
                Ok(())
            } else {
                Err(format!(
                    "still loaded after the client died: {left:?}; held by tracerd: {still_held:?}"
                ))
            }
        },
        |why| why,
    );
}

#[test]
fn malformed_frames_and_many_clients_leave_the_daemon_serving() {
    let daemon = Daemon::start("malformed", &[]);
    let mut client = Raw::connect(&daemon.socket);
    let bad_lines = [
        "",
        "{",
        "null",
        "[1, 2, 3]",
        "{\"op\": \"launch\"}",
        "{\"op\": \"snapshot\", \"session\": \"one\"}",
        "{\"op\": \"start\", \"program\": 7}",
        "{\"op\": 5}",
        "\u{1}\u{2}\u{3}\u{7f}",
        "{\"op\": \"clear\", \"session\": 99, \"aggregation\": \"agg_0\"}",
    ];
    for frame_idx in 0..1000 {
        client.send_line(bad_lines[frame_idx % bad_lines.len()]);
        let reply = client.reply();
        assert_eq!(reply["type"], "error", "frame {frame_idx}: {reply}");
    }
    // A line longer than the bound is skipped to its end and refused.
    let oversized = "x".repeat(3 << 20);
    client.send_line(&oversized);
    assert_eq!(client.reply()["error"]["kind"], "malformed");
    client.send_line("{\"op\": \"status\"}");
    let status = client.reply();
    assert_eq!(status["reply"]["reply"], "status", "{status}");
    assert!(
        status["reply"]["malformed"].as_u64().unwrap() >= 900,
        "{status}"
    );
    // A truncated frame: the connection closes in the middle of a request.
    let mut truncated = Raw::connect(&daemon.socket);
    truncated.stream.write_all(b"{\"op\": \"sta").unwrap();
    drop(truncated);

    let clients: Vec<_> = (0..50)
        .map(|client_idx| {
            let socket = daemon.socket.clone();
            thread::spawn(move || {
                let mut client = Raw::connect(&socket);
                client.send_line("{\"op\": \"status\"}");
                let status = client.reply();
                client.send_line("{\"op\": \"sessions\"}");
                let sessions = client.reply();
                (client_idx, status, sessions)
            })
        })
        .collect();
    let tracers: Vec<_> = (0..5)
        .map(|run_idx| {
            daemon
                .tracer(&[
                    "-q",
                    "-n",
                    &format!("BEGIN {{ printf(\"run {run_idx}\\n\"); exit(0); }}"),
                ])
                .timeout(Duration::from_mins(1))
                .spawn()
        })
        .collect();
    for client in clients {
        let (client_idx, status, sessions) = client.join().unwrap();
        assert_eq!(
            status["reply"]["reply"], "status",
            "client {client_idx}: {status}"
        );
        assert_eq!(
            sessions["reply"]["reply"], "sessions",
            "client {client_idx}: {sessions}"
        );
    }
    for (run_idx, tracer) in tracers.into_iter().enumerate() {
        let output = tracer.wait();
        output.assert_exit(0);
        assert_eq!(
            output.stdout_lines(),
            [format!("run {run_idx}"), String::new()],
            "{output}"
        );
    }
    let output = daemon
        .tracer(&[
            "-q",
            "-n",
            "BEGIN { printf(\"still serving\\n\"); exit(0); }",
        ])
        .run();
    output.assert_exit(0);
    assert_eq!(output.stdout_lines()[0], "still serving", "{output}");
}

#[test]
fn standing_scripts_start_with_the_daemon() {
    let daemon = Daemon::start(
        "standing",
        &[
            (
                "ticker.d",
                "tick-100ms { printf(\"standing %d\\n\", n++); @ticks = count(); }\n",
            ),
            ("broken.d", "tick-1s { x = ; }\n"),
            ("notes.txt", "not a script"),
        ],
    );
    let sessions =
        daemon.wait_for_sessions("the standing script runs", |sessions| !sessions.is_empty());
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["name"], "ticker");
    assert_eq!(sessions[0]["standing"], true);
    assert!(
        daemon.log().contains("standing script `broken` failed"),
        "{}",
        daemon.log()
    );
    // The script runs without a client: what it counts before one attaches is not lost.
    thread::sleep(Duration::from_millis(600));
    let attached = daemon
        .tracer(&["-q", "--attach", "ticker"])
        .timeout(Duration::from_secs(30))
        .spawn();
    thread::sleep(Duration::from_millis(1500));
    interrupt(attached.pid());
    let output = attached.wait();
    output.assert_exit(0);
    let lines = output.stdout_lines();
    let n_records = lines
        .iter()
        .filter(|line| line.starts_with("standing "))
        .count();
    assert!(n_records >= 3, "{output}");
    // The standing script ran before this client came, so its count is ahead of what it saw.
    assert!(last_number(&lines) > n_records as u64, "{output}");
    let missing = daemon.tracer(&["--attach", "nothing"]).run();
    missing.assert_exit(1);
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "tracer: tracerd: no session or standing script named `nothing`\n"
    );
}

#[test]
fn output_is_the_same_in_process_and_through_the_daemon() {
    let daemon = Daemon::start("identical", &[]);
    let programs: &[&[&str]] = &[
        &[
            "-q",
            "-n",
            "BEGIN { printf(\"%d %s\\n\", 42, \"x\"); @s[\"k\", 2] = sum(3); @q = quantize(100); \
             @l = lquantize(3, 0, 10, 2); @a = avg(7); exit(0); }",
        ],
        &[
            "-q",
            "-n",
            "BEGIN { @c[1] = count(); @c[2] = count(); @c[2] = count(); printa(@c); \
             trunc(@c, 1); printa(@c); clear(@c); printa(@c); exit(0); }",
        ],
        &[
            "-q",
            "-O",
            "json",
            "-n",
            "BEGIN { trace(7); @m = max(3); @h = quantize(5); exit(3); }",
        ],
        &[
            "-q",
            "-n",
            "BEGIN { s = speculation(); } BEGIN { speculate(s); printf(\"kept\\n\"); } \
             BEGIN { commit(s); } BEGIN { t = speculation(); } BEGIN { speculate(t); \
             printf(\"dropped\\n\"); } BEGIN { discard(t); exit(0); }",
        ],
        &["-n", "BEGIN { x = ; }"],
        &["-q", "-n", "BEGIN { chill(1); }"],
    ];
    // `BEGIN` runs on whichever CPU the test run lands on.
    let cpu = regex::Regex::new(r#""cpu":\d+"#).unwrap();
    for args in programs {
        let mut local_args = vec!["--local"];
        local_args.extend_from_slice(args);
        let local = TestCommand::tracer().args(local_args).run();
        let remote = daemon.tracer(args).run();
        assert_eq!(local.status, remote.status, "{local}\n{remote}");
        let stdout = |bytes: &[u8]| {
            cpu.replace_all(&String::from_utf8_lossy(bytes), "\"cpu\":_")
                .into_owned()
        };
        assert_eq!(
            stdout(&local.stdout),
            stdout(&remote.stdout),
            "{local}\n{remote}"
        );
        assert_eq!(
            String::from_utf8_lossy(&local.stderr),
            String::from_utf8_lossy(&remote.stderr),
            "{local}\n{remote}"
        );
        assert!(
            !local.stdout.is_empty() || !local.stderr.is_empty(),
            "{local}"
        );
    }
    // The daemon did run the programs that compiled and were allowed: four sessions' records.
    let status = daemon.request(&json!({"op": "status"}));
    assert!(
        status["reply"]["records"].as_u64().unwrap() >= 4,
        "{status}"
    );
}

#[test]
fn the_systemd_unit_verifies_and_stays_hardened() {
    let unit_dir = std::env::temp_dir().join(format!("tracerd-unit-{}", std::process::id()));
    std::fs::create_dir_all(&unit_dir).unwrap();
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/systemd/tracerd.service"),
    )
    .unwrap();
    assert!(unit.contains("\nType=notify\n"), "{unit}");
    assert!(
        !unit.contains("ProtectKernelTunables"),
        "it hides /proc/kallsyms"
    );
    // systemd-analyze checks that ExecStart names an executable, so the copy runs this build's.
    let unit = unit.replace(
        "/usr/local/bin/tracerd",
        &tracerd_path().display().to_string(),
    );
    let path = unit_dir.join("tracerd.service");
    std::fs::write(&path, unit).unwrap();
    let verify = TestCommand::new("systemd-analyze")
        .args(["verify", "--man=no", &path.display().to_string()])
        .run();
    let security = TestCommand::new("systemd-analyze")
        .args([
            "security",
            "--offline=true",
            "--threshold=60",
            &path.display().to_string(),
        ])
        .run();
    std::fs::remove_dir_all(&unit_dir).unwrap();
    verify.assert_exit(0);
    assert!(verify.stderr.is_empty(), "{verify}");
    security.assert_exit(0);
}

/// A TCP port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `GET path` on `127.0.0.1:port`: the status line and the body.
fn http_get(port: u16, path: &str) -> Option<(String, String)> {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_owned(), body.to_owned()))
}

/// `text` with every byte but letters, digits and `_` percent-encoded, for a URL's query.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || byte == b'_' {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// A Prometheus server scraping one target every second; killed when dropped.
struct Prometheus {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Prometheus {
    fn start(target_port: u16) -> Prometheus {
        let dir = std::env::temp_dir().join(format!("tracerd-prometheus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tracerd\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("log")).unwrap())
            .spawn()
            .expect("prometheus is installed (Debian package prometheus)");
        Prometheus { child, dir, port }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// The value of the instant query `query`, once it has one, as Prometheus writes it.
    fn wait_for_value(&self, query: &str) -> String {
        let path = format!("/api/v1/query?query={}", url_encode(query));
        poll(
            Duration::from_mins(1),
            Duration::from_millis(250),
            || {
                let (_, body) = http_get(self.port, &path).ok_or(())?;
                let reply: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                reply["data"]["result"][0]["value"][1]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or(())
            },
            |()| format!("Prometheus has no value for {query}\n{}", self.log()),
        )
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn prometheus_scrapes_a_standing_scripts_aggregations() {
    let metrics_port = free_port();
    let daemon = Daemon::start_with(
        "metrics",
        &[(
            "sizes.d",
            "tick-100ms { @ticks = count(); @sizes = quantize(5); @by[\"k\", 3] = sum(2); }\n",
        )],
        "",
        &[format!("--metrics-addr=127.0.0.1:{metrics_port}")],
    );
    daemon.wait_for_sessions("the standing script runs", |sessions| sessions.len() == 1);
    let (status, body) = http_get(metrics_port, "/metrics").expect("tracerd serves metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert!(
        body.contains("# TYPE tracer_sizes_sizes histogram\n"),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    let (status, _) = http_get(metrics_port, "/").unwrap();
    assert_eq!(status, "HTTP/1.1 404 Not Found");

    let prometheus = Prometheus::start(metrics_port);
    let number = |value: String| -> u64 {
        value
            .parse()
            .unwrap_or_else(|_| panic!("`{value}` is not an integer"))
    };
    let ticks = number(prometheus.wait_for_value("tracer_sizes_ticks"));
    assert!(ticks >= 1, "{ticks}");
    let summed = number(prometheus.wait_for_value("tracer_sizes_by{key0=\"k\",key1=\"3\"}"));
    assert!(summed >= 2 && summed % 2 == 0, "{summed}");
    // quantize(5) counts in DTrace's bucket 4..7: nothing is at or below 3, everything at 7.
    let below = prometheus.wait_for_value("tracer_sizes_sizes_bucket{le=\"3.0\"}");
    let at_seven = prometheus.wait_for_value("tracer_sizes_sizes_bucket{le=\"7.0\"}");
    let count = prometheus.wait_for_value("tracer_sizes_sizes_count");
    assert_eq!(below, "0");
    assert!(number(at_seven.clone()) >= 1, "{at_seven}");
    assert_eq!(at_seven, count);
    let sessions = prometheus.wait_for_value("tracerd_sessions");
    assert_eq!(sessions, "1", "{}", daemon.log());
}

#[test]
fn destructive_actions_need_the_config_and_the_client() {
    let program = "BEGIN { chill(1); printf(\"chilled\\n\"); exit(0); }";
    let refusing = Daemon::start("destructive-no", &[]);
    // The client asks with -w, but the daemon's config does not allow destructive actions.
    let refused = refusing.tracer(&["-q", "-w", "-n", program]).run();
    refused.assert_exit(1);
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "tracer: tracerd: could not enable tracing: Destructive actions not allowed (the daemon's config does not allow them)\n",
        "{refused}"
    );
    drop(refusing);
    let allowing = Daemon::start_with("destructive-yes", &[], "allow_destructive = true\n", &[]);
    let allowed = allowing.tracer(&["-q", "-w", "-n", program]).run();
    allowed.assert_exit(0);
    assert_eq!(allowed.stdout_lines()[0], "chilled", "{allowed}");
    // Without -w the client refuses before it asks, as dtrace does.
    let unasked = allowing.tracer(&["-q", "-n", program]).run();
    unasked.assert_exit(1);
    // A raw client cannot skip -w: the daemon refuses a request without it.
    let mut request = json!({"op": "start", "program": {
        "sources": [{"name": "chill", "text": program, "kind": "name"}],
        "compile": {"strsize": 256, "scratchsize": 256, "program_name": "raw", "macro_args": [],
            "macro_variables": {"egid": 0, "euid": 0, "gid": 0, "pid": 1, "pgid": 1, "ppid": 1,
                "sid": 1, "target": 0, "uid": 0},
            "defaultargs": false, "argref": false, "zdefs": false, "empty": false,
            "stackframes": 20, "ustackframes": 100, "maxframes": 127},
        "codegen": {"bufsize": 65536, "dynvarsize": 65536, "nspec": 1, "specsize": 65536,
            "aggsize": 65536},
        "destructive": false}});
    let reply = allowing.request(&request);
    assert_eq!(reply["error"]["kind"], "destructive", "{reply}");
    request["program"]["destructive"] = json!(true);
    let reply = allowing.request(&request);
    assert_eq!(reply["reply"]["reply"], "started", "{reply}");
}

#[test]
fn a_client_that_does_not_read_loses_records_not_the_daemon() {
    let daemon = Daemon::start_with("slow", &[], "client_queue = 1\n", &[]);
    let mut slow = Raw::connect(&daemon.socket);
    let program = "profile-4999 { printf(\"%d\\n\", timestamp); } \
        syscall:::entry { printf(\"%d %d\\n\", pid, timestamp); }";
    let start = json!({"op": "start", "program": {
        "sources": [{"name": "flood", "text": program, "kind": "name"}],
        "compile": {"strsize": 256, "scratchsize": 256, "program_name": "raw", "macro_args": [],
            "macro_variables": {"egid": 0, "euid": 0, "gid": 0, "pid": 1, "pgid": 1, "ppid": 1,
                "sid": 1, "target": 0, "uid": 0},
            "defaultargs": false, "argref": false, "zdefs": false, "empty": false,
            "stackframes": 20, "ustackframes": 100, "maxframes": 127},
        "codegen": {"bufsize": 65536, "dynvarsize": 65536, "nspec": 1, "specsize": 65536,
            "aggsize": 65536},
        "destructive": false}});
    slow.send_line(&start.to_string());
    let started = slow.reply();
    let session = started["reply"]["session"]
        .as_u64()
        .unwrap_or_else(|| panic!("{started}"));
    slow.send_line(&json!({"op": "begin", "session": session}).to_string());
    // The slow client never reads again; the daemon goes on serving everyone else.
    poll(
        Duration::from_secs(30),
        Duration::from_millis(50),
        || {
            let status = daemon.request(&json!({"op": "status"}));
            if status["reply"]["dropped"].as_u64().unwrap_or(0) > 0 {
                Ok(())
            } else {
                Err(status)
            }
        },
        |status| format!("nothing was dropped: {status}"),
    );
    let output = daemon
        .tracer(&["-q", "-n", "BEGIN { printf(\"served\\n\"); exit(0); }"])
        .run();
    output.assert_exit(0);
    assert_eq!(output.stdout_lines()[0], "served", "{output}");
    drop(slow);
    daemon.wait_for_sessions("the slow client's session stops", |sessions| {
        !sessions.iter().any(|entry| entry["id"] == session)
    });
}

#[test]
fn a_member_of_the_group_traces_without_root() {
    let daemon = Daemon::start_with("member", &[], "group = \"nogroup\"\n", &[]);
    // nobody's primary group is the daemon's group; tracefs is closed to it, so tracer compiles
    // against the daemon's catalog.
    let program = "BEGIN { printf(\"%s %d\\n\", \"member\", 7); @n[\"x\"] = count(); } \
        syscall::getppid:entry /pid == $pid/ { @n[\"getppid\"] = count(); } \
        tick-100ms { exit(0); }";
    let line = format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups {} --daemon {} -q -n '{program}'",
        tracer_path().display(),
        daemon.socket.display()
    );
    let member = TestCommand::shell(&line).run();
    member.assert_exit(0);
    let local = TestCommand::tracer()
        .args(["--local", "-q", "-n", program])
        .run();
    local.assert_exit(0);
    assert_eq!(
        member.stdout_lines(),
        local.stdout_lines(),
        "{member}\n{local}"
    );
    assert_eq!(member.stdout_lines()[0], "member 7", "{member}");
    let line = format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups {} --daemon {} -l -n 'syscall::getpp*:'",
        tracer_path().display(),
        daemon.socket.display()
    );
    let listed = TestCommand::shell(&line).run();
    listed.assert_exit(0);
    let local = TestCommand::tracer()
        .args(["--local", "-l", "-n", "syscall::getpp*:"])
        .run();
    assert_eq!(
        listed.stdout_lines(),
        local.stdout_lines(),
        "{listed}\n{local}"
    );
    assert_eq!(listed.stdout_lines().len(), 3, "{listed}");
}

/// A `program` of the protocol with dtrace's default settings.
fn program_request(text: &str, destructive: bool) -> Value {
    json!({
        "sources": [{"name": text, "text": text, "kind": "name"}],
        "compile": {"strsize": 256, "scratchsize": 256, "program_name": "raw", "macro_args": [],
            "macro_variables": {"egid": 0, "euid": 0, "gid": 0, "pid": 1, "pgid": 1, "ppid": 1,
                "sid": 1, "target": 0, "uid": 0},
            "defaultargs": false, "argref": false, "zdefs": false, "empty": false,
            "stackframes": 20, "ustackframes": 100, "maxframes": 127},
        "codegen": {"bufsize": 65536, "dynvarsize": 65536, "nspec": 1, "specsize": 65536,
            "aggsize": 65536},
        "destructive": destructive,
    })
}

#[test]
fn check_and_probes_answer_without_loading() {
    let daemon = Daemon::start("check", &[]);
    let checked = daemon.request(&json!({
        "op": "check",
        "program": program_request("syscall::getppid:entry { @ = count(); }", false),
    }));
    assert_eq!(checked["reply"]["reply"], "checked", "{checked}");
    let broken = daemon.request(&json!({
        "op": "check",
        "program": program_request("BEGIN { x = ; }", false),
    }));
    assert_eq!(broken["error"]["kind"], "compile", "{broken}");
    assert_eq!(
        broken["error"]["message"],
        "tracer: invalid probe specifier BEGIN { x = ; }: syntax error near \";\"",
        "{broken}"
    );
    let probes = daemon.request(&json!({"op": "probes", "description": "syscall::getppid:"}));
    let names: Vec<&str> = probes["reply"]["probes"]
        .as_array()
        .unwrap_or_else(|| panic!("{probes}"))
        .iter()
        .map(|probe| probe["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["entry", "return"], "{probes}");
    assert!(daemon.sessions().is_empty());
    assert!(BpfIds::held_by(daemon.pid()).programs.is_empty());
}

/// The pid suite's target program (`suites/scripts/pid_prog.c`, which says what it does), built
/// into the daemon's directory, which every user may read.
fn pid_prog(daemon: &Daemon) -> String {
    targets::build_pid_prog(&daemon.dir).display().to_string()
}

/// `tracer --daemon SOCKET ARGS...` run as `nobody` in group `nogroup`.
fn as_nobody(daemon: &Daemon, args: &[&str]) -> tests::Output {
    let mut line = format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups {} --daemon {}",
        tracer_path().display(),
        daemon.socket.display()
    );
    for arg in args {
        line.push(' ');
        line.push_str(&tests::command::shell_quote(arg));
    }
    TestCommand::shell(&line).run()
}

/// Runs `args` in-process as root and through `daemon` (as `nobody` when `member`), checks that
/// both print the same and exit alike, and returns the daemon's run. The pid in a provider's name
/// (`pid1234`, `app1234`) is the run's own `-c` command's, so it is compared as `PID`; the line
/// the command prints itself (`sum 45 ...`) may come before or after tracer's records, so it is
/// compared apart.
fn same_as_in_process(daemon: &Daemon, args: &[&str], member: bool) -> tests::Output {
    let provider_pid = regex::Regex::new(r"\b(pid|app)\d+").unwrap();
    let normalized = |bytes: &[u8]| {
        let text = provider_pid
            .replace_all(&String::from_utf8_lossy(bytes), "${1}PID")
            .into_owned();
        let (command, tracer): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|line| line.starts_with("sum 45 "));
        (tracer.join("\n"), command.join("\n"))
    };
    let mut local_args = vec!["--local"];
    local_args.extend_from_slice(args);
    let local = TestCommand::tracer().args(local_args).run();
    let remote = if member {
        as_nobody(daemon, args)
    } else {
        daemon.tracer(args).run()
    };
    assert_eq!(local.status, remote.status, "{local}\n{remote}");
    assert_eq!(
        normalized(&local.stdout),
        normalized(&remote.stdout),
        "{local}\n{remote}"
    );
    assert_eq!(
        normalized(&local.stderr),
        normalized(&remote.stderr),
        "{local}\n{remote}"
    );
    remote
}

/// Panics unless some line of `output`'s standard output matches `pattern`.
fn assert_line_matches(output: &tests::Output, pattern: &str) {
    let regex = regex::Regex::new(pattern).unwrap();
    assert!(
        output
            .stdout_lines()
            .iter()
            .any(|line| regex.is_match(line)),
        "no line matches {pattern}\n{output}"
    );
}

/// Entry and return of functions of the program and of libc, globs and offsets: counted the same
/// through the daemon as in-process, for a `-c` command and a `-p` process.
#[test]
fn pid_probes_through_the_daemon_count_as_in_process() {
    let daemon = Daemon::start("pid", &[]);
    let prog = pid_prog(&daemon);
    let counts = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:go:entry, pid$target:a.out:work:entry { @[probefunc, probename] = count(); } \
             pid$target:a.out:work:return { @r[probefunc, arg1] = count(); }",
            "-c",
            &prog,
        ],
        false,
    );
    counts.assert_exit(0);
    assert_line_matches(&counts, r"^sum 45 semaphore 0$");
    assert_line_matches(&counts, r"^\s+go\s+entry\s+1$");
    assert_line_matches(&counts, r"^\s+work\s+entry\s+3$");
    for value in 1..=3 {
        assert_line_matches(&counts, &format!(r"^\s+work\s+{value}\s+1$"));
    }
    let library = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "pid$target:libc:getppid:entry { @[probemod, probefunc] = count(); }",
            "-c",
            &prog,
        ],
        false,
    );
    assert_line_matches(&library, r"^\s+libc\.so\.6\s+getppid\s+3$");
    let globs = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:[gw]*:entry { @[probefunc] = count(); } \
             pid$target:a.out:go:0 { printf(\"offset %s %d\\n\", probename, arg1); }",
            "-c",
            &prog,
        ],
        false,
    );
    assert_line_matches(&globs, r"^offset 0 1$");
    assert_line_matches(&globs, r"^\s+go\s+1$");
    assert_line_matches(&globs, r"^\s+work\s+3$");
    let listed = same_as_in_process(
        &daemon,
        &["-l", "-n", "pid$target:a.out:go:", "-c", &prog],
        false,
    );
    assert_line_matches(&listed, r"^ *\d+ +pid\d+ +pid_prog +go entry$");
    assert_line_matches(&listed, r"^ *\d+ +pid\d+ +pid_prog +go return$");

    let mut waiting = Command::new(&prog).arg("wait").spawn().unwrap();
    let target = waiting.id().to_string();
    let grabbed = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:go:entry { printf(\"%d %d %d\\n\", arg0, arg9, pid == $target); exit(0); }",
            "-p",
            &target,
        ],
        false,
    );
    let _ = waiting.kill();
    let _ = waiting.wait();
    assert_eq!(grabbed.stdout_lines()[0], "9 0 1", "{grabbed}");
    daemon.wait_for_sessions("every session ends with its client", <[Value]>::is_empty);
}

/// USDT probes from the program's `.note.stapsdt`: their arguments, their semaphore and their
/// listing, the same through the daemon as in-process.
#[test]
fn usdt_probes_through_the_daemon_fire_as_in_process() {
    let daemon = Daemon::start("usdt", &[]);
    let prog = pid_prog(&daemon);
    let ticks = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "app$target:a.out:work:tick { printf(\"%s %d %d %s\\n\", probefunc, args[0], args[1], copyinstr(arg2)); }",
            "-c",
            &prog,
        ],
        false,
    );
    let fired: Vec<String> = ticks
        .stdout_lines()
        .into_iter()
        .filter(|line| line.starts_with("work "))
        .collect();
    assert_eq!(
        fired,
        [
            "work -1 1000000000000 job",
            "work -2 2000000000000 job",
            "work -3 3000000000000 job"
        ],
        "{ticks}"
    );
    let guarded = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "app$target:::guarded { @ = sum(arg0); }",
            "-c",
            &prog,
        ],
        false,
    );
    assert_line_matches(&guarded, r"^sum 45 semaphore 1$");
    assert_line_matches(&guarded, r"^\s+60$");
    let listed = same_as_in_process(
        &daemon,
        &["-lv", "-n", "app$target:::tick", "-c", &prog],
        false,
    );
    assert_line_matches(&listed, r"^ *\d+ +app\d+ +pid_prog +work tick$");
    assert_line_matches(&listed, r"^\s+args\[1\]: int64_t$");
}

/// A member of the daemon's group probes its own `-c` command and `-p` process, with `pid` and
/// USDT probes, as root does in-process.
#[test]
fn a_member_of_the_group_probes_its_own_processes() {
    let daemon = Daemon::start_with("pid-member", &[], "group = \"nogroup\"\n", &[]);
    let prog = pid_prog(&daemon);
    let counts = same_as_in_process(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:work:entry { @[probefunc, probename] = count(); } \
             pid$target:a.out:work:return { @[probefunc, probename] = count(); } \
             app$target:::tick { @t = sum(args[0]); }",
            "-c",
            &prog,
        ],
        true,
    );
    counts.assert_exit(0);
    assert_line_matches(&counts, r"^\s+work\s+entry\s+3$");
    assert_line_matches(&counts, r"^\s+work\s+return\s+3$");
    assert_line_matches(&counts, r"^\s+-6$");
    let listed = same_as_in_process(
        &daemon,
        &[
            "-l",
            "-n",
            "app$target:::",
            "-n",
            "pid$target:libc:getppid:entry",
            "-c",
            &prog,
        ],
        true,
    );
    assert_line_matches(&listed, r"^ *\d+ +app\d+ +pid_prog +work guarded$");
    assert_line_matches(&listed, r"^ *\d+ +pid\d+ +libc\.so\.6 +getppid entry$");

    let mut waiting = Command::new("setpriv")
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            &prog,
            "wait",
        ])
        .spawn()
        .unwrap();
    let target = waiting.id().to_string();
    let grabbed = as_nobody(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:go:return { printf(\"%d %d\\n\", arg1, pid == $target); exit(0); }",
            "-p",
            &target,
        ],
    );
    let _ = waiting.kill();
    let _ = waiting.wait();
    grabbed.assert_exit(0);
    assert_eq!(grabbed.stdout_lines()[0], "45 1", "{grabbed}");
}

/// A member may not probe another user's process: `tracer` cannot grab it, and the daemon itself
/// refuses facts about it that a client made up.
#[test]
fn a_member_may_not_probe_another_users_process() {
    let daemon = Daemon::start_with("pid-refused", &[], "group = \"nogroup\"\n", &[]);
    let prog = pid_prog(&daemon);
    let mut waiting = Command::new(&prog).arg("wait").spawn().unwrap();
    let target = waiting.id();
    let grab = as_nobody(
        &daemon,
        &[
            "-qn",
            "pid$target:a.out:go:entry { exit(0); }",
            "-p",
            &target.to_string(),
        ],
    );
    grab.assert_exit(1);
    assert_eq!(
        grab.stderr_lines(),
        [format!(
            "tracer: failed to grab pid {target}: Operation not permitted"
        )],
        "{grab}"
    );
    let description = format!("pid{target}:a.out:go:entry {{ exit(0); }}");
    let literal = as_nobody(&daemon, &["-n", &description]);
    literal.assert_exit(1);
    assert_eq!(
        literal.stderr_lines(),
        [format!(
            "tracer: invalid probe specifier {description}: failed to grab process {target}"
        )],
        "{literal}"
    );
    // The same made-up facts compile for root and not for the member.
    let mut program = program_request(&description, false);
    program["user"] = json!({
        "processes": [[target, {"modules": [{"path": prog, "main": true}]}]],
        "files": {prog.as_str(): {"functions": [["go", 4096, 64]]}},
    });
    let check = json!({"op": "check", "program": program}).to_string();
    let as_root = daemon.request(&serde_json::from_str(&check).unwrap());
    assert_eq!(as_root["reply"]["reply"], "checked", "{as_root}");
    let raw_client = "use IO::Socket::UNIX; \
        my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die; print $s \"$ARGV[1]\\n\"; \
        while (<$s>) { if (/\"type\":\"(reply|error)\"/) { print; exit } }";
    let line = format!(
        "setpriv --reuid=nobody --regid=nogroup --clear-groups perl -e {} {} {}",
        tests::command::shell_quote(raw_client),
        daemon.socket.display(),
        tests::command::shell_quote(&check)
    );
    let as_member = TestCommand::shell(&line).run();
    let _ = waiting.kill();
    let _ = waiting.wait();
    as_member.assert_exit(0);
    let frame: Value = serde_json::from_slice(&as_member.stdout).expect("the daemon answers");
    assert_eq!(frame["error"]["kind"], "compile", "{frame}");
    assert_eq!(
        frame["error"]["message"],
        format!("tracer: invalid probe specifier {description}: failed to grab process {target}"),
        "{frame}"
    );
    assert!(daemon.sessions().is_empty());
    assert!(BpfIds::held_by(daemon.pid()).programs.is_empty());
}

/// The `link_type` of every BPF link `pid` holds a descriptor for, sorted.
fn link_types(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    let mut types: Vec<String> = entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|fdinfo| {
            let link_type = fdinfo
                .lines()
                .find_map(|line| line.strip_prefix("link_type:"))?;
            Some(link_type.trim().to_owned())
        })
        .collect();
    types.sort();
    types
}

/// The daemon attaches `pid` probes as `tracer` does in-process: through one uprobe-multi link
/// per binary (this machine's kernel has them), which it holds while the session lives and
/// closes when the client goes.
#[test]
fn pid_probes_through_the_daemon_take_uprobe_multi_links() {
    let daemon = Daemon::start("pid-multi", &[]);
    let prog = pid_prog(&daemon);
    let mut waiting = Command::new(&prog).arg("wait").spawn().unwrap();
    let client = daemon
        .tracer(&[
            "-n",
            "pid$target:libc.so.6:str*:entry, pid$target:a.out:go:entry { @[probename] = count(); }",
            "-p",
            &waiting.id().to_string(),
        ])
        .spawn();
    let attached = poll(
        START_TIMEOUT,
        Duration::from_millis(20),
        || {
            let stderr = client.stderr_so_far();
            if stderr.contains(" matched ") {
                Ok(link_types(daemon.pid()))
            } else {
                Err(stderr)
            }
        },
        |stderr| format!("the client did not attach:\n{stderr}\n{}", daemon.log()),
    );
    // The target calls go every 50 ms.
    thread::sleep(Duration::from_millis(300));
    interrupt(client.pid());
    let output = client.wait();
    let _ = waiting.kill();
    let _ = waiting.wait();
    assert_eq!(attached, ["uprobe_multi", "uprobe_multi"], "{output}");
    output.assert_exit(0);
    assert_line_matches(&output, r"^\s+entry\s+\d+$");
    daemon.wait_for_sessions("the session ends with its client", <[Value]>::is_empty);
    assert!(link_types(daemon.pid()).is_empty(), "{}", daemon.log());
}

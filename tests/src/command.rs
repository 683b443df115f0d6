//! Running a command under test: the `tracer` binary itself, or a shell line that uses it.
//!
//! Every command runs with standard input closed, in a process group of its own, under a
//! timeout.
//! The group matters because a suite line such as `sleep 2 & tracer -p $!` or `tracer -c CMD`
//! leaves grandchildren behind: on a timeout the whole group is killed, and after a normal
//! exit whatever is left of the group is killed too, so a stray process can neither hang the
//! test by holding its pipes open nor outlive it.

use std::fmt;
use std::io::Read;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a command may run when the test does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the output readers get to reach end-of-file once the group has been killed.
const READER_GRACE: Duration = Duration::from_secs(2);

/// How often a running command is polled for its exit.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The `tracer` binary built alongside the running test executable.
///
/// Cargo puts integration-test executables in `target/PROFILE/deps/` and binaries in
/// `target/PROFILE/`, so the binary of the same profile is two directories up from
/// [`std::env::current_exe`].
/// Cargo builds another package's binaries only for that package's own tests, so the
/// binary must have been built first (`cargo build --workspace`); when it is absent this
/// panics with a message that says so.
pub fn tracer_path() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/PROFILE/deps");
    let tracer = profile_dir.join("tracer");
    assert!(
        tracer.is_file(),
        "tracer binary not found at {}: run cargo build first",
        tracer.display()
    );
    tracer
}

/// A command to run once, in the style of ripgrep's `TestCommand`.
#[derive(Clone, Debug)]
pub struct TestCommand {
    program: PathBuf,
    args: Vec<String>,
    /// For `sh -c LINE`, the line itself, which is how reports show the command.
    shell_line: Option<String>,
    current_dir: Option<PathBuf>,
    timeout: Duration,
}

impl TestCommand {
    /// A command running `program` with no arguments.
    pub fn new(program: impl Into<PathBuf>) -> TestCommand {
        TestCommand {
            program: program.into(),
            args: Vec::new(),
            shell_line: None,
            current_dir: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A command running the `tracer` binary found by [`tracer_path`].
    pub fn tracer() -> TestCommand {
        TestCommand::new(tracer_path())
    }

    /// A command running `line` with `sh -c`.
    pub fn shell(line: &str) -> TestCommand {
        let mut command = TestCommand::new("sh");
        command.arg("-c").arg(line);
        command.shell_line = Some(line.to_owned());
        command
    }

    /// Appends one argument.
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut TestCommand {
        self.args.push(arg.into());
        self
    }

    /// Appends several arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        args: I,
    ) -> &mut TestCommand {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs the command in `dir` instead of the test's working directory.
    pub fn current_dir(&mut self, dir: impl Into<PathBuf>) -> &mut TestCommand {
        self.current_dir = Some(dir.into());
        self
    }

    /// Kills the command (and its process group) if it runs longer than `timeout`.
    pub fn timeout(&mut self, timeout: Duration) -> &mut TestCommand {
        self.timeout = timeout;
        self
    }

    /// The command as a line that can be pasted into a shell, starting with a `cd` when it
    /// runs in another directory.
    pub fn command_line(&self) -> String {
        let command = self.shell_line.clone().unwrap_or_else(|| {
            std::iter::once(self.program.to_string_lossy().into_owned())
                .chain(self.args.iter().cloned())
                .map(|word| shell_quote(&word))
                .collect::<Vec<_>>()
                .join(" ")
        });
        match &self.current_dir {
            Some(dir) => format!("cd {} && {command}", shell_quote(&dir.to_string_lossy())),
            None => command,
        }
    }

    /// Starts the command; panics if it cannot be started at all.
    pub fn spawn(&self) -> Running {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("failed to start `{}`: {error}", self.command_line()));
        let (done_sender, done) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        spawn_reader(
            child.stdout.take().expect("stdout is piped"),
            Arc::clone(&stdout),
            done_sender.clone(),
        );
        spawn_reader(
            child.stderr.take().expect("stderr is piped"),
            Arc::clone(&stderr),
            done_sender,
        );
        Running {
            command_line: self.command_line(),
            started: Instant::now(),
            timeout: self.timeout,
            child,
            stdout,
            stderr,
            done,
        }
    }

    /// Runs the command to completion (or until its timeout) and returns what it did.
    pub fn run(&self) -> Output {
        self.spawn().wait()
    }
}

/// A started command.
#[derive(Debug)]
pub struct Running {
    command_line: String,
    started: Instant,
    timeout: Duration,
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    done: Receiver<()>,
}

impl Running {
    /// The process id of the started program.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the started program has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// How long ago the program was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// What the program has written to standard output so far, invalid UTF-8 replaced.
    pub fn stdout_so_far(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stdout)).into_owned()
    }

    /// What the program has written to standard error so far, invalid UTF-8 replaced.
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// Sends `signal` to the started program alone (not to its group).
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child's, which
        // stays reserved until it is reaped by `wait`.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }

    /// Waits for the program to exit, killing its process group once the timeout has passed.
    pub fn wait(mut self) -> Output {
        let deadline = self.started + self.timeout;
        let exit_status = loop {
            match self.child.try_wait() {
                Ok(Some(exit_status)) => break Some(exit_status),
                Ok(None) if Instant::now() >= deadline => break None,
                Ok(None) => thread::sleep(POLL_INTERVAL),
                Err(error) => panic!("failed to wait for `{}`: {error}", self.command_line),
            }
        };
        self.kill_group();
        let status = match exit_status {
            Some(exit_status) => Status::from_exit_status(exit_status),
            None => {
                // The group has been sent SIGKILL, so this returns at once.
                let _ = self.child.wait();
                Status::TimedOut(self.timeout)
            }
        };
        let reader_deadline = Instant::now() + READER_GRACE;
        let n_done = (0..2)
            .take_while(|_| {
                let remaining = reader_deadline.saturating_duration_since(Instant::now());
                self.done.recv_timeout(remaining).is_ok()
            })
            .count();
        Output {
            command_line: self.command_line,
            status,
            stdout: lock(&self.stdout).clone(),
            stderr: lock(&self.stderr).clone(),
            output_complete: n_done == 2,
        }
    }

    /// Sends SIGKILL to every process left in the command's process group.
    fn kill_group(&self) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names the process
        // group the child leads, which holds only processes this command started.  ESRCH (the
        // group is already empty) is the common, harmless failure.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// It exited with this code.
    Exited(i32),
    /// It was killed by this signal number.
    Signaled(i32),
    /// It was still running after this long and was killed.
    TimedOut(Duration),
}

impl Status {
    fn from_exit_status(exit_status: ExitStatus) -> Status {
        match (exit_status.code(), exit_status.signal()) {
            (Some(code), _) => Status::Exited(code),
            (None, Some(signal)) => Status::Signaled(signal),
            (None, None) => unreachable!("an exit status has a code or a signal: {exit_status:?}"),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Exited(code) => write!(f, "exit status {code}"),
            Status::Signaled(signal) => write!(f, "killed by signal {signal}"),
            Status::TimedOut(timeout) => {
                write!(f, "timed out after {}s (killed)", timeout.as_secs_f64())
            }
        }
    }
}

/// What a finished command did.
#[derive(Clone, Debug)]
pub struct Output {
    /// The command, as a shell line.
    pub command_line: String,
    /// How it ended.
    pub status: Status,
    /// Everything it wrote to standard output.
    pub stdout: Vec<u8>,
    /// Everything it wrote to standard error.
    pub stderr: Vec<u8>,
    /// False when a process outside the command's group kept a pipe open, so the output may
    /// be cut short.
    pub output_complete: bool,
}

impl Output {
    /// Standard output split into lines, invalid UTF-8 replaced.
    pub fn stdout_lines(&self) -> Vec<String> {
        lines(&self.stdout)
    }

    /// Standard error split into lines, invalid UTF-8 replaced.
    pub fn stderr_lines(&self) -> Vec<String> {
        lines(&self.stderr)
    }

    /// Panics, showing the whole output, unless the command exited with `code`.
    pub fn assert_exit(&self, code: i32) -> &Output {
        assert!(
            self.status == Status::Exited(code),
            "expected exit status {code}\n{self}"
        );
        self
    }

    /// Panics, showing the whole output, unless standard output is exactly `expected`.
    pub fn assert_stdout(&self, expected: &str) -> &Output {
        assert!(
            self.stdout == expected.as_bytes(),
            "expected stdout to be exactly {expected:?}\n{self}"
        );
        self
    }

    /// Panics, showing the whole output, unless some line of standard output is `line`.
    pub fn assert_stdout_line(&self, line: &str) -> &Output {
        assert!(
            self.stdout_lines().iter().any(|actual| actual == line),
            "expected a stdout line equal to {line:?}\n{self}"
        );
        self
    }

    /// Panics, showing the whole output, unless some line of standard error is `line`.
    pub fn assert_stderr_line(&self, line: &str) -> &Output {
        assert!(
            self.stderr_lines().iter().any(|actual| actual == line),
            "expected a stderr line equal to {line:?}\n{self}"
        );
        self
    }
}

/// The command, how it ended and both streams, each cut to its first and last lines.
impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command_line)?;
        writeln!(f, "status: {}", self.status)?;
        if !self.output_complete {
            writeln!(
                f,
                "note: a process outside the command's group kept its output open; the output may be incomplete"
            )?;
        }
        write_stream(f, "stdout", &self.stdout)?;
        write_stream(f, "stderr", &self.stderr)
    }
}

/// How many lines of a stream a report shows from each end.
const SHOWN_LINES: usize = 25;

fn write_stream(f: &mut fmt::Formatter<'_>, name: &str, bytes: &[u8]) -> fmt::Result {
    let all_lines = lines(bytes);
    let no_final_newline = if bytes.last().is_some_and(|&byte| byte != b'\n') {
        ", no final newline"
    } else {
        ""
    };
    writeln!(f, "{name} ({} lines{no_final_newline}):", all_lines.len())?;
    if all_lines.len() <= 2 * SHOWN_LINES {
        return all_lines
            .iter()
            .try_for_each(|line| writeln!(f, "  | {line}"));
    }
    for line in &all_lines[..SHOWN_LINES] {
        writeln!(f, "  | {line}")?;
    }
    writeln!(
        f,
        "  | ... {} lines omitted ...",
        all_lines.len() - 2 * SHOWN_LINES
    )?;
    for line in &all_lines[all_lines.len() - SHOWN_LINES..] {
        writeln!(f, "  | {line}")?;
    }
    Ok(())
}

/// Splits output into lines the way `str::lines` does, replacing invalid UTF-8.
pub fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Quotes `word` for `sh` unless it is made only of characters that need no quoting.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&byte));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Copies everything `pipe` yields into `buffer` on a thread of its own, then reports on `done`.
fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    buffer: Arc<Mutex<Vec<u8>>>,
    done: Sender<()>,
) {
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n_read) => lock(&buffer).extend_from_slice(&chunk[..n_read]),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // The receiver is gone if the test already stopped waiting for this reader.
        let _ = done.send(());
    });
}

/// Locks a buffer; a reader thread never panics while holding the lock, but if one did the
/// bytes it collected are still worth reporting.
fn lock(buffer: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    buffer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_words_alone() {
        assert_eq!(shell_quote("/usr/bin/tracer"), "/usr/bin/tracer");
        assert_eq!(shell_quote("-n"), "-n");
    }

    #[test]
    fn shell_quote_quotes_spaces_and_quotes() {
        assert_eq!(shell_quote("BEGIN { exit(0); }"), "'BEGIN { exit(0); }'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn command_line_shows_shell_lines_as_written_and_the_directory() {
        assert_eq!(
            TestCommand::shell("tracer -n 'BEGIN { }' | cat").command_line(),
            "tracer -n 'BEGIN { }' | cat"
        );
        assert_eq!(
            TestCommand::new("/bin/tracer")
                .args(["-n", "BEGIN { }"])
                .current_dir("/work dir")
                .command_line(),
            "cd '/work dir' && /bin/tracer -n 'BEGIN { }'"
        );
    }

    #[test]
    fn run_collects_both_streams_and_the_exit_code() {
        let output = TestCommand::shell("echo out; echo err >&2; exit 3").run();
        assert_eq!(output.status, Status::Exited(3));
        assert_eq!(output.stdout_lines(), ["out"]);
        assert_eq!(output.stderr_lines(), ["err"]);
        assert!(output.output_complete);
    }

    #[test]
    fn run_closes_stdin() {
        let output = TestCommand::shell("cat; echo done").run();
        output.assert_exit(0).assert_stdout("done\n");
    }

    #[test]
    fn run_kills_the_group_on_timeout_and_keeps_the_output_so_far() {
        let output = TestCommand::shell("echo started; sleep 30 & wait")
            .timeout(Duration::from_millis(300))
            .run();
        assert_eq!(output.status, Status::TimedOut(Duration::from_millis(300)));
        assert_eq!(output.stdout_lines(), ["started"]);
        assert!(
            output.output_complete,
            "the killed group released the pipes"
        );
    }

    #[test]
    fn run_does_not_wait_for_background_grandchildren() {
        let started = Instant::now();
        let output = TestCommand::shell("sleep 30 & echo parent done").run();
        output.assert_exit(0).assert_stdout_line("parent done");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn display_shows_status_and_marks_a_missing_final_newline() {
        let output = Output {
            command_line: "tracer -q".to_owned(),
            status: Status::Signaled(9),
            stdout: b"a\nb".to_vec(),
            stderr: Vec::new(),
            output_complete: true,
        };
        assert_eq!(
            output.to_string(),
            "command: tracer -q\nstatus: killed by signal 9\nstdout (2 lines, no final newline):\n  | a\n  | b\nstderr (0 lines):\n"
        );
    }
}

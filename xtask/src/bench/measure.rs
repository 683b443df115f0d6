//! Running a tracer under measurement: its start-up until a `ready` line, its teardown after an
//! interrupt, and its peak RSS (GNU `time` wraps it and reports the maximum resident set).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::cases::Tool;

/// How long a tracer may take to print `ready`.
const READY_TIMEOUT: Duration = Duration::from_mins(1);
/// How long a tracer may take to exit after SIGTERM (bpftrace takes ~25 s to detach all
/// syscall tracepoints on this kernel).
const EXIT_TIMEOUT: Duration = Duration::from_mins(2);

/// Where the binaries are and where runs leave their files.
pub struct Setup {
    /// The release `tracer`.
    pub tracer: PathBuf,
    /// `bpftrace`.
    pub bpftrace: PathBuf,
    /// The compiled workload.
    pub workload: PathBuf,
    /// Scratch files.
    pub dir: PathBuf,
}

/// A tracer that has been started.
pub struct Running {
    child: Child,
    started: Instant,
    stdout: PathBuf,
    stderr: PathBuf,
    rss: PathBuf,
}

/// What a finished run measured.
pub struct Finished {
    /// Launch until `ready`, if the program printed it.
    pub ready: Option<Duration>,
    /// Interrupt until exit (or launch until exit when it exited by itself).
    pub exit: Duration,
    /// Peak resident set in KiB.
    pub rss_kib: u64,
    /// Its standard output.
    pub stdout: PathBuf,
    /// Its standard error, read.
    pub stderr: String,
}

impl Setup {
    /// Starts `tool` on `program` under GNU `time`.
    pub fn launch(&self, tool: Tool, program: &str, tag: &str) -> anyhow::Result<Running> {
        let stdout = self.dir.join(format!("{tag}.out"));
        let stderr = self.dir.join(format!("{tag}.err"));
        let rss = self.dir.join(format!("{tag}.rss"));
        let mut command = Command::new("/usr/bin/time");
        command.args(["-f", "%M", "-o"]).arg(&rss);
        match tool {
            Tool::Tracer => command.arg(&self.tracer).args(["-q", "-n", program]),
            Tool::Bpftrace => command.arg(&self.bpftrace).args(["-e", program]),
        };
        let started = Instant::now();
        let child = command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()
            .context("cannot run /usr/bin/time (GNU time)")?;
        Ok(Running {
            child,
            started,
            stdout,
            stderr,
            rss,
        })
    }

    /// Runs the workload and returns its nanoseconds per call.
    pub fn workload(&self, op: &str, calls: u64) -> anyhow::Result<f64> {
        let output = Command::new(&self.workload)
            .args([op, &calls.to_string()])
            .output()
            .context("cannot run the workload")?;
        anyhow::ensure!(output.status.success(), "the workload failed");
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .context("the workload printed no timing")
    }
}

impl Running {
    /// Waits until the program's output has a `ready` line; `None` if it exited first.
    pub fn wait_ready(&mut self) -> anyhow::Result<Option<Duration>> {
        loop {
            let text = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if text.lines().any(|line| line.trim() == "ready") {
                return Ok(Some(self.started.elapsed()));
            }
            if self.child.try_wait()?.is_some() {
                return Ok(None);
            }
            anyhow::ensure!(
                self.started.elapsed() < READY_TIMEOUT,
                "no `ready` within {READY_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends the process group SIGTERM (SIGINT may be ignored: a background job inherits it ignored,
    /// and both tools leave an ignored SIGINT alone, as dtrace does) and waits for it to exit.
    pub fn stop(mut self, ready: Option<Duration>) -> anyhow::Result<Finished> {
        let interrupted = Instant::now();
        let exited_already = self.child.try_wait()?.is_some();
        if !exited_already {
            let tool = tool_pid(self.child.id()).context("cannot find the tool under `time`")?;
            Command::new("kill")
                .args(["-TERM", &tool.to_string()])
                .status()
                .context("cannot run kill")?;
        }
        self.wait_exit()?;
        let exit = if exited_already || ready.is_none() {
            self.started.elapsed()
        } else {
            interrupted.elapsed()
        };
        Ok(Finished {
            ready,
            exit,
            rss_kib: read_rss(&self.rss),
            stdout: self.stdout,
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        })
    }

    /// Waits for a program that exits by itself, and measures it from launch.
    pub fn wait(mut self) -> anyhow::Result<Finished> {
        self.wait_exit()?;
        Ok(Finished {
            ready: None,
            exit: self.started.elapsed(),
            rss_kib: read_rss(&self.rss),
            stdout: self.stdout,
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        })
    }

    fn wait_exit(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                anyhow::bail!("did not exit within {EXIT_TIMEOUT:?} of the interrupt");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

/// The process `time` (process `time_pid`) runs.
fn tool_pid(time_pid: u32) -> Option<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{time_pid}/task/{time_pid}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// The KiB GNU `time` wrote (its last line: earlier ones report a signal).
fn read_rss(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

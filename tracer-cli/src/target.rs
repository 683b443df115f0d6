//! The traced processes of `-c CMD` and `-p PID`.
//!
//! dtrace creates a `-c` command stopped, compiles (so `$target` is its pid), enables the probes
//! and only then lets it run, so that even its first system calls are traced. tracer does the same
//! without ptrace: [`Target::spawn`] forks a child that waits on a socket before calling `execv`,
//! and [`Target::release`] tells it to go. Until then the child is still a copy of tracer (its
//! `comm` is `tracer` and the command's binary is not mapped yet), which is enough for probes that
//! filter on `pid == $target` but not for uprobes in the command's own binary.
//!
//! Each target holds a pidfd, which becomes readable when the process exits, so the event loop can
//! poll it next to its other descriptors; [`Target::poll_exit`] then reports the exit without
//! blocking. tracer prints nothing about targets itself; callers decide what to say.
//!
//! Like dtrace (libdtrace releases a created process with `PS_RELEASE_KILL`), dropping a [`Target`]
//! kills a `-c` command that is still running with `SIGKILL` and reaps it; a `-p` process is left
//! alone.

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::os::fd::{AsFd, AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// An `errno` value that displays as `strerror(3)` words it, without std's ` (os error N)`, so that
/// messages read exactly as dtrace's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The calling thread's current `errno`.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0u8; 256];
        // SAFETY: the buffer is writable for its whole length, and the XSI `strerror_r` that libc
        // binds NUL-terminates what it writes.
        let status = unsafe { libc::strerror_r(self.0, buffer.as_mut_ptr().cast(), buffer.len()) };
        if status != 0 {
            return write!(f, "Unknown error {}", self.0);
        }
        let len = buffer
            .iter()
            .position(|byte| *byte == 0)
            .unwrap_or(buffer.len());
        f.write_str(&String::from_utf8_lossy(&buffer[..len]))
    }
}

impl std::error::Error for Errno {}

/// A `-c` command, split into words and found on `PATH`, ready to spawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    /// The words; the first one is the command's `argv[0]`.
    argv: Vec<OsString>,
    /// The executable `argv[0]` resolves to.
    program: PathBuf,
    /// `argv` for `execv`, made before `fork` because the child may not allocate.
    c_argv: Vec<CString>,
    /// `program` for `execv`.
    c_program: CString,
}

impl CommandLine {
    /// Splits `text` at whitespace as dtrace does (no quoting: `-c 'sh -c "a b"'` gives four words)
    /// and looks the command up as `execvp` would. A missing or non-executable command is reported
    /// now, with dtrace's `failed to execute CMD: ...`, rather than after probes are enabled.
    pub fn prepare(text: &OsStr) -> anyhow::Result<CommandLine> {
        let argv = split_words(text);
        let context = || format!("failed to execute {}", argv[0].to_string_lossy());
        let mut c_argv = Vec::with_capacity(argv.len());
        for word in &argv {
            match CString::new(word.as_bytes()) {
                Ok(c_word) => c_argv.push(c_word),
                Err(_) => return Err(Errno(libc::EINVAL)).with_context(context),
            }
        }
        let program = match find_program(&argv[0]) {
            Ok(program) => program,
            Err(errno) => return Err(errno).with_context(context),
        };
        let Ok(c_program) = CString::new(program.as_os_str().as_bytes()) else {
            return Err(Errno(libc::EINVAL)).with_context(context);
        };
        Ok(CommandLine {
            argv,
            program,
            c_argv,
            c_program,
        })
    }

    /// The words of the command line.
    pub fn argv(&self) -> &[OsString] {
        &self.argv
    }

    /// The executable that will run.
    pub fn program(&self) -> &Path {
        &self.program
    }
}

/// dtrace's `make_argv`: words separated by any of `\f\n\r\t\v `, or the whole text when it has
/// no word.
fn split_words(text: &OsStr) -> Vec<OsString> {
    let words: Vec<OsString> = text
        .as_bytes()
        .split(|byte| b"\x0c\n\r\t\x0b ".contains(byte))
        .filter(|word| !word.is_empty())
        .map(|word| OsString::from_vec(word.to_vec()))
        .collect();
    if words.is_empty() {
        return vec![text.to_owned()];
    }
    words
}

/// Resolves a command name as `execvp` does: names with a `/` are paths, others are searched in
/// `PATH` (`/bin:/usr/bin` when unset), remembering `EACCES` if only unusable files were found.
fn find_program(name: &OsStr) -> Result<PathBuf, Errno> {
    if name.is_empty() {
        return Err(Errno(libc::ENOENT));
    }
    if name.as_bytes().contains(&b'/') {
        let path = PathBuf::from(name);
        return executable(&path).map(|()| path);
    }
    let search_path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
    let mut error = Errno(libc::ENOENT);
    for dir in search_path.as_bytes().split(|byte| *byte == b':') {
        let dir = if dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(OsStr::from_bytes(dir))
        };
        let candidate = dir.join(name);
        match executable(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(Errno(libc::EACCES)) => error = Errno(libc::EACCES),
            Err(_) => {}
        }
    }
    Err(error)
}

/// Whether `path` is a regular file this process may execute.
fn executable(path: &Path) -> Result<(), Errno> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(io_error) => return Err(Errno(io_error.raw_os_error().unwrap_or(libc::ENOENT))),
    };
    if !metadata.is_file() {
        return Err(Errno(libc::EACCES));
    }
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return Err(Errno(libc::EINVAL));
    };
    // SAFETY: `c_path` is a valid NUL-terminated string.
    if unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Reads a `-p` argument the way dtrace does (decimal, nothing after it), refusing pids that are
/// not positive since `kill` gives those a meaning of their own.
pub fn parse_pid(text: &str) -> anyhow::Result<i32> {
    match text.parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(anyhow::anyhow!("invalid pid: {text}")),
    }
}

/// Checks that process `pid` exists and that tracer may signal it, with dtrace's
/// `failed to grab pid N: ...` otherwise.
pub fn check_pid(pid: i32) -> anyhow::Result<()> {
    // SAFETY: signal 0 only checks for existence and permission.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return Err(Errno::last()).with_context(|| format!("failed to grab pid {pid}"));
    }
    Ok(())
}

/// A process to trace, as the command line asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetRequest {
    /// `-c`: create this command.
    Command(CommandLine),
    /// `-p`: grab this running process.
    Pid(i32),
}

/// How a target ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetExit {
    /// A `-c` command exited with this status.
    Exited(i32),
    /// A `-c` command was killed by this signal.
    Signaled(i32),
    /// A `-p` process exited (its parent, not tracer, gets the status), or a `-c` command was
    /// reaped by someone else.
    Unknown,
}

/// What tracer still owns of a process it created.
#[derive(Debug)]
struct Created {
    /// `argv[0]`, for messages.
    name: String,
    /// The socket the child waits on; `None` once released.
    go: Option<OwnedFd>,
    /// The pipe a failed `execv` writes its errno to; `None` once read.
    exec_error: Option<OwnedFd>,
}

/// A traced process: a `-c` command tracer created, or a `-p` process it grabbed.
#[derive(Debug)]
pub struct Target {
    pid: i32,
    /// Readable once the process has exited.
    pidfd: OwnedFd,
    /// `None` for a grabbed process.
    created: Option<Created>,
    /// Set once the exit has been seen (and, for a created process, reaped).
    exit: Option<TargetExit>,
}

impl Target {
    /// Creates or grabs the process `request` names.
    pub fn start(request: &TargetRequest) -> anyhow::Result<Target> {
        match request {
            TargetRequest::Command(command) => Target::spawn(command),
            TargetRequest::Pid(pid) => Target::grab(*pid),
        }
    }

    /// Forks a child that waits for [`Target::release`] and then executes `command`, inheriting
    /// stdin, stdout, stderr and the environment.
    pub fn spawn(command: &CommandLine) -> anyhow::Result<Target> {
        let name = command.argv[0].to_string_lossy().into_owned();
        let context = || format!("failed to execute {name}");
        let mut arg_ptrs: Vec<*const libc::c_char> =
            command.c_argv.iter().map(|arg| arg.as_ptr()).collect();
        arg_ptrs.push(std::ptr::null());
        let (go_parent, go_child) = socket_pair().context("`socketpair` failed")?;
        let (exec_error_read, exec_error_write) = pipe().context("`pipe2` failed")?;
        // SAFETY: an all-zero `sigset_t` is valid storage, and `sigemptyset` initialises it.
        let empty_mask = unsafe {
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut mask);
            mask
        };
        // SAFETY: the child only makes async-signal-safe calls on data prepared above, then
        // executes the command or exits.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(Errno::last())
                .context("`fork` failed")
                .with_context(context);
        }
        if pid == 0 {
            let child = ChildFds {
                go_parent: go_parent.as_raw_fd(),
                go_child: go_child.as_raw_fd(),
                exec_error_read: exec_error_read.as_raw_fd(),
                exec_error_write: exec_error_write.as_raw_fd(),
            };
            // SAFETY: this is the child of a fork; the pointers stay valid until `execv`.
            unsafe {
                run_child(
                    &child,
                    command.c_program.as_ptr(),
                    arg_ptrs.as_ptr(),
                    &empty_mask,
                )
            }
        }
        drop(go_child);
        drop(exec_error_write);
        let pidfd = match pidfd_open(pid) {
            Ok(pidfd) => pidfd,
            Err(errno) => {
                kill_and_reap(pid);
                return Err(errno)
                    .context("`pidfd_open` failed")
                    .with_context(context);
            }
        };
        Ok(Target {
            pid,
            pidfd,
            created: Some(Created {
                name,
                go: Some(go_parent),
                exec_error: Some(exec_error_read),
            }),
            exit: None,
        })
    }

    /// Grabs the running process `pid`: checks it exists and opens a pidfd to learn when it exits.
    pub fn grab(pid: i32) -> anyhow::Result<Target> {
        check_pid(pid)?;
        let pidfd = pidfd_open(pid).with_context(|| format!("failed to grab pid {pid}"))?;
        Ok(Target {
            pid,
            pidfd,
            created: None,
            exit: None,
        })
    }

    /// The process id: `$target` for the first target.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Whether tracer created this process with `-c`.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// Lets a created process execute its command, once probes are enabled, and waits until
    /// `execv` has succeeded or failed. Does nothing for a grabbed process or a second time.
    pub fn release(&mut self) -> anyhow::Result<()> {
        let Some(created) = &mut self.created else {
            return Ok(());
        };
        let Some(go) = created.go.take() else {
            return Ok(());
        };
        // A child that is already gone cannot be told to go; `poll_exit` will report it.
        // SAFETY: `go` is an open socket and the buffer is one readable byte.
        let _ = unsafe { libc::send(go.as_raw_fd(), b"g".as_ptr().cast(), 1, libc::MSG_NOSIGNAL) };
        drop(go);
        let Some(exec_errno) = created.exec_error.take().as_ref().and_then(read_exec_error) else {
            return Ok(());
        };
        let name = created.name.clone();
        self.exit = Some(wait_blocking(self.pid));
        Err(Errno(exec_errno)).with_context(|| format!("failed to execute {name}"))
    }

    /// Reports whether the process has exited, without blocking; a created process is reaped.
    pub fn poll_exit(&mut self) -> Option<TargetExit> {
        if self.exit.is_some() {
            return self.exit;
        }
        if self.created.is_some() {
            let mut status = 0;
            // SAFETY: `pid` is our unreaped child and `status` is writable.
            let reaped = unsafe { libc::waitpid(self.pid, &raw mut status, libc::WNOHANG) };
            self.exit = match reaped {
                0 => None,
                pid if pid == self.pid => Some(decode_status(status)),
                _ if Errno::last() == Errno(libc::EINTR) => None,
                _ => Some(TargetExit::Unknown),
            };
        } else {
            let mut pollfd = libc::pollfd {
                fd: self.pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid `pollfd`, no timeout.
            let ready = unsafe { libc::poll(&raw mut pollfd, 1, 0) };
            if ready > 0 && pollfd.revents != 0 {
                self.exit = Some(TargetExit::Unknown);
            }
        }
        self.exit
    }

    /// Whether the process has exited; see [`Target::poll_exit`].
    pub fn has_exited(&mut self) -> bool {
        self.poll_exit().is_some()
    }
}

impl AsFd for Target {
    /// The pidfd: poll it for `POLLIN`, which it reports once the process has exited.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.created.is_some() && self.exit.is_none() {
            kill_and_reap(self.pid);
        }
    }
}

/// The descriptors the forked child closes or uses.
struct ChildFds {
    go_parent: RawFd,
    go_child: RawFd,
    exec_error_read: RawFd,
    exec_error_write: RawFd,
}

/// The forked child: restores what `exec` would not, waits for the go byte, then executes.
///
/// # Safety
///
/// Must be called only in the child of `fork`; `program` and `argv` must be valid for `execv`.
unsafe fn run_child(
    fds: &ChildFds,
    program: *const libc::c_char,
    argv: *const *const libc::c_char,
    empty_mask: &libc::sigset_t,
) -> ! {
    // SAFETY: every call below is async-signal-safe and uses only memory prepared before `fork`.
    unsafe {
        libc::close(fds.go_parent);
        libc::close(fds.exec_error_read);
        // Descriptors tracer opened without close-on-exec must not leak into the command.
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        // Handlers reset themselves on exec, but a signal before exec must not reach tracer's.
        for signal in [libc::SIGINT, libc::SIGTERM] {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &raw mut old);
            if old.sa_sigaction != libc::SIG_IGN && old.sa_sigaction != libc::SIG_DFL {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &raw const default, std::ptr::null_mut());
            }
        }
        // Rust ignores SIGPIPE; a command expects the default, as `std::process::Command` gives it.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::sigprocmask(libc::SIG_SETMASK, empty_mask, std::ptr::null_mut());
        loop {
            let mut byte = 0u8;
            let n_read = libc::read(fds.go_child, (&raw mut byte).cast(), 1);
            if n_read == 1 {
                break;
            }
            if n_read < 0 && *libc::__errno_location() == libc::EINTR {
                continue;
            }
            // tracer dropped the target, or died, before releasing it: never run the command.
            libc::_exit(127);
        }
        libc::execv(program, argv);
        let errno = (*libc::__errno_location()).to_ne_bytes();
        libc::write(fds.exec_error_write, errno.as_ptr().cast(), errno.len());
        libc::_exit(127)
    }
}

/// Reads the errno a failed `execv` wrote, or `None` when the pipe closed because `execv`
/// succeeded (or the child died first).
fn read_exec_error(pipe: &OwnedFd) -> Option<i32> {
    let mut errno = [0u8; 4];
    loop {
        // SAFETY: `pipe` is open and `errno` is writable for its length.
        let n_read =
            unsafe { libc::read(pipe.as_raw_fd(), errno.as_mut_ptr().cast(), errno.len()) };
        if n_read < 0 && Errno::last() == Errno(libc::EINTR) {
            continue;
        }
        return (n_read == 4).then(|| i32::from_ne_bytes(errno));
    }
}

fn decode_status(status: i32) -> TargetExit {
    if libc::WIFEXITED(status) {
        TargetExit::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        TargetExit::Signaled(libc::WTERMSIG(status))
    } else {
        TargetExit::Unknown
    }
}

/// Waits for child `pid` to end and decodes its status.
fn wait_blocking(pid: i32) -> TargetExit {
    loop {
        let mut status = 0;
        // SAFETY: `pid` is our child and `status` is writable.
        let reaped = unsafe { libc::waitpid(pid, &raw mut status, 0) };
        if reaped == pid {
            return decode_status(status);
        }
        if Errno::last() != Errno(libc::EINTR) {
            return TargetExit::Unknown;
        }
    }
}

/// Kills child `pid` and reaps it.
fn kill_and_reap(pid: i32) {
    // SAFETY: `pid` is our unreaped child, so the pid cannot have been reused.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    wait_blocking(pid);
}

fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: `pidfd_open` takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the kernel just returned this descriptor to us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn socket_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } != 0
    {
        return Err(Errno::last());
    }
    // SAFETY: both descriptors are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: both descriptors are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;
    use std::time::{Duration, Instant};

    use super::*;

    fn command(text: &str) -> CommandLine {
        CommandLine::prepare(OsStr::new(text)).unwrap_or_else(|err| panic!("{text}: {err:#}"))
    }

    /// Polls the target's pidfd until it is readable, as the event loop would.
    fn wait_readable(target: &Target, timeout: Duration) -> bool {
        let mut pollfd = libc::pollfd {
            fd: target.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid `pollfd`.
        unsafe { libc::poll(&raw mut pollfd, 1, timeout_ms) == 1 }
    }

    fn process_exists(pid: i32) -> bool {
        Path::new(&format!("/proc/{pid}")).exists()
    }

    /// A path in the temporary directory that is removed when dropped.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(name: &str) -> TempPath {
            TempPath(
                std::env::temp_dir().join(format!("tracer-target-{}-{name}", std::process::id())),
            )
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn words_split_like_dtrace() {
        let words = |text: &str| -> Vec<String> {
            split_words(OsStr::new(text))
                .iter()
                .map(|word| word.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(words("cat /etc/hostname"), vec!["cat", "/etc/hostname"]);
        assert_eq!(words("  ls\t-l \n /tmp\x0b"), vec!["ls", "-l", "/tmp"]);
        assert_eq!(words("sh -c 'a b'"), vec!["sh", "-c", "'a", "b'"]);
        assert_eq!(words(""), vec![""]);
        assert_eq!(words("   "), vec!["   "]);
    }

    #[test]
    fn commands_are_found_on_path() {
        let true_command = command("true --ignored");
        assert!(
            true_command.program().is_absolute(),
            "{:?}",
            true_command.program()
        );
        assert!(true_command.program().ends_with("true"));
        assert_eq!(
            true_command.argv(),
            &[OsString::from("true"), OsString::from("--ignored")]
        );
        assert_eq!(command("/bin/sh -c true").program(), Path::new("/bin/sh"));
    }

    #[test]
    fn missing_commands_fail_early_with_dtrace_words() {
        let message =
            |text: &str| format!("{:#}", CommandLine::prepare(OsStr::new(text)).unwrap_err());
        assert_eq!(
            message("/nonexistent/process/wibble"),
            "failed to execute /nonexistent/process/wibble: No such file or directory"
        );
        assert_eq!(
            message("no-such-command-anywhere x"),
            "failed to execute no-such-command-anywhere: No such file or directory"
        );
        assert_eq!(message(""), "failed to execute : No such file or directory");
        assert_eq!(message("/tmp"), "failed to execute /tmp: Permission denied");
        let with_nul = CommandLine::prepare(OsStr::from_bytes(b"true a\0b")).unwrap_err();
        assert_eq!(
            format!("{with_nul:#}"),
            "failed to execute true: Invalid argument"
        );
    }

    #[test]
    fn command_waits_for_release() {
        let marker = TempPath::new("ran");
        let mut target =
            Target::spawn(&command(&format!("touch {}", marker.0.display()))).expect("spawn");
        assert!(target.is_created());
        assert!(process_exists(target.pid()));
        std::thread::sleep(Duration::from_millis(200));
        assert!(!marker.0.exists(), "the command ran before release");
        assert_eq!(target.poll_exit(), None);
        assert!(!wait_readable(&target, Duration::ZERO));

        target.release().expect("release");
        assert!(
            wait_readable(&target, Duration::from_secs(10)),
            "no exit after release"
        );
        assert_eq!(target.poll_exit(), Some(TargetExit::Exited(0)));
        assert!(marker.0.exists(), "the command did not run");
        assert!(!process_exists(target.pid()), "the child was not reaped");
        target.release().expect("a second release does nothing");
    }

    #[test]
    fn exit_status_and_signal_are_reported() {
        let mut target = Target::spawn(&command("false")).expect("spawn");
        target.release().expect("release");
        assert!(wait_readable(&target, Duration::from_secs(10)));
        assert_eq!(target.poll_exit(), Some(TargetExit::Exited(1)));
        assert!(target.has_exited());

        let mut target = Target::spawn(&command("sleep 10")).expect("spawn");
        target.release().expect("release");
        // SIGKILL, because the signals tests may briefly ignore SIGTERM, which `sleep` would inherit.
        // SAFETY: signalling our own child.
        unsafe { libc::kill(target.pid(), libc::SIGKILL) };
        assert!(wait_readable(&target, Duration::from_secs(10)));
        assert_eq!(
            target.poll_exit(),
            Some(TargetExit::Signaled(libc::SIGKILL))
        );
    }

    #[test]
    fn short_command_exits_without_blocking_the_caller() {
        let mut target = Target::spawn(&command("sleep 0.2")).expect("spawn");
        target.release().expect("release");
        assert!(!target.has_exited(), "sleep 0.2 ended at once");
        let started = Instant::now();
        while !target.has_exited() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sleep 0.2 never ended"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert_eq!(target.poll_exit(), Some(TargetExit::Exited(0)));
    }

    #[test]
    fn exec_failure_is_reported_at_release() {
        let script = TempPath::new("not-a-binary");
        std::fs::write(&script.0, b"\x7fELF garbage").expect("write");
        std::fs::set_permissions(&script.0, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut target = Target::spawn(&command(&script.0.display().to_string())).expect("spawn");
        let err = target.release().unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "failed to execute {}: Exec format error",
                script.0.display()
            )
        );
        assert_eq!(target.poll_exit(), Some(TargetExit::Exited(127)));
    }

    #[test]
    fn dropping_kills_created_processes() {
        let target = Target::spawn(&command("sleep 10")).expect("spawn");
        let unreleased = target.pid();
        drop(target);
        assert!(!process_exists(unreleased));

        let mut target = Target::spawn(&command("sleep 10")).expect("spawn");
        target.release().expect("release");
        let running = target.pid();
        let started = Instant::now();
        drop(target);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!process_exists(running));
    }

    #[test]
    fn grabbed_process_exit_is_seen_and_it_is_not_killed() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id() as i32;
        let mut target = Target::start(&TargetRequest::Pid(pid)).expect("grab");
        assert!(!target.is_created());
        assert_eq!(target.pid(), pid);
        target.release().expect("release does nothing for -p");
        assert_eq!(target.poll_exit(), None);
        assert!(
            wait_readable(&target, Duration::from_secs(10)),
            "no exit seen"
        );
        assert_eq!(target.poll_exit(), Some(TargetExit::Unknown));
        drop(target);
        let status = child.wait().expect("the parent still reaps it");
        assert!(status.success());

        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("spawn sleep");
        drop(Target::grab(child.id() as i32).expect("grab"));
        assert_eq!(
            child.try_wait().expect("try_wait"),
            None,
            "dropping a -p target killed it"
        );
        child.kill().expect("kill");
        child.wait().expect("wait");
    }

    #[test]
    fn pids_are_checked() {
        assert_eq!(parse_pid("42").expect("valid"), 42);
        for bad in ["", "abc", "12abc", " 1", "0", "-5", "99999999999"] {
            assert_eq!(
                format!("{:#}", parse_pid(bad).unwrap_err()),
                format!("invalid pid: {bad}")
            );
        }
        check_pid(std::process::id() as i32).expect("we exist");
        assert_eq!(
            format!("{:#}", Target::grab(i32::MAX).unwrap_err()),
            format!("failed to grab pid {}: No such process", i32::MAX)
        );
    }

    #[test]
    fn errno_reads_like_strerror() {
        assert_eq!(Errno(libc::ENOENT).to_string(), "No such file or directory");
        assert_eq!(Errno(libc::ESRCH).to_string(), "No such process");
        assert_eq!(Errno(99_999).to_string(), "Unknown error 99999");
    }
}

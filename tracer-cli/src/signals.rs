//! SIGINT and SIGTERM for a poll-based event loop, and what a closed stdout means.
//!
//! The handlers count signals in an atomic and write one byte to a non-blocking pipe whose read end
//! the loop polls next to its other descriptors, so a signal wakes the loop at once. This is the
//! self-pipe pattern rather than signalfd: signalfd only sees signals that every thread blocks, and
//! a thread started by a library before the mask was set would still be killed by SIGINT, whereas a
//! handler serves the whole process. Handlers use `SA_RESTART`, so only the loop's `poll` (which
//! the kernel never restarts) sees `EINTR`, not writes to stdout elsewhere.
//!
//! The semantics are dtrace's (`intr()` in cmd/dtrace.c). The first signal asks the loop to stop:
//! disable the probes, consume what is buffered, print the aggregations and exit normally. A second
//! one makes tracer impatient: stop consuming at once and skip the final aggregation output. A
//! signal that was ignored when tracer started (`nohup`, a background job of a non-interactive
//! shell) stays ignored, as dtrace only installs its handler over a disposition other than
//! `SIG_IGN`.
//!
//! A closed stdout: Rust's runtime sets SIGPIPE to `SIG_IGN` before `main`, so a write to a closed
//! pipe fails with `EPIPE` instead of killing tracer. We keep it that way, and
//! [`flags::report`](crate::flags::report) turns such an error (see [`is_broken_pipe`]) into exit
//! status 0 with nothing printed (STYLE 5.4): restoring the default disposition would make
//! `tracer ... | head` die with status 141 instead. `-c` commands get the default back before
//! `execv` (see [`crate::target`]).

use std::io;
use std::os::fd::{AsFd, AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

use anyhow::Context as _;

use crate::target::Errno;

/// The signals that ask tracer to stop.
const STOP_SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// Whether a [`Signals`] exists; handlers are process-wide, so only one may.
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// Stop signals received since [`Signals::install`].
static RECEIVED: AtomicU32 = AtomicU32::new(0);
/// The pipe's write end, or -1.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

/// The installed SIGINT and SIGTERM handlers; dropping it restores the previous dispositions.
#[derive(Debug)]
pub struct Signals {
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    /// The dispositions replaced, to put back on drop.
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

impl Signals {
    /// Installs the handlers for SIGINT and SIGTERM, except where a signal is ignored.
    pub fn install() -> anyhow::Result<Signals> {
        if INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(anyhow::anyhow!("signal handlers are already installed"));
        }
        let (wake_read, wake_write) = match wake_pipe() {
            Ok(fds) => fds,
            Err(errno) => {
                INSTALLED.store(false, Ordering::SeqCst);
                return Err(errno).context("`pipe2` failed");
            }
        };
        RECEIVED.store(0, Ordering::SeqCst);
        WAKE_FD.store(wake_write.as_raw_fd(), Ordering::SeqCst);
        let mut signals = Signals {
            wake_read,
            wake_write,
            previous: Vec::new(),
        };
        for signal in STOP_SIGNALS {
            // SAFETY: an all-zero `sigaction` is valid, and the handler only makes
            // async-signal-safe calls.
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: querying the current disposition into valid storage.
            if unsafe { libc::sigaction(signal, std::ptr::null(), &raw mut previous) } != 0 {
                return Err(Errno::last()).context("`sigaction` failed");
            }
            if previous.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            action.sa_sigaction =
                on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            // SAFETY: `action` is initialised and `on_stop_signal` has the handler signature.
            if unsafe { libc::sigaction(signal, &raw const action, std::ptr::null_mut()) } != 0 {
                return Err(Errno::last()).context("`sigaction` failed");
            }
            signals.previous.push((signal, previous));
        }
        Ok(signals)
    }

    /// How many stop signals arrived since [`Signals::install`].
    pub fn received(&self) -> u32 {
        RECEIVED.load(Ordering::SeqCst)
    }

    /// A first signal arrived: stop tracing and finish normally.
    pub fn stop_requested(&self) -> bool {
        self.received() >= 1
    }

    /// A second signal arrived: stop consuming now and skip the final output.
    pub fn impatient(&self) -> bool {
        self.received() >= 2
    }

    /// Empties the pipe, so that polling it blocks again until the next signal.
    pub fn drain(&self) {
        let mut buffer = [0u8; 64];
        // SAFETY: the read end is open and non-blocking, and the buffer is writable.
        while unsafe {
            libc::read(
                self.wake_read.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
            )
        } > 0
        {}
    }
}

impl AsFd for Signals {
    /// The pipe's read end: poll it for `POLLIN`, which it reports after each signal.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.wake_read.as_fd()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (signal, previous) in &self.previous {
            // SAFETY: `previous` is the disposition `sigaction` gave us for this signal.
            unsafe { libc::sigaction(*signal, previous, std::ptr::null_mut()) };
        }
        // Stop handlers from writing before the write end closes, when this struct's fields drop.
        let _ = WAKE_FD.compare_exchange(
            self.wake_write.as_raw_fd(),
            -1,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        INSTALLED.store(false, Ordering::SeqCst);
    }
}

/// The handler: count, then wake the loop. Only async-signal-safe calls; `errno` is preserved
/// for the code it interrupted.
extern "C" fn on_stop_signal(_signal: libc::c_int) {
    RECEIVED.fetch_add(1, Ordering::SeqCst);
    let wake_fd = WAKE_FD.load(Ordering::SeqCst);
    if wake_fd >= 0 {
        // SAFETY: `__errno_location` is the thread's errno; `write` is async-signal-safe, and a
        // full pipe just drops the byte since the count is what matters.
        unsafe {
            let saved_errno = *libc::__errno_location();
            libc::write(wake_fd, b"!".as_ptr().cast(), 1);
            *libc::__errno_location() = saved_errno;
        }
    }
}

fn wake_pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: both descriptors are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Whether `err` comes from writing to a closed pipe, which ends the run silently with status 0.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io_error| io_error.kind() == io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<Errno>() == Some(&Errno(libc::EPIPE))
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    /// The handlers are process-wide, so the tests that install them take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn disposition(signal: libc::c_int) -> libc::sighandler_t {
        // SAFETY: querying into valid storage.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &raw mut current);
            current.sa_sigaction
        }
    }

    /// Whether the pipe becomes readable within `timeout`.
    fn readable(signals: &Signals, timeout: Duration) -> bool {
        let mut pollfd = libc::pollfd {
            fd: signals.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid `pollfd`.
        unsafe { libc::poll(&raw mut pollfd, 1, timeout_ms) == 1 }
    }

    #[test]
    fn first_signal_stops_second_is_impatient() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = disposition(libc::SIGINT);
        let signals = Signals::install().expect("install");
        assert_eq!(signals.received(), 0);
        assert!(!readable(&signals, Duration::ZERO));

        // SAFETY: our handler is installed, so SIGINT only counts.
        unsafe { libc::raise(libc::SIGINT) };
        assert!(signals.stop_requested());
        assert!(!signals.impatient());
        assert!(readable(&signals, Duration::ZERO));
        signals.drain();
        assert!(!readable(&signals, Duration::ZERO));

        // A process-directed signal from elsewhere, as `kill PID` sends it.
        let pid = std::process::id() as i32;
        // SAFETY: our handler is installed, so SIGTERM only counts.
        std::thread::spawn(move || unsafe { libc::kill(pid, libc::SIGTERM) });
        assert!(
            readable(&signals, Duration::from_secs(5)),
            "SIGTERM did not wake the pipe"
        );
        assert_eq!(signals.received(), 2);
        assert!(signals.impatient());

        let second = Signals::install().unwrap_err();
        assert_eq!(second.to_string(), "signal handlers are already installed");
        drop(signals);
        assert_eq!(disposition(libc::SIGINT), before);
        let again = Signals::install().expect("install after drop");
        assert_eq!(again.received(), 0);
    }

    #[test]
    fn ignored_signals_stay_ignored() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: setting a standard disposition; restored at the end of the test.
        let before = unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
        let signals = Signals::install().expect("install");
        assert_eq!(disposition(libc::SIGTERM), libc::SIG_IGN);
        assert_ne!(disposition(libc::SIGINT), libc::SIG_IGN);
        // SAFETY: SIGTERM is ignored.
        unsafe { libc::raise(libc::SIGTERM) };
        assert_eq!(signals.received(), 0);
        drop(signals);
        assert_eq!(disposition(libc::SIGTERM), libc::SIG_IGN);
        // SAFETY: putting back what the test found.
        unsafe { libc::signal(libc::SIGTERM, before) };
    }

    #[test]
    fn writing_to_a_closed_pipe_is_a_broken_pipe() {
        let (read_end, write_end) = wake_pipe().expect("pipe");
        drop(read_end);
        let mut writer = std::fs::File::from(write_end);
        let io_error = writer.write_all(b"data").expect_err("the reader is gone");
        let err = anyhow::Error::new(io_error).context("failed to write to <stdout>");
        assert!(is_broken_pipe(&err));
        assert!(is_broken_pipe(&anyhow::Error::new(Errno(libc::EPIPE))));
        let other = anyhow::Error::new(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_broken_pipe(&other));
    }
}

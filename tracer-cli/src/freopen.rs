//! `freopen()`: standard output sent to another file while tracing, and back.
//!
//! As libdtrace does, the new file is opened first (to append, created if missing), so a name
//! that cannot be opened leaves the output where it was; only then is it put in standard output's
//! place, with the original kept aside the first time so that `freopen("")` can restore it.
//! Everything the consumer prints goes through file descriptor 1, so the switch takes it all,
//! `system()` commands included.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// Standard output's redirections.
#[derive(Debug, Default)]
pub struct Redirect {
    /// The original standard output, once it has been replaced.
    saved: Option<OwnedFd>,
}

impl Redirect {
    /// Writes what is pending in `out` to the current standard output, then sends standard
    /// output to the file `name` names, or back to the original when `name` is empty. A failure
    /// is returned as the message libdtrace prints for it, and changes nothing.
    pub fn freopen(&mut self, name: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(out)
            .and_then(|()| stdout.flush())
            .map_err(|error| error.to_string())?;
        out.clear();
        if name.is_empty() {
            let Some(saved) = &self.saved else {
                return Ok(());
            };
            return replace_stdout(saved);
        }
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(std::ffi::OsStr::from_bytes(name))
            .map_err(|error| {
                let reason = std::io::Error::from_raw_os_error(error.raw_os_error().unwrap_or(0));
                format!(
                    "couldn't freopen() \"{}\": {}",
                    String::from_utf8_lossy(name),
                    strerror(&reason)
                )
            })?;
        if self.saved.is_none() {
            // SAFETY: `dup` has no memory preconditions; a valid result is a new descriptor
            // that nothing else owns.
            let saved = unsafe { libc::dup(1) };
            if saved < 0 {
                return Err(std::io::Error::last_os_error().to_string());
            }
            // SAFETY: `saved` was just returned by `dup`, so it is open and owned by no one else.
            self.saved = Some(unsafe { OwnedFd::from_raw_fd(saved) });
        }
        replace_stdout(&file)
    }
}

/// Makes descriptor 1 a copy of `fd`.
fn replace_stdout(fd: &impl AsRawFd) -> Result<(), String> {
    // SAFETY: `dup2` only changes the descriptor table; `fd` is open for the call's duration.
    if unsafe { libc::dup2(fd.as_raw_fd(), 1) } < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    Ok(())
}

/// The C library's text for an error, without Rust's " (os error N)" suffix.
fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_cannot_be_opened_is_refused_and_changes_nothing() {
        let mut redirect = Redirect::default();
        let mut out = Vec::new();
        let error = redirect
            .freopen(b"/", &mut out)
            .expect_err("a directory cannot be appended to");
        assert_eq!(error, "couldn't freopen() \"/\": Is a directory");
        assert!(redirect.saved.is_none(), "standard output was not replaced");
        assert_eq!(
            redirect.freopen(b"", &mut out),
            Ok(()),
            "nothing to restore"
        );
    }
}

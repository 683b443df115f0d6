//! Finding tracefs, and mounting it when it is missing.
//!
//! Tracepoint IDs and the list of syscall tracepoints live in tracefs. aya looks for it only at
//! the two standard places ([`TRACEFS_MOUNT_POINTS`]) and remembers the first answer for the life
//! of the process, so the engine makes sure tracefs is mounted at one of them before aya first
//! looks: minimal VMs and containers often boot without it.

use std::io;
use std::path::{Path, PathBuf};

/// Where tracefs is looked for, in order; it is mounted on the first when missing.
pub const TRACEFS_MOUNT_POINTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// The mount table read to find tracefs.
const MOUNTS: &str = "/proc/self/mounts";

/// Why tracefs is not available.
#[derive(Debug, thiserror::Error)]
pub enum TracefsError {
    /// The mount table could not be read.
    #[error("failed to read `{path}`")]
    ReadMounts {
        /// The mount table's path.
        path: PathBuf,
        /// The cause.
        #[source]
        io_error: io::Error,
    },
    /// tracefs is not mounted and this process may not mount it.
    #[error(
        "tracefs is not mounted and mounting it on `{target}` is not permitted: run as root, or run `mount -t tracefs nodev {target}` first"
    )]
    MountNotPermitted {
        /// Where the mount was tried.
        target: PathBuf,
        /// The `mount(2)` error.
        #[source]
        io_error: io::Error,
    },
    /// tracefs is not mounted and mounting it failed.
    #[error("tracefs is not mounted and mounting it on `{target}` failed")]
    Mount {
        /// Where the mount was tried.
        target: PathBuf,
        /// The `mount(2)` error.
        #[source]
        io_error: io::Error,
    },
}

/// Returns where tracefs is mounted, mounting it on `/sys/kernel/tracing` first if it is not
/// mounted at any of [`TRACEFS_MOUNT_POINTS`].
pub fn tracefs_path() -> Result<PathBuf, TracefsError> {
    let mounts = match std::fs::read_to_string(MOUNTS) {
        Ok(mounts) => mounts,
        Err(io_error) => {
            return Err(TracefsError::ReadMounts {
                path: PathBuf::from(MOUNTS),
                io_error,
            });
        }
    };
    if let Some(path) = find_tracefs(&mounts) {
        return Ok(path);
    }
    let target = PathBuf::from(TRACEFS_MOUNT_POINTS[0]);
    match mount_tracefs(&target) {
        Ok(()) => Ok(target),
        Err(io_error) if io_error.raw_os_error() == Some(libc::EPERM) => {
            Err(TracefsError::MountNotPermitted { target, io_error })
        }
        Err(io_error) => Err(TracefsError::Mount { target, io_error }),
    }
}

/// The first of [`TRACEFS_MOUNT_POINTS`] that `mounts` (in `/proc/mounts` format) shows tracefs on.
pub fn find_tracefs(mounts: &str) -> Option<PathBuf> {
    let tracefs_mounts: Vec<&str> = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _source = fields.next()?;
            let mount_point = fields.next()?;
            let fs_type = fields.next()?;
            (fs_type == "tracefs").then_some(mount_point)
        })
        .collect();
    TRACEFS_MOUNT_POINTS
        .into_iter()
        .find(|candidate| tracefs_mounts.contains(candidate))
        .map(PathBuf::from)
}

/// `mount -t tracefs nodev TARGET`.
fn mount_tracefs(target: &Path) -> io::Result<()> {
    let target =
        std::ffi::CString::new(target.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
    // SAFETY: every pointer is a NUL-terminated string that outlives the call; tracefs takes no
    // mount data.
    let result = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_standard_mount_point() {
        let mounts = "\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
nodev /sys/kernel/tracing tracefs rw,relatime 0 0
";
        assert_eq!(
            find_tracefs(mounts),
            Some(PathBuf::from("/sys/kernel/tracing"))
        );
    }

    #[test]
    fn falls_back_to_the_debugfs_mount_point() {
        let mounts = "\
debugfs /sys/kernel/debug debugfs rw,relatime 0 0
tracefs /sys/kernel/debug/tracing tracefs rw,relatime 0 0
";
        assert_eq!(
            find_tracefs(mounts),
            Some(PathBuf::from("/sys/kernel/debug/tracing"))
        );
    }

    #[test]
    fn prefers_the_first_mount_point() {
        let mounts = "\
tracefs /sys/kernel/debug/tracing tracefs rw,relatime 0 0
nodev /sys/kernel/tracing tracefs rw,relatime 0 0
";
        assert_eq!(
            find_tracefs(mounts),
            Some(PathBuf::from("/sys/kernel/tracing"))
        );
    }

    #[test]
    fn ignores_other_file_systems_and_other_mount_points() {
        let mounts = "\
sysfs /sys/kernel/tracing sysfs rw 0 0
nodev /mnt/trace tracefs rw,relatime 0 0
short line
";
        assert_eq!(find_tracefs(mounts), None);
    }

    #[test]
    fn the_permission_error_says_what_to_do() {
        let error = TracefsError::MountNotPermitted {
            target: PathBuf::from("/sys/kernel/tracing"),
            io_error: io::Error::from_raw_os_error(libc::EPERM),
        };
        assert_eq!(
            error.to_string(),
            "tracefs is not mounted and mounting it on `/sys/kernel/tracing` is not permitted: run as root, or run `mount -t tracefs nodev /sys/kernel/tracing` first"
        );
    }
}

//! Who may use the daemon: root and the members of its group, told by `SO_PEERCRED`.
//!
//! The peer's credentials come from the kernel at connect time, so a client cannot claim another
//! identity. Membership counts the peer's primary group and its supplementary groups, read from
//! `/proc/PID/status` (the kernel's own view of the process), so `newgrp` and `sg` work.

use std::ffi::CString;

/// The identity of a connected peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its uid.
    pub uid: u32,
    /// Its primary gid.
    pub gid: u32,
    /// Its pid, when the kernel says.
    pub pid: Option<i32>,
}

/// Whether `peer` may use the daemon, whose group is `group_gid` (`None` when the group does
/// not exist); the error is the message the peer receives.
pub fn authorize(peer: Peer, group_name: &str, group_gid: Option<u32>) -> Result<(), String> {
    if peer.uid == 0 {
        return Ok(());
    }
    if let Some(gid) = group_gid {
        let supplementary = peer.pid.map(supplementary_groups).unwrap_or_default();
        if peer.gid == gid || supplementary.contains(&gid) {
            return Ok(());
        }
    }
    Err(format!(
        "permission denied: uid {} is neither root nor a member of group `{group_name}`",
        peer.uid
    ))
}

/// The gid of group `name`, if it exists.
pub fn group_gid(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a NUL-terminated string; the result is read at once, before any other
    // call that could reuse its static storage.
    let group = unsafe { libc::getgrnam(name.as_ptr()) };
    if group.is_null() {
        return None;
    }
    // SAFETY: `group` is a valid `struct group` returned by `getgrnam`.
    Some(unsafe { (*group).gr_gid })
}

/// The supplementary groups of process `pid`, from `/proc/PID/status`.
fn supplementary_groups(pid: i32) -> Vec<u32> {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return Vec::new();
    };
    parse_groups(&status)
}

/// The `Groups:` line of a `/proc/PID/status` text.
fn parse_groups(status: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Groups:"))
        .map(|groups| {
            groups
                .split_whitespace()
                .filter_map(|gid| gid.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_group_members_are_allowed() {
        let root = Peer {
            uid: 0,
            gid: 0,
            pid: None,
        };
        assert_eq!(authorize(root, "tracing", None), Ok(()));
        let member = Peer {
            uid: 1000,
            gid: 990,
            pid: None,
        };
        assert_eq!(authorize(member, "tracing", Some(990)), Ok(()));
    }

    #[test]
    fn others_are_refused_with_a_message() {
        let nobody = Peer {
            uid: 65534,
            gid: 65534,
            pid: None,
        };
        assert_eq!(
            authorize(nobody, "tracing", Some(990)),
            Err(
                "permission denied: uid 65534 is neither root nor a member of group `tracing`"
                    .to_owned()
            )
        );
        assert!(authorize(nobody, "tracing", None).is_err());
    }

    #[test]
    fn supplementary_groups_come_from_the_status_line() {
        let status = "Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 990 \nVmPeak:\t1 kB\n";
        assert_eq!(parse_groups(status), vec![4, 24, 990]);
        assert_eq!(parse_groups("Name:\tsh\n"), Vec::<u32>::new());
    }
}

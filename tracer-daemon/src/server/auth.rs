//! Who may use the daemon: root and the members of its group, told by `SO_PEERCRED`; and which
//! processes a client may trace.
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

/// Whether user `uid` may trace process `pid` with `pid` and USDT probes: root may trace any
/// process; another user only a process that is wholly its own, as `ptrace` would let it: every
/// uid of `/proc/PID/status` (real, effective, saved, filesystem) is `uid`, and `/proc/PID`
/// belongs to `uid`, which the kernel changes to root while the process is not dumpable (after
/// executing a setuid or unreadable program).
pub fn may_trace(uid: u32, pid: u32) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    if uid == 0 {
        return true;
    }
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let owner = std::fs::metadata(format!("/proc/{pid}")).map(|metadata| metadata.uid());
    owns(&status, uid) && owner.is_ok_and(|owner| owner == uid)
}

/// Whether every uid of the `Uid:` line of a `/proc/PID/status` text is `uid`.
fn owns(status: &str, uid: u32) -> bool {
    let Some(uids) = status.lines().find_map(|line| line.strip_prefix("Uid:")) else {
        return false;
    };
    let uids: Vec<&str> = uids.split_whitespace().collect();
    !uids.is_empty() && uids.iter().all(|field| field.parse() == Ok(uid))
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
    fn a_process_is_traceable_when_every_uid_is_the_users() {
        let status = "Name:\tprog\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n";
        assert!(owns(status, 1000));
        assert!(!owns(status, 1001));
        let setuid = "Name:\tsu\nUid:\t1000\t0\t0\t0\n";
        assert!(!owns(setuid, 1000));
        assert!(!owns("Name:\tprog\n", 1000));
        assert!(!owns("Uid:\t\n", 1000));
    }

    #[test]
    fn root_may_trace_anything_and_others_only_their_own() {
        let this = std::process::id();
        assert!(may_trace(0, this));
        assert!(may_trace(0, u32::MAX));
        // The tests run as root, so this process is not user 65534's.
        assert!(!may_trace(65534, this));
        assert!(!may_trace(65534, u32::MAX));
    }

    #[test]
    fn supplementary_groups_come_from_the_status_line() {
        let status = "Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGroups:\t4 24 990 \nVmPeak:\t1 kB\n";
        assert_eq!(parse_groups(status), vec![4, 24, 990]);
        assert_eq!(parse_groups("Name:\tsh\n"), Vec::<u32>::new());
    }
}

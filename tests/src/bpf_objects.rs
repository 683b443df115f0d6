//! The kernel's BPF programs, maps and links, by id: those one process holds and those loaded.
//!
//! This is how the cleanup test proves that nothing stays behind after `tracer` exits: the
//! ids it holds while running are read from `/proc/PID/fdinfo`, and afterwards none of them may
//! still be loaded.
//! Listing goes through the `bpf(2)` `*_GET_NEXT_ID` commands directly, so no `bpftool` is
//! needed.

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::thread;
use std::time::{Duration, Instant};

/// `BPF_PROG_GET_NEXT_ID` from `enum bpf_cmd`.
const BPF_PROG_GET_NEXT_ID: libc::c_long = 11;
/// `BPF_MAP_GET_NEXT_ID` from `enum bpf_cmd`.
const BPF_MAP_GET_NEXT_ID: libc::c_long = 12;
/// `BPF_LINK_GET_NEXT_ID` from `enum bpf_cmd`.
const BPF_LINK_GET_NEXT_ID: libc::c_long = 31;

/// Sets of program, map and link ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BpfIds {
    /// Program ids.
    pub programs: BTreeSet<u32>,
    /// Map ids.
    pub maps: BTreeSet<u32>,
    /// Link ids.
    pub links: BTreeSet<u32>,
}

impl BpfIds {
    /// The objects `pid` holds file descriptors for; empty once it has exited.
    pub fn held_by(pid: u32) -> BpfIds {
        let mut ids = BpfIds::default();
        let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
            return ids;
        };
        for entry in entries.flatten() {
            // A descriptor closed since the listing has no fdinfo left, which is fine.
            if let Ok(fdinfo) = std::fs::read_to_string(entry.path()) {
                ids.add_fdinfo(&fdinfo);
            }
        }
        ids
    }

    /// Every object currently loaded in the kernel.
    pub fn loaded() -> io::Result<BpfIds> {
        Ok(BpfIds {
            programs: list_ids(BPF_PROG_GET_NEXT_ID)?,
            maps: list_ids(BPF_MAP_GET_NEXT_ID)?,
            links: list_ids(BPF_LINK_GET_NEXT_ID)?,
        })
    }

    /// Adds the ids named in one `/proc/PID/fdinfo/FD` file.
    ///
    /// A link's fdinfo names its program too, which is then counted as held as well.
    pub fn add_fdinfo(&mut self, fdinfo: &str) {
        for line in fdinfo.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let Ok(id) = value.trim().parse::<u32>() else {
                continue;
            };
            match key {
                "prog_id" => self.programs.insert(id),
                "map_id" => self.maps.insert(id),
                "link_id" => self.links.insert(id),
                _ => continue,
            };
        }
    }

    /// Adds every id of `other`.
    pub fn extend(&mut self, other: &BpfIds) {
        self.programs.extend(&other.programs);
        self.maps.extend(&other.maps);
        self.links.extend(&other.links);
    }

    /// The ids in both `self` and `other`.
    #[must_use]
    pub fn intersection(&self, other: &BpfIds) -> BpfIds {
        BpfIds {
            programs: self
                .programs
                .intersection(&other.programs)
                .copied()
                .collect(),
            maps: self.maps.intersection(&other.maps).copied().collect(),
            links: self.links.intersection(&other.links).copied().collect(),
        }
    }

    /// Whether there are no ids at all.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty() && self.maps.is_empty() && self.links.is_empty()
    }

    /// Waits up to `grace` for every object `self` names to be unloaded (the kernel frees them
    /// a little after their last descriptor closes), and returns those still loaded then.
    ///
    /// # Panics
    /// When the loaded objects cannot be listed.
    #[must_use]
    pub fn still_loaded_after(&self, grace: Duration) -> BpfIds {
        let deadline = Instant::now() + grace;
        loop {
            let loaded =
                BpfIds::loaded().unwrap_or_else(|error| panic!("cannot list BPF objects: {error}"));
            let left = self.intersection(&loaded);
            if left.is_empty() || Instant::now() >= deadline {
                return left;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl fmt::Display for BpfIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "programs {:?}, maps {:?}, links {:?}",
            self.programs, self.maps, self.links
        )
    }
}

/// The `bpf_attr` member the `*_GET_NEXT_ID` commands read and write.
#[repr(C)]
#[derive(Default)]
struct GetNextIdAttr {
    start_id: u32,
    next_id: u32,
    open_flags: u32,
}

/// Every id `command` walks, in increasing order.
fn list_ids(command: libc::c_long) -> io::Result<BTreeSet<u32>> {
    let mut ids = BTreeSet::new();
    let mut attr = GetNextIdAttr::default();
    loop {
        // SAFETY: `attr` is a live, initialized `bpf_attr` prefix of the size passed, and the
        // kernel writes only `next_id` inside it.
        let result = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                command,
                &raw mut attr,
                size_of::<GetNextIdAttr>(),
            )
        };
        if result != 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::ENOENT) {
                return Ok(ids);
            }
            return Err(error);
        }
        ids.insert(attr.next_id);
        attr.start_id = attr.next_id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdinfo_of_programs_maps_and_links() {
        let mut ids = BpfIds::default();
        ids.add_fdinfo("pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nprog_type:\t5\nprog_jited:\t1\nprog_tag:\t3b185187f1855c4c\nmemlock:\t4096\nprog_id:\t65\n");
        ids.add_fdinfo("pos:\t0\nmap_type:\t27\nkey_size:\t0\nvalue_size:\t0\nmax_entries:\t262144\nmap_flags:\t0x0\nmap_id:\t12\nfrozen:\t0\n");
        ids.add_fdinfo(
            "pos:\t0\nlink_type:\tperf\nlink_id:\t7\nprog_tag:\t3b185187f1855c4c\nprog_id:\t66\n",
        );
        ids.add_fdinfo("pos:\t0\nflags:\t0100002\nmnt_id:\t24\nino:\t9\n");
        assert_eq!(ids.programs, BTreeSet::from([65, 66]));
        assert_eq!(ids.maps, BTreeSet::from([12]));
        assert_eq!(ids.links, BTreeSet::from([7]));
    }

    #[test]
    fn intersection_and_display() {
        let mut held = BpfIds::default();
        held.add_fdinfo("prog_id:\t1\nmap_id:\t2\n");
        let mut loaded = BpfIds::default();
        loaded.add_fdinfo("prog_id:\t1\nmap_id:\t3\n");
        let left = held.intersection(&loaded);
        assert_eq!(left.to_string(), "programs {1}, maps {}, links {}");
        assert!(!left.is_empty());
        assert!(held.intersection(&BpfIds::default()).is_empty());
    }

    #[test]
    fn held_by_a_process_without_bpf_objects_is_empty() {
        assert!(BpfIds::held_by(std::process::id()).is_empty());
    }
}

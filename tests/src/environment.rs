//! What the machine must provide before any end-to-end case can run.
//!
//! The suites never skip: when a prerequisite is missing they fail, and this module's message
//! says what is missing and how to provide it.

use std::path::Path;

/// Where tracefs is expected; the syscall provider reads its tracepoint formats from here.
pub const TRACEFS: &str = "/sys/kernel/tracing";

/// Checks for root and a mounted tracefs, describing everything missing.
pub fn check() -> Result<(), String> {
    let mut missing = Vec::new();
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        missing.push(format!(
            "running as uid {euid}, but loading and attaching eBPF programs needs root (CAP_BPF and CAP_PERFMON)"
        ));
    }
    if !Path::new(TRACEFS).join("events").is_dir() {
        missing.push(format!(
            "tracefs is not mounted at {TRACEFS} (mount it with `mount -t tracefs nodev {TRACEFS}`)"
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("; "))
    }
}

//! The `tracepoint` provider's view of the running kernel's tracefs: the events and their fields.
//!
//! These tests need root (tracefs may have to be mounted); without it they fail saying so.

use d_frontend::provider::{ProbeCatalog as _, TracepointField, TracepointInfo};
use tracer_daemon::catalog::KernelCatalog;

fn catalog() -> KernelCatalog {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the tracepoint tests need root to find or mount tracefs"
    );
    KernelCatalog::load().unwrap_or_else(|error| panic!("the catalog loads: {error}"))
}

fn field<'a>(fields: &'a [TracepointField], name: &str) -> &'a TracepointField {
    fields
        .iter()
        .find(|field| field.name == name)
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

#[test]
fn every_event_is_listed_sorted() {
    let events = catalog().tracepoints();
    assert!(events.len() > 500, "only {} events", events.len());
    assert!(events.windows(2).all(|pair| pair[0] < pair[1]));
    for (group, event) in [
        ("sched", "sched_switch"),
        ("sched", "sched_process_exec"),
        ("syscalls", "sys_enter_openat"),
    ] {
        let info = TracepointInfo {
            group: group.to_owned(),
            event: event.to_owned(),
        };
        assert!(events.contains(&info), "{group}:{event} is not listed");
    }
}

#[test]
fn sched_switch_has_its_comm_arrays_and_pids() {
    let fields = catalog()
        .tracepoint_format("sched", "sched_switch")
        .expect("sched_switch's format");
    assert!(
        fields
            .iter()
            .all(|field| !field.name.starts_with("common_"))
    );
    let prev_comm = field(&fields, "prev_comm");
    assert_eq!(
        (
            prev_comm.declaration.as_str(),
            prev_comm.size,
            prev_comm.offset
        ),
        ("char[16]", 16, 8)
    );
    let next_pid = field(&fields, "next_pid");
    assert_eq!(
        (
            next_pid.declaration.as_str(),
            next_pid.size,
            next_pid.signed
        ),
        ("pid_t", 4, true)
    );
}

#[test]
fn data_loc_strings_keep_their_tag() {
    let fields = catalog()
        .tracepoint_format("sched", "sched_process_exec")
        .expect("sched_process_exec's format");
    let filename = field(&fields, "filename");
    assert_eq!(
        (filename.declaration.as_str(), filename.size),
        ("__data_loc char[]", 4)
    );
}

#[test]
fn unknown_events_have_no_format() {
    let catalog = catalog();
    assert_eq!(catalog.tracepoint_format("sched", "no_such_event"), None);
    assert_eq!(catalog.tracepoint_format("..", "sched"), None);
}

//! Nothing `tracer` loads outlives it: no BPF program, map or link, and no kprobe or uprobe
//! event left in tracefs.
//!
//! This is a test of its own (and so a test binary of its own, which cargo runs apart from the
//! suites) because it compares kernel-wide state before and after one run.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use tests::bpf_objects::BpfIds;
use tests::{TestCommand, environment};

/// A program that attaches every kind of probe the walking skeleton has and exits by itself.
const PROGRAM: &str = "BEGIN { } \
    syscall::getppid:entry { @calls = count(); } \
    profile:::tick-100ms { @ticks = count(); } \
    tick-1s { exit(0); } \
    END { }";

/// How long tracer may run; it exits by itself after about a second.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How long the kernel may take to free objects after their last reference is gone (links and
/// programs are released from a workqueue).
const RELEASE_GRACE: Duration = Duration::from_secs(5);

fn legacy_probe_events() -> String {
    ["kprobe_events", "uprobe_events"]
        .iter()
        .map(|file| {
            std::fs::read_to_string(Path::new(environment::TRACEFS).join(file)).unwrap_or_default()
        })
        .collect()
}

#[test]
fn nothing_stays_loaded_after_exit() {
    if let Err(missing) = environment::check() {
        panic!("this machine cannot run the end-to-end tests: {missing}");
    }
    let probe_events_before = legacy_probe_events();
    let started = Instant::now();
    let mut running = TestCommand::tracer()
        .args(["-q", "-n", PROGRAM])
        .timeout(TIMEOUT)
        .spawn();
    let mut held = BpfIds::default();
    // Past the timeout, wait() kills tracer and reports it.
    while !running.has_exited() && started.elapsed() < TIMEOUT {
        held.extend(&BpfIds::held_by(running.pid()));
        thread::sleep(Duration::from_millis(20));
    }
    let output = running.wait();
    output.assert_exit(0);
    assert!(
        !held.programs.is_empty(),
        "tracer held no BPF program while it ran, so this test proves nothing\n{output}"
    );
    let left = held.still_loaded_after(RELEASE_GRACE);
    assert!(
        left.is_empty(),
        "{}s after tracer exited these are still loaded: {left}\n{output}",
        RELEASE_GRACE.as_secs()
    );
    assert_eq!(
        legacy_probe_events(),
        probe_events_before,
        "tracer left kprobe or uprobe events behind in {}",
        environment::TRACEFS
    );
}

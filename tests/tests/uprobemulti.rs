//! `pid` probes through uprobe-multi links leave nothing behind: the programs the engine loads
//! itself (rather than through aya) and their links are gone once `tracer` ends, whether it
//! exits or is killed with SIGKILL while tracing.
//!
//! Like `faults.rs`, these tests look only at the objects the run's own process held (read from
//! its `/proc/PID/fdinfo`), so they may run beside other tracers.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use tests::bpf_objects::BpfIds;
use tests::{Status, TestCommand, environment, targets};

/// How long the kernel may take to free objects after their last reference is gone.
const RELEASE_GRACE: Duration = Duration::from_secs(5);

/// How long tracer may take to attach.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(30);

/// The probes: entries and returns of libc's `str*` functions and of the program's `go`, a
/// link each per direction and binary.
const PROGRAM: &str = "pid$target:libc.so.6:str*:entry, pid$target:libc.so.6:str*:return, \
                       pid$target:a.out:go:entry, pid$target:a.out:go:return { @[probename] = count(); }";

/// `scripts/pid_prog.c` built in a directory of its own and running `wait` (calling `go` every
/// 50 ms); killed and removed on drop.
struct Target {
    dir: PathBuf,
    child: Child,
}

impl Target {
    fn start(name: &str) -> Target {
        if let Err(missing) = environment::check() {
            panic!("this machine cannot run the end-to-end tests: {missing}");
        }
        let dir = std::env::temp_dir().join(format!("uprobemulti-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the target's directory");
        let program = targets::build_pid_prog(&dir);
        let child = Command::new(&program)
            .arg("wait")
            .spawn()
            .expect("the target starts");
        Target { dir, child }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `link_type` of every BPF link `pid` holds a descriptor for.
fn link_types(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return Vec::new();
    };
    let mut types: Vec<String> = entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|fdinfo| {
            fdinfo
                .lines()
                .find_map(|line| line.strip_prefix("link_type:"))
                .map(|link_type| link_type.trim().to_owned())
        })
        .collect();
    types.sort();
    types
}

/// Starts tracer on `target` and waits until it has attached; returns it with the objects it
/// holds then.
fn traced(target: &Target) -> (tests::command::Running, BpfIds) {
    let running = TestCommand::tracer()
        .args(["-n", PROGRAM, "-p", &target.child.id().to_string()])
        .timeout(Duration::from_mins(2))
        .spawn();
    let deadline = Instant::now() + ATTACH_TIMEOUT;
    while !running.stderr_so_far().contains(" matched ") {
        assert!(
            Instant::now() < deadline,
            "tracer did not attach in {}s:\n{}",
            ATTACH_TIMEOUT.as_secs(),
            running.stderr_so_far()
        );
        thread::sleep(Duration::from_millis(20));
    }
    let types = link_types(running.pid());
    assert_eq!(
        types,
        [
            "uprobe_multi",
            "uprobe_multi",
            "uretprobe_multi",
            "uretprobe_multi"
        ],
        "tracer should hold one uprobe-multi link per binary and direction"
    );
    let held = BpfIds::held_by(running.pid());
    assert_eq!(held.links.len(), 4, "{held}");
    assert!(!held.programs.is_empty(), "{held}");
    (running, held)
}

/// Panics with `context` if some of the objects `held` names are still loaded
/// [`RELEASE_GRACE`] after tracer ended.
fn assert_released(held: &BpfIds, context: &str) {
    let left = held.still_loaded_after(RELEASE_GRACE);
    assert!(
        left.is_empty(),
        "{}s after tracer ended, these are still there: {left}\n{context}",
        RELEASE_GRACE.as_secs()
    );
}

#[test]
fn uprobe_multi_links_and_programs_are_gone_after_exit() {
    let target = Target::start("exit");
    let (running, held) = traced(&target);
    // The target calls go every 50 ms.
    thread::sleep(Duration::from_millis(300));
    running.signal(libc::SIGINT);
    let output = running.wait();
    output.assert_exit(0);
    assert!(
        output
            .stdout_lines()
            .iter()
            .any(|line| line.trim_start().starts_with("entry")),
        "go's entries were not counted\n{output}"
    );
    assert_released(&held, &output.to_string());
}

#[test]
fn uprobe_multi_links_and_programs_are_gone_after_sigkill() {
    let target = Target::start("sigkill");
    let (running, held) = traced(&target);
    running.signal(libc::SIGKILL);
    let output = running.wait();
    assert_eq!(
        output.status,
        Status::Signaled(libc::SIGKILL),
        "tracer was not killed\n{output}"
    );
    assert_released(&held, &output.to_string());
}

//! Faults and floods: `tracer` killed with SIGKILL at any point leaves none of its BPF objects or
//! tracefs events behind, a `printf` per system call under a storm is either delivered or counted
//! as dropped, memory stays bounded, SIGINT ends a flood promptly, and a closed standard output
//! ends a run quietly and detaches it.
//!
//! These tests watch a running `tracer` (its BPF objects through `/proc/PID/fdinfo`, its memory
//! through `/proc/PID/status`), which a suite line cannot express.
//! Other tracers may run on this machine at the same time, so every check is limited to the
//! objects this run's process held and the tracefs events named after its pid; nothing compares
//! kernel-wide counts.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tests::bpf_objects::BpfIds;
use tests::command::Running;
use tests::command::tracer_path;
use tests::{Output, Status, TestCommand, environment};

/// How long the kernel may take to free objects after their last reference is gone (links and
/// programs are released from a workqueue).
const RELEASE_GRACE: Duration = Duration::from_secs(5);

/// How often a running tracer is looked at.
const POLL: Duration = Duration::from_millis(1);

/// The line tracer prints on standard error once every probe is attached.
const BANNER: &str = " matched ";

/// Clauses in the program the kill tests run: enough that compiling, verifying and attaching
/// each take long enough to be interrupted.
const N_CLAUSES: usize = 120;

/// The program the kill tests run: many clauses with aggregations of their own on a syscall
/// probe, a timer that keeps events flowing, and `END`, which prints.
fn busy_program() -> String {
    let mut program = String::new();
    for idx in 0..N_CLAUSES {
        writeln!(
            program,
            "syscall::getppid:entry /arg0 == {idx}/ {{ @c{idx} = count(); }}"
        )
        .expect("writing to a String cannot fail");
    }
    program.push_str(
        "tick-1ms { @ticks = count(); printf(\"tick\\n\"); }\nEND { printf(\"end\\n\"); printa(@ticks); }\n",
    );
    program
}

fn check_environment() {
    if let Err(missing) = environment::check() {
        panic!("this machine cannot run the end-to-end tests: {missing}");
    }
}

/// The legacy tracefs probe events aya names after `pid` (`aya_PID_...`), whatever their kind.
fn probe_events_of(pid: u32) -> Vec<String> {
    let prefix = format!("aya_{pid}_");
    ["kprobe_events", "uprobe_events", "dynamic_events"]
        .iter()
        .map(|file| {
            std::fs::read_to_string(Path::new(environment::TRACEFS).join(file)).unwrap_or_default()
        })
        .collect::<String>()
        .lines()
        .filter(|line| line.contains(&prefix))
        .map(str::to_owned)
        .collect()
}

/// Waits until none of the objects `held` names is loaded any more and no tracefs event of
/// `pid` remains, and panics with `context` if some still are after [`RELEASE_GRACE`].
fn assert_released(held: &BpfIds, pid: u32, context: &str) {
    let deadline = Instant::now() + RELEASE_GRACE;
    loop {
        let loaded =
            BpfIds::loaded().unwrap_or_else(|error| panic!("cannot list BPF objects: {error}"));
        let left = held.intersection(&loaded);
        let events = probe_events_of(pid);
        if left.is_empty() && events.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}s after tracer ended, these are still there: {left}; tracefs events {events:?}\n{context}",
            RELEASE_GRACE.as_secs()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// Where in its life a tracer is killed.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// This long after the start, wherever that falls.
    After(Duration),
    /// Running but holding no BPF object yet: parsing, checking and generating code.
    Compiling,
    /// Holding programs but not yet announcing that every probe is attached.
    Attaching,
    /// With every probe attached and events flowing.
    Tracing,
    /// Just after SIGINT, while `END` runs and the output is printed.
    Ending,
}

/// How long a kill test waits for its moment before giving up.
const KILL_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the busy program, kills it with SIGKILL at `moment`, and checks that nothing it held
/// outlives it.
fn kill_at(moment: Moment) {
    let program = busy_program();
    let mut running = TestCommand::tracer()
        .args(["-n", &program])
        .timeout(KILL_TIMEOUT)
        .spawn();
    let mut held = BpfIds::default();
    let mut reached = false;
    while !running.has_exited() && running.elapsed() < KILL_TIMEOUT {
        let now_held = BpfIds::held_by(running.pid());
        held.extend(&now_held);
        let attached = running.stderr_so_far().contains(BANNER);
        reached = match moment {
            Moment::After(delay) => running.elapsed() >= delay,
            Moment::Compiling => {
                running.elapsed() >= Duration::from_millis(5) && now_held.programs.is_empty()
            }
            Moment::Attaching => !now_held.programs.is_empty() && !attached,
            Moment::Tracing => attached && running.stdout_so_far().matches("tick").count() > 20,
            Moment::Ending => {
                if attached {
                    running.signal(libc::SIGINT);
                    thread::sleep(Duration::from_millis(1));
                }
                attached
            }
        };
        if reached {
            running.signal(libc::SIGKILL);
            break;
        }
        thread::sleep(POLL);
    }
    let pid = running.pid();
    let output = running.wait();
    assert!(
        reached,
        "tracer ended before it could be killed {moment:?}\n{output}"
    );
    if let Moment::Attaching | Moment::Tracing | Moment::Ending = moment {
        assert!(
            !held.programs.is_empty(),
            "tracer held no BPF program when killed {moment:?}, so this proves nothing\n{output}"
        );
    }
    assert_eq!(
        output.status,
        Status::Signaled(libc::SIGKILL),
        "tracer was not killed {moment:?}\n{output}"
    );
    assert_released(&held, pid, &format!("killed {moment:?}\n{output}"));
}

#[test]
fn sigkill_while_compiling_leaves_nothing() {
    check_environment();
    kill_at(Moment::Compiling);
}

#[test]
fn sigkill_while_attaching_leaves_nothing() {
    check_environment();
    kill_at(Moment::Attaching);
}

#[test]
fn sigkill_while_tracing_leaves_nothing() {
    check_environment();
    kill_at(Moment::Tracing);
}

#[test]
fn sigkill_while_ending_leaves_nothing() {
    check_environment();
    kill_at(Moment::Ending);
}

/// Kills at delays spread over a whole run, wherever they fall.
#[test]
fn sigkill_at_spread_out_moments_leaves_nothing() {
    check_environment();
    for millis in [0, 3, 10, 25, 50, 100, 200, 400] {
        kill_at(Moment::After(Duration::from_millis(millis)));
    }
}

/// The largest resident set size seen so far, in KiB, from `/proc/PID/status`.
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The most memory a flood may make tracer hold; its normal size is well under half of this.
const MAX_RSS_KIB: u64 = 192 * 1024;

/// The sum of the counts of tracer's `N drops on CPU C` lines.
fn principal_drops(output: &Output) -> u64 {
    output
        .stderr_lines()
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("tracer: ")?;
            let (count, cpu) = rest
                .split_once(" drops on CPU ")
                .or_else(|| rest.split_once(" drop on CPU "))?;
            cpu.parse::<u32>().ok()?;
            count.parse::<u64>().ok()
        })
        .sum()
}

/// Watches `running` until it exits, returning the largest resident set size seen, in KiB.
fn watch_memory(running: &mut Running) -> u64 {
    let mut peak = 0;
    while !running.has_exited() {
        if let Some(kib) = resident_kib(running.pid()) {
            peak = peak.max(kib);
        }
        thread::sleep(Duration::from_millis(5));
    }
    peak
}

/// A `printf` for each of a storm of one-byte reads, through a small buffer: every read is
/// either printed or counted in a drop message, none is lost silently, and memory stays bounded.
#[test]
fn printf_flood_is_delivered_or_counted_exactly() {
    const READS: u64 = 300_000;
    check_environment();
    let mut running = TestCommand::tracer()
        .args([
            "-q",
            "-b",
            "64k",
            "-n",
            "syscall::read:entry /pid == $target && arg2 == 1/ { printf(\"%d\\n\", arg0); }",
            "-c",
            &format!("dd if=/dev/zero of=/dev/null bs=1 count={READS}"),
        ])
        .timeout(Duration::from_mins(1))
        .spawn();
    let peak_kib = watch_memory(&mut running);
    let output = running.wait();
    output.assert_exit(0);
    let delivered = output
        .stdout_lines()
        .iter()
        .filter(|line| line.as_str() == "0")
        .count() as u64;
    let dropped = principal_drops(&output);
    assert_eq!(
        delivered + dropped,
        READS,
        "{delivered} reads printed and {dropped} reported dropped, of {READS}\n{output}"
    );
    assert!(
        peak_kib < MAX_RSS_KIB,
        "tracer grew to {peak_kib} KiB under the flood\n{output}"
    );
}

/// A `printf` for every system call on the machine, tracer's own writes included, under a storm:
/// SIGINT ends the run within a second or two, with `END` run and exit status 0.
#[test]
fn sigint_ends_a_flood_promptly() {
    check_environment();
    let mut running = TestCommand::tracer()
        .args([
            "-q",
            "-n",
            "syscall:::entry { printf(\"%d %s\\n\", pid, probefunc); } END { printf(\"ended\\n\"); }",
            "-c",
            "dd if=/dev/zero of=/dev/null bs=1",
        ])
        .timeout(Duration::from_secs(30))
        .spawn();
    let mut peak_kib = 0;
    let mut flooding_since = None;
    let mut interrupted_at = None;
    while !running.has_exited() {
        if let Some(kib) = resident_kib(running.pid()) {
            peak_kib = peak_kib.max(kib);
        }
        if interrupted_at.is_none() && !running.stdout_so_far().is_empty() {
            let since = *flooding_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= Duration::from_secs(1) {
                running.signal(libc::SIGINT);
                interrupted_at = Some(Instant::now());
            }
        }
        thread::sleep(Duration::from_millis(5));
    }
    let stopped_in = interrupted_at.map(|at| at.elapsed());
    let output = running.wait();
    let stopped_in = stopped_in.unwrap_or_else(|| panic!("tracer ended before SIGINT\n{output}"));
    output.assert_exit(0).assert_stdout_line("ended");
    assert!(
        stopped_in < Duration::from_secs(2),
        "tracer took {stopped_in:?} to end after SIGINT\n{output}"
    );
    assert!(
        peak_kib < MAX_RSS_KIB,
        "tracer grew to {peak_kib} KiB under the flood\n{output}"
    );
}

/// `tracer ... | head -1`: once the reader is gone, tracer exits 0 without a word on standard
/// error, as a filter does when its pipe closes, and its programs are gone.
#[test]
fn closed_stdout_exits_quietly_and_detaches() {
    check_environment();
    let mut child = Command::new(tracer_path())
        .args(["-q", "-n", "tick-10ms { printf(\"tick\\n\"); }"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tracer starts");
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("tracer prints a line");
    assert_eq!(first, "tick\n");
    let held = BpfIds::held_by(pid);
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tracer") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tracer kept running for 5s after its standard output was closed");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(
        &mut child.stderr.take().expect("stderr is piped"),
        &mut stderr,
    )
    .expect("read stderr");
    assert_eq!(
        status.code(),
        Some(0),
        "tracer ended with {status} after its standard output was closed; stderr:\n{stderr}"
    );
    assert!(
        stderr.lines().all(|line| line.contains(BANNER)),
        "tracer said more than its banner after its standard output was closed:\n{stderr}"
    );
    assert!(
        !held.programs.is_empty(),
        "tracer held no BPF program while it ran, so this proves nothing"
    );
    assert_released(&held, pid, &format!("stderr:\n{stderr}"));
}

//! `cargo xtask vm-test [FILTER]`: runs `tests/vm/cases.test` inside Debian's stock 6.1 kernel
//! booted under qemu, where `fbt` can attach with fentry and with kprobes (this machine's kernel
//! allows neither), then the cases that ask for it inside bookworm-backports' 6.12 kernel
//! ([`backports`]), which has kprobe-multi links as well.
//!
//! The steps, each cached under `target/` so that a second run boots within seconds:
//!
//! 1. [`fetch`] downloads and unpacks the kernel, busybox and qemu under `target/vm/root`;
//! 2. cargo builds a static release `tracer` (`-C target-feature=+crt-static` for the gnu target,
//!    in `target/x86_64-unknown-linux-gnu/release`);
//! 3. [`initramfs`] writes `target/vm/initramfs-KERNEL.cpio` for each kernel: busybox, `tracer`,
//!    the kernel's RAM disk module where it is uncompressed (6.1: the block device `/dev/ram0`,
//!    which the `io` cases write to), an `/init` that mounts the kernel file systems, loads the
//!    module, runs that kernel's cases ([`cases`]) and powers off;
//! 4. qemu boots each with TCG (`/dev/kvm` here cannot run a stock kernel), no network and the
//!    serial console on its standard output, which is echoed; the guest's `VMTEST` lines give
//!    each case's result.
//!
//! The task fails when a case fails, when the guest does not report every case, or when it runs
//! longer than [`BOOT_TIMEOUT`].

mod backports;
mod cases;
mod fetch;
mod initramfs;

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use self::cases::{Case, KERNELS, Report};
use self::initramfs::Entry;

/// The longest a boot with every case may take.
const BOOT_TIMEOUT: Duration = Duration::from_mins(20);

/// What follows the name of a case the guest never reported on.
const NO_REPORT: &str = " (no report)";

/// The target static binaries are built for.
const GUEST_TARGET: &str = "x86_64-unknown-linux-gnu";

/// The guest's `/init`: kernel file systems, then the cases, then power off.
const INIT: &str = "#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs nodev /sys/kernel/tracing
mount -t debugfs nodev /sys/kernel/debug
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
[ -f /lib/brd.ko ] && insmod /lib/brd.ko rd_nr=1 rd_size=8192
echo \"VMTEST BOOTED $(uname -r)\"
sh /run-cases
poweroff -f
";

/// Builds, boots and reports; fails when a case fails.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let filter = match args {
        [] => None,
        [filter] if !filter.starts_with('-') => Some(*filter),
        _ => bail!("usage: cargo xtask vm-test [FILTER]"),
    };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace root")?;
    let vm_dir = workspace.join("target/vm");
    let started = Instant::now();
    let tools = fetch::tools(&vm_dir)?;
    let tracer = build_static(workspace)?;
    let list = workspace.join("tests/vm/cases.test");
    let text =
        std::fs::read_to_string(&list).with_context(|| format!("reading {}", list.display()))?;
    let mut cases =
        cases::parse(&text).map_err(|error| anyhow::anyhow!("{}: {error}", list.display()))?;
    if let Some(filter) = filter {
        cases.retain(|case| case.name.contains(filter));
    }
    if cases.is_empty() {
        bail!("no case matches {filter:?}");
    }
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    for kernel in KERNELS {
        let here: Vec<Case> = cases
            .iter()
            .filter(|case| case.kernels.contains(&kernel))
            .cloned()
            .collect();
        if here.is_empty() {
            continue;
        }
        let vmlinuz = if kernel == KERNELS[0] {
            tools.kernel.clone()
        } else {
            backports::kernel(&vm_dir)?
        };
        let image = vm_dir.join(format!("initramfs-{kernel}.cpio"));
        let archive = initramfs::archive(&guest_files(&tools, &vmlinuz, &tracer, &here)?);
        let listing = initramfs::listing(&archive).context("the initramfs reads back")?;
        std::fs::write(&image, &archive)?;
        eprintln!(
            "vm-test: {} cases for Linux {kernel} in a {} MiB initramfs of {} entries, ready to boot after {:.1} s",
            here.len(),
            archive.len() >> 20,
            listing.len(),
            started.elapsed().as_secs_f64()
        );
        let (mut passed_here, mut failed_here) = boot(&tools, &vmlinuz, &image, &here)?;
        if passed_here.is_empty() && failed_here.iter().all(|name| name.ends_with(NO_REPORT)) {
            // Under TCG a guest kernel sometimes oopses while it patches its own text at boot
            // (an int3 in a static call site), before any case runs; that is not a case's failure.
            eprintln!(
                "vm-test: the Linux {kernel} guest reported no case (its console is above); booting it once more"
            );
            (passed_here, failed_here) = boot(&tools, &vmlinuz, &image, &here)?;
        }
        passed.extend(passed_here);
        failed.extend(
            failed_here
                .into_iter()
                .map(|name| format!("{name} (Linux {kernel})")),
        );
    }
    eprintln!(
        "vm-test: {} passed, {} failed in {:.1} s",
        passed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        bail!("failed: {}", failed.join(" "));
    }
    Ok(())
}

/// Builds the static release `tracer` and returns its path.
fn build_static(workspace: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args(["build", "--release", "--package", "tracer-cli", "--bin"])
        .args(["tracer", "--target", GUEST_TARGET]);
    run_command(build)?;
    Ok(workspace.join(format!("target/{GUEST_TARGET}/release/tracer")))
}

/// Everything the guest's root file system holds.
fn guest_files(
    tools: &fetch::Tools,
    vmlinuz: &Path,
    tracer: &Path,
    cases: &[Case],
) -> anyhow::Result<Vec<Entry>> {
    let read =
        |path: &Path| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let mut entries: Vec<Entry> = ["bin", "cases", "dev", "etc", "proc", "run", "sys", "tmp"]
        .into_iter()
        .map(|path| Entry::Dir {
            path: path.to_string(),
        })
        .collect();
    let program = |path: &str, data: Vec<u8>| Entry::File {
        path: path.to_string(),
        mode: 0o755,
        data,
    };
    entries.push(program("bin/busybox", read(&tools.busybox)?));
    entries.push(Entry::Symlink {
        path: "bin/sh".to_string(),
        target: "busybox".to_string(),
    });
    entries.push(program("bin/tracer", read(tracer)?));
    entries.push(program("init", INIT.as_bytes().to_vec()));
    entries.push(program("run-cases", cases::runner(cases).into_bytes()));
    entries.push(Entry::File {
        path: "etc/passwd".to_string(),
        mode: 0o644,
        data: b"root:x:0:0:root:/:/bin/sh\n".to_vec(),
    });
    if let Some(module) = fetch::ramdisk_module(vmlinuz) {
        entries.push(Entry::Dir {
            path: "lib".to_string(),
        });
        entries.push(Entry::File {
            path: "lib/brd.ko".to_string(),
            mode: 0o644,
            data: read(&module)?,
        });
    }
    for (case_idx, case) in cases.iter().enumerate() {
        entries.push(program(
            &cases::command_path(case_idx),
            format!("{}\n", case.run).into_bytes(),
        ));
    }
    Ok(entries)
}

/// Boots `kernel` with the initramfs `image`, echoing the console, and returns the names of the
/// cases that passed and failed.
fn boot(
    tools: &fetch::Tools,
    kernel: &Path,
    image: &Path,
    cases: &[Case],
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut qemu = Command::new(&tools.qemu);
    qemu.env("LD_LIBRARY_PATH", tools.library_path())
        .arg("-L")
        .arg(tools.firmware())
        .args(["-accel", "tcg", "-m", "1024", "-smp", "2", "-no-reboot"])
        .args(["-display", "none", "-monitor", "none", "-serial", "stdio"])
        .args(["-nic", "none", "-kernel"])
        .arg(kernel)
        .arg("-initrd")
        .arg(image)
        .args([
            "-append",
            "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = qemu.spawn().with_context(|| format!("starting {qemu:?}"))?;
    let stdout = child.stdout.take().context("qemu's standard output")?;
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    let mut done = false;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        println!("{}", line.trim_end());
        match cases::report(&line) {
            Some(Report::Pass(name)) => passed.push(name.to_string()),
            Some(Report::Fail(name)) => failed.push(name.to_string()),
            Some(Report::Done) => done = true,
            None => {}
        }
    }
    if !done {
        child.kill().ok();
    }
    child.wait()?;
    for case in cases {
        if !passed.contains(&case.name) && !failed.contains(&case.name) {
            failed.push(format!("{}{NO_REPORT}", case.name));
        }
    }
    Ok((passed, failed))
}

/// Runs `command`, failing unless it succeeds.
fn run_command(mut command: Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

//! Debian's kernel, busybox and qemu for the guest, downloaded with `apt-get download` and
//! unpacked with `dpkg-deb -x` under `target/vm/`, so nothing is installed on the host (a real
//! `apt-get install qemu-system-x86` would remove the preinstalled backports `qemu-utils`).
//!
//! The packages are the `linux-image-6.1*` the `linux-image-amd64` package depends on,
//! `busybox-static`, and `qemu-system-x86` with its firmware and the dependencies the host lacks,
//! as a simulated install without recommendations lists them. A stamp file naming them all makes a second run
//! skip this step.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The packages fetched whether or not the host has them installed: busybox, qemu and its
/// firmware, which qemu finds only under the unpacked root.
const ALWAYS: [&str; 5] = [
    "busybox-static",
    "qemu-system-x86",
    "qemu-system-common",
    "qemu-system-data",
    "seabios",
];

/// What the guest needs from the unpacked packages.
pub struct Tools {
    /// The root the packages are unpacked in.
    pub root: PathBuf,
    /// The kernel image (`boot/vmlinuz-*`).
    pub kernel: PathBuf,
    /// The static busybox.
    pub busybox: PathBuf,
    /// `qemu-system-x86_64`.
    pub qemu: PathBuf,
}

impl Tools {
    /// The library path qemu runs with.
    pub fn library_path(&self) -> String {
        ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"]
            .map(|dir| self.root.join(dir).display().to_string())
            .join(":")
    }

    /// The firmware directory qemu takes with `-L`.
    pub fn firmware(&self) -> PathBuf {
        self.root.join("usr/share/qemu")
    }
}

/// Downloads and unpacks what is not cached under `vm_dir` yet.
pub fn tools(vm_dir: &Path) -> anyhow::Result<Tools> {
    let root = vm_dir.join("root");
    let stamp = vm_dir.join("unpacked");
    if !stamp.exists() {
        let debs = vm_dir.join("debs");
        std::fs::create_dir_all(&debs)?;
        let mut packages: Vec<String> = [kernel_package()?.as_str()]
            .into_iter()
            .chain(ALWAYS)
            .map(str::to_string)
            .collect();
        for package in missing_dependencies("qemu-system-x86")? {
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
        download(&debs, &packages)?;
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        std::fs::create_dir_all(&root)?;
        for entry in std::fs::read_dir(&debs)? {
            let deb = entry?.path();
            let mut unpack = Command::new("dpkg-deb");
            unpack.arg("-x").arg(&deb).arg(&root);
            super::run_command(unpack)?;
        }
        std::fs::write(&stamp, packages.join("\n") + "\n")?;
    }
    Ok(Tools {
        kernel: vmlinuz(&root)?,
        busybox: root.join("bin/busybox"),
        qemu: root.join("usr/bin/qemu-system-x86_64"),
        root,
    })
}

/// The kernel image a kernel package unpacked in `root` holds (`boot/vmlinuz-*`).
pub fn vmlinuz(root: &Path) -> anyhow::Result<PathBuf> {
    std::fs::read_dir(root.join("boot"))
        .context("the kernel package is unpacked")?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("vmlinuz-"))
        })
        .context("the kernel package holds boot/vmlinuz-*")
}

/// The RAM disk module (`brd.ko`) of the kernel image `vmlinuz` unpacked with its package, when
/// the package holds it uncompressed (busybox's `insmod` cannot read the `.ko.xz` of 6.12).
pub fn ramdisk_module(vmlinuz: &Path) -> Option<PathBuf> {
    let release = vmlinuz.file_name()?.to_str()?.strip_prefix("vmlinuz-")?;
    let root = vmlinuz.parent()?.parent()?;
    let module = root.join(format!("lib/modules/{release}/kernel/drivers/block/brd.ko"));
    module.exists().then_some(module)
}

/// The `linux-image-6.1*` package `linux-image-amd64` depends on.
fn kernel_package() -> anyhow::Result<String> {
    let depends = output(Command::new("apt-cache").args(["depends", "linux-image-amd64"]))?;
    depends
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Depends: "))
        .find(|name| name.starts_with("linux-image-6.1"))
        .map(str::to_string)
        .context("linux-image-amd64 depends on a linux-image-6.1* package (is this Debian 12 with its lists fetched by apt-get update?)")
}

/// The packages installing `package` would add, as `apt-get --simulate` lists them.
fn missing_dependencies(package: &str) -> anyhow::Result<Vec<String>> {
    let plan = output(Command::new("apt-get").args([
        "install",
        "--simulate",
        "--quiet",
        "--no-install-recommends",
        package,
    ]))?;
    Ok(plan
        .lines()
        .filter_map(|line| line.strip_prefix("Inst "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

/// Downloads the packages not in `debs` yet.
fn download(debs: &Path, packages: &[String]) -> anyhow::Result<()> {
    let have: Vec<String> = std::fs::read_dir(debs)?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let wanted: Vec<&String> = packages
        .iter()
        .filter(|name| {
            !have
                .iter()
                .any(|file| file.starts_with(&format!("{name}_")))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut download = Command::new("apt-get");
    download.current_dir(debs).arg("download").args(wanted);
    super::run_command(download)
}

/// The standard output of `command`, which must succeed.
pub fn output(command: &mut Command) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

//! A second guest kernel, one with kprobe-multi links: Debian 12 builds its 6.1 kernel without
//! `CONFIG_FPROBE`, and bookworm-backports' 6.12 kernel has it (and BTF), so the cases that need
//! kprobe-multi boot that one.
//!
//! The host's apt sources are left alone: apt runs with a source list, package lists and cache
//! of its own under `target/vm/bpo/`, naming only bookworm-backports and checked with Debian's
//! archive key, to find the `linux-image-6.12*` package `linux-image-amd64` depends on there,
//! download it and unpack it with `dpkg-deb -x` into `target/vm/bpo/root`. A stamp file naming
//! the package makes a second run skip this step.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// The suite the kernel comes from.
const SOURCE: &str = "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] \
                      http://deb.debian.org/debian bookworm-backports main\n";

/// The kernel package's name starts with this.
const KERNEL_PREFIX: &str = "linux-image-6.12";

/// The kernel image of bookworm-backports' `linux-image-amd64`, fetched and unpacked under
/// `vm_dir` unless it is already.
pub fn kernel(vm_dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = vm_dir.join("bpo");
    let root = dir.join("root");
    let stamp = dir.join("unpacked");
    if !stamp.exists() {
        let debs = dir.join("debs");
        for sub in ["lists/partial", "cache/archives/partial", "debs"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        std::fs::write(dir.join("sources.list"), SOURCE)?;
        let mut update = apt(&dir, "apt-get");
        update.arg("update");
        super::run_command(update)?;
        let depends =
            super::fetch::output(apt(&dir, "apt-cache").args(["depends", "linux-image-amd64"]))?;
        let package = depends
            .lines()
            .filter_map(|line| line.trim().strip_prefix("Depends: "))
            .find(|name| name.starts_with(KERNEL_PREFIX))
            .map(str::to_string)
            .with_context(|| {
                format!(
                    "bookworm-backports' linux-image-amd64 depends on a {KERNEL_PREFIX}* package"
                )
            })?;
        let mut download = apt(&dir, "apt-get");
        download.current_dir(&debs).args(["download", &package]);
        super::run_command(download)?;
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        std::fs::create_dir_all(&root)?;
        for entry in std::fs::read_dir(&debs)? {
            let deb = entry?.path();
            if !deb
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&format!("{package}_")))
            {
                continue;
            }
            let mut unpack = Command::new("dpkg-deb");
            unpack.arg("-x").arg(&deb).arg(&root);
            super::run_command(unpack)?;
        }
        std::fs::write(&stamp, format!("{package}\n"))?;
    }
    super::fetch::vmlinuz(&root)
}

/// `program` (apt-get or apt-cache) with the source list, lists and cache under `dir` only.
fn apt(dir: &Path, program: &str) -> Command {
    let mut command = Command::new(program);
    let option = |name: &str, path: PathBuf| format!("{name}={}", path.display());
    command.args([
        "-q",
        "-o",
        &option("Dir::Etc::SourceList", dir.join("sources.list")),
        "-o",
        "Dir::Etc::SourceParts=/nonexistent",
        "-o",
        &option("Dir::State::Lists", dir.join("lists")),
        "-o",
        &option("Dir::Cache", dir.join("cache")),
    ]);
    command
}

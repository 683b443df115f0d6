//! `cargo xtask install [--prefix DIR] [--destdir DIR] [--debug]`: builds `tracer` and `tracerd`
//! and installs them with the systemd unit, the configuration and the scripts directory.
//!
//! ```text
//! PREFIX/bin/tracer, PREFIX/bin/tracerd           the binaries (PREFIX is /usr/local)
//! /etc/systemd/system/tracerd.service             the unit, its ExecStart in PREFIX/bin
//! /etc/tracer/tracer.toml                         the configuration, kept if it exists
//! /etc/tracer/scripts.d/                          the standing scripts directory
//! PREFIX/share/doc/tracer/tracerd.md              the daemon's documentation
//! ```
//!
//! Every path is under DESTDIR when given, for packaging; without DESTDIR the task also creates
//! the `tracing` group if it is missing, and reminds how to start the service.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// What `cargo xtask install` was asked to do.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    prefix: PathBuf,
    destdir: Option<PathBuf>,
    debug: bool,
}

impl Options {
    fn parse(args: &[&str]) -> anyhow::Result<Options> {
        let mut options = Options {
            prefix: PathBuf::from("/usr/local"),
            destdir: None,
            debug: false,
        };
        let mut args = args.iter();
        while let Some(&arg) = args.next() {
            let mut value = || {
                args.next()
                    .map(PathBuf::from)
                    .with_context(|| format!("{arg} needs a directory"))
            };
            match arg {
                "--prefix" => options.prefix = value()?,
                "--destdir" => options.destdir = Some(value()?),
                "--debug" => options.debug = true,
                _ => anyhow::bail!("unknown install option `{arg}`"),
            }
        }
        if !options.prefix.is_absolute() {
            anyhow::bail!("--prefix must be an absolute path");
        }
        Ok(options)
    }

    /// `path` (absolute) under DESTDIR.
    fn staged(&self, path: &Path) -> PathBuf {
        match &self.destdir {
            Some(destdir) => destdir.join(path.strip_prefix("/").unwrap_or(path)),
            None => path.to_path_buf(),
        }
    }
}

/// One thing to install.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Copy a file with a mode; `keep` leaves an existing file alone.
    Copy {
        from: PathBuf,
        to: PathBuf,
        mode: u32,
        keep: bool,
    },
    /// Write the unit, its `ExecStart` pointing at the installed daemon.
    Unit {
        from: PathBuf,
        to: PathBuf,
        tracerd: PathBuf,
    },
    /// Create a directory.
    Dir(PathBuf),
}

/// Every step, in order, for the repository at `root` and binaries in `bin_dir`.
fn plan(options: &Options, root: &Path, bin_dir: &Path) -> Vec<Step> {
    let bin = options.prefix.join("bin");
    let copy = |from: PathBuf, to: PathBuf, mode: u32, keep: bool| Step::Copy {
        from,
        to: options.staged(&to),
        mode,
        keep,
    };
    vec![
        copy(bin_dir.join("tracer"), bin.join("tracer"), 0o755, false),
        copy(bin_dir.join("tracerd"), bin.join("tracerd"), 0o755, false),
        Step::Unit {
            from: root.join("dist/systemd/tracerd.service"),
            to: options.staged(Path::new("/etc/systemd/system/tracerd.service")),
            tracerd: bin.join("tracerd"),
        },
        copy(
            root.join("dist/tracer.toml"),
            PathBuf::from("/etc/tracer/tracer.toml"),
            0o644,
            true,
        ),
        Step::Dir(options.staged(Path::new("/etc/tracer/scripts.d"))),
        copy(
            root.join("docs/tracerd.md"),
            options.prefix.join("share/doc/tracer/tracerd.md"),
            0o644,
            false,
        ),
    ]
}

/// Builds and installs.
pub fn run(args: &[&str]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the repository")?
        .to_path_buf();
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    build.args(["build", "-p", "tracer-cli", "-p", "tracer-daemon"]);
    if !options.debug {
        build.arg("--release");
    }
    let status = build
        .current_dir(&root)
        .status()
        .context("failed to run cargo")?;
    if !status.success() {
        anyhow::bail!("cargo build failed: {status}");
    }
    let profile = if options.debug { "debug" } else { "release" };
    let bin_dir = root.join("target").join(profile);
    for step in plan(&options, &root, &bin_dir) {
        apply(&step)?;
    }
    if options.destdir.is_none() {
        ensure_group("tracing")?;
        println!(
            "installed; start the service with: systemctl daemon-reload && systemctl enable --now tracerd"
        );
    }
    Ok(())
}

fn apply(step: &Step) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let create_parent = |to: &Path| -> anyhow::Result<()> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        Ok(())
    };
    match step {
        Step::Copy {
            from,
            to,
            mode,
            keep,
        } => {
            if *keep && to.exists() {
                println!("kept {}", to.display());
                return Ok(());
            }
            create_parent(to)?;
            // A running binary cannot be overwritten in place, but it can be replaced.
            let _ = std::fs::remove_file(to);
            std::fs::copy(from, to).with_context(|| {
                format!("failed to copy `{}` to `{}`", from.display(), to.display())
            })?;
            std::fs::set_permissions(to, std::fs::Permissions::from_mode(*mode))
                .with_context(|| format!("failed to set the mode of `{}`", to.display()))?;
            println!("installed {}", to.display());
        }
        Step::Unit { from, to, tracerd } => {
            let unit = std::fs::read_to_string(from)
                .with_context(|| format!("failed to read `{}`", from.display()))?;
            let unit = unit.replace("/usr/local/bin/tracerd", &tracerd.display().to_string());
            create_parent(to)?;
            std::fs::write(to, unit)
                .with_context(|| format!("failed to write `{}`", to.display()))?;
            println!("installed {}", to.display());
        }
        Step::Dir(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create `{}`", dir.display()))?;
            println!("created {}", dir.display());
        }
    }
    Ok(())
}

/// Creates the system group `name` unless it exists.
fn ensure_group(name: &str) -> anyhow::Result<()> {
    let exists = Command::new("getent")
        .args(["group", name])
        .output()
        .is_ok_and(|output| output.status.success());
    if exists {
        return Ok(());
    }
    let status = Command::new("groupadd")
        .args(["--system", name])
        .status()
        .context("failed to run groupadd")?;
    if !status.success() {
        anyhow::bail!("groupadd --system {name} failed: {status}");
    }
    println!("created the group {name}: add users with `usermod -aG {name} USER`");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_to_usr_local() {
        let options = Options::parse(&[]).unwrap();
        assert_eq!(options.prefix, PathBuf::from("/usr/local"));
        assert_eq!(options.destdir, None);
        assert!(Options::parse(&["--prefix"]).is_err());
        assert!(Options::parse(&["--prefix", "usr"]).is_err());
        assert!(Options::parse(&["--frobnicate"]).is_err());
    }

    #[test]
    fn everything_lands_under_destdir_and_the_unit_runs_the_installed_daemon() {
        let options = Options::parse(&["--prefix", "/usr", "--destdir", "/tmp/stage"]).unwrap();
        let steps = plan(
            &options,
            Path::new("/src"),
            Path::new("/src/target/release"),
        );
        assert_eq!(
            steps[1],
            Step::Copy {
                from: PathBuf::from("/src/target/release/tracerd"),
                to: PathBuf::from("/tmp/stage/usr/bin/tracerd"),
                mode: 0o755,
                keep: false,
            }
        );
        assert_eq!(
            steps[2],
            Step::Unit {
                from: PathBuf::from("/src/dist/systemd/tracerd.service"),
                to: PathBuf::from("/tmp/stage/etc/systemd/system/tracerd.service"),
                tracerd: PathBuf::from("/usr/bin/tracerd"),
            }
        );
        assert!(steps.contains(&Step::Dir(PathBuf::from("/tmp/stage/etc/tracer/scripts.d"))));
        assert!(steps.iter().any(|step| matches!(
            step,
            Step::Copy { to, keep: true, .. } if to == Path::new("/tmp/stage/etc/tracer/tracer.toml")
        )));
    }
}

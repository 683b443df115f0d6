//! Target programs the tests build from `suites/scripts/` and trace.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the pid suite's target program (`suites/scripts/pid_prog.c`, which says what it does)
/// with gcc into `dir`, and returns its path.
///
/// # Panics
/// When gcc cannot run or fails: the pid and USDT tests need gcc and `<sys/sdt.h>`.
#[must_use]
pub fn build_pid_prog(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/scripts/pid_prog.c");
    let program = dir.join("pid_prog");
    let built = Command::new("gcc")
        .arg("-O1")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .output()
        .expect("gcc runs: the pid and USDT tests need gcc and <sys/sdt.h>");
    assert!(
        built.status.success(),
        "gcc failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    program
}

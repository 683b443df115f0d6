//! [`KernelCatalog`] against the running kernel's tracefs and BTF.
//!
//! These tests need root (tracefs may have to be mounted) and a kernel with BTF; without them they
//! fail saying so.

use d_frontend::provider::{MemberInfo, ProbeCatalog as _, SyscallInfo};
use tracer_daemon::catalog::KernelCatalog;

fn catalog() -> KernelCatalog {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the catalog tests need root to find or mount tracefs"
    );
    KernelCatalog::load().unwrap_or_else(|error| panic!("the catalog loads: {error}"))
}

#[test]
fn syscalls_have_x86_64_numbers_in_order() {
    let syscalls = catalog().syscalls();
    let find = |name: &str| {
        syscalls
            .iter()
            .find(|syscall| syscall.name == name)
            .cloned()
    };
    assert_eq!(
        find("read"),
        Some(SyscallInfo {
            name: "read".to_owned(),
            nr: 0
        })
    );
    assert_eq!(find("getppid").map(|syscall| syscall.nr), Some(110));
    assert_eq!(find("openat").map(|syscall| syscall.nr), Some(257));
    assert!(syscalls.windows(2).all(|pair| pair[0].nr < pair[1].nr));
    assert!(syscalls.len() > 300, "only {} syscalls", syscalls.len());
}

#[test]
fn task_struct_members_come_from_btf() {
    let catalog = catalog();
    if let Err(error) = catalog.btf() {
        panic!("this kernel's BTF is needed (CONFIG_DEBUG_INFO_BTF): {error}");
    }
    let member = |name: &str| catalog.struct_member("task_struct", name);
    assert_eq!(member("pid").map(|info| info.size), Some(4));
    assert_eq!(member("tgid").map(|info| info.size), Some(4));
    assert_eq!(member("real_parent").map(|info| info.size), Some(8));
    assert_eq!(member("comm").map(|info| info.size), Some(16));
    // `rcu_users` sits in an anonymous union.
    let rcu_users = member("rcu_users").expect("a member of an anonymous union");
    assert_eq!(rcu_users.size, 4);
    let pid = member("pid").expect("pid");
    let tgid = member("tgid").expect("tgid");
    assert_eq!(
        tgid,
        MemberInfo {
            offset: pid.offset + 4,
            size: 4
        }
    );
    assert_eq!(member("no_such_member"), None);
    assert_eq!(catalog.struct_member("no_such_struct", "pid"), None);
}

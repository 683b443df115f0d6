//! [`KernelCatalog`] against the running kernel's tracefs and BTF.
//!
//! These tests need root (tracefs may have to be mounted) and a kernel with BTF; without them they
//! fail saying so.

use d_frontend::provider::{
    KernelNamespace, KernelType, MemberInfo, ProbeCatalog as _, SyscallInfo,
};
use d_frontend::types::{Type, TypeTable};
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

#[test]
fn kernel_types_come_from_btf_by_name_and_id() {
    let catalog = catalog();
    if let Err(error) = catalog.btf() {
        panic!("this kernel's BTF is needed (CONFIG_DEBUG_INFO_BTF): {error}");
    }
    let task_id = catalog
        .kernel_type_named(KernelNamespace::Struct, "task_struct")
        .expect("struct task_struct");
    let Some(KernelType::Struct {
        union: false,
        size,
        members,
        ..
    }) = catalog.kernel_type(task_id)
    else {
        panic!("task_struct is a struct");
    };
    assert!(size > 1000, "task_struct is {size} bytes");
    assert!(
        members.iter().any(|member| member.bit_size != 0),
        "task_struct has bitfields"
    );

    let mut table = TypeTable::default();
    let task = table
        .import_kernel(&catalog, task_id)
        .expect("task_struct imports");
    let Type::Struct(task_struct) = task else {
        panic!("{task:?}");
    };
    let comm = table
        .find_member(task_struct, "comm", &catalog)
        .expect("comm");
    assert_eq!(table.name(comm.ty), "char [16]");
    let parent = table
        .find_member(task_struct, "real_parent", &catalog)
        .expect("real_parent");
    assert_eq!(table.pointee(parent.ty), Some(task));
    let tgid = table
        .find_member(task_struct, "tgid", &catalog)
        .expect("tgid");
    assert_eq!(tgid.ty, Type::INT);
    assert_eq!(
        tgid.bit_offset / 8,
        catalog
            .struct_member("task_struct", "tgid")
            .expect("tgid")
            .offset
    );

    let plain = |name: &str| {
        let id = catalog
            .kernel_type_named(KernelNamespace::Plain, name)
            .unwrap_or_else(|| panic!("{name} is a kernel type"));
        TypeTable::default().import_kernel(&catalog, id)
    };
    assert_eq!(plain("u64"), Some(Type::ULONG));
    assert_eq!(plain("pid_t"), Some(Type::INT));
    assert!(
        catalog
            .kernel_type_named(KernelNamespace::Enum, "pid_type")
            .is_some()
    );
    assert!(
        catalog
            .kernel_type_named(KernelNamespace::Union, "bpf_attr")
            .is_some()
    );
    assert_eq!(
        catalog.kernel_type_named(KernelNamespace::Struct, "no_such_struct"),
        None
    );
}

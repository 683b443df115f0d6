//! What the front end needs to know about the running kernel, behind a trait.
//!
//! The engine implements [`ProbeCatalog`] from tracefs, the syscall table and BTF; tests implement it
//! with a fixed list. This is what keeps the front end free of I/O.

/// One system call that has `syscalls:sys_enter_NAME`/`sys_exit_NAME` tracepoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallInfo {
    /// The name as DTrace's `probefunc` shows it (`openat`, `read`).
    pub name: String,
    /// The syscall number on this architecture (`raw_syscalls` reports it as `id`).
    pub nr: u32,
}

/// A member of a kernel struct, from BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// Byte offset from the start of the struct.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// Facts about the running kernel.
pub trait ProbeCatalog {
    /// Every system call that has entry and return tracepoints, in syscall-number order.
    fn syscalls(&self) -> Vec<SyscallInfo>;

    /// The offset and size of `member` in `struct struct_name` (e.g. `task_struct`, `real_parent`),
    /// or `None` when BTF does not have it.
    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo>;
}

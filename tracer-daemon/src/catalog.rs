//! [`KernelCatalog`]: the front end's [`ProbeCatalog`] answered from the running kernel.
//!
//! Syscalls come from tracefs (`events/syscalls/sys_enter_*` and `sys_exit_*`) joined with the
//! generated syscall table, because tracefs names the tracepoints but not the numbers
//! `raw_syscalls` reports. Every other tracefs event is listed from `available_events` when a
//! probe table is made, and an event's format file is read when its probe is enabled. Struct members and kernel types come from the kernel's BTF. The syscall list is read
//! when the catalog is made; BTF (several megabytes) is parsed on the first member lookup, and both
//! are kept for the catalog's life.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use d_frontend::provider::{
    FunctionPrototype, KernelNamespace, KernelSymbol, KernelType, KernelTypeId, MemberInfo,
    ProbeCatalog, SdtNote, SyscallInfo, TracepointField, TracepointInfo, UserFunction, UserModule,
};

use crate::btf::{Btf, BtfError, VMLINUX_BTF};
use crate::generated::syscalls_x86_64::SYSCALLS;
use crate::kallsyms;
use crate::tracefs::{self, TracefsError};
use crate::tracepoints;
use crate::user::UserFiles;

/// Why the catalog could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// tracefs is not available.
    #[error(transparent)]
    Tracefs(#[from] TracefsError),
    /// The syscall tracepoint directory could not be listed.
    #[error("failed to list syscall tracepoints in `{path}`")]
    ReadEvents {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        io_error: io::Error,
    },
}

/// The running kernel's probes and types.
#[derive(Debug)]
pub struct KernelCatalog {
    tracefs: PathBuf,
    syscalls: Vec<SyscallInfo>,
    btf_path: PathBuf,
    btf: OnceLock<Result<Btf, BtfError>>,
    user: UserFiles,
}

impl KernelCatalog {
    /// Reads the syscall tracepoints from tracefs (mounting it if needed) and prepares to read
    /// [`VMLINUX_BTF`].
    pub fn load() -> Result<KernelCatalog, CatalogError> {
        let tracefs = tracefs::tracefs_path()?;
        KernelCatalog::load_from(&tracefs, Path::new(VMLINUX_BTF))
    }

    /// Like [`KernelCatalog::load`] with tracefs mounted at `tracefs` and BTF at `btf_path`.
    pub fn load_from(tracefs: &Path, btf_path: &Path) -> Result<KernelCatalog, CatalogError> {
        let events = tracefs.join("events").join("syscalls");
        let entries = match std::fs::read_dir(&events) {
            Ok(entries) => entries,
            Err(io_error) => {
                return Err(CatalogError::ReadEvents {
                    path: events,
                    io_error,
                });
            }
        };
        let mut event_names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => event_names.extend(entry.file_name().into_string()),
                Err(io_error) => {
                    return Err(CatalogError::ReadEvents {
                        path: events,
                        io_error,
                    });
                }
            }
        }
        Ok(KernelCatalog {
            tracefs: tracefs.to_owned(),
            syscalls: syscalls_from_events(event_names.iter().map(String::as_str)),
            btf_path: btf_path.to_owned(),
            btf: OnceLock::new(),
            user: UserFiles::default(),
        })
    }

    /// Records that process `pid`, created by tracer and not yet released, will execute
    /// `program`, so that its `pid` and USDT probes are found in that program and the libraries
    /// it will load rather than in the copy of tracer it still is.
    pub fn add_created_process(&self, pid: u32, program: &Path) {
        self.user.add_created(pid, program);
    }

    /// The kernel BTF, parsed on first use; the error says why it is unavailable.
    pub fn btf(&self) -> Result<&Btf, &BtfError> {
        self.btf
            .get_or_init(|| Btf::from_file(&self.btf_path))
            .as_ref()
    }
}

impl ProbeCatalog for KernelCatalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        self.syscalls.clone()
    }

    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        self.btf().ok()?.struct_member(struct_name, member)
    }

    fn kernel_type_named(&self, namespace: KernelNamespace, name: &str) -> Option<KernelTypeId> {
        self.btf().ok()?.type_named(namespace, name)
    }

    fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
        self.btf().ok()?.kernel_type(id)
    }

    fn has_module(&self, name: &str) -> bool {
        name == "vmlinux" && self.btf().is_ok()
    }

    fn tracepoints(&self) -> Vec<TracepointInfo> {
        tracepoints::events(&self.tracefs)
    }

    fn tracepoint_format(&self, group: &str, event: &str) -> Option<Vec<TracepointField>> {
        tracepoints::format(&self.tracefs, group, event)
    }

    fn kernel_functions(&self) -> Vec<String> {
        let mut names = self.btf().map(Btf::function_names).unwrap_or_default();
        crate::btf::traceable::retain_traceable(&mut names);
        names
    }

    fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
        self.btf().ok()?.function(name)
    }

    fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        self.user.modules(pid)
    }

    fn user_library(&self, pid: u32, name: &str) -> Option<UserModule> {
        self.user.library(pid, name)
    }

    fn user_functions(&self, path: &str) -> Vec<UserFunction> {
        self.user.functions(path).as_ref().clone()
    }

    fn user_address_offset(&self, path: &str, address: u64) -> Option<u64> {
        crate::user::address_offset(path, address)
    }

    fn user_instructions(&self, path: &str, function: &UserFunction) -> Vec<u64> {
        crate::user::instruction_offsets(path, function)
    }

    fn sdt_notes(&self, path: &str) -> Vec<SdtNote> {
        self.user.sdt_notes(path)
    }

    fn kernel_symbol(&self, module: Option<&str>, name: &str) -> Option<KernelSymbol> {
        let kallsyms = std::fs::File::open(kallsyms::KALLSYMS).ok()?;
        let address = kallsyms::lookup(kallsyms, module, name)?;
        let ty = self.btf().ok().and_then(|btf| btf.variable_type(name));
        Some(KernelSymbol { address, ty })
    }
}

/// The syscalls that have both `sys_enter_NAME` and `sys_exit_NAME` among `event_names` and a
/// number in the syscall table, in number order.
pub fn syscalls_from_events<'a>(
    event_names: impl IntoIterator<Item = &'a str>,
) -> Vec<SyscallInfo> {
    let mut entries = HashSet::new();
    let mut exits = HashSet::new();
    for event_name in event_names {
        if let Some(name) = event_name.strip_prefix("sys_enter_") {
            entries.insert(name);
        } else if let Some(name) = event_name.strip_prefix("sys_exit_") {
            exits.insert(name);
        }
    }
    let mut syscalls: Vec<SyscallInfo> = SYSCALLS
        .iter()
        .filter(|(name, _)| entries.contains(name) && exits.contains(name))
        .map(|&(name, nr)| SyscallInfo {
            name: name.to_owned(),
            nr,
        })
        .collect();
    syscalls.sort_by_key(|syscall| syscall.nr);
    syscalls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syscall(name: &str, nr: u32) -> SyscallInfo {
        SyscallInfo {
            name: name.to_owned(),
            nr,
        }
    }

    #[test]
    fn joins_tracepoints_with_the_table_in_number_order() {
        let events = [
            "enable",
            "filter",
            "sys_exit_openat",
            "sys_enter_openat",
            "sys_enter_read",
            "sys_exit_read",
            "sys_enter_getppid",
            "sys_exit_getppid",
        ];
        assert_eq!(
            syscalls_from_events(events),
            [
                syscall("read", 0),
                syscall("getppid", 110),
                syscall("openat", 257)
            ]
        );
    }

    #[test]
    fn drops_unnumbered_and_half_present_syscalls() {
        let events = [
            "sys_enter_newstat",
            "sys_exit_newstat",
            "sys_enter_write",
            "sys_exit_close",
        ];
        assert_eq!(syscalls_from_events(events), []);
    }

    /// A throwaway directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let path =
                std::env::temp_dir().join(format!("tracer-daemon-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create a temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn loads_from_a_tracefs_tree_and_a_btf_file() {
        let root = TempDir::new("catalog");
        let syscalls_dir = root.0.join("tracing/events/syscalls");
        for event in ["sys_enter_read", "sys_exit_read", "enable"] {
            std::fs::create_dir_all(syscalls_dir.join(event)).expect("create an event dir");
        }
        let btf_path = root.0.join("vmlinux");
        std::fs::write(&btf_path, crate::btf::tests::task_struct_btf()).expect("write BTF");

        let catalog = KernelCatalog::load_from(&root.0.join("tracing"), &btf_path)
            .expect("the catalog loads");
        assert_eq!(catalog.syscalls(), [syscall("read", 0)]);
        assert_eq!(
            catalog.struct_member("task_struct", "tgid"),
            Some(MemberInfo { offset: 8, size: 4 })
        );
    }

    #[test]
    fn missing_btf_is_none_with_a_reason() {
        let root = TempDir::new("catalog-no-btf");
        std::fs::create_dir_all(root.0.join("events/syscalls")).expect("create the events dir");
        let catalog =
            KernelCatalog::load_from(&root.0, &root.0.join("missing")).expect("the catalog loads");
        assert_eq!(catalog.struct_member("task_struct", "pid"), None);
        let error = catalog.btf().expect_err("no BTF file");
        assert!(error.to_string().starts_with("failed to read BTF from `"));
    }

    #[test]
    fn a_missing_events_dir_is_an_error() {
        let root = TempDir::new("catalog-no-events");
        let error =
            KernelCatalog::load_from(&root.0, Path::new(VMLINUX_BTF)).expect_err("no events dir");
        assert!(matches!(error, CatalogError::ReadEvents { .. }));
    }
}

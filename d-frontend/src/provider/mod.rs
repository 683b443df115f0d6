//! Providers: which probes exist and which of them a probe description matches.
//!
//! Each provider is one file here. A provider lists its probes (`syscall` from the catalog's syscall
//! table, `fbt` from its kernel functions) or creates them on demand from the description
//! (`profile:::tick-1s`). Probe IDs are stable within one run: `dtrace` probes are 1 to 3 as in
//! DTrace, then each provider's listed probes in turn (see [`ProbeTable`]), then probes created on
//! demand in order of creation.

pub mod catalog;
pub mod dependent;
mod desc;
mod dtrace;
mod fbt;
mod io;
mod pid;
mod proc;
mod profile;
mod sched;
pub mod stability;
mod syscall;
mod tracepoint;
mod usdt;

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use crate::diagnostic::ErrTag;

pub use catalog::{
    FunctionPrototype, KernelMember, KernelNamespace, KernelSymbol, KernelType, KernelTypeId,
    MemberInfo, ProbeCatalog, SdtNote, SyscallInfo, TracepointField, TracepointInfo, UserFunction,
    UserModule,
};
pub use dependent::{RawCondition, RawSource, RawValue, SourceKind};
pub use desc::{ProbeDesc, ProbeField, field_matches, is_glob};
pub use usdt::{UprobeSite, UsdtArg, UsdtLocation, parse_usdt_args};

/// A probe that exists (or was created for this program).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// DTrace's probe ID.
    pub id: u32,
    /// `provider:module:function:name`.
    pub desc: ProbeDesc,
    /// What fires it.
    pub kind: ProbeKind,
    /// Its arguments, `args[0]` first, as far as they are known: matching leaves them empty, and
    /// [`ProbeTable::args`] reads them for the probes a program enables.
    pub args: Vec<ProbeArg>,
    /// Where a [`ProbeKind::Dependent`] probe fires: matching leaves them empty, and
    /// [`ProbeTable::sources`] reads them for the probes a program enables. Empty for other kinds.
    pub sources: Vec<RawSource>,
    /// Where a [`ProbeKind::Uprobe`] or [`ProbeKind::Usdt`] probe fires, filled when it is
    /// created. Empty for other kinds.
    pub uprobes: Vec<UprobeSite>,
}

/// The most arguments a probe has: the D context holds `arg0..arg9`.
pub const MAX_ARGS: usize = 10;

/// One argument of a probe: `args[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeArg {
    /// Its C type as the provider declares it (`char[16]`, `const char *`), which `-lv` shows.
    pub native: String,
    /// Its name where the provider has one (a tracepoint field's), else empty.
    pub name: String,
    /// The D type of `args[i]`.
    pub ty: ArgType,
    /// Where the trampoline finds its value.
    pub fetch: ArgFetch,
}

/// The D type of a probe argument, before it is entered in a program's type table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// An integer.
    Int {
        /// Size in bytes.
        size: u32,
        /// Signed or unsigned.
        signed: bool,
    },
    /// A NUL-terminated string in kernel memory, whose address is the argument's value.
    String,
    /// A pointer to the type named `pointee` (`char`, `struct file`, `u8`); a pointee D cannot
    /// name is read as `void`.
    Pointer {
        /// The pointee's C name, qualifiers included.
        pointee: String,
    },
    /// The kernel type `id` of the catalog (an integer, enum or pointer from BTF).
    Kernel {
        /// Its catalog ID.
        id: KernelTypeId,
    },
    /// A NUL-terminated string in user memory, whose address is the argument's value.
    UserString,
    /// A pointer to the struct or union named `output` (`psinfo_t`), translated by the D
    /// library's translator from the value, a pointer to the type named `input` (`struct
    /// task_struct`), as DTrace translates `proc`, `sched` and `io` arguments; when `input` names
    /// an integer type (`processorid_t`), the value is that integer (`cpuinfo_t` from a CPU
    /// number).
    Translated {
        /// The C name of the type the native pointer points to.
        input: String,
        /// The D name of the translator's output type.
        output: String,
    },
}

/// Where a trampoline finds an argument's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgFetch {
    /// Already in its `argN` slot: the provider's trampoline fills the slots (`syscall`).
    Slot,
    /// An integer or pointer at `offset` in the probe's record.
    Field {
        /// Byte offset in the record.
        offset: u32,
        /// Size in bytes.
        size: u32,
        /// Whether to sign-extend it.
        signed: bool,
    },
    /// The address of the bytes at `offset` in the record (an array field).
    FieldAddress {
        /// Byte offset in the record.
        offset: u32,
    },
    /// The address of a variable-length field: the 32-bit word at `offset` holds the data's
    /// offset in the record in its low 16 bits (and its length in the high 16).
    DataLoc {
        /// Byte offset of the word in the record.
        offset: u32,
    },
}

/// What fires a probe, which decides its trampoline and how it attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    /// `dtrace:::BEGIN`.
    Begin,
    /// `dtrace:::END`.
    End,
    /// `dtrace:::ERROR`.
    Error,
    /// `syscall::NAME:entry`, from `raw_syscalls:sys_enter` with this syscall number.
    SyscallEntry {
        /// The syscall number.
        nr: u32,
    },
    /// `syscall::NAME:return`, from `raw_syscalls:sys_exit`.
    SyscallReturn {
        /// The syscall number.
        nr: u32,
    },
    /// `tracepoint:GROUP::EVENT`, a tracefs event (the group and event are the probe's module and
    /// name).
    Tracepoint,
    /// `fbt:vmlinux:FUNC:entry` or `:return`, a kernel function's entry or return (fentry or
    /// fexit).
    Fbt {
        /// Whether it is the return probe.
        is_return: bool,
    },
    /// A probe of a provider built on raw tracepoints (`proc`, `sched`), which fires when one of
    /// its [`Probe::sources`] does.
    Dependent,
    /// `pidPID:MODULE:FUNCTION:entry`, `:return` or `:OFFSET`: a uprobe (or uretprobe) on a
    /// function of a process, at its [`Probe::uprobes`] site.
    Uprobe {
        /// Whether it is the return probe.
        is_return: bool,
    },
    /// `PROVIDERPID:MODULE:FUNCTION:NAME`: a `SystemTap` SDT probe of a process, a uprobe at each of
    /// its [`Probe::uprobes`] sites.
    Usdt,
    /// `profile:::profile-N` (every CPU) or `profile:::tick-N` (one CPU).
    Profile {
        /// The period in nanoseconds.
        period_ns: u64,
        /// Whether it fires on every CPU.
        all_cpus: bool,
    },
}

/// Why a description of probes created on demand (`pid`, USDT) cannot make them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeError {
    /// libdtrace's tag for the error.
    pub tag: ErrTag,
    /// libdtrace's message.
    pub message: String,
}

/// The probes of one compilation: listed ones from the catalog and those created on demand.
///
/// Probe IDs are assigned by provider, in this order: the three `dtrace` probes, two per
/// syscall, the listed `profile` probes, one per tracefs event, the `proc` and `sched` probes,
/// two per kernel function (`fbt`), then the probes created on demand in order of creation.
pub struct ProbeTable<'c> {
    catalog: &'c dyn ProbeCatalog,
    syscalls: Vec<SyscallInfo>,
    tracepoints: Vec<TracepointInfo>,
    /// The listed profile probes, then those created on demand.
    profile: Vec<Probe>,
    /// The kernel functions, read from the catalog (which parses BTF) only when a description
    /// may match an `fbt` probe or a created probe's ID is needed.
    functions: OnceCell<Vec<String>>,
    /// The `pid` and USDT probes created on demand, in order of creation.
    user: Vec<Probe>,
    /// Each created user probe's index in `user`, by its description.
    user_index: HashMap<String, usize>,
}

/// The ID of the first syscall probe (after the three `dtrace` probes).
const FIRST_SYSCALL_ID: u32 = 4;

impl ProbeTable<'_> {
    /// Reads the catalog's probe lists once.
    pub fn new(catalog: &dyn ProbeCatalog) -> ProbeTable<'_> {
        let syscalls = catalog.syscalls();
        let first_profile_id = FIRST_SYSCALL_ID + 2 * syscalls.len() as u32;
        ProbeTable {
            catalog,
            syscalls,
            tracepoints: catalog.tracepoints(),
            profile: profile::listed(first_profile_id),
            functions: OnceCell::new(),
            user: Vec::new(),
            user_index: HashMap::new(),
        }
    }

    fn first_profile_id(&self) -> u32 {
        FIRST_SYSCALL_ID + 2 * self.syscalls.len() as u32
    }

    fn first_tracepoint_id(&self) -> u32 {
        self.first_profile_id() + profile::N_LISTED
    }

    fn first_proc_id(&self) -> u32 {
        self.first_tracepoint_id() + self.tracepoints.len() as u32
    }

    fn first_sched_id(&self) -> u32 {
        self.first_proc_id() + proc::PROBES.len() as u32
    }

    fn first_io_id(&self) -> u32 {
        self.first_sched_id() + sched::PROBES.len() as u32
    }

    fn first_fbt_id(&self) -> u32 {
        self.first_io_id() + io::PROBES.len() as u32
    }

    fn functions(&self) -> &[String] {
        self.functions
            .get_or_init(|| self.catalog.kernel_functions())
    }

    /// The ID of the first probe created on demand.
    fn first_created_id(&self) -> u32 {
        self.first_fbt_id() + 2 * self.functions().len() as u32
    }

    /// Every probe matching `desc`, in probe ID order. A literal name that some provider creates on
    /// demand (`profile:::tick-1s`) creates its probe.
    pub fn matching(&mut self, desc: &ProbeDesc) -> Vec<Probe> {
        self.try_matching(desc).unwrap_or_default()
    }

    /// Like [`ProbeTable::matching`], but says why a description of a process's probes (`pid`,
    /// USDT) cannot make them.
    pub fn try_matching(&mut self, desc: &ProbeDesc) -> Result<Vec<Probe>, ProbeError> {
        let created_user: HashSet<u32> = self.create_user_probes(desc)?.into_iter().collect();
        let mut probes = dtrace::matching(desc);
        probes.extend(syscall::matching(desc, &self.syscalls, FIRST_SYSCALL_ID));
        let end_of_listed = self.first_profile_id() + profile::N_LISTED;
        let n_created = self.profile.len() as u32 - profile::N_LISTED + self.user.len() as u32;
        let first_fbt_id = self.first_fbt_id();
        let (catalog, functions) = (self.catalog, &self.functions);
        let next_id = || {
            let functions = functions.get_or_init(|| catalog.kernel_functions());
            first_fbt_id + 2 * functions.len() as u32 + n_created
        };
        let profile = profile::matching(desc, &mut self.profile, next_id);
        let (listed, created): (Vec<Probe>, Vec<Probe>) = profile
            .into_iter()
            .partition(|probe| probe.id < end_of_listed);
        probes.extend(listed);
        probes.extend(tracepoint::matching(
            desc,
            &self.tracepoints,
            self.first_tracepoint_id(),
        ));
        probes.extend(dependent::matching(
            desc,
            "proc",
            proc::PROBES,
            self.first_proc_id(),
        ));
        probes.extend(dependent::matching(
            desc,
            "sched",
            sched::PROBES,
            self.first_sched_id(),
        ));
        probes.extend(dependent::matching(
            desc,
            "io",
            io::PROBES,
            self.first_io_id(),
        ));
        if fbt::may_match(desc) {
            probes.extend(fbt::matching(desc, self.functions(), first_fbt_id));
        }
        probes.extend(created);
        let mut user: Vec<Probe> = self
            .user
            .iter()
            .filter(|probe| {
                created_user.contains(&probe.id)
                    || desc.matches(
                        &probe.desc.provider,
                        &probe.desc.module,
                        &probe.desc.function,
                        &probe.desc.name,
                    )
            })
            .cloned()
            .collect();
        user.sort_by_key(|probe| probe.id);
        probes.extend(user);
        probes.sort_by_key(|probe| probe.id);
        Ok(probes)
    }

    /// Creates the `pid` or USDT probes `desc` describes, each once; returns their IDs.
    fn create_user_probes(&mut self, desc: &ProbeDesc) -> Result<Vec<u32>, ProbeError> {
        let specs = if let Some(pid) = pid::provider_pid(&desc.provider) {
            pid::matching(desc, pid, self.catalog)?
        } else if let Some((provider, pid)) = usdt::provider_pid(&desc.provider) {
            usdt::matching(desc, provider, pid, self.catalog)
        } else {
            return Ok(Vec::new());
        };
        let mut ids = Vec::new();
        for spec in specs {
            let key = spec.desc.to_string();
            if let Some(&user_idx) = self.user_index.get(&key) {
                let probe = &mut self.user[user_idx];
                if !probe.uprobes.contains(&spec.site) {
                    probe.uprobes.push(spec.site);
                }
                ids.push(probe.id);
                continue;
            }
            let n_profile_created = self.profile.len() as u32 - profile::N_LISTED;
            let id = self.first_created_id() + n_profile_created + self.user.len() as u32;
            self.user_index.insert(key, self.user.len());
            self.user.push(Probe {
                id,
                desc: spec.desc,
                kind: spec.kind,
                args: Vec::new(),
                sources: Vec::new(),
                uprobes: vec![spec.site],
            });
            ids.push(id);
        }
        Ok(ids)
    }

    /// The probe with ID `id`, if it exists.
    pub fn by_id(&self, id: u32) -> Option<Probe> {
        if id < FIRST_SYSCALL_ID {
            return dtrace::matching(&ProbeDesc::default())
                .into_iter()
                .find(|probe| probe.id == id);
        }
        if id < self.first_profile_id() {
            let syscall_idx = ((id - FIRST_SYSCALL_ID) / 2) as usize;
            let first_id = FIRST_SYSCALL_ID + 2 * syscall_idx as u32;
            return syscall::matching(
                &ProbeDesc::default(),
                &self.syscalls[syscall_idx..=syscall_idx],
                first_id,
            )
            .into_iter()
            .find(|probe| probe.id == id);
        }
        if (self.first_tracepoint_id()..self.first_proc_id()).contains(&id) {
            let tracepoint_idx = (id - self.first_tracepoint_id()) as usize;
            return Some(tracepoint::probe(id, &self.tracepoints[tracepoint_idx]));
        }
        for (provider, table, first_id) in [
            ("proc", proc::PROBES, self.first_proc_id()),
            ("sched", sched::PROBES, self.first_sched_id()),
            ("io", io::PROBES, self.first_io_id()),
        ] {
            if let Some(entry) = id
                .checked_sub(first_id)
                .and_then(|idx| table.get(idx as usize))
            {
                return Some(dependent::probe(id, provider, entry.name));
            }
        }
        if (self.first_fbt_id()..self.first_created_id()).contains(&id) {
            let word = id - self.first_fbt_id();
            let function = &self.functions()[(word / 2) as usize];
            return Some(fbt::probe(id, function, word % 2 == 1));
        }
        self.profile
            .iter()
            .chain(&self.user)
            .find(|probe| probe.id == id)
            .cloned()
    }

    /// The arguments of `probe`, read from the catalog (a tracepoint's or a syscall's format file).
    pub fn args(&self, probe: &Probe) -> Vec<ProbeArg> {
        match probe.kind {
            ProbeKind::Tracepoint => self
                .catalog
                .tracepoint_format(&probe.desc.module, &probe.desc.name)
                .map(|fields| tracepoint::args(&fields))
                .unwrap_or_default(),
            ProbeKind::SyscallEntry { .. } => self
                .catalog
                .tracepoint_format("syscalls", &format!("sys_enter_{}", probe.desc.function))
                .map(|fields| syscall::entry_args(&fields))
                .unwrap_or_default(),
            ProbeKind::SyscallReturn { .. } => syscall::return_args(),
            ProbeKind::Fbt { is_return } => {
                fbt::args(self.catalog, &probe.desc.function, is_return)
            }
            ProbeKind::Usdt => probe.uprobes.first().map(usdt::args).unwrap_or_default(),
            ProbeKind::Dependent => match probe.desc.provider.as_str() {
                "proc" => dependent::args(proc::PROBES, &probe.desc.name),
                "sched" => dependent::args(sched::PROBES, &probe.desc.name),
                "io" => dependent::args(io::PROBES, &probe.desc.name),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Where `probe` fires, when it is a [`ProbeKind::Dependent`] probe: none when the kernel
    /// lacks what the probe needs.
    pub fn sources(&self, probe: &Probe) -> Vec<RawSource> {
        match (probe.kind, probe.desc.provider.as_str()) {
            (ProbeKind::Dependent, "proc") => {
                proc::sources(&probe.desc.name, &self.syscalls, self.catalog)
            }
            (ProbeKind::Dependent, "sched") => sched::sources(&probe.desc.name, self.catalog),
            (ProbeKind::Dependent, "io") => io::sources(&probe.desc.name, self.catalog),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A catalog with a handful of syscalls and `task_struct` members, for tests.
    pub(crate) struct FakeCatalog;

    impl ProbeCatalog for FakeCatalog {
        fn syscalls(&self) -> Vec<SyscallInfo> {
            [("read", 0), ("write", 1), ("openat", 257), ("getppid", 110)]
                .into_iter()
                .map(|(name, nr)| SyscallInfo {
                    name: name.to_string(),
                    nr,
                })
                .collect()
        }

        fn tracepoints(&self) -> Vec<TracepointInfo> {
            ["sched_process_exec", "sched_switch"]
                .into_iter()
                .map(|event| TracepointInfo {
                    group: "sched".to_owned(),
                    event: event.to_owned(),
                })
                .collect()
        }

        fn tracepoint_format(&self, group: &str, event: &str) -> Option<Vec<TracepointField>> {
            let field = |declaration: &str, name: &str, offset, size, signed| TracepointField {
                declaration: declaration.to_owned(),
                name: name.to_owned(),
                offset,
                size,
                signed,
            };
            match (group, event) {
                ("sched", "sched_process_exec") => Some(vec![
                    field("__data_loc char[]", "filename", 8, 4, false),
                    field("pid_t", "pid", 12, 4, true),
                    field("pid_t", "old_pid", 16, 4, true),
                ]),
                ("syscalls", "sys_enter_openat") => Some(vec![
                    field("int", "__syscall_nr", 8, 4, true),
                    field("int", "dfd", 16, 8, false),
                    field("const char *", "filename", 24, 8, false),
                    field("int", "flags", 32, 8, false),
                    field("umode_t", "mode", 40, 8, false),
                ]),
                ("sched", "sched_switch") => Some(vec![
                    field("char[16]", "prev_comm", 8, 16, false),
                    field("pid_t", "prev_pid", 24, 4, true),
                    field("int", "prev_prio", 28, 4, true),
                    field("long", "prev_state", 32, 8, true),
                    field("char[16]", "next_comm", 40, 16, false),
                    field("pid_t", "next_pid", 56, 4, true),
                    field("int", "next_prio", 60, 4, true),
                ]),
                _ => None,
            }
        }

        fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
            match (struct_name, member) {
                ("mutex", "owner") => Some(MemberInfo { offset: 0, size: 8 }),
                ("qrwlock", "cnts") => Some(MemberInfo { offset: 0, size: 4 }),
                ("task_struct", "real_parent") => Some(MemberInfo {
                    offset: 2440,
                    size: 8,
                }),
                ("task_struct", "tgid") => Some(MemberInfo {
                    offset: 2428,
                    size: 4,
                }),
                ("task_struct", "exit_code") => Some(MemberInfo {
                    offset: 2460,
                    size: 4,
                }),
                ("task_struct", "signal") => Some(MemberInfo {
                    offset: 2600,
                    size: 8,
                }),
                ("signal_struct", "group_exit_code") => Some(MemberInfo {
                    offset: 40,
                    size: 4,
                }),
                ("task_struct", "thread_info") => Some(MemberInfo {
                    offset: 0,
                    size: 24,
                }),
                ("thread_info", "cpu") => Some(MemberInfo {
                    offset: 20,
                    size: 4,
                }),
                ("request", "bio") => Some(MemberInfo {
                    offset: 112,
                    size: 8,
                }),
                _ => None,
            }
        }

        fn kernel_type_named(
            &self,
            namespace: KernelNamespace,
            name: &str,
        ) -> Option<KernelTypeId> {
            match (namespace, name) {
                (KernelNamespace::Struct, "task_struct") => Some(6),
                (KernelNamespace::Plain, "pid_t") => Some(4),
                (KernelNamespace::Plain, "u32") => Some(12),
                (KernelNamespace::Enum, "pid_type") => Some(13),
                (KernelNamespace::Struct, "file") => Some(14),
                (KernelNamespace::Struct, "mutex") => Some(21),
                (KernelNamespace::Plain, "rwlock_t") => Some(22),
                _ => None,
            }
        }

        fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
            let member = |name: &str, ty, bit_offset, bit_size| KernelMember {
                name: name.to_owned(),
                ty,
                bit_offset,
                bit_size,
            };
            let ty = match id {
                0 => KernelType::Void,
                1 => KernelType::Int {
                    size: 4,
                    signed: true,
                },
                2 => KernelType::Int {
                    size: 8,
                    signed: true,
                },
                3 => KernelType::Int {
                    size: 1,
                    signed: true,
                },
                4 => KernelType::Typedef { target: 1 },
                5 => KernelType::Array {
                    element: 3,
                    len: 16,
                },
                // A task_struct shaped like the kernel's where it matters: `tgid` sits in an
                // anonymous struct, `in_execve` is a bitfield, `real_parent` points back.
                6 => KernelType::Struct {
                    name: "task_struct".to_owned(),
                    union: false,
                    size: 3072,
                    members: vec![
                        member("stack", 11, 24 * 8, 0),
                        member("in_execve", 10, 100 * 8 + 1, 1),
                        member("pid", 4, 2424 * 8, 0),
                        member("", 8, 2428 * 8, 0),
                        member("real_parent", 7, 2440 * 8, 0),
                        member("comm", 5, 3000 * 8, 0),
                        member("files", 15, 3016 * 8, 0),
                    ],
                },
                7 => KernelType::Pointer { target: 6 },
                8 => KernelType::Struct {
                    name: String::new(),
                    union: false,
                    size: 12,
                    members: vec![member("tgid", 4, 0, 0), member("flags", 2, 32, 0)],
                },
                10 => KernelType::Int {
                    size: 4,
                    signed: false,
                },
                11 => KernelType::Pointer { target: 0 },
                12 => KernelType::Typedef { target: 10 },
                13 => KernelType::Enum {
                    size: 4,
                    signed: false,
                },
                14 => KernelType::Forward {
                    name: "file".to_owned(),
                    union: false,
                },
                15 => KernelType::Pointer { target: 14 },
                16 => KernelType::Pointer { target: 3 },
                17 => KernelType::Int {
                    size: 8,
                    signed: false,
                },
                18 => KernelType::Pointer { target: 2 },
                19 => KernelType::Typedef { target: 2 },
                20 => KernelType::Array {
                    element: 3,
                    len: 200,
                },
                21 => KernelType::Struct {
                    name: "mutex".to_owned(),
                    union: false,
                    size: 32,
                    members: vec![member("owner", 17, 0, 0)],
                },
                22 => KernelType::Typedef { target: 23 },
                23 => KernelType::Struct {
                    name: String::new(),
                    union: false,
                    size: 8,
                    members: vec![member("cnts", 10, 0, 0)],
                },
                _ => return None,
            };
            Some(ty)
        }

        fn kernel_functions(&self) -> Vec<String> {
            vec!["schedule".to_owned(), "vfs_read".to_owned()]
        }

        fn kernel_symbol(&self, module: Option<&str>, name: &str) -> Option<KernelSymbol> {
            if module.is_some_and(|module| module != "vmlinux") {
                return None;
            }
            let (address, ty) = match name {
                "max_pfn" => (0xffff_ffff_8300_0000, Some(17)),
                "linux_banner" => (0xffff_ffff_8240_0100, Some(20)),
                "untyped_sym" => (0xffff_ffff_8300_0040, None),
                _ => return None,
            };
            Some(KernelSymbol { address, ty })
        }

        fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
            let param = |name: &str, ty| (name.to_owned(), ty);
            match name {
                "schedule" => Some(FunctionPrototype {
                    params: Vec::new(),
                    ret: 0,
                }),
                "vfs_read" => Some(FunctionPrototype {
                    params: vec![
                        param("file", 15),
                        param("buf", 16),
                        param("count", 17),
                        param("pos", 18),
                    ],
                    ret: 19,
                }),
                "submit_bio_wait" => Some(FunctionPrototype {
                    params: vec![param("bio", 11)],
                    ret: 1,
                }),
                _ => None,
            }
        }
    }

    fn names(probes: &[Probe]) -> Vec<String> {
        probes
            .iter()
            .map(|probe| {
                format!(
                    "{} {}:{}:{}:{}",
                    probe.id,
                    probe.desc.provider,
                    probe.desc.module,
                    probe.desc.function,
                    probe.desc.name
                )
            })
            .collect()
    }

    #[test]
    fn dtrace_probes_have_dtrace_ids() {
        let mut table = ProbeTable::new(&FakeCatalog);
        assert_eq!(
            names(&table.matching(&ProbeDesc::parse("BEGIN").unwrap())),
            ["1 dtrace:::BEGIN"]
        );
        assert_eq!(
            names(&table.matching(&ProbeDesc::parse("dtrace:::END").unwrap())),
            ["2 dtrace:::END"]
        );
    }

    /// A catalog whose kernel function list (parsed from BTF on a real machine) must not be read.
    struct NoFunctions;

    impl ProbeCatalog for NoFunctions {
        fn syscalls(&self) -> Vec<SyscallInfo> {
            FakeCatalog.syscalls()
        }

        fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
            FakeCatalog.struct_member(struct_name, member)
        }

        fn kernel_functions(&self) -> Vec<String> {
            panic!("the kernel function list was read")
        }
    }

    #[test]
    fn descriptions_no_fbt_probe_can_match_leave_the_function_list_unread() {
        let mut table = ProbeTable::new(&NoFunctions);
        for text in [
            "BEGIN",
            "END",
            "syscall::read:entry",
            ":::entry-ish",
            "fbt:mod::entry",
        ] {
            table.matching(&ProbeDesc::parse(text).unwrap());
        }
    }

    #[test]
    fn syscall_wildcards_match_every_syscall() {
        let mut table = ProbeTable::new(&FakeCatalog);
        let entries = table.matching(&ProbeDesc::parse("syscall:::entry").unwrap());
        assert_eq!(entries.len(), 4);
        let openat = table.matching(&ProbeDesc::parse("syscall::openat:return").unwrap());
        assert_eq!(names(&openat), ["9 syscall:vmlinux:openat:return"]);
        assert_eq!(openat[0].kind, ProbeKind::SyscallReturn { nr: 257 });
    }

    #[test]
    fn profile_probes_are_listed_or_created_once() {
        let mut table = ProbeTable::new(&FakeCatalog);
        let tick = table.matching(&ProbeDesc::parse("tick-1s").unwrap());
        let again = table.matching(&ProbeDesc::parse("profile:::tick-1s").unwrap());
        assert_eq!(tick, again);
        assert_eq!(names(&tick), ["56 profile:::tick-1s"]);
        let profile = table.matching(&ProbeDesc::parse("profile-97").unwrap());
        assert_eq!(names(&profile), ["12 profile:::profile-97"]);
        assert_eq!(
            profile[0].kind,
            ProbeKind::Profile {
                period_ns: 1_000_000_000 / 97,
                all_cpus: true
            }
        );
        let ticks = table.matching(&ProbeDesc::parse("profile:::tick-*").unwrap());
        assert_eq!(
            names(&ticks),
            [
                "19 profile:::tick-1",
                "20 profile:::tick-10",
                "21 profile:::tick-100",
                "22 profile:::tick-500",
                "23 profile:::tick-1000",
                "24 profile:::tick-5000",
                "56 profile:::tick-1s"
            ]
        );
    }

    #[test]
    fn tracepoints_follow_the_listed_profile_probes() {
        let mut table = ProbeTable::new(&FakeCatalog);
        let switch = table.matching(&ProbeDesc::parse("tracepoint:sched::sched_switch").unwrap());
        assert_eq!(names(&switch), ["26 tracepoint:sched::sched_switch"]);
        assert_eq!(switch[0].kind, ProbeKind::Tracepoint);
        let args = table.args(&switch[0]);
        assert_eq!(args.len(), 7);
        assert_eq!(
            (args[1].name.as_str(), &args[1].ty),
            (
                "prev_pid",
                &ArgType::Int {
                    size: 4,
                    signed: true
                }
            )
        );
    }

    #[test]
    fn every_probe_is_found_by_its_id() {
        let mut table = ProbeTable::new(&FakeCatalog);
        table.matching(&ProbeDesc::parse("tick-2s").unwrap());
        let every = table.matching(&ProbeDesc::default());
        assert_eq!(every.len(), 3 + 2 * 4 + 13 + 2 + 13 + 8 + 4 + 2 * 2 + 1);
        for (probe_idx, probe) in every.iter().enumerate() {
            assert_eq!(probe.id, probe_idx as u32 + 1, "IDs are dense and ordered");
            assert_eq!(table.by_id(probe.id).as_ref(), Some(probe));
        }
        assert_eq!(table.by_id(0), None);
        assert_eq!(table.by_id(57), None);
    }

    #[test]
    fn proc_sched_and_fbt_follow_the_tracepoints() {
        let mut table = ProbeTable::new(&FakeCatalog);
        let exit = table.matching(&ProbeDesc::parse("proc:::exit").unwrap());
        assert_eq!(names(&exit), ["31 proc:vmlinux::exit"]);
        assert_eq!(table.args(&exit[0]).len(), 1);
        assert_eq!(table.sources(&exit[0])[0].tracepoint, "sched_process_exit");
        let on_cpu = table.matching(&ProbeDesc::parse("sched:::on-cpu").unwrap());
        assert_eq!(names(&on_cpu), ["43 sched:vmlinux::on-cpu"]);
        let read = table.matching(&ProbeDesc::parse("fbt::vfs_read:").unwrap());
        assert_eq!(
            names(&read),
            [
                "54 fbt:vmlinux:vfs_read:entry",
                "55 fbt:vmlinux:vfs_read:return"
            ]
        );
        assert_eq!(table.args(&read[0]).len(), 4);
        assert!(table.sources(&read[0]).is_empty());
        let tick = table.matching(&ProbeDesc::parse("tick-1s").unwrap());
        assert_eq!(names(&tick), ["56 profile:::tick-1s"]);
        let start = table.matching(&ProbeDesc::parse("io:::start").unwrap());
        assert_eq!(names(&start), ["49 io:vmlinux::start"]);
        assert_eq!(table.args(&start[0]).len(), 3);
        assert_eq!(table.sources(&start[0])[0].tracepoint, "block_bio_queue");
    }
}

//! Providers: which probes exist and which of them a probe description matches.
//!
//! Each provider is one file here. A provider lists its probes (`syscall` from the catalog's syscall
//! table) or creates them on demand from the description (`profile:::tick-1s`). Probe IDs are stable
//! within one run: `dtrace` probes are 1 to 3 as in DTrace, then two per syscall, then probes created
//! on demand in order of creation.

pub mod catalog;
mod desc;
mod dtrace;
mod profile;
mod syscall;
mod tracepoint;

pub use catalog::{
    KernelMember, KernelNamespace, KernelType, KernelTypeId, MemberInfo, ProbeCatalog, SyscallInfo,
    TracepointField, TracepointInfo,
};
pub use desc::{ProbeDesc, ProbeField, field_matches, is_glob};

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
    /// `profile:::profile-N` (every CPU) or `profile:::tick-N` (one CPU).
    Profile {
        /// The period in nanoseconds.
        period_ns: u64,
        /// Whether it fires on every CPU.
        all_cpus: bool,
    },
}

/// The probes of one compilation: listed ones from the catalog and those created on demand.
///
/// Probe IDs are assigned by provider, in this order: the three `dtrace` probes, two per
/// syscall, the listed `profile` probes, one per tracefs event, then the probes created on
/// demand in order of creation.
pub struct ProbeTable<'c> {
    catalog: &'c dyn ProbeCatalog,
    syscalls: Vec<SyscallInfo>,
    tracepoints: Vec<TracepointInfo>,
    /// The listed profile probes, then those created on demand.
    profile: Vec<Probe>,
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
        }
    }

    fn first_profile_id(&self) -> u32 {
        FIRST_SYSCALL_ID + 2 * self.syscalls.len() as u32
    }

    fn first_tracepoint_id(&self) -> u32 {
        self.first_profile_id() + profile::N_LISTED
    }

    /// The ID of the first probe created on demand.
    fn first_created_id(&self) -> u32 {
        self.first_tracepoint_id() + self.tracepoints.len() as u32
    }

    /// Every probe matching `desc`, in probe ID order. A literal name that some provider creates on
    /// demand (`profile:::tick-1s`) creates its probe.
    pub fn matching(&mut self, desc: &ProbeDesc) -> Vec<Probe> {
        let mut probes = dtrace::matching(desc);
        probes.extend(syscall::matching(desc, &self.syscalls, FIRST_SYSCALL_ID));
        let first_created_id = self.first_created_id();
        let n_created = self.profile.len() as u32 - profile::N_LISTED;
        let profile = profile::matching(desc, &mut self.profile, first_created_id + n_created);
        let (created, listed): (Vec<Probe>, Vec<Probe>) = profile
            .into_iter()
            .partition(|probe| probe.id >= first_created_id);
        probes.extend(listed);
        probes.extend(tracepoint::matching(
            desc,
            &self.tracepoints,
            self.first_tracepoint_id(),
        ));
        probes.extend(created);
        probes
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
        if (self.first_tracepoint_id()..self.first_created_id()).contains(&id) {
            let tracepoint_idx = (id - self.first_tracepoint_id()) as usize;
            return Some(tracepoint::probe(id, &self.tracepoints[tracepoint_idx]));
        }
        self.profile.iter().find(|probe| probe.id == id).cloned()
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
                ("task_struct", "real_parent") => Some(MemberInfo {
                    offset: 2440,
                    size: 8,
                }),
                ("task_struct", "tgid") => Some(MemberInfo {
                    offset: 2428,
                    size: 4,
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
                _ => return None,
            };
            Some(ty)
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
        assert_eq!(names(&tick), ["27 profile:::tick-1s"]);
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
                "27 profile:::tick-1s"
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
        assert_eq!(every.len(), 3 + 2 * 4 + 13 + 2 + 1);
        for (probe_idx, probe) in every.iter().enumerate() {
            assert_eq!(probe.id, probe_idx as u32 + 1, "IDs are dense and ordered");
            assert_eq!(table.by_id(probe.id).as_ref(), Some(probe));
        }
        assert_eq!(table.by_id(0), None);
        assert_eq!(table.by_id(28), None);
    }
}

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

pub use catalog::{
    KernelMember, KernelNamespace, KernelType, KernelTypeId, MemberInfo, ProbeCatalog, SyscallInfo,
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
/// syscall, the listed `profile` probes, then the probes created on demand in order of creation.
pub struct ProbeTable {
    syscalls: Vec<SyscallInfo>,
    /// The listed profile probes, then those created on demand.
    profile: Vec<Probe>,
}

/// The ID of the first syscall probe (after the three `dtrace` probes).
const FIRST_SYSCALL_ID: u32 = 4;

impl ProbeTable {
    /// Reads the catalog once.
    pub fn new(catalog: &dyn ProbeCatalog) -> ProbeTable {
        let syscalls = catalog.syscalls();
        let first_profile_id = FIRST_SYSCALL_ID + 2 * syscalls.len() as u32;
        ProbeTable {
            syscalls,
            profile: profile::listed(first_profile_id),
        }
    }

    fn first_profile_id(&self) -> u32 {
        FIRST_SYSCALL_ID + 2 * self.syscalls.len() as u32
    }

    /// Every probe matching `desc`, in probe ID order. A literal name that some provider creates on
    /// demand (`profile:::tick-1s`) creates its probe.
    pub fn matching(&mut self, desc: &ProbeDesc) -> Vec<Probe> {
        let mut probes = dtrace::matching(desc);
        probes.extend(syscall::matching(desc, &self.syscalls, FIRST_SYSCALL_ID));
        let next_id = self.first_profile_id() + self.profile.len() as u32;
        probes.extend(profile::matching(desc, &mut self.profile, next_id));
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
        self.profile.iter().find(|probe| probe.id == id).cloned()
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
        assert_eq!(names(&tick), ["25 profile:::tick-1s"]);
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
                "25 profile:::tick-1s"
            ]
        );
    }

    #[test]
    fn every_probe_is_found_by_its_id() {
        let mut table = ProbeTable::new(&FakeCatalog);
        table.matching(&ProbeDesc::parse("tick-2s").unwrap());
        let every = table.matching(&ProbeDesc::default());
        assert_eq!(every.len(), 3 + 2 * 4 + 13 + 1);
        for (probe_idx, probe) in every.iter().enumerate() {
            assert_eq!(probe.id, probe_idx as u32 + 1, "IDs are dense and ordered");
            assert_eq!(table.by_id(probe.id).as_ref(), Some(probe));
        }
        assert_eq!(table.by_id(0), None);
        assert_eq!(table.by_id(26), None);
    }
}

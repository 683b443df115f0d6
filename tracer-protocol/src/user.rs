//! User-space facts over the socket: what the client found out about the processes and files its
//! `pid` and USDT probes name, so that the daemon compiles against the client's view of them.
//!
//! Only the client sees its processes as it should: a `-c` command is its own child, which has
//! not yet executed its program, and a client that is not root reads only the processes and files
//! it may read. So the client compiles through a [`FactCatalog`] that records every user-space
//! answer of its own catalog ([`ProbeCatalog::user_modules`], `user_library`, `user_functions`,
//! `user_instructions`, `user_address_offset` and `sdt_notes`) and sends them with the program
//! ([`ProgramRequest::user`](crate::ProgramRequest::user)); the daemon compiles through a
//! [`FactCatalog`] that answers from them, once it has dropped the processes the client may not
//! trace, and so creates the same probes. The facts are names, paths and offsets, which the daemon
//! does not trust: [`FactCatalog`] drops a function whose end overflows and an instruction outside
//! its function.
//!
//! A file's functions are kept only for the functions that made probes ([`UserFacts::keep_probed`]),
//! so a request stays small however many symbols the client's libraries have: matching the same
//! descriptions against the kept functions creates the same probes in the same order.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use d_frontend::provider::{
    FunctionPrototype, KernelNamespace, KernelSymbol, KernelType, KernelTypeId, MemberInfo, Probe,
    ProbeCatalog, ProbeKind, SdtNote, SyscallInfo, TracepointField, TracepointInfo, UserFunction,
    UserModule,
};
use serde::{Deserialize, Serialize};

/// The user-space answers of one compile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFacts {
    /// Each process's, by process ID.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "pairs")]
    pub processes: BTreeMap<u32, ProcessFacts>,
    /// Each ELF file's, by path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileFacts>,
}

/// What is known of one process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessFacts {
    /// [`ProbeCatalog::user_modules`]: the files it maps (or will map) for code, the executable
    /// first; `None` when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<Vec<ModuleFact>>,
    /// [`ProbeCatalog::user_library`]: the file `dlopen` of each name would load, if any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub libraries: BTreeMap<String, Option<ModuleFact>>,
}

/// A [`UserModule`], for the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleFact {
    /// The file's path.
    pub path: String,
    /// Whether it is the process's executable.
    #[serde(default)]
    pub main: bool,
}

/// What is known of one ELF file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// [`ProbeCatalog::user_functions`]: `(name, file offset, size)` sorted by name; `None` when
    /// not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<(String, u64, u64)>>,
    /// [`ProbeCatalog::user_instructions`]: by function name, its instructions' offsets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub instructions: BTreeMap<String, Vec<u64>>,
    /// [`ProbeCatalog::user_address_offset`]: by address, the file offset it loads from, if any.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", with = "pairs")]
    pub addresses: BTreeMap<u64, Option<u64>>,
    /// [`ProbeCatalog::sdt_notes`]: `None` when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdt_notes: Option<Vec<NoteFact>>,
}

/// An [`SdtNote`], for the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "each field is the SdtNote's of the same name")]
pub struct NoteFact {
    pub provider: String,
    pub name: String,
    pub function: String,
    pub file_offset: u64,
    pub semaphore_offset: u64,
    pub args: String,
}

/// A map with number keys as a list of `[key, value]` pairs: JSON's object keys are strings,
/// which serde does not turn back into numbers inside a request (an internally tagged enum).
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map)
    }

    pub(super) fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Vec::<(K, V)>::deserialize(deserializer).map(|pairs| pairs.into_iter().collect())
    }
}

impl UserFacts {
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.files.is_empty()
    }

    /// Keeps the functions (and their instructions) of each file that some `pid` probe of
    /// `probes` fires in, and drops the others.
    pub fn keep_probed(&mut self, probes: &[Probe]) {
        let probed: BTreeSet<(&str, &str)> = probes
            .iter()
            .filter(|probe| matches!(probe.kind, ProbeKind::Uprobe { .. }))
            .flat_map(|probe| {
                probe
                    .uprobes
                    .iter()
                    .map(|site| (site.path.as_str(), probe.desc.function.as_str()))
            })
            .collect();
        for (path, file) in &mut self.files {
            let is_probed = |name: &str| probed.contains(&(path.as_str(), name));
            if let Some(functions) = &mut file.functions {
                functions.retain(|(name, _, _)| is_probed(name));
            }
            file.instructions.retain(|name, _| is_probed(name));
        }
    }
}

/// A [`ProbeCatalog`] whose user-space answers come from [`UserFacts`] first: a question the
/// facts do not answer goes to the catalog it wraps when it may ask, and the answer is recorded.
/// Kernel questions always go to the wrapped catalog.
pub struct FactCatalog<'c> {
    catalog: &'c dyn ProbeCatalog,
    facts: RefCell<UserFacts>,
    ask: bool,
}

impl<'c> FactCatalog<'c> {
    /// Answers from `facts`, and from `catalog` what they lack when `ask`.
    pub fn new(catalog: &'c dyn ProbeCatalog, facts: UserFacts, ask: bool) -> FactCatalog<'c> {
        FactCatalog {
            catalog,
            facts: RefCell::new(facts),
            ask,
        }
    }

    /// The facts, with every answer recorded.
    pub fn into_facts(self) -> UserFacts {
        self.facts.into_inner()
    }

    /// The recorded answer `find` reads, or else (when it may ask) the catalog's answer, which
    /// `record` keeps; `None` when there is neither.
    fn answer<T: Clone>(
        &self,
        find: impl FnOnce(&UserFacts) -> Option<T>,
        ask: impl FnOnce(&dyn ProbeCatalog) -> T,
        record: impl FnOnce(&mut UserFacts, T),
    ) -> Option<T> {
        if let Some(found) = find(&self.facts.borrow()) {
            return Some(found);
        }
        if !self.ask {
            return None;
        }
        let answer = ask(self.catalog);
        record(&mut self.facts.borrow_mut(), answer.clone());
        Some(answer)
    }

    fn file<'f>(facts: &'f mut UserFacts, path: &str) -> &'f mut FileFacts {
        facts.files.entry(path.to_owned()).or_default()
    }
}

impl ProbeCatalog for FactCatalog<'_> {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        self.catalog.syscalls()
    }

    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        self.catalog.struct_member(struct_name, member)
    }

    fn kernel_type_named(&self, namespace: KernelNamespace, name: &str) -> Option<KernelTypeId> {
        self.catalog.kernel_type_named(namespace, name)
    }

    fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
        self.catalog.kernel_type(id)
    }

    fn has_module(&self, name: &str) -> bool {
        self.catalog.has_module(name)
    }

    fn kernel_symbol(&self, module: Option<&str>, name: &str) -> Option<KernelSymbol> {
        self.catalog.kernel_symbol(module, name)
    }

    fn tracepoints(&self) -> Vec<TracepointInfo> {
        self.catalog.tracepoints()
    }

    fn tracepoint_format(&self, group: &str, event: &str) -> Option<Vec<TracepointField>> {
        self.catalog.tracepoint_format(group, event)
    }

    fn kernel_functions(&self) -> Vec<String> {
        self.catalog.kernel_functions()
    }

    fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
        self.catalog.kernel_function(name)
    }

    fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        let modules = self.answer(
            |facts| facts.processes.get(&pid)?.modules.clone().map(Some),
            |catalog| {
                catalog
                    .user_modules(pid)
                    .map(|modules| modules.iter().map(ModuleFact::of).collect())
            },
            |facts, modules| facts.processes.entry(pid).or_default().modules = modules,
        )??;
        Some(modules.into_iter().map(ModuleFact::into_module).collect())
    }

    fn user_library(&self, pid: u32, name: &str) -> Option<UserModule> {
        let library = self.answer(
            |facts| facts.processes.get(&pid)?.libraries.get(name).cloned(),
            |catalog| catalog.user_library(pid, name).as_ref().map(ModuleFact::of),
            |facts, library| {
                let process = facts.processes.entry(pid).or_default();
                process.libraries.insert(name.to_owned(), library);
            },
        )??;
        Some(library.into_module())
    }

    fn user_functions(&self, path: &str) -> Vec<UserFunction> {
        let functions = self.answer(
            |facts| facts.files.get(path)?.functions.clone(),
            |catalog| {
                catalog
                    .user_functions(path)
                    .into_iter()
                    .map(|function| (function.name, function.file_offset, function.size))
                    .collect()
            },
            |facts, functions| Self::file(facts, path).functions = Some(functions),
        );
        functions
            .unwrap_or_default()
            .into_iter()
            .filter(|&(_, file_offset, size)| file_offset.checked_add(size).is_some())
            .map(|(name, file_offset, size)| UserFunction {
                name,
                file_offset,
                size,
            })
            .collect()
    }

    fn user_instructions(&self, path: &str, function: &UserFunction) -> Vec<u64> {
        let offsets = self.answer(
            |facts| {
                facts
                    .files
                    .get(path)?
                    .instructions
                    .get(&function.name)
                    .cloned()
            },
            |catalog| catalog.user_instructions(path, function),
            |facts, offsets| {
                let file = Self::file(facts, path);
                file.instructions.insert(function.name.clone(), offsets);
            },
        );
        let mut offsets = offsets.unwrap_or_default();
        offsets.retain(|&offset| offset < function.size);
        offsets
    }

    fn user_address_offset(&self, path: &str, address: u64) -> Option<u64> {
        self.answer(
            |facts| facts.files.get(path)?.addresses.get(&address).copied(),
            |catalog| catalog.user_address_offset(path, address),
            |facts, offset| {
                Self::file(facts, path).addresses.insert(address, offset);
            },
        )?
    }

    fn sdt_notes(&self, path: &str) -> Vec<SdtNote> {
        let notes = self.answer(
            |facts| facts.files.get(path)?.sdt_notes.clone(),
            |catalog| catalog.sdt_notes(path).iter().map(NoteFact::of).collect(),
            |facts, notes| Self::file(facts, path).sdt_notes = Some(notes),
        );
        notes
            .unwrap_or_default()
            .into_iter()
            .map(NoteFact::into_note)
            .collect()
    }
}

impl ModuleFact {
    /// The wire form of `module`.
    pub fn of(module: &UserModule) -> ModuleFact {
        ModuleFact {
            path: module.path.clone(),
            main: module.is_main,
        }
    }

    /// The front end's form.
    pub fn into_module(self) -> UserModule {
        UserModule {
            path: self.path,
            is_main: self.main,
        }
    }
}

impl NoteFact {
    /// The wire form of `note`.
    pub fn of(note: &SdtNote) -> NoteFact {
        NoteFact {
            provider: note.provider.clone(),
            name: note.name.clone(),
            function: note.function.clone(),
            file_offset: note.file_offset,
            semaphore_offset: note.semaphore_offset,
            args: note.args.clone(),
        }
    }

    /// The front end's form.
    pub fn into_note(self) -> SdtNote {
        SdtNote {
            provider: self.provider,
            name: self.name,
            function: self.function,
            file_offset: self.file_offset,
            semaphore_offset: self.semaphore_offset,
            args: self.args,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use d_frontend::provider::{ProbeDesc, UprobeSite};

    /// A process 42 running `/bin/prog`, which has three functions and one SDT note; it counts
    /// the questions it is asked.
    #[derive(Default)]
    struct Process {
        asked: RefCell<u32>,
    }

    impl Process {
        fn ask(&self) {
            *self.asked.borrow_mut() += 1;
        }
    }

    impl ProbeCatalog for Process {
        fn syscalls(&self) -> Vec<SyscallInfo> {
            vec![SyscallInfo {
                name: "read".to_owned(),
                nr: 0,
            }]
        }

        fn struct_member(&self, _: &str, _: &str) -> Option<MemberInfo> {
            None
        }

        fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
            self.ask();
            (pid == 42).then(|| {
                vec![UserModule {
                    path: "/bin/prog".to_owned(),
                    is_main: true,
                }]
            })
        }

        fn user_library(&self, _: u32, name: &str) -> Option<UserModule> {
            self.ask();
            (name == "libx.so").then(|| UserModule {
                path: "/lib/libx.so".to_owned(),
                is_main: false,
            })
        }

        fn user_functions(&self, _: &str) -> Vec<UserFunction> {
            self.ask();
            ["go", "main", "work"]
                .iter()
                .zip(1u64..)
                .map(|(name, idx)| UserFunction {
                    name: (*name).to_owned(),
                    file_offset: idx * 0x100,
                    size: 0x10,
                })
                .collect()
        }

        fn user_instructions(&self, _: &str, _: &UserFunction) -> Vec<u64> {
            self.ask();
            vec![0, 4, 8]
        }

        fn user_address_offset(&self, _: &str, address: u64) -> Option<u64> {
            self.ask();
            (address >= 0x1000).then(|| address - 0x1000)
        }

        fn sdt_notes(&self, _: &str) -> Vec<SdtNote> {
            self.ask();
            vec![SdtNote {
                provider: "app".to_owned(),
                name: "tick".to_owned(),
                function: "work".to_owned(),
                file_offset: 0x305,
                semaphore_offset: 0x4010,
                args: "-4@%edi".to_owned(),
            }]
        }
    }

    /// Asks every user-space question once.
    fn ask_everything(catalog: &dyn ProbeCatalog) -> String {
        let functions = catalog.user_functions("/bin/prog");
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            catalog.user_modules(42),
            catalog.user_library(42, "libx.so"),
            catalog.user_library(42, "liby.so"),
            functions,
            catalog.user_instructions("/bin/prog", &functions[0]),
            catalog.user_address_offset("/bin/prog", 0x1100),
            catalog.sdt_notes("/bin/prog"),
        )
    }

    #[test]
    fn recorded_answers_replay_the_same_over_the_wire_without_asking() {
        let process = Process::default();
        let recording = FactCatalog::new(&process, UserFacts::default(), true);
        let answers = ask_everything(&recording);
        assert_eq!(ask_everything(&recording), answers);
        assert_eq!(*process.asked.borrow(), 7, "each question is asked once");
        let facts = recording.into_facts();

        let request = crate::Request::Check {
            program: crate::ProgramRequest {
                sources: Vec::new(),
                compile: crate::CompileSettings::default(),
                codegen: crate::CodegenSettings::default(),
                destructive: false,
                user: facts.clone(),
            },
        };
        let line = serde_json::to_string(&request).unwrap();
        let crate::Request::Check { program } = serde_json::from_str(&line).unwrap() else {
            panic!("a check request reads back as one: {line}");
        };
        assert_eq!(program.user, facts);

        let unasked = Process::default();
        let replay = FactCatalog::new(&unasked, program.user, false);
        assert_eq!(ask_everything(&replay), answers);
        assert_eq!(*unasked.asked.borrow(), 0);
        assert_eq!(
            replay.syscalls().len(),
            1,
            "kernel questions still go through"
        );
        assert_eq!(
            replay.user_modules(43),
            None,
            "another process is not known"
        );
    }

    #[test]
    fn requests_without_facts_read_as_before() {
        let facts: UserFacts = serde_json::from_str("{}").unwrap();
        assert!(facts.is_empty());
        assert_eq!(serde_json::to_string(&facts).unwrap(), "{}");
    }

    #[test]
    fn only_the_functions_of_pid_probes_are_kept() {
        let process = Process::default();
        let recording = FactCatalog::new(&process, UserFacts::default(), true);
        let functions = recording.user_functions("/bin/prog");
        for function in &functions {
            recording.user_instructions("/bin/prog", function);
        }
        recording.sdt_notes("/bin/prog");
        let mut facts = recording.into_facts();
        let probe = |function: &str, kind| Probe {
            id: 1,
            desc: ProbeDesc {
                provider: "pid42".to_owned(),
                module: "prog".to_owned(),
                function: function.to_owned(),
                name: "entry".to_owned(),
            },
            kind,
            args: Vec::new(),
            sources: Vec::new(),
            uprobes: vec![UprobeSite {
                pid: 42,
                path: "/bin/prog".to_owned(),
                file_offset: 0x100,
                semaphore_offset: 0,
                args: Vec::new(),
            }],
        };
        facts.keep_probed(&[
            probe("go", ProbeKind::Uprobe { is_return: false }),
            probe("work", ProbeKind::Usdt),
        ]);
        let file = &facts.files["/bin/prog"];
        assert_eq!(file.functions, Some(vec![("go".to_owned(), 0x100, 0x10)]));
        assert_eq!(file.instructions.keys().collect::<Vec<_>>(), ["go"]);
        assert_eq!(file.sdt_notes.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn made_up_offsets_are_dropped() {
        let mut facts = UserFacts::default();
        facts.files.insert(
            "/bin/prog".to_owned(),
            FileFacts {
                functions: Some(vec![
                    ("go".to_owned(), 0x100, 0x10),
                    ("huge".to_owned(), u64::MAX - 4, 0x10),
                ]),
                instructions: BTreeMap::from([("go".to_owned(), vec![0, 4, 0x10, u64::MAX])]),
                ..FileFacts::default()
            },
        );
        let process = Process::default();
        let replay = FactCatalog::new(&process, facts, false);
        let functions = replay.user_functions("/bin/prog");
        assert_eq!(functions.len(), 1);
        assert_eq!(replay.user_instructions("/bin/prog", &functions[0]), [0, 4]);
    }
}

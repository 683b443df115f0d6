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

/// One tracefs event (`events/GROUP/EVENT`), which the `tracepoint` provider offers as
/// `tracepoint:GROUP::EVENT`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TracepointInfo {
    /// The event's group (tracefs calls it the system): `sched`.
    pub group: String,
    /// The event's name: `sched_switch`.
    pub event: String,
}

/// One field of a tracefs event's record, from its `format` file (the `common_` fields left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracepointField {
    /// The C declaration without the field's name: `char[16]`, `pid_t`, `const char *`, or
    /// `__data_loc char[]` for a variable-length field stored after the fixed ones.
    pub declaration: String,
    /// The field's name: `prev_comm`.
    pub name: String,
    /// Byte offset in the record.
    pub offset: u32,
    /// Size in bytes (4 for a `__data_loc` field, which holds the data's offset and length).
    pub size: u32,
    /// Whether the kernel says it is signed.
    pub signed: bool,
}

/// A member of a kernel struct, from BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    /// Byte offset from the start of the struct.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// A kernel type's ID in the catalog: its BTF type ID, where 0 is `void`.
pub type KernelTypeId = u32;

/// Which namespace a kernel type name is looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelNamespace {
    /// `struct NAME`.
    Struct,
    /// `union NAME`.
    Union,
    /// `enum NAME`.
    Enum,
    /// A plain name: a typedef (`pid_t`, `u32`) or a base type (`int`).
    Plain,
}

/// One kernel type, as BTF describes it; the types it refers to are given by ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelType {
    /// `void`.
    Void,
    /// An integer (also `char` and `_Bool`).
    Int {
        /// Size in bytes.
        size: u32,
        /// Signed or unsigned.
        signed: bool,
    },
    /// A floating-point type (`float`, `double`, `long double`).
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// A pointer.
    Pointer {
        /// The pointee.
        target: KernelTypeId,
    },
    /// An array.
    Array {
        /// The element type.
        element: KernelTypeId,
        /// Number of elements.
        len: u32,
    },
    /// A struct or union with its members.
    Struct {
        /// Its tag (empty when anonymous).
        name: String,
        /// A union rather than a struct.
        union: bool,
        /// Size in bytes.
        size: u32,
        /// The members, in order.
        members: Vec<KernelMember>,
    },
    /// A struct or union declared but not defined.
    Forward {
        /// Its tag.
        name: String,
        /// A union rather than a struct.
        union: bool,
    },
    /// An enum, which D treats as its integer type.
    Enum {
        /// Size in bytes.
        size: u32,
        /// Whether some enumerator is negative.
        signed: bool,
    },
    /// A typedef.
    Typedef {
        /// What it names.
        target: KernelTypeId,
    },
    /// `const`, `volatile`, `restrict` or a type tag around a type.
    Qualified {
        /// The qualified type.
        target: KernelTypeId,
    },
    /// A function or anything else D has no type for.
    Other,
}

/// A member of a kernel struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelMember {
    /// Its name (empty for an anonymous struct or union member).
    pub name: String,
    /// Its type.
    pub ty: KernelTypeId,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Width in bits of a bitfield, 0 for an ordinary member.
    pub bit_size: u32,
}

/// A kernel symbol (`` `max_pfn ``, `` vmlinux`linux_banner ``): where it is and, when BTF has a
/// variable of that name, its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSymbol {
    /// Its address, from `/proc/kallsyms`.
    pub address: u64,
    /// The type of the BTF variable of that name, or `None` (D then types it `uintptr_t`).
    pub ty: Option<KernelTypeId>,
}

/// The prototype of a kernel function, from BTF: what the `fbt` provider types `args[]` with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionPrototype {
    /// The parameters in order: their names (empty when BTF has none) and types.
    pub params: Vec<(String, KernelTypeId)>,
    /// The return type (0 for `void`).
    pub ret: KernelTypeId,
}

/// A file mapped into a process for its code: the executable or a shared library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserModule {
    /// The file's path (`/usr/lib/x86_64-linux-gnu/libc.so.6`).
    pub path: String,
    /// Whether it is the process's executable, which `a.out` also names.
    pub is_main: bool,
}

impl UserModule {
    /// The module's name in a probe description: the file's basename (`libc.so.6`).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// A function of an ELF file, from its symbol table or its dynamic symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFunction {
    /// The symbol's name.
    pub name: String,
    /// The offset of its first instruction in the file, where a uprobe is placed.
    pub file_offset: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// One `SystemTap` SDT probe site, from an ELF file's `.note.stapsdt` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdtNote {
    /// The provider (`libc`).
    pub provider: String,
    /// The probe's name (`setjmp`).
    pub name: String,
    /// The function holding the site, or empty when no symbol covers it.
    pub function: String,
    /// The site's offset in the file.
    pub file_offset: u64,
    /// The file offset of the probe's semaphore, 0 when it has none.
    pub semaphore_offset: u64,
    /// The arguments as the note spells them (`-4@%edi 8@-16(%rbp)`).
    pub args: String,
}

/// Facts about the running kernel.
pub trait ProbeCatalog {
    /// Every system call that has entry and return tracepoints, in syscall-number order.
    fn syscalls(&self) -> Vec<SyscallInfo>;

    /// The offset and size of `member` in `struct struct_name` (e.g. `task_struct`, `real_parent`),
    /// or `None` when BTF does not have it.
    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo>;

    /// The ID of the kernel type called `name` in `namespace`, or `None` when there is none (or no
    /// BTF). Catalogs without kernel types keep this default.
    fn kernel_type_named(&self, namespace: KernelNamespace, name: &str) -> Option<KernelTypeId> {
        let _ = (namespace, name);
        None
    }

    /// The kernel type with ID `id`, or `None` when there is no such type.
    fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
        let _ = id;
        None
    }

    /// Whether the kernel module `name` (`vmlinux`) is there with its types, as a D library file
    /// that says `#pragma D depends_on module NAME` needs. Catalogs without BTF keep this default.
    fn has_module(&self, name: &str) -> bool {
        let _ = name;
        false
    }

    /// The kernel symbol `name`, in `module` (`vmlinux` or a loaded module's name) or, for `None`,
    /// in the kernel or any module; `None` when there is no such symbol. Catalogs without kernel
    /// symbols keep this default.
    fn kernel_symbol(&self, module: Option<&str>, name: &str) -> Option<KernelSymbol> {
        let _ = (module, name);
        None
    }

    /// Every tracefs event, sorted by group and name. Catalogs without tracefs keep this default.
    fn tracepoints(&self) -> Vec<TracepointInfo> {
        Vec::new()
    }

    /// The fields of the event `group:event`, in record order, or `None` when its format cannot
    /// be read.
    fn tracepoint_format(&self, group: &str, event: &str) -> Option<Vec<TracepointField>> {
        let _ = (group, event);
        None
    }

    /// Every kernel function BTF describes, sorted by name, each once. Catalogs without BTF keep
    /// this default.
    fn kernel_functions(&self) -> Vec<String> {
        Vec::new()
    }

    /// The prototype of the kernel function `name`, or `None` when BTF does not describe it.
    fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
        let _ = name;
        None
    }

    /// The files mapped for their code in process `pid`, the executable first, or `None` when
    /// there is no such process. Catalogs without processes keep this default.
    fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        let _ = pid;
        None
    }

    /// The file the dynamic linker of process `pid` would load for `dlopen` of the library
    /// `name` (a path, or a file name looked up as `dlopen` looks it up), for `pid` probes on a
    /// library the process has not loaded yet: `None` when there is no such file.
    fn user_library(&self, pid: u32, name: &str) -> Option<UserModule> {
        let _ = (pid, name);
        None
    }

    /// The defined functions of the ELF file at `path`, sorted by name, each name once.
    fn user_functions(&self, path: &str) -> Vec<UserFunction> {
        let _ = path;
        Vec::new()
    }

    /// The offsets from the start of `function` (of the ELF file at `path`) at which its
    /// instructions start, in order, for `pid` probes on every instruction: empty when they are
    /// unknown.
    fn user_instructions(&self, path: &str, function: &UserFunction) -> Vec<u64> {
        let _ = (path, function);
        Vec::new()
    }

    /// The file offset of the byte the ELF file at `path` loads at `address`, or `None` when no
    /// segment loads it from the file.
    fn user_address_offset(&self, path: &str, address: u64) -> Option<u64> {
        let _ = (path, address);
        None
    }

    /// The SDT probe sites of the ELF file at `path`, in note order.
    fn sdt_notes(&self, path: &str) -> Vec<SdtNote> {
        let _ = path;
        Vec::new()
    }
}

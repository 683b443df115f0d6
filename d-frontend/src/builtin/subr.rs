//! Subroutines: built-in functions that compute a value (`strlen`, `substr`, `rand`, ...), as
//! opposed to actions. Their prototypes follow libdtrace's (`dt_open.c`), so argument counts and
//! the names in prototype errors match `dtrace`'s.

use crate::types::Type;

/// Which subroutine; lowering picks the IR for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubrKind {
    /// `size_t strlen(const char *)`
    Strlen,
    /// `string strjoin(const char *, const char *)`
    Strjoin,
    /// `string substr(const char *, int, [int])`
    Substr,
    /// `int index(const char *, const char *, [int])`
    Index,
    /// `int rindex(const char *, const char *, [int])`
    Rindex,
    /// `string strchr(const char *, char)`
    Strchr,
    /// `string strrchr(const char *, char)`
    Strrchr,
    /// `string strstr(const char *, const char *)`
    Strstr,
    /// `string strtok(const char *, const char *)`
    Strtok,
    /// `string lltostr(int64_t, [int])`
    Lltostr,
    /// `string toupper(const char *)`
    Toupper,
    /// `string tolower(const char *)`
    Tolower,
    /// `string basename(const char *)`
    Basename,
    /// `string dirname(const char *)`
    Dirname,
    /// `string copyinstr(uintptr_t, [size_t])`
    Copyinstr,
    /// `int rand()`
    Rand,
    /// `int progenyof(pid_t)`
    Progenyof,
    /// `int speculation()`
    Speculation,
    /// `uint16_t htons(uint16_t)` and `ntohs`: the bytes swapped, as on a little-endian machine.
    Htons,
    /// `uint32_t htonl(uint32_t)` and `ntohl`.
    Htonl,
    /// `uint64_t htonll(uint64_t)` and `ntohll`.
    Htonll,
    /// `dev_t getmajor(dev_t)`: the major number of a Linux device number.
    Getmajor,
    /// `dev_t getminor(dev_t)`: the minor number of a Linux device number.
    Getminor,
    /// `void *alloca(size_t)`: an `alloca` pointer to that many bytes of the clause's area.
    Alloca,
    /// `void *copyin(uintptr_t, size_t)`: user memory copied into a new `alloca` allocation.
    Copyin,
    /// `void copyinto(uintptr_t, size_t, void *)`: user memory copied into `alloca` memory.
    Copyinto,
    /// `void bcopy(void *, void *, size_t)`: kernel memory copied into `alloca` memory.
    Bcopy,
    /// `string cleanpath(const char *)`
    Cleanpath,
    /// `string inet_ntoa(ipaddr_t *)`: an IPv4 address in dotted-decimal form.
    InetNtoa,
    /// `string inet_ntoa6(struct in6_addr *, [int])`: an IPv6 address; a non-zero constant second
    /// argument keeps the `::ffff:` or `::` of an IPv4-mapped or IPv4-compatible address.
    InetNtoa6,
    /// `string inet_ntop(int, void *)`: an `AF_INET6` address as a strict `inet_ntoa6` writes
    /// it, any other as `inet_ntoa` does.
    InetNtop,
    /// `string link_ntop(int, void *)`: an `ARPHRD_ETHER` or `ARPHRD_INFINIBAND` address.
    LinkNtop,
    /// `string d_path(struct path *)`: the path of a file, as `/proc/PID/fd/N` shows it.
    DPath,
    /// `string d_mountpath(struct path *)`: the mount point of the file system a file is on (a
    /// tracer extension, for `fileinfo_t.fi_mount`).
    DMountPath,
    /// `int mutex_owned(struct mutex *)`: whether the current thread owns the mutex.
    MutexOwned,
    /// `struct task_struct *mutex_owner(struct mutex *)`: the mutex's owner, or NULL.
    MutexOwner,
    /// `int mutex_type_adaptive(struct mutex *)`: 1, as every Linux mutex is adaptive.
    MutexTypeAdaptive,
    /// `int mutex_type_spin(struct mutex *)`: 0, as no Linux mutex spins.
    MutexTypeSpin,
    /// `int rw_read_held(rwlock_t *)`: the reader count bits of the lock word.
    RwReadHeld,
    /// `int rw_write_held(rwlock_t *)`: the locked-for-writing bits of the lock word.
    RwWriteHeld,
    /// `int rw_iswriter(rwlock_t *)`: the writer bits (locked or waiting) of the lock word.
    RwIsWriter,
}

/// A parameter of a subroutine's prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `const char *`: a string, or the integer constant 0 (`NULL`).
    String,
    /// An integer, named as the prototype names it (`int`, `char`, `size_t`, ...).
    Int(&'static str),
    /// `void *`: any pointer, or a string (whose bytes are then the memory pointed to).
    Pointer,
    /// `void *` that must be an `alloca` pointer: where `bcopy` and `copyinto` write.
    AllocaPointer,
    /// A pointer to memory the subroutine reads, named as the prototype names it (`ipaddr_t *`),
    /// with the type it must point to (`None`: any), or the constant `NULL`, which faults when
    /// read.
    Address(&'static str, Option<Type>),
    /// A pointer to a kernel type, named as the prototype names it (`struct mutex *`), with the
    /// type name the pointee must resolve to (`struct mutex`, `rwlock_t`), or the constant `NULL`.
    Kernel(&'static str, &'static str),
}

impl Param {
    /// The name in `prototype:` lines of `D_PROTO_ARG` errors.
    pub fn prototype_name(self) -> &'static str {
        match self {
            Param::String => "char *",
            Param::Int(name) => name,
            Param::Pointer | Param::AllocaPointer => "void *",
            Param::Address(name, _) | Param::Kernel(name, _) => name,
        }
    }
}

/// A subroutine and its prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subroutine {
    /// Its D name.
    pub name: &'static str,
    /// Which one.
    pub kind: SubrKind,
    /// Every parameter, optional ones last.
    pub params: &'static [Param],
    /// Parameters that must be given.
    pub n_required: usize,
    /// The result type.
    pub result: Type,
}

const STRING: Param = Param::String;
const MUTEX: Param = Param::Kernel("struct mutex *", "struct mutex");
const RWLOCK: Param = Param::Kernel("rwlock_t *", "rwlock_t");
const INT: Param = Param::Int("int");
const PATH: Param = Param::Address("struct path *", None);
const USHORT: Type = Type::Int {
    size: 2,
    signed: false,
};

const fn subr(
    name: &'static str,
    kind: SubrKind,
    params: &'static [Param],
    n_required: usize,
    result: Type,
) -> Subroutine {
    Subroutine {
        name,
        kind,
        params,
        n_required,
        result,
    }
}

/// Every subroutine.
pub const SUBROUTINES: &[Subroutine] = &[
    subr("strlen", SubrKind::Strlen, &[STRING], 1, Type::ULONG),
    subr(
        "strjoin",
        SubrKind::Strjoin,
        &[STRING, STRING],
        2,
        Type::String,
    ),
    subr(
        "substr",
        SubrKind::Substr,
        &[STRING, INT, INT],
        2,
        Type::String,
    ),
    subr(
        "index",
        SubrKind::Index,
        &[STRING, STRING, INT],
        2,
        Type::INT,
    ),
    subr(
        "rindex",
        SubrKind::Rindex,
        &[STRING, STRING, INT],
        2,
        Type::INT,
    ),
    subr(
        "strchr",
        SubrKind::Strchr,
        &[STRING, Param::Int("char")],
        2,
        Type::String,
    ),
    subr(
        "strrchr",
        SubrKind::Strrchr,
        &[STRING, Param::Int("char")],
        2,
        Type::String,
    ),
    subr(
        "strstr",
        SubrKind::Strstr,
        &[STRING, STRING],
        2,
        Type::String,
    ),
    subr(
        "strtok",
        SubrKind::Strtok,
        &[STRING, STRING],
        2,
        Type::String,
    ),
    subr(
        "lltostr",
        SubrKind::Lltostr,
        &[Param::Int("int64_t"), INT],
        1,
        Type::String,
    ),
    subr("toupper", SubrKind::Toupper, &[STRING], 1, Type::String),
    subr("tolower", SubrKind::Tolower, &[STRING], 1, Type::String),
    subr("basename", SubrKind::Basename, &[STRING], 1, Type::String),
    subr("dirname", SubrKind::Dirname, &[STRING], 1, Type::String),
    subr(
        "copyinstr",
        SubrKind::Copyinstr,
        &[Param::Int("uintptr_t"), Param::Int("size_t")],
        1,
        Type::String,
    ),
    subr("rand", SubrKind::Rand, &[], 0, Type::INT),
    subr("speculation", SubrKind::Speculation, &[], 0, Type::INT),
    subr(
        "progenyof",
        SubrKind::Progenyof,
        &[Param::Int("pid_t")],
        1,
        Type::INT,
    ),
    subr(
        "htons",
        SubrKind::Htons,
        &[Param::Int("uint16_t")],
        1,
        USHORT,
    ),
    subr(
        "ntohs",
        SubrKind::Htons,
        &[Param::Int("uint16_t")],
        1,
        USHORT,
    ),
    subr(
        "htonl",
        SubrKind::Htonl,
        &[Param::Int("uint32_t")],
        1,
        Type::UINT,
    ),
    subr(
        "ntohl",
        SubrKind::Htonl,
        &[Param::Int("uint32_t")],
        1,
        Type::UINT,
    ),
    subr(
        "htonll",
        SubrKind::Htonll,
        &[Param::Int("uint64_t")],
        1,
        Type::ULONG,
    ),
    subr(
        "ntohll",
        SubrKind::Htonll,
        &[Param::Int("uint64_t")],
        1,
        Type::ULONG,
    ),
    // `alloca` and `copyin` return `void *`, which sema makes from the program's type table.
    subr(
        "alloca",
        SubrKind::Alloca,
        &[Param::Int("size_t")],
        1,
        Type::Void,
    ),
    subr(
        "copyin",
        SubrKind::Copyin,
        &[Param::Int("uintptr_t"), Param::Int("size_t")],
        2,
        Type::Void,
    ),
    subr(
        "copyinto",
        SubrKind::Copyinto,
        &[
            Param::Int("uintptr_t"),
            Param::Int("size_t"),
            Param::AllocaPointer,
        ],
        3,
        Type::Void,
    ),
    subr(
        "bcopy",
        SubrKind::Bcopy,
        &[Param::Pointer, Param::AllocaPointer, Param::Int("size_t")],
        3,
        Type::Void,
    ),
    // A Linux `dev_t` is 32 bits: 12 of major number above 20 of minor number.
    subr(
        "getmajor",
        SubrKind::Getmajor,
        &[Param::Int("dev_t")],
        1,
        Type::UINT,
    ),
    subr(
        "getminor",
        SubrKind::Getminor,
        &[Param::Int("dev_t")],
        1,
        Type::UINT,
    ),
    subr("cleanpath", SubrKind::Cleanpath, &[STRING], 1, Type::String),
    subr(
        "inet_ntoa",
        SubrKind::InetNtoa,
        &[Param::Address("ipaddr_t *", Some(Type::UINT))],
        1,
        Type::String,
    ),
    subr(
        "inet_ntoa6",
        SubrKind::InetNtoa6,
        &[Param::Kernel("struct in6_addr *", "struct in6_addr"), INT],
        1,
        Type::String,
    ),
    subr(
        "inet_ntop",
        SubrKind::InetNtop,
        &[INT, Param::Address("void *", None)],
        2,
        Type::String,
    ),
    subr(
        "link_ntop",
        SubrKind::LinkNtop,
        &[INT, Param::Address("void *", None)],
        2,
        Type::String,
    ),
    subr("d_path", SubrKind::DPath, &[PATH], 1, Type::String),
    subr(
        "d_mountpath",
        SubrKind::DMountPath,
        &[PATH],
        1,
        Type::String,
    ),
    subr("mutex_owned", SubrKind::MutexOwned, &[MUTEX], 1, Type::INT),
    subr(
        "mutex_owner",
        SubrKind::MutexOwner,
        &[MUTEX],
        1,
        Type::ULONG,
    ),
    subr(
        "mutex_type_adaptive",
        SubrKind::MutexTypeAdaptive,
        &[MUTEX],
        1,
        Type::INT,
    ),
    subr(
        "mutex_type_spin",
        SubrKind::MutexTypeSpin,
        &[MUTEX],
        1,
        Type::INT,
    ),
    subr(
        "rw_read_held",
        SubrKind::RwReadHeld,
        &[RWLOCK],
        1,
        Type::INT,
    ),
    subr(
        "rw_write_held",
        SubrKind::RwWriteHeld,
        &[RWLOCK],
        1,
        Type::INT,
    ),
    subr("rw_iswriter", SubrKind::RwIsWriter, &[RWLOCK], 1, Type::INT),
];

/// The subroutine called `name`.
pub fn lookup(name: &str) -> Option<&'static Subroutine> {
    SUBROUTINES
        .iter()
        .find(|subroutine| subroutine.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_parameters_come_last_and_names_are_unique() {
        for subroutine in SUBROUTINES {
            assert!(subroutine.n_required <= subroutine.params.len());
            let n_named = SUBROUTINES
                .iter()
                .filter(|other| other.name == subroutine.name)
                .count();
            assert_eq!(n_named, 1, "{}", subroutine.name);
        }
        assert_eq!(lookup("substr").map(|found| found.n_required), Some(2));
        assert_eq!(lookup("nosuch"), None);
    }
}

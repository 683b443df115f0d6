//! Subroutine instructions: string operations over scratch slots, and the few subroutines that need
//! a helper or a walk the back end writes out (`rand`, `progenyof`, `copyinstr`, `speculation`).
//!
//! Every string operand and result is a whole string slot (`types::string_size` bytes, NUL-padded)
//! at a scratch offset; an instruction writing a string first clears its slot. The back end turns
//! each into a short sequence of helper calls and loops bounded by both the string size and the
//! verifier's `may_goto`, so their cost to the verifier does not grow with `strsize`.

use super::VReg;

/// A subroutine instruction. Offsets are scratch offsets of string slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subr {
    /// `dst = strlen(src)`.
    StrLen {
        /// Destination.
        dst: VReg,
        /// The string.
        src: u32,
    },
    /// `dst = strcmp(lhs, rhs)`: negative, 0 or positive. A NULL string compares as `""`. The
    /// slots are the comparison's own: it may change them.
    StrCmp {
        /// Destination.
        dst: VReg,
        /// Left string.
        lhs: u32,
        /// Right string.
        rhs: u32,
    },
    /// `dst = (src == NULL)`.
    IsNull {
        /// Destination.
        dst: VReg,
        /// The string.
        src: u32,
    },
    /// Faults with a bad address (0) when the string at `src` is the NULL string, as DTrace's
    /// subroutines fault on a NULL string argument.
    CheckNotNull {
        /// The slot.
        src: u32,
    },
    /// Writes the NULL string at `dst`.
    SetNull {
        /// The slot.
        dst: u32,
    },
    /// `dst = strjoin(lhs, rhs)`.
    StrJoin {
        /// The result slot.
        dst: u32,
        /// First part.
        lhs: u32,
        /// Second part.
        rhs: u32,
    },
    /// `dst = substr(src, index[, count])`.
    Substr {
        /// The result slot.
        dst: u32,
        /// The string.
        src: u32,
        /// First character (negative counts from the end).
        index: VReg,
        /// Characters (negative leaves that many off the end), or all.
        count: Option<VReg>,
    },
    /// `dst = index(haystack, needle[, start])`, or `rindex` when `reverse`.
    Index {
        /// Destination.
        dst: VReg,
        /// The string searched.
        haystack: u32,
        /// The string looked for.
        needle: u32,
        /// Where the search starts.
        start: Option<VReg>,
        /// Search from the end (`rindex`).
        reverse: bool,
    },
    /// `dst = strchr(src, ch)`, or `strrchr` when `reverse`.
    StrChr {
        /// The result slot.
        dst: u32,
        /// The string.
        src: u32,
        /// The character.
        ch: VReg,
        /// Find the last occurrence (`strrchr`).
        reverse: bool,
    },
    /// `dst = strstr(haystack, needle)`.
    StrStr {
        /// The result slot.
        dst: u32,
        /// The string searched.
        haystack: u32,
        /// The string looked for.
        needle: u32,
    },
    /// `dst = strtok(src, delimiters)`; `src` is `None` for `strtok(NULL, ...)`, which goes on
    /// with the string of the last call on this CPU.
    StrTok {
        /// The result slot.
        dst: u32,
        /// The new string, if any.
        src: Option<u32>,
        /// The delimiter characters.
        delimiters: u32,
    },
    /// `dst = lltostr(value[, base])`.
    LlToStr {
        /// The result slot.
        dst: u32,
        /// The number.
        value: VReg,
        /// The base (2 to 36), or 10.
        base: Option<VReg>,
    },
    /// `dst = toupper(src)`, or `tolower` when not `upper`.
    ChangeCase {
        /// The result slot.
        dst: u32,
        /// The string.
        src: u32,
        /// Upper rather than lower case.
        upper: bool,
    },
    /// `dst = basename(src)`, or `dirname` when `dir`.
    PathPart {
        /// The result slot.
        dst: u32,
        /// The path.
        src: u32,
        /// The directory part rather than the last component.
        dir: bool,
    },
    /// `dst = copyinstr(addr[, max])`: a string read from user memory.
    CopyInStr {
        /// The result slot.
        dst: u32,
        /// The user address.
        addr: VReg,
        /// At most this many characters, as well as at most `strsize`.
        max: Option<VReg>,
    },
    /// `dst = htons(src)` and its kin: the low `bits` bits of `src` with their bytes swapped
    /// (network order on a little-endian machine), zero-extended.
    ByteSwap {
        /// Destination.
        dst: VReg,
        /// The value.
        src: VReg,
        /// 16, 32 or 64.
        bits: u8,
    },
    /// Empties the clause's `alloca` area: its top goes back to 8. Starts every clause of a
    /// program that uses `alloca`.
    AllocaReset,
    /// `dst = alloca(size)`: the offset of `size` new bytes (8-byte aligned) in the `alloca` area;
    /// faults with `NOSCRATCH` when they do not fit in `scratchsize`.
    Alloca {
        /// Destination: the `alloca` pointer (an offset).
        dst: VReg,
        /// Bytes.
        size: VReg,
    },
    /// `dst` = the address of `size` bytes at `alloca` offset `offset`, which must lie below the
    /// area's top: a bad address (`BADADDR`) or a bad size (`BADSIZE`) faults, as in DTrace. The
    /// address is only for the memory instructions that follow ([`Subr::StoreMem`],
    /// [`Subr::CopyMem`], loads and string reads).
    AllocaAddr {
        /// Destination: the address.
        dst: VReg,
        /// The `alloca` pointer.
        offset: VReg,
        /// Bytes about to be accessed.
        size: VReg,
    },
    /// `dst` = the address of the string slot at `slot` (a string given where memory is read).
    SlotAddress {
        /// Destination: the address.
        dst: VReg,
        /// The slot.
        slot: u32,
    },
    /// Copies `size` bytes from `src` (user memory when `user`, else kernel memory) to the
    /// `alloca` address `dst`: `bcopy`, `copyin`, `copyinto`. A size below 0 or above
    /// `scratchsize` faults with `BADSIZE`, a read that fails with `BADADDR`.
    CopyMem {
        /// The `alloca` address ([`Subr::AllocaAddr`]).
        dst: VReg,
        /// The address read.
        src: VReg,
        /// Bytes.
        size: VReg,
        /// Read user memory.
        user: bool,
    },
    /// Stores the low `size` bytes of `src` at the `alloca` address `addr`.
    StoreMem {
        /// The `alloca` address ([`Subr::AllocaAddr`]).
        addr: VReg,
        /// Bytes (1, 2, 4, 8).
        size: u8,
        /// The value.
        src: VReg,
    },
    /// `dst = rand()`.
    Rand {
        /// Destination.
        dst: VReg,
    },
    /// `dst = speculation()`: claims a free speculation ID, or 0 when none is free.
    Speculation {
        /// Destination.
        dst: VReg,
    },
    /// `dst = progenyof(pid)`: whether the current process is `pid` or one of its descendants.
    ProgenyOf {
        /// Destination.
        dst: VReg,
        /// The process ID.
        pid: VReg,
        /// Offset of `task_struct.real_parent`.
        real_parent: u32,
        /// Offset of `task_struct.tgid`.
        tgid: u32,
    },
    /// `dst = cleanpath(src)`: the path with `.`, `..` and repeated slashes resolved.
    CleanPath {
        /// The result slot.
        dst: u32,
        /// The path.
        src: u32,
    },
    /// `dst = inet_ntoa(addr)`: the 4 bytes at the kernel (or `alloca`) address `addr`, in
    /// dotted-decimal form; a read that fails faults with `BADADDR`.
    InetNtoa {
        /// The result slot.
        dst: u32,
        /// The address of the IPv4 address, in network byte order.
        addr: VReg,
    },
    /// `dst = inet_ntoa6(addr, strict)`: the 16 bytes at the kernel (or `alloca`) address `addr`
    /// as an IPv6 address; with `family`, `inet_ntop(family, addr)`, which is a strict
    /// `inet_ntoa6` for `AF_INET6` and `inet_ntoa` for any other family. A read that fails faults
    /// with `BADADDR`.
    InetNtoa6 {
        /// The result slot.
        dst: u32,
        /// The address of the address, in network byte order.
        addr: VReg,
        /// Whether an IPv4-mapped or IPv4-compatible address keeps its `::ffff:` or `::`.
        strict: bool,
        /// `inet_ntop`'s address family.
        family: Option<VReg>,
    },
    /// `dst = link_ntop(kind, addr)`: the Ethernet (`kind` 1, 6 bytes) or InfiniBand (`kind` 32,
    /// 20 bytes) address at `addr` as colon-separated hex bytes. Another `kind` faults with
    /// `ILLOP`, a read that fails with `BADADDR`.
    LinkNtop {
        /// The result slot.
        dst: u32,
        /// The `ARPHRD_*` hardware type.
        kind: VReg,
        /// The address of the link-layer address.
        addr: VReg,
    },
    /// `dst = d_path(path)`: the name of the `struct path` at `path` as `/proc/PID/fd/N` shows
    /// it, walked from its dentry up through its mounts to the current task's root; sockets,
    /// pipes and anonymous inodes are named as the kernel's `d_dname` callbacks name them. With
    /// `mount_point`, the path of the mount point of the file system `path` is on instead. A
    /// `struct path` that cannot be read faults with `BADADDR`.
    DPath {
        /// The result slot.
        dst: u32,
        /// The address of the `struct path`.
        path: VReg,
        /// The kernel's field offsets, from BTF.
        offsets: PathOffsets,
        /// The mount point rather than the path itself.
        mount_point: bool,
    },
    /// `dst = execargs`: the current process's arguments from its `mm_struct`, each NUL between
    /// them made a space; the empty string when they cannot be read (a kernel thread).
    ExecArgs {
        /// The result slot.
        dst: u32,
        /// The kernel's field offsets, from BTF.
        offsets: ExecArgsOffsets,
    },
}

/// Byte offsets of the kernel fields `execargs` reads, from the running kernel's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecArgsOffsets {
    /// `task_struct.mm`.
    pub task_mm: u32,
    /// `mm_struct.arg_start`: the user address of the first argument.
    pub arg_start: u32,
    /// `mm_struct.arg_end`: the user address past the last argument's NUL.
    pub arg_end: u32,
}

/// Byte offsets of the kernel fields a path walk reads, from the running kernel's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathOffsets {
    /// `path.mnt` (a `struct vfsmount *`).
    pub path_mnt: u32,
    /// `path.dentry`.
    pub path_dentry: u32,
    /// `dentry.d_parent`.
    pub dentry_parent: u32,
    /// `dentry.d_name.len` (a `u32`).
    pub dentry_name_len: u32,
    /// `dentry.d_name.name`.
    pub dentry_name: u32,
    /// `dentry.d_sb`.
    pub dentry_sb: u32,
    /// `dentry.d_inode`.
    pub dentry_inode: u32,
    /// `inode.i_ino`.
    pub inode_ino: u32,
    /// `super_block.s_magic`.
    pub sb_magic: u32,
    /// `vfsmount.mnt_root`.
    pub vfsmount_root: u32,
    /// `mount.mnt`: the `struct vfsmount` inside its `struct mount`.
    pub mount_mnt: u32,
    /// `mount.mnt_parent`.
    pub mount_parent: u32,
    /// `mount.mnt_mountpoint`.
    pub mount_mountpoint: u32,
    /// `task_struct.fs`.
    pub task_fs: u32,
    /// `fs_struct.root` (a `struct path`).
    pub fs_root: u32,
}

impl Subr {
    /// Every virtual register the instruction reads or writes.
    pub fn registers(&self) -> Vec<VReg> {
        match self {
            Subr::StrLen { dst, .. }
            | Subr::StrCmp { dst, .. }
            | Subr::IsNull { dst, .. }
            | Subr::Rand { dst }
            | Subr::Speculation { dst } => vec![*dst],
            Subr::Substr { index, count, .. } => {
                [Some(*index), *count].into_iter().flatten().collect()
            }
            Subr::Index { dst, start, .. } => [Some(*dst), *start].into_iter().flatten().collect(),
            Subr::StrChr { ch, .. } => vec![*ch],
            Subr::LlToStr { value, base, .. } => {
                [Some(*value), *base].into_iter().flatten().collect()
            }
            Subr::CopyInStr { addr, max, .. } => {
                [Some(*addr), *max].into_iter().flatten().collect()
            }
            Subr::ProgenyOf { dst, pid, .. } => vec![*dst, *pid],
            Subr::ByteSwap { dst, src, .. } => vec![*dst, *src],
            Subr::Alloca { dst, size } => vec![*dst, *size],
            Subr::AllocaAddr { dst, offset, size } => vec![*dst, *offset, *size],
            Subr::SlotAddress { dst, .. } => vec![*dst],
            Subr::CopyMem { dst, src, size, .. } => vec![*dst, *src, *size],
            Subr::StoreMem { addr, src, .. } => vec![*addr, *src],
            Subr::InetNtoa { addr, .. } => vec![*addr],
            Subr::LinkNtop { kind, addr, .. } => vec![*kind, *addr],
            Subr::InetNtoa6 { addr, family, .. } => {
                [Some(*addr), *family].into_iter().flatten().collect()
            }
            Subr::DPath { path, .. } => vec![*path],
            Subr::SetNull { .. }
            | Subr::AllocaReset
            | Subr::CheckNotNull { .. }
            | Subr::StrJoin { .. }
            | Subr::StrStr { .. }
            | Subr::StrTok { .. }
            | Subr::ChangeCase { .. }
            | Subr::PathPart { .. }
            | Subr::CleanPath { .. }
            | Subr::ExecArgs { .. } => Vec::new(),
        }
    }

    /// The `-S` text.
    pub fn display(&self) -> String {
        let reg = |vreg: &VReg| format!("%{}", vreg.0);
        let opt = |vreg: &Option<VReg>| vreg.as_ref().map_or_else(|| "-".to_string(), reg);
        let slot = |offset: &u32| format!("scratch[{offset}]");
        match self {
            Subr::StrLen { dst, src } => format!("{} = strlen {}", reg(dst), slot(src)),
            Subr::StrCmp { dst, lhs, rhs } => {
                format!("{} = strcmp {}, {}", reg(dst), slot(lhs), slot(rhs))
            }
            Subr::IsNull { dst, src } => format!("{} = isnull {}", reg(dst), slot(src)),
            Subr::SetNull { dst } => format!("{} = NULL", slot(dst)),
            Subr::CheckNotNull { src } => format!("fault if {} == NULL", slot(src)),
            Subr::StrJoin { dst, lhs, rhs } => {
                format!("{} = strjoin {}, {}", slot(dst), slot(lhs), slot(rhs))
            }
            Subr::Substr {
                dst,
                src,
                index,
                count,
            } => format!(
                "{} = substr {}, {}, {}",
                slot(dst),
                slot(src),
                reg(index),
                opt(count)
            ),
            Subr::Index {
                dst,
                haystack,
                needle,
                start,
                reverse,
            } => format!(
                "{} = {} {}, {}, {}",
                reg(dst),
                if *reverse { "rindex" } else { "index" },
                slot(haystack),
                slot(needle),
                opt(start)
            ),
            Subr::StrChr {
                dst,
                src,
                ch,
                reverse,
            } => format!(
                "{} = {} {}, {}",
                slot(dst),
                if *reverse { "strrchr" } else { "strchr" },
                slot(src),
                reg(ch)
            ),
            Subr::StrStr {
                dst,
                haystack,
                needle,
            } => format!(
                "{} = strstr {}, {}",
                slot(dst),
                slot(haystack),
                slot(needle)
            ),
            Subr::StrTok {
                dst,
                src,
                delimiters,
            } => format!(
                "{} = strtok {}, {}",
                slot(dst),
                src.as_ref().map_or_else(|| "NULL".to_string(), slot),
                slot(delimiters)
            ),
            Subr::LlToStr { dst, value, base } => {
                format!("{} = lltostr {}, {}", slot(dst), reg(value), opt(base))
            }
            Subr::ChangeCase { dst, src, upper } => format!(
                "{} = {} {}",
                slot(dst),
                if *upper { "toupper" } else { "tolower" },
                slot(src)
            ),
            Subr::PathPart { dst, src, dir } => format!(
                "{} = {} {}",
                slot(dst),
                if *dir { "dirname" } else { "basename" },
                slot(src)
            ),
            Subr::CopyInStr { dst, addr, max } => {
                format!("{} = copyinstr {}, {}", slot(dst), reg(addr), opt(max))
            }
            Subr::ByteSwap { dst, src, bits } => format!("{} = bswap{bits} {}", reg(dst), reg(src)),
            Subr::AllocaReset => "alloca reset".to_string(),
            Subr::Alloca { dst, size } => format!("{} = alloca {}", reg(dst), reg(size)),
            Subr::AllocaAddr { dst, offset, size } => {
                format!(
                    "{} = alloca address {}, {}",
                    reg(dst),
                    reg(offset),
                    reg(size)
                )
            }
            Subr::SlotAddress { dst, slot: offset } => {
                format!("{} = address {}", reg(dst), slot(offset))
            }
            Subr::CopyMem {
                dst,
                src,
                size,
                user,
            } => format!(
                "copy{} [{}], [{}], {}",
                if *user { " user" } else { "" },
                reg(dst),
                reg(src),
                reg(size)
            ),
            Subr::StoreMem { addr, size, src } => {
                format!("[{}..+{size}] = {}", reg(addr), reg(src))
            }
            Subr::Rand { dst } => format!("{} = rand", reg(dst)),
            Subr::Speculation { dst } => format!("{} = speculation", reg(dst)),
            Subr::ProgenyOf { dst, pid, .. } => format!("{} = progenyof {}", reg(dst), reg(pid)),
            Subr::CleanPath { dst, src } => format!("{} = cleanpath {}", slot(dst), slot(src)),
            Subr::InetNtoa { dst, addr } => format!("{} = inet_ntoa [{}]", slot(dst), reg(addr)),
            Subr::InetNtoa6 {
                dst,
                addr,
                strict,
                family,
            } => match family {
                Some(family) => {
                    format!("{} = inet_ntop {}, [{}]", slot(dst), reg(family), reg(addr))
                }
                None => format!(
                    "{} = inet_ntoa6{} [{}]",
                    slot(dst),
                    if *strict { " strict" } else { "" },
                    reg(addr)
                ),
            },
            Subr::LinkNtop { dst, kind, addr } => {
                format!("{} = link_ntop {}, [{}]", slot(dst), reg(kind), reg(addr))
            }
            Subr::DPath {
                dst,
                path,
                mount_point,
                ..
            } => format!(
                "{} = {} [{}]",
                slot(dst),
                if *mount_point {
                    "d_mountpath"
                } else {
                    "d_path"
                },
                reg(path)
            ),
            Subr::ExecArgs { dst, .. } => format!("{} = execargs", slot(dst)),
        }
    }
}

//! The lowered IR: per clause, a flat list of instructions over virtual registers.
//!
//! Lowering turns each checked clause into [`Inst`]s that the back end turns into eBPF. Virtual
//! registers hold 64-bit integers; strings live in the clause's scratch area (byte offsets into the
//! per-CPU scratch buffer, counted from the start of the temporaries). D has no loops, so every jump
//! goes forward. Every instruction has a span in a parallel table, so code maps back to source.
//!
//! D variables are [`Module::variables`], addressed by index. `LoadVar`/`StoreVar` move integers
//! between a variable and a register, `LoadVarString`/`StoreVarString` move strings between a
//! variable and scratch, and `DeleteVar` removes an element of a dynamic variable (a thread-local or
//! an associative array element), whose key lowering builds in scratch first. Where each variable
//! lives is the back end's choice.

mod print_type;
mod subr;

use std::fmt::Write as _;

use crate::ast::VarScope;
use crate::provider::Probe;
use crate::source::Span;
use crate::types::{StackType, Type};

pub use self::print_type::{PrintKind, PrintMember, PrintType};
pub use self::subr::{ExecArgsOffsets, PathOffsets, Subr};

/// Bytes the back end's record header takes at the start of each record; record data follows it.
pub const RECORD_HEADER_RESERVED: u32 = 16;
/// Offset in the record header of the `u32` mask of the clause's basic blocks that ran to their end.
pub const RECORD_BLOCKS_OFFSET: u32 = 12;
/// Most basic blocks with data-recording actions one clause may have (bits of that mask).
pub const MAX_RECORD_BLOCKS: usize = 32;
/// Offset in the record header of the two bytes that mark a speculative record (the speculation's
/// ID and generation), which [`Inst::Speculate`] sets; zero in every other record.
pub const RECORD_SPEC_OFFSET: u32 = 10;
/// Most bytes one `tracemem()` records.
pub const MAX_TRACEMEM_SIZE: u32 = 4096;
/// Bytes `bpf_get_current_comm` writes (`TASK_COMM_LEN`).
pub const COMM_SIZE: u32 = 16;
/// Bytes of the aggregation ID that precedes every aggregation key in scratch and in the maps:
/// aggregations with the same key and value sizes share one map, told apart by this word.
pub const AGG_ID_SIZE: u32 = 8;
/// Bytes reserved for each probe name field (`probeprov`, `probemod`, `probefunc`, `probename`).
pub const PROBE_NAME_SIZE: u32 = 64;

/// A virtual register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VReg(pub u32);

/// A jump target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// Integer binary operations on 64 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// unsigned `/`
    UDiv,
    /// signed `/`
    SDiv,
    /// unsigned `%`
    UMod,
    /// signed `%`
    SMod,
    /// `&`
    And,
    /// `|`
    Or,
    /// `^`
    Xor,
    /// `<<`
    Shl,
    /// logical `>>`
    LShr,
    /// arithmetic `>>`
    AShr,
}

/// Comparisons, producing 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// unsigned `<`
    ULt,
    /// unsigned `<=`
    ULe,
    /// unsigned `>`
    UGt,
    /// unsigned `>=`
    UGe,
    /// signed `<`
    SLt,
    /// signed `<=`
    SLe,
    /// signed `>`
    SGt,
    /// signed `>=`
    SGe,
}

/// Integer built-in variables that come from a helper or the D context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `pid`: the thread group ID.
    Pid,
    /// `tid`: the thread ID.
    Tid,
    /// `ppid`: `curthread->real_parent->tgid`, at these BTF offsets.
    Ppid {
        /// Offset of `task_struct.real_parent`.
        real_parent: u32,
        /// Offset of `task_struct.tgid`.
        tgid: u32,
    },
    /// `uid`.
    Uid,
    /// `gid`.
    Gid,
    /// `timestamp`: monotonic nanoseconds, read once per probe firing (every clause of the firing
    /// sees the same value, as in DTrace).
    Timestamp,
    /// `vtimestamp`: the nanoseconds the current thread has run on a CPU, the scheduler's
    /// `task_struct.se.sum_exec_runtime` at this offset. The scheduler brings it up to date at
    /// ticks and context switches, so it lags the thread's true run time by up to a tick.
    VTimestamp {
        /// Offset of `se.sum_exec_runtime` in `task_struct`.
        offset: u32,
    },
    /// `epid`: the enabled probe ID, unique to a clause on a probe: the probe ID in the high 32
    /// bits, the clause's index plus one in the low 32.
    Epid {
        /// The clause's index in the program.
        clause: u32,
    },
    /// `walltimestamp`: nanoseconds since the epoch.
    WallTimestamp,
    /// `cpu`.
    Cpu,
    /// `id`: the probe ID.
    ProbeId,
    /// `argN`.
    Arg(u8),
    /// `errno`.
    Errno,
    /// `curthread`: the current task's `struct task_struct *` (`bpf_get_current_task`).
    CurThread,
    /// `curcpu`: the address of the current CPU's `cpuinfo_t` (`cpu_id`, `cpu_pset`, `cpu_chip`,
    /// `cpu_lgrp`, four `int`s), which the clause writes where it asks for it.
    CurCpu,
    /// `caller`: the kernel return address of the current function (the second kernel frame).
    Caller,
    /// `ucaller`: the user return address of the current function (the second user frame).
    UCaller,
}

/// The four names of the probe that fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeField {
    /// `probeprov`
    Provider,
    /// `probemod`
    Module,
    /// `probefunc`
    Function,
    /// `probename`
    Name,
}

/// One IR instruction. Scratch offsets are bytes from the start of the clause temporaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inst {
    /// Marks where the code for a source construct starts.
    Comment(String),
    /// `dst = value`.
    Const {
        /// Destination.
        dst: VReg,
        /// The 64 bits.
        value: u64,
    },
    /// `dst = lhs op rhs`.
    Bin {
        /// The operation.
        op: BinOp,
        /// Destination.
        dst: VReg,
        /// Left operand.
        lhs: VReg,
        /// Right operand.
        rhs: VReg,
    },
    /// `dst = src`.
    Move {
        /// Destination.
        dst: VReg,
        /// Source.
        src: VReg,
    },
    /// `dst = -src`.
    Neg {
        /// Destination.
        dst: VReg,
        /// Operand.
        src: VReg,
    },
    /// `dst = ~src`.
    BitNot {
        /// Destination.
        dst: VReg,
        /// Operand.
        src: VReg,
    },
    /// `dst = src` truncated to `size` bytes, then sign- or zero-extended.
    Extend {
        /// Destination.
        dst: VReg,
        /// Operand.
        src: VReg,
        /// Bytes kept (1, 2, 4).
        size: u8,
        /// Sign-extend rather than zero-extend.
        signed: bool,
    },
    /// `dst = (lhs cond rhs) ? 1 : 0`.
    Cmp {
        /// The comparison.
        cond: Cond,
        /// Destination.
        dst: VReg,
        /// Left operand.
        lhs: VReg,
        /// Right operand.
        rhs: VReg,
    },
    /// A jump target.
    Label(Label),
    /// `goto target`.
    Jump(Label),
    /// `if ((cond != 0) == nonzero) goto target`.
    JumpIf {
        /// The value tested.
        cond: VReg,
        /// Jump when non-zero (else when zero).
        nonzero: bool,
        /// Where to.
        target: Label,
    },
    /// `dst = builtin`.
    Builtin {
        /// Destination.
        dst: VReg,
        /// Which built-in.
        builtin: Builtin,
    },
    /// Stores the low `size` bytes of `src` at a scratch offset.
    Store {
        /// Scratch offset.
        offset: u32,
        /// Bytes (1, 2, 4, 8).
        size: u8,
        /// Value.
        src: VReg,
    },
    /// Writes `bytes` at a scratch offset, then zeros up to `size` bytes.
    StoreBytes {
        /// Scratch offset.
        offset: u32,
        /// The bytes (at most `size`).
        bytes: Vec<u8>,
        /// Total bytes written.
        size: u32,
    },
    /// Zeros `size` bytes at a scratch offset.
    Zero {
        /// Scratch offset.
        offset: u32,
        /// Bytes.
        size: u32,
    },
    /// Copies `size` bytes between scratch offsets.
    Copy {
        /// Destination offset.
        dst_offset: u32,
        /// Source offset.
        src_offset: u32,
        /// Bytes.
        size: u32,
    },
    /// `bpf_get_current_comm` into [`COMM_SIZE`] bytes at a scratch offset, or fewer when the string
    /// size is smaller (the name is then cut short, NUL-terminated).
    CurrentComm {
        /// Scratch offset.
        offset: u32,
    },
    /// Copies a name of the probe that fired ([`PROBE_NAME_SIZE`] bytes) to a scratch offset, cut
    /// short when the string size is smaller.
    ProbeName {
        /// Scratch offset.
        offset: u32,
        /// Which name.
        field: ProbeField,
    },
    /// `dst` = the `size` bytes at kernel address `addr`, zero- or sign-extended. Read with
    /// `bpf_probe_read_kernel`, never a direct load; a read that fails is DTrace's "invalid
    /// address" fault.
    Load {
        /// Destination.
        dst: VReg,
        /// The address.
        addr: VReg,
        /// Bytes read (1, 2, 4, 8).
        size: u8,
        /// Sign-extend rather than zero-extend.
        signed: bool,
    },
    /// Copies `size` bytes at kernel address `addr` to a scratch offset with
    /// `bpf_probe_read_kernel`; a read that fails is an "invalid address" fault.
    ReadBytes {
        /// Scratch offset.
        offset: u32,
        /// The address.
        addr: VReg,
        /// Bytes.
        size: u32,
    },
    /// Copies the NUL-terminated string at kernel address `addr` to a scratch offset, at most
    /// `size` bytes with the NUL, with `bpf_probe_read_kernel_str`; a read that fails is an
    /// "invalid address" fault.
    ReadStr {
        /// Scratch offset.
        offset: u32,
        /// The address.
        addr: VReg,
        /// Most bytes written.
        size: u32,
    },
    /// Aggregates into `aggregations[agg]` under the key at `key_offset`.
    AggUpdate {
        /// Index into [`Module::aggregations`].
        agg: usize,
        /// Scratch offset of the key (the aggregation's key size), after [`AGG_ID_SIZE`] bytes
        /// reserved for the aggregation's ID.
        key_offset: u32,
        /// The value aggregated (`None` for `count()`).
        value: Option<VReg>,
        /// The increment of `quantize`, `lquantize` and `llquantize` (`None` for 1).
        incr: Option<VReg>,
    },
    /// `dst = var[key]`: an integer variable's value, or 0 when a dynamic variable is unset.
    LoadVar {
        /// Destination.
        dst: VReg,
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable ([`Variable::key_size`] bytes).
        key_offset: Option<u32>,
    },
    /// Copies a string variable's value (`strsize` bytes) to a scratch offset; when a dynamic
    /// variable is unset, the copy is the NULL string (empty, with the NULL mark set), which
    /// faults where DTrace faults on a NULL string, as when it is recorded.
    LoadVarString {
        /// Scratch offset of the copy.
        offset: u32,
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
    },
    /// `var[key] = src`, creating a dynamic variable's element if needed.
    StoreVar {
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
        /// The value, already converted to the variable's type.
        src: VReg,
    },
    /// `var[key] = scratch[offset..+strsize]`, creating a dynamic variable's element if needed.
    StoreVarString {
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
        /// Scratch offset of the string.
        offset: u32,
    },
    /// `dst` = the address of a struct, union or array variable's value (of a dynamic variable's
    /// element under the key), or 0 when the element does not exist: what member reads and copies
    /// of the value start from.
    VarAddr {
        /// Destination.
        dst: VReg,
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
    },
    /// Copies `size` bytes at kernel address `src` to byte `offset` of a struct, union or array
    /// variable's value (the whole value, or a struct, union or array member of it), creating a
    /// dynamic variable's element (zeroed) if needed. A read that fails, or an offset that does
    /// not leave `size` bytes in the value, is an "invalid address" fault.
    CopyToVar {
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
        /// Byte offset in the value.
        offset: VReg,
        /// Bytes copied.
        size: u32,
        /// The address of the value copied.
        src: VReg,
    },
    /// `dst` = the `size` bytes at byte `offset` of a struct, union or array variable's value,
    /// zero- or sign-extended. A dynamic variable's missing element, or an offset that does not
    /// leave `size` bytes in the value, is an "invalid address" fault.
    LoadVarMember {
        /// Destination.
        dst: VReg,
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
        /// Byte offset in the value.
        offset: VReg,
        /// Bytes (1, 2, 4, 8).
        size: u8,
        /// Sign-extend rather than zero-extend.
        signed: bool,
    },
    /// Stores the low `size` bytes of `src` at byte `offset` of a struct, union or array
    /// variable's value, creating a dynamic variable's element (zeroed) if needed. An offset that
    /// does not leave `size` bytes in the value is an "invalid address" fault.
    StoreVarMember {
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key of a dynamic variable.
        key_offset: Option<u32>,
        /// Byte offset in the value.
        offset: VReg,
        /// Bytes (1, 2, 4, 8).
        size: u8,
        /// The value.
        src: VReg,
    },
    /// Deletes the element of a dynamic variable (what storing 0 does), if it exists.
    DeleteVar {
        /// Index into [`Module::variables`].
        var: usize,
        /// Scratch offset of the key.
        key_offset: u32,
    },
    /// A subroutine: string operations, `rand`, `progenyof`, `copyinstr`.
    Subr(Subr),
    /// Sets bit `bit` of the `u32` at a scratch offset.
    SetBit {
        /// Scratch offset.
        offset: u32,
        /// The bit (0 to 31).
        bit: u8,
    },
    /// Reads `size` bytes of kernel memory at `address` to a scratch offset; a read that fails is
    /// a bad-address fault.
    ReadKernel {
        /// Scratch offset.
        offset: u32,
        /// Bytes.
        size: u32,
        /// The address.
        address: VReg,
    },
    /// `raise(sig)`: sends the signal in `signal` to the current process.
    Raise {
        /// The signal number.
        signal: VReg,
    },
    /// `chill(ns)`: busy-waits about `ns` nanoseconds (bounded, see the back end).
    Chill {
        /// Nanoseconds.
        ns: VReg,
    },
    /// `speculate(id)`: when speculation `id` is active, marks the clause's record (at scratch 0)
    /// as speculative, by its ID and generation at [`RECORD_SPEC_OFFSET`]; otherwise goes to
    /// `abort`, skipping the rest of the clause.
    Speculate {
        /// The speculation ID.
        id: VReg,
        /// The end of the clause.
        abort: Label,
    },
    /// After a data-recording action of a clause that speculates: when the record is speculative
    /// and its first `size` bytes exceed the `specsize` option, counts a speculative drop and goes
    /// to `abort`, as DTrace checks each value it stores.
    SpecBound {
        /// Bytes of the record written so far, header included.
        size: u32,
        /// The end of the clause.
        abort: Label,
    },
    /// `commit(id)` or `discard(id)`: moves speculation `id` from active to committing or
    /// discarding, and stores `id | generation << 32` at a scratch offset (0 when it was not
    /// active), for the consumer to finish it. An `id` above `nspec` is an illegal operation.
    FinishSpeculation {
        /// The speculation ID.
        id: VReg,
        /// Scratch offset of the 8-byte field.
        offset: u32,
        /// `commit` rather than `discard`.
        commit: bool,
    },
    /// Writes the current stack at a scratch offset as [`StackType`] lays it out (a user stack
    /// after the process ID), zeros after its last frame, with `bpf_get_stack`.
    GetStack {
        /// Scratch offset.
        offset: u32,
        /// Which stack and how many frames.
        stack: StackType,
    },
    /// `dst` = the number of frames of the current kernel or user stack, at most `frames`, which
    /// `bpf_get_stack` writes to scratch at `offset` to count them.
    StackDepth {
        /// Destination.
        dst: VReg,
        /// Scratch offset of the `8 * frames` bytes the frames go to.
        offset: u32,
        /// Most frames counted.
        frames: u32,
        /// The user stack.
        user: bool,
    },
    /// Faults with DTrace's "invalid address" at address 0 when `ptr` is NULL: the check before
    /// `p->m` reads memory.
    NotNull {
        /// The pointer.
        ptr: VReg,
    },
    /// Faults with DTrace's "index out of bounds" (reporting the index) unless `index`, taken as
    /// unsigned, is below `len`: the check before an element of an array of `len` elements is
    /// accessed at an index computed at run time.
    CheckIndex {
        /// The index.
        index: VReg,
        /// Elements in the array.
        len: u32,
    },
    /// `exit()`: moves the activity state to draining, so that from now on no probe's clauses
    /// run but `END`'s, as DTrace stops tracing at `exit()` (the clause itself goes on).
    Drain,
    /// Sends the record at `offset` (header first) to userspace, unless its header's blocks mask
    /// ([`RECORD_BLOCKS_OFFSET`]) is zero: then no action of the clause ran to its block's end.
    EmitRecord {
        /// Scratch offset of the record.
        offset: u32,
        /// Record size including the header.
        size: u32,
        /// Wake the reader now (for `exit`), rather than at its next poll.
        wakeup: bool,
    },
}

/// Aggregating functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    /// `count()`
    Count,
    /// `sum(x)`
    Sum,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `stddev(x)`
    Stddev,
    /// `quantize(x [, incr])`
    Quantize,
    /// `lquantize(x, base, limit [, step [, incr]])`
    Lquantize,
    /// `llquantize(x, factor, lmag, hmag, steps [, incr])`
    Llquantize,
}

impl AggFunc {
    /// The function's D name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Stddev => "stddev",
            AggFunc::Quantize => "quantize",
            AggFunc::Lquantize => "lquantize",
            AggFunc::Llquantize => "llquantize",
        }
    }
}

/// The constant arguments that shape an aggregation's buckets, fixed by its first use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AggParams {
    /// Every function but `lquantize` and `llquantize`.
    #[default]
    None,
    /// `lquantize`: values below `base`, then `levels` buckets of `step`, then the rest.
    Linear {
        /// The lowest bucket's value.
        base: i32,
        /// Buckets between the underflow and overflow buckets.
        levels: u16,
        /// Width of each bucket.
        step: u16,
    },
    /// `llquantize`: `steps` buckets per power of `factor` from `factor^lmag` to `factor^hmag`.
    LogLinear {
        /// The base of the magnitudes.
        factor: u16,
        /// The lowest magnitude.
        lmag: u16,
        /// The highest magnitude.
        hmag: u16,
        /// Buckets per magnitude.
        steps: u16,
    },
}

/// An aggregation: its name, function and key types, fixed by its first use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggDecl {
    /// The name without `@` (empty for `@`).
    pub name: String,
    /// The function.
    pub func: AggFunc,
    /// The key tuple's types.
    pub keys: Vec<Type>,
    /// Parallel to `keys`: for a struct, union or array key, the bytes of its value, and for a
    /// string key whose every expression has a known width, the widest (the NUL included), so
    /// that it takes fewer bytes than a whole string (see [`key_stored_size`]); `None` for the
    /// keys [`Type::stored_size`] sizes.
    pub key_value_sizes: Vec<Option<u32>>,
    /// The bucket parameters of `lquantize` and `llquantize`.
    pub params: AggParams,
}

impl AggDecl {
    /// Bytes each key takes in the key tuple.
    pub fn key_sizes(&self, strsize: u32) -> Vec<u32> {
        key_sizes(&self.keys, &self.key_value_sizes, strsize)
    }
}

/// Bytes a key of type `ty` takes in a key tuple. A struct, union or array key whose value is
/// `value_size` bytes is copied in whole and compared bytewise, as DTrace does; it takes its size
/// rounded up to 8 bytes, the rest zeroed. So does a string key of at most `value_size` bytes
/// (`@[execname]`: 16). Every other key takes [`Type::stored_size`].
pub fn key_stored_size(ty: Type, value_size: Option<u32>, strsize: u32) -> u32 {
    value_size.map_or_else(|| ty.stored_size(strsize), |size| size.next_multiple_of(8))
}

fn key_sizes(keys: &[Type], value_sizes: &[Option<u32>], strsize: u32) -> Vec<u32> {
    keys.iter()
        .enumerate()
        .map(|(key_idx, ty)| {
            key_stored_size(*ty, value_sizes.get(key_idx).copied().flatten(), strsize)
        })
        .collect()
}

/// A D variable: its scope, name and type, fixed by its declaration or first assignment.
///
/// Globals and clause-locals are plain storage. Thread-locals and associative arrays are dynamic
/// variables: each element exists only while it holds a non-zero value, under a key that lowering
/// builds in scratch (the thread ID first for a thread-local, then the array's key tuple).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Global, thread-local or clause-local.
    pub scope: VarScope,
    /// The name without `self->` or `this->`.
    pub name: String,
    /// The type of its values.
    pub ty: Type,
    /// For an associative array, its key types.
    pub keys: Option<Vec<Type>>,
    /// Parallel to `keys`: for a struct, union or array key, the bytes of its value, and for a
    /// string key whose every expression has a known width, the widest (the NUL included), so
    /// that it takes fewer bytes than a whole string (see [`key_stored_size`]); `None` for the
    /// keys [`Type::stored_size`] sizes.
    pub key_value_sizes: Vec<Option<u32>>,
    /// For a struct, union or array variable, the bytes of its value; `None` for the integers,
    /// pointers and strings that [`Type::stored_size`] sizes.
    pub value_size: Option<u32>,
}

impl Variable {
    /// Whether elements come and go (thread-locals and associative arrays).
    pub fn is_dynamic(&self) -> bool {
        self.scope == VarScope::ThreadLocal || self.keys.is_some()
    }

    /// The size of a dynamic variable's key: 8 bytes of thread ID for a thread-local, then each
    /// key's stored size; `None` for a variable that has no key.
    pub fn key_size(&self, strsize: u32) -> Option<u32> {
        if !self.is_dynamic() {
            return None;
        }
        let tid = if self.scope == VarScope::ThreadLocal {
            8
        } else {
            0
        };
        let tuple: u32 = self.key_sizes(strsize).iter().sum();
        Some(tid + tuple)
    }

    /// Bytes each key of an associative array takes in its key tuple (none for other variables).
    pub fn key_sizes(&self, strsize: u32) -> Vec<u32> {
        key_sizes(
            self.keys.as_deref().unwrap_or_default(),
            &self.key_value_sizes,
            strsize,
        )
    }

    /// Bytes a value of the variable takes in its storage.
    pub fn stored_size(&self, strsize: u32) -> u32 {
        self.value_size
            .unwrap_or_else(|| self.ty.stored_size(strsize))
    }

    /// The name as D writes it: `x`, `self->x`, `this->x`, `a[]`, `self->a[]`.
    pub fn display_name(&self) -> String {
        let brackets = if self.keys.is_some() { "[]" } else { "" };
        format!("{}{}{brackets}", self.scope.prefix(), self.name)
    }
}

/// A value in a record: offset from the record start (header included) and type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Byte offset in the record.
    pub offset: u32,
    /// The D type.
    pub ty: Type,
}

/// A data-recording action of a clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordAction {
    /// `trace(x)`.
    Trace(Field),
    /// `printf(format, args...)`.
    Printf {
        /// The format's bytes.
        format: Vec<u8>,
        /// The arguments.
        args: Vec<Field>,
    },
    /// `printa([format,] @a...)`.
    Printa {
        /// The format, or the default layout.
        format: Option<Vec<u8>>,
        /// Indexes into [`Module::aggregations`].
        aggregations: Vec<usize>,
    },
    /// `exit(status)`.
    Exit(Field),
    /// `system(format, args...)`: the consumer runs the formatted command.
    System {
        /// The format's bytes.
        format: Vec<u8>,
        /// The arguments.
        args: Vec<Field>,
    },
    /// `freopen(format, args...)`: the consumer sends what it prints from now on to the file the
    /// format names (appending), or back to its standard output when the format is empty.
    Freopen {
        /// The format's bytes.
        format: Vec<u8>,
        /// The arguments.
        args: Vec<Field>,
    },
    /// `tracemem(address, size[, shown])`: `size` bytes of memory, and how many of them to show.
    Tracemem {
        /// Offset of the bytes in the record.
        offset: u32,
        /// How many bytes are recorded.
        size: u32,
        /// The third argument, if any: the bytes to show when it is not negative and less than
        /// `size`.
        shown: Option<Field>,
    },
    /// `print(pointer)`: the pointer, then the bytes it points to, printed with their type.
    Print {
        /// The pointer.
        address: Field,
        /// Offset of the bytes in the record.
        offset: u32,
        /// How many bytes are recorded.
        size: u32,
        /// The pointee's type.
        ty: Box<PrintType>,
    },
    /// An action done in the kernel (`raise`, `stop`, `chill`): it records no value, but like
    /// every action it makes the probe line print.
    Effect(&'static str),
    /// `clear(@a)`: zero every value of the aggregation, keeping its keys.
    Clear {
        /// Index into [`Module::aggregations`].
        agg: usize,
    },
    /// `normalize(@a, n)`: print the aggregation's values divided by `n`.
    Normalize {
        /// Index into [`Module::aggregations`].
        agg: usize,
        /// The normalization factor.
        factor: Field,
    },
    /// `denormalize(@a)`: print the aggregation's values as they are again.
    Denormalize {
        /// Index into [`Module::aggregations`].
        agg: usize,
    },
    /// `trunc(@a [, n])`: keep only the `n` largest (or, for a negative `n`, smallest) entries.
    Trunc {
        /// Index into [`Module::aggregations`].
        agg: usize,
        /// How many to keep (`None`: none).
        count: Option<Field>,
    },
    /// `setopt(name [, value])`: set a run-time option.
    Setopt {
        /// The option's name.
        name: Field,
        /// Its value (`None`: the option is turned on).
        value: Option<Field>,
    },
    /// `commit(id)`: the speculation [`Inst::FinishSpeculation`] moved to committing, if any.
    Commit(Field),
    /// `discard(id)`: the speculation [`Inst::FinishSpeculation`] moved to discarding, if any.
    Discard(Field),
}

/// One clause, lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// IDs of the probes it is enabled on.
    pub probe_ids: Vec<u32>,
    /// The instructions.
    pub insts: Vec<Inst>,
    /// The source span of each instruction.
    pub spans: Vec<Span>,
    /// Virtual registers used.
    pub n_vregs: u32,
    /// Labels used.
    pub n_labels: u32,
    /// The actions recorded in this clause's record, or `None` when it writes no record.
    pub record: Option<Vec<RecordAction>>,
    /// For each action of `record`, the bit of the record header's blocks mask that is set when
    /// the action's basic block ran to its end (DTrace runs each block as its own sub-clause).
    pub action_blocks: Vec<u32>,
    /// Scratch bytes the clause uses.
    pub scratch_size: u32,
    /// The whole clause.
    pub span: Span,
}

/// What one `-n` or `-s` source matched, for the `matched N probes` banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSummary {
    /// `description 'syscall::openat:entry '` or `script 'x.d'`.
    pub kind: &'static str,
    /// The description (up to the first `{`, `/` or `;`) or script name.
    pub name: String,
    /// Probes matched, summed over its clauses.
    pub n_matched: usize,
    /// Every probe description of its clauses, in order, with what it matched (what `-l` lists).
    pub descriptions: Vec<DescriptionMatch>,
}

/// One probe description of a source and the probes it matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptionMatch {
    /// The description with every field present (a probe ID is replaced by its probe's names).
    pub desc: crate::provider::ProbeDesc,
    /// The IDs of the probes it matched, in ID order.
    pub probe_ids: Vec<u32>,
}

/// A lowered program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// Every probe some clause is enabled on, by ID.
    pub probes: Vec<Probe>,
    /// The clauses, in program order.
    pub clauses: Vec<Clause>,
    /// The aggregations.
    pub aggregations: Vec<AggDecl>,
    /// The variables, in order of declaration or first use.
    pub variables: Vec<Variable>,
    /// One entry per source, in command-line order.
    pub sources: Vec<SourceSummary>,
    /// The `strsize` option.
    pub strsize: u32,
    /// Whether it uses a destructive action, which must be allowed before it is enabled.
    pub destructive: bool,
    /// Bytes of each clause's `alloca` area (the `scratchsize` option), or 0 when no clause
    /// allocates.
    pub alloca_size: u32,
}

impl Module {
    /// The deterministic text dump used by `-S` and snapshot tests.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for (agg_idx, agg) in self.aggregations.iter().enumerate() {
            let keys: Vec<&str> = agg.keys.iter().map(|ty| ty.name()).collect();
            let _ = writeln!(
                out,
                "agg {agg_idx} @{} = {:?}[{}]{}",
                agg.name,
                agg.func,
                keys.join(", "),
                match agg.params {
                    AggParams::None => String::new(),
                    params => format!(" {params:?}"),
                }
            );
        }
        for (var_idx, var) in self.variables.iter().enumerate() {
            let keys = var.keys.as_ref().map_or(String::new(), |keys| {
                let names: Vec<&str> = keys.iter().map(|ty| ty.name()).collect();
                format!(" keys [{}]", names.join(", "))
            });
            let _ = writeln!(
                out,
                "var {var_idx} {} {}{keys}",
                var.display_name(),
                var.ty.name()
            );
        }
        for (clause_idx, clause) in self.clauses.iter().enumerate() {
            let ids: Vec<String> = clause.probe_ids.iter().map(u32::to_string).collect();
            let _ = writeln!(
                out,
                "clause {clause_idx} probes [{}] scratch {}",
                ids.join(", "),
                clause.scratch_size
            );
            if let Some(actions) = &clause.record {
                for (action, block) in actions.iter().zip(&clause.action_blocks) {
                    let _ = writeln!(out, "  record b{block} {}", display_action(action));
                }
            }
            for inst in &clause.insts {
                match inst {
                    Inst::Comment(text) => {
                        let _ = writeln!(out, "  ; {text}");
                    }
                    Inst::Label(label) => {
                        let _ = writeln!(out, "L{}:", label.0);
                    }
                    other => {
                        let _ = writeln!(out, "    {}", display_inst(other));
                    }
                }
            }
        }
        out
    }
}

fn display_field(field: Field) -> String {
    format!("{}@{}", field.ty.name(), field.offset)
}

fn display_action(action: &RecordAction) -> String {
    let format_text = |format: &[u8]| format!("{:?}", String::from_utf8_lossy(format));
    match action {
        RecordAction::Trace(field) => format!("trace {}", display_field(*field)),
        RecordAction::Printf { format, args } => {
            let args: Vec<String> = args.iter().copied().map(display_field).collect();
            format!("printf {} {}", format_text(format), args.join(" "))
        }
        RecordAction::Printa {
            format,
            aggregations,
        } => {
            let aggs: Vec<String> = aggregations
                .iter()
                .map(|agg| format!("agg {agg}"))
                .collect();
            let shown = format
                .as_deref()
                .map_or_else(|| "default".to_string(), format_text);
            format!("printa {shown} {}", aggs.join(" "))
        }
        RecordAction::Exit(field) => format!("exit {}", display_field(*field)),
        RecordAction::System { format, args } => {
            let args: Vec<String> = args.iter().copied().map(display_field).collect();
            format!("system {} {}", format_text(format), args.join(" "))
        }
        RecordAction::Freopen { format, args } => {
            let args: Vec<String> = args.iter().copied().map(display_field).collect();
            format!("freopen {} {}", format_text(format), args.join(" "))
        }
        RecordAction::Tracemem {
            offset,
            size,
            shown,
        } => match shown {
            Some(shown) => format!("tracemem bytes@{offset}+{size} {}", display_field(*shown)),
            None => format!("tracemem bytes@{offset}+{size}"),
        },
        RecordAction::Print {
            address,
            offset,
            size,
            ty,
        } => format!(
            "print {} ({}) bytes@{offset}+{size}",
            display_field(*address),
            ty.name
        ),
        RecordAction::Effect(action) => format!("effect {action}"),
        RecordAction::Clear { agg } => format!("clear agg {agg}"),
        RecordAction::Normalize { agg, factor } => {
            format!("normalize agg {agg} {}", display_field(*factor))
        }
        RecordAction::Denormalize { agg } => format!("denormalize agg {agg}"),
        RecordAction::Trunc { agg, count } => match count {
            Some(count) => format!("trunc agg {agg} {}", display_field(*count)),
            None => format!("trunc agg {agg}"),
        },
        RecordAction::Setopt { name, value } => match value {
            Some(value) => format!("setopt {} {}", display_field(*name), display_field(*value)),
            None => format!("setopt {}", display_field(*name)),
        },
        RecordAction::Commit(field) => format!("commit {}", display_field(*field)),
        RecordAction::Discard(field) => format!("discard {}", display_field(*field)),
    }
}

fn display_key(key_offset: Option<u32>) -> String {
    key_offset.map_or(String::new(), |offset| format!(" key scratch[{offset}]"))
}

fn display_inst(inst: &Inst) -> String {
    match inst {
        Inst::Const { dst, value } => format!("%{} = {value:#x}", dst.0),
        Inst::Bin { op, dst, lhs, rhs } => format!("%{} = {op:?} %{}, %{}", dst.0, lhs.0, rhs.0),
        Inst::Move { dst, src } => format!("%{} = %{}", dst.0, src.0),
        Inst::Neg { dst, src } => format!("%{} = neg %{}", dst.0, src.0),
        Inst::BitNot { dst, src } => format!("%{} = not %{}", dst.0, src.0),
        Inst::Extend {
            dst,
            src,
            size,
            signed,
        } => {
            format!(
                "%{} = {}ext{} %{}",
                dst.0,
                if *signed { "s" } else { "z" },
                size * 8,
                src.0
            )
        }
        Inst::Cmp {
            cond,
            dst,
            lhs,
            rhs,
        } => format!("%{} = cmp {cond:?} %{}, %{}", dst.0, lhs.0, rhs.0),
        Inst::Jump(label) => format!("jump L{}", label.0),
        Inst::JumpIf {
            cond,
            nonzero,
            target,
        } => {
            format!(
                "jump L{} if %{} {}",
                target.0,
                cond.0,
                if *nonzero { "!= 0" } else { "== 0" }
            )
        }
        Inst::Builtin { dst, builtin } => format!("%{} = {builtin:?}", dst.0),
        Inst::Store { offset, size, src } => format!("scratch[{offset}..+{size}] = %{}", src.0),
        Inst::StoreBytes {
            offset,
            bytes,
            size,
        } => {
            format!(
                "scratch[{offset}..+{size}] = {:?}",
                String::from_utf8_lossy(bytes)
            )
        }
        Inst::Zero { offset, size } => format!("scratch[{offset}..+{size}] = 0"),
        Inst::Copy {
            dst_offset,
            src_offset,
            size,
        } => {
            format!("scratch[{dst_offset}..+{size}] = scratch[{src_offset}..]")
        }
        Inst::CurrentComm { offset } => format!("scratch[{offset}..+{COMM_SIZE}] = comm"),
        Inst::Load {
            dst,
            addr,
            size,
            signed,
        } => format!(
            "%{} = load {}{} [%{}]",
            dst.0,
            if *signed { "s" } else { "u" },
            size * 8,
            addr.0
        ),
        Inst::ReadBytes { offset, addr, size } => {
            format!("scratch[{offset}..+{size}] = read [%{}]", addr.0)
        }
        Inst::ReadStr { offset, addr, size } => {
            format!("scratch[{offset}..+{size}] = readstr [%{}]", addr.0)
        }
        Inst::ProbeName { offset, field } => {
            format!("scratch[{offset}..+{PROBE_NAME_SIZE}] = probe {field:?}")
        }
        Inst::AggUpdate {
            agg,
            key_offset,
            value,
            incr,
        } => {
            let mut text = format!("aggregate agg {agg} key scratch[{key_offset}]");
            if let Some(value) = value {
                let _ = write!(text, " value %{}", value.0);
            }
            if let Some(incr) = incr {
                let _ = write!(text, " incr %{}", incr.0);
            }
            text
        }
        Inst::LoadVar {
            dst,
            var,
            key_offset,
        } => format!("%{} = load var {var}{}", dst.0, display_key(*key_offset)),
        Inst::LoadVarString {
            offset,
            var,
            key_offset,
        } => format!(
            "scratch[{offset}..] = load var {var}{}",
            display_key(*key_offset)
        ),
        Inst::StoreVar {
            var,
            key_offset,
            src,
        } => format!("store var {var}{} = %{}", display_key(*key_offset), src.0),
        Inst::StoreVarString {
            var,
            key_offset,
            offset,
        } => format!(
            "store var {var}{} = scratch[{offset}..]",
            display_key(*key_offset)
        ),
        Inst::DeleteVar { var, key_offset } => {
            format!("delete var {var}{}", display_key(Some(*key_offset)))
        }
        Inst::VarAddr {
            dst,
            var,
            key_offset,
        } => format!("%{} = address var {var}{}", dst.0, display_key(*key_offset)),
        Inst::CopyToVar {
            var,
            key_offset,
            offset,
            size,
            src,
        } => format!(
            "copy var {var}{} at %{}..+{size} = [%{}]",
            display_key(*key_offset),
            offset.0,
            src.0
        ),
        Inst::LoadVarMember {
            dst,
            var,
            key_offset,
            offset,
            size,
            signed,
        } => format!(
            "%{} = load {}{} var {var}{} at %{}",
            dst.0,
            if *signed { "s" } else { "u" },
            size * 8,
            display_key(*key_offset),
            offset.0
        ),
        Inst::StoreVarMember {
            var,
            key_offset,
            offset,
            size,
            src,
        } => format!(
            "store var {var}{} at %{}..+{size} = %{}",
            display_key(*key_offset),
            offset.0,
            src.0
        ),
        Inst::SetBit { offset, bit } => format!("scratch[{offset}..+4] |= 1 << {bit}"),
        Inst::ReadKernel {
            offset,
            size,
            address,
        } => format!("scratch[{offset}..+{size}] = kernel[%{}]", address.0),
        Inst::Raise { signal } => format!("raise %{}", signal.0),
        Inst::Chill { ns } => format!("chill %{}", ns.0),
        Inst::Speculate { id, abort } => format!("speculate %{} else jump L{}", id.0, abort.0),
        Inst::SpecBound { size, abort } => {
            format!(
                "if speculative and {size} > specsize: spec drop, jump L{}",
                abort.0
            )
        }
        Inst::FinishSpeculation { id, offset, commit } => format!(
            "scratch[{offset}..+8] = {} %{}",
            if *commit { "commit" } else { "discard" },
            id.0
        ),
        Inst::Drain => "drain".to_owned(),
        Inst::NotNull { ptr } => format!("fault unless %{}", ptr.0),
        Inst::CheckIndex { index, len } => format!("fault unless %{} < {len}", index.0),
        Inst::EmitRecord {
            offset,
            size,
            wakeup,
        } => {
            format!(
                "emit scratch[{offset}..+{size}]{}",
                if *wakeup { " wakeup" } else { "" }
            )
        }
        Inst::GetStack { offset, stack } => format!(
            "scratch[{offset}..+{}] = {}stack({})",
            stack.stored_size(),
            if stack.user { "u" } else { "" },
            stack.frames
        ),
        Inst::StackDepth {
            dst,
            offset,
            frames,
            user,
        } => format!(
            "%{} = {}stackdepth({frames}) via scratch[{offset}..]",
            dst.0,
            if *user { "u" } else { "" }
        ),
        Inst::Subr(subr) => subr.display(),
        Inst::Comment(_) | Inst::Label(_) => unreachable!("handled by the caller"),
    }
}

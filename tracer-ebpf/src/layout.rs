//! Byte layouts shared by generated code and userspace: the D context, records and map values.
//!
//! Generated code writes these layouts and the engine reads them through the same definitions, so a
//! change here changes both sides at once. Tests pin every size and offset.
//!
//! ```text
//! scratch map value (BPF_MAP_TYPE_PERCPU_ARRAY, one entry), per CPU:
//!   0    u32  probe_id       the probe that fired (DTrace's probe ID)
//!   4    u32  (pad)
//!   8    u64  clause_mask    bit i set: clause i of this program applies to this probe
//!   16   u64  args[10]       arg0..arg9
//!   96   u64  errno          errno for syscall return probes, else 0
//!   104  u64  timestamp      `timestamp` once a clause has read it, 0 before: one per firing
//!   112  u64  alloca_top     end of the current clause's `alloca` allocations (from 8)
//!   120  u64  (reserved)
//!   128  ...  clause temporaries: record being built, aggregation keys, strings
//! ```
//!
//! The scratch map has two entries per CPU: the probe that fired runs in entry 0, and the `ERROR`
//! probe's clauses run in entry [`SCRATCH_ERROR_ENTRY`], so that the faulting probe's D context
//! survives them and its next clauses run as if nothing happened.

/// Offset of `probe_id` (u32) in the D context.
pub const DCTX_PROBE_ID: i16 = 0;
/// Offset of `clause_mask` (u64) in the D context.
pub const DCTX_CLAUSE_MASK: i16 = 8;
/// Offset of `args[0]`; `args[i]` is at `DCTX_ARGS + 8 * i`.
pub const DCTX_ARGS: i16 = 16;
/// How many `argN` the D context holds.
pub const DCTX_N_ARGS: usize = 10;
/// Offset of `errno` (u64) in the D context.
pub const DCTX_ERRNO: i16 = 96;
/// Offset of the cached `timestamp` (u64): 0 until the first read after the probe fired.
pub const DCTX_TIMESTAMP: i16 = 104;
/// Offset of the current clause's `alloca` top (u64), an offset into the `alloca` area that starts
/// at 8 (0 is `NULL`) for every clause.
pub const DCTX_ALLOCA_TOP: i16 = 112;
/// Offset of `stack_skip` (u64) in the D context: the kernel frames of the probe machinery that
/// `stack()`, `caller` and `stackdepth` leave out, which each trampoline sets for its provider.
pub const DCTX_STACK_SKIP: i16 = 120;
/// Where clause temporaries start in the scratch value.
pub const SCRATCH_TEMP_BASE: u32 = 128;
/// The scratch map entry the `ERROR` probe's D context and clauses use.
pub const SCRATCH_ERROR_ENTRY: u32 = 1;
/// Entries in the scratch map.
pub const SCRATCH_ENTRIES: u32 = 2;

/// The map of the activity state, [`STATE_MAP`]: `BPF_MAP_TYPE_ARRAY`, one `u32` [`Activity`] at
/// key 0, shared by every CPU.
pub const STATE_MAP: &str = "state";

/// Where tracing is, as libdtrace's activity state (`dt_activity_t`): every program first checks
/// that the state is the one its probe runs in (`BEGIN` while inactive, `END` while draining, the
/// others while active), and so does each clause after one that may have called `exit()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Activity {
    /// Loaded and attached; only `BEGIN` runs. The engine makes it active once `BEGIN` has run.
    Inactive = 0,
    /// Tracing.
    Active = 1,
    /// `exit()` was called, or the engine is stopping: only `END` runs.
    Draining = 2,
}

/// The header that starts every record in the `events` ring buffer.
///
/// The data after it is laid out as the clause's [`RecordDesc`] says.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordHeader {
    /// Index of the clause (its record descriptor) that wrote the record.
    pub clause_id: u32,
    /// The probe that fired.
    pub probe_id: u32,
    /// The CPU it fired on. Clauses that do not speculate write it as a 32-bit word, which also
    /// clears the speculation fields after it.
    pub cpu: u16,
    /// The speculation the record belongs to (1 to `nspec`), or 0 for a record to print now.
    pub spec_id: u8,
    /// The low byte of that speculation's generation (see [`SPECS_MAP`]).
    pub spec_gen: u8,
    /// Bit `i` set: the clause's basic block `i` ran to its end, so the actions the record
    /// description places in block `i` are to be printed. Generated code sends no record whose
    /// mask is zero.
    pub blocks: u32,
}

/// Size of [`RecordHeader`] in bytes.
pub const RECORD_HEADER_SIZE: u32 = 16;
/// Offset of [`RecordHeader::clause_id`].
pub const RECORD_CLAUSE_ID: i16 = 0;
/// Offset of [`RecordHeader::probe_id`].
pub const RECORD_PROBE_ID: i16 = 4;
/// Offset of [`RecordHeader::cpu`].
pub const RECORD_CPU: i16 = 8;
/// Offset of [`RecordHeader::spec_id`].
pub const RECORD_SPEC_ID: i16 = 10;
/// Offset of [`RecordHeader::spec_gen`].
pub const RECORD_SPEC_GEN: i16 = 11;
/// Offset of [`RecordHeader::blocks`].
pub const RECORD_BLOCKS: i16 = 12;

impl RecordHeader {
    /// Decodes a header from the start of a record, if there are enough bytes.
    pub fn decode(bytes: &[u8]) -> Option<RecordHeader> {
        let word = |offset: usize| -> Option<u32> {
            let field = bytes.get(offset..offset + 4)?;
            Some(u32::from_ne_bytes(field.try_into().ok()?))
        };
        let cpu = bytes.get(8..10)?;
        Some(RecordHeader {
            clause_id: word(0)?,
            probe_id: word(4)?,
            cpu: u16::from_ne_bytes(cpu.try_into().ok()?),
            spec_id: *bytes.get(10)?,
            spec_gen: *bytes.get(11)?,
            blocks: word(12)?,
        })
    }
}

/// The `clause_id` of a fault record: a clause faulted and the rest of its firing was abandoned.
pub const FAULT_RECORD_ID: u32 = u32::MAX;

/// A fault record, sent when a clause faults, before the `ERROR` probe's clauses run. Its header's
/// `probe_id` is the probe that faulted; the fields are the `ERROR` probe's `arg2` to `arg5`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultRecord {
    /// `clause_id` is [`FAULT_RECORD_ID`], `blocks` is 1.
    pub header: RecordHeader,
    /// The index of the clause that faulted (DTrace's statement ID).
    pub clause: u64,
    /// The instruction that faulted, counted from the start of the clause's code.
    pub pc: u64,
    /// The fault, one of DTrace's `DTRACEFLT_*` codes ([`Fault`]).
    pub fault: u64,
    /// The address or value at fault (0 when none).
    pub addr: u64,
}

/// Size of [`FaultRecord`] in bytes.
pub const FAULT_RECORD_SIZE: u32 = 48;
/// Offset of [`FaultRecord::clause`]; `pc`, `fault` and `addr` follow it, 8 bytes each.
pub const FAULT_RECORD_CLAUSE: i16 = 16;

impl FaultRecord {
    /// Decodes a fault record, if there are enough bytes.
    pub fn decode(bytes: &[u8]) -> Option<FaultRecord> {
        let word = |offset: usize| -> Option<u64> {
            let field = bytes.get(offset..offset + 8)?;
            Some(u64::from_ne_bytes(field.try_into().ok()?))
        };
        Some(FaultRecord {
            header: RecordHeader::decode(bytes)?,
            clause: word(16)?,
            pc: word(24)?,
            fault: word(32)?,
            addr: word(40)?,
        })
    }
}

/// The runtime faults generated code detects, with DTrace's `DTRACEFLT_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// `DTRACEFLT_BADADDR`: a probe read failed.
    BadAddr = 1,
    /// `DTRACEFLT_ILLOP`: an illegal operation (a `chill()` too long).
    IllOp = 3,
    /// `DTRACEFLT_DIVZERO`: `/` or `%` by zero.
    DivZero = 4,
    /// `DTRACEFLT_NOSCRATCH`: an `alloca` that does not fit in `scratchsize`.
    NoScratch = 5,
    /// `DTRACEFLT_BADSIZE`: a copy of a negative or too large size, or past the `alloca` top.
    BadSize = 10,
    /// `DTRACEFLT_BADINDEX`: an array index out of bounds.
    BadIndex = 11,
}

/// The `stats` map (`BPF_MAP_TYPE_PERCPU_ARRAY`, one entry) value: counters generated code bumps.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records that did not fit in the ring buffer.
    pub drops: u64,
    /// Stores to dynamic variables (thread-locals, associative arrays) that found their map full.
    pub dynvar_drops: u64,
    /// Speculative records larger than `specsize`, which ended their clause.
    pub spec_drops: u64,
    /// `speculation()` calls that found no free speculation while some were being committed or
    /// discarded.
    pub spec_busy: u64,
    /// `speculation()` calls that found every speculation active.
    pub spec_unavail: u64,
    /// Aggregation updates of a new key that found the aggregation's map full.
    pub agg_drops: u64,
}

/// Offset of [`Stats::drops`].
pub const STATS_DROPS: i16 = 0;
/// Offset of [`Stats::dynvar_drops`].
pub const STATS_DYNVAR_DROPS: i16 = 8;
/// Offset of [`Stats::spec_drops`].
pub const STATS_SPEC_DROPS: i16 = 16;
/// Offset of [`Stats::spec_busy`].
pub const STATS_SPEC_BUSY: i16 = 24;
/// Offset of [`Stats::spec_unavail`].
pub const STATS_SPEC_UNAVAIL: i16 = 32;
/// Offset of [`Stats::agg_drops`].
pub const STATS_AGG_DROPS: i16 = 40;

/// The map of speculations: `BPF_MAP_TYPE_ARRAY` of `nspec + 1` `u64` state words, keyed by
/// speculation ID (entry 0 is unused), present when the program uses speculations.
///
/// ```text
/// state word:  generation << SPEC_GEN_SHIFT | state
///   SPEC_FREE         no one holds the ID
///   SPEC_ACTIVE       speculation() returned it; speculate() may add records to it
///   SPEC_COMMITTING   commit() ended it; the consumer prints its records, then frees it
///   SPEC_DISCARDING   discard() ended it; the consumer drops its records, then frees it
/// ```
///
/// Generated code moves an ID from free to active (bumping the generation) and from active to
/// committing or discarding with an atomic compare-and-exchange, so two CPUs never both win; only
/// the consumer, once it has handled the `commit()` or `discard()` record, sets it free again. A
/// speculative record carries its speculation's ID and generation, so records of an ID's earlier
/// use are never mixed with a later one's.
pub const SPECS_MAP: &str = "specs";
/// A speculation ID nobody holds.
pub const SPEC_FREE: u64 = 0;
/// A speculation `speculation()` returned, which `speculate()` may add to.
pub const SPEC_ACTIVE: u64 = 1;
/// A speculation `commit()` ended, until the consumer has printed it.
pub const SPEC_COMMITTING: u64 = 2;
/// A speculation `discard()` ended, until the consumer has dropped it.
pub const SPEC_DISCARDING: u64 = 3;
/// The bits of a state word holding the state.
pub const SPEC_STATE_MASK: u64 = 0xff;
/// Where a state word's generation starts.
pub const SPEC_GEN_SHIFT: u32 = 8;
/// The most speculations a program may have (`nspec`): the record header keeps the ID in a byte.
pub const MAX_NSPEC: u32 = 255;

/// Splits the field `commit()` and `discard()` record, `id | generation << 32`, into the ID (0
/// when the speculation was not active) and the generation's low byte.
pub fn finished_speculation(field: u64) -> (u8, u8) {
    let id = u8::try_from(field & 0xffff_ffff).unwrap_or(0);
    (id, (field >> 32) as u8)
}

mod stack;

pub use stack::{StackType, StackValue, SymKind, SymValue, Symbol, decode_stack, decode_sym};

/// The type of one recorded value, which says how many bytes it takes and how to print it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// An integer of `size` bytes (1, 2, 4, 8), stored widened to 8 bytes.
    Int {
        /// The D type's size in bytes.
        size: u8,
        /// Whether the D type is signed.
        signed: bool,
    },
    /// A NUL-padded string slot of `size` bytes (`strsize` characters and the NUL, rounded up to 8).
    Str {
        /// Bytes reserved for it.
        size: u32,
    },
    /// A stack (see `stack`).
    Stack(StackType),
    /// A symbolic address (see `stack`).
    Sym(SymKind),
    /// A struct, union or array value of `size` bytes, as an aggregation key: stored zero-padded to
    /// a multiple of 8 bytes.
    Bytes {
        /// The value's size in bytes.
        size: u32,
    },
}

impl ValueKind {
    /// Bytes the value takes in a record or key.
    pub fn stored_size(self) -> u32 {
        match self {
            ValueKind::Int { .. } => 8,
            ValueKind::Str { size } => size,
            ValueKind::Stack(stack) => stack.stored_size(),
            ValueKind::Sym(kind) => kind.stored_size(),
            ValueKind::Bytes { size } => size.next_multiple_of(8),
        }
    }

    /// Reads one value of this kind from the start of `bytes`.
    pub fn decode(self, bytes: &[u8]) -> Option<Value> {
        match self {
            ValueKind::Int { size, signed } => {
                let raw = u64::from_ne_bytes(bytes.get(..8)?.try_into().ok()?);
                Some(Value::Int {
                    bits: raw,
                    size,
                    signed,
                })
            }
            ValueKind::Str { size } => {
                let field = bytes.get(..size as usize)?;
                let len = field
                    .iter()
                    .position(|&byte| byte == 0)
                    .unwrap_or(field.len());
                Some(Value::Str(field[..len].to_vec()))
            }
            ValueKind::Stack(stack) => decode_stack(stack, bytes).map(Value::Stack),
            ValueKind::Sym(kind) => decode_sym(kind, bytes).map(Value::Sym),
            ValueKind::Bytes { size } => Some(Value::Bytes(bytes.get(..size as usize)?.to_vec())),
        }
    }
}

/// A D value read back from a record or an aggregation key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// An integer: its 64 bits, and the D type's size and signedness.
    Int {
        /// The bits, sign- or zero-extended to 64.
        bits: u64,
        /// The D type's size in bytes.
        size: u8,
        /// Whether the D type is signed.
        signed: bool,
    },
    /// A string, without its NUL padding.
    Str(Vec<u8>),
    /// A stack.
    Stack(StackValue),
    /// A symbolic address.
    Sym(SymValue),
    /// A struct, union or array value's bytes.
    Bytes(Vec<u8>),
}

/// Aggregating functions and their bucket parameters: the front end's, which map values are laid
/// out for.
pub use d_frontend::ir::{AGG_ID_SIZE, AggFunc, AggParams};

/// Offset of the generation word that starts every CPU's value of an aggregation entry.
///
/// ```text
/// per-CPU value of an aggregation entry (BPF_MAP_TYPE_PERCPU_HASH):
///   0    u64  generation   the aggregation's generation when this CPU last wrote the entry
///   8    ...  data         u64 words, as DTrace lays them out for the function:
///             count          [count]
///             sum            [total]
///             avg            [count, total]
///             stddev         [count, total, squares low 64 bits, squares high 64 bits]
///             min, max       [value]
///             quantize       [127 buckets: -2^62 .. -1, 0, 1 .. 2^62]
///             lquantize      [below base, levels buckets, from base + levels * step on]
///             llquantize     [negative overflow, negative buckets, |x| < factor^lmag,
///                             positive buckets, positive overflow]
/// ```
///
/// `clear()` bumps the aggregation's generation in the `agg_gen` map ([`AGG_GEN_MAP`]). Generated
/// code zeroes a CPU's data before it next updates an entry whose generation is older, and the
/// consumer counts only data of the current generation; so every key stays, with zero values, as in
/// DTrace. A CPU that never wrote an entry holds generation 0 (the kernel zero-fills the other CPUs'
/// values when one inserts a key), older than [`AGG_FIRST_GEN`].
pub const AGG_GEN: i16 = 0;
/// Offset of the function's data in an aggregation entry's per-CPU value.
pub const AGG_DATA: i16 = 8;
/// The generation every aggregation starts at.
pub const AGG_FIRST_GEN: u64 = 1;
/// The map of generations: `BPF_MAP_TYPE_ARRAY`, a `u64` per aggregation, keyed by its index.
pub const AGG_GEN_MAP: &str = "agg_gen";
/// `quantize()`'s buckets: powers of two from -2^62 to 2^62 around a bucket for 0.
pub const QUANTIZE_BUCKETS: u32 = 127;
/// The index of `quantize()`'s bucket for 0.
pub const QUANTIZE_ZERO_BUCKET: u32 = 63;

/// The geometry of `llquantize(x, factor, lmag, hmag, steps)`'s buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogLinear {
    /// The base of the magnitudes.
    pub factor: u16,
    /// The lowest magnitude.
    pub lmag: u16,
    /// The highest magnitude.
    pub hmag: u16,
    /// Buckets per magnitude.
    pub steps: u16,
}

impl LogLinear {
    /// The buckets of one magnitude that lower magnitudes do not already cover.
    pub fn buckets_per_magnitude(self) -> u32 {
        u32::from(self.steps) - u32::from(self.steps / self.factor)
    }

    /// The index of the bucket for `|x| < factor^lmag`, in the middle.
    pub fn underflow_bucket(self) -> u32 {
        1 + (u32::from(self.hmag) - u32::from(self.lmag) + 1) * self.buckets_per_magnitude()
    }

    /// How many buckets there are, both overflow buckets included.
    pub fn n_buckets(self) -> u32 {
        2 * self.underflow_bucket() + 1
    }
}

/// How many `u64` data words an aggregation of `func` with `params` keeps per CPU.
///
/// # Panics
///
/// If `lquantize` or `llquantize` comes without its parameters: sema always gives them.
pub fn agg_data_words(func: AggFunc, params: AggParams) -> u32 {
    match (func, params) {
        (AggFunc::Count | AggFunc::Sum | AggFunc::Min | AggFunc::Max, _) => 1,
        (AggFunc::Avg, _) => 2,
        (AggFunc::Stddev, _) => 4,
        (AggFunc::Quantize, _) => QUANTIZE_BUCKETS,
        (AggFunc::Lquantize, AggParams::Linear { levels, .. }) => u32::from(levels) + 2,
        (
            AggFunc::Llquantize,
            AggParams::LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            },
        ) => LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        }
        .n_buckets(),
        (func, params) => panic!("{func:?} aggregation with parameters {params:?}"),
    }
}

/// Bytes of one CPU's value of an aggregation entry: the generation, then the data.
pub fn agg_value_size(func: AggFunc, params: AggParams) -> u32 {
    AGG_DATA as u32 + 8 * agg_data_words(func, params)
}

/// One aggregation entry's value after merging the per-CPU values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggValue {
    /// `count()`
    Count(u64),
    /// `sum(x)` (two's-complement sum; printed signed).
    Sum(i64),
    /// `avg(x)`: how many values and their sum.
    Avg {
        /// Values aggregated.
        count: u64,
        /// Their sum.
        total: i64,
    },
    /// `stddev(x)`: how many values, their sum and the sum of their squares.
    Stddev {
        /// Values aggregated.
        count: u64,
        /// Their sum.
        total: i64,
        /// The sum of their squares, in 128 bits as DTrace keeps it.
        squares: u128,
    },
    /// `min(x)`
    Min(i64),
    /// `max(x)`
    Max(i64),
    /// `quantize`, `lquantize` or `llquantize`: the (signed) weight of each bucket.
    Histogram(Vec<i64>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_pinned() {
        assert_eq!(size_of::<RecordHeader>() as u32, RECORD_HEADER_SIZE);
        assert_eq!(
            std::mem::offset_of!(RecordHeader, clause_id) as i16,
            RECORD_CLAUSE_ID
        );
        assert_eq!(
            std::mem::offset_of!(RecordHeader, probe_id) as i16,
            RECORD_PROBE_ID
        );
        assert_eq!(std::mem::offset_of!(RecordHeader, cpu) as i16, RECORD_CPU);
        assert_eq!(
            std::mem::offset_of!(RecordHeader, spec_id) as i16,
            RECORD_SPEC_ID
        );
        assert_eq!(
            std::mem::offset_of!(RecordHeader, spec_gen) as i16,
            RECORD_SPEC_GEN
        );
        assert_eq!(
            RECORD_SPEC_ID as u32,
            d_frontend::ir::RECORD_SPEC_OFFSET,
            "lowering clears the speculation fields where the header has them"
        );
        assert_eq!(
            std::mem::offset_of!(RecordHeader, blocks) as i16,
            RECORD_BLOCKS
        );
        assert_eq!(
            RECORD_BLOCKS as u32,
            d_frontend::ir::RECORD_BLOCKS_OFFSET,
            "lowering writes the blocks mask where the header has it"
        );
        assert_eq!(
            u32::BITS as usize,
            d_frontend::ir::MAX_RECORD_BLOCKS,
            "the blocks mask has one bit per block"
        );
        assert_eq!(std::mem::offset_of!(Stats, drops) as i16, STATS_DROPS);
        assert_eq!(
            std::mem::offset_of!(Stats, dynvar_drops) as i16,
            STATS_DYNVAR_DROPS
        );
        assert_eq!(
            std::mem::offset_of!(Stats, spec_drops) as i16,
            STATS_SPEC_DROPS
        );
        assert_eq!(
            std::mem::offset_of!(Stats, spec_busy) as i16,
            STATS_SPEC_BUSY
        );
        assert_eq!(
            std::mem::offset_of!(Stats, spec_unavail) as i16,
            STATS_SPEC_UNAVAIL
        );
    }

    #[test]
    fn a_32_bit_cpu_clears_the_speculation_fields() {
        let mut bytes = vec![0xffu8; 16];
        bytes[8..12].copy_from_slice(&3u32.to_ne_bytes());
        let header = RecordHeader::decode(&bytes).expect("16 bytes");
        assert_eq!((header.cpu, header.spec_id, header.spec_gen), (3, 0, 0));
        bytes[10] = 2;
        bytes[11] = 7;
        let header = RecordHeader::decode(&bytes).expect("16 bytes");
        assert_eq!((header.cpu, header.spec_id, header.spec_gen), (3, 2, 7));
    }

    #[test]
    fn finished_speculations_split_into_id_and_generation() {
        assert_eq!(finished_speculation(0), (0, 0));
        assert_eq!(finished_speculation(3 | (0x1_02 << 32)), (3, 2));
        assert_eq!(finished_speculation(0x1_0000_0000), (0, 1));
        assert_eq!(finished_speculation(300), (0, 0));
    }

    #[test]
    fn fault_record_layout_is_pinned() {
        assert_eq!(size_of::<FaultRecord>() as u32, FAULT_RECORD_SIZE);
        assert_eq!(
            std::mem::offset_of!(FaultRecord, clause) as i16,
            FAULT_RECORD_CLAUSE
        );
        assert_eq!(
            std::mem::offset_of!(FaultRecord, addr) as i16,
            FAULT_RECORD_CLAUSE + 24
        );
        let mut bytes = vec![0u8; 48];
        bytes[..4].copy_from_slice(&FAULT_RECORD_ID.to_ne_bytes());
        bytes[32..40].copy_from_slice(&4u64.to_ne_bytes());
        let record = FaultRecord::decode(&bytes).expect("48 bytes");
        assert_eq!(record.header.clause_id, FAULT_RECORD_ID);
        assert_eq!(record.fault, Fault::DivZero as u64);
        assert_eq!(FaultRecord::decode(&bytes[..47]), None);
    }

    #[test]
    fn dctx_fields_do_not_overlap_temporaries() {
        let args_end = DCTX_ARGS as usize + 8 * DCTX_N_ARGS;
        assert!(args_end <= DCTX_ERRNO as usize);
        const {
            assert!((DCTX_ERRNO as u32) + 8 <= DCTX_TIMESTAMP as u32);
            assert!(DCTX_TIMESTAMP < DCTX_ALLOCA_TOP);
            assert!(DCTX_ALLOCA_TOP < DCTX_STACK_SKIP);
            assert!((DCTX_STACK_SKIP as u32) + 8 <= SCRATCH_TEMP_BASE);
        };
    }

    #[test]
    fn strings_stop_at_nul() {
        let kind = ValueKind::Str { size: 8 };
        assert_eq!(
            kind.decode(b"cat\0\0\0\0\0"),
            Some(Value::Str(b"cat".to_vec()))
        );
        assert_eq!(kind.decode(b"short"), None);
    }
}

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
//!   104  u64  (reserved)
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
/// Where clause temporaries start in the scratch value.
pub const SCRATCH_TEMP_BASE: u32 = 128;
/// The scratch map entry the `ERROR` probe's D context and clauses use.
pub const SCRATCH_ERROR_ENTRY: u32 = 1;
/// Entries in the scratch map.
pub const SCRATCH_ENTRIES: u32 = 2;

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
    /// The CPU it fired on.
    pub cpu: u32,
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
/// Offset of [`RecordHeader::blocks`].
pub const RECORD_BLOCKS: i16 = 12;

impl RecordHeader {
    /// Decodes a header from the start of a record, if there are enough bytes.
    pub fn decode(bytes: &[u8]) -> Option<RecordHeader> {
        let word = |offset: usize| -> Option<u32> {
            let field = bytes.get(offset..offset + 4)?;
            Some(u32::from_ne_bytes(field.try_into().ok()?))
        };
        Some(RecordHeader {
            clause_id: word(0)?,
            probe_id: word(4)?,
            cpu: word(8)?,
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
}

/// The `stats` map (`BPF_MAP_TYPE_PERCPU_ARRAY`, one entry) value: counters generated code bumps.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records that did not fit in the ring buffer.
    pub drops: u64,
    /// Stores to dynamic variables (thread-locals, associative arrays) that found their map full.
    pub dynvar_drops: u64,
}

/// Offset of [`Stats::drops`].
pub const STATS_DROPS: i16 = 0;
/// Offset of [`Stats::dynvar_drops`].
pub const STATS_DYNVAR_DROPS: i16 = 8;

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
}

impl ValueKind {
    /// Bytes the value takes in a record or key.
    pub fn stored_size(self) -> u32 {
        match self {
            ValueKind::Int { .. } => 8,
            ValueKind::Str { size } => size,
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
}

/// Aggregating functions: the front end's, which records and map values are laid out for.
pub use d_frontend::ir::AggFunc;

/// One CPU's value of an aggregation entry (`BPF_MAP_TYPE_PERCPU_HASH` value).
///
/// `n` counts the values aggregated on that CPU; `v` is their sum (`sum`, `avg`) or the extreme
/// (`min`, `max`), and unused for `count`. A slot with `n == 0` was never written on that CPU (the
/// kernel zeroes other CPUs' slots when one CPU inserts a key), so `min`/`max` skip it when merging.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AggSlot {
    /// Values aggregated on this CPU.
    pub n: u64,
    /// Their sum, minimum or maximum.
    pub v: i64,
}

/// One aggregation entry's value after merging the per-CPU values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggValue {
    /// `count()`
    Count(u64),
    /// `sum(x)` (two's-complement sum; printed signed).
    Sum(i64),
    /// `avg(x)`: how many values and their sum; printed as `total / count`.
    Avg {
        /// Values aggregated.
        count: u64,
        /// Their sum.
        total: i64,
    },
    /// `min(x)`
    Min(i64),
    /// `max(x)`
    Max(i64),
}

impl AggValue {
    /// The value printa's `%@` conversions and the default layout print.
    pub fn scalar(self) -> i64 {
        match self {
            AggValue::Count(count) => count as i64,
            AggValue::Sum(total) => total,
            AggValue::Avg { count, total } => {
                if count == 0 {
                    0
                } else {
                    total / count as i64
                }
            }
            AggValue::Min(value) | AggValue::Max(value) => value,
        }
    }
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
        assert!((DCTX_ERRNO as u32) + 8 <= SCRATCH_TEMP_BASE);
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

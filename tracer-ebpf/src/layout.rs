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
    /// Zero.
    pub reserved: u32,
}

/// Size of [`RecordHeader`] in bytes.
pub const RECORD_HEADER_SIZE: u32 = 16;
/// Offset of [`RecordHeader::clause_id`].
pub const RECORD_CLAUSE_ID: i16 = 0;
/// Offset of [`RecordHeader::probe_id`].
pub const RECORD_PROBE_ID: i16 = 4;
/// Offset of [`RecordHeader::cpu`].
pub const RECORD_CPU: i16 = 8;

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
            reserved: word(12)?,
        })
    }
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
        assert_eq!(std::mem::offset_of!(Stats, drops) as i16, STATS_DROPS);
        assert_eq!(
            std::mem::offset_of!(Stats, dynvar_drops) as i16,
            STATS_DYNVAR_DROPS
        );
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

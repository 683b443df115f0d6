//! Aggregations: reading a `BPF_MAP_TYPE_PERCPU_HASH` and merging each key's per-CPU values.
//!
//! Generated code updates only the slot of the CPU it runs on, so no lock is taken in the kernel;
//! userspace pays instead, merging the slots when it reads. Merging and key decoding are pure
//! functions ([`merge_per_cpu`], [`decode_key`]) so they are tested without a kernel.
//!
//! Every function keeps one [`AggSlot`] `{ n, v }` per CPU:
//!
//! ```text
//! count  n: values                 merged: sum of n
//! sum    n: values, v: total       merged: sum of v (two's complement)
//! avg    n: values, v: total       merged: sum of n, sum of v
//! min    n: values, v: minimum     merged: min of v over the slots with n > 0
//! max    n: values, v: maximum     merged: max of v over the slots with n > 0
//! ```
//!
//! The kernel zero-fills the other CPUs' slots when a program inserts a key, so a CPU that never
//! saw a key holds `n == 0` for it: the identity for `count`, `sum` and `avg`, and skipped by
//! `min` and `max`, for which a zero `v` would otherwise be a value nobody recorded.

use tracer_ebpf::layout::{AggFunc, AggSlot, AggValue, Value, ValueKind};
use tracer_ebpf::plan::AggDesc;

use crate::error::EngineError;
use crate::load::Session;
use crate::maps::RawMap;

impl Session {
    /// Every entry of the aggregation `agg`: its key decoded with `agg.keys` and its value merged
    /// across CPUs, sorted by key.
    pub fn aggregation(&self, agg: &AggDesc) -> Result<Vec<(Vec<Value>, AggValue)>, EngineError> {
        let map = RawMap::open(&self.ebpf, &agg.map)?;
        let key_size = agg.key_size() as usize;
        if map.key_size() != key_size {
            return Err(EngineError::KeySize {
                map: agg.map.clone(),
                size: key_size,
                expected: map.key_size(),
            });
        }
        let value_size = size_of::<AggSlot>();
        if map.value_size() != value_size {
            return Err(EngineError::ValueSize {
                map: agg.map.clone(),
                size: value_size,
                expected: map.value_size(),
            });
        }
        let mut entries = Vec::new();
        for key in map.keys()? {
            // A key deleted since the walk saw it is simply gone.
            let Some(per_cpu) = map.lookup(&key)? else {
                continue;
            };
            let Some(slots) = per_cpu
                .iter()
                .map(|value| decode_slot(value))
                .collect::<Option<Vec<_>>>()
            else {
                unreachable!("value sizes were checked against map `{}`", agg.map);
            };
            // A `min` or `max` entry no CPU has written yet has no value to show.
            let Some(merged) = merge_per_cpu(agg.func, &slots) else {
                continue;
            };
            let Some(values) = decode_key(&agg.keys, &key) else {
                unreachable!("key sizes were checked against map `{}`", agg.map);
            };
            entries.push((values, merged));
        }
        entries.sort_by(|lhs, rhs| lhs.0.cmp(&rhs.0));
        Ok(entries)
    }
}

/// Reads one CPU's [`AggSlot`] from the start of `bytes`; `None` when there are too few.
pub fn decode_slot(bytes: &[u8]) -> Option<AggSlot> {
    let word =
        |offset: usize| -> Option<[u8; 8]> { bytes.get(offset..offset + 8)?.try_into().ok() };
    Some(AggSlot {
        n: u64::from_ne_bytes(word(std::mem::offset_of!(AggSlot, n))?),
        v: i64::from_ne_bytes(word(std::mem::offset_of!(AggSlot, v))?),
    })
}

/// Merges one key's per-CPU slots into its value; `None` for a `min` or `max` that no CPU has
/// written (every `n` is 0).
pub fn merge_per_cpu(func: AggFunc, slots: &[AggSlot]) -> Option<AggValue> {
    let count = || {
        slots
            .iter()
            .fold(0, |count, slot| slot.n.wrapping_add(count))
    };
    let total = || {
        slots
            .iter()
            .fold(0, |total: i64, slot| total.wrapping_add(slot.v))
    };
    let written = || slots.iter().filter(|slot| slot.n != 0).map(|slot| slot.v);
    let merged = match func {
        AggFunc::Count => AggValue::Count(count()),
        AggFunc::Sum => AggValue::Sum(total()),
        AggFunc::Avg => AggValue::Avg {
            count: count(),
            total: total(),
        },
        AggFunc::Min => AggValue::Min(written().min()?),
        AggFunc::Max => AggValue::Max(written().max()?),
    };
    Some(merged)
}

/// Splits an aggregation key into its values, one per kind, stored back to back; `None` when the
/// key is too short. The 8 zero bytes of a key-less aggregation decode to no values.
pub fn decode_key(kinds: &[ValueKind], key: &[u8]) -> Option<Vec<Value>> {
    let mut offset = 0usize;
    let mut values = Vec::with_capacity(kinds.len());
    for kind in kinds {
        values.push(kind.decode(key.get(offset..)?)?);
        offset = offset.checked_add(kind.stored_size() as usize)?;
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(n: u64, v: i64) -> AggSlot {
        AggSlot { n, v }
    }

    #[test]
    fn count_and_sum_add_every_cpu() {
        let slots = [slot(3, 0), slot(0, 0), slot(4, 0)];
        assert_eq!(
            merge_per_cpu(AggFunc::Count, &slots),
            Some(AggValue::Count(7))
        );
        let slots = [slot(2, -10), slot(0, 0), slot(1, 4)];
        assert_eq!(merge_per_cpu(AggFunc::Sum, &slots), Some(AggValue::Sum(-6)));
    }

    #[test]
    fn avg_adds_counts_and_totals() {
        let slots = [slot(2, 10), slot(0, 0), slot(1, -4)];
        assert_eq!(
            merge_per_cpu(AggFunc::Avg, &slots),
            Some(AggValue::Avg { count: 3, total: 6 })
        );
    }

    #[test]
    fn min_and_max_skip_cpus_that_never_saw_the_key() {
        let slots = [slot(1, 7), slot(0, 0), slot(3, 12)];
        assert_eq!(merge_per_cpu(AggFunc::Min, &slots), Some(AggValue::Min(7)));
        let slots = [slot(1, -7), slot(0, 0), slot(3, -12)];
        assert_eq!(merge_per_cpu(AggFunc::Max, &slots), Some(AggValue::Max(-7)));
        let slots = [slot(1, i64::MIN), slot(2, i64::MAX)];
        assert_eq!(
            merge_per_cpu(AggFunc::Min, &slots),
            Some(AggValue::Min(i64::MIN))
        );
        assert_eq!(
            merge_per_cpu(AggFunc::Max, &slots),
            Some(AggValue::Max(i64::MAX))
        );
        // A real 0 counts.
        let slots = [slot(1, 0), slot(1, 5)];
        assert_eq!(merge_per_cpu(AggFunc::Min, &slots), Some(AggValue::Min(0)));
    }

    #[test]
    fn min_and_max_without_values_are_none() {
        let slots = [slot(0, 0), slot(0, 0)];
        assert_eq!(merge_per_cpu(AggFunc::Min, &slots), None);
        assert_eq!(merge_per_cpu(AggFunc::Max, &[]), None);
        assert_eq!(
            merge_per_cpu(AggFunc::Count, &slots),
            Some(AggValue::Count(0))
        );
    }

    #[test]
    fn sums_wrap_instead_of_panicking() {
        let slots = [slot(1, i64::MAX), slot(1, 1)];
        assert_eq!(
            merge_per_cpu(AggFunc::Sum, &slots),
            Some(AggValue::Sum(i64::MIN))
        );
        let slots = [slot(u64::MAX, 0), slot(2, 0)];
        assert_eq!(
            merge_per_cpu(AggFunc::Count, &slots),
            Some(AggValue::Count(1))
        );
    }

    #[test]
    fn slots_decode_from_bytes() {
        let mut bytes = 3u64.to_ne_bytes().to_vec();
        bytes.extend_from_slice(&(-9i64).to_ne_bytes());
        assert_eq!(decode_slot(&bytes), Some(slot(3, -9)));
        assert_eq!(decode_slot(&bytes[..15]), None);
    }

    #[test]
    fn keys_split_into_values() {
        let kinds = [
            ValueKind::Str { size: 8 },
            ValueKind::Int {
                size: 4,
                signed: true,
            },
        ];
        let mut key = b"cat\0\0\0\0\0".to_vec();
        key.extend_from_slice(&(-2i64).to_ne_bytes());
        assert_eq!(
            decode_key(&kinds, &key),
            Some(vec![
                Value::Str(b"cat".to_vec()),
                Value::Int {
                    bits: (-2i64) as u64,
                    size: 4,
                    signed: true
                }
            ])
        );
        assert_eq!(decode_key(&kinds, &key[..15]), None);
        assert_eq!(decode_key(&[], &[0; 8]), Some(Vec::new()));
    }
}

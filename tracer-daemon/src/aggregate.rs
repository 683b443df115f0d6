//! Aggregations: reading a `BPF_MAP_TYPE_PERCPU_HASH` and merging each key's per-CPU values.
//!
//! Aggregations with the same key and value sizes share a map, each key starting with the
//! aggregation's ID ([`AggDesc::map_key`]); reading, truncating and deleting take only the keys
//! of the aggregation at hand, and `clear()` moves only its generation. Aggregations without keys
//! are elements of a `BPF_MAP_TYPE_PERCPU_ARRAY` instead ([`AggDesc::array`]), which always exist:
//! one is in the aggregation once a CPU has written it (its generation is not 0), and `trunc()`
//! zeroes it on every CPU.
//!
//! Generated code updates only the value of the CPU it runs on, so no lock is taken in the kernel;
//! userspace pays instead, merging the values when it reads. Merging and key decoding are pure
//! functions ([`merge_per_cpu`], [`decode_key`]) so they are tested without a kernel.
//!
//! Each CPU's value is a generation word and the function's data (`layout::AGG_GEN`). Only data of
//! the aggregation's current generation counts; older data was cleared by `clear()` or never
//! written (generation 0). The live data merges as DTrace merges its per-CPU buffers:
//!
//! ```text
//! count, sum, avg, stddev, histograms   every word added (two's complement, wrapping)
//! min, max                              the least or greatest value
//! ```
//!
//! An entry with no live data still exists, with zero values (`INT64_MAX` for `min` and
//! `INT64_MIN` for `max`, the values DTrace resets them to), so `clear()` keeps every key.

use tracer_ebpf::layout::{
    AGG_DATA, AGG_GEN_MAP, AGG_ID_SIZE, AggFunc, AggValue, Value, ValueKind, agg_data_words,
    agg_value_size,
};
use tracer_ebpf::plan::AggDesc;

use crate::error::EngineError;
use crate::load::Session;
use crate::maps::{BPF_ANY, RawMap};

/// One CPU's value of an aggregation entry: its generation and data words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuValue {
    /// The generation it was written in.
    pub generation: u64,
    /// The function's data.
    pub words: Vec<u64>,
}

/// An aggregation's map as read, undecoded: its generation and every entry's key and per-CPU
/// values. This is what crosses the daemon's socket; [`merge_raw`] turns it into entries on
/// whichever side prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawAggregation {
    /// The aggregation's current generation.
    pub generation: u64,
    /// Each key's bytes and its value's bytes on every possible CPU.
    pub entries: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
}

impl Session {
    /// Every entry of the aggregation `agg`: its key decoded with `agg.keys` and its value merged
    /// across CPUs, sorted by key.
    pub fn aggregation(&self, agg: &AggDesc) -> Result<Vec<(Vec<Value>, AggValue)>, EngineError> {
        merge_raw(agg, &self.raw_aggregation(agg)?)
    }

    /// The aggregation's entries as they are now, undecoded: its keys in the map it shares, without
    /// the aggregation's ID.
    pub fn raw_aggregation(&self, agg: &AggDesc) -> Result<RawAggregation, EngineError> {
        let mut raws = self.raw_aggregations(&[agg])?;
        Ok(raws.pop().unwrap_or_default())
    }

    /// The entries of each of `aggs`, reading each map they share once: one walk of a map's keys
    /// serves every aggregation in it.
    pub fn raw_aggregations(&self, aggs: &[&AggDesc]) -> Result<Vec<RawAggregation>, EngineError> {
        let mut raws = aggs
            .iter()
            .map(|agg| {
                Ok(RawAggregation {
                    generation: self.generation(agg)?,
                    entries: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        let mut walked: Vec<&str> = Vec::new();
        for (agg_idx, agg) in aggs.iter().enumerate() {
            if agg.array {
                let map = self.aggregation_map(agg)?;
                if let Some(per_cpu) = map.lookup(&agg.map_key(&[]))?
                    && per_cpu.iter().any(|value| was_written(value))
                {
                    let tuple = vec![0; agg.key_size() as usize];
                    raws[agg_idx].entries.push((tuple, per_cpu));
                }
                continue;
            }
            if walked.contains(&agg.map.as_str()) {
                continue;
            }
            walked.push(&agg.map);
            let map = self.aggregation_map(agg)?;
            let readers: Vec<usize> = (0..aggs.len())
                .filter(|&agg_idx| aggs[agg_idx].map == agg.map)
                .collect();
            for key in map.keys()? {
                // The same aggregation may be asked for twice (`printa(@a, @a)`).
                let owners: Vec<usize> = readers
                    .iter()
                    .copied()
                    .filter(|&agg_idx| aggs[agg_idx].tuple_of(&key).is_some())
                    .collect();
                if owners.is_empty() {
                    continue;
                }
                // A key deleted since the walk saw it is simply gone.
                let Some(per_cpu) = map.lookup(&key)? else {
                    continue;
                };
                let tuple = &key[AGG_ID_SIZE as usize..];
                for agg_idx in owners {
                    raws[agg_idx]
                        .entries
                        .push((tuple.to_vec(), per_cpu.clone()));
                }
            }
        }
        Ok(raws)
    }

    /// `clear(@a)`: starts the aggregation's next generation, which zeroes every value and keeps
    /// every key.
    pub fn clear_aggregation(&self, agg: &AggDesc) -> Result<(), EngineError> {
        let generations = RawMap::open(&self.ebpf, AGG_GEN_MAP)?;
        let next = self.generation(agg)?.wrapping_add(1);
        generations.update(&agg.generation.to_ne_bytes(), &next.to_ne_bytes(), BPF_ANY)
    }

    /// Deletes the entries whose keys are in `doomed`, on every CPU (`trunc()`).
    pub fn remove_aggregation_keys(
        &self,
        agg: &AggDesc,
        doomed: &[Vec<Value>],
    ) -> Result<(), EngineError> {
        let raw_keys = doomed_raw_keys(agg, &self.raw_aggregation(agg)?, doomed);
        self.delete_aggregation_keys(agg, &raw_keys)
    }

    /// Deletes the entries whose undecoded keys (without the aggregation's ID) are `raw_keys`, on
    /// every CPU; the other aggregations in the map keep theirs.
    pub fn delete_aggregation_keys(
        &self,
        agg: &AggDesc,
        raw_keys: &[Vec<u8>],
    ) -> Result<(), EngineError> {
        let map = self.aggregation_map(agg)?;
        for tuple in raw_keys {
            let key = agg.map_key(tuple);
            if agg.array {
                // An array element cannot be deleted; generation 0 on every CPU is its absence.
                map.update(&key, &vec![0; map.value_size()], BPF_ANY)?;
            } else if key.len() == map.key_size() {
                map.delete(&key)?;
            }
        }
        Ok(())
    }

    /// The aggregation's map, with its key and value sizes checked against `agg`.
    fn aggregation_map<'a>(&'a self, agg: &'a AggDesc) -> Result<RawMap<'a>, EngineError> {
        let map = RawMap::open(&self.ebpf, &agg.map)?;
        let key_size = agg.map_key_size() as usize;
        if map.key_size() != key_size {
            return Err(EngineError::KeySize {
                map: agg.map.clone(),
                size: key_size,
                expected: map.key_size(),
            });
        }
        let value_size = agg_value_size(agg.func, agg.params) as usize;
        if map.value_size() != value_size {
            return Err(EngineError::ValueSize {
                map: agg.map.clone(),
                size: value_size,
                expected: map.value_size(),
            });
        }
        Ok(map)
    }

    /// The aggregation's current generation.
    fn generation(&self, agg: &AggDesc) -> Result<u64, EngineError> {
        let generations = RawMap::open(&self.ebpf, AGG_GEN_MAP)?;
        let value = generations
            .lookup(&agg.generation.to_ne_bytes())?
            .and_then(|per_cpu| per_cpu.into_iter().next());
        let Some(word) = value.as_deref().and_then(|bytes| bytes.get(..8)) else {
            return Err(EngineError::ValueSize {
                map: AGG_GEN_MAP.to_owned(),
                size: 8,
                expected: value.map_or(0, |bytes| bytes.len()),
            });
        };
        Ok(u64::from_ne_bytes(word.try_into().unwrap_or_default()))
    }
}

/// Decodes every entry of `raw`, read from the map of `agg`: keys with `agg.keys`, values merged
/// across CPUs; sorted by key. Bytes of the wrong size (from a broken peer) are an error.
pub fn merge_raw(
    agg: &AggDesc,
    raw: &RawAggregation,
) -> Result<Vec<(Vec<Value>, AggValue)>, EngineError> {
    let n_words = agg_data_words(agg.func, agg.params) as usize;
    let value_size = agg_value_size(agg.func, agg.params) as usize;
    let mut entries = Vec::with_capacity(raw.entries.len());
    for (key, per_cpu) in &raw.entries {
        let values = per_cpu
            .iter()
            .map(|value| decode_value(value, n_words))
            .collect::<Option<Vec<_>>>();
        let Some(values) = values else {
            let size = per_cpu.iter().map(Vec::len).min().unwrap_or(0);
            return Err(EngineError::ValueSize {
                map: agg.map.clone(),
                size,
                expected: value_size,
            });
        };
        let Some(keys) = decode_key(&agg.keys, key) else {
            return Err(EngineError::KeySize {
                map: agg.map.clone(),
                size: key.len(),
                expected: agg.key_size() as usize,
            });
        };
        entries.push((keys, merge_per_cpu(agg.func, raw.generation, &values)));
    }
    entries.sort_by(|lhs, rhs| lhs.0.cmp(&rhs.0));
    Ok(entries)
}

/// The undecoded keys among `raw`'s entries whose decoded keys are in `doomed`.
pub fn doomed_raw_keys(agg: &AggDesc, raw: &RawAggregation, doomed: &[Vec<Value>]) -> Vec<Vec<u8>> {
    raw.entries
        .iter()
        .filter(|(key, _)| decode_key(&agg.keys, key).is_some_and(|keys| doomed.contains(&keys)))
        .map(|(key, _)| key.clone())
        .collect()
}

/// Whether one CPU's value of an element of an array of aggregations without keys was written:
/// its generation is not 0.
fn was_written(value: &[u8]) -> bool {
    value
        .get(..8)
        .is_some_and(|generation| generation.iter().any(|&byte| byte != 0))
}

/// Reads one CPU's value of `n_words` data words; `None` when `bytes` is too short.
pub fn decode_value(bytes: &[u8], n_words: usize) -> Option<CpuValue> {
    let word = |word_idx: usize| -> Option<u64> {
        let start = word_idx.checked_mul(8)?;
        let field = bytes.get(start..start.checked_add(8)?)?;
        Some(u64::from_ne_bytes(field.try_into().ok()?))
    };
    let first_data = AGG_DATA as usize / 8;
    Some(CpuValue {
        generation: word(0)?,
        words: (first_data..first_data + n_words)
            .map(word)
            .collect::<Option<_>>()?,
    })
}

/// Merges one key's per-CPU values of the current `generation` into its value.
pub fn merge_per_cpu(func: AggFunc, generation: u64, values: &[CpuValue]) -> AggValue {
    let live: Vec<&[u64]> = values
        .iter()
        .filter(|value| value.generation == generation)
        .map(|value| value.words.as_slice())
        .collect();
    let sum = |word_idx: usize| {
        live.iter().fold(0u64, |total, words| {
            total.wrapping_add(words.get(word_idx).copied().unwrap_or(0))
        })
    };
    let firsts = live
        .iter()
        .map(|words| words.first().copied().unwrap_or(0) as i64);
    match func {
        AggFunc::Count => AggValue::Count(sum(0)),
        AggFunc::Sum => AggValue::Sum(sum(0) as i64),
        AggFunc::Avg => AggValue::Avg {
            count: sum(0),
            total: sum(1) as i64,
        },
        AggFunc::Stddev => AggValue::Stddev {
            count: sum(0),
            total: sum(1) as i64,
            squares: live.iter().fold(0u128, |total, words| {
                let low = words.get(2).copied().unwrap_or(0);
                let high = words.get(3).copied().unwrap_or(0);
                total.wrapping_add(u128::from(high) << 64 | u128::from(low))
            }),
        },
        AggFunc::Min => AggValue::Min(firsts.min().unwrap_or(i64::MAX)),
        AggFunc::Max => AggValue::Max(firsts.max().unwrap_or(i64::MIN)),
        AggFunc::Quantize | AggFunc::Lquantize | AggFunc::Llquantize => {
            let n_buckets = values.first().map_or(0, |value| value.words.len());
            AggValue::Histogram((0..n_buckets).map(|bucket| sum(bucket) as i64).collect())
        }
    }
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

    const LIVE: u64 = 3;

    fn cpu(generation: u64, words: &[i64]) -> CpuValue {
        CpuValue {
            generation,
            words: words.iter().map(|&word| word as u64).collect(),
        }
    }

    #[test]
    fn count_and_sum_add_every_live_cpu() {
        let values = [cpu(LIVE, &[3]), cpu(0, &[0]), cpu(LIVE, &[4])];
        assert_eq!(
            merge_per_cpu(AggFunc::Count, LIVE, &values),
            AggValue::Count(7)
        );
        let values = [cpu(LIVE, &[-10]), cpu(LIVE - 1, &[100]), cpu(LIVE, &[4])];
        assert_eq!(
            merge_per_cpu(AggFunc::Sum, LIVE, &values),
            AggValue::Sum(-6)
        );
    }

    #[test]
    fn avg_and_stddev_add_counts_totals_and_squares() {
        let values = [cpu(LIVE, &[2, 10]), cpu(0, &[0, 0]), cpu(LIVE, &[1, -4])];
        assert_eq!(
            merge_per_cpu(AggFunc::Avg, LIVE, &values),
            AggValue::Avg { count: 3, total: 6 }
        );
        let values = [
            cpu(LIVE, &[1, 1, -1, 0]),
            cpu(LIVE, &[1, 2, 5, 7]),
            cpu(LIVE - 1, &[9, 9, 9, 9]),
        ];
        assert_eq!(
            merge_per_cpu(AggFunc::Stddev, LIVE, &values),
            AggValue::Stddev {
                count: 2,
                total: 3,
                squares: (8 << 64) | 4
            }
        );
    }

    #[test]
    fn min_and_max_take_only_live_cpus() {
        let values = [cpu(LIVE, &[7]), cpu(0, &[0]), cpu(LIVE, &[12])];
        assert_eq!(merge_per_cpu(AggFunc::Min, LIVE, &values), AggValue::Min(7));
        let values = [cpu(LIVE, &[-7]), cpu(LIVE - 1, &[5]), cpu(LIVE, &[-12])];
        assert_eq!(
            merge_per_cpu(AggFunc::Max, LIVE, &values),
            AggValue::Max(-7)
        );
        // A real 0 counts.
        let values = [cpu(LIVE, &[0]), cpu(LIVE, &[5])];
        assert_eq!(merge_per_cpu(AggFunc::Min, LIVE, &values), AggValue::Min(0));
    }

    #[test]
    fn cleared_entries_keep_their_keys_with_reset_values() {
        let stale = [cpu(LIVE - 1, &[40]), cpu(0, &[0])];
        assert_eq!(
            merge_per_cpu(AggFunc::Count, LIVE, &stale),
            AggValue::Count(0)
        );
        assert_eq!(
            merge_per_cpu(AggFunc::Min, LIVE, &stale),
            AggValue::Min(i64::MAX)
        );
        assert_eq!(
            merge_per_cpu(AggFunc::Max, LIVE, &stale),
            AggValue::Max(i64::MIN)
        );
    }

    #[test]
    fn histograms_add_bucket_by_bucket() {
        let values = [
            cpu(LIVE, &[1, 0, -2]),
            cpu(LIVE, &[0, 5, 1]),
            cpu(0, &[0, 0, 0]),
        ];
        assert_eq!(
            merge_per_cpu(AggFunc::Quantize, LIVE, &values),
            AggValue::Histogram(vec![1, 5, -1])
        );
    }

    #[test]
    fn sums_wrap_instead_of_panicking() {
        let values = [cpu(LIVE, &[i64::MAX]), cpu(LIVE, &[1])];
        assert_eq!(
            merge_per_cpu(AggFunc::Sum, LIVE, &values),
            AggValue::Sum(i64::MIN)
        );
        let values = [cpu(LIVE, &[1, 0, -1, -1]), cpu(LIVE, &[1, 0, 1, 0])];
        let AggValue::Stddev { squares, .. } = merge_per_cpu(AggFunc::Stddev, LIVE, &values) else {
            panic!("stddev merges to a stddev value");
        };
        assert_eq!(squares, 0);
    }

    #[test]
    fn values_decode_from_bytes() {
        let mut bytes = LIVE.to_ne_bytes().to_vec();
        bytes.extend_from_slice(&(-9i64).to_ne_bytes());
        bytes.extend_from_slice(&4u64.to_ne_bytes());
        assert_eq!(decode_value(&bytes, 2), Some(cpu(LIVE, &[-9, 4])));
        assert_eq!(decode_value(&bytes[..23], 2), None);
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

    #[test]
    fn struct_keys_take_their_padded_size_and_keep_their_own_bytes() {
        let kinds = [
            ValueKind::Bytes { size: 12 },
            ValueKind::Int {
                size: 8,
                signed: true,
            },
        ];
        let mut key: Vec<u8> = (1..=12).collect();
        key.extend_from_slice(&[0; 4]);
        key.extend_from_slice(&7i64.to_ne_bytes());
        assert_eq!(
            decode_key(&kinds, &key),
            Some(vec![
                Value::Bytes((1..=12).collect()),
                Value::Int {
                    bits: 7,
                    size: 8,
                    signed: true
                }
            ])
        );
        assert_eq!(decode_key(&kinds, &key[..23]), None);
    }
}

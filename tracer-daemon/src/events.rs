//! Records from the `events` ring buffer (or the per-CPU perf buffers, `crate::perfbuf`), and the
//! per-CPU drop counters.
//!
//! Generated code writes records with `BPF_RB_NO_WAKEUP`, except `exit()` records, which force a
//! wake-up. So a reader blocked in `poll` sleeps for the whole batching interval unless the program
//! exits, and then takes every record at once, as `dtrace` does with its `switchrate`.
//!
//! Reading bytes and decoding them are apart: [`decode_record`] is pure, so it is tested on
//! hand-made and garbage bytes, and the consumer decides when to decode.

use std::os::fd::{AsFd as _, AsRawFd as _};
use std::time::Duration;

use aya::sys::SyscallError;
use tracer_ebpf::layout::{
    RecordHeader, STATS_AGG_DROPS, STATS_DROPS, STATS_DYNVAR_DROPS, Stats, Value,
};
use tracer_ebpf::plan::{ActionDesc, FieldDesc, RecordDesc};

use crate::error::EngineError;
use crate::load::{Records, Session};
use crate::maps::RawMap;

/// A ring buffer record decoded with its clause's [`RecordDesc`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedRecord {
    /// The header.
    pub header: RecordHeader,
    /// One entry per action of the [`RecordDesc`], in order: `trace` and `exit` have one value,
    /// `printf` and `system` one per argument, `tracemem` its bytes (all of them, as a
    /// [`Value::Str`]) then its shown count if any, `printa`, `clear`, `denormalize` and in-kernel
    /// actions none, `normalize` its factor, `trunc` its count if given, `setopt` its name and
    /// value if given, `commit` and `discard` the speculation they finished.
    pub actions: Vec<Vec<Value>>,
}

/// Why a record could not be decoded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Too short to hold a header.
    #[error("record of {len} bytes is shorter than a record header")]
    ShortHeader {
        /// The record's length.
        len: usize,
    },
    /// Shorter than its clause's records.
    #[error("record of {len} bytes is shorter than the {expected} bytes its clause writes")]
    ShortRecord {
        /// The record's length.
        len: usize,
        /// The clause's record size.
        expected: u32,
    },
    /// A field the description places outside the record.
    #[error("field at offset {offset} does not fit in a record of {len} bytes")]
    FieldOutOfBounds {
        /// The field's offset.
        offset: u32,
        /// The record's length.
        len: usize,
    },
}

/// Decodes `bytes` as a record of the clause `desc` describes.
pub fn decode_record(desc: &RecordDesc, bytes: &[u8]) -> Result<DecodedRecord, DecodeError> {
    let mut decoded = DecodedRecord::default();
    decode_record_into(desc, bytes, &mut decoded)?;
    Ok(decoded)
}

/// The `size` bytes at `offset` of a record (`tracemem()`'s and `print()`'s data).
fn recorded_bytes(bytes: &[u8], offset: u32, size: u32) -> Result<Vec<u8>, DecodeError> {
    let start = offset as usize;
    match bytes.get(start..start + size as usize) {
        Some(data) => Ok(data.to_vec()),
        None => Err(DecodeError::FieldOutOfBounds {
            offset,
            len: bytes.len(),
        }),
    }
}

/// Decodes `bytes` as a record of the clause `desc` describes into `decoded`, reusing its
/// vectors, so that a consumer decoding record after record allocates only for strings and
/// stacks. After an error, `decoded` holds part of the record.
pub fn decode_record_into(
    desc: &RecordDesc,
    bytes: &[u8],
    decoded: &mut DecodedRecord,
) -> Result<(), DecodeError> {
    let Some(header) = RecordHeader::decode(bytes) else {
        return Err(DecodeError::ShortHeader { len: bytes.len() });
    };
    if bytes.len() < desc.size as usize {
        return Err(DecodeError::ShortRecord {
            len: bytes.len(),
            expected: desc.size,
        });
    }
    decoded.header = header;
    let field = |field: &FieldDesc| -> Result<Value, DecodeError> {
        let out_of_bounds = DecodeError::FieldOutOfBounds {
            offset: field.offset,
            len: bytes.len(),
        };
        let Some(tail) = bytes.get(field.offset as usize..) else {
            return Err(out_of_bounds);
        };
        field.kind.decode(tail).ok_or(out_of_bounds)
    };
    let fields = |values: &mut Vec<Value>, descs: &mut dyn Iterator<Item = &FieldDesc>| {
        for desc in descs {
            values.push(field(desc)?);
        }
        Ok(())
    };
    let actions = &mut decoded.actions;
    actions.truncate(desc.actions.len());
    actions.resize_with(desc.actions.len(), Vec::new);
    for (action, values) in desc.actions.iter().zip(actions.iter_mut()) {
        values.clear();
        match action {
            ActionDesc::Trace(value) | ActionDesc::Exit(value) => {
                fields(values, &mut std::iter::once(value))?;
            }
            ActionDesc::Printf { args, .. }
            | ActionDesc::System { args, .. }
            | ActionDesc::Freopen { args, .. } => fields(values, &mut args.iter())?,
            ActionDesc::Tracemem {
                offset,
                size,
                shown,
            } => {
                values.push(Value::Str(recorded_bytes(bytes, *offset, *size)?));
                fields(values, &mut shown.iter())?;
            }
            ActionDesc::Print {
                address,
                offset,
                size,
                ..
            } => {
                fields(values, &mut std::iter::once(address))?;
                values.push(Value::Str(recorded_bytes(bytes, *offset, *size)?));
            }
            ActionDesc::Printa { .. }
            | ActionDesc::Effect
            | ActionDesc::Clear { .. }
            | ActionDesc::Denormalize { .. } => {}
            ActionDesc::Normalize { factor, .. } => fields(values, &mut std::iter::once(factor))?,
            ActionDesc::Commit(finished) | ActionDesc::Discard(finished) => {
                fields(values, &mut std::iter::once(finished))?;
            }
            ActionDesc::Trunc { count, .. } => fields(values, &mut count.iter())?,
            ActionDesc::Setopt { name, value } => {
                fields(values, &mut std::iter::once(name).chain(value))?;
            }
        }
    }
    Ok(())
}

impl Session {
    /// Waits up to `timeout` for the ring buffer to signal records, then hands every record
    /// available to `sink`, oldest first, and returns how many there were.
    ///
    /// Returns at once when records are already waiting. A signal interrupting the wait is not
    /// an error: the records available are handed over as after a timeout. One call consumes at
    /// most one ring buffer's worth of records, so it returns even when records arrive as fast as
    /// they are consumed (for instance, from the consumer's own system calls).
    pub fn poll_events(
        &mut self,
        timeout: Duration,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, EngineError> {
        let timeout_ms = timeout
            .as_nanos()
            .div_ceil(1_000_000)
            .try_into()
            .unwrap_or(libc::c_int::MAX);
        let poll_error = |map: &str, io_error| EngineError::Poll {
            map: map.to_owned(),
            source: SyscallError {
                call: "poll",
                io_error,
            },
        };
        let ring = match &mut self.events {
            Records::Ring(ring) => ring,
            Records::Perf(perf) => {
                return perf
                    .poll(timeout_ms, sink)
                    .map_err(|io_error| poll_error(&self.events_map, io_error));
            }
        };
        let mut pollfd = libc::pollfd {
            fd: ring.as_fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pollfd` is one valid `struct pollfd` for the duration of the call.
        let result = unsafe { libc::poll(&raw mut pollfd, 1, timeout_ms) };
        if result < 0 {
            let io_error = std::io::Error::last_os_error();
            if io_error.raw_os_error() != Some(libc::EINTR) {
                return Err(poll_error(&self.events_map, io_error));
            }
        }
        Ok(ring.read(sink))
    }

    /// Records each CPU dropped because the ring buffer was full: `(cpu, drops)` for every
    /// possible CPU, from the per-CPU `stats` map; with perf buffers, the records the kernel
    /// said each CPU's buffer lost are added.
    pub fn drops(&self) -> Result<Vec<(u32, u64)>, EngineError> {
        let mut drops = self.per_cpu_stat(STATS_DROPS)?;
        if let Records::Perf(perf) = &self.events {
            crate::perfbuf::add_lost(&mut drops, perf.lost());
        }
        Ok(drops)
    }

    /// Aggregation updates each CPU dropped because the aggregation's map was full: `(cpu,
    /// drops)` for every possible CPU.
    pub fn agg_drops(&self) -> Result<Vec<(u32, u64)>, EngineError> {
        self.per_cpu_stat(STATS_AGG_DROPS)
    }

    /// Stores to thread-locals and associative arrays each CPU dropped because the variable's map
    /// was full: `(cpu, drops)` for every possible CPU.
    pub fn dynvar_drops(&self) -> Result<Vec<(u32, u64)>, EngineError> {
        self.per_cpu_stat(STATS_DYNVAR_DROPS)
    }

    /// The `stats` counter at `offset` on every possible CPU. The kernel returns one value per
    /// possible CPU in CPU order, and possible CPUs are numbered from 0 without gaps, so slot `i`
    /// is CPU `i`.
    pub(crate) fn per_cpu_stat(&self, offset: i16) -> Result<Vec<(u32, u64)>, EngineError> {
        let stats = RawMap::open(&self.ebpf, &self.stats_map)?;
        let start = offset as usize;
        if stats.value_size() < start + 8 {
            return Err(EngineError::ValueSize {
                map: self.stats_map.clone(),
                size: stats.value_size(),
                expected: size_of::<Stats>(),
            });
        }
        let per_cpu = stats.lookup(&0u32.to_ne_bytes())?.unwrap_or_default();
        let counts = per_cpu
            .iter()
            .enumerate()
            .map(|(cpu, value)| {
                let mut count = [0u8; 8];
                count.copy_from_slice(&value[start..start + 8]);
                (cpu as u32, u64::from_ne_bytes(count))
            })
            .collect();
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use tracer_ebpf::layout::ValueKind;

    use super::*;

    const I64: ValueKind = ValueKind::Int {
        size: 8,
        signed: true,
    };
    const U32: ValueKind = ValueKind::Int {
        size: 4,
        signed: false,
    };

    fn field(offset: u32, kind: ValueKind) -> FieldDesc {
        FieldDesc { offset, kind }
    }

    /// `printf("%d %s\n", pid, execname); trace(-1); printa(@a); exit(3)` after a 16-byte header.
    fn desc() -> RecordDesc {
        RecordDesc {
            actions: vec![
                ActionDesc::Printf {
                    format: b"%d %s\n".to_vec(),
                    args: vec![field(16, U32), field(24, ValueKind::Str { size: 16 })],
                },
                ActionDesc::Trace(field(40, I64)),
                ActionDesc::Printa {
                    format: None,
                    aggregations: vec![0],
                },
                ActionDesc::Exit(field(48, I64)),
            ],
            size: 56,
            blocks: Vec::new(),
        }
    }

    fn record() -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [2u32, 7, 1, 0] {
            bytes.extend_from_slice(&word.to_ne_bytes());
        }
        bytes.extend_from_slice(&1234u64.to_ne_bytes());
        bytes.extend_from_slice(b"bash\0\0\0\0\0\0\0\0\0\0\0\0");
        bytes.extend_from_slice(&(-1i64).to_ne_bytes());
        bytes.extend_from_slice(&3i64.to_ne_bytes());
        bytes
    }

    #[test]
    fn decodes_every_action() {
        let decoded = decode_record(&desc(), &record()).expect("a valid record");
        assert_eq!(
            decoded.header,
            RecordHeader {
                clause_id: 2,
                probe_id: 7,
                cpu: 1,
                spec_id: 0,
                spec_gen: 0,
                blocks: 0
            }
        );
        let int = |bits: u64, size: u8, signed: bool| Value::Int { bits, size, signed };
        assert_eq!(
            decoded.actions,
            [
                vec![int(1234, 4, false), Value::Str(b"bash".to_vec())],
                vec![int(u64::MAX, 8, true)],
                vec![],
                vec![int(3, 8, true)],
            ]
        );
    }

    #[test]
    fn decoding_into_a_used_record_reuses_its_vectors_and_keeps_nothing_else() {
        let mut decoded = decode_record(&desc(), &record()).expect("a valid record");
        let printf_args = decoded.actions[0].as_ptr();
        let mut fewer_actions = desc();
        fewer_actions.actions.swap(1, 3);
        fewer_actions.actions.truncate(2);
        decode_record_into(&fewer_actions, &record(), &mut decoded).expect("a valid record");
        assert_eq!(
            decoded,
            decode_record(&fewer_actions, &record()).expect("a valid record")
        );
        assert_eq!(decoded.actions[0].as_ptr(), printf_args);
        decode_record_into(&desc(), &record(), &mut decoded).expect("a valid record");
        assert_eq!(
            decoded,
            decode_record(&desc(), &record()).expect("a valid record")
        );
    }

    #[test]
    fn short_records_are_errors() {
        assert_eq!(
            decode_record(&desc(), &[0; 15]),
            Err(DecodeError::ShortHeader { len: 15 })
        );
        assert_eq!(
            decode_record(&desc(), &record()[..55]),
            Err(DecodeError::ShortRecord {
                len: 55,
                expected: 56
            })
        );
    }

    #[test]
    fn a_description_pointing_outside_the_record_is_an_error() {
        let mut desc = desc();
        desc.actions.push(ActionDesc::Trace(field(52, I64)));
        assert_eq!(
            decode_record(&desc, &record()),
            Err(DecodeError::FieldOutOfBounds {
                offset: 52,
                len: 56
            })
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut desc = desc();
        desc.actions.push(ActionDesc::Trace(field(u32::MAX, I64)));
        desc.actions.push(ActionDesc::Trace(field(
            20,
            ValueKind::Str { size: u32::MAX },
        )));
        let bytes = record();
        for len in 0..=bytes.len() {
            let _ = decode_record(&desc, &bytes[..len]);
        }
    }
}

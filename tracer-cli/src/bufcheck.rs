//! Whether the principal buffer (`bufsize`, `-b`) holds the largest record a program writes.
//!
//! libdtrace refuses to enable a program whose buffer cannot hold one record (`EDT_BUFTOOSMALL`,
//! "Enabling exceeds size of buffer"), and a buffer of no bytes at all. It counts a record as its
//! perf ring buffer layout has it: a 40-byte sample header, the sample's size and a gap, the
//! enabled probe ID and a tag (4 bytes each), then the clause's data. tracer's records are smaller,
//! but the limit is DTrace's so that a script refused there is refused here too.

use tracer_ebpf::layout::RECORD_HEADER_SIZE;
use tracer_ebpf::plan::RecordDesc;

/// Bytes DTrace's buffer spends on each record before the clause's data.
const DTRACE_RECORD_OVERHEAD: u64 = 40 + 4 + 4 + 4 + 4;

/// Whether `bufsize` bytes hold the largest of `records`, counted as DTrace counts them.
pub fn holds_records(bufsize: u64, records: &[RecordDesc]) -> bool {
    let largest_data = records
        .iter()
        .map(|record| u64::from(record.size.saturating_sub(RECORD_HEADER_SIZE)))
        .max()
        .unwrap_or(0);
    bufsize > 0 && bufsize >= DTRACE_RECORD_OVERHEAD + largest_data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(data: u32) -> RecordDesc {
        RecordDesc {
            size: RECORD_HEADER_SIZE + data,
            ..RecordDesc::default()
        }
    }

    #[test]
    fn the_largest_record_must_fit() {
        let records = [record(0), record(8)];
        assert!(holds_records(64, &records));
        assert!(!holds_records(63, &records));
        assert!(!holds_records(59, &records));
        assert!(holds_records(4 << 20, &records));
    }

    #[test]
    fn an_empty_buffer_holds_nothing() {
        assert!(!holds_records(0, &[]));
        assert!(holds_records(56, &[]));
    }
}

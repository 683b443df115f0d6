//! The `aggrate` option: how often `printa` sees new aggregation data.
//!
//! libdtrace snapshots the aggregations at most once per `aggrate` interval, from its main loop,
//! and `printa` prints the latest snapshot; so when `printa` runs faster than the rate, several
//! `printa`s print the same stale values. [`AggSnapshots`] keeps each aggregation's rows as last
//! read: an aggregation `printa` has not read yet is read when it first asks for it, and
//! [`AggSnapshots::due`] tells the main loop when the interval has passed since the last reading,
//! so it reads them all again. Without `aggrate`, every `printa` reads the aggregations anew.

use std::time::{Duration, Instant};

use tracer_ebpf::layout::{AggValue, Value};

/// One aggregation's entries: keys and value.
type Rows = Vec<(Vec<Value>, AggValue)>;

/// The rows each aggregation had when last read, and when that was.
#[derive(Debug)]
pub struct AggSnapshots {
    rate: Option<Duration>,
    taken: Option<Instant>,
    rows: Vec<Option<Rows>>,
}

impl AggSnapshots {
    /// Snapshots of `n_aggs` aggregations taken every `rate_ns` nanoseconds. A rate no slower than
    /// `loop_ns`, the main loop's period, reads anew at each `printa`, as libdtrace's snapshot is
    /// then as fresh as the records.
    pub fn new(rate_ns: u64, loop_ns: u64, n_aggs: usize) -> AggSnapshots {
        AggSnapshots {
            rate: (rate_ns > loop_ns).then(|| Duration::from_nanos(rate_ns)),
            taken: None,
            rows: vec![None; n_aggs],
        }
    }

    /// Aggregation `agg_idx`'s snapshot, when `aggrate` is set and it has one.
    pub fn cached(&self, agg_idx: usize) -> Option<Rows> {
        self.rate.and(self.rows[agg_idx].clone())
    }

    /// Keeps `rows`, read at `now`, as aggregation `agg_idx`'s first snapshot when `aggrate` is
    /// set.
    pub fn keep(&mut self, agg_idx: usize, rows: &Rows, now: Instant) {
        if self.rate.is_some() {
            self.rows[agg_idx] = Some(rows.clone());
            self.taken.get_or_insert(now);
        }
    }

    /// The aggregations to read again at `now`, as the interval has passed since the last
    /// snapshot; the caller hands each one's rows to [`AggSnapshots::store`].
    pub fn due(&mut self, now: Instant) -> Vec<usize> {
        let (Some(rate), Some(taken)) = (self.rate, self.taken) else {
            return Vec::new();
        };
        if now.duration_since(taken) < rate {
            return Vec::new();
        }
        self.taken = Some(now);
        (0..self.rows.len())
            .filter(|&agg_idx| self.rows[agg_idx].is_some())
            .collect()
    }

    /// Drops aggregation `agg_idx`'s snapshot, as `clear` or `trunc` changed the aggregation.
    pub fn forget(&mut self, agg_idx: usize) {
        self.rows[agg_idx] = None;
    }

    /// Keeps `rows` as aggregation `agg_idx`'s snapshot.
    pub fn store(&mut self, agg_idx: usize, rows: Rows) {
        self.rows[agg_idx] = Some(rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(value: u64) -> Rows {
        vec![(Vec::new(), AggValue::Count(value))]
    }

    #[test]
    fn printa_sees_the_same_snapshot_until_the_rate_has_passed() {
        let start = Instant::now();
        let mut snapshots = AggSnapshots::new(4_500_000_000, 100_000_000, 2);
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(snapshots.cached(0), None);
        assert!(snapshots.due(at(0)).is_empty());
        snapshots.keep(0, &count(1), at(0));
        assert_eq!(snapshots.cached(0), Some(count(1)));
        assert!(snapshots.due(at(4)).is_empty());
        assert_eq!(snapshots.due(at(5)), [0]);
        snapshots.store(0, count(5));
        assert_eq!(snapshots.cached(0), Some(count(5)));
        assert!(snapshots.due(at(7)).is_empty());
        snapshots.forget(0);
        assert_eq!(snapshots.cached(0), None);
    }

    #[test]
    fn a_rate_no_slower_than_the_main_loop_reads_anew() {
        let mut snapshots = AggSnapshots::new(50_000_000, 100_000_000, 1);
        let now = Instant::now();
        snapshots.keep(0, &count(1), now);
        assert_eq!(snapshots.cached(0), None);
        assert!(snapshots.due(now + Duration::from_mins(1)).is_empty());
    }
}

//! [`Engine`]: what a consumer needs from a running session, wherever the session runs.
//!
//! The consumer (`tracer`'s printers) reads records, reads and clears aggregations, frees
//! speculations and counts drops. A [`Session`] in the same process does that directly; a session
//! in `tracerd` does it over the daemon's socket. Both sit behind this one trait, so the consumer
//! and its sinks run the same code, and print the same bytes, either way: the seam between the
//! engine and printing is the ring buffer's raw records and the aggregations' raw map contents,
//! which the consumer decodes itself with [`decode_record`](crate::events::decode_record) and
//! [`merge_raw`].

use std::time::Duration;

use tracer_ebpf::layout::{AggValue, Value};
use tracer_ebpf::plan::{AggDesc, SpecDesc};

use crate::aggregate::{RawAggregation, doomed_raw_keys, merge_raw};
use crate::error::EngineError;
use crate::load::Session;
use crate::speculations::SpecDrops;

/// Every drop counter of a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionDrops {
    /// Records the ring buffer had no room for: `(cpu, drops)` per possible CPU.
    pub principal: Vec<(u32, u64)>,
    /// Aggregation updates that found their map full: `(cpu, drops)` per possible CPU.
    pub aggregation: Vec<(u32, u64)>,
    /// Stores that found a thread-local's or an associative array's map full, over every CPU.
    pub dynamic: u64,
    /// The speculation counters.
    pub speculation: SpecDrops,
}

/// A loaded D program as its consumer sees it: in this process or in `tracerd`.
pub trait Engine {
    /// Runs `BEGIN` and starts tracing (see [`Session::run_begin`]).
    fn run_begin(&mut self) -> Result<(), EngineError>;

    /// Stops tracing and runs `END` (see [`Session::run_end`]).
    fn run_end(&mut self) -> Result<(), EngineError>;

    /// Detaches every probe (see [`Session::detach`]).
    fn detach(&mut self) -> Result<(), EngineError>;

    /// Waits up to `timeout` for records and hands each one to `on_record`, oldest first (see
    /// [`Session::poll_events`]).
    fn poll_events(
        &mut self,
        timeout: Duration,
        on_record: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, EngineError>;

    /// The aggregation's map as it is now, undecoded.
    fn raw_aggregation(&self, agg: &AggDesc) -> Result<RawAggregation, EngineError>;

    /// The entries of each of `aggs` as they are now, undecoded. A session reads each map that
    /// aggregations share once for all of them.
    fn raw_aggregations(&self, aggs: &[&AggDesc]) -> Result<Vec<RawAggregation>, EngineError> {
        aggs.iter().map(|agg| self.raw_aggregation(agg)).collect()
    }

    /// `clear(@a)` (see [`Session::clear_aggregation`]).
    fn clear_aggregation(&self, agg: &AggDesc) -> Result<(), EngineError>;

    /// Deletes the entries whose undecoded keys are `raw_keys`.
    fn delete_aggregation_keys(
        &self,
        agg: &AggDesc,
        raw_keys: &[Vec<u8>],
    ) -> Result<(), EngineError>;

    /// Frees a speculation whose end was handled (see [`Session::free_speculation`]).
    fn free_speculation(
        &self,
        specs: &SpecDesc,
        id: u8,
        generation: u8,
    ) -> Result<bool, EngineError>;

    /// Every drop counter.
    fn session_drops(&self) -> Result<SessionDrops, EngineError>;

    /// Every entry of the aggregation, decoded and merged across CPUs, sorted by key.
    fn aggregation(&self, agg: &AggDesc) -> Result<Vec<(Vec<Value>, AggValue)>, EngineError> {
        merge_raw(agg, &self.raw_aggregation(agg)?)
    }

    /// Deletes the entries whose keys are in `doomed` (`trunc()`).
    fn remove_aggregation_keys(
        &self,
        agg: &AggDesc,
        doomed: &[Vec<Value>],
    ) -> Result<(), EngineError> {
        let raw_keys = doomed_raw_keys(agg, &self.raw_aggregation(agg)?, doomed);
        self.delete_aggregation_keys(agg, &raw_keys)
    }
}

impl Engine for Session {
    fn run_begin(&mut self) -> Result<(), EngineError> {
        Session::run_begin(self)
    }

    fn run_end(&mut self) -> Result<(), EngineError> {
        Session::run_end(self)
    }

    fn detach(&mut self) -> Result<(), EngineError> {
        Session::detach(self);
        Ok(())
    }

    fn poll_events(
        &mut self,
        timeout: Duration,
        on_record: &mut dyn FnMut(&[u8]),
    ) -> Result<usize, EngineError> {
        Session::poll_events(self, timeout, on_record)
    }

    fn raw_aggregation(&self, agg: &AggDesc) -> Result<RawAggregation, EngineError> {
        Session::raw_aggregation(self, agg)
    }

    fn raw_aggregations(&self, aggs: &[&AggDesc]) -> Result<Vec<RawAggregation>, EngineError> {
        Session::raw_aggregations(self, aggs)
    }

    fn clear_aggregation(&self, agg: &AggDesc) -> Result<(), EngineError> {
        Session::clear_aggregation(self, agg)
    }

    fn delete_aggregation_keys(
        &self,
        agg: &AggDesc,
        raw_keys: &[Vec<u8>],
    ) -> Result<(), EngineError> {
        Session::delete_aggregation_keys(self, agg, raw_keys)
    }

    fn free_speculation(
        &self,
        specs: &SpecDesc,
        id: u8,
        generation: u8,
    ) -> Result<bool, EngineError> {
        Session::free_speculation(self, specs, id, generation)
    }

    fn session_drops(&self) -> Result<SessionDrops, EngineError> {
        let total = |counts: Vec<(u32, u64)>| counts.iter().map(|&(_, count)| count).sum();
        Ok(SessionDrops {
            principal: self.drops()?,
            aggregation: self.agg_drops()?,
            dynamic: total(self.dynvar_drops()?),
            speculation: self.spec_drops()?,
        })
    }
}

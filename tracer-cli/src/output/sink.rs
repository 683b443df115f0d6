//! Where the consumer's output goes: dtrace's text or JSON Lines, chosen once per run.
//!
//! The consumer decides what happens (which records are printed, which actions ran, when
//! aggregations are read); a [`Sink`] decides how it looks. The run calls the sink in this order:
//! [`Sink::banner`] before tracing; for each record [`Sink::start_line`] (once per block of
//! actions that ran, and once for a record without actions), one call per action that prints,
//! then [`Sink::end_record`]; [`Sink::fault`] and [`Sink::setopt_error`] whenever a runtime error
//! arrives; then at the end [`Sink::finish`] with the aggregations no `printa` printed,
//! [`Sink::drops`] and [`Sink::end`]. Every method appends to `out`, which the run writes to
//! standard output after each record; the text sink writes its messages (banner, errors, drops)
//! to standard error itself, as dtrace does. Stacks and symbolic addresses, in records and in
//! aggregation keys, reach the sink symbolized; committed speculative records reach it as records
//! of their own, after the record that committed them.

use d_frontend::ir::SourceSummary;
use d_frontend::printf::FormatPiece;
use tracer_ebpf::layout::{FaultRecord, RecordHeader, Value};
use tracer_ebpf::plan::ProbeInfo;

use super::agg::{Aggregation, SortOptions};
use super::json::JsonSink;
use super::text_sink::TextSink;

/// The output formats of `-O` and `-x oformat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// dtrace's text, byte for byte.
    Text,
    /// JSON Lines, as docs/json.md describes.
    Json,
}

impl OutputFormat {
    /// The sink that writes this format; `testing` is dtrace's testing mode, which only changes
    /// the text's probe lines.
    pub fn sink(self, testing: bool) -> Box<dyn Sink> {
        match self {
            OutputFormat::Text => Box::new(TextSink::new(testing)),
            OutputFormat::Json => Box::new(JsonSink::default()),
        }
    }
}

/// One aggregation with its D name, as the consumer read it for `printa` or the exit dump.
#[derive(Clone, Copy, Debug)]
pub struct NamedAggregation<'a> {
    /// The name without `@` (empty for `@`).
    pub name: &'a str,
    /// Its entries and how to print them.
    pub agg: Aggregation<'a>,
}

/// Drops counted during the run, each reported once at its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropCount {
    /// Records the ring buffer had no room for, on one CPU.
    Principal {
        /// The CPU.
        cpu: u32,
        /// How many.
        count: u64,
    },
    /// Aggregation updates of a new key that found the aggregation's map full, on one CPU.
    Aggregation {
        /// The CPU.
        cpu: u32,
        /// How many.
        count: u64,
    },
    /// Stores that found a thread-local's or an associative array's map full.
    Dynamic(u64),
    /// Speculative records that did not fit in `specsize`.
    Speculative(u64),
    /// `speculation()` calls that found every buffer busy.
    SpeculationBusy(u64),
    /// `speculation()` calls that found no buffer.
    SpeculationUnavailable(u64),
}

impl DropCount {
    /// How many records or calls were dropped.
    pub fn count(self) -> u64 {
        match self {
            DropCount::Principal { count, .. }
            | DropCount::Aggregation { count, .. }
            | DropCount::Dynamic(count)
            | DropCount::Speculative(count)
            | DropCount::SpeculationBusy(count)
            | DropCount::SpeculationUnavailable(count) => count,
        }
    }
}

/// Why tracing stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// An `exit()` action.
    Exit,
    /// SIGINT or SIGTERM.
    Signal,
    /// Every `-c` or `-p` process exited.
    Target,
}

/// One output format.
pub trait Sink {
    /// The `matched N probes` banner, one entry per `-n`, `-s` (and the like) source; text
    /// prints none with `quiet`.
    fn banner(&mut self, sources: &[SourceSummary], quiet: bool, out: &mut Vec<u8>);

    /// Starts a probe line for `header`'s record: the first block of actions that ran, each later
    /// block (dtrace prints one line per sub-clause), or a record without actions.
    fn start_line(
        &mut self,
        header: &RecordHeader,
        probe: Option<&ProbeInfo>,
        quiet: bool,
        out: &mut Vec<u8>,
    );

    /// `trace(value)`.
    fn trace(&mut self, value: &Value, quiet: bool, out: &mut Vec<u8>);

    /// `printf(format, args...)`: `pieces` is the parsed format, `args` the arguments.
    fn printf(&mut self, pieces: &[FormatPiece], args: &[Value], out: &mut Vec<u8>);

    /// `printa([format,] @a, ...)`, with the aggregations as they are now.
    fn printa(
        &mut self,
        format: Option<&[FormatPiece]>,
        aggs: &[NamedAggregation<'_>],
        sort: SortOptions,
        out: &mut Vec<u8>,
    );

    /// `system(format, args...)`: runs the formatted command.
    fn system(
        &mut self,
        pieces: &[FormatPiece],
        args: &[Value],
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()>;

    /// `tracemem(address, size[, shown])`: `bytes` as recorded, `shown` the third argument.
    fn tracemem(&mut self, bytes: &[u8], shown: Option<&Value>, out: &mut Vec<u8>);

    /// `print(pointer)`: `bytes` recorded from `address`, of type `ty`, shown up to `limit` bytes
    /// (the `printsize` option).
    fn print(
        &mut self,
        ty: &d_frontend::ir::PrintType,
        address: u64,
        bytes: &[u8],
        limit: usize,
        out: &mut Vec<u8>,
    );

    /// `exit(status)`.
    fn exit(&mut self, status: i32, out: &mut Vec<u8>);

    /// Ends the record that the last [`Sink::start_line`] started, if any.
    fn end_record(&mut self, out: &mut Vec<u8>);

    /// A runtime error in a clause, with dtrace's message (without the program name).
    fn fault(
        &mut self,
        fault: &FaultRecord,
        probe: Option<&ProbeInfo>,
        message: &str,
        out: &mut Vec<u8>,
    );

    /// A `setopt()` action failed.
    fn setopt_error(&mut self, failure: &SetoptFailure<'_>, out: &mut Vec<u8>);

    /// At exit, the aggregations that no `printa` printed.
    fn finish(&mut self, aggs: &[NamedAggregation<'_>], sort: SortOptions, out: &mut Vec<u8>);

    /// The drops counted during the run (only the non-zero counts).
    fn drops(&mut self, drops: &[DropCount], out: &mut Vec<u8>);

    /// The run is over: it exits with `status` because of `reason`.
    fn end(&mut self, status: u8, reason: EndReason, out: &mut Vec<u8>);
}

/// A `setopt()` that failed.
#[derive(Clone, Copy, Debug)]
pub struct SetoptFailure<'a> {
    /// The record whose action failed.
    pub header: &'a RecordHeader,
    /// Its probe.
    pub probe: Option<&'a ProbeInfo>,
    /// Its clause.
    pub clause_id: usize,
    /// The option's name.
    pub name: &'a str,
    /// The value it was to take.
    pub value: &'a str,
    /// dtrace's message, without the program name.
    pub message: &'a str,
}

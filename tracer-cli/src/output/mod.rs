//! Printers for what traced programs produce.
//!
//! A [`sink::Sink`] is one output format, chosen once per run: [`text_sink`] prints dtrace's text
//! and [`json`] prints JSON Lines (its records are the serde types of [`jsont`], documented in
//! docs/json.md, with [`json_stack`] giving stacks and symbolic addresses). The text layouts live
//! in their own modules: `printf` implements the conversions shared by `printf` and `printa`;
//! `text` lays out everything else dtrace prints in its default output: the probe header, `trace()`
//! values and aggregation keys, with `stack` laying out stacks and symbolic addresses; `agg` lays
//! out aggregations, and `histogram` draws the distributions of `quantize`, `lquantize` and
//! `llquantize`; `tracemem` prints `tracemem()`'s hex dump; `list` prints the probe list of `-l`
//! (which traces nothing, so it needs no sink). `buckets` gives the range of values each bucket of
//! those distributions counts.

pub mod agg;
pub use tracer_daemon::buckets;
pub mod cfloat;
pub mod extended;
pub mod flamegraph;
pub mod folded;
pub mod histogram;
pub mod json;
pub mod json_stack;
pub mod jsont;
pub mod list;
pub mod print;
pub mod printf;
pub mod sink;
pub mod stack;
pub mod text;
pub mod text_sink;
pub mod tracemem;

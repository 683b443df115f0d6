//! Printers for what traced programs produce.
//!
//! `printf` implements the conversions shared by `printf` and `printa`; `text` lays out everything
//! else dtrace prints in its default (non-JSON) output: the probe header, `trace()` values and
//! aggregation keys, with `stack` laying out stacks and symbolic addresses; `agg` lays out
//! aggregations, and `histogram` draws the distributions of `quantize`, `lquantize` and
//! `llquantize`; `tracemem` prints `tracemem()`'s hex dump; `list` prints the probe list of `-l`.

pub mod agg;
pub mod histogram;
pub mod list;
pub mod printf;
pub mod stack;
pub mod text;
pub mod tracemem;

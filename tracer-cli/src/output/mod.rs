//! Printers for what traced programs produce.
//!
//! `printf` implements the conversions shared by `printf` and `printa`; `text` lays out everything
//! else dtrace prints in its default (non-JSON) output: the probe header, `trace()` values and
//! aggregations; `tracemem` prints `tracemem()`'s hex dump.

pub mod printf;
pub mod text;
pub mod tracemem;

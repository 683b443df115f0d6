//! The `tracer` command line's library half: the text printers, shared by the binary and its tests.

pub mod aggrate;
pub mod consume;
pub mod flags;
pub mod freopen;
pub mod output;
pub mod preproc;
pub mod remote;
pub mod signals;
pub mod speculation;
pub mod symbols;
pub mod target;
pub mod verifier;

//! Bytes to AST: the lexer and parser (and rendering their diagnostics) never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tracer_fuzz::pipeline::parse(&String::from_utf8_lossy(data));
});

//! Source to checked program to IR to eBPF to ELF: no stage panics, and every object the ELF
//! writer produces parses back with aya-obj.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        tracer_fuzz::pipeline::compile(text);
    }
});

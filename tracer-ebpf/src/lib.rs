//! The back end: lowered D IR to eBPF instructions, wrapped in an ELF object that aya can load.
//!
//! It also owns `layout`: the byte layout of records and map values that generated code writes and
//! userspace reads, so both sides use one definition.

pub mod codegen;
pub mod disasm;
pub mod elf;
pub mod insn;
pub mod layout;
pub mod plan;
pub mod trampoline;

//! The fixed register roles and stack frame every generated program uses.
//!
//! ```text
//! register  role
//! r0..r5    scratch within one IR instruction; helper arguments and result
//! r6        the program's context (tracepoint record, perf_event data, raw_tp args)
//! r7        the per-CPU scratch value: D context at 0, clause temporaries from SCRATCH_TEMP_BASE
//! r8        the `globals` map value, in programs whose clauses use global variables; on the way
//!           to a fault it carries the fault instead, and the error block points it at the
//!           `globals` value again before any clause runs (see `fault`); subroutines (strings,
//!           `speculation()`) use it as a temporary and point it back too (`var::reload_globals`)
//! r9        a temporary of subroutines; on the way to a fault, its address, then, in the error
//!           block, the faulting clause
//! r10       frame pointer
//!
//! stack (below r10)
//! -8        4- or 8-byte map key, helper output word, chill()'s deadline
//! -16       aggregation update: the aggregation's generation
//! -24       chill()'s iteration count; a temporary of string loops
//! -32       aggregation update: pointer to the entry being reset
//! -40 - 8i  virtual register slot i (i < MAX_SLOTS, down to -504)
//! -512      the faulting probe's scratch pointer while the `ERROR` clauses run (see `fault`)
//! ```

use crate::insn::Reg;

/// The context register.
pub const CTX: Reg = Reg::R6;
/// The scratch (D context) base register.
pub const SCRATCH: Reg = Reg::R7;
/// The `globals` value register (see `var::globals_prologue`).
pub const GLOBALS: Reg = Reg::R8;
/// The stack word for map keys and helper outputs.
pub const KEY_SLOT: i16 = -8;
/// An aggregation update's copy of the aggregation's generation.
pub const AGG_GEN_SLOT: i16 = -16;
/// A word of `chill()` and string loops (aggregation updates leave it alone).
pub const AGG_ZERO_SLOT: i16 = -24;
/// An aggregation update's pointer to its entry, kept across the helper call that resets it.
pub const AGG_ENTRY_SLOT: i16 = -32;
/// Where the error block keeps the faulting probe's scratch pointer while `ERROR` clauses run.
pub const SAVED_SCRATCH: i16 = -512;
/// Where virtual register slot 0 is.
const FIRST_SLOT: i16 = -40;
/// The most virtual register slots a clause may use (the stack is 512 bytes).
pub const MAX_SLOTS: u32 = 59;

/// The frame-pointer offset of virtual register slot `slot`.
pub fn slot_offset(slot: u32) -> i16 {
    FIRST_SLOT - 8 * slot as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_fit_in_the_stack() {
        assert!(slot_offset(MAX_SLOTS - 1) >= -512);
        assert!(slot_offset(MAX_SLOTS - 1) > SAVED_SCRATCH);
        assert!(slot_offset(0) < AGG_ENTRY_SLOT);
        const { assert!(AGG_ENTRY_SLOT < AGG_ZERO_SLOT && AGG_ZERO_SLOT < AGG_GEN_SLOT) };
        const { assert!(AGG_GEN_SLOT < KEY_SLOT) };
    }
}

//! The string work area: per-CPU scratch bytes after every clause's temporaries, where subroutine
//! code keeps its loop state and `strtok` keeps its string between calls.
//!
//! Loop state lives in memory rather than in registers on purpose: a value loaded from a map is
//! unknown to the verifier, so the states it sees at a loop's `may_goto` are the same at every
//! iteration and it checks the body about twice, whatever `strsize` is.
//!
//! ```text
//! offset (from the area's start)
//! 0        loop and result words (`Var`)
//! 256      `strtok`'s delimiter bitmap, 256 bits
//! 288      `lltostr`'s digits, written backwards from the end
//! 360      `strtok`'s position in its string
//! 368      `strtok`'s string, one string slot
//! ```
//!
//! The area is at least a string slot long, so a helper writing at most the rest of a slot from a
//! variable offset inside any clause temporary stays inside the map value, as the verifier
//! requires.

use d_frontend::types::string_size;

use crate::codegen::inst::scratch_offset;

/// A word of the work area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    /// A loop index.
    Index,
    /// A second, inner loop index.
    Inner,
    /// A result (a position, or -1).
    Result,
    /// A bound.
    Limit,
    /// A length.
    Length,
    /// A character.
    Char,
    /// `lltostr`'s remaining value.
    Value,
    /// `lltostr`'s base.
    Base,
    /// `lltostr`'s original value.
    Original,
    /// `lltostr`'s sign.
    Negative,
    /// A token's start.
    Start,
    /// A token's end.
    End,
    /// `basename`'s last character of the last component.
    LastBase,
    /// `basename`'s first character of the last component.
    FirstBase,
    /// `progenyof`'s task.
    Task,
    /// `d_path`'s dentry.
    Dentry,
    /// `d_path`'s mount (a `struct mount *`).
    Mount,
    /// `d_path`'s dentry where each walk starts.
    FirstDentry,
    /// `d_path`'s mount where each walk starts.
    FirstMount,
    /// The current task's root dentry.
    RootDentry,
    /// The current task's root mount (a `struct vfsmount *`).
    RootMount,
    /// The dentry or mount a walk goes to next.
    Parent,
    /// A path component's length.
    NameLength,
    /// A path component's characters.
    NamePointer,
    /// Where a path component goes in the result.
    Position,
    /// `curcpu`'s `cpu_id` and `cpu_pset`: the first half of its `cpuinfo_t`.
    CpuIdPset,
    /// `curcpu`'s `cpu_chip` and `cpu_lgrp`: the second half, right after the first.
    CpuChipLgrp,
    /// `curcpu`'s address, stored and loaded back so the verifier sees a number.
    CpuPointer,
}

/// Bytes of the loop and result words.
const VARS_SIZE: u32 = 32 * 8;
/// Bytes of `strtok`'s delimiter bitmap.
pub const BITMAP_SIZE: u32 = 32;
/// Bytes of `lltostr`'s digit buffer: 64 binary digits, a sign or prefix, the NUL, and spare.
pub const DIGITS_SIZE: u32 = 72;

/// Where the work area is, for one string size.
#[derive(Clone, Copy, Debug)]
pub struct StringArea {
    /// The `strsize` option.
    pub strsize: u32,
    /// Scratch offset (from the temporaries' start) of the area.
    base: u32,
}

impl StringArea {
    /// The area after `temporaries` bytes of clause temporaries.
    pub fn new(strsize: u32, temporaries: u32) -> StringArea {
        StringArea {
            strsize,
            base: temporaries.next_multiple_of(8),
        }
    }

    /// Bytes of the area.
    pub fn size(strsize: u32) -> u32 {
        VARS_SIZE + BITMAP_SIZE + DIGITS_SIZE + 8 + string_size(strsize)
    }

    /// Scratch bytes the temporaries and the area take together.
    pub fn end(self) -> u32 {
        self.base + StringArea::size(self.strsize)
    }

    /// Bytes of a string slot.
    pub fn slot_size(self) -> u32 {
        string_size(self.strsize)
    }

    /// Bytes a helper may copy into a string slot: the characters and the NUL.
    pub fn copy_size(self) -> i32 {
        (self.strsize + 1) as i32
    }

    /// The `ldx`/`stx` offset of `var`.
    pub fn var(self, var: Var) -> i16 {
        scratch_offset(self.base + 8 * var as u32)
    }

    /// Scratch offset of the delimiter bitmap.
    pub fn bitmap(self) -> u32 {
        self.base + VARS_SIZE
    }

    /// Scratch offset of the digit buffer.
    pub fn digits(self) -> u32 {
        self.bitmap() + BITMAP_SIZE
    }

    /// The `ldx`/`stx` offset of `strtok`'s position.
    pub fn strtok_position(self) -> i16 {
        scratch_offset(self.digits() + DIGITS_SIZE)
    }

    /// Scratch offset of `strtok`'s string slot.
    pub fn strtok_string(self) -> u32 {
        self.digits() + DIGITS_SIZE + 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_holds_a_string_after_its_variables() {
        let area = StringArea::new(256, 100);
        assert_eq!(area.var(Var::Index), scratch_offset(104));
        assert!(area.var(Var::Position) < scratch_offset(area.bitmap()));
        assert_eq!(area.strtok_string() + area.slot_size(), area.end());
        assert!(
            StringArea::size(256) > 256,
            "room for a copy of a whole string"
        );
    }
}

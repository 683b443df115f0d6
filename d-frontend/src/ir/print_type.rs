//! The type `print()` prints its value with: a self-contained tree of names, sizes, offsets and
//! members, built by sema from the type table (kernel types included), so that the consumer can
//! format the recorded bytes without the table.

/// A type as `print()` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintType {
    /// Its name, as libdtrace writes it in parentheses (`int`, `char [5]`, `struct sk_buff`, and
    /// `struct` or `union` for an anonymous one).
    pub name: String,
    /// Its size in bytes.
    pub size: u32,
    /// What it is.
    pub kind: PrintKind,
}

/// The kinds of type `print()` tells apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrintKind {
    /// An integer; `char` prints as a character.
    Int {
        /// Signed or unsigned.
        signed: bool,
    },
    /// A pointer, printed in hexadecimal.
    Pointer,
    /// A struct or union.
    Struct {
        /// Its members, in declaration order.
        members: Vec<PrintMember>,
    },
    /// An array.
    Array {
        /// The element type.
        element: Box<PrintType>,
        /// Number of elements.
        len: u32,
    },
    /// A type nested deeper than `print()` shows: its position prints as `...`.
    TooDeep,
    /// Anything else (floating-point, strings): not shown.
    Other,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintMember {
    /// Its name; empty for an anonymous struct or union member.
    pub name: String,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, 0 for an ordinary member.
    pub bit_size: u32,
    /// Its type.
    pub ty: PrintType,
}

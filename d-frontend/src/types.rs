//! D types: integers of each width, strings, pointers, arrays, structs and unions.
//!
//! [`Type`] is `Copy` and small so that sema and lowering can pass it around freely. Scalars are
//! complete in themselves; pointers, arrays, structs and unions refer by [`TypeId`] to an entry of
//! the program's [`TypeTable`], which holds the pointee, the element type and length, or the
//! members. Typedefs and enums are resolved to the type they stand for (an enum to its integer
//! type), so code that matches on `Type::Int` sees every integer.

mod names;
mod stack;
mod table;

pub use names::{IntegerWordsError, d_typedef, float_type_name, integer_type_name};
pub use stack::{StackType, SymKind};
pub use table::{Member, MemberRef, StructDef, TypeDef, TypeTable};

/// An index into a [`TypeTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

/// Bytes a string value takes: `strsize` characters and the terminating NUL, as in DTrace, rounded
/// up to 8 so that word-wise code may read the whole slot. The byte at index `strsize` is never part
/// of a string; a string that is NULL (as `strtok` returns at the end) has it set to 1 and holds no
/// characters.
pub fn string_size(strsize: u32) -> u32 {
    (strsize + 1).next_multiple_of(8)
}

/// A D type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// An integer of `size` bytes (1, 2, 4, 8).
    Int {
        /// Size in bytes.
        size: u8,
        /// Signed or unsigned.
        signed: bool,
    },
    /// `float` (4 bytes), `double` (8) or `long double` (16, the x86-64 80-bit format padded). D has
    /// no floating-point arithmetic: a `float` or `double` value is carried as its IEEE bits, which
    /// `printf`'s `%e %f %g` conversions read back.
    Float {
        /// Size in bytes.
        size: u8,
    },
    /// `string`: up to `strsize` characters, NUL-terminated and NUL-padded to [`string_size`].
    String,
    /// The type of actions and of `void` functions.
    Void,
    /// A pointer; the table entry ([`TypeDef::Pointer`]) gives the pointee.
    Pointer(TypeId),
    /// An array of known length; the table entry ([`TypeDef::Array`]) gives element and length.
    Array(TypeId),
    /// A struct or union; the table entry ([`TypeDef::Struct`]) gives its members.
    Struct(TypeId),
    /// libdtrace's `stack`: the value of `stack()`, `ustack()` and `jstack()`, which only actions,
    /// `trace()`, `printf`'s `%k` and aggregation keys take.
    Stack(StackType),
    /// libdtrace's `_symaddr` and `_usymaddr`: an address `sym()`, `mod()`, `usym()`, `umod()` or
    /// `uaddr()` (and `func()`, `ufunc()`) marked for printing as a symbol.
    SymAddr(SymKind),
}

impl Type {
    /// `int`.
    pub const INT: Type = Type::Int {
        size: 4,
        signed: true,
    };
    /// `unsigned int`.
    pub const UINT: Type = Type::Int {
        size: 4,
        signed: false,
    };
    /// `int64_t`, `long`.
    pub const LONG: Type = Type::Int {
        size: 8,
        signed: true,
    };
    /// `uint64_t`.
    pub const ULONG: Type = Type::Int {
        size: 8,
        signed: false,
    };

    /// Whether this is an integer type.
    pub fn is_int(self) -> bool {
        matches!(self, Type::Int { .. })
    }

    /// Whether this is a pointer type.
    pub fn is_pointer(self) -> bool {
        matches!(self, Type::Pointer(_))
    }

    /// Whether this is a scalar (an integer or a pointer): what arithmetic, comparisons and
    /// conditions accept.
    pub fn is_scalar(self) -> bool {
        matches!(self, Type::Int { .. } | Type::Pointer(_))
    }

    /// Bytes a value of this type takes in a record or an aggregation key: integers and pointers
    /// are widened to 8 bytes, strings take [`string_size`]. Arrays are recorded as strings,
    /// because sema lets only `char` arrays into records.
    pub fn stored_size(self, strsize: u32) -> u32 {
        match self {
            Type::String | Type::Array(_) => string_size(strsize),
            Type::Stack(stack) => stack.stored_size(),
            Type::SymAddr(kind) => kind.stored_size(),
            Type::Float { size } => u32::from(size).max(8),
            _ => 8,
        }
    }

    /// The name sema uses in diagnostics.
    pub fn name(self) -> &'static str {
        match self {
            Type::Int {
                size: 1,
                signed: true,
            } => "char",
            Type::Int {
                size: 1,
                signed: false,
            } => "uchar_t",
            Type::Int {
                size: 2,
                signed: true,
            } => "short",
            Type::Int {
                size: 2,
                signed: false,
            } => "ushort_t",
            Type::Int {
                size: 4,
                signed: true,
            } => "int",
            Type::Int {
                size: 4,
                signed: false,
            } => "uint_t",
            Type::Int { signed: true, .. } => "int64_t",
            Type::Int { signed: false, .. } => "uint64_t",
            Type::Float { size: 4 } => "float",
            Type::Float { size: 8 } => "double",
            Type::Float { .. } => "long double",
            Type::String => "string",
            Type::Void => "void",
            Type::Pointer(_) => "pointer",
            Type::Array(_) => "array",
            Type::Struct(_) => "struct",
            Type::Stack(_) => "stack",
            Type::SymAddr(kind) if kind.is_user() => "_usymaddr",
            Type::SymAddr(_) => "_symaddr",
        }
    }

    /// C's integer promotion: types narrower than `int` become `int`.
    #[must_use]
    pub fn promoted(self) -> Type {
        match self {
            Type::Int { size, .. } if size < 4 => Type::INT,
            other => other,
        }
    }

    /// The type of an operation on two integer operands, as libdtrace's `dt_type_promote` picks
    /// it: the wider, or the unsigned of two as wide. Unlike C, operands narrower than `int` are
    /// not promoted first, so `unsigned char + char` is an `unsigned char`.
    pub fn common(lhs: Type, rhs: Type) -> Type {
        let (
            Type::Int {
                size: lhs_size,
                signed: lhs_signed,
            },
            Type::Int {
                size: rhs_size,
                signed: rhs_signed,
            },
        ) = (lhs, rhs)
        else {
            return Type::LONG;
        };
        match lhs_size.cmp(&rhs_size) {
            std::cmp::Ordering::Greater => Type::Int {
                size: lhs_size,
                signed: lhs_signed,
            },
            std::cmp::Ordering::Less => Type::Int {
                size: rhs_size,
                signed: rhs_signed,
            },
            std::cmp::Ordering::Equal => Type::Int {
                size: lhs_size,
                signed: lhs_signed && rhs_signed,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_conversions_as_libdtrace_picks_them() {
        let char_type = Type::Int {
            size: 1,
            signed: true,
        };
        let uchar_type = Type::Int {
            size: 1,
            signed: false,
        };
        assert_eq!(Type::common(char_type, char_type), char_type);
        assert_eq!(Type::common(char_type, uchar_type), uchar_type);
        assert_eq!(Type::common(uchar_type, Type::INT), Type::INT);
        assert_eq!(Type::common(Type::INT, Type::UINT), Type::UINT);
        assert_eq!(Type::common(Type::UINT, Type::LONG), Type::LONG);
        assert_eq!(Type::common(Type::LONG, Type::ULONG), Type::ULONG);
    }
}

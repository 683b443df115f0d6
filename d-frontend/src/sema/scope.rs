//! What declarations put in scope, and what sema tells lowering about types.
//!
//! [`Scope`] is sema's own: the tags, typedefs, enumerators and inlines a program declares, looked
//! up by name while checking. [`TypeInfo`] is the part lowering needs, keyed by the span of the
//! expression it is about, so lowering never resolves a name or a member again.

use std::collections::{HashMap, HashSet};

use crate::ast::{Expr, TagKind, VarScope};
use crate::source::Span;
use crate::types::{MemberRef, Type, TypeTable};

/// An `inline` definition: a name that stands for an expression of a declared type.
#[derive(Clone, Debug, PartialEq)]
pub struct Inline {
    /// The name.
    pub name: String,
    /// The declared type, which the value is converted to.
    pub ty: Type,
    /// The expression, typed once at the declaration.
    pub value: Expr,
    /// The value, already converted to `ty`, when it is an integer constant.
    pub constant: Option<u64>,
}

/// The type facts of a checked program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeInfo {
    /// Every pointer, array, struct and union type.
    pub table: TypeTable,
    /// The values of constant expressions (`sizeof`, `offsetof`, enumerators and integer inlines
    /// with constant values), by span.
    pub constants: HashMap<Span, u64>,
    /// For each `.` or `->` expression, the member it names.
    pub members: HashMap<Span, MemberRef>,
    /// For each identifier that names an inline, its index in `inlines`.
    pub inline_uses: HashMap<Span, usize>,
    /// The program's inlines, in declaration order.
    pub inlines: Vec<Inline>,
    /// Scalar variables that hold `alloca` pointers (offsets into the clause's `alloca` area).
    pub alloca_vars: HashSet<(VarScope, String)>,
    /// Scalar variables that were given a pointer that is not an `alloca` pointer.
    pub plain_pointer_vars: HashSet<(VarScope, String)>,
    /// Whether a clause calls `alloca` or `copyin`, so every clause starts a new `alloca` area.
    pub uses_alloca: bool,
}

/// What the program's declarations named.
#[derive(Debug, Default)]
pub(super) struct Scope {
    /// `struct`, `union` and `enum` tags the program declared (an enum as its integer type).
    pub(super) tags: HashMap<(TagKind, String), Type>,
    /// Typedefs the program declared.
    pub(super) typedefs: HashMap<String, Type>,
    /// Enumerators: value and type.
    pub(super) enumerators: HashMap<String, (i64, Type)>,
    /// Inlines, by name, as indexes into [`TypeInfo::inlines`].
    pub(super) inlines: HashMap<String, usize>,
}

//! What declarations put in scope, and what sema tells lowering about types, inlines and
//! translators.
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
    /// For an inline array (`inline int sum[int x, int y] = x + y;`), the parameters' types; the
    /// value names parameter `n` where [`TypeInfo::param_uses`] says so.
    pub params: Vec<Type>,
}

/// A translator: how each member of its output struct is computed from its input.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslatorDef {
    /// The input type.
    pub input: Type,
    /// The output struct or union.
    pub output: Type,
    /// The members it defines, in order (the first wins when one is defined twice).
    pub members: Vec<TranslatorMemberDef>,
}

/// One `member = value;` of a translator.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslatorMemberDef {
    /// The output member's name.
    pub name: String,
    /// The output member's type, which the value is converted to.
    pub ty: Type,
    /// The value, typed once at the definition; its input name is parameter 0 of the translator.
    pub value: Expr,
    /// Whether the value uses `alloca` memory (`copyin`), which reading the member then needs.
    pub uses_alloca: bool,
}

/// What binds a parameter: a translator (its input) or an inline array (its keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Binder {
    /// The translator of that index in [`TypeInfo::translators`].
    Translator(usize),
    /// The inline of that index in [`TypeInfo::inlines`].
    Inline(usize),
}

/// A use of a parameter inside a translator member or an inline array's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamRef {
    /// Whose parameter it is.
    pub binder: Binder,
    /// Which one, from 0.
    pub index: usize,
}

/// A member read through a translator: `xlate<T>(x).m` or `xlate<T *>(x)->m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XlateMember {
    /// The translator, in [`TypeInfo::translators`].
    pub translator: usize,
    /// The member, in its [`TranslatorDef::members`].
    pub member: usize,
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
    /// For each subscripted inline array (`sum[1, 2]`), its index in `inlines`.
    pub inline_calls: HashMap<Span, usize>,
    /// The program's translators, in declaration order.
    pub translators: Vec<TranslatorDef>,
    /// For each `xlate` expression, its translator.
    pub xlates: HashMap<Span, usize>,
    /// For each `.` or `->` on translated data, the translator member it reads.
    pub xlate_members: HashMap<Span, XlateMember>,
    /// For each identifier that names a translator's input or an inline array's parameter, which.
    pub param_uses: HashMap<Span, ParamRef>,
    /// For each `print()` argument, the type its pointee prints with.
    pub prints: HashMap<Span, crate::ir::PrintType>,
    /// For each `args[N]` expression, `N`: its value is the D context's `argN`.
    pub args: HashMap<Span, u8>,
    /// For each identifier that names a kernel symbol (`` `max_pfn ``), its address.
    pub kernel_symbols: HashMap<Span, u64>,
    /// Where the lock word is in the kernel's `struct mutex` (`owner`) and `rwlock_t` (`cnts`),
    /// once a lock subroutine needs it.
    pub lock_words: LockWords,
    /// Scalar variables that hold `alloca` pointers (offsets into the clause's `alloca` area).
    pub alloca_vars: HashSet<(VarScope, String)>,
    /// Scalar variables that were given a pointer that is not an `alloca` pointer.
    pub plain_pointer_vars: HashSet<(VarScope, String)>,
    /// Whether a clause calls `alloca` or `copyin`, so every clause starts a new `alloca` area.
    pub uses_alloca: bool,
    /// The `args[N]` expressions whose value is the address of a string in user memory
    /// (`proc:::exec`), which are read as `copyinstr` reads.
    pub user_string_args: HashSet<Span>,
}

/// Offsets of the lock words the lock subroutines read, from BTF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockWords {
    /// `struct mutex`'s `owner`: the owning task's address, with flag bits in the low 3 bits.
    pub mutex_owner: Option<u32>,
    /// `rwlock_t`'s `cnts` (in its `raw_lock`, a `struct qrwlock`, which comes first): the reader
    /// count above the writer bits.
    pub rwlock_cnts: Option<u32>,
}

/// What the program's declarations named.
#[derive(Debug, Default)]
pub(super) struct Scope {
    /// `struct`, `union` and `enum` tags the program declared (an enum as its integer type).
    pub(super) tags: HashMap<(TagKind, String), Type>,
    /// Typedefs the program declared.
    pub(super) typedefs: HashMap<String, Type>,
    /// The names of [`Scope::typedefs`] the D library declared.
    pub(super) library_typedefs: HashSet<String>,
    /// Enumerators: value and type.
    pub(super) enumerators: HashMap<String, (i64, Type)>,
    /// Inlines, by name, as indexes into [`TypeInfo::inlines`].
    pub(super) inlines: HashMap<String, usize>,
    /// The parameters in scope while a translator member or an inline array's value is checked:
    /// name, type and reference, innermost last.
    pub(super) params: Vec<(String, Type, ParamRef)>,
}

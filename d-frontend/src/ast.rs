//! The abstract syntax tree: what the parser builds and sema checks.
//!
//! The tree keeps every construct of D that the parser accepts, even where sema does not support it
//! yet, so that "not supported" is a clean diagnostic with a span rather than a syntax error.

use crate::source::Span;

/// A whole D program: the items of every `-n` and `-s` source, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// Clauses and directives in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `probe-descriptions /predicate/ { actions }`.
    Clause(Clause),
    /// `#pragma D ...` (the words after `#pragma D`).
    Pragma(Pragma),
    /// A variable declaration: `int x;`, `self string s;`, `this char c;`, `int a[string];`.
    VarDecl(VarDecl),
}

/// Where a variable lives: D's three variable scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VarScope {
    /// A global (`x`), shared by every thread and CPU.
    Global,
    /// A thread-local (`self->x`), one per thread.
    ThreadLocal,
    /// A clause-local (`this->x`), live for one probe firing.
    ClauseLocal,
}

impl VarScope {
    /// The prefix D writes before the variable's name (`self->`, `this->`, or nothing).
    pub fn prefix(self) -> &'static str {
        match self {
            VarScope::Global => "",
            VarScope::ThreadLocal => "self->",
            VarScope::ClauseLocal => "this->",
        }
    }
}

/// One declarator of a variable declaration (`this char a, b;` gives two).
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    /// `self`, `this` or neither.
    pub scope: VarScope,
    /// The type as written; `None` when only a storage class is given (`self x;` declares an `int`).
    pub ty: Option<TypeName>,
    /// The variable's name.
    pub name: String,
    /// For an associative array, the key types between the brackets (`int a[string, int];`).
    pub keys: Option<Vec<TypeName>>,
    /// The declarator (the name and its brackets).
    pub span: Span,
}

/// `#pragma D option name=value` and friends.
#[derive(Clone, Debug, PartialEq)]
pub struct Pragma {
    /// The words after `#pragma D`, e.g. `["option", "quiet"]`.
    pub words: Vec<String>,
    /// The whole line.
    pub span: Span,
}

/// A probe clause.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// The comma-separated probe descriptions.
    pub probes: Vec<ProbeSpec>,
    /// The `/predicate/`, if any.
    pub predicate: Option<Expr>,
    /// The statements between the braces.
    pub body: Vec<Stmt>,
    /// From the first description to the closing brace.
    pub span: Span,
}

/// One probe description as written (`syscall::openat:entry`, `tick-1s`, `BEGIN`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeSpec {
    /// The text, exactly as written (macros such as `$target` not yet expanded).
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A statement in a clause body.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `expr;`
    Expr(Expr),
    /// `if (cond) { ... } else { ... }`
    If {
        /// The condition.
        cond: Expr,
        /// Statements run when it is non-zero.
        then_body: Vec<Stmt>,
        /// Statements run otherwise.
        else_body: Vec<Stmt>,
        /// The whole statement.
        span: Span,
    },
    /// A lone `;`.
    Empty(Span),
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer constant, with C's suffix and base rules already applied.
    Int {
        /// The value's bits.
        value: u64,
        /// `u`/`U` suffix or a hex/octal constant that does not fit in `int`/`long`.
        unsigned: bool,
        /// `l`/`L` suffix (either count) or a value that does not fit in 32 bits.
        long: bool,
    },
    /// A character constant `'a'`.
    Char(u8),
    /// A string literal, escapes decoded.
    Str(Vec<u8>),
    /// An identifier: a built-in variable, a global variable, an enumerator or a function name.
    Ident(String),
    /// A macro variable: `$target`, `$pid`, `$1`, `$$1` (`quoted` for `$$`).
    Macro {
        /// The name after the `$` (`target`, `1`).
        name: String,
        /// Written with `$$`: the value is used as a string.
        quoted: bool,
    },
    /// `@name[keys]`, or `@[keys]` (name is empty), or `@name` (no keys).
    Agg {
        /// The name after `@` (empty for the anonymous aggregation).
        name: String,
        /// The key tuple.
        keys: Vec<Expr>,
    },
    /// `self->name`.
    ThreadLocal(String),
    /// `this->name`.
    ClauseLocal(String),
    /// A prefix or postfix unary operation.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// A binary operation (not assignment).
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `cond ? then : else`.
    Ternary {
        /// The condition.
        cond: Box<Expr>,
        /// Value when non-zero.
        then_expr: Box<Expr>,
        /// Value when zero.
        else_expr: Box<Expr>,
    },
    /// `target op= value`.
    Assign {
        /// `=` or a compound operator.
        op: AssignOp,
        /// The lvalue.
        target: Box<Expr>,
        /// The value.
        value: Box<Expr>,
    },
    /// `func(args)`: a subroutine, action or aggregating function.
    Call {
        /// The function's name.
        func: String,
        /// Where the name is.
        func_span: Span,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `base[index, ...]`: an associative array or `args[N]`.
    Index {
        /// The array.
        base: Box<Expr>,
        /// The subscripts.
        index: Vec<Expr>,
    },
    /// `base.member` or `base->member` (`arrow`).
    Member {
        /// The struct or pointer.
        base: Box<Expr>,
        /// The member's name.
        member: String,
        /// `->` rather than `.`.
        arrow: bool,
    },
    /// `(type) expr`.
    Cast {
        /// The type named in the parentheses.
        ty: TypeName,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `sizeof(type)` or `sizeof expr`.
    SizeOf(Box<SizeOfArg>),
}

/// The operand of `sizeof`.
#[derive(Clone, Debug, PartialEq)]
pub enum SizeOfArg {
    /// `sizeof(type)`.
    Type(TypeName),
    /// `sizeof expr`.
    Expr(Expr),
}

/// A type name as written in a cast or `sizeof` (`unsigned long`, `struct task_struct *`).
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    /// The specifier words, in order (`["unsigned", "long"]`, `["struct", "task_struct"]`).
    pub words: Vec<String>,
    /// How many `*` follow.
    pub pointer_depth: u32,
    /// Where it is.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `!x`
    LogicalNot,
    /// `~x`
    BitNot,
    /// `*x`
    Deref,
    /// `&x`
    AddrOf,
    /// `++x`
    PreInc,
    /// `--x`
    PreDec,
    /// `x++`
    PostInc,
    /// `x--`
    PostDec,
}

/// Binary operators, by C precedence group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&`
    BitAnd,
    /// `^`
    BitXor,
    /// `|`
    BitOr,
    /// `&&`
    LogicalAnd,
    /// `^^`
    LogicalXor,
    /// `||`
    LogicalOr,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitXor => "^",
            BinaryOp::BitOr => "|",
            BinaryOp::LogicalAnd => "&&",
            BinaryOp::LogicalXor => "^^",
            BinaryOp::LogicalOr => "||",
        }
    }
}

/// Assignment operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`
    Assign,
    /// `op=` for an arithmetic or bitwise `op`.
    Compound(BinaryOp),
}

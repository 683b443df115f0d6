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
    /// A declaration: `struct s { ... };`, `typedef int t;`, `inline int x = 1;`, `enum e { A };`,
    /// and variables: `int x;`, `self string s;`, `this char c;`, `int a[string, int];`.
    Decl(Decl),
    /// `translator output < input name > { member = expr; ... };`.
    Translator(Translator),
}

/// A translator definition: how to compute each member of the output struct from the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Translator {
    /// The output type: a struct or union (sema checks), as a specifier and its `*`s.
    pub output: TypeSpec,
    /// How many `*` follow the output specifier.
    pub output_pointer_depth: u32,
    /// The input type.
    pub input: TypeName,
    /// The name the member expressions use for the input.
    pub param: String,
    /// Where that name is.
    pub param_span: Span,
    /// `member = expr;` in order.
    pub members: Vec<TranslatorMember>,
    /// From `translator` to the final `;`.
    pub span: Span,
}

/// `member = expr;` in a translator.
#[derive(Clone, Debug, PartialEq)]
pub struct TranslatorMember {
    /// The output member's name.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// Its value, in terms of the translator's input.
    pub value: Expr,
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

/// A declaration at the outer level.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// `typedef`, `inline`, `self`, `this` or another storage class, if any.
    pub class: DeclClass,
    /// The type specifier; `None` when only a storage class is written (`self x;` declares an
    /// `int`, as C's implicit `int`).
    pub ty: Option<TypeSpec>,
    /// The names declared (none for `struct s { ... };`).
    pub declarators: Vec<Declarator>,
    /// The whole declaration, up to its `;`.
    pub span: Span,
}

/// The storage class of a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclClass {
    /// None written: a type definition, or a global variable when a name is declared.
    None,
    /// `typedef`.
    Typedef,
    /// `inline`.
    Inline,
    /// `self`: thread-local variables.
    ThreadLocal,
    /// `this`: clause-local variables.
    ClauseLocal,
    /// Another class word (`extern`, `static`, `register`, `auto`).
    Other(String),
}

impl DeclClass {
    /// The scope of the variables a declaration of this class declares; `None` for a class that
    /// declares no variables (`typedef`, `inline`, `extern`, ...).
    pub fn var_scope(&self) -> Option<VarScope> {
        match self {
            DeclClass::None => Some(VarScope::Global),
            DeclClass::ThreadLocal => Some(VarScope::ThreadLocal),
            DeclClass::ClauseLocal => Some(VarScope::ClauseLocal),
            DeclClass::Typedef | DeclClass::Inline | DeclClass::Other(_) => None,
        }
    }
}

/// A type specifier in a declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeSpec {
    /// Specifier words (`unsigned long`, `string`, `uint64_t`), with qualifiers dropped.
    Named {
        /// The words in order.
        words: Vec<String>,
        /// Where they are.
        span: Span,
    },
    /// `struct`, `union` or `enum`, with a tag, a body or both.
    Tagged {
        /// Which keyword.
        kind: TagKind,
        /// The tag, if named.
        tag: Option<String>,
        /// The braces, if this defines the type.
        body: Option<TagBody>,
        /// From the keyword to the tag or closing brace.
        span: Span,
    },
}

impl TypeSpec {
    /// Where the specifier is.
    pub fn span(&self) -> Span {
        match self {
            TypeSpec::Named { span, .. } | TypeSpec::Tagged { span, .. } => *span,
        }
    }
}

/// `struct`, `union` or `enum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TagKind {
    /// `struct`.
    Struct,
    /// `union`.
    Union,
    /// `enum`.
    Enum,
}

impl TagKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            TagKind::Struct => "struct",
            TagKind::Union => "union",
            TagKind::Enum => "enum",
        }
    }
}

/// What the braces of a struct, union or enum definition hold.
#[derive(Clone, Debug, PartialEq)]
pub enum TagBody {
    /// Struct or union members.
    Members(Vec<MemberDecl>),
    /// Enumerators.
    Enumerators(Vec<Enumerator>),
}

/// One member declaration line: `int a, *b, c[4];` or an anonymous `struct { ... };`.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberDecl {
    /// The type specifier.
    pub ty: TypeSpec,
    /// The members it declares (none for an anonymous struct or union member).
    pub declarators: Vec<Declarator>,
    /// The whole line.
    pub span: Span,
}

/// `NAME` or `NAME = value` in an enum.
#[derive(Clone, Debug, PartialEq)]
pub struct Enumerator {
    /// The name.
    pub name: String,
    /// The value expression, if given.
    pub value: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// A declarator: `*name[4]`, `bits : 3`, `x = expr`, `a[string, int]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Declarator {
    /// The name declared.
    pub name: String,
    /// How many `*` come before it.
    pub pointer_depth: u32,
    /// The `[N]` suffixes, outermost first.
    pub dims: Vec<Expr>,
    /// For an associative array, the key types between its brackets (`int a[string, int];`).
    pub keys: Option<Vec<TypeName>>,
    /// For an inline array, the parameter names after the key types (`inline int f[int x] = x;`),
    /// one per key; `None` for a key written without a name.
    pub key_names: Vec<Option<(String, Span)>>,
    /// The bitfield width after `:`.
    pub bits: Option<Expr>,
    /// The value after `=` (for `inline`).
    pub init: Option<Expr>,
    /// For a function prototype, its parameter types (`void f(int, char *);`); `...` is left out.
    pub params: Option<Vec<TypeName>>,
    /// Where it is.
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
    /// `xlate<type>(operand)`: the operand seen through the translator to `type`.
    Xlate {
        /// The output type, a struct or union or a pointer to one.
        ty: TypeName,
        /// The input.
        operand: Box<Expr>,
    },
    /// `offsetof(type, member)`.
    OffsetOf {
        /// The struct or union type.
        ty: TypeName,
        /// The member's name.
        member: String,
        /// Where the member's name is.
        member_span: Span,
    },
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

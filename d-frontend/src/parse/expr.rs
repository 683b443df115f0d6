//! Expressions and type names.
//!
//! Binary operators are parsed by precedence climbing over [`binary_op`]'s table, which lists C's
//! levels as `dt_grammar.y` does (`^^` sits between `||` and `&&`). Everything else is one
//! function per grammar level: assignment, conditional, unary (with casts and `sizeof`), postfix
//! and primary.
//!
//! Without a type catalog the parser cannot ask, as libdtrace does, whether a name is a kernel
//! typedef. So `(name)` is a cast when the name is one of D's built-in typedefs or a typedef the
//! program declared, or when what follows can only be an operand (`(pid_t)-1`, `(myint_t)-1`,
//! `(u32)arg0`), and `(name *)` always is; `sizeof(name)` is left as an expression for sema to
//! reinterpret.

use super::{PResult, ParseError, Parser};
use crate::ast::{AssignOp, BinaryOp, Expr, ExprKind, SizeOfArg, TypeName, UnaryOp};
use crate::builtin::variable;
use crate::lex::{Keyword, TokenKind};
use crate::provider::KernelNamespace;
use crate::source::Span;
use crate::types::d_typedef;

/// The binary operator a token spells and its precedence (higher binds tighter).
fn binary_op(kind: &TokenKind) -> Option<(BinaryOp, u8)> {
    let op = match kind {
        TokenKind::PipePipe => (BinaryOp::LogicalOr, 1),
        TokenKind::CaretCaret => (BinaryOp::LogicalXor, 2),
        TokenKind::AmpAmp => (BinaryOp::LogicalAnd, 3),
        TokenKind::Pipe => (BinaryOp::BitOr, 4),
        TokenKind::Caret => (BinaryOp::BitXor, 5),
        TokenKind::Amp => (BinaryOp::BitAnd, 6),
        TokenKind::EqEq => (BinaryOp::Eq, 7),
        TokenKind::BangEq => (BinaryOp::Ne, 7),
        TokenKind::Lt => (BinaryOp::Lt, 8),
        TokenKind::Le => (BinaryOp::Le, 8),
        TokenKind::Gt => (BinaryOp::Gt, 8),
        TokenKind::Ge => (BinaryOp::Ge, 8),
        TokenKind::Shl => (BinaryOp::Shl, 9),
        TokenKind::Shr => (BinaryOp::Shr, 9),
        TokenKind::Plus => (BinaryOp::Add, 10),
        TokenKind::Minus => (BinaryOp::Sub, 10),
        TokenKind::Star => (BinaryOp::Mul, 11),
        TokenKind::Slash => (BinaryOp::Div, 11),
        TokenKind::Percent => (BinaryOp::Mod, 11),
        _ => return None,
    };
    Some(op)
}

fn assign_op(kind: &TokenKind) -> Option<AssignOp> {
    let op = match kind {
        TokenKind::Assign => return Some(AssignOp::Assign),
        TokenKind::PlusAssign => BinaryOp::Add,
        TokenKind::MinusAssign => BinaryOp::Sub,
        TokenKind::StarAssign => BinaryOp::Mul,
        TokenKind::SlashAssign => BinaryOp::Div,
        TokenKind::PercentAssign => BinaryOp::Mod,
        TokenKind::AmpAssign => BinaryOp::BitAnd,
        TokenKind::PipeAssign => BinaryOp::BitOr,
        TokenKind::CaretAssign => BinaryOp::BitXor,
        TokenKind::ShlAssign => BinaryOp::Shl,
        TokenKind::ShrAssign => BinaryOp::Shr,
        _ => return None,
    };
    Some(AssignOp::Compound(op))
}

/// A token that can only start an operand, never continue an expression: after `(name)` it makes
/// the parenthesis a cast.
fn starts_operand(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Ident(_)
            | TokenKind::Int(_)
            | TokenKind::Char(_)
            | TokenKind::Str(_)
            | TokenKind::Macro { .. }
            | TokenKind::Agg(_)
            | TokenKind::LParen
            | TokenKind::Bang
            | TokenKind::Tilde
            | TokenKind::Keyword(
                Keyword::SelfKw
                    | Keyword::This
                    | Keyword::Sizeof
                    | Keyword::Stringof
                    | Keyword::Xlate
            )
    )
}

/// Whether a token after `(name)` may start an operand or continue a binary expression, so that
/// only knowing whether `name` is a type decides (`(uint)-1`, `(x) - 1`).
fn unary_or_binary(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Minus | TokenKind::Plus | TokenKind::Star | TokenKind::Amp
    )
}

fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

impl<'t> Parser<'t> {
    /// An assignment expression: the widest expression D allows outside statements.
    pub(super) fn parse_expr(&mut self) -> PResult<'t, Expr> {
        self.enter()?;
        let result = self.parse_assignment();
        self.leave();
        result
    }

    fn parse_assignment(&mut self) -> PResult<'t, Expr> {
        let target = self.parse_conditional()?;
        let Some(op) = assign_op(&self.peek().kind) else {
            return Ok(target);
        };
        self.bump();
        let value = self.parse_expr()?;
        let span = target.span.to(value.span);
        Ok(expr(
            ExprKind::Assign {
                op,
                target: Box::new(target),
                value: Box::new(value),
            },
            span,
        ))
    }

    fn parse_conditional(&mut self) -> PResult<'t, Expr> {
        let cond = self.parse_binary(1)?;
        if !self.at(&TokenKind::Question) {
            return Ok(cond);
        }
        self.bump();
        let then_expr = self.parse_expr()?;
        self.expect(&TokenKind::Colon)?;
        self.enter()?;
        let else_expr = self.parse_conditional();
        self.leave();
        let else_expr = else_expr?;
        let span = cond.span.to(else_expr.span);
        Ok(expr(
            ExprKind::Ternary {
                cond: Box::new(cond),
                then_expr: Box::new(then_expr),
                else_expr: Box::new(else_expr),
            },
            span,
        ))
    }

    /// Binary operators of precedence `min_prec` and tighter, left-associative.
    ///
    /// Each operator deepens the left-leaning tree, so each counts as a nesting level until the
    /// chain ends; the recursion itself is bounded by the number of precedence levels.
    fn parse_binary(&mut self, min_prec: u8) -> PResult<'t, Expr> {
        let mut lhs = self.parse_unary()?;
        let depth = self.depth;
        let result = loop {
            let Some((op, prec)) = binary_op(&self.peek().kind) else {
                break Ok(lhs);
            };
            if prec < min_prec {
                break Ok(lhs);
            }
            if let Err(error) = self.enter() {
                break Err(error);
            }
            self.bump();
            let rhs = match self.parse_binary(prec + 1) {
                Ok(rhs) => rhs,
                Err(error) => break Err(error),
            };
            let span = lhs.span.to(rhs.span);
            lhs = expr(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
        };
        self.depth = depth;
        result
    }

    fn parse_unary(&mut self) -> PResult<'t, Expr> {
        self.enter()?;
        let result = self.parse_unary_inner();
        self.leave();
        result
    }

    fn parse_unary_inner(&mut self) -> PResult<'t, Expr> {
        let token = self.peek();
        let op = match token.kind {
            TokenKind::PlusPlus => UnaryOp::PreInc,
            TokenKind::MinusMinus => UnaryOp::PreDec,
            TokenKind::Amp => UnaryOp::AddrOf,
            TokenKind::Star => UnaryOp::Deref,
            TokenKind::Plus => UnaryOp::Plus,
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Tilde => UnaryOp::BitNot,
            TokenKind::Bang => UnaryOp::LogicalNot,
            TokenKind::Keyword(Keyword::Sizeof) => return self.parse_sizeof(),
            TokenKind::Keyword(Keyword::Stringof) => return self.parse_stringof(),
            TokenKind::LParen if self.paren_holds_type(true) => return self.parse_cast(),
            _ => return self.parse_postfix(),
        };
        self.bump();
        let operand = self.parse_unary()?;
        let span = token.span.to(operand.span);
        Ok(expr(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    /// `stringof operand`, kept as a call of `stringof` since the AST has no node of its own for it.
    fn parse_stringof(&mut self) -> PResult<'t, Expr> {
        let keyword = self.bump();
        let operand = self.parse_unary()?;
        let span = keyword.span.to(operand.span);
        let call = ExprKind::Call {
            func: "stringof".to_owned(),
            func_span: keyword.span,
            args: vec![operand],
        };
        Ok(expr(call, span))
    }

    /// Whether the `(` at the cursor encloses a type name: type keywords, a known typedef, or a
    /// name with `*`s. With `for_cast`, any `(name)` followed by an operand counts too.
    fn paren_holds_type(&self, for_cast: bool) -> bool {
        match &self.nth(1).kind {
            TokenKind::Keyword(keyword) => keyword.starts_type(),
            TokenKind::Ident(name) => {
                let mut ahead = 2;
                while self.nth(ahead).kind == TokenKind::Star {
                    ahead += 1;
                }
                let known_type = d_typedef(name).is_some() || self.typedef_names.contains(name);
                let next = &self.nth(ahead + 1).kind;
                self.nth(ahead).kind == TokenKind::RParen
                    && (ahead > 2
                        || known_type
                        || for_cast && starts_operand(next)
                        || for_cast && unary_or_binary(next) && self.is_kernel_typedef(name))
            }
            _ => false,
        }
    }

    /// Whether the catalog has a kernel typedef called `name`. A built-in variable's name is
    /// never one, as D looks identifiers up before types, and asking would load kernel BTF for
    /// `(timestamp) - self->ts`.
    fn is_kernel_typedef(&self, name: &str) -> bool {
        variable::lookup(name).is_none()
            && self.catalog.is_some_and(|catalog| {
                catalog
                    .kernel_type_named(KernelNamespace::Plain, name)
                    .is_some()
            })
    }

    /// `(type) operand`.
    fn parse_cast(&mut self) -> PResult<'t, Expr> {
        let open = self.bump();
        let ty = self.parse_type_name()?;
        self.expect(&TokenKind::RParen)?;
        let operand = self.parse_unary()?;
        let span = open.span.to(operand.span);
        Ok(expr(
            ExprKind::Cast {
                ty,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    /// `sizeof(type)` or `sizeof expr`.
    fn parse_sizeof(&mut self) -> PResult<'t, Expr> {
        let keyword = self.bump();
        let (arg, end) = if self.at(&TokenKind::LParen) && self.paren_holds_type(false) {
            self.bump();
            let ty = self.parse_type_name()?;
            let close = self.expect(&TokenKind::RParen)?;
            (SizeOfArg::Type(ty), close.span)
        } else {
            let operand = self.parse_unary()?;
            let end = operand.span;
            (SizeOfArg::Expr(operand), end)
        };
        Ok(expr(ExprKind::SizeOf(Box::new(arg)), keyword.span.to(end)))
    }

    /// `offsetof(type, member)`.
    fn parse_offsetof(&mut self) -> PResult<'t, Expr> {
        let keyword = self.bump();
        self.expect(&TokenKind::LParen)?;
        let ty = self.parse_type_name()?;
        self.expect(&TokenKind::Comma)?;
        let member_token = self.peek();
        let TokenKind::Ident(member) = &member_token.kind else {
            return Err(self.unexpected());
        };
        self.bump();
        let close = self.expect(&TokenKind::RParen)?;
        Ok(expr(
            ExprKind::OffsetOf {
                ty,
                member: member.clone(),
                member_span: member_token.span,
            },
            keyword.span.to(close.span),
        ))
    }

    /// `xlate < type > ( expression )`.
    fn parse_xlate(&mut self) -> PResult<'t, Expr> {
        let keyword = self.bump();
        self.expect(&TokenKind::Lt)?;
        let ty = self.parse_type_name()?;
        self.expect(&TokenKind::Gt)?;
        self.expect(&TokenKind::LParen)?;
        let operand = self.parse_expr()?;
        let close = self.expect(&TokenKind::RParen)?;
        Ok(expr(
            ExprKind::Xlate {
                ty,
                operand: Box::new(operand),
            },
            keyword.span.to(close.span),
        ))
    }

    /// A type name: specifier words, then `*`s.
    pub(super) fn parse_type_name(&mut self) -> PResult<'t, TypeName> {
        let start = self.peek().span;
        let mut words = Vec::new();
        let mut has_base = false;
        loop {
            let token = self.peek();
            match &token.kind {
                TokenKind::Keyword(keyword) if keyword.is_qualifier() || keyword.is_base_type() => {
                    words.push(keyword.as_str().to_owned());
                    has_base |= keyword.is_base_type();
                }
                TokenKind::Keyword(keyword) if keyword.is_tagged() && !has_base => {
                    words.push(keyword.as_str().to_owned());
                    self.bump();
                    let TokenKind::Ident(tag) = &self.peek().kind else {
                        return Err(self.unexpected());
                    };
                    words.push(tag.clone());
                    has_base = true;
                }
                TokenKind::Ident(name) if !has_base => {
                    words.push(name.clone());
                    has_base = true;
                }
                _ => break,
            }
            self.bump();
        }
        if words.is_empty() {
            return Err(self.unexpected());
        }
        let mut pointer_depth = 0;
        while self.at(&TokenKind::Star) {
            self.bump();
            pointer_depth += 1;
        }
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(TypeName {
            words,
            pointer_depth,
            span: start.to(end),
        })
    }

    /// Postfix operators: `[keys]`, `(args)`, `.member`, `->member`, `++`, `--`.
    ///
    /// Like binary operators, each one deepens the tree and counts as a nesting level.
    fn parse_postfix(&mut self) -> PResult<'t, Expr> {
        let mut base = self.parse_primary()?;
        let depth = self.depth;
        let result = loop {
            let token = self.peek();
            let op = match token.kind {
                TokenKind::LBracket
                | TokenKind::LParen
                | TokenKind::Dot
                | TokenKind::Arrow
                | TokenKind::PlusPlus
                | TokenKind::MinusMinus => &token.kind,
                _ => break Ok(base),
            };
            if let Err(error) = self.enter() {
                break Err(error);
            }
            let step = match op {
                TokenKind::LBracket => self.parse_index(base),
                TokenKind::LParen => self.parse_call(base),
                TokenKind::Dot | TokenKind::Arrow => self.parse_member(base),
                _ => Ok(self.parse_post_step(base)),
            };
            base = match step {
                Ok(next) => next,
                Err(error) => break Err(error),
            };
        };
        self.depth = depth;
        result
    }

    /// `base++` or `base--`.
    fn parse_post_step(&mut self, base: Expr) -> Expr {
        let token = self.bump();
        let op = if token.kind == TokenKind::PlusPlus {
            UnaryOp::PostInc
        } else {
            UnaryOp::PostDec
        };
        let span = base.span.to(token.span);
        let operand = Box::new(base);
        expr(ExprKind::Unary { op, operand }, span)
    }

    fn parse_index(&mut self, base: Expr) -> PResult<'t, Expr> {
        self.bump();
        let index = self.parse_list()?;
        let close = self.expect(&TokenKind::RBracket)?;
        let span = base.span.to(close.span);
        Ok(expr(
            ExprKind::Index {
                base: Box::new(base),
                index,
            },
            span,
        ))
    }

    /// `func(args)`: only a plain name can be called (`D_FUNC_IDENT` otherwise, as for `tick-1()`,
    /// which is `tick - 1()`).
    fn parse_call(&mut self, base: Expr) -> PResult<'t, Expr> {
        let ExprKind::Ident(func) = base.kind else {
            return Err(ParseError::FuncIdent { span: base.span });
        };
        self.bump();
        let args = if self.at(&TokenKind::RParen) {
            Vec::new()
        } else {
            self.parse_list()?
        };
        let close = self.expect(&TokenKind::RParen)?;
        let call = ExprKind::Call {
            func,
            func_span: base.span,
            args,
        };
        Ok(expr(call, base.span.to(close.span)))
    }

    fn parse_member(&mut self, base: Expr) -> PResult<'t, Expr> {
        let arrow = self.bump().kind == TokenKind::Arrow;
        let token = self.peek();
        let TokenKind::Ident(member) = &token.kind else {
            return Err(self.unexpected());
        };
        self.bump();
        let span = base.span.to(token.span);
        Ok(expr(
            ExprKind::Member {
                base: Box::new(base),
                member: member.clone(),
                arrow,
            },
            span,
        ))
    }

    /// One or more assignment expressions separated by `,`.
    fn parse_list(&mut self) -> PResult<'t, Vec<Expr>> {
        let mut list = vec![self.parse_expr()?];
        while self.at(&TokenKind::Comma) {
            self.bump();
            list.push(self.parse_expr()?);
        }
        Ok(list)
    }

    fn parse_primary(&mut self) -> PResult<'t, Expr> {
        let token = self.peek();
        let kind = match &token.kind {
            TokenKind::Ident(name) => ExprKind::Ident(name.clone()),
            TokenKind::Int(lit) => ExprKind::Int {
                value: lit.value,
                unsigned: lit.unsigned,
                long: lit.long,
            },
            TokenKind::Char(byte) => ExprKind::Char(*byte),
            TokenKind::Str(bytes) => ExprKind::Str(bytes.clone()),
            TokenKind::Macro { name, quoted } => ExprKind::Macro {
                name: name.clone(),
                quoted: *quoted,
            },
            TokenKind::Agg(name) => return self.parse_agg(name),
            TokenKind::Keyword(keyword @ (Keyword::SelfKw | Keyword::This)) => {
                return Ok(self.parse_variable_scope(*keyword));
            }
            TokenKind::Keyword(Keyword::Offsetof) => return self.parse_offsetof(),
            TokenKind::Keyword(Keyword::Xlate) => return self.parse_xlate(),
            TokenKind::LParen => {
                self.bump();
                let inner = self.parse_expr()?;
                let close = self.expect(&TokenKind::RParen)?;
                return Ok(expr(inner.kind, token.span.to(close.span)));
            }
            _ => return Err(self.unexpected()),
        };
        self.bump();
        Ok(expr(kind, token.span))
    }

    /// `@name`, `@name[keys]`, `@[keys]`.
    fn parse_agg(&mut self, name: &str) -> PResult<'t, Expr> {
        let token = self.bump();
        let mut span = token.span;
        let mut keys = Vec::new();
        if self.at(&TokenKind::LBracket) {
            self.bump();
            keys = self.parse_list()?;
            span = span.to(self.expect(&TokenKind::RBracket)?.span);
        }
        let name = name.to_owned();
        Ok(expr(ExprKind::Agg { name, keys }, span))
    }

    /// `self->name` or `this->name`; a bare `self` or `this` is left as a name for sema.
    fn parse_variable_scope(&mut self, keyword: Keyword) -> Expr {
        let token = self.bump();
        if let (TokenKind::Arrow, TokenKind::Ident(name)) = (&self.peek().kind, &self.nth(1).kind) {
            self.bump();
            let name_token = self.bump();
            let kind = if keyword == Keyword::SelfKw {
                ExprKind::ThreadLocal(name.clone())
            } else {
                ExprKind::ClauseLocal(name.clone())
            };
            return expr(kind, token.span.to(name_token.span));
        }
        expr(ExprKind::Ident(keyword.as_str().to_owned()), token.span)
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{BinaryOp, Expr, ExprKind, Item, Program, SizeOfArg, Stmt, UnaryOp};
    use crate::diagnostic::Origin;
    use crate::parse::{KnownTypes, Macros, parse_source, parse_source_with_known_types};
    use crate::provider::{KernelNamespace, KernelTypeId, MemberInfo, ProbeCatalog, SyscallInfo};
    use crate::source::SourceMap;

    /// Parses `text` as the only statement of a clause.
    fn parse_expr(text: &str) -> Expr {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", format!("BEGIN {{ {text}; }}"));
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
        let [Item::Clause(clause)] = &program.items[..] else {
            panic!("{text}: {program:?}");
        };
        let [Stmt::Expr(expr)] = &clause.body[..] else {
            panic!("{text}: {:?}", clause.body);
        };
        expr.clone()
    }

    /// A compact prefix rendering of an expression for precedence tests.
    fn shape(expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Ident(name) => name.clone(),
            ExprKind::Int { value, .. } => value.to_string(),
            ExprKind::Binary { op, lhs, rhs } => {
                format!("({} {} {})", op.symbol(), shape(lhs), shape(rhs))
            }
            ExprKind::Unary { op, operand } => format!("({op:?} {})", shape(operand)),
            ExprKind::Assign { target, value, .. } => {
                format!("(= {} {})", shape(target), shape(value))
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => format!(
                "(? {} {} {})",
                shape(cond),
                shape(then_expr),
                shape(else_expr)
            ),
            ExprKind::Cast { ty, operand } => {
                format!(
                    "(cast {}{} {})",
                    ty.words.join(" "),
                    "*".repeat(ty.pointer_depth as usize),
                    shape(operand)
                )
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn precedence_follows_c_with_logical_xor() {
        for (text, expected) in [
            ("a + b * c", "(+ a (* b c))"),
            ("a - b - c", "(- (- a b) c)"),
            ("a || b ^^ c && d", "(|| a (^^ b (&& c d)))"),
            ("a | b ^ c & d == e", "(| a (^ b (& c (== d e))))"),
            ("a < b << c", "(< a (<< b c))"),
            ("a = b = c ? d : e", "(= a (= b (? c d e)))"),
            ("a ? b : c ? d : e", "(? a b (? c d e))"),
            ("-a++ * !b", "(* (Neg (PostInc a)) (LogicalNot b))"),
            ("*p & ~q", "(& (Deref p) (BitNot q))"),
            ("(a + b) * c", "(* (+ a b) c)"),
        ] {
            assert_eq!(shape(&parse_expr(text)), expected, "{text}");
        }
    }

    #[test]
    fn casts_need_a_type() {
        for (text, expected) in [
            ("(unsigned long)x", "(cast unsigned long x)"),
            (
                "(struct task_struct *)curthread",
                "(cast struct task_struct* curthread)",
            ),
            ("(uint64_t)arg0", "(cast uint64_t arg0)"),
            ("(foo_t **)-x", "(cast foo_t** (Neg x))"),
            ("(const char *)a", "(cast const char* a)"),
            ("(a) - b", "(- a b)"),
            ("(int16_t)-1", "(cast int16_t (Neg 1))"),
            ("(pid_t)*p", "(cast pid_t (Deref p))"),
        ] {
            assert_eq!(shape(&parse_expr(text)), expected, "{text}");
        }
    }

    /// The shapes of the values assigned by the last clause of `program`, one per statement.
    fn assigned_values(program: &Program) -> Vec<String> {
        let Some(Item::Clause(clause)) = program.items.last() else {
            panic!("{program:?}");
        };
        clause
            .body
            .iter()
            .map(|stmt| match stmt {
                Stmt::Expr(Expr {
                    kind: ExprKind::Assign { value, .. },
                    ..
                }) => shape(value),
                _ => panic!("{stmt:?}"),
            })
            .collect()
    }

    /// A catalog in which every name is a kernel typedef.
    struct EveryNameATypedef;

    impl ProbeCatalog for EveryNameATypedef {
        fn syscalls(&self) -> Vec<SyscallInfo> {
            Vec::new()
        }

        fn struct_member(&self, _: &str, _: &str) -> Option<MemberInfo> {
            None
        }

        fn kernel_type_named(&self, _: KernelNamespace, _: &str) -> Option<KernelTypeId> {
            Some(1)
        }
    }

    #[test]
    fn a_kernel_typedef_before_a_minus_is_a_cast_but_a_builtin_variable_is_not() {
        let mut sources = SourceMap::default();
        let file = sources.add(
            "t.d",
            "BEGIN { x = (uint)-1; y = (timestamp) - 1; }".to_owned(),
        );
        let known = KnownTypes {
            catalog: Some(&EveryNameATypedef),
            ..KnownTypes::default()
        };
        let (program, diagnostics) = parse_source_with_known_types(
            &sources,
            file,
            Origin::Script,
            &Macros::default(),
            false,
            &known,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let values = assigned_values(&program);
        assert_eq!(values, ["(cast uint (Neg 1))", "(- timestamp 1)"]);
    }

    #[test]
    fn a_declared_typedef_in_parentheses_is_a_cast() {
        let mut sources = SourceMap::default();
        let file = sources.add(
            "t.d",
            "typedef short myshort_t;\nBEGIN { x = (myshort_t)-1; y = (other)-1; }".to_owned(),
        );
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let values = assigned_values(&program);
        assert_eq!(values, ["(cast myshort_t (Neg 1))", "(- other 1)"]);
    }

    #[test]
    fn sizeof_takes_a_type_or_an_expression() {
        let ExprKind::SizeOf(arg) = parse_expr("sizeof(int)").kind else {
            panic!()
        };
        assert!(matches!(*arg, SizeOfArg::Type(ref ty) if ty.words == ["int"]));
        let ExprKind::SizeOf(arg) = parse_expr("sizeof x").kind else {
            panic!()
        };
        assert!(matches!(*arg, SizeOfArg::Expr(_)));
    }

    #[test]
    fn xlate_takes_a_type_and_an_operand_and_members_follow() {
        let ExprKind::Member {
            base,
            member,
            arrow,
        } = parse_expr("xlate<struct out *>(curthread)->pid").kind
        else {
            panic!()
        };
        assert_eq!((member.as_str(), arrow), ("pid", true));
        let ExprKind::Xlate { ty, operand } = base.kind else {
            panic!("{base:?}");
        };
        assert_eq!(
            (ty.words.join(" "), ty.pointer_depth),
            ("struct out".to_owned(), 1)
        );
        assert!(matches!(operand.kind, ExprKind::Ident(ref name) if name == "curthread"));
        assert!(matches!(
            parse_expr("(xlate<out_t>(x + 1)).a").kind,
            ExprKind::Member { arrow: false, .. }
        ));
    }

    #[test]
    fn postfix_forms() {
        assert!(matches!(
            parse_expr("self->x").kind,
            ExprKind::ThreadLocal(ref name) if name == "x"
        ));
        assert!(matches!(
            parse_expr("this->x").kind,
            ExprKind::ClauseLocal(ref name) if name == "x"
        ));
        let ExprKind::Member {
            base,
            member,
            arrow: false,
        } = parse_expr("a->b.c").kind
        else {
            panic!()
        };
        assert_eq!(member, "c");
        assert!(matches!(base.kind, ExprKind::Member { arrow: true, .. }));
        let ExprKind::Assign { target, value, .. } = parse_expr("@x[a, b] = count()").kind else {
            panic!()
        };
        assert!(
            matches!(target.kind, ExprKind::Agg { ref name, ref keys } if name == "x" && keys.len() == 2)
        );
        assert!(
            matches!(value.kind, ExprKind::Call { ref func, ref args, .. } if func == "count" && args.is_empty())
        );
        assert!(matches!(
            parse_expr("stringof(x)").kind,
            ExprKind::Call { ref func, .. } if func == "stringof"
        ));
        assert!(matches!(
            parse_expr("x++").kind,
            ExprKind::Unary {
                op: UnaryOp::PostInc,
                ..
            }
        ));
        assert!(matches!(
            parse_expr("args[0] / 2").kind,
            ExprKind::Binary {
                op: BinaryOp::Div,
                ..
            }
        ));
    }
}

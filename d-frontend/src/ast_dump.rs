//! The `--dump=ast` text: an indented tree, one node per line, each with its span as `@start..end`.
//!
//! The format is for people and snapshot tests, so it favours D's own spelling (`self->x`, `@`,
//! operators as written) over Rust's `Debug` output, and it is stable: nothing in it depends on
//! the machine.

use std::fmt::Write as _;

use crate::ast::{
    AssignOp, Clause, Decl, DeclClass, Declarator, Expr, ExprKind, Item, Program, SizeOfArg, Stmt,
    TagBody, Translator, TypeName, TypeSpec,
};
use crate::lex::{escape, int_type_name};
use crate::source::Span;

/// Renders `program` as an indented tree.
pub fn dump_ast(program: &Program) -> String {
    let mut dumper = Dumper {
        out: String::new(),
        indent: 0,
    };
    dumper.line("Program", None);
    dumper.indent += 1;
    for item in &program.items {
        match item {
            Item::Clause(clause) => dumper.clause(clause),
            Item::Pragma(pragma) => {
                let words: Vec<String> = pragma
                    .words
                    .iter()
                    .map(|word| format!("{word:?}"))
                    .collect();
                dumper.line(&format!("Pragma {}", words.join(" ")), Some(pragma.span));
            }
            Item::Decl(decl) => dumper.decl(decl),
            Item::Translator(translator) => dumper.translator(translator),
        }
    }
    dumper.out
}

struct Dumper {
    out: String,
    indent: usize,
}

impl Dumper {
    fn line(&mut self, text: &str, span: Option<Span>) {
        let _ = write!(self.out, "{:width$}{text}", "", width = self.indent * 2);
        if let Some(span) = span {
            let _ = write!(self.out, " @{}..{}", span.start, span.end);
        }
        self.out.push('\n');
    }

    /// Writes a child group: a heading line, then `body` one level deeper.
    fn group(&mut self, heading: &str, body: impl FnOnce(&mut Dumper)) {
        self.line(heading, None);
        self.indent += 1;
        body(self);
        self.indent -= 1;
    }

    fn clause(&mut self, clause: &Clause) {
        self.line("Clause", Some(clause.span));
        self.indent += 1;
        for probe in &clause.probes {
            self.line(&format!("Probe {:?}", probe.text), Some(probe.span));
        }
        if let Some(predicate) = &clause.predicate {
            self.group("Predicate", |dumper| dumper.expr(predicate));
        }
        self.group("Body", |dumper| dumper.stmts(&clause.body));
        self.indent -= 1;
    }

    fn decl(&mut self, decl: &Decl) {
        let class = match &decl.class {
            DeclClass::None => String::new(),
            DeclClass::Typedef => " typedef".to_owned(),
            DeclClass::Inline => " inline".to_owned(),
            DeclClass::ThreadLocal => " self".to_owned(),
            DeclClass::ClauseLocal => " this".to_owned(),
            DeclClass::Other(word) => format!(" {word}"),
        };
        self.line(&format!("Decl{class}"), Some(decl.span));
        self.indent += 1;
        if let Some(ty) = &decl.ty {
            self.type_spec(ty);
        }
        for declarator in &decl.declarators {
            self.declarator(declarator);
        }
        self.indent -= 1;
    }

    fn translator(&mut self, translator: &Translator) {
        self.line("Translator", Some(translator.span));
        self.indent += 1;
        self.group("Output", |dumper| {
            dumper.type_spec(&translator.output);
            if translator.output_pointer_depth > 0 {
                let stars = "*".repeat(translator.output_pointer_depth as usize);
                dumper.line(&format!("Pointer {stars}"), None);
            }
        });
        self.group("Input", |dumper| dumper.type_name(&translator.input));
        self.line(
            &format!("Param {}", translator.param),
            Some(translator.param_span),
        );
        for member in &translator.members {
            self.line(&format!("Member {}", member.name), Some(member.name_span));
            self.indent += 1;
            self.expr(&member.value);
            self.indent -= 1;
        }
        self.indent -= 1;
    }

    fn type_spec(&mut self, ty: &TypeSpec) {
        match ty {
            TypeSpec::Named { words, span } => {
                self.line(&format!("Type {}", words.join(" ")), Some(*span));
            }
            TypeSpec::Tagged {
                kind,
                tag,
                body,
                span,
            } => {
                let tag = tag.as_deref().unwrap_or("<anon>");
                self.line(&format!("Type {} {tag}", kind.keyword()), Some(*span));
                self.indent += 1;
                match body {
                    Some(TagBody::Members(members)) => {
                        for member in members {
                            self.line("Member", Some(member.span));
                            self.indent += 1;
                            self.type_spec(&member.ty);
                            for declarator in &member.declarators {
                                self.declarator(declarator);
                            }
                            self.indent -= 1;
                        }
                    }
                    Some(TagBody::Enumerators(enumerators)) => {
                        for enumerator in enumerators {
                            self.line(
                                &format!("Enumerator {}", enumerator.name),
                                Some(enumerator.span),
                            );
                            if let Some(value) = &enumerator.value {
                                self.indent += 1;
                                self.expr(value);
                                self.indent -= 1;
                            }
                        }
                    }
                    None => {}
                }
                self.indent -= 1;
            }
        }
    }

    fn declarator(&mut self, declarator: &Declarator) {
        let stars = "*".repeat(declarator.pointer_depth as usize);
        self.line(
            &format!("Declarator {stars}{}", declarator.name),
            Some(declarator.span),
        );
        self.indent += 1;
        for dim in &declarator.dims {
            self.group("Dim", |dumper| dumper.expr(dim));
        }
        if let Some(keys) = &declarator.keys {
            self.group("Keys", |dumper| {
                for (key_idx, key) in keys.iter().enumerate() {
                    dumper.type_name(key);
                    if let Some(Some((name, span))) = declarator.key_names.get(key_idx) {
                        dumper.line(&format!("Param {name}"), Some(*span));
                    }
                }
            });
        }
        if let Some(bits) = &declarator.bits {
            self.group("Bits", |dumper| dumper.expr(bits));
        }
        if let Some(init) = &declarator.init {
            self.group("Init", |dumper| dumper.expr(init));
        }
        self.indent -= 1;
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Expr(expr) => self.expr(expr),
                Stmt::Empty(span) => self.line("Empty", Some(*span)),
                Stmt::If {
                    cond,
                    then_body,
                    else_body,
                    span,
                } => {
                    self.line("If", Some(*span));
                    self.indent += 1;
                    self.group("Cond", |dumper| dumper.expr(cond));
                    self.group("Then", |dumper| dumper.stmts(then_body));
                    if !else_body.is_empty() {
                        self.group("Else", |dumper| dumper.stmts(else_body));
                    }
                    self.indent -= 1;
                }
            }
        }
    }

    fn type_name(&mut self, ty: &TypeName) {
        let stars = "*".repeat(ty.pointer_depth as usize);
        let separator = if stars.is_empty() { "" } else { " " };
        self.line(
            &format!("Type {}{separator}{stars}", ty.words.join(" ")),
            Some(ty.span),
        );
    }

    fn expr(&mut self, expr: &Expr) {
        let (text, children): (String, Vec<&Expr>) = match &expr.kind {
            ExprKind::Int {
                value,
                unsigned,
                long,
            } => {
                let ty = int_type_name(*unsigned, *long);
                (format!("Int {value} {ty}"), vec![])
            }
            ExprKind::Char(byte) => (format!("Char '{}'", escape(&[*byte], b'\'')), vec![]),
            ExprKind::Str(bytes) => (format!("Str \"{}\"", escape(bytes, b'"')), vec![]),
            ExprKind::Ident(name) => (format!("Ident {name}"), vec![]),
            ExprKind::Macro { name, quoted } => {
                let dollars = if *quoted { "$$" } else { "$" };
                (format!("Macro {dollars}{name}"), vec![])
            }
            ExprKind::Agg { name, keys } => (format!("Agg @{name}"), keys.iter().collect()),
            ExprKind::ThreadLocal(name) => (format!("ThreadLocal self->{name}"), vec![]),
            ExprKind::ClauseLocal(name) => (format!("ClauseLocal this->{name}"), vec![]),
            ExprKind::Unary { op, operand } => (format!("Unary {op:?}"), vec![&**operand]),
            ExprKind::Binary { op, lhs, rhs } => {
                (format!("Binary {}", op.symbol()), vec![&**lhs, &**rhs])
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => (
                "Ternary".to_owned(),
                vec![&**cond, &**then_expr, &**else_expr],
            ),
            ExprKind::Assign { op, target, value } => {
                let symbol = match op {
                    AssignOp::Assign => "=".to_owned(),
                    AssignOp::Compound(op) => format!("{}=", op.symbol()),
                };
                (format!("Assign {symbol}"), vec![&**target, &**value])
            }
            ExprKind::Call {
                func,
                func_span,
                args,
            } => (
                format!("Call {func} (name @{}..{})", func_span.start, func_span.end),
                args.iter().collect(),
            ),
            ExprKind::Index { base, index } => {
                let mut children = vec![&**base];
                children.extend(index);
                ("Index".to_owned(), children)
            }
            ExprKind::Member {
                base,
                member,
                arrow,
            } => {
                let operator = if *arrow { "->" } else { "." };
                (format!("Member {operator}{member}"), vec![&**base])
            }
            ExprKind::Cast { ty, operand } => {
                self.line("Cast", Some(expr.span));
                self.indent += 1;
                self.type_name(ty);
                self.expr(operand);
                self.indent -= 1;
                return;
            }
            ExprKind::Xlate { ty, operand } => {
                self.line("Xlate", Some(expr.span));
                self.indent += 1;
                self.type_name(ty);
                self.expr(operand);
                self.indent -= 1;
                return;
            }
            ExprKind::OffsetOf {
                ty,
                member,
                member_span,
            } => {
                self.line("OffsetOf", Some(expr.span));
                self.indent += 1;
                self.type_name(ty);
                self.line(&format!("Member {member}"), Some(*member_span));
                self.indent -= 1;
                return;
            }
            ExprKind::SizeOf(arg) => {
                self.line("SizeOf", Some(expr.span));
                self.indent += 1;
                match &**arg {
                    SizeOfArg::Type(ty) => self.type_name(ty),
                    SizeOfArg::Expr(operand) => self.expr(operand),
                }
                self.indent -= 1;
                return;
            }
        };
        self.line(&text, Some(expr.span));
        self.indent += 1;
        for child in children {
            self.expr(child);
        }
        self.indent -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    #[test]
    fn one_node_per_line_with_spans() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN /x/ { @[a] = count(); }");
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(diagnostics.is_empty());
        assert_eq!(
            dump_ast(&program),
            r#"Program
  Clause @0..29
    Probe "BEGIN" @0..5
    Predicate
      Ident x @7..8
    Body
      Assign = @12..26
        Agg @ @12..16
          Ident a @14..15
        Call count (name @19..24) @19..26
"#
        );
    }
}

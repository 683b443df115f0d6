//! The outer level: clauses, predicates, statements and control lines.

use super::pragma;
use super::{PResult, ParseError, Parser};
use crate::ast::{Clause, Item, ProbeSpec, Program, Stmt};
use crate::lex::{Keyword, Token, TokenKind};
use crate::source::Span;

impl<'t> Parser<'t> {
    /// Parses the whole program; `all_tokens` still holds the control lines the cursor skips.
    pub(super) fn parse_program(&mut self, all_tokens: &'t [Token]) -> Program {
        let mut items = Vec::new();
        loop {
            let token = self.peek();
            match &token.kind {
                TokenKind::Eof => break,
                TokenKind::ProbeSpec(_) | TokenKind::Int(_) => {
                    if let Some(clause) = self.parse_clause() {
                        items.push(Item::Clause(clause));
                    }
                }
                TokenKind::Keyword(Keyword::Translator) => {
                    if let Some(translator) = self.parse_translator() {
                        items.push(Item::Translator(translator));
                    }
                }
                TokenKind::Keyword(Keyword::Provider | Keyword::Import) => {
                    let TokenKind::Keyword(keyword) = token.kind else {
                        unreachable!("matched a keyword");
                    };
                    self.skip_declaration(keyword);
                }
                // A keyword, or one of D's built-in typedefs (the lexer leaves every other word at
                // the outer level a probe description), starts a declaration.
                TokenKind::Keyword(_) | TokenKind::Ident(_) => {
                    if let Some(decl) = self.parse_declaration() {
                        items.push(Item::Decl(decl));
                    }
                }
                _ => {
                    self.report(self.unexpected());
                    self.bump();
                    self.skip_to_clause();
                }
            }
        }
        items.extend(self.control_lines(all_tokens));
        items.sort_by_key(|item| match item {
            Item::Clause(clause) => clause.span.start,
            Item::Pragma(pragma) => pragma.span.start,
            Item::Decl(decl) => decl.span.start,
            Item::Translator(translator) => translator.span.start,
        });
        Program { items }
    }

    /// `description[, description...] [/predicate/] { statements }`.
    fn parse_clause(&mut self) -> Option<Clause> {
        let first = self.peek();
        let mut probes = vec![self.parse_probe_spec()];
        while self.at(&TokenKind::Comma) {
            self.bump();
            if !matches!(
                self.peek().kind,
                TokenKind::ProbeSpec(_) | TokenKind::Int(_)
            ) {
                self.report(self.unexpected());
                self.skip_to_clause();
                return None;
            }
            probes.push(self.parse_probe_spec());
        }
        let mut predicate = None;
        let mut predicate_failed = false;
        if self.at(&TokenKind::Slash) {
            self.bump();
            match self.parse_predicate() {
                Ok(expr) => predicate = Some(expr),
                Err(error) => {
                    self.report(error);
                    self.skip_predicate();
                    predicate_failed = true;
                }
            }
        }
        if !self.at(&TokenKind::LBrace) {
            let at_end = self.at(&TokenKind::Eof);
            if at_end && predicate.is_none() && !predicate_failed && self.bare_descriptions {
                let last = probes.last().map_or(first.span, |probe| probe.span);
                return Some(Clause {
                    probes,
                    predicate,
                    body: Vec::new(),
                    span: first.span.to(last),
                });
            }
            let error = match &predicate {
                _ if predicate_failed => None,
                Some(expr) if at_end => Some(ParseError::ExpectedActions { span: expr.span }),
                None if at_end => Some(ParseError::ExpectedBody { span: first.span }),
                _ => Some(self.unexpected()),
            };
            if let Some(error) = error {
                self.report(error);
            }
            self.skip_to_clause();
            return None;
        }
        let (body, close) = self.parse_block();
        Some(Clause {
            probes,
            predicate,
            body,
            span: first.span.to(close),
        })
    }

    /// A probe description, or a probe id written as an integer.
    fn parse_probe_spec(&mut self) -> ProbeSpec {
        let token = self.bump();
        let text = match &token.kind {
            TokenKind::ProbeSpec(text) => text.clone(),
            other => other.spelling().unwrap_or_default(),
        };
        ProbeSpec {
            text,
            span: token.span,
        }
    }

    fn parse_predicate(&mut self) -> PResult<'t, crate::ast::Expr> {
        let expr = self.parse_expr()?;
        self.expect(&TokenKind::EndPred)?;
        Ok(expr)
    }

    /// `{ statements }`; returns the statements and the closing brace's span.
    ///
    /// Errors inside are reported and skipped, so this always succeeds.
    fn parse_block(&mut self) -> (Vec<Stmt>, Span) {
        self.bump();
        let mut body = Vec::new();
        loop {
            let token = self.peek();
            match token.kind {
                TokenKind::RBrace => {
                    self.bump();
                    return (body, token.span);
                }
                TokenKind::Eof => {
                    self.report(self.unexpected());
                    return (body, token.span);
                }
                _ => {
                    if let Err(error) = self.parse_statement(&mut body) {
                        self.report(error);
                        self.skip_statement();
                    }
                }
            }
        }
    }

    /// One statement: `;`, `if`, or expressions separated by `,` and ended by `;` (which may be
    /// left out before `}`). The comma operator is only allowed here, where it is a sequence.
    fn parse_statement(&mut self, out: &mut Vec<Stmt>) -> PResult<'t, ()> {
        self.enter()?;
        let result = self.parse_statement_inner(out);
        self.leave();
        result
    }

    fn parse_statement_inner(&mut self, out: &mut Vec<Stmt>) -> PResult<'t, ()> {
        let token = self.peek();
        match token.kind {
            TokenKind::Semi => {
                self.bump();
                out.push(Stmt::Empty(token.span));
            }
            TokenKind::Keyword(Keyword::If) => out.push(self.parse_if()?),
            _ => loop {
                out.push(Stmt::Expr(self.parse_expr()?));
                match self.peek().kind {
                    TokenKind::Comma => {
                        self.bump();
                    }
                    TokenKind::Semi => {
                        self.bump();
                        break;
                    }
                    TokenKind::RBrace => break,
                    _ => return Err(self.unexpected()),
                }
            },
        }
        Ok(())
    }

    /// `if (cond) branch [else branch]`.
    fn parse_if(&mut self) -> PResult<'t, Stmt> {
        let if_token = self.bump();
        self.expect(&TokenKind::LParen)?;
        let cond = self.parse_expr()?;
        self.expect(&TokenKind::RParen)?;
        let (then_body, mut end) = self.parse_branch()?;
        let mut else_body = Vec::new();
        if self.at(&TokenKind::Keyword(Keyword::Else)) {
            self.bump();
            (else_body, end) = self.parse_branch()?;
        }
        Ok(Stmt::If {
            cond,
            then_body,
            else_body,
            span: if_token.span.to(end),
        })
    }

    /// A block or a single statement, with the span of its last token.
    fn parse_branch(&mut self) -> PResult<'t, (Vec<Stmt>, Span)> {
        if self.at(&TokenKind::LBrace) {
            return Ok(self.parse_block());
        }
        let mut body = Vec::new();
        self.parse_statement(&mut body)?;
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok((body, end))
    }

    /// Skips past the next `;` or up to the `}` that closes the current block.
    fn skip_statement(&mut self) {
        let mut depth = 0u32;
        loop {
            match self.peek().kind {
                TokenKind::Eof => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if depth == 0 => return,
                TokenKind::RBrace => depth -= 1,
                TokenKind::LBrace => depth += 1,
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips past the predicate's closing `/`, or up to the `{` of the body.
    fn skip_predicate(&mut self) {
        loop {
            match self.peek().kind {
                TokenKind::EndPred => {
                    self.bump();
                    return;
                }
                TokenKind::LBrace | TokenKind::ProbeSpec(_) | TokenKind::Eof => return,
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips up to the next probe description, where a new clause starts.
    fn skip_to_clause(&mut self) {
        while !matches!(self.peek().kind, TokenKind::ProbeSpec(_) | TokenKind::Eof) {
            self.bump();
        }
    }

    /// Reports a declaration (which the AST does not hold) and skips past its `;`.
    fn skip_declaration(&mut self, keyword: Keyword) {
        let token = self.bump();
        let message = match keyword {
            Keyword::Provider => "provider definitions are not supported",
            _ => "import declarations are not supported",
        };
        self.report(ParseError::Unsupported {
            message,
            span: token.span,
        });
        self.skip_past_semicolon();
    }

    /// Skips past the next `;` outside braces, or up to the next probe description.
    pub(super) fn skip_past_semicolon(&mut self) {
        let mut depth = 0u32;
        loop {
            match self.peek().kind {
                TokenKind::Eof | TokenKind::ProbeSpec(_) => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// Turns `#pragma D ...` lines into items and checks the other control lines as
    /// libdtrace's `dt_pragma` does: line markers, `#ident` and other `#pragma`s are ignored.
    fn control_lines(&mut self, all_tokens: &'t [Token]) -> Vec<Item> {
        let mut items = Vec::new();
        for token in all_tokens {
            let TokenKind::Pragma(words) = &token.kind else {
                continue;
            };
            let span = token.span;
            match words.as_slice() {
                [pragma, d, rest @ ..] if pragma == "pragma" && d == "D" => {
                    match pragma::directive(rest, span) {
                        Ok(item) => items.extend(item),
                        Err(error) => self.report(error),
                    }
                }
                [pragma, error, rest @ ..] if pragma == "pragma" && error == "error" => {
                    self.report(ParseError::ErrorDirective { words: rest, span });
                }
                [error, rest @ ..] if error == "error" => {
                    self.report(ParseError::ErrorDirective { words: rest, span });
                }
                [] => {}
                [first, ..]
                    if matches!(first.as_str(), "pragma" | "ident" | "line")
                        || first.starts_with(|ch: char| ch.is_ascii_digit()) => {}
                [first, ..] => self.report(ParseError::InvalidControl { word: first, span }),
            }
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{Item, Stmt};
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    fn parse(text: &str) -> (Vec<Item>, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        let messages = diagnostics.into_iter().map(|d| d.message).collect();
        (program.items, messages)
    }

    #[test]
    fn clauses_with_several_descriptions_and_a_predicate() {
        let (items, messages) = parse("a:b:c:d, tick-1s /x/ { trace(1) }");
        assert!(messages.is_empty(), "{messages:?}");
        let [Item::Clause(clause)] = &items[..] else {
            panic!("{items:?}");
        };
        assert_eq!(clause.probes.len(), 2);
        assert!(clause.predicate.is_some());
        assert_eq!(clause.body.len(), 1);
    }

    #[test]
    fn statements_if_else_and_sequences() {
        let (items, messages) = parse("BEGIN { ; if (a) b = 1; else { c = 2, d = 3; } e }");
        assert!(messages.is_empty(), "{messages:?}");
        let [Item::Clause(clause)] = &items[..] else {
            panic!("{items:?}");
        };
        let [Stmt::Empty(_), Stmt::If { else_body, .. }, Stmt::Expr(_)] = &clause.body[..] else {
            panic!("{:?}", clause.body);
        };
        assert_eq!(else_body.len(), 2);
    }

    #[test]
    fn missing_bodies_use_libdtrace_messages() {
        assert_eq!(
            parse("BEGIN").1,
            ["expected predicate and/or actions following probe description"]
        );
        assert_eq!(
            parse("BEGIN /x/").1,
            ["expected actions { } following probe description and predicate"]
        );
        assert_eq!(parse("BEGIN {").1, ["syntax error near end of input"]);
        assert_eq!(
            parse("BEGIN\n{\n\ttrace(epid);\n}\n}\n").1,
            ["syntax error near \"}\""]
        );
    }

    #[test]
    fn a_probe_specifier_may_end_in_a_bare_description() {
        let mut sources = SourceMap::default();
        let file = sources.add("BEGIN, syscall::read:", "BEGIN, syscall::read:");
        let (tokens, _) = crate::lex::lex(&sources.file(file).text, file);
        let (program, diagnostics) =
            crate::parse::parse_from(&tokens, file, crate::diagnostic::Origin::ProbeSpecifier);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let [Item::Clause(clause)] = &program.items[..] else {
            panic!("{:?}", program.items);
        };
        assert_eq!(clause.probes.len(), 2);
        assert!(clause.body.is_empty() && clause.predicate.is_none());
        let (_, diagnostics) =
            crate::parse::parse_from(&tokens, file, crate::diagnostic::Origin::Script);
        assert_eq!(
            diagnostics[0].message,
            "expected predicate and/or actions following probe description"
        );
    }

    #[test]
    fn errors_resynchronise_at_semicolons_and_braces() {
        let (items, messages) = parse("BEGIN { x = ; y = 1; z = ) ; } END { a b; }");
        assert_eq!(
            messages,
            [
                "syntax error near \";\"",
                "extra ) in input stream",
                "syntax error near \"b\""
            ]
        );
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn control_lines() {
        let (items, messages) = parse(
            "#pragma D option quiet\nBEGIN {\n#pragma D option flowindent\n}\n#ident x\n# 3 \"t.d\"\n",
        );
        assert!(messages.is_empty(), "{messages:?}");
        assert!(matches!(
            &items[..],
            [Item::Pragma(first), Item::Clause(_), Item::Pragma(second)]
                if first.words == ["option", "quiet"] && second.words == ["option", "flowindent"]
        ));
        assert_eq!(parse("#foo\n").1, ["invalid control directive: #foo"]);
        assert_eq!(parse("#error no way\n").1, ["#error: no way "]);
    }

    #[test]
    fn declarations_and_translators_are_items_and_providers_are_skipped() {
        let (items, messages) = parse(
            "self int x;\nstruct s { int a; int b; };\ntranslator struct s < int x > { a = x; };\nprovider p { probe q(); };\nBEGIN {}",
        );
        assert_eq!(messages, ["provider definitions are not supported"]);
        assert!(matches!(
            &items[..],
            [
                Item::Decl(_),
                Item::Decl(_),
                Item::Translator(_),
                Item::Clause(_)
            ]
        ));
    }
}

//! Variable declarations at the outer level: `int x;`, `self string s;`, `this char a, b;`,
//! `uint64_t t;`, `int a[string, int];` (an associative array's value and key types).
//!
//! A declaration is `[self | this] specifiers declarator {, declarator} ;`, where a declarator is a
//! name with optional `*`s before it and an optional key list after it. Every declarator becomes
//! one [`VarDecl`] item; sema decides which types it supports. Declarations this parser does not
//! model (storage classes other than `self` and `this`, struct bodies, function declarators,
//! `inline`, `typedef`, ...) are left to [`Parser::skip_declaration`], which reports them.

use super::{PResult, ParseError, Parser};
use crate::ast::{Item, TypeName, VarDecl, VarScope};
use crate::lex::{Keyword, TokenKind};
use crate::source::Span;

/// Whether the last word is `struct`, `union` or `enum`, which a tag name follows.
fn after_tag(words: &[String]) -> bool {
    words
        .last()
        .is_some_and(|word| matches!(word.as_str(), "struct" | "union" | "enum"))
}

/// What parsing a declaration found.
enum Declaration {
    /// Variable declarators.
    Variables(Vec<VarDecl>),
    /// Something other than a variable declaration, to be skipped.
    Other,
}

impl<'t> Parser<'t> {
    /// Parses the declaration at the cursor (a keyword or a built-in typedef name) into items.
    pub(super) fn parse_declaration(&mut self, items: &mut Vec<Item>) {
        let start = self.pos;
        let first = self.peek();
        match self.parse_var_declaration() {
            Ok(Declaration::Variables(decls)) => {
                items.extend(decls.into_iter().map(Item::VarDecl));
            }
            Ok(Declaration::Other) => {
                self.pos = start;
                let keyword = match first.kind {
                    TokenKind::Keyword(keyword) => Some(keyword),
                    _ => None,
                };
                self.skip_declaration(keyword);
            }
            Err(error) => {
                self.report(error);
                self.skip_past_semicolon();
            }
        }
    }

    fn parse_var_declaration(&mut self) -> PResult<'t, Declaration> {
        let mut scope = VarScope::Global;
        let mut class_span: Option<Span> = None;
        while let TokenKind::Keyword(keyword @ (Keyword::SelfKw | Keyword::This)) = self.peek().kind
        {
            let token = self.bump();
            if class_span.is_some() {
                return Err(ParseError::DeclClass { span: token.span });
            }
            class_span = Some(token.span);
            scope = if keyword == Keyword::SelfKw {
                VarScope::ThreadLocal
            } else {
                VarScope::ClauseLocal
            };
        }
        let Some(words) = self.declaration_specifiers()? else {
            return Ok(Declaration::Other);
        };
        let ty = if words.is_empty() {
            if class_span.is_none() {
                return Ok(Declaration::Other);
            }
            None
        } else {
            let end = self.tokens[self.pos - 1].span;
            let start = self.tokens[self.pos - words.len()].span;
            Some(TypeName {
                words,
                pointer_depth: 0,
                span: start.to(end),
            })
        };
        if self.at(&TokenKind::Semi) {
            let token = self.bump();
            return Err(ParseError::UselessDecl { span: token.span });
        }
        let mut decls = Vec::new();
        loop {
            let Some(decl) = self.declarator(scope, ty.as_ref())? else {
                return Ok(Declaration::Other);
            };
            decls.push(decl);
            match self.peek().kind {
                TokenKind::LParen => return Ok(Declaration::Other),
                TokenKind::Comma => {
                    self.bump();
                }
                TokenKind::Semi => {
                    self.bump();
                    return Ok(Declaration::Variables(decls));
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    /// The type specifier words after the storage class; `None` for a declaration this parser
    /// leaves alone (another storage class, a tagged type with a body).
    fn declaration_specifiers(&mut self) -> PResult<'t, Option<Vec<String>>> {
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
                        return Ok(None);
                    };
                    words.push(tag.clone());
                    if self.nth(1).kind == TokenKind::LBrace {
                        return Ok(None);
                    }
                    has_base = true;
                }
                TokenKind::Keyword(_) => return Ok(None),
                // A name is the type only before any other specifier and when a declarator
                // follows it; otherwise it is the declarator (`self x;`, `int x;`).
                TokenKind::Ident(name)
                    if !has_base
                        && words.is_empty()
                        && matches!(self.nth(1).kind, TokenKind::Ident(_) | TokenKind::Star) =>
                {
                    words.push(name.clone());
                    has_base = true;
                }
                _ => return Ok(Some(words)),
            }
            self.bump();
        }
    }

    /// `[*...] name [ [type, ...] ]`; `None` for a declarator this parser does not model.
    fn declarator(
        &mut self,
        scope: VarScope,
        ty: Option<&TypeName>,
    ) -> PResult<'t, Option<VarDecl>> {
        let start = self.peek().span;
        let mut pointer_depth = 0;
        while self.at(&TokenKind::Star) {
            self.bump();
            pointer_depth += 1;
        }
        let token = self.peek();
        let TokenKind::Ident(name) = &token.kind else {
            if token.kind == TokenKind::LParen {
                return Ok(None);
            }
            return Err(self.unexpected());
        };
        self.bump();
        let mut end = token.span;
        let mut keys = None;
        if self.at(&TokenKind::LBracket) {
            self.bump();
            let mut key_types = Vec::new();
            loop {
                key_types.push(self.key_type()?);
                match self.bump() {
                    comma if comma.kind == TokenKind::Comma => {}
                    close if close.kind == TokenKind::RBracket => {
                        end = close.span;
                        break;
                    }
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected());
                    }
                }
            }
            keys = Some(key_types);
        }
        let ty = ty.map(|ty| TypeName {
            pointer_depth,
            ..ty.clone()
        });
        Ok(Some(VarDecl {
            scope,
            ty,
            name: name.clone(),
            keys,
            span: start.to(end),
        }))
    }

    /// One key type of an associative array declaration: specifier words, then `*`s.
    fn key_type(&mut self) -> PResult<'t, TypeName> {
        let start = self.peek().span;
        let mut words = Vec::new();
        loop {
            let token = self.peek();
            match &token.kind {
                TokenKind::Keyword(keyword) if keyword.starts_type() => {
                    words.push(keyword.as_str().to_owned());
                }
                TokenKind::Ident(name) if words.is_empty() || after_tag(&words) => {
                    words.push(name.clone());
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
        let end = self.tokens[self.pos - 1].span;
        Ok(TypeName {
            words,
            pointer_depth,
            span: start.to(end),
        })
    }

    /// Skips past the next `;` (or up to a probe description or the end of input).
    fn skip_past_semicolon(&mut self) {
        loop {
            match self.peek().kind {
                TokenKind::Eof | TokenKind::ProbeSpec(_) => return,
                TokenKind::Semi => {
                    self.bump();
                    return;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{Item, VarDecl, VarScope};
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    fn parse(text: &str) -> (Vec<Item>, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        let messages = diagnostics.into_iter().map(|d| d.message).collect();
        (program.items, messages)
    }

    fn decls(text: &str) -> Vec<VarDecl> {
        let (items, messages) = parse(text);
        assert!(messages.is_empty(), "{text}: {messages:?}");
        items
            .into_iter()
            .filter_map(|item| match item {
                Item::VarDecl(decl) => Some(decl),
                _ => None,
            })
            .collect()
    }

    /// `scope name: words*depth [keys]` for each declarator.
    fn shapes(text: &str) -> Vec<String> {
        decls(text)
            .iter()
            .map(|decl| {
                let ty = decl.ty.as_ref().map_or("-".to_owned(), |ty| {
                    format!(
                        "{}{}",
                        ty.words.join(" "),
                        "*".repeat(ty.pointer_depth as usize)
                    )
                });
                let keys = decl.keys.as_ref().map_or(String::new(), |keys| {
                    let keys: Vec<String> = keys.iter().map(|key| key.words.join(" ")).collect();
                    format!(" [{}]", keys.join(", "))
                });
                format!("{}{}: {ty}{keys}", decl.scope.prefix(), decl.name)
            })
            .collect()
    }

    #[test]
    fn scalars_of_each_scope() {
        assert_eq!(
            shapes("int x; self string s; this char a, b; uint64_t t; unsigned long long u;"),
            [
                "x: int",
                "self->s: string",
                "this->a: char",
                "this->b: char",
                "t: uint64_t",
                "u: unsigned long long"
            ]
        );
        assert_eq!(shapes("self x, y;"), ["self->x: -", "self->y: -"]);
        assert_eq!(shapes("int *p, q;"), ["p: int*", "q: int"]);
    }

    #[test]
    fn associative_arrays_list_their_key_types() {
        assert_eq!(
            shapes("string s[int]; self int a[string, uint64_t];"),
            ["s: string [int]", "self->a: int [string, uint64_t]"]
        );
        let [decl] = &decls("int a[string];\nBEGIN {}")[..] else {
            panic!()
        };
        assert_eq!((decl.span.start, decl.span.end), (4, 13));
        assert_eq!(decl.scope, VarScope::Global);
    }

    #[test]
    fn declarations_interleave_with_clauses() {
        let (items, messages) = parse("BEGIN { } int i; tick-1s { }");
        assert!(messages.is_empty(), "{messages:?}");
        assert!(matches!(
            &items[..],
            [Item::Clause(_), Item::VarDecl(_), Item::Clause(_)]
        ));
    }

    #[test]
    fn bad_declarations_are_errors() {
        assert_eq!(
            parse("self this int x;").1,
            ["only one storage class allowed in a declaration"]
        );
        assert_eq!(parse("int;").1, ["useless declaration"]);
        assert_eq!(parse("int x y;").1, ["syntax error near \"y\""]);
        assert_eq!(parse("int a[1];\nBEGIN {}").1, ["syntax error near \"1\""]);
    }

    #[test]
    fn other_declarations_are_still_unsupported() {
        assert_eq!(
            parse("inline int x = 1;\nextern int y;\nstruct s { int a; };\nint f(int);").1,
            [
                "inline definitions are not supported",
                "declarations are not supported",
                "declarations are not supported",
                "declarations are not supported"
            ]
        );
    }
}

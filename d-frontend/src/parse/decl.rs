//! Declarations: `struct`, `union` and `enum` definitions, `typedef`, `inline` and variables
//! (`int x;`, `self string s;`, `this char a, b;`, `int a[string, int];`).
//!
//! The grammar is C's, cut down to what D uses (`dt_grammar.y`'s `declaration`): an optional
//! storage class, a type specifier, then declarators with `*`, `[N]`, a bitfield width or an
//! initializer. D adds the `self` and `this` classes and associative arrays, whose brackets hold
//! key types instead of a dimension. A name followed by a parameter list declares a function
//! prototype (`void f(int);`), which libdtrace takes as an `extern` declaration.
//!
//! Without a type catalog the parser takes a name for a typedef only where no base type has been
//! given yet, which is where C needs a type; sema then checks that the name is one. After a storage
//! class the type may be left out (`self x;` declares an `int`), so there a name is the type only
//! when a declarator follows it. Between brackets, a type keyword, a name followed by `*` or `,`,
//! or one of D's built-in typedefs starts a list of key types; anything else is a dimension.

use super::{PResult, ParseError, Parser};
use crate::ast::{
    Decl, DeclClass, Declarator, Enumerator, MemberDecl, TagBody, TagKind, TypeName, TypeSpec,
};
use crate::lex::{Keyword, TokenKind};
use crate::source::Span;
use crate::types::d_typedef;

/// An array declarator's key types and their parameter names.
type KeyTypes = (Vec<TypeName>, Vec<Option<(String, Span)>>);

/// The storage class a keyword names, if it is one.
fn storage_class(keyword: Keyword) -> Option<DeclClass> {
    let class = match keyword {
        Keyword::Typedef => DeclClass::Typedef,
        Keyword::Inline => DeclClass::Inline,
        Keyword::SelfKw => DeclClass::ThreadLocal,
        Keyword::This => DeclClass::ClauseLocal,
        Keyword::Extern | Keyword::Static | Keyword::Register | Keyword::Auto => {
            DeclClass::Other(keyword.as_str().to_owned())
        }
        _ => return None,
    };
    Some(class)
}

impl<'t> Parser<'t> {
    /// A declaration at the outer level; on an error it is reported and skipped past its `;`.
    pub(super) fn parse_declaration(&mut self) -> Option<Decl> {
        match self.parse_declaration_inner() {
            Ok(decl) => Some(decl),
            Err(error) => {
                self.report(error);
                self.skip_past_semicolon();
                None
            }
        }
    }

    fn parse_declaration_inner(&mut self) -> PResult<'t, Decl> {
        let start = self.peek().span;
        let mut class = DeclClass::None;
        while let TokenKind::Keyword(keyword) = self.peek().kind
            && let Some(next_class) = storage_class(keyword)
        {
            let token = self.bump();
            if class != DeclClass::None {
                return Err(ParseError::DeclClass { span: token.span });
            }
            class = next_class;
        }
        let implicit_int = class != DeclClass::None && self.implicit_type();
        let ty = if implicit_int {
            None
        } else {
            Some(self.parse_type_spec()?)
        };
        let mut declarators = Vec::new();
        if !self.at(&TokenKind::Semi) {
            loop {
                let mut declarator = self.parse_declarator(class == DeclClass::Inline)?;
                if self.at(&TokenKind::LParen) && declarator.is_plain() {
                    declarator.params = Some(self.parse_parameters()?);
                    let end = self.tokens[self.pos.saturating_sub(1)].span;
                    declarator.span = declarator.span.to(end);
                }
                declarators.push(declarator);
                if !self.at(&TokenKind::Comma) {
                    break;
                }
                self.bump();
            }
        }
        let semi = self.expect(&TokenKind::Semi)?;
        if class == DeclClass::Typedef {
            self.typedef_names
                .extend(declarators.iter().map(|declarator| declarator.name.clone()));
        }
        Ok(Decl {
            class,
            ty,
            declarators,
            span: start.to(semi.span),
        })
    }

    /// Whether the type is left out after a storage class: the next token is a name that a
    /// declarator, not another name or a `*`, follows (`self x;`, `self x, y;`, `self a[int];`).
    fn implicit_type(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Ident(_))
            && !matches!(self.nth(1).kind, TokenKind::Ident(_) | TokenKind::Star)
    }

    /// Specifier words or a `struct`/`union`/`enum` specifier; qualifiers are dropped.
    pub(super) fn parse_type_spec(&mut self) -> PResult<'t, TypeSpec> {
        let start = self.peek().span;
        let mut words = Vec::new();
        let mut has_typedef_name = false;
        let mut tagged = None;
        loop {
            let token = self.peek();
            match &token.kind {
                TokenKind::Keyword(keyword) if keyword.is_qualifier() => {
                    self.bump();
                }
                TokenKind::Keyword(keyword) if keyword.is_base_type() => {
                    if tagged.is_some() || has_typedef_name {
                        return Err(ParseError::Combination { span: token.span });
                    }
                    words.push(keyword.as_str().to_owned());
                    self.bump();
                }
                TokenKind::Keyword(keyword) if keyword.is_tagged() => {
                    if tagged.is_some() || !words.is_empty() {
                        return Err(ParseError::Combination { span: token.span });
                    }
                    tagged = Some(self.parse_tagged()?);
                }
                TokenKind::Ident(name) if words.is_empty() && tagged.is_none() => {
                    words.push(name.clone());
                    has_typedef_name = true;
                    self.bump();
                }
                _ => break,
            }
        }
        if let Some(tagged) = tagged {
            return Ok(tagged);
        }
        if words.is_empty() {
            return Err(self.unexpected());
        }
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(TypeSpec::Named {
            words,
            span: start.to(end),
        })
    }

    /// `struct tag`, `struct tag { members }`, `struct { members }`, and the same for `union` and
    /// `enum`.
    fn parse_tagged(&mut self) -> PResult<'t, TypeSpec> {
        let keyword = self.bump();
        let kind = match keyword.kind {
            TokenKind::Keyword(Keyword::Union) => TagKind::Union,
            TokenKind::Keyword(Keyword::Enum) => TagKind::Enum,
            _ => TagKind::Struct,
        };
        let mut tag = None;
        if let TokenKind::Ident(name) = &self.peek().kind {
            tag = Some(name.clone());
            self.bump();
        }
        let body = if self.at(&TokenKind::LBrace) {
            // libdtrace rejects a second definition at its `{`, before reading the body.
            if let Some(tag) = &tag
                && !self.defined_tags.insert((kind, tag.clone()))
            {
                return Err(ParseError::TypeRedeclared {
                    kind,
                    tag: tag.clone(),
                    span: self.peek().span,
                });
            }
            self.bump();
            Some(if kind == TagKind::Enum {
                TagBody::Enumerators(self.parse_enumerators()?)
            } else {
                TagBody::Members(self.parse_members()?)
            })
        } else {
            None
        };
        if tag.is_none() && body.is_none() {
            return Err(self.unexpected());
        }
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(TypeSpec::Tagged {
            kind,
            tag,
            body,
            span: keyword.span.to(end),
        })
    }

    /// Member lines up to and including the closing `}`; at least one.
    fn parse_members(&mut self) -> PResult<'t, Vec<MemberDecl>> {
        let mut members = Vec::new();
        loop {
            if self.at(&TokenKind::RBrace) && !members.is_empty() {
                self.bump();
                return Ok(members);
            }
            self.enter()?;
            let member = self.parse_member_decl();
            self.leave();
            members.push(member?);
        }
    }

    fn parse_member_decl(&mut self) -> PResult<'t, MemberDecl> {
        let start = self.peek().span;
        let ty = self.parse_type_spec()?;
        let mut declarators = Vec::new();
        if !self.at(&TokenKind::Semi) {
            loop {
                declarators.push(self.parse_declarator(false)?);
                if !self.at(&TokenKind::Comma) {
                    break;
                }
                self.bump();
            }
        }
        let semi = self.expect(&TokenKind::Semi)?;
        Ok(MemberDecl {
            ty,
            declarators,
            span: start.to(semi.span),
        })
    }

    /// `NAME [= value]` separated by commas (a trailing one allowed) up to and including `}`.
    fn parse_enumerators(&mut self) -> PResult<'t, Vec<Enumerator>> {
        let mut enumerators = Vec::new();
        loop {
            if self.at(&TokenKind::RBrace) && !enumerators.is_empty() {
                self.bump();
                return Ok(enumerators);
            }
            let token = self.peek();
            let TokenKind::Ident(name) = &token.kind else {
                return Err(self.unexpected());
            };
            self.bump();
            let mut span = token.span;
            let mut value = None;
            if self.at(&TokenKind::Assign) {
                self.bump();
                let expr = self.parse_expr()?;
                span = span.to(expr.span);
                value = Some(expr);
            }
            enumerators.push(Enumerator {
                name: name.clone(),
                value,
                span,
            });
            match self.peek().kind {
                TokenKind::Comma => {
                    self.bump();
                }
                TokenKind::RBrace => {}
                _ => return Err(self.unexpected()),
            }
        }
    }

    /// `*name[N]`, `name : bits`, and `name = value` where `initialized` (only an inline has a
    /// value: D gives variables none, so elsewhere `=` is a syntax error as in DTrace).
    fn parse_declarator(&mut self, initialized: bool) -> PResult<'t, Declarator> {
        let start = self.peek().span;
        let mut pointer_depth = 0;
        while self.at(&TokenKind::Star) {
            self.bump();
            pointer_depth += 1;
        }
        let TokenKind::Ident(name) = &self.peek().kind else {
            return Err(self.unexpected());
        };
        let name = name.clone();
        self.bump();
        let mut dims = Vec::new();
        let mut keys = None;
        let mut key_names = Vec::new();
        while keys.is_none() && self.at(&TokenKind::LBracket) {
            self.bump();
            if dims.is_empty() && self.bracket_holds_types() {
                let (types, names) = self.parse_key_types()?;
                keys = Some(types);
                key_names = names;
                continue;
            }
            dims.push(self.parse_expr()?);
            self.expect(&TokenKind::RBracket)?;
        }
        let mut bits = None;
        if self.at(&TokenKind::Colon) {
            self.bump();
            bits = Some(self.parse_expr()?);
        }
        let mut init = None;
        if initialized && self.at(&TokenKind::Assign) {
            self.bump();
            init = Some(self.parse_expr()?);
        }
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(Declarator {
            name,
            pointer_depth,
            dims,
            keys,
            key_names,
            bits,
            init,
            params: None,
            span: start.to(end),
        })
    }

    /// Whether the brackets just opened hold an associative array's key types.
    fn bracket_holds_types(&self) -> bool {
        match &self.peek().kind {
            TokenKind::Keyword(keyword) => keyword.starts_type(),
            TokenKind::Ident(name) => {
                matches!(
                    self.nth(1).kind,
                    TokenKind::Star | TokenKind::Comma | TokenKind::Ident(_)
                ) || d_typedef(name).is_some()
            }
            _ => false,
        }
    }

    /// Key types separated by commas, up to and including the `]`, each with the parameter name
    /// an inline array gives it, if any (`inline int sum[int x, int y] = x + y;`).
    fn parse_key_types(&mut self) -> PResult<'t, KeyTypes> {
        let mut keys = Vec::new();
        let mut names = Vec::new();
        loop {
            keys.push(self.parse_type_name()?);
            let token = self.peek();
            names.push(match &token.kind {
                TokenKind::Ident(name) => {
                    self.bump();
                    Some((name.clone(), token.span))
                }
                _ => None,
            });
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        self.expect(&TokenKind::RBracket)?;
        Ok((keys, names))
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{Decl, DeclClass, Item, TagBody, TagKind, TypeSpec, VarScope};
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    fn parse(text: &str) -> (Vec<Decl>, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        let decls = program
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Decl(decl) => Some(decl),
                _ => None,
            })
            .collect();
        let messages = diagnostics.into_iter().map(|d| d.message).collect();
        (decls, messages)
    }

    #[test]
    fn struct_definitions_with_members_of_every_shape() {
        let (decls, messages) = parse(
            "struct s {\n\tint a, *b;\n\tchar name[16];\n\tunsigned flag : 3;\n\tunion { int x; long y; };\n};\nBEGIN {}",
        );
        assert!(messages.is_empty(), "{messages:?}");
        let [decl] = &decls[..] else {
            panic!("{decls:?}");
        };
        let Some(TypeSpec::Tagged {
            kind: TagKind::Struct,
            tag: Some(tag),
            body: Some(TagBody::Members(members)),
            ..
        }) = &decl.ty
        else {
            panic!("{:?}", decl.ty);
        };
        assert_eq!(tag, "s");
        assert_eq!(members.len(), 4);
        assert_eq!(members[0].declarators[1].pointer_depth, 1);
        assert_eq!(members[1].declarators[0].dims.len(), 1);
        assert!(members[2].declarators[0].bits.is_some());
        assert!(members[3].declarators.is_empty());
    }

    #[test]
    fn typedef_enum_and_inline() {
        let (decls, messages) = parse(
            "typedef unsigned long long u64_t;\nenum e { A, B = 5, C, };\ninline int MAX = 10 / 2;\n",
        );
        assert!(messages.is_empty(), "{messages:?}");
        assert_eq!(decls[0].class, DeclClass::Typedef);
        assert_eq!(decls[0].declarators[0].name, "u64_t");
        let Some(TypeSpec::Tagged {
            body: Some(TagBody::Enumerators(enumerators)),
            ..
        }) = &decls[1].ty
        else {
            panic!("{:?}", decls[1].ty);
        };
        assert_eq!(enumerators.len(), 3);
        assert!(enumerators[1].value.is_some());
        assert_eq!(decls[2].class, DeclClass::Inline);
        assert!(decls[2].declarators[0].init.is_some());
    }

    #[test]
    fn a_missing_semicolon_between_definitions_is_a_bad_combination() {
        let (_, messages) = parse("struct a { int x; }\nstruct b { int y; };\n");
        assert_eq!(messages, ["invalid type combination"]);
        let (_, messages) = parse("enum e {\n};\nstruct s { };\n");
        assert_eq!(
            messages,
            ["syntax error near \"}\"", "syntax error near \"}\""]
        );
    }

    #[test]
    fn only_an_inline_takes_a_value() {
        let (decls, messages) = parse("int i = 0;\nself int j = 1;\ninline int k = 2;\n");
        assert_eq!(
            messages,
            ["syntax error near \"=\"", "syntax error near \"=\""]
        );
        assert_eq!(decls.len(), 1);
        assert!(decls[0].declarators[0].init.is_some());
        let (_, messages) = parse("struct s { int m = 1; };\n");
        assert_eq!(messages[0], "syntax error near \"=\"");
    }

    /// `scope name: words*depth [keys]` for each variable declarator.
    fn shapes(text: &str) -> Vec<String> {
        let (decls, messages) = parse(text);
        assert!(messages.is_empty(), "{text}: {messages:?}");
        let mut shapes = Vec::new();
        for decl in &decls {
            let scope = decl.class.var_scope().expect("a variable declaration");
            let words = match &decl.ty {
                Some(TypeSpec::Named { words, .. }) => words.join(" "),
                Some(TypeSpec::Tagged { kind, tag, .. }) => {
                    format!("{} {}", kind.keyword(), tag.as_deref().unwrap_or_default())
                }
                None => "-".to_owned(),
            };
            for declarator in &decl.declarators {
                let stars = "*".repeat(declarator.pointer_depth as usize);
                let keys = declarator.keys.as_ref().map_or(String::new(), |keys| {
                    let keys: Vec<String> = keys.iter().map(|key| key.words.join(" ")).collect();
                    format!(" [{}]", keys.join(", "))
                });
                shapes.push(format!(
                    "{}{}: {words}{stars}{keys}",
                    scope.prefix(),
                    declarator.name
                ));
            }
        }
        shapes
    }

    #[test]
    fn variables_of_each_scope() {
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
        assert_eq!(
            shapes("self struct task_struct *t; this foo_t f;"),
            ["self->t: struct task_struct*", "this->f: foo_t"]
        );
    }

    #[test]
    fn associative_arrays_list_their_key_types() {
        assert_eq!(
            shapes("string s[int]; self int a[string, uint64_t]; int b[pid_t]; int c[foo_t *];"),
            [
                "s: string [int]",
                "self->a: int [string, uint64_t]",
                "b: int [pid_t]",
                "c: int [foo_t]"
            ]
        );
        let (decls, _) = parse("int a[string];\nint d[4];\nBEGIN {}");
        let declarator = &decls[0].declarators[0];
        assert_eq!((declarator.span.start, declarator.span.end), (4, 13));
        assert_eq!(decls[0].class.var_scope(), Some(VarScope::Global));
        assert!(decls[1].declarators[0].keys.is_none());
        assert_eq!(decls[1].declarators[0].dims.len(), 1);
    }

    #[test]
    fn declarations_interleave_with_clauses() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN { } int i; tick-1s { }");
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(matches!(
            &program.items[..],
            [Item::Clause(_), Item::Decl(_), Item::Clause(_)]
        ));
    }

    #[test]
    fn bad_variable_declarations_are_errors() {
        assert_eq!(
            parse("self this int x;").1,
            ["only one storage class allowed in a declaration"]
        );
        assert_eq!(parse("int x y;").1, ["syntax error near \"y\""]);
        assert_eq!(
            parse("int a[string][4];\nBEGIN {}").1,
            ["syntax error near \"[\""]
        );
    }
}

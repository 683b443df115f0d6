//! Declarations: `struct`, `union` and `enum` definitions, `typedef`, `inline` and variables.
//!
//! The grammar is C's, cut down to what D uses (`dt_grammar.y`'s `declaration`): an optional
//! storage class, a type specifier, then declarators with `*`, `[N]`, a bitfield width or an
//! initializer. Function declarators are not part of D programs. Without a type catalog the parser
//! takes a name for a typedef only where no base type has been given yet, which is where C needs a
//! type; sema then checks that the name is one.

use super::{PResult, ParseError, Parser};
use crate::ast::{Decl, DeclClass, Declarator, Enumerator, MemberDecl, TagBody, TagKind, TypeSpec};
use crate::lex::{Keyword, TokenKind};

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
        let class = match &self.peek().kind {
            TokenKind::Keyword(Keyword::Typedef) => DeclClass::Typedef,
            TokenKind::Keyword(Keyword::Inline) => DeclClass::Inline,
            TokenKind::Keyword(
                keyword @ (Keyword::Extern
                | Keyword::Static
                | Keyword::Register
                | Keyword::Auto
                | Keyword::SelfKw
                | Keyword::This),
            ) => DeclClass::Other(keyword.as_str().to_owned()),
            _ => DeclClass::None,
        };
        if class != DeclClass::None {
            self.bump();
        }
        let ty = self.parse_type_spec()?;
        let mut declarators = Vec::new();
        if !self.at(&TokenKind::Semi) {
            loop {
                declarators.push(self.parse_declarator()?);
                if !self.at(&TokenKind::Comma) {
                    break;
                }
                self.bump();
            }
        }
        let semi = self.expect(&TokenKind::Semi)?;
        Ok(Decl {
            class,
            ty,
            declarators,
            span: start.to(semi.span),
        })
    }

    /// Specifier words or a `struct`/`union`/`enum` specifier; qualifiers are dropped.
    fn parse_type_spec(&mut self) -> PResult<'t, TypeSpec> {
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
                declarators.push(self.parse_declarator()?);
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

    /// `*name[N]`, `name : bits`, `name = value`.
    fn parse_declarator(&mut self) -> PResult<'t, Declarator> {
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
        while self.at(&TokenKind::LBracket) {
            self.bump();
            dims.push(self.parse_expr()?);
            self.expect(&TokenKind::RBracket)?;
        }
        let mut bits = None;
        if self.at(&TokenKind::Colon) {
            self.bump();
            bits = Some(self.parse_expr()?);
        }
        let mut init = None;
        if self.at(&TokenKind::Assign) {
            self.bump();
            init = Some(self.parse_expr()?);
        }
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(Declarator {
            name,
            pointer_depth,
            dims,
            bits,
            init,
            span: start.to(end),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{Decl, DeclClass, Item, TagBody, TagKind, TypeSpec};
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
        let TypeSpec::Tagged {
            kind: TagKind::Struct,
            tag: Some(tag),
            body: Some(TagBody::Members(members)),
            ..
        } = &decl.ty
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
        let TypeSpec::Tagged {
            body: Some(TagBody::Enumerators(enumerators)),
            ..
        } = &decls[1].ty
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
}

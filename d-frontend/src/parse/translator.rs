//! Translator definitions: `translator output < input name > { member = expr; ... };`.
//!
//! The grammar is `dt_grammar.y`'s `translator_definition`: the output is a type name (a struct or
//! union, which sema checks), the input a type name and the name the member expressions use for
//! it, and the body a list of `member = expression;` lines, possibly empty. The closing `;` is
//! required, as in libdtrace.

use super::{PResult, Parser};
use crate::ast::{Translator, TranslatorMember};
use crate::lex::TokenKind;

impl<'t> Parser<'t> {
    /// A translator definition; on an error it is reported and skipped past its `;`.
    pub(super) fn parse_translator(&mut self) -> Option<Translator> {
        match self.parse_translator_inner() {
            Ok(translator) => Some(translator),
            Err(error) => {
                self.report(error);
                self.skip_past_semicolon();
                None
            }
        }
    }

    fn parse_translator_inner(&mut self) -> PResult<'t, Translator> {
        let keyword = self.bump();
        let output = self.parse_type_spec()?;
        let mut output_pointer_depth = 0;
        while self.at(&TokenKind::Star) {
            self.bump();
            output_pointer_depth += 1;
        }
        // A D type name may end in a function declarator, `type (parameters)`; libdtrace reads it
        // as part of the output type and fails only at what follows.
        if self.at(&TokenKind::LParen) {
            self.skip_parenthesized();
        }
        self.expect(&TokenKind::Lt)?;
        let input = self.parse_type_name()?;
        let param_token = self.peek();
        let TokenKind::Ident(param) = &param_token.kind else {
            return Err(self.unexpected());
        };
        self.bump();
        self.expect(&TokenKind::Gt)?;
        self.expect(&TokenKind::LBrace)?;
        let mut members = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            members.push(self.parse_translator_member()?);
        }
        self.bump();
        let semi = self.expect(&TokenKind::Semi)?;
        Ok(Translator {
            output,
            output_pointer_depth,
            input,
            param: param.clone(),
            param_span: param_token.span,
            members,
            span: keyword.span.to(semi.span),
        })
    }

    /// `member = expression;`.
    fn parse_translator_member(&mut self) -> PResult<'t, TranslatorMember> {
        let name_token = self.peek();
        let TokenKind::Ident(name) = &name_token.kind else {
            return Err(self.unexpected());
        };
        self.bump();
        self.expect(&TokenKind::Assign)?;
        let value = self.parse_expr()?;
        self.expect(&TokenKind::Semi)?;
        Ok(TranslatorMember {
            name: name.clone(),
            name_span: name_token.span,
            value,
        })
    }

    /// Skips a balanced `( ... )`, or up to the end of input.
    fn skip_parenthesized(&mut self) {
        let mut depth = 0u32;
        loop {
            match self.peek().kind {
                TokenKind::Eof => return,
                TokenKind::LParen => depth += 1,
                TokenKind::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::{ExprKind, Item, Translator, TypeSpec};
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    fn parse(text: &str) -> (Vec<Translator>, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        let translators = program
            .items
            .into_iter()
            .filter_map(|item| match item {
                Item::Translator(translator) => Some(translator),
                _ => None,
            })
            .collect();
        let messages = diagnostics.into_iter().map(|d| d.message).collect();
        (translators, messages)
    }

    #[test]
    fn members_are_read_in_order() {
        let (translators, messages) = parse(
            "translator struct out < struct in *p > {\n\ta = p->x;\n\tb = p->y + 1;\n};\nBEGIN {}",
        );
        assert!(messages.is_empty(), "{messages:?}");
        let [translator] = &translators[..] else {
            panic!("{translators:?}");
        };
        assert!(matches!(
            &translator.output,
            TypeSpec::Tagged { tag: Some(tag), body: None, .. } if tag == "out"
        ));
        assert_eq!(translator.input.words, ["struct", "in"]);
        assert_eq!(translator.input.pointer_depth, 1);
        assert_eq!(translator.param, "p");
        let names: Vec<&str> = translator
            .members
            .iter()
            .map(|member| member.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(matches!(
            translator.members[1].value.kind,
            ExprKind::Binary { .. }
        ));
    }

    #[test]
    fn an_empty_body_and_typedef_names() {
        let (translators, messages) = parse("translator out_t < in_t *i > { };\nBEGIN {}");
        assert!(messages.is_empty(), "{messages:?}");
        assert!(translators[0].members.is_empty());
        assert!(matches!(
            &translators[0].output,
            TypeSpec::Named { words, .. } if words == &["out_t"]
        ));
    }

    #[test]
    fn malformed_definitions_are_syntax_errors_where_libdtrace_finds_them() {
        for (text, expected) in [
            (
                "translator struct o (struct i *p)\n{\n\ta = p->x;\n};",
                "syntax error near \"{\"",
            ),
            (
                "translator struct o < struct i *p >\n\ta = p->x;\n;",
                "syntax error near \"a\"",
            ),
            (
                "translator struct o < struct i *p >\n{\n\ta = p->x;\n}\ntranslator struct o < int q > { };",
                "syntax error near \"translator\"",
            ),
            (
                "translator struct o < struct i * > { };",
                "syntax error near \">\"",
            ),
        ] {
            let (_, messages) = parse(text);
            assert_eq!(
                messages.first().map(String::as_str),
                Some(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn a_second_body_for_a_tag_is_a_redeclaration() {
        let (_, messages) = parse(
            "struct o { int a; };\ntranslator struct o\n{\n\tstruct i *p\n}\n{\n\ta = p->x;\n}\n",
        );
        assert_eq!(messages[0], "type redeclared: struct o");
    }
}

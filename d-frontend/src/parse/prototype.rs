//! Function prototypes in declarations: `void func(int, char *);`.
//!
//! D has no functions of its own, but libdtrace's grammar takes C's function declarators, so a
//! program may declare one (as an included C header does); libdtrace then treats the declaration
//! as an `extern`. The parameter list holds type names, each with an optional name, `void` alone,
//! or a trailing `...`.

use super::{PResult, Parser};
use crate::ast::{Declarator, TypeName};
use crate::lex::TokenKind;

impl Declarator {
    /// Whether only a name and `*`s make the declarator, so that a parameter list may follow.
    pub(super) fn is_plain(&self) -> bool {
        self.dims.is_empty() && self.keys.is_none() && self.bits.is_none() && self.init.is_none()
    }
}

impl<'t> Parser<'t> {
    /// `( parameters )`, from the `(`; returns the parameter types (none for `()` and `(void)`).
    pub(super) fn parse_parameters(&mut self) -> PResult<'t, Vec<TypeName>> {
        self.expect(&TokenKind::LParen)?;
        let mut params = Vec::new();
        if self.at(&TokenKind::RParen) {
            self.bump();
            return Ok(params);
        }
        loop {
            if self.at(&TokenKind::Ellipsis) {
                self.bump();
                break;
            }
            params.push(self.parse_type_name()?);
            if let TokenKind::Ident(_) = self.peek().kind {
                self.bump();
            }
            if !self.at(&TokenKind::Comma) {
                break;
            }
            self.bump();
        }
        self.expect(&TokenKind::RParen)?;
        if let [only] = params.as_slice()
            && only.words == ["void"]
            && only.pointer_depth == 0
        {
            params.clear();
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::Item;
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    /// The parameter counts of the declarators of the first declaration, and the parse errors.
    fn parameters(text: &str) -> (Vec<Option<usize>>, Vec<String>) {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        let counts = program
            .items
            .iter()
            .find_map(|item| match item {
                Item::Decl(decl) => Some(
                    decl.declarators
                        .iter()
                        .map(|declarator| declarator.params.as_ref().map(Vec::len))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
        let messages = diagnostics.into_iter().map(|error| error.message).collect();
        (counts, messages)
    }

    #[test]
    fn prototypes_are_declarators_with_parameter_lists() {
        assert_eq!(parameters("void func(int, int);").0, [Some(2)]);
        assert_eq!(
            parameters("int f(void), *g(char *p, ...), x;").0,
            [Some(0), Some(1), None]
        );
        assert_eq!(parameters("extern long h();").0, [Some(0)]);
        assert_eq!(
            parameters("void func(int,);").1,
            ["syntax error near \")\""]
        );
    }
}

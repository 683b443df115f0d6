//! libdtrace's lexer peeks past a new identifier, and at the end of the input that peek leaves a
//! NUL behind.
//!
//! Inside a clause or a declaration, libdtrace's lexer cannot tell a type name from a variable
//! about to be created by the identifier alone: unless the identifier follows `.` or `->` or is
//! already known (a built-in or earlier identifier), it reads on past the blanks to the next
//! character and pushes it back. When the input ends there, what it pushes back is a NUL, which
//! the lexer then reports as `syntax error near end-of-input`, where the parser would have said
//! `syntax error near end of input`. A program never validly ends with an identifier, so this
//! only changes the wording of an error at the end of the input.

use super::{Token, TokenKind};
use crate::builtin::variable;

/// Whether the last token is an identifier that libdtrace's lexer would peek past, into the end
/// of the input.
pub(super) fn peeks_into_end(tokens: &[Token]) -> bool {
    let Some((last, before)) = tokens.split_last() else {
        return false;
    };
    let TokenKind::Ident(name) = &last.kind else {
        return false;
    };
    let after_member = before
        .last()
        .is_some_and(|token| matches!(token.kind, TokenKind::Dot | TokenKind::Arrow));
    let known = variable::lookup(name).is_some()
        || before
            .iter()
            .any(|token| matches!(&token.kind, TokenKind::Ident(earlier) if earlier == name));
    !after_member && !known
}

#[cfg(test)]
mod tests {
    use crate::lex::lex;
    use crate::source::FileId;

    fn messages(text: &str) -> Vec<String> {
        let (_, diagnostics) = lex(text, FileId(0));
        diagnostics.into_iter().map(|error| error.message).collect()
    }

    #[test]
    fn a_new_identifier_at_the_end_leaves_a_nul() {
        assert_eq!(messages("int*x\n"), ["syntax error near end-of-input"]);
        assert_eq!(
            messages("BEGIN { y = z"),
            ["syntax error near end-of-input"]
        );
        assert!(messages("BEGIN { trace(pid").is_empty());
        assert!(messages("BEGIN { x = 1; y = x").is_empty());
        assert!(messages("BEGIN { trace(curthread->comm").is_empty());
        assert!(messages("BEGIN { exit(0);").is_empty());
    }
}

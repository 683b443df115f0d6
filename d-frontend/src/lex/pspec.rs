//! The ambiguity of `*` at the outer level, which the `pspec` option settles.
//!
//! A probe description may hold `*` as a glob (`syscall::read*:entry`), and the lexer reads the
//! longest description it can, so `int*x;` reads as one description. Without `pspec`, libdtrace
//! settles this in favour of a declaration: a word without any of the characters only a
//! description has (`:-.?!` and the backquote), other than `BEGIN`, `END` and `ERROR`, whose part
//! before its first `*` names a type, is that type name, and the `*` starts the declarator.

use super::Keyword;
use crate::types::d_typedef;

/// The length of the type name that starts `word` before a `*`, when `word` is to be read as a
/// type and a declarator rather than as a probe description; `declared` says whether a name is a
/// typedef of the program.
pub(super) fn type_before_star(word: &str, declared: impl Fn(&str) -> bool) -> Option<usize> {
    if word.contains([':', '-', '.', '?', '!', '`']) || matches!(word, "BEGIN" | "END" | "ERROR") {
        return None;
    }
    let star = word.find('*').filter(|&star| star > 0)?;
    let name = &word[..star];
    let is_type = Keyword::lookup(name).is_some_and(Keyword::is_base_type)
        || d_typedef(name).is_some()
        || declared(name);
    is_type.then_some(star)
}

#[cfg(test)]
mod tests {
    use super::type_before_star;
    use crate::lex::{TokenKind, lex, lex_with_pspec};
    use crate::source::FileId;

    #[test]
    fn a_type_before_a_star_is_a_type() {
        let none = |_: &str| false;
        assert_eq!(type_before_star("int*x", none), Some(3));
        assert_eq!(type_before_star("uint64_t**p", none), Some(8));
        assert_eq!(type_before_star("my_t*p", |name| name == "my_t"), Some(4));
        assert_eq!(type_before_star("sched*", none), None);
        assert_eq!(type_before_star("*int", none), None);
        assert_eq!(type_before_star("int*:::", none), None);
        assert_eq!(type_before_star("int", none), None);
    }

    #[test]
    fn pspec_keeps_the_description() {
        let kinds = |tokens: Vec<crate::lex::Token>| -> Vec<TokenKind> {
            tokens.into_iter().map(|token| token.kind).collect()
        };
        let declared = kinds(lex("int*x", FileId(0)).0);
        assert!(matches!(declared[1], TokenKind::Star), "{declared:?}");
        let described = kinds(lex_with_pspec("int*x", FileId(0), true).0);
        assert_eq!(described[0], TokenKind::ProbeSpec("int*x".to_owned()));
        let pragma = kinds(lex("#pragma D option pspec\nint*x", FileId(0)).0);
        assert_eq!(pragma[1], TokenKind::ProbeSpec("int*x".to_owned()));
    }
}

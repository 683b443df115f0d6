//! The token after a node, where libdtrace reports some of its errors.
//!
//! libdtrace's parser gives each node the line its lexer has reached when the node is made. A
//! rule such as a cast is reduced only once the parser has read the token after it (to know the
//! operand has ended), so an error that libdtrace reports at such a node's line names the line of
//! that next token: `x = (uintptr_t)xlate<struct out *>(f)` followed by a `}` on the next line is
//! reported at the line of the `}`.

use super::Checker;
use crate::source::Span;

impl Checker<'_> {
    /// A one-byte span at the first token after `span`, or the end of its file.
    pub(super) fn token_after(&self, span: Span) -> Span {
        let text = &self.sources.file(span.file).text;
        let start = next_token_start(text, span.end as usize);
        Span::new(span.file, start, (start + 1).min(text.len()))
    }
}

/// Where the first token at or after `pos` starts: blanks, comments and backslash-newlines are
/// skipped, as the lexer skips them inside an expression.
fn next_token_start(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        match (bytes[pos], bytes.get(pos + 1)) {
            (b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c, _) => pos += 1,
            (b'\\', Some(b'\n')) => pos += 2,
            (b'/', Some(b'*')) => {
                pos = text[pos + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| pos + 2 + end + 2);
            }
            (b'/', Some(b'/')) => {
                pos = text[pos..].find('\n').map_or(bytes.len(), |end| pos + end);
            }
            _ => break,
        }
    }
    pos.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::next_token_start;
    use crate::compile::tests::compile_one;

    /// The text at the first error of `program`.
    fn first_error_text(program: &str) -> &str {
        let errors = compile_one(program).expect_err(program);
        let span = errors[0].span;
        &program[span.start as usize..span.end as usize]
    }

    #[test]
    fn refused_casts_are_reported_at_the_next_token() {
        let translated = "struct in { int ii; }; struct out { int oi; };\n\
            translator struct out < struct in *i > { oi = i->ii; };\n\
            struct in *f;\n\
            BEGIN\n{\n\taddr = (uintptr_t)xlate<struct out *>(f)\n}\n";
        assert_eq!(first_error_text(translated), "}");
        let plain = "struct s { int a; } v;\nBEGIN\n{\n\tx = (int)v /* why */\n\t;\n}\n";
        assert_eq!(first_error_text(plain), ";");
    }

    #[test]
    fn blanks_and_comments_are_skipped() {
        let text = "(int)x /* a\n comment */ // line\n\t}";
        assert_eq!(next_token_start(text, 6), text.len() - 1);
        assert_eq!(next_token_start("a;", 1), 1);
        assert_eq!(next_token_start("a  ", 1), 3);
        assert_eq!(next_token_start("a /* open", 1), 9);
    }
}

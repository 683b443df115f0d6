//! The lexer: source text to tokens.
//!
//! D's lexer is context-sensitive, as libdtrace's is. At the outer level of a program (before a
//! clause, between probe descriptions) a probe description such as `syscall::read*:entry` or
//! `tick-1s` is one token, while inside predicates and clause bodies the same characters are C
//! operators. The lexer counts braces itself to know which level it is at, so the parser sees a
//! plain token stream. Inside an expression a `/` closes a predicate when the next non-blank
//! character is `;`, `{`, `/` or the end of input; otherwise it divides. This is libdtrace's rule,
//! and it is why `/(a / b) > 1/` works.
//!
//! Literals (numbers, characters, strings and their escapes) live in `literal`; the token types
//! and the `--dump=tokens` text live in `token`.

mod literal;
pub mod macros;
mod peek;
mod pspec;
mod token;

pub use token::{IntLit, Keyword, Token, TokenKind, dump_tokens};
pub(crate) use token::{escape, int_type_name};

use std::collections::HashSet;

use crate::diagnostic::{Diagnostic, ErrTag};
use crate::source::{FileId, Span};
use crate::types::d_typedef;

/// Lexes a whole source text.
///
/// Never fails: errors are returned next to the tokens, and the token list always ends with
/// [`TokenKind::Eof`].
pub fn lex(text: &str, file: FileId) -> (Vec<Token>, Vec<Diagnostic>) {
    lex_with_pspec(text, file, false)
}

/// Lexes a whole source text with the `pspec` option set or not: when it is, every word at the
/// outer level that may be a probe description is one (`int*` is a glob, not a type and `*`).
/// A `#pragma D option pspec` line sets it for the rest of the text.
pub fn lex_with_pspec(text: &str, file: FileId, pspec: bool) -> (Vec<Token>, Vec<Diagnostic>) {
    lex_with_typedefs(text, file, pspec, &HashSet::new())
}

/// [`lex_with_pspec`], knowing `typedefs` for type names (the D library's), which start
/// declarations at the outer level as the program's own typedefs do.
pub fn lex_with_typedefs<S: std::hash::BuildHasher>(
    text: &str,
    file: FileId,
    pspec: bool,
    typedefs: &HashSet<String, S>,
) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        file,
        mode: Mode::Outer,
        braces: 0,
        parens: 0,
        brackets: 0,
        after_member: false,
        in_declaration: false,
        in_typedef: false,
        typedef_names: typedefs.iter().cloned().collect(),
        pspec,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lexer.run();
    let diagnostics = lexer.errors.iter().map(LexError::to_diagnostic).collect();
    (lexer.tokens, diagnostics)
}

/// Which of libdtrace's two main lexer states applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Probe descriptions and declarations (libdtrace's `S2`).
    Outer,
    /// Predicates, clause bodies and declarations (libdtrace's `S0`).
    Expr,
}

/// A lexical error, turned into a [`Diagnostic`] once at the end.
#[derive(Debug)]
enum LexError<'a> {
    /// A character that starts no token.
    BadChar { ch: char, span: Span },
    /// A string or character constant cut off by the end of input.
    Unterminated { quote: char, span: Span },
    /// A newline inside a string literal.
    StrNewline { span: Span },
    /// A newline inside a character constant.
    CharNewline { span: Span },
    /// `''`.
    CharEmpty { span: Span },
    /// More than eight bytes between single quotes.
    CharTooLong { span: Span },
    /// A constant larger than 64 bits.
    IntOverflow { text: &'a str, span: Span },
    /// A constant that fits no type its base and suffix allow.
    IntUnrepresentable { value: u64, span: Span },
    /// `08`: a digit beyond the constant's base.
    IntDigit {
        text: &'a str,
        digit: char,
        span: Span,
    },
    /// `1.5`.
    Float { span: Span },
    /// The end of the input, right after an identifier the lexer peeks past.
    NulAtEnd { span: Span },
    /// `/*` without `*/`.
    UnterminatedComment { span: Span },
    /// `/*` inside a comment.
    NestedComment { span: Span },
    /// A `#` line cut off by the end of input.
    ControlLineEof { span: Span },
    /// A `)`, `]` or `}` with no opening partner.
    Extra { closer: char, span: Span },
    /// A predicate closed while a `(` or `[` is open.
    PredicateUnclosed { closer: char, span: Span },
}

impl LexError<'_> {
    #[cold]
    fn to_diagnostic(&self) -> Diagnostic {
        match *self {
            LexError::BadChar { ch, span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                format!("syntax error near \"{ch}\""),
            ),
            LexError::Unterminated { quote, span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                format!("syntax error near \"{quote}\""),
            )
            .with_note("the literal is not closed before the end of input"),
            LexError::StrNewline { span } => Diagnostic::error(
                ErrTag::D_STR_NL,
                span,
                "newline encountered in string literal",
            )
            .with_note("the string literal starts on the line above"),
            LexError::CharNewline { span } => Diagnostic::error(
                ErrTag::D_CHR_NL,
                span,
                "newline encountered in character constant",
            )
            .with_note("the character constant starts on the line above"),
            LexError::CharEmpty { span } => {
                Diagnostic::error(ErrTag::D_CHR_NULL, span, "empty character constant")
            }
            LexError::CharTooLong { span } => {
                Diagnostic::error(ErrTag::D_CHR_OFLOW, span, "character constant is too long")
            }
            LexError::IntOverflow { text, span } => Diagnostic::error(
                ErrTag::D_INT_OFLOW,
                span,
                format!("constant {text} results in integer overflow"),
            ),
            LexError::IntUnrepresentable { value, span } => Diagnostic::error(
                ErrTag::D_INT_OFLOW,
                span,
                format!(
                    "integer constant 0x{value:x} cannot be represented in any built-in integral type"
                ),
            ),
            LexError::IntDigit { text, digit, span } => Diagnostic::error(
                ErrTag::D_INT_DIGIT,
                span,
                format!("constant {text} contains invalid digit {digit}"),
            ),
            LexError::Float { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                "floating-point constants are not permitted",
            ),
            LexError::NulAtEnd { span } => {
                Diagnostic::error(ErrTag::D_SYNTAX, span, "syntax error near end-of-input")
            }
            LexError::UnterminatedComment { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                "end-of-file encountered before matching */",
            ),
            LexError::NestedComment { span } => {
                Diagnostic::error(ErrTag::D_SYNTAX, span, "/* encountered inside a comment")
            }
            LexError::ControlLineEof { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                "end-of-file encountered before end of control line",
            ),
            LexError::Extra { closer, span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                format!("extra {closer} in input stream"),
            ),
            LexError::PredicateUnclosed { closer, span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                format!("closing {closer} expected in predicate before /"),
            ),
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    mode: Mode,
    /// Open `{` in the current clause or declaration.
    braces: u32,
    /// Open `(` since the outer level was left.
    parens: u32,
    /// Open `[` since the outer level was left.
    brackets: u32,
    /// The previous token was `.` or `->`, so a keyword spelling is a member name.
    after_member: bool,
    /// The expression level was entered by a declaration keyword, so it lasts until the `;`
    /// even past the `}` of a struct body (`struct { int a; } x;`).
    in_declaration: bool,
    /// The current declaration started with `typedef`.
    in_typedef: bool,
    /// The names `typedef` declarations have declared so far, which start declarations too
    /// (`typedef int myint_t; myint_t x;`), as libdtrace's lexer finds them among the types.
    typedef_names: HashSet<String>,
    /// The `pspec` option, as the command line and the `#pragma`s so far set it.
    pspec: bool,
    tokens: Vec<Token>,
    errors: Vec<LexError<'a>>,
}

/// libdtrace's blank characters (`RGX_WS`).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A character that may start a probe description (`RGX_PSPEC`).
fn is_pspec_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || b"-$:_.?*\\[]!".contains(&byte)
}

/// A character that may continue a probe description.
fn is_pspec_char(byte: u8) -> bool {
    is_pspec_start(byte) || byte.is_ascii_digit() || byte == b'`'
}

/// A character that may start an identifier (`RGX_IDENT`); the backtick scopes kernel symbols.
fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte == b'`'
}

fn is_ident_char(byte: u8) -> bool {
    is_ident_start(byte) || byte.is_ascii_digit()
}

impl Lexer<'_> {
    fn run(&mut self) {
        loop {
            self.skip_trivia();
            let start = self.pos;
            let Some(&byte) = self.bytes.get(start) else {
                break;
            };
            let kind = if byte == b'#' && self.at_line_start(start) {
                match self.lex_control_line() {
                    Some(kind) => kind,
                    None => continue,
                }
            } else {
                match self.mode {
                    Mode::Outer => self.lex_outer(byte),
                    Mode::Expr => self.lex_expr(byte),
                }
            };
            self.after_member = matches!(kind, TokenKind::Dot | TokenKind::Arrow);
            let span = self.span(start, self.pos);
            self.tokens.push(Token { kind, span });
        }
        let end = self.bytes.len();
        let span = self.span(end, end);
        if self.mode == Mode::Expr && peek::peeks_into_end(&self.tokens) {
            self.errors.push(LexError::NulAtEnd { span });
        }
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span,
        });
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn eat_while(&mut self, accept: impl Fn(u8) -> bool) {
        while self.peek(0).is_some_and(&accept) {
            self.pos += 1;
        }
    }

    /// Skips blanks, comments and (inside expressions) backslash-newline.
    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(byte), _) if is_space(byte) => self.pos += 1,
                (Some(b'/'), Some(b'*')) => self.skip_block_comment(),
                (Some(b'/'), Some(b'/')) => self.eat_while(|byte| byte != b'\n'),
                (Some(b'\\'), Some(b'\n')) if self.mode == Mode::Expr => self.pos += 2,
                _ => return,
            }
        }
    }

    fn skip_block_comment(&mut self) {
        self.pos += 2;
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(b'*'), Some(b'/')) => {
                    self.pos += 2;
                    return;
                }
                (Some(b'/'), Some(b'*')) => {
                    let span = self.span(self.pos, self.pos + 2);
                    self.errors.push(LexError::NestedComment { span });
                    self.pos += 2;
                }
                (Some(_), _) => self.pos += 1,
                (None, _) => {
                    let span = self.span(self.pos, self.pos);
                    self.errors.push(LexError::UnterminatedComment { span });
                    return;
                }
            }
        }
    }

    /// True when only `[\f\t\v ]` stand between the previous newline (or the start) and `pos`.
    fn at_line_start(&self, pos: usize) -> bool {
        self.bytes[..pos]
            .iter()
            .rev()
            .find(|&&byte| !matches!(byte, b' ' | b'\t' | 0x0b | 0x0c))
            .is_none_or(|&byte| byte == b'\n')
    }

    /// Lexes a `#` control line into its words; `#!` lines are skipped.
    fn lex_control_line(&mut self) -> Option<TokenKind> {
        if self.peek(1) == Some(b'!') {
            self.eat_while(|byte| byte != b'\n');
            return None;
        }
        self.pos += 1;
        let mut words = Vec::new();
        loop {
            match self.peek(0) {
                None => {
                    let span = self.span(self.pos, self.pos);
                    self.errors.push(LexError::ControlLineEof { span });
                    break;
                }
                Some(b'\n') => break,
                Some(b' ' | b'\t' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(b'"') => {
                    let bytes = self.lex_string();
                    words.push(String::from_utf8_lossy(&bytes).into_owned());
                }
                Some(_) => {
                    let start = self.pos;
                    self.eat_while(|byte| !is_space(byte) && byte != b'"');
                    words.push(self.text[start..self.pos].to_owned());
                }
            }
        }
        if words == ["pragma", "D", "option", "pspec"] {
            self.pspec = true;
        }
        Some(TokenKind::Pragma(words))
    }

    /// Lexes one token at the outer level (libdtrace's `S2`).
    fn lex_outer(&mut self, byte: u8) -> TokenKind {
        match byte {
            b'{' => {
                self.pos += 1;
                self.enter_expr();
                self.braces = 1;
                TokenKind::LBrace
            }
            b'/' => {
                self.pos += 1;
                self.enter_expr();
                TokenKind::Slash
            }
            b',' => {
                self.pos += 1;
                TokenKind::Comma
            }
            b'0'..=b'9' => self.lex_number(),
            _ if is_pspec_start(byte) => {
                let start = self.pos;
                self.eat_while(is_pspec_char);
                if !self.pspec
                    && let Some(len) =
                        pspec::type_before_star(&self.text[start..self.pos], |name| {
                            self.typedef_names.contains(name)
                        })
                {
                    self.pos = start + len;
                }
                let text = &self.text[start..self.pos];
                match Keyword::starting_declaration(text) {
                    Some(keyword) => {
                        self.enter_expr();
                        self.in_declaration = true;
                        self.in_typedef = keyword == Keyword::Typedef;
                        TokenKind::Keyword(keyword)
                    }
                    // A typedef, built-in or declared, starts a declaration (`uint64_t x;`), as
                    // libdtrace's lexer decides by looking the word up as a type.
                    None if d_typedef(text).is_some() || self.typedef_names.contains(text) => {
                        self.enter_expr();
                        self.in_declaration = true;
                        TokenKind::Ident(text.to_owned())
                    }
                    None => TokenKind::ProbeSpec(text.to_owned()),
                }
            }
            _ => self.lex_common(byte),
        }
    }

    fn enter_expr(&mut self) {
        self.mode = Mode::Expr;
        self.in_declaration = false;
        self.in_typedef = false;
        self.braces = 0;
        self.parens = 0;
        self.brackets = 0;
    }

    /// Lexes one token inside a predicate, clause body or declaration (libdtrace's `S0`).
    fn lex_expr(&mut self, byte: u8) -> TokenKind {
        let start = self.pos;
        if byte == b'/' && self.peek(1) != Some(b'=') {
            return self.lex_slash();
        }
        let kind = self.lex_common(byte);
        let span = self.span(start, self.pos);
        if self.in_typedef {
            self.note_typedef_name(&kind);
        }
        match kind {
            TokenKind::LParen => self.parens += 1,
            TokenKind::LBracket => self.brackets += 1,
            TokenKind::LBrace => self.braces += 1,
            TokenKind::RParen => match self.parens.checked_sub(1) {
                Some(parens) => self.parens = parens,
                None => self.errors.push(LexError::Extra { closer: ')', span }),
            },
            TokenKind::RBracket => match self.brackets.checked_sub(1) {
                Some(brackets) => self.brackets = brackets,
                None => self.errors.push(LexError::Extra { closer: ']', span }),
            },
            TokenKind::RBrace => match self.braces.checked_sub(1) {
                Some(0) if self.in_declaration => self.braces = 0,
                Some(0) => self.mode = Mode::Outer,
                Some(braces) => self.braces = braces,
                None => {
                    self.errors.push(LexError::Extra { closer: '}', span });
                    self.mode = Mode::Outer;
                }
            },
            TokenKind::Semi if self.braces == 0 => {
                self.mode = Mode::Outer;
                self.in_declaration = false;
            }
            _ => {}
        }
        kind
    }

    /// Records the name a `typedef` declarator declares: a name followed by `;`, `,` or `[` outside
    /// any braces (`typedef struct s { int a; } s_t, *s_p;`).
    fn note_typedef_name(&mut self, kind: &TokenKind) {
        let ends_declarator = matches!(
            kind,
            TokenKind::Semi | TokenKind::Comma | TokenKind::LBracket
        );
        if !ends_declarator || self.braces != 0 || self.parens != 0 || self.brackets != 0 {
            return;
        }
        if let Some(Token {
            kind: TokenKind::Ident(name),
            ..
        }) = self.tokens.last()
        {
            self.typedef_names.insert(name.clone());
        }
    }

    /// Decides between division and the end of a predicate by looking at the next non-blank byte.
    fn lex_slash(&mut self) -> TokenKind {
        self.pos += 1;
        let next_at = self.bytes[self.pos..]
            .iter()
            .position(|&byte| !is_space(byte))
            .map_or(self.bytes.len(), |offset| self.pos + offset);
        let next = self.bytes.get(next_at).copied();
        if !matches!(next, None | Some(b';' | b'{' | b'/')) {
            return TokenKind::Slash;
        }
        // libdtrace's lexer has read up to the byte it looked at, and reports that byte's line.
        let span = self.span(next_at, next_at);
        if self.parens != 0 {
            self.errors
                .push(LexError::PredicateUnclosed { closer: ')', span });
            self.parens = 0;
        }
        if self.brackets != 0 {
            self.errors
                .push(LexError::PredicateUnclosed { closer: ']', span });
            self.brackets = 0;
        }
        TokenKind::EndPred
    }

    /// Lexes the tokens both levels share: names, literals and operators.
    fn lex_common(&mut self, byte: u8) -> TokenKind {
        let start = self.pos;
        match byte {
            _ if is_ident_start(byte) => {
                self.eat_while(is_ident_char);
                let text = &self.text[start..self.pos];
                match Keyword::lookup(text) {
                    Some(keyword) if !self.after_member => TokenKind::Keyword(keyword),
                    _ => TokenKind::Ident(text.to_owned()),
                }
            }
            b'0'..=b'9' => self.lex_number(),
            b'.' if self.peek(1).is_some_and(|next| next.is_ascii_digit()) => self.lex_number(),
            b'"' => TokenKind::Str(self.lex_string()),
            b'\'' => self.lex_char(),
            b'$' => self.lex_macro(),
            b'@' => {
                self.pos += 1;
                if self
                    .peek(0)
                    .is_some_and(|next| next.is_ascii_alphabetic() || next == b'_')
                {
                    self.eat_while(|next| next.is_ascii_alphanumeric() || next == b'_');
                }
                TokenKind::Agg(self.text[start + 1..self.pos].to_owned())
            }
            _ => {
                if let Some((symbol, kind)) = TokenKind::PUNCTUATION
                    .iter()
                    .find(|(symbol, _)| self.bytes[start..].starts_with(symbol.as_bytes()))
                {
                    self.pos += symbol.len();
                    return kind.clone();
                }
                self.bad_char()
            }
        }
    }

    /// `$name`, `$1`, `$$name`, `$$1`.
    fn lex_macro(&mut self) -> TokenKind {
        let quoted = self.peek(1) == Some(b'$');
        let name_start = self.pos + if quoted { 2 } else { 1 };
        let accept: fn(u8) -> bool = match self.bytes.get(name_start) {
            Some(byte) if byte.is_ascii_digit() => |byte| byte.is_ascii_digit(),
            Some(&byte) if is_ident_start(byte) => is_ident_char,
            _ => return self.bad_char(),
        };
        self.pos = name_start;
        self.eat_while(accept);
        TokenKind::Macro {
            name: self.text[name_start..self.pos].to_owned(),
            quoted,
        }
    }

    /// Reports the character at `pos` and skips it.
    fn bad_char(&mut self) -> TokenKind {
        let start = self.pos;
        let ch = self.text[start..].chars().next().unwrap_or('\0');
        self.pos += ch.len_utf8().max(1);
        let span = self.span(start, self.pos);
        self.errors.push(LexError::BadChar { ch, span });
        TokenKind::Invalid(ch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let (tokens, diagnostics) = lex(text, FileId(0));
        assert!(diagnostics.is_empty(), "{text:?}: {diagnostics:?}");
        tokens.into_iter().map(|token| token.kind).collect()
    }

    fn messages(text: &str) -> Vec<String> {
        let (_, diagnostics) = lex(text, FileId(0));
        diagnostics
            .into_iter()
            .map(|diagnostic| diagnostic.message)
            .collect()
    }

    fn spec(text: &str) -> TokenKind {
        TokenKind::ProbeSpec(text.to_owned())
    }

    #[test]
    fn probe_descriptions_are_one_token() {
        for text in [
            "syscall::openat:entry",
            "syscall:::entry",
            "profile:::tick-100ms",
            "tick-1s",
            "BEGIN",
            "pid$target:a.out:main:entry",
            "syscall::read*:entry",
            "fbt:vmlinux:vfs_?ead:entry",
            ":::",
            "syscall::open*:",
            "fbt::[a-c]*:entry",
        ] {
            assert_eq!(kinds(text), [spec(text), TokenKind::Eof], "{text}");
        }
    }

    #[test]
    fn a_description_ends_at_blank_brace_slash_and_comma() {
        assert_eq!(
            kinds("a:b,c:d/x/{}"),
            [
                spec("a:b"),
                TokenKind::Comma,
                spec("c:d"),
                TokenKind::Slash,
                TokenKind::Ident("x".into()),
                TokenKind::EndPred,
                TokenKind::LBrace,
                TokenKind::RBrace,
                TokenKind::Eof,
            ]
        );
    }

    #[test]
    fn the_outer_level_comes_back_after_a_clause() {
        let kinds = kinds("BEGIN { x = a - b; } tick-1s { }");
        assert!(kinds.contains(&TokenKind::Minus));
        assert!(kinds.contains(&spec("tick-1s")));
    }

    #[test]
    fn declared_typedefs_start_declarations() {
        let declared = kinds(
            "typedef struct { int a; } pair_t, *pair_p;\ntypedef int row_t[4];\npair_t x; pair_p y; row_t z; BEGIN { }",
        );
        for name in ["pair_t", "pair_p", "row_t"] {
            assert!(!declared.contains(&spec(name)), "{name}: {declared:?}");
        }
        assert!(declared.contains(&TokenKind::Ident("pair_p".into())));
        assert!(declared.contains(&spec("BEGIN")));
        assert!(kinds("foo_t x;").contains(&spec("foo_t")));
    }

    #[test]
    fn a_declaration_lasts_past_its_closing_brace() {
        let kinds = kinds("struct s { int a; } var; BEGIN { }");
        assert!(kinds.contains(&TokenKind::Ident("var".into())));
        assert!(kinds.contains(&spec("BEGIN")));
    }

    #[test]
    fn slash_divides_unless_a_predicate_ends() {
        let kinds = kinds("BEGIN /(a / b) > 1/ { x = c / d; }");
        let n_slashes = kinds
            .iter()
            .filter(|kind| **kind == TokenKind::Slash)
            .count();
        let n_ends = kinds
            .iter()
            .filter(|kind| **kind == TokenKind::EndPred)
            .count();
        assert_eq!((n_slashes, n_ends), (3, 1));
    }

    #[test]
    fn keywords_after_member_operators_are_names() {
        assert_eq!(
            kinds("BEGIN { a->self.string; }")[3..7],
            [
                TokenKind::Arrow,
                TokenKind::Ident("self".into()),
                TokenKind::Dot,
                TokenKind::Ident("string".into()),
            ]
        );
    }

    #[test]
    fn macros_and_aggregations() {
        assert_eq!(
            kinds("BEGIN { $target $$1 $1 @ @x_1 }")[2..7],
            [
                TokenKind::Macro {
                    name: "target".into(),
                    quoted: false
                },
                TokenKind::Macro {
                    name: "1".into(),
                    quoted: true
                },
                TokenKind::Macro {
                    name: "1".into(),
                    quoted: false
                },
                TokenKind::Agg(String::new()),
                TokenKind::Agg("x_1".into()),
            ]
        );
    }

    #[test]
    fn longest_operator_wins() {
        assert_eq!(
            kinds("BEGIN { <<= ^^ -> ... }")[2..6],
            [
                TokenKind::ShlAssign,
                TokenKind::CaretCaret,
                TokenKind::Arrow,
                TokenKind::Ellipsis,
            ]
        );
    }

    #[test]
    fn control_lines_become_pragma_tokens() {
        assert_eq!(
            kinds("#!/usr/sbin/dtrace -s\n  #pragma D option quiet\nBEGIN {}"),
            [
                TokenKind::Pragma(vec![
                    "pragma".into(),
                    "D".into(),
                    "option".into(),
                    "quiet".into()
                ]),
                spec("BEGIN"),
                TokenKind::LBrace,
                TokenKind::RBrace,
                TokenKind::Eof,
            ]
        );
        assert_eq!(
            messages("#pragma D option quiet"),
            ["end-of-file encountered before end of control line"]
        );
    }

    #[test]
    fn comments_are_skipped_and_checked() {
        assert_eq!(
            kinds("/* a */ BEGIN // b\n"),
            [spec("BEGIN"), TokenKind::Eof]
        );
        assert_eq!(
            messages("/* a /* b */ /* c"),
            [
                "/* encountered inside a comment",
                "end-of-file encountered before matching */"
            ]
        );
    }

    #[test]
    fn bad_characters_and_unbalanced_closers() {
        assert_eq!(
            messages("BEGIN { x = 1 # 2; y = é; trace(1)); a]; } }"),
            [
                "syntax error near \"#\"",
                "syntax error near \"é\"",
                "extra ) in input stream",
                "extra ] in input stream",
            ]
        );
        assert_eq!(
            messages("BEGIN /rand(/ {}"),
            ["closing ) expected in predicate before /"]
        );
    }

    #[test]
    fn an_unclosed_predicate_is_reported_where_the_lookahead_stopped() {
        let text = "BEGIN\n/args[0/\n{\n}";
        let (_, diagnostics) = lex(text, FileId(0));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].span.start as usize, text.find('{').unwrap());
    }
}

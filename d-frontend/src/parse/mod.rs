//! The parser: tokens to an [`ast::Program`](crate::ast::Program).
//!
//! Recursive descent with C's precedence, following libdtrace's `dt_grammar.y`. The outer level
//! (clauses, predicates, statements, control lines) is in `clause`; expressions and type names
//! are in `expr`, because they are the part that sema and the tests exercise most and they read
//! best on their own.
//!
//! Errors use libdtrace's words (`syntax error near "}"`). After one, the parser skips to the next
//! `;` or `}` (or, at the outer level, to the next probe description) and carries on, so one run
//! reports every independent error.

mod clause;
mod decl;
mod expr;
mod pragma;
mod prototype;
mod translator;

use std::collections::HashSet;

use crate::ast::{Program, TagKind};
use crate::diagnostic::{Diagnostic, ErrTag, Origin};
use crate::lex::macros::{self, Macros};
use crate::lex::{self, Token, TokenKind};
use crate::provider::ProbeCatalog;
use crate::source::{FileId, SourceMap, Span};

/// How deep expressions and statements may nest, so that no input can exhaust the stack (of the
/// parser or of any later pass that walks the tree).
const MAX_DEPTH: u32 = 256;

/// Parses a token list as produced by [`lex::lex`].
///
/// Never fails: errors are returned next to the (partial) program.
pub fn parse(tokens: &[Token], file: FileId) -> (Program, Vec<Diagnostic>) {
    parse_from(tokens, file, Origin::Script)
}

/// Parses a token list read from `origin`: the text of a probe specifier (`-n`, `-P`, ...) may
/// end in a probe description alone, which is a clause with the default action, as libdtrace
/// accepts `dtrace -n BEGIN`; a script may not.
fn parse_from(tokens: &[Token], file: FileId, origin: Origin) -> (Program, Vec<Diagnostic>) {
    parse_known(tokens, file, origin, &KnownTypes::default())
}

/// What the parser knows of type names besides D's built-in typedefs and the program's own: as
/// libdtrace's lexer looks every name up among the types, `(name)` is a cast when `name` is one of
/// these, whatever follows it (`(psinfo_t *)p`, `(uint)-1`).
#[derive(Default)]
pub struct KnownTypes<'a> {
    /// The typedef names the D library declares (`psinfo_t`, `fileinfo_t`, ...).
    pub typedefs: HashSet<String>,
    /// The catalog, asked whether a name in parentheses before an operator that may be unary or
    /// binary (`(uint)-1` against `(x) - 1`) is a kernel typedef. Only that case asks, so that
    /// other programs never need kernel types.
    pub catalog: Option<&'a dyn ProbeCatalog>,
}

fn parse_known(
    tokens: &[Token],
    file: FileId,
    origin: Origin,
    known: &KnownTypes<'_>,
) -> (Program, Vec<Diagnostic>) {
    if tokens
        .last()
        .is_some_and(|token| token.kind == TokenKind::Eof)
    {
        return parse_terminated(tokens, origin, known);
    }
    let end = tokens.last().map_or(0, |token| token.span.end as usize);
    let mut terminated = tokens.to_vec();
    terminated.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(file, end, end),
    });
    parse_terminated(&terminated, origin, known)
}

/// Lexes and parses one source file, returning the errors of both stages in source order.
///
/// Macros are left as they are; [`parse_source_with_known_types`] substitutes them.
pub fn parse_source(sources: &SourceMap, file: FileId) -> (Program, Vec<Diagnostic>) {
    let (tokens, diagnostics) = lex::lex(&sources.file(file).text, file);
    parse_lexed(
        file,
        &tokens,
        diagnostics,
        Origin::Script,
        &KnownTypes::default(),
    )
}

/// Lexes one source file read from `origin` (with the `pspec` option as given), substitutes its
/// macros and parses it, as `dt_compile` reads a program, knowing the type names `known` gives
/// besides the program's own.
///
/// An unreferenced last argument (`D_MACRO_UNUSED`) is reported only when nothing else is wrong,
/// because libdtrace checks for it only after a program has parsed.
pub fn parse_source_with_known_types(
    sources: &SourceMap,
    file: FileId,
    origin: Origin,
    macros: &Macros,
    pspec: bool,
    known: &KnownTypes<'_>,
) -> (Program, Vec<Diagnostic>) {
    let (tokens, mut diagnostics) =
        lex::lex_with_typedefs(&sources.file(file).text, file, pspec, &known.typedefs);
    let expansion = macros::expand(tokens, macros);
    diagnostics.extend(expansion.errors);
    let (program, mut diagnostics) =
        parse_lexed(file, &expansion.tokens, diagnostics, origin, known);
    if diagnostics.is_empty() {
        diagnostics.extend(expansion.unused);
    }
    (program, diagnostics)
}

/// Parses lexed tokens and merges the parser's errors into `diagnostics`, the lexer's.
fn parse_lexed(
    file: FileId,
    tokens: &[Token],
    mut diagnostics: Vec<Diagnostic>,
    origin: Origin,
    known: &KnownTypes<'_>,
) -> (Program, Vec<Diagnostic>) {
    let (program, parse_diagnostics) = parse_known(tokens, file, origin, known);
    // The lexer has already reported what is wrong with a bad character or an unbalanced closer; the
    // parser's syntax error at the same place would only repeat it. A predicate left open is
    // reported where the lexer's lookahead stopped, at the token after the parser's error.
    let lexed_at: HashSet<u32> = diagnostics
        .iter()
        .map(|diagnostic| diagnostic.span.start)
        .collect();
    let repeats = |diagnostic: &Diagnostic| {
        let start = diagnostic.span.start;
        let next = tokens
            .iter()
            .skip_while(|token| token.span.start <= start)
            .map(|token| token.span.start)
            .next();
        lexed_at.contains(&start) || next.is_some_and(|next| lexed_at.contains(&next))
    };
    diagnostics.extend(
        parse_diagnostics
            .into_iter()
            .filter(|diagnostic| !repeats(diagnostic)),
    );
    diagnostics.sort_by_key(|diagnostic| diagnostic.span.start);
    (program, diagnostics)
}

fn parse_terminated(
    tokens: &[Token],
    origin: Origin,
    known: &KnownTypes<'_>,
) -> (Program, Vec<Diagnostic>) {
    let mut parser = Parser {
        bare_descriptions: origin == Origin::ProbeSpecifier,
        tokens: tokens
            .iter()
            .filter(|token| !matches!(token.kind, TokenKind::Pragma(_)))
            .collect(),
        pos: 0,
        depth: 0,
        errors: Vec::new(),
        defined_tags: HashSet::new(),
        typedef_names: known.typedefs.clone(),
        catalog: known.catalog,
    };
    let program = parser.parse_program(tokens);
    let mut diagnostics: Vec<Diagnostic> = parser
        .errors
        .iter()
        .map(ParseError::to_diagnostic)
        .collect();
    // A statement that fails at the end of input is followed by its block failing there too.
    diagnostics.dedup();
    (program, diagnostics)
}

/// A parse error, turned into a [`Diagnostic`] once at the end.
#[derive(Debug)]
enum ParseError<'t> {
    /// The token cannot come here.
    Syntax { token: &'t Token },
    /// A probe description ends the input, with neither predicate nor actions.
    ExpectedBody { span: Span },
    /// A predicate ends the input, with no actions.
    ExpectedActions { span: Span },
    /// Nesting beyond [`MAX_DEPTH`].
    TooDeep { span: Span },
    /// D that this version parses but does not implement; the message names the construct.
    Unsupported { message: &'static str, span: Span },
    /// `#foo` for an unknown `foo`.
    InvalidControl { word: &'t str, span: Span },
    /// `#error words`.
    ErrorDirective { words: &'t [String], span: Span },
    /// Type specifiers that do not go together (`struct a { } struct b { }`, `char int`).
    Combination { span: Span },
    /// A second storage class in a declaration (`self this int x;`).
    DeclClass { span: Span },
    /// A second body for a struct, union or enum tag of this source.
    TypeRedeclared {
        kind: TagKind,
        tag: String,
        span: Span,
    },
    /// A call of something that is not a name.
    FuncIdent { span: Span },
    /// A bad `#pragma D` directive, with libdtrace's tag and message.
    Pragma {
        tag: ErrTag,
        message: String,
        span: Span,
    },
}

impl ParseError<'_> {
    #[cold]
    fn to_diagnostic(&self) -> Diagnostic {
        match *self {
            ParseError::Pragma {
                tag,
                ref message,
                span,
            } => Diagnostic::error(tag, span, message.clone()),
            ParseError::FuncIdent { span } => Diagnostic::error(
                ErrTag::D_FUNC_IDENT,
                span,
                "function designator is not of function type",
            ),
            ParseError::Syntax { token } => {
                let message = match token.kind.spelling() {
                    Some(spelling) => {
                        let line = spelling.split('\n').next().unwrap_or_default();
                        format!("syntax error near \"{line}\"")
                    }
                    None => "syntax error near end of input".to_owned(),
                };
                Diagnostic::error(ErrTag::D_SYNTAX, token.span, message)
            }
            ParseError::ExpectedBody { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                "expected predicate and/or actions following probe description",
            ),
            ParseError::ExpectedActions { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                "expected actions { } following probe description and predicate",
            ),
            ParseError::TooDeep { span } => Diagnostic::error(
                ErrTag::D_SYNTAX,
                span,
                format!("expressions and statements nest more than {MAX_DEPTH} levels deep"),
            ),
            ParseError::Unsupported { message, span } => {
                Diagnostic::error(ErrTag::D_UNKNOWN, span, message)
            }
            ParseError::InvalidControl { word, span } => Diagnostic::error(
                ErrTag::D_PRAGCTL_INVAL,
                span,
                format!("invalid control directive: #{word}"),
            ),
            ParseError::Combination { span } => {
                Diagnostic::error(ErrTag::D_DECL_COMBO, span, "invalid type combination")
            }
            ParseError::ErrorDirective { words, span } => {
                let text = words.iter().fold(String::new(), |mut text, word| {
                    text.push_str(word);
                    text.push(' ');
                    text
                });
                Diagnostic::error(ErrTag::D_PRAGERR, span, format!("#error: {text}"))
            }
            ParseError::DeclClass { span } => Diagnostic::error(
                ErrTag::D_DECL_CLASS,
                span,
                "only one storage class allowed in a declaration",
            ),
            ParseError::TypeRedeclared {
                kind,
                ref tag,
                span,
            } => Diagnostic::error(
                ErrTag::D_DECL_TYPERED,
                span,
                format!("type redeclared: {} {tag}", kind.keyword()),
            ),
        }
    }
}

type PResult<'t, T> = Result<T, ParseError<'t>>;

/// The cursor over the tokens the grammar sees (control lines are handled apart).
struct Parser<'t> {
    /// Never empty: the last token is [`TokenKind::Eof`].
    tokens: Vec<&'t Token>,
    pos: usize,
    /// Current nesting, against [`MAX_DEPTH`].
    depth: u32,
    errors: Vec<ParseError<'t>>,
    /// The struct, union and enum tags this source has given a body, so that a second body is
    /// reported where it starts, as libdtrace does.
    defined_tags: HashSet<(TagKind, String)>,
    /// Whether a probe description alone at the end of input is a clause (the text of `-n`).
    bare_descriptions: bool,
    /// The names `typedef` declarations have declared so far: `(name)` around one is a cast
    /// whatever follows (`(myint_t)-1`), as libdtrace's lexer knows it for a type name.
    typedef_names: HashSet<String>,
    /// Where kernel typedef names are looked up (see [`KnownTypes::catalog`]).
    catalog: Option<&'t dyn ProbeCatalog>,
}

impl<'t> Parser<'t> {
    /// The token `ahead` places on (the end of input once past it).
    fn nth(&self, ahead: usize) -> &'t Token {
        let last = self.tokens.len().saturating_sub(1);
        self.tokens[(self.pos + ahead).min(last)]
    }

    fn peek(&self) -> &'t Token {
        self.nth(0)
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek().kind == *kind
    }

    /// Moves past the current token (never past the end of input) and returns it.
    fn bump(&mut self) -> &'t Token {
        let token = self.peek();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    /// Consumes a token of `kind`, or fails with a syntax error.
    fn expect(&mut self, kind: &TokenKind) -> PResult<'t, &'t Token> {
        if self.at(kind) {
            return Ok(self.bump());
        }
        Err(self.unexpected())
    }

    /// A syntax error at the current token.
    fn unexpected(&self) -> ParseError<'t> {
        ParseError::Syntax { token: self.peek() }
    }

    fn report(&mut self, error: ParseError<'t>) {
        self.errors.push(error);
    }

    /// Goes one nesting level deeper, failing past [`MAX_DEPTH`]; [`Parser::leave`] comes back.
    fn enter(&mut self) -> PResult<'t, ()> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::TooDeep {
                span: self.peek().span,
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Item;

    fn messages(text: &str) -> Vec<String> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (_, diagnostics) = parse_source(&sources, file);
        diagnostics
            .into_iter()
            .map(|diagnostic| diagnostic.message)
            .collect()
    }

    #[test]
    fn a_list_without_eof_gets_one() {
        let (tokens, _) = lex::lex("BEGIN {}", FileId(0));
        let (program, diagnostics) = parse(&tokens[..tokens.len() - 1], FileId(0));
        assert!(diagnostics.is_empty());
        assert!(matches!(program.items[..], [Item::Clause(_)]));
        let (program, diagnostics) = parse(&[], FileId(0));
        assert!(program.items.is_empty() && diagnostics.is_empty());
    }

    #[test]
    fn an_error_at_the_end_is_reported_once() {
        assert_eq!(
            messages("BEGIN { x = ("),
            ["syntax error near end of input"]
        );
    }

    #[test]
    fn lexer_errors_are_not_repeated() {
        assert_eq!(
            messages("BEGIN { trace(epid)); }"),
            ["extra ) in input stream"]
        );
        assert_eq!(
            messages("BEGIN\n/rand(/\n{\n\ttrace(epid);\n}\n"),
            ["closing ) expected in predicate before /"]
        );
        assert_eq!(
            messages("BEGIN { x = 1 # 2; }"),
            ["syntax error near \"#\""]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("BEGIN {{ x = {}1{}; }}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(
            messages(&deep),
            ["expressions and statements nest more than 256 levels deep"]
        );
        let long = format!("BEGIN {{ x = 1{}; }}", " + 1".repeat(5000));
        assert_eq!(messages(&long).len(), 1);
        let unary = format!("BEGIN {{ x = {}1; }}", "-".repeat(5000));
        assert_eq!(messages(&unary).len(), 1);
    }
}

//! Macro substitution: `$1`, `$$1`, `$0`, `$pid`, `$target` and the other macro variables.
//!
//! libdtrace substitutes macros in its lexer, so a macro argument becomes whatever token its text
//! spells: `$1` is an integer, an identifier or a string depending on the argument, and may be a
//! variable name (`trace($1)` with argument `pid`). This pass does the same to the token stream
//! between lexing and parsing, so the parser, sema and lowering never see a macro. Probe
//! descriptions are expanded field by field, as `dtrace_xstr2desc` does (`pid$target`,
//! `syscall::$1:entry`).
//!
//! The arguments a source references are tracked, and an unreferenced last argument is
//! `D_MACRO_UNUSED` unless `argref` is set, as in `dt_compile`. `#pragma D option defaultargs` and
//! `argref` take effect from the line they are on, since libdtrace applies a pragma when its line
//! is read.

use super::literal::{decode_escapes, int_type};
use super::{IntLit, Token, TokenKind};
use crate::diagnostic::{Diagnostic, ErrTag};
use crate::source::Span;

/// The macro variables (libdtrace's `dt_macros`): ids of the tracer process and of `$target`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacroVariables {
    /// `$egid`.
    pub egid: u32,
    /// `$euid`.
    pub euid: u32,
    /// `$gid`.
    pub gid: u32,
    /// `$pid`: the tracer's own process ID.
    pub pid: u32,
    /// `$pgid`.
    pub pgid: u32,
    /// `$ppid`.
    pub ppid: u32,
    /// `$sid`.
    pub sid: u32,
    /// `$target`: the first `-c` or `-p` process, or 0.
    pub target: u32,
    /// `$uid`.
    pub uid: u32,
}

impl MacroVariables {
    /// The value of `$name`, if it is a macro variable.
    pub fn get(&self, name: &str) -> Option<u32> {
        let value = match name {
            "egid" => self.egid,
            "euid" => self.euid,
            "gid" => self.gid,
            "pid" => self.pid,
            "pgid" => self.pgid,
            "ppid" => self.ppid,
            "sid" => self.sid,
            "target" => self.target,
            "uid" => self.uid,
            _ => return None,
        };
        Some(value)
    }
}

/// What the macros of one source stand for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Macros {
    /// `$0`, `$1`, ...: the script's name (the program's for a probe description), then the
    /// operands of the command line.
    pub args: Vec<String>,
    /// `$pid`, `$target`, ...
    pub variables: MacroVariables,
    /// `-x defaultargs`: a missing `$N` is `0` and a missing `$$N` is `""`.
    pub defaultargs: bool,
    /// `-x argref`: an unreferenced last argument is not an error.
    pub argref: bool,
}

/// The tokens with every macro replaced, and what went wrong.
#[derive(Debug)]
pub struct Expansion {
    /// The substituted token stream.
    pub tokens: Vec<Token>,
    /// Undefined macros and bad macro text, in source order.
    pub errors: Vec<Diagnostic>,
    /// `D_MACRO_UNUSED`, which libdtrace reports only once the program has parsed.
    pub unused: Option<Diagnostic>,
}

/// Replaces every macro in `tokens`.
pub fn expand(tokens: Vec<Token>, macros: &Macros) -> Expansion {
    let mut expander = Expander {
        macros,
        defaultargs: macros.defaultargs,
        argref: macros.argref,
        referenced: vec![false; macros.args.len()],
        errors: Vec::new(),
    };
    let mut out = Vec::with_capacity(tokens.len());
    let mut eof_span = Span::default();
    for token in tokens {
        match token.kind {
            TokenKind::Macro { name, quoted } => {
                expander.macro_token(&name, quoted, token.span, &mut out);
            }
            TokenKind::ProbeSpec(text) if text.contains('$') => {
                let kind = match expander.probe_spec(&text) {
                    Some(expanded) => TokenKind::ProbeSpec(expanded),
                    None => {
                        expander.errors.push(Diagnostic::error(
                            ErrTag::D_PDESC_INVAL,
                            token.span,
                            format!(
                                "invalid probe description \"{text}\": Undefined macro variable in probe description"
                            ),
                        ));
                        TokenKind::ProbeSpec(text)
                    }
                };
                out.push(Token {
                    kind,
                    span: token.span,
                });
            }
            TokenKind::Pragma(words) => {
                expander.pragma(&words);
                out.push(Token {
                    kind: TokenKind::Pragma(words),
                    span: token.span,
                });
            }
            kind => {
                if kind == TokenKind::Eof {
                    eof_span = token.span;
                }
                out.push(Token {
                    kind,
                    span: token.span,
                });
            }
        }
    }
    let unused = expander.unused(eof_span);
    Expansion {
        tokens: out,
        errors: expander.errors,
        unused,
    }
}

struct Expander<'m> {
    macros: &'m Macros,
    defaultargs: bool,
    argref: bool,
    /// One flag per entry of `macros.args`.
    referenced: Vec<bool>,
    errors: Vec<Diagnostic>,
}

impl Expander<'_> {
    /// `#pragma D option defaultargs` and `argref` change how later macros are read.
    fn pragma(&mut self, words: &[String]) {
        if let [pragma, d, option, setting] = words
            && pragma == "pragma"
            && d == "D"
            && option == "option"
        {
            match setting.as_str() {
                "defaultargs" => self.defaultargs = true,
                "argref" => self.argref = true,
                _ => {}
            }
        }
    }

    /// The text of argument `$index`, marked referenced; `None` when it is missing.
    fn argument(&mut self, index: &str) -> Option<&str> {
        let arg_idx: usize = index.parse().ok()?;
        let flag = self.referenced.get_mut(arg_idx)?;
        *flag = true;
        Some(&self.macros.args[arg_idx])
    }

    fn undefined(&mut self, span: Span, what: &str, spelling: &str) {
        self.errors.push(Diagnostic::error(
            ErrTag::D_MACRO_UNDEF,
            span,
            format!("{what} {spelling} is not defined"),
        ));
    }

    /// Pushes the token (or tokens) that `$name` or `$$name` stands for.
    fn macro_token(&mut self, name: &str, quoted: bool, span: Span, out: &mut Vec<Token>) {
        let dollars = if quoted { "$$" } else { "$" };
        let spelling = format!("{dollars}{name}");
        let mut push = |kind| out.push(Token { kind, span });
        if !name.starts_with(|ch: char| ch.is_ascii_digit()) {
            let Some(value) = self.macros.variables.get(name) else {
                self.undefined(span, "macro variable", &spelling);
                push(int_token(0, spelling));
                return;
            };
            if quoted {
                push(TokenKind::Str(value.to_string().into_bytes()));
            } else {
                push(int_token(u64::from(value), spelling));
            }
            return;
        }
        let defaultargs = self.defaultargs;
        let text = match self.argument(name) {
            Some(text) => text.to_owned(),
            None if defaultargs && quoted => String::new(),
            None if defaultargs => "0".to_owned(),
            None => {
                self.undefined(span, "macro argument", &spelling);
                push(int_token(0, spelling));
                return;
            }
        };
        if quoted {
            push(TokenKind::Str(decode_escapes(text.as_bytes())));
            return;
        }
        match classify(&text) {
            ArgumentText::Str(raw) => push(TokenKind::Str(decode_escapes(raw.as_bytes()))),
            ArgumentText::Ident => push(TokenKind::Ident(text.clone())),
            ArgumentText::Int { negative, digits } => {
                let lit = match int_literal(digits, spelling.clone()) {
                    Ok(lit) => lit,
                    Err(message) => {
                        let tag = match message {
                            IntError::Overflow => ErrTag::D_MACRO_OFLOW,
                            IntError::Unrepresentable(_) => ErrTag::D_INT_OFLOW,
                        };
                        let message = match message {
                            IntError::Overflow => format!(
                                "macro argument {spelling} constant {digits} results in integer overflow"
                            ),
                            IntError::Unrepresentable(value) => format!(
                                "integer constant 0x{value:x} cannot be represented in any built-in integral type"
                            ),
                        };
                        self.errors.push(Diagnostic::error(tag, span, message));
                        push(int_token(0, spelling));
                        return;
                    }
                };
                if negative {
                    let sign_end = span.start + 1;
                    out.push(Token {
                        kind: TokenKind::Minus,
                        span: Span {
                            end: sign_end,
                            ..span
                        },
                    });
                    out.push(Token {
                        kind: TokenKind::Int(lit),
                        span: Span {
                            start: sign_end,
                            ..span
                        },
                    });
                } else {
                    out.push(Token {
                        kind: TokenKind::Int(lit),
                        span,
                    });
                }
            }
        }
    }

    /// Expands each `:`-separated field of a probe description, or `None` for an undefined
    /// macro. In a description `$$` means the same as `$`.
    fn probe_spec(&mut self, text: &str) -> Option<String> {
        let mut fields = Vec::new();
        for field in text.split(':') {
            let Some(dollar) = field.find('$') else {
                fields.push(field.to_owned());
                continue;
            };
            let (prefix, reference) = field.split_at(dollar);
            let reference = match reference.strip_prefix("$$") {
                Some(rest) if !rest.is_empty() => rest,
                _ => &reference[1..],
            };
            let digits_len = reference.bytes().take_while(u8::is_ascii_digit).count();
            let value = if digits_len > 0 {
                let (index, rest) = reference.split_at(digits_len);
                format!("{}{rest}", self.argument(index)?)
            } else if reference.is_empty() {
                return None;
            } else {
                self.macros.variables.get(reference)?.to_string()
            };
            fields.push(format!("{prefix}{value}"));
        }
        Some(fields.join(":"))
    }

    /// `extraneous argument`: the last operand, when no macro referenced it.
    fn unused(&self, span: Span) -> Option<Diagnostic> {
        let last_idx = self.macros.args.len().checked_sub(1)?;
        if last_idx == 0 || self.argref || self.referenced[last_idx] {
            return None;
        }
        Some(Diagnostic::error(
            ErrTag::D_MACRO_UNUSED,
            span,
            format!(
                "extraneous argument '{}' (${last_idx} is not referenced)",
                self.macros.args[last_idx]
            ),
        ))
    }
}

/// How `$N` reads its argument's text, as libdtrace's lexer decides.
#[derive(Debug, PartialEq, Eq)]
enum ArgumentText<'a> {
    /// Neither a number nor an identifier: a string, without its surrounding double quotes.
    Str(&'a str),
    /// An identifier.
    Ident,
    /// A number, possibly signed; `digits` has the sign removed and may carry a suffix.
    Int { negative: bool, digits: &'a str },
}

/// libdtrace's `strbadidnum` followed by the lexer's choice between integer and identifier.
fn classify(text: &str) -> ArgumentText<'_> {
    if text.is_empty() {
        return ArgumentText::Str(text);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let whole_number = matches!(parse_c_integer(unsigned), Some((_, "")));
    let identifier_chars = text
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'`');
    if !whole_number && !identifier_chars {
        let unquoted = text
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'));
        return ArgumentText::Str(unquoted.unwrap_or(text));
    }
    match text.as_bytes()[0] {
        b'0'..=b'9' => ArgumentText::Int {
            negative: false,
            digits: text,
        },
        sign @ (b'-' | b'+') => ArgumentText::Int {
            negative: sign == b'-',
            digits: unsigned,
        },
        _ => ArgumentText::Ident,
    }
}

/// Reads an integer as `strtoull(text, &end, 0)` does, returning the value and the unread rest;
/// `None` when there are no digits or the value overflows.
fn parse_c_integer(text: &str) -> Option<(u64, &str)> {
    let (radix, digits) = match text.as_bytes() {
        [b'0', b'x' | b'X', next, ..] if next.is_ascii_hexdigit() => (16, &text[2..]),
        [b'0', ..] => (8, text),
        _ => (10, text),
    };
    let n_digits = digits
        .bytes()
        .take_while(|byte| char::from(*byte).is_digit(radix))
        .count();
    if n_digits == 0 {
        return None;
    }
    let value = u64::from_str_radix(&digits[..n_digits], radix).ok()?;
    Some((value, &digits[n_digits..]))
}

/// Why the digits of a macro argument make no integer constant.
enum IntError {
    /// More than 64 bits.
    Overflow,
    /// No integer type holds the value (a decimal constant above `LLONG_MAX`).
    Unrepresentable(u64),
}

/// The integer token for the digits of a macro argument. Any suffix is read for its `u` and `l`
/// letters only, as `dt_node_int` reads it.
fn int_literal(digits: &str, spelling: String) -> Result<IntLit, IntError> {
    let Some((value, suffix)) = parse_c_integer(digits) else {
        return Err(IntError::Overflow);
    };
    let decimal = !digits.starts_with('0');
    let Some((unsigned, long)) = int_type(value, decimal, suffix) else {
        return Err(IntError::Unrepresentable(value));
    };
    Ok(IntLit {
        value,
        unsigned,
        long,
        text: spelling,
    })
}

/// An `int` constant that is spelled as the macro it replaces, for `syntax error near "$pid"`.
fn int_token(value: u64, spelling: String) -> TokenKind {
    let (unsigned, long) = int_type(value, true, "").unwrap_or((true, true));
    TokenKind::Int(IntLit {
        value,
        unsigned,
        long,
        text: spelling,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;
    use crate::source::FileId;

    fn macros(args: &[&str]) -> Macros {
        Macros {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            variables: MacroVariables {
                pid: 4242,
                target: 77,
                uid: 1000,
                ..MacroVariables::default()
            },
            ..Macros::default()
        }
    }

    /// The expanded tokens between `BEGIN {` and `}`, and the error messages.
    fn expand_body(body: &str, macros: &Macros) -> (Vec<TokenKind>, Vec<String>) {
        let text = format!("BEGIN {{ {body} }}");
        let (tokens, lex_errors) = lex(&text, FileId(0));
        assert!(lex_errors.is_empty(), "{lex_errors:?}");
        let expansion = expand(tokens, macros);
        let kinds: Vec<TokenKind> = expansion
            .tokens
            .into_iter()
            .map(|token| token.kind)
            .collect();
        let messages = expansion
            .errors
            .into_iter()
            .chain(expansion.unused)
            .map(|diagnostic| diagnostic.message)
            .collect();
        (kinds[2..kinds.len() - 2].to_vec(), messages)
    }

    fn int(value: u64, unsigned: bool, long: bool, text: &str) -> TokenKind {
        TokenKind::Int(IntLit {
            value,
            unsigned,
            long,
            text: text.to_owned(),
        })
    }

    fn string(text: &str) -> TokenKind {
        TokenKind::Str(text.as_bytes().to_vec())
    }

    #[test]
    fn arguments_become_integers_identifiers_or_strings() {
        let macros = macros(&[
            "t.d",
            "42",
            "execname",
            "hello world",
            "\"quoted\"",
            "0x10u",
        ]);
        let (kinds, errors) = expand_body("$1 $2 $3 $4 $5", &macros);
        assert_eq!(
            kinds,
            [
                int(42, false, false, "$1"),
                TokenKind::Ident("execname".into()),
                string("hello world"),
                string("quoted"),
                int(16, true, false, "$5"),
            ]
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn quoted_arguments_are_always_strings() {
        let macros = macros(&["t.d", "42", "a\\tb"]);
        let (kinds, errors) = expand_body("$$0 $$1 $$2", &macros);
        assert_eq!(kinds, [string("t.d"), string("42"), string("a\tb")]);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn signed_arguments_get_a_sign_token() {
        let macros = macros(&["t.d", "-5", "+7"]);
        let (kinds, _) = expand_body("$1 $2", &macros);
        assert_eq!(
            kinds,
            [
                TokenKind::Minus,
                int(5, false, false, "$1"),
                int(7, false, false, "$2")
            ]
        );
    }

    #[test]
    fn macro_variables_are_integers_or_strings() {
        let (kinds, errors) = expand_body("$pid $$target $uid $gid", &macros(&["t.d"]));
        assert_eq!(
            kinds,
            [
                int(4242, false, false, "$pid"),
                string("77"),
                int(1000, false, false, "$uid"),
                int(0, false, false, "$gid"),
            ]
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn missing_and_unknown_macros_are_undefined() {
        let (_, errors) = expand_body("$1 $$2 $nosuch $$nosuch", &macros(&["t.d"]));
        assert_eq!(
            errors,
            [
                "macro argument $1 is not defined",
                "macro argument $$2 is not defined",
                "macro variable $nosuch is not defined",
                "macro variable $$nosuch is not defined",
            ]
        );
    }

    #[test]
    fn defaultargs_supplies_zero_and_the_empty_string() {
        let macros = Macros {
            defaultargs: true,
            ..macros(&["t.d"])
        };
        let (kinds, errors) = expand_body("$1 $$1", &macros);
        assert_eq!(kinds, [int(0, false, false, "$1"), string("")]);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn the_defaultargs_pragma_applies_from_its_line() {
        let text = "BEGIN { x = $1; }\n#pragma D option defaultargs\nEND { y = $2; }\n";
        let (tokens, _) = lex(text, FileId(0));
        let expansion = expand(tokens, &macros(&["t.d"]));
        let messages: Vec<String> = expansion
            .errors
            .iter()
            .map(|diagnostic| diagnostic.message.clone())
            .collect();
        assert_eq!(messages, ["macro argument $1 is not defined"]);
    }

    #[test]
    fn overflowing_arguments_are_reported() {
        let macros = macros(&["t.d", "99999999999999999999"]);
        let (_, errors) = expand_body("$1", &macros);
        assert_eq!(
            errors,
            ["macro argument $1 constant 99999999999999999999 results in integer overflow"]
        );
    }

    #[test]
    fn the_last_argument_must_be_referenced() {
        let (_, errors) = expand_body("$1", &macros(&["t.d", "a", "b"]));
        assert_eq!(errors, ["extraneous argument 'b' ($2 is not referenced)"]);
        let (_, errors) = expand_body("$2", &macros(&["t.d", "a", "b"]));
        assert!(errors.is_empty(), "{errors:?}");
        let argref = Macros {
            argref: true,
            ..macros(&["t.d", "a"])
        };
        let (_, errors) = expand_body("", &argref);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn probe_descriptions_expand_field_by_field() {
        let (tokens, _) = lex(
            "pid$target::$1:entry, syscall::$$2:return, $0 {}",
            FileId(0),
        );
        let expansion = expand(tokens, &macros(&["BEGIN", "main", "read"]));
        let specs: Vec<TokenKind> = expansion
            .tokens
            .into_iter()
            .filter(|token| matches!(token.kind, TokenKind::ProbeSpec(_)))
            .map(|token| token.kind)
            .collect();
        assert_eq!(
            specs,
            [
                TokenKind::ProbeSpec("pid77::main:entry".into()),
                TokenKind::ProbeSpec("syscall::read:return".into()),
                TokenKind::ProbeSpec("BEGIN".into()),
            ]
        );
        assert!(expansion.errors.is_empty() && expansion.unused.is_none());
    }

    #[test]
    fn undefined_macros_in_descriptions_are_invalid() {
        let (tokens, _) = lex("syscall::$3:entry {}", FileId(0));
        let expansion = expand(tokens, &macros(&["t.d"]));
        assert_eq!(
            expansion.errors[0].message,
            "invalid probe description \"syscall::$3:entry\": Undefined macro variable in probe description"
        );
        assert_eq!(expansion.errors[0].tag, ErrTag::D_PDESC_INVAL);
    }

    #[test]
    fn classification_follows_strbadidnum() {
        assert_eq!(
            classify("12abc"),
            ArgumentText::Int {
                negative: false,
                digits: "12abc"
            }
        );
        assert_eq!(classify("a-b"), ArgumentText::Str("a-b"));
        assert_eq!(classify("\""), ArgumentText::Str("\""));
        assert_eq!(classify("foo_1"), ArgumentText::Ident);
        assert_eq!(classify(""), ArgumentText::Str(""));
    }
}

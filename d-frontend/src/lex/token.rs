//! Token types and the `--dump=tokens` text.
//!
//! Tokens own their text (names, decoded literals, the spelling of integer constants) so that the
//! parser needs nothing but the token list, including for `syntax error near "..."` messages.

use std::fmt::Write as _;

use crate::source::Span;

/// One token with its place in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// An integer constant with C's suffix and base rules applied (libdtrace's `dt_node_int`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLit {
    /// The value's bits.
    pub value: u64,
    /// The constant's type is unsigned.
    pub unsigned: bool,
    /// The constant's type is `long` or `long long`.
    pub long: bool,
    /// The constant as written, for messages.
    pub text: String,
}

/// The kinds of token.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A probe description at the outer level (`syscall::openat:entry`, `tick-1s`, `BEGIN`).
    ProbeSpec(String),
    /// A `#` control line: its words (`#pragma D option quiet` gives `pragma`, `D`, `option`, `quiet`).
    Pragma(Vec<String>),
    /// An identifier; a backtick may scope it to a module (`` vmlinux`jiffies ``).
    Ident(String),
    /// A reserved word.
    Keyword(Keyword),
    /// An integer constant (a character constant of several bytes is one too).
    Int(IntLit),
    /// A one-byte character constant.
    Char(u8),
    /// A string literal, escapes decoded.
    Str(Vec<u8>),
    /// `$name`, `$1`, `$$name`, `$$1`.
    Macro {
        /// What follows the dollars.
        name: String,
        /// Written with `$$`.
        quoted: bool,
    },
    /// `@name`, or `@` alone (the name is empty).
    Agg(String),
    /// The `/` that closes a predicate.
    EndPred,
    /// A character that starts no token (already reported).
    Invalid(char),
    /// The end of input.
    Eof,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// `.`
    Dot,
    /// `...`
    Ellipsis,
    /// `->`
    Arrow,
    /// `?`
    Question,
    /// `:`
    Colon,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/` (division, or the start of a predicate)
    Slash,
    /// `%`
    Percent,
    /// `&`
    Amp,
    /// `|`
    Pipe,
    /// `^`
    Caret,
    /// `~`
    Tilde,
    /// `!`
    Bang,
    /// `&&`
    AmpAmp,
    /// `||`
    PipePipe,
    /// `^^`
    CaretCaret,
    /// `==`
    EqEq,
    /// `!=`
    BangEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `=`
    Assign,
    /// `+=`
    PlusAssign,
    /// `-=`
    MinusAssign,
    /// `*=`
    StarAssign,
    /// `/=`
    SlashAssign,
    /// `%=`
    PercentAssign,
    /// `&=`
    AmpAssign,
    /// `|=`
    PipeAssign,
    /// `^=`
    CaretAssign,
    /// `<<=`
    ShlAssign,
    /// `>>=`
    ShrAssign,
    /// `++`
    PlusPlus,
    /// `--`
    MinusMinus,
}

impl TokenKind {
    /// Operators and punctuation, longest spelling first so the first match is the longest.
    pub(super) const PUNCTUATION: &[(&str, TokenKind)] = &[
        ("<<=", TokenKind::ShlAssign),
        (">>=", TokenKind::ShrAssign),
        ("...", TokenKind::Ellipsis),
        ("->", TokenKind::Arrow),
        ("++", TokenKind::PlusPlus),
        ("--", TokenKind::MinusMinus),
        ("&&", TokenKind::AmpAmp),
        ("||", TokenKind::PipePipe),
        ("^^", TokenKind::CaretCaret),
        ("==", TokenKind::EqEq),
        ("!=", TokenKind::BangEq),
        ("<=", TokenKind::Le),
        (">=", TokenKind::Ge),
        ("<<", TokenKind::Shl),
        (">>", TokenKind::Shr),
        ("+=", TokenKind::PlusAssign),
        ("-=", TokenKind::MinusAssign),
        ("*=", TokenKind::StarAssign),
        ("/=", TokenKind::SlashAssign),
        ("%=", TokenKind::PercentAssign),
        ("&=", TokenKind::AmpAssign),
        ("|=", TokenKind::PipeAssign),
        ("^=", TokenKind::CaretAssign),
        ("(", TokenKind::LParen),
        (")", TokenKind::RParen),
        ("[", TokenKind::LBracket),
        ("]", TokenKind::RBracket),
        ("{", TokenKind::LBrace),
        ("}", TokenKind::RBrace),
        (",", TokenKind::Comma),
        (";", TokenKind::Semi),
        (".", TokenKind::Dot),
        ("?", TokenKind::Question),
        (":", TokenKind::Colon),
        ("+", TokenKind::Plus),
        ("-", TokenKind::Minus),
        ("*", TokenKind::Star),
        ("/", TokenKind::Slash),
        ("%", TokenKind::Percent),
        ("&", TokenKind::Amp),
        ("|", TokenKind::Pipe),
        ("^", TokenKind::Caret),
        ("~", TokenKind::Tilde),
        ("!", TokenKind::Bang),
        ("<", TokenKind::Lt),
        (">", TokenKind::Gt),
        ("=", TokenKind::Assign),
    ];

    /// The token as libdtrace's `syntax error near "..."` shows it; `None` for the end of input.
    pub fn spelling(&self) -> Option<String> {
        let spelling = match self {
            TokenKind::ProbeSpec(text) | TokenKind::Ident(text) => text.clone(),
            TokenKind::Pragma(words) => format!("#{}", words.join(" ")),
            TokenKind::Keyword(keyword) => keyword.as_str().to_owned(),
            TokenKind::Int(lit) => lit.text.clone(),
            TokenKind::Char(byte) => format!("'{}'", escape(&[*byte], b'\'')),
            TokenKind::Str(bytes) => format!("\"{}\"", escape(bytes, b'"')),
            TokenKind::Macro { name, quoted } => {
                format!("{}{name}", if *quoted { "$$" } else { "$" })
            }
            TokenKind::Agg(name) => format!("@{name}"),
            TokenKind::EndPred => "/".to_owned(),
            TokenKind::Invalid(ch) => ch.to_string(),
            TokenKind::Eof => return None,
            punctuation => TokenKind::PUNCTUATION
                .iter()
                .find(|(_, kind)| kind == punctuation)
                .map_or_else(String::new, |(symbol, _)| (*symbol).to_owned()),
        };
        Some(spelling)
    }
}

/// Writes bytes back as C source between `quote`s.
pub(crate) fn escape(bytes: &[u8], quote: u8) -> String {
    let mut out = String::new();
    for &byte in bytes {
        match byte {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            _ if byte == quote => {
                out.push('\\');
                out.push(byte as char);
            }
            b' '..=b'~' => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out
}

macro_rules! keywords {
    ($($variant:ident = $text:literal,)*) => {
        /// D's reserved words (libdtrace's `DT_KEY_*` tokens and the operator words).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Keyword {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl Keyword {
            /// The word as written.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Keyword::$variant => $text,)*
                }
            }

            /// The keyword spelled `text`, if any.
            pub fn lookup(text: &str) -> Option<Keyword> {
                match text {
                    $($text => Some(Keyword::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    Auto = "auto",
    Break = "break",
    Case = "case",
    Char = "char",
    Const = "const",
    Continue = "continue",
    Counter = "counter",
    Default = "default",
    Do = "do",
    Double = "double",
    Else = "else",
    Enum = "enum",
    Extern = "extern",
    Float = "float",
    For = "for",
    Goto = "goto",
    If = "if",
    Import = "import",
    Inline = "inline",
    Int = "int",
    Long = "long",
    Offsetof = "offsetof",
    Probe = "probe",
    Provider = "provider",
    Register = "register",
    Restrict = "restrict",
    Return = "return",
    SelfKw = "self",
    Short = "short",
    Signed = "signed",
    Sizeof = "sizeof",
    Static = "static",
    String = "string",
    Stringof = "stringof",
    Struct = "struct",
    Switch = "switch",
    This = "this",
    Translator = "translator",
    Typedef = "typedef",
    Union = "union",
    Unsigned = "unsigned",
    Void = "void",
    Volatile = "volatile",
    While = "while",
    Xlate = "xlate",
}

impl Keyword {
    /// The keyword `text` spells if it starts a declaration at the outer level, where every other
    /// word is a probe description.
    pub fn starting_declaration(text: &str) -> Option<Keyword> {
        let keyword = Keyword::lookup(text)?;
        matches!(
            keyword,
            Keyword::Auto
                | Keyword::Char
                | Keyword::Const
                | Keyword::Counter
                | Keyword::Double
                | Keyword::Enum
                | Keyword::Extern
                | Keyword::Float
                | Keyword::Import
                | Keyword::Inline
                | Keyword::Int
                | Keyword::Long
                | Keyword::Provider
                | Keyword::Register
                | Keyword::Restrict
                | Keyword::SelfKw
                | Keyword::Short
                | Keyword::Signed
                | Keyword::Static
                | Keyword::String
                | Keyword::Struct
                | Keyword::This
                | Keyword::Translator
                | Keyword::Typedef
                | Keyword::Union
                | Keyword::Unsigned
                | Keyword::Void
                | Keyword::Volatile
        )
        .then_some(keyword)
    }

    /// A word that names a basic type (`int`, `unsigned`, `string`).
    pub fn is_base_type(self) -> bool {
        matches!(
            self,
            Keyword::Void
                | Keyword::Char
                | Keyword::Short
                | Keyword::Int
                | Keyword::Long
                | Keyword::Float
                | Keyword::Double
                | Keyword::Signed
                | Keyword::Unsigned
                | Keyword::String
        )
    }

    /// `const`, `volatile` or `restrict`.
    pub fn is_qualifier(self) -> bool {
        matches!(self, Keyword::Const | Keyword::Volatile | Keyword::Restrict)
    }

    /// `struct`, `union` or `enum`, which a tag name follows.
    pub fn is_tagged(self) -> bool {
        matches!(self, Keyword::Struct | Keyword::Union | Keyword::Enum)
    }

    /// A word that can start a type name.
    pub fn starts_type(self) -> bool {
        self.is_base_type() || self.is_qualifier() || self.is_tagged()
    }
}

/// The `--dump=tokens` text: one token per line, with its span.
pub fn dump_tokens(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match &token.kind {
            TokenKind::ProbeSpec(text) => {
                let _ = write!(out, "ProbeSpec {text:?}");
            }
            TokenKind::Pragma(words) => {
                out.push_str("Pragma");
                for word in words {
                    let _ = write!(out, " {word:?}");
                }
            }
            TokenKind::Ident(name) => {
                let _ = write!(out, "Ident {name}");
            }
            TokenKind::Keyword(keyword) => {
                let _ = write!(out, "Keyword {}", keyword.as_str());
            }
            TokenKind::Int(lit) => {
                let _ = write!(
                    out,
                    "Int {} = {} {}",
                    lit.text,
                    lit.value,
                    int_type_name(lit.unsigned, lit.long)
                );
            }
            TokenKind::Char(byte) => {
                let _ = write!(out, "Char '{}' = {byte}", escape(&[*byte], b'\''));
            }
            TokenKind::Str(bytes) => {
                let _ = write!(out, "Str \"{}\"", escape(bytes, b'"'));
            }
            TokenKind::Macro { .. } => {
                let _ = write!(out, "Macro {}", token.kind.spelling().unwrap_or_default());
            }
            TokenKind::Agg(_) => {
                let _ = write!(out, "Agg {}", token.kind.spelling().unwrap_or_default());
            }
            TokenKind::EndPred => out.push_str("EndPred /"),
            TokenKind::Invalid(ch) => {
                let _ = write!(out, "Invalid {ch:?}");
            }
            TokenKind::Eof => out.push_str("Eof"),
            punctuation => {
                let _ = write!(out, "Punct {}", punctuation.spelling().unwrap_or_default());
            }
        }
        let _ = writeln!(out, " @{}..{}", token.span.start, token.span.end);
    }
    out
}

/// The C type of an integer constant, for dumps.
pub(crate) fn int_type_name(unsigned: bool, long: bool) -> &'static str {
    match (unsigned, long) {
        (false, false) => "int",
        (true, false) => "unsigned int",
        (false, true) => "long",
        (true, true) => "unsigned long",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_punctuation_spells_itself() {
        for (symbol, kind) in TokenKind::PUNCTUATION {
            assert_eq!(kind.spelling().as_deref(), Some(*symbol));
        }
    }

    #[test]
    fn keywords_round_trip() {
        assert_eq!(Keyword::lookup("self"), Some(Keyword::SelfKw));
        assert_eq!(Keyword::SelfKw.as_str(), "self");
        assert_eq!(Keyword::lookup("BEGIN"), None);
        assert_eq!(Keyword::starting_declaration("if"), None);
        assert_eq!(Keyword::starting_declaration("int"), Some(Keyword::Int));
    }

    #[test]
    fn strings_are_escaped_back() {
        let kind = TokenKind::Str(b"a\"b\\\n\x01".to_vec());
        assert_eq!(kind.spelling().as_deref(), Some(r#""a\"b\\\n\001""#));
    }
}

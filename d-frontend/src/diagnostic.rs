//! Diagnostics: what every stage reports, rendered once in libdtrace's words.
//!
//! Stages collect small error values with spans; they become a [`Diagnostic`] at the stage boundary.
//! The first rendered line is byte-compatible with libdtrace (`failed to compile script F: line N: MSG`),
//! then comes a source snippet with carets, then `note:` lines.

use std::fmt::Write as _;

use crate::source::{SourceMap, Span};

/// libdtrace's error tags (`dt_errtags.h`), kept verbatim so one grep finds code, tag and tests.
#[expect(non_camel_case_types, reason = "names match dt_errtags.h")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrTag {
    /// Syntax error.
    D_SYNTAX,
    /// Invalid character in the input.
    D_CHR_BADCHAR,
    /// Unterminated string literal.
    D_STR_NL,
    /// Integer constant too large.
    D_INT_OFLOW,
    /// Integer constant with a digit not valid in its base.
    D_INT_DIGIT,
    /// Newline in a character constant.
    D_CHR_NL,
    /// Empty character constant.
    D_CHR_NULL,
    /// Character constant longer than an integer.
    D_CHR_OFLOW,
    /// Invalid `#` control directive.
    D_PRAGCTL_INVAL,
    /// `#error` control directive.
    D_PRAGERR,
    /// Invalid probe description.
    D_PDESC_INVAL,
    /// Probe description matched no probes.
    D_PDESC_ZERO,
    /// Undefined identifier.
    D_IDENT_UNDEF,
    /// Wrong number of arguments to a function.
    D_PROTO_LEN,
    /// Wrong argument type to a function.
    D_PROTO_ARG,
    /// Function is not defined.
    D_FUNC_UNDEF,
    /// Aggregation redefined with another function.
    D_AGG_REDEF,
    /// Aggregation used in an expression.
    D_AGG_SCALAR,
    /// Aggregating function used outside an aggregation assignment.
    D_AGG_FUNC,
    /// Aggregation key count or types differ between uses.
    D_AGG_MDIM,
    /// Operator applied to operands of the wrong type.
    D_OP_INT,
    /// Operand is not an lvalue.
    D_OP_LVAL,
    /// Incompatible types in an operation.
    D_OP_INCOMPAT,
    /// Macro argument not defined.
    D_MACRO_UNDEF,
    /// printf format error.
    D_PRINTF_ARG_TYPE,
    /// printf conversion count mismatch.
    D_PRINTF_ARG_EXTRA,
    /// printf argument missing.
    D_PRINTF_ARG_PROTO,
    /// printf bad conversion.
    D_PRINTF_DYN_PROTO,
    /// Format string must be a literal.
    D_PRINTF_FMT_EMPTY,
    /// printa argument errors.
    D_PRINTA_PROTO,
    /// printa of an aggregation that was never assigned.
    D_PRINTA_AGGARG,
    /// Variable used with inconsistent types.
    D_DECL_INCOMPAT,
    /// More than one storage class in a declaration.
    D_DECL_CLASS,
    /// A declaration that declares nothing.
    D_DECL_USELESS,
    /// Identifier redeclared with another type or kind.
    D_DECL_IDRED,
    /// Associative array declared as a clause-local.
    D_DECL_LOCASSC,
    /// Clause-local used as an associative array.
    D_ARR_LOCAL,
    /// Identifier used as another kind (a scalar indexed, an array used whole).
    D_IDENT_BADREF,
    /// Variable read before any declaration or assignment.
    D_VAR_UNDEF,
    /// Operator needs an operand of scalar type.
    D_OP_SCALAR,
    /// Operator needs operands of arithmetic type.
    D_OP_ARITH,
    /// Assignment to something that is not a writable variable.
    D_OP_WRITE,
    /// An expression of a type that cannot be an associative array key.
    D_KEY_TYPE,
    /// Feature outside what this version supports.
    D_UNKNOWN,
    /// Type specifier words that do not combine.
    D_DECL_COMBO,
    /// Struct, union or enum used before it is defined.
    D_DECL_INCOMPLETE,
    /// Enumerator value is not an integer constant.
    D_DECL_ENCONST,
    /// Enumerator value does not fit in `int`.
    D_DECL_ENOFLOW,
    /// Scoping backquote in a declared name.
    D_DECL_SCOPE,
    /// Object or member of type `void`.
    D_DECL_VOIDOBJ,
    /// Array dimension is not a positive integer constant.
    D_DECL_ARRSUB,
    /// An associative array's key of a type keys cannot have (`void`).
    D_DECL_PROTO_TYPE,
    /// Bitfield width is not a positive integer constant.
    D_DECL_BFCONST,
    /// Bitfield of a non-integer type.
    D_DECL_BFTYPE,
    /// Bitfield wider than its type.
    D_DECL_BFSIZE,
    /// Storage class not allowed here.
    D_DECL_BADCLASS,
    /// Struct or union type defined twice.
    D_DECL_TYPERED,
    /// Type lookup failed.
    D_TYPE_ERR,
    /// No such member.
    D_TYPE_MEMBER,
    /// Cast between types that do not convert.
    D_CAST_INVAL,
    /// `sizeof` of something without a size.
    D_SIZEOF_TYPE,
    /// `sizeof` of a bitfield.
    D_SIZEOF_BITFIELD,
    /// `offsetof` of a non-struct type.
    D_OFFSETOF_TYPE,
    /// `offsetof` of a bitfield.
    D_OFFSETOF_BITFIELD,
    /// `*` applied to a non-pointer.
    D_DEREF_NONPTR,
    /// `*` applied to `void *`.
    D_DEREF_VOID,
    /// `&` of a variable.
    D_ADDROF_VAR,
    /// `&` of something that is not an lvalue.
    D_ADDROF_LVAL,
    /// `&` of a bitfield.
    D_ADDROF_BITFIELD,
    /// `.` or `->` on a non-struct.
    D_OP_SOU,
    /// `->` on a non-pointer.
    D_OP_PTR,
    /// Member access through a pointer to an undefined struct.
    D_OP_INCOMPLETE,
    /// Constant index outside an array's bounds.
    D_ARR_BOUNDS,
    /// `stringof` of a value that has no string form.
    D_STRINGOF_TYPE,
}

impl ErrTag {
    /// The tag as libdtrace spells it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Compilation fails.
    Error,
    /// Compilation goes on.
    Warning,
}

/// A rendered-once report about the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// libdtrace's tag for the condition.
    pub tag: ErrTag,
    /// Where it is.
    pub span: Span,
    /// libdtrace's wording, lowercase, no trailing period.
    pub message: String,
    /// `note:` lines.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(tag: ErrTag, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            tag,
            span,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// What is being compiled, which decides the first line's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A `-s` script file.
    Script,
    /// A `-n` probe specifier.
    ProbeSpecifier,
}

/// How much to print after the first line (`-x diagfmt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DiagFormat {
    /// First line, snippet, notes.
    #[default]
    Rich,
    /// Only libdtrace's first line.
    Dtrace,
}

/// Rendering options.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions<'a> {
    /// The program name printed first (`tracer`).
    pub program: &'a str,
    /// Script or probe specifier.
    pub origin: Origin,
    /// `-x errtags`: print `[D_TAG] ` before the location.
    pub errtags: bool,
    /// `-x diagfmt`.
    pub format: DiagFormat,
}

/// Renders one diagnostic: libdtrace's first line, then a snippet with carets and the notes.
#[cold]
pub fn render(sources: &SourceMap, diagnostic: &Diagnostic, options: &RenderOptions<'_>) -> String {
    let file = sources.file(diagnostic.span.file);
    let (line, column) = sources.line_col(diagnostic.span);
    let tag = if options.errtags {
        format!("[{}] ", diagnostic.tag.name())
    } else {
        String::new()
    };
    let mut out = match options.origin {
        Origin::Script => format!(
            "{}: failed to compile script {}: {tag}line {line}: {}\n",
            options.program, file.name, diagnostic.message
        ),
        Origin::ProbeSpecifier => format!(
            "{}: invalid probe specifier {}: {tag}{}\n",
            options.program, file.name, diagnostic.message
        ),
    };
    if options.format == DiagFormat::Dtrace {
        return out;
    }
    let source_line = sources.line_text(diagnostic.span).replace('\t', "    ");
    let prefix_chars: usize = sources
        .line_text(diagnostic.span)
        .chars()
        .take(column - 1)
        .map(|ch| if ch == '\t' { 4 } else { 1 })
        .sum();
    let span_chars = sources
        .slice(diagnostic.span)
        .lines()
        .next()
        .map_or(1, |first| first.chars().count().max(1));
    let gutter = " ".repeat(line.to_string().len());
    let _ = writeln!(out, "{gutter}--> {}:{line}:{column}", file.name);
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line} | {source_line}");
    let _ = writeln!(
        out,
        "{gutter} | {}{}",
        " ".repeat(prefix_chars),
        "^".repeat(span_chars)
    );
    for note in &diagnostic.notes {
        let _ = writeln!(out, "{gutter} = note: {note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_libdtrace_wording() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN\n{\n\texit( );\n}\n");
        let diagnostic = Diagnostic::error(
            ErrTag::D_PROTO_LEN,
            Span::new(file, 9, 13),
            "exit( ) prototype mismatch: 0 args passed, 1 expected",
        );
        let options = RenderOptions {
            program: "tracer",
            origin: Origin::Script,
            errtags: false,
            format: DiagFormat::Rich,
        };
        let rendered = render(&sources, &diagnostic, &options);
        assert_eq!(
            rendered,
            "tracer: failed to compile script t.d: line 3: exit( ) prototype mismatch: 0 args passed, 1 expected\n \
             --> t.d:3:2\n  |\n3 |     exit( );\n  |     ^^^^\n"
        );
        let tagged = RenderOptions {
            errtags: true,
            format: DiagFormat::Dtrace,
            ..options
        };
        assert_eq!(
            render(&sources, &diagnostic, &tagged),
            "tracer: failed to compile script t.d: [D_PROTO_LEN] line 3: exit( ) prototype mismatch: 0 args passed, 1 expected\n"
        );
    }
}

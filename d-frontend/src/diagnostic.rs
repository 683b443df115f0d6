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
    /// A program with no clauses.
    D_EMPTY,
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
    /// Aggregation statement with no aggregating function.
    D_AGG_NULL,
    /// Aggregating function or action called from an expression.
    D_CG_EXPR,
    /// `lquantize` base is not an integer constant.
    D_LQUANT_BASETYPE,
    /// `lquantize` base is not a 32-bit quantity.
    D_LQUANT_BASEVAL,
    /// `lquantize` limit is not an integer constant.
    D_LQUANT_LIMTYPE,
    /// `lquantize` limit is not a 32-bit quantity.
    D_LQUANT_LIMVAL,
    /// `lquantize` base is not below its limit.
    D_LQUANT_MISMATCH,
    /// `lquantize` step is not a positive integer constant.
    D_LQUANT_STEPTYPE,
    /// `lquantize` step is not a 16-bit quantity.
    D_LQUANT_STEPVAL,
    /// `lquantize` step leaves no quantization level.
    D_LQUANT_STEPLARGE,
    /// `lquantize` step makes more than 65535 levels.
    D_LQUANT_STEPSMALL,
    /// `lquantize` base differs from an earlier use.
    D_LQUANT_MATCHBASE,
    /// `lquantize` limit differs from an earlier use.
    D_LQUANT_MATCHLIM,
    /// `lquantize` step differs from an earlier use.
    D_LQUANT_MATCHSTEP,
    /// `llquantize` factor is not an integer constant.
    D_LLQUANT_FACTORTYPE,
    /// `llquantize` factor is out of range.
    D_LLQUANT_FACTORVAL,
    /// `llquantize` low magnitude is not an integer constant.
    D_LLQUANT_LMAGTYPE,
    /// `llquantize` low magnitude is out of range.
    D_LLQUANT_LMAGVAL,
    /// `llquantize` high magnitude is not an integer constant.
    D_LLQUANT_HMAGTYPE,
    /// `llquantize` high magnitude is out of range.
    D_LLQUANT_HMAGVAL,
    /// `llquantize` steps is not a positive integer constant.
    D_LLQUANT_STEPTYPE,
    /// `llquantize` steps is out of range or does not fit the factor.
    D_LLQUANT_STEPVAL,
    /// `llquantize` factor differs from an earlier use.
    D_LLQUANT_MATCHFACTOR,
    /// `llquantize` low magnitude differs from an earlier use.
    D_LLQUANT_MATCHLMAG,
    /// `llquantize` high magnitude differs from an earlier use.
    D_LLQUANT_MATCHHMAG,
    /// `llquantize` steps differs from an earlier use.
    D_LLQUANT_MATCHSTEPS,
    /// `clear` argument is not an aggregation.
    D_CLEAR_AGGARG,
    /// `clear` of an aggregation that was never assigned.
    D_CLEAR_AGGBAD,
    /// `normalize` or `denormalize` argument is not an aggregation.
    D_NORMALIZE_AGGARG,
    /// `normalize` factor is not a scalar.
    D_NORMALIZE_SCALAR,
    /// `normalize` or `denormalize` of an aggregation that was never assigned.
    D_NORMALIZE_AGGBAD,
    /// `trunc` argument is not an aggregation.
    D_TRUNC_AGGARG,
    /// `trunc` of an aggregation that was never assigned.
    D_TRUNC_AGGBAD,
    /// `printa` aggregations with different key counts.
    D_PRINTA_AGGKEY,
    /// `printa` aggregations with different key types.
    D_PRINTA_AGGPROTO,
    /// A key without a value (an aggregation's or an associative array's), or of a type that cannot
    /// be a key.
    D_KEY_TYPE,
    /// `printa` of an aggregation that was never assigned.
    D_PRINTA_AGGBAD,
    /// Operator applied to operands of the wrong type.
    D_OP_INT,
    /// Operand is not an lvalue.
    D_OP_LVAL,
    /// Incompatible types in an operation.
    D_OP_INCOMPAT,
    /// Assignment to an array (other than a string) or a function.
    D_OP_ARRFUN,
    /// Division or modulo by a constant zero.
    D_DIV_ZERO,
    /// Macro argument not defined.
    D_MACRO_UNDEF,
    /// Macro argument integer overflow.
    D_MACRO_OFLOW,
    /// Last macro argument never referenced.
    D_MACRO_UNUSED,
    /// `#pragma D option` could not set the option.
    D_PRAGMA_OPTSET,
    /// `#pragma D` directive with the wrong arguments (`option` without a setting, or with more
    /// than one).
    D_PRAGMA_MALFORM,
    /// printf format error.
    D_PRINTF_ARG_TYPE,
    /// printf conversion count mismatch.
    D_PRINTF_ARG_EXTRA,
    /// printf argument missing.
    D_PRINTF_ARG_PROTO,
    /// printf bad conversion.
    D_PRINTF_DYN_PROTO,
    /// Empty format string.
    D_PRINTF_FMT_EMPTY,
    /// `freopen(".")`: the name that stands for restoring standard output.
    D_FREOPEN_INVALID,
    /// Format string that is not a string constant.
    D_PRINTF_ARG_FMT,
    /// `*` or `.*` argument that is not an integer.
    D_PRINTF_DYN_TYPE,
    /// `%@` outside `printa`.
    D_PRINTF_AGG_CONV,
    /// `tracemem()` of something that is not an address.
    D_TRACEMEM_ADDR,
    /// `tracemem()` size that is not a positive constant.
    D_TRACEMEM_SIZE,
    /// `print()` of a pointer to a type of size 0.
    D_PRINT_SIZE,
    /// `trace()` of a void expression.
    D_TRACE_VOID,
    /// `trace()` of a dynamic expression (an aggregation).
    D_TRACE_DYN,
    /// printa argument errors.
    D_PRINTA_PROTO,
    /// printa argument that is not an aggregation.
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
    /// `alloca` pointers and other pointers mixed in one variable or ternary.
    D_ALLOCA_INCOMPAT,
    /// An `alloca` of a constant size larger than `scratchsize`.
    D_ALLOCA_SIZE,
    /// A relocation against a symbol that the link mode leaves unresolved (`-x kdefs`).
    D_ASRELO,
    /// Identifier used as another kind (a scalar indexed, an array used whole).
    D_IDENT_BADREF,
    /// Variable read before any declaration or assignment.
    D_VAR_UNDEF,
    /// Operator needs an operand of scalar type.
    D_OP_SCALAR,
    /// Operator needs operands of arithmetic type.
    D_OP_ARITH,
    /// `+=` or `-=` on a left operand that is neither an integer nor a pointer to a type of
    /// known size.
    D_OP_VFPTR,
    /// Assignment to something that is not a writable variable.
    D_OP_WRITE,
    /// `commit()` after a data-recording action.
    D_COMM_DREC,
    /// `speculate()` after `speculate()`.
    D_SPEC_SPEC,
    /// `speculate()` after `commit()`.
    D_SPEC_COMM,
    /// `speculate()` after a data-recording action.
    D_SPEC_DREC,
    /// An aggregation after `commit()`.
    D_AGG_COMM,
    /// An aggregation after `speculate()`.
    D_AGG_SPEC,
    /// A destructive action after `speculate()`.
    D_ACT_SPEC,
    /// `exit()` after `speculate()`.
    D_EXIT_SPEC,
    /// A data-recording action after `commit()`.
    D_DREC_COMM,
    /// Feature outside what this version supports.
    D_UNKNOWN,
    /// Type specifier words that do not combine.
    D_DECL_COMBO,
    /// `signed` or `unsigned` with a type that is not an integer.
    D_DECL_SIGNINT,
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
    /// A second translator between the same input and output types.
    D_XLATE_REDECL,
    /// A translator whose output type is not a complete struct or union.
    D_XLATE_SOU,
    /// A translator member that is not a member of the output type.
    D_XLATE_MEMB,
    /// A translator member whose expression does not convert to the member's type.
    D_XLATE_INCOMPAT,
    /// `xlate` with no translator from the operand's type to the requested one.
    D_XLATE_NONE,
    /// A member of translated data that its translator does not define.
    D_XLATE_NOCONV,
    /// An operator applied to a dynamic value (translated data).
    D_OP_DYN,
    /// An action as an operand of `?:`.
    D_OP_ACT,
    /// `args[N]` with `N` beyond the probe's arguments.
    D_ARGS_IDX,
    /// `args[]` in a clause whose probes' arguments differ.
    D_ARGS_MULTI,
    /// `args[N]` whose type cannot be resolved (a translated type the D library lacks).
    D_ARGS_TYPE,
    /// `stack()`'s frame count is not a positive integer constant.
    D_STACK_SIZE,
    /// `ustack()`'s frame count is not a positive integer constant.
    D_USTACK_FRAMES,
    /// `ustack()`'s string size is not a positive integer constant.
    D_USTACK_STRSIZE,
    /// Predicate of a type that is not scalar.
    D_PRED_SCALAR,
    /// Invalid `#pragma D` directive or argument.
    D_PRAGMA_INVAL,
    /// `#pragma D attributes` or `binding` naming nothing the program defines.
    D_PRAGMA_UNUSED,
    /// `#pragma D` directive on an identifier defined outside the program.
    D_PRAGMA_SCOPE,
    /// `#pragma D depends_on` dependency not satisfied.
    D_PRAGMA_DEPEND,
    /// A call of something that is not a function name.
    D_FUNC_IDENT,
    /// A `pid` probe offset past the end of its function.
    D_PROC_OFF,
    /// A `pid` probe name that is neither `entry`, `return` nor an offset.
    D_PROC_NAME,
    /// A process that cannot be traced.
    D_PROC_GRAB,
    /// A `pid` probe's module that cannot be used with its function.
    D_PROC_LIB,
    /// A function that the named module does not have.
    D_PROC_FUNC,
    /// A `pid` or USDT provider name without a valid process ID.
    D_PROC_BADPID,
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
    /// Whether libdtrace words it as a compile error about a place in the program (`[D_TAG]
    /// line N: ...`). A failure of its code generator, such as running out of tuple registers,
    /// is worded by its message alone.
    pub located: bool,
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
            located: true,
        }
    }

    /// An error libdtrace reports by its message alone, with neither tag nor line.
    #[must_use]
    pub fn unlocated(mut self) -> Diagnostic {
        self.located = false;
        self
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
    let tag = if options.errtags && diagnostic.located {
        format!("[{}] ", diagnostic.tag.name())
    } else {
        String::new()
    };
    let included = sources.included_file(diagnostic.span);
    let location = match included {
        _ if !diagnostic.located => String::new(),
        Some(name) => format!("\"{name}\", line {line}: "),
        None => format!("line {line}: "),
    };
    let mut out = match options.origin {
        Origin::Script => format!(
            "{}: failed to compile script {}: {tag}{location}{}\n",
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
    let _ = writeln!(
        out,
        "{gutter}--> {}:{line}:{column}",
        included.unwrap_or(&file.name)
    );
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
        let unlocated = Diagnostic::error(
            ErrTag::D_UNKNOWN,
            Span::new(file, 9, 13),
            "Insufficient tuple registers to generate code",
        )
        .unlocated();
        assert_eq!(
            render(&sources, &unlocated, &tagged),
            "tracer: failed to compile script t.d: Insufficient tuple registers to generate code\n"
        );
    }
}

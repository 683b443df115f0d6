//! Checking clauses, statements and actions.

use super::{Checker, blocks};
use crate::ast::{Clause, Expr, ExprKind, Stmt};
use crate::builtin::function::{self, Function, FunctionKind};
use crate::diagnostic::ErrTag;
use crate::ir::{MAX_RECORD_BLOCKS, MAX_TRACEMEM_SIZE};
use crate::printf::{self, ArgClass, SlotKind};
use crate::source::Span;
use crate::types::Type;

impl Checker<'_> {
    /// Checks a clause as `dt_cook_clause` does: the actions first, then the predicate, so that an
    /// action may create a variable the predicate reads (`/x == 0/ { x++; }`). When the actions
    /// read a variable that only the predicate creates, their first error is an undefined
    /// identifier: then the actions are checked again after the predicate.
    pub(super) fn clause(&mut self, clause: &Clause) {
        let Some(predicate) = &clause.predicate else {
            self.statements(&clause.body);
            self.clause_blocks(clause);
            return;
        };
        let n_errors = self.errors.len();
        let variables = self.variables.clone();
        let aggregations = self.aggregations.clone();
        let alloca_vars = self.type_info.alloca_vars.clone();
        let plain_pointer_vars = self.type_info.plain_pointer_vars.clone();
        let n_kernel_writes = self.kernel_writes.len();
        self.statements(&clause.body);
        let retry = self
            .errors
            .get(n_errors)
            .is_some_and(|error| matches!(error.tag, ErrTag::D_IDENT_UNDEF | ErrTag::D_VAR_UNDEF));
        if retry {
            self.errors.truncate(n_errors);
            self.kernel_writes.truncate(n_kernel_writes);
            self.variables = variables;
            self.aggregations = aggregations;
            // What the first pass learnt about pointers came from variables it could not resolve.
            self.type_info.alloca_vars = alloca_vars;
            self.type_info.plain_pointer_vars = plain_pointer_vars;
        }
        self.predicate(predicate, clause);
        if retry {
            self.statements(&clause.body);
        }
        self.clause_blocks(clause);
    }

    /// Checks the predicate; libdtrace reports a result that is not scalar at the line of the
    /// clause's closing brace, where its parser made the clause.
    fn predicate(&mut self, predicate: &Expr, clause: &Clause) {
        let ty = self.expr(predicate);
        if !ty.is_scalar() {
            let end = clause.span.end as usize;
            self.error(
                ErrTag::D_PRED_SCALAR,
                Span::new(clause.span.file, end.saturating_sub(1), end),
                "predicate result must be of scalar type",
            );
        }
    }

    /// Checks the order of the clause's speculation actions, then reports a clause with more
    /// blocks of actions than a record can tell apart.
    fn clause_blocks(&mut self, clause: &Clause) {
        self.clause_flags(&clause.body);
        let n_blocks = blocks::n_record_blocks(&clause.body);
        if n_blocks > MAX_RECORD_BLOCKS {
            self.error(
                ErrTag::D_UNKNOWN,
                clause.span,
                format!("clause has {n_blocks} blocks of statements with data-recording actions between if statements, at most {MAX_RECORD_BLOCKS} are supported"),
            );
        }
    }

    fn statements(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Expr(expr) => self.statement(expr),
                Stmt::If {
                    cond,
                    then_body,
                    else_body,
                    ..
                } => {
                    let ty = self.expr(cond);
                    if !ty.is_scalar() {
                        self.error(
                            ErrTag::D_OP_INT,
                            cond.span,
                            "if condition must be of integral type",
                        );
                    }
                    self.statements(then_body);
                    self.statements(else_body);
                }
                Stmt::Empty(_) => {}
            }
        }
    }

    fn statement(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Assign { op, target, value } => {
                if let ExprKind::Agg { name, keys } = &target.kind {
                    self.aggregation_assignment(*op, name, keys, value, expr);
                } else {
                    self.expr(expr);
                }
            }
            ExprKind::Call {
                func,
                func_span,
                args,
            } => match function::lookup(func) {
                Some(function) if !matches!(function.kind, FunctionKind::Aggregating(_)) => {
                    if self.stack_value(expr).is_some() {
                        return;
                    }
                    if !self.arity(function, *func_span, args.len()) {
                        return;
                    }
                    self.action(function.kind, func, args);
                }
                _ => {
                    self.expr(expr);
                }
            },
            ExprKind::Agg { name, keys } => {
                if !keys.is_empty() || self.aggregations.iter().any(|decl| &decl.name == name) {
                    self.error(
                        ErrTag::D_AGG_NULL,
                        expr.span,
                        format!("expression has null effect: @{name}"),
                    );
                } else {
                    self.error(
                        ErrTag::D_IDENT_UNDEF,
                        expr.span,
                        format!("failed to resolve @{name}: Unknown variable name"),
                    );
                }
            }
            _ => {
                self.expr(expr);
            }
        }
    }

    /// The type a value is recorded as (a `char` array as a string); reports values that have no
    /// recorded form (structs, other arrays, `void`).
    pub(super) fn recordable(&mut self, ty: Type, expr: &Expr) -> Type {
        if self.type_info.table.is_char_array(ty) {
            return Type::String;
        }
        if matches!(ty, Type::Struct(_) | Type::Array(_) | Type::Void) {
            let name = self.type_info.table.name(ty);
            self.error(
                ErrTag::D_UNKNOWN,
                expr.span,
                format!("values of type {name} cannot be recorded yet"),
            );
        }
        ty
    }

    /// Checks that a struct, union or array value `trace()` records as bytes has a size that fits
    /// in a record.
    fn traced_bytes(&mut self, ty: Type, expr: &Expr) {
        let size = self.type_info.table.size_of(ty, 1).unwrap_or(0);
        if size == 0 || size > crate::ir::MAX_TRACEMEM_SIZE {
            let name = self.type_info.table.name(ty);
            self.error(
                ErrTag::D_UNKNOWN,
                expr.span,
                format!("values of type {name} cannot be recorded: {size} bytes"),
            );
        }
    }

    /// Checks the argument count against `function`'s prototype; reports `D_PROTO_LEN` if it is off.
    pub(super) fn arity(
        &mut self,
        function: &Function,
        span: crate::source::Span,
        n_args: usize,
    ) -> bool {
        self.prototype_len(
            function.name,
            function.min_args,
            function.max_args,
            span,
            n_args,
        )
    }

    /// Checks `n_args` against a prototype taking `min` to `max` arguments (`usize::MAX` for
    /// variadic); reports `D_PROTO_LEN` in libdtrace's words if it is off.
    pub(super) fn prototype_len(
        &mut self,
        func: &str,
        min: usize,
        max: usize,
        span: crate::source::Span,
        n_args: usize,
    ) -> bool {
        if n_args >= min && n_args <= max {
            return true;
        }
        let expected = if min == max {
            min.to_string()
        } else if n_args < min {
            format!("at least {min}")
        } else {
            format!("at most {max}")
        };
        self.error(
            ErrTag::D_PROTO_LEN,
            span,
            format!(
                "{func}( ) prototype mismatch: {n_args} arg{} passed, {expected} expected",
                if n_args == 1 { "" } else { "s" }
            ),
        );
        false
    }

    fn action(&mut self, kind: FunctionKind, func: &str, args: &[Expr]) {
        match kind {
            FunctionKind::Trace => match self.value_argument(&args[0]) {
                Err("void") => self.error(
                    ErrTag::D_TRACE_VOID,
                    args[0].span,
                    "trace( ) may not be applied to a void expression",
                ),
                Err(_) => self.error(
                    ErrTag::D_TRACE_DYN,
                    args[0].span,
                    "trace( ) may not be applied to a dynamic expression",
                ),
                // `trace()` records a struct, union or array value as its bytes.
                Ok(ty) if matches!(ty, Type::Struct(_) | Type::Array(_)) => {
                    self.traced_bytes(ty, &args[0]);
                }
                Ok(ty) => {
                    self.recordable(ty, &args[0]);
                }
            },
            FunctionKind::Exit => {
                let type_name = match self.value_argument(&args[0]) {
                    Ok(ty) if ty.is_int() => return,
                    Ok(ty) => ty.name(),
                    Err(name) => name,
                };
                self.error(ErrTag::D_PROTO_ARG, args[0].span, format!("exit( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: {type_name}"));
            }
            FunctionKind::Printf => self.printf("printf", args),
            FunctionKind::Tracemem => self.tracemem(args),
            FunctionKind::Print => self.print(args),
            FunctionKind::Printa => self.printa(args),
            FunctionKind::Raise
            | FunctionKind::System
            | FunctionKind::Stop
            | FunctionKind::Chill
            | FunctionKind::StopsKernel
            | FunctionKind::WritesUser => self.destructive_action(kind, func, args),
            FunctionKind::AggAction(action) => self.agg_action(action, func, args),
            FunctionKind::Setopt => self.setopt(args),
            FunctionKind::Speculate | FunctionKind::Commit | FunctionKind::Discard => {
                self.speculation_id(func, &args[0]);
            }
            FunctionKind::Aggregating(_) => unreachable!("{func} is handled as an aggregation"),
            FunctionKind::Stack { .. } | FunctionKind::SymAddr(_) => {
                unreachable!("{func} is checked by stack_value")
            }
        }
    }

    fn format_string<'e>(&mut self, func: &str, format: &'e Expr) -> Option<&'e [u8]> {
        let ty = self.expr(format);
        if let ExprKind::Str(bytes) = &format.kind {
            return Some(bytes);
        }
        if ty == Type::String {
            self.error(ErrTag::D_PRINTF_ARG_FMT, format.span, format!("{func}( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: string"));
        } else {
            self.error(
                ErrTag::D_PROTO_ARG,
                format.span,
                format!(
                    "{func}( ) argument #1 is incompatible with prototype:\n\tprototype: string\n\t argument: {}",
                    ty.name()
                ),
            );
        }
        None
    }

    /// The type of a value argument of `printf` or `trace`; an aggregation or an action (which is
    /// void) is never a valid one, and its name is the error.
    fn value_argument(&mut self, arg: &Expr) -> Result<Type, &'static str> {
        if let Some(ty) = self.stack_value(arg) {
            return Ok(ty);
        }
        match &arg.kind {
            ExprKind::Agg { .. } => Err("aggregation"),
            ExprKind::Call { func, .. }
                if function::lookup(func).is_some_and(|function| {
                    !matches!(function.kind, FunctionKind::Aggregating(_))
                }) =>
            {
                Err("void")
            }
            _ => Ok(self.expr(arg)),
        }
    }

    /// Checks `printf` or `system` (`func`): a format string and the arguments it converts, with
    /// libdtrace's checks in libdtrace's order.
    pub(super) fn printf(&mut self, func: &str, args: &[Expr]) {
        let arg_types: Vec<Result<Type, &str>> = args[1..]
            .iter()
            .map(|arg| self.value_argument(arg))
            .collect();
        let Some(format) = self.format_string(func, &args[0]) else {
            return;
        };
        // An empty `freopen` format restores standard output; libdtrace stands "." for it, so a
        // program may not name "." itself.
        if func == "freopen" && format == b"." {
            self.error(
                ErrTag::D_FREOPEN_INVALID,
                args[0].span,
                "freopen( ) argument #1 cannot be \".\"",
            );
            return;
        }
        if func == "freopen" && format.is_empty() {
            return;
        }
        if format.is_empty() {
            self.error(
                ErrTag::D_PRINTF_FMT_EMPTY,
                args[0].span,
                format!("{func}( ) format string is empty"),
            );
            return;
        }
        let pieces = match printf::parse_format(format) {
            Ok(pieces) => pieces,
            Err(error) => {
                self.error(error.tag(), args[0].span, error.to_string());
                return;
            }
        };
        let agg_conversion = pieces
            .iter()
            .any(|piece| matches!(piece, printf::FormatPiece::Conversion(conv) if conv.is_agg));
        if agg_conversion {
            self.error(
                ErrTag::D_PRINTF_AGG_CONV,
                args[0].span,
                format!("%@ conversion requires an aggregation and is not for use with {func}( )"),
            );
            return;
        }
        let slots = printf::arg_slots(&pieces);
        for (slot_idx, slot) in slots.iter().enumerate() {
            let dynamic = match slot.kind {
                SlotKind::Width => Some("*"),
                SlotKind::Precision => Some(".*"),
                SlotKind::Value => None,
            };
            let Some((arg, ty)) = args[1..].get(slot_idx).zip(arg_types.get(slot_idx)) else {
                let conv = slot.conv.name();
                let number = slot.conv_number;
                match dynamic {
                    Some(dynamic) => self.error(
                        ErrTag::D_PRINTF_DYN_PROTO,
                        args[0].span,
                        format!("{func}( ) prototype mismatch: conversion #{number} (%{conv}) is missing a corresponding \"{dynamic}\" argument"),
                    ),
                    None => self.error(
                        ErrTag::D_PRINTF_ARG_PROTO,
                        args[0].span,
                        format!("{func}( ) prototype mismatch: conversion #{number} (%{conv}) is missing a corresponding value argument"),
                    ),
                }
                return;
            };
            let class = match dynamic {
                Some(_) => ArgClass::Integer,
                None => printf::arg_class(slot.conv),
            };
            let accepted = match (class, *ty) {
                (ArgClass::String, Ok(Type::String)) => true,
                (ArgClass::String, Ok(ty)) => self.type_info.table.is_char_array(ty),
                (ArgClass::Pointer, Ok(Type::Pointer(_)))
                | (ArgClass::Float, Ok(Type::Float { .. })) => true,
                (class, Ok(Type::Int { size, signed })) => class.accepts_integer(size, signed),
                (_, Ok(ty)) => printf::accepts_symbolic(slot.conv, ty),
                _ => false,
            };
            if accepted {
                continue;
            }
            let type_name = match ty {
                Ok(ty) => self.type_info.table.name(*ty),
                Err(name) => (*name).to_string(),
            };
            let (tag, conversion, prototype) = match dynamic {
                Some(dynamic) => (
                    ErrTag::D_PRINTF_DYN_TYPE,
                    format!("% {dynamic} {}", slot.conv.name()),
                    "int",
                ),
                None => (
                    ErrTag::D_PRINTF_ARG_TYPE,
                    format!("%{}", slot.conv.name()),
                    slot.conv.prototype(),
                ),
            };
            self.error(
                tag,
                arg.span,
                format!(
                    "{func}( ) argument #{} is incompatible with conversion #{} prototype:\n\tconversion: {conversion}\n\t prototype: {prototype}\n\t  argument: {type_name}",
                    slot_idx + 2,
                    slot.conv_number,
                ),
            );
        }
        if slots.len() < arg_types.len() {
            self.error(
                ErrTag::D_PRINTF_ARG_EXTRA,
                args[1 + slots.len()].span,
                format!(
                    "{func}( ) prototype mismatch: only {} arguments required by this format string",
                    slots.len()
                ),
            );
        }
    }

    /// Checks `tracemem(address, size[, shown])`: `size` is a positive integer constant.
    fn tracemem(&mut self, args: &[Expr]) {
        let address_type = self.expr(&args[0]);
        if !address_type.is_int() {
            self.error(ErrTag::D_TRACEMEM_ADDR, args[0].span, format!("tracemem( ) argument #1 is incompatible with prototype:\n\tprototype: pointer or integer\n\t argument: {}", address_type.name()));
        }
        let size_type = self.expr(&args[1]);
        if !size_type.is_int() {
            self.error(ErrTag::D_PROTO_ARG, args[1].span, format!("tracemem( ) argument #2 is incompatible with prototype:\n\tprototype: size_t\n\t argument: {}", size_type.name()));
        } else if !matches!(args[1].kind, ExprKind::Int { value, .. } if value > 0 && value <= u64::from(MAX_TRACEMEM_SIZE))
        {
            self.error(
                ErrTag::D_TRACEMEM_SIZE,
                args[1].span,
                "tracemem( ) argument #2 must be a non-zero positive integral constant expression",
            );
        }
        if let Some(shown) = args.get(2) {
            let ty = self.expr(shown);
            if !ty.is_int() {
                self.error(ErrTag::D_PROTO_ARG, shown.span, format!("tracemem( ) argument #3 is incompatible with prototype:\n\tprototype: ssize_t\n\t argument: {}", ty.name()));
            }
        }
    }

    fn printa(&mut self, args: &[Expr]) {
        let aggregations = match &args[0].kind {
            ExprKind::Str(_) => {
                let format = self.format_string("printa", &args[0]);
                if let Some(Err(error)) = format.map(printf::parse_format) {
                    self.error(
                        ErrTag::D_PRINTF_DYN_PROTO,
                        args[0].span,
                        format!("printa( ) {error}"),
                    );
                }
                &args[1..]
            }
            _ => args,
        };
        let first_agg_arg = args.len() - aggregations.len() + 1;
        if aggregations.is_empty() {
            self.error(
                ErrTag::D_PRINTA_PROTO,
                args[0].span,
                format!(
                    "printa( ) prototype mismatch: {} args passed, {first_agg_arg} expected",
                    args.len()
                ),
            );
        }
        for aggregation in aggregations {
            match &aggregation.kind {
                ExprKind::Agg { name, keys } if keys.is_empty() => {
                    if !self.aggregations.iter().any(|decl| &decl.name == name) {
                        self.error(
                            ErrTag::D_PRINTA_AGGBAD,
                            aggregation.span,
                            format!("undefined aggregation: @{name}"),
                        );
                    }
                }
                _ => {
                    let errors = self.errors.len();
                    let ty = self.expr(aggregation);
                    self.errors.truncate(errors);
                    self.error(
                        ErrTag::D_PRINTA_AGGARG,
                        aggregation.span,
                        format!(
                            "printa( ) argument #{first_agg_arg} is incompatible with prototype:\n\tprototype: aggregation\n\t argument: {}",
                            ty.name()
                        ),
                    );
                }
            }
        }
        let names: Vec<&str> = aggregations
            .iter()
            .filter_map(|aggregation| match &aggregation.kind {
                ExprKind::Agg { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        if let Some((first, others)) = names.split_first() {
            for other in others {
                self.printa_keys_match(first, other, args[0].span);
            }
            if let ExprKind::Str(format) = &args[0].kind
                && let Ok(pieces) = printf::parse_format(format)
            {
                self.printa_format_keys(&pieces, first, args[0].span);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::{Diagnostic, ErrTag, Origin};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn first_error(text: &str) -> Diagnostic {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        let errors = compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
        .expect_err(text);
        errors.into_iter().next().unwrap()
    }

    #[test]
    fn printf_errors_are_libdtraces() {
        let cases: [(&str, ErrTag, &str); 10] = [
            (
                r#"BEGIN { printf(""); }"#,
                ErrTag::D_PRINTF_FMT_EMPTY,
                "printf( ) format string is empty",
            ),
            (
                "BEGIN { printf(1); }",
                ErrTag::D_PROTO_ARG,
                "printf( ) argument #1 is incompatible with prototype:\n\tprototype: string\n\t argument: int",
            ),
            (
                "BEGIN { printf(probename); }",
                ErrTag::D_PRINTF_ARG_FMT,
                "printf( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: string",
            ),
            (
                r#"BEGIN { printf("%d %d", 1, 2, 3); }"#,
                ErrTag::D_PRINTF_ARG_EXTRA,
                "printf( ) prototype mismatch: only 2 arguments required by this format string",
            ),
            (
                r#"BEGIN { printf("%d %s"); }"#,
                ErrTag::D_PRINTF_ARG_PROTO,
                "printf( ) prototype mismatch: conversion #1 (%d) is missing a corresponding value argument",
            ),
            (
                r#"BEGIN { printf("%*d"); }"#,
                ErrTag::D_PRINTF_DYN_PROTO,
                "printf( ) prototype mismatch: conversion #1 (%d) is missing a corresponding \"*\" argument",
            ),
            (
                r#"BEGIN { printf("%.*d", "s", 1); }"#,
                ErrTag::D_PRINTF_DYN_TYPE,
                "printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: % .* d\n\t prototype: int\n\t  argument: string",
            ),
            (
                r#"BEGIN { printf("%@d", 1); }"#,
                ErrTag::D_PRINTF_AGG_CONV,
                "%@ conversion requires an aggregation and is not for use with printf( )",
            ),
            (
                r#"BEGIN { printf("%d", printf("x")); }"#,
                ErrTag::D_PRINTF_ARG_TYPE,
                "printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: void",
            ),
            (
                r#"BEGIN { printf("%1$d", 1); }"#,
                ErrTag::D_SYNTAX,
                "format conversion #1 uses unsupported positional format (%n$)",
            ),
        ];
        for (text, tag, message) in cases {
            let error = first_error(text);
            assert_eq!(
                (error.tag, error.message.as_str()),
                (tag, message),
                "{text}"
            );
        }
    }

    #[test]
    fn tracemem_errors_are_libdtraces() {
        let cases: [(&str, ErrTag, &str); 4] = [
            (
                "BEGIN { tracemem(123); }",
                ErrTag::D_PROTO_LEN,
                "tracemem( ) prototype mismatch: 1 arg passed, at least 2 expected",
            ),
            (
                "BEGIN { tracemem(1, 2, 3, 4); }",
                ErrTag::D_PROTO_LEN,
                "tracemem( ) prototype mismatch: 4 args passed, at most 3 expected",
            ),
            (
                r#"BEGIN { tracemem(123, "i"); }"#,
                ErrTag::D_PROTO_ARG,
                "tracemem( ) argument #2 is incompatible with prototype:\n\tprototype: size_t\n\t argument: string",
            ),
            (
                "BEGIN { tracemem(123, -456); }",
                ErrTag::D_TRACEMEM_SIZE,
                "tracemem( ) argument #2 must be a non-zero positive integral constant expression",
            ),
        ];
        for (text, tag, message) in cases {
            let error = first_error(text);
            assert_eq!(
                (error.tag, error.message.as_str()),
                (tag, message),
                "{text}"
            );
        }
        let error = first_error(r#"BEGIN { tracemem("s", 4); }"#);
        assert_eq!(error.tag, ErrTag::D_TRACEMEM_ADDR);
    }

    #[test]
    fn division_by_a_zero_constant_is_refused() {
        for text in [
            "BEGIN { trace(123 / 0); }",
            "BEGIN { trace(arg0 % 0); }",
            "BEGIN { c = 123 / (7 - 7); }",
            "BEGIN { c = 123 / ((7 - 7) * 999); }",
        ] {
            let error = first_error(text);
            assert_eq!(error.tag, ErrTag::D_DIV_ZERO, "{text}");
            assert_eq!(error.message, "expression contains division by zero");
        }
    }

    #[test]
    fn exit_of_void_is_refused() {
        let error = first_error("BEGIN { exit(exit(0)); }");
        assert_eq!(error.tag, ErrTag::D_PROTO_ARG);
        assert_eq!(
            error.message,
            "exit( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: void"
        );
    }

    #[test]
    fn trace_of_void_or_aggregation_is_refused() {
        let error = first_error("BEGIN { trace(trace(1)); }");
        assert_eq!(error.tag, ErrTag::D_TRACE_VOID);
        assert_eq!(
            error.message,
            "trace( ) may not be applied to a void expression"
        );
        let error = first_error("BEGIN { @a = count(); trace(@a); }");
        assert_eq!(error.tag, ErrTag::D_TRACE_DYN);
    }

    #[test]
    fn actions_are_checked_before_the_predicate() {
        for text in [
            "BEGIN /x == 0/ { exit(x++); }",
            "BEGIN /i % 2 == 0/ { @ = sum(i++); }",
            "BEGIN /s == \"a\"/ { s = \"b\"; }",
        ] {
            let compiled = crate::compile::tests::compile_one(text);
            assert!(compiled.is_ok(), "{text}: {compiled:?}");
        }
    }

    #[test]
    fn actions_reading_what_the_predicate_creates_are_checked_after_it() {
        let compiled = crate::compile::tests::compile_one("BEGIN /(y = 3) > 1/ { trace(y); }");
        assert!(compiled.is_ok(), "{compiled:?}");
        let error = first_error("BEGIN /1/ { trace(z); }");
        assert_eq!(error.tag, ErrTag::D_IDENT_UNDEF);
    }

    #[test]
    fn a_predicate_must_be_scalar() {
        let text = "int a[4];\nBEGIN\n/a/\n{\n\texit(0);\n}";
        let error = first_error(text);
        assert_eq!(error.tag, ErrTag::D_PRED_SCALAR);
        assert_eq!(error.message, "predicate result must be of scalar type");
        // The error is where the clause ends, as libdtrace reports it, not at the predicate.
        assert_eq!(
            &text[error.span.start as usize..error.span.end as usize],
            "}"
        );
    }
}

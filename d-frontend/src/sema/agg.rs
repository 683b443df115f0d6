//! Checking aggregations: `@a[keys] = func(args)` with each function's argument rules, and the
//! actions that take a whole aggregation (`clear`, `normalize`, `denormalize`, `trunc`).
//!
//! The constant arguments of `lquantize` and `llquantize` are checked in `agg_shape`.

use super::Checker;
use super::agg_shape::params_mismatch;
use super::string_width;
use crate::ast::{AssignOp, Expr, ExprKind};
use crate::builtin::function::{self, AggAction, FunctionKind};
use crate::diagnostic::ErrTag;
use crate::ir::{AggDecl, AggFunc, AggParams};
use crate::printf::{self, ArgClass, FormatPiece, SlotKind};
use crate::source::Span;
use crate::types::Type;

impl Checker<'_> {
    pub(super) fn aggregation_assignment(
        &mut self,
        op: AssignOp,
        name: &str,
        keys: &[Expr],
        value: &Expr,
        expr: &Expr,
    ) {
        if !self.keys_are_values(keys) || !self.keys_not_translated(keys, "aggregation") {
            return;
        }
        let key_types: Vec<Type> = keys
            .iter()
            .map(|key| {
                if let Some(ty) = self.stack_value(key) {
                    return ty;
                }
                let ty = self.expr(key);
                if self.type_info.table.is_char_array(ty) || !self.value_key(ty, key) {
                    self.recordable(ty, key)
                } else {
                    ty
                }
            })
            .collect();
        let widths: Vec<Option<u32>> = keys
            .iter()
            .zip(&key_types)
            .map(|(key, ty)| (*ty == Type::String).then(|| self.string_width(key))?)
            .collect();
        let ExprKind::Call {
            func,
            func_span,
            args,
        } = &value.kind
        else {
            self.error(
                ErrTag::D_AGG_FUNC,
                value.span,
                format!("@{name} must be assigned the result of an aggregating function"),
            );
            return;
        };
        let Some(function) = function::lookup(func) else {
            self.error(
                ErrTag::D_FUNC_UNDEF,
                *func_span,
                format!("failed to resolve {func}: Unknown function name"),
            );
            return;
        };
        let FunctionKind::Aggregating(agg_func) = function.kind else {
            self.error(
                ErrTag::D_AGG_FUNC,
                *func_span,
                format!("{func}( ) is not an aggregating function"),
            );
            return;
        };
        if let AssignOp::Compound(binary_op) = op {
            self.error(
                ErrTag::D_AGG_FUNC,
                expr.span,
                format!(
                    "operator {}= may not be applied to aggregation @{name}",
                    binary_op.symbol()
                ),
            );
            return;
        }
        if !self.arity(function, *func_span, args.len()) {
            return;
        }
        let arg_types: Vec<Type> = args.iter().map(|arg| self.expr(arg)).collect();
        if !self.aggregating_arg_types(agg_func, args, &arg_types) {
            return;
        }
        self.types.insert(value.span, Type::Void);
        self.types.insert(expr.span, Type::Void);
        let Some(params) = self.agg_params(agg_func, args, value.span) else {
            return;
        };
        // libdtrace runs out of tuple registers only once it generates code.
        if !self.tuple_fits(keys.len(), expr) {
            return;
        }
        self.declare_aggregation(name, agg_func, key_types, &widths, params, expr);
    }

    /// Aggregation keys must have a value: an aggregation or an action may not be one.
    fn keys_are_values(&mut self, keys: &[Expr]) -> bool {
        for (key_idx, key) in keys.iter().enumerate() {
            let kind = match &key.kind {
                ExprKind::Agg { .. } => "<DYN>",
                ExprKind::Call { func, .. }
                    if function::lookup(func).is_some_and(|function| {
                        !matches!(
                            function.kind,
                            FunctionKind::Aggregating(_)
                                | FunctionKind::Stack { .. }
                                | FunctionKind::SymAddr(_)
                        )
                    }) =>
                {
                    "void"
                }
                _ => continue,
            };
            self.error(
                ErrTag::D_KEY_TYPE,
                key.span,
                format!(
                    "{kind} expression may not be used as aggregation index: key #{}",
                    key_idx + 1
                ),
            );
            return false;
        }
        true
    }

    /// The prototype checks: the value and the increment must be scalars, and the shape arguments of
    /// `lquantize` and `llquantize` that the prototype types must be integers.
    fn aggregating_arg_types(&mut self, func: AggFunc, args: &[Expr], types: &[Type]) -> bool {
        let name = func.name();
        if let Some(Type::String) = types.first() {
            self.error(
                ErrTag::D_AGG_SCALAR,
                args[0].span,
                format!("{name}( ) argument #1 must be of scalar type"),
            );
            return false;
        }
        let (n_typed, incr_position) = match func {
            AggFunc::Quantize => (1, 2),
            AggFunc::Lquantize => (3, 5),
            AggFunc::Llquantize => (5, 6),
            _ => return true,
        };
        for (arg_idx, (arg, ty)) in args.iter().zip(types).enumerate().take(n_typed).skip(1) {
            if *ty == Type::String {
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!(
                        "{name}( ) argument #{} is incompatible with prototype:\n\tprototype: int32_t\n\t argument: string",
                        arg_idx + 1
                    ),
                );
                return false;
            }
        }
        if let Some(Type::String) = types.get(incr_position - 1) {
            self.error(
                ErrTag::D_PROTO_ARG,
                args[incr_position - 1].span,
                format!(
                    "{name}( ) increment value (argument #{incr_position}) must be of scalar type"
                ),
            );
            return false;
        }
        true
    }

    /// Declares `@name` at its first use, or checks a later use against it; `widths` are the string
    /// keys' widths (see [`Checker::string_width`]).
    pub(super) fn declare_aggregation(
        &mut self,
        name: &str,
        func: AggFunc,
        keys: Vec<Type>,
        widths: &[Option<u32>],
        params: AggParams,
        expr: &Expr,
    ) {
        let Some(agg_idx) = self.aggregations.iter().position(|decl| decl.name == name) else {
            let value_sizes = super::value_key::key_value_sizes(&keys, &self.type_info.table);
            self.aggregations.push(AggDecl {
                name: name.to_string(),
                func,
                key_value_sizes: string_width::first_key_sizes(value_sizes, widths),
                keys,
                params,
            });
            return;
        };
        let existing = &self.aggregations[agg_idx];
        if existing.func != func {
            let (previous, current) = (existing.func.name(), func.name());
            self.error(ErrTag::D_AGG_REDEF, expr.span, format!("aggregation redefined: @{name}\n\t current: {current}( )\n\tprevious: {previous}( )"));
        } else if existing.keys.len() != keys.len() {
            self.error(
                ErrTag::D_AGG_MDIM,
                expr.span,
                format!(
                    "aggregation @{name} used with {} keys and {} keys",
                    existing.keys.len(),
                    keys.len()
                ),
            );
        } else if existing
            .keys
            .iter()
            .zip(&keys)
            .any(|(old, new)| (*old == Type::String) != (*new == Type::String))
        {
            self.error(
                ErrTag::D_AGG_MDIM,
                expr.span,
                format!("aggregation @{name} key types differ from its first use"),
            );
        } else if let Some((tag, message)) = params_mismatch(existing.params, params) {
            self.error(tag, expr.span, message);
        } else {
            let existing = &mut self.aggregations[agg_idx];
            string_width::merge_widths(&existing.keys, &mut existing.key_value_sizes, widths);
        }
    }

    /// `clear`, `normalize`, `denormalize` and `trunc`: the first argument must be an aggregation
    /// that the program assigns, the second a scalar.
    pub(super) fn agg_action(&mut self, action: AggAction, func: &str, args: &[Expr]) {
        let (arg_tag, undefined_tag) = match action {
            AggAction::Clear => (ErrTag::D_CLEAR_AGGARG, ErrTag::D_CLEAR_AGGBAD),
            AggAction::Normalize | AggAction::Denormalize => {
                (ErrTag::D_NORMALIZE_AGGARG, ErrTag::D_NORMALIZE_AGGBAD)
            }
            AggAction::Trunc => (ErrTag::D_TRUNC_AGGARG, ErrTag::D_TRUNC_AGGBAD),
        };
        let ExprKind::Agg { name, keys } = &args[0].kind else {
            let errors = self.errors.len();
            let ty = self.expr(&args[0]);
            self.errors.truncate(errors);
            self.error(
                arg_tag,
                args[0].span,
                format!(
                    "{func}( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: {}",
                    ty.name()
                ),
            );
            return;
        };
        if !keys.is_empty() {
            self.error(
                arg_tag,
                args[0].span,
                format!(
                    "{func}( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: aggregation element"
                ),
            );
            return;
        }
        if let Some(arg) = args.get(1) {
            let ty = if matches!(arg.kind, ExprKind::Agg { .. }) {
                None
            } else {
                Some(self.expr(arg))
            };
            if ty.is_none_or(|ty| ty == Type::String) {
                let prototype = if action == AggAction::Normalize {
                    "uint64_t"
                } else {
                    "int64_t"
                };
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!(
                        "{func}( ) argument #2 is incompatible with prototype:\n\tprototype: {prototype}\n\t argument: {}",
                        ty.map_or("<DYN>", Type::name)
                    ),
                );
                return;
            }
        }
        if !self.aggregations.iter().any(|decl| &decl.name == name) {
            self.error(
                undefined_tag,
                args[0].span,
                format!("undefined aggregation: @{name}"),
            );
        }
    }

    /// `setopt(name [, value])`: both strings.
    pub(super) fn setopt(&mut self, args: &[Expr]) {
        for (arg_idx, arg) in args.iter().enumerate() {
            let ty = self.expr(arg);
            if ty != Type::String {
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!(
                        "setopt( ) argument #{} is incompatible with prototype:\n\tprototype: char *\n\t argument: {}",
                        arg_idx + 1,
                        ty.name()
                    ),
                );
            }
        }
    }

    /// `printa` of several aggregations: every one must have the first one's key signature.
    pub(super) fn printa_keys_match(&mut self, first: &str, other: &str, span: Span) {
        let decl = |name: &str| self.aggregations.iter().find(|decl| decl.name == name);
        let (Some(first_decl), Some(other_decl)) = (decl(first), decl(other)) else {
            return;
        };
        let (first_keys, other_keys) = (first_decl.keys.clone(), other_decl.keys.clone());
        if first_keys.len() != other_keys.len() {
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            self.error(
                ErrTag::D_PRINTA_AGGKEY,
                span,
                format!(
                    "printa( ): @{first} and @{other} do not have matching key signatures: @{first} has {} key{}, @{other} has {} key{}",
                    first_keys.len(),
                    plural(first_keys.len()),
                    other_keys.len(),
                    plural(other_keys.len())
                ),
            );
            return;
        }
        for (key_idx, (first_key, other_key)) in first_keys.iter().zip(&other_keys).enumerate() {
            if (*first_key == Type::String) != (*other_key == Type::String) {
                self.error(
                    ErrTag::D_PRINTA_AGGPROTO,
                    span,
                    format!(
                        "printa( ): @{other}[ ] key #{n} is incompatible with @{first}:\n{first:>9} key #{n}: {}\n{other:>9} key #{n}: {}",
                        first_key.name(),
                        other_key.name(),
                        n = key_idx + 1
                    ),
                );
                return;
            }
        }
    }
}

impl Checker<'_> {
    /// `printa(format, @a, ...)`: the conversions without `@` take the first aggregation's keys in
    /// order and must fit their types; the `%@` conversions must fit the aggregated values.
    pub(super) fn printa_format_keys(&mut self, pieces: &[FormatPiece], first: &str, span: Span) {
        let Some(decl) = self.aggregations.iter().find(|decl| decl.name == first) else {
            return;
        };
        let (keys, func) = (decl.keys.clone(), decl.func);
        let mut keys = keys.iter().enumerate();
        for slot in printf::arg_slots(pieces) {
            let class = match slot.kind {
                SlotKind::Width | SlotKind::Precision => ArgClass::Integer,
                SlotKind::Value => printf::arg_class(slot.conv),
            };
            let Some((key_idx, &ty)) = keys.next() else {
                self.error(
                    ErrTag::D_PRINTF_ARG_PROTO,
                    span,
                    format!(
                        "printa( ) prototype mismatch: conversion #{} (%{}) is missing a corresponding value argument",
                        slot.conv_number,
                        slot.conv.name()
                    ),
                );
                return;
            };
            if !class_accepts(class, ty) && !printf::accepts_symbolic(slot.conv, ty) {
                self.error(
                    ErrTag::D_PRINTF_ARG_TYPE,
                    span,
                    format!(
                        "printa( ) argument #{} is incompatible with conversion #{} prototype:\n\tconversion: %{}\n\t prototype: {}\n\t  argument: {}",
                        key_idx + 2,
                        slot.conv_number,
                        slot.conv.name(),
                        slot.conv.prototype(),
                        ty.name()
                    ),
                );
                return;
            }
        }
        let value_type = if func == AggFunc::Count {
            Type::ULONG
        } else {
            Type::LONG
        };
        let conversions = pieces.iter().filter_map(|piece| match piece {
            FormatPiece::Conversion(conv) if conv.is_agg => Some(conv),
            _ => None,
        });
        for conv in conversions {
            if !class_accepts(printf::arg_class(conv), value_type) {
                let number = pieces
                    .iter()
                    .filter(|piece| matches!(piece, FormatPiece::Conversion(_)))
                    .position(|piece| matches!(piece, FormatPiece::Conversion(other) if std::ptr::eq(other, conv)))
                    .map_or(0, |position| position + 1);
                self.error(
                    ErrTag::D_PRINTF_ARG_TYPE,
                    span,
                    format!(
                        "printa( ) aggregating action is incompatible with conversion #{number} prototype:\n\tconversion: %{}\n\t prototype: {}\n\t  argument: {}",
                        conv.name(),
                        conv.prototype(),
                        value_type.name()
                    ),
                );
                return;
            }
        }
    }
}

/// Whether a value of type `ty` fits a conversion's argument class.
fn class_accepts(class: ArgClass, ty: Type) -> bool {
    match (class, ty) {
        (ArgClass::String, Type::String) => true,
        (class, Type::Int { size, signed }) => class.accepts_integer(size, signed),
        _ => false,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::diagnostic::{Diagnostic, Origin};
    use crate::ir::Module;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    pub(in crate::sema) fn compile_one(text: &str) -> Result<Module, Vec<Diagnostic>> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
        .map(|compiled| compiled.module)
    }

    /// The first error of `body` inside a `BEGIN` clause: its tag and message.
    pub(in crate::sema) fn first_error(body: &str) -> (ErrTag, String) {
        let text = format!("BEGIN {{ {body} }}");
        let errors = compile_one(&text).expect_err(&text);
        (errors[0].tag, errors[0].message.clone())
    }

    #[test]
    fn histogram_shapes_come_from_the_constant_arguments() {
        let module = compile_one(
            "BEGIN { @q = quantize(1, 2); @l = lquantize(3, -10, 100 - 10, 5); @ll = llquantize(4, 10, 0, 6, 20, 3); @s = stddev(1); }",
        )
        .unwrap();
        let params: Vec<(AggFunc, AggParams)> = module
            .aggregations
            .iter()
            .map(|decl| (decl.func, decl.params))
            .collect();
        assert_eq!(
            params,
            [
                (AggFunc::Quantize, AggParams::None),
                (
                    AggFunc::Lquantize,
                    AggParams::Linear {
                        base: -10,
                        levels: 20,
                        step: 5
                    }
                ),
                (
                    AggFunc::Llquantize,
                    AggParams::LogLinear {
                        factor: 10,
                        lmag: 0,
                        hmag: 6,
                        steps: 20
                    }
                ),
                (AggFunc::Stddev, AggParams::None),
            ]
        );
    }

    #[test]
    fn aggregations_are_neither_arrays_of_arrays_nor_operands() {
        assert_eq!(
            first_error("@[0][1] = count();"),
            (
                ErrTag::D_AGG_MDIM,
                "improper attempt to reference @ as a multi-dimensional array".to_owned()
            )
        );
        assert_eq!(first_error("trace(@a[1][2]);").0, ErrTag::D_AGG_MDIM);
        assert_eq!(
            first_error("@a = count(); trace(@a + 3);"),
            (
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"aggregation\" + \"int\"".to_owned()
            )
        );
        assert_eq!(first_error("@ = tick-1();").0, ErrTag::D_FUNC_IDENT);
    }

    #[test]
    fn aggregation_actions_need_an_assigned_aggregation() {
        let cases = [
            ("clear(count());", ErrTag::D_CLEAR_AGGARG),
            ("normalize(1, 4);", ErrTag::D_NORMALIZE_AGGARG),
            ("denormalize(1);", ErrTag::D_NORMALIZE_AGGARG),
            ("trunc(1);", ErrTag::D_TRUNC_AGGARG),
            ("clear(@nosuch);", ErrTag::D_CLEAR_AGGBAD),
            ("@a = count(); normalize(@a, \"a\");", ErrTag::D_PROTO_ARG),
            ("@a = count(); trunc(@a, @a);", ErrTag::D_PROTO_ARG),
            ("@a = count(); trunc(@a, 1, 2);", ErrTag::D_PROTO_LEN),
            ("setopt(1);", ErrTag::D_PROTO_ARG),
            ("setopt();", ErrTag::D_PROTO_LEN),
            ("@a; @a = count();", ErrTag::D_IDENT_UNDEF),
            ("@a = count(); @a;", ErrTag::D_AGG_NULL),
            ("@a[1];", ErrTag::D_AGG_NULL),
            ("@[trace(0)] = count();", ErrTag::D_KEY_TYPE),
            ("@a = nosuch();", ErrTag::D_FUNC_UNDEF),
            ("avg(1);", ErrTag::D_CG_EXPR),
        ];
        for (body, tag) in cases {
            assert_eq!(first_error(body).0, tag, "{body}");
        }
        assert_eq!(
            first_error("normalize(1, 4);").1,
            "normalize( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: int"
        );
        assert_eq!(
            first_error("@a = count(); trunc(@a, 1, 2);").1,
            "trunc( ) prototype mismatch: 3 args passed, at most 2 expected"
        );
    }

    #[test]
    fn aggregation_actions_record_their_arguments() {
        let module = compile_one(
            "BEGIN { @a = count(); normalize(@a, 5); denormalize(@a); trunc(@a, -3); trunc(@a); clear(@a); setopt(\"aggsortrev\"); setopt(\"quiet\", \"no\"); }",
        )
        .unwrap();
        let dump = module.dump();
        for line in [
            "record b0 normalize agg 0 int@16",
            "record b0 denormalize agg 0",
            "record b0 trunc agg 0 int@24",
            "record b0 trunc agg 0\n",
            "record b0 clear agg 0",
            "record b0 setopt string@32\n",
            "record b0 setopt string@296 string@560",
        ] {
            assert!(dump.contains(line), "{line} in\n{dump}");
        }
    }

    #[test]
    fn printa_formats_must_fit_the_keys_and_values() {
        assert_eq!(
            first_error("@a[\"x\"] = count(); printa(\"%d %@d\", @a);"),
            (
                ErrTag::D_PRINTF_ARG_TYPE,
                "printa( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: string".to_string()
            )
        );
        assert_eq!(
            first_error("@a[1] = count(); printa(\"%d %d\", @a);").1,
            "printa( ) prototype mismatch: conversion #2 (%d) is missing a corresponding value argument"
        );
        assert_eq!(
            first_error("@a[1] = sum(1); printa(\"%d %@s\", @a);").0,
            ErrTag::D_PRINTF_ARG_TYPE
        );
        assert!(
            compile_one("BEGIN { @a[1, \"x\"] = count(); printa(\"%d %s %@d %@u %@x\", @a); }")
                .is_ok()
        );
    }

    #[test]
    fn printa_aggregations_must_share_key_signatures() {
        assert_eq!(
            first_error("@foo[123] = sum(123); @bar = sum(456); printa(\"%d\", @foo, @bar);"),
            (
                ErrTag::D_PRINTA_AGGKEY,
                "printa( ): @foo and @bar do not have matching key signatures: @foo has 1 key, @bar has 0 keys".to_string()
            )
        );
        assert_eq!(
            first_error("@foo[123] = sum(123); @bar[\"x\"] = sum(456); printa(@foo, @bar);").0,
            ErrTag::D_PRINTA_AGGPROTO
        );
    }
}

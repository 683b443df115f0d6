//! Checking the stack and symbol functions: `stack()`, `ustack()`, `jstack()`, `sym()`, `func()`,
//! `mod()`, `usym()`, `ufunc()`, `umod()` and `uaddr()`.
//!
//! libdtrace types their values `stack`, `_symaddr` and `_usymaddr`, which only a few places take:
//! an action statement of their own, `trace()`, aggregation keys and the `printf` conversions
//! that print them (`%k`, `%a`, `%A`). Those places call [`Checker::stack_value`]; anywhere else
//! the call is an action used in an expression, which `expr` reports.

use super::{Checker, PragmaOption, StackFrames};
use crate::ast::{Expr, ExprKind};
use crate::builtin::function::{self, FunctionKind};
use crate::diagnostic::ErrTag;
use crate::types::{StackType, Type};

/// Applies a `#pragma D option` that sets a frame count (`stackframes`, `ustackframes`,
/// `maxframes`) to `frames`. A value that is not a number is left for the caller, which checks
/// every pragma option against its table.
pub(super) fn pragma_frames(frames: &mut StackFrames, option: &PragmaOption) {
    let Some(value) = option
        .value
        .as_deref()
        .and_then(|text| text.parse::<u32>().ok())
    else {
        return;
    };
    match option.name.as_str() {
        "stackframes" => frames.kernel = value,
        "ustackframes" | "jstackframes" => frames.user = value,
        "maxframes" => frames.max = value,
        _ => {}
    }
}

impl Checker<'_> {
    /// If `expr` calls a stack or symbol function, checks the call, records and returns its type;
    /// otherwise returns `None` and checks nothing.
    pub(super) fn stack_value(&mut self, expr: &Expr) -> Option<Type> {
        let ExprKind::Call {
            func,
            func_span,
            args,
        } = &expr.kind
        else {
            return None;
        };
        let function = function::lookup(func)?;
        let ty = match function.kind {
            FunctionKind::Stack { user } => {
                if !self.arity(function, *func_span, args.len()) {
                    return Some(Type::Void);
                }
                Type::Stack(self.stack_args(func, user, args))
            }
            FunctionKind::SymAddr(kind) => {
                if self.arity(function, *func_span, args.len()) {
                    let arg_type = self.expr(&args[0]);
                    if !arg_type.is_scalar() {
                        let name = self.type_info.table.name(arg_type);
                        let prototype = if kind.is_user() {
                            "uint64_t"
                        } else {
                            "uintptr_t"
                        };
                        self.error(
                            ErrTag::D_PROTO_ARG,
                            args[0].span,
                            format!("{func}( ) argument #1 is incompatible with prototype:\n\tprototype: {prototype}\n\t argument: {name}"),
                        );
                    }
                }
                Type::SymAddr(kind)
            }
            _ => return None,
        };
        self.types.insert(expr.span, ty);
        Some(ty)
    }

    /// The frames of `stack([n])` or `ustack([n [, strsize]])`, checked as libdtrace checks them:
    /// each argument an integer constant, the frame count positive, and no more than `maxframes`
    /// (silently).
    fn stack_args(&mut self, func: &str, user: bool, args: &[Expr]) -> StackType {
        let default = if user {
            self.stack_frames.user
        } else {
            self.stack_frames.kernel
        };
        let mut frames = default;
        for (arg_idx, arg) in args.iter().enumerate() {
            let ty = self.expr(arg);
            if !ty.is_int() {
                let name = self.type_info.table.name(ty);
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!("{func}( ) argument #{} is incompatible with prototype:\n\tprototype: uint32_t\n\t argument: {name}", arg_idx + 1),
                );
                continue;
            }
            let value = self
                .type_info
                .constants
                .get(&arg.span)
                .copied()
                .or(match arg.kind {
                    ExprKind::Int { value, .. } => Some(value),
                    _ => None,
                });
            let signed = matches!(ty, Type::Int { signed: true, .. });
            let positive = value.filter(|&value| !(signed && (value as i64) < 0));
            if arg_idx == 0 {
                match positive.filter(|&value| value != 0) {
                    Some(value) => frames = u32::try_from(value).unwrap_or(u32::MAX),
                    None => {
                        let tag = if user {
                            ErrTag::D_USTACK_FRAMES
                        } else {
                            ErrTag::D_STACK_SIZE
                        };
                        self.error(
                            tag,
                            arg.span,
                            format!(
                                "{func}( ) argument #1 must be a non-zero positive integer constant"
                            ),
                        );
                    }
                }
            } else if positive.is_none() {
                self.error(
                    ErrTag::D_USTACK_STRSIZE,
                    arg.span,
                    format!("{func}( ) argument #2 must be a positive integer constant"),
                );
            }
        }
        StackType {
            user,
            frames: frames.clamp(1, self.stack_frames.max.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::{ErrTag, Origin};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;
    use crate::types::{StackType, SymKind, Type};

    fn errors(text: &str) -> Vec<(ErrTag, String)> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        match compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        ) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|error| (error.tag, error.message))
                .collect(),
        }
    }

    fn first_error(text: &str) -> (ErrTag, String) {
        errors(text)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{text} compiled"))
    }

    fn key_types(text: &str) -> Vec<Type> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        let compiled = compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
        .unwrap_or_else(|errors| panic!("{text}: {errors:?}"));
        compiled.module.aggregations[0].keys.clone()
    }

    #[test]
    fn stacks_and_symbols_are_accepted_where_dtrace_takes_them() {
        for text in [
            "BEGIN { stack(); ustack(); jstack(5, 100); stack(3); }",
            "BEGIN { sym(arg0); func(caller); mod(caller); usym(ucaller); ufunc(arg1); umod(1); uaddr(ucaller); }",
            "BEGIN { trace(stack()); trace(uaddr(ucaller)); }",
            "BEGIN { printf(\"%a %A %k\", caller, ucaller, stack()); }",
            "BEGIN { trace(stackdepth); trace(ustackdepth); }",
        ] {
            assert_eq!(errors(text), Vec::new(), "{text}");
        }
    }

    #[test]
    fn keys_have_stack_types_sized_by_the_options() {
        assert_eq!(
            key_types("BEGIN { @[stack(), ustack(), sym(0), uaddr(0)] = count(); }"),
            [
                Type::Stack(StackType {
                    user: false,
                    frames: 20
                }),
                Type::Stack(StackType {
                    user: true,
                    frames: 100
                }),
                Type::SymAddr(SymKind::Sym),
                Type::SymAddr(SymKind::UAddr),
            ]
        );
        assert_eq!(
            key_types("#pragma D option maxframes=5\nBEGIN { @[stack(), ustack(50)] = count(); }"),
            [
                Type::Stack(StackType {
                    user: false,
                    frames: 5
                }),
                Type::Stack(StackType {
                    user: true,
                    frames: 5
                }),
            ]
        );
    }

    #[test]
    fn bad_arguments_have_libdtraces_tags() {
        assert_eq!(
            first_error("BEGIN { stack(\"x\"); }"),
            (
                ErrTag::D_PROTO_ARG,
                "stack( ) argument #1 is incompatible with prototype:\n\tprototype: uint32_t\n\t argument: string".to_string()
            )
        );
        assert_eq!(first_error("BEGIN { stack(1, 2); }").0, ErrTag::D_PROTO_LEN);
        assert_eq!(first_error("BEGIN { stack(0); }").0, ErrTag::D_STACK_SIZE);
        assert_eq!(first_error("BEGIN { stack(-1); }").0, ErrTag::D_STACK_SIZE);
        assert_eq!(
            first_error("BEGIN { stack(arg0); }").0,
            ErrTag::D_STACK_SIZE
        );
        assert_eq!(
            first_error("BEGIN { ustack(0, 200); }"),
            (
                ErrTag::D_USTACK_FRAMES,
                "ustack( ) argument #1 must be a non-zero positive integer constant".to_string()
            )
        );
        assert_eq!(
            first_error("BEGIN { ustack(1, -1); }").0,
            ErrTag::D_USTACK_STRSIZE
        );
        assert_eq!(first_error("BEGIN { sym(\"x\"); }").0, ErrTag::D_PROTO_ARG);
    }

    #[test]
    fn stacks_are_not_values_elsewhere() {
        assert_eq!(
            first_error("BEGIN { x = stack(); }").0,
            ErrTag::D_OP_INCOMPAT
        );
        assert_eq!(
            first_error("BEGIN { trace(sym(1) + 1); }").0,
            ErrTag::D_OP_INCOMPAT
        );
        assert_eq!(
            first_error("BEGIN { printf(\"%d\", stack()); }").0,
            ErrTag::D_PRINTF_ARG_TYPE
        );
        assert_eq!(
            first_error("BEGIN { printf(\"%a\", ustack()); }").0,
            ErrTag::D_PRINTF_ARG_TYPE
        );
        assert_eq!(
            first_error("BEGIN { @[stack()] = count(); printa(\"%p\", @); }").0,
            ErrTag::D_PRINTF_ARG_TYPE
        );
    }
}

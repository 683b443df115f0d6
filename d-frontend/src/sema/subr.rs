//! Checking subroutine calls and the places strings meet integers: comparisons and `NULL`.

use super::Checker;
use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::builtin::function::{self, FunctionKind};
use crate::builtin::subr::{Param, SubrKind, Subroutine};
use crate::diagnostic::ErrTag;
use crate::source::Span;
use crate::types::Type;

/// Whether `expr` is the integer constant 0 (`0` or `NULL`), which D accepts where a string (a
/// `char *`) is expected, meaning no string at all.
pub(crate) fn is_null_constant(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Int { value, .. } => *value == 0,
        ExprKind::Ident(name) => name == "NULL",
        _ => false,
    }
}

impl Checker<'_> {
    /// Checks a call of `subroutine` and returns its result type.
    pub(super) fn subroutine(
        &mut self,
        subroutine: &Subroutine,
        func_span: Span,
        args: &[Expr],
    ) -> Type {
        let arg_types: Vec<Type> = args.iter().map(|arg| self.argument(arg)).collect();
        if subroutine.kind == SubrKind::Progenyof && self.ppid_offsets().is_none() {
            self.error(
                ErrTag::D_IDENT_UNDEF,
                func_span,
                "failed to resolve progenyof: kernel BTF has no task_struct.real_parent",
            );
            return subroutine.result;
        }
        if matches!(subroutine.kind, SubrKind::DPath | SubrKind::DMountPath)
            && self.path_offsets().is_none()
        {
            self.error(
                ErrTag::D_IDENT_UNDEF,
                func_span,
                format!(
                    "failed to resolve {}: kernel BTF has no struct path, dentry or mount",
                    subroutine.name
                ),
            );
            return subroutine.result;
        }
        if !self.prototype_len(
            subroutine.name,
            subroutine.n_required,
            subroutine.params.len(),
            func_span,
            args.len(),
        ) {
            return subroutine.result;
        }
        let params = subroutine.params.iter().zip(args.iter().zip(&arg_types));
        for (arg_idx, (param, (arg, ty))) in params.enumerate() {
            let compatible = self.accepts(*param, arg, *ty);
            if compatible && *param == Param::AllocaPointer && !self.alloca_value(arg) {
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!(
                        "{}( ) argument #{} is incompatible with prototype:\n\tprototype: alloca pointer\n\t argument: non-alloca pointer",
                        subroutine.name,
                        arg_idx + 1,
                    ),
                );
                break;
            }
            if !compatible {
                self.error(
                    ErrTag::D_PROTO_ARG,
                    arg.span,
                    format!(
                        "{}( ) argument #{} is incompatible with prototype:\n\tprototype: {}\n\t argument: {}",
                        subroutine.name,
                        arg_idx + 1,
                        param.prototype_name(),
                        self.type_info.table.name(*ty)
                    ),
                );
                break;
            }
        }
        self.alloca_size(subroutine, args);
        if subroutine.kind == SubrKind::InetNtoa6
            && let Some(strict) = args.get(1)
            && arg_types[1].is_int()
        {
            // Lowering reads the folded value back from the constants.
            match self.fold(strict) {
                Some(value) => {
                    self.type_info.constants.insert(strict.span, value);
                }
                None => self.error(
                    ErrTag::D_PROTO_ARG,
                    strict.span,
                    "inet_ntoa6( ) argument #2 must be an integer constant",
                ),
            }
        }
        if let Some(result) = self.lock_subroutine(subroutine, func_span) {
            return result;
        }
        if matches!(subroutine.kind, SubrKind::Alloca | SubrKind::Copyin) {
            self.type_info.uses_alloca = true;
            return self.type_info.table.pointer_to(Type::Void);
        }
        subroutine.result
    }

    /// Finds the lock word a lock subroutine reads, reporting a kernel without it, and types
    /// `mutex_owner` as the `struct task_struct *` it returns. `None` for other subroutines.
    fn lock_subroutine(&mut self, subroutine: &Subroutine, func_span: Span) -> Option<Type> {
        let (struct_name, member) = match subroutine.kind {
            SubrKind::MutexOwned | SubrKind::MutexOwner => ("mutex", "owner"),
            SubrKind::RwReadHeld | SubrKind::RwWriteHeld | SubrKind::RwIsWriter => {
                ("qrwlock", "cnts")
            }
            _ => return None,
        };
        let Some(found) = self.catalog.struct_member(struct_name, member) else {
            self.error(
                ErrTag::D_IDENT_UNDEF,
                func_span,
                format!(
                    "failed to resolve {}: kernel BTF has no {struct_name}.{member}",
                    subroutine.name
                ),
            );
            return Some(subroutine.result);
        };
        if member == "owner" {
            self.type_info.lock_words.mutex_owner = Some(found.offset);
        } else {
            self.type_info.lock_words.rwlock_cnts = Some(found.offset);
        }
        if subroutine.kind != SubrKind::MutexOwner {
            return Some(subroutine.result);
        }
        let task = self
            .named_type(&["struct", "task_struct"])
            .ok()
            .flatten()
            .unwrap_or(Type::Void);
        Some(self.type_info.table.pointer_to(task))
    }

    /// Rejects an `alloca` or `copyin` of a constant size larger than `scratchsize`, as libdtrace
    /// does when it generates the code.
    fn alloca_size(&mut self, subroutine: &Subroutine, args: &[Expr]) {
        let size_arg = match subroutine.kind {
            SubrKind::Alloca => args.first(),
            SubrKind::Copyin => args.get(1),
            _ => None,
        };
        let Some(size_arg) = size_arg else {
            return;
        };
        let size = match &size_arg.kind {
            ExprKind::Int { value, .. } => Some(*value),
            _ => self.type_info.constants.get(&size_arg.span).copied(),
        };
        if let Some(size) = size
            && size > u64::from(self.scratchsize)
        {
            self.error(
                ErrTag::D_ALLOCA_SIZE,
                size_arg.span,
                format!(
                    "alloca({size}) size larger than scratchsize {}",
                    self.scratchsize
                ),
            );
        }
    }

    /// Whether parameter `param` of a prototype accepts `arg`, of type `ty`.
    pub(super) fn accepts(&mut self, param: Param, arg: &Expr, ty: Type) -> bool {
        match param {
            Param::String => {
                ty == Type::String
                    || is_null_constant(arg)
                    || matches!(
                        self.type_info.table.pointee(ty),
                        Some(Type::Int { size: 1, .. })
                    )
            }
            // An address may be given as a pointer: `copyinstr(args[1])` on `openat`.
            Param::Int(name) => ty.is_int() || (name == "uintptr_t" && ty.is_pointer()),
            Param::Pointer => {
                ty.is_pointer() || ty == Type::String || self.type_info.table.is_char_array(ty)
            }
            Param::AllocaPointer => ty.is_pointer(),
            Param::Kernel(_, type_name) => {
                let words: Vec<&str> = type_name.split(' ').collect();
                let wanted = self.named_type(&words).ok().flatten();
                is_null_constant(arg)
                    || self.type_info.table.pointee(ty).is_some_and(|target| {
                        wanted.is_none_or(|wanted| target == wanted) || target == Type::Void
                    })
            }
            Param::Address(_, pointee) => {
                is_null_constant(arg)
                    || (pointee.is_none() && matches!(ty, Type::Array(_)))
                    || self.type_info.table.pointee(ty).is_some_and(|target| {
                        pointee.is_none_or(|pointee| target == pointee || target == Type::Void)
                    })
            }
        }
    }

    /// Types a subroutine argument or the operand of `stringof`. An action there
    /// (`progenyof(trace(1))`) is a `void` value, which the caller then rejects, as libdtrace does.
    pub(super) fn argument(&mut self, arg: &Expr) -> Type {
        if let ExprKind::Call { func, .. } = &arg.kind
            && function::lookup(func)
                .is_some_and(|function| !matches!(function.kind, FunctionKind::Aggregating(_)))
        {
            self.types.insert(arg.span, Type::Void);
            return Type::Void;
        }
        self.expr(arg)
    }

    /// Checks a relational operator with a string operand: strings compare with strings (as
    /// `strcmp` does), and a string is equal or unequal to `NULL`.
    pub(super) fn string_comparison(
        &mut self,
        op: BinaryOp,
        (lhs, lhs_type): (&Expr, Type),
        (rhs, rhs_type): (&Expr, Type),
        span: Span,
    ) {
        let with_null = |expr: &Expr, ty: Type| ty.is_int() && is_null_constant(expr);
        let compatible = match (lhs_type, rhs_type) {
            (Type::String, Type::String) => true,
            (Type::String, _) => {
                matches!(op, BinaryOp::Eq | BinaryOp::Ne) && with_null(rhs, rhs_type)
            }
            (_, Type::String) => {
                matches!(op, BinaryOp::Eq | BinaryOp::Ne) && with_null(lhs, lhs_type)
            }
            _ => true,
        };
        if !compatible {
            self.error(
                ErrTag::D_OP_INCOMPAT,
                span,
                format!(
                    "operands have incompatible types: \"{}\" {} \"{}\"",
                    lhs_type.name(),
                    op.symbol(),
                    rhs_type.name()
                ),
            );
        }
    }
}

//! Typing the expressions of D's type system: casts, `sizeof`, `offsetof`, `stringof`, pointer
//! arithmetic, `*`, `&`, `[ ]`, `.` and `->`, and `curthread`.
//!
//! Struct, union and array values only exist in memory here: a member is reached through a
//! pointer (`p->m`, `(*p).m`), so every struct-typed expression is a *place* with an address,
//! and lowering reads what it needs with safe probe reads. Messages follow libdtrace's
//! `dt_cook_op1`, `dt_cook_op2` and `dt_node_offsetof`.

use super::Checker;
use super::translate::Translated;
use crate::ast::{BinaryOp, Expr, ExprKind, SizeOfArg, TypeName, UnaryOp};
use crate::builtin::variable;
use crate::diagnostic::ErrTag;
use crate::provider::KernelNamespace;
use crate::source::Span;
use crate::types::{Type, TypeDef, TypeId};

impl Checker<'_> {
    /// `curthread`: a pointer to the kernel's `struct task_struct`, or `void *` without BTF.
    pub(super) fn curthread_type(&mut self) -> Type {
        let task = self
            .catalog
            .kernel_type_named(KernelNamespace::Struct, "task_struct")
            .and_then(|id| self.type_info.table.import_kernel(self.catalog, id))
            .unwrap_or(Type::Void);
        self.type_info.table.pointer_to(task)
    }

    /// Whether `name` is a value (a built-in variable, an inline or an enumerator) rather than a
    /// type name.
    pub(super) fn names_value(&self, name: &str) -> bool {
        variable::lookup(name).is_some()
            || name.contains('`')
            || self.scope.inlines.contains_key(name)
            || self.scope.enumerators.contains_key(name)
    }

    /// Whether a typed expression denotes memory with an address: `*p`, `p->m`, a member of a
    /// place, or an element of a pointer or of an array place.
    pub(super) fn is_place(&self, expr: &Expr) -> bool {
        if self.type_info.xlate_members.contains_key(&expr.span) {
            return false;
        }
        match &expr.kind {
            ExprKind::Unary {
                op: UnaryOp::Deref, ..
            }
            | ExprKind::Member { arrow: true, .. } => true,
            ExprKind::Member { base, .. } => self.is_place(base),
            ExprKind::Index { base, .. } => match self.types.0.get(&base.span) {
                Some(Type::Pointer(_)) => true,
                Some(Type::Array(_)) => self.is_place(base),
                _ => super::is_aggregate_var(expr, &self.types, &self.type_info),
            },
            // A kernel symbol is kernel memory; a struct, union or array variable is its storage;
            // an inline standing for one is that variable's storage too.
            ExprKind::Ident(_) if self.type_info.kernel_symbols.contains_key(&expr.span) => true,
            ExprKind::Ident(_) => match self.type_info.inline_uses.get(&expr.span) {
                Some(&inline_idx) => {
                    let value = &self.type_info.inlines[inline_idx].value;
                    self.is_place(value)
                }
                None => super::is_aggregate_var(expr, &self.types, &self.type_info),
            },
            ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => {
                super::is_aggregate_var(expr, &self.types, &self.type_info)
            }
            _ => false,
        }
    }

    fn is_bitfield(&self, expr: &Expr) -> bool {
        self.type_info
            .members
            .get(&expr.span)
            .is_some_and(|member| member.bit_size != 0)
    }

    /// `(type) operand`: same types, scalars to scalars, arrays to pointers, anything to `void`,
    /// and scalars, pointers and `char` arrays to `string`. A cast that is refused is reported at
    /// the token after it, as libdtrace reports it.
    pub(super) fn cast(&mut self, ty: &TypeName, operand: &Expr, expr: &Expr) -> Type {
        let translated = self.translated(operand);
        if let Translated::Failed = translated {
            return Type::INT;
        }
        if let Translated::Yes { ty: from, .. } = translated {
            if self.type_name(ty).is_some() {
                // The type as written: libdtrace names the cast's type before resolving typedefs.
                let stars = "*".repeat(ty.pointer_depth as usize);
                let separator = if stars.is_empty() { "" } else { " " };
                let message = format!(
                    "invalid cast expression: \"{}\" to \"{}{separator}{stars}\"",
                    Self::translated_name(from),
                    ty.words.join(" ")
                );
                let at = self.token_after(expr.span);
                self.error(ErrTag::D_CAST_INVAL, at, message);
            }
            return Type::INT;
        }
        let from = self.expr(operand);
        let Some(to) = self.type_name(ty) else {
            return Type::INT;
        };
        let table = &self.type_info.table;
        let allowed = to == from
            || (to.is_scalar() && from.is_scalar())
            || to == Type::Void
            || (to.is_pointer() && matches!(from, Type::Array(_)))
            || (to == Type::String
                && (from.is_scalar() || from == Type::String || table.is_char_array(from)));
        if !allowed {
            let message = format!(
                "invalid cast expression: \"{}\" to \"{}\"",
                table.name(from),
                table.name(to)
            );
            let at = self.token_after(expr.span);
            self.error(ErrTag::D_CAST_INVAL, at, message);
            return Type::INT;
        }
        to
    }

    /// `sizeof(type)` or `sizeof expr`: a `size_t` constant.
    pub(super) fn sizeof(&mut self, arg: &SizeOfArg, expr: &Expr) -> Type {
        let ty = match arg {
            SizeOfArg::Type(name) => self.type_name(name),
            SizeOfArg::Expr(operand) => match &operand.kind {
                ExprKind::Ident(name)
                    if !self.names_value(name) && self.typedef(name).is_some() =>
                {
                    self.typedef(name)
                }
                ExprKind::Str(bytes) => u32::try_from(bytes.len() + 1).ok().map(|len| {
                    let char_type = Type::Int {
                        size: 1,
                        signed: true,
                    };
                    self.type_info.table.array_of(char_type, len)
                }),
                _ => {
                    let ty = self.expr(operand);
                    if self.is_bitfield(operand) {
                        self.error(
                            ErrTag::D_SIZEOF_BITFIELD,
                            expr.span,
                            "cannot apply sizeof to a bit-field",
                        );
                        return Type::ULONG;
                    }
                    Some(ty)
                }
            },
        };
        let Some(ty) = ty else {
            return Type::ULONG;
        };
        match self.type_info.table.size_of(ty, self.strsize) {
            Some(size) => {
                self.type_info.constants.insert(expr.span, u64::from(size));
            }
            None => self.error(
                ErrTag::D_SIZEOF_TYPE,
                expr.span,
                "cannot apply sizeof to an operand of unknown size",
            ),
        }
        Type::ULONG
    }

    /// `offsetof(type, member)`: a `size_t` constant.
    pub(super) fn offsetof(
        &mut self,
        ty: &TypeName,
        member: &str,
        member_span: Span,
        expr: &Expr,
    ) -> Type {
        let words: Vec<&str> = ty.words.iter().map(String::as_str).collect();
        let resolved = self.named_type_quiet(&words);
        let (Some(Type::Struct(id)), 0) = (resolved, ty.pointer_depth) else {
            self.error(
                ErrTag::D_OFFSETOF_TYPE,
                ty.span,
                "offsetof operand must be a struct or union type",
            );
            return Type::ULONG;
        };
        let Some(found) = self.type_info.table.find_member(id, member, self.catalog) else {
            self.error(
                ErrTag::D_UNKNOWN,
                member_span,
                format!("failed to determine offset of {member}: Member name not found"),
            );
            return Type::ULONG;
        };
        if found.bit_size != 0 {
            self.error(
                ErrTag::D_OFFSETOF_BITFIELD,
                member_span,
                format!("cannot take offset of a bit-field: {member}"),
            );
            return Type::ULONG;
        }
        self.type_info
            .constants
            .insert(expr.span, u64::from(found.bit_offset / 8));
        Type::ULONG
    }

    /// `stringof(x)`: a string from a string, a `char` array, or a scalar read as the address of a
    /// NUL-terminated string.
    pub(super) fn stringof(&mut self, args: &[Expr], expr: &Expr) -> Type {
        let [operand] = args else {
            return self.unsupported(expr, "stringof with several operands");
        };
        // An action's value has type `void`, as a subroutine argument's does.
        let ty = self.argument(operand);
        if !(ty.is_scalar() || ty == Type::String || self.type_info.table.is_char_array(ty)) {
            let name = self.type_info.table.name(ty);
            self.error(
                ErrTag::D_STRINGOF_TYPE,
                operand.span,
                format!("cannot apply stringof to a value of type {name}"),
            );
        }
        Type::String
    }

    /// `*operand`.
    pub(super) fn deref(&mut self, operand: &Expr) -> Type {
        let ty = self.expr(operand);
        let target = match ty {
            Type::Pointer(_) => self.type_info.table.pointee(ty),
            Type::Array(_) => self.type_info.table.array(ty).map(|(element, _)| element),
            _ => None,
        };
        let Some(target) = target else {
            self.error(
                ErrTag::D_DEREF_NONPTR,
                operand.span,
                "cannot dereference non-pointer type",
            );
            return Type::INT;
        };
        if target == Type::Void {
            self.error(
                ErrTag::D_DEREF_VOID,
                operand.span,
                "cannot dereference pointer to void",
            );
            return Type::INT;
        }
        target
    }

    /// `&operand`, for places only.
    pub(super) fn addr_of(&mut self, operand: &Expr) -> Type {
        // An aggregation is refused as a dynamic variable before it could be read as a value.
        if matches!(operand.kind, ExprKind::Agg { .. }) {
            self.error(
                ErrTag::D_ADDROF_VAR,
                operand.span,
                "cannot take address of dynamic variable",
            );
            return Type::INT;
        }
        let ty = self.expr(operand);
        if !self.is_place(operand) || super::is_aggregate_var(operand, &self.types, &self.type_info)
        {
            let (tag, message) = match &operand.kind {
                ExprKind::Ident(_) | ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => (
                    ErrTag::D_ADDROF_VAR,
                    "cannot take address of dynamic variable",
                ),
                ExprKind::Index { base, .. } if self.subscripts_variable(base) => (
                    ErrTag::D_ADDROF_VAR,
                    "cannot take address of dynamic variable",
                ),
                _ => (
                    ErrTag::D_ADDROF_LVAL,
                    "unacceptable operand for unary & operator",
                ),
            };
            self.error(tag, operand.span, message);
            return Type::INT;
        }
        if self.is_bitfield(operand) {
            self.error(
                ErrTag::D_ADDROF_BITFIELD,
                operand.span,
                "cannot take address of bit-field",
            );
            return Type::INT;
        }
        self.type_info.table.pointer_to(ty)
    }

    /// `base[index]` on an array or a pointer; associative arrays are typed in `var`.
    pub(super) fn index(&mut self, base: &Expr, index: &[Expr], expr: &Expr) -> Type {
        let base_type = self.expr(base);
        let [subscript] = index else {
            return self.unsupported(expr, "several subscripts of a pointer or array");
        };
        self.integer_operand(subscript, "[]");
        let element = match base_type {
            Type::Array(_) => {
                let Some((element, len)) = self.type_info.table.array(base_type) else {
                    unreachable!("an array type has an array entry");
                };
                if let Some(value) = self.fold(subscript)
                    && len > 1
                    && value >= u64::from(len)
                {
                    self.error(
                        ErrTag::D_ARR_BOUNDS,
                        subscript.span,
                        format!("index outside array bounds: {value}, max is {len}"),
                    );
                }
                Some(element)
            }
            Type::Pointer(_) => self.type_info.table.pointee(base_type),
            // A string's characters, as libdtrace indexes a string as a `char` array.
            Type::String => Some(Type::Int {
                size: 1,
                signed: true,
            }),
            _ => None,
        };
        match element {
            Some(Type::Void) => {
                self.error(
                    ErrTag::D_DEREF_VOID,
                    base.span,
                    "cannot dereference pointer to void",
                );
                Type::INT
            }
            Some(element) => element,
            None => {
                self.error(
                    ErrTag::D_DEREF_NONPTR,
                    base.span,
                    "cannot dereference non-pointer type",
                );
                Type::INT
            }
        }
    }

    /// `base.member` and `base->member`.
    pub(super) fn member(&mut self, base: &Expr, name: &str, arrow: bool, expr: &Expr) -> Type {
        match self.translated(base) {
            Translated::Yes { translator, ty } => {
                if self.is_translated_value(translator, name) {
                    self.error(
                        ErrTag::D_OP_DYN,
                        expr.span,
                        "translated data may only be used with operator . or ->",
                    );
                    return Type::INT;
                }
                return self.translated_member(translator, ty, name, arrow, expr);
            }
            Translated::Failed => return Type::INT,
            Translated::No => {}
        }
        let base_type = self.expr(base);
        let op = if arrow { "->" } else { "." };
        let container = if arrow {
            let Some(target) = self.type_info.table.pointee(base_type) else {
                self.error(
                    ErrTag::D_OP_PTR,
                    expr.span,
                    "operator -> must be applied to a pointer",
                );
                return Type::INT;
            };
            target
        } else {
            base_type
        };
        let Type::Struct(id) = container else {
            let type_name = self.type_info.table.name(container);
            let message = if arrow {
                format!(
                    "operator -> cannot be applied to pointer to type \"{type_name}\"; must be applied to a struct or union pointer"
                )
            } else {
                format!(
                    "operator . cannot be applied to type \"{type_name}\"; must be applied to a struct or union"
                )
            };
            self.error(ErrTag::D_OP_SOU, expr.span, message);
            return Type::INT;
        };
        let Some(id) = self.definition(id) else {
            let type_name = self.type_info.table.name(container);
            self.error(
                ErrTag::D_OP_INCOMPLETE,
                expr.span,
                format!("operator {op} cannot be applied to a forward declaration: no {type_name} definition is available"),
            );
            return Type::INT;
        };
        if !arrow && !self.has_address(base) {
            return self.unsupported(expr, "members of struct values outside memory");
        }
        let Some(member) = self.type_info.table.find_member(id, name, self.catalog) else {
            let type_name = self.type_info.table.name(Type::Struct(id));
            self.error(
                ErrTag::D_TYPE_MEMBER,
                expr.span,
                format!("{name} is not a member of {type_name}"),
            );
            return Type::INT;
        };
        self.type_info.members.insert(expr.span, member);
        member.ty
    }

    /// The defined struct a struct type stands for: itself, or for a forward declaration the
    /// definition of the same tag among the kernel's types.
    fn definition(&mut self, id: TypeId) -> Option<TypeId> {
        let def = self.type_info.table.struct_def(id);
        if def.members.is_some() || def.kernel.is_some() {
            return Some(id);
        }
        let namespace = if def.union {
            KernelNamespace::Union
        } else {
            KernelNamespace::Struct
        };
        let tag = def.name.clone()?;
        let kernel_id = self.catalog.kernel_type_named(namespace, &tag)?;
        match self
            .type_info
            .table
            .import_kernel(self.catalog, kernel_id)?
        {
            Type::Struct(found) if self.type_info.table.struct_def(found).kernel.is_some() => {
                Some(found)
            }
            _ => None,
        }
    }

    /// `+` and `-` with C's pointer rules: pointer ± integer is scaled by the pointee's size, and
    /// the difference of two pointers to the same type is a `ptrdiff_t` count of elements.
    pub(super) fn additive(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Type {
        let lhs_type = self.expr(lhs);
        let rhs_type = self.expr(rhs);
        if lhs_type.is_int() && rhs_type.is_int() {
            return Type::common(lhs_type, rhs_type);
        }
        let lhs_pointer = self.decayed(lhs_type);
        let rhs_pointer = self.decayed(rhs_type);
        let table = &self.type_info.table;
        let sized = |pointer: Type| {
            table
                .pointee(pointer)
                .is_some_and(|target| table.size_of(target, 1).is_some())
        };
        match (lhs_pointer, rhs_pointer) {
            (Some(pointer), None) if rhs_type.is_int() && sized(pointer) => return pointer,
            (None, Some(pointer)) if lhs_type.is_int() && op == BinaryOp::Add && sized(pointer) => {
                return pointer;
            }
            (Some(lhs_pointer), Some(rhs_pointer))
                if op == BinaryOp::Sub && lhs_pointer == rhs_pointer && sized(lhs_pointer) =>
            {
                return Type::LONG;
            }
            _ => {}
        }
        // A floating-point operand is neither an integer nor a pointer, which libdtrace reports
        // as a type mismatch rather than as a bad operand.
        let is_float = |ty: Type| matches!(ty, Type::Float { .. });
        if !lhs_type.is_scalar() && lhs_pointer.is_none() && !is_float(lhs_type) {
            return self.operand_error(op, lhs);
        }
        if !rhs_type.is_scalar() && rhs_pointer.is_none() && !is_float(rhs_type) {
            return self.operand_error(op, rhs);
        }
        let message = format!(
            "operands have incompatible types: \"{}\" {} \"{}\"",
            table.name(lhs_type),
            op.symbol(),
            table.name(rhs_type)
        );
        self.error(ErrTag::D_OP_INCOMPAT, lhs.span.to(rhs.span), message);
        Type::INT
    }

    fn operand_error(&mut self, op: BinaryOp, operand: &Expr) -> Type {
        self.error(
            ErrTag::D_OP_INT,
            operand.span,
            format!(
                "operator {} requires an operand of integral type",
                op.symbol()
            ),
        );
        Type::INT
    }

    /// A pointer or an array (as the pointer to its first element), for arithmetic.
    pub(super) fn decayed(&mut self, ty: Type) -> Option<Type> {
        match ty {
            Type::Pointer(_) => Some(ty),
            Type::Array(id) => match self.type_info.table.def(id) {
                TypeDef::Array { element, .. } => {
                    let element = *element;
                    Some(self.type_info.table.pointer_to(element))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The type specifier words name, without reporting anything.
    pub(super) fn named_type_quiet(&mut self, words: &[&str]) -> Option<Type> {
        self.named_type(words).ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of, traced_constant};

    #[test]
    fn sizeof_and_offsetof_reach_kernel_types() {
        assert_eq!(traced_constant("sizeof(struct task_struct)"), 3072);
        assert_eq!(traced_constant("offsetof(struct task_struct, tgid)"), 2428);
        assert_eq!(traced_constant("sizeof(curthread->comm)"), 16);
        assert_eq!(traced_constant("sizeof(pid_t)"), 4);
        assert_eq!(traced_constant("sizeof(u32)"), 4);
        assert_eq!(traced_constant("sizeof(enum pid_type)"), 4);
        assert_eq!(traced_constant("sizeof(struct task_struct *)"), 8);
        assert_eq!(traced_constant("sizeof \"hi\""), 3);
        assert_eq!(traced_constant("sizeof(string)"), 256);
    }

    #[test]
    fn members_casts_and_pointers_type_check() {
        for program in [
            "BEGIN { printf(\"%d %s %d\", curthread->pid, curthread->comm, curthread->real_parent->tgid); }",
            "BEGIN { trace(((struct task_struct *)curthread)->real_parent->tgid); }",
            "BEGIN { trace((*curthread).pid + curthread->comm[0]); }",
            "BEGIN { trace(&curthread->pid - &curthread->pid); printf(\"%p\", &curthread->comm[1]); }",
            "BEGIN /curthread->real_parent && !curthread->stack/ { trace(stringof(curthread->comm)); }",
            "BEGIN { @[curthread->comm] = count(); trace(curthread->in_execve); }",
        ] {
            if let Err(errors) = compile_one(program) {
                panic!("{program}: {errors:?}");
            }
        }
    }

    #[test]
    fn misuse_is_reported_with_libdtrace_words() {
        for (body, expected) in [
            (
                "trace(pid->x);",
                "[D_OP_PTR] operator -> must be applied to a pointer",
            ),
            (
                "trace(curthread.pid);",
                "[D_OP_SOU] operator . cannot be applied to type \"struct task_struct *\"; must be applied to a struct or union",
            ),
            (
                "trace(curthread->pid->x);",
                "[D_OP_PTR] operator -> must be applied to a pointer",
            ),
            (
                "trace(curthread->nope);",
                "[D_TYPE_MEMBER] nope is not a member of struct task_struct",
            ),
            (
                "trace(curthread->files->f_pos);",
                "[D_OP_INCOMPLETE] operator -> cannot be applied to a forward declaration: no struct file definition is available",
            ),
            (
                "trace(*pid);",
                "[D_DEREF_NONPTR] cannot dereference non-pointer type",
            ),
            (
                "trace(*curthread->stack);",
                "[D_DEREF_VOID] cannot dereference pointer to void",
            ),
            (
                "trace(&pid);",
                "[D_ADDROF_VAR] cannot take address of dynamic variable",
            ),
            (
                "@a = count(); trace(&@a);",
                "[D_ADDROF_VAR] cannot take address of dynamic variable",
            ),
            (
                "trace(&(pid + 1));",
                "[D_ADDROF_LVAL] unacceptable operand for unary & operator",
            ),
            (
                "trace(&curthread->in_execve);",
                "[D_ADDROF_BITFIELD] cannot take address of bit-field",
            ),
            (
                "trace(curthread->stack + 1);",
                "[D_OP_INCOMPAT] operands have incompatible types: \"void *\" + \"int\"",
            ),
            (
                "trace((struct task_struct)0);",
                "[D_CAST_INVAL] invalid cast expression: \"int\" to \"struct task_struct\"",
            ),
            (
                "trace(sizeof(void));",
                "[D_SIZEOF_TYPE] cannot apply sizeof to an operand of unknown size",
            ),
            (
                "trace(sizeof(curthread->in_execve));",
                "[D_SIZEOF_BITFIELD] cannot apply sizeof to a bit-field",
            ),
            (
                "trace(offsetof(int, x));",
                "[D_OFFSETOF_TYPE] offsetof operand must be a struct or union type",
            ),
            (
                "trace(offsetof(struct nosuch, x));",
                "[D_OFFSETOF_TYPE] offsetof operand must be a struct or union type",
            ),
            (
                "trace(offsetof(struct task_struct, in_execve));",
                "[D_OFFSETOF_BITFIELD] cannot take offset of a bit-field: in_execve",
            ),
            (
                "trace(offsetof(struct task_struct, NULL));",
                "[D_UNKNOWN] failed to determine offset of NULL: Member name not found",
            ),
            (
                "trace(curthread->comm[16]);",
                "[D_ARR_BOUNDS] index outside array bounds: 16, max is 16",
            ),
            (
                "printf(\"%d\", curthread);",
                "[D_PRINTF_ARG_TYPE] printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: struct task_struct *",
            ),
        ] {
            assert_eq!(
                errors_of(&format!("BEGIN {{ {body} }}")),
                [expected],
                "{body}"
            );
        }
    }

    #[test]
    fn stringof_an_action_is_stringof_void() {
        for program in [
            "BEGIN { printf(\"%s\", stringof(trace(0))); }",
            "BEGIN { trace(stringof(exit(1))); }",
        ] {
            assert_eq!(
                errors_of(program),
                ["[D_STRINGOF_TYPE] cannot apply stringof to a value of type void"],
                "{program}"
            );
        }
    }
}

//! Variables: declarations, reads, assignments and increments of globals (`x`), thread-locals
//! (`self->x`), clause-locals (`this->x`) and associative arrays (`a[k, ...]`, `self->a[k]`).
//!
//! As in libdtrace, a variable comes into being at its declaration or at the first assignment (or
//! `++`/`--`) in program order, and that fixes its type: the declared type, the assigned value's
//! type, or `int64_t` for an increment. Reading a variable before then is an error. An associative
//! array's key types are fixed the same way, by its declaration or the first subscript.
//!
//! Variables hold integers, pointers (`self->p = curthread`), strings (a `char` array such as
//! `curthread->comm` assigned to a new variable is stored as a string) and struct, union and array
//! values (`self->t = *curthread`, `this struct foo f;`, `uint8_t a[20];`), whose members and
//! elements are read and written in place (see `var_place`).

use super::Checker;
use super::string_width;
use crate::ast::{AssignOp, BinaryOp, Declarator, Expr, ExprKind, TypeName, UnaryOp, VarScope};
use crate::builtin::variable;
use crate::diagnostic::{Diagnostic, ErrTag};
use crate::ir::Variable;
use crate::source::Span;
use crate::types::{Type, TypeTable, d_typedef};

/// What sema knows about one variable while checking.
#[derive(Clone, Debug)]
pub(super) struct VarState {
    pub scope: VarScope,
    pub name: String,
    /// `None` until a declaration or an assignment gives it a type.
    pub ty: Option<Type>,
    /// Referenced with a subscript (an associative array).
    pub is_array: bool,
    /// An array's key types, once known.
    pub keys: Option<Vec<Type>>,
    /// An array's string key widths over its subscripts so far (see
    /// [`Checker::string_width`]), once subscripted.
    pub key_widths: Option<Vec<Option<u32>>>,
}

impl VarState {
    /// The variable lowering and the back end see; a variable that never got a type is an error
    /// already reported, so any type will do.
    pub(super) fn finish(self, table: &TypeTable) -> Variable {
        let ty = self.ty.unwrap_or(Type::LONG);
        let keys = self.is_array.then(|| self.keys.unwrap_or_default());
        let value_sizes =
            super::value_key::key_value_sizes(keys.as_deref().unwrap_or_default(), table);
        Variable {
            scope: self.scope,
            name: self.name,
            ty,
            key_value_sizes: match self.key_widths {
                Some(widths) if widths.len() == value_sizes.len() => {
                    string_width::first_key_sizes(value_sizes, &widths)
                }
                _ => value_sizes,
            },
            keys,
            value_size: is_aggregate(ty).then(|| table.size_of(ty, 1)).flatten(),
        }
    }

    fn kind_name(&self) -> &'static str {
        if self.is_array {
            "associative array"
        } else {
            "scalar"
        }
    }
}

/// Whether values of `ty` are struct, union or array values, which variables hold by reference.
pub(crate) fn is_aggregate(ty: Type) -> bool {
    matches!(ty, Type::Struct(_) | Type::Array(_))
}

fn is_zero_literal(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Int { value: 0, .. })
}

impl Checker<'_> {
    fn find_var(&self, scope: VarScope, name: &str) -> Option<usize> {
        self.variables
            .iter()
            .position(|var| var.scope == scope && var.name == name)
    }

    fn create_var(&mut self, scope: VarScope, name: &str, is_array: bool) -> usize {
        self.variables.push(VarState {
            scope,
            name: name.to_owned(),
            ty: None,
            is_array,
            keys: None,
            key_widths: None,
        });
        self.variables.len() - 1
    }

    /// One declarator of a variable declaration (`int x;`, `self string s;`, `string a[int];`,
    /// `this struct task_struct *t;`), whose type specifier names `base`.
    pub(super) fn var_declaration(&mut self, scope: VarScope, base: Type, declarator: &Declarator) {
        let name = &declarator.name;
        let span = declarator.span;
        if scope == VarScope::Global && variable::lookup(name).is_some() {
            let message = format!("built-in identifier redeclared: {name}");
            self.error(ErrTag::D_DECL_IDRED, span, message);
            return;
        }
        if scope == VarScope::Global && self.redeclares_function(declarator) {
            return;
        }
        if d_typedef(name).is_some() || self.scope.typedefs.contains_key(name) {
            let message = format!("typedef identifier redeclared: {name}");
            self.error(ErrTag::D_DECL_IDRED, span, message);
            return;
        }
        if declarator.keys.is_some() && scope == VarScope::ClauseLocal {
            let message =
                format!("associative arrays may not be declared as local variables: {name}");
            self.error(ErrTag::D_DECL_LOCASSC, span, message);
            return;
        }
        let Some(ty) = self.declarator_type(base, declarator) else {
            return;
        };
        if !self.storable(ty, span) {
            return;
        }
        let keys = match &declarator.keys {
            None => None,
            Some(key_names) => match self.key_types(key_names) {
                Some(keys) => Some(keys),
                None => return,
            },
        };
        let is_array = keys.is_some();
        if let Some(var_idx) = self.find_var(scope, name) {
            self.redeclaration(var_idx, ty, keys, span);
            return;
        }
        let var_idx = self.create_var(scope, name, is_array);
        self.variables[var_idx].ty = Some(ty);
        self.variables[var_idx].keys = keys;
    }

    /// Whether a variable can hold values of type `ty`; reports the types it cannot hold yet.
    fn storable(&mut self, ty: Type, span: Span) -> bool {
        if matches!(
            ty,
            Type::Int { .. } | Type::Float { size: 4 | 8 } | Type::String | Type::Pointer(_)
        ) || (is_aggregate(ty) && self.type_info.table.size_of(ty, 1).is_some())
        {
            return true;
        }
        if let Type::Struct(_) = ty {
            let message = format!(
                "incomplete struct/union/enum {}",
                self.type_info.table.name(ty)
            );
            self.error(ErrTag::D_DECL_INCOMPLETE, span, message);
            return false;
        }
        let message = format!(
            "variables of type {} are not supported yet",
            self.type_info.table.name(ty)
        );
        self.error(ErrTag::D_UNKNOWN, span, message);
        false
    }

    /// The key types of an associative array declaration; `None` once one is reported.
    fn key_types(&mut self, key_names: &[TypeName]) -> Option<Vec<Type>> {
        let mut keys = Vec::new();
        for (key_idx, key_name) in key_names.iter().enumerate() {
            let ty = self.type_name(key_name)?;
            if ty == Type::Void {
                let message = format!(
                    "array prototype may not use parameter of type void: (anonymous), parameter #{}",
                    key_idx + 1
                );
                self.error(ErrTag::D_DECL_PROTO_TYPE, key_name.span, message);
                return None;
            }
            if !self.storable(ty, key_name.span) {
                return None;
            }
            keys.push(ty);
        }
        Some(keys)
    }

    /// The name of a variable's type in messages: D's names for integers (`int64_t`), C's for the
    /// rest (`struct task_struct *`).
    fn var_type_name(&self, ty: Type) -> String {
        match ty {
            Type::Int { .. } | Type::Float { .. } | Type::String | Type::Void => {
                ty.name().to_owned()
            }
            _ => self.type_info.table.name(ty),
        }
    }

    /// Whether a value of type `value_type` may be assigned to (or used as a key of) type
    /// `var_type`: libdtrace's `dt_node_is_argcompat` for the types variables hold. A pointer
    /// takes a pointer to the same type, any pointer to or from `void *`, and the constant 0.
    pub(super) fn assignable(
        &self,
        var_type: Type,
        value_type: Type,
        value: Option<&Expr>,
    ) -> bool {
        let table = &self.type_info.table;
        let is_string = |ty: Type| ty == Type::String || table.is_char_array(ty);
        if (var_type.is_int() && value_type.is_int())
            || (is_string(var_type) && is_string(value_type))
            || (is_aggregate(var_type) && var_type == value_type)
        {
            return true;
        }
        let (Some(var_target), Some(value_target)) =
            (table.element(var_type), table.element(value_type))
        else {
            return var_type.is_pointer()
                && value_type.is_int()
                && value.is_some_and(|value| self.fold(value) == Some(0));
        };
        var_type.is_pointer()
            && (var_target == value_target
                || var_target == Type::Void
                || value_target == Type::Void)
    }

    /// A second declaration of a variable must agree with what is known of it.
    fn redeclaration(&mut self, var_idx: usize, ty: Type, keys: Option<Vec<Type>>, span: Span) {
        let var = &self.variables[var_idx];
        let current_kind = if keys.is_some() { "array" } else { "scalar" };
        let previous_ty = var
            .ty
            .map_or_else(|| "<DYN>".to_owned(), |ty| self.var_type_name(ty));
        if var.is_array != keys.is_some() || var.ty.is_some_and(|known| known != ty) {
            let message = format!(
                "identifier redeclared: {}\n\t current: {current_kind} {}\n\tprevious: {} {previous_ty}",
                var.name,
                self.var_type_name(ty),
                var.kind_name()
            );
            self.error(ErrTag::D_DECL_IDRED, span, message);
            return;
        }
        if let (Some(known), Some(keys)) = (&var.keys, &keys)
            && known != keys
        {
            let message = match known.iter().zip(keys).position(|(old, new)| old != new) {
                Some(key_idx) if known.len() == keys.len() => format!(
                    "identifier redeclared: {}\n\t current: array, key #{} of type {}\n\tprevious: array, key #{} of type {}",
                    var.name,
                    key_idx + 1,
                    self.var_type_name(keys[key_idx]),
                    key_idx + 1,
                    self.var_type_name(known[key_idx])
                ),
                _ => format!(
                    "identifier redeclared: {}\n\t current: array of {}, tuple length {}\n\tprevious: array of {previous_ty}, tuple length {}",
                    var.name,
                    self.var_type_name(ty),
                    keys.len(),
                    known.len()
                ),
            };
            self.error(ErrTag::D_DECL_IDRED, span, message);
            return;
        }
        let var = &mut self.variables[var_idx];
        var.ty = Some(ty);
        if keys.is_some() {
            var.keys = keys;
        }
    }

    /// Types a read of the global `name`, which is not a built-in variable.
    pub(super) fn global_read(&mut self, name: &str, span: Span) -> Type {
        let Some(var_idx) = self.find_var(VarScope::Global, name) else {
            let message = format!("failed to resolve {name}: Unknown variable name");
            self.error(ErrTag::D_IDENT_UNDEF, span, message);
            return Type::INT;
        };
        if self.variables[var_idx].is_array {
            self.bad_reference(var_idx, "scalar", span);
            return Type::INT;
        }
        self.defined_type(var_idx, span)
    }

    /// Types a read of `self->name` or `this->name`.
    pub(super) fn scoped_read(&mut self, scope: VarScope, name: &str, span: Span) -> Type {
        let var_idx = match self.find_var(scope, name) {
            Some(var_idx) => var_idx,
            None => self.create_var(scope, name, false),
        };
        if self.variables[var_idx].is_array {
            self.bad_reference(var_idx, "scalar", span);
            return Type::INT;
        }
        self.defined_type(var_idx, span)
    }

    /// Types a read of `base[index...]`.
    pub(super) fn index_read(&mut self, base: &Expr, index: &[Expr], expr: &Expr) -> Type {
        let Some(var_idx) = self.array(base, index, expr) else {
            return Type::INT;
        };
        self.defined_type(var_idx, expr.span)
    }

    /// The type of a variable about to be read; reading before any declaration or assignment is
    /// `D_VAR_UNDEF`.
    fn defined_type(&mut self, var_idx: usize, span: Span) -> Type {
        if let Some(ty) = self.variables[var_idx].ty {
            return ty;
        }
        let var = &self.variables[var_idx];
        let message = format!(
            "{}{} has not yet been declared or assigned",
            var.scope.prefix(),
            var.name
        );
        self.error(ErrTag::D_VAR_UNDEF, span, message);
        self.variables[var_idx].ty = Some(Type::INT);
        Type::INT
    }

    fn bad_reference(&mut self, var_idx: usize, as_kind: &str, span: Span) {
        let var = &self.variables[var_idx];
        let message = format!(
            "{} '{}' may not be referenced as {as_kind}",
            var.kind_name(),
            var.name
        );
        self.error(ErrTag::D_IDENT_BADREF, span, message);
    }

    /// Whether `base[...]` subscripts an associative array rather than indexing a pointer or an
    /// array value: `base` names a variable (or a name not yet known) that is not a scalar of
    /// pointer or array type. libdtrace's `dt_cook_op2` decides the same way.
    pub(super) fn subscripts_variable(&self, base: &Expr) -> bool {
        let (scope, name) = match &base.kind {
            ExprKind::Ident(name) if !self.names_value(name) => (VarScope::Global, name),
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name),
            ExprKind::ClauseLocal(name) => (VarScope::ClauseLocal, name),
            _ => return false,
        };
        let Some(var_idx) = self.find_var(scope, name) else {
            return true;
        };
        let var = &self.variables[var_idx];
        var.is_array
            || !var
                .ty
                .is_some_and(|ty| matches!(ty, Type::Pointer(_) | Type::Array(_)))
    }

    /// Resolves `base[index...]` to an associative array, as [`Checker::array_subscript`] does,
    /// and widens its string keys to those of `index`.
    fn array(&mut self, base: &Expr, index: &[Expr], expr: &Expr) -> Option<usize> {
        let var_idx = self.array_subscript(base, index, expr)?;
        let keys = self.variables[var_idx].keys.clone().unwrap_or_default();
        let widths: Vec<Option<u32>> = index
            .iter()
            .zip(&keys)
            .map(|(key, ty)| (*ty == Type::String).then(|| self.string_width(key))?)
            .collect();
        let var = &mut self.variables[var_idx];
        match &mut var.key_widths {
            Some(known) => string_width::merge_widths(&keys, known, &widths),
            None => var.key_widths = Some(widths),
        }
        Some(var_idx)
    }

    /// Resolves `base[index...]` to an associative array, creating it on first use, and checks
    /// the subscripts against its key types (fixing them on first use).
    fn array_subscript(&mut self, base: &Expr, index: &[Expr], expr: &Expr) -> Option<usize> {
        if !self.keys_not_translated(index, "associative array") {
            return None;
        }
        let key_types: Vec<Type> = index.iter().map(|key| self.expr(key)).collect();
        if !self.tuple_fits(index.len(), expr) {
            return None;
        }
        let (scope, name) = match &base.kind {
            ExprKind::Ident(name) if name != "args" && variable::lookup(name).is_none() => {
                (VarScope::Global, name)
            }
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name),
            ExprKind::ClauseLocal(name) => {
                let message =
                    format!("local variables may not be used as associative arrays: {name}");
                self.error(ErrTag::D_ARR_LOCAL, expr.span, message);
                return None;
            }
            _ => {
                self.unsupported(expr, "arrays");
                return None;
            }
        };
        let var_idx = match self.find_var(scope, name) {
            Some(var_idx) => var_idx,
            None => self.create_var(scope, name, true),
        };
        let var = &mut self.variables[var_idx];
        if !var.is_array {
            if scope == VarScope::ThreadLocal && var.ty.is_none() {
                var.is_array = true;
            } else {
                self.bad_reference(var_idx, "associative array", expr.span);
                return None;
            }
        }
        for (key_idx, (key, ty)) in index.iter().zip(&key_types).enumerate() {
            let by_value = self.value_key(*ty, key);
            if !ty.is_scalar()
                && *ty != Type::String
                && !self.type_info.table.is_char_array(*ty)
                && !by_value
            {
                let message = format!(
                    "{} expression may not be used as array index: key #{}",
                    self.var_type_name(*ty),
                    key_idx + 1
                );
                self.error(ErrTag::D_KEY_TYPE, key.span, message);
                return None;
            }
        }
        let Some(known) = &self.variables[var_idx].keys else {
            // A `char` array key is stored as a string.
            let key_types = key_types
                .into_iter()
                .map(|ty| {
                    if self.type_info.table.is_char_array(ty) {
                        Type::String
                    } else {
                        ty
                    }
                })
                .collect();
            self.variables[var_idx].keys = Some(key_types);
            return Some(var_idx);
        };
        let name = &self.variables[var_idx].name;
        if known.len() != key_types.len() {
            let message = format!(
                "{name}[ ] prototype mismatch: {} key{} passed, {} expected",
                key_types.len(),
                if key_types.len() == 1 { "" } else { "s" },
                known.len()
            );
            self.error(ErrTag::D_PROTO_LEN, expr.span, message);
            return None;
        }
        let mismatch = known
            .iter()
            .zip(key_types.iter().zip(index))
            .position(|(prototype, (ty, key))| !self.assignable(*prototype, *ty, Some(key)));
        if let Some(key_idx) = mismatch {
            let message = format!(
                "{name}[ ] key #{} is incompatible with prototype:\n\tprototype: {}\n\t      key: {}",
                key_idx + 1,
                self.var_type_name(known[key_idx]),
                self.var_type_name(key_types[key_idx])
            );
            self.error(ErrTag::D_PROTO_ARG, index[key_idx].span, message);
            return None;
        }
        Some(var_idx)
    }

    /// Resolves the operand of an assignment or increment to a variable, creating it if need be;
    /// reports (with `op` in the message) an operand that cannot be assigned.
    fn target(&mut self, target: &Expr, op: &str) -> Option<usize> {
        let (scope, name) = match &target.kind {
            ExprKind::Ident(name) if variable::lookup(name).is_some() || name.contains('`') => {
                let message = format!("operator {op} can only be applied to a writable variable");
                self.error(ErrTag::D_OP_WRITE, target.span, message);
                return None;
            }
            ExprKind::Ident(name) => (VarScope::Global, name),
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name),
            ExprKind::ClauseLocal(name) => (VarScope::ClauseLocal, name),
            ExprKind::Index { base, .. } if !self.subscripts_variable(base) => {
                self.unsupported(target, "assignments through pointers");
                return None;
            }
            ExprKind::Index { base, index } => {
                let var_idx = self.array(base, index, target)?;
                self.types
                    .insert(target.span, self.variables[var_idx].ty.unwrap_or(Type::INT));
                return Some(var_idx);
            }
            ExprKind::Member { .. } => {
                self.unsupported(target, "assignments to struct members");
                return None;
            }
            ExprKind::Unary {
                op: UnaryOp::Deref, ..
            } => {
                self.unsupported(target, "assignments through pointers");
                return None;
            }
            _ => {
                let message = format!("operator {op} requires modifiable lvalue as an operand");
                self.error(ErrTag::D_OP_LVAL, target.span, message);
                return None;
            }
        };
        let var_idx = match self.find_var(scope, name) {
            Some(var_idx) => var_idx,
            None => self.create_var(scope, name, false),
        };
        if self.variables[var_idx].is_array {
            self.bad_reference(var_idx, "scalar", target.span);
            return None;
        }
        Some(var_idx)
    }

    /// Types `target op= value` for a target that is not an aggregation.
    pub(super) fn assign(&mut self, op: AssignOp, target: &Expr, value: &Expr) -> Type {
        let symbol = match op {
            AssignOp::Assign => "=".to_owned(),
            AssignOp::Compound(binary_op) => format!("{}=", binary_op.symbol()),
        };
        let through_pointer = match &target.kind {
            ExprKind::Index { base, .. } => !self.subscripts_variable(base),
            ExprKind::Member { .. }
            | ExprKind::Unary {
                op: UnaryOp::Deref, ..
            } => true,
            _ => false,
        };
        if through_pointer {
            self.expr(target);
            if self.alloca_place(target) {
                return self.alloca_store(op, target, value);
            }
            if self.var_place(target) {
                return self.var_place_store(op, target, value);
            }
            // Kernel memory is never written. As in libdtrace, a place reached through a D
            // variable is writable as far as the language goes (the verifier refuses the store
            // there, so it is reported after any other error); any other is not.
            self.expr(value);
            let message = format!("operator {symbol} can only be applied to a writable variable");
            let diagnostic = Diagnostic::error(ErrTag::D_OP_WRITE, target.span, message);
            if self.writable_root(target) {
                self.kernel_writes.push(diagnostic);
            } else {
                self.errors.push(diagnostic);
            }
            return self.types.get(target.span);
        }
        let var_idx = self.target(target, &symbol);
        // As libdtrace cooks the left operand of a compound assignment first, a variable read
        // before it has a value is reported before anything wrong with the right operand.
        if let (AssignOp::Compound(_), Some(var_idx)) = (op, var_idx) {
            self.defined_type(var_idx, target.span);
        }
        let value_type = self.expr(value);
        let Some(var_idx) = var_idx else {
            return value_type;
        };
        let var_type = match (op, self.variables[var_idx].ty) {
            (AssignOp::Assign, None) => {
                let ty = match value_type {
                    Type::Void => Type::INT,
                    ty if self.type_info.table.is_char_array(ty) => Type::String,
                    ty => ty,
                };
                self.variables[var_idx].ty = Some(ty);
                if !self.storable(ty, target.span.to(value.span)) {
                    self.types.insert(target.span, ty);
                    return ty;
                }
                ty
            }
            (AssignOp::Compound(_), None) => self.defined_type(var_idx, target.span),
            (_, Some(ty)) => ty,
        };
        self.types.insert(target.span, var_type);
        if self.type_info.table.array(var_type).is_some()
            && !self.type_info.table.is_char_array(var_type)
        {
            let message = format!(
                "operator {symbol} may not be applied to operand of type \"{}\"",
                self.var_type_name(var_type)
            );
            self.error(ErrTag::D_OP_ARRFUN, target.span, message);
            return var_type;
        }
        let is_dynamic = self.variables[var_idx].is_array
            || self.variables[var_idx].scope == VarScope::ThreadLocal;
        let incompatible = |checker: &mut Checker<'_>| {
            let message = format!(
                "operands have incompatible types: \"{}\" {symbol} \"{}\"",
                checker.var_type_name(var_type),
                checker.var_type_name(value_type)
            );
            checker.error(ErrTag::D_OP_INCOMPAT, target.span.to(value.span), message);
        };
        if op == AssignOp::Assign && !self.variables[var_idx].is_array {
            self.alloca_assignment(target, value);
        }
        match op {
            AssignOp::Assign => {
                let deletes = is_dynamic && is_zero_literal(value);
                if !self.assignable(var_type, value_type, Some(value)) && !deletes {
                    incompatible(self);
                }
            }
            AssignOp::Compound(BinaryOp::Add | BinaryOp::Sub) => {
                // A pointer steps by the size of what it points to, as `++` does.
                let steps = self
                    .type_info
                    .table
                    .pointee(var_type)
                    .is_some_and(|target| self.type_info.table.size_of(target, 1).is_some());
                let strings = var_type == Type::String || value_type == Type::String;
                let integers = var_type.is_int() && value_type.is_int();
                // As in libdtrace, strings are checked first, then the left operand.
                if !(strings || integers || steps) {
                    let message = format!(
                        "operator {symbol} requires left-hand scalar operand of known size"
                    );
                    self.error(ErrTag::D_OP_VFPTR, target.span.to(value.span), message);
                } else if strings || !value_type.is_int() {
                    incompatible(self);
                }
            }
            AssignOp::Compound(BinaryOp::Mul | BinaryOp::Div) => {
                if !var_type.is_int() || !value_type.is_int() {
                    let message = format!("operator {symbol} requires operands of arithmetic type");
                    self.error(ErrTag::D_OP_ARITH, target.span.to(value.span), message);
                }
            }
            AssignOp::Compound(_) => {
                if !var_type.is_int() || !value_type.is_int() {
                    let message = format!("operator {symbol} requires operands of integral type");
                    self.error(ErrTag::D_OP_INT, target.span.to(value.span), message);
                }
            }
        }
        var_type
    }

    /// Types `++x`, `x++`, `--x`, `x--`; a new variable becomes an `int64_t`. A pointer steps by
    /// the size of what it points to.
    pub(super) fn increment(&mut self, op: UnaryOp, operand: &Expr) -> Type {
        let symbol = if matches!(op, UnaryOp::PreInc | UnaryOp::PostInc) {
            "++"
        } else {
            "--"
        };
        let in_memory = match &operand.kind {
            ExprKind::Member { .. }
            | ExprKind::Unary {
                op: UnaryOp::Deref, ..
            } => true,
            ExprKind::Index { base, .. } => !self.subscripts_variable(base),
            _ => false,
        };
        if in_memory {
            let ty = self.expr(operand);
            if self.var_place(operand) {
                let op = AssignOp::Compound(BinaryOp::Add);
                return self.var_place_stored(op, operand, Type::INT, None);
            }
            if self.alloca_place(operand) {
                if !ty.is_scalar() {
                    let message = format!("operator {symbol} requires operand of scalar type");
                    self.error(ErrTag::D_OP_SCALAR, operand.span, message);
                }
                return ty;
            }
            let message = format!("operator {symbol} can only be applied to a writable variable");
            let diagnostic = Diagnostic::error(ErrTag::D_OP_WRITE, operand.span, message);
            if self.writable_root(operand) {
                self.kernel_writes.push(diagnostic);
            } else {
                self.errors.push(diagnostic);
            }
            return ty;
        }
        let Some(var_idx) = self.target(operand, symbol) else {
            return Type::INT;
        };
        let ty = *self.variables[var_idx].ty.get_or_insert(Type::LONG);
        self.types.insert(operand.span, ty);
        let steps = ty.is_int()
            || self
                .type_info
                .table
                .pointee(ty)
                .is_some_and(|target| self.type_info.table.size_of(target, 1).is_some());
        if !steps {
            let message = format!("operator {symbol} requires operand of scalar type");
            self.error(ErrTag::D_OP_SCALAR, operand.span, message);
            return Type::INT;
        }
        ty
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::{ErrTag, Origin};
    use crate::ir::Variable;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn compile_text(text: &str) -> Result<Vec<Variable>, Vec<(ErrTag, String)>> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        compile(
            &sources,
            &[(file, Origin::Script)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
        .map(|compiled| compiled.module.variables)
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|error| (error.tag, error.message))
                .collect()
        })
    }

    /// The variables of a program that must compile, as `name type [keys]`.
    fn variables(text: &str) -> Vec<String> {
        let variables = compile_text(text).unwrap_or_else(|errors| panic!("{text}: {errors:?}"));
        variables
            .iter()
            .map(|var| {
                let keys = var.keys.as_ref().map_or(String::new(), |keys| {
                    let names: Vec<&str> = keys.iter().map(|ty| ty.name()).collect();
                    format!(" [{}]", names.join(", "))
                });
                format!("{} {}{keys}", var.display_name(), var.ty.name())
            })
            .collect()
    }

    /// The first error of a program that must not compile.
    fn error(text: &str) -> (ErrTag, String) {
        match compile_text(text) {
            Ok(variables) => panic!("{text} compiled: {variables:?}"),
            Err(errors) => errors[0].clone(),
        }
    }

    #[test]
    fn first_assignment_fixes_the_type() {
        assert_eq!(
            variables(
                "BEGIN { x = 1; s = execname; self->ts = timestamp; this->c = 'a'; a[pid, \"k\"] = arg0; }"
            ),
            [
                "x int",
                "s string",
                "self->ts uint64_t",
                "this->c int",
                "a[] int64_t [int, string]"
            ]
        );
        assert_eq!(
            variables("BEGIN { x = 1; } END { x = timestamp; trace(x); }"),
            ["x int"]
        );
    }

    #[test]
    fn declarations_fix_the_type() {
        assert_eq!(
            variables(
                "uint64_t t; self string s; this char c; self x; string names[int];\nBEGIN { t = 1; }"
            ),
            [
                "t uint64_t",
                "self->s string",
                "this->c char",
                "self->x int",
                "names[] string [int]"
            ]
        );
        assert_eq!(variables("int x; int x;\nBEGIN { trace(x); }"), ["x int"]);
    }

    #[test]
    fn variables_hold_pointers_and_char_arrays_as_strings() {
        assert_eq!(
            variables(
                "self struct task_struct *t; this int *p; self u32 *w[pid_t];\nBEGIN { self->t = curthread; self->t = 0; x = curthread->real_parent; x = NULL; c = curthread->comm; k[curthread->comm] = 1; k[\"init\"]++; this->p = (int *)0; this->p++; self->w[pid] = (void *)0; }"
            ),
            [
                "self->t pointer",
                "this->p pointer",
                "self->w[] pointer [int]",
                "x pointer",
                "c string",
                "k[] int [string]"
            ]
        );
    }

    #[test]
    fn subscripts_of_pointer_variables_index_memory() {
        assert_eq!(
            variables("BEGIN { this->p = curthread; self->pid = this->p[0].pid; }"),
            ["this->p pointer", "self->pid int"]
        );
        assert_eq!(
            error("BEGIN { this->p = curthread; this->p[0] = *curthread; }"),
            (
                ErrTag::D_OP_WRITE,
                "operator = can only be applied to a writable variable".to_owned()
            )
        );
    }

    #[test]
    fn increments_create_int64_variables() {
        assert_eq!(
            variables("BEGIN { x++; --self->y; this->z++; a[1]++; self->b[\"k\"]--; }"),
            [
                "x int64_t",
                "self->y int64_t",
                "this->z int64_t",
                "a[] int64_t [int]",
                "self->b[] int64_t [string]"
            ]
        );
    }

    #[test]
    fn assignments_are_expressions() {
        assert_eq!(
            variables("BEGIN { x = y = 2; old = a[\"a\"] = 42; s = t = \"str\"; }"),
            [
                "x int",
                "y int",
                "old int",
                "a[] int [string]",
                "s string",
                "t string"
            ]
        );
    }

    #[test]
    fn storing_zero_in_a_dynamic_string_deletes_it() {
        assert_eq!(
            variables("BEGIN { self->s = execname; self->s = 0; a[1] = \"x\"; a[1] = 0; }"),
            ["self->s string", "a[] string [int]"]
        );
        assert_eq!(
            error("BEGIN { s = execname; s = 0; }"),
            (
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"string\" = \"int\"".to_owned()
            )
        );
    }

    #[test]
    fn type_mismatches_use_libdtrace_messages() {
        for (text, tag, message) in [
            (
                "int x;\nBEGIN { x = \"dummy\"; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int\" = \"string\"",
            ),
            (
                "BEGIN { self->x = pid; self->x = execname; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int\" = \"string\"",
            ),
            (
                "this int x;\nBEGIN { this->x = \"dummy\"; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int\" = \"string\"",
            ),
            (
                "BEGIN { s = execname; s += 1; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"string\" += \"int\"",
            ),
            (
                "int p;\nBEGIN { p -= (void *)alloca(10); }",
                ErrTag::D_OP_VFPTR,
                "operator -= requires left-hand scalar operand of known size",
            ),
            (
                "BEGIN { p = (void *)0; p += 1; }",
                ErrTag::D_OP_VFPTR,
                "operator += requires left-hand scalar operand of known size",
            ),
            (
                "BEGIN { p = (int *)0; p += (int *)0; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int *\" += \"int *\"",
            ),
            (
                "BEGIN { x = 1; x -= execname; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int\" -= \"string\"",
            ),
            (
                "BEGIN { s = execname; s *= 2; }",
                ErrTag::D_OP_ARITH,
                "operator *= requires operands of arithmetic type",
            ),
            (
                "BEGIN { x = 1; x <<= execname; }",
                ErrTag::D_OP_INT,
                "operator <<= requires operands of integral type",
            ),
            (
                "BEGIN { s = execname; s++; }",
                ErrTag::D_OP_SCALAR,
                "operator ++ requires operand of scalar type",
            ),
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
        }
    }

    #[test]
    fn reads_before_assignment_are_errors() {
        for (text, tag, message) in [
            (
                "BEGIN { trace(x); } END { x = 1; }",
                ErrTag::D_IDENT_UNDEF,
                "failed to resolve x: Unknown variable name",
            ),
            (
                "BEGIN { trace(self->x); }",
                ErrTag::D_VAR_UNDEF,
                "self->x has not yet been declared or assigned",
            ),
            (
                "BEGIN { trace(this->x); }",
                ErrTag::D_VAR_UNDEF,
                "this->x has not yet been declared or assigned",
            ),
            (
                "BEGIN { trace(a[1]); }",
                ErrTag::D_VAR_UNDEF,
                "a has not yet been declared or assigned",
            ),
            (
                "BEGIN { self->x += 1; }",
                ErrTag::D_VAR_UNDEF,
                "self->x has not yet been declared or assigned",
            ),
            (
                "BEGIN { p -= trace(0); }",
                ErrTag::D_VAR_UNDEF,
                "p has not yet been declared or assigned",
            ),
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
        }
    }

    #[test]
    fn arrays_are_not_assigned_whole() {
        for (text, message) in [
            (
                "int a[3]; int b[3]; BEGIN { b = a; }",
                "operator = may not be applied to operand of type \"int [3]\"",
            ),
            (
                "int a[3]; BEGIN { a += 1; }",
                "operator += may not be applied to operand of type \"int [3]\"",
            ),
        ] {
            assert_eq!(
                error(text),
                (ErrTag::D_OP_ARRFUN, message.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn keys_follow_the_first_use() {
        for (text, tag, message) in [
            (
                "BEGIN { x[123, 456] = 1; } END { x[123] = 2; }",
                ErrTag::D_PROTO_LEN,
                "x[ ] prototype mismatch: 1 key passed, 2 expected",
            ),
            (
                "BEGIN { x[123, 456] = 1; } END { x[1, 2, 3] = 2; }",
                ErrTag::D_PROTO_LEN,
                "x[ ] prototype mismatch: 3 keys passed, 2 expected",
            ),
            (
                "BEGIN { x[123, \"foo\"] = 1; } END { x[123, 456] = 2; }",
                ErrTag::D_PROTO_ARG,
                "x[ ] key #2 is incompatible with prototype:\n\tprototype: string\n\t      key: int",
            ),
            (
                "BEGIN { this->x[1] = 1; }",
                ErrTag::D_ARR_LOCAL,
                "local variables may not be used as associative arrays: x",
            ),
            (
                "BEGIN { x = 1; x[1] = 2; }",
                ErrTag::D_IDENT_BADREF,
                "scalar 'x' may not be referenced as associative array",
            ),
            (
                "BEGIN { x[1] = 1; trace(x); }",
                ErrTag::D_IDENT_BADREF,
                "associative array 'x' may not be referenced as scalar",
            ),
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
        }
    }

    #[test]
    fn bad_targets_and_declarations() {
        for (text, tag, message) in [
            (
                "BEGIN { 1 = 2; }",
                ErrTag::D_OP_LVAL,
                "operator = requires modifiable lvalue as an operand",
            ),
            (
                "BEGIN { pid++; }",
                ErrTag::D_OP_WRITE,
                "operator ++ can only be applied to a writable variable",
            ),
            (
                "int x;\nchar x;\nBEGIN { x = 1; }",
                ErrTag::D_DECL_IDRED,
                "identifier redeclared: x\n\t current: scalar char\n\tprevious: scalar int",
            ),
            (
                "int pid;\nBEGIN { }",
                ErrTag::D_DECL_IDRED,
                "built-in identifier redeclared: pid",
            ),
            (
                "this int a[int];\nBEGIN { }",
                ErrTag::D_DECL_LOCASSC,
                "associative arrays may not be declared as local variables: a",
            ),
            (
                "struct s;\nstruct s v;\nBEGIN { }",
                ErrTag::D_DECL_INCOMPLETE,
                "incomplete struct/union/enum struct s",
            ),
            (
                "int x[void, char];\nBEGIN { }",
                ErrTag::D_DECL_PROTO_TYPE,
                "array prototype may not use parameter of type void: (anonymous), parameter #1",
            ),
            (
                "BEGIN { x = 1; x = curthread; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"int\" = \"struct task_struct *\"",
            ),
            (
                "BEGIN { this->p = curthread; this->p = (char *)0 + 1; }",
                ErrTag::D_OP_INCOMPAT,
                "operands have incompatible types: \"struct task_struct *\" = \"char *\"",
            ),
            (
                "BEGIN { a[1] = 2; trace(&a[1]); }",
                ErrTag::D_ADDROF_VAR,
                "cannot take address of dynamic variable",
            ),
            (
                "typedef int t;\nint t;\nBEGIN { }",
                ErrTag::D_DECL_IDRED,
                "typedef identifier redeclared: t",
            ),
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
        }
    }
}

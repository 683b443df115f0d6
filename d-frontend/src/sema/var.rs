//! Variables: declarations, reads, assignments and increments of globals (`x`), thread-locals
//! (`self->x`), clause-locals (`this->x`) and associative arrays (`a[k, ...]`, `self->a[k]`).
//!
//! As in libdtrace, a variable comes into being at its declaration or at the first assignment (or
//! `++`/`--`) in program order, and that fixes its type: the declared type, the assigned value's
//! type, or `int64_t` for an increment. Reading a variable before then is an error. An associative
//! array's key types are fixed the same way, by its declaration or the first subscript.

use super::Checker;
use crate::ast::{self, AssignOp, BinaryOp, Expr, ExprKind, UnaryOp, VarScope};
use crate::builtin::{typedef, variable};
use crate::diagnostic::ErrTag;
use crate::ir::Variable;
use crate::source::Span;
use crate::types::Type;

/// The most keys an associative array may have (libdtrace's tuple registers allow nine).
const MAX_KEYS: usize = 9;

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
}

impl VarState {
    /// The variable lowering and the back end see; a variable that never got a type is an error
    /// already reported, so any type will do.
    pub(super) fn finish(self) -> Variable {
        Variable {
            scope: self.scope,
            name: self.name,
            ty: self.ty.unwrap_or(Type::LONG),
            keys: self.is_array.then(|| self.keys.unwrap_or_default()),
        }
    }

    fn kind_name(&self) -> &'static str {
        if self.is_array { "array" } else { "scalar" }
    }
}

/// Whether two types may be assigned to each other (libdtrace's `dt_node_is_argcompat` for the
/// types this compiler has).
fn compatible(lhs: Type, rhs: Type) -> bool {
    (lhs.is_int() && rhs.is_int()) || (lhs == Type::String && rhs == Type::String)
}

fn is_zero_literal(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Int { value: 0, .. })
}

impl Checker {
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
        });
        self.variables.len() - 1
    }

    /// A declaration item: `int x;`, `self string s;`, `string a[int];`.
    pub(super) fn var_decl(&mut self, decl: &ast::VarDecl) {
        let name = &decl.name;
        if decl.scope == VarScope::Global && variable::lookup(name).is_some() {
            let message = format!("built-in identifier redeclared: {name}");
            self.error(ErrTag::D_DECL_IDRED, decl.span, message);
            return;
        }
        if typedef::lookup(name).is_some() {
            let message = format!("typedef identifier redeclared: {name}");
            self.error(ErrTag::D_DECL_IDRED, decl.span, message);
            return;
        }
        if decl.keys.is_some() && decl.scope == VarScope::ClauseLocal {
            let message =
                format!("associative arrays may not be declared as local variables: {name}");
            self.error(ErrTag::D_DECL_LOCASSC, decl.span, message);
            return;
        }
        let ty = match &decl.ty {
            None => Type::INT,
            Some(type_name) => match self.declared_type(type_name) {
                Some(ty) => ty,
                None => return,
            },
        };
        let keys = match &decl.keys {
            None => None,
            Some(key_names) => {
                let keys: Option<Vec<Type>> = key_names
                    .iter()
                    .map(|key| self.declared_type(key))
                    .collect();
                let Some(keys) = keys else {
                    return;
                };
                Some(keys)
            }
        };
        let is_array = keys.is_some();
        if let Some(var_idx) = self.find_var(decl.scope, name) {
            self.redeclaration(var_idx, ty, keys, decl.span);
            return;
        }
        let var_idx = self.create_var(decl.scope, name, is_array);
        self.variables[var_idx].ty = Some(ty);
        self.variables[var_idx].keys = keys;
    }

    /// The integer or string type a declaration names; other types are reported.
    fn declared_type(&mut self, type_name: &ast::TypeName) -> Option<Type> {
        let resolved = typedef::resolve(&type_name.words).filter(|_| type_name.pointer_depth == 0);
        if resolved.is_none() {
            let stars = "*".repeat(type_name.pointer_depth as usize);
            let message = format!(
                "variables of type {}{stars} are not supported yet",
                type_name.words.join(" ")
            );
            self.error(ErrTag::D_UNKNOWN, type_name.span, message);
        }
        resolved
    }

    /// A second declaration of a variable must agree with what is known of it.
    fn redeclaration(&mut self, var_idx: usize, ty: Type, keys: Option<Vec<Type>>, span: Span) {
        let var = &self.variables[var_idx];
        let current_kind = if keys.is_some() { "array" } else { "scalar" };
        let previous_ty = var.ty.map_or("<DYN>", Type::name);
        if var.is_array != keys.is_some() || var.ty.is_some_and(|known| known != ty) {
            let message = format!(
                "identifier redeclared: {}\n\t current: {current_kind} {}\n\tprevious: {} {previous_ty}",
                var.name,
                ty.name(),
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
                    keys[key_idx].name(),
                    key_idx + 1,
                    known[key_idx].name()
                ),
                _ => format!(
                    "identifier redeclared: {}\n\t current: array of {}, tuple length {}\n\tprevious: array of {previous_ty}, tuple length {}",
                    var.name,
                    ty.name(),
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

    /// Resolves `base[index...]` to an associative array, creating it on first use, and checks
    /// the subscripts against its key types (fixing them on first use).
    fn array(&mut self, base: &Expr, index: &[Expr], expr: &Expr) -> Option<usize> {
        let key_types: Vec<Type> = index.iter().map(|key| self.expr(key)).collect();
        if index.len() > MAX_KEYS {
            let message = "Insufficient tuple registers to generate code";
            self.error(ErrTag::D_UNKNOWN, expr.span, message);
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
                self.bad_reference(var_idx, "array", expr.span);
                return None;
            }
        }
        for (key_idx, (key, ty)) in index.iter().zip(&key_types).enumerate() {
            if !ty.is_int() && *ty != Type::String {
                let message = format!(
                    "{} expression may not be used as array index: key #{}",
                    ty.name(),
                    key_idx + 1
                );
                self.error(ErrTag::D_KEY_TYPE, key.span, message);
                return None;
            }
        }
        let Some(known) = &self.variables[var_idx].keys else {
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
            .zip(&key_types)
            .position(|(prototype, key)| !compatible(*prototype, *key));
        if let Some(key_idx) = mismatch {
            let message = format!(
                "{name}[ ] key #{} is incompatible with prototype:\n\tprototype: {}\n\t      key: {}",
                key_idx + 1,
                known[key_idx].name(),
                key_types[key_idx].name()
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
            ExprKind::Ident(name) if variable::lookup(name).is_some() => {
                let message = format!("operator {op} can only be applied to a writable variable");
                self.error(ErrTag::D_OP_WRITE, target.span, message);
                return None;
            }
            ExprKind::Ident(name) => (VarScope::Global, name),
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name),
            ExprKind::ClauseLocal(name) => (VarScope::ClauseLocal, name),
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
        let var_idx = self.target(target, &symbol);
        let value_type = self.expr(value);
        let Some(var_idx) = var_idx else {
            return value_type;
        };
        let var_type = match (op, self.variables[var_idx].ty) {
            (AssignOp::Assign, None) => {
                let ty = if value_type == Type::Void {
                    Type::INT
                } else {
                    value_type
                };
                self.variables[var_idx].ty = Some(ty);
                ty
            }
            (AssignOp::Compound(_), None) => self.defined_type(var_idx, target.span),
            (_, Some(ty)) => ty,
        };
        self.types.insert(target.span, var_type);
        let is_dynamic = self.variables[var_idx].is_array
            || self.variables[var_idx].scope == VarScope::ThreadLocal;
        let incompatible = |checker: &mut Checker| {
            let message = format!(
                "operands have incompatible types: \"{}\" {symbol} \"{}\"",
                var_type.name(),
                value_type.name()
            );
            checker.error(ErrTag::D_OP_INCOMPAT, target.span.to(value.span), message);
        };
        match op {
            AssignOp::Assign => {
                let deletes = is_dynamic && is_zero_literal(value);
                if !compatible(var_type, value_type) && !deletes {
                    incompatible(self);
                }
            }
            AssignOp::Compound(BinaryOp::Add | BinaryOp::Sub) => {
                if !var_type.is_int() || !value_type.is_int() {
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

    /// Types `++x`, `x++`, `--x`, `x--`; a new variable becomes an `int64_t`.
    pub(super) fn increment(&mut self, op: UnaryOp, operand: &Expr) -> Type {
        let symbol = if matches!(op, UnaryOp::PreInc | UnaryOp::PostInc) {
            "++"
        } else {
            "--"
        };
        let Some(var_idx) = self.target(operand, symbol) else {
            return Type::INT;
        };
        let ty = *self.variables[var_idx].ty.get_or_insert(Type::LONG);
        self.types.insert(operand.span, ty);
        if !ty.is_int() {
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
                "this->c char",
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
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
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
                "scalar 'x' may not be referenced as array",
            ),
            (
                "BEGIN { x[1] = 1; trace(x); }",
                ErrTag::D_IDENT_BADREF,
                "array 'x' may not be referenced as scalar",
            ),
            (
                "BEGIN { x[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] = 1; }",
                ErrTag::D_UNKNOWN,
                "Insufficient tuple registers to generate code",
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
                "double d;\nBEGIN { }",
                ErrTag::D_UNKNOWN,
                "variables of type double are not supported yet",
            ),
        ] {
            assert_eq!(error(text), (tag, message.to_owned()), "{text}");
        }
    }
}

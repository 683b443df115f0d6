//! `inline` definitions: names that stand for an expression of a declared type, and inline arrays
//! whose keys are parameters of the expression (`inline int add[int x, int y] = x + y;`).
//!
//! As in libdtrace's `dt_node_inline`, a name already known as a global identifier (a variable,
//! a function, another inline) cannot be redefined, the value is typed once at the definition
//! (where the inline is not yet in scope, so it cannot refer to itself), and it must convert to the
//! declared type as an argument does. Each use is expanded by lowering; an inline array's use binds
//! its subscripts to the parameters, the way a translator's input is bound (see `translate`).

use super::Checker;
use super::scope::{Binder, Inline, ParamRef};
use super::translate::Translated;
use crate::ast::{Declarator, Expr, VarScope};
use crate::builtin::function::{self, FunctionKind};
use crate::builtin::{constant, subr, variable};
use crate::diagnostic::ErrTag;
use crate::source::Span;
use crate::types::Type;

impl Checker<'_> {
    /// One declarator of an `inline` declaration, whose specifier names `base`.
    pub(super) fn inline_declaration(&mut self, base: Type, declarator: &Declarator) {
        let name = &declarator.name;
        if let Some(previous) = self.global_identifier_kind(name) {
            let message = format!(
                "identifier redefined: {name}\n\t current: inline definition\n\tprevious: {previous}"
            );
            self.error(ErrTag::D_DECL_IDRED, declarator.span, message);
            return;
        }
        let Some(value) = &declarator.init else {
            self.error(
                ErrTag::D_SYNTAX,
                declarator.span,
                format!("inline {name} requires a value after ="),
            );
            return;
        };
        let Some(ty) = self.declarator_type(base, declarator) else {
            return;
        };
        if !self.inline_type_complete(ty, declarator) {
            return;
        }
        let Some(params) = self.inline_params(declarator) else {
            return;
        };
        let inline_idx = self.type_info.inlines.len();
        let n_outer = self.scope.params.len();
        for (index, (param_name, param_type)) in params.iter().enumerate() {
            if let Some(param_name) = param_name {
                let param = ParamRef {
                    binder: Binder::Inline(inline_idx),
                    index,
                };
                self.scope
                    .params
                    .push((param_name.clone(), *param_type, param));
            }
        }
        let (value_type, translator) = match self.translated(value) {
            Translated::No => (self.expr(value), None),
            Translated::Yes { ty, translator } => (ty, Some(translator)),
            Translated::Failed => {
                self.scope.params.truncate(n_outer);
                return;
            }
        };
        self.scope.params.truncate(n_outer);
        if let Some(translator) = translator
            && !self.translation_matches(name, ty, translator, value.span)
        {
            return;
        }
        if !(ty == value_type || self.assignable(ty, value_type, Some(value))) {
            let table = &self.type_info.table;
            let message = format!(
                "inline {name} definition uses incompatible types: \"{}\" = \"{}\"",
                table.name(ty),
                table.name(value_type)
            );
            self.error(ErrTag::D_OP_INCOMPAT, value.span, message);
            return;
        }
        let constant = match ty {
            Type::Int { size, signed } if params.is_empty() => self
                .fold(value)
                .map(|folded| super::consteval::normalize(folded, size, signed)),
            _ => None,
        };
        self.type_info.inlines.push(Inline {
            name: name.clone(),
            ty,
            value: value.clone(),
            constant,
            params: params.iter().map(|(_, param_type)| *param_type).collect(),
        });
        self.scope.inlines.insert(name.clone(), inline_idx);
    }

    /// Whether an inline of type `ty` may stand for a translation by `translator`: libdtrace wants
    /// the inline's type (or the type it points to) to be exactly the translator's output, and
    /// names those two types when it is not.
    fn translation_matches(&mut self, name: &str, ty: Type, translator: usize, span: Span) -> bool {
        let table = &self.type_info.table;
        let declared = table.pointee(ty).unwrap_or(ty);
        let output = self.type_info.translators[translator].output;
        if declared == output {
            return true;
        }
        let message = format!(
            "inline {name} definition uses incompatible types: \"{}\" = \"{}\"",
            table.name(declared),
            table.name(output)
        );
        self.error(ErrTag::D_OP_INCOMPAT, span, message);
        false
    }

    /// How libdtrace names what `name` already is among the global identifiers (`scalar inline`,
    /// `function `), or `None` when it is free for an inline.
    fn global_identifier_kind(&self, name: &str) -> Option<String> {
        if let Some(&inline_idx) = self.scope.inlines.get(name) {
            let kind = if self.type_info.inlines[inline_idx].params.is_empty() {
                "scalar"
            } else {
                "associative array"
            };
            return Some(format!("{kind} inline"));
        }
        if name == "NULL" || constant::lookup(name).is_some() {
            return Some("scalar inline".to_owned());
        }
        if variable::lookup(name).is_some() {
            return Some("scalar ".to_owned());
        }
        if subr::lookup(name).is_some() {
            return Some("function ".to_owned());
        }
        if let Some(function) = function::lookup(name) {
            return Some(match function.kind {
                FunctionKind::Aggregating(_) => "aggregating function ".to_owned(),
                _ => "tracing function ".to_owned(),
            });
        }
        if self.scope.enumerators.contains_key(name) {
            return Some("enumerator ".to_owned());
        }
        let var = self
            .variables
            .iter()
            .find(|var| var.scope == VarScope::Global && var.name == name)?;
        Some(if var.is_array {
            "associative array ".to_owned()
        } else {
            "scalar ".to_owned()
        })
    }

    /// Whether an inline may have type `ty`: not `void`, and not a struct only declared.
    fn inline_type_complete(&mut self, ty: Type, declarator: &Declarator) -> bool {
        let name = &declarator.name;
        if ty == Type::Void {
            self.error(
                ErrTag::D_DECL_VOIDOBJ,
                declarator.span,
                format!("cannot declare void inline: {name}"),
            );
            return false;
        }
        if let Type::Struct(id) = ty {
            let def = self.type_info.table.struct_def(id);
            if def.members.is_none() && def.kernel.is_none() {
                let type_name = self.type_info.table.name(ty);
                self.error(
                    ErrTag::D_DECL_INCOMPLETE,
                    declarator.span,
                    format!("incomplete struct/union/enum {type_name}: {name}"),
                );
                return false;
            }
        }
        true
    }

    /// An inline array's parameters (name, if given, and type); none for a scalar inline.
    fn inline_params(&mut self, declarator: &Declarator) -> Option<Vec<(Option<String>, Type)>> {
        let Some(keys) = &declarator.keys else {
            return Some(Vec::new());
        };
        let mut params = Vec::new();
        for (key_idx, key) in keys.iter().enumerate() {
            let ty = self.type_name(key)?;
            let name = declarator
                .key_names
                .get(key_idx)
                .cloned()
                .flatten()
                .map(|(name, _)| name);
            params.push((name, ty));
        }
        Some(params)
    }

    /// The type of a parameter named `name` in scope, recording the use; `None` when no parameter
    /// has that name.
    pub(super) fn param_use(&mut self, name: &str, span: Span) -> Option<Type> {
        let &(_, ty, param) = self
            .scope
            .params
            .iter()
            .rev()
            .find(|(param_name, _, _)| param_name == name)?;
        self.type_info.param_uses.insert(span, param);
        Some(ty)
    }

    /// The inline array `base` names, if it names one.
    pub(super) fn inline_array(&self, base: &Expr) -> Option<usize> {
        let crate::ast::ExprKind::Ident(name) = &base.kind else {
            return None;
        };
        if self.scope.params.iter().any(|(param, _, _)| param == name) {
            return None;
        }
        let &inline_idx = self.scope.inlines.get(name)?;
        (!self.type_info.inlines[inline_idx].params.is_empty()).then_some(inline_idx)
    }

    /// Types `name[args...]` for the inline array `inline_idx`: the arguments must match its
    /// parameters as an associative array's keys match its prototype.
    pub(super) fn inline_call(&mut self, inline_idx: usize, args: &[Expr], expr: &Expr) -> Type {
        let arg_types: Vec<Type> = args.iter().map(|arg| self.expr(arg)).collect();
        let inline = &self.type_info.inlines[inline_idx];
        let (name, ty, params) = (inline.name.clone(), inline.ty, inline.params.clone());
        if params.len() != args.len() {
            let message = format!(
                "{name}[ ] prototype mismatch: {} arg{} passed, {} expected",
                args.len(),
                if args.len() == 1 { "" } else { "s" },
                params.len()
            );
            self.error(ErrTag::D_PROTO_LEN, expr.span, message);
            return ty;
        }
        for (arg_idx, ((arg, arg_type), param_type)) in
            args.iter().zip(&arg_types).zip(&params).enumerate()
        {
            if !self.assignable(*param_type, *arg_type, Some(arg)) {
                let table = &self.type_info.table;
                let message = format!(
                    "{name}[ ] argument #{} is incompatible with prototype:\n\tprototype: {}\n\t argument: {}",
                    arg_idx + 1,
                    table.name(*param_type),
                    table.name(*arg_type)
                );
                self.error(ErrTag::D_PROTO_ARG, arg.span, message);
            }
        }
        self.type_info.inline_calls.insert(expr.span, inline_idx);
        ty
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, constants_of, errors_of};
    use crate::ir::Inst;

    #[test]
    fn redefinitions_name_what_the_identifier_was() {
        for (program, previous) in [
            ("inline int f = 1; inline int f = 2;", "scalar inline"),
            ("inline int rand = 7;", "function "),
            ("inline int timestamp = 7;", "scalar "),
            ("inline int trace = 7;", "tracing function "),
            ("inline int count = 7;", "aggregating function "),
            ("inline int NULL = 7;", "scalar inline"),
            (
                "inline int a[int x] = x; inline int a = 1;",
                "associative array inline",
            ),
            ("enum e { E }; inline int E = 1;", "enumerator "),
            ("int g; inline int g = 1;", "scalar "),
        ] {
            let name = program
                .rsplit("inline int ")
                .next()
                .and_then(|rest| rest.split(' ').next())
                .unwrap_or_default();
            assert_eq!(
                errors_of(program),
                [format!(
                    "[D_DECL_IDRED] identifier redefined: {name}\n\t current: inline definition\n\tprevious: {previous}"
                )],
                "{program}"
            );
        }
    }

    #[test]
    fn bad_types_are_rejected() {
        for (program, expected) in [
            (
                "inline int i = \"s\";",
                "[D_OP_INCOMPAT] inline i definition uses incompatible types: \"int\" = \"string\"",
            ),
            (
                "inline string s = 1;",
                "[D_OP_INCOMPAT] inline s definition uses incompatible types: \"string\" = \"int\"",
            ),
            (
                "inline void v = 1;",
                "[D_DECL_VOIDOBJ] cannot declare void inline: v",
            ),
            (
                "struct fwd; inline struct fwd f = 1;",
                "[D_DECL_INCOMPLETE] incomplete struct/union/enum struct fwd: f",
            ),
            (
                "inline int add[int x, int y] = x + y; BEGIN { trace(add[1]); }",
                "[D_PROTO_LEN] add[ ] prototype mismatch: 1 arg passed, 2 expected",
            ),
            (
                "inline int twice[int x] = x * 2; BEGIN { trace(twice[\"s\"]); }",
                "[D_PROTO_ARG] twice[ ] argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: string",
            ),
        ] {
            assert_eq!(errors_of(program), [expected], "{program}");
        }
    }

    #[test]
    fn translated_inlines_need_the_translator_output() {
        let types = "struct in { int i; }; struct out { int o; }; struct other { int o; };\n\
            translator struct out < struct in *p > { o = p->i; };\n\
            struct in *src;\n";
        let program = format!(
            "{types}inline struct out *t = xlate<struct out *>(src);\nBEGIN {{ trace(t->o); }}"
        );
        assert!(compile_one(&program).is_ok(), "{program}");
        let program = format!(
            "{types}inline struct other *t = xlate<struct out *>(src);\nBEGIN {{ trace(t->o); }}"
        );
        assert_eq!(
            errors_of(&program)[0],
            "[D_OP_INCOMPAT] inline t definition uses incompatible types: \"struct other\" = \"struct out\""
        );
    }

    #[test]
    fn parameters_shadow_globals_and_stay_inside_their_inline() {
        let errors = errors_of("inline int twice[int x] = x * 2; BEGIN { trace(x); }");
        assert_eq!(
            errors,
            ["[D_IDENT_UNDEF] failed to resolve x: Unknown variable name"]
        );
        compile_one("int x; inline int twice[int x] = x * 2; BEGIN { x = 1; trace(twice[x]); }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
    }

    #[test]
    fn inline_arrays_expand_with_their_arguments() {
        let program = "inline int add[int x, int y] = x + y; BEGIN { trace(add[20, 22]); }";
        assert_eq!(constants_of(program), [20, 22]);
        let compiled = compile_one(program).unwrap_or_else(|errors| panic!("{errors:?}"));
        let adds = compiled.module.clauses[0]
            .insts
            .iter()
            .filter(|inst| matches!(inst, Inst::Bin { .. }))
            .count();
        assert_eq!(adds, 1);
    }

    #[test]
    fn scalar_inline_constants_fold_through_other_inlines() {
        let program = "inline char c = 'c' + 2; inline short s = 10 * c; BEGIN { trace(s); }";
        assert_eq!(constants_of(program), [1010]);
    }
}

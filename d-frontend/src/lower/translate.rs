//! Lowering expressions with parameters: translator members and inline arrays.
//!
//! `xlate<T>(x).m` lowers as translator member `m`'s value with the translator's input bound to
//! `x`, and `sum[1, 2]` as the inline's value with its parameters bound to the subscripts, as
//! libdtrace's code generator runs over the member's parse tree with the input in a register. An
//! integer or pointer argument is computed once, converted to the parameter's type, into a
//! virtual register that every use of the parameter copies; any other argument (a string, a
//! `char` array) is lowered again at each use, outside the bindings made since, because its own
//! names belong to the context that bound it.

use super::Lowerer;
use crate::ast::{Expr, ExprKind};
use crate::ir::{Inst, VReg};
use crate::sema::{Binder, ParamRef, TranslatorMemberDef, XlateMember};
use crate::types::Type;

/// The arguments of one translator member or inline array being expanded.
#[derive(Clone, Debug)]
pub(super) struct Binding {
    binder: Binder,
    args: Vec<Bound>,
}

/// What a parameter stands for while its binder is expanded.
#[derive(Clone, Debug)]
enum Bound {
    /// An integer or pointer, computed once.
    Value(VReg),
    /// Another argument, lowered at each use with the first `depth` bindings in scope.
    Expr { expr: Expr, depth: usize },
}

impl<'a> Lowerer<'a> {
    /// The integer value of `expr` when it is a parameter, an inline array or a translated member.
    pub(super) fn expanded_int(&mut self, expr: &Expr) -> Option<VReg> {
        let checked = self.checked;
        let info = &checked.type_info;
        if let Some(&param) = info.param_uses.get(&expr.span) {
            return Some(match self.bound(param) {
                Bound::Value(value) => {
                    let dst = self.vreg();
                    self.push(expr.span, Inst::Move { dst, src: value });
                    dst
                }
                Bound::Expr { expr: arg, depth } => {
                    let inner = self.bindings.split_off(depth);
                    let value = self.int_expr(&arg);
                    self.bindings.extend(inner);
                    value
                }
            });
        }
        if let Some(&inline_idx) = info.inline_calls.get(&expr.span) {
            let inline = &info.inlines[inline_idx];
            self.bind_inline_args(inline_idx, expr);
            let value = self.stored(&inline.value, inline.ty);
            self.bindings.pop();
            return Some(value);
        }
        let &xlate_member = info.xlate_members.get(&expr.span)?;
        let (member, n_bindings) = self.bind_xlate_input(xlate_member, expr);
        let value = self.stored(&member.value, member.ty);
        self.unbind(n_bindings);
        Some(value)
    }

    /// Writes the string value of `expr` at scratch `offset` when it is a parameter, an inline
    /// array or a translated member, and says whether it was one.
    pub(super) fn expanded_string_into(&mut self, expr: &Expr, offset: u32) -> bool {
        let checked = self.checked;
        let info = &checked.type_info;
        if let Some(&param) = info.param_uses.get(&expr.span) {
            let Bound::Expr { expr: arg, depth } = self.bound(param) else {
                unreachable!("a string parameter is bound to an expression");
            };
            let inner = self.bindings.split_off(depth);
            self.string_value_into(&arg, offset);
            self.bindings.extend(inner);
            return true;
        }
        if let Some(&inline_idx) = info.inline_calls.get(&expr.span) {
            self.bind_inline_args(inline_idx, expr);
            self.string_value_into(&info.inlines[inline_idx].value, offset);
            self.bindings.pop();
            return true;
        }
        let Some(&xlate_member) = info.xlate_members.get(&expr.span) else {
            return false;
        };
        let (member, n_bindings) = self.bind_xlate_input(xlate_member, expr);
        self.string_value_into(&member.value, offset);
        self.unbind(n_bindings);
        true
    }

    /// What `param` is bound to in its binder's innermost expansion.
    fn bound(&self, param: ParamRef) -> Bound {
        match self
            .bindings
            .iter()
            .rev()
            .find(|binding| binding.binder == param.binder)
        {
            Some(binding) => binding.args[param.index].clone(),
            None => unreachable!("{param:?} is used outside its binder"),
        }
    }

    /// Binds an argument to a parameter of type `ty`.
    fn bind(&mut self, arg: &Expr, ty: Type) -> Bound {
        if ty.is_scalar() {
            Bound::Value(self.converted(arg, ty))
        } else {
            Bound::Expr {
                expr: arg.clone(),
                depth: self.bindings.len(),
            }
        }
    }

    /// Binds the subscripts of the inline array use `expr` to the inline's parameters.
    fn bind_inline_args(&mut self, inline_idx: usize, expr: &Expr) {
        let ExprKind::Index { index, .. } = &expr.kind else {
            unreachable!("sema typed {:?} as an inline array use", expr.kind);
        };
        let checked = self.checked;
        let params = &checked.type_info.inlines[inline_idx].params;
        let args = index
            .iter()
            .zip(params)
            .map(|(arg, &ty)| self.bind(arg, ty))
            .collect();
        self.bindings.push(Binding {
            binder: Binder::Inline(inline_idx),
            args,
        });
    }

    /// Binds the input of translated member read `expr` and returns the translator's member and
    /// how many bindings it made: the input's, and the subscripts' of each inline array it is
    /// read through (`fds[0].fi_name`), whose parameters the `xlate` operand may use.
    fn bind_xlate_input(
        &mut self,
        xlate_member: XlateMember,
        expr: &Expr,
    ) -> (&'a TranslatorMemberDef, usize) {
        let ExprKind::Member { base, .. } = &expr.kind else {
            unreachable!("sema typed {:?} as a translated member", expr.kind);
        };
        let checked = self.checked;
        let info = &checked.type_info;
        let translator = &info.translators[xlate_member.translator];
        let mut translated = &**base;
        let mut n_bindings = 1;
        let operand = loop {
            if let ExprKind::Xlate { operand, .. } = &translated.kind {
                break &**operand;
            }
            // A translated probe argument is its own input: `args[0]` reads the native pointer.
            if info.args.contains_key(&translated.span) {
                break translated;
            }
            // A member whose value is translated data is read with its translator's input bound.
            if let Some(&outer) = info.xlate_members.get(&translated.span) {
                let (member, n_outer) = self.bind_xlate_input(outer, translated);
                n_bindings += n_outer;
                translated = &member.value;
                continue;
            }
            if let Some(&inline_idx) = info.inline_uses.get(&translated.span) {
                translated = &info.inlines[inline_idx].value;
            } else if let Some(&inline_idx) = info.inline_calls.get(&translated.span) {
                self.bind_inline_args(inline_idx, translated);
                n_bindings += 1;
                translated = &info.inlines[inline_idx].value;
            } else {
                unreachable!("sema checked that {:?} is translated data", translated.kind);
            }
        };
        let input = self.bind(operand, translator.input);
        self.bindings.push(Binding {
            binder: Binder::Translator(xlate_member.translator),
            args: vec![input],
        });
        (&translator.members[xlate_member.member], n_bindings)
    }

    /// Drops the last `n_bindings` bindings.
    fn unbind(&mut self, n_bindings: usize) {
        self.bindings.truncate(self.bindings.len() - n_bindings);
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, constants_of, first_clause};
    use crate::ir::{Inst, Subr};

    #[test]
    fn members_of_a_translated_inline_array_bind_its_subscripts() {
        let program = "struct o { int a; int b; };\n\
            translator struct o < int i > { a = i * 3; b = i - 1; };\n\
            inline struct o pick[int k] = xlate<struct o>(k + 100);\n\
            BEGIN { trace(pick[7].a); trace(pick[arg0].b); }";
        compile_one(program).unwrap_or_else(|errors| panic!("{errors:?}"));
        let constants = constants_of(program);
        assert!(constants.contains(&7), "{constants:?}");
        assert!(constants.contains(&100), "{constants:?}");
        assert!(constants.contains(&3), "{constants:?}");
    }

    #[test]
    fn a_member_translated_in_turn_is_read_member_by_member() {
        let program = "struct ts { long s; long n; }; struct o { int a; struct ts t; };\n\
            translator struct ts < long x > { s = x / 10; n = x % 10; };\n\
            translator struct o < int i > { a = i; t = xlate<struct ts>(i * 1000); };\n\
            BEGIN { trace(xlate<struct o>(7).t.s); trace(xlate<struct o *>(8)->t.n); }";
        compile_one(program).unwrap_or_else(|errors| panic!("{errors:?}"));
        let constants = constants_of(program);
        for constant in [7, 8, 1000, 10] {
            assert!(constants.contains(&constant), "{constant}: {constants:?}");
        }
        let errors = compile_one(&program.replace(".t.s)", ".t)")).unwrap_err();
        assert_eq!(
            errors[0].message,
            "translated data may only be used with operator . or ->"
        );
    }

    #[test]
    fn a_member_using_alloca_memory_reserves_it_only_where_read() {
        let translator = "struct o { int a; int b; };\n\
            translator struct o < int i > { a = i; b = *(int *)copyin(i, 4); };\n";
        let resets = |body: &str| {
            first_clause(&format!("{translator}BEGIN {{ {body} }}"))
                .insts
                .iter()
                .filter(|inst| matches!(inst, Inst::Subr(Subr::AllocaReset)))
                .count()
        };
        assert_eq!(resets("trace(xlate<struct o>(1).a);"), 0);
        assert_eq!(resets("trace(xlate<struct o>(1).b);"), 1);
    }

    #[test]
    fn a_translated_inline_array_checks_its_subscripts() {
        let errors = compile_one(
            "struct o { int a; }; translator struct o < int i > { a = i; };\n\
             inline struct o pick[int k] = xlate<struct o>(k);\n\
             BEGIN { trace(pick[1, 2].a); }",
        )
        .unwrap_err();
        assert_eq!(errors[0].tag, crate::diagnostic::ErrTag::D_PROTO_LEN);
    }
}

//! Translators and the `xlate` operator.
//!
//! A translator definition (`translator struct out < struct in *p > { a = p->x; };`) is checked
//! as libdtrace's `dt_node_xlator` and `dt_cook_xlator` do: the output must be a complete struct
//! or union, no other translator may map the same input type to it, and each member it defines
//! must be a member of the output whose value converts to the member's type. The member values
//! are typed once, here, with the input name in scope as parameter 0 of the translator.
//!
//! `xlate<T>(x)` and `xlate<T *>(x)` pick the translator to `T` whose input `x` converts to
//! (`dt_xlator_lookup`: the exact type first, then any compatible one). What they produce is
//! translated data, which D only reads member by member: `xlate<T>(x).m` and `xlate<T *>(x)->m`
//! stand for translator member `m`'s value with `x` bound to the input, and lowering expands
//! them so. An inline may stand for translated data too (`inline T *t = xlate<T *>(x);`), and
//! so may a probe argument DTrace translates (`args[0]` of `proc:::create`, a `psinfo_t *`) and a
//! struct member whose value is an `xlate` (`psinfo_t`'s `pr_start`, read as
//! `curpsinfo->pr_start.tv_sec`).

use super::Checker;
use super::scope::{Binder, ParamRef, TranslatorDef, TranslatorMemberDef, XlateMember};
use crate::ast::{Expr, ExprKind, TagKind, Translator, TypeName, TypeSpec};
use crate::diagnostic::ErrTag;
use crate::source::Span;
use crate::types::Type;

/// Whether an expression is translated data.
pub(super) enum Translated {
    /// It is not: an ordinary expression, not yet typed.
    No,
    /// It is an `xlate` that was reported as wrong.
    Failed,
    /// It is, through translator `translator`, with type `ty` (the output struct or a pointer to
    /// it).
    Yes { translator: usize, ty: Type },
}

impl Checker<'_> {
    /// Checks a translator definition and makes it available to `xlate`.
    pub(super) fn translator(&mut self, translator: &Translator) {
        // libdtrace checks a definition when it has read its final `;`, and reports it there.
        let end = Span {
            start: translator.span.end.saturating_sub(1),
            ..translator.span
        };
        let Some(mut output) = self.type_spec(&translator.output) else {
            return;
        };
        for _ in 0..translator.output_pointer_depth {
            output = self.type_info.table.pointer_to(output);
        }
        let Some(input) = self.translator_input(&translator.input) else {
            return;
        };
        let table = &self.type_info.table;
        if self
            .type_info
            .translators
            .iter()
            .any(|known| known.input == input && known.output == output)
        {
            let message = format!(
                "translator from {} to {} has already been declared",
                table.name(input),
                table.name(output)
            );
            self.error(ErrTag::D_XLATE_REDECL, end, message);
            return;
        }
        let Type::Struct(output_id) = output else {
            self.error(
                ErrTag::D_XLATE_SOU,
                end,
                "translator output type must be a struct or union",
            );
            return;
        };
        let def = table.struct_def(output_id);
        if def.members.is_none() && def.kernel.is_none() {
            let message = format!("incomplete struct/union/enum {}", table.name(output));
            self.error(ErrTag::D_XLATE_SOU, end, message);
            return;
        }
        let translator_idx = self.type_info.translators.len();
        let n_outer = self.scope.params.len();
        let param = ParamRef {
            binder: Binder::Translator(translator_idx),
            index: 0,
        };
        self.scope
            .params
            .push((translator.param.clone(), input, param));
        let mut members = Vec::new();
        for member in &translator.members {
            let name = &member.name;
            let Some(found) = self
                .type_info
                .table
                .find_member(output_id, name, self.catalog)
            else {
                let message = format!(
                    "translator member {name} is not a member of {}",
                    self.type_info.table.name(output)
                );
                self.error(ErrTag::D_XLATE_MEMB, end, message);
                continue;
            };
            // A member whose value uses `alloca` memory (`copyin`) makes a program use it only
            // where the member is read, so the D library's translators cost nothing unread.
            let outer_alloca = std::mem::replace(&mut self.type_info.uses_alloca, false);
            // A struct member may be translated data itself (`pr_start = xlate<timestruc_t>(ns)`),
            // read member by member as any translated data (`curpsinfo->pr_start.tv_sec`).
            let value_type = match self.translated(&member.value) {
                Translated::No => Some(self.expr(&member.value)),
                Translated::Yes { ty, .. } => Some(ty),
                Translated::Failed => None,
            };
            let uses_alloca = std::mem::replace(&mut self.type_info.uses_alloca, outer_alloca);
            let Some(value_type) = value_type else {
                continue;
            };
            if !(found.ty == value_type
                || self.assignable(found.ty, value_type, Some(&member.value)))
            {
                let table = &self.type_info.table;
                let message = format!(
                    "translator member {name} definition uses incompatible types: \"{}\" = \"{}\"",
                    table.name(found.ty),
                    table.name(value_type)
                );
                self.error(ErrTag::D_XLATE_INCOMPAT, end, message);
                continue;
            }
            members.push(TranslatorMemberDef {
                name: name.clone(),
                ty: found.ty,
                value: member.value.clone(),
                uses_alloca,
            });
        }
        self.scope.params.truncate(n_outer);
        self.type_info.translators.push(TranslatorDef {
            input,
            output,
            members,
        });
    }

    /// The input type of a translator. A struct or union tag nothing defines yet is declared, as a
    /// forward tag, the way libdtrace declares the tags a type name mentions.
    fn translator_input(&mut self, input: &TypeName) -> Option<Type> {
        let tagged = match input.words.as_slice() {
            [keyword, tag] if keyword == "struct" || keyword == "union" => Some((
                if keyword == "struct" {
                    TagKind::Struct
                } else {
                    TagKind::Union
                },
                tag.clone(),
            )),
            _ => None,
        };
        let Some((kind, tag)) = tagged else {
            return self.type_name(input);
        };
        let mut ty = self.type_spec(&TypeSpec::Tagged {
            kind,
            tag: Some(tag),
            body: None,
            span: input.span,
        })?;
        for _ in 0..input.pointer_depth {
            ty = self.type_info.table.pointer_to(ty);
        }
        Some(ty)
    }

    /// Whether `expr` is translated data: an `xlate` (which this types and checks) or an inline
    /// standing for one. Anything else is left untyped for the caller.
    pub(super) fn translated(&mut self, expr: &Expr) -> Translated {
        match &expr.kind {
            ExprKind::Xlate { ty, operand } => match self.xlate(ty, operand, expr) {
                Some((translator, ty)) => Translated::Yes { translator, ty },
                None => Translated::Failed,
            },
            ExprKind::Ident(name) if self.param_named(name).is_none() => {
                let Some(&inline_idx) = self.scope.inlines.get(name) else {
                    return Translated::No;
                };
                let inline = &self.type_info.inlines[inline_idx];
                let Some(&translator) = self.type_info.xlates.get(&inline.value.span) else {
                    return Translated::No;
                };
                let ty = inline.ty;
                self.type_info.inline_uses.insert(expr.span, inline_idx);
                self.types.insert(expr.span, ty);
                Translated::Yes { translator, ty }
            }
            ExprKind::Index { base, index } if super::args::is_args(base) => {
                self.translated_arg(index, expr)
            }
            ExprKind::Member {
                base,
                member,
                arrow,
            } => self.translated_translated_member(base, member, *arrow, expr),
            ExprKind::Index { base, index } => {
                let Some(inline_idx) = self.inline_array(base) else {
                    return Translated::No;
                };
                let value_span = self.type_info.inlines[inline_idx].value.span;
                let Some(&translator) = self.type_info.xlates.get(&value_span) else {
                    return Translated::No;
                };
                let ty = self.inline_call(inline_idx, index, expr);
                self.types.insert(expr.span, ty);
                Translated::Yes { translator, ty }
            }
            _ => Translated::No,
        }
    }

    /// Whether `base.name` or `base->name` (`expr`) is a member of translated data whose value is
    /// translated data too, and its translator when it is.
    fn translated_translated_member(
        &mut self,
        base: &Expr,
        name: &str,
        arrow: bool,
        expr: &Expr,
    ) -> Translated {
        let (translator, ty) = match self.translated(base) {
            Translated::Yes { translator, ty } => (translator, ty),
            other => return other,
        };
        let Some(inner) = self.translated_value(translator, name) else {
            return Translated::No;
        };
        let inner_ty = self.translated_member(translator, ty, name, arrow, expr);
        self.types.insert(expr.span, inner_ty);
        Translated::Yes {
            translator: inner,
            ty: inner_ty,
        }
    }

    /// Whether member `name` of `translator` is translated data, which D reads only member by
    /// member.
    pub(super) fn is_translated_value(&self, translator: usize, name: &str) -> bool {
        self.translated_value(translator, name).is_some()
    }

    /// The translator of member `name` of `translator` when its value is translated data.
    fn translated_value(&self, translator: usize, name: &str) -> Option<usize> {
        let member = self.type_info.translators[translator]
            .members
            .iter()
            .find(|member| member.name == name)?;
        self.type_info.xlates.get(&member.value.span).copied()
    }

    /// A parameter in scope called `name`.
    fn param_named(&self, name: &str) -> Option<ParamRef> {
        self.scope
            .params
            .iter()
            .rev()
            .find(|(param_name, _, _)| param_name == name)
            .map(|&(_, _, param)| param)
    }

    /// Types `xlate<ty>(operand)` and finds its translator.
    fn xlate(&mut self, ty: &TypeName, operand: &Expr, expr: &Expr) -> Option<(usize, Type)> {
        let operand_type = self.expr(operand);
        let to = self.type_name(ty)?;
        let Some(translator) = self.translator_to(to, operand_type, Some(operand)) else {
            let table = &self.type_info.table;
            let message = format!(
                "cannot translate from \"{}\" to \"{}\"",
                table.name(operand_type),
                table.name(to)
            );
            self.error(ErrTag::D_XLATE_NONE, expr.span, message);
            return None;
        };
        self.type_info.xlates.insert(expr.span, translator);
        self.types.insert(expr.span, to);
        Some((translator, to))
    }

    /// The translator giving `to` (a struct or union, or a pointer to one) from a value of type
    /// `from` (`operand`'s, when it is an expression): the one from exactly `from` first, then
    /// any whose input `from` converts to.
    pub(super) fn translator_to(
        &mut self,
        to: Type,
        from: Type,
        operand: Option<&Expr>,
    ) -> Option<usize> {
        let output = self.type_info.table.pointee(to).unwrap_or(to);
        let exact = self
            .type_info
            .translators
            .iter()
            .position(|known| known.output == output && known.input == from);
        let found = exact.or_else(|| {
            self.type_info.translators.iter().position(|known| {
                known.output == output && self.assignable(known.input, from, operand)
            })
        });
        found.filter(|_| matches!(output, Type::Struct(_)))
    }

    /// How libdtrace names translated data of type `ty` in messages.
    pub(super) fn translated_name(ty: Type) -> &'static str {
        if ty.is_pointer() {
            "pointer to translated data"
        } else {
            "translated data"
        }
    }

    /// Types `base.name` or `base->name` for translated data `base` (of type `ty`, through
    /// `translator`): the translator's member, which lowering computes from the input.
    pub(super) fn translated_member(
        &mut self,
        translator: usize,
        ty: Type,
        name: &str,
        arrow: bool,
        expr: &Expr,
    ) -> Type {
        let Some(member) = self.type_info.translators[translator]
            .members
            .iter()
            .position(|member| member.name == name)
        else {
            self.error(
                ErrTag::D_XLATE_NOCONV,
                expr.span,
                format!("translator does not define conversion for member: {name}"),
            );
            return Type::INT;
        };
        if arrow && !ty.is_pointer() {
            self.error(
                ErrTag::D_OP_PTR,
                expr.span,
                "operator -> must be applied to a pointer",
            );
            return Type::INT;
        }
        if !arrow && ty.is_pointer() {
            let message = format!(
                "operator . cannot be applied to type \"{}\"; must be applied to a struct or union",
                self.type_info.table.name(ty)
            );
            self.error(ErrTag::D_OP_SOU, expr.span, message);
            return Type::INT;
        }
        self.type_info
            .xlate_members
            .insert(expr.span, XlateMember { translator, member });
        let def = &self.type_info.translators[translator].members[member];
        self.type_info.uses_alloca |= def.uses_alloca;
        def.ty
    }

    /// Reports translated data used other than through its members, and types it `int`.
    pub(super) fn translated_misuse(&mut self, expr: &Expr) -> Type {
        if let Translated::Yes { ty, .. } = self.translated(expr) {
            let message = format!(
                "{} may only be used with operator . or ->",
                Self::translated_name(ty)
            );
            self.error(ErrTag::D_OP_DYN, expr.span, message);
        }
        Type::INT
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};

    const TYPES: &str = "struct in { int i; char c; }; struct out { int oi; char oc; char *op; };";

    fn with_types(program: &str) -> String {
        format!("{TYPES}\n{program}")
    }

    #[test]
    fn member_errors_are_reported_at_the_final_semicolon() {
        for member in ["yours = p->i;", "op = p->c;"] {
            let program = with_types(&format!(
                "translator struct out < struct in *p >\n{{\n\t{member}\n}};\nBEGIN {{ exit(0); }}"
            ));
            let errors = compile_one(&program).expect_err(&program);
            let end = program.rfind("};").unwrap() + 1;
            assert_eq!(errors[0].span.start as usize, end, "{program}: {errors:?}");
        }
    }

    #[test]
    fn definitions_are_checked_as_libdtrace_checks_them() {
        for (program, expected) in [
            (
                "translator struct out < struct in *p > { oi = p->i; };\ntranslator struct out < struct in *q > { oc = q->c; };",
                "[D_XLATE_REDECL] translator from struct in * to struct out has already been declared",
            ),
            (
                "translator int < struct in *p > { };",
                "[D_XLATE_SOU] translator output type must be a struct or union",
            ),
            (
                "translator struct nowhere < struct in *p > { a = p->i; };",
                "[D_XLATE_SOU] incomplete struct/union/enum struct nowhere",
            ),
            (
                "translator struct out < struct in *p > { yours = p->i; };",
                "[D_XLATE_MEMB] translator member yours is not a member of struct out",
            ),
            (
                "translator struct out < struct in *p > { op = p->c; };",
                "[D_XLATE_INCOMPAT] translator member op definition uses incompatible types: \"char *\" = \"char\"",
            ),
            (
                "translator struct out < struct in *p > { oi = p->nope; };",
                "[D_TYPE_MEMBER] nope is not a member of struct in",
            ),
            (
                "translator struct out < struct later *p > { oi = p->x; };",
                "[D_OP_INCOMPLETE] operator -> cannot be applied to a forward declaration: no struct later definition is available",
            ),
        ] {
            assert_eq!(errors_of(&with_types(program)), [expected], "{program}");
        }
    }

    #[test]
    fn forward_inputs_typedefs_and_unions_define_translators() {
        compile_one(&with_types(
            "typedef struct out out_t;\nunion u { int i; char c; };\ntranslator out_t < struct unknown *p > { };\ntranslator union u < int x > { i = x; c = x; };\ntranslator struct out < union u *p > { oi = p->i; oi = p->c; };\nBEGIN { }",
        ))
        .unwrap_or_else(|errors| panic!("{errors:?}"));
    }

    #[test]
    fn xlate_needs_a_translator_and_a_defined_member() {
        let translators = "translator struct out < struct in *p > { oi = p->i; };";
        for (program, expected) in [
            (
                "BEGIN { trace(xlate<struct out>(\"s\").oi); }",
                "[D_XLATE_NONE] cannot translate from \"string\" to \"struct out\"",
            ),
            (
                "BEGIN { trace(xlate<int>((struct in *)0)); }",
                "[D_XLATE_NONE] cannot translate from \"struct in *\" to \"int\"",
            ),
            (
                "BEGIN { trace(xlate<struct out *>((struct in *)0)->oc); }",
                "[D_XLATE_NOCONV] translator does not define conversion for member: oc",
            ),
            (
                "BEGIN { trace(xlate<struct out *>((struct in *)0).oi); }",
                "[D_OP_SOU] operator . cannot be applied to type \"struct out *\"; must be applied to a struct or union",
            ),
            (
                "BEGIN { trace(xlate<struct out>((struct in *)0)->oi); }",
                "[D_OP_PTR] operator -> must be applied to a pointer",
            ),
            (
                "BEGIN { trace((uintptr_t)xlate<struct out *>((struct in *)0)); }",
                "[D_CAST_INVAL] invalid cast expression: \"pointer to translated data\" to \"uintptr_t\"",
            ),
            (
                "BEGIN { trace(xlate<struct out *>((struct in *)0)); }",
                "[D_OP_DYN] pointer to translated data may only be used with operator . or ->",
            ),
            (
                "inline struct out *o = xlate<struct out *>((struct in *)0);\nBEGIN { x = o; }",
                "[D_OP_DYN] pointer to translated data may only be used with operator . or ->",
            ),
        ] {
            assert_eq!(
                errors_of(&with_types(&format!("{translators}\n{program}"))),
                [expected],
                "{program}"
            );
        }
    }
}

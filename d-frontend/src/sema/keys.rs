//! The keys of associative arrays and aggregations: how many a tuple may have, and which values
//! may not be one.
//!
//! libdtrace builds a tuple in a fixed set of tuple registers, so a subscript with more keys
//! than it has registers fails in its code generator, with a message but neither tag nor line.
//! When it first meets an array or an aggregation it fixes the key types from the subscript,
//! and refuses translated data there: a translated value has no type a key could be stored as.

use super::Checker;
use super::translate::Translated;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::{Diagnostic, ErrTag};
use crate::source::Span;

/// The most keys a tuple may have: libdtrace's eight tuple registers, plus the one its
/// off-by-one bound lets through.
const MAX_KEYS: usize = 9;

impl Checker<'_> {
    /// Whether a subscript (`expr`) of `n_keys` keys fits the tuple registers; reports it when not.
    pub(super) fn tuple_fits(&mut self, n_keys: usize, expr: &Expr) -> bool {
        if n_keys <= MAX_KEYS {
            return true;
        }
        let message = "Insufficient tuple registers to generate code";
        self.errors
            .push(Diagnostic::error(ErrTag::D_UNKNOWN, expr.span, message).unlocated());
        false
    }

    /// Reports the first key that is translated data (`curpsinfo`, `xlate<T *>(x)`, a translated
    /// `args[N]`) as libdtrace does, where `container` is "aggregation" or "associative array".
    /// Returns whether every key may be one. A key that cannot be translated has been reported.
    pub(super) fn keys_not_translated(&mut self, keys: &[Expr], container: &str) -> bool {
        for (key_idx, key) in keys.iter().enumerate() {
            let translatable = match &key.kind {
                ExprKind::Xlate { .. } => true,
                ExprKind::Ident(name) => self.scope.inlines.contains_key(name),
                ExprKind::Index { base, .. } => super::args::is_args(base),
                _ => false,
            };
            if !translatable {
                continue;
            }
            match self.translated(key) {
                Translated::No => {}
                Translated::Failed => return false,
                Translated::Yes { ty, .. } => {
                    self.dynamic_key(key.span, Self::translated_name(ty), container, key_idx);
                    return false;
                }
            }
        }
        true
    }

    fn dynamic_key(&mut self, span: Span, kind: &str, container: &str, key_idx: usize) {
        let message = format!(
            "{kind} expression may not be used as {container} index: key #{}",
            key_idx + 1
        );
        self.error(ErrTag::D_KEY_TYPE, span, message);
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};
    use crate::diagnostic::ErrTag;

    const TRANSLATED: &str = "struct in { int i; }; struct out { int oi; };\n\
        translator struct out < struct in *p > { oi = p->i; };\n\
        inline struct out *translated = xlate<struct out *>((struct in *)0);\n";

    #[test]
    fn translated_data_is_no_key() {
        for (program, expected) in [
            (
                "BEGIN { @a[translated] = count(); }",
                "[D_KEY_TYPE] pointer to translated data expression may not be used as aggregation index: key #1",
            ),
            (
                "BEGIN { @a[1, xlate<struct out>((struct in *)0)] = count(); }",
                "[D_KEY_TYPE] translated data expression may not be used as aggregation index: key #2",
            ),
            (
                "BEGIN { a[translated] = 1; }",
                "[D_KEY_TYPE] pointer to translated data expression may not be used as associative array index: key #1",
            ),
            (
                "BEGIN { trace(self->a[2, translated]); }",
                "[D_KEY_TYPE] pointer to translated data expression may not be used as associative array index: key #2",
            ),
        ] {
            assert_eq!(
                errors_of(&format!("{TRANSLATED}{program}")),
                [expected],
                "{program}"
            );
        }
        compile_one(&format!(
            "{TRANSLATED}BEGIN {{ @a[translated->oi] = count(); a[translated->oi] = 1; }}"
        ))
        .unwrap_or_else(|errors| panic!("a translated member is a key: {errors:?}"));
    }

    #[test]
    fn a_tuple_has_at_most_nine_keys() {
        for program in [
            "BEGIN { a[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] = 1; }",
            "BEGIN { @a[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] = count(); }",
        ] {
            let errors = compile_one(program).expect_err(program);
            assert_eq!(errors.len(), 1, "{program}");
            assert_eq!(errors[0].tag, ErrTag::D_UNKNOWN);
            assert_eq!(
                errors[0].message,
                "Insufficient tuple registers to generate code"
            );
            assert!(!errors[0].located, "{program}");
        }
        for program in [
            "BEGIN { a[0, 1, 2, 3, 4, 5, 6, 7, 8] = 1; }",
            "BEGIN { @a[0, 1, 2, 3, 4, 5, 6, 7, 8] = count(); }",
        ] {
            compile_one(program).unwrap_or_else(|errors| panic!("{program}: {errors:?}"));
        }
        let program = "BEGIN { @a[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] = sum(\"s\"); }";
        let errors = compile_one(program).expect_err(program);
        assert!(
            errors[0].located,
            "the function's error comes first: {errors:?}"
        );
    }
}

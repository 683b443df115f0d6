//! Struct, union and array values as keys of associative arrays and aggregations.
//!
//! DTrace lets any value with storage be a key: `a[s] = 1` with `s` a struct copies the struct's
//! bytes into the key tuple, and two keys are the same element when their bytes are equal. The key
//! tuple keeps the value's size rounded up to 8 bytes (see [`crate::ir::key_stored_size`]).

use super::Checker;
use super::var::is_aggregate;
use crate::ast::Expr;
use crate::types::{Type, TypeTable};

/// For each key of `keys` that is a struct, union or array value, the bytes of its value, which
/// the key tuple holds in whole; `None` for the other keys.
pub(crate) fn key_value_sizes(keys: &[Type], table: &TypeTable) -> Vec<Option<u32>> {
    keys.iter()
        .map(|ty| is_aggregate(*ty).then(|| table.size_of(*ty, 1)).flatten())
        .collect()
}

impl Checker<'_> {
    /// Whether `key`, a struct, union or array value of type `ty`, may be a key: it needs a size
    /// and bytes of its own to copy, which a translated member (computed, not stored) lacks.
    pub(super) fn value_key(&self, ty: Type, key: &Expr) -> bool {
        is_aggregate(ty)
            && !self.type_info.xlate_members.contains_key(&key.span)
            && self
                .type_info
                .table
                .size_of(ty, 1)
                .is_some_and(|size| size > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of, first_clause};
    use crate::ir::Inst;
    use crate::types::Type;

    const DECLS: &str = "struct pair { int a; char b; }; struct pair p; int v[3];";

    #[test]
    fn struct_and_array_keys_keep_their_value_size() {
        let program = format!(
            "{DECLS} BEGIN {{ a[p, 1] = 2; @c[v] = count(); @d[p] = sum(1); @e[\"s\"] = count(); }}"
        );
        let module = compile_one(&program)
            .unwrap_or_else(|errors| panic!("{errors:?}"))
            .module;
        let array = module
            .variables
            .iter()
            .find(|var| var.name == "a")
            .expect("a[] is declared");
        assert_eq!(array.key_value_sizes, [Some(8), None]);
        assert_eq!(array.key_sizes(256), [8, 8]);
        let sizes: Vec<_> = module
            .aggregations
            .iter()
            .map(|agg| (agg.key_value_sizes.clone(), agg.key_sizes(256)))
            .collect();
        assert_eq!(
            sizes,
            [
                (vec![Some(12)], vec![16]),
                (vec![Some(8)], vec![8]),
                // A string literal key takes its own bytes (see `sema::string_width`).
                (vec![Some(2)], vec![8]),
            ]
        );
        assert!(matches!(module.aggregations[1].keys[0], Type::Struct(_)));
    }

    #[test]
    fn a_value_key_is_copied_whole_and_its_tail_zeroed() {
        let insts = first_clause(&format!("{DECLS} BEGIN {{ @c[v] = count(); }}")).insts;
        let zero = insts.iter().find_map(|inst| match inst {
            Inst::Zero { offset, size } => Some((*offset, *size)),
            _ => None,
        });
        let copy = insts.iter().find_map(|inst| match inst {
            Inst::ReadKernel { offset, size, .. } => Some((*offset, *size)),
            _ => None,
        });
        let (Some((zero_at, 4)), Some((copy_at, 12))) = (zero, copy) else {
            panic!("no padded copy of the key in {insts:?}");
        };
        assert_eq!(zero_at, copy_at + 12);
    }

    #[test]
    fn keys_must_have_the_same_struct_type() {
        let errors = errors_of(
            "struct pair { int a; }; struct other { int a; }; struct pair p; struct other o;\nBEGIN { a[p] = 1; a[o] = 2; }",
        );
        assert!(
            errors[0].starts_with("[D_PROTO_ARG] a[ ] key #1 is incompatible with prototype:"),
            "{errors:?}"
        );
    }

    #[test]
    fn translated_structs_are_not_keys() {
        let errors = errors_of(
            "struct in { int x; }; struct out { int y; }; translator struct out < struct in *i > { y = i->x; };\nBEGIN { @[xlate<struct out>((struct in *)0)] = count(); }",
        );
        assert_eq!(
            errors,
            [
                "[D_KEY_TYPE] translated data expression may not be used as aggregation index: key #1"
            ]
        );
    }
}

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

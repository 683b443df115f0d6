//! String keys narrower than `strsize`: the widest string each key position of an aggregation or
//! an associative array can hold.
//!
//! A D string is `strsize` characters and a NUL, so a string key took that many bytes in the key
//! tuple, and `@[execname] = count()` zeroed, hashed and compared 272 bytes per update for a
//! 16-byte `comm`. Some string expressions have a width known at compile time: `execname` (the
//! kernel's `comm`, 16 bytes with its NUL), the probe's names (the 64-byte fields of the
//! `probe_names` map), a string literal (its characters and the NUL), and `stringof`, casts to
//! `string` and `?:` of those. Sema keeps, for each string key position, the widest of these over
//! every use of the aggregation or array in the program; any other expression at that position
//! (`copyinstr`, a variable, a translated member) makes it a whole string. Lowering writes a
//! narrow key with `Lowerer::bounded_string_into`, which handles exactly the expressions
//! [`Checker::string_width`] bounds. Keys are compared bytewise, so equal strings still make equal
//! keys whichever expression produced them: every use writes the same NUL-padded width.

use super::Checker;
use crate::ast::{Expr, ExprKind};
use crate::builtin::variable::{self, VariableSource};
use crate::ir::PROBE_NAME_SIZE;
use crate::types::{Type, string_size};

/// Bytes of `comm` (`TASK_COMM_LEN`), the NUL included.
const COMM_SIZE: u32 = 16;

impl Checker<'_> {
    /// Bytes (the NUL included) of the longest string `expr` can produce, when that is known at
    /// compile time; `None` otherwise.
    pub(super) fn string_width(&self, expr: &Expr) -> Option<u32> {
        let info = &self.type_info;
        let expanded = info.param_uses.contains_key(&expr.span)
            || info.inline_uses.contains_key(&expr.span)
            || info.inline_calls.contains_key(&expr.span)
            || info.xlate_members.contains_key(&expr.span)
            || info.args.contains_key(&expr.span)
            || info.user_string_args.contains(&expr.span);
        if expanded {
            return None;
        }
        match &expr.kind {
            ExprKind::Str(bytes) => u32::try_from(bytes.len()).ok()?.checked_add(1),
            ExprKind::Ident(name) => match variable::lookup(name)?.source {
                VariableSource::Execname => Some(COMM_SIZE),
                VariableSource::ProbeName(_) => Some(PROBE_NAME_SIZE),
                _ => None,
            },
            ExprKind::Ternary {
                then_expr,
                else_expr,
                ..
            } => Some(
                self.string_width(then_expr)?
                    .max(self.string_width(else_expr)?),
            ),
            ExprKind::Call { func, args, .. } if func == "stringof" && args.len() == 1 => {
                self.string_operand_width(&args[0])
            }
            ExprKind::Cast { operand, .. } => self.string_operand_width(operand),
            _ => None,
        }
    }

    /// The width of the operand of `stringof` or a cast to `string`, which lowering writes as the
    /// string it is only when its type is `string`.
    fn string_operand_width(&self, operand: &Expr) -> Option<u32> {
        if self.types.0.get(&operand.span) != Some(&Type::String) {
            return None;
        }
        self.string_width(operand)
    }
}

/// The widths of a key tuple's first use (from [`Checker::string_width`], `None` where a key is not
/// a string) put into the value sizes of its struct, union and array keys.
pub(super) fn first_key_sizes(
    value_sizes: Vec<Option<u32>>,
    widths: &[Option<u32>],
) -> Vec<Option<u32>> {
    value_sizes
        .into_iter()
        .zip(widths)
        .map(|(value_size, width)| value_size.or(*width))
        .collect()
}

/// Drops the widths of `keys` that leave no slot narrower than a whole string of `strsize`
/// characters: those keys take a whole string. Only then do the widths fit the strings' size,
/// which the program's last `strsize` pragma sets once every clause is checked.
pub(super) fn fit_to_strsize(keys: &[Type], key_value_sizes: &mut [Option<u32>], strsize: u32) {
    for (ty, value_size) in keys.iter().zip(key_value_sizes) {
        let whole =
            value_size.is_some_and(|width| width.next_multiple_of(8) >= string_size(strsize));
        if *ty == Type::String && whole {
            *value_size = None;
        }
    }
}

/// Merges a later use's widths into the key sizes known so far, at the string keys of `keys`: the
/// wider of two widths, and a whole string where either use has no width.
pub(super) fn merge_widths(keys: &[Type], known: &mut [Option<u32>], widths: &[Option<u32>]) {
    for ((ty, known_width), width) in keys.iter().zip(known.iter_mut()).zip(widths) {
        if *ty == Type::String {
            *known_width = known_width.zip(*width).map(|(old, new)| old.max(new));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ast::VarScope;
    use crate::compile::tests::{compile_one, first_clause};
    use crate::ir::{Inst, Module};

    fn module_of(program: &str) -> Module {
        compile_one(program)
            .unwrap_or_else(|errors| panic!("{program}: {errors:?}"))
            .module
    }

    /// The widths and the key slot sizes of the first aggregation of `program`.
    fn agg_keys(program: &str) -> (Vec<Option<u32>>, Vec<u32>) {
        let module = module_of(program);
        let agg = &module.aggregations[0];
        (agg.key_value_sizes.clone(), agg.key_sizes(module.strsize))
    }

    #[test]
    fn execname_keys_take_the_bytes_of_comm() {
        assert_eq!(
            agg_keys("BEGIN { @[execname] = count(); }"),
            (vec![Some(16)], vec![16])
        );
        assert_eq!(
            agg_keys("BEGIN { @[execname, pid, execname] = count(); }"),
            (vec![Some(16), None, Some(16)], vec![16, 8, 16])
        );
    }

    #[test]
    fn literals_probe_names_and_their_compositions_have_widths() {
        for (key, width) in [
            ("\"abc\"", 4_u32),
            ("\"abcdefgh\"", 9),
            ("probefunc", 64),
            ("probename", 64),
            ("stringof(\"ab\")", 3),
            ("(string)execname", 16),
            ("pid == 1 ? \"init\" : execname", 16),
            ("pid == 1 ? probemod : \"x\"", 64),
        ] {
            let program = format!("BEGIN {{ @[{key}] = count(); }}");
            assert_eq!(
                agg_keys(&program),
                (vec![Some(width)], vec![width.next_multiple_of(8)]),
                "{key}"
            );
        }
    }

    #[test]
    fn other_strings_are_whole() {
        for key in [
            "copyinstr(arg0)",
            "s",
            "strjoin(execname, \"x\")",
            "n",
            "pid ? execname : s",
            "stringof(s)",
        ] {
            let program =
                format!("inline string n = execname; string s; BEGIN {{ @[{key}] = count(); }}");
            assert_eq!(agg_keys(&program), (vec![None], vec![264]), "{key}");
        }
    }

    #[test]
    fn every_use_of_an_aggregation_widens_its_keys() {
        // The widest of the narrow keys.
        assert_eq!(
            agg_keys(
                "BEGIN { @a[execname] = count(); } END { @a[\"x\"] = count(); @a[probefunc] = count(); }"
            ),
            (vec![Some(64)], vec![64])
        );
        // A whole string anywhere makes the key whole, before or after the narrow ones.
        for program in [
            "BEGIN { @a[execname, 1] = count(); } END { @a[copyinstr(arg0), 2] = count(); }",
            "BEGIN { @a[copyinstr(arg0), 1] = count(); } END { @a[execname, 2] = count(); }",
        ] {
            assert_eq!(agg_keys(program), (vec![None, None], vec![264, 8]));
        }
    }

    #[test]
    fn a_small_strsize_leaves_no_narrower_slot() {
        assert_eq!(
            agg_keys("#pragma D option strsize=8\nBEGIN { @[execname] = count(); }"),
            (vec![None], vec![16])
        );
        assert_eq!(
            agg_keys("#pragma D option strsize=24\nBEGIN { @[execname, \"ab\"] = count(); }"),
            (vec![Some(16), Some(3)], vec![16, 8])
        );
    }

    #[test]
    fn keys_in_error_have_no_width() {
        for key in ["stringof()", "stringof(execname, 1)", "(string)"] {
            let program = format!("BEGIN {{ @[{key}] = count(); x[{key}] = 1; }}");
            assert!(compile_one(&program).is_err(), "{program}");
        }
    }

    #[test]
    fn array_keys_have_widths_too() {
        let module = module_of(
            "BEGIN { a[execname] = 1; self->t[execname, 2] = 3; b[execname] = 1; } END { trace(b[copyinstr(arg0)]); }",
        );
        let key_size = |scope, name: &str| {
            let var = module
                .variables
                .iter()
                .find(|var| var.scope == scope && var.name == name)
                .expect("declared");
            (var.key_value_sizes.clone(), var.key_size(module.strsize))
        };
        assert_eq!(key_size(VarScope::Global, "a"), (vec![Some(16)], Some(16)));
        assert_eq!(
            key_size(VarScope::ThreadLocal, "t"),
            (vec![Some(16), None], Some(32))
        );
        assert_eq!(key_size(VarScope::Global, "b"), (vec![None], Some(264)));
    }

    #[test]
    fn narrow_keys_are_written_to_their_width() {
        let zeros_and_stores = |program: &str| -> Vec<(u32, u32)> {
            first_clause(program)
                .insts
                .iter()
                .filter_map(|inst| match inst {
                    Inst::Zero { offset, size } => Some((*offset, *size)),
                    Inst::StoreBytes { offset, size, .. } => Some((*offset, *size)),
                    _ => None,
                })
                .collect()
        };
        let writes = zeros_and_stores("BEGIN { @[execname, \"abc\"] = count(); }");
        let [(comm_at, 16), (literal_at, 8)] = writes[..] else {
            panic!("{writes:?}");
        };
        assert_eq!(literal_at, comm_at + 16);
        let writes = zeros_and_stores(
            "BEGIN { @[execname] = count(); } END { @[copyinstr(arg0)] = count(); }",
        );
        assert_eq!(
            writes.iter().map(|(_, size)| *size).collect::<Vec<_>>(),
            [264]
        );
    }
}

//! Reusing a dynamic variable's loaded value within a clause.
//!
//! `syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); }` reads `self->ts` in
//! its predicate and again in its body; each read is a hash map lookup under a key built in
//! scratch. When nothing between the two reads can change the element, the second read is the
//! first one's virtual register, and neither its key nor its lookup is lowered.
//!
//! Lowering remembers each integer load of a dynamic variable whose key it can name without
//! running code (a thread-local scalar, or an array subscripted by constants and built-in
//! variables that keep their value while a probe fires, such as `tid`), and forgets it:
//!
//! - at every label, since D jumps only forward: code after a label may be reached without
//!   passing the load, while code reached only by falling through from the load runs after it;
//! - at every instruction that stores into, deletes from or copies into the same variable.
//!
//! Built-in variables that keep their value while a probe fires (`tid`, `pid`, ...) are read once
//! the same way: a later read, with no label in between, is the first read's register.
//!
//! No other instruction changes a dynamic variable: D cannot take a dynamic variable's address,
//! and a thread-local element is only ever written by its own thread. An array element that
//! another CPU changes between the two reads gives the value it had at the first, which the race
//! allowed anyway. The register a load or built-in read defines is a fresh one that no other
//! instruction defines, so it still holds its value at the second read.

use super::Lowerer;
use crate::ast::{Expr, ExprKind, VarScope};
use crate::builtin::variable::{self, VariableSource};
use crate::ir::{Builtin, Inst, VReg};
use crate::source::Span;
use crate::types::Type;

/// One subscript of a remembered load, as a value that is the same wherever it is lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyPart {
    /// A constant of a type.
    Constant { value: u64, ty: Type },
    /// A built-in variable whose value does not change while a probe fires.
    Builtin(Builtin),
}

/// What a load read: the variable and its subscripts (none for a thread-local scalar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LoadKey {
    var: usize,
    subscripts: Vec<KeyPart>,
}

/// The loads whose registers still hold their variable's value at the current instruction, and
/// the invariant built-in variables already read into registers.
#[derive(Debug, Default)]
pub(super) struct LoadCache {
    entries: Vec<(LoadKey, VReg)>,
    builtins: Vec<(Builtin, VReg)>,
}

impl LoadCache {
    /// The register holding the value `key` names, if a load of it is still valid.
    fn get(&self, key: &LoadKey) -> Option<VReg> {
        self.entries
            .iter()
            .find(|(seen, _)| seen == key)
            .map(|&(_, vreg)| vreg)
    }

    fn insert(&mut self, key: LoadKey, vreg: VReg) {
        self.entries.push((key, vreg));
    }

    /// Forgets what `inst`, about to be lowered, may invalidate.
    pub(super) fn observe(&mut self, inst: &Inst) {
        match inst {
            Inst::Label(_) => {
                self.entries.clear();
                self.builtins.clear();
            }
            Inst::StoreVar { var, .. }
            | Inst::StoreVarString { var, .. }
            | Inst::DeleteVar { var, .. }
            | Inst::CopyToVar { var, .. }
            | Inst::StoreVarMember { var, .. } => {
                self.entries.retain(|(key, _)| key.var != *var);
            }
            _ => {}
        }
    }
}

/// Built-in variables that keep their value while a probe fires: each clause of the firing reads
/// the same one (`timestamp` is read once per firing).
fn is_invariant(builtin: Builtin) -> bool {
    matches!(
        builtin,
        Builtin::Pid
            | Builtin::Tid
            | Builtin::Uid
            | Builtin::Gid
            | Builtin::Timestamp
            | Builtin::Cpu
            | Builtin::ProbeId
            | Builtin::CurThread
    )
}

impl Lowerer<'_> {
    /// `builtin`'s value: the register an earlier read of it left, when it is invariant and that
    /// read is still valid (each read of `tid` or `pid` is a helper call).
    pub(super) fn builtin(&mut self, span: Span, builtin: Builtin) -> VReg {
        if let Some(&(_, dst)) = self
            .loads
            .builtins
            .iter()
            .find(|(seen, _)| *seen == builtin)
        {
            return dst;
        }
        let dst = self.vreg();
        self.push(span, Inst::Builtin { dst, builtin });
        if is_invariant(builtin) {
            self.loads.builtins.push((builtin, dst));
        }
        dst
    }

    /// The register of an earlier load of the integer dynamic variable `expr` that still holds its
    /// value, if any.
    pub(super) fn reused_load(&self, expr: &Expr) -> Option<VReg> {
        self.loads.get(&self.load_key(expr)?)
    }

    /// Remembers that `vreg` holds the value of the integer dynamic variable `expr`, just loaded.
    pub(super) fn remember_load(&mut self, expr: &Expr, vreg: VReg) {
        if let Some(key) = self.load_key(expr) {
            self.loads.insert(key, vreg);
        }
    }

    /// What a load of the variable expression `expr` reads, when it is a dynamic variable whose
    /// key is the same wherever it is lowered.
    fn load_key(&self, expr: &Expr) -> Option<LoadKey> {
        let (scope, name, index) = match &expr.kind {
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name, None),
            ExprKind::Index { base, index } => match &base.kind {
                ExprKind::Ident(name) => (VarScope::Global, name, Some(index)),
                ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name, Some(index)),
                _ => return None,
            },
            _ => return None,
        };
        let var = self.checked.variable_index(scope, name);
        if !self.checked.variables[var].is_dynamic() {
            return None;
        }
        let subscripts = index
            .into_iter()
            .flatten()
            .map(|subscript| self.key_part(subscript))
            .collect::<Option<Vec<_>>>()?;
        Some(LoadKey { var, subscripts })
    }

    /// A subscript as a value that is the same wherever it is lowered: a constant or an invariant
    /// built-in variable (not a parameter, inline or symbol of the same name).
    fn key_part(&self, subscript: &Expr) -> Option<KeyPart> {
        let info = &self.checked.type_info;
        let span = subscript.span;
        let ty = self.type_of(subscript);
        if let Some(&value) = info.constants.get(&span) {
            return Some(KeyPart::Constant { value, ty });
        }
        if info.param_uses.contains_key(&span)
            || info.inline_calls.contains_key(&span)
            || info.xlate_members.contains_key(&span)
            || info.inline_uses.contains_key(&span)
            || info.args.contains_key(&span)
            || info.kernel_symbols.contains_key(&span)
        {
            return None;
        }
        match &subscript.kind {
            ExprKind::Int { value, .. } => Some(KeyPart::Constant { value: *value, ty }),
            ExprKind::Ident(name) => match variable::lookup(name)?.source {
                VariableSource::Int(builtin) if is_invariant(builtin) => {
                    Some(KeyPart::Builtin(builtin))
                }
                VariableSource::CurThread => Some(KeyPart::Builtin(Builtin::CurThread)),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, first_clause};
    use crate::ir::{Builtin, Clause, Inst};

    fn loads(clause: &Clause) -> usize {
        clause
            .insts
            .iter()
            .filter(|inst| matches!(inst, Inst::LoadVar { .. }))
            .count()
    }

    /// The variables the programs below use.
    const DECLARATIONS: &str = "self int x; self int y; self int n; self int k; self int t[int];
int a[int]; int pair[int, int];
";

    fn clause_of(program: &str) -> Clause {
        first_clause(&format!("{DECLARATIONS}{program}"))
    }

    fn loads_in(program: &str) -> usize {
        loads(&clause_of(program))
    }

    #[test]
    fn predicate_and_body_share_one_load() {
        let compiled = compile_one(
            "syscall::read:entry { self->ts = timestamp; }
syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
        )
        .unwrap();
        let clause = &compiled.module.clauses[1];
        assert_eq!(loads(clause), 1);
        let tids = clause
            .insts
            .iter()
            .filter(|inst| {
                matches!(
                    inst,
                    Inst::Builtin {
                        builtin: Builtin::Tid,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(tids, 1, "the delete's key takes the predicate's tid");
        let Some(Inst::LoadVar { dst, .. }) = clause
            .insts
            .iter()
            .find(|inst| matches!(inst, Inst::LoadVar { .. }))
        else {
            unreachable!("one load");
        };
        let subtracts_it = clause
            .insts
            .iter()
            .any(|inst| matches!(inst, Inst::Bin { rhs, .. } if rhs == dst));
        assert!(subtracts_it, "the body reads the predicate's register");
    }

    #[test]
    fn repeated_reads_of_one_element_load_once() {
        assert_eq!(loads_in("BEGIN /self->x/ { trace(self->x + self->x); }"), 1);
        assert_eq!(loads_in("BEGIN /a[1]/ { trace(a[1]); }"), 1);
        assert_eq!(loads_in("BEGIN /pair[tid, 3]/ { trace(pair[tid, 3]); }"), 1);
        assert_eq!(loads_in("BEGIN /self->t[pid]/ { trace(self->t[pid]); }"), 1);
        assert_eq!(loads_in("BEGIN { if (self->x) { trace(self->x); } }"), 1);
    }

    #[test]
    fn a_store_or_delete_in_between_loads_again() {
        assert_eq!(
            loads_in("BEGIN /self->x/ { self->x = 2; trace(self->x); }"),
            2
        );
        assert_eq!(
            loads_in("BEGIN /self->x/ { self->x = 0; trace(self->x); }"),
            2
        );
        assert_eq!(loads_in("BEGIN /a[1]/ { a[2] = 5; trace(a[1]); }"), 2);
        assert_eq!(
            loads_in("BEGIN /self->x/ { self->x++; trace(self->x); }"),
            2
        );
    }

    #[test]
    fn an_update_reuses_the_load_before_it_but_not_after() {
        let clause = clause_of("BEGIN /self->n/ { self->n += 1; trace(self->n); }");
        assert_eq!(
            loads(&clause),
            2,
            "the predicate's load, then one after the store"
        );
        assert_eq!(loads_in("BEGIN /self->n/ { self->n++; }"), 1);
    }

    #[test]
    fn different_keys_or_variables_load_each() {
        assert_eq!(loads_in("BEGIN /a[1]/ { trace(a[2]); }"), 2);
        assert_eq!(loads_in("BEGIN /a[1]/ { trace(a[1L << 32]); }"), 2);
        assert_eq!(loads_in("BEGIN /a[tid]/ { trace(a[pid]); }"), 2);
        assert_eq!(loads_in("BEGIN /self->x/ { trace(self->y); }"), 2);
        assert_eq!(loads_in("BEGIN /self->t[1]/ { trace(a[1]); }"), 2);
    }

    #[test]
    fn keys_computed_at_run_time_load_each_time() {
        assert_eq!(loads_in("BEGIN /a[arg0]/ { trace(a[arg0]); }"), 2);
        assert_eq!(loads_in("BEGIN /a[self->k]/ { trace(a[self->k]); }"), 3);
        assert_eq!(
            loads_in("BEGIN /a[walltimestamp]/ { trace(a[walltimestamp]); }"),
            2
        );
    }

    fn builtins_in(program: &str, builtin: Builtin) -> usize {
        clause_of(program)
            .insts
            .iter()
            .filter(|inst| matches!(inst, Inst::Builtin { builtin: seen, .. } if *seen == builtin))
            .count()
    }

    #[test]
    fn invariant_builtins_are_read_once_until_a_label() {
        assert_eq!(
            builtins_in("BEGIN { trace(pid); trace(pid + pid); }", Builtin::Pid),
            1
        );
        assert_eq!(
            builtins_in("BEGIN /tid/ { trace(tid); self->x = tid; }", Builtin::Tid),
            1
        );
        assert_eq!(
            builtins_in(
                "BEGIN { if (arg0) { trace(pid); } trace(pid); }",
                Builtin::Pid
            ),
            2
        );
        assert_eq!(
            builtins_in(
                "BEGIN { trace(walltimestamp); trace(walltimestamp); }",
                Builtin::WallTimestamp
            ),
            2
        );
    }

    #[test]
    fn a_load_is_forgotten_where_control_flow_joins() {
        assert_eq!(
            loads_in("BEGIN { this->v = arg0 ? self->x : 0; trace(self->x); }"),
            2
        );
        assert_eq!(
            loads_in("BEGIN { if (arg0) { trace(self->x); } trace(self->x); }"),
            2
        );
        assert_eq!(
            loads_in("BEGIN { trace(arg0 && self->x); trace(self->x); }"),
            2
        );
    }
}

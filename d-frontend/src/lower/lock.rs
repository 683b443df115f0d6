//! The lock subroutines over Linux's locks, as Oracle's DTrace defines them:
//!
//! | subroutine | value |
//! |---|---|
//! | `mutex_owned(m)` | `(m->owner & ~7) == curthread` |
//! | `mutex_owner(m)` | `m->owner & ~7` (the low 3 bits are flags) |
//! | `mutex_type_adaptive(m)` | 1: every Linux mutex is adaptive |
//! | `mutex_type_spin(m)` | 0 |
//! | `rw_read_held(rw)` | `rw->cnts & ~0x1ff`: the reader count, above the writer bits |
//! | `rw_write_held(rw)` | `rw->cnts & 0xff` (`_QW_LOCKED`) |
//! | `rw_iswriter(rw)` | `rw->cnts & 0x1ff` (`_QW_WMASK`: locked or waiting) |
//!
//! The lock word is read with a probe read, so a bad lock address is an "invalid address" fault.
//! `cnts` is the 32-bit `atomic_t` it is in the kernel.

use super::Lowerer;
use crate::builtin::subr::SubrKind;
use crate::ir::{BinOp, Builtin, Cond, Inst, VReg};
use crate::source::Span;

/// The flag bits in the low bits of `struct mutex`'s `owner`.
const MUTEX_FLAGS: u64 = 0x07;
/// `_QW_LOCKED`: a writer holds the lock.
const QW_LOCKED: u64 = 0xff;
/// `_QW_WMASK`: a writer holds or waits for the lock.
const QW_WMASK: u64 = 0x1ff;

/// A lock subroutine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LockSubr {
    MutexOwned,
    MutexOwner,
    MutexTypeAdaptive,
    MutexTypeSpin,
    RwReadHeld,
    RwWriteHeld,
    RwIsWriter,
}

impl LockSubr {
    /// The lock subroutine `kind` is, if it is one.
    pub(super) fn of(kind: SubrKind) -> Option<LockSubr> {
        Some(match kind {
            SubrKind::MutexOwned => LockSubr::MutexOwned,
            SubrKind::MutexOwner => LockSubr::MutexOwner,
            SubrKind::MutexTypeAdaptive => LockSubr::MutexTypeAdaptive,
            SubrKind::MutexTypeSpin => LockSubr::MutexTypeSpin,
            SubrKind::RwReadHeld => LockSubr::RwReadHeld,
            SubrKind::RwWriteHeld => LockSubr::RwWriteHeld,
            SubrKind::RwIsWriter => LockSubr::RwIsWriter,
            _ => return None,
        })
    }
}

impl Lowerer<'_> {
    /// Lowers lock subroutine `kind` of the lock at address `lock`.
    pub(super) fn lock_subroutine(&mut self, kind: LockSubr, lock: VReg, span: Span) -> VReg {
        let words = self.checked.type_info.lock_words;
        let (offset, size, mask) = match kind {
            LockSubr::MutexTypeAdaptive => return self.constant(span, 1),
            LockSubr::MutexTypeSpin => return self.constant(span, 0),
            LockSubr::MutexOwned | LockSubr::MutexOwner => (words.mutex_owner, 8, !MUTEX_FLAGS),
            LockSubr::RwReadHeld => (words.rwlock_cnts, 4, !QW_WMASK),
            LockSubr::RwWriteHeld => (words.rwlock_cnts, 4, QW_LOCKED),
            LockSubr::RwIsWriter => (words.rwlock_cnts, 4, QW_WMASK),
        };
        let Some(offset) = offset else {
            unreachable!("sema found the lock word of {kind:?}");
        };
        let offset = self.constant(span, u64::from(offset));
        let addr = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Add,
                dst: addr,
                lhs: lock,
                rhs: offset,
            },
        );
        let word = self.vreg();
        self.push(
            span,
            Inst::Load {
                dst: word,
                addr,
                size,
                signed: false,
            },
        );
        let mask = self.constant(span, mask);
        let bits = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::And,
                dst: bits,
                lhs: word,
                rhs: mask,
            },
        );
        if kind != LockSubr::MutexOwned {
            return bits;
        }
        let current = self.vreg();
        self.push(
            span,
            Inst::Builtin {
                dst: current,
                builtin: Builtin::CurThread,
            },
        );
        let dst = self.vreg();
        self.push(
            span,
            Inst::Cmp {
                cond: Cond::Eq,
                dst,
                lhs: bits,
                rhs: current,
            },
        );
        dst
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of, insts_of};
    use crate::ir::{BinOp, Builtin, Cond, Inst};

    fn masks_and_loads(body: &str) -> (Vec<u64>, Vec<u8>, bool) {
        let insts = insts_of(body);
        let constants = insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Const { value, .. } => Some(*value),
                _ => None,
            })
            .collect();
        let loads = insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Load { size, .. } => Some(*size),
                _ => None,
            })
            .collect();
        let compares_with_curthread = insts.iter().any(|inst| {
            matches!(
                inst,
                Inst::Builtin {
                    builtin: Builtin::CurThread,
                    ..
                }
            )
        }) && insts
            .iter()
            .any(|inst| matches!(inst, Inst::Cmp { cond: Cond::Eq, .. }));
        (constants, loads, compares_with_curthread)
    }

    #[test]
    fn mutexes_read_the_owner_word_without_its_flags() {
        let (constants, loads, owned) =
            masks_and_loads("trace(mutex_owned((struct mutex *)arg0));");
        assert!(constants.contains(&!0x7), "{constants:x?}");
        assert_eq!(loads, [8]);
        assert!(owned);
        let (constants, _, owned) =
            masks_and_loads("trace((long)mutex_owner((struct mutex *)arg0));");
        assert!(constants.contains(&!0x7));
        assert!(!owned);
        assert_eq!(
            masks_and_loads("trace(mutex_type_adaptive((struct mutex *)arg0));").0,
            [1]
        );
        assert_eq!(
            masks_and_loads("trace(mutex_type_spin((struct mutex *)arg0));").0,
            [0]
        );
    }

    #[test]
    fn rwlocks_mask_the_count_word() {
        for (call, mask) in [
            ("rw_read_held", !0x1ff),
            ("rw_write_held", 0xff),
            ("rw_iswriter", 0x1ff),
        ] {
            let (constants, loads, _) =
                masks_and_loads(&format!("trace({call}((rwlock_t *)arg0));"));
            assert!(constants.contains(&mask), "{call}: {constants:x?}");
            assert_eq!(loads, [4], "{call}");
        }
        let insts = insts_of("trace(rw_write_held((rwlock_t *)arg0));");
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::Bin { op: BinOp::And, .. }))
        );
    }

    #[test]
    fn lock_prototypes_take_dtrace_errors() {
        for (program, expected) in [
            (
                "BEGIN { mutex_owned(); }",
                "[D_PROTO_LEN] mutex_owned( ) prototype mismatch: 0 args passed, 1 expected",
            ),
            (
                "BEGIN { mutex_type_spin(1, 2); }",
                "[D_PROTO_LEN] mutex_type_spin( ) prototype mismatch: 2 args passed, 1 expected",
            ),
            (
                "BEGIN { mutex_owned(\"x\"); }",
                "[D_PROTO_ARG] mutex_owned( ) argument #1 is incompatible with prototype:\n\tprototype: struct mutex *\n\t argument: string",
            ),
            (
                "BEGIN { rw_iswriter((struct mutex *)arg0); }",
                "[D_PROTO_ARG] rw_iswriter( ) argument #1 is incompatible with prototype:\n\tprototype: rwlock_t *",
            ),
        ] {
            let errors = errors_of(program);
            assert!(
                errors.iter().any(|error| error.contains(expected)),
                "{program}: {errors:?}"
            );
        }
        assert!(compile_one("BEGIN { trace(mutex_owned(NULL)); }").is_ok());
    }
}

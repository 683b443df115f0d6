//! Lowering subroutine calls and string comparisons.
//!
//! String arguments are evaluated into fresh slots, so no instruction ever reads the slot it
//! writes; integer arguments are converted to the prototype's type first.

use super::Lowerer;
use super::lock::LockSubr;
use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::builtin::subr::{self, Param, SubrKind, Subroutine};
use crate::ir::{BinOp, Cond, Inst, Subr, VReg};
use crate::source::Span;
use crate::types::{Type, string_size};

/// An argument, lowered.
enum Arg {
    /// A string slot.
    Slot(u32),
    /// An integer.
    Int(VReg),
    /// `NULL` as `strtok`'s first argument.
    Null,
}

impl Lowerer<'_> {
    /// A new string slot holding `expr`'s value.
    pub(super) fn string_temp(&mut self, expr: &Expr) -> u32 {
        let offset = self.temp(string_size(self.strsize()));
        self.string_into(expr, offset);
        offset
    }

    /// A new string slot holding `expr`'s string: a `string`, or the one a `char` array holds.
    pub(super) fn string_value_temp(&mut self, expr: &Expr) -> u32 {
        let offset = self.temp(string_size(self.strsize()));
        self.string_value_into(expr, offset);
        offset
    }

    /// A new string slot holding a subroutine's string argument, which faults when it is the NULL
    /// string, as DTrace's subroutines do.
    fn string_argument(&mut self, arg: &Expr) -> u32 {
        let slot = if self.type_of(arg).is_pointer() {
            self.string_value_temp(arg)
        } else {
            self.string_temp(arg)
        };
        self.check_not_null(arg, slot);
        slot
    }

    /// Faults when the string `expr` wrote at `slot` is the NULL string, unless it cannot be: a
    /// literal or a built-in variable (`execname`, `probefunc`, ...).
    pub(super) fn check_not_null(&mut self, expr: &Expr, slot: u32) {
        let never_null = match &expr.kind {
            ExprKind::Str(_) => true,
            ExprKind::Ident(name) => crate::builtin::variable::lookup(name)
                .is_some_and(|variable| variable.ty == Type::String),
            _ => false,
        };
        if !never_null {
            self.push(expr.span, Inst::Subr(Subr::CheckNotNull { src: slot }));
        }
    }

    /// Whether `expr` compares as a string: a `string`, or a `char` array (which holds one).
    pub(super) fn is_string_like(&self, expr: &Expr) -> bool {
        let ty = self.type_of(expr);
        ty == Type::String || self.checked.type_info.table.is_char_array(ty)
    }

    /// `lhs op rhs` where one side is a string: `strcmp`'s sign, or a test against `NULL`.
    pub(super) fn string_comparison(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
    ) -> VReg {
        let (lhs_string, rhs_string) = (self.is_string_like(lhs), self.is_string_like(rhs));
        let mark = self.scratch_top;
        let zero = self.vreg();
        self.push(
            span,
            Inst::Const {
                dst: zero,
                value: 0,
            },
        );
        let result = self.vreg();
        if lhs_string == rhs_string {
            let lhs_slot = self.string_value_temp(lhs);
            let rhs_slot = self.string_value_temp(rhs);
            self.push(
                span,
                Inst::Subr(Subr::StrCmp {
                    dst: result,
                    lhs: lhs_slot,
                    rhs: rhs_slot,
                }),
            );
        } else {
            let string = if lhs_string { lhs } else { rhs };
            let slot = self.string_value_temp(string);
            // `s == NULL` is `isnull(s) != 0`, so the test below compares with 0 the other way.
            self.push(
                span,
                Inst::Subr(Subr::IsNull {
                    dst: result,
                    src: slot,
                }),
            );
        }
        self.release_temps(mark);
        let cond = match (op, lhs_string == rhs_string) {
            (BinaryOp::Eq, true) | (BinaryOp::Ne, false) => Cond::Eq,
            (BinaryOp::Ne, true) | (BinaryOp::Eq, false) => Cond::Ne,
            (BinaryOp::Lt, _) => Cond::SLt,
            (BinaryOp::Le, _) => Cond::SLe,
            (BinaryOp::Gt, _) => Cond::SGt,
            _ => Cond::SGe,
        };
        let dst = self.vreg();
        let (lhs_value, rhs_value) = match (op, lhs_string == rhs_string) {
            (BinaryOp::Eq | BinaryOp::Ne, false) => (zero, result),
            _ => (result, zero),
        };
        self.push(
            span,
            Inst::Cmp {
                cond,
                dst,
                lhs: lhs_value,
                rhs: rhs_value,
            },
        );
        dst
    }

    fn subroutine_args(&mut self, subroutine: &Subroutine, args: &[Expr]) -> Vec<Arg> {
        subroutine
            .params
            .iter()
            .zip(args)
            .map(|(param, arg)| match param {
                Param::String => Arg::Slot(self.string_argument(arg)),
                Param::Pointer if !self.type_of(arg).is_pointer() => {
                    Arg::Slot(self.string_value_temp(arg))
                }
                Param::Address(..) if matches!(self.type_of(arg), Type::Array(_)) => {
                    Arg::Int(self.place_address(arg, false))
                }
                Param::Pointer | Param::AllocaPointer | Param::Address(..) | Param::Kernel(..) => {
                    Arg::Int(self.int_expr(arg))
                }
                Param::Int(name) => {
                    let ty = match *name {
                        "char" => Type::Int {
                            size: 1,
                            signed: true,
                        },
                        "int" | "pid_t" => Type::INT,
                        _ => Type::LONG,
                    };
                    Arg::Int(self.converted(arg, ty))
                }
            })
            .collect()
    }

    /// Lowers a subroutine with an integer result.
    pub(super) fn subroutine_int(&mut self, func: &str, args: &[Expr], span: Span) -> VReg {
        let Some(subroutine) = subr::lookup(func) else {
            unreachable!("sema resolved {func} as a subroutine");
        };
        let mark = self.scratch_top;
        let lowered = self.subroutine_args(subroutine, args);
        if let (SubrKind::Getmajor | SubrKind::Getminor, [Arg::Int(dev)]) =
            (subroutine.kind, lowered.as_slice())
        {
            return self.device_number_part(*dev, subroutine.kind == SubrKind::Getmajor, span);
        }
        if let (Some(kind), [Arg::Int(lock)]) = (LockSubr::of(subroutine.kind), lowered.as_slice())
        {
            return self.lock_subroutine(kind, *lock, span);
        }
        if let Some(result) = self.memory_subroutine(subroutine.kind, args, &lowered, span) {
            self.release_temps(mark);
            return result;
        }
        let dst = self.vreg();
        let inst = match (subroutine.kind, lowered.as_slice()) {
            (SubrKind::Strlen, [Arg::Slot(src)]) => Subr::StrLen { dst, src: *src },
            (
                SubrKind::Index | SubrKind::Rindex,
                [Arg::Slot(haystack), Arg::Slot(needle), rest @ ..],
            ) => Subr::Index {
                dst,
                haystack: *haystack,
                needle: *needle,
                start: int_arg(rest.first()),
                reverse: subroutine.kind == SubrKind::Rindex,
            },
            (SubrKind::Rand, []) => Subr::Rand { dst },
            (SubrKind::Speculation, []) => Subr::Speculation { dst },
            (SubrKind::Htons | SubrKind::Htonl | SubrKind::Htonll, [Arg::Int(src)]) => {
                Subr::ByteSwap {
                    dst,
                    src: *src,
                    bits: match subroutine.kind {
                        SubrKind::Htons => 16,
                        SubrKind::Htonl => 32,
                        _ => 64,
                    },
                }
            }
            (SubrKind::Progenyof, [Arg::Int(pid)]) => {
                let Some((real_parent, tgid)) = self.checked.ppid_offsets else {
                    unreachable!("sema checked that task_struct offsets are available");
                };
                Subr::ProgenyOf {
                    dst,
                    pid: *pid,
                    real_parent,
                    tgid,
                }
            }
            _ => unreachable!("sema checked {func}'s prototype"),
        };
        self.push(span, Inst::Subr(inst));
        self.release_temps(mark);
        dst
    }

    /// `alloca`, `copyin`, `copyinto` and `bcopy`; `None` for other subroutines. Their memory
    /// is in the `alloca` area: see `sema::alloca`.
    fn memory_subroutine(
        &mut self,
        kind: SubrKind,
        args: &[Expr],
        lowered: &[Arg],
        span: Span,
    ) -> Option<VReg> {
        let result = match (kind, lowered) {
            (SubrKind::Alloca, [Arg::Int(size)]) => self.alloca(*size, span),
            (SubrKind::Copyin, [Arg::Int(addr), Arg::Int(size)]) => {
                let offset = self.alloca(*size, span);
                let dst = self.alloca_address(offset, *size, span);
                self.copy_mem(dst, *addr, *size, true, span);
                offset
            }
            (SubrKind::Copyinto, [Arg::Int(addr), Arg::Int(size), Arg::Int(offset)]) => {
                let dst = self.alloca_address(*offset, *size, span);
                self.copy_mem(dst, *addr, *size, true, span);
                self.constant(span, 0)
            }
            (SubrKind::Bcopy, [src, Arg::Int(offset), Arg::Int(size)]) => {
                let src = match src {
                    Arg::Slot(slot) => {
                        let dst = self.vreg();
                        self.push(span, Inst::Subr(Subr::SlotAddress { dst, slot: *slot }));
                        dst
                    }
                    Arg::Int(value) if self.is_alloca(&args[0]) => {
                        self.alloca_address(*value, *size, span)
                    }
                    Arg::Int(value) => *value,
                    Arg::Null => unreachable!("bcopy has no NULL argument"),
                };
                let dst = self.alloca_address(*offset, *size, span);
                self.copy_mem(dst, src, *size, false, span);
                self.constant(span, 0)
            }
            _ => return None,
        };
        Some(result)
    }

    /// The address a subroutine reads from: `addr` itself, or the address of the `alloca`
    /// memory when `arg` is an `alloca` pointer, checked against the area for the bytes `size`
    /// computes.
    fn read_address(
        &mut self,
        arg: &Expr,
        addr: VReg,
        size: impl FnOnce(&mut Self) -> VReg,
    ) -> VReg {
        if !self.is_alloca(arg) {
            return addr;
        }
        let size = size(self);
        self.alloca_address(addr, size, arg.span)
    }

    /// The bytes a subroutine reads for the address kind `kind`: `special.1` when `kind` is
    /// `special.0`, else `other`, as `other + (special.1 - other) * (kind == special.0)`. For
    /// `link_ntop`, 20 for `ARPHRD_INFINIBAND` (32), else 6; for `inet_ntop`, 16 for `AF_INET6`
    /// (10), else 4.
    fn size_by_kind(&mut self, kind: VReg, special: (u64, u64), other: u64, span: Span) -> VReg {
        let infiniband = self.constant(span, special.0);
        let is_infiniband = self.vreg();
        self.push(
            span,
            Inst::Cmp {
                cond: Cond::Eq,
                dst: is_infiniband,
                lhs: kind,
                rhs: infiniband,
            },
        );
        let extra = self.constant(span, special.1 - other);
        let scaled = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Mul,
                dst: scaled,
                lhs: is_infiniband,
                rhs: extra,
            },
        );
        let ethernet = self.constant(span, other);
        let size = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Add,
                dst: size,
                lhs: scaled,
                rhs: ethernet,
            },
        );
        size
    }

    fn alloca(&mut self, size: VReg, span: Span) -> VReg {
        let dst = self.vreg();
        self.push(span, Inst::Subr(Subr::Alloca { dst, size }));
        dst
    }

    fn copy_mem(&mut self, dst: VReg, src: VReg, size: VReg, user: bool, span: Span) {
        self.push(
            span,
            Inst::Subr(Subr::CopyMem {
                dst,
                src,
                size,
                user,
            }),
        );
    }

    /// `getmajor(dev)` or `getminor(dev)` of a Linux `dev_t`: `(u32)dev >> 20` or `dev & 0xfffff`.
    fn device_number_part(&mut self, dev: VReg, major: bool, span: Span) -> VReg {
        let (mask, shift) = if major {
            (0xffff_ffff, 20)
        } else {
            (0xf_ffff, 0)
        };
        let mask = self.constant(span, mask);
        let masked = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::And,
                dst: masked,
                lhs: dev,
                rhs: mask,
            },
        );
        if shift == 0 {
            return masked;
        }
        let shift = self.constant(span, shift);
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::LShr,
                dst,
                lhs: masked,
                rhs: shift,
            },
        );
        dst
    }

    /// Lowers a subroutine with a string result into the slot at `dst`.
    pub(super) fn subroutine_string(&mut self, func: &str, args: &[Expr], span: Span, dst: u32) {
        let Some(subroutine) = subr::lookup(func) else {
            unreachable!("sema resolved {func} as a subroutine");
        };
        let mark = self.scratch_top;
        let strtok_continues =
            subroutine.kind == SubrKind::Strtok && self.type_of(&args[0]).is_int();
        let lowered = if strtok_continues {
            vec![Arg::Null, Arg::Slot(self.string_argument(&args[1]))]
        } else {
            self.subroutine_args(subroutine, args)
        };
        let inst = match (subroutine.kind, lowered.as_slice()) {
            (SubrKind::Strjoin, [Arg::Slot(lhs), Arg::Slot(rhs)]) => Subr::StrJoin {
                dst,
                lhs: *lhs,
                rhs: *rhs,
            },
            (SubrKind::Substr, [Arg::Slot(src), Arg::Int(index), rest @ ..]) => Subr::Substr {
                dst,
                src: *src,
                index: *index,
                count: int_arg(rest.first()),
            },
            (SubrKind::Strchr | SubrKind::Strrchr, [Arg::Slot(src), Arg::Int(ch)]) => {
                Subr::StrChr {
                    dst,
                    src: *src,
                    ch: *ch,
                    reverse: subroutine.kind == SubrKind::Strrchr,
                }
            }
            (SubrKind::Strstr, [Arg::Slot(haystack), Arg::Slot(needle)]) => Subr::StrStr {
                dst,
                haystack: *haystack,
                needle: *needle,
            },
            (SubrKind::Strtok, [first, Arg::Slot(delimiters)]) => Subr::StrTok {
                dst,
                src: match first {
                    Arg::Slot(src) => Some(*src),
                    _ => None,
                },
                delimiters: *delimiters,
            },
            (SubrKind::Lltostr, [Arg::Int(value), rest @ ..]) => Subr::LlToStr {
                dst,
                value: *value,
                base: int_arg(rest.first()),
            },
            (SubrKind::Toupper | SubrKind::Tolower, [Arg::Slot(src)]) => Subr::ChangeCase {
                dst,
                src: *src,
                upper: subroutine.kind == SubrKind::Toupper,
            },
            (SubrKind::Basename | SubrKind::Dirname, [Arg::Slot(src)]) => Subr::PathPart {
                dst,
                src: *src,
                dir: subroutine.kind == SubrKind::Dirname,
            },
            (SubrKind::Copyinstr, [Arg::Int(addr), rest @ ..]) => Subr::CopyInStr {
                dst,
                addr: *addr,
                max: int_arg(rest.first()),
            },
            (SubrKind::Cleanpath, [Arg::Slot(src)]) => Subr::CleanPath { dst, src: *src },
            (SubrKind::InetNtoa, [Arg::Int(addr)]) => Subr::InetNtoa {
                dst,
                addr: self.read_address(&args[0], *addr, |lowerer| lowerer.constant(span, 4)),
            },
            (SubrKind::LinkNtop, [Arg::Int(kind), Arg::Int(addr)]) => Subr::LinkNtop {
                dst,
                kind: *kind,
                addr: self.read_address(&args[1], *addr, |lowerer| {
                    lowerer.size_by_kind(*kind, (32, 20), 6, span)
                }),
            },
            (SubrKind::InetNtoa6, [Arg::Int(addr), ..]) => Subr::InetNtoa6 {
                dst,
                addr: self.read_address(&args[0], *addr, |lowerer| lowerer.constant(span, 16)),
                strict: args.get(1).is_some_and(|strict| {
                    self.checked.type_info.constants.get(&strict.span) != Some(&0)
                }),
                family: None,
            },
            (SubrKind::InetNtop, [Arg::Int(family), Arg::Int(addr)]) => Subr::InetNtoa6 {
                dst,
                addr: self.read_address(&args[1], *addr, |lowerer| {
                    lowerer.size_by_kind(*family, (10, 16), 4, span)
                }),
                strict: true,
                family: Some(*family),
            },
            (SubrKind::DPath | SubrKind::DMountPath, [Arg::Int(path)]) => {
                let Some(offsets) = self.checked.path_offsets else {
                    unreachable!("sema checked that the path walk's offsets are available");
                };
                let size = offsets.path_mnt.max(offsets.path_dentry) + 8;
                Subr::DPath {
                    dst,
                    path: self.read_address(&args[0], *path, |lowerer| {
                        lowerer.constant(span, u64::from(size))
                    }),
                    offsets,
                    mount_point: subroutine.kind == SubrKind::DMountPath,
                }
            }
            _ => unreachable!("sema checked {func}'s prototype"),
        };
        self.push(span, Inst::Subr(inst));
        self.release_temps(mark);
    }
}

fn int_arg(arg: Option<&Arg>) -> Option<VReg> {
    match arg {
        Some(Arg::Int(vreg)) => Some(*vreg),
        Some(Arg::Slot(_) | Arg::Null) => unreachable!("sema checked integer arguments"),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, insts_of};
    use crate::diagnostic::ErrTag;
    use crate::ir::{Builtin, Inst};

    fn subrs(insts: &[Inst]) -> Vec<String> {
        insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Subr(subr) => Some(subr.display()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn byte_swaps_keep_their_width() {
        let swaps: Vec<String> = subrs(&insts_of(
            "trace(htons(1)); trace(ntohl(1)); trace(htonll(1));",
        ))
        .into_iter()
        .filter(|text| text.contains("bswap"))
        .map(|text| text.split(' ').nth(2).unwrap_or_default().to_string())
        .collect();
        assert_eq!(swaps, ["bswap16", "bswap32", "bswap64"]);
    }

    #[test]
    fn device_numbers_are_masks_and_shifts() {
        let constants = crate::compile::tests::constants_of(
            "BEGIN { trace(getmajor(0x1234567)); trace(getminor(0x1234567)); }",
        );
        assert_eq!(
            constants,
            [0x123_4567, 0xffff_ffff, 20, 0x123_4567, 0xf_ffff]
        );
    }

    #[test]
    fn memory_subroutines_check_the_alloca_area() {
        let text = subrs(&insts_of(
            "p = (char *)alloca(4); p[1] = 2; bcopy(\"ab\", p, 2); trace(p[1]);",
        ));
        assert_eq!(text[0], "alloca reset");
        assert!(text[1].contains("= alloca %"), "{text:?}");
        let n_checks = text
            .iter()
            .filter(|subr| subr.contains("alloca address"))
            .count();
        assert_eq!(
            n_checks, 3,
            "the store, the copy and the load are checked: {text:?}"
        );
        assert!(
            text.iter().any(|subr| subr.starts_with("copy [")),
            "{text:?}"
        );
        assert!(text.iter().any(|subr| subr.contains("..+1] =")), "{text:?}");
    }

    #[test]
    fn string_arguments_are_checked_for_null_unless_they_cannot_be() {
        let text = subrs(&insts_of(
            "x = \"a\"; trace(strlen(x)); trace(strlen(probename)); trace(strlen(\"abc\")); trace(strlen(NULL));",
        ));
        let n_checks = text
            .iter()
            .filter(|subr| subr.starts_with("fault if"))
            .count();
        assert_eq!(n_checks, 2, "x and NULL are checked: {text:?}");
    }

    #[test]
    fn epid_names_its_clause_and_vtimestamp_needs_btf() {
        let compiled = compile_one("BEGIN { x = 1; } BEGIN { trace(epid); }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert!(compiled.module.clauses[1].insts.iter().any(|inst| matches!(
            inst,
            Inst::Builtin {
                builtin: Builtin::Epid { clause: 1 },
                ..
            }
        )));
        let errors = compile_one("BEGIN { trace(vtimestamp); }").expect_err("no BTF offsets");
        assert_eq!(errors[0].tag, ErrTag::D_IDENT_UNDEF);
        let errors = compile_one("BEGIN { trace(uregs); }").expect_err("no user registers yet");
        assert_eq!(
            errors[0].message,
            "uregs is not supported yet: tracer does not read user registers"
        );
    }

    #[test]
    fn inet_ntoa_reads_alloca_memory_through_a_checked_address() {
        let text = subrs(&insts_of(
            "p = (ipaddr_t *)alloca(4); trace(inet_ntoa(p)); trace(inet_ntoa((ipaddr_t *)64));",
        ));
        let reads: Vec<&String> = text
            .iter()
            .filter(|subr| subr.contains("inet_ntoa"))
            .collect();
        assert_eq!(reads.len(), 2, "{text:?}");
        let checks = text
            .iter()
            .filter(|subr| subr.contains("alloca address"))
            .count();
        assert_eq!(checks, 1, "only the alloca pointer is checked: {text:?}");
        let errors = crate::compile::tests::compile_one("BEGIN { trace(inet_ntoa(\"x\")); }")
            .expect_err("a string is not an address");
        assert_eq!(errors[0].tag, ErrTag::D_PROTO_ARG);
    }

    #[test]
    fn inet_ntoa6_is_strict_for_a_non_zero_constant_and_inet_ntop_always() {
        let text = subrs(&insts_of(
            "p = (void *)alloca(16); trace(inet_ntoa6(p)); trace(inet_ntoa6(p, 2 - 1)); \
             trace(inet_ntoa6(p, 0)); trace(inet_ntop(AF_INET6, p));",
        ));
        let conversions: Vec<&str> = text
            .iter()
            .filter_map(|subr| subr.split(" = ").nth(1))
            .filter(|subr| subr.starts_with("inet"))
            .map(|subr| subr.split(" [").next().unwrap_or_default())
            .map(|subr| subr.split(" %").next().unwrap_or_default())
            .collect();
        assert_eq!(
            conversions,
            ["inet_ntoa6", "inet_ntoa6 strict", "inet_ntoa6", "inet_ntop"]
        );
        let constants = crate::compile::tests::constants_of(
            "BEGIN { p = (char *)alloca(16); trace(inet_ntop(AF_INET6, p)); }",
        );
        assert!(
            constants.ends_with(&[10, 10, 12, 4]),
            "the family, then 4 + 12 * (family == AF_INET6): {constants:?}"
        );
    }

    #[test]
    fn a_string_value_is_indexed_through_its_slot() {
        let text = subrs(&insts_of("trace((s = copyinstr(arg1))[4]);"));
        assert!(
            text.iter().any(|subr| subr.contains("copyinstr")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|subr| subr.contains("= address ")),
            "the character is read at the slot's address: {text:?}"
        );
    }

    #[test]
    fn inet_ntoa6_wants_an_in6_addr_and_a_constant() {
        for (text, tag) in [
            (
                "BEGIN { n = 1; inet_ntoa6((void *)0, n); }",
                ErrTag::D_PROTO_ARG,
            ),
            ("BEGIN { inet_ntoa6(\"\"); }", ErrTag::D_PROTO_ARG),
            ("BEGIN { inet_ntoa6(0, 0, 0); }", ErrTag::D_PROTO_LEN),
            ("BEGIN { inet_ntop(AF_INET6); }", ErrTag::D_PROTO_LEN),
        ] {
            let errors = crate::compile::tests::compile_one(text).expect_err(text);
            assert_eq!(errors[0].tag, tag, "{text}");
        }
        let errors =
            crate::compile::tests::compile_one("BEGIN { n = 1; inet_ntoa6((void *)0, n); }")
                .expect_err("not a constant");
        assert_eq!(
            errors[0].message,
            "inet_ntoa6( ) argument #2 must be an integer constant"
        );
    }

    #[test]
    fn link_ntop_checks_alloca_memory_for_the_address_size() {
        let text = subrs(&insts_of(
            "p = (char *)alloca(20); trace(link_ntop(ARPHRD_INFINIBAND, p));",
        ));
        assert!(
            text.iter().any(|subr| subr.contains("= link_ntop %")),
            "{text:?}"
        );
        let constants = crate::compile::tests::constants_of(
            "BEGIN { p = (char *)alloca(20); trace(link_ntop(ARPHRD_INFINIBAND, p)); }",
        );
        assert!(
            constants.ends_with(&[32, 32, 14, 6]),
            "the type, then 6 + 14 * (type == 32): {constants:?}"
        );
        let errors = crate::compile::tests::compile_one("BEGIN { link_ntop(1); }")
            .expect_err("two arguments");
        assert_eq!(errors[0].tag, ErrTag::D_PROTO_LEN);
    }

    #[test]
    fn cleanpath_checks_its_argument_for_null() {
        let text = subrs(&insts_of("s = \"a/./b\"; trace(cleanpath(s));"));
        let position = |prefix: &str| text.iter().position(|subr| subr.contains(prefix));
        let check = position("fault if").expect("a NULL check");
        let clean = position("= cleanpath ").expect("a cleanpath");
        assert!(check < clean, "{text:?}");
    }
}

//! Subroutine instructions to eBPF: string operations, `rand`, `progenyof` and `copyinstr`.
//!
//! Copies go through `bpf_probe_read_kernel_str` (or `_user_str` for user memory), which also
//! measures a string; scans are `may_goto` loops over the work area (see `loops` and `area`), so a
//! clause may use any number of them at any `strsize` without the verifier's cost growing.
//! Integer results are loaded from memory or come straight from a helper, and every register is
//! dead once an instruction is done, so the paths through one instruction's branches meet again
//! as one verifier state.

mod alloca;
mod area;
mod clean;
mod compare;
mod cpu;
mod dpath;
mod edit;
mod inet;
mod inet6;
mod loops;
mod path;
mod proc;
mod search;
mod tok;

use d_frontend::ir::Subr;

pub use self::area::StringArea;
use super::emit::Emitter;
use super::inst::ClauseContext;

impl ClauseContext<'_> {
    /// Emits the code for one subroutine instruction. Some subroutines keep values in r8 and r9
    /// across helper calls, so r8 points at the `globals` value again afterwards (see `frame`).
    pub fn subr(&self, emitter: &mut Emitter, subr: &Subr) {
        self.subr_code(emitter, subr);
        super::var::reload_globals(emitter, self.maps);
    }

    fn subr_code(&self, emitter: &mut Emitter, subr: &Subr) {
        let area = self.strings;
        match subr {
            Subr::StrLen { dst, src } => {
                loops::string_length(emitter, area, *src);
                self.store_vreg(emitter, *dst, crate::insn::Reg::R0);
            }
            Subr::StrCmp { dst, lhs, rhs } => compare::strcmp(self, emitter, *dst, *lhs, *rhs),
            Subr::IsNull { dst, src } => compare::is_null(self, emitter, *dst, *src),
            Subr::SetNull { dst } => {
                loops::clear_slot(emitter, area, *dst);
                loops::set_null(emitter, area, *dst);
            }
            Subr::StrJoin { dst, lhs, rhs } => edit::strjoin(area, emitter, *dst, *lhs, *rhs),
            Subr::Substr {
                dst,
                src,
                index,
                count,
            } => edit::substr(self, emitter, *dst, *src, *index, *count),
            Subr::Index {
                dst,
                haystack,
                needle,
                start,
                reverse,
            } => {
                search::find(self, emitter, *haystack, *needle, *start, *reverse);
                loops::load_var(emitter, area, crate::insn::Reg::R0, area::Var::Result);
                self.store_vreg(emitter, *dst, crate::insn::Reg::R0);
            }
            Subr::StrChr {
                dst,
                src,
                ch,
                reverse,
            } => search::strchr(self, emitter, *dst, *src, *ch, *reverse),
            Subr::StrStr {
                dst,
                haystack,
                needle,
            } => search::strstr(self, emitter, *dst, *haystack, *needle),
            Subr::StrTok {
                dst,
                src,
                delimiters,
            } => tok::strtok(area, emitter, *dst, *src, *delimiters),
            Subr::CheckNotNull { src } => {
                //   if (src is the NULL string) fault BADADDR at 0
                emitter.push(crate::insn::Insn::ldx_mem(
                    crate::insn::Size::B,
                    crate::insn::Reg::R0,
                    super::frame::SCRATCH,
                    super::inst::scratch_offset(src + area.strsize),
                ));
                self.fault_unless(
                    emitter,
                    crate::insn::JmpOp::Jeq,
                    crate::insn::Reg::R0,
                    0,
                    crate::layout::Fault::BadAddr,
                    None,
                );
            }
            Subr::LlToStr { dst, value, base } => {
                edit::lltostr(self, emitter, *dst, *value, *base);
            }
            Subr::ChangeCase { dst, src, upper } => {
                edit::change_case(area, emitter, *dst, *src, *upper);
            }
            Subr::PathPart { dst, src, dir } => path::path_part(area, emitter, *dst, *src, *dir),
            Subr::CopyInStr { dst, addr, max } => {
                proc::copyinstr(self, emitter, *dst, *addr, *max);
            }
            Subr::ByteSwap { dst, src, bits } => {
                self.load_vreg(emitter, crate::insn::Reg::R0, *src);
                emitter.push(crate::insn::Insn::to_be(
                    crate::insn::Reg::R0,
                    i32::from(*bits),
                ));
                self.store_vreg(emitter, *dst, crate::insn::Reg::R0);
            }
            Subr::AllocaReset => alloca::alloca_reset(emitter),
            Subr::Alloca { dst, size } => self.alloca(emitter, *dst, *size),
            Subr::AllocaAddr { dst, offset, size } => {
                self.alloca_address(emitter, *dst, *offset, *size);
            }
            Subr::SlotAddress { dst, slot } => self.slot_address(emitter, *dst, *slot),
            Subr::CopyMem {
                dst,
                src,
                size,
                user,
            } => self.copy_mem(emitter, *dst, *src, *size, *user),
            Subr::StoreMem { addr, size, src } => self.store_mem(emitter, *addr, *size, *src),
            Subr::Rand { dst } => proc::rand(self, emitter, *dst),
            Subr::Speculation { dst } => self.speculation(emitter, *dst),
            Subr::ProgenyOf {
                dst,
                pid,
                real_parent,
                tgid,
            } => proc::progenyof(self, emitter, *dst, *pid, *real_parent, *tgid),
            Subr::CleanPath { dst, src } => clean::cleanpath(area, emitter, *dst, *src),
            Subr::InetNtoa { dst, addr } => inet::inet_ntoa(self, emitter, *dst, *addr),
            Subr::InetNtoa6 {
                dst,
                addr,
                strict,
                family: None,
            } => inet6::inet_ntoa6(self, emitter, *dst, *addr, *strict),
            Subr::InetNtoa6 {
                dst,
                addr,
                family: Some(family),
                ..
            } => inet6::inet_ntop(self, emitter, *dst, *family, *addr),
            Subr::LinkNtop { dst, kind, addr } => {
                inet::link_ntop(self, emitter, *dst, *kind, *addr);
            }
            Subr::DPath {
                dst,
                path,
                offsets,
                mount_point,
            } => dpath::d_path(self, emitter, *dst, *path, offsets, *mount_point),
            Subr::ExecArgs { dst, offsets } => proc::execargs(area, emitter, *dst, offsets),
        }
    }
}

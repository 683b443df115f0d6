//! Code for the action that talks to the ring buffer: sending records.

use super::emit::Emitter;
use super::frame::{CTX, KEY_SLOT, SCRATCH};
use super::inst::{ClauseContext, scratch_offset, scratch_pointer};
use super::maps::{MapIndex, MapType};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    DCTX_PROBE_ID, RECORD_BLOCKS, RECORD_CLAUSE_ID, RECORD_CPU, RECORD_PROBE_ID, STATS_DROPS,
};

/// `BPF_RB_NO_WAKEUP`: the reader finds the record at its next poll.
const BPF_RB_NO_WAKEUP: i32 = 1;
/// `BPF_RB_FORCE_WAKEUP`: wake the reader now.
const BPF_RB_FORCE_WAKEUP: i32 = 2;
/// `BPF_F_CURRENT_CPU`: the perf buffer of the CPU the program runs on.
const BPF_F_CURRENT_CPU: u64 = 0xffff_ffff;

/// Fills in the header of the record at scratch `offset` and sends it to the ring buffer, unless
/// its blocks mask (which lowering fills in) says no block with an action ran.
///
/// ```text
///   if (rec->blocks == 0) goto sent                      r1 = *(u32 *)(rec + 12); if r1 == 0
///   rec->clause_id = N; rec->probe_id = dctx->probe_id; rec->cpu = smp_processor_id()
///   output(rec, size)                                     see `output`
/// sent:
/// ```
///
/// The CPU is written as a 32-bit word, which clears the speculation fields after it, except in a
/// clause that may speculate (`speculative`), whose `speculate()` set them.
pub fn emit_record(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    clause_id: u32,
    offset: u32,
    size: u32,
    wakeup: bool,
    speculative: bool,
) {
    let sent = emitter.target();
    emitter.push(Insn::ldx_mem(
        Size::W,
        Reg::R1,
        SCRATCH,
        scratch_offset(offset) + RECORD_BLOCKS,
    ));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, sent);
    emitter.push(Insn::st_mem(
        Size::W,
        SCRATCH,
        scratch_offset(offset) + RECORD_CLAUSE_ID,
        clause_id as i32,
    ));
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, SCRATCH, DCTX_PROBE_ID));
    emitter.push(Insn::stx_mem(
        Size::W,
        SCRATCH,
        Reg::R1,
        scratch_offset(offset) + RECORD_PROBE_ID,
    ));
    emitter.push(Insn::call(Helper::bpf_get_smp_processor_id));
    emitter.push(Insn::stx_mem(
        if speculative { Size::H } else { Size::W },
        SCRATCH,
        Reg::R0,
        scratch_offset(offset) + RECORD_CPU,
    ));
    output(context.maps, emitter, offset, size, wakeup);
    emitter.place(sent);
}

/// Sends the `size` bytes at scratch `offset` to the ring buffer, counting a drop when they do not
/// fit; or to this CPU's perf buffer, where the kernel counts the drops itself and tells the
/// reader with `PERF_RECORD_LOST`.
///
/// ```text
///   if (ringbuf_output(events, rec, size, flags) < 0)   call bpf_ringbuf_output
///           stats[0].drops++                             call lookup; *r0 += 1
///   perf_event_output(ctx, events, CURRENT_CPU, rec, size)  call bpf_perf_event_output
/// ```
pub fn output(maps: &MapIndex, emitter: &mut Emitter, offset: u32, size: u32, wakeup: bool) {
    if maps.defs[maps.events].map_type == MapType::BPF_MAP_TYPE_PERF_EVENT_ARRAY as u32 {
        emitter.push(Insn::mov64_reg(Reg::R1, CTX));
        emitter.load_map(Reg::R2, maps.events);
        for insn in Insn::ld_imm64(Reg::R3, BPF_F_CURRENT_CPU) {
            emitter.push(insn);
        }
        scratch_pointer(emitter, Reg::R4, offset);
        emitter.push(Insn::mov64_imm(Reg::R5, size as i32));
        emitter.push(Insn::call(Helper::bpf_perf_event_output));
        return;
    }
    emitter.load_map(Reg::R1, maps.events);
    scratch_pointer(emitter, Reg::R2, offset);
    emitter.push(Insn::mov64_imm(Reg::R3, size as i32));
    emitter.push(Insn::mov64_imm(
        Reg::R4,
        if wakeup {
            BPF_RB_FORCE_WAKEUP
        } else {
            BPF_RB_NO_WAKEUP
        },
    ));
    emitter.push(Insn::call(Helper::bpf_ringbuf_output));
    count_failure(maps, emitter, STATS_DROPS);
}

/// After a helper call: when it failed (`r0 < 0`), adds one to this CPU's counter at `stat` in
/// the `stats` map.
///
/// ```text
///   if (r0 >= 0) goto done                    if r0 s>= 0 goto done
///   stats[0].counter++                        call lookup; *(u64 *)(r0 + stat) += 1
/// ```
pub fn count_failure(maps: &MapIndex, emitter: &mut Emitter, stat: i16) {
    let done = emitter.target();
    emitter.jump_imm(JmpOp::Jsge, Reg::R0, 0, done);
    bump_stat(maps, emitter, stat);
    emitter.place(done);
}

/// Adds one to this CPU's counter at `stat` in the `stats` map. Clobbers r0..r5.
///
/// ```text
///   stats[0].counter++                        call lookup; *(u64 *)(r0 + stat) += 1
/// ```
pub fn bump_stat(maps: &MapIndex, emitter: &mut Emitter, stat: i16) {
    let done = emitter.target();
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
    emitter.load_map(Reg::R1, maps.stats);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, stat));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, stat));
    emitter.place(done);
}

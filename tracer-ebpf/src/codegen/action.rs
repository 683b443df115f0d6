//! Code for the actions that talk to maps: aggregating and sending records.

use d_frontend::ir::{AggFunc, VReg};

use super::emit::Emitter;
use super::frame::{AGG_INIT, KEY_SLOT, SCRATCH};
use super::inst::{ClauseContext, scratch_offset, scratch_pointer};
use super::maps::MapIndex;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    DCTX_PROBE_ID, RECORD_BLOCKS, RECORD_CLAUSE_ID, RECORD_CPU, RECORD_PROBE_ID, STATS_DROPS,
};

/// `BPF_RB_NO_WAKEUP`: the reader finds the record at its next poll.
const BPF_RB_NO_WAKEUP: i32 = 1;
/// `BPF_RB_FORCE_WAKEUP`: wake the reader now.
const BPF_RB_FORCE_WAKEUP: i32 = 2;
/// `BPF_ANY`.
const BPF_ANY: i32 = 0;

/// Aggregates the value in `value` (or counts) under the key at scratch `key_offset`.
///
/// Every aggregation's per-CPU value is `{u64 n, i64 v}` (see `layout::AggFunc::value_size`):
///
/// ```text
///   slot = lookup(agg, key)                   r1 = map; r2 = &key; call lookup
///   if (slot == NULL) goto init               if r0 == 0 goto init
///   count:   slot->n++
///   sum/avg: slot->n++; slot->v += x
///   min/max: if (slot->n == 0 || x < slot->v) slot->v = x; slot->n++
///   goto done
/// init:
///   init = {1, x}; update(agg, key, &init)    fp-32 = 1; fp-24 = x; call update
/// done:
/// ```
pub fn aggregate(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    agg: usize,
    key_offset: u32,
    value: Option<VReg>,
) {
    let (map_idx, func) = context.maps.aggregations[agg];
    let init = emitter.target();
    let done = emitter.target();
    emitter.load_map(Reg::R1, map_idx);
    scratch_pointer(emitter, Reg::R2, key_offset);
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, init);
    match value {
        Some(vreg) => context.load_vreg(emitter, Reg::R1, vreg),
        None => emitter.push(Insn::mov64_imm(Reg::R1, 0)),
    }
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R2, Reg::R0, 0));
    match func {
        AggFunc::Count => {}
        AggFunc::Sum | AggFunc::Avg => {
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::R0, 8));
            emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R3, Reg::R1));
            emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R3, 8));
        }
        AggFunc::Min | AggFunc::Max => {
            let set = emitter.target();
            let keep = emitter.target();
            emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, set);
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::R0, 8));
            let keep_if = if func == AggFunc::Min {
                JmpOp::Jsge
            } else {
                JmpOp::Jsle
            };
            emitter.jump_reg(keep_if, Reg::R1, Reg::R3, keep);
            emitter.place(set);
            emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, 8));
            emitter.place(keep);
        }
    }
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R2, 0));
    emitter.jump(done);
    emitter.place(init);
    emitter.push(Insn::st_mem(Size::DW, Reg::FP, AGG_INIT, 1));
    match value {
        Some(vreg) if func != AggFunc::Count => context.load_vreg(emitter, Reg::R1, vreg),
        _ => emitter.push(Insn::mov64_imm(Reg::R1, 0)),
    }
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, AGG_INIT + 8));
    emitter.load_map(Reg::R1, map_idx);
    scratch_pointer(emitter, Reg::R2, key_offset);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(AGG_INIT)));
    emitter.push(Insn::mov64_imm(Reg::R4, BPF_ANY));
    emitter.push(Insn::call(Helper::bpf_map_update_elem));
    emitter.place(done);
}

/// Fills in the header of the record at scratch `offset` and sends it to the ring buffer, unless
/// its blocks mask (which lowering fills in) says no block with an action ran.
///
/// ```text
///   if (rec->blocks == 0) goto sent                      r1 = *(u32 *)(rec + 12); if r1 == 0
///   rec->clause_id = N; rec->probe_id = dctx->probe_id; rec->cpu = smp_processor_id()
///   output(rec, size)                                     see `output`
/// sent:
/// ```
pub fn emit_record(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    clause_id: u32,
    offset: u32,
    size: u32,
    wakeup: bool,
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
        Size::W,
        SCRATCH,
        Reg::R0,
        scratch_offset(offset) + RECORD_CPU,
    ));
    output(context.maps, emitter, offset, size, wakeup);
    emitter.place(sent);
}

/// Sends the `size` bytes at scratch `offset` to the ring buffer, counting a drop when they do not
/// fit.
///
/// ```text
///   if (ringbuf_output(events, rec, size, flags) < 0)   call bpf_ringbuf_output
///           stats[0].drops++                             call lookup; *r0 += 1
/// ```
pub fn output(maps: &MapIndex, emitter: &mut Emitter, offset: u32, size: u32, wakeup: bool) {
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

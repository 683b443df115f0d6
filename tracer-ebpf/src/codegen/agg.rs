//! Code for `@a[key] = func(x)`: find this CPU's value of the entry, then update its data.
//!
//! Every aggregation's per-CPU value is a generation word followed by the function's data (see
//! `layout::AGG_GEN`). The bucket of `quantize`, `lquantize` and `llquantize` is computed without
//! loops, so the verifier sees straight-line code: `quantize` takes log2 by binary steps, as
//! DTrace's `dt_agg_qbin` does, and `llquantize` unrolls its search over the magnitudes, which the
//! 64-bit limit on `factor^(hmag + 1)` bounds to 64 steps.
//!
//! Aggregations with the same key and value sizes share one map; each key starts with the
//! aggregation's ID, stored in the [`AGG_ID_SIZE`] bytes lowering reserves before the key.
//! Aggregations without keys are instead elements of a per-CPU array (one per value size),
//! which the verifier inlines a lookup of: no key is hashed, and the element is never missing.
//!
//! ```text
//!   gen = agg_gen[agg]                      *(u32 *)(fp-8) = agg; call lookup; spill *r0
//!   without keys:
//!       entry = &array[slot]                *(u32 *)(fp-8) = slot; call lookup
//!   with keys:
//!       key = {agg, key}                    *(u64 *)(scratch + key_offset - 8) = agg
//!       entry = lookup(map, key)            r1 = map; r2 = &key; call lookup
//!       if (entry == NULL) {
//!               update(map, key, &agg_zero[0], BPF_NOEXIST)
//!               entry = lookup(map, key)     (NULL when the map is full: drop the update)
//!       }
//!   if (entry->gen != gen) {                 a new entry, or cleared since this CPU wrote it
//!           probe_read_kernel(entry, size, &agg_zero[0])
//!           entry->gen = gen
//!           min, max: entry->data[0] = x; done
//!   }
//!   update entry->data                       r0 = entry; r1..r5 scratch
//! ```

use d_frontend::ir::{AGG_ID_SIZE, AggFunc, AggParams, VReg};

use super::action::count_failure;
use super::emit::{Emitter, Target};
use super::frame::{AGG_ENTRY_SLOT, AGG_GEN_SLOT, KEY_SLOT, SCRATCH};
use super::inst::{ClauseContext, load_constant, scratch_offset, scratch_pointer};
use super::maps::{AggMap, AggSupport};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    AGG_DATA, AGG_GEN, LogLinear, QUANTIZE_BUCKETS, QUANTIZE_ZERO_BUCKET, STATS_AGG_DROPS,
};

/// `BPF_NOEXIST`: insert only.
const BPF_NOEXIST: i32 = 1;

/// Aggregates `value` (none for `count`) with increment `incr` (1 when absent) under the key at
/// scratch `key_offset`, after the aggregation's ID.
pub fn aggregate(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    agg: usize,
    key_offset: u32,
    value: Option<VReg>,
    incr: Option<VReg>,
) {
    let agg_map = context.maps.aggregations[agg];
    let Some(support) = context.maps.agg_support else {
        unreachable!("a program with aggregation {agg} has the aggregation maps");
    };
    let key_offset = key_offset - AGG_ID_SIZE;
    let done = emitter.target();
    let have = emitter.target();
    let live = emitter.target();
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, agg as i32));
    lookup_key_slot(emitter, support.generations, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, Reg::R0, 0));
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R0, AGG_GEN_SLOT));
    if agg_map.array {
        emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, agg_map.id as i32));
        lookup_key_slot(emitter, agg_map.map, done);
    } else {
        emitter.push(Insn::st_mem(
            Size::DW,
            SCRATCH,
            scratch_offset(key_offset),
            agg_map.id as i32,
        ));
        lookup_entry(emitter, agg_map.map, key_offset);
        emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, have);
        lookup_zero(emitter, support, done);
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        emitter.load_map(Reg::R1, agg_map.map);
        scratch_pointer(emitter, Reg::R2, key_offset);
        emitter.push(Insn::mov64_imm(Reg::R4, BPF_NOEXIST));
        emitter.push(Insn::call(Helper::bpf_map_update_elem));
        // A full map is an aggregation drop (another CPU inserting the key first is not).
        let inserted = emitter.target();
        emitter.jump_imm(JmpOp::Jne, Reg::R0, -E2BIG, inserted);
        count_failure(context.maps, emitter, STATS_AGG_DROPS);
        emitter.place(inserted);
        lookup_entry(emitter, agg_map.map, key_offset);
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, done);
    }
    emitter.place(have);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, AGG_GEN));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R2, Reg::FP, AGG_GEN_SLOT));
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, live);
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R0, AGG_ENTRY_SLOT));
    lookup_zero(emitter, support, done);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, AGG_ENTRY_SLOT));
    emitter.push(Insn::mov64_imm(Reg::R2, agg_map.value_size as i32));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, Reg::FP, AGG_ENTRY_SLOT));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, AGG_GEN_SLOT));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, AGG_GEN));
    if matches!(agg_map.func, AggFunc::Min | AggFunc::Max) {
        load_value(context, emitter, value, Reg::R1);
        emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, AGG_DATA));
        emitter.jump(done);
    }
    emitter.place(live);
    update_data(context, emitter, agg_map, value, incr, done);
    emitter.place(done);
}

/// `r0 = lookup(map, fp-8)`, going to `done` when there is no such element.
fn lookup_key_slot(emitter: &mut Emitter, map_idx: usize, done: Target) {
    emitter.load_map(Reg::R1, map_idx);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, done);
}

/// `r0 = &agg_zero[0]`, the all-zero value an entry is inserted or reset from.
fn lookup_zero(emitter: &mut Emitter, support: AggSupport, done: Target) {
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
    lookup_key_slot(emitter, support.zeros, done);
}

/// `-E2BIG`: what `bpf_map_update_elem` returns when a hash map is full.
const E2BIG: i32 = 7;

/// `r0 = lookup(map, &scratch[key_offset])`.
fn lookup_entry(emitter: &mut Emitter, map_idx: usize, key_offset: u32) {
    emitter.load_map(Reg::R1, map_idx);
    scratch_pointer(emitter, Reg::R2, key_offset);
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
}

/// `reg = value`, or 0 for `count()`.
fn load_value(context: &ClauseContext<'_>, emitter: &mut Emitter, value: Option<VReg>, reg: Reg) {
    match value {
        Some(vreg) => context.load_vreg(emitter, reg, vreg),
        None => emitter.push(Insn::mov64_imm(reg, 0)),
    }
}

/// `entry->data[word] += reg`, with `entry` in r0 and `scratch` free.
fn add_to_word(emitter: &mut Emitter, word: i16, reg: Reg, scratch: Reg) {
    emitter.push(Insn::ldx_mem(
        Size::DW,
        scratch,
        Reg::R0,
        AGG_DATA + 8 * word,
    ));
    emitter.push(Insn::alu64_reg(AluOp::Add, scratch, reg));
    emitter.push(Insn::stx_mem(
        Size::DW,
        Reg::R0,
        scratch,
        AGG_DATA + 8 * word,
    ));
}

/// Updates the data of the entry in r0 with the value.
fn update_data(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    agg_map: AggMap,
    value: Option<VReg>,
    incr: Option<VReg>,
    done: Target,
) {
    load_value(context, emitter, value, Reg::R1);
    match agg_map.func {
        AggFunc::Count => {
            emitter.push(Insn::mov64_imm(Reg::R1, 1));
            add_to_word(emitter, 0, Reg::R1, Reg::R2);
        }
        AggFunc::Sum => add_to_word(emitter, 0, Reg::R1, Reg::R2),
        AggFunc::Avg | AggFunc::Stddev => {
            emitter.push(Insn::mov64_imm(Reg::R2, 1));
            add_to_word(emitter, 0, Reg::R2, Reg::R3);
            add_to_word(emitter, 1, Reg::R1, Reg::R3);
            if agg_map.func == AggFunc::Stddev {
                add_square(emitter);
            }
        }
        AggFunc::Min | AggFunc::Max => {
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R2, Reg::R0, AGG_DATA));
            let keep_if = if agg_map.func == AggFunc::Min {
                JmpOp::Jsge
            } else {
                JmpOp::Jsle
            };
            emitter.jump_reg(keep_if, Reg::R1, Reg::R2, done);
            emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, AGG_DATA));
        }
        AggFunc::Quantize | AggFunc::Lquantize | AggFunc::Llquantize => {
            let bucket = emitter.target();
            let n_buckets = match (agg_map.func, agg_map.params) {
                (AggFunc::Quantize, _) => {
                    quantize_bucket(emitter, bucket);
                    QUANTIZE_BUCKETS
                }
                (AggFunc::Lquantize, AggParams::Linear { base, levels, step }) => {
                    lquantize_bucket(emitter, base, levels, step, bucket);
                    u32::from(levels) + 2
                }
                (
                    AggFunc::Llquantize,
                    AggParams::LogLinear {
                        factor,
                        lmag,
                        hmag,
                        steps,
                    },
                ) => {
                    let geometry = LogLinear {
                        factor,
                        lmag,
                        hmag,
                        steps,
                    };
                    llquantize_bucket(emitter, geometry, bucket);
                    geometry.n_buckets()
                }
                (func, params) => unreachable!("{func:?} with parameters {params:?}"),
            };
            emitter.place(bucket);
            add_to_bucket(context, emitter, n_buckets, incr, done);
        }
    }
}

/// The 128-bit square of `x` (in r1) added to data words 2 and 3, as DTrace keeps it:
///
/// ```text
///   a = |x|; hi = a >> 32; lo = a & 0xffffffff      r1 = lo, r2 = hi
///   mid = lo * hi; lo = lo * lo; hi = hi * hi       r3 = mid
///   lo += mid << 33 (carry into hi); hi += mid >> 31
///   squares += hi:lo (carry from the low word)      r4, r5 scratch
/// ```
fn add_square(emitter: &mut Emitter) {
    let positive = emitter.target();
    let no_carry = emitter.target();
    let no_sum_carry = emitter.target();
    emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, positive);
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R1, 0));
    emitter.place(positive);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R2, 32));
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R1, 32));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, 32));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.push(Insn::alu64_reg(AluOp::Mul, Reg::R3, Reg::R2));
    emitter.push(Insn::alu64_reg(AluOp::Mul, Reg::R1, Reg::R1));
    emitter.push(Insn::alu64_reg(AluOp::Mul, Reg::R2, Reg::R2));
    emitter.push(Insn::mov64_reg(Reg::R4, Reg::R3));
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R4, 33));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R3, 31));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R1, Reg::R4));
    emitter.jump_reg(JmpOp::Jle, Reg::R4, Reg::R1, no_carry);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    emitter.place(no_carry);
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R2, Reg::R3));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R4, Reg::R0, AGG_DATA + 16));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R4, Reg::R1));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R4, AGG_DATA + 16));
    emitter.jump_reg(JmpOp::Jle, Reg::R1, Reg::R4, no_sum_carry);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    emitter.place(no_sum_carry);
    emitter.push(Insn::mov64_reg(Reg::R4, Reg::R2));
    add_to_word(emitter, 3, Reg::R4, Reg::R5);
}

/// `quantize`'s bucket of x (r1) into r2, jumping to `bucket`:
///
/// ```text
///   x == 0: 63; x == INT64_MIN: 0
///   a = |x|; n = 1                                  r3 = a, r2 = n
///   if (a & 0x7fffffff00000000) { n += 32; a >>= 32 }
///   ... 16, 8, 4, 2 likewise; if (a & 2) n += 1
///   bucket = 63 + (x < 0 ? -n : n)
/// ```
fn quantize_bucket(emitter: &mut Emitter, bucket: Target) {
    let positive = emitter.target();
    let signed = emitter.target();
    emitter.push(Insn::mov64_imm(Reg::R2, QUANTIZE_ZERO_BUCKET as i32));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, bucket);
    emitter.push(Insn::mov64_imm(Reg::R2, 0));
    load_constant(emitter, Reg::R3, i64::MIN as u64);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R3, bucket);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, positive);
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R3, 0));
    emitter.place(positive);
    emitter.push(Insn::mov64_imm(Reg::R2, 1));
    // After the first step `a` is below 2^32, so the sign-extended 32-bit masks of the later steps
    // test exactly the bits they name.
    for (mask, shift) in [
        (0x7fff_ffff_0000_0000_u64, 32),
        (0xffff_0000, 16),
        (0xff00, 8),
        (0xf0, 4),
        (0xc, 2),
        (0x2, 1),
    ] {
        let next = emitter.target();
        if mask > u64::from(u32::MAX) {
            load_constant(emitter, Reg::R4, mask);
            emitter.push(Insn::alu64_reg(AluOp::And, Reg::R4, Reg::R3));
        } else {
            emitter.push(Insn::mov64_reg(Reg::R4, Reg::R3));
            emitter.push(Insn::alu64_imm(AluOp::And, Reg::R4, mask as u32 as i32));
        }
        emitter.jump_imm(JmpOp::Jeq, Reg::R4, 0, next);
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, shift));
        emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R3, shift));
        emitter.place(next);
    }
    emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, signed);
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R2, 0));
    emitter.place(signed);
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R2,
        QUANTIZE_ZERO_BUCKET as i32,
    ));
}

/// `lquantize`'s bucket of x (r1) into r2, as DTrace's `dt_agg_lqbin`:
///
/// ```text
///   x < base: 0; else min((x - base) / step, levels) + 1
/// ```
fn lquantize_bucket(emitter: &mut Emitter, base: i32, levels: u16, step: u16, bucket: Target) {
    let in_range = emitter.target();
    emitter.push(Insn::mov64_imm(Reg::R2, 0));
    emitter.jump_imm(JmpOp::Jslt, Reg::R1, base, bucket);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R2, base));
    emitter.push(Insn::alu64_imm(AluOp::Div, Reg::R2, i32::from(step)));
    emitter.jump_imm(JmpOp::Jle, Reg::R2, i32::from(levels), in_range);
    emitter.push(Insn::mov64_imm(Reg::R2, i32::from(levels)));
    emitter.place(in_range);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
}

/// `llquantize`'s bucket of x (r1) into r2, with the magnitudes unrolled:
///
/// ```text
///   a = |x|                                          r3
///   a < factor^lmag: the underflow bucket
///   for mag in lmag..=hmag:
///       if (a < factor^(mag + 1)):
///           i = mag ? a / (factor^(mag + 1) / steps) : a * steps / factor
///           n = (mag - lmag) * per_magnitude + i - steps / factor + 1; goto signed
///   n = (hmag - lmag + 1) * per_magnitude + 1        the overflow bucket
/// signed:
///   bucket = underflow + (x < 0 ? -n : n)            r5 = n
/// ```
fn llquantize_bucket(emitter: &mut Emitter, geometry: LogLinear, bucket: Target) {
    let positive = emitter.target();
    let signed = emitter.target();
    let nonnegative = emitter.target();
    let factor = u64::from(geometry.factor);
    let steps = u64::from(geometry.steps);
    let steps_factor = steps / factor;
    let per_magnitude = u64::from(geometry.buckets_per_magnitude());
    let underflow = geometry.underflow_bucket();
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, positive);
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R3, 0));
    emitter.place(positive);
    emitter.push(Insn::mov64_imm(Reg::R2, underflow as i32));
    load_constant(emitter, Reg::R4, factor.pow(u32::from(geometry.lmag)));
    emitter.jump_reg(JmpOp::Jlt, Reg::R3, Reg::R4, bucket);
    for mag in geometry.lmag..=geometry.hmag {
        let next = emitter.target();
        let limit = factor.pow(u32::from(mag) + 1);
        load_constant(emitter, Reg::R4, limit);
        emitter.jump_reg(JmpOp::Jge, Reg::R3, Reg::R4, next);
        emitter.push(Insn::mov64_reg(Reg::R5, Reg::R3));
        if mag == 0 {
            load_constant(emitter, Reg::R4, steps);
            emitter.push(Insn::alu64_reg(AluOp::Mul, Reg::R5, Reg::R4));
            load_constant(emitter, Reg::R4, limit);
        } else {
            load_constant(emitter, Reg::R4, limit / steps);
        }
        emitter.push(Insn::alu64_reg(AluOp::Div, Reg::R5, Reg::R4));
        let offset = u64::from(mag - geometry.lmag) * per_magnitude + 1;
        load_constant(emitter, Reg::R4, offset.wrapping_sub(steps_factor));
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R5, Reg::R4));
        emitter.jump(signed);
        emitter.place(next);
    }
    let overflow = (u64::from(geometry.hmag) - u64::from(geometry.lmag) + 1) * per_magnitude + 1;
    load_constant(emitter, Reg::R5, overflow);
    emitter.place(signed);
    emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, nonnegative);
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R5, 0));
    emitter.place(nonnegative);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R5));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, underflow as i32));
}

/// `entry->data[bucket] += incr`, with the bucket in r2 checked against the bucket count so the
/// verifier sees the access stay inside the value.
fn add_to_bucket(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    n_buckets: u32,
    incr: Option<VReg>,
    done: Target,
) {
    emitter.jump_imm(JmpOp::Jgt, Reg::R2, n_buckets as i32 - 1, done);
    match incr {
        Some(vreg) => context.load_vreg(emitter, Reg::R3, vreg),
        None => emitter.push(Insn::mov64_imm(Reg::R3, 1)),
    }
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R2, 3));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R2, Reg::R0));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R4, Reg::R2, AGG_DATA));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R4, Reg::R3));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R2, Reg::R4, AGG_DATA));
}

//! The engine's plan: what to attach where, what to write into maps first, and how to read records.

use std::collections::HashMap;

use d_frontend::ir::{self, Module, PROBE_NAME_SIZE, RecordAction};
use d_frontend::provider::ProbeKind;
use d_frontend::types::Type;

use super::maps::{MapIndex, syscall_value_size};
use super::{Chunk, Group};
use crate::layout::{AGG_FIRST_GEN, AGG_GEN_MAP, ValueKind};
use crate::plan::{
    ActionDesc, AggDesc, Attach, CompiledProgram, FieldDesc, KprobeTarget, MapInit, ProbeInfo,
    ProgramPlan, RecordDesc, SpecDesc,
};

/// Builds the plan for an object whose programs are `attaches` (name, attach point, probe group,
/// clauses).
pub(super) fn compiled_program(
    module: &Module,
    maps: &MapIndex,
    elf: Vec<u8>,
    attaches: &[(String, Attach, Group, Chunk)],
) -> CompiledProgram {
    let mut map_inits = probe_name_inits(module, maps);
    map_inits.extend(generation_inits(module));
    for is_return in [false, true] {
        // A group's programs share one syscall map; mask bits count across all its clauses.
        let clause_ids: Vec<usize> = attaches
            .iter()
            .filter(|(_, _, group, _)| *group == Group::Syscalls { is_return })
            .flat_map(|(_, _, _, chunk)| chunk.clause_ids.iter().copied())
            .collect();
        if !clause_ids.is_empty() {
            map_inits.extend(syscall_inits(module, maps, is_return, &clause_ids));
        }
    }
    let mut programs = Vec::new();
    for (name, attach, group, _) in attaches {
        match group {
            Group::FbtKprobes {
                is_return,
                probe_ids,
            } => {
                let clause_ids: Vec<usize> = attaches
                    .iter()
                    .filter(|(_, _, other, _)| other == group)
                    .flat_map(|(_, _, _, chunk)| chunk.clause_ids.iter().copied())
                    .collect();
                let plans = shared_kprobe_plans(module, name, *is_return, probe_ids, &clause_ids);
                if matches!(attach, Attach::KprobeMulti { .. }) {
                    programs.push(multi_plan(name, *is_return, plans));
                } else {
                    programs.extend(plans);
                }
            }
            _ => programs.push(ProgramPlan {
                name: name.clone(),
                attach: attach.clone(),
            }),
        }
    }
    CompiledProgram {
        elf,
        programs,
        map_inits,
        probes: module
            .probes
            .iter()
            .map(|probe| ProbeInfo {
                id: probe.id,
                provider: probe.desc.provider.clone(),
                module: probe.desc.module.clone(),
                function: probe.desc.function.clone(),
                name: probe.desc.name.clone(),
            })
            .collect(),
        records: module
            .clauses
            .iter()
            .map(|clause| record_desc(module, clause))
            .collect(),
        aggregations: module
            .aggregations
            .iter()
            .enumerate()
            .map(|(agg_idx, agg)| AggDesc {
                name: agg.name.clone(),
                map: maps.defs[maps.aggregations[agg_idx].map].name.clone(),
                id: maps.aggregations[agg_idx].id,
                array: maps.aggregations[agg_idx].array,
                generation: agg_idx as u32,
                func: agg.func,
                params: agg.params,
                keys: agg
                    .keys
                    .iter()
                    .zip(&agg.key_value_sizes)
                    .map(|(ty, value_size)| match (value_size, ty) {
                        // A string key whose width sema bounded takes a narrower slot.
                        (Some(_), Type::String) => ValueKind::Str {
                            size: ir::key_stored_size(*ty, *value_size, module.strsize),
                        },
                        (Some(size), _) => ValueKind::Bytes { size: *size },
                        (None, _) => value_kind(*ty, module.strsize),
                    })
                    .collect(),
            })
            .collect(),
        events_map: maps.defs[maps.events].name.clone(),
        events_bufsize: maps.bufsize,
        stats_map: maps.defs[maps.stats].name.clone(),
        speculations: maps.speculations.map(|spec_map| SpecDesc {
            map: maps.defs[spec_map.map].name.clone(),
            nspec: spec_map.nspec,
        }),
    }
}

/// The shared kprobe program `name` planned once per probe of `probe_ids`, each with its cookie:
/// the probe ID, and the bits of the group's clauses (`clause_ids`, in mask order) that enable it.
fn shared_kprobe_plans(
    module: &Module,
    name: &str,
    is_return: bool,
    probe_ids: &[u32],
    clause_ids: &[usize],
) -> Vec<ProgramPlan> {
    module
        .probes
        .iter()
        .filter(|probe| probe_ids.contains(&probe.id))
        .map(|probe| {
            let mask = clause_ids
                .iter()
                .enumerate()
                .filter(|(_, clause_idx)| {
                    module.clauses[**clause_idx].probe_ids.contains(&probe.id)
                })
                .fold(0u64, |mask, (bit, _)| mask | 1 << bit);
            ProgramPlan {
                name: name.to_string(),
                attach: Attach::Kprobe {
                    function: probe.desc.function.clone(),
                    is_return,
                    probe: probe.desc.to_string(),
                    cookie: Some(u64::from(probe.id) | mask << 32),
                },
            }
        })
        .collect()
}

/// The shared kprobe program `name` planned once for all of `plans` (its per-function plans), to
/// attach through one kprobe-multi link.
fn multi_plan(name: &str, is_return: bool, plans: Vec<ProgramPlan>) -> ProgramPlan {
    let targets = plans
        .into_iter()
        .filter_map(|plan| match plan.attach {
            Attach::Kprobe {
                function,
                probe,
                cookie: Some(cookie),
                ..
            } => Some(KprobeTarget {
                function,
                probe,
                cookie,
            }),
            _ => None,
        })
        .collect();
    ProgramPlan {
        name: name.to_string(),
        attach: Attach::KprobeMulti { is_return, targets },
    }
}

/// One `probe_names` entry per probe: four NUL-padded names.
fn probe_name_inits(module: &Module, maps: &MapIndex) -> Vec<MapInit> {
    module
        .probes
        .iter()
        .map(|probe| {
            let mut value = Vec::with_capacity(4 * PROBE_NAME_SIZE as usize);
            for name in [
                &probe.desc.provider,
                &probe.desc.module,
                &probe.desc.function,
                &probe.desc.name,
            ] {
                let mut field = vec![0u8; PROBE_NAME_SIZE as usize];
                let kept = name.len().min(PROBE_NAME_SIZE as usize - 1);
                field[..kept].copy_from_slice(&name.as_bytes()[..kept]);
                value.extend(field);
            }
            MapInit {
                map: maps.defs[maps.probe_names].name.clone(),
                key: probe.id.to_ne_bytes().to_vec(),
                value,
            }
        })
        .collect()
}

/// Every aggregation starts at generation [`AGG_FIRST_GEN`], so a CPU's value still at generation 0
/// reads as never written.
fn generation_inits(module: &Module) -> Vec<MapInit> {
    (0..module.aggregations.len() as u32)
        .map(|agg_idx| MapInit {
            map: AGG_GEN_MAP.to_string(),
            key: agg_idx.to_ne_bytes().to_vec(),
            value: AGG_FIRST_GEN.to_ne_bytes().to_vec(),
        })
        .collect()
}

/// One syscall map entry per enabled syscall probe: its ID and the mask of clauses on it.
fn syscall_inits(
    module: &Module,
    maps: &MapIndex,
    is_return: bool,
    clause_ids: &[usize],
) -> Vec<MapInit> {
    let map = if is_return {
        maps.syscall_return
    } else {
        maps.syscall_entry
    };
    let mut masks: HashMap<u32, Vec<u64>> = HashMap::new();
    for (bit, clause_idx) in clause_ids.iter().enumerate() {
        for probe_id in &module.clauses[*clause_idx].probe_ids {
            let mask = masks
                .entry(*probe_id)
                .or_insert_with(|| vec![0; maps.mask_words as usize]);
            mask[bit / 64] |= 1 << (bit % 64);
        }
    }
    let mut inits = Vec::new();
    for probe in &module.probes {
        let ((ProbeKind::SyscallEntry { nr }, false) | (ProbeKind::SyscallReturn { nr }, true)) =
            (probe.kind, is_return)
        else {
            continue;
        };
        let mut value = Vec::with_capacity(syscall_value_size(maps.mask_words) as usize);
        value.extend(probe.id.to_ne_bytes());
        value.extend(0u32.to_ne_bytes());
        match masks.get(&probe.id) {
            Some(mask) => value.extend(mask.iter().flat_map(|word| word.to_ne_bytes())),
            None => value.resize(syscall_value_size(maps.mask_words) as usize, 0),
        }
        inits.push(MapInit {
            map: maps.defs[map].name.clone(),
            key: nr.to_ne_bytes().to_vec(),
            value,
        });
    }
    inits
}

fn record_desc(module: &Module, clause: &ir::Clause) -> RecordDesc {
    let Some(actions) = &clause.record else {
        return RecordDesc::default();
    };
    let field = |field: &ir::Field| FieldDesc {
        offset: field.offset,
        kind: value_kind(field.ty, module.strsize),
    };
    let actions: Vec<ActionDesc> = actions
        .iter()
        .map(|action| match action {
            RecordAction::Trace(value) => ActionDesc::Trace(field(value)),
            RecordAction::Printf { format, args } => ActionDesc::Printf {
                format: format.clone(),
                args: args.iter().map(field).collect(),
            },
            RecordAction::Printa {
                format,
                aggregations,
            } => ActionDesc::Printa {
                format: format.clone(),
                aggregations: aggregations.clone(),
            },
            RecordAction::Exit(value) => ActionDesc::Exit(field(value)),
            RecordAction::System { format, args } => ActionDesc::System {
                format: format.clone(),
                args: args.iter().map(field).collect(),
            },
            RecordAction::Freopen { format, args } => ActionDesc::Freopen {
                format: format.clone(),
                args: args.iter().map(field).collect(),
            },
            RecordAction::Tracemem {
                offset,
                size,
                shown,
            } => ActionDesc::Tracemem {
                offset: *offset,
                size: *size,
                shown: shown.as_ref().map(field),
            },
            RecordAction::Print {
                address,
                offset,
                size,
                ty,
            } => ActionDesc::Print {
                address: field(address),
                offset: *offset,
                size: *size,
                ty: ty.clone(),
            },
            RecordAction::Effect(_) => ActionDesc::Effect,
            RecordAction::Clear { agg } => ActionDesc::Clear { agg: *agg },
            RecordAction::Normalize { agg, factor } => ActionDesc::Normalize {
                agg: *agg,
                factor: field(factor),
            },
            RecordAction::Denormalize { agg } => ActionDesc::Denormalize { agg: *agg },
            RecordAction::Trunc { agg, count } => ActionDesc::Trunc {
                agg: *agg,
                count: count.as_ref().map(field),
            },
            RecordAction::Setopt { name, value } => ActionDesc::Setopt {
                name: field(name),
                value: value.as_ref().map(field),
            },
            RecordAction::Commit(value) => ActionDesc::Commit(field(value)),
            RecordAction::Discard(value) => ActionDesc::Discard(field(value)),
        })
        .collect();
    let size = clause
        .insts
        .iter()
        .find_map(|inst| match inst {
            ir::Inst::EmitRecord { size, .. } => Some(*size),
            _ => None,
        })
        .unwrap_or(ir::RECORD_HEADER_RESERVED);
    RecordDesc {
        actions,
        size,
        blocks: clause.action_blocks.clone(),
    }
}

fn value_kind(ty: Type, strsize: u32) -> ValueKind {
    match ty {
        Type::Int { size, signed } => ValueKind::Int { size, signed },
        // A `float` or `double` is recorded as its IEEE bits: an unsigned integer of its size,
        // which `printf`'s floating-point conversions read back. Sema keeps `long double` values
        // out of records.
        Type::Float { size } => ValueKind::Int {
            size: size.min(8),
            signed: false,
        },
        Type::Pointer(_) => ValueKind::Int {
            size: 8,
            signed: false,
        },
        // Sema lets only `char` arrays into records, and lowering copies them as strings.
        Type::String | Type::Void | Type::Array(_) => ValueKind::Str {
            size: d_frontend::types::string_size(strsize),
        },
        Type::Stack(stack) => ValueKind::Stack(stack),
        Type::SymAddr(kind) => ValueKind::Sym(kind),
        Type::Struct(_) => unreachable!("sema keeps structs out of records, and keys have a size"),
    }
}

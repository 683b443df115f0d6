//! The maps every program uses, one per aggregation layout, and the storage of D variables.
//!
//! Variables live where DTrace keeps them:
//!
//! - globals in one `BPF_MAP_TYPE_ARRAY`, `globals`, whose single value holds every global (8 bytes
//!   per integer, `string_size(strsize)` per string), shared by all CPUs;
//! - clause-locals in the per-CPU scratch value, after the largest clause's temporaries, zeroed when
//!   a probe fires and shared by the clauses of that firing;
//! - each dynamic variable (thread-local or associative array) in its own `BPF_MAP_TYPE_HASH`,
//!   `self_NAME` or `assoc_NAME`, keyed as lowering builds the key (thread ID, then the tuple) and
//!   holding the value's stored size; an element exists only while it is non-zero.

use d_frontend::ast::VarScope;
use d_frontend::ir::{AGG_ID_SIZE, AggFunc, AggParams, Module, PROBE_NAME_SIZE, Variable};
use d_frontend::types::Type;

use super::{CodegenError, CodegenOptions};
use crate::elf::MapDef;
use crate::layout::{
    AGG_GEN_MAP, SCRATCH_ENTRIES, SCRATCH_TEMP_BASE, SPECS_MAP, STATE_MAP, Stats, agg_value_size,
};

/// `BPF_MAP_TYPE_HASH`... the map types generated code uses (`enum bpf_map_type`).
#[expect(non_camel_case_types, reason = "names match the kernel's bpf_map_type")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MapType {
    /// `BPF_MAP_TYPE_HASH`
    BPF_MAP_TYPE_HASH = 1,
    /// `BPF_MAP_TYPE_ARRAY`
    BPF_MAP_TYPE_ARRAY = 2,
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`
    BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
    /// `BPF_MAP_TYPE_PERCPU_HASH`
    BPF_MAP_TYPE_PERCPU_HASH = 5,
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    /// `BPF_MAP_TYPE_RINGBUF`
    BPF_MAP_TYPE_RINGBUF = 27,
}

/// Bytes of the `syscall_entry`/`syscall_return` map values:
/// `{u32 probe_id, u32 pad, u64 mask[mask_words]}`, bit `i` of the mask enabling clause `i` of the
/// program.
pub fn syscall_value_size(mask_words: u32) -> u32 {
    8 + 8 * mask_words
}
/// Entries in the syscall maps: syscall numbers below this are looked up.
pub const SYSCALL_SLOTS: u32 = 1024;
/// The largest per-CPU value the kernel allows (`PCPU_MIN_UNIT_SIZE`).
pub const MAX_SCRATCH_SIZE: u32 = 32 * 1024;
/// The most entries an aggregation map has, whatever `aggsize` allows. Aggregation maps are
/// preallocated, as DTrace's aggregation buffer is: an element allocated on demand can fail in
/// probe context (inside `sched_switch`, say) and lose the key's first update. Creating a
/// preallocated per-CPU hash costs the kernel time in proportion to its entries (about 50 ms for
/// 65,536), so the cap stays moderate, and `aggsize` is shared by all the aggregations. The
/// aggregations of one layout share a map, which holds their shares of `aggsize` together up to
/// this cap, as DTrace's aggregations share its buffer.
const AGG_ENTRIES: u32 = 16384;

/// How many elements of `element_size` bytes fit in `budget` bytes (`aggsize`, `dynvarsize`), as
/// libdtrace sizes its maps; none is [`CodegenError::BufferTooSmall`].
fn entries_within(budget: u64, element_size: u32) -> Result<u32, CodegenError> {
    match budget / u64::from(element_size.max(1)) {
        0 => Err(CodegenError::BufferTooSmall),
        entries => Ok(u32::try_from(entries).unwrap_or(u32::MAX)),
    }
}

/// How many entries an aggregation adds to its (shared) map within its `share` of `aggsize`: one
/// for an aggregation without keys (`@ = count()`), which never has another, so it costs no
/// preallocation time; else as many as fit, up to [`AGG_ENTRIES`].
fn aggregation_entries(keyless: bool, share: u64, element_size: u32) -> Result<u32, CodegenError> {
    let entries = entries_within(share, element_size)?;
    Ok(if keyless { 1 } else { entries.min(AGG_ENTRIES) })
}

/// Where a variable's value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarStorage {
    /// At this offset in the `globals` map value.
    Global {
        /// Byte offset.
        offset: u32,
    },
    /// At this offset from the start of the clause-locals area in scratch.
    Local {
        /// Byte offset.
        offset: u32,
    },
    /// In its own hash map.
    Dynamic {
        /// The map's index in [`MapIndex::defs`].
        map: usize,
    },
}

/// Where each map is in the object.
pub struct MapIndex {
    /// All map definitions, in object order.
    pub defs: Vec<MapDef>,
    /// The per-CPU scratch value.
    pub scratch: usize,
    /// The record ring buffer, or the perf event array of per-CPU perf buffers.
    pub events: usize,
    /// Bytes of the ring buffer, or of each CPU's perf buffer (`bufsize`).
    pub bufsize: u32,
    /// Per-CPU counters.
    pub stats: usize,
    /// Probe names by probe ID.
    pub probe_names: usize,
    /// Syscall number to `{probe_id, clause_mask}` for entry probes.
    pub syscall_entry: usize,
    /// The same for return probes.
    pub syscall_return: usize,
    /// The activity state ([`STATE_MAP`]).
    pub state: usize,
    /// Per aggregation: its map and value layout.
    pub aggregations: Vec<AggMap>,
    /// The maps every aggregation update uses, when the program has aggregations.
    pub agg_support: Option<AggSupport>,
    /// Words of clause mask per syscall probe (one per 64 clauses of the larger syscall program).
    pub mask_words: u32,
    /// Scratch offset of clause mask words 1 and up (word 0 is the D context's clause mask): just
    /// past the clause temporaries.
    pub extra_mask_offset: i16,
    /// The `globals` map, when the program has global variables.
    pub globals: Option<usize>,
    /// Per variable: where it lives.
    pub variables: Vec<VarStorage>,
    /// Per variable: the bytes of its value ([`Variable::stored_size`]).
    pub variable_sizes: Vec<u32>,
    /// `var_zero`, one zeroed value as large as the largest struct, union or array held in a
    /// dynamic variable, which a new element of one is created from; when there is one.
    pub var_zero: Option<usize>,
    /// The scratch temporary offset where clause-locals start (after every clause's temporaries).
    pub locals_offset: u32,
    /// Bytes of clause-locals.
    pub locals_size: u32,
    /// The scratch temporary offset of the `alloca` area (after the clause-locals): `alloca`
    /// offset `n` is the area's byte `n`.
    pub alloca_offset: u32,
    /// The end of the `alloca` offsets: `scratchsize` and the 8 bytes before the first.
    pub alloca_limit: u32,
    /// Bytes per string value: `strsize` characters, the NUL, padding (`types::string_size`).
    pub string_size: u32,
    /// The map of speculations, when the program uses them.
    pub speculations: Option<SpecMap>,
    /// The map keeping a kernel function's argument registers from its kprobe to its kretprobe,
    /// by thread ([`SAVED_ARGS_MAP`]), when a probe on a function's return needs them.
    pub saved_args: Option<usize>,
}

/// The name of the map of argument registers saved at a kernel function's entry.
pub const SAVED_ARGS_MAP: &str = "saved_args";
/// How many threads may be inside kernel functions whose arguments are saved at once.
const SAVED_ARGS_ENTRIES: u32 = 4096;

/// The map of speculations ([`SPECS_MAP`]) and the options its code checks against.
#[derive(Clone, Copy, Debug)]
pub struct SpecMap {
    /// Its map's index.
    pub map: usize,
    /// The `nspec` option: IDs go from 1 to `nspec`.
    pub nspec: u32,
    /// The `specsize` option: the most bytes one speculative record may take.
    pub specsize: u64,
}

/// One aggregation's map and the layout of its values.
#[derive(Clone, Copy, Debug)]
pub struct AggMap {
    /// Its map's index: the map of every aggregation with its key and value sizes.
    pub map: usize,
    /// Its ID, the first word of each of its keys in that map; its index in an array map.
    pub id: u32,
    /// Whether the map is a `BPF_MAP_TYPE_PERCPU_ARRAY` of aggregations without keys, one element
    /// each, rather than a `BPF_MAP_TYPE_PERCPU_HASH` keyed by ID and key tuple.
    pub array: bool,
    /// The aggregating function.
    pub func: AggFunc,
    /// The bucket parameters.
    pub params: AggParams,
    /// Bytes of one CPU's value.
    pub value_size: u32,
}

/// The maps shared by every aggregation.
#[derive(Clone, Copy, Debug)]
pub struct AggSupport {
    /// [`AGG_GEN_MAP`]: each aggregation's generation.
    pub generations: usize,
    /// `agg_zero`: one all-zero value as large as the largest aggregation value, copied over an
    /// entry to insert or reset it.
    pub zeros: usize,
}

fn def(name: &str, map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
    MapDef {
        name: name.to_string(),
        map_type: map_type as u32,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    }
}

/// The name of the `layout_idx`th aggregation map: the map of every aggregation with one key and
/// value size, whose keys start with the aggregation's ID ([`AGG_ID_SIZE`] bytes).
pub fn aggregation_map_name(layout_idx: usize) -> String {
    format!("agg_{layout_idx}")
}

/// The name of the `layout_idx`th map of aggregations without keys: a per-CPU array with one
/// element for each aggregation of one value size, indexed by [`AggMap::id`].
pub fn keyless_map_name(layout_idx: usize) -> String {
    format!("agg_keyless_{layout_idx}")
}

/// The name of a dynamic variable's map: `self_NAME` for a thread-local, `assoc_NAME` for a global
/// associative array (the kernel keeps the first 15 bytes).
pub fn variable_map_name(var: &Variable) -> String {
    match var.scope {
        VarScope::ThreadLocal => format!("self_{}", var.name),
        _ => format!("assoc_{}", var.name),
    }
}

/// Bytes of the `alloca` area for `alloca_size` bytes of allocations (0 when none): twice the
/// offsets' range, so that an access the verifier knows only to start below the end and to be no
/// larger than `scratchsize` stays inside the scratch value.
pub fn alloca_area_size(alloca_size: u32) -> u32 {
    if alloca_size == 0 {
        0
    } else {
        2 * (alloca_size + 8)
    }
}

/// The bytes one element of a dynamic variable takes from `dynvarsize`, as libdtrace counts them:
/// the value at its D type's size, and for an array the tuple of its keys with the 8-byte word
/// that tells thread-locals and arrays apart; a thread-local scalar needs no tuple.
fn dynvar_budget(var: &Variable, strsize: u32) -> u32 {
    let value_size = match var.ty {
        Type::Int { size, .. } => u32::from(size),
        _ => var.stored_size(strsize),
    };
    let tuple_size = match &var.keys {
        Some(_) => var.key_sizes(strsize).iter().sum::<u32>() + 8,
        None => 0,
    };
    tuple_size + value_size
}

/// Bytes of clause-locals in the scratch value.
pub fn locals_size(module: &Module) -> u32 {
    module
        .variables
        .iter()
        .filter(|var| var.scope == VarScope::ClauseLocal)
        .map(|var| slot_size(var, module.strsize))
        .sum()
}

/// Bytes a variable takes in the `globals` value or the clause-locals area, kept 8-byte aligned.
fn slot_size(var: &Variable, strsize: u32) -> u32 {
    var.stored_size(strsize).next_multiple_of(8)
}

impl MapIndex {
    /// Lays out the maps `module` needs. Clause-locals follow the `scratch_size` bytes of clause
    /// temporaries, then the `alloca` area, then clause mask words 1 and up; each dynamic variable's map holds as many
    /// elements as `dynvarsize` bytes do.
    pub fn new(
        module: &Module,
        scratch_size: u32,
        mask_words: u32,
        options: &CodegenOptions,
    ) -> Result<MapIndex, CodegenError> {
        let alloca_offset = (scratch_size + locals_size(module)).next_multiple_of(8);
        let extra_mask_offset =
            SCRATCH_TEMP_BASE + alloca_offset + alloca_area_size(module.alloca_size);
        let max_probe_id = module
            .probes
            .iter()
            .map(|probe| probe.id)
            .max()
            .unwrap_or(0);
        let mut defs = vec![
            def(
                "scratch",
                MapType::BPF_MAP_TYPE_PERCPU_ARRAY,
                4,
                extra_mask_offset + 8 * (mask_words - 1),
                SCRATCH_ENTRIES,
            ),
            if options.perf_buffer {
                // One perf buffer per CPU, which aya sizes to the CPUs when `max_entries` is 0.
                def("events", MapType::BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0)
            } else {
                def(
                    "events",
                    MapType::BPF_MAP_TYPE_RINGBUF,
                    0,
                    0,
                    options.bufsize,
                )
            },
            def(
                "stats",
                MapType::BPF_MAP_TYPE_PERCPU_ARRAY,
                4,
                size_of::<Stats>() as u32,
                1,
            ),
            def(
                "probe_names",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                4 * PROBE_NAME_SIZE,
                max_probe_id + 1,
            ),
            def(
                "syscall_entry",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                syscall_value_size(mask_words),
                SYSCALL_SLOTS,
            ),
            def(
                "syscall_return",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                syscall_value_size(mask_words),
                SYSCALL_SLOTS,
            ),
            def(STATE_MAP, MapType::BPF_MAP_TYPE_ARRAY, 4, 4, 1),
        ];
        let mut aggregations = Vec::new();
        // Each shared map's layout (key and value bytes) and index.
        let mut shared: Vec<((u32, u32), usize)> = Vec::new();
        // Each array of aggregations without keys: its value bytes and index.
        let mut keyless: Vec<(u32, usize)> = Vec::new();
        for (agg_idx, agg) in module.aggregations.iter().enumerate() {
            let key_size: u32 = agg.key_sizes(module.strsize).iter().sum::<u32>().max(8);
            let value_size = agg_value_size(agg.func, agg.params);
            let share = options.aggsize / module.aggregations.len() as u64;
            let entries = aggregation_entries(agg.keys.is_empty(), share, key_size + value_size)?;
            if agg.keys.is_empty() {
                // An array element is found without hashing a key and is never missing, so an
                // update takes no lookup of a hash map and has no insertion path.
                let map = match keyless.iter().find(|(seen, _)| *seen == value_size) {
                    Some(&(_, map)) => map,
                    None => {
                        keyless.push((value_size, defs.len()));
                        defs.push(def(
                            &keyless_map_name(keyless.len() - 1),
                            MapType::BPF_MAP_TYPE_PERCPU_ARRAY,
                            4,
                            value_size,
                            0,
                        ));
                        defs.len() - 1
                    }
                };
                aggregations.push(AggMap {
                    map,
                    id: defs[map].max_entries,
                    array: true,
                    func: agg.func,
                    params: agg.params,
                    value_size,
                });
                defs[map].max_entries += 1;
                continue;
            }
            let layout = (AGG_ID_SIZE + key_size, value_size);
            let map = match shared.iter().find(|(seen, _)| *seen == layout) {
                Some(&(_, map)) => {
                    let def = &mut defs[map];
                    def.max_entries = def.max_entries.saturating_add(entries).min(AGG_ENTRIES);
                    map
                }
                None => {
                    shared.push((layout, defs.len()));
                    defs.push(def(
                        &aggregation_map_name(shared.len() - 1),
                        MapType::BPF_MAP_TYPE_PERCPU_HASH,
                        layout.0,
                        value_size,
                        entries.min(AGG_ENTRIES),
                    ));
                    defs.len() - 1
                }
            };
            aggregations.push(AggMap {
                map,
                id: agg_idx as u32,
                array: false,
                func: agg.func,
                params: agg.params,
                value_size,
            });
        }
        let largest_value = aggregations.iter().map(|agg| agg.value_size).max();
        let agg_support = largest_value.map(|largest_value| {
            defs.push(def(
                AGG_GEN_MAP,
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                8,
                aggregations.len() as u32,
            ));
            defs.push(def(
                "agg_zero",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                largest_value,
                1,
            ));
            AggSupport {
                generations: defs.len() - 2,
                zeros: defs.len() - 1,
            }
        });
        let strsize = module.strsize;
        let (mut globals_size, mut locals_size) = (0, 0);
        let mut variables = Vec::new();
        for var in &module.variables {
            let storage = if let Some(key_size) = var.key_size(strsize) {
                let value_size = var.stored_size(strsize);
                let entries = entries_within(options.dynvarsize, dynvar_budget(var, strsize))?;
                defs.push(def(
                    &variable_map_name(var),
                    MapType::BPF_MAP_TYPE_HASH,
                    key_size,
                    value_size,
                    entries,
                ));
                VarStorage::Dynamic {
                    map: defs.len() - 1,
                }
            } else if var.scope == VarScope::ClauseLocal {
                locals_size += slot_size(var, strsize);
                VarStorage::Local {
                    offset: locals_size - slot_size(var, strsize),
                }
            } else {
                globals_size += slot_size(var, strsize);
                VarStorage::Global {
                    offset: globals_size - slot_size(var, strsize),
                }
            };
            variables.push(storage);
        }
        let largest_dynamic_value = module
            .variables
            .iter()
            .filter(|var| var.is_dynamic())
            .filter_map(|var| var.value_size)
            .max();
        let var_zero = largest_dynamic_value.map(|size| {
            defs.push(def(
                "var_zero",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                size.next_multiple_of(8),
                1,
            ));
            defs.len() - 1
        });
        let globals = (globals_size > 0).then(|| {
            defs.push(def(
                "globals",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                globals_size,
                1,
            ));
            defs.len() - 1
        });
        Ok(MapIndex {
            defs,
            scratch: 0,
            events: 1,
            bufsize: options.bufsize,
            stats: 2,
            probe_names: 3,
            syscall_entry: 4,
            syscall_return: 5,
            state: 6,
            mask_words,
            extra_mask_offset: extra_mask_offset as i16,
            aggregations,
            globals,
            variables,
            variable_sizes: module
                .variables
                .iter()
                .map(|var| var.stored_size(strsize))
                .collect(),
            var_zero,
            locals_offset: scratch_size,
            locals_size,
            alloca_offset,
            alloca_limit: module.alloca_size + 8,
            string_size: d_frontend::types::string_size(strsize),
            agg_support,
            speculations: None,
            saved_args: None,
        })
    }

    /// Adds the map of saved argument registers: `bpf_get_current_pid_tgid` to the registers
    /// (`trampoline::dependent::SAVED_ARGS_SIZE` bytes).
    pub fn add_saved_args(&mut self) {
        self.defs.push(def(
            SAVED_ARGS_MAP,
            MapType::BPF_MAP_TYPE_HASH,
            8,
            crate::trampoline::dependent::SAVED_ARGS_SIZE,
            SAVED_ARGS_ENTRIES,
        ));
        self.saved_args = Some(self.defs.len() - 1);
    }

    /// Adds the map of speculations: one state word per ID, `nspec` of them after the unused 0.
    pub fn add_speculations(&mut self, nspec: u32, specsize: u64) {
        self.defs
            .push(def(SPECS_MAP, MapType::BPF_MAP_TYPE_ARRAY, 4, 8, nspec + 1));
        self.speculations = Some(SpecMap {
            map: self.defs.len() - 1,
            nspec,
            specsize,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyless_aggregation_has_one_entry_and_keyed_ones_share_aggsize() {
        assert!(matches!(aggregation_entries(true, 1 << 20, 32), Ok(1)));
        assert!(matches!(
            aggregation_entries(false, 1 << 20, 32),
            Ok(AGG_ENTRIES)
        ));
        assert!(matches!(aggregation_entries(false, 3200, 32), Ok(100)));
        assert!(matches!(
            aggregation_entries(true, 16, 32),
            Err(CodegenError::BufferTooSmall)
        ));
    }
}

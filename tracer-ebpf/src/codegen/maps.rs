//! The maps every program uses, and one per aggregation.

use d_frontend::ir::{AggFunc, AggParams, Module, PROBE_NAME_SIZE};

use crate::elf::MapDef;
use crate::layout::{AGG_GEN_MAP, SCRATCH_TEMP_BASE, Stats, agg_value_size};

/// `BPF_MAP_TYPE_HASH`... the map types generated code uses (`enum bpf_map_type`).
#[expect(non_camel_case_types, reason = "names match the kernel's bpf_map_type")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MapType {
    /// `BPF_MAP_TYPE_ARRAY`
    BPF_MAP_TYPE_ARRAY = 2,
    /// `BPF_MAP_TYPE_PERCPU_HASH`
    BPF_MAP_TYPE_PERCPU_HASH = 5,
    /// `BPF_MAP_TYPE_PERCPU_ARRAY`
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    /// `BPF_MAP_TYPE_RINGBUF`
    BPF_MAP_TYPE_RINGBUF = 27,
}

/// Bytes of the `syscall_entry`/`syscall_return` map values: `{u32 probe_id, u32 pad, u64 mask}`.
pub const SYSCALL_VALUE_SIZE: u32 = 16;
/// Entries in the syscall maps: syscall numbers below this are looked up.
pub const SYSCALL_SLOTS: u32 = 1024;
/// The largest per-CPU value the kernel allows (`PCPU_MIN_UNIT_SIZE`).
pub const MAX_SCRATCH_SIZE: u32 = 32 * 1024;
/// Entries per aggregation map (DTrace's default `aggsize`-like bound).
const AGG_ENTRIES: u32 = 65536;

/// Where each map is in the object.
pub struct MapIndex {
    /// All map definitions, in object order.
    pub defs: Vec<MapDef>,
    /// The per-CPU scratch value.
    pub scratch: usize,
    /// The record ring buffer.
    pub events: usize,
    /// Per-CPU counters.
    pub stats: usize,
    /// Probe names by probe ID.
    pub probe_names: usize,
    /// Syscall number to `{probe_id, clause_mask}` for entry probes.
    pub syscall_entry: usize,
    /// The same for return probes.
    pub syscall_return: usize,
    /// Per aggregation: its map and value layout.
    pub aggregations: Vec<AggMap>,
    /// The maps every aggregation update uses, when the program has aggregations.
    pub agg_support: Option<AggSupport>,
}

/// One aggregation's map and the layout of its values.
#[derive(Clone, Copy, Debug)]
pub struct AggMap {
    /// Its map's index.
    pub map: usize,
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

/// The name of aggregation `agg_idx`'s map.
pub fn aggregation_map_name(agg_idx: usize) -> String {
    format!("agg_{agg_idx}")
}

impl MapIndex {
    /// Lays out the maps `module` needs.
    pub fn new(module: &Module, scratch_size: u32, bufsize: u32) -> MapIndex {
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
                SCRATCH_TEMP_BASE + scratch_size,
                1,
            ),
            def("events", MapType::BPF_MAP_TYPE_RINGBUF, 0, 0, bufsize),
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
                SYSCALL_VALUE_SIZE,
                SYSCALL_SLOTS,
            ),
            def(
                "syscall_return",
                MapType::BPF_MAP_TYPE_ARRAY,
                4,
                SYSCALL_VALUE_SIZE,
                SYSCALL_SLOTS,
            ),
        ];
        let mut aggregations = Vec::new();
        for (agg_idx, agg) in module.aggregations.iter().enumerate() {
            let key_size: u32 = agg
                .keys
                .iter()
                .map(|ty| ty.stored_size(module.strsize))
                .sum::<u32>()
                .max(8);
            let value_size = agg_value_size(agg.func, agg.params);
            aggregations.push(AggMap {
                map: defs.len(),
                func: agg.func,
                params: agg.params,
                value_size,
            });
            defs.push(def(
                &aggregation_map_name(agg_idx),
                MapType::BPF_MAP_TYPE_PERCPU_HASH,
                key_size,
                value_size,
                AGG_ENTRIES,
            ));
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
        MapIndex {
            defs,
            scratch: 0,
            events: 1,
            stats: 2,
            probe_names: 3,
            syscall_entry: 4,
            syscall_return: 5,
            aggregations,
            agg_support,
        }
    }
}

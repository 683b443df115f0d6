//! Code generation: the lowered IR to eBPF programs, maps and the plan the engine follows.
//!
//! Probes are grouped by how they fire: one program for every `BEGIN`, `END`, profile timer and
//! tracefs event, and one program each for all syscall entries and all syscall returns. A program is a trampoline
//! (`crate::trampoline`) followed by the body of every clause enabled on one of its probes; when a
//! program serves several probes, a clause first tests its bit in the D context's clause mask.
//! See `frame` for register roles and the stack frame.

mod action;
mod activity;
mod agg;
mod chill;
pub(crate) mod emit;
mod fault;
pub(crate) mod frame;
mod inst;
pub(crate) mod maps;
mod plan;
mod slots;
mod spec;
mod stack;
mod subr;
mod var;
mod var_place;

use std::collections::{HashMap, HashSet};

use d_frontend::ir::{Builtin, Clause, Inst, Module};
use d_frontend::provider::{Probe, ProbeKind, RawSource, SourceKind, UprobeSite};

use self::emit::Emitter;
use self::fault::FaultTarget;
use self::frame::{MAX_SLOTS, SCRATCH};
use self::inst::ClauseContext;
use self::maps::{MAX_SCRATCH_SIZE, MapIndex, SAVED_ARGS_MAP, VarStorage};
use self::slots::SlotMap;
use self::subr::StringArea;
use crate::elf::{self, ProgramObject};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};
use crate::layout::{DCTX_CLAUSE_MASK, FAULT_RECORD_SIZE, MAX_NSPEC};
use crate::plan::{Attach, CompiledProgram, UprobeAttach};
use crate::trampoline;
use crate::trampoline::dependent::SourceContext;

/// Options that do not come from the D program.
#[derive(Clone, Copy, Debug)]
pub struct CodegenOptions {
    /// Added to the monotonic clock for `walltimestamp` (`CLOCK_REALTIME - CLOCK_MONOTONIC`).
    pub wall_clock_offset_ns: u64,
    /// The ring buffer size in bytes (`bufsize`, a power of two times the page size).
    pub bufsize: u32,
    /// Bytes each dynamic variable's map may hold (`dynvarsize`).
    pub dynvarsize: u64,
    /// How many speculations may be active at once (`nspec`, at most `layout::MAX_NSPEC`).
    pub nspec: u32,
    /// The most bytes one speculation keeps (`specsize`).
    pub specsize: u64,
    /// Bytes each aggregation's map may hold (`aggsize`), up to a fixed number of entries.
    pub aggsize: u64,
    /// `fbt` probes are kprobes and kretprobes rather than fentry and fexit programs.
    pub fbt_kprobes: bool,
    /// With `fbt_kprobes`, the shared kprobe program of each direction attaches to all its
    /// functions through one kprobe-multi link ([`Attach::KprobeMulti`]), even to one function,
    /// rather than through a kprobe perf event per function.
    pub fbt_kprobe_multi: bool,
    /// `pid` and USDT probes attach through uprobe-multi links ([`Attach::Uprobe`]'s `multi`)
    /// rather than through a uprobe perf event per site.
    pub uprobe_multi: bool,
    /// Loops count their iterations on the stack rather than start with `may_goto`, which
    /// kernels before 6.9 lack.
    pub bounded_loops: bool,
    /// Records go to per-CPU perf buffers (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`) rather than the ring
    /// buffer, which kernels before 5.8 lack.
    pub perf_buffer: bool,
    /// Members of the current task that built-in variables read (`ppid`, `vtimestamp`) are
    /// loaded directly through `bpf_get_current_task_btf`'s BTF-typed pointer rather than with
    /// probe reads (Linux 5.11 with kernel BTF).
    pub task_btf: bool,
}

impl Default for CodegenOptions {
    /// libdtrace's defaults: 4 MiB buffers, one speculation, no wall clock offset.
    fn default() -> CodegenOptions {
        CodegenOptions {
            wall_clock_offset_ns: 0,
            bufsize: 4 << 20,
            dynvarsize: 1 << 20,
            nspec: 1,
            specsize: 4 << 20,
            aggsize: 4 << 20,
            fbt_kprobes: false,
            fbt_kprobe_multi: false,
            uprobe_multi: false,
            bounded_loops: false,
            perf_buffer: false,
            task_btf: false,
        }
    }
}

/// Why code generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// A clause needs more virtual registers than the stack holds.
    #[error(
        "clause {clause} is too complex: it needs {n_slots} registers, at most {MAX_SLOTS} fit"
    )]
    TooManyRegisters {
        /// The clause index.
        clause: usize,
        /// Slots it needs.
        n_slots: u32,
    },
    /// The clause temporaries do not fit in the per-CPU scratch value.
    #[error(
        "clause {clause} needs {size} bytes of scratch space, at most {MAX_SCRATCH_SIZE} are available"
    )]
    ScratchTooLarge {
        /// The clause index.
        clause: usize,
        /// Bytes it needs.
        size: u32,
    },
    /// The `alloca` area does not fit in the per-CPU scratch value.
    #[error(
        "scratchsize {size} is too large: the alloca area does not fit beside the clause temporaries in {MAX_SCRATCH_SIZE} bytes"
    )]
    AllocaTooLarge {
        /// The `scratchsize` option.
        size: u32,
    },
    /// The clause-locals do not fit in the per-CPU scratch value beside the clause temporaries.
    #[error(
        "clause-local variables need {size} bytes of scratch space, which does not fit beside the clause temporaries in {MAX_SCRATCH_SIZE} bytes"
    )]
    LocalsTooLarge {
        /// Bytes they need.
        size: u32,
    },
    /// An aggregation's per-CPU value is larger than the kernel allows.
    #[error(
        "aggregation @{name} needs {size} bytes per CPU, at most {MAX_SCRATCH_SIZE} are available"
    )]
    AggregationTooLarge {
        /// The aggregation's name.
        name: String,
        /// Bytes its value needs.
        size: u32,
    },
    /// `aggsize` or `dynvarsize` has no room for one element of an aggregation or a dynamic
    /// variable (libdtrace's `EDT_BUFTOOSMALL`).
    #[error("Enabling exceeds size of buffer")]
    BufferTooSmall,
    /// A jump does not fit in 16 bits.
    #[error("program {program} is too large: {message}")]
    TooLarge {
        /// The program.
        program: String,
        /// What overflowed.
        message: String,
    },
    /// The ELF writer refused the object.
    #[error("failed to write the ELF object")]
    Elf(#[from] elf::ElfError),
}

/// One generated program, for `-S` and for mapping verifier errors back to clauses.
#[derive(Clone, Debug)]
pub struct ProgramListing {
    /// The program's name.
    pub name: String,
    /// Its instructions.
    pub insns: Vec<Insn>,
    /// For each instruction, the clause it came from (`None` for the trampoline).
    pub clause_of_insn: Vec<Option<usize>>,
    /// Comments shown before instructions (instruction index, text).
    pub annotations: Vec<(usize, String)>,
}

impl ProgramListing {
    /// The clause the verifier rejected: the one holding the last instruction its log names (the
    /// log's last `N: (op) ...` line is where it stopped). `None` for the trampoline.
    pub fn rejected_clause(&self, verifier_log: &str) -> Option<usize> {
        let failing_insn = verifier_log.lines().rev().find_map(|line| {
            let (index, rest) = line.split_once(": ")?;
            rest.starts_with('(')
                .then(|| index.trim().parse::<usize>().ok())
                .flatten()
        })?;
        self.clause_of_insn.get(failing_insn).copied().flatten()
    }
}

/// The result of code generation.
#[derive(Clone, Debug)]
pub struct Generated {
    /// What the engine loads.
    pub program: CompiledProgram,
    /// What `-S` prints.
    pub listings: Vec<ProgramListing>,
}

/// How a program's probes are told apart.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Group {
    /// One probe with a fixed ID.
    Single { probe_id: u32, kind: ProbeKind },
    /// One source of a dependent probe (`proc`, `sched`): its index in the probe's sources.
    Source { probe_id: u32, source_idx: usize },
    /// Syscall probes, by number (`is_return` for `sys_exit`).
    Syscalls { is_return: bool },
    /// `fbt` probes as one kprobe (or kretprobe) program attached to each probe's function,
    /// told apart by the attach cookie.
    FbtKprobes {
        is_return: bool,
        probe_ids: Vec<u32>,
    },
    /// `pid` probes that enable the same clauses, by attach cookie: the `set_idx`th such set.
    Uprobes { is_return: bool, set_idx: usize },
    /// One site of a USDT probe: its index in the probe's sites.
    Site { probe_id: u32, site_idx: usize },
    /// The kprobe on the entry of the function a dependent probe's return source (its index in
    /// the probe's sources) is a kretprobe on, which saves the argument registers for it and
    /// runs no clause.
    SaveArgs { probe_id: u32, source_idx: usize },
}

/// Generates every program of `module`.
pub fn generate(module: &Module, options: &CodegenOptions) -> Result<Generated, CodegenError> {
    let (groups, group_of_probe) = groups(module, options);
    let mut group_clauses: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (clause_idx, clause) in module.clauses.iter().enumerate() {
        for probe_id in &clause.probe_ids {
            for &group_idx in group_of_probe.get(probe_id).into_iter().flatten() {
                let clauses = &mut group_clauses[group_idx];
                if clauses.last() != Some(&clause_idx) {
                    clauses.push(clause_idx);
                }
            }
        }
    }
    let mask_words = groups
        .iter()
        .zip(&group_clauses)
        .filter(|((_, group, _), _)| matches!(group, Group::Syscalls { .. }))
        .map(|(_, clause_ids)| clause_ids.len().div_ceil(64))
        .max()
        .unwrap_or(1)
        .max(1) as u32;
    let strings = StringArea::new(module.strsize, scratch_size(module, 8 * (mask_words - 1))?);
    let alloca_end = u64::from(crate::layout::SCRATCH_TEMP_BASE + strings.end())
        + u64::from(maps::locals_size(module))
        + u64::from(maps::alloca_area_size(module.alloca_size))
        + 8 * u64::from(mask_words);
    if module.alloca_size > 0 && alloca_end > u64::from(MAX_SCRATCH_SIZE) {
        return Err(CodegenError::AllocaTooLarge {
            size: module.alloca_size,
        });
    }
    let mut maps = MapIndex::new(module, strings.end(), mask_words, options)?;
    if spec::uses_speculations(module) {
        maps.add_speculations(options.nspec.min(MAX_NSPEC), options.specsize);
    }
    if options.fbt_kprobes
        && module
            .probes
            .iter()
            .flat_map(|probe| &probe.sources)
            .any(trampoline::dependent::reads_entry_args_at_return)
    {
        maps.add_saved_args();
    }
    for agg in &module.aggregations {
        let size = crate::layout::agg_value_size(agg.func, agg.params);
        if size > MAX_SCRATCH_SIZE {
            return Err(CodegenError::AggregationTooLarge {
                name: agg.name.clone(),
                size,
            });
        }
    }
    let mut objects = Vec::new();
    let mut listings = Vec::new();
    let mut attaches = Vec::new();
    let mut programs = Vec::new();
    for ((name, group, attach), clause_ids) in groups.into_iter().zip(group_clauses) {
        if clause_ids.is_empty() {
            continue;
        }
        let chunks = chunks_within_map_limit(module, &maps, strings, &clause_ids, options)?;
        let mut first_bit = 0;
        for (chunk_idx, chunk_len) in chunks.into_iter().enumerate() {
            let name = match chunk_idx {
                0 => name.clone(),
                _ => format!("{name}_{chunk_idx}"),
            };
            let chunk = Chunk {
                first_bit,
                clause_ids: clause_ids[first_bit..first_bit + chunk_len].to_vec(),
            };
            first_bit += chunk_len;
            programs.push((name, group.clone(), attach.clone(), chunk));
        }
    }
    for (name, group, attach, chunk) in programs {
        let emitter = program(&name, module, &maps, strings, &group, &chunk, options)?;
        let mut annotations = emitter.annotations.clone();
        for reloc in &emitter.map_relocs {
            annotations.push((reloc.insn_idx, map_label(module, &maps, reloc.map_idx)));
        }
        annotations.sort_by_key(|(insn_idx, _)| *insn_idx);
        listings.push(ProgramListing {
            name: name.clone(),
            insns: emitter.insns.clone(),
            clause_of_insn: emitter.clause_of_insn.clone(),
            annotations,
        });
        objects.push(ProgramObject {
            name: name.clone(),
            section: section(&attach, &name),
            insns: emitter.insns,
            map_relocs: emitter.map_relocs,
        });
        attaches.push((name, attach, group, chunk));
    }
    let elf = elf::write_object(&maps.defs, &objects)?;
    let program = plan::compiled_program(module, &maps, elf, &attaches);
    Ok(Generated { program, listings })
}

/// How `-S` names a map: `@name` for the map of one aggregation, the D name for a variable's map
/// (`self->ts`, `a[]`), else the map's own name (a map that aggregations share among them).
fn map_label(module: &Module, maps: &MapIndex, map_idx: usize) -> String {
    let mut users = maps
        .aggregations
        .iter()
        .enumerate()
        .filter(|(_, agg_map)| agg_map.map == map_idx);
    if let (Some((agg_idx, _)), None) = (users.next(), users.next()) {
        return format!("@{}", module.aggregations[agg_idx].name);
    }
    match maps
        .variables
        .iter()
        .position(|storage| *storage == VarStorage::Dynamic { map: map_idx })
    {
        Some(var_idx) => module.variables[var_idx].display_name(),
        None => maps.defs[map_idx].name.clone(),
    }
}

/// The largest scratch area any clause needs, not counting the string work area after it;
/// `reserved` bytes must fit after that area.
fn scratch_size(module: &Module, reserved: u32) -> Result<u32, CodegenError> {
    let mut size = FAULT_RECORD_SIZE;
    let work_size = StringArea::size(module.strsize) + 8;
    for (clause_idx, clause) in module.clauses.iter().enumerate() {
        let end = crate::layout::SCRATCH_TEMP_BASE + clause.scratch_size.next_multiple_of(8);
        if end + work_size + reserved > MAX_SCRATCH_SIZE {
            return Err(CodegenError::ScratchTooLarge {
                clause: clause_idx,
                size: clause.scratch_size,
            });
        }
        size = size.max(clause.scratch_size);
    }
    let locals_size = maps::locals_size(module);
    if (crate::layout::SCRATCH_TEMP_BASE + size + locals_size).next_multiple_of(8) + reserved
        > MAX_SCRATCH_SIZE
    {
        return Err(CodegenError::LocalsTooLarge { size: locals_size });
    }
    Ok(size)
}

/// A program to build: its name, how its probes are told apart, and where it attaches.
type GroupPlan = (String, Group, Attach);

/// The programs to build, and the indexes of the programs each probe ID belongs to (a dependent
/// probe has one per source).
fn groups(module: &Module, options: &CodegenOptions) -> (Vec<GroupPlan>, HashMap<u32, Vec<usize>>) {
    let mut groups = Vec::new();
    let mut group_of_probe = HashMap::new();
    let mut entry_probes = Vec::new();
    let mut return_probes = Vec::new();
    let shared_kprobes = if options.fbt_kprobes {
        kprobe_sharing(module, options.fbt_kprobe_multi)
    } else {
        [Vec::new(), Vec::new()]
    };
    let mut clauses_of_probe: HashMap<u32, Vec<usize>> = HashMap::new();
    for (clause_idx, clause) in module.clauses.iter().enumerate() {
        for probe_id in &clause.probe_ids {
            clauses_of_probe
                .entry(*probe_id)
                .or_default()
                .push(clause_idx);
        }
    }
    let mut uprobe_sets: HashMap<(bool, Vec<usize>), usize> = HashMap::new();
    for probe in &module.probes {
        let single = |name: String, attach: Attach| {
            let group = Group::Single {
                probe_id: probe.id,
                kind: probe.kind,
            };
            (name, group, attach)
        };
        let group = match probe.kind {
            ProbeKind::Begin => single("dtrace_begin".to_string(), Attach::Begin),
            ProbeKind::End => single("dtrace_end".to_string(), Attach::End),
            ProbeKind::Error => continue,
            ProbeKind::SyscallEntry { .. } => {
                entry_probes.push(probe.id);
                continue;
            }
            ProbeKind::SyscallReturn { .. } => {
                return_probes.push(probe.id);
                continue;
            }
            ProbeKind::Tracepoint => single(
                format!("tracepoint_{}", probe.id),
                Attach::Tracepoint {
                    category: probe.desc.module.clone(),
                    name: probe.desc.name.clone(),
                },
            ),
            ProbeKind::Profile {
                period_ns,
                all_cpus,
            } => single(
                format!("profile_{}", probe.id),
                Attach::PerfTimer {
                    period_ns,
                    all_cpus,
                },
            ),
            ProbeKind::Fbt { is_return }
                if shared_kprobes[usize::from(is_return)].contains(&probe.id) =>
            {
                continue;
            }
            ProbeKind::Fbt { is_return } if options.fbt_kprobes => single(
                format!("fbt_{}", probe.id),
                Attach::Kprobe {
                    function: probe.desc.function.clone(),
                    is_return,
                    probe: probe.desc.to_string(),
                    cookie: None,
                },
            ),
            ProbeKind::Fbt { is_return } => single(
                format!("fbt_{}", probe.id),
                Attach::Fentry {
                    function: probe.desc.function.clone(),
                    is_return,
                    probe: probe.desc.to_string(),
                },
            ),
            ProbeKind::Uprobe { is_return } => {
                let clause_set = clauses_of_probe.get(&probe.id).cloned().unwrap_or_default();
                let n_sets = uprobe_sets.len();
                let group_idx = *uprobe_sets
                    .entry((is_return, clause_set))
                    .or_insert_with(|| {
                        let kind = if is_return { "uretprobe" } else { "uprobe" };
                        groups.push((
                            format!("{kind}_{n_sets}"),
                            Group::Uprobes {
                                is_return,
                                set_idx: n_sets,
                            },
                            Attach::Uprobe {
                                is_return,
                                sites: Vec::new(),
                                multi: options.uprobe_multi,
                            },
                        ));
                        groups.len() - 1
                    });
                if let (_, _, Attach::Uprobe { sites, .. }) = &mut groups[group_idx] {
                    sites.extend(
                        probe
                            .uprobes
                            .iter()
                            .map(|site| uprobe_attach(probe.id, site)),
                    );
                }
                group_of_probe.insert(probe.id, vec![group_idx]);
                continue;
            }
            ProbeKind::Usdt => {
                for (site_idx, site) in probe.uprobes.iter().enumerate() {
                    group_of_probe
                        .entry(probe.id)
                        .or_insert_with(Vec::new)
                        .push(groups.len());
                    groups.push((
                        format!("usdt_{}_{site_idx}", probe.id),
                        Group::Site {
                            probe_id: probe.id,
                            site_idx,
                        },
                        Attach::Uprobe {
                            is_return: false,
                            sites: vec![uprobe_attach(probe.id, site)],
                            multi: options.uprobe_multi,
                        },
                    ));
                }
                continue;
            }
            ProbeKind::Dependent => {
                for (source_idx, source) in probe.sources.iter().enumerate() {
                    if options.fbt_kprobes
                        && trampoline::dependent::reads_entry_args_at_return(source)
                    {
                        group_of_probe
                            .entry(probe.id)
                            .or_insert_with(Vec::new)
                            .push(groups.len());
                        groups.push((
                            format!("dependent_{}_{source_idx}_entry", probe.id),
                            Group::SaveArgs {
                                probe_id: probe.id,
                                source_idx,
                            },
                            Attach::Kprobe {
                                function: source.tracepoint.clone(),
                                is_return: false,
                                probe: probe.desc.to_string(),
                                cookie: None,
                            },
                        ));
                    }
                    group_of_probe
                        .entry(probe.id)
                        .or_insert_with(Vec::new)
                        .push(groups.len());
                    groups.push((
                        format!("dependent_{}_{source_idx}", probe.id),
                        Group::Source {
                            probe_id: probe.id,
                            source_idx,
                        },
                        source_attach(probe, source, options),
                    ));
                }
                continue;
            }
        };
        group_of_probe.insert(probe.id, vec![groups.len()]);
        groups.push(group);
    }
    for (is_return, probe_ids) in [false, true].into_iter().zip(shared_kprobes) {
        let Some(first) = probe_ids
            .first()
            .and_then(|id| module.probes.iter().find(|probe| probe.id == *id))
        else {
            continue;
        };
        let attach = if options.fbt_kprobe_multi {
            Attach::KprobeMulti {
                is_return,
                targets: Vec::new(),
            }
        } else {
            Attach::Kprobe {
                function: first.desc.function.clone(),
                is_return,
                probe: first.desc.to_string(),
                cookie: Some(0),
            }
        };
        for probe_id in &probe_ids {
            group_of_probe.insert(*probe_id, vec![groups.len()]);
        }
        let name = if is_return {
            "fbt_kretprobes"
        } else {
            "fbt_kprobes"
        };
        groups.push((
            name.to_string(),
            Group::FbtKprobes {
                is_return,
                probe_ids,
            },
            attach,
        ));
    }
    for (probe_ids, is_return, name, tracepoint) in [
        (entry_probes, false, "syscall_entry", "sys_enter"),
        (return_probes, true, "syscall_return", "sys_exit"),
    ] {
        if probe_ids.is_empty() {
            continue;
        }
        for probe_id in probe_ids {
            group_of_probe.insert(probe_id, vec![groups.len()]);
        }
        groups.push((
            name.to_string(),
            Group::Syscalls { is_return },
            Attach::RawTracepoint {
                name: tracepoint.to_string(),
            },
        ));
    }
    (groups, group_of_probe)
}

/// Where the program of `probe`'s `source` attaches: a raw tracepoint, or a kernel function as
/// `fbt` probes attach to it.
fn source_attach(probe: &Probe, source: &RawSource, options: &CodegenOptions) -> Attach {
    let is_return = match source.kind {
        SourceKind::RawTracepoint => {
            return Attach::RawTracepoint {
                name: source.tracepoint.clone(),
            };
        }
        SourceKind::FunctionEntry => false,
        SourceKind::FunctionReturn => true,
    };
    if options.fbt_kprobes {
        Attach::Kprobe {
            function: source.tracepoint.clone(),
            is_return,
            probe: probe.desc.to_string(),
            cookie: None,
        }
    } else {
        Attach::Fentry {
            function: source.tracepoint.clone(),
            is_return,
            probe: probe.desc.to_string(),
        }
    }
}

/// The `fbt` probe IDs (entry, then return) one shared kprobe program serves for each direction:
/// two functions' or more, or any number through a kprobe-multi link (`multi`).
fn kprobe_sharing(module: &Module, multi: bool) -> [Vec<u32>; 2] {
    [false, true].map(|is_return| {
        let probe_ids: Vec<u32> = module
            .probes
            .iter()
            .filter(|probe| {
                probe.kind == ProbeKind::Fbt { is_return }
                    && trampoline::kprobe::shareable(&probe.args, is_return)
            })
            .map(|probe| probe.id)
            .collect();
        let n_clauses = module
            .clauses
            .iter()
            .filter(|clause| clause.probe_ids.iter().any(|id| probe_ids.contains(id)))
            .count();
        let fewest = if multi { 1 } else { 2 };
        if probe_ids.len() < fewest || n_clauses > trampoline::kprobe::MAX_SHARED_CLAUSES {
            return Vec::new();
        }
        probe_ids
    })
}

/// Where a uprobe program attaches for one site of probe `probe_id`, which its cookie names.
fn uprobe_attach(probe_id: u32, site: &UprobeSite) -> UprobeAttach {
    UprobeAttach {
        pid: site.pid,
        path: site.path.clone(),
        file_offset: site.file_offset,
        semaphore_offset: site.semaphore_offset,
        cookie: u64::from(probe_id),
    }
}

/// The ELF section for a program: aya takes the program type from the part before the first `/`.
fn section(attach: &Attach, name: &str) -> String {
    match attach {
        Attach::Tracepoint { category, name } => format!("tracepoint/{category}/{name}"),
        Attach::RawTracepoint { name } => format!("raw_tp/{name}"),
        Attach::PerfTimer { .. } => "perf_event".to_string(),
        Attach::Fentry {
            function,
            is_return,
            ..
        } => {
            let kind = if *is_return { "fexit" } else { "fentry" };
            format!("{kind}/{function}")
        }
        Attach::Kprobe {
            function,
            is_return,
            ..
        } => {
            let kind = if *is_return { "kretprobe" } else { "kprobe" };
            format!("{kind}/{function}")
        }
        // aya parses the object but does not load this program (it cannot load kprobe-multi
        // programs); the engine loads it itself.
        Attach::KprobeMulti { is_return, .. } => {
            let kind = if *is_return { "kretprobe" } else { "kprobe" };
            format!("{kind}/{name}")
        }
        Attach::Uprobe { is_return, .. } => {
            let kind = if *is_return { "uretprobe" } else { "uprobe" };
            format!("{kind}/{name}")
        }
        Attach::Begin | Attach::End => format!("raw_tp/{name}"),
    }
}

/// The clauses one program runs: a run of its probe group's clauses, whose clause-mask bits
/// start at `first_bit`.
#[derive(Clone, Debug)]
pub(crate) struct Chunk {
    /// The mask bit of the first clause.
    pub first_bit: usize,
    /// The clauses, in program order.
    pub clause_ids: Vec<usize>,
}

/// The most instructions the clauses of one program take, when more programs may share the
/// clauses of a probe group. The verifier patches each inlined map lookup into the whole program,
/// so its work grows with the square of a program's length: a thousand clauses verify several times
/// faster as programs of about this size than as one program.
const MAX_CLAUSE_INSNS_PER_PROGRAM: usize = 1024;

/// The most maps one program may use (the kernel's `MAX_USED_MAPS`).
const MAX_MAPS_PER_PROGRAM: usize = 64;

/// Splits a probe group's clauses into runs whose programs each use at most
/// [`MAX_MAPS_PER_PROGRAM`] maps (each aggregation layout and dynamic variable has a map of its
/// own) and, unless the clauses share clause-local variables (which each program zeroes), at most
/// [`MAX_CLAUSE_INSNS_PER_PROGRAM`] instructions of clauses; returns the run lengths. The programs
/// of one group attach to the same tracepoint in order (or each to its own perf event, or, for
/// `BEGIN` and `END`, run one after another), so clauses still run in program order.
fn chunks_within_map_limit(
    module: &Module,
    maps: &MapIndex,
    strings: StringArea,
    clause_ids: &[usize],
    options: &CodegenOptions,
) -> Result<Vec<usize>, CodegenError> {
    let trampoline_maps = [
        maps.scratch,
        maps.syscall_entry,
        maps.syscall_return,
        maps.state,
    ]
    .into_iter()
    .chain(maps.globals);
    let mut chunks = Vec::new();
    let mut used: HashSet<usize> = trampoline_maps.clone().collect();
    let mut chunk_len = 0;
    let mut insns = 0;
    let max_insns = if var::uses_locals(maps, clause_ids.iter().map(|&idx| &module.clauses[idx])) {
        usize::MAX
    } else {
        MAX_CLAUSE_INSNS_PER_PROGRAM
    };
    for &clause_idx in clause_ids {
        let mut trial = Emitter::default();
        let end = trial.target();
        clause_body(
            &mut trial,
            maps,
            strings,
            &module.clauses[clause_idx],
            clause_idx,
            options,
            FaultTarget::Silent { end },
        )?;
        let clause_maps: HashSet<usize> =
            trial.map_relocs.iter().map(|reloc| reloc.map_idx).collect();
        if chunk_len > 0
            && (used.union(&clause_maps).count() > MAX_MAPS_PER_PROGRAM
                || insns + trial.insns.len() > max_insns)
        {
            chunks.push(chunk_len);
            used = trampoline_maps.clone().collect();
            chunk_len = 0;
            insns = 0;
        }
        used.extend(clause_maps);
        insns += trial.insns.len();
        chunk_len += 1;
    }
    chunks.push(chunk_len);
    Ok(chunks)
}

fn program(
    name: &str,
    module: &Module,
    maps: &MapIndex,
    strings: StringArea,
    group: &Group,
    chunk: &Chunk,
    options: &CodegenOptions,
) -> Result<Emitter, CodegenError> {
    let mut emitter = Emitter::default();
    emitter.loop_bound = options
        .bounded_loops
        .then(|| module.strsize.saturating_add(1).min(i32::MAX as u32) as i32);
    let exit = emitter.target();
    trampoline::prologue(&mut emitter, maps.scratch, exit);
    let kind = match group {
        Group::Single { kind, .. } => Some(*kind),
        Group::Syscalls { .. }
        | Group::Source { .. }
        | Group::FbtKprobes { .. }
        | Group::Uprobes { .. }
        | Group::Site { .. }
        | Group::SaveArgs { .. } => None,
    };
    let activity = activity::expected(kind);
    activity::check(&mut emitter, maps, activity, exit);
    let may_drain = activity::may_drain(&module.clauses);
    let masked = match group {
        Group::Single {
            probe_id,
            kind: ProbeKind::Profile { .. },
        } => {
            trampoline::profile::trampoline(&mut emitter, *probe_id);
            false
        }
        Group::Single {
            probe_id,
            kind: ProbeKind::Tracepoint,
        } => {
            let args = module
                .probes
                .iter()
                .find(|probe| probe.id == *probe_id)
                .map_or(&[][..], |probe| &probe.args[..]);
            trampoline::tracepoint::trampoline(&mut emitter, *probe_id, args);
            false
        }
        Group::Single {
            probe_id,
            kind: ProbeKind::Fbt { is_return },
        } => {
            let args = module
                .probes
                .iter()
                .find(|probe| probe.id == *probe_id)
                .map_or(&[][..], |probe| &probe.args[..]);
            if options.fbt_kprobes {
                trampoline::kprobe::trampoline(&mut emitter, *probe_id, *is_return, args);
            } else {
                trampoline::fbt::trampoline(&mut emitter, *probe_id, *is_return, args);
            }
            false
        }
        Group::Single { probe_id, .. } => {
            trampoline::dtrace::trampoline(&mut emitter, *probe_id);
            false
        }
        Group::Source {
            probe_id,
            source_idx,
        } => {
            let Some(source) = module
                .probes
                .iter()
                .find(|probe| probe.id == *probe_id)
                .and_then(|probe| probe.sources.get(*source_idx))
            else {
                unreachable!("source {source_idx} of probe {probe_id} made a program")
            };
            let context = SourceContext::of(source, options.fbt_kprobes, maps.saved_args);
            trampoline::dependent::trampoline(&mut emitter, *probe_id, source, context, exit);
            false
        }
        Group::SaveArgs { .. } => {
            let Some(saved_args) = maps.saved_args else {
                unreachable!("a program saves arguments without the {SAVED_ARGS_MAP} map")
            };
            trampoline::dependent::save_entry_args(&mut emitter, saved_args);
            emitter.place(exit);
            emitter.push(Insn::mov64_imm(Reg::R0, 0));
            emitter.push(Insn::exit());
            emitter.finish().map_err(|message| CodegenError::TooLarge {
                program: name.to_string(),
                message,
            })?;
            return Ok(emitter);
        }
        Group::FbtKprobes { is_return, .. } => {
            trampoline::kprobe::shared_trampoline(&mut emitter, *is_return);
            true
        }
        Group::Uprobes { is_return, .. } => {
            trampoline::uprobe::pid_trampoline(&mut emitter, *is_return);
            false
        }
        Group::Site { probe_id, site_idx } => {
            let Some(site) = module
                .probes
                .iter()
                .find(|probe| probe.id == *probe_id)
                .and_then(|probe| probe.uprobes.get(*site_idx))
            else {
                unreachable!("site {site_idx} of probe {probe_id} made a program")
            };
            trampoline::uprobe::usdt_trampoline(&mut emitter, *probe_id, &site.args);
            false
        }
        Group::Syscalls { is_return } => {
            let map = if *is_return {
                maps.syscall_return
            } else {
                maps.syscall_entry
            };
            let reads_args = chunk.clause_ids.iter().any(|&clause_idx| {
                module.clauses[clause_idx].insts.iter().any(|inst| {
                    matches!(
                        inst,
                        Inst::Builtin {
                            builtin: Builtin::Arg(_),
                            ..
                        }
                    )
                })
            });
            trampoline::syscall::trampoline(&mut emitter, maps, map, *is_return, reads_args, exit);
            true
        }
    };
    let clauses: Vec<&Clause> = chunk
        .clause_ids
        .iter()
        .map(|&clause_idx| &module.clauses[clause_idx])
        .collect();
    var::prologue(&mut emitter, maps, &clauses, exit);
    // The early exits of the trampoline and the prologue jump here rather than to the end of the
    // program, which a conditional jump's 16-bit offset cannot reach past a few thousand clause
    // instructions.
    let first_clause = emitter.target();
    emitter.jump(first_clause);
    emitter.place(exit);
    emitter.push(Insn::mov64_imm(Reg::R0, 0));
    emitter.push(Insn::exit());
    emitter.place(first_clause);
    let error_block = emitter.target();
    let mut resumes = Vec::new();
    for (position, &clause_idx) in chunk.clause_ids.iter().enumerate() {
        let bit = chunk.first_bit + position;
        let clause = &module.clauses[clause_idx];
        emitter.set_clause(Some(clause_idx));
        emitter.annotate(format!("clause {clause_idx}"));
        let skip = emitter.target();
        if may_drain && position > 0 {
            activity::check(&mut emitter, maps, activity, skip);
        }
        if masked {
            let word = bit / 64;
            let word_offset = if word == 0 {
                DCTX_CLAUSE_MASK
            } else {
                maps.extra_mask_offset + 8 * (word as i16 - 1)
            };
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, word_offset));
            inst::load_constant(&mut emitter, Reg::R2, 1u64 << (bit % 64));
            emitter.push(Insn::alu64_reg(AluOp::And, Reg::R1, Reg::R2));
            emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        }
        let handler = emitter.target();
        let fault = FaultTarget::Report {
            handler,
            clause: clause_idx as u32,
            start: emitter.insns.len(),
        };
        let slots = clause_body(
            &mut emitter,
            maps,
            strings,
            clause,
            clause_idx,
            options,
            fault,
        )?;
        if emitter.is_used(handler) {
            emitter.jump(skip);
            emitter.place(handler);
            let context = ClauseContext {
                slots: &slots,
                labels: &[],
                maps,
                wall_clock_offset_ns: options.wall_clock_offset_ns,
                task_btf: options.task_btf,
                strings,
                fault,
            };
            fault::clause_handler(&context, &mut emitter, clause, clause_idx, error_block);
            resumes.push((clause_idx, skip));
        }
        emitter.place(skip);
        emitter.set_clause(None);
    }
    if !resumes.is_empty() {
        emitter.push(Insn::mov64_imm(Reg::R0, 0));
        emitter.push(Insn::exit());
        emitter.place(error_block);
        error_clauses(&mut emitter, module, maps, strings, options, &resumes)?;
    }
    emitter.push(Insn::mov64_imm(Reg::R0, 0));
    emitter.push(Insn::exit());
    emitter.finish().map_err(|message| CodegenError::TooLarge {
        program: name.to_string(),
        message,
    })?;
    Ok(emitter)
}

/// The error block: the fault record, then every `ERROR` clause, then back to the clause after
/// the one that faulted (see `fault`).
fn error_clauses(
    emitter: &mut Emitter,
    module: &Module,
    maps: &MapIndex,
    strings: StringArea,
    options: &CodegenOptions,
    resumes: &[(usize, emit::Target)],
) -> Result<(), CodegenError> {
    let error_probe = module
        .probes
        .iter()
        .find(|probe| probe.kind == ProbeKind::Error);
    let resume = fault::error_block_start(emitter, maps, error_probe.map_or(0, |probe| probe.id));
    if let Some(error_probe) = error_probe {
        for (clause_idx, clause) in module.clauses.iter().enumerate() {
            if !clause.probe_ids.contains(&error_probe.id) {
                continue;
            }
            emitter.set_clause(Some(clause_idx));
            emitter.annotate(format!("clause {clause_idx} for ERROR"));
            let end = emitter.target();
            clause_body(
                emitter,
                maps,
                strings,
                clause,
                clause_idx,
                options,
                FaultTarget::Silent { end },
            )?;
            emitter.place(end);
        }
    }
    emitter.set_clause(None);
    fault::error_block_end(emitter, resume, resumes);
    Ok(())
}

/// Emits one clause's code; returns its register slots.
fn clause_body(
    emitter: &mut Emitter,
    maps: &MapIndex,
    strings: StringArea,
    clause: &Clause,
    clause_idx: usize,
    options: &CodegenOptions,
    fault: FaultTarget,
) -> Result<SlotMap, CodegenError> {
    let slots = SlotMap::assign(&clause.insts, clause.n_vregs);
    if slots.n_slots > MAX_SLOTS {
        return Err(CodegenError::TooManyRegisters {
            clause: clause_idx,
            n_slots: slots.n_slots,
        });
    }
    let labels: Vec<emit::Target> = (0..clause.n_labels).map(|_| emitter.target()).collect();
    let context = ClauseContext {
        slots: &slots,
        labels: &labels,
        maps,
        wall_clock_offset_ns: options.wall_clock_offset_ns,
        task_btf: options.task_btf,
        strings,
        fault,
    };
    for inst in &clause.insts {
        if let Inst::EmitRecord {
            offset,
            size,
            wakeup,
        } = inst
        {
            action::emit_record(
                &context,
                emitter,
                clause_idx as u32,
                *offset,
                *size,
                *wakeup,
                spec::speculates(clause),
            );
        } else {
            context.emit(emitter, inst);
        }
    }
    Ok(slots)
}

//! Code generation: the lowered IR to eBPF programs, maps and the plan the engine follows.
//!
//! Probes are grouped by how they fire: one program for every `BEGIN`, `END`, profile timer, and
//! one program each for all syscall entries and all syscall returns. A program is a trampoline
//! (`crate::trampoline`) followed by the body of every clause enabled on one of its probes; when a
//! program serves several probes, a clause first tests its bit in the D context's clause mask.
//! See `frame` for register roles and the stack frame.

mod action;
mod agg;
pub(crate) mod emit;
pub(crate) mod frame;
mod inst;
pub(crate) mod maps;
mod plan;
mod slots;

use d_frontend::ir::{Clause, Inst, Module};
use d_frontend::provider::ProbeKind;

use self::emit::Emitter;
use self::frame::{MAX_SLOTS, SCRATCH};
use self::inst::ClauseContext;
use self::maps::{MAX_SCRATCH_SIZE, MapIndex};
use self::slots::SlotMap;
use crate::elf::{self, ProgramObject};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};
use crate::layout::DCTX_CLAUSE_MASK;
use crate::plan::{Attach, CompiledProgram};
use crate::trampoline;

/// Options that do not come from the D program.
#[derive(Clone, Copy, Debug)]
pub struct CodegenOptions {
    /// Added to the monotonic clock for `walltimestamp` (`CLOCK_REALTIME - CLOCK_MONOTONIC`).
    pub wall_clock_offset_ns: u64,
    /// The ring buffer size in bytes (`bufsize`, a power of two times the page size).
    pub bufsize: u32,
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
    /// Too many clauses share one program's clause mask.
    #[error("at most 64 clauses may be enabled on syscall probes, {n_clauses} are")]
    TooManyClauses {
        /// Clauses on the program.
        n_clauses: usize,
    },
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
enum Group {
    /// One probe with a fixed ID.
    Single { probe_id: u32, kind: ProbeKind },
    /// Syscall probes, by number (`is_return` for `sys_exit`).
    Syscalls { is_return: bool },
}

/// Generates every program of `module`.
pub fn generate(module: &Module, options: &CodegenOptions) -> Result<Generated, CodegenError> {
    let scratch_size = scratch_size(module)?;
    for agg in &module.aggregations {
        let size = crate::layout::agg_value_size(agg.func, agg.params);
        if size > MAX_SCRATCH_SIZE {
            return Err(CodegenError::AggregationTooLarge {
                name: agg.name.clone(),
                size,
            });
        }
    }
    let maps = MapIndex::new(module, scratch_size, options.bufsize);
    let mut objects = Vec::new();
    let mut listings = Vec::new();
    let mut attaches = Vec::new();
    for (name, group, attach) in groups(module) {
        let clause_ids: Vec<usize> = module
            .clauses
            .iter()
            .enumerate()
            .filter(|(_, clause)| {
                clause
                    .probe_ids
                    .iter()
                    .any(|id| group_has(module, &group, *id))
            })
            .map(|(clause_idx, _)| clause_idx)
            .collect();
        if clause_ids.is_empty() {
            continue;
        }
        let emitter = program(module, &maps, &group, &clause_ids, options)?;
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
        attaches.push((name, attach, group, clause_ids));
    }
    let elf = elf::write_object(&maps.defs, &objects)?;
    let program = plan::compiled_program(module, &maps, elf, &attaches);
    Ok(Generated { program, listings })
}

/// How `-S` names a map: `@name` for an aggregation, else the map's own name.
fn map_label(module: &Module, maps: &MapIndex, map_idx: usize) -> String {
    match maps
        .aggregations
        .iter()
        .position(|agg_map| agg_map.map == map_idx)
    {
        Some(agg_idx) => format!("@{}", module.aggregations[agg_idx].name),
        None => maps.defs[map_idx].name.clone(),
    }
}

/// The largest scratch area any clause needs.
fn scratch_size(module: &Module) -> Result<u32, CodegenError> {
    let mut size = 8;
    for (clause_idx, clause) in module.clauses.iter().enumerate() {
        if crate::layout::SCRATCH_TEMP_BASE + clause.scratch_size > MAX_SCRATCH_SIZE {
            return Err(CodegenError::ScratchTooLarge {
                clause: clause_idx,
                size: clause.scratch_size,
            });
        }
        size = size.max(clause.scratch_size);
    }
    Ok(size)
}

/// The programs to build: a name, how its probes are told apart, and where it attaches.
fn groups(module: &Module) -> Vec<(String, Group, Attach)> {
    let mut groups = Vec::new();
    let mut have_entry = false;
    let mut have_return = false;
    for probe in &module.probes {
        match probe.kind {
            ProbeKind::Begin => groups.push((
                "dtrace_begin".to_string(),
                Group::Single {
                    probe_id: probe.id,
                    kind: probe.kind,
                },
                Attach::Begin,
            )),
            ProbeKind::End => groups.push((
                "dtrace_end".to_string(),
                Group::Single {
                    probe_id: probe.id,
                    kind: probe.kind,
                },
                Attach::End,
            )),
            ProbeKind::Error => {}
            ProbeKind::SyscallEntry { .. } => have_entry = true,
            ProbeKind::SyscallReturn { .. } => have_return = true,
            ProbeKind::Profile {
                period_ns,
                all_cpus,
            } => groups.push((
                format!("profile_{}", probe.id),
                Group::Single {
                    probe_id: probe.id,
                    kind: probe.kind,
                },
                Attach::PerfTimer {
                    period_ns,
                    all_cpus,
                },
            )),
        }
    }
    if have_entry {
        let attach = Attach::Tracepoint {
            category: "raw_syscalls".to_string(),
            name: "sys_enter".to_string(),
        };
        groups.push((
            "syscall_entry".to_string(),
            Group::Syscalls { is_return: false },
            attach,
        ));
    }
    if have_return {
        let attach = Attach::Tracepoint {
            category: "raw_syscalls".to_string(),
            name: "sys_exit".to_string(),
        };
        groups.push((
            "syscall_return".to_string(),
            Group::Syscalls { is_return: true },
            attach,
        ));
    }
    groups
}

/// Whether probe `id` belongs to `group`.
fn group_has(module: &Module, group: &Group, id: u32) -> bool {
    let Some(probe) = module.probes.iter().find(|probe| probe.id == id) else {
        return false;
    };
    match group {
        Group::Single { probe_id, .. } => *probe_id == id,
        Group::Syscalls { is_return: false } => {
            matches!(probe.kind, ProbeKind::SyscallEntry { .. })
        }
        Group::Syscalls { is_return: true } => {
            matches!(probe.kind, ProbeKind::SyscallReturn { .. })
        }
    }
}

/// The ELF section for a program: aya takes the program type from the part before the first `/`.
fn section(attach: &Attach, name: &str) -> String {
    match attach {
        Attach::Tracepoint { category, name } => format!("tracepoint/{category}/{name}"),
        Attach::PerfTimer { .. } => "perf_event".to_string(),
        Attach::Begin | Attach::End => format!("raw_tp/{name}"),
    }
}

fn program(
    module: &Module,
    maps: &MapIndex,
    group: &Group,
    clause_ids: &[usize],
    options: &CodegenOptions,
) -> Result<Emitter, CodegenError> {
    let mut emitter = Emitter::default();
    let exit = emitter.target();
    trampoline::prologue(&mut emitter, maps.scratch, exit);
    let masked = match group {
        Group::Single {
            probe_id,
            kind: ProbeKind::Profile { .. },
        } => {
            trampoline::profile::trampoline(&mut emitter, *probe_id);
            false
        }
        Group::Single { probe_id, .. } => {
            trampoline::dtrace::trampoline(&mut emitter, *probe_id);
            false
        }
        Group::Syscalls { is_return } => {
            if clause_ids.len() > 64 {
                return Err(CodegenError::TooManyClauses {
                    n_clauses: clause_ids.len(),
                });
            }
            let map = if *is_return {
                maps.syscall_return
            } else {
                maps.syscall_entry
            };
            trampoline::syscall::trampoline(&mut emitter, map, *is_return, exit);
            true
        }
    };
    for (bit, &clause_idx) in clause_ids.iter().enumerate() {
        let clause = &module.clauses[clause_idx];
        emitter.set_clause(Some(clause_idx));
        emitter.annotate(format!("clause {clause_idx}"));
        let skip = emitter.target();
        if masked {
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, DCTX_CLAUSE_MASK));
            inst::load_constant(&mut emitter, Reg::R2, 1u64 << bit);
            emitter.push(Insn::alu64_reg(AluOp::And, Reg::R1, Reg::R2));
            emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, skip);
        }
        clause_body(&mut emitter, maps, clause, clause_idx, options)?;
        emitter.place(skip);
        emitter.set_clause(None);
    }
    emitter.place(exit);
    emitter.push(Insn::mov64_imm(Reg::R0, 0));
    emitter.push(Insn::exit());
    emitter.finish().map_err(|message| CodegenError::TooLarge {
        program: format!("{clause_ids:?}"),
        message,
    })?;
    Ok(emitter)
}

fn clause_body(
    emitter: &mut Emitter,
    maps: &MapIndex,
    clause: &Clause,
    clause_idx: usize,
    options: &CodegenOptions,
) -> Result<(), CodegenError> {
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
            );
        } else {
            context.emit(emitter, inst);
        }
    }
    Ok(())
}

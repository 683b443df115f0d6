//! Hand-assembled programs for the engine's kernel tests, written with the real ELF writer.
//!
//! Every program filters on the calling thread's ID, which the test writes into the `config`
//! map through `map_inits`, so tests running in parallel threads never see each other's events.

use tracer_ebpf::elf::{MapDef, MapReloc, ProgramObject, write_object};
use tracer_ebpf::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use tracer_ebpf::layout::{AGG_FIRST_GEN, AGG_GEN_MAP, AggFunc, AggParams, ValueKind};
use tracer_ebpf::plan::{
    ActionDesc, AggDesc, Attach, CompiledProgram, FieldDesc, MapInit, ProgramPlan, RecordDesc,
};

pub const BPF_MAP_TYPE_ARRAY: u32 = 2;
pub const BPF_MAP_TYPE_PERCPU_HASH: u32 = 5;
pub const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = 6;
pub const BPF_MAP_TYPE_RINGBUF: u32 = 27;
pub const BPF_RB_NO_WAKEUP: i32 = 1;
pub const BPF_RB_FORCE_WAKEUP: i32 = 2;
pub const SYS_GETPPID: i32 = 110;

/// Map indexes in [`maps`].
pub const CONFIG: usize = 0;
pub const EVENTS: usize = 1;
pub const STATS: usize = 2;
pub const CALLS: usize = 3;

/// Fails the test with what is missing when the tests cannot run here.
pub fn require_root() {
    // SAFETY: `geteuid` has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the engine's kernel tests need root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN for tracefs); run them as root on a kernel with BPF"
    );
}

/// The calling thread's ID, as `bpf_get_current_pid_tgid` reports it in its low half.
pub fn gettid() -> u64 {
    // SAFETY: `gettid` has no preconditions.
    unsafe { libc::gettid() as u64 }
}

/// `getppid()`, the system call the syscall tests count.
pub fn getppid() {
    // SAFETY: `getppid` has no preconditions.
    unsafe { libc::getppid() };
}

/// An instruction list with named jump targets and map loads.
#[derive(Default)]
pub struct Asm {
    insns: Vec<Insn>,
    map_relocs: Vec<MapReloc>,
    jumps: Vec<(usize, &'static str)>,
    labels: Vec<(&'static str, usize)>,
}

impl Asm {
    pub fn push(&mut self, insn: Insn) -> &mut Asm {
        self.insns.push(insn);
        self
    }

    /// `dst = &maps[map_idx]`.
    pub fn ld_map(&mut self, dst: Reg, map_idx: usize) -> &mut Asm {
        self.map_relocs.push(MapReloc {
            insn_idx: self.insns.len(),
            map_idx,
        });
        self.insns.extend(Insn::ld_map_fd(dst));
        self
    }

    /// `if (dst op imm) goto label`.
    pub fn jump(&mut self, op: JmpOp, dst: Reg, imm: i32, label: &'static str) -> &mut Asm {
        self.jumps.push((self.insns.len(), label));
        self.insns.push(Insn::jmp_imm(op, dst, imm, 0));
        self
    }

    pub fn label(&mut self, label: &'static str) -> &mut Asm {
        self.labels.push((label, self.insns.len()));
        self
    }

    /// `r0 = 0; exit`.
    pub fn exit_zero(&mut self) -> &mut Asm {
        self.push(Insn::mov64_imm(Reg::R0, 0)).push(Insn::exit())
    }

    /// Keeps going only on the thread whose ID is `config[0]`; leaves `r6` untouched.
    pub fn only_the_test_thread(&mut self) -> &mut Asm {
        self.push(Insn::call(Helper::bpf_get_current_pid_tgid))
            .push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, 32))
            .push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32))
            .push(Insn::mov64_reg(Reg::R7, Reg::R0))
            .push(Insn::st_mem(Size::W, Reg::FP, -4, 0))
            .ld_map(Reg::R1, CONFIG)
            .push(Insn::mov64_reg(Reg::R2, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R2, -4))
            .push(Insn::call(Helper::bpf_map_lookup_elem))
            .jump(JmpOp::Jeq, Reg::R0, 0, "out")
            .push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0))
            .push(Insn::jmp_reg(JmpOp::Jne, Reg::R1, Reg::R7, 0));
        let jne_idx = self.insns.len() - 1;
        self.jumps.push((jne_idx, "out"));
        self
    }

    /// `calls[r8]`'s count (data word 0, after the generation word) `+= 1` in the per-CPU hash,
    /// under the key `{aggregation ID 0, r8}`, inserting `{generation 1, count 1}` when the key is
    /// new.
    pub fn count_r8(&mut self) -> &mut Asm {
        self.push(Insn::st_mem(Size::DW, Reg::FP, -24, 0))
            .push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R8, -16))
            .ld_map(Reg::R1, CALLS)
            .push(Insn::mov64_reg(Reg::R2, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R2, -24))
            .push(Insn::call(Helper::bpf_map_lookup_elem))
            .jump(JmpOp::Jne, Reg::R0, 0, "increment")
            .push(Insn::st_mem(Size::DW, Reg::FP, -40, 1))
            .push(Insn::st_mem(Size::DW, Reg::FP, -32, 1))
            .ld_map(Reg::R1, CALLS)
            .push(Insn::mov64_reg(Reg::R2, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R2, -24))
            .push(Insn::mov64_reg(Reg::R3, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R3, -40))
            .push(Insn::mov64_imm(Reg::R4, 0))
            .push(Insn::call(Helper::bpf_map_update_elem))
            .jump(JmpOp::Ja, Reg::R0, 0, "counted")
            .label("increment")
            .push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 8))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1))
            .push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, 8))
            .label("counted")
    }

    /// Writes a 24-byte record `{clause_id, probe_id, cpu, 0, r8}` to `events`; on failure bumps
    /// `stats.drops`.
    pub fn record_r8(&mut self, clause_id: i32, probe_id: i32, flags: i32) -> &mut Asm {
        self.push(Insn::st_mem(Size::W, Reg::FP, -48, clause_id))
            .push(Insn::st_mem(Size::W, Reg::FP, -44, probe_id))
            .push(Insn::call(Helper::bpf_get_smp_processor_id))
            .push(Insn::stx_mem(Size::W, Reg::FP, Reg::R0, -40))
            .push(Insn::st_mem(Size::W, Reg::FP, -36, 0))
            .push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R8, -32))
            .ld_map(Reg::R1, EVENTS)
            .push(Insn::mov64_reg(Reg::R2, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R2, -48))
            .push(Insn::mov64_imm(Reg::R3, 24))
            .push(Insn::mov64_imm(Reg::R4, flags))
            .push(Insn::call(Helper::bpf_ringbuf_output))
            .jump(JmpOp::Jeq, Reg::R0, 0, "recorded")
            .push(Insn::st_mem(Size::W, Reg::FP, -4, 0))
            .ld_map(Reg::R1, STATS)
            .push(Insn::mov64_reg(Reg::R2, Reg::FP))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R2, -4))
            .push(Insn::call(Helper::bpf_map_lookup_elem))
            .jump(JmpOp::Jeq, Reg::R0, 0, "recorded")
            .push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0))
            .push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1))
            .push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, 0))
            .label("recorded")
    }

    /// The program object, with jumps resolved.
    pub fn finish(&self, name: &str, section: &str) -> ProgramObject {
        let mut insns = self.insns.clone();
        for &(insn_idx, label) in &self.jumps {
            let target = self
                .labels
                .iter()
                .find(|(name, _)| *name == label)
                .unwrap_or_else(|| panic!("no label `{label}` in `{name}`"))
                .1;
            insns[insn_idx].off = (target as i64 - insn_idx as i64 - 1) as i16;
        }
        ProgramObject {
            name: name.to_owned(),
            section: section.to_owned(),
            insns,
            map_relocs: self.map_relocs.clone(),
        }
    }
}

/// `syscall::getppid:entry { @calls[arg0 /* the syscall number */] = count(); trace(id); }` on
/// `raw_syscalls:sys_enter`, for the test thread only.
pub fn getppid_counter(flags: i32) -> ProgramObject {
    let mut asm = Asm::default();
    asm.push(Insn::mov64_reg(Reg::R6, Reg::R1))
        .only_the_test_thread()
        .push(Insn::ldx_mem(Size::DW, Reg::R8, Reg::R6, 8))
        .jump(JmpOp::Jne, Reg::R8, SYS_GETPPID, "out")
        .count_r8()
        .record_r8(0, 1, flags)
        .label("out")
        .exit_zero();
    asm.finish("sys_enter_0", "tracepoint/raw_syscalls/sys_enter")
}

/// `dtrace:::BEGIN` or `END`: records `value` with a forced wake-up (as `exit()` does).
pub fn dtrace_record(name: &str, clause_id: i32, value: i32) -> ProgramObject {
    let mut asm = Asm::default();
    asm.only_the_test_thread()
        .push(Insn::mov64_imm(Reg::R8, value))
        .record_r8(clause_id, 0, BPF_RB_FORCE_WAKEUP)
        .label("out")
        .exit_zero();
    asm.finish(name, &format!("raw_tp/{name}"))
}

/// `profile`/`tick`: `@calls[0] = count()` on every firing, on whatever thread is running.
pub fn tick_counter(name: &str) -> ProgramObject {
    let mut asm = Asm::default();
    asm.push(Insn::mov64_imm(Reg::R8, 0)).count_r8().exit_zero();
    asm.finish(name, "perf_event")
}

/// The maps every test object has: `config`, `events` (`ring_size` bytes), `stats`, `calls` and
/// the aggregations' generations.
pub fn maps(ring_size: u32) -> Vec<MapDef> {
    let map = |name: &str, map_type, key_size, value_size, max_entries| MapDef {
        name: name.to_owned(),
        map_type,
        key_size,
        value_size,
        max_entries,
        flags: 0,
    };
    vec![
        map("config", BPF_MAP_TYPE_ARRAY, 4, 8, 1),
        map("events", BPF_MAP_TYPE_RINGBUF, 0, 0, ring_size),
        map("stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1),
        map("calls", BPF_MAP_TYPE_PERCPU_HASH, 16, 16, 1024),
        map(AGG_GEN_MAP, BPF_MAP_TYPE_ARRAY, 4, 8, 1),
    ]
}

/// A compiled program with `programs` (each object written once) and their plans, `config[0]` set
/// to the calling thread.
pub fn compiled(programs: &[(ProgramObject, Attach)], ring_size: u32) -> CompiledProgram {
    let mut objects: Vec<ProgramObject> = Vec::new();
    for (object, _) in programs {
        if !objects.iter().any(|other| other.name == object.name) {
            objects.push(object.clone());
        }
    }
    let elf = write_object(&maps(ring_size), &objects).expect("the test object is written");
    CompiledProgram {
        elf,
        programs: programs
            .iter()
            .map(|(object, attach)| ProgramPlan {
                name: object.name.clone(),
                attach: attach.clone(),
            })
            .collect(),
        map_inits: vec![
            MapInit {
                map: "config".to_owned(),
                key: 0u32.to_ne_bytes().to_vec(),
                value: gettid().to_ne_bytes().to_vec(),
            },
            MapInit {
                map: AGG_GEN_MAP.to_owned(),
                key: 0u32.to_ne_bytes().to_vec(),
                value: AGG_FIRST_GEN.to_ne_bytes().to_vec(),
            },
        ],
        probes: Vec::new(),
        records: vec![record_desc(), record_desc(), record_desc()],
        aggregations: vec![calls_agg()],
        events_bufsize: ring_size,
        events_map: "events".to_owned(),
        stats_map: "stats".to_owned(),
        speculations: None,
    }
}

/// Every test record: `trace(u64)` after the header.
pub fn record_desc() -> RecordDesc {
    RecordDesc {
        actions: vec![ActionDesc::Trace(FieldDesc {
            offset: 16,
            kind: U64,
        })],
        size: 24,
        blocks: Vec::new(),
    }
}

/// `@calls[u64] = count()`.
pub fn calls_agg() -> AggDesc {
    AggDesc {
        name: "calls".to_owned(),
        map: "calls".to_owned(),
        id: 0,
        array: false,
        generation: 0,
        func: AggFunc::Count,
        params: AggParams::None,
        keys: vec![U64],
    }
}

pub const U64: ValueKind = ValueKind::Int {
    size: 8,
    signed: false,
};

pub fn tracepoint(category: &str, name: &str) -> Attach {
    Attach::Tracepoint {
        category: category.to_owned(),
        name: name.to_owned(),
    }
}

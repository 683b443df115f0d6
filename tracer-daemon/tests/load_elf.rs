//! Proof on the running kernel that objects from `tracer_ebpf::elf::write_object` load with aya:
//! the maps are created, the `ld_imm64`s are relocated to their fds, the verifier accepts the
//! programs, and a raw tracepoint program run with `BPF_PROG_TEST_RUN` writes to both maps.
//!
//! The test needs root (`CAP_BPF` and `CAP_PERFMON`) and a kernel with BPF; without them it fails
//! and says what is missing.

use std::error::Error;
use std::os::unix::fs::MetadataExt as _;

use aya::maps::{PerCpuArray, RingBuf};
use aya::programs::{RawTracePoint, TracePoint};
use aya::{Ebpf, RawTracePointRunOptions, TestRun as _};
use aya_obj::generated::bpf_map_type;
use tracer_ebpf::elf::{MapDef, MapReloc, ProgramObject, write_object};
use tracer_ebpf::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};

const COUNTS: usize = 0;
const EVENTS: usize = 1;

fn maps() -> Vec<MapDef> {
    vec![
        MapDef {
            name: "counts".to_owned(),
            map_type: bpf_map_type::BPF_MAP_TYPE_PERCPU_ARRAY as u32,
            key_size: 4,
            value_size: 8,
            max_entries: 1,
            flags: 0,
        },
        MapDef {
            name: "events".to_owned(),
            map_type: bpf_map_type::BPF_MAP_TYPE_RINGBUF as u32,
            key_size: 0,
            value_size: 0,
            max_entries: 16 * 4096,
            flags: 0,
        },
    ]
}

/// Stores the raw tracepoint's first argument in `counts[0]` and sends it to `events`.
///
/// ```text
/// r6 = ctx                                 r6 = r1
/// key = 0                                  *(u32 *)(r10 -4) = 0
/// value = bpf_map_lookup_elem(&counts,     r1 = map[counts]; r2 = r10; r2 += -4
///                             &key)        call bpf_map_lookup_elem
/// if (value == NULL) goto out              if r0 == 0x0 goto out
/// *value = ctx->args[0]                    r1 = *(u64 *)(r6 +0); *(u64 *)(r0 +0) = r1
/// buf = ctx->args[0]                       *(u64 *)(r10 -16) = r1
/// bpf_ringbuf_output(&events, &buf, 8, 0)  r1 = map[events]; r2 = r10; r2 += -16; r3 = 8; r4 = 0
///                                          call bpf_ringbuf_output
/// out: return 0                            r0 = 0; exit
/// ```
fn store_arg_program() -> ProgramObject {
    let mut insns = vec![
        Insn::mov64_reg(Reg::R6, Reg::R1),
        Insn::st_mem(Size::W, Reg::FP, -4, 0),
    ];
    let mut map_relocs = vec![MapReloc {
        insn_idx: insns.len(),
        map_idx: COUNTS,
    }];
    insns.extend(Insn::ld_map_fd(Reg::R1));
    insns.extend([
        Insn::mov64_reg(Reg::R2, Reg::FP),
        Insn::alu64_imm(AluOp::Add, Reg::R2, -4),
        Insn::call(Helper::bpf_map_lookup_elem),
    ]);
    let null_check = insns.len();
    insns.extend([
        Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 0),
        Insn::ldx_mem(Size::DW, Reg::R1, Reg::R6, 0),
        Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, 0),
        Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, -16),
    ]);
    map_relocs.push(MapReloc {
        insn_idx: insns.len(),
        map_idx: EVENTS,
    });
    insns.extend(Insn::ld_map_fd(Reg::R1));
    insns.extend([
        Insn::mov64_reg(Reg::R2, Reg::FP),
        Insn::alu64_imm(AluOp::Add, Reg::R2, -16),
        Insn::mov64_imm(Reg::R3, 8),
        Insn::mov64_imm(Reg::R4, 0),
        Insn::call(Helper::bpf_ringbuf_output),
    ]);
    let out = insns.len();
    insns[null_check].off = (out - null_check - 1) as i16;
    insns.extend([Insn::mov64_imm(Reg::R0, 0), Insn::exit()]);
    ProgramObject {
        name: "store_arg".to_owned(),
        section: "raw_tp/sys_enter".to_owned(),
        insns,
        map_relocs,
    }
}

/// Looks `counts[0]` up and returns 0.
fn lookup_program(name: &str) -> ProgramObject {
    let mut insns = vec![Insn::st_mem(Size::W, Reg::FP, -4, 0)];
    insns.extend(Insn::ld_map_fd(Reg::R1));
    insns.extend([
        Insn::mov64_reg(Reg::R2, Reg::FP),
        Insn::alu64_imm(AluOp::Add, Reg::R2, -4),
        Insn::call(Helper::bpf_map_lookup_elem),
        Insn::mov64_imm(Reg::R0, 0),
        Insn::exit(),
    ]);
    ProgramObject {
        name: name.to_owned(),
        section: "tracepoint/raw_syscalls/sys_enter".to_owned(),
        insns,
        map_relocs: vec![MapReloc {
            insn_idx: 1,
            map_idx: COUNTS,
        }],
    }
}

/// `err` and its sources, one per line, so a verifier log is printed whole.
fn describe(err: &dyn Error) -> String {
    let mut lines = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        lines.push(format!("caused by: {cause}"));
        source = cause.source();
    }
    lines.join("\n")
}

fn require_root() {
    let euid = std::fs::metadata("/proc/self")
        .expect("/proc is mounted (needed to check privileges)")
        .uid();
    assert_eq!(
        euid, 0,
        "this test loads eBPF programs into the kernel and must run as root (CAP_BPF, CAP_PERFMON); euid is {euid}"
    );
}

#[test]
fn written_objects_load_and_run_in_the_kernel() {
    require_root();
    let programs = [
        store_arg_program(),
        lookup_program("tp_first"),
        lookup_program("tp_second"),
    ];
    let object = write_object(&maps(), &programs).expect("the object is written");
    let mut ebpf = Ebpf::load(&object).unwrap_or_else(|err| {
        panic!(
            "aya failed to load the object (this needs CAP_BPF and a kernel with CONFIG_BPF_SYSCALL): {}",
            describe(&err)
        )
    });

    for name in ["tp_first", "tp_second"] {
        let program: &mut TracePoint = ebpf
            .program_mut(name)
            .unwrap_or_else(|| panic!("program `{name}` is in the object"))
            .try_into()
            .expect("a tracepoint program");
        program
            .load()
            .unwrap_or_else(|err| panic!("loading `{name}` failed: {}", describe(&err)));
    }

    let program: &mut RawTracePoint = ebpf
        .program_mut("store_arg")
        .expect("program `store_arg` is in the object")
        .try_into()
        .expect("a raw tracepoint program");
    program
        .load()
        .unwrap_or_else(|err| panic!("loading `store_arg` failed: {}", describe(&err)));
    let arg: u64 = 0x1234_5678_9abc_def0;
    let mut options = RawTracePointRunOptions::new();
    options.args[0] = arg;
    let result = program.test_run(options).unwrap_or_else(|err| {
        panic!(
            "BPF_PROG_TEST_RUN of `store_arg` failed: {}",
            describe(&err)
        )
    });
    assert_eq!(result.return_value, 0);

    let counts: PerCpuArray<_, u64> = ebpf
        .map("counts")
        .expect("map `counts` exists")
        .try_into()
        .expect("`counts` is a per-CPU array of u64");
    let per_cpu = counts.get(&0, 0).expect("counts[0] is readable");
    let written: Vec<u64> = per_cpu
        .iter()
        .copied()
        .filter(|value| *value != 0)
        .collect();
    assert_eq!(written, [arg], "exactly one CPU's slot holds the argument");

    let mut events = RingBuf::try_from(ebpf.take_map("events").expect("map `events` exists"))
        .expect("`events` is a ring buffer");
    let item = events.next().expect("the program sent one record");
    assert_eq!(&*item, &arg.to_le_bytes()[..]);
}

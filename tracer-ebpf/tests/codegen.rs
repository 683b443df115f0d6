//! Compiles D programs through the whole pipeline without a kernel: front end, code generation,
//! ELF writer, then parses the object back with aya-obj and checks the plan.

use d_frontend::compile::{Compiled, compile};
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::plan::Attach;

struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        [("read", 0), ("write", 1), ("openat", 257)]
            .into_iter()
            .map(|(name, nr)| SyscallInfo {
                name: name.to_string(),
                nr,
            })
            .collect()
    }

    fn struct_member(&self, _struct_name: &str, member: &str) -> Option<MemberInfo> {
        match member {
            "real_parent" => Some(MemberInfo {
                offset: 2440,
                size: 8,
            }),
            "tgid" => Some(MemberInfo {
                offset: 2428,
                size: 4,
            }),
            _ => None,
        }
    }
}

fn compile_text(text: &str) -> Compiled {
    let mut sources = SourceMap::default();
    let file = sources.add(text, text);
    compile(
        &sources,
        &[(file, Origin::ProbeSpecifier)],
        &Catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} failed to compile: {errors:?}"))
}

fn generate_for(text: &str) -> Generated {
    generate(
        &compile_text(text).module,
        &CodegenOptions {
            wall_clock_offset_ns: 0,
            bufsize: 1 << 22,
        },
    )
    .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"))
}

fn parsed(generated: &Generated) -> aya_obj::Object {
    aya_obj::Object::parse(&generated.program.elf)
        .unwrap_or_else(|error| panic!("aya-obj rejects the object: {error}"))
}

#[test]
fn syscall_wildcard_is_one_program_with_a_map_entry_per_syscall() {
    let generated = generate_for("syscall:::entry { @[probefunc] = count(); }");
    let plan = &generated.program;
    assert_eq!(plan.programs.len(), 1);
    assert_eq!(
        plan.programs[0].attach,
        Attach::Tracepoint {
            category: "raw_syscalls".to_string(),
            name: "sys_enter".to_string()
        }
    );
    let syscall_inits: Vec<_> = plan
        .map_inits
        .iter()
        .filter(|init| init.map == "syscall_entry")
        .collect();
    assert_eq!(syscall_inits.len(), 3);
    let object = parsed(&generated);
    assert!(object.programs.contains_key("syscall_entry"));
    assert!(object.maps.contains_key("agg_0"));
}

#[test]
fn every_skeleton_one_liner_builds_an_object_aya_parses() {
    for text in [
        "syscall::openat:entry { @[execname] = count(); }",
        "syscall::read:entry /pid == $target/ { @bytes = sum(arg2); } END { printa(\"%@d\\n\", @bytes); }",
        "BEGIN { trace(\"hello\"); exit(0); }",
        "profile:::tick-100ms { @ticks = count(); } tick-1s { exit(0); }",
        "syscall::openat:return /errno != 0/ { @[errno, arg0] = count(); }",
        "BEGIN { printf(\"%d %s %u %x\\n\", ppid, execname, uid, timestamp > 0 ? 1 : 0); @m = max(-1); @n = min(3); @a = avg(walltimestamp / 1000000000); }",
    ] {
        let generated = generate_for(text);
        let object = parsed(&generated);
        for plan in &generated.program.programs {
            assert!(
                object.programs.contains_key(&plan.name),
                "{text}: no program {}",
                plan.name
            );
        }
    }
}

#[test]
fn record_layout_follows_the_header() {
    let generated = generate_for("BEGIN { trace(\"hello\"); exit(0); }");
    let record = &generated.program.records[0];
    assert_eq!(record.actions.len(), 2);
    assert_eq!(record.size, 16 + 256 + 8);
}

#[test]
fn verifier_rejections_map_back_to_their_clause() {
    let generated = generate_for("BEGIN { @a = count(); } BEGIN { trace(1); }");
    let listing = &generated.listings[0];
    let second_clause_insn = listing
        .clause_of_insn
        .iter()
        .position(|clause| *clause == Some(1))
        .unwrap();
    let log = format!(
        "0: R1=ctx() R10=fp0\n0: (bf) r6 = r1\n{second_clause_insn}: (85) call bpf_ringbuf_output#130\ninvalid access to map value\nprocessed 12 insns"
    );
    assert_eq!(listing.rejected_clause(&log), Some(1));
    assert_eq!(
        listing.rejected_clause("0: (bf) r6 = r1\nR1 invalid mem access"),
        None
    );
}

#[test]
fn ir_dumps() {
    for (name, text) in [
        (
            "predicate_and_sum",
            "syscall::read:entry /pid == 42 && arg2 > 0/ { @bytes[execname] = sum(arg2); }",
        ),
        (
            "printf_and_exit",
            "BEGIN { printf(\"%d %s\\n\", -1 + 2 * 3, probename); exit(0); }",
        ),
        (
            "conditional_actions",
            "BEGIN { printf(\"a\"); if (arg0 == 0) { trace(1); } else { printf(\"c\"); @n = count(); } exit(0); }",
        ),
        (
            "destructive_actions",
            "BEGIN { raise(SIGUSR1); system(\"echo %d\", 1); stop(); chill(10); }",
        ),
    ] {
        let compiled = compile_text(text);
        insta::assert_snapshot!(name, compiled.module.dump());
    }
}

#[test]
fn conditional_actions_get_one_block_bit_each() {
    let generated = generate_for(
        "BEGIN { printf(\"a\"); trace(2); if (arg0) { trace(1); if (arg1) { exit(0); } } else { printf(\"c\"); } printf(\"d\"); }",
    );
    let record = &generated.program.records[0];
    assert_eq!(record.actions.len(), 6);
    assert_eq!(record.blocks, [0, 0, 1, 2, 3, 4]);
}

#[test]
fn division_faults_go_to_the_error_block() {
    let generated =
        generate_for("BEGIN { trace(1 / arg0); } BEGIN { trace(2); } ERROR { trace(arg4); }");
    let listing = &generated.listings[0];
    let has = |text: &str| listing.annotations.iter().any(|(_, note)| note == text);
    assert!(has("clause 0 fault"), "{:?}", listing.annotations);
    assert!(!has("clause 1 fault"), "clause 1 cannot fault");
    assert!(has("error"));
    assert!(has("clause 2 for ERROR"));
    parsed(&generated);
}

#[test]
fn programs_that_cannot_fault_have_no_error_block() {
    let generated = generate_for("BEGIN { trace(1 + arg0); } ERROR { trace(arg4); }");
    let listing = &generated.listings[0];
    assert!(
        listing.annotations.iter().all(|(_, note)| note != "error"),
        "{:?}",
        listing.annotations
    );
}

#[test]
fn tracemem_records_its_bytes_and_faults_on_bad_reads() {
    let generated = generate_for("BEGIN { tracemem(arg0, 14, 2); trace(1); }");
    let record = &generated.program.records[0];
    assert_eq!(
        record.actions[0],
        tracer_ebpf::plan::ActionDesc::Tracemem {
            offset: 16,
            size: 14,
            shown: Some(tracer_ebpf::plan::FieldDesc {
                offset: 32,
                kind: tracer_ebpf::layout::ValueKind::Int {
                    size: 4,
                    signed: true
                },
            }),
        },
        "the bytes take 16 bytes, so the next field stays aligned"
    );
    assert_eq!(record.size, 16 + 16 + 8 + 8);
    let listing = &generated.listings[0];
    assert!(
        listing
            .annotations
            .iter()
            .any(|(_, note)| note == "clause 0 fault")
    );
    parsed(&generated);
}

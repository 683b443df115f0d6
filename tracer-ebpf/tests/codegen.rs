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
    ] {
        let compiled = compile_text(text);
        insta::assert_snapshot!(name, compiled.module.dump());
    }
}

#[test]
fn every_aggregating_function_gets_its_value_layout_and_the_shared_maps() {
    let generated = generate_for(
        "BEGIN { @c = count(); @s = sum(1); @a = avg(1); @m = min(1); @x = max(1); @d = stddev(1); @q = quantize(1, 2); @l = lquantize(1, 0, 100, 10, 2); @ll = llquantize(1, 10, 0, 2, 10, 2); }",
    );
    let object = parsed(&generated);
    let value_size = |name: &str| {
        object
            .maps
            .get(name)
            .unwrap_or_else(|| panic!("no map {name}"))
            .value_size()
    };
    // A generation word, then DTrace's data words for each function.
    let expected = [
        ("agg_0", 1),
        ("agg_1", 1),
        ("agg_2", 2),
        ("agg_3", 1),
        ("agg_4", 1),
        ("agg_5", 4),
        ("agg_6", 127),
        ("agg_7", 10 + 2),
        ("agg_8", 2 * 3 * 9 + 3),
    ];
    for (name, words) in expected {
        assert_eq!(value_size(name), 8 + 8 * words, "{name}");
    }
    assert_eq!(value_size("agg_zero"), 8 + 8 * 127);
    assert_eq!(value_size("agg_gen"), 8);
    let generations: Vec<_> = generated
        .program
        .map_inits
        .iter()
        .filter(|init| init.map == "agg_gen")
        .map(|init| (init.key.clone(), init.value.clone()))
        .collect();
    assert_eq!(generations.len(), 9);
    assert!(
        generations
            .iter()
            .all(|(_, value)| *value == 1u64.to_ne_bytes())
    );
}

#[test]
fn programs_without_aggregations_have_no_aggregation_maps() {
    let generated = generate_for("BEGIN { trace(1); exit(0); }");
    let object = parsed(&generated);
    assert!(!object.maps.contains_key("agg_gen"));
    assert!(!object.maps.contains_key("agg_zero"));
}

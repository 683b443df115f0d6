//! Compiles D programs through the whole pipeline without a kernel: front end, code generation,
//! ELF writer, then parses the object back with aya-obj and checks the plan.

use d_frontend::compile::{Compiled, compile};
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenError, CodegenOptions, Generated, generate};
use tracer_ebpf::disasm::disassemble;
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
            bufsize: 1 << 22,
            ..CodegenOptions::default()
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
        Attach::RawTracepoint {
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
    assert_eq!(
        record.size,
        16 + 264 + 8,
        "strsize 256 and the NUL, in 8-byte words"
    );
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
fn a_syscall_group_past_the_map_limit_splits_into_programs_sharing_one_mask() {
    // 100 clauses with an associative array each: 100 maps, more than one program may use. The
    // clause-local keeps the clauses from splitting by length.
    let text = (0..100)
        .map(|clause| format!("syscall::read:entry {{ this->v = 1; a{clause}[0] = this->v; }}"))
        .collect::<Vec<_>>()
        .join("\n");
    let generated = generate_for(&text);
    let names: Vec<&str> = generated
        .program
        .programs
        .iter()
        .map(|plan| plan.name.as_str())
        .collect();
    assert_eq!(names, ["syscall_entry", "syscall_entry_1"]);
    let object = parsed(&generated);
    assert!(object.programs.contains_key("syscall_entry_1"));
    // One map entry for read, enabling all 100 clauses: two mask words after {id, pad}.
    let inits: Vec<_> = generated
        .program
        .map_inits
        .iter()
        .filter(|init| init.map == "syscall_entry")
        .collect();
    assert_eq!(inits.len(), 1);
    let word = |idx: usize| {
        u64::from_ne_bytes(
            inits[0].value[8 + 8 * idx..16 + 8 * idx]
                .try_into()
                .unwrap(),
        )
    };
    assert_eq!(inits[0].value.len(), 24);
    assert_eq!((word(0), word(1)), (u64::MAX, (1 << 36) - 1));
}

#[test]
fn variables_get_their_maps() {
    let generated = generate_for(
        "BEGIN { x = 1; s = execname; self->ts = timestamp; this->n = 2; a[pid, \"k\"] = 1; self->b[1] = \"x\"; trace(this->n); }",
    );
    let object = parsed(&generated);
    let shape = |name: &str| {
        let map = object
            .maps
            .get(name)
            .unwrap_or_else(|| panic!("no map {name}"));
        (
            map.map_type(),
            map.key_size(),
            map.value_size(),
            map.max_entries(),
        )
    };
    // BPF_MAP_TYPE_ARRAY (2) with one value holding every global; BPF_MAP_TYPE_HASH (1) per
    // dynamic variable, as many entries as fit in dynvarsize as libdtrace counts them: the value
    // at its D size (an int 4 bytes), and for an array its keys and an 8-byte word.
    // A string takes strsize (256) bytes, its NUL and padding to 8: 264. A string key takes
    // only what its expressions can write: the literal "k" and its NUL, padded to 8.
    assert_eq!(shape("globals"), (2, 4, 8 + 264, 1));
    assert_eq!(shape("self_ts"), (1, 8, 8, (1 << 20) / 8));
    assert_eq!(shape("assoc_a"), (1, 8 + 8, 8, (1 << 20) / (8 + 8 + 8 + 4)));
    assert_eq!(shape("self_b"), (1, 16, 264, (1 << 20) / (8 + 8 + 264)));
    assert_eq!(object.maps.len(), 7 + 4, "no map for the clause-local");
    let labels: Vec<&str> = generated.listings[0]
        .annotations
        .iter()
        .map(|(_, text)| text.as_str())
        .collect();
    for label in ["globals", "clause-locals", "self->ts", "a[]", "self->b[]"] {
        assert!(labels.contains(&label), "-S shows {label}: {labels:?}");
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
    // A generation word, then DTrace's data words for each function; the functions with one data
    // word (count, sum, min, max) share an array, one element each, as they have no keys.
    let expected = [
        ("c", 1),
        ("s", 1),
        ("a", 2),
        ("m", 1),
        ("x", 1),
        ("d", 4),
        ("q", 127),
        ("l", 10 + 2),
        ("ll", 2 * 3 * 9 + 3),
    ];
    let aggs = &generated.program.aggregations;
    let slots = [0, 1, 0, 2, 3, 0, 0, 0, 0];
    for (agg_idx, (name, words)) in expected.into_iter().enumerate() {
        let agg = &aggs[agg_idx];
        assert_eq!((agg.name.as_str(), agg.id), (name, slots[agg_idx]));
        assert!(agg.array, "@{name}");
        assert_eq!(value_size(&agg.map), 8 + 8 * words, "@{name}");
        let map = &object.maps[&agg.map];
        // The element's index.
        assert_eq!(map.key_size(), 4, "@{name}");
        // BPF_MAP_TYPE_PERCPU_ARRAY.
        assert_eq!(map.map_type(), 6, "@{name}");
    }
    let maps: Vec<&str> = aggs.iter().map(|agg| agg.map.as_str()).collect();
    assert_eq!(
        maps,
        [
            "agg_keyless_0",
            "agg_keyless_0",
            "agg_keyless_1",
            "agg_keyless_0",
            "agg_keyless_0",
            "agg_keyless_2",
            "agg_keyless_3",
            "agg_keyless_4",
            "agg_keyless_5"
        ]
    );
    assert_eq!(object.maps["agg_keyless_0"].max_entries(), 4);
    assert_eq!(object.maps["agg_keyless_1"].max_entries(), 1);
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
fn aggregations_of_one_layout_share_a_map_and_long_runs_split_by_length() {
    let text = (0..100)
        .map(|clause| {
            format!("syscall::read:entry /arg0 == {clause}/ {{ @c{clause}[arg2] = count(); }}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let generated = generate_for(&text);
    let object = parsed(&generated);
    let aggs = &generated.program.aggregations;
    assert!(aggs.iter().all(|agg| agg.map == "agg_0"));
    let ids: Vec<u32> = aggs.iter().map(|agg| agg.id).collect();
    assert_eq!(ids, (0..100).collect::<Vec<u32>>());
    assert!(!object.maps.contains_key("agg_1"));
    // The aggregation's ID, then the 8-byte key.
    assert_eq!(object.maps["agg_0"].key_size(), 16);
    // Without the map limit to split them, the clauses split by length, in mask order.
    let names: Vec<&str> = generated
        .program
        .programs
        .iter()
        .map(|plan| plan.name.as_str())
        .collect();
    assert!(names.len() > 2, "{names:?}");
    for (idx, name) in names.iter().enumerate() {
        match idx {
            0 => assert_eq!(*name, "syscall_entry"),
            _ => assert_eq!(*name, format!("syscall_entry_{idx}")),
        }
    }
    for listing in &generated.listings {
        assert!(
            listing.insns.len() < 2048,
            "{} is {} long",
            listing.name,
            listing.insns.len()
        );
    }
}

#[test]
fn programs_without_aggregations_have_no_aggregation_maps() {
    let generated = generate_for("BEGIN { trace(1); exit(0); }");
    let object = parsed(&generated);
    assert!(!object.maps.contains_key("agg_gen"));
    assert!(!object.maps.contains_key("agg_zero"));
}

#[test]
fn begin_clauses_past_the_map_limit_split_into_programs_run_in_order() {
    let text = (0..100)
        .map(|clause| format!("BEGIN {{ this->v = 1; a{clause}[0] = this->v; }}"))
        .collect::<Vec<_>>()
        .join("\n");
    let generated = generate_for(&text);
    let plans: Vec<(&str, &Attach)> = generated
        .program
        .programs
        .iter()
        .map(|plan| (plan.name.as_str(), &plan.attach))
        .collect();
    assert_eq!(
        plans,
        [
            ("dtrace_begin", &Attach::Begin),
            ("dtrace_begin_1", &Attach::Begin)
        ]
    );
    parsed(&generated);
}

/// How many instructions of `program` load the `state` map.
fn state_map_loads(generated: &Generated, program: &str) -> usize {
    let listing = generated
        .listings
        .iter()
        .find(|listing| listing.name == program)
        .unwrap_or_else(|| panic!("no program {program}"));
    listing
        .annotations
        .iter()
        .filter(|(_, text)| text == "state")
        .count()
}

#[test]
fn the_activity_state_gates_programs_and_the_clauses_after_an_exit() {
    let generated = generate_for(
        "BEGIN { exit(0); } BEGIN { trace(1); } syscall::read:entry { trace(2); } END { }",
    );
    let object = parsed(&generated);
    let state = object.maps.get("state").expect("a state map");
    assert_eq!(
        (state.map_type(), state.key_size(), state.value_size()),
        (2, 4, 4)
    );
    // BEGIN: the program's check, exit()'s store, the second clause's check.
    assert_eq!(state_map_loads(&generated, "dtrace_begin"), 3);
    assert_eq!(state_map_loads(&generated, "syscall_entry"), 1);
    assert_eq!(state_map_loads(&generated, "dtrace_end"), 1);
    let quiet = generate_for("BEGIN { trace(1); } BEGIN { trace(2); }");
    assert_eq!(
        state_map_loads(&quiet, "dtrace_begin"),
        1,
        "without exit() only the program checks the state"
    );
}

#[test]
fn aggsize_and_dynvarsize_must_hold_one_element() {
    let generate_with = |text: &str, aggsize: u64, dynvarsize: u64| {
        generate(
            &compile_text(text).module,
            &CodegenOptions {
                bufsize: 1 << 22,
                dynvarsize,
                aggsize,
                ..CodegenOptions::default()
            },
        )
    };
    let too_small = |result: Result<Generated, CodegenError>| {
        matches!(result, Err(CodegenError::BufferTooSmall))
    };
    // A count() entry takes an 8-byte key and a 16-byte value.
    assert!(too_small(generate_with(
        "BEGIN { @ = count(); }",
        8,
        1 << 20
    )));
    let fits = generate_with("BEGIN { @[1] = count(); }", 48, 1 << 20).expect("two entries fit");
    let agg = parsed(&fits);
    assert_eq!(
        agg.maps.get("agg_0").map(aya_obj::Map::max_entries),
        Some(2)
    );
    // Without keys an aggregation never has a second entry, whatever aggsize allows.
    let keyless = generate_with("BEGIN { @ = count(); }", 48, 1 << 20).expect("one entry fits");
    assert_eq!(
        parsed(&keyless)
            .maps
            .get("agg_keyless_0")
            .map(aya_obj::Map::max_entries),
        Some(1)
    );
    // a[1] = 1 needs its 8-byte key, an 8-byte word and the 4-byte int: 20 bytes; a thread-local
    // only its value.
    assert!(too_small(generate_with("BEGIN { a[1] = 1; }", 1 << 22, 15)));
    let generated = generate_with("BEGIN { self->x = 1; }", 1 << 22, 15).expect("three fit");
    let object = parsed(&generated);
    assert_eq!(
        object.maps.get("self_x").map(aya_obj::Map::max_entries),
        Some(3)
    );
}

/// The helpers each use of the map `-S` labels `label` is passed to in the program `name`, and
/// every map label of the program in order.
fn map_uses(generated: &Generated, name: &str, label: &str) -> (Vec<String>, Vec<String>) {
    let listing = generated
        .listings
        .iter()
        .find(|listing| listing.name == name)
        .unwrap_or_else(|| panic!("no program {name}"));
    let text = disassemble(&listing.insns, &|insn_idx| {
        let notes: Vec<&str> = listing
            .annotations
            .iter()
            .filter(|(at, _)| *at == insn_idx)
            .map(|(_, note)| note.as_str())
            .collect();
        (!notes.is_empty()).then(|| notes.join(", "))
    });
    let (mut helpers, mut labels) = (Vec::new(), Vec::new());
    let mut pending = false;
    for line in text.lines() {
        if let Some((_, note)) = line.split_once("map[fd]") {
            let note = note.trim().trim_start_matches("! ");
            labels.push(note.to_owned());
            pending = note == label;
        } else if let Some((_, helper)) = line.split_once("call ")
            && pending
        {
            helpers.push(helper.split_whitespace().next().unwrap_or("").to_owned());
            pending = false;
        }
    }
    (helpers, labels)
}

const LATENCY: &str = "syscall::read:entry { self->ts = timestamp; }
syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }";

#[test]
fn the_latency_pattern_looks_its_thread_local_up_once_and_its_aggregation_in_an_array() {
    let generated = generate_for(LATENCY);
    let (helpers, labels) = map_uses(&generated, "syscall_return", "self->ts");
    // The predicate's lookup serves the body; then `self->ts = 0` deletes (its update is the
    // branch for a non-zero value).
    assert_eq!(
        helpers,
        [
            "bpf_map_lookup_elem",
            "bpf_map_update_elem",
            "bpf_map_delete_elem"
        ]
    );
    let (agg_helpers, _) = map_uses(&generated, "syscall_return", "@");
    assert_eq!(agg_helpers, ["bpf_map_lookup_elem"], "no insertion path");
    // The all-zero value is looked up only to reset an entry of an older generation, after the
    // entry's lookup.
    let agg_labels: Vec<&str> = labels
        .iter()
        .map(String::as_str)
        .filter(|label| label.starts_with("agg_") || label.starts_with('@'))
        .collect();
    assert_eq!(agg_labels, ["agg_gen", "@", "agg_zero"]);
    let object = parsed(&generated);
    let agg = &generated.program.aggregations[0];
    assert!(agg.array);
    // BPF_MAP_TYPE_PERCPU_ARRAY (6); no BPF_MAP_TYPE_PERCPU_HASH (5) at all.
    assert_eq!(object.maps[&agg.map].map_type(), 6);
    assert!(object.maps.values().all(|map| map.map_type() != 5));
}

#[test]
fn keyed_aggregations_keep_their_hash_map_and_insertion_path() {
    let generated = generate_for("syscall::read:entry { @[arg0] = count(); @n = count(); }");
    let object = parsed(&generated);
    let aggs = &generated.program.aggregations;
    assert!(!aggs[0].array);
    assert!(aggs[1].array);
    assert_eq!(object.maps[&aggs[0].map].map_type(), 5);
    assert_eq!(object.maps[&aggs[1].map].map_type(), 6);
    let (helpers, _) = map_uses(&generated, "syscall_entry", "@");
    assert_eq!(
        helpers,
        [
            "bpf_map_lookup_elem",
            "bpf_map_update_elem",
            "bpf_map_lookup_elem"
        ]
    );
}

//! Code generation for speculations, without a kernel: the `specs` map and plan entry, and the
//! instruction patterns that claim, mark, bound and finish speculations.

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::disasm::disassemble;
use tracer_ebpf::layout::{MAX_NSPEC, SPECS_MAP};
use tracer_ebpf::plan::{ActionDesc, SpecDesc};

struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        vec![SyscallInfo {
            name: "write".to_string(),
            nr: 1,
        }]
    }

    fn struct_member(&self, _struct_name: &str, _member: &str) -> Option<MemberInfo> {
        None
    }
}

fn generate_with(text: &str, nspec: u32, specsize: u64) -> Generated {
    let mut sources = SourceMap::default();
    let file = sources.add(text, text);
    let compiled = compile(
        &sources,
        &[(file, Origin::ProbeSpecifier)],
        &Catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} failed to compile: {errors:?}"));
    generate(
        &compiled.module,
        &CodegenOptions {
            bufsize: 1 << 22,
            nspec,
            specsize,
            ..CodegenOptions::default()
        },
    )
    .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"))
}

/// Every program's disassembly, one after another.
fn listing(generated: &Generated) -> String {
    generated
        .listings
        .iter()
        .map(|listing| disassemble(&listing.insns, &|_| None))
        .collect()
}

const SPECULATES: &str = "BEGIN { s = speculation(); } BEGIN { speculate(s); printf(\"%d %d\", 1, 2); } BEGIN { commit(s); }";

#[test]
fn the_specs_map_holds_a_word_per_id_after_the_unused_zero() {
    let generated = generate_with(SPECULATES, 4, 1 << 20);
    assert_eq!(
        generated.program.speculations,
        Some(SpecDesc {
            map: SPECS_MAP.to_string(),
            nspec: 4
        })
    );
    let object = aya_obj::Object::parse(&generated.program.elf)
        .unwrap_or_else(|error| panic!("aya-obj rejects the object: {error}"));
    let specs = &object.maps[SPECS_MAP];
    assert_eq!(
        (specs.key_size(), specs.value_size(), specs.max_entries()),
        (4, 8, 5)
    );
}

#[test]
fn programs_without_speculations_have_no_specs_map() {
    let generated = generate_with("BEGIN { trace(1); }", 4, 1 << 20);
    assert_eq!(generated.program.speculations, None);
    assert!(!listing(&generated).contains("atomic64_cmpxchg"));
}

#[test]
fn nspec_is_bounded_by_the_header_byte() {
    let generated = generate_with(SPECULATES, 100_000, 1 << 20);
    let specs = generated
        .program
        .speculations
        .expect("the program speculates");
    assert_eq!(specs.nspec, MAX_NSPEC);
}

#[test]
fn ids_are_claimed_and_finished_with_compare_and_exchange() {
    let text = listing(&generate_with(SPECULATES, 2, 1 << 20));
    assert_eq!(
        text.matches("r0 = atomic64_cmpxchg((u64 *)(r3 +0), r0, r2)")
            .count(),
        2,
        "one in speculation(), one in commit():\n{text}"
    );
    assert!(
        text.contains("if r8 > 0x2 goto"),
        "speculation() tries IDs 1 to nspec:\n{text}"
    );
}

#[test]
fn speculate_marks_the_record_header_and_the_cpu_keeps_the_mark() {
    let text = listing(&generate_with(SPECULATES, 1, 1 << 20));
    // The record starts at r7 + 128: the speculation's ID at +10 and generation at +11 are
    // bytes, and the CPU at +8 is written as a half word so that it does not clear them.
    assert!(text.contains("*(u8 *)(r7 +138) = r1"), "{text}");
    assert!(text.contains("*(u8 *)(r7 +139) = r1"), "{text}");
    assert!(text.contains("*(u16 *)(r7 +136) = r0"), "{text}");
    let plain = listing(&generate_with("BEGIN { printf(\"%d\", 1); }", 1, 1 << 20));
    assert!(plain.contains("*(u32 *)(r7 +136) = r0"), "{plain}");
}

#[test]
fn the_specsize_check_is_emitted_only_when_a_record_can_outgrow_it() {
    // The printf's record is 16 + 2 * 8 = 32 bytes.
    let fits = listing(&generate_with(SPECULATES, 1, 32));
    let outgrows = listing(&generate_with(SPECULATES, 1, 31));
    let drops = |text: &str| text.matches("r1 = *(u64 *)(r0 +16)").count();
    assert_eq!(drops(&fits), 0, "{fits}");
    assert_eq!(drops(&outgrows), 1, "{outgrows}");
    assert!(outgrows.contains("r1 = *(u8 *)(r7 +138)"), "{outgrows}");
}

#[test]
fn commit_and_discard_are_record_actions() {
    let generated = generate_with(
        "BEGIN { a = speculation(); } syscall::write:entry { discard(a); commit(arg0); }",
        2,
        1 << 20,
    );
    let record = &generated.program.records[1];
    assert!(matches!(
        record.actions.as_slice(),
        [ActionDesc::Discard(discarded), ActionDesc::Commit(committed)]
            if discarded.offset == 16 && committed.offset == 24
    ));
    assert_eq!(record.size, 32);
    let text = listing(&generated);
    assert!(
        text.contains("if r1 <= 0x2 goto"),
        "IDs above nspec fault:\n{text}"
    );
}

//! The programs and plans of the `fbt`, `proc` and `sched` providers, built without a kernel and
//! parsed back with aya-obj.

use aya_obj::ProgramSection;
use d_frontend::compile::{Compiled, compile};
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{
    FunctionPrototype, KernelType, KernelTypeId, MemberInfo, ProbeCatalog, SyscallInfo,
};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::plan::{Attach, KprobeTarget};

/// A kernel with `vfs_read` and `vfs_write(struct file *, char *, size_t, loff_t *)` returning
/// `ssize_t`, the
/// exec and clone syscalls, `task_struct`'s `exit_code`, and `submit_bio_wait` (for `io`).
struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        [("clone", 56), ("execve", 59), ("execveat", 322)]
            .into_iter()
            .map(|(name, nr)| SyscallInfo {
                name: name.to_string(),
                nr,
            })
            .collect()
    }

    fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        (struct_name == "task_struct" && member == "exit_code").then_some(MemberInfo {
            offset: 2460,
            size: 4,
        })
    }

    fn kernel_type(&self, id: KernelTypeId) -> Option<KernelType> {
        Some(match id {
            1 => KernelType::Int {
                size: 8,
                signed: true,
            },
            2 => KernelType::Pointer { target: 1 },
            _ => return None,
        })
    }

    fn kernel_functions(&self) -> Vec<String> {
        vec!["vfs_read".to_string(), "vfs_write".to_string()]
    }

    fn kernel_function(&self, name: &str) -> Option<FunctionPrototype> {
        if name == "submit_bio_wait" {
            return Some(FunctionPrototype {
                params: vec![("bio".to_string(), 2)],
                ret: 1,
            });
        }
        (name == "vfs_read" || name == "vfs_write").then(|| FunctionPrototype {
            params: vec![
                ("file".to_string(), 2),
                ("buf".to_string(), 2),
                ("count".to_string(), 1),
                ("pos".to_string(), 2),
            ],
            ret: 1,
        })
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
    generate(&compile_text(text).module, &CodegenOptions::default())
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"))
}

fn sections(generated: &Generated) -> Vec<(String, ProgramSection)> {
    let object = aya_obj::Object::parse(&generated.program.elf)
        .unwrap_or_else(|error| panic!("aya-obj rejects the object: {error}"));
    generated
        .program
        .programs
        .iter()
        .map(|plan| {
            let program = &object.programs[&plan.name];
            (plan.name.clone(), program.section.clone())
        })
        .collect()
}

#[test]
fn fbt_entry_and_return_are_fentry_and_fexit_programs() {
    let generated = generate_for(
        "fbt::vfs_read:entry { trace(args[2]); } fbt::vfs_read:return { trace(args[1]); }",
    );
    let attaches: Vec<&Attach> = generated
        .program
        .programs
        .iter()
        .map(|plan| &plan.attach)
        .collect();
    assert_eq!(
        attaches,
        [
            &Attach::Fentry {
                function: "vfs_read".to_string(),
                is_return: false,
                probe: "fbt:vmlinux:vfs_read:entry".to_string(),
            },
            &Attach::Fentry {
                function: "vfs_read".to_string(),
                is_return: true,
                probe: "fbt:vmlinux:vfs_read:return".to_string(),
            },
        ]
    );
    let sections = sections(&generated);
    assert!(matches!(
        sections[0].1,
        ProgramSection::FEntry { sleepable: false }
    ));
    assert!(matches!(
        sections[1].1,
        ProgramSection::FExit { sleepable: false }
    ));
    // The return value is the fifth context word, after the four arguments: the fexit
    // trampoline reads 8 bytes from r6 (the context) + 32.
    let fexit = &generated.listings[1].insns;
    assert!(
        fexit.windows(2).any(|pair| pair[0].code == 0xbf
            && (pair[0].dst, pair[0].src) == (3, 6)
            && pair[1].code == 0x07
            && (pair[1].dst, pair[1].imm) == (3, 32)),
        "the fexit trampoline reads ctx[4]"
    );
}

#[test]
fn fbt_as_kprobes_are_kprobe_and_kretprobe_programs() {
    let text = "fbt::vfs_read:entry { trace(args[2]); } fbt::vfs_read:return { trace(args[1]); }";
    let options = CodegenOptions {
        fbt_kprobes: true,
        ..CodegenOptions::default()
    };
    let generated = generate(&compile_text(text).module, &options)
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"));
    let attaches: Vec<&Attach> = generated
        .program
        .programs
        .iter()
        .map(|plan| &plan.attach)
        .collect();
    assert_eq!(
        attaches,
        [
            &Attach::Kprobe {
                function: "vfs_read".to_string(),
                is_return: false,
                probe: "fbt:vmlinux:vfs_read:entry".to_string(),
                cookie: None,
            },
            &Attach::Kprobe {
                function: "vfs_read".to_string(),
                is_return: true,
                probe: "fbt:vmlinux:vfs_read:return".to_string(),
                cookie: None,
            },
        ]
    );
    let sections = sections(&generated);
    assert!(matches!(sections[0].1, ProgramSection::KProbe));
    assert!(matches!(sections[1].1, ProgramSection::KRetProbe));
    // The entry reads `count`, the third argument, from rdx; the return reads rax.
    let reads_regs = |insns: &[tracer_ebpf::insn::Insn], offset: i16| {
        insns
            .iter()
            .any(|insn| insn.code == 0x79 && insn.src == 6 && insn.off == offset)
    };
    assert!(reads_regs(&generated.listings[0].insns, 96));
    assert!(reads_regs(&generated.listings[1].insns, 80));
}

#[test]
fn each_source_of_a_dependent_probe_is_a_raw_tracepoint_program() {
    let generated =
        generate_for("proc:::exec { trace(args[0]); } sched:::enqueue { @ = count(); }");
    let plans: Vec<(&str, &Attach)> = generated
        .program
        .programs
        .iter()
        .map(|plan| (plan.name.as_str(), &plan.attach))
        .collect();
    let raw = |name: &str| Attach::RawTracepoint {
        name: name.to_string(),
    };
    let names: Vec<&str> = plans.iter().map(|(name, _)| *name).collect();
    let attaches: Vec<Attach> = plans.iter().map(|(_, attach)| (*attach).clone()).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert_eq!(
        attaches,
        [
            raw("sys_enter"),
            raw("sys_enter"),
            raw("sched_wakeup"),
            raw("sched_wakeup_new"),
            raw("sched_switch"),
            raw("sched_switch"),
        ]
    );
    for (name, section) in sections(&generated) {
        assert!(
            matches!(section, ProgramSection::RawTracePoint),
            "{name}: {section:?}"
        );
    }
    assert!(
        generated.listings[0]
            .insns
            .iter()
            .any(|insn| insn.code == 0x15 && insn.imm == 59),
        "the execve program tests the syscall number"
    );
}

#[test]
fn exec_paths_are_user_strings() {
    let compiled = compile_text("proc:::exec { trace(args[0]); }");
    let insts = &compiled.module.clauses[0].insts;
    assert!(
        insts.iter().any(|inst| matches!(
            inst,
            d_frontend::ir::Inst::Subr(d_frontend::ir::Subr::CopyInStr { .. })
        )),
        "{insts:?}"
    );
}

#[test]
fn fbt_kprobes_of_several_functions_share_a_program_told_apart_by_cookies() {
    let text = "fbt::vfs_*:entry { trace(args[2]); } fbt::vfs_write:entry { trace(1); } \
                fbt::vfs_read:return { trace(arg1); }";
    let options = CodegenOptions {
        fbt_kprobes: true,
        ..CodegenOptions::default()
    };
    let compiled = compile_text(text);
    let id_of = |function: &str, name: &str| {
        compiled
            .module
            .probes
            .iter()
            .find(|probe| probe.desc.function == function && probe.desc.name == name)
            .map(|probe| u64::from(probe.id))
            .expect("the probe is enabled")
    };
    let (read, write) = (id_of("vfs_read", "entry"), id_of("vfs_write", "entry"));
    let generated = generate(&compiled.module, &options)
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"));
    let plans: Vec<(&str, &Attach)> = generated
        .program
        .programs
        .iter()
        .map(|plan| (plan.name.as_str(), &plan.attach))
        .collect();
    // The lone return probe has a program of its own; clause 0 is bit 0 for both entry probes,
    // clause 1 bit 1 for vfs_write's only.
    assert_eq!(
        plans[1..],
        [
            (
                "fbt_kprobes",
                &Attach::Kprobe {
                    function: "vfs_read".to_string(),
                    is_return: false,
                    probe: "fbt:vmlinux:vfs_read:entry".to_string(),
                    cookie: Some(read | 1 << 32),
                }
            ),
            (
                "fbt_kprobes",
                &Attach::Kprobe {
                    function: "vfs_write".to_string(),
                    is_return: false,
                    probe: "fbt:vmlinux:vfs_write:entry".to_string(),
                    cookie: Some(write | 3 << 32),
                }
            ),
        ]
    );
    assert_eq!(
        plans[0].1,
        &Attach::Kprobe {
            function: "vfs_read".to_string(),
            is_return: true,
            probe: "fbt:vmlinux:vfs_read:return".to_string(),
            cookie: None,
        }
    );
    assert_eq!(generated.listings.len(), 2, "two programs for three plans");
}

#[test]
fn io_waits_are_fentry_and_fexit_programs_on_submit_bio_wait_or_kprobes() {
    let text = "io:::wait-start { trace(arg0); } io:::wait-done { trace(arg1); }";
    let generated = generate_for(text);
    let attaches: Vec<&Attach> = generated
        .program
        .programs
        .iter()
        .map(|plan| &plan.attach)
        .collect();
    let fentry = |is_return, name: &str| Attach::Fentry {
        function: "submit_bio_wait".to_string(),
        is_return,
        probe: format!("io:vmlinux::{name}"),
    };
    assert_eq!(
        attaches,
        [&fentry(true, "wait-done"), &fentry(false, "wait-start")]
    );
    let sections = sections(&generated);
    assert!(matches!(
        sections[0].1,
        ProgramSection::FExit { sleepable: false }
    ));
    assert!(matches!(
        sections[1].1,
        ProgramSection::FEntry { sleepable: false }
    ));
    let kprobes = CodegenOptions {
        fbt_kprobes: true,
        ..CodegenOptions::default()
    };
    let generated = generate(&compile_text(text).module, &kprobes)
        .unwrap_or_else(|error| panic!("{text} failed to generate under kprobes: {error}"));
    let plans: Vec<(&str, &Attach)> = generated
        .program
        .programs
        .iter()
        .map(|plan| (plan.name.as_str(), &plan.attach))
        .collect();
    let kprobe = |is_return, name: &str| Attach::Kprobe {
        function: "submit_bio_wait".to_string(),
        is_return,
        probe: format!("io:vmlinux::{name}"),
        cookie: None,
    };
    let (done_id, start_id) = (
        generated.program.probes[0].id,
        generated.program.probes[1].id,
    );
    // wait-done's kretprobe takes the bio the kprobe on the entry saved for the thread.
    assert_eq!(
        plans,
        [
            (
                format!("dependent_{done_id}_0_entry").as_str(),
                &kprobe(false, "wait-done")
            ),
            (
                format!("dependent_{done_id}_0").as_str(),
                &kprobe(true, "wait-done")
            ),
            (
                format!("dependent_{start_id}_0").as_str(),
                &kprobe(false, "wait-start")
            ),
        ]
    );
    let kprobe_sections = self::sections(&generated);
    assert!(matches!(kprobe_sections[0].1, ProgramSection::KProbe));
    assert!(matches!(kprobe_sections[1].1, ProgramSection::KRetProbe));
    assert!(matches!(kprobe_sections[2].1, ProgramSection::KProbe));
    let helpers = |listing: usize| -> Vec<i32> {
        generated.listings[listing]
            .insns
            .iter()
            .filter(|insn| insn.code == 0x85)
            .map(|insn| insn.imm)
            .collect()
    };
    // The entry saves with bpf_get_current_pid_tgid (14) and bpf_map_update_elem (2); the
    // return looks the thread up (1) and deletes what it took back (3).
    let at_entry = helpers(0);
    assert!(
        at_entry.windows(2).any(|pair| pair == [14, 2]),
        "{at_entry:?}"
    );
    let at_return = helpers(1);
    assert!(
        at_return.windows(3).any(|triple| triple == [14, 1, 3]),
        "{at_return:?}"
    );
}

#[test]
fn fbt_kprobe_multi_plans_one_link_per_direction_with_every_cookie() {
    let text = "fbt::vfs_read:entry,fbt::vfs_write:entry { trace(args[2]); } \
                fbt::vfs_write:entry { trace(1); } fbt::vfs_read:return { trace(arg1); }";
    let options = CodegenOptions {
        fbt_kprobes: true,
        fbt_kprobe_multi: true,
        ..CodegenOptions::default()
    };
    let compiled = compile_text(text);
    let id_of = |function: &str, name: &str| {
        compiled
            .module
            .probes
            .iter()
            .find(|probe| probe.desc.function == function && probe.desc.name == name)
            .map(|probe| u64::from(probe.id))
            .expect("the probe is enabled")
    };
    let generated = generate(&compiled.module, &options)
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"));
    let plans: Vec<(&str, &Attach)> = generated
        .program
        .programs
        .iter()
        .map(|plan| (plan.name.as_str(), &plan.attach))
        .collect();
    let target = |function: &str, name: &str, mask: u64| KprobeTarget {
        function: function.to_string(),
        probe: format!("fbt:vmlinux:{function}:{name}"),
        cookie: id_of(function, name) | mask << 32,
    };
    // Even the lone return probe goes through a link of its own, so every fbt program is
    // loaded once whatever the number of functions.
    assert_eq!(
        plans,
        [
            (
                "fbt_kprobes",
                &Attach::KprobeMulti {
                    is_return: false,
                    targets: vec![
                        target("vfs_read", "entry", 1),
                        target("vfs_write", "entry", 3)
                    ],
                }
            ),
            (
                "fbt_kretprobes",
                &Attach::KprobeMulti {
                    is_return: true,
                    targets: vec![target("vfs_read", "return", 1)],
                }
            ),
        ]
    );
    assert_eq!(generated.listings.len(), 2);
}

#[test]
fn syscall_entries_read_the_argument_registers_only_for_clauses_that_use_them() {
    // The read of the registers from `regs->r10` on: `r3 += 56` (the offset of r10 in
    // `struct pt_regs`) right before bpf_probe_read_kernel (helper 113).
    let probe_reads = |text: &str| -> usize {
        generate_for(text)
            .listings
            .iter()
            .flat_map(|listing| listing.insns.windows(2))
            .filter(|pair| {
                pair[0].code == 0x07
                    && pair[0].dst == 3
                    && pair[0].imm == 56
                    && pair[1].code == 0x85
                    && pair[1].imm == 113
            })
            .count()
    };
    assert_eq!(probe_reads("syscall::clone:entry { @ = count(); }"), 0);
    assert_eq!(probe_reads("syscall::clone:entry { @ = sum(arg2); }"), 1);
    assert_eq!(
        probe_reads("syscall::clone:entry { @ = count(); } syscall::execve:entry { trace(arg0); }"),
        1
    );
}

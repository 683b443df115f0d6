//! The programs and plans of the `pid` and USDT providers, built without a kernel and parsed back
//! with aya-obj.

use aya_obj::ProgramSection;
use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{
    MemberInfo, ProbeCatalog, SdtNote, SyscallInfo, UserFunction, UserModule,
};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::plan::{Attach, UprobeAttach};

/// Process 42 runs `/bin/prog`, with functions `go` and `main` and two sites of the USDT probe
/// `app:tick`, one with a semaphore.
struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        Vec::new()
    }

    fn struct_member(&self, _: &str, _: &str) -> Option<MemberInfo> {
        None
    }

    fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        (pid == 42).then(|| {
            vec![UserModule {
                path: "/bin/prog".to_string(),
                is_main: true,
            }]
        })
    }

    fn user_functions(&self, _: &str) -> Vec<UserFunction> {
        vec![
            UserFunction {
                name: "go".to_string(),
                file_offset: 0x1100,
                size: 0x40,
            },
            UserFunction {
                name: "main".to_string(),
                file_offset: 0x1200,
                size: 0x80,
            },
        ]
    }

    fn sdt_notes(&self, _: &str) -> Vec<SdtNote> {
        let note = |file_offset, semaphore_offset, args: &str| SdtNote {
            provider: "app".to_string(),
            name: "tick".to_string(),
            function: "main".to_string(),
            file_offset,
            semaphore_offset,
            args: args.to_string(),
        };
        vec![
            note(0x1210, 0x3010, "-4@%edi"),
            note(0x1250, 0x3010, "-4@%esi"),
        ]
    }
}

fn generate_for(text: &str) -> Generated {
    generate_with(text, &CodegenOptions::default())
}

fn generate_with(text: &str, options: &CodegenOptions) -> Generated {
    let mut sources = SourceMap::default();
    let file = sources.add(text, text);
    let compiled = compile(
        &sources,
        &[(file, Origin::ProbeSpecifier)],
        &Catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} failed to compile: {errors:?}"));
    let generated = generate(&compiled.module, options)
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"));
    aya_obj::Object::parse(&generated.program.elf).expect("aya-obj parses the object");
    generated
}

/// A site as (file offset, semaphore offset, cookie).
type Site = (u64, u64, u64);

/// Each program's name, whether it is a uretprobe, and its sites; each attaches through a
/// perf event per site, as the default options ask.
fn uprobe_plans(generated: &Generated) -> Vec<(String, bool, Vec<Site>)> {
    generated
        .program
        .programs
        .iter()
        .filter_map(|plan| match &plan.attach {
            Attach::Uprobe {
                is_return,
                sites,
                multi,
            } => Some((
                plan.name.clone(),
                *is_return,
                sites
                    .iter()
                    .map(|site: &UprobeAttach| {
                        assert!(!multi, "{} is planned for a uprobe-multi link", plan.name);
                        assert_eq!((site.pid, site.path.as_str()), (42, "/bin/prog"));
                        (site.file_offset, site.semaphore_offset, site.cookie)
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

fn probe_id(generated: &Generated, name: &str) -> u64 {
    let probe = generated
        .program
        .probes
        .iter()
        .find(|probe| format!("{}:{}:{}", probe.module, probe.function, probe.name) == name)
        .unwrap_or_else(|| panic!("no probe {name}"));
    u64::from(probe.id)
}

#[test]
fn pid_probes_with_the_same_clauses_share_a_program_by_cookie() {
    let generated = generate_for(
        "pid42:a.out::entry { @[probefunc] = count(); } pid42:a.out:go:return { trace(arg1); }",
    );
    let (go, main) = (
        probe_id(&generated, "prog:go:entry"),
        probe_id(&generated, "prog:main:entry"),
    );
    let go_return = probe_id(&generated, "prog:go:return");
    assert_eq!(
        uprobe_plans(&generated),
        [
            (
                "uprobe_0".to_string(),
                false,
                vec![(0x1100, 0, go), (0x1200, 0, main)]
            ),
            (
                "uretprobe_1".to_string(),
                true,
                vec![(0x1100, 0, go_return)]
            ),
        ]
    );
    let object = aya_obj::Object::parse(&generated.program.elf).expect("parses");
    let kinds: Vec<(String, bool)> = object
        .programs
        .iter()
        .map(|(name, program)| {
            let is_return = match program.section {
                ProgramSection::UProbe { .. } => false,
                ProgramSection::URetProbe { .. } => true,
                ref other => panic!("{name} is {other:?}"),
            };
            (name.clone(), is_return)
        })
        .collect();
    assert!(
        kinds.contains(&("uprobe_0".to_string(), false)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("uretprobe_1".to_string(), true)),
        "{kinds:?}"
    );
}

#[test]
fn offset_probes_are_inside_their_function() {
    let generated = generate_for("pid42:a.out:go:1c { trace(arg0); }");
    let go_1c = probe_id(&generated, "prog:go:1c");
    assert_eq!(
        uprobe_plans(&generated),
        [("uprobe_0".to_string(), false, vec![(0x111c, 0, go_1c)])]
    );
}

#[test]
fn each_usdt_site_is_a_program_with_its_semaphore() {
    let generated = generate_for("app42:::tick { trace(args[0]); }");
    let tick = probe_id(&generated, "prog:main:tick");
    let plans = uprobe_plans(&generated);
    assert_eq!(
        plans,
        [
            (
                format!("usdt_{tick}_0"),
                false,
                vec![(0x1210, 0x3010, tick)]
            ),
            (
                format!("usdt_{tick}_1"),
                false,
                vec![(0x1250, 0x3010, tick)]
            ),
        ]
    );
}

#[test]
fn uprobe_multi_plans_every_pid_and_usdt_program_for_multi_links() {
    let options = CodegenOptions {
        uprobe_multi: true,
        ..CodegenOptions::default()
    };
    let generated = generate_with(
        "pid42:a.out::entry { @[probefunc] = count(); } app42:::tick { trace(args[0]); }",
        &options,
    );
    let planned: Vec<(String, usize, bool)> = generated
        .program
        .programs
        .iter()
        .filter_map(|plan| match &plan.attach {
            Attach::Uprobe { sites, multi, .. } => Some((plan.name.clone(), sites.len(), *multi)),
            _ => None,
        })
        .collect();
    let tick = probe_id(&generated, "prog:main:tick");
    assert_eq!(
        planned,
        [
            ("uprobe_0".to_string(), 2, true),
            (format!("usdt_{tick}_0"), 1, true),
            (format!("usdt_{tick}_1"), 1, true),
        ]
    );
}

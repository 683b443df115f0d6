//! String keys narrower than `strsize`: the maps, the plan's key layouts and the sharing of
//! aggregation maps, from D source to the ELF object that aya-obj parses back.

use d_frontend::compile::compile;
use d_frontend::diagnostic::Origin;
use d_frontend::provider::{MemberInfo, ProbeCatalog, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, Generated, generate};
use tracer_ebpf::layout::{AGG_ID_SIZE, Value, ValueKind};

struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        [("read", 0), ("write", 1)]
            .into_iter()
            .map(|(name, nr)| SyscallInfo {
                name: name.to_string(),
                nr,
            })
            .collect()
    }

    fn struct_member(&self, _struct_name: &str, _member: &str) -> Option<MemberInfo> {
        None
    }
}

fn generate_for(text: &str) -> (Generated, aya_obj::Object) {
    let mut sources = SourceMap::default();
    let file = sources.add(text, text);
    let compiled = compile(
        &sources,
        &[(file, Origin::ProbeSpecifier)],
        &Catalog,
        &CompileOptions::default(),
    )
    .unwrap_or_else(|errors| panic!("{text} failed to compile: {errors:?}"));
    let generated = generate(&compiled.module, &CodegenOptions::default())
        .unwrap_or_else(|error| panic!("{text} failed to generate: {error}"));
    let object = aya_obj::Object::parse(&generated.program.elf)
        .unwrap_or_else(|error| panic!("aya-obj rejects the object: {error}"));
    (generated, object)
}

/// The key size of each aggregation's map, and its key layout in the plan.
fn agg_keys(generated: &Generated, object: &aya_obj::Object) -> Vec<(u32, Vec<ValueKind>)> {
    generated
        .program
        .aggregations
        .iter()
        .map(|agg| (object.maps[&agg.map].key_size(), agg.keys.clone()))
        .collect()
}

#[test]
fn an_execname_key_is_as_wide_as_comm() {
    let (generated, object) = generate_for("syscall::read:entry { @[execname] = count(); }");
    // The aggregation's ID, then 16 bytes of `comm`, where a whole string would take 264.
    assert_eq!(
        agg_keys(&generated, &object),
        [(AGG_ID_SIZE + 16, vec![ValueKind::Str { size: 16 }])]
    );
}

#[test]
fn a_key_takes_its_widest_use() {
    let (generated, object) = generate_for(
        "syscall::read:entry { @a[execname, \"ab\"] = count(); }
         syscall::write:entry { @a[probefunc, \"abcdefghij\"] = count(); }
         syscall::write:entry { @b[execname] = count(); }
         syscall::read:entry { @b[copyinstr(arg1)] = count(); }",
    );
    assert_eq!(
        agg_keys(&generated, &object),
        [
            (
                AGG_ID_SIZE + 64 + 16,
                vec![ValueKind::Str { size: 64 }, ValueKind::Str { size: 16 }]
            ),
            (AGG_ID_SIZE + 264, vec![ValueKind::Str { size: 264 }]),
        ]
    );
}

#[test]
fn layouts_of_one_size_share_a_map_and_decode_by_their_own_keys() {
    let (generated, object) = generate_for(
        "syscall::read:entry { @name[execname] = count(); @ids[pid, tid] = count(); @path[copyinstr(arg1)] = count(); }",
    );
    let aggs = &generated.program.aggregations;
    // 16 bytes of `comm` and two 8-byte integers are keys of one size: one map, told apart by the
    // aggregation's ID. A whole string needs a map of its own.
    assert_eq!(aggs[0].map, aggs[1].map);
    assert_ne!(aggs[0].map, aggs[2].map);
    assert_eq!(object.maps[&aggs[0].map].key_size(), AGG_ID_SIZE + 16);
    let mut key = b"bash".to_vec();
    key.resize(16, 0);
    let decoded: Vec<Option<Value>> = aggs[0].keys.iter().map(|kind| kind.decode(&key)).collect();
    assert_eq!(decoded, [Some(Value::Str(b"bash".to_vec()))]);
    assert!(matches!(
        aggs[1].keys[..],
        [ValueKind::Int { .. }, ValueKind::Int { .. }]
    ));
}

#[test]
fn associative_arrays_and_thread_locals_get_narrow_string_keys() {
    let (_, object) = generate_for(
        "syscall::read:entry { x[execname] = 1; self->y[execname, 2] = 3; z[copyinstr(arg1)] = 4; }",
    );
    let key_size = |name: &str| object.maps[name].key_size();
    assert_eq!(key_size("assoc_x"), 16);
    // The thread ID, `comm`, then the integer.
    assert_eq!(key_size("self_y"), 8 + 16 + 8);
    assert_eq!(key_size("assoc_z"), 264);
}

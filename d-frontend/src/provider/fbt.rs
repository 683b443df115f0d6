//! The `fbt` provider: `fbt:vmlinux:FUNC:entry` and `:return` for every kernel function BTF
//! describes.
//!
//! The probes are listed from the catalog's function list (every BTF `FUNC`, sorted, each once),
//! so `-l -n 'fbt::vfs_*:entry'` works on any kernel with BTF, whether or not it lets programs
//! attach there. `args[]` are typed from the function's BTF prototype. The engine attaches with
//! fentry/fexit programs, whose context is the array of the function's arguments as 64-bit words
//! (a struct passed by value takes as many words as it has eight-byte parts), followed on return
//! by the return value. As in Oracle DTrace, a return probe's `args[0]` is the return offset,
//! which fexit cannot know and is always -1, and `args[1]` is the return value (absent for a
//! `void` function).

use super::{ArgFetch, ArgType, MAX_ARGS, Probe, ProbeArg, ProbeCatalog, ProbeDesc, ProbeKind};
use super::{FunctionPrototype, KernelType, KernelTypeId};

/// Modifier chains deeper than this are treated as damaged BTF.
const MAX_DEPTH: u32 = 32;

/// Whether `desc` may match some fbt probe, judged without the function list (whose reading
/// parses the kernel's BTF): `BEGIN` names every provider but no fbt probe.
pub(super) fn may_match(desc: &ProbeDesc) -> bool {
    super::field_matches(&desc.provider, "fbt")
        && super::field_matches(&desc.module, "vmlinux")
        && (super::field_matches(&desc.name, "entry") || super::field_matches(&desc.name, "return"))
}

/// The fbt probes matching `desc` among `functions` (sorted), in ID order; the first function's
/// probes have IDs `first_id` (entry) and `first_id + 1` (return).
pub(super) fn matching(desc: &ProbeDesc, functions: &[String], first_id: u32) -> Vec<Probe> {
    if !may_match(desc) {
        return Vec::new();
    }
    let candidates: Vec<usize> = if super::is_glob(&desc.function) || desc.function.is_empty() {
        (0..functions.len()).collect()
    } else {
        functions
            .binary_search(&desc.function)
            .map_or_else(|_| Vec::new(), |function_idx| vec![function_idx])
    };
    let mut probes = Vec::new();
    for function_idx in candidates {
        let function = &functions[function_idx];
        if !super::field_matches(&desc.function, function) {
            continue;
        }
        for (is_return, name) in [(false, "entry"), (true, "return")] {
            if super::field_matches(&desc.name, name) {
                let id = first_id + 2 * function_idx as u32 + u32::from(is_return);
                probes.push(probe(id, function, is_return));
            }
        }
    }
    probes
}

/// The entry (or return) probe of `function`.
pub(super) fn probe(id: u32, function: &str, is_return: bool) -> Probe {
    Probe {
        id,
        desc: ProbeDesc {
            provider: "fbt".to_string(),
            module: "vmlinux".to_string(),
            function: function.to_string(),
            name: if is_return { "return" } else { "entry" }.to_string(),
        },
        kind: ProbeKind::Fbt { is_return },
        args: Vec::new(),
        sources: Vec::new(),
        uprobes: Vec::new(),
    }
}

/// The arguments of `function`'s entry or return probe, from its BTF prototype.
pub(super) fn args(catalog: &dyn ProbeCatalog, function: &str, is_return: bool) -> Vec<ProbeArg> {
    let Some(prototype) = catalog.kernel_function(function) else {
        return Vec::new();
    };
    if is_return {
        return return_args(catalog, &prototype);
    }
    let mut args = Vec::new();
    let mut word = 0;
    for (name, ty) in &prototype.params {
        if args.len() == MAX_ARGS {
            break;
        }
        args.push(arg(catalog, name, *ty, word));
        word += n_words(catalog, *ty);
    }
    args
}

/// `args[0]`, the unknown return offset, then the return value unless the function is `void`.
fn return_args(catalog: &dyn ProbeCatalog, prototype: &FunctionPrototype) -> Vec<ProbeArg> {
    let offset = ProbeArg {
        native: "uint64_t".to_string(),
        name: "offset".to_string(),
        ty: ArgType::Int {
            size: 8,
            signed: false,
        },
        fetch: ArgFetch::Slot,
    };
    if matches!(resolve(catalog, prototype.ret), Some(KernelType::Void)) {
        return vec![offset];
    }
    let n_param_words = prototype
        .params
        .iter()
        .map(|(_, ty)| n_words(catalog, *ty))
        .sum();
    vec![offset, arg(catalog, "ret", prototype.ret, n_param_words)]
}

/// One argument of type `ty` in context word `word`.
fn arg(catalog: &dyn ProbeCatalog, name: &str, ty: KernelTypeId, word: u32) -> ProbeArg {
    let scalar = matches!(
        resolve(catalog, ty),
        Some(KernelType::Int { .. } | KernelType::Enum { .. } | KernelType::Pointer { .. })
    );
    ProbeArg {
        native: c_name(catalog, ty, 0),
        name: name.to_string(),
        ty: if scalar {
            ArgType::Kernel { id: ty }
        } else {
            ArgType::Int {
                size: 8,
                signed: false,
            }
        },
        fetch: ArgFetch::Field {
            offset: 8 * word,
            size: 8,
            signed: false,
        },
    }
}

/// How many 64-bit context words a value of type `ty` takes: a struct passed by value takes one
/// per eight bytes.
fn n_words(catalog: &dyn ProbeCatalog, ty: KernelTypeId) -> u32 {
    match resolve(catalog, ty) {
        Some(KernelType::Struct { size, .. }) => size.div_ceil(8).max(1),
        _ => 1,
    }
}

/// The type `ty` names once typedefs and qualifiers are looked through.
fn resolve(catalog: &dyn ProbeCatalog, mut ty: KernelTypeId) -> Option<KernelType> {
    for _ in 0..MAX_DEPTH {
        match catalog.kernel_type(ty)? {
            KernelType::Typedef { target } | KernelType::Qualified { target } => ty = target,
            other => return Some(other),
        }
    }
    None
}

/// The C spelling of kernel type `ty` that `-lv` shows (`struct file *`, `char *`, `long`).
/// BTF keeps no names for integers and typedefs here, so integers are spelled by size and sign.
fn c_name(catalog: &dyn ProbeCatalog, ty: KernelTypeId, depth: u32) -> String {
    if depth > MAX_DEPTH {
        return "void".to_string();
    }
    match catalog.kernel_type(ty) {
        Some(KernelType::Void) | None => "void".to_string(),
        Some(KernelType::Int { size, signed } | KernelType::Enum { size, signed }) => {
            let base = match size {
                1 => "char",
                2 => "short",
                4 => "int",
                _ => "long",
            };
            if signed {
                base.to_string()
            } else {
                format!("unsigned {base}")
            }
        }
        Some(KernelType::Float { size }) => match size {
            4 => "float".to_string(),
            8 => "double".to_string(),
            _ => "long double".to_string(),
        },
        Some(KernelType::Pointer { target }) => {
            let pointee = c_name(catalog, target, depth + 1);
            if pointee.ends_with('*') {
                format!("{pointee}*")
            } else {
                format!("{pointee} *")
            }
        }
        Some(KernelType::Array { element, len }) => {
            format!("{}[{len}]", c_name(catalog, element, depth + 1))
        }
        Some(KernelType::Struct { name, union, .. } | KernelType::Forward { name, union }) => {
            let keyword = if union { "union" } else { "struct" };
            format!("{keyword} {name}")
        }
        Some(KernelType::Typedef { target } | KernelType::Qualified { target }) => {
            c_name(catalog, target, depth + 1)
        }
        Some(KernelType::Other) => "uint64_t".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::tests::FakeCatalog;

    fn functions() -> Vec<String> {
        ["do_sys_open", "vfs_read", "vfs_write"]
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn names(desc: &str) -> Vec<String> {
        let desc = ProbeDesc::parse(desc).unwrap();
        matching(&desc, &functions(), 100)
            .iter()
            .map(|probe| format!("{} {}", probe.id, probe.desc))
            .collect()
    }

    #[test]
    fn every_function_has_an_entry_and_a_return_probe() {
        assert_eq!(
            names("fbt::vfs_*:entry"),
            [
                "102 fbt:vmlinux:vfs_read:entry",
                "104 fbt:vmlinux:vfs_write:entry"
            ]
        );
        assert_eq!(
            names("fbt:vmlinux:vfs_read:"),
            [
                "102 fbt:vmlinux:vfs_read:entry",
                "103 fbt:vmlinux:vfs_read:return"
            ]
        );
        assert_eq!(names("fbt::nosuch:entry"), Vec::<String>::new());
        assert_eq!(names("fbt:kvm:vfs_read:entry"), Vec::<String>::new());
        assert_eq!(names("syscall::vfs_read:entry"), Vec::<String>::new());
        let probe = &matching(
            &ProbeDesc::parse("fbt::vfs_write:return").unwrap(),
            &functions(),
            100,
        )[0];
        assert_eq!(probe.kind, ProbeKind::Fbt { is_return: true });
    }

    #[test]
    fn arguments_are_typed_from_the_prototype() {
        let args = args(&FakeCatalog, "vfs_read", false);
        let shown: Vec<(&str, &str)> = args
            .iter()
            .map(|arg| (arg.native.as_str(), arg.name.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("struct file *", "file"),
                ("char *", "buf"),
                ("unsigned long", "count"),
                ("long *", "pos")
            ]
        );
        assert_eq!(args[1].ty, ArgType::Kernel { id: 16 });
        let words: Vec<ArgFetch> = args.iter().map(|arg| arg.fetch).collect();
        assert_eq!(
            words[3],
            ArgFetch::Field {
                offset: 24,
                size: 8,
                signed: false
            }
        );
    }

    #[test]
    fn a_return_probe_has_the_offset_then_the_value_after_the_arguments() {
        let args = args(&FakeCatalog, "vfs_read", true);
        assert_eq!(args.len(), 2);
        assert_eq!(args[0].fetch, ArgFetch::Slot);
        assert_eq!(
            (args[1].native.as_str(), args[1].name.as_str()),
            ("long", "ret")
        );
        assert_eq!(
            args[1].fetch,
            ArgFetch::Field {
                offset: 32,
                size: 8,
                signed: false
            }
        );
        assert_eq!(
            super::args(&FakeCatalog, "schedule", true).len(),
            1,
            "a void function"
        );
        assert_eq!(super::args(&FakeCatalog, "nosuch", false), []);
    }
}

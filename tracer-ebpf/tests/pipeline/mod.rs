//! The whole compile pipeline on untrusted text, as the fuzz targets (`fuzz/`) and the property
//! tests (`tests/properties.rs`) run it: every stage may refuse the text, none may panic, and
//! every object the ELF writer produces must parse back with aya-obj.
//!
//! The fuzz crate includes this file by path, so both check exactly the same invariants.

use d_frontend::compile::{Input, compile_inputs};
use d_frontend::diagnostic::{DiagFormat, Origin, RenderOptions, render};
use d_frontend::parse::parse_source;
use d_frontend::provider::{MemberInfo, ProbeCatalog, ProbeField, SyscallInfo};
use d_frontend::sema::CompileOptions;
use d_frontend::source::SourceMap;
use tracer_ebpf::codegen::{CodegenOptions, generate};

/// A small machine: a few syscalls and the `task_struct` members the built-in variables read.
pub struct Catalog;

impl ProbeCatalog for Catalog {
    fn syscalls(&self) -> Vec<SyscallInfo> {
        [("read", 0), ("write", 1), ("openat", 257), ("getppid", 110)]
            .into_iter()
            .map(|(name, nr)| SyscallInfo {
                name: name.to_string(),
                nr,
            })
            .collect()
    }

    fn struct_member(&self, _struct_name: &str, member: &str) -> Option<MemberInfo> {
        let (offset, size) = match member {
            "real_parent" => (2440, 8),
            "tgid" => (2428, 4),
            "se" => (128, 256),
            "sum_exec_runtime" => (64, 8),
            _ => return None,
        };
        Some(MemberInfo { offset, size })
    }
}

/// How far a text got through the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reached {
    /// The front end refused it with at least one diagnostic.
    Diagnosed,
    /// Code generation refused it.
    Refused,
    /// It became an ELF object that aya-obj parses.
    Object,
}

/// Renders every diagnostic, which walks the spans back to lines and columns.
fn render_all(sources: &SourceMap, diagnostics: &[d_frontend::diagnostic::Diagnostic]) {
    let options = RenderOptions {
        program: "tracer",
        origin: Origin::Script,
        errtags: true,
        format: DiagFormat::Rich,
    };
    for diagnostic in diagnostics {
        assert!(!render(sources, diagnostic, &options).is_empty());
    }
}

/// Lexes and parses `text` and renders what the parser reports.
pub fn parse(text: &str) {
    let mut sources = SourceMap::default();
    let file = sources.add("fuzz.d", text);
    let (_program, diagnostics) = parse_source(&sources, file);
    render_all(&sources, &diagnostics);
}

/// Compiles `text` as a script (after the D library, as `tracer` does), generates code for it
/// and parses the object back; panics if aya-obj cannot parse an object the writer produced.
pub fn compile(text: &str) -> Reached {
    let mut sources = SourceMap::default();
    let library = d_frontend::library::add(&mut sources, d_frontend::library::FILES);
    let file = sources.add("fuzz.d", text);
    let options = CompileOptions {
        library,
        ..CompileOptions::default()
    };
    let input = Input {
        file,
        origin: Origin::Script,
        spec: ProbeField::Name,
    };
    let compiled = match compile_inputs(&sources, &[input], &Catalog, &options) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a refusal without a diagnostic");
            render_all(&sources, &diagnostics);
            return Reached::Diagnosed;
        }
    };
    let Ok(generated) = generate(&compiled.module, &CodegenOptions::default()) else {
        return Reached::Refused;
    };
    if let Err(error) = aya_obj::Object::parse(&generated.program.elf) {
        panic!("aya-obj cannot parse the object generated for {text:?}: {error}");
    }
    Reached::Object
}

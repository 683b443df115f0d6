//! The in-memory ELF object that aya loads: maps, programs and the relocations that tie them.
//!
//! The object has the shape clang gives a libbpf-style C program with legacy map definitions, and
//! `aya_obj::Object::parse` (aya-obj 0.3) reads it like one:
//!
//! - `license` holds `"GPL\0"` (the helpers generated code calls are GPL-only);
//! - `maps` holds one `struct bpf_map_def` per map (`type, key_size, value_size, max_entries,
//!   map_flags`, 5 x u32 = 20 bytes; aya-obj accepts 20 bytes and zero-fills the optional `id` and
//!   `pinning`), each covered by a global OBJECT symbol whose name is the map's name;
//! - one `SHF_ALLOC | SHF_EXECINSTR` section per distinct program section name, holding the
//!   programs, each covered by a global FUNC symbol whose name is the program's name;
//! - `.rel<section>` with one `R_BPF_64_64` relocation per map `ld_imm64`, against the map's symbol.
//!
//! No BTF is written: aya 0.14 loads legacy `maps` definitions and programs without `.BTF`, and only
//! BTF-typed programs (`fentry`, `tp_btf`, `lsm`, ...) would need it.
//!
//! What aya requires of names:
//!
//! - aya derives the program type from the section name's first `/`-separated piece (`tracepoint`,
//!   `raw_tp`, `perf_event`, `kprobe`, ...); the rest is free text, since the attach point is given
//!   to `attach()` at run time; an unknown kind is only reported by aya, when it parses the object;
//! - programs are keyed by FUNC symbol name, so program names are unique in an object, and so are
//!   map names (keyed by OBJECT symbol name);
//! - several programs may share a section name: they are written one after another into one ELF
//!   section, as clang does for several functions with one `SEC()`, and aya loads each as its own
//!   program;
//! - the kernel accepts only `[A-Za-z0-9_.]` in program and map names (and keeps the first 15
//!   bytes), so [`write_object`] rejects anything else instead of failing at load time.

use object::write::{Object, Relocation, SectionId, Symbol, SymbolSection};
use object::{
    Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope, elf,
};

use crate::insn::Insn;

/// The bytes of one `struct bpf_map_def` as written: five `u32`s.
const MAP_DEF_SIZE: u64 = 20;

/// Section names aya-obj classifies by prefix as something other than a program.
const RESERVED_SECTION_PREFIXES: [&str; 9] = [
    "license", "version", "maps", ".maps", ".text", ".bss", ".data", ".rodata", ".BTF",
];

/// One map in the legacy `maps` section (`struct bpf_map_def`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    /// The map's name: its OBJECT symbol, the key of `aya::Ebpf::map_mut`.
    pub name: String,
    /// `enum bpf_map_type`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries; for a ring buffer, its size in bytes, which aya rounds up to a
    /// power-of-two multiple of the page size.
    pub max_entries: u32,
    /// `map_flags` (`BPF_F_*`).
    pub flags: u32,
}

/// An `ld_imm64` that must hold the fd of `maps[map_idx]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapReloc {
    /// Index of the first half of the `ld_imm64` in the program's instructions.
    pub insn_idx: usize,
    /// Index of the map in the `maps` passed to [`write_object`].
    pub map_idx: usize,
}

/// One program: its FUNC symbol, its section, its instructions and map relocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramObject {
    /// The program's name: its FUNC symbol, the key of `aya::Ebpf::program_mut`.
    pub name: String,
    /// The section name; its first `/`-separated piece gives the program type to aya.
    pub section: String,
    /// The instructions, `ld_imm64` taking two.
    pub insns: Vec<Insn>,
    /// The `ld_imm64`s that load a map.
    pub map_relocs: Vec<MapReloc>,
}

/// Why an object could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// A map or program name the kernel would reject.
    #[error("invalid object name `{name}`: only letters, digits, `_` and `.` are allowed")]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// Two maps with one name.
    #[error("two maps are named `{name}`")]
    DuplicateMap {
        /// The name.
        name: String,
    },
    /// Two programs with one name.
    #[error("two programs are named `{name}`")]
    DuplicateProgram {
        /// The name.
        name: String,
    },
    /// A section name aya would not read as a program section.
    #[error("program `{program}` has section `{section}`, which is not a program section name")]
    InvalidSection {
        /// The program.
        program: String,
        /// Its section name.
        section: String,
    },
    /// A program without instructions.
    #[error("program `{program}` has no instructions")]
    EmptyProgram {
        /// The program.
        program: String,
    },
    /// A relocation naming a map that is not in the object.
    #[error("program `{program}` refers to map {map_idx}, but there are only {n_maps} maps")]
    UnknownMap {
        /// The program.
        program: String,
        /// The map index.
        map_idx: usize,
        /// The number of maps.
        n_maps: usize,
    },
    /// A relocation that is not at a complete `ld_imm64`.
    #[error(
        "program `{program}` has a map relocation at instruction {insn_idx}, which is not an ld_imm64"
    )]
    NotLdImm64 {
        /// The program.
        program: String,
        /// The instruction index.
        insn_idx: usize,
    },
    /// The `object` crate failed.
    #[error("failed to write the ELF object")]
    Write(#[source] object::write::Error),
}

/// Writes a relocatable little-endian ELF64 `EM_BPF` object with `maps` and `programs`.
///
/// The layout is described in the [module docs](self). Programs with equal `section` names share
/// one ELF section, in the order given.
pub fn write_object(maps: &[MapDef], programs: &[ProgramObject]) -> Result<Vec<u8>, ElfError> {
    check(maps, programs)?;
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::Bpf, Endianness::Little);

    let license = obj.add_section(Vec::new(), b"license".to_vec(), SectionKind::Data);
    obj.set_section_data(license, &b"GPL\0"[..], 1);

    let mut map_symbols = Vec::with_capacity(maps.len());
    if !maps.is_empty() {
        let maps_section = obj.add_section(Vec::new(), b"maps".to_vec(), SectionKind::Data);
        for map in maps {
            let offset = obj.append_section_data(maps_section, &map_def_bytes(map), 4);
            map_symbols.push(obj.add_symbol(Symbol {
                name: map.name.as_bytes().to_vec(),
                value: offset,
                size: MAP_DEF_SIZE,
                kind: SymbolKind::Data,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Section(maps_section),
                flags: SymbolFlags::None,
            }));
        }
    }

    let mut sections: Vec<(&str, SectionId)> = Vec::new();
    for program in programs {
        let section_id = if let Some((_, section_id)) =
            sections.iter().find(|(name, _)| *name == program.section)
        {
            *section_id
        } else {
            let section_id = obj.add_section(
                Vec::new(),
                program.section.as_bytes().to_vec(),
                SectionKind::Text,
            );
            sections.push((&program.section, section_id));
            section_id
        };
        let code: Vec<u8> = program
            .insns
            .iter()
            .flat_map(|insn| insn.to_bytes())
            .collect();
        let offset = obj.append_section_data(section_id, &code, 8);
        obj.add_symbol(Symbol {
            name: program.name.as_bytes().to_vec(),
            value: offset,
            size: code.len() as u64,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(section_id),
            flags: SymbolFlags::None,
        });
        for reloc in &program.map_relocs {
            let relocation = Relocation {
                offset: offset + reloc.insn_idx as u64 * 8,
                symbol: map_symbols[reloc.map_idx],
                addend: 0,
                flags: RelocationFlags::Elf {
                    r_type: elf::R_BPF_64_64,
                },
            };
            obj.add_relocation(section_id, relocation)
                .map_err(ElfError::Write)?;
        }
    }

    obj.write().map_err(ElfError::Write)
}

/// The 20 bytes of `struct bpf_map_def` for `map`.
fn map_def_bytes(map: &MapDef) -> [u8; MAP_DEF_SIZE as usize] {
    let fields = [
        map.map_type,
        map.key_size,
        map.value_size,
        map.max_entries,
        map.flags,
    ];
    let mut bytes = [0u8; MAP_DEF_SIZE as usize];
    for (chunk, field) in bytes.chunks_exact_mut(4).zip(fields) {
        chunk.copy_from_slice(&field.to_le_bytes());
    }
    bytes
}

/// Checks everything aya or the kernel would reject later, with less context.
fn check(maps: &[MapDef], programs: &[ProgramObject]) -> Result<(), ElfError> {
    for (map_idx, map) in maps.iter().enumerate() {
        check_name(&map.name)?;
        if maps[..map_idx].iter().any(|other| other.name == map.name) {
            return Err(ElfError::DuplicateMap {
                name: map.name.clone(),
            });
        }
    }
    for (program_idx, program) in programs.iter().enumerate() {
        check_name(&program.name)?;
        if programs[..program_idx]
            .iter()
            .any(|other| other.name == program.name)
        {
            return Err(ElfError::DuplicateProgram {
                name: program.name.clone(),
            });
        }
        let kind = program.section.split('/').next().unwrap_or_default();
        if kind.is_empty()
            || RESERVED_SECTION_PREFIXES
                .iter()
                .any(|prefix| program.section.starts_with(prefix))
        {
            return Err(ElfError::InvalidSection {
                program: program.name.clone(),
                section: program.section.clone(),
            });
        }
        if program.insns.is_empty() {
            return Err(ElfError::EmptyProgram {
                program: program.name.clone(),
            });
        }
        for reloc in &program.map_relocs {
            if reloc.map_idx >= maps.len() {
                return Err(ElfError::UnknownMap {
                    program: program.name.clone(),
                    map_idx: reloc.map_idx,
                    n_maps: maps.len(),
                });
            }
            let is_ld_imm64 = program
                .insns
                .get(reloc.insn_idx)
                .is_some_and(|insn| insn.is_ld_imm64())
                && reloc.insn_idx + 1 < program.insns.len();
            if !is_ld_imm64 {
                return Err(ElfError::NotLdImm64 {
                    program: program.name.clone(),
                    insn_idx: reloc.insn_idx,
                });
            }
        }
    }
    Ok(())
}

/// Accepts the names the kernel's `bpf_obj_name_cpy` accepts, except the empty name.
fn check_name(name: &str) -> Result<(), ElfError> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.');
    if valid {
        Ok(())
    } else {
        Err(ElfError::InvalidName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use aya_obj::generated::{bpf_insn, bpf_map_type};
    use aya_obj::{Map, ProgramSection};
    use object::read::{Object as _, ObjectSection as _, ObjectSymbol as _};

    use super::*;
    use crate::insn::{AluOp, BPF_PSEUDO_MAP_FD, Helper, JmpOp, Reg};

    const BPF_MAP_TYPE_HASH: u32 = bpf_map_type::BPF_MAP_TYPE_HASH as u32;
    const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = bpf_map_type::BPF_MAP_TYPE_PERCPU_ARRAY as u32;
    const BPF_MAP_TYPE_RINGBUF: u32 = bpf_map_type::BPF_MAP_TYPE_RINGBUF as u32;

    fn map(name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef {
            name: name.to_owned(),
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
        }
    }

    /// `r1 = map; r2 = r10; r2 += -8; call bpf_map_lookup_elem` for each map, then `r0 = 0; exit`.
    fn program(name: &str, section: &str, map_idxs: &[usize]) -> ProgramObject {
        let mut insns = vec![Insn::st_mem(crate::insn::Size::DW, Reg::FP, -8, 0)];
        let mut map_relocs = Vec::new();
        for &map_idx in map_idxs {
            map_relocs.push(MapReloc {
                insn_idx: insns.len(),
                map_idx,
            });
            insns.extend(Insn::ld_map_fd(Reg::R1));
            insns.push(Insn::mov64_reg(Reg::R2, Reg::FP));
            insns.push(Insn::alu64_imm(AluOp::Add, Reg::R2, -8));
            insns.push(Insn::call(Helper::bpf_map_lookup_elem));
            insns.push(Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 0));
        }
        insns.push(Insn::mov64_imm(Reg::R0, 0));
        insns.push(Insn::exit());
        ProgramObject {
            name: name.to_owned(),
            section: section.to_owned(),
            insns,
            map_relocs,
        }
    }

    fn from_aya(insn: bpf_insn) -> Insn {
        Insn {
            code: insn.code,
            dst: insn.dst_reg(),
            src: insn.src_reg(),
            off: insn.off,
            imm: insn.imm,
        }
    }

    /// Parses `bytes` with aya-obj and relocates map `i` to fd `100 + i`, as `aya::EbpfLoader` does.
    fn parse_and_relocate(bytes: &[u8], maps: &[MapDef]) -> aya_obj::Object {
        let mut obj = aya_obj::Object::parse(bytes).expect("aya-obj parses the object");
        let text_sections: HashSet<usize> = obj.functions.keys().map(|key| key.0).collect();
        let parsed_maps = obj.maps.clone();
        let fds = maps.iter().enumerate().map(|(map_idx, map_def)| {
            let parsed = &parsed_maps[map_def.name.as_str()];
            (map_def.name.as_str(), 100 + map_idx as i32, parsed)
        });
        obj.relocate_maps(fds, &text_sections)
            .expect("aya-obj relocates the maps");
        obj.relocate_calls(&text_sections)
            .expect("aya-obj links the programs");
        obj
    }

    /// The program's instructions after relocation, as [`Insn`]s.
    fn relocated_insns(obj: &aya_obj::Object, name: &str) -> Vec<Insn> {
        let program = &obj.programs[name];
        obj.functions[&program.function_key()]
            .instructions
            .iter()
            .copied()
            .map(from_aya)
            .collect()
    }

    fn tracer_maps() -> Vec<MapDef> {
        vec![
            map("counts", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 64, 1),
            map("events", BPF_MAP_TYPE_RINGBUF, 0, 0, 1 << 20),
            MapDef {
                flags: 1,
                ..map("agg_0", BPF_MAP_TYPE_HASH, 16, 8, 10240)
            },
        ]
    }

    fn tracer_programs() -> Vec<ProgramObject> {
        vec![
            program("enter_0", "tracepoint/raw_syscalls/sys_enter", &[0, 1]),
            program("enter_1", "tracepoint/raw_syscalls/sys_enter", &[1]),
            program("switch", "raw_tp/sched_switch", &[2, 0, 1]),
            program("tick", "perf_event", &[]),
            program("openat", "kprobe/do_sys_openat2", &[2]),
        ]
    }

    #[test]
    fn programs_maps_and_relocations_round_trip_through_aya() {
        let maps = tracer_maps();
        let programs = tracer_programs();
        let bytes = write_object(&maps, &programs).expect("the object is written");
        let obj = parse_and_relocate(&bytes, &maps);

        assert_eq!(obj.license.to_str(), Ok("GPL"));
        let mut names: Vec<&str> = obj.programs.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["enter_0", "enter_1", "openat", "switch", "tick"]);
        let kinds: BTreeMap<&str, &str> = obj
            .programs
            .iter()
            .map(|(name, program)| {
                let kind = match program.section {
                    ProgramSection::TracePoint => "tracepoint",
                    ProgramSection::RawTracePoint => "raw_tp",
                    ProgramSection::PerfEvent => "perf_event",
                    ProgramSection::KProbe => "kprobe",
                    _ => "other",
                };
                (name.as_str(), kind)
            })
            .collect();
        assert_eq!(
            kinds,
            BTreeMap::from([
                ("enter_0", "tracepoint"),
                ("enter_1", "tracepoint"),
                ("openat", "kprobe"),
                ("switch", "raw_tp"),
                ("tick", "perf_event"),
            ])
        );

        assert_eq!(obj.maps.len(), maps.len());
        for map_def in &maps {
            let Map::Legacy(legacy) = &obj.maps[map_def.name.as_str()] else {
                panic!("map `{}` is not a legacy map", map_def.name);
            };
            let parsed = &obj.maps[map_def.name.as_str()];
            assert!(
                legacy.symbol_index.is_some(),
                "map `{}` has a symbol",
                map_def.name
            );
            assert_eq!(
                (
                    parsed.map_type(),
                    parsed.key_size(),
                    parsed.value_size(),
                    parsed.max_entries(),
                    parsed.map_flags(),
                ),
                (
                    map_def.map_type,
                    map_def.key_size,
                    map_def.value_size,
                    map_def.max_entries,
                    map_def.flags,
                ),
                "definition of map `{}`",
                map_def.name
            );
        }

        for program in &programs {
            let mut expected = program.insns.clone();
            for reloc in &program.map_relocs {
                expected[reloc.insn_idx].imm = 100 + reloc.map_idx as i32;
                expected[reloc.insn_idx].src = BPF_PSEUDO_MAP_FD;
            }
            assert_eq!(
                relocated_insns(&obj, &program.name),
                expected,
                "instructions of `{}`",
                program.name
            );
        }
    }

    #[test]
    fn the_elf_has_the_documented_layout() {
        let maps = tracer_maps();
        let programs = tracer_programs();
        let bytes = write_object(&maps, &programs).expect("the object is written");
        let file = object::read::File::parse(&*bytes).expect("the object parses");
        assert_eq!(file.architecture(), Architecture::Bpf);
        assert!(file.is_little_endian() && file.is_64());

        let license = file.section_by_name("license").expect("a license section");
        assert_eq!(license.data(), Ok(&b"GPL\0"[..]));
        let maps_section = file.section_by_name("maps").expect("a maps section");
        assert_eq!(maps_section.size(), 20 * maps.len() as u64);

        let program_sections: Vec<&str> = file
            .sections()
            .filter(|section| section.kind() == object::SectionKind::Text)
            .map(|section| section.name().expect("a section name"))
            .collect();
        assert_eq!(
            program_sections,
            [
                "tracepoint/raw_syscalls/sys_enter",
                "raw_tp/sched_switch",
                "perf_event",
                "kprobe/do_sys_openat2",
            ]
        );
        let shared = file
            .section_by_name("tracepoint/raw_syscalls/sys_enter")
            .expect("the shared section");
        let object::SectionFlags::Elf { sh_flags } = shared.flags() else {
            panic!("not ELF section flags");
        };
        assert_eq!(sh_flags, u64::from(elf::SHF_ALLOC | elf::SHF_EXECINSTR));
        let relocations: Vec<(u64, u32, String)> = shared
            .relocations()
            .map(|(offset, relocation)| {
                let RelocationFlags::Elf { r_type } = relocation.flags() else {
                    panic!("not an ELF relocation");
                };
                let object::RelocationTarget::Symbol(symbol) = relocation.target() else {
                    panic!("not a symbol relocation");
                };
                let name = file.symbol_by_index(symbol).expect("the symbol").name();
                (offset, r_type, name.expect("a symbol name").to_owned())
            })
            .collect();
        // enter_0 is 15 instructions long; enter_1 follows it at byte 120.
        assert_eq!(
            relocations,
            [
                (8, 1, "counts".to_owned()),
                (56, 1, "events".to_owned()),
                (128, 1, "events".to_owned()),
            ]
        );

        let symbols: Vec<(String, object::SymbolKind, u64, u64)> = file
            .symbols()
            .filter(object::ObjectSymbol::is_global)
            .map(|symbol| {
                let name = symbol.name().expect("a symbol name").to_owned();
                (name, symbol.kind(), symbol.address(), symbol.size())
            })
            .collect();
        assert!(symbols.contains(&("agg_0".to_owned(), SymbolKind::Data, 40, 20)));
        assert!(symbols.contains(&("enter_1".to_owned(), SymbolKind::Text, 120, 72)));
        assert_eq!(symbols.len(), maps.len() + programs.len());
    }

    #[test]
    fn an_object_without_maps_has_no_maps_section() {
        let programs = [program("tick", "perf_event", &[])];
        let bytes = write_object(&[], &programs).expect("the object is written");
        let file = object::read::File::parse(&*bytes).expect("the object parses");
        assert!(file.section_by_name("maps").is_none());
        let obj = parse_and_relocate(&bytes, &[]);
        assert!(obj.maps.is_empty());
        assert_eq!(relocated_insns(&obj, "tick"), programs[0].insns);
    }

    #[test]
    fn bad_input_is_an_error() {
        let maps = tracer_maps();
        let error = |maps: &[MapDef], programs: &[ProgramObject]| {
            write_object(maps, programs)
                .expect_err("the object is rejected")
                .to_string()
        };
        let tick = program("tick", "perf_event", &[]);

        let mut duplicate_maps = maps.clone();
        duplicate_maps.push(map("counts", BPF_MAP_TYPE_HASH, 8, 8, 1));
        assert_eq!(error(&duplicate_maps, &[]), "two maps are named `counts`");
        assert_eq!(
            error(&[map("@counts", BPF_MAP_TYPE_HASH, 8, 8, 1)], &[]),
            "invalid object name `@counts`: only letters, digits, `_` and `.` are allowed"
        );
        assert_eq!(
            error(&maps, &[tick.clone(), tick.clone()]),
            "two programs are named `tick`"
        );
        for section in ["", "/x", "maps/x", ".text", "license"] {
            let bad = ProgramObject {
                section: section.to_owned(),
                ..tick.clone()
            };
            assert_eq!(
                error(&maps, &[bad]),
                format!(
                    "program `tick` has section `{section}`, which is not a program section name"
                )
            );
        }
        let empty = ProgramObject {
            insns: Vec::new(),
            ..tick.clone()
        };
        assert_eq!(error(&maps, &[empty]), "program `tick` has no instructions");
        let unknown_map = program("lookup", "raw_tp/x", &[3]);
        assert_eq!(
            error(&maps, &[unknown_map]),
            "program `lookup` refers to map 3, but there are only 3 maps"
        );
        let mut not_ld = program("lookup", "raw_tp/x", &[0]);
        not_ld.map_relocs[0].insn_idx = 3;
        assert_eq!(
            error(&maps, &[not_ld]),
            "program `lookup` has a map relocation at instruction 3, which is not an ld_imm64"
        );
        let mut cut = program("lookup", "raw_tp/x", &[0]);
        cut.insns.truncate(2);
        assert_eq!(
            error(&maps, &[cut]),
            "program `lookup` has a map relocation at instruction 1, which is not an ld_imm64"
        );
    }
}

//! What the `pid` and USDT providers read from an ELF file: its functions (symbol table and
//! dynamic symbols) at the file offsets uprobes take, its interpreter and the libraries it needs.

use object::read::elf::{Dyn as _, ElfFile64, ProgramHeader as _};
use object::{Endianness, Object as _, ObjectSegment as _, ObjectSymbol as _, SymbolKind, elf};

use d_frontend::provider::UserFunction;

/// A parsed ELF file's segments, to turn addresses into file offsets.
pub(crate) struct Segments(Vec<(u64, u64, u64)>);

impl Segments {
    /// The loaded segments of `file`: (address, size in the file, file offset).
    pub(crate) fn of(file: &ElfFile64<'_, Endianness>) -> Segments {
        Segments(
            file.segments()
                .map(|segment| {
                    let (offset, size) = segment.file_range();
                    (segment.address(), size, offset)
                })
                .collect(),
        )
    }

    /// The file offset of the byte at `address`, or `None` when no segment holds it in the file.
    pub(crate) fn file_offset(&self, address: u64) -> Option<u64> {
        self.0
            .iter()
            .find(|(start, size, _)| (*start..start + size).contains(&address))
            .map(|(start, _, offset)| address - start + offset)
    }
}

/// The file offset of the byte the ELF file `data` loads at `address`.
pub(crate) fn address_offset(data: &[u8], address: u64) -> Option<u64> {
    let file = ElfFile64::<Endianness>::parse(data).ok()?;
    Segments::of(&file).file_offset(address)
}

/// The defined functions of the ELF file `data`, sorted by name, each name once (the symbol
/// table's first, then the dynamic symbols').
pub(crate) fn functions(data: &[u8]) -> Vec<UserFunction> {
    let Ok(file) = ElfFile64::<Endianness>::parse(data) else {
        return Vec::new();
    };
    let segments = Segments::of(&file);
    let mut functions: Vec<UserFunction> = file
        .symbols()
        .chain(file.dynamic_symbols())
        .filter(|symbol| {
            symbol.kind() == SymbolKind::Text && symbol.is_definition() && symbol.size() > 0
        })
        .filter_map(|symbol| {
            Some(UserFunction {
                name: symbol.name().ok()?.to_owned(),
                file_offset: segments.file_offset(symbol.address())?,
                size: symbol.size(),
            })
        })
        .collect();
    // A stable sort keeps the symbol table's entry of a name before the dynamic one.
    functions.sort_by(|left, right| left.name.cmp(&right.name));
    functions.dedup_by(|later, earlier| later.name == earlier.name);
    functions
}

/// The program interpreter (`PT_INTERP`) and the `DT_NEEDED` libraries of the ELF file `data`,
/// with its `DT_RUNPATH` or `DT_RPATH` directories.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Dependencies {
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub run_path: Vec<String>,
}

pub(crate) fn dependencies(data: &[u8]) -> Dependencies {
    let Ok(file) = ElfFile64::<Endianness>::parse(data) else {
        return Dependencies::default();
    };
    let endian = file.endian();
    let mut found = Dependencies::default();
    for header in file.elf_program_headers() {
        if header.p_type(endian) == elf::PT_INTERP
            && let Ok(bytes) = header.data(endian, data)
        {
            let path = bytes.split(|byte| *byte == 0).next().unwrap_or_default();
            found.interpreter = Some(String::from_utf8_lossy(path).into_owned());
        }
    }
    let sections = file.elf_section_table();
    let Ok(Some((entries, strings_idx))) = sections.dynamic(endian, data) else {
        return found;
    };
    let Ok(strings) = sections.strings(endian, data, strings_idx) else {
        return found;
    };
    for entry in entries {
        let tag = entry.d_tag(endian);
        let Ok(text) = strings.get(entry.d_val(endian) as u32) else {
            continue;
        };
        let text = String::from_utf8_lossy(text).into_owned();
        match tag {
            elf::DT_NEEDED => found.needed.push(text),
            elf::DT_RUNPATH | elf::DT_RPATH => {
                found.run_path.extend(text.split(':').map(str::to_owned));
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test binary itself: a real ELF file with symbols and libraries.
    fn own_binary() -> Vec<u8> {
        std::fs::read("/proc/self/exe").expect("read this test binary")
    }

    #[test]
    fn functions_are_found_at_their_file_offsets() {
        let data = own_binary();
        let functions = functions(&data);
        assert!(functions.windows(2).all(|pair| pair[0].name < pair[1].name));
        let main = functions
            .iter()
            .find(|function| function.name == "main")
            .expect("the binary has main");
        assert!(main.size > 0);
        assert!((main.file_offset as usize) < data.len());
        let file = ElfFile64::<Endianness>::parse(&*data).expect("an ELF file");
        let main_address = file
            .symbols()
            .find(|symbol| symbol.name() == Ok("main"))
            .expect("main is in the symbol table")
            .address();
        assert_eq!(address_offset(&data, main_address), Some(main.file_offset));
        assert_eq!(address_offset(&data, u64::MAX - 1), None);
    }

    #[test]
    fn a_dynamic_executable_needs_libc_and_an_interpreter() {
        let found = dependencies(&own_binary());
        assert!(
            found.needed.iter().any(|name| name.starts_with("libc.so")),
            "{found:?}"
        );
        assert!(
            found
                .interpreter
                .is_some_and(|path| path.contains("ld-linux"))
        );
    }

    #[test]
    fn garbage_has_no_functions() {
        assert_eq!(functions(b"not an ELF file"), []);
        assert_eq!(dependencies(b"\x7fELF"), Dependencies::default());
    }
}

//! `SystemTap` SDT notes: the `.note.stapsdt` section `<sys/sdt.h>` fills, one note per probe site.
//!
//! Each note (owner `stapsdt`, type 3) describes one site: three addresses (the site, the
//! `.stapsdt.base` section as linked, the semaphore or 0) and three NUL-terminated strings
//! (provider, name, arguments). If the file was prelinked, the addresses moved by the difference
//! between the base section's address now and the one recorded; the site and the semaphore are
//! then turned into the file offsets uprobes take.

use object::read::elf::ElfFile64;
use object::{Endianness, Object as _, ObjectSection as _};

use d_frontend::provider::{SdtNote, UserFunction};

use super::elf::Segments;

/// The note type of an SDT probe (`NT_STAPSDT`).
const NT_STAPSDT: u32 = 3;

/// One note as recorded, addresses unadjusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawNote {
    pub pc: u64,
    pub base: u64,
    pub semaphore: u64,
    pub provider: String,
    pub name: String,
    pub args: String,
}

/// The SDT notes of the ELF file `data`, with the function (from `functions`, sorted by name)
/// holding each site.
pub(crate) fn notes(data: &[u8], functions: &[UserFunction]) -> Vec<SdtNote> {
    let Ok(file) = ElfFile64::<Endianness>::parse(data) else {
        return Vec::new();
    };
    let Some(section) = file.section_by_name(".note.stapsdt") else {
        return Vec::new();
    };
    let Ok(bytes) = section.data() else {
        return Vec::new();
    };
    let base_now = file
        .section_by_name(".stapsdt.base")
        .map(|section| section.address());
    let segments = Segments::of(&file);
    parse_notes(bytes)
        .into_iter()
        .filter_map(|note| {
            let shift = base_now.map_or(0, |base| base.wrapping_sub(note.base));
            let file_offset = segments.file_offset(note.pc.wrapping_add(shift))?;
            let semaphore_offset = match note.semaphore {
                0 => 0,
                semaphore => segments.file_offset(semaphore.wrapping_add(shift))?,
            };
            let function = functions
                .iter()
                .find(|function| {
                    (function.file_offset..function.file_offset + function.size)
                        .contains(&file_offset)
                })
                .map(|function| function.name.clone())
                .unwrap_or_default();
            Some(SdtNote {
                provider: note.provider,
                name: note.name,
                function,
                file_offset,
                semaphore_offset,
                args: note.args,
            })
        })
        .collect()
}

/// Parses the notes of a `.note.stapsdt` section; a damaged note ends the list.
pub(crate) fn parse_notes(mut bytes: &[u8]) -> Vec<RawNote> {
    let mut notes = Vec::new();
    while bytes.len() >= 12 {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let (name_size, desc_size, note_type) = (word(0) as usize, word(4) as usize, word(8));
        let desc_start = 12 + name_size.next_multiple_of(4);
        let end = desc_start + desc_size.next_multiple_of(4);
        if end > bytes.len() || desc_start + desc_size > bytes.len() {
            break;
        }
        let owner = &bytes[12..12 + name_size];
        if note_type == NT_STAPSDT
            && owner == b"stapsdt\0"
            && let Some(note) = parse_desc(&bytes[desc_start..desc_start + desc_size])
        {
            notes.push(note);
        }
        bytes = &bytes[end..];
    }
    notes
}

fn parse_desc(desc: &[u8]) -> Option<RawNote> {
    let address = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(desc.get(at..at + 8)?.try_into().ok()?))
    };
    let (pc, base, semaphore) = (address(0)?, address(8)?, address(16)?);
    let mut strings = desc.get(24..)?.split(|byte| *byte == 0);
    let mut text = || {
        strings
            .next()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    };
    Some(RawNote {
        pc,
        base,
        semaphore,
        provider: text()?,
        name: text()?,
        args: text()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One note as `<sys/sdt.h>` lays it out.
    fn note(pc: u64, semaphore: u64, strings: &[&str]) -> Vec<u8> {
        let mut desc = Vec::new();
        for address in [pc, 0x3000, semaphore] {
            desc.extend(address.to_le_bytes());
        }
        for text in strings {
            desc.extend(text.as_bytes());
            desc.push(0);
        }
        let mut bytes = Vec::new();
        bytes.extend(8u32.to_le_bytes());
        bytes.extend((desc.len() as u32).to_le_bytes());
        bytes.extend(NT_STAPSDT.to_le_bytes());
        bytes.extend(b"stapsdt\0");
        let desc_len = desc.len();
        bytes.extend(desc);
        bytes.resize(bytes.len() + desc_len.next_multiple_of(4) - desc_len, 0);
        bytes
    }

    #[test]
    fn notes_give_addresses_and_strings() {
        let mut section = note(0x1139, 0x4010, &["app", "tick", "-4@%edi 8@%rsi"]);
        section.extend(note(0x1150, 0, &["app", "done", ""]));
        let notes = parse_notes(&section);
        assert_eq!(
            notes,
            [
                RawNote {
                    pc: 0x1139,
                    base: 0x3000,
                    semaphore: 0x4010,
                    provider: "app".to_owned(),
                    name: "tick".to_owned(),
                    args: "-4@%edi 8@%rsi".to_owned(),
                },
                RawNote {
                    pc: 0x1150,
                    base: 0x3000,
                    semaphore: 0,
                    provider: "app".to_owned(),
                    name: "done".to_owned(),
                    args: String::new(),
                },
            ]
        );
    }

    #[test]
    fn damaged_notes_end_the_list() {
        let mut section = note(0x1139, 0, &["app", "tick", ""]);
        section.extend(&[1, 0, 0, 0, 200, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(parse_notes(&section).len(), 1);
        assert_eq!(parse_notes(&note(1, 0, &["only-provider"])), []);
        assert_eq!(parse_notes(&[0; 5]), []);
    }
}

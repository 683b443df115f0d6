//! Formatting `print()`'s record as libdtrace does: `0xADDR = *`, then the pointee with its type,
//! one `.member = (type)value,` line per shown value, indented from column 44 by nesting depth.
//!
//! Members whose bytes are all zero are left out (the top-level value is always shown), a `char`
//! array stops at its first NUL, and the walk stops with `...` at the first member at or past
//! `printsize` bytes or nested too deep.

use std::fmt::Write as _;

use d_frontend::ir::{PrintKind, PrintType};

/// The column the value starts at, as libdtrace's `DT_PRINT_STARTINDENT`.
const START_INDENT: usize = 44;

/// The text `print()` shows for the pointer `address` to the recorded `bytes` of type `ty`, of
/// which only the first `limit` bytes (the `printsize` option) are shown.
pub fn format(ty: &PrintType, address: u64, bytes: &[u8], limit: usize) -> String {
    let mut walk = Walk {
        out: format!("{address:#x} = *\n"),
        bytes,
        limit: limit.min(bytes.len()),
        structs: Vec::new(),
        last_depth: 0,
        stopped: false,
    };
    walk.visit(None, ty, 0, 0, 0);
    walk.close(0);
    walk.out
}

struct Walk<'a> {
    out: String,
    bytes: &'a [u8],
    limit: usize,
    /// For each depth, whether the last value shown there was a struct or union.
    structs: Vec<bool>,
    /// The depth of the last value shown.
    last_depth: usize,
    /// Set once the walk reached `limit` or the depth limit.
    stopped: bool,
}

impl Walk<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        let _ = writeln!(
            self.out,
            "{:width$}{text}",
            "",
            width = START_INDENT + depth
        );
    }

    /// Closes the braces of structs and unions shown deeper than `depth`.
    fn close(&mut self, depth: usize) {
        if !self.structs.get(depth).copied().unwrap_or(false) {
            return;
        }
        if depth == 0 && self.last_depth == 0 {
            self.last_depth = 1;
        }
        for level in (1..=self.last_depth.saturating_sub(depth)).rev() {
            let comma = if depth > 0 || level > 1 { "," } else { "" };
            self.line(depth + level - 1, &format!("}}{comma}"));
            self.last_depth = depth;
        }
    }

    fn visit(
        &mut self,
        name: Option<&str>,
        ty: &PrintType,
        bit_offset: u32,
        bit_size: u32,
        depth: usize,
    ) {
        if self.stopped {
            return;
        }
        let start = (bit_offset / 8) as usize;
        if start >= self.limit || matches!(ty.kind, PrintKind::TooDeep) {
            self.line(depth, "...");
            self.stopped = true;
            return;
        }
        if self.last_depth > depth {
            self.close(depth);
        }
        let end = (start + ty.size as usize).min(self.bytes.len());
        let data = &self.bytes[start..end];
        if depth > 0 && bit_size == 0 && data.iter().all(|&byte| byte == 0) {
            return;
        }
        let value = match &ty.kind {
            PrintKind::Struct { .. } => format!("({}) {{", ty.name),
            PrintKind::Array { len, .. } => {
                format!("({}) [{}", ty.name, if *len == 0 { "]," } else { "" })
            }
            PrintKind::Int { signed } => {
                let Some(value) = int_value(self.bytes, bit_offset, bit_size, ty.size, *signed)
                else {
                    return;
                };
                if ty.name == "char" {
                    format!("({})'{}',", ty.name, char::from(self.bytes[start]))
                } else {
                    format!("({}){value},", ty.name)
                }
            }
            PrintKind::Pointer => {
                let value = int_value(self.bytes, bit_offset, 0, 8, false).unwrap_or(0);
                format!("({}){value:#x},", ty.name)
            }
            PrintKind::TooDeep | PrintKind::Other => return,
        };
        if self.structs.len() <= depth {
            self.structs.resize(depth + 1, false);
        }
        self.structs[depth] = matches!(ty.kind, PrintKind::Struct { .. });
        self.last_depth = depth;
        let member = match name {
            Some(name) if depth > 0 && !name.is_empty() => format!(".{name} = "),
            _ => String::new(),
        };
        self.line(depth, &format!("{member}{value}"));
        match &ty.kind {
            PrintKind::Struct { members } => {
                for member in members {
                    let offset = bit_offset + member.bit_offset;
                    self.visit(
                        Some(&member.name),
                        &member.ty,
                        offset,
                        member.bit_size,
                        depth + 1,
                    );
                }
            }
            PrintKind::Array { element, len } => self.elements(element, *len, bit_offset, depth),
            _ => {}
        }
    }

    /// An array's elements, one a line, then its closing `],`; a `char` array stops at a NUL.
    fn elements(&mut self, element: &PrintType, len: u32, bit_offset: u32, depth: usize) {
        let start = (bit_offset / 8) as usize;
        let end = (start + element.size.saturating_mul(len) as usize).min(self.bytes.len());
        if self.bytes[start..end].iter().all(|&byte| byte == 0) {
            return;
        }
        let is_char = element.size == 1 && element.name.ends_with("char");
        let last_depth = self.last_depth;
        for index in 0..len {
            let offset =
                bit_offset.saturating_add(index.saturating_mul(element.size).saturating_mul(8));
            if is_char && self.bytes.get((offset / 8) as usize) == Some(&0) {
                break;
            }
            self.visit(None, element, offset, 0, depth + 1);
            if self.stopped {
                return;
            }
        }
        if self.last_depth > depth + 1 {
            self.close(depth + 1);
        }
        self.last_depth = last_depth;
        if len > 0 {
            self.line(depth, "],");
        }
    }
}

/// The integer of `size` bytes (or the bitfield of `bit_size` bits) at `bit_offset`; `None` for a
/// zero bitfield, which is not shown.
fn int_value(
    bytes: &[u8],
    bit_offset: u32,
    bit_size: u32,
    size: u32,
    signed: bool,
) -> Option<i128> {
    let start = (bit_offset / 8) as usize;
    let mut word = [0u8; 8];
    let available = bytes.len().saturating_sub(start).min(8);
    word[..available].copy_from_slice(&bytes[start..start + available]);
    let raw = u64::from_le_bytes(word);
    if bit_size > 0 {
        let shifted = raw >> (bit_offset % 8);
        let value = if bit_size >= 64 {
            shifted
        } else {
            shifted & ((1 << bit_size) - 1)
        };
        return (value != 0).then_some(i128::from(value));
    }
    let bits = size.clamp(1, 8) * 8;
    let unsigned = if bits == 64 {
        raw
    } else {
        raw & ((1 << bits) - 1)
    };
    if !signed {
        return Some(i128::from(unsigned));
    }
    let shift = 64 - bits;
    Some(i128::from((unsigned << shift).cast_signed() >> shift))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use d_frontend::ir::{PrintKind, PrintMember, PrintType};

    use super::format;

    fn int(name: &str, size: u32, signed: bool) -> PrintType {
        PrintType {
            name: name.to_owned(),
            size,
            kind: PrintKind::Int { signed },
        }
    }

    fn member(name: &str, bit_offset: u32, ty: PrintType) -> PrintMember {
        PrintMember {
            name: name.to_owned(),
            bit_offset,
            bit_size: 0,
            ty,
        }
    }

    fn structure(name: &str, size: u32, members: Vec<PrintMember>) -> PrintType {
        PrintType {
            name: name.to_owned(),
            size,
            kind: PrintKind::Struct { members },
        }
    }

    /// `struct s { int a; char b[3]; struct { long c; void *d; } in; unsigned short e; }`.
    fn sample() -> PrintType {
        let chars = PrintType {
            name: "char [3]".to_owned(),
            size: 3,
            kind: PrintKind::Array {
                element: Box::new(int("char", 1, true)),
                len: 3,
            },
        };
        let pointer = PrintType {
            name: "void *".to_owned(),
            size: 8,
            kind: PrintKind::Pointer,
        };
        let inner = structure(
            "struct",
            16,
            vec![
                member("c", 0, int("long", 8, true)),
                member("d", 64, pointer),
            ],
        );
        structure(
            "struct s",
            32,
            vec![
                member("a", 0, int("int", 4, true)),
                member("b", 32, chars),
                member("in", 64, inner),
                member("e", 192, int("unsigned short", 2, false)),
            ],
        )
    }

    fn sample_bytes() -> Vec<u8> {
        let mut bytes = vec![0u8; 32];
        bytes[..4].copy_from_slice(&(-5i32).to_le_bytes());
        bytes[4..6].copy_from_slice(b"hi");
        bytes[8..16].copy_from_slice(&(-7i64).to_le_bytes());
        bytes[16..24].copy_from_slice(&0xfeed_u64.to_le_bytes());
        bytes[24..26].copy_from_slice(&65535u16.to_le_bytes());
        bytes
    }

    fn indented(lines: &[(usize, &str)]) -> String {
        let mut out = String::new();
        for (depth, text) in lines {
            let _ = writeln!(out, "{:width$}{text}", "", width = 44 + depth);
        }
        out
    }

    #[test]
    fn members_print_by_depth_with_their_types() {
        let expected = String::from("0x1000 = *\n")
            + &indented(&[
                (0, "(struct s) {"),
                (1, ".a = (int)-5,"),
                (1, ".b = (char [3]) ["),
                (2, "(char)'h',"),
                (2, "(char)'i',"),
                (1, "],"),
                (1, ".in = (struct) {"),
                (2, ".c = (long)-7,"),
                (2, ".d = (void *)0xfeed,"),
                (1, "},"),
                (1, ".e = (unsigned short)65535,"),
                (0, "}"),
            ]);
        assert_eq!(format(&sample(), 0x1000, &sample_bytes(), 8192), expected);
    }

    #[test]
    fn zeroed_members_are_left_out_but_the_top_level_struct_is_shown() {
        let mut bytes = sample_bytes();
        bytes[8..16].fill(0);
        bytes[24..26].fill(0);
        let expected = String::from("0x10 = *\n")
            + &indented(&[
                (0, "(struct s) {"),
                (1, ".a = (int)-5,"),
                (1, ".b = (char [3]) ["),
                (2, "(char)'h',"),
                (2, "(char)'i',"),
                (1, "],"),
                (1, ".in = (struct) {"),
                (2, ".d = (void *)0xfeed,"),
                (1, "},"),
                (0, "}"),
            ]);
        assert_eq!(format(&sample(), 0x10, &bytes, 8192), expected);
        let empty = String::from("0x10 = *\n") + &indented(&[(0, "(struct s) {"), (0, "}")]);
        assert_eq!(format(&sample(), 0x10, &[0; 32], 8192), empty);
    }

    #[test]
    fn printsize_truncates_with_an_ellipsis_and_closes_open_braces() {
        let expected = String::from("0x10 = *\n")
            + &indented(&[
                (0, "(struct s) {"),
                (1, ".a = (int)-5,"),
                (1, ".b = (char [3]) ["),
                (2, "(char)'h',"),
                (2, "(char)'i',"),
                (1, "],"),
                (1, "..."),
                (0, "}"),
            ]);
        assert_eq!(format(&sample(), 0x10, &sample_bytes(), 8), expected);
        let inside = String::from("0x10 = *\n")
            + &indented(&[
                (0, "(struct s) {"),
                (1, ".a = (int)-5,"),
                (1, ".b = (char [3]) ["),
                (2, "(char)'h',"),
                (2, "(char)'i',"),
                (1, "],"),
                (1, ".in = (struct) {"),
                (2, ".c = (long)-7,"),
                (2, "..."),
                (1, "},"),
                (0, "}"),
            ]);
        assert_eq!(format(&sample(), 0x10, &sample_bytes(), 16), inside);
    }

    #[test]
    fn bitfields_and_unsigned_64_bit_values_print_in_full() {
        let ty = structure(
            "struct f",
            16,
            vec![
                PrintMember {
                    name: "lo".to_owned(),
                    bit_offset: 0,
                    bit_size: 3,
                    ty: int("unsigned int", 4, false),
                },
                PrintMember {
                    name: "hi".to_owned(),
                    bit_offset: 3,
                    bit_size: 5,
                    ty: int("unsigned int", 4, false),
                },
                member("big", 64, int("unsigned long", 8, false)),
            ],
        );
        let mut bytes = vec![0u8; 16];
        bytes[0] = 0b1010_1101;
        bytes[8..].copy_from_slice(&u64::MAX.to_le_bytes());
        let expected = String::from("0x8 = *\n")
            + &indented(&[
                (0, "(struct f) {"),
                (1, ".lo = (unsigned int)5,"),
                (1, ".hi = (unsigned int)21,"),
                (1, ".big = (unsigned long)18446744073709551615,"),
                (0, "}"),
            ]);
        assert_eq!(format(&ty, 8, &bytes, 8192), expected);
    }

    #[test]
    fn struct_elements_of_an_array_close_their_braces() {
        let point = structure(
            "struct p",
            8,
            vec![
                member("x", 0, int("int", 4, true)),
                member("y", 32, int("int", 4, true)),
            ],
        );
        let ty = structure(
            "struct w",
            20,
            vec![
                member(
                    "pts",
                    0,
                    PrintType {
                        name: "struct p [2]".to_owned(),
                        size: 16,
                        kind: PrintKind::Array {
                            element: Box::new(point),
                            len: 2,
                        },
                    },
                ),
                member("n", 128, int("int", 4, true)),
            ],
        );
        let mut bytes = vec![0u8; 20];
        bytes[0] = 1;
        bytes[12] = 2;
        bytes[16] = 3;
        let expected = String::from("0x8 = *\n")
            + &indented(&[
                (0, "(struct w) {"),
                (1, ".pts = (struct p [2]) ["),
                (2, "(struct p) {"),
                (3, ".x = (int)1,"),
                (2, "},"),
                (2, "(struct p) {"),
                (3, ".y = (int)2,"),
                (2, "},"),
                (1, "],"),
                (1, ".n = (int)3,"),
                (0, "}"),
            ]);
        assert_eq!(format(&ty, 8, &bytes, 8192), expected);
    }

    #[test]
    fn a_scalar_pointee_prints_alone() {
        let expected = String::from("0x20 = *\n") + &indented(&[(0, "(int)42,")]);
        assert_eq!(
            format(&int("int", 4, true), 0x20, &42i32.to_le_bytes(), 8192),
            expected
        );
    }
}

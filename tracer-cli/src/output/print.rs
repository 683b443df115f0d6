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
        let end = (start + (element.size * len) as usize).min(self.bytes.len());
        if self.bytes[start..end].iter().all(|&byte| byte == 0) {
            return;
        }
        let is_char = element.size == 1 && element.name.ends_with("char");
        let last_depth = self.last_depth;
        for index in 0..len {
            let offset = bit_offset + index * element.size * 8;
            if is_char && self.bytes.get((offset / 8) as usize) == Some(&0) {
                break;
            }
            self.visit(None, element, offset, 0, depth + 1);
            if self.stopped {
                return;
            }
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

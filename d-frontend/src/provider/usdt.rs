//! USDT probes: `PROVIDERPID:MODULE:FUNCTION:NAME` for the `SystemTap` SDT notes (`.note.stapsdt`)
//! of the files process `PID` maps, which is how Linux programs and glibc ship static probes.
//!
//! Each note gives a provider, a name, the address of the probe site (a `nop` in the code), an
//! optional semaphore (a counter the program checks before computing arguments, which the engine
//! raises while the probe is enabled) and the arguments as assembler operands, `-4@%edi` or
//! `8@-16(%rbp)`: a size in bytes, negative when signed, then a register, a memory operand off a
//! register or an immediate. The probe's function is the symbol holding the site, and the sites of
//! one provider, function and name in one file make one probe. A `__` in a note's name is a dash
//! in the probe's, as DTrace spells names from provider definitions (`function-entry`).
//!
//! `args[]` are integers of the sizes the note gives; the trampoline reads each one from the
//! probe's `pt_regs` or through the register it is relative to.

use super::catalog::{ProbeCatalog, SdtNote};
use super::pid::{UserProbeSpec, matching_modules};
use super::{ArgFetch, ArgType, MAX_ARGS, ProbeArg, ProbeDesc, ProbeKind, field_matches};

/// A place in a process's code where a uprobe fires a probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UprobeSite {
    /// The process.
    pub pid: u32,
    /// The file mapped into it.
    pub path: String,
    /// The offset of the probed instruction in the file.
    pub file_offset: u64,
    /// The file offset of a USDT semaphore to raise while the probe is enabled, or 0.
    pub semaphore_offset: u64,
    /// Where a USDT probe's arguments are, `arg0` first; empty for `pid` probes, whose arguments
    /// are the function's.
    pub args: Vec<UsdtArg>,
}

/// One USDT argument: an integer of `size` bytes at `location`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsdtArg {
    /// Its size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// Whether it is sign-extended.
    pub signed: bool,
    /// Where its value is.
    pub location: UsdtLocation,
}

/// Where a USDT argument's value is when the probe fires (x86-64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsdtLocation {
    /// A constant.
    Constant(i64),
    /// A register, by its byte offset in `struct pt_regs`.
    Register {
        /// The offset.
        offset: u16,
    },
    /// User memory at a register's value plus a displacement.
    Memory {
        /// The register's offset in `struct pt_regs`.
        base: u16,
        /// The displacement.
        displacement: i32,
    },
}

/// The provider name and process ID of a USDT provider name (`libc1234`), or `None` when the
/// name does not end in a process ID or is a `pid` provider's.
pub(super) fn provider_pid(provider: &str) -> Option<(&str, u32)> {
    let name = provider.trim_end_matches(|ch: char| ch.is_ascii_digit());
    if name.is_empty() || name == "pid" || name.len() == provider.len() {
        return None;
    }
    if super::is_glob(name) {
        return None;
    }
    let pid = provider[name.len()..].parse().ok()?;
    Some((name, pid))
}

/// The USDT probes of `provider` in process `pid` that `desc` describes; the process must exist.
pub(super) fn matching(
    desc: &ProbeDesc,
    provider: &str,
    pid: u32,
    catalog: &dyn ProbeCatalog,
) -> Vec<UserProbeSpec> {
    let Some(modules) = catalog.user_modules(pid) else {
        return Vec::new();
    };
    let module_pattern = if desc.module.is_empty() {
        "*"
    } else {
        &desc.module
    };
    let mut specs = Vec::new();
    for module in matching_modules(&modules, module_pattern) {
        for note in catalog.sdt_notes(&module.path) {
            let name = probe_name(&note.name);
            if note.provider != provider
                || !field_matches(&desc.function, &note.function)
                || !field_matches(&desc.name, &name)
            {
                continue;
            }
            specs.push(UserProbeSpec {
                desc: ProbeDesc {
                    provider: desc.provider.clone(),
                    module: module.name().to_string(),
                    function: note.function.clone(),
                    name,
                },
                kind: ProbeKind::Usdt,
                site: site(pid, &module.path, &note),
            });
        }
    }
    specs
}

/// A probe's name as DTrace spells it: the `__` of a name in a provider definition
/// (`function__entry`) is a dash (`function-entry`), as `dtrace -h` and `-G` turn it.
fn probe_name(note_name: &str) -> String {
    note_name.replace("__", "-")
}

fn site(pid: u32, path: &str, note: &SdtNote) -> UprobeSite {
    UprobeSite {
        pid,
        path: path.to_string(),
        file_offset: note.file_offset,
        semaphore_offset: note.semaphore_offset,
        args: parse_usdt_args(&note.args),
    }
}

/// The `args[]` of a USDT probe fired at `site`.
pub(super) fn args(site: &UprobeSite) -> Vec<ProbeArg> {
    site.args
        .iter()
        .map(|arg| {
            let sign = if arg.signed { "" } else { "u" };
            ProbeArg {
                native: format!("{sign}int{}_t", 8 * u32::from(arg.size)),
                name: String::new(),
                ty: ArgType::Int {
                    size: u32::from(arg.size),
                    signed: arg.signed,
                },
                fetch: ArgFetch::Slot,
            }
        })
        .collect()
}

/// Parses a note's argument string; parsing stops at the first operand it cannot read, so the
/// arguments before it are kept.
pub fn parse_usdt_args(text: &str) -> Vec<UsdtArg> {
    text.split_ascii_whitespace()
        .take(MAX_ARGS)
        .map_while(parse_arg)
        .collect()
}

fn parse_arg(text: &str) -> Option<UsdtArg> {
    let (size, operand) = text.split_once('@')?;
    let size: i8 = size.parse().ok()?;
    let signed = size < 0;
    let size = size.unsigned_abs();
    if !matches!(size, 1 | 2 | 4 | 8) {
        return None;
    }
    let location = if let Some(immediate) = operand.strip_prefix('$') {
        UsdtLocation::Constant(parse_int(immediate)?)
    } else if let Some(register) = operand.strip_prefix('%') {
        UsdtLocation::Register {
            offset: register_offset(register)?,
        }
    } else {
        let (displacement, rest) = operand.split_once('(')?;
        let register = rest.strip_suffix(')')?.strip_prefix('%')?;
        let displacement = if displacement.is_empty() {
            0
        } else {
            i32::try_from(parse_int(displacement)?).ok()?
        };
        UsdtLocation::Memory {
            base: register_offset(register)?,
            displacement,
        }
    };
    Some(UsdtArg {
        size,
        signed,
        location,
    })
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let value = match digits.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some(if negative { -value } else { value })
}

/// The byte offset in x86-64 `struct pt_regs` of a register named in any of its widths (`rdi`,
/// `edi`, `di`, `dil`, `r8d`); the high-byte registers (`ah`) are one byte in.
fn register_offset(name: &str) -> Option<u16> {
    const REGS: [(&str, u16); 17] = [
        ("r15", 0),
        ("r14", 8),
        ("r13", 16),
        ("r12", 24),
        ("bp", 32),
        ("bx", 40),
        ("r11", 48),
        ("r10", 56),
        ("r9", 64),
        ("r8", 72),
        ("ax", 80),
        ("cx", 88),
        ("dx", 96),
        ("si", 104),
        ("di", 112),
        ("ip", 128),
        ("sp", 152),
    ];
    let high_byte = match name {
        "ah" => Some("ax"),
        "bh" => Some("bx"),
        "ch" => Some("cx"),
        "dh" => Some("dx"),
        _ => None,
    };
    if let Some(full) = high_byte {
        return register_offset(full).map(|offset| offset + 1);
    }
    let base = if name.starts_with('r') && name[1..].starts_with(|ch: char| ch.is_ascii_digit()) {
        name.trim_end_matches(['d', 'w', 'b'])
    } else {
        let stripped = name.strip_prefix(['r', 'e']).unwrap_or(name);
        match stripped {
            "al" => "ax",
            "bl" => "bx",
            "cl" => "cx",
            "dl" => "dx",
            "sil" => "si",
            "dil" => "di",
            "bpl" => "bp",
            "spl" => "sp",
            other => other,
        }
    };
    REGS.iter()
        .find(|(reg, _)| *reg == base)
        .map(|&(_, offset)| offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(size: u8, signed: bool, location: UsdtLocation) -> UsdtArg {
        UsdtArg {
            size,
            signed,
            location,
        }
    }

    #[test]
    fn operands_of_every_kind_parse() {
        assert_eq!(
            parse_usdt_args("-4@%edi 8@-16(%rbp) 8@%rax 2@$7 1@%al -8@(%rsp) 4@%r9d 8@0x10(%r12)"),
            [
                arg(4, true, UsdtLocation::Register { offset: 112 }),
                arg(
                    8,
                    false,
                    UsdtLocation::Memory {
                        base: 32,
                        displacement: -16
                    }
                ),
                arg(8, false, UsdtLocation::Register { offset: 80 }),
                arg(2, false, UsdtLocation::Constant(7)),
                arg(1, false, UsdtLocation::Register { offset: 80 }),
                arg(
                    8,
                    true,
                    UsdtLocation::Memory {
                        base: 152,
                        displacement: 0
                    }
                ),
                arg(4, false, UsdtLocation::Register { offset: 64 }),
                arg(
                    8,
                    false,
                    UsdtLocation::Memory {
                        base: 24,
                        displacement: 16
                    }
                ),
            ]
        );
    }

    #[test]
    fn high_byte_registers_are_one_byte_in() {
        assert_eq!(register_offset("ah"), Some(81));
        assert_eq!(register_offset("bh"), Some(41));
        assert_eq!(register_offset("sil"), Some(104));
        assert_eq!(register_offset("r10w"), Some(56));
        assert_eq!(register_offset("xmm0"), None);
    }

    #[test]
    fn parsing_stops_at_an_unknown_operand() {
        assert_eq!(
            parse_usdt_args("8@%rdi 8@foo(%rip,%rax,8) 8@%rsi"),
            [arg(8, false, UsdtLocation::Register { offset: 112 })]
        );
        assert_eq!(parse_usdt_args("3@%rdi"), []);
        assert_eq!(parse_usdt_args(""), []);
    }

    #[test]
    fn double_underscores_are_dashes() {
        assert_eq!(probe_name("function__entry"), "function-entry");
        assert_eq!(probe_name("gc__start"), "gc-start");
        assert_eq!(probe_name("tick"), "tick");
    }

    #[test]
    fn provider_names_end_in_a_pid() {
        assert_eq!(provider_pid("libc1234"), Some(("libc", 1234)));
        assert_eq!(provider_pid("pid1234"), None);
        assert_eq!(provider_pid("libc"), None);
        assert_eq!(provider_pid("1234"), None);
        assert_eq!(provider_pid("lib*12"), None);
    }

    #[test]
    fn arguments_are_typed_by_size_and_sign() {
        let site = UprobeSite {
            pid: 1,
            path: String::new(),
            file_offset: 0,
            semaphore_offset: 0,
            args: parse_usdt_args("-4@%edi 8@%rsi"),
        };
        let args = args(&site);
        assert_eq!(args[0].native, "int32_t");
        assert_eq!(
            args[1].ty,
            ArgType::Int {
                size: 8,
                signed: false
            }
        );
    }
}

//! dtrace's layouts of stacks and symbolic addresses (libdtrace's `dt_print_stack`,
//! `dt_print_ustack`, `dt_print_sym`, `dt_print_mod`, `dt_print_usym`, `dt_print_umod` and the
//! `%a`, `%A` and `%k` conversions).
//!
//! A stack prints as a newline, then one line per frame, indented, each ``module`symbol+0xoffset``
//! (no offset at a symbol's first byte), ``module`0xaddress`` when only the module is known, or
//! `0xaddress`. A symbolic address prints after two spaces, left-aligned in 50 columns. The values
//! arrive symbolized by the consumer; these functions only lay them out.

use tracer_ebpf::layout::{StackValue, SymKind, SymValue, Symbol};

/// libdtrace's default indentation of stack frames (`_dtrace_stkindent`).
pub const DEFAULT_STACK_INDENT: u32 = 14;

/// One frame or address as ``module`symbol+0xoffset``.
pub fn address_text(addr: u64, symbol: Option<&Symbol>) -> String {
    match symbol {
        Some(Symbol {
            module,
            name: Some((name, 0)),
        }) => format!("{module}`{name}"),
        Some(Symbol {
            module,
            name: Some((name, offset)),
        }) => format!("{module}`{name}+{offset:#x}"),
        Some(Symbol { module, name: None }) => format!("{module}`{addr:#x}"),
        None => format!("{addr:#x}"),
    }
}

/// What a symbolic address prints as in `trace()` and aggregation keys: ``module`symbol`` for
/// `sym()` and `usym()`, the module for `mod()` and `umod()`, ``module`symbol+0xoffset`` for
/// `uaddr()`.
pub fn sym_text(sym: &SymValue) -> String {
    let symbol = sym.symbol.as_ref();
    match sym.kind {
        SymKind::Sym | SymKind::USym => match symbol {
            Some(Symbol {
                module,
                name: Some((name, _)),
            }) => format!("{module}`{name}"),
            _ => address_text(sym.addr, symbol),
        },
        SymKind::Mod | SymKind::UMod => match symbol {
            Some(symbol) => symbol.module.clone(),
            None => format!("{:#x}", sym.addr),
        },
        SymKind::UAddr => address_text(sym.addr, symbol),
    }
}

/// Writes a symbolic address as `trace()` and the default aggregation layout do.
pub fn write_sym(sym: &SymValue, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("  {:<50}", sym_text(sym)).as_bytes());
}

/// Writes a stack: a newline, then each frame on its own line, laid out by `frame` (which gets
/// the frame's text) after the stack's indentation.
pub fn write_stack_with(
    stack: &StackValue,
    indent: usize,
    out: &mut Vec<u8>,
    mut frame: impl FnMut(&str, &mut Vec<u8>),
) {
    out.push(b'\n');
    for (frame_idx, &addr) in stack.frames.iter().enumerate() {
        let symbol = stack.symbols.get(frame_idx).and_then(Option::as_ref);
        out.resize(out.len() + indent, b' ');
        frame(&address_text(addr, symbol), out);
        out.push(b'\n');
    }
}

/// Writes a stack as the `stack()` and `ustack()` actions and the default aggregation layout do.
pub fn write_stack(stack: &StackValue, out: &mut Vec<u8>) {
    write_stack_with(stack, stack.indent as usize, out, |text, out| {
        out.extend_from_slice(text.as_bytes());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(module: &str, name: Option<(&str, u64)>) -> Symbol {
        Symbol {
            module: module.to_string(),
            name: name.map(|(name, offset)| (name.to_string(), offset)),
        }
    }

    fn printed(stack: &StackValue) -> String {
        let mut out = Vec::new();
        write_stack(stack, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn stacks_print_one_indented_frame_per_line() {
        let stack = StackValue {
            pid: None,
            frames: vec![0xffff_0010, 0xffff_0200, 0xffff_3000, 0x1234],
            symbols: vec![
                Some(symbol("vmlinux", Some(("ksys_write", 0x10)))),
                Some(symbol("vmlinux", Some(("do_syscall_64", 0)))),
                Some(symbol("ext4", None)),
                None,
            ],
            indent: DEFAULT_STACK_INDENT,
        };
        assert_eq!(
            printed(&stack),
            "\n              vmlinux`ksys_write+0x10\n              vmlinux`do_syscall_64\n              ext4`0xffff3000\n              0x1234\n"
        );
        let empty = StackValue {
            pid: Some(1),
            frames: Vec::new(),
            symbols: Vec::new(),
            indent: 3,
        };
        assert_eq!(printed(&empty), "\n");
    }

    #[test]
    fn symbolic_addresses_print_by_kind() {
        let sym = |kind, symbol| SymValue {
            kind,
            pid: None,
            addr: 0x4000,
            symbol,
        };
        let main = Some(symbol("prog", Some(("main", 0x1c))));
        assert_eq!(sym_text(&sym(SymKind::USym, main.clone())), "prog`main");
        assert_eq!(
            sym_text(&sym(SymKind::UAddr, main.clone())),
            "prog`main+0x1c"
        );
        assert_eq!(sym_text(&sym(SymKind::UMod, main)), "prog");
        assert_eq!(sym_text(&sym(SymKind::Sym, None)), "0x4000");
        assert_eq!(sym_text(&sym(SymKind::Mod, None)), "0x4000");
        assert_eq!(
            sym_text(&sym(SymKind::Sym, Some(symbol("vmlinux", None)))),
            "vmlinux`0x4000"
        );
        let mut out = Vec::new();
        write_sym(&sym(SymKind::Mod, Some(symbol("vmlinux", None))), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("  {:<50}", "vmlinux")
        );
    }
}

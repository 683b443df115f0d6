//! Stacks and symbolic addresses in JSON: the `stack` and `symbol` typed values of `-O json`.
//!
//! The values arrive symbolized by the consumer, as the text layouts of `stack` get them. Where
//! the text prints ``module`symbol+0xoffset`` (or less when less is known), JSON gives each part
//! its own member, and the address always: a frame whose symbol is unknown has only its module,
//! one outside every module only its address. A symbolic address carries everything known about
//! it, whatever its `kind`; the kind says which part the text output shows (the module alone for
//! `mod()`, for instance).

use tracer_ebpf::layout::{StackValue, SymKind, SymValue, Symbol};

use super::jsont::{Frame, Stack, Symbolic};

/// The JSON value of a stack: its frames, innermost first.
pub fn stack(value: &StackValue) -> Stack {
    Stack {
        kind: if value.pid.is_some() {
            "user"
        } else {
            "kernel"
        },
        pid: value.pid,
        frames: value
            .frames
            .iter()
            .enumerate()
            .map(|(frame_idx, &addr)| {
                let symbol = value.symbols.get(frame_idx).and_then(Option::as_ref);
                frame(addr, symbol)
            })
            .collect(),
    }
}

/// The JSON value of a symbolic address.
pub fn symbolic(value: &SymValue) -> Symbolic {
    Symbolic {
        kind: kind_name(value.kind),
        pid: value.pid,
        location: frame(value.addr, value.symbol.as_ref()),
    }
}

/// Address `addr` and what is known of where it is.
fn frame(addr: u64, symbol: Option<&Symbol>) -> Frame {
    let (name, offset) = match symbol.and_then(|symbol| symbol.name.as_ref()) {
        Some((name, offset)) => (Some(name.clone()), Some(*offset)),
        None => (None, None),
    };
    Frame {
        address: addr,
        module: symbol.map(|symbol| symbol.module.clone()),
        symbol: name,
        offset,
    }
}

/// The name of a symbolic address's kind: the D function that records it (`func()` and
/// `ufunc()` record `sym` and `usym`).
fn kind_name(kind: SymKind) -> &'static str {
    match kind {
        SymKind::Sym => "sym",
        SymKind::Mod => "mod",
        SymKind::USym => "usym",
        SymKind::UMod => "umod",
        SymKind::UAddr => "uaddr",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn symbol(module: &str, name: Option<(&str, u64)>) -> Symbol {
        Symbol {
            module: module.to_string(),
            name: name.map(|(name, offset)| (name.to_string(), offset)),
        }
    }

    #[test]
    fn frames_give_what_is_known_of_each_address() {
        let kernel = StackValue {
            pid: None,
            frames: vec![0xffff_0010, 0xffff_3000, 0x1234],
            symbols: vec![
                Some(symbol("vmlinux", Some(("ksys_write", 0x10)))),
                Some(symbol("ext4", None)),
                None,
            ],
            indent: 14,
        };
        assert_eq!(
            serde_json::to_value(stack(&kernel)).unwrap(),
            json!({"kind": "kernel", "frames": [
                {"address": 0xffff_0010_u64, "module": "vmlinux", "symbol": "ksys_write",
                 "offset": 16},
                {"address": 0xffff_3000_u64, "module": "ext4"},
                {"address": 0x1234}
            ]})
        );
        let user = StackValue {
            pid: Some(77),
            frames: vec![u64::MAX],
            symbols: vec![Some(symbol("prog", Some(("main", 0))))],
            indent: 0,
        };
        assert_eq!(
            serde_json::to_value(stack(&user)).unwrap(),
            json!({"kind": "user", "pid": 77, "frames": [
                {"address": u64::MAX, "module": "prog", "symbol": "main", "offset": 0}
            ]}),
            "an address at a symbol's first byte has offset 0, and u64 addresses are whole"
        );
    }

    #[test]
    fn an_empty_stack_has_no_frames() {
        let empty = StackValue {
            pid: None,
            frames: Vec::new(),
            symbols: Vec::new(),
            indent: 14,
        };
        assert_eq!(
            serde_json::to_value(stack(&empty)).unwrap(),
            json!({"kind": "kernel", "frames": []})
        );
    }

    #[test]
    fn symbolic_addresses_keep_their_kind_and_everything_known() {
        let sym = |kind, pid, symbol| SymValue {
            kind,
            pid,
            addr: 0x4010,
            symbol,
        };
        assert_eq!(
            serde_json::to_value(symbolic(&sym(
                SymKind::Mod,
                None,
                Some(symbol("vmlinux", Some(("do_sys_open", 0x10))))
            )))
            .unwrap(),
            json!({"kind": "mod", "address": 0x4010, "module": "vmlinux",
                   "symbol": "do_sys_open", "offset": 16})
        );
        assert_eq!(
            serde_json::to_value(symbolic(&sym(SymKind::UAddr, Some(9), None))).unwrap(),
            json!({"kind": "uaddr", "pid": 9, "address": 0x4010})
        );
        let kinds = [
            SymKind::Sym,
            SymKind::Mod,
            SymKind::USym,
            SymKind::UMod,
            SymKind::UAddr,
        ]
        .map(kind_name);
        assert_eq!(kinds, ["sym", "mod", "usym", "umod", "uaddr"]);
    }
}

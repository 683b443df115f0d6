//! Stack aggregations as folded stacks (`-x stackfmt=folded`), the input of flame graph tools
//! such as `flamegraph.pl` and `inferno`: one line per row, its keys joined by `;` with each
//! stack written outermost frame first, then a space and the value.
//!
//! Frames are ``module`symbol`` without the offset, so samples in one function fold together,
//! ``module`0xaddress`` or `0xaddress` when less is known. Aggregations without a stack key, or
//! whose values are histograms, keep dtrace's default layout.

use std::fmt::Write as _;

use tracer_ebpf::layout::{AggValue, StackValue, Symbol, Value};

use super::stack::sym_text;

/// Whether `stackfmt=folded` changes how `rows` print: some key is a stack and no value is a
/// histogram.
pub fn applies(rows: &[(Vec<Value>, AggValue)]) -> bool {
    rows.iter()
        .any(|(keys, _)| keys.iter().any(|key| matches!(key, Value::Stack(_))))
        && rows
            .iter()
            .all(|(_, value)| !matches!(value, AggValue::Histogram(_)))
}

/// Writes one row: the keys joined by `;` (an empty stack leaves no part), a space, and `value`
/// (the row's datum as printa gives it, an integer).
pub fn write_row(keys: &[Value], value: &Value, out: &mut Vec<u8>) {
    let parts: Vec<String> = keys
        .iter()
        .map(key_text)
        .filter(|part| !part.is_empty())
        .collect();
    out.extend_from_slice(parts.join(";").as_bytes());
    let number = match *value {
        Value::Int {
            bits, signed: true, ..
        } => (bits as i64).to_string(),
        Value::Int { bits, .. } => bits.to_string(),
        _ => String::new(),
    };
    out.push(b' ');
    out.extend_from_slice(number.as_bytes());
    out.push(b'\n');
}

/// One key's text: a stack's frames outermost first, joined by `;`.
fn key_text(key: &Value) -> String {
    match key {
        Value::Stack(stack) => frames(stack),
        Value::Sym(sym) => sym_text(sym),
        Value::Str(bytes) => {
            let end = bytes
                .iter()
                .position(|&byte| byte == 0)
                .unwrap_or(bytes.len());
            String::from_utf8_lossy(&bytes[..end]).into_owned()
        }
        Value::Int {
            bits, signed: true, ..
        } => (*bits as i64).to_string(),
        Value::Int { bits, .. } => bits.to_string(),
        Value::Bytes(bytes) => bytes.iter().fold(String::new(), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        }),
    }
}

fn frames(stack: &StackValue) -> String {
    let names: Vec<String> = stack
        .frames
        .iter()
        .enumerate()
        .rev()
        .map(
            |(frame_idx, &addr)| match stack.symbols.get(frame_idx).and_then(Option::as_ref) {
                Some(Symbol {
                    module,
                    name: Some((name, _)),
                }) => format!("{module}`{name}"),
                Some(Symbol { module, name: None }) => format!("{module}`{addr:#x}"),
                None => format!("{addr:#x}"),
            },
        )
        .collect();
    names.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol(module: &str, name: &str, offset: u64) -> Symbol {
        Symbol {
            module: module.to_owned(),
            name: Some((name.to_owned(), offset)),
        }
    }

    fn stack() -> Value {
        Value::Stack(StackValue {
            pid: None,
            frames: vec![0x10, 0x20, 0x30],
            symbols: vec![
                Some(symbol("vmlinux", "leaf", 4)),
                Some(Symbol {
                    module: "vmlinux".to_owned(),
                    name: None,
                }),
                None,
            ],
            indent: 14,
        })
    }

    #[test]
    fn stacks_fold_outermost_first_without_offsets() {
        let mut out = Vec::new();
        let count = Value::Int {
            bits: 7,
            size: 8,
            signed: false,
        };
        write_row(&[Value::Str(b"sh\0\0".to_vec()), stack()], &count, &mut out);
        let empty = Value::Stack(StackValue {
            pid: None,
            frames: Vec::new(),
            symbols: Vec::new(),
            indent: 14,
        });
        write_row(&[Value::Str(b"sh".to_vec()), empty], &count, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("text"),
            "sh;0x30;vmlinux`0x20;vmlinux`leaf 7\nsh 7\n"
        );
    }

    #[test]
    fn only_stack_keys_with_scalar_values_fold() {
        let with_stack = vec![(vec![stack()], AggValue::Count(1))];
        let without = vec![(vec![Value::Str(b"sh".to_vec())], AggValue::Count(1))];
        let histogram = vec![(vec![stack()], AggValue::Histogram(vec![1]))];
        assert!(applies(&with_stack));
        assert!(!applies(&without));
        assert!(!applies(&histogram));
    }
}

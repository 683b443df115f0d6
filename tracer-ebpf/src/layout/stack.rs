//! Stacks and symbolic addresses as records and aggregation keys hold them.
//!
//! ```text
//! stack(n)          n × u64 frames, innermost first, zero after the last
//! ustack(n)         u64 process ID, then n × u64 frames
//! sym, func, mod    u64 kernel address
//! usym, ufunc,      u64 process ID, u64 user address
//! umod, uaddr
//! ```
//!
//! Decoding gives raw addresses; the consumer's symbolizer fills in where each one is
//! ([`Symbol`]) before the printers, which are pure, lay them out as DTrace does.

pub use d_frontend::types::{StackType, SymKind};

/// Where an address is: the module (kernel module, `vmlinux`, or the basename of a user object),
/// and the symbol and the offset in it when one covers the address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    /// The module or object.
    pub module: String,
    /// The symbol, and the address's offset from its start.
    pub name: Option<(String, u64)>,
}

/// A recorded stack.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StackValue {
    /// The process of a user stack.
    pub pid: Option<u32>,
    /// The frames, innermost first, without the zeros after the last.
    pub frames: Vec<u64>,
    /// Where each frame is, once symbolized (`None` where nothing is known); empty before.
    pub symbols: Vec<Option<Symbol>>,
    /// Columns each frame is indented by when printed: the `stackindent` option when the
    /// consumer symbolized it.
    pub indent: u32,
}

/// A recorded symbolic address.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymValue {
    /// How it prints.
    pub kind: SymKind,
    /// The process of a user address.
    pub pid: Option<u32>,
    /// The address.
    pub addr: u64,
    /// Where it is, once symbolized.
    pub symbol: Option<Symbol>,
}

fn word(bytes: &[u8], word_idx: usize) -> Option<u64> {
    let start = 8 * word_idx;
    Some(u64::from_ne_bytes(
        bytes.get(start..start + 8)?.try_into().ok()?,
    ))
}

/// Reads a stack laid out as `stack` says from the start of `bytes`.
pub fn decode_stack(stack: StackType, bytes: &[u8]) -> Option<StackValue> {
    let (pid, first) = if stack.user {
        (Some(word(bytes, 0)? as u32), 1)
    } else {
        (None, 0)
    };
    let mut frames = Vec::new();
    for word_idx in first..first + stack.frames as usize {
        let frame = word(bytes, word_idx)?;
        if frame == 0 {
            break;
        }
        frames.push(frame);
    }
    Some(StackValue {
        pid,
        frames,
        symbols: Vec::new(),
        indent: 0,
    })
}

/// Reads a symbolic address of `kind` from the start of `bytes`.
pub fn decode_sym(kind: SymKind, bytes: &[u8]) -> Option<SymValue> {
    let (pid, addr) = if kind.is_user() {
        (Some(word(bytes, 0)? as u32), word(bytes, 1)?)
    } else {
        (None, word(bytes, 0)?)
    };
    Some(SymValue {
        kind,
        pid,
        addr,
        symbol: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(values: &[u64]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|value| value.to_ne_bytes())
            .collect()
    }

    #[test]
    fn stacks_end_at_the_first_zero_frame() {
        let kernel = StackType {
            user: false,
            frames: 4,
        };
        let decoded = decode_stack(kernel, &words(&[0x10, 0x20, 0, 0x40])).unwrap();
        assert_eq!(decoded.pid, None);
        assert_eq!(decoded.frames, [0x10, 0x20]);
        let user = StackType {
            user: true,
            frames: 2,
        };
        let decoded = decode_stack(user, &words(&[1234, 0x400, 0x500])).unwrap();
        assert_eq!(
            (decoded.pid, decoded.frames),
            (Some(1234), vec![0x400, 0x500])
        );
        assert_eq!(decode_stack(user, &words(&[1234, 0x400])), None);
    }

    #[test]
    fn user_addresses_follow_the_process_id() {
        let decoded = decode_sym(SymKind::UAddr, &words(&[77, 0x1234])).unwrap();
        assert_eq!((decoded.pid, decoded.addr), (Some(77), 0x1234));
        let decoded = decode_sym(SymKind::Sym, &words(&[0xffff_1234])).unwrap();
        assert_eq!((decoded.pid, decoded.addr), (None, 0xffff_1234));
        assert_eq!(decode_sym(SymKind::USym, &words(&[77])), None);
    }
}

//! The types of stacks and symbolic addresses, which libdtrace gives types of their own (`stack`,
//! `_symaddr`, `_usymaddr`) so that only the places that can print them accept them.
//!
//! A stack is recorded as its frames, as `bpf_get_stack` writes them: the return addresses from
//! the innermost frame out, 8 bytes each, zero after the last one. A user stack starts with the
//! process ID, which symbolizing its addresses needs. A symbolic address is the address, after the
//! process ID for user addresses.

/// A kernel or user stack of at most `frames` frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackType {
    /// A user stack (`ustack()`, `jstack()`) rather than a kernel one (`stack()`).
    pub user: bool,
    /// Most frames recorded.
    pub frames: u32,
}

impl StackType {
    /// Bytes the stack takes in a record or a key: the process ID of a user stack, then a word
    /// per frame.
    pub fn stored_size(self) -> u32 {
        8 * self.frames + if self.user { 8 } else { 0 }
    }
}

/// How a symbolic address prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SymKind {
    /// `sym()` and `func()`: the kernel symbol, ``module`name``.
    Sym,
    /// `mod()`: the kernel module.
    Mod,
    /// `usym()` and `ufunc()`: the user symbol, ``object`name``.
    USym,
    /// `umod()`: the user object.
    UMod,
    /// `uaddr()`: the user symbol and offset, ``object`name+0x10``.
    UAddr,
}

impl SymKind {
    /// Whether the address is a user address, recorded after the process ID.
    pub fn is_user(self) -> bool {
        matches!(self, SymKind::USym | SymKind::UMod | SymKind::UAddr)
    }

    /// Bytes the address takes in a record or a key.
    pub fn stored_size(self) -> u32 {
        if self.is_user() { 16 } else { 8 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_hold_the_process_id_of_user_values() {
        let kernel = StackType {
            user: false,
            frames: 20,
        };
        let user = StackType {
            user: true,
            frames: 100,
        };
        assert_eq!(kernel.stored_size(), 160);
        assert_eq!(user.stored_size(), 808);
        assert_eq!(SymKind::Sym.stored_size(), 8);
        assert_eq!(SymKind::UAddr.stored_size(), 16);
    }
}

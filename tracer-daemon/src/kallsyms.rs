//! Kernel symbol addresses from `/proc/kallsyms`, for D's `` `symbol `` and `` module`symbol ``.
//!
//! Each line is `address type name [module]`; symbols of the kernel proper have no module. The
//! file is read line by line until the symbol is found, as a script names only a few symbols.
//! Which symbols it lists depends on the kernel: data symbols (`max_pfn`) need
//! `CONFIG_KALLSYMS_ALL`, and addresses read as 0 without `CAP_SYSLOG`.

use std::io::{BufRead, BufReader, Read};

/// Where the kernel lists its symbols.
pub const KALLSYMS: &str = "/proc/kallsyms";

/// The address of `name` in `module` (`vmlinux` for the kernel proper) or, for `None`, of the
/// first symbol called `name` in the kernel or any module. `None` when it is not listed or its
/// address is hidden (listed as 0).
pub fn lookup(kallsyms: impl Read, module: Option<&str>, name: &str) -> Option<u64> {
    for line in BufReader::new(kallsyms).lines() {
        let line = line.ok()?;
        let mut fields = line.split_ascii_whitespace();
        let (Some(address), Some(_kind), Some(symbol)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if symbol != name {
            continue;
        }
        let symbol_module = fields
            .next()
            .map_or("vmlinux", |module| module.trim_matches(['[', ']']));
        if module.is_some_and(|module| module != symbol_module) {
            continue;
        }
        return u64::from_str_radix(address, 16)
            .ok()
            .filter(|address| *address != 0);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
ffffffff81000000 T _stext
ffffffff82400000 D __start_rodata
ffffffffc0a01000 t helper\t[ext4]
ffffffff81234560 T helper
ffffffffc0a02000 d max_pfn\t[fake]
ffffffff83000000 B max_pfn
0000000000000000 D hidden
";

    #[test]
    fn finds_kernel_and_module_symbols() {
        let find = |module, name| lookup(LISTING.as_bytes(), module, name);
        assert_eq!(find(None, "__start_rodata"), Some(0xffff_ffff_8240_0000));
        assert_eq!(find(Some("vmlinux"), "helper"), Some(0xffff_ffff_8123_4560));
        assert_eq!(find(Some("ext4"), "helper"), Some(0xffff_ffff_c0a0_1000));
        assert_eq!(find(None, "helper"), Some(0xffff_ffff_c0a0_1000));
        assert_eq!(
            find(Some("vmlinux"), "max_pfn"),
            Some(0xffff_ffff_8300_0000)
        );
        assert_eq!(find(Some("xfs"), "helper"), None);
        assert_eq!(find(None, "absent"), None);
        assert_eq!(find(None, "hidden"), None);
    }
}

//! Symbolizing the addresses of stacks and symbolic addresses before they are printed.
//!
//! Kernel addresses are looked up in `/proc/kallsyms` with `blazesym`; the module is the kernel
//! module whose range in `/proc/modules` holds the address, or `vmlinux`. User addresses are
//! looked up in the ELF file (symbol table and DWARF) mapped at the address, at the file offset
//! the process's mapping gives, so only the mappings need the process: [`Symbols::watch`] reads
//! them while the process runs, and addresses of a process that has exited since are still
//! symbolized from the last mappings read, as long as its files exist.
//!
//! Symbols are cached by address (and process), so a stack seen a thousand times is looked up
//! once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use blazesym::MaybeDefault;
use blazesym::symbolize::source::{Elf, Kernel, Source};
use blazesym::symbolize::{Input, Symbolized, Symbolizer};
use tracer_ebpf::layout::{StackValue, SymValue, Symbol, Value};

/// Where kernel addresses start on x86-64 (the upper half of the address space).
const KERNEL_SPACE_START: u64 = 0xffff_8000_0000_0000;
/// The module name libdtrace gives the kernel itself.
const VMLINUX: &str = "vmlinux";

/// One file-backed mapping of a process, from `/proc/PID/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Offset in the file of the first address.
    pub file_offset: u64,
    /// The mapped file.
    pub path: PathBuf,
}

/// Parses `/proc/PID/maps`, keeping the mappings of files (paths starting with `/`).
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(6, ' ');
            let (range, _perms, offset, _dev, _inode) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            let path = fields.next()?.trim_start();
            if !path.starts_with('/') {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                file_offset: u64::from_str_radix(offset, 16).ok()?,
                path: PathBuf::from(path.strip_suffix(" (deleted)").unwrap_or(path)),
            })
        })
        .collect()
}

/// A loaded kernel module's name and address range, from `/proc/modules`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelModule {
    /// The module's name.
    pub name: String,
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

/// Parses `/proc/modules` (`name size refs deps state address`).
pub fn parse_modules(text: &str) -> Vec<KernelModule> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let size: u64 = fields.get(1)?.parse().ok()?;
            let start = u64::from_str_radix(fields.get(5)?.trim_start_matches("0x"), 16).ok()?;
            let name = (*fields.first()?).to_string();
            (start != 0).then(|| KernelModule {
                name,
                start,
                end: start.saturating_add(size),
            })
        })
        .collect()
}

/// The symbolizer and its caches, owned by the consumer for the whole run.
pub struct Symbols {
    symbolizer: Symbolizer,
    kernel_modules: Option<Vec<KernelModule>>,
    processes: HashMap<u32, Vec<Mapping>>,
    kernel_cache: HashMap<u64, Option<Symbol>>,
    user_cache: HashMap<(u32, u64), Option<Symbol>>,
}

impl Default for Symbols {
    fn default() -> Symbols {
        Symbols {
            symbolizer: Symbolizer::new(),
            kernel_modules: None,
            processes: HashMap::new(),
            kernel_cache: HashMap::new(),
            user_cache: HashMap::new(),
        }
    }
}

impl Symbols {
    /// Reads the mappings of process `pid` now, replacing what was read before, so that its
    /// addresses can be symbolized after it has exited. A process that is gone keeps its last
    /// mappings.
    pub fn watch(&mut self, pid: u32) {
        if is_tracer_itself(pid) {
            return;
        }
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
            return;
        };
        let mappings = parse_maps(&text);
        if mappings.is_empty() {
            return;
        }
        if self.processes.get(&pid) != Some(&mappings) {
            self.user_cache
                .retain(|(cached_pid, _), _| *cached_pid != pid);
            self.processes.insert(pid, mappings);
        }
    }

    /// Fills in where the addresses of a stack or a symbolic address are; `indent` is the
    /// `stackindent` option, which stacks print with. Other values are left alone.
    pub fn resolve(&mut self, value: &mut Value, indent: u32) {
        match value {
            Value::Stack(stack) => self.resolve_stack(stack, indent),
            Value::Sym(sym) => self.resolve_sym(sym),
            Value::Int { .. } | Value::Str(_) | Value::Bytes(_) => {}
        }
    }

    fn resolve_stack(&mut self, stack: &mut StackValue, indent: u32) {
        stack.indent = indent;
        stack.symbols = stack
            .frames
            .iter()
            .map(|&addr| self.lookup(stack.pid, addr))
            .collect();
    }

    fn resolve_sym(&mut self, sym: &mut SymValue) {
        sym.symbol = self.lookup(sym.pid, sym.addr);
    }

    fn lookup(&mut self, pid: Option<u32>, addr: u64) -> Option<Symbol> {
        match pid {
            Some(pid) => self.user(pid, addr),
            None => self.kernel(addr),
        }
    }

    fn kernel(&mut self, addr: u64) -> Option<Symbol> {
        if let Some(symbol) = self.kernel_cache.get(&addr) {
            return symbol.clone();
        }
        let modules = self.kernel_modules.get_or_insert_with(|| {
            std::fs::read_to_string("/proc/modules")
                .map(|text| parse_modules(&text))
                .unwrap_or_default()
        });
        let module = modules
            .iter()
            .find(|module| (module.start..module.end).contains(&addr))
            .map(|module| module.name.clone());
        let source = Source::Kernel(Kernel {
            vmlinux: MaybeDefault::None,
            debug_syms: false,
            ..Kernel::default()
        });
        let name = self.symbol_name(&source, Input::AbsAddr(addr));
        let symbol = match (module, name) {
            (Some(module), name) => Some(Symbol { module, name }),
            (None, name) if addr >= KERNEL_SPACE_START || name.is_some() => Some(Symbol {
                module: VMLINUX.to_string(),
                name,
            }),
            (None, _) => None,
        };
        self.kernel_cache.insert(addr, symbol.clone());
        symbol
    }

    fn user(&mut self, pid: u32, addr: u64) -> Option<Symbol> {
        if let Some(symbol) = self.user_cache.get(&(pid, addr)) {
            return symbol.clone();
        }
        if !self.maps_cover(pid, addr) {
            self.watch(pid);
        }
        let mapping = self
            .processes
            .get(&pid)?
            .iter()
            .find(|mapping| (mapping.start..mapping.end).contains(&addr))?
            .clone();
        let file_offset = addr - mapping.start + mapping.file_offset;
        let name = self.file_symbol(&mapping.path, file_offset);
        let symbol = Some(Symbol {
            module: basename(&mapping.path),
            name,
        });
        self.user_cache.insert((pid, addr), symbol.clone());
        symbol
    }

    fn maps_cover(&self, pid: u32, addr: u64) -> bool {
        self.processes.get(&pid).is_some_and(|mappings| {
            mappings
                .iter()
                .any(|mapping| (mapping.start..mapping.end).contains(&addr))
        })
    }

    /// The symbol covering `file_offset` in the ELF file at `path`: from its debug information
    /// when it has some, else from its symbol tables (a stripped library's `.dynsym`).
    fn file_symbol(&self, path: &Path, file_offset: u64) -> Option<(String, u64)> {
        [true, false].into_iter().find_map(|debug_syms| {
            let source = Source::Elf(Elf {
                debug_syms,
                ..Elf::new(path)
            });
            self.symbol_name(&source, Input::FileOffset(file_offset))
        })
    }

    /// The symbol covering an address and the address's offset in it, if any.
    fn symbol_name(&self, source: &Source<'_>, input: Input<u64>) -> Option<(String, u64)> {
        match self.symbolizer.symbolize_single(source, input) {
            Ok(Symbolized::Sym(sym)) => Some((sym.name.into_owned(), sym.offset as u64)),
            Ok(Symbolized::Unknown(_)) | Err(_) => None,
        }
    }
}

/// Whether process `pid` still runs tracer's own executable: a `-c` command that has not called
/// `execv` yet (see `target`), whose mappings are not the command's.
fn is_tracer_itself(pid: u32) -> bool {
    let exe = |pid: &str| std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    pid != std::process::id() && exe(&pid.to_string()).is_some_and(|path| Some(path) == exe("self"))
}

fn basename(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.to_string_lossy(), |name| name.to_string_lossy())
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keep_file_mappings() {
        let text = "\
55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234                       /usr/bin/prog
55d0c0a01000-55d0c0a02000 r-xp 00001000 08:01 1234                       /usr/bin/prog
7f0000000000-7f0000021000 rw-p 00000000 00:00 0 
7ffd1000-7ffd2000 r-xp 00000000 00:00 0                          [vdso]
7f1000000000-7f1000001000 r-xp 00002000 08:01 99                         /tmp/old lib.so (deleted)
";
        assert_eq!(
            parse_maps(text),
            [
                Mapping {
                    start: 0x55d0_c0a0_0000,
                    end: 0x55d0_c0a0_1000,
                    file_offset: 0,
                    path: PathBuf::from("/usr/bin/prog"),
                },
                Mapping {
                    start: 0x55d0_c0a0_1000,
                    end: 0x55d0_c0a0_2000,
                    file_offset: 0x1000,
                    path: PathBuf::from("/usr/bin/prog"),
                },
                Mapping {
                    start: 0x7f10_0000_0000,
                    end: 0x7f10_0000_1000,
                    file_offset: 0x2000,
                    path: PathBuf::from("/tmp/old lib.so"),
                },
            ]
        );
    }

    #[test]
    fn modules_have_address_ranges() {
        let text =
            "ext4 1056768 1 - Live 0xffffffffc0400000\nhidden 4096 0 - Live 0x0000000000000000\n";
        assert_eq!(
            parse_modules(text),
            [KernelModule {
                name: "ext4".to_string(),
                start: 0xffff_ffff_c040_0000,
                end: 0xffff_ffff_c040_0000 + 1_056_768,
            }]
        );
    }

    /// A function of this test binary, which the symbolizer must find in its own mappings.
    #[inline(never)]
    fn marker_function() -> u64 {
        std::hint::black_box(42)
    }

    #[test]
    fn own_functions_are_found_and_cached_after_the_maps_are_read() {
        let pid = std::process::id();
        let mut symbols = Symbols::default();
        symbols.watch(pid);
        let addr = marker_function as *const () as u64 + 1;
        let mut value = Value::Sym(SymValue {
            kind: tracer_ebpf::layout::SymKind::UAddr,
            pid: Some(pid),
            addr,
            symbol: None,
        });
        symbols.resolve(&mut value, 0);
        let Value::Sym(sym) = &value else {
            unreachable!("resolving keeps the kind of value");
        };
        let symbol = sym.symbol.clone().expect("the test binary is mapped");
        let exe = std::env::current_exe().unwrap();
        assert_eq!(symbol.module, basename(&exe));
        let (name, offset) = symbol.name.expect("the test binary has a symbol table");
        assert!(name.contains("marker_function"), "{name}");
        assert_eq!(offset, 1);
        symbols.processes.clear();
        assert_eq!(symbols.user(pid, addr), sym.symbol, "served from the cache");
    }
}

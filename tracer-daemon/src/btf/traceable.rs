//! The kernel functions `fbt` can attach to: those BTF describes that ftrace can also trace.
//!
//! BTF describes every function of the kernel image, including `__init` ones freed after boot
//! (`vfs_caches_init`) and `notrace` ones; neither fentry nor kprobes can attach there, and a
//! wildcard such as `fbt::vfs_*:entry` would fail on them. tracefs's
//! `available_filter_functions` lists the functions ftrace can patch, one a line (`name` or
//! `name [module]`). Where it cannot be read (a locked-down kernel refuses it), every BTF function
//! is kept, and attaching reports the refusal.

use std::collections::HashSet;

/// The file listing the functions ftrace can trace.
const AVAILABLE_FILTER_FUNCTIONS: &str = "/sys/kernel/tracing/available_filter_functions";

/// Keeps in `names` only the functions the running kernel can trace, when it says which.
pub fn retain_traceable(names: &mut Vec<String>) {
    if let Ok(text) = std::fs::read_to_string(AVAILABLE_FILTER_FUNCTIONS) {
        let traceable = vmlinux_functions(&text);
        if !traceable.is_empty() {
            names.retain(|name| traceable.contains(name.as_str()));
        }
    }
}

/// The names of the kernel image's functions in `available_filter_functions` text; modules'
/// functions (`name [module]`) are left out.
fn vmlinux_functions(text: &str) -> HashSet<&str> {
    text.lines()
        .filter(|line| !line.contains('['))
        .filter_map(|line| line.split_whitespace().next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_functions_are_left_out() {
        let text = "vfs_read\nvfs_write\nkvm_init [kvm]\n\n";
        let names = vmlinux_functions(text);
        assert_eq!(names.len(), 2);
        assert!(names.contains("vfs_read") && names.contains("vfs_write"));
    }
}

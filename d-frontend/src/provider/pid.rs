//! The `pid` provider: `pidPID:MODULE:FUNCTION:NAME`, a uprobe on a function of process `PID`.
//!
//! The probes are created on demand from the description, as libdtrace's `dt_pid.c` does: the
//! provider names the process, the module is one of the files it maps for code (its basename,
//! `libc.so.6`; `a.out` names the executable, and a name without a glob also matches a file
//! whose basename starts with it followed by a dot, so `libc` and `libc.so` find `libc.so.6`),
//! the function is a symbol of that file (a glob skips versioned `@` and compiler-made `.`
//! names), and the name is `entry`, `return` or a hexadecimal offset into the function. The
//! probe's module is the file's basename whatever the description said, so `a.out` becomes the
//! program's name, as `probemod` shows in DTrace.
//!
//! A literal module the process has not mapped (a library it will `dlopen`) is the file the
//! dynamic linker would load for that name, which the catalog looks up: uprobes attach to the
//! file, so its probes fire once the process maps it. libdtrace waits for the library to be
//! loaded to create the probes (under `-Z`); here they exist from the start, so `-Z` is not
//! needed, and the process's first call after the `dlopen` is seen all the same.
//!
//! The function `-` names no function: the name is then an address in the executable, in
//! hexadecimal. A glob name matches `entry`, `return` and the offset of every instruction of the
//! function (`pid$target:a.out:main:*`, `main:1*`), which the catalog finds by decoding it, as
//! libdtrace does; an offset probe's name is its offset in hexadecimal, without `0x`.
//!
//! `arg0..arg9` are the function's arguments on entry (registers, then the stack) and, on
//! return, `arg0` is 0 and `arg1` the return value, as Oracle DTrace's trampoline gives them;
//! `args[]` are untyped, since symbol tables carry no types.

use super::catalog::{ProbeCatalog, UserModule};
use super::usdt::UprobeSite;
use super::{ProbeDesc, ProbeError, ProbeKind, field_matches, is_glob};
use crate::diagnostic::ErrTag;

/// A probe this provider makes, before it has an ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct UserProbeSpec {
    /// Its full description.
    pub desc: ProbeDesc,
    /// Entry or return (`Uprobe`), or `Usdt`.
    pub kind: ProbeKind,
    /// Where it fires.
    pub site: UprobeSite,
}

/// The process ID a `pid` provider name holds (`pid1234`), or `None` for another provider.
pub(super) fn provider_pid(provider: &str) -> Option<u32> {
    let digits = provider.strip_prefix("pid")?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().or(Some(0))
}

/// The probes of process `pid` that `desc` describes.
pub(super) fn matching(
    desc: &ProbeDesc,
    pid: u32,
    catalog: &dyn ProbeCatalog,
) -> Result<Vec<UserProbeSpec>, ProbeError> {
    if pid == 0 {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_BADPID,
            message: format!("{} does not contain a valid pid", desc.provider),
        });
    }
    let Some(modules) = catalog.user_modules(pid) else {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_GRAB,
            message: format!("failed to grab process {pid}"),
        });
    };
    if desc.function == "-" {
        return address_probe(desc, pid, &modules, catalog);
    }
    let module_pattern = or_any(&desc.module);
    let function_pattern = or_any(&desc.function);
    let mut specs = Vec::new();
    let mut chosen_modules = matching_modules(&modules, module_pattern);
    let library = if chosen_modules.is_empty() && !is_glob(module_pattern) {
        catalog.user_library(pid, module_pattern)
    } else {
        None
    };
    chosen_modules.extend(library.as_ref());
    for module in chosen_modules {
        let functions = catalog.user_functions(&module.path);
        let chosen: Vec<_> = if is_glob(function_pattern) {
            functions
                .iter()
                .filter(|function| !function.name.contains(['@', '.']))
                .filter(|function| field_matches(function_pattern, &function.name))
                .collect()
        } else {
            match functions
                .binary_search_by(|function| function.name.as_str().cmp(function_pattern))
            {
                Ok(function_idx) => vec![&functions[function_idx]],
                Err(_) if !is_glob(module_pattern) => {
                    return Err(ProbeError {
                        tag: ErrTag::D_PROC_FUNC,
                        message: format!(
                            "failed to lookup '{function_pattern}' in module '{module_pattern}'"
                        ),
                    });
                }
                Err(_) => Vec::new(),
            }
        };
        for function in chosen {
            let instructions = || catalog.user_instructions(&module.path, function);
            for (name, kind, offset) in probe_names(
                or_any(&desc.name),
                &function.name,
                function.size,
                instructions,
            )? {
                specs.push(UserProbeSpec {
                    desc: ProbeDesc {
                        provider: format!("pid{pid}"),
                        module: module.name().to_string(),
                        function: function.name.clone(),
                        name,
                    },
                    kind,
                    site: UprobeSite {
                        pid,
                        path: module.path.clone(),
                        file_offset: function.file_offset + offset,
                        semaphore_offset: 0,
                        args: Vec::new(),
                    },
                });
            }
        }
    }
    Ok(specs)
}

/// `pidPID:a.out:-:ADDRESS`: a probe at an address of the executable, in hexadecimal.
fn address_probe(
    desc: &ProbeDesc,
    pid: u32,
    modules: &[UserModule],
    catalog: &dyn ProbeCatalog,
) -> Result<Vec<UserProbeSpec>, ProbeError> {
    let main = modules.iter().find(|module| module.is_main);
    let module = if desc.module.is_empty() {
        main
    } else {
        let named = matching_modules(modules, &desc.module);
        main.filter(|main| !is_glob(&desc.module) && named.contains(main))
    };
    let Some(module) = module else {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_LIB,
            message: "only the a.out module is valid with the '-' function".to_string(),
        });
    };
    if is_glob(&desc.name) {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_NAME,
            message: "only individual addresses may be specified with the '-' function".to_string(),
        });
    }
    let file_offset = u64::from_str_radix(&desc.name, 16)
        .ok()
        .and_then(|address| catalog.user_address_offset(&module.path, address));
    let Some(file_offset) = file_offset else {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_NAME,
            message: format!("'{}' is an invalid probe name", desc.name),
        });
    };
    Ok(vec![UserProbeSpec {
        desc: ProbeDesc {
            provider: format!("pid{pid}"),
            module: module.name().to_string(),
            function: "-".to_string(),
            name: desc.name.clone(),
        },
        kind: ProbeKind::Uprobe { is_return: false },
        site: UprobeSite {
            pid,
            path: module.path.clone(),
            file_offset,
            semaphore_offset: 0,
            args: Vec::new(),
        },
    }])
}

fn or_any(pattern: &str) -> &str {
    if pattern.is_empty() { "*" } else { pattern }
}

/// The modules a module pattern names: every module whose name the glob matches, or the one a
/// literal name finds (`a.out`, the exact basename, or a basename it starts followed by a dot).
pub(super) fn matching_modules<'m>(
    modules: &'m [UserModule],
    pattern: &str,
) -> Vec<&'m UserModule> {
    if is_glob(pattern) {
        return modules
            .iter()
            .filter(|module| field_matches(pattern, module.name()))
            .collect();
    }
    let found = if pattern == "a.out" {
        modules.iter().find(|module| module.is_main)
    } else {
        modules
            .iter()
            .find(|module| module.name() == pattern)
            .or_else(|| {
                modules.iter().find(|module| {
                    module
                        .name()
                        .strip_prefix(pattern)
                        .is_some_and(|rest| rest.starts_with('.'))
                })
            })
    };
    found.into_iter().collect()
}

/// The probes a name pattern makes on `function` (`size` bytes long): its name, kind and offset
/// from the function's start. A glob also matches the offsets of the function's instructions,
/// which `instructions` gives.
fn probe_names(
    pattern: &str,
    function: &str,
    size: u64,
    instructions: impl FnOnce() -> Vec<u64>,
) -> Result<Vec<(String, ProbeKind, u64)>, ProbeError> {
    let mut names = Vec::new();
    if field_matches(pattern, "entry") {
        names.push((
            "entry".to_string(),
            ProbeKind::Uprobe { is_return: false },
            0,
        ));
    }
    if field_matches(pattern, "return") {
        names.push((
            "return".to_string(),
            ProbeKind::Uprobe { is_return: true },
            0,
        ));
    }
    if is_glob(pattern) {
        for offset in instructions() {
            let name = format!("{offset:x}");
            if field_matches(pattern, &name) {
                names.push((name, ProbeKind::Uprobe { is_return: false }, offset));
            }
        }
        return Ok(names);
    }
    if !names.is_empty() {
        return Ok(names);
    }
    let Ok(offset) = u64::from_str_radix(pattern, 16) else {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_NAME,
            message: format!("'{pattern}' is an invalid probe name"),
        });
    };
    if offset >= size {
        return Err(ProbeError {
            tag: ErrTag::D_PROC_OFF,
            message: format!("offset 0x{offset:x} outside of function '{function}'"),
        });
    }
    Ok(vec![(
        format!("{offset:x}"),
        ProbeKind::Uprobe { is_return: false },
        offset,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::UserFunction;

    struct Process;

    impl ProbeCatalog for Process {
        fn syscalls(&self) -> Vec<crate::provider::SyscallInfo> {
            Vec::new()
        }

        fn struct_member(&self, _: &str, _: &str) -> Option<crate::provider::MemberInfo> {
            None
        }

        fn user_modules(&self, pid: u32) -> Option<Vec<UserModule>> {
            (pid == 42).then(|| {
                vec![
                    UserModule {
                        path: "/tmp/prog".to_string(),
                        is_main: true,
                    },
                    UserModule {
                        path: "/lib/libc.so.6".to_string(),
                        is_main: false,
                    },
                ]
            })
        }

        fn user_library(&self, pid: u32, name: &str) -> Option<UserModule> {
            (pid == 42 && name == "libplugin.so").then(|| UserModule {
                path: "/opt/app/libplugin.so".to_string(),
                is_main: false,
            })
        }

        fn user_address_offset(&self, path: &str, address: u64) -> Option<u64> {
            (path == "/tmp/prog" && (0x1000..0x2000).contains(&address)).then_some(address)
        }

        fn user_instructions(&self, path: &str, function: &UserFunction) -> Vec<u64> {
            match (path, function.name.as_str()) {
                ("/tmp/prog", "go") => vec![0, 1, 4, 0x10, 0x1f],
                _ => Vec::new(),
            }
        }

        fn user_functions(&self, path: &str) -> Vec<UserFunction> {
            let function = |name: &str, file_offset, size| UserFunction {
                name: name.to_string(),
                file_offset,
                size,
            };
            match path {
                "/tmp/prog" => vec![function("go", 0x1100, 0x20), function("main", 0x1140, 0x40)],
                "/opt/app/libplugin.so" => vec![function("plugin_add", 0x500, 0x10)],
                "/lib/libc.so.6" => vec![
                    function("malloc", 0x9000, 0x100),
                    function("malloc@GLIBC_2.2.5", 0x9000, 0x100),
                    function("memcpy", 0x8000, 0x80),
                ],
                _ => Vec::new(),
            }
        }
    }

    fn described(text: &str) -> Result<Vec<String>, ProbeError> {
        let desc = ProbeDesc::parse(text).unwrap();
        let pid = provider_pid(&desc.provider).unwrap();
        let specs = matching(&desc, pid, &Process)?;
        Ok(specs
            .iter()
            .map(|spec| format!("{} {:#x} {:?}", spec.desc, spec.site.file_offset, spec.kind))
            .collect())
    }

    #[test]
    fn provider_names_hold_a_pid() {
        assert_eq!(provider_pid("pid42"), Some(42));
        assert_eq!(provider_pid("pid0"), Some(0));
        assert_eq!(provider_pid("pid"), None);
        assert_eq!(provider_pid("pidgin"), None);
        assert_eq!(provider_pid("syscall"), None);
    }

    #[test]
    fn a_out_entry_and_return_are_at_the_function() {
        assert_eq!(
            described("pid42:a.out:main:").unwrap(),
            [
                "pid42:prog:main:entry 0x1140 Uprobe { is_return: false }",
                "pid42:prog:main:return 0x1140 Uprobe { is_return: true }",
            ]
        );
        assert_eq!(
            described("pid42:a.out:main:1f").unwrap(),
            ["pid42:prog:main:1f 0x115f Uprobe { is_return: false }"]
        );
    }

    #[test]
    fn name_globs_match_instruction_offsets() {
        assert_eq!(
            described("pid42:a.out:go:*").unwrap(),
            [
                "pid42:prog:go:entry 0x1100 Uprobe { is_return: false }",
                "pid42:prog:go:return 0x1100 Uprobe { is_return: true }",
                "pid42:prog:go:0 0x1100 Uprobe { is_return: false }",
                "pid42:prog:go:1 0x1101 Uprobe { is_return: false }",
                "pid42:prog:go:4 0x1104 Uprobe { is_return: false }",
                "pid42:prog:go:10 0x1110 Uprobe { is_return: false }",
                "pid42:prog:go:1f 0x111f Uprobe { is_return: false }",
            ]
        );
        assert_eq!(
            described("pid42:a.out:go:1*").unwrap(),
            [
                "pid42:prog:go:1 0x1101 Uprobe { is_return: false }",
                "pid42:prog:go:10 0x1110 Uprobe { is_return: false }",
                "pid42:prog:go:1f 0x111f Uprobe { is_return: false }",
            ]
        );
        assert_eq!(
            described("pid42:a.out:main:[0-9]*").unwrap(),
            Vec::<String>::new(),
            "a function whose instructions are unknown has no offset probes"
        );
    }

    #[test]
    fn library_names_match_by_prefix_and_globs_skip_versions() {
        let expected = ["pid42:libc.so.6:malloc:entry 0x9000 Uprobe { is_return: false }"];
        assert_eq!(described("pid42:libc:malloc:entry").unwrap(), expected);
        assert_eq!(described("pid42:libc.so:malloc:entry").unwrap(), expected);
        assert_eq!(described("pid42:libc.so.6:mall*:entry").unwrap(), expected);
        assert_eq!(described("pid42::m*:entry").unwrap().len(), 3);
        assert_eq!(
            described("pid42:libc.s:malloc:entry").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_library_not_loaded_yet_is_the_file_dlopen_would_load() {
        assert_eq!(
            described("pid42:libplugin.so:plugin_add:entry").unwrap(),
            ["pid42:libplugin.so:plugin_add:entry 0x500 Uprobe { is_return: false }"]
        );
        assert_eq!(
            described("pid42:libplugin*:plugin_add:entry").unwrap(),
            Vec::<String>::new(),
            "a glob matches the files the process maps only"
        );
        assert_eq!(
            described("pid42:libnosuch.so:f:entry").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_dash_function_takes_an_address_of_the_executable() {
        assert_eq!(
            described("pid42::-:1150").unwrap(),
            ["pid42:prog:-:1150 0x1150 Uprobe { is_return: false }"]
        );
        assert_eq!(described("pid42:a.out:-:1150").unwrap().len(), 1);
        let error = |text: &str| described(text).unwrap_err().tag;
        assert_eq!(error("pid42:libc:-:800"), ErrTag::D_PROC_LIB);
        assert_eq!(error("pid42:*:-:800"), ErrTag::D_PROC_LIB);
        assert_eq!(error("pid42::-:"), ErrTag::D_PROC_NAME);
        assert_eq!(error("pid42::-:10*"), ErrTag::D_PROC_NAME);
        assert_eq!(error("pid42::-:9000"), ErrTag::D_PROC_NAME);
    }

    #[test]
    fn bad_descriptions_get_dtrace_errors() {
        let error = |text: &str| {
            let error = described(text).unwrap_err();
            (error.tag, error.message)
        };
        assert_eq!(
            error("pid42:a.out:nosuch:entry"),
            (
                ErrTag::D_PROC_FUNC,
                "failed to lookup 'nosuch' in module 'a.out'".to_string()
            )
        );
        assert_eq!(
            error("pid42:a.out:main:beginning"),
            (
                ErrTag::D_PROC_NAME,
                "'beginning' is an invalid probe name".to_string()
            )
        );
        assert_eq!(
            error("pid42:a.out:go:20"),
            (
                ErrTag::D_PROC_OFF,
                "offset 0x20 outside of function 'go'".to_string()
            )
        );
        assert_eq!(
            error("pid0:::entry"),
            (
                ErrTag::D_PROC_BADPID,
                "pid0 does not contain a valid pid".to_string()
            )
        );
        assert_eq!(
            error("pid7:::entry"),
            (ErrTag::D_PROC_GRAB, "failed to grab process 7".to_string())
        );
    }
}

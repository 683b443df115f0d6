//! User-space probe sites for the `pid` and USDT providers: which files a process maps for code,
//! their functions and their SDT notes.
//!
//! A running process's files are read from `/proc/PID/maps`, the executable first. A `-c`
//! command that tracer has created but not yet let execute its program is still a copy of
//! tracer, so its files are worked out as the dynamic linker will load them: the program, its
//! interpreter and the libraries it needs, found along its run path, `LD_LIBRARY_PATH`, the
//! directories of `/etc/ld.so.conf.d` and the system's library directories. Files are parsed
//! once per catalog.

mod elf;
mod insn;
mod sdt;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use d_frontend::provider::{SdtNote, UserFunction, UserModule};

/// Where the dynamic linker looks after the run path and `LD_LIBRARY_PATH`.
const SYSTEM_LIBRARY_DIRS: [&str; 6] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
];

/// The user-space files the catalog has read, and the created processes not yet executing.
#[derive(Debug, Default)]
pub struct UserFiles {
    /// The program each created process will execute, by pid.
    created: Mutex<HashMap<u32, PathBuf>>,
    /// Each file's functions, by path.
    functions: Mutex<HashMap<String, Arc<Vec<UserFunction>>>>,
}

impl UserFiles {
    /// Records that process `pid` will execute `program` once released.
    pub fn add_created(&self, pid: u32, program: &Path) {
        let program = std::fs::canonicalize(program).unwrap_or_else(|_| program.to_owned());
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pid, program);
    }

    /// The files process `pid` maps (or will map) for code, the executable first.
    pub fn modules(&self, pid: u32) -> Option<Vec<UserModule>> {
        let created = self
            .created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&pid)
            .cloned();
        if let Some(program) = created {
            return Some(linked_modules(&program));
        }
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        Some(mapped_modules(&maps, exe.as_deref()))
    }

    /// The file `dlopen` of the library `name` in process `pid` loads: a path as it is, a file
    /// name along the executable's run path, `LD_LIBRARY_PATH` and the system's directories, as
    /// the dynamic linker looks for it.
    pub fn library(&self, pid: u32, name: &str) -> Option<UserModule> {
        let modules = self.modules(pid)?;
        let main = modules.iter().find(|module| module.is_main)?;
        let run_path = std::fs::read(&main.path)
            .map(|data| elf::dependencies(&data).run_path)
            .unwrap_or_default();
        let origin = Path::new(&main.path).parent().unwrap_or(Path::new("/"));
        let path = find_library(name, &run_path, origin).filter(|path| path.is_file())?;
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        Some(UserModule {
            path: path.to_string_lossy().into_owned(),
            is_main: false,
        })
    }

    /// The functions of the ELF file at `path`.
    pub fn functions(&self, path: &str) -> Arc<Vec<UserFunction>> {
        let mut cache = self
            .functions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(cache.entry(path.to_owned()).or_insert_with(|| {
            Arc::new(
                std::fs::read(path)
                    .map(|data| elf::functions(&data))
                    .unwrap_or_default(),
            )
        }))
    }

    /// The SDT notes of the ELF file at `path`.
    pub fn sdt_notes(&self, path: &str) -> Vec<SdtNote> {
        let functions = self.functions(path);
        std::fs::read(path)
            .map(|data| sdt::notes(&data, &functions))
            .unwrap_or_default()
    }
}

/// The offsets from the start of `function` of the ELF file at `path` at which its instructions
/// start, read from the file's bytes at the function's file offset.
pub fn instruction_offsets(path: &str, function: &UserFunction) -> Vec<u64> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut code = vec![0; usize::try_from(function.size).unwrap_or(0)];
    if file.seek(SeekFrom::Start(function.file_offset)).is_err()
        || file.read_exact(&mut code).is_err()
    {
        return Vec::new();
    }
    insn::instruction_offsets(&code)
}

/// The file offset the ELF file at `path` loads at `address`.
pub fn address_offset(path: &str, address: u64) -> Option<u64> {
    let data = std::fs::read(path).ok()?;
    elf::address_offset(&data, address)
}

/// The executable files of a `/proc/PID/maps` listing, `exe` first, each once.
fn mapped_modules(maps: &str, exe: Option<&Path>) -> Vec<UserModule> {
    let exe = exe.and_then(Path::to_str);
    let mut modules: Vec<UserModule> = exe
        .map(|path| UserModule {
            path: path.to_owned(),
            is_main: true,
        })
        .into_iter()
        .collect();
    for line in maps.lines() {
        let mut fields = line.split_ascii_whitespace();
        let perms = fields.nth(1).unwrap_or_default();
        let Some(path) = fields.nth(3) else {
            continue;
        };
        if !perms.contains('x') || !path.starts_with('/') || line.ends_with(" (deleted)") {
            continue;
        }
        if modules.iter().all(|module| module.path != path) {
            modules.push(UserModule {
                path: path.to_owned(),
                is_main: false,
            });
        }
    }
    modules
}

/// The files the dynamic linker will map for `program`: itself, its interpreter, then the
/// libraries it needs, breadth first.
fn linked_modules(program: &Path) -> Vec<UserModule> {
    let mut modules = vec![UserModule {
        path: program.to_string_lossy().into_owned(),
        is_main: true,
    }];
    let mut next = 0;
    while next < modules.len() {
        let Ok(data) = std::fs::read(&modules[next].path) else {
            next += 1;
            continue;
        };
        let origin = Path::new(&modules[next].path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let found = elf::dependencies(&data);
        let mut paths: Vec<PathBuf> = found.interpreter.map(PathBuf::from).into_iter().collect();
        for name in &found.needed {
            if let Some(path) = find_library(name, &found.run_path, &origin) {
                paths.push(path);
            }
        }
        for path in paths {
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            let path = path.to_string_lossy().into_owned();
            if modules.iter().all(|module| module.path != path) {
                modules.push(UserModule {
                    path,
                    is_main: false,
                });
            }
        }
        next += 1;
    }
    modules
}

/// Where the dynamic linker finds the library `name`.
fn find_library(name: &str, run_path: &[String], origin: &Path) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    let origin = origin.to_string_lossy();
    let mut dirs: Vec<String> = run_path
        .iter()
        .map(|dir| dir.replace("$ORIGIN", &origin))
        .collect();
    if let Ok(library_path) = std::env::var("LD_LIBRARY_PATH") {
        dirs.extend(library_path.split(':').map(str::to_owned));
    }
    dirs.extend(configured_dirs());
    dirs.extend(SYSTEM_LIBRARY_DIRS.iter().map(|dir| (*dir).to_owned()));
    dirs.iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

/// The directories listed in `/etc/ld.so.conf.d/*.conf`.
fn configured_dirs() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/etc/ld.so.conf.d") else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| line.starts_with('/'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_give_executable_files_once_with_the_program_first() {
        let maps = "\
55d0a0000000-55d0a0001000 r--p 00000000 08:01 131 /usr/bin/prog
55d0a0001000-55d0a0002000 r-xp 00001000 08:01 131 /usr/bin/prog
7f0000000000-7f0000100000 r-xp 00028000 08:01 900 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000100000-7f0000200000 r-xp 00000000 08:01 901 /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000200000-7f0000201000 rw-p 00000000 00:00 0 
7f0000300000-7f0000301000 r-xp 00000000 08:01 902 /tmp/old.so (deleted)
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0 [vdso]
";
        let modules = mapped_modules(maps, Some(Path::new("/usr/bin/prog")));
        let paths: Vec<(&str, bool)> = modules
            .iter()
            .map(|module| (module.path.as_str(), module.is_main))
            .collect();
        assert_eq!(
            paths,
            [
                ("/usr/bin/prog", true),
                ("/usr/lib/x86_64-linux-gnu/libc.so.6", false)
            ]
        );
        assert_eq!(modules[1].name(), "libc.so.6");
    }

    #[test]
    fn a_program_links_its_interpreter_and_libc() {
        let modules = linked_modules(Path::new("/bin/sh"));
        assert!(modules[0].is_main);
        let names: Vec<&str> = modules.iter().map(UserModule::name).collect();
        assert!(names.contains(&"libc.so.6"), "{names:?}");
        assert!(
            names.iter().any(|name| name.starts_with("ld-linux")),
            "{names:?}"
        );
    }

    #[test]
    fn a_library_to_dlopen_is_found_as_the_dynamic_linker_finds_it() {
        let files = UserFiles::default();
        let libc = files
            .library(std::process::id(), "libc.so.6")
            .expect("libc is on the system's library path");
        assert!(libc.path.starts_with('/') && libc.path.ends_with("/libc.so.6"));
        assert!(!libc.is_main);
        assert_eq!(
            files.library(std::process::id(), "libnosuch_at_all.so"),
            None
        );
        assert_eq!(
            files.library(std::process::id(), "/nonexistent/libx.so"),
            None
        );
    }

    #[test]
    fn this_process_maps_itself_first() {
        let files = UserFiles::default();
        let modules = files
            .modules(std::process::id())
            .expect("this process exists");
        assert!(modules[0].is_main);
        assert!(
            modules
                .iter()
                .any(|module| module.name().starts_with("libc.so"))
        );
        assert!(!files.functions(&modules[0].path).is_empty());
    }
}

//! Standing scripts: every `*.d` of the scripts directory runs from the daemon's start, as a
//! session named after its file (`syscalls.d` is `syscalls`), compiled with dtrace's default
//! options. A script that fails to compile or load is reported and skipped; the others run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Shared;
use tracer_protocol::user::UserFacts;
use tracer_protocol::{CodegenSettings, CompileSettings, ProgramRequest, SourceKind, SourceText};

/// The standing scripts of `dir`, sorted by name: `(name, path)`. A missing directory has none.
pub fn scripts(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut scripts: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "d") && path.is_file())
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            Some((name, path))
        })
        .collect();
    scripts.sort();
    scripts
}

/// Starts every standing script of `dir`; returns how many run.
pub async fn start_all(shared: &Arc<Shared>, dir: &Path) -> usize {
    let mut n_started = 0;
    for (name, path) in scripts(dir) {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(io_error) => {
                eprintln!("tracerd: failed to read `{}`: {io_error}", path.display());
                continue;
            }
        };
        let request = ProgramRequest {
            sources: vec![SourceText {
                name: path.display().to_string(),
                text,
                kind: SourceKind::Script,
            }],
            compile: CompileSettings {
                program_name: path.display().to_string(),
                ..CompileSettings::default()
            },
            codegen: CodegenSettings::default(),
            destructive: shared.config.allow_destructive,
            user: UserFacts::default(),
        };
        match shared
            .start_session(request, Some(name.clone()), None, 0)
            .await
        {
            Ok(_) => {
                eprintln!("tracerd: standing script `{name}` started");
                n_started += 1;
            }
            Err(failure) => {
                eprintln!(
                    "tracerd: standing script `{name}` failed: {}",
                    failure.message
                );
            }
        }
    }
    n_started
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_d_files_are_scripts_in_name_order() {
        let dir = std::env::temp_dir().join(format!("tracerd-scripts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub.d")).unwrap();
        for file in ["b.d", "a.d", "notes.txt", "c.d.bak"] {
            std::fs::write(dir.join(file), "BEGIN {}").unwrap();
        }
        let names: Vec<String> = scripts(&dir).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(scripts(&dir.join("missing")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Which library files that depend on a kernel module a program needs.
//!
//! A library file that says `#pragma D depends_on module vmlinux` looks kernel types up as it is
//! checked, and the first lookup makes the catalog read the kernel's BTF: on Linux 6.18 that is
//! 5 MiB and some 45 ms, more than all the rest of `BEGIN { exit(0); }`. Such a file is checked
//! only when the program may use what it declares: when a word of the program, of its macro
//! arguments or of another library file checked names one of its types, tags, enumerators,
//! inlines or variables. A file none of whose names is used cannot change how the program
//! compiles, so leaving it out only saves the time.
//!
//! Words are over-approximated (every identifier-like run of characters, in strings and
//! comments too), so a doubt always checks the file. A program that says `args` needs every
//! file, as a provider may give its arguments a type a library file declares (`psinfo_t`,
//! `fileinfo_t`) without the program naming it.

use std::collections::HashSet;

use crate::ast::{Item, MemberDecl, Program, TagBody, TypeSpec};

/// The word that makes every library file needed: `args[]` may be translated to library types.
const ARGS: &str = "args";

/// The identifier-like words of `text`: runs of ASCII letters, digits and underscores.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

/// Whether `program` says `#pragma D depends_on module NAME` for some module.
pub(crate) fn depends_on_module(program: &Program) -> bool {
    program.items.iter().any(|item| {
        matches!(item, Item::Pragma(pragma)
            if matches!(pragma.words.as_slice(), [directive, class, ..]
                if directive == "depends_on" && class == "module"))
    })
}

/// The names `program` declares at the outer level: declarators (typedef names, inlines,
/// variables), struct, union and enum tags (nested ones too, as C puts them in the outer
/// scope), enumerators, and the output types of translators.
pub(crate) fn declared_names(program: &Program) -> HashSet<&str> {
    let mut names = HashSet::new();
    for item in &program.items {
        match item {
            Item::Decl(decl) => {
                names.extend(decl.declarators.iter().map(|d| d.name.as_str()));
                if let Some(ty) = &decl.ty {
                    type_names(ty, &mut names);
                }
            }
            Item::Translator(translator) => {
                type_names(&translator.output, &mut names);
                if let TypeSpec::Named { words, .. } = &translator.output {
                    names.extend(words.iter().map(String::as_str));
                }
            }
            Item::Clause(_) | Item::Pragma(_) => {}
        }
    }
    names
}

/// The tags and enumerators a type specifier defines or names.
fn type_names<'a>(ty: &'a TypeSpec, names: &mut HashSet<&'a str>) {
    let TypeSpec::Tagged { tag, body, .. } = ty else {
        return;
    };
    names.extend(tag.as_deref());
    match body {
        Some(TagBody::Members(members)) => {
            for MemberDecl { ty, .. } in members {
                type_names(ty, names);
            }
        }
        Some(TagBody::Enumerators(enumerators)) => {
            names.extend(enumerators.iter().map(|e| e.name.as_str()));
        }
        None => {}
    }
}

/// Which of the optional library files are needed, given their programs and texts and the
/// words the rest of the program (sources, macro arguments, library files always checked)
/// uses: a file is needed when one of its declared names is used, and then its own words count
/// as used too, until no more file is needed.
pub(crate) fn needed<'a>(optional: &[(&'a Program, &'a str)], used: HashSet<&'a str>) -> Vec<bool> {
    let mut used = used;
    let all = used.contains(ARGS);
    let mut needed = vec![all; optional.len()];
    let declared: Vec<HashSet<&str>> = optional
        .iter()
        .map(|(program, _)| declared_names(program))
        .collect();
    let mut changed = !all;
    while changed {
        changed = false;
        for (index, (_, text)) in optional.iter().enumerate() {
            if !needed[index] && declared[index].iter().any(|name| used.contains(name)) {
                needed[index] = true;
                used.extend(words(text));
                changed = true;
            }
        }
    }
    needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    const TASKS: &str = "#pragma D depends_on module vmlinux\n\
        typedef struct taskinfo { int ti_pid; struct inner { int x; } in; } taskinfo_t;\n\
        enum task_state { TS_RUN = 1 };\n\
        inline taskinfo_t *curtask = xlate <taskinfo_t *> (curthread);\n\
        translator taskinfo_t < struct task_struct *T > { ti_pid = T->tgid; };\n";
    const FILES: &str = "#pragma D depends_on module vmlinux\n\
        inline int FILE_FLAGS = 3;\n\
        inline taskinfo_t *owner = curtask;\n";

    fn parsed(texts: &[&str]) -> Vec<Program> {
        let mut sources = SourceMap::default();
        texts
            .iter()
            .map(|text| {
                let file = sources.add("lib.d", *text);
                let (program, diagnostics) = parse_source(&sources, file);
                assert!(diagnostics.is_empty(), "{diagnostics:?}");
                program
            })
            .collect()
    }

    fn needed_for(program: &str) -> Vec<bool> {
        let programs = parsed(&[TASKS, FILES]);
        let optional = [(&programs[0], TASKS), (&programs[1], FILES)];
        needed(&optional, words(program).collect())
    }

    #[test]
    fn words_are_identifier_runs() {
        let found: Vec<&str> = words("BEGIN{exit(0);}/* x_1 */ vmlinux`task_struct").collect();
        assert_eq!(
            found,
            ["BEGIN", "exit", "0", "x_1", "vmlinux", "task_struct"]
        );
    }

    #[test]
    fn declared_names_cover_every_kind_of_declaration() {
        let programs = parsed(&[TASKS]);
        let mut names: Vec<&str> = declared_names(&programs[0]).into_iter().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "TS_RUN",
                "curtask",
                "inner",
                "task_state",
                "taskinfo",
                "taskinfo_t"
            ]
        );
    }

    #[test]
    fn a_program_naming_nothing_declared_needs_no_file() {
        assert_eq!(needed_for("BEGIN { exit(0); }"), [false, false]);
        assert_eq!(
            needed_for("syscall::read:entry { @[execname, pid] = count(); }"),
            [false, false]
        );
    }

    #[test]
    fn a_name_used_needs_its_file_and_the_files_that_file_uses() {
        assert_eq!(needed_for("BEGIN { trace(TS_RUN); }"), [true, false]);
        assert_eq!(needed_for("BEGIN { trace(owner->ti_pid); }"), [true, true]);
        assert_eq!(needed_for("BEGIN { trace(FILE_FLAGS); }"), [true, true]);
    }

    #[test]
    fn args_needs_every_file() {
        assert_eq!(needed_for("proc:::exec { trace(args[0]); }"), [true, true]);
    }

    #[test]
    fn only_module_dependent_files_are_optional() {
        let programs = parsed(&[TASKS, "typedef int plain_t;\n"]);
        assert!(depends_on_module(&programs[0]));
        assert!(!depends_on_module(&programs[1]));
    }
}

//! The `io` provider: block device I/O as DTrace names it, built on the block layer's raw
//! tracepoints (see [`super::dependent`]), as Oracle DTrace builds it.
//!
//! | probe | fires | source |
//! |---|---|---|
//! | `start` | a `struct bio` is submitted to a block device | `block_bio_queue` |
//! | `done` | a bio completes | `block_rq_complete` (the request's first bio), `block_bio_complete` |
//! | `wait-start` | a thread starts waiting for a bio it submitted | entry of `submit_bio_wait` |
//! | `wait-done` | the thread's wait for the bio ends | return of `submit_bio_wait` |
//!
//! Linux has no tracepoint for a thread waiting for I/O, so `wait-start` and `wait-done` ride on
//! the function that submits a bio and sleeps until it completes, as in Oracle DTrace, and
//! attach the way `fbt` probes do (fentry and fexit, or kprobes): where the kernel allows neither,
//! a program enabling them fails with the reason, as an `fbt` one does. As in DTrace, `args[0]` and
//! `args[1]` are the `bufinfo_t *` and `devinfo_t *` the D library translates from the `struct
//! bio *` the trampoline passes (`arg0`); `args[2]` is a `fileinfo_t *` translated from a NULL
//! `struct file *` (its members read `<none>`): the block layer does not know the file, as in
//! Oracle DTrace.

use super::ProbeCatalog;
use super::dependent::{self, DependentProbe, RawSource, RawValue, StaticArgType};

/// The bio as the buffer it transfers.
const BUFINFO: (&str, StaticArgType) = (
    "struct bio *",
    StaticArgType::Translated {
        input: "struct bio",
        output: "bufinfo_t",
    },
);
/// The bio as the device it is for.
const DEVINFO: (&str, StaticArgType) = (
    "struct bio *",
    StaticArgType::Translated {
        input: "struct bio",
        output: "devinfo_t",
    },
);
/// The file, which the block layer does not know: always the NULL file, "<none>".
const FILEINFO: (&str, StaticArgType) = (
    "struct file *",
    StaticArgType::Translated {
        input: "struct file",
        output: "fileinfo_t",
    },
);

/// The probes, in ID order.
pub(super) const PROBES: &[DependentProbe] = &[
    DependentProbe {
        name: "done",
        args: &[BUFINFO, DEVINFO, FILEINFO],
    },
    DependentProbe {
        name: "start",
        args: &[BUFINFO, DEVINFO, FILEINFO],
    },
    DependentProbe {
        name: "wait-done",
        args: &[BUFINFO, DEVINFO, FILEINFO],
    },
    DependentProbe {
        name: "wait-start",
        args: &[BUFINFO, DEVINFO, FILEINFO],
    },
];

/// The kernel function that submits a bio and waits for it: `submit_bio_wait(struct bio *)`.
const WAIT_FUNCTION: &str = "submit_bio_wait";

/// The sources of the probe called `name`; `done` on requests needs the offset of
/// `struct request`'s `bio` from BTF, `wait-start` and `wait-done` the function in BTF.
pub(super) fn sources(name: &str, catalog: &dyn ProbeCatalog) -> Vec<RawSource> {
    use RawValue::{Arg, Deref};
    match name {
        "start" => vec![dependent::source(
            "block_bio_queue",
            Vec::new(),
            vec![Arg(0), Arg(0)],
        )],
        "done" => {
            let mut sources = Vec::new();
            if let Some(bio) = catalog.struct_member("request", "bio") {
                let first_bio = Deref {
                    arg: 0,
                    offset: bio.offset,
                };
                sources.push(dependent::source(
                    "block_rq_complete",
                    Vec::new(),
                    vec![first_bio, first_bio],
                ));
            }
            sources.push(dependent::source(
                "block_bio_complete",
                Vec::new(),
                vec![Arg(1), Arg(1)],
            ));
            sources
        }
        "wait-start" | "wait-done" if catalog.kernel_function(WAIT_FUNCTION).is_some() => {
            vec![dependent::function_source(
                WAIT_FUNCTION,
                name == "wait-done",
                vec![Arg(0), Arg(0)],
            )]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::SourceKind;
    use crate::provider::tests::FakeCatalog;

    #[test]
    fn start_is_the_queued_bio() {
        let start = sources("start", &FakeCatalog);
        assert_eq!(start.len(), 1);
        assert_eq!(start[0].tracepoint, "block_bio_queue");
        assert_eq!(start[0].args, [RawValue::Arg(0), RawValue::Arg(0)]);
    }

    #[test]
    fn done_reads_the_request_s_first_bio() {
        let done = sources("done", &FakeCatalog);
        let tracepoints: Vec<&str> = done
            .iter()
            .map(|source| source.tracepoint.as_str())
            .collect();
        assert_eq!(tracepoints, ["block_rq_complete", "block_bio_complete"]);
        assert_eq!(
            done[0].args[0],
            RawValue::Deref {
                arg: 0,
                offset: 112
            }
        );
        assert_eq!(done[1].args[0], RawValue::Arg(1));
        let outputs: Vec<&str> = PROBES[0]
            .args
            .iter()
            .map(|(_, ty)| match ty {
                StaticArgType::Translated { output, .. } => *output,
                _ => "native",
            })
            .collect();
        assert_eq!(outputs, ["bufinfo_t", "devinfo_t", "fileinfo_t"]);
    }

    /// A kernel without BTF, whose functions are unknown.
    struct NoBtf;

    impl ProbeCatalog for NoBtf {
        fn syscalls(&self) -> Vec<crate::provider::SyscallInfo> {
            Vec::new()
        }

        fn struct_member(&self, _: &str, _: &str) -> Option<crate::provider::MemberInfo> {
            None
        }
    }

    #[test]
    fn waits_ride_on_the_entry_and_return_of_submit_bio_wait() {
        let start = sources("wait-start", &FakeCatalog);
        let done = sources("wait-done", &FakeCatalog);
        for (source, kind) in [
            (&start, SourceKind::FunctionEntry),
            (&done, SourceKind::FunctionReturn),
        ] {
            assert_eq!(source.len(), 1);
            assert_eq!(source[0].tracepoint, "submit_bio_wait");
            assert_eq!(source[0].kind, kind);
            assert_eq!(source[0].args, [RawValue::Arg(0), RawValue::Arg(0)]);
        }
        assert!(
            sources("wait-start", &NoBtf).is_empty(),
            "a kernel without the function has no source"
        );
    }
}

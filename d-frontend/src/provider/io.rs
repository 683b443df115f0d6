//! The `io` provider: block device I/O as DTrace names it, built on the block layer's raw
//! tracepoints (see [`super::dependent`]), as Oracle DTrace builds it.
//!
//! | probe | fires | source |
//! |---|---|---|
//! | `start` | a `struct bio` is submitted to a block device | `block_bio_queue` |
//! | `done` | a bio completes | `block_rq_complete` (the request's first bio), `block_bio_complete` |
//!
//! `wait-start` and `wait-done` are left out: Oracle DTrace puts them on `submit_bio_wait` with
//! fbt, and Linux has no tracepoint for a thread waiting for I/O. As in DTrace, `args[0]` and
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
];

/// The sources of the probe called `name`; `done` on requests needs the offset of
/// `struct request`'s `bio` from BTF.
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
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}

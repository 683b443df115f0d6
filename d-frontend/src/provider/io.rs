//! The `io` provider: block device I/O as DTrace names it, built on the block layer's raw
//! tracepoints (see [`super::dependent`]), as Oracle DTrace builds it.
//!
//! | probe | fires | source |
//! |---|---|---|
//! | `start` | a `struct bio` is submitted to a block device | `block_bio_queue` |
//! | `done` | a bio completes | `block_rq_complete` (the request's first bio), `block_bio_complete` |
//!
//! `wait-start` and `wait-done` are left out: Oracle DTrace puts them on `submit_bio_wait` with
//! fbt, and Linux has no tracepoint for a thread waiting for I/O. As with `proc` and `sched`,
//! `args[0]` and `args[1]`, which DTrace translates to `bufinfo_t *` and `devinfo_t *`, are the
//! `struct bio *` they would be translated from; `args[2]` (`fileinfo_t *`) is always 0 on Linux,
//! as in Oracle DTrace.

use super::ProbeCatalog;
use super::dependent::{self, DependentProbe, RawSource, RawValue, StaticArgType};

const BIO: (&str, StaticArgType) = ("struct bio *", StaticArgType::Pointer("struct bio"));
const FILE: (&str, StaticArgType) = ("struct file *", StaticArgType::Pointer("struct file"));

/// The probes, in ID order.
pub(super) const PROBES: &[DependentProbe] = &[
    DependentProbe {
        name: "done",
        args: &[BIO, BIO, FILE],
    },
    DependentProbe {
        name: "start",
        args: &[BIO, BIO, FILE],
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
        assert_eq!(PROBES[0].args.len(), 3);
    }
}

//! `-x flamegraph=FILE`: at the end of a run, the aggregations keyed by stacks drawn as a flame
//! graph SVG with `inferno`, from the same folded stacks `-x stackfmt=folded` prints.

use std::fs::File;
use std::io::BufWriter;

use anyhow::Context;

use super::agg::{self, SortOptions};
use super::folded;
use super::sink::NamedAggregation;

/// Draws every aggregation of `aggs` keyed by a stack into one flame graph at `path`; returns
/// `false`, drawing nothing, when none is.
pub fn write(path: &str, aggs: &[NamedAggregation<'_>]) -> anyhow::Result<bool> {
    let folded = folded_lines(aggs);
    if folded.is_empty() {
        return Ok(false);
    }
    let file = File::create(path).with_context(|| format!("failed to create {path}"))?;
    let mut options = inferno::flamegraph::Options::default();
    "tracer".clone_into(&mut options.title);
    inferno::flamegraph::from_lines(&mut options, folded.lines(), BufWriter::new(file))
        .with_context(|| format!("failed to write the flame graph {path}"))?;
    Ok(true)
}

/// The folded stacks of every aggregation keyed by a stack, one line per row.
fn folded_lines(aggs: &[NamedAggregation<'_>]) -> String {
    let options = SortOptions {
        folded_stacks: true,
        ..SortOptions::default()
    };
    let mut out = Vec::new();
    for named in aggs {
        if folded::applies(named.agg.rows) {
            agg::print_aggregations(&[named.agg], options, &mut out);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::agg::Aggregation;
    use tracer_ebpf::layout::{AggFunc, AggParams, AggValue, StackValue, Symbol, Value};

    #[test]
    fn stack_aggregations_draw_an_svg_with_their_frames() {
        let stack = Value::Stack(StackValue {
            pid: None,
            frames: vec![0x10, 0x20],
            symbols: vec![
                Some(Symbol {
                    module: "vmlinux".to_owned(),
                    name: Some(("copy_page".to_owned(), 3)),
                }),
                Some(Symbol {
                    module: "vmlinux".to_owned(),
                    name: Some(("do_syscall_64".to_owned(), 9)),
                }),
            ],
            indent: 14,
        });
        let rows = vec![(vec![stack], AggValue::Count(5))];
        let plain = vec![(
            vec![Value::Int {
                bits: 1,
                size: 8,
                signed: false,
            }],
            AggValue::Count(1),
        )];
        let agg = |rows| NamedAggregation {
            name: "",
            agg: Aggregation {
                func: AggFunc::Count,
                params: AggParams::default(),
                normal: 1,
                rows,
            },
        };
        let path = std::env::temp_dir().join(format!("tracer-flame-{}.svg", std::process::id()));
        let path = path.to_str().expect("a UTF-8 path");
        assert!(!write(path, &[agg(&plain)]).expect("nothing to draw"));
        assert!(write(path, &[agg(&plain), agg(&rows)]).expect("the graph is drawn"));
        let svg = std::fs::read_to_string(path).expect("the SVG is there");
        std::fs::remove_file(path).expect("the SVG is removed");
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains("vmlinux`copy_page"));
        assert!(svg.contains("vmlinux`do_syscall_64"));
    }
}

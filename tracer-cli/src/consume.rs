//! Consuming what the probes send: records become text as dtrace prints them.
//!
//! The consumer owns the output state dtrace keeps across records: whether the column header was
//! printed, which aggregations `printa` has printed (those are not printed again at exit), and the
//! exit status an `exit()` record asked for.

use anyhow::Context as _;
use d_frontend::printf::{FormatPiece, parse_format};
use tracer_daemon::events::decode_record;
use tracer_daemon::load::Session;
use tracer_ebpf::layout::{AggValue, Value};
use tracer_ebpf::plan::{ActionDesc, CompiledProgram};

use crate::output::printf;
use crate::output::text::{self, Aggregation};

/// Prints records and aggregations for one compiled program.
pub struct Consumer<'a> {
    program: &'a CompiledProgram,
    quiet: bool,
    header_printed: bool,
    printed: Vec<bool>,
    /// Per clause, per action: the parsed format of `printf` and formatted `printa`.
    formats: Vec<Vec<Option<Vec<FormatPiece>>>>,
    exit_status: Option<i32>,
}

impl<'a> Consumer<'a> {
    /// A consumer for `program`; `quiet` is dtrace's `-q`.
    pub fn new(program: &'a CompiledProgram, quiet: bool) -> Consumer<'a> {
        let formats = program
            .records
            .iter()
            .map(|record| {
                record
                    .actions
                    .iter()
                    .map(|action| match action {
                        ActionDesc::Printf { format, .. }
                        | ActionDesc::Printa {
                            format: Some(format),
                            ..
                        } => parse_format(format).ok(),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        Consumer {
            program,
            quiet,
            header_printed: false,
            printed: vec![false; program.aggregations.len()],
            formats,
            exit_status: None,
        }
    }

    /// The status of the first `exit()` record, once one arrived.
    pub fn exit_status(&self) -> Option<i32> {
        self.exit_status
    }

    /// Prints one ring buffer record.
    pub fn record(
        &mut self,
        bytes: &[u8],
        session: &Session,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let Some(clause_id) = tracer_ebpf::layout::RecordHeader::decode(bytes)
            .map(|header| header.clause_id as usize)
        else {
            anyhow::bail!(
                "received a record of {} bytes, too short for a header",
                bytes.len()
            );
        };
        let Some(desc) = self.program.records.get(clause_id) else {
            anyhow::bail!("received a record for clause {clause_id}, which does not exist");
        };
        let decoded = decode_record(desc, bytes).context("received a malformed record")?;
        if !self.quiet {
            if !self.header_printed {
                out.extend_from_slice(text::probe_header().as_bytes());
                self.header_printed = true;
            }
            let probes = &self.program.probes;
            let probe = probes
                .binary_search_by_key(&decoded.header.probe_id, |probe| probe.id)
                .ok()
                .map(|probe_idx| &probes[probe_idx]);
            let (function, name) = probe.map_or(("", ""), |probe| {
                (probe.function.as_str(), probe.name.as_str())
            });
            out.extend_from_slice(
                text::probe_line_prefix(
                    decoded.header.cpu,
                    decoded.header.probe_id,
                    function,
                    name,
                )
                .as_bytes(),
            );
        }
        for (action_idx, (action, values)) in desc.actions.iter().zip(&decoded.actions).enumerate()
        {
            let format = self.formats[clause_id][action_idx].as_deref();
            match action {
                ActionDesc::Trace(_) => {
                    if let Some(value) = values.first() {
                        text::trace_value(value, self.quiet, out);
                    }
                }
                ActionDesc::Printf { .. } => {
                    printf::format(format.unwrap_or_default(), values, out);
                }
                ActionDesc::Printa {
                    format: raw_format,
                    aggregations,
                } => {
                    let pieces = raw_format.as_ref().map(|_| format.unwrap_or_default());
                    printa(
                        self.program,
                        &mut self.printed,
                        pieces,
                        aggregations,
                        session,
                        out,
                    )?;
                }
                ActionDesc::Exit(_) => {
                    if self.exit_status.is_none() {
                        self.exit_status = Some(exit_status(values.first()));
                    }
                }
            }
        }
        if !self.quiet {
            out.push(b'\n');
        }
        Ok(())
    }

    /// At exit: a newline, then every aggregation no `printa` printed, in order of first use.
    pub fn finish(&mut self, session: &Session, out: &mut Vec<u8>) -> anyhow::Result<()> {
        out.push(b'\n');
        for (agg_idx, desc) in self.program.aggregations.iter().enumerate() {
            if self.printed[agg_idx] {
                continue;
            }
            let rows = session
                .aggregation(desc)
                .with_context(|| format!("failed to read aggregation @{}", desc.name))?;
            text::print_aggregation(desc.func, &rows, out);
        }
        Ok(())
    }
}

/// Prints aggregations for a `printa` record and marks them printed.
fn printa(
    program: &CompiledProgram,
    printed: &mut [bool],
    format: Option<&[FormatPiece]>,
    aggregations: &[usize],
    session: &Session,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    let mut snapshots: Vec<Vec<(Vec<Value>, AggValue)>> = Vec::new();
    for &agg_idx in aggregations {
        let desc = &program.aggregations[agg_idx];
        snapshots.push(
            session
                .aggregation(desc)
                .with_context(|| format!("failed to read aggregation @{}", desc.name))?,
        );
        printed[agg_idx] = true;
    }
    let views: Vec<Aggregation<'_>> = aggregations
        .iter()
        .zip(&snapshots)
        .map(|(&agg_idx, rows)| Aggregation {
            func: program.aggregations[agg_idx].func,
            rows,
        })
        .collect();
    match format {
        Some(pieces) => text::printa_formatted(pieces, &views, out),
        None => {
            out.push(b'\n');
            text::print_aggregations(&views, out);
        }
    }
    Ok(())
}

/// `exit(n)`'s status as a process exit status (the low byte, as the kernel keeps it).
fn exit_status(value: Option<&Value>) -> i32 {
    match value {
        Some(Value::Int { bits, .. }) => (*bits & 0xff) as i32,
        _ => 0,
    }
}

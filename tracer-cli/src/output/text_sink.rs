//! The text sink: dtrace's default output, byte for byte.
//!
//! Traced data goes to `out` (standard output) laid out by `text`, `printf`, `agg`, `histogram`
//! and `tracemem`; the banner, runtime errors and drops go straight to standard error, worded as
//! dtrace words them.

use std::io::Write as _;
use std::os::unix::ffi::OsStrExt as _;

use anyhow::Context as _;
use d_frontend::ir::SourceSummary;
use d_frontend::printf::FormatPiece;
use tracer_ebpf::layout::{FaultRecord, RecordHeader, Value};
use tracer_ebpf::plan::ProbeInfo;

use super::agg::{self, Aggregation, SortOptions};
use super::sink::{DropCount, EndReason, NamedAggregation, SetoptFailure, Sink};
use super::{printf, text, tracemem};

/// The program name messages start with.
pub(crate) const PROGRAM: &str = "tracer";

/// dtrace's text output and the state its layout keeps across records.
#[derive(Clone, Debug)]
pub struct TextSink {
    /// Whether the column header was printed (before the first probe line).
    header_printed: bool,
    /// dtrace's testing mode: probe lines without CPU and ID columns.
    testing: bool,
    /// Whether a probe line is open, to be ended with a newline.
    line_open: bool,
}

impl TextSink {
    /// A sink that has printed nothing yet; `testing` is dtrace's testing mode
    /// (`text::testing_mode`).
    pub fn new(testing: bool) -> TextSink {
        TextSink {
            header_printed: false,
            testing,
            line_open: false,
        }
    }
}

impl Sink for TextSink {
    /// `tracer: description 'BEGIN ' matched 1 probe`, once per source, as dtrace prints it.
    fn banner(&mut self, sources: &[SourceSummary], quiet: bool, _out: &mut Vec<u8>) {
        if quiet {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        for source in sources {
            let plural = if source.n_matched == 1 { "" } else { "s" };
            let _ = writeln!(
                stderr,
                "{PROGRAM}: {} '{}' matched {} probe{plural}",
                source.kind, source.name, source.n_matched
            );
        }
    }

    /// Without `quiet` (as it was when the record arrived: a `setopt()` in it takes effect from
    /// the next record), ends the open probe line, if any, and starts one for the record's probe
    /// (after the column header, before the first).
    fn start_line(
        &mut self,
        header: &RecordHeader,
        probe: Option<&ProbeInfo>,
        quiet: bool,
        out: &mut Vec<u8>,
    ) {
        if quiet {
            return;
        }
        if self.line_open {
            out.push(b'\n');
        }
        if !self.header_printed {
            out.extend_from_slice(text::probe_header(self.testing).as_bytes());
            self.header_printed = true;
        }
        let (function, name) = probe.map_or(("", ""), |probe| {
            (probe.function.as_str(), probe.name.as_str())
        });
        out.extend_from_slice(
            text::probe_line_prefix(
                u32::from(header.cpu),
                header.probe_id,
                function,
                name,
                self.testing,
            )
            .as_bytes(),
        );
        self.line_open = true;
    }

    fn trace(&mut self, value: &Value, quiet: bool, out: &mut Vec<u8>) {
        text::trace_value(value, quiet, out);
    }

    fn printf(&mut self, pieces: &[FormatPiece], args: &[Value], out: &mut Vec<u8>) {
        printf::format(pieces, args, out);
    }

    /// Without a format: a newline, then the default layout; with one, only the formatted rows.
    fn printa(
        &mut self,
        format: Option<&[FormatPiece]>,
        aggs: &[NamedAggregation<'_>],
        sort: SortOptions,
        out: &mut Vec<u8>,
    ) {
        let views: Vec<Aggregation<'_>> = aggs.iter().map(|named| named.agg).collect();
        match format {
            Some(pieces) => agg::printa_formatted(pieces, &views, sort, out),
            None => {
                out.push(b'\n');
                agg::print_aggregations(&views, sort, out);
            }
        }
    }

    /// Writes what is pending to stdout, then runs the formatted command through the shell,
    /// which writes to the same stdout, so its output comes in order.
    fn system(
        &mut self,
        pieces: &[FormatPiece],
        args: &[Value],
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let mut command = Vec::new();
        printf::format(pieces, args, &mut command);
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out)?;
        stdout.flush()?;
        out.clear();
        std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(&command))
            .status()
            .with_context(|| {
                format!(
                    "failed to run system( ) command {}",
                    String::from_utf8_lossy(&command)
                )
            })?;
        Ok(())
    }

    fn tracemem(&mut self, bytes: &[u8], shown: Option<&Value>, out: &mut Vec<u8>) {
        tracemem::tracemem(bytes, shown, out);
    }

    fn print(
        &mut self,
        ty: &d_frontend::ir::PrintType,
        address: u64,
        bytes: &[u8],
        limit: usize,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(super::print::format(ty, address, bytes, limit).as_bytes());
    }

    fn exit(&mut self, _status: i32, _out: &mut Vec<u8>) {}

    fn end_record(&mut self, out: &mut Vec<u8>) {
        if self.line_open {
            out.push(b'\n');
            self.line_open = false;
        }
    }

    fn fault(
        &mut self,
        _fault: &FaultRecord,
        _probe: Option<&ProbeInfo>,
        message: &str,
        _out: &mut Vec<u8>,
    ) {
        eprintln!("{PROGRAM}: {message}");
    }

    fn setopt_error(&mut self, failure: &SetoptFailure<'_>, _out: &mut Vec<u8>) {
        let _ = write!(
            std::io::stderr().lock(),
            "{PROGRAM}: {}\n\n",
            failure.message
        );
    }

    /// A newline (even with `quiet`), then each aggregation in the default layout.
    fn finish(&mut self, aggs: &[NamedAggregation<'_>], sort: SortOptions, out: &mut Vec<u8>) {
        out.push(b'\n');
        for named in aggs {
            agg::print_aggregations(&[named.agg], sort, out);
        }
    }

    /// dtrace's drop messages, in its order (the caller gives them in that order).
    fn drops(&mut self, drops: &[DropCount], _out: &mut Vec<u8>) {
        let plural = |count: u64| if count == 1 { "" } else { "s" };
        for &drop in drops {
            let count = drop.count();
            let s = plural(count);
            let message = match drop {
                DropCount::Principal { cpu, .. } => format!("{count} drop{s} on CPU {cpu}"),
                DropCount::Aggregation { cpu, .. } => {
                    format!("{count} aggregation drop{s} on CPU {cpu}")
                }
                DropCount::Dynamic(_) => format!("{count} dynamic variable drop{s}"),
                DropCount::Speculative(_) => format!("{count} speculative drop{s}"),
                DropCount::SpeculationBusy(_) => {
                    format!("{count} failed speculation{s} (available buffer(s) still busy)")
                }
                DropCount::SpeculationUnavailable(_) => {
                    format!("{count} failed speculation{s} (no speculative buffer available)")
                }
            };
            eprintln!("{PROGRAM}: {message}");
        }
    }

    fn end(&mut self, _status: u8, _reason: EndReason, _out: &mut Vec<u8>) {}
}

//! `-l`: the probes the sources' descriptions match, or every probe, listed from the kernel's
//! catalog (or `tracerd`'s, for a client that is not root) without loading anything.
//!
//! As in dtrace, `-l` implies `-Z`: the sources are compiled (so a bad clause is still an error),
//! then each description lists the probes it matched, in order; one that matched nothing is
//! reported on stderr and the run goes on, still exiting 0.

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use d_frontend::compile::{Input, compile_inputs};
use d_frontend::provider::{Probe, ProbeCatalog, ProbeDesc, ProbeTable};
use d_frontend::source::{FileId, SourceMap};
use tracer_cli::flags::HiArgs;
use tracer_cli::output::list::{list_header, list_line, no_match_message, probe_info};
use tracer_cli::target::Target;

use crate::run::{PROGRAM, compile_options, print_diagnostic};

/// Lists the probes and returns the exit status.
pub(crate) fn list(
    args: &HiArgs,
    sources: &SourceMap,
    inputs: &[Input],
    library: Vec<FileId>,
    catalog: &dyn ProbeCatalog,
    targets: &[Target],
) -> anyhow::Result<u8> {
    let mut table = ProbeTable::new(catalog);
    let compiled = if inputs.is_empty() {
        None
    } else {
        let mut options = compile_options(args, targets.first().map(Target::pid), library);
        options.zdefs = true;
        match compile_inputs(sources, inputs, catalog, &options) {
            Ok(compiled) => Some(compiled),
            Err(diagnostics) => {
                if let Some(diagnostic) = diagnostics.first() {
                    print_diagnostic(sources, inputs, diagnostic, &args.options);
                }
                return Ok(1);
            }
        }
    };
    let mut out: Box<dyn Write> = match args.open_output_file()? {
        Some(file) => Box::new(BufWriter::new(file)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    out.write_all(list_header().as_bytes())?;
    let Some(compiled) = compiled else {
        for mut probe in table.matching(&ProbeDesc::default()) {
            out.write_all(list_line(&probe).as_bytes())?;
            if args.verbose > 0 {
                probe.args = table.args(&probe);
                out.write_all(probe_info(&probe).as_bytes())?;
            }
        }
        out.flush()?;
        return Ok(0);
    };
    let module = &compiled.module;
    let probes: HashMap<u32, &Probe> = module
        .probes
        .iter()
        .map(|probe| (probe.id, probe))
        .collect();
    for description in module
        .sources
        .iter()
        .flat_map(|source| &source.descriptions)
    {
        if description.probe_ids.is_empty() {
            // The message follows the lines listed before it, as dtrace prints them.
            out.flush()?;
            let message = no_match_message(PROGRAM, &description.desc.to_string());
            let _ = std::io::stderr().write_all(message.as_bytes());
        }
        for probe_id in &description.probe_ids {
            if let Some(probe) = probes.get(probe_id) {
                out.write_all(list_line(probe).as_bytes())?;
                if args.verbose > 0 {
                    out.write_all(probe_info(probe).as_bytes())?;
                }
            }
        }
    }
    out.flush()?;
    Ok(0)
}

//! Consuming what the probes send: records become output, dtrace's text or JSON Lines.
//!
//! The consumer owns the state dtrace keeps across records: which aggregations `printa` has
//! printed (those are not printed again at exit), each
//! aggregation's `normalize()` factor, the run-time options `setopt()` changes, and the exit status
//! an `exit()` record asked for. The aggregation actions (`clear`, `normalize`, `denormalize`,
//! `trunc`) and `setopt` take effect when their record is consumed, in order with `printa`, as in
//! dtrace, whose consumer runs them too. Once an `exit()` record arrived, only `END`'s records are
//! printed, as dtrace stops every other probe.
//!
//! Speculative records are kept aside (see `speculation`) until their `commit()` record, after
//! whose own actions they are printed, or their `discard()` record.
//!
//! How things look is the [`Sink`]'s business, chosen when the consumer is made: the consumer
//! tells it what each record holds, in order, with stacks and symbolic addresses already
//! symbolized.

use std::cell::RefCell;
use std::time::Instant;

use anyhow::Context as _;
use d_frontend::printf::{FormatPiece, parse_format};
use tracer_daemon::aggregate::merge_raw;
use tracer_daemon::engine::Engine;
use tracer_daemon::events::{DecodedRecord, decode_record_into};
use tracer_ebpf::layout::{
    AggValue, FAULT_RECORD_ID, FaultRecord, RecordHeader, Value, ValueKind, finished_speculation,
};
use tracer_ebpf::plan::{ActionDesc, AggDesc, CompiledProgram, ProbeInfo};

use crate::aggrate::AggSnapshots;
use crate::flags::{OptionError, Options};
use crate::freopen::Redirect;
use crate::output::agg::{self, Aggregation, SortOptions};
use crate::output::printf::{self, signed_of, unsigned_of};
use crate::output::sink::{NamedAggregation, SetoptFailure, Sink};
use crate::output::stack;
use crate::speculation::{Arrival, Outcome, Speculations};
use crate::symbols::Symbols;

/// The `specsize` option's default, libdtrace's.
const DEFAULT_SPECSIZE: u64 = 4 << 20;

/// The options `setopt()` may change while tracing, as libdtrace's dynamic run-time options; the
/// consumer reads the ones it uses (`quiet` and the `aggsort*` options) at each record.
const DYNAMIC_OPTIONS: &[&str] = &[
    "aggrate",
    "aggsortkey",
    "aggsortkeypos",
    "aggsortpos",
    "aggsortrev",
    "flowindent",
    "printsize",
    "quiet",
    "quietresize",
    "rawbytes",
    "stackindent",
    "switchrate",
];

/// The longest the main loop waits for records (`run`'s switch interval), in nanoseconds.
const MAIN_LOOP_NS: u64 = 50_000_000;

/// One aggregation's entries as read from its map: keys and value.
type Rows = Vec<(Vec<Value>, AggValue)>;

/// Prints records and aggregations for one compiled program.
pub struct Consumer<'a> {
    program: &'a CompiledProgram,
    options: Options,
    /// The output format.
    sink: Box<dyn Sink>,
    printed: Vec<bool>,
    /// Where `freopen()` has sent standard output.
    redirect: Redirect,
    /// Per aggregation, the `normalize()` factor.
    normals: Vec<u64>,
    /// Per clause, per action: the parsed format of `printf` and formatted `printa`.
    formats: Vec<Vec<Option<Vec<FormatPiece>>>>,
    exit_status: Option<i32>,
    /// The records kept for each speculation, when the program speculates.
    speculations: Option<Speculations>,
    /// Where the addresses of stacks and symbolic addresses are; a cache that reading
    /// aggregations (through `&self`) fills too.
    symbols: RefCell<Symbols>,
    /// Whether the program records user stacks or addresses, whose processes are watched.
    user_symbols: bool,
    /// What `printa` prints of each aggregation under `aggrate`.
    agg_snapshots: RefCell<AggSnapshots>,
    /// The last record decoded, whose vectors the next one reuses.
    decoded: DecodedRecord,
}

impl<'a> Consumer<'a> {
    /// A consumer for `program` with the options of the command line and `#pragma`s, printing
    /// to `sink`.
    pub fn new(
        program: &'a CompiledProgram,
        options: Options,
        sink: Box<dyn Sink>,
    ) -> Consumer<'a> {
        let formats = program
            .records
            .iter()
            .map(|record| {
                record
                    .actions
                    .iter()
                    .map(|action| match action {
                        ActionDesc::Printf { format, .. }
                        | ActionDesc::System { format, .. }
                        | ActionDesc::Freopen { format, .. }
                        | ActionDesc::Printa {
                            format: Some(format),
                            ..
                        } => parse_format(format).ok(),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        let speculations = program.speculations.as_ref().map(|specs| {
            let specsize = options.get("specsize").unwrap_or(DEFAULT_SPECSIZE);
            Speculations::new(specs.nspec, specsize)
        });
        Consumer {
            program,
            sink,
            printed: vec![false; program.aggregations.len()],
            redirect: Redirect::default(),
            normals: vec![1; program.aggregations.len()],
            formats,
            exit_status: None,
            speculations,
            symbols: RefCell::new(Symbols::default()),
            user_symbols: uses_user_symbols(program),
            agg_snapshots: RefCell::new(AggSnapshots::new(
                options.get("aggrate").unwrap_or(0),
                options.get("switchrate").unwrap_or(0).max(MAIN_LOOP_NS),
                program.aggregations.len(),
            )),
            decoded: DecodedRecord::default(),
            options,
        }
    }

    /// Reads again the aggregations `printa` prints when `aggrate`'s interval has passed since
    /// they were last read; the main loop calls it after each batch of records.
    pub fn refresh_aggregations(&self, session: &dyn Engine) -> anyhow::Result<()> {
        let due = self.agg_snapshots.borrow_mut().due(Instant::now());
        for agg_idx in due {
            let rows = self.read(agg_idx, session)?;
            self.agg_snapshots.borrow_mut().store(agg_idx, rows);
        }
        Ok(())
    }

    /// Reads the mappings of process `pid` while it runs, when the program records user stacks
    /// or addresses, so that they can be symbolized after it exits.
    pub fn watch(&self, pid: u32) {
        if self.user_symbols {
            self.symbols.borrow_mut().watch(pid);
        }
    }

    /// Symbolizes the stacks and symbolic addresses among `values`.
    fn symbolize<'v>(&self, values: impl IntoIterator<Item = &'v mut Value>) {
        let indent = self
            .options
            .get("stackindent")
            .and_then(|indent| u32::try_from(indent).ok())
            .unwrap_or(stack::DEFAULT_STACK_INDENT);
        let mut symbols = self.symbols.borrow_mut();
        for value in values {
            symbols.resolve(value, indent);
        }
    }

    /// The sink, for what the run prints around the records (drops, the end).
    pub fn sink(&mut self) -> &mut dyn Sink {
        self.sink.as_mut()
    }

    /// Speculative records dropped because their speculation's records would pass `specsize`.
    pub fn spec_drops(&self) -> u64 {
        self.speculations.as_ref().map_or(0, Speculations::drops)
    }

    /// The status of the last `exit()` record (`END`'s overrides the one that ended tracing, as
    /// in dtrace), once one arrived.
    pub fn exit_status(&self) -> Option<i32> {
        self.exit_status
    }

    /// Prints one ring buffer record.
    ///
    /// Only the actions of the blocks that ran (the header's blocks mask) are printed; without
    /// `quiet`, each block starts a probe line, as DTrace prints one per sub-clause.
    pub fn record(
        &mut self,
        bytes: &[u8],
        session: &dyn Engine,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        self.consume(bytes, session, out, false)
    }

    /// Prints one record; a `committed` one comes back from its speculation, and is printed
    /// whatever its header says.
    fn consume(
        &mut self,
        bytes: &[u8],
        session: &dyn Engine,
        out: &mut Vec<u8>,
        committed: bool,
    ) -> anyhow::Result<()> {
        let Some(header) = RecordHeader::decode(bytes) else {
            anyhow::bail!(
                "received a record of {} bytes, too short for a header",
                bytes.len()
            );
        };
        if header.clause_id == FAULT_RECORD_ID {
            let Some(fault) = FaultRecord::decode(bytes) else {
                anyhow::bail!("received a fault record of {} bytes", bytes.len());
            };
            let message = fault_message(self.program, &fault);
            let probe = self.probe(fault.header.probe_id);
            self.sink.fault(&fault, probe, &message, out);
            return Ok(());
        }
        if self.exit_status.is_some() && !self.is_end(header.probe_id) && !committed {
            // After exit(), only END runs: DTrace stops every other probe at once, so a record
            // that another probe sent after the exit record is not printed.
            return Ok(());
        }
        if header.spec_id != 0 && !committed {
            let arrival = match &mut self.speculations {
                Some(speculations) => speculations.arrive(header.spec_id, header.spec_gen, bytes),
                None => Arrival::Dropped,
            };
            if arrival != Arrival::Print {
                return Ok(());
            }
        }
        let clause_id = header.clause_id as usize;
        let Some(desc) = self.program.records.get(clause_id) else {
            anyhow::bail!("received a record for clause {clause_id}, which does not exist");
        };
        // Taken out of `self` while it is printed, and put back for the next record.
        let mut decoded = std::mem::take(&mut self.decoded);
        decode_record_into(desc, bytes, &mut decoded).context("received a malformed record")?;
        self.symbolize(decoded.actions.iter_mut().flatten());
        let probe = self.probe(decoded.header.probe_id);
        let quiet = self.options.quiet();
        let mut started = false;
        if desc.actions.is_empty() {
            self.sink.start_line(&decoded.header, probe, quiet, out);
            started = true;
        }
        let mut current_block = None;
        let mut ended = Vec::new();
        for (action_idx, (action, values)) in desc.actions.iter().zip(&decoded.actions).enumerate()
        {
            let block = desc.blocks.get(action_idx).copied();
            if block.is_some_and(|bit| header.blocks.checked_shr(bit).unwrap_or(0) & 1 == 0) {
                continue;
            }
            if let ActionDesc::Commit(_) | ActionDesc::Discard(_) = action {
                // Ending a speculation prints no probe line. A speculative record cannot end
                // one, as in DTrace, which only looks for them in records it has not kept.
                let outcome = match action {
                    ActionDesc::Commit(_) => Outcome::Committed,
                    _ => Outcome::Discarded,
                };
                if let (Some(Value::Int { bits, .. }), 0) = (values.first(), header.spec_id) {
                    ended.push((finished_speculation(*bits), outcome));
                }
                continue;
            }
            if !started || current_block != block {
                self.sink.start_line(&decoded.header, probe, quiet, out);
                started = true;
                current_block = block;
            }
            let format = self.formats[clause_id][action_idx].as_deref();
            match action {
                ActionDesc::Trace(_) => match values.first() {
                    // With `rawbytes`, dtrace dumps a string's whole slot: `strsize` bytes and
                    // the NUL.
                    Some(Value::Str(bytes)) if self.options.is_set("rawbytes") => {
                        let strsize = self.options.get("strsize").unwrap_or(256);
                        let mut slot = bytes.clone();
                        slot.resize(usize::try_from(strsize).map_or(usize::MAX, |n| n + 1), 0);
                        self.sink.tracemem(&slot, None, out);
                    }
                    Some(value) => self.sink.trace(value, quiet, out),
                    None => {}
                },
                ActionDesc::Printf { .. } => {
                    self.sink.printf(format.unwrap_or_default(), values, out);
                }
                ActionDesc::Printa {
                    format: raw_format,
                    aggregations,
                } => {
                    let pieces = raw_format.as_ref().map(|_| format.unwrap_or_default());
                    let snapshots = self.printa_rows(aggregations, session)?;
                    let views = self.named_views(aggregations, &snapshots);
                    let sort = self.sort_options();
                    self.sink.printa(pieces, &views, sort, out);
                    for &agg_idx in aggregations {
                        self.printed[agg_idx] = true;
                    }
                }
                ActionDesc::Exit(_) => {
                    let status = exit_status(values.first());
                    self.exit_status = Some(status);
                    self.sink.exit(status, out);
                }
                ActionDesc::System { .. } => {
                    self.sink.system(format.unwrap_or_default(), values, out)?;
                }
                ActionDesc::Freopen { .. } => {
                    let mut name = Vec::new();
                    printf::format(format.unwrap_or_default(), values, &mut name);
                    if let Err(message) = self.redirect.freopen(&name, out) {
                        eprintln!("tracer: {message}");
                    }
                }
                ActionDesc::Tracemem { .. } => {
                    if let Some(Value::Str(bytes)) = values.first() {
                        self.sink.tracemem(bytes, values.get(1), out);
                    }
                }
                ActionDesc::Print { ty, .. } => {
                    if let (Some(&Value::Int { bits, .. }), Some(Value::Str(bytes))) =
                        (values.first(), values.get(1))
                    {
                        let limit = self.options.get("printsize").unwrap_or(8192);
                        let limit =
                            usize::try_from(limit.next_multiple_of(8)).unwrap_or(usize::MAX);
                        self.sink.print(ty, bits, bytes, limit, out);
                    }
                }
                ActionDesc::Effect => {}
                ActionDesc::Clear { agg } => {
                    self.agg_snapshots.borrow_mut().forget(*agg);
                    let desc = &self.program.aggregations[*agg];
                    session
                        .clear_aggregation(desc)
                        .with_context(|| format!("failed to clear aggregation @{}", desc.name))?;
                }
                ActionDesc::Normalize { agg, .. } => {
                    self.normals[*agg] = values.first().map_or(1, |value| match *value {
                        Value::Int { bits, size, .. } => unsigned_of(bits, size),
                        _ => 1,
                    });
                }
                ActionDesc::Denormalize { agg } => self.normals[*agg] = 1,
                ActionDesc::Trunc { agg, .. } => {
                    let count = match values.first() {
                        Some(&Value::Int { bits, size, .. }) => signed_of(bits, size),
                        _ => 0,
                    };
                    self.trunc(*agg, count, session)?;
                    self.agg_snapshots.borrow_mut().forget(*agg);
                }
                ActionDesc::Commit(_) | ActionDesc::Discard(_) => {}
                ActionDesc::Setopt { .. } => {
                    let (name, value) = (values.first(), values.get(1));
                    let setting = |value: Option<&Value>| match value {
                        Some(Value::Str(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
                        _ => "1".to_string(),
                    };
                    let (name, value) = (setting(name), setting(value));
                    if let Err(error) = self.setopt(&name, &value) {
                        let names = probe.map_or_else(String::new, |probe| {
                            format!(
                                "{}:{}:{}:{}",
                                probe.provider, probe.module, probe.function, probe.name
                            )
                        });
                        let message = format!(
                            "error in dt_clause_{clause_id} for probe ID {} ({names}): couldn't set option \"{name}\" to \"{value}\": {error}",
                            decoded.header.probe_id
                        );
                        let failure = SetoptFailure {
                            header: &decoded.header,
                            probe,
                            clause_id,
                            name: &name,
                            value: &value,
                            message: &message,
                        };
                        self.sink.setopt_error(&failure, out);
                    }
                }
            }
        }
        self.sink.end_record(out);
        self.decoded = decoded;
        for ((id, generation), outcome) in ended {
            self.end_speculation(id, generation, outcome, session, out)?;
        }
        Ok(())
    }

    /// After a `commit()` or `discard()` record: prints or drops what the speculation holds, then
    /// frees its ID for `speculation()` to hand out again. ID 0 is no speculation.
    fn end_speculation(
        &mut self,
        id: u8,
        generation: u8,
        outcome: Outcome,
        session: &dyn Engine,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let (Some(speculations), Some(specs)) =
            (&mut self.speculations, &self.program.speculations)
        else {
            return Ok(());
        };
        if id == 0 {
            return Ok(());
        }
        let records = speculations.end(id, generation, outcome);
        session
            .free_speculation(specs, id, generation)
            .with_context(|| format!("failed to free speculation {id}"))?;
        for record in records {
            self.consume(&record, session, out, true)?;
        }
        Ok(())
    }

    fn is_end(&self, probe_id: u32) -> bool {
        self.probe(probe_id)
            .is_some_and(|probe| probe.provider == "dtrace" && probe.name == "END")
    }

    fn probe(&self, probe_id: u32) -> Option<&'a ProbeInfo> {
        let probes = &self.program.probes;
        probes
            .binary_search_by_key(&probe_id, |probe| probe.id)
            .ok()
            .map(|probe_idx| &probes[probe_idx])
    }

    /// At exit: every aggregation no `printa` printed, in order of first use (reversed with
    /// `aggsortrev`).
    pub fn finish(&mut self, session: &dyn Engine, out: &mut Vec<u8>) -> anyhow::Result<()> {
        let sort = self.sort_options();
        let unprinted: Vec<usize> = agg::dump_order(self.program.aggregations.len(), sort)
            .into_iter()
            .filter(|&agg_idx| !self.printed[agg_idx])
            .collect();
        let snapshots = self.snapshots(&unprinted, session)?;
        let views = self.named_views(&unprinted, &snapshots);
        self.sink.finish(&views, sort, out);
        if let Some(path) = self.options.text("flamegraph") {
            let every: Vec<usize> = (0..self.program.aggregations.len()).collect();
            let snapshots = self.snapshots(&every, session)?;
            let views = self.named_views(&every, &snapshots);
            if !crate::output::flamegraph::write(path, &views)? {
                eprintln!(
                    "{}: no aggregation keyed by a stack to draw in {path}",
                    crate::output::text_sink::PROGRAM
                );
            }
        }
        Ok(())
    }

    /// The rows `printa` prints of the aggregations `agg_idxs`: as they are now, or their last
    /// snapshot under `aggrate`. Those without a snapshot are read together.
    fn printa_rows(&self, agg_idxs: &[usize], session: &dyn Engine) -> anyhow::Result<Vec<Rows>> {
        let now = Instant::now();
        let cached: Vec<Option<Rows>> = agg_idxs
            .iter()
            .map(|&agg_idx| self.agg_snapshots.borrow().cached(agg_idx))
            .collect();
        let missing: Vec<usize> = agg_idxs
            .iter()
            .zip(&cached)
            .filter(|(_, rows)| rows.is_none())
            .map(|(&agg_idx, _)| agg_idx)
            .collect();
        let mut fresh = self.snapshots(&missing, session)?.into_iter();
        let mut snapshots = Vec::with_capacity(agg_idxs.len());
        for (&agg_idx, cached) in agg_idxs.iter().zip(cached) {
            let rows = match cached {
                Some(rows) => rows,
                None => {
                    let rows = fresh.next().context("one snapshot per aggregation read")?;
                    self.agg_snapshots.borrow_mut().keep(agg_idx, &rows, now);
                    rows
                }
            };
            snapshots.push(rows);
        }
        Ok(snapshots)
    }

    /// Reads the aggregations `agg_idxs` as they are now, each map they share read once.
    fn snapshots(&self, agg_idxs: &[usize], session: &dyn Engine) -> anyhow::Result<Vec<Rows>> {
        let descs: Vec<&AggDesc> = agg_idxs
            .iter()
            .map(|&agg_idx| &self.program.aggregations[agg_idx])
            .collect();
        let raws = session
            .raw_aggregations(&descs)
            .context("failed to read the aggregations")?;
        descs
            .iter()
            .zip(&raws)
            .map(|(desc, raw)| {
                let mut rows = merge_raw(desc, raw)
                    .with_context(|| format!("failed to read aggregation @{}", desc.name))?;
                self.symbolize(rows.iter_mut().flat_map(|(keys, _)| keys.iter_mut()));
                Ok(rows)
            })
            .collect()
    }

    /// The aggregations `agg_idxs`, named, with the rows `snapshots` read.
    fn named_views<'r>(
        &self,
        agg_idxs: &[usize],
        snapshots: &'r [Rows],
    ) -> Vec<NamedAggregation<'r>>
    where
        'a: 'r,
    {
        let program = self.program;
        agg_idxs
            .iter()
            .zip(snapshots)
            .map(|(&agg_idx, rows)| NamedAggregation {
                name: &program.aggregations[agg_idx].name,
                agg: self.view(agg_idx, rows),
            })
            .collect()
    }

    /// `trunc(@a, count)`: deletes every entry but the kept ones.
    fn trunc(&self, agg_idx: usize, count: i64, session: &dyn Engine) -> anyhow::Result<()> {
        let rows = self.read(agg_idx, session)?;
        let doomed = agg::truncated_keys(&self.view(agg_idx, &rows), count);
        let desc = &self.program.aggregations[agg_idx];
        session
            .remove_aggregation_keys(desc, &doomed)
            .with_context(|| format!("failed to truncate aggregation @{}", desc.name))
    }

    /// `setopt(name, value)`: sets a dynamic run-time option; others cannot change while tracing.
    fn setopt(&mut self, name: &str, value: &str) -> Result<(), SetoptError> {
        if !DYNAMIC_OPTIONS.contains(&name) {
            let mut probe = Options::default();
            return match probe.set(name, Some(value)) {
                Err(OptionError::InvalidName) => Err(SetoptError::Option(OptionError::InvalidName)),
                _ => Err(SetoptError::Active),
            };
        }
        self.options
            .set(name, Some(value))
            .map_err(SetoptError::Option)
    }

    fn read(
        &self,
        agg_idx: usize,
        session: &dyn Engine,
    ) -> anyhow::Result<Vec<(Vec<Value>, AggValue)>> {
        let desc = &self.program.aggregations[agg_idx];
        let mut rows = session
            .aggregation(desc)
            .with_context(|| format!("failed to read aggregation @{}", desc.name))?;
        self.symbolize(rows.iter_mut().flat_map(|(keys, _)| keys.iter_mut()));
        Ok(rows)
    }

    fn view<'r>(&self, agg_idx: usize, rows: &'r [(Vec<Value>, AggValue)]) -> Aggregation<'r> {
        let desc = &self.program.aggregations[agg_idx];
        Aggregation {
            func: desc.func,
            params: desc.params,
            normal: self.normals[agg_idx],
            rows,
        }
    }

    /// The `aggsort*` options as they are now.
    fn sort_options(&self) -> SortOptions {
        let position = |name: &str| {
            self.options
                .get(name)
                .and_then(|value| usize::try_from(value).ok())
                .filter(|&value| i32::try_from(value).is_ok())
                .unwrap_or(0)
        };
        SortOptions {
            by_key: self.options.is_set("aggsortkey"),
            reverse: self.options.is_set("aggsortrev"),
            key_position: position("aggsortkeypos"),
            agg_position: position("aggsortpos"),
            folded_stacks: self.options.choice("stackfmt") == Some("folded"),
        }
    }
}

/// Whether any record or aggregation key of `program` holds a user stack or a user address.
fn uses_user_symbols(program: &CompiledProgram) -> bool {
    let is_user = |kind: &ValueKind| match kind {
        ValueKind::Stack(stack) => stack.user,
        ValueKind::Sym(kind) => kind.is_user(),
        ValueKind::Int { .. } | ValueKind::Str { .. } | ValueKind::Bytes { .. } => false,
    };
    let in_records = program.records.iter().any(|record| {
        record.actions.iter().any(|action| match action {
            ActionDesc::Trace(field) => is_user(&field.kind),
            ActionDesc::Printf { args, .. } => args.iter().any(|field| is_user(&field.kind)),
            _ => false,
        })
    });
    in_records
        || program
            .aggregations
            .iter()
            .any(|agg| agg.keys.iter().any(is_user))
}

/// Why `setopt()` failed, in libdtrace's words.
#[derive(Debug, thiserror::Error)]
enum SetoptError {
    /// The name or value is invalid.
    #[error(transparent)]
    Option(OptionError),
    /// The option exists but only takes effect before tracing starts (`EDT_ACTIVE`).
    #[error("Operation illegal when tracing is active")]
    Active,
}

/// DTrace's runtime error message for a fault, without the program name:
/// `error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): divide-by-zero at BPF pc 12`.
pub fn fault_message(program: &CompiledProgram, fault: &FaultRecord) -> String {
    let probe_id = fault.header.probe_id;
    let probe = program
        .probes
        .binary_search_by_key(&probe_id, |probe| probe.id)
        .ok()
        .map(|probe_idx| &program.probes[probe_idx]);
    let names = probe.map_or_else(
        || ":::".to_string(),
        |probe| {
            format!(
                "{}:{}:{}:{}",
                probe.provider, probe.module, probe.function, probe.name
            )
        },
    );
    let details = match fault.fault {
        DTRACEFLT_BADADDR if fault.addr == u64::MAX => String::new(),
        DTRACEFLT_BADADDR | DTRACEFLT_BADALIGN | DTRACEFLT_BADSTACK | DTRACEFLT_BADSIZE => {
            format!(" ({:#x})", fault.addr)
        }
        DTRACEFLT_BADINDEX => format!(" ({})", fault.addr as i64),
        _ => String::new(),
    };
    format!(
        "error in dt_clause_{} for probe ID {probe_id} ({names}): {}{details} at BPF pc {}",
        fault.clause,
        fault_name(fault.fault),
        fault.pc
    )
}

/// `DTRACEFLT_*` codes whose messages print the faulting value.
const DTRACEFLT_BADADDR: u64 = 1;
const DTRACEFLT_BADALIGN: u64 = 2;
const DTRACEFLT_BADSTACK: u64 = 9;
const DTRACEFLT_BADSIZE: u64 = 10;
const DTRACEFLT_BADINDEX: u64 = 11;

/// DTrace's name for fault `code` (libdtrace's `dtrace_faultstr`).
pub fn fault_name(code: u64) -> &'static str {
    match code {
        1 => "invalid address",
        2 => "invalid alignment",
        3 => "illegal operation",
        4 => "divide-by-zero",
        5 => "out of scratch space",
        6 => "invalid kernel access",
        7 => "invalid user access",
        8 => "tuple stack overflow",
        9 => "bad stack",
        10 => "invalid size",
        11 => "index out of bounds",
        1000 => "library-level fault",
        _ => "unknown fault",
    }
}

/// `exit(n)`'s status as a process exit status (the low byte, as the kernel keeps it).
fn exit_status(value: Option<&Value>) -> i32 {
    match value {
        Some(Value::Int { bits, .. }) => (*bits & 0xff) as i32,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use tracer_ebpf::plan::ProbeInfo;

    use super::*;

    fn program() -> CompiledProgram {
        CompiledProgram {
            elf: Vec::new(),
            programs: Vec::new(),
            map_inits: Vec::new(),
            probes: vec![ProbeInfo {
                id: 1,
                provider: "dtrace".to_string(),
                module: String::new(),
                function: String::new(),
                name: "BEGIN".to_string(),
            }],
            records: Vec::new(),
            aggregations: Vec::new(),
            events_map: "events".to_string(),
            events_bufsize: 4096,
            stats_map: "stats".to_string(),
            speculations: None,
        }
    }

    fn fault(code: u64, addr: u64) -> FaultRecord {
        FaultRecord {
            header: RecordHeader {
                clause_id: FAULT_RECORD_ID,
                probe_id: 1,
                cpu: 0,
                spec_id: 0,
                spec_gen: 0,
                blocks: 1,
            },
            clause: 4,
            pc: 12,
            fault: code,
            addr,
        }
    }

    #[test]
    fn fault_messages_are_dtraces() {
        assert_eq!(
            fault_message(&program(), &fault(4, 0)),
            "error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): divide-by-zero at BPF pc 12"
        );
        assert_eq!(
            fault_message(&program(), &fault(1, 0x4000)),
            "error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): invalid address (0x4000) at BPF pc 12"
        );
        assert_eq!(
            fault_message(&program(), &fault(1, u64::MAX)),
            "error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): invalid address at BPF pc 12"
        );
        assert_eq!(
            fault_message(&program(), &fault(3, 600)),
            "error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): illegal operation at BPF pc 12"
        );
        assert_eq!(
            fault_message(&program(), &fault(77, 0)),
            "error in dt_clause_4 for probe ID 1 (dtrace:::BEGIN): unknown fault at BPF pc 12"
        );
    }
}

//! The JSON Lines sink (`-O json`, `-x oformat=json`): one JSON object per line, per record.
//!
//! docs/json.md is the reference for readers, docs/json.schema.json checks every line, and
//! `jsont` holds the serde types. This module fills them:
//! - each probe firing is one `probe` line with one entry per action that prints (whatever
//!   `quiet` says: JSON has no columns to hide), written when the record ends; the snapshots of
//!   its `printa` actions and its `setopt()` errors follow it on lines of their own;
//! - every other line (`banner`, `error`, `aggregation` at exit, `drop`, `exit`) is written when
//!   it happens, to standard output like the rest, so a reader needs only one stream.
//!
//! `system()` runs its command with standard output captured into its action's `output`, so
//! that nothing but JSON reaches standard output; the command's standard error passes through.

use std::os::unix::ffi::OsStrExt as _;
use std::process::Stdio;

use anyhow::Context as _;
use d_frontend::ir::SourceSummary;
use d_frontend::printf::FormatPiece;
use tracer_ebpf::layout::{AggParams, AggValue, FaultRecord, RecordHeader, Value};
use tracer_ebpf::plan::ProbeInfo;

use super::agg::{self, SortOptions};
use super::buckets::bucket_range;
use super::jsont::{
    Action, Aggregation, Banner, Bucket, Bytes, Datum, Entry, Envelope, Error, Exit, Params, Probe,
    ProbeName, Record, Scalar, Typed,
};
use super::printf::{self, signed_of, unsigned_of};
use super::sink::{DropCount, EndReason, NamedAggregation, SetoptFailure, Sink};
use super::{json_stack, jsont, tracemem};

/// JSON Lines output.
#[derive(Clone, Debug, Default)]
pub struct JsonSink {
    /// The probe record being filled, from its first `start_line` to `end_record`.
    record: Option<OpenRecord>,
    /// The lines that follow the open record's own: its `printa` snapshots and errors.
    pending: Vec<u8>,
}

/// A probe record whose actions are still arriving.
#[derive(Clone, Debug)]
struct OpenRecord {
    cpu: u32,
    probe_id: u32,
    probe: Option<ProbeInfo>,
    actions: Vec<Action>,
}

impl JsonSink {
    fn action(&mut self, action: Action) {
        if let Some(record) = &mut self.record {
            record.actions.push(action);
        }
    }
}

impl Sink for JsonSink {
    fn banner(&mut self, sources: &[SourceSummary], _quiet: bool, out: &mut Vec<u8>) {
        for source in sources {
            let banner = Banner {
                kind: source.kind,
                name: &source.name,
                matched: source.n_matched,
            };
            write_line(Record::Banner(banner), out);
        }
    }

    /// Opens the record's line; the later blocks of the same record add to it.
    fn start_line(
        &mut self,
        header: &RecordHeader,
        probe: Option<&ProbeInfo>,
        _quiet: bool,
        _out: &mut Vec<u8>,
    ) {
        if self.record.is_none() {
            self.record = Some(OpenRecord {
                cpu: u32::from(header.cpu),
                probe_id: header.probe_id,
                probe: probe.cloned(),
                actions: Vec::new(),
            });
        }
    }

    fn trace(&mut self, value: &Value, _quiet: bool, _out: &mut Vec<u8>) {
        self.action(Action::Trace {
            value: typed(value),
        });
    }

    fn printf(&mut self, pieces: &[FormatPiece], args: &[Value], _out: &mut Vec<u8>) {
        let mut output = Vec::new();
        printf::format(pieces, args, &mut output);
        self.action(Action::Printf {
            output: bytes(&output),
            args: args.iter().map(typed).collect(),
        });
    }

    /// The action names the aggregations; their snapshots follow the record's line.
    fn printa(
        &mut self,
        format: Option<&[FormatPiece]>,
        aggs: &[NamedAggregation<'_>],
        sort: SortOptions,
        _out: &mut Vec<u8>,
    ) {
        let output = format.map(|pieces| {
            let views: Vec<agg::Aggregation<'_>> = aggs.iter().map(|named| named.agg).collect();
            let mut output = Vec::new();
            agg::printa_formatted(pieces, &views, sort, &mut output);
            bytes(&output)
        });
        self.action(Action::Printa {
            aggregations: aggs.iter().map(|named| named.name.to_owned()).collect(),
            output,
        });
        for named in aggs {
            let snapshot = snapshot(named, "printa", sort);
            write_line(Record::Aggregation(snapshot), &mut self.pending);
        }
    }

    fn system(
        &mut self,
        pieces: &[FormatPiece],
        args: &[Value],
        _out: &mut Vec<u8>,
    ) -> anyhow::Result<()> {
        let mut command = Vec::new();
        printf::format(pieces, args, &mut command);
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(&command))
            .stdin(Stdio::inherit())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| {
                format!(
                    "failed to run system( ) command {}",
                    String::from_utf8_lossy(&command)
                )
            })?;
        self.action(Action::System {
            command: bytes(&command),
            status: output.status.code(),
            output: bytes(&output.stdout),
        });
        Ok(())
    }

    fn tracemem(&mut self, data: &[u8], shown: Option<&Value>, _out: &mut Vec<u8>) {
        let count = tracemem::shown_count(data, shown);
        self.action(Action::Tracemem {
            data: Bytes::Base64(base64(&data[..count])),
        });
    }

    fn print(
        &mut self,
        ty: &d_frontend::ir::PrintType,
        address: u64,
        bytes: &[u8],
        limit: usize,
        _out: &mut Vec<u8>,
    ) {
        self.action(Action::Print {
            address,
            text: super::print::format(ty, address, bytes, limit),
        });
    }

    fn exit(&mut self, status: i32, _out: &mut Vec<u8>) {
        self.action(Action::Exit { status });
    }

    fn end_record(&mut self, out: &mut Vec<u8>) {
        if let Some(record) = self.record.take() {
            let probe = Probe {
                cpu: record.cpu,
                probe: probe_name(record.probe_id, record.probe.as_ref()),
                actions: record.actions,
            };
            write_line(Record::Probe(probe), out);
        }
        out.append(&mut self.pending);
    }

    fn fault(
        &mut self,
        fault: &FaultRecord,
        probe: Option<&ProbeInfo>,
        message: &str,
        out: &mut Vec<u8>,
    ) {
        let error = Error::Fault {
            message: message.to_owned(),
            cpu: u32::from(fault.header.cpu),
            probe: probe_name(fault.header.probe_id, probe),
            clause: fault.clause,
            fault: crate::consume::fault_name(fault.fault),
            code: fault.fault,
            address: fault.addr,
            pc: fault.pc,
        };
        write_line(Record::Error(error), out);
    }

    fn setopt_error(&mut self, failure: &SetoptFailure<'_>, _out: &mut Vec<u8>) {
        let error = Error::Setopt {
            message: failure.message.to_owned(),
            cpu: u32::from(failure.header.cpu),
            probe: probe_name(failure.header.probe_id, failure.probe),
            clause: failure.clause_id,
            option: failure.name,
            value: failure.value,
        };
        write_line(Record::Error(error), &mut self.pending);
    }

    fn finish(&mut self, aggs: &[NamedAggregation<'_>], sort: SortOptions, out: &mut Vec<u8>) {
        for named in aggs {
            write_line(Record::Aggregation(snapshot(named, "exit", sort)), out);
        }
    }

    fn drops(&mut self, drops: &[DropCount], out: &mut Vec<u8>) {
        for &drop in drops {
            let (kind, cpu) = match drop {
                DropCount::Principal { cpu, .. } => ("principal", Some(cpu)),
                DropCount::Aggregation { cpu, .. } => ("aggregation", Some(cpu)),
                DropCount::Dynamic(_) => ("dynamic", None),
                DropCount::Speculative(_) => ("speculative", None),
                DropCount::SpeculationBusy(_) => ("speculation_busy", None),
                DropCount::SpeculationUnavailable(_) => ("speculation_unavailable", None),
            };
            let record = jsont::Drops {
                kind,
                cpu,
                count: drop.count(),
            };
            write_line(Record::Drop(record), out);
        }
    }

    fn end(&mut self, status: u8, reason: EndReason, out: &mut Vec<u8>) {
        let reason = match reason {
            EndReason::Exit => "exit",
            EndReason::Signal => "signal",
            EndReason::Target => "target",
        };
        write_line(Record::Exit(Exit { status, reason }), out);
    }
}

/// Appends `record`'s line, newline included.
pub fn write_line(record: Record<'_>, out: &mut Vec<u8>) {
    // Writing to a `Vec` cannot fail, and every record serializes: no map has non-string keys.
    serde_json::to_writer(&mut *out, &Envelope::new(record))
        .expect("a JSON record serializes into memory");
    out.push(b'\n');
}

/// The probe `probe_id` by name; empty names when the program does not know it.
fn probe_name(probe_id: u32, probe: Option<&ProbeInfo>) -> ProbeName<'_> {
    let field = |get: fn(&ProbeInfo) -> &str| probe.map_or("", get);
    ProbeName {
        id: probe_id,
        provider: field(|probe| &probe.provider),
        module: field(|probe| &probe.module),
        function: field(|probe| &probe.function),
        name: field(|probe| &probe.name),
    }
}

/// A value with its type: integers at their D type's size and signedness, strings as [`Bytes`],
/// stacks and symbolic addresses with their frames symbolized (see `json_stack`).
pub fn typed(value: &Value) -> Typed {
    match *value {
        Value::Int { bits, size, signed } => {
            let ty = match (size, signed) {
                (1, true) => "int8",
                (2, true) => "int16",
                (4, true) => "int32",
                (_, true) => "int64",
                (1, false) => "uint8",
                (2, false) => "uint16",
                (4, false) => "uint32",
                (_, false) => "uint64",
            };
            let value = if signed {
                Scalar::Signed(signed_of(bits, size))
            } else {
                Scalar::Unsigned(unsigned_of(bits, size))
            };
            Typed { ty, value }
        }
        Value::Str(ref text) => Typed {
            ty: "string",
            value: Scalar::String(bytes(text)),
        },
        Value::Stack(ref stack) => Typed {
            ty: "stack",
            value: Scalar::Stack(json_stack::stack(stack)),
        },
        Value::Sym(ref sym) => Typed {
            ty: "symbol",
            value: Scalar::Symbol(json_stack::symbolic(sym)),
        },
        Value::Bytes(ref data) => Typed {
            ty: "bytes",
            value: Scalar::String(Bytes::Base64(base64(data))),
        },
    }
}

/// `{"text": …}` for valid UTF-8, `{"bytes": base64}` otherwise.
pub fn bytes(data: &[u8]) -> Bytes {
    match std::str::from_utf8(data) {
        Ok(text) => Bytes::Text(text.to_owned()),
        Err(_) => Bytes::Base64(base64(data)),
    }
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |word, (byte_idx, &byte)| {
                word | u32::from(byte) << (16 - 8 * byte_idx)
            });
        for digit_idx in 0..4 {
            if digit_idx <= chunk.len() {
                let digit = (word >> (18 - 6 * digit_idx)) & 0x3f;
                encoded.push(char::from(ALPHABET[digit as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// The `aggregation` record of one aggregation, its entries in the text layout's order.
pub fn snapshot<'a>(
    named: &NamedAggregation<'a>,
    origin: &'static str,
    sort: SortOptions,
) -> Aggregation<'a> {
    let agg = named.agg;
    let params = match agg.params {
        AggParams::None => None,
        AggParams::Linear { base, levels, step } => Some(Params::Linear {
            base,
            limit: i64::from(base) + i64::from(levels) * i64::from(step),
            step,
        }),
        AggParams::LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        } => Some(Params::LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        }),
    };
    let entries = agg::ordered_rows(agg, sort)
        .into_iter()
        .map(|(keys, value)| Entry {
            keys: keys.iter().map(typed).collect(),
            datum: datum(agg.params, agg.normal.max(1), &value),
        })
        .collect();
    Aggregation {
        name: named.name,
        function: agg.func.name(),
        params,
        origin,
        normal: agg.normal.max(1),
        entries,
    }
}

/// An entry's value divided by the `normalize()` factor `normal` (at least 1).
fn datum(params: AggParams, normal: u64, value: &AggValue) -> Datum {
    let divide = |value: i64| i64::try_from(normal).map_or(0, |normal| value / normal);
    match *value {
        AggValue::Count(count) => Datum::Count {
            value: count / normal,
        },
        AggValue::Sum(value) | AggValue::Min(value) | AggValue::Max(value) => Datum::Signed {
            value: divide(value),
        },
        AggValue::Avg { count, total } => Datum::Average {
            value: i64::try_from(count)
                .ok()
                .and_then(|count| divide(total).checked_div(count))
                .unwrap_or(0),
            count,
            sum: total,
        },
        AggValue::Stddev {
            count,
            total,
            squares,
        } => Datum::Deviation {
            value: agg::stddev(count, total, squares, normal),
            count,
            sum: total,
            sum_of_squares: squares,
        },
        AggValue::Histogram(ref counts) => Datum::Histogram {
            buckets: counts
                .iter()
                .enumerate()
                .filter(|&(_, &count)| count != 0)
                .filter_map(|(bucket, &count)| {
                    let range = bucket_range(params, bucket)?;
                    Some(Bucket {
                        min: range.min,
                        max: range.max,
                        count: divide(count),
                    })
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value as Json;
    use tracer_ebpf::layout::{AggFunc, StackValue, SymKind, SymValue, Symbol};

    use super::*;
    use crate::output::agg::Aggregation as AggView;

    const SCHEMA: &str = include_str!("../../../docs/json.schema.json");

    fn validator() -> jsonschema::Validator {
        let schema: Json = serde_json::from_str(SCHEMA).expect("the schema is JSON");
        jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
    }

    /// Every line of `out`, each checked against the schema.
    fn lines(out: &[u8]) -> Vec<Json> {
        let validator = validator();
        let text = std::str::from_utf8(out).expect("JSON Lines are UTF-8");
        assert!(
            text.ends_with('\n'),
            "every line ends with a newline: {text:?}"
        );
        text.lines()
            .map(|line| {
                let json: Json = serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("{line} is not JSON: {error}"));
                let errors: Vec<String> = validator
                    .iter_errors(&json)
                    .map(|error| format!("{error} at {}", error.instance_path()))
                    .collect();
                assert!(errors.is_empty(), "{line} breaks the schema: {errors:?}");
                json
            })
            .collect()
    }

    fn int(bits: u64, size: u8, signed: bool) -> Value {
        Value::Int { bits, size, signed }
    }

    fn probe() -> ProbeInfo {
        ProbeInfo {
            id: 7,
            provider: "syscall".to_owned(),
            module: "vmlinux".to_owned(),
            function: "openat".to_owned(),
            name: "entry".to_owned(),
        }
    }

    fn header() -> RecordHeader {
        RecordHeader {
            clause_id: 2,
            probe_id: 7,
            cpu: 1,
            spec_id: 0,
            spec_gen: 0,
            blocks: 1,
        }
    }

    fn view(func: AggFunc, params: AggParams, rows: &[(Vec<Value>, AggValue)]) -> AggView<'_> {
        AggView {
            func,
            params,
            normal: 1,
            rows,
        }
    }

    #[test]
    fn base64_is_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn integers_keep_every_bit() {
        let cases = [
            (int(u64::MAX, 8, false), "uint64", Json::from(u64::MAX)),
            (
                int(u64::MAX - 1, 8, false),
                "uint64",
                Json::from(u64::MAX - 1),
            ),
            (
                int((1 << 53) + 1, 8, false),
                "uint64",
                Json::from((1u64 << 53) + 1),
            ),
            (int(i64::MIN as u64, 8, true), "int64", Json::from(i64::MIN)),
            (
                int((i64::MIN + 1) as u64, 8, true),
                "int64",
                Json::from(i64::MIN + 1),
            ),
            (int(-2i64 as u64, 4, true), "int32", Json::from(-2)),
            (
                int(-2i64 as u64, 4, false),
                "uint32",
                Json::from(u32::MAX - 1),
            ),
            (int(-1i64 as u64, 1, true), "int8", Json::from(-1)),
            (int(200, 1, false), "uint8", Json::from(200)),
            (int(-300i64 as u64, 2, true), "int16", Json::from(-300)),
            (int(65_535, 2, false), "uint16", Json::from(65_535)),
        ];
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        for (value, _, _) in &cases {
            sink.trace(value, false, &mut out);
        }
        sink.end_record(&mut out);
        let line = String::from_utf8(out.clone()).expect("UTF-8");
        assert!(line.contains(r#"{"type":"uint64","value":18446744073709551615}"#));
        assert!(line.contains(r#"{"type":"int64","value":-9223372036854775808}"#));
        let records = lines(&out);
        let actions = records[0]["data"]["actions"].as_array().expect("actions");
        for ((_, ty, value), action) in cases.iter().zip(actions) {
            assert_eq!(action["value"]["type"], *ty);
            assert_eq!(action["value"]["value"], *value, "{ty}");
        }
        assert_eq!(actions[0]["value"]["value"].as_u64(), Some(u64::MAX));
        assert_eq!(actions[3]["value"]["value"].as_i64(), Some(i64::MIN));
    }

    #[test]
    fn strings_are_text_or_base64() {
        assert_eq!(
            bytes("héllo\n".as_bytes()),
            Bytes::Text("héllo\n".to_owned())
        );
        assert_eq!(bytes(&[0xff, b'a']), Bytes::Base64("/2E=".to_owned()));
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.start_line(&header(), Some(&probe()), true, &mut out);
        sink.trace(&Value::Str(b"bash".to_vec()), true, &mut out);
        sink.trace(&Value::Str(vec![0xc3, 0x28]), true, &mut out);
        sink.end_record(&mut out);
        let records = lines(&out);
        let actions = &records[0]["data"]["actions"];
        assert_eq!(
            actions[0]["value"],
            serde_json::json!({"type": "string", "value": {"text": "bash"}})
        );
        assert_eq!(
            actions[1]["value"],
            serde_json::json!({"type": "string", "value": {"bytes": "wyg="}})
        );
    }

    #[test]
    fn a_probe_record_holds_every_action_that_prints() {
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        let format = d_frontend::printf::parse_format(b"%s has %d\n").expect("format");
        let args = [Value::Str(b"cat".to_vec()), int(3, 4, true)];
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        sink.printf(&format, &args, &mut out);
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        let echo = d_frontend::printf::parse_format(b"echo %d; exit 3").expect("format");
        sink.system(&echo, &[int(5, 4, true)], &mut out)
            .expect("the shell runs");
        sink.tracemem(b"abcdef", Some(&int(4, 8, true)), &mut out);
        sink.exit(2, &mut out);
        assert!(out.is_empty(), "the record is written when it ends");
        sink.end_record(&mut out);
        sink.end_record(&mut out);
        let records = lines(&out);
        assert_eq!(records.len(), 1, "blocks of one record share its line");
        assert_eq!(
            records[0],
            serde_json::json!({
                "type": "probe",
                "version": 1,
                "data": {
                    "cpu": 1,
                    "probe": {"id": 7, "provider": "syscall", "module": "vmlinux",
                              "function": "openat", "name": "entry"},
                    "actions": [
                        {"action": "printf", "output": {"text": "cat has 3\n"},
                         "args": [{"type": "string", "value": {"text": "cat"}},
                                  {"type": "int32", "value": 3}]},
                        {"action": "system", "command": {"text": "echo 5; exit 3"}, "status": 3,
                         "output": {"text": "5\n"}},
                        {"action": "tracemem", "data": {"bytes": "YWJjZA=="}},
                        {"action": "exit", "status": 2}
                    ]
                }
            })
        );
    }

    #[test]
    fn a_record_without_actions_is_a_bare_probe_line() {
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.start_line(&header(), None, true, &mut out);
        sink.end_record(&mut out);
        let records = lines(&out);
        assert_eq!(records[0]["data"]["actions"], serde_json::json!([]));
        assert_eq!(records[0]["data"]["probe"]["id"], 7);
        assert_eq!(records[0]["data"]["probe"]["name"], "");
    }

    #[test]
    fn aggregations_of_every_function() {
        let key = |text: &str, number: u64| {
            vec![Value::Str(text.as_bytes().to_vec()), int(number, 4, true)]
        };
        let counts = [
            (key("b", 1), AggValue::Count(u64::MAX)),
            (key("a", 2), AggValue::Count(3)),
        ];
        let sums = [(vec![], AggValue::Sum(i64::MIN))];
        let mins = [(vec![int(1, 8, false)], AggValue::Min(-4))];
        let maxes = [(vec![], AggValue::Max(9))];
        let averages = [(
            vec![],
            AggValue::Avg {
                count: 4,
                total: -10,
            },
        )];
        let deviations = [(
            vec![],
            AggValue::Stddev {
                count: 2,
                total: 6,
                squares: u128::from(u64::MAX) * 4,
            },
        )];
        let mut quantized = vec![0; 127];
        quantized[63] = 2;
        quantized[66] = 5;
        quantized[126] = 1;
        let quantize = [(vec![], AggValue::Histogram(quantized))];
        let linear = AggParams::Linear {
            base: 0,
            levels: 5,
            step: 10,
        };
        let lquantize = [(vec![], AggValue::Histogram(vec![1, 0, 2, 0, 0, 0, 7]))];
        let log_linear = AggParams::LogLinear {
            factor: 10,
            lmag: 0,
            hmag: 1,
            steps: 10,
        };
        let mut log_counts = vec![0; 39];
        log_counts[19] = 1;
        log_counts[0] = -2;
        let llquantize = [(vec![], AggValue::Histogram(log_counts))];
        let named = [
            ("counts", view(AggFunc::Count, AggParams::None, &counts)),
            ("sums", view(AggFunc::Sum, AggParams::None, &sums)),
            ("mins", view(AggFunc::Min, AggParams::None, &mins)),
            ("maxes", view(AggFunc::Max, AggParams::None, &maxes)),
            ("", view(AggFunc::Avg, AggParams::None, &averages)),
            ("dev", view(AggFunc::Stddev, AggParams::None, &deviations)),
            ("q", view(AggFunc::Quantize, AggParams::None, &quantize)),
            ("l", view(AggFunc::Lquantize, linear, &lquantize)),
            ("ll", view(AggFunc::Llquantize, log_linear, &llquantize)),
        ]
        .map(|(name, agg)| NamedAggregation { name, agg });
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.finish(&named, SortOptions::default(), &mut out);
        let records = lines(&out);
        let data: Vec<&Json> = records.iter().map(|record| &record["data"]).collect();
        assert!(records.iter().all(|record| record["type"] == "aggregation"));
        assert!(data.iter().all(|data| data["origin"] == "exit"));
        assert_eq!(data[0]["function"], "count");
        assert_eq!(
            data[0]["entries"],
            serde_json::json!([
                {"keys": [{"type": "string", "value": {"text": "b"}}, {"type": "int32", "value": 1}],
                 "value": u64::MAX},
                {"keys": [{"type": "string", "value": {"text": "a"}}, {"type": "int32", "value": 2}],
                 "value": 3}
            ]),
            "rows come in dtrace's order, by value compared as signed (u64::MAX is -1 there)"
        );
        assert_eq!(data[1]["entries"][0]["value"].as_i64(), Some(i64::MIN));
        assert_eq!(data[2]["entries"][0]["keys"][0]["type"], "uint64");
        assert_eq!(data[3]["entries"][0]["value"], 9);
        assert_eq!(data[4]["name"], "");
        assert_eq!(
            data[4]["entries"][0],
            serde_json::json!({"keys": [], "value": -2, "count": 4, "sum": -10})
        );
        let squares = u128::from(u64::MAX) * 4;
        let text = String::from_utf8(out.clone()).expect("UTF-8");
        assert!(
            text.contains(&format!(r#""sum_of_squares":{squares}"#)),
            "128-bit sums are written whole"
        );
        assert_eq!(
            data[6]["entries"][0]["buckets"],
            serde_json::json!([
                {"min": 0, "max": 0, "count": 2},
                {"min": 4, "max": 7, "count": 5},
                {"min": 1i64 << 62, "max": i64::MAX, "count": 1}
            ])
        );
        assert_eq!(
            data[7]["params"],
            serde_json::json!({"base": 0, "limit": 50, "step": 10})
        );
        assert_eq!(
            data[7]["entries"][0]["buckets"],
            serde_json::json!([
                {"min": i64::MIN, "max": -1, "count": 1},
                {"min": 10, "max": 19, "count": 2},
                {"min": 50, "max": i64::MAX, "count": 7}
            ])
        );
        assert_eq!(
            data[8]["params"],
            serde_json::json!({"factor": 10, "lmag": 0, "hmag": 1, "steps": 10})
        );
        assert_eq!(
            data[8]["entries"][0]["buckets"],
            serde_json::json!([
                {"min": i64::MIN, "max": -100, "count": -2},
                {"min": 0, "max": 0, "count": 1}
            ])
        );
    }

    #[test]
    fn printa_snapshots_follow_their_probe_line() {
        let rows = [(vec![int(5, 4, true)], AggValue::Sum(10))];
        let mut named = NamedAggregation {
            name: "total",
            agg: view(AggFunc::Sum, AggParams::None, &rows),
        };
        named.agg.normal = 4;
        let format = d_frontend::printf::parse_format(b"%d: %@d\n").expect("format");
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        sink.printa(Some(&format), &[named], SortOptions::default(), &mut out);
        sink.printa(None, &[named], SortOptions::default(), &mut out);
        sink.end_record(&mut out);
        let records = lines(&out);
        let kinds: Vec<&Json> = records.iter().map(|record| &record["type"]).collect();
        assert_eq!(kinds, ["probe", "aggregation", "aggregation"]);
        assert_eq!(
            records[0]["data"]["actions"],
            serde_json::json!([
                {"action": "printa", "aggregations": ["total"], "output": {"text": "5: 2\n"}},
                {"action": "printa", "aggregations": ["total"]}
            ])
        );
        assert_eq!(records[1]["data"]["origin"], "printa");
        assert_eq!(records[1]["data"]["normal"], 4);
        assert_eq!(records[1]["data"]["entries"][0]["value"], 2);
    }

    #[test]
    fn errors_drops_banner_and_end() {
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        let sources = [SourceSummary {
            kind: "description",
            name: "BEGIN ".to_owned(),
            n_matched: 1,
            descriptions: Vec::new(),
        }];
        sink.banner(&sources, true, &mut out);
        let fault = FaultRecord {
            header: header(),
            clause: 3,
            pc: 12,
            fault: 4,
            addr: u64::MAX,
        };
        sink.fault(&fault, Some(&probe()), "a message", &mut out);
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        let failure = SetoptFailure {
            header: &header(),
            probe: Some(&probe()),
            clause_id: 3,
            name: "bogus",
            value: "1",
            message: "couldn't",
        };
        sink.setopt_error(&failure, &mut out);
        sink.end_record(&mut out);
        let drops = [
            DropCount::Principal { cpu: 1, count: 3 },
            DropCount::Aggregation { cpu: 0, count: 5 },
            DropCount::Dynamic(u64::MAX),
            DropCount::Speculative(1),
            DropCount::SpeculationBusy(2),
            DropCount::SpeculationUnavailable(4),
        ];
        sink.drops(&drops, &mut out);
        sink.end(3, EndReason::Exit, &mut out);
        sink.end(0, EndReason::Signal, &mut out);
        sink.end(0, EndReason::Target, &mut out);
        let records = lines(&out);
        let kinds: Vec<&Json> = records.iter().map(|record| &record["type"]).collect();
        assert_eq!(
            kinds,
            [
                "banner", "error", "probe", "error", "drop", "drop", "drop", "drop", "drop",
                "drop", "exit", "exit", "exit"
            ]
        );
        assert_eq!(
            records[0]["data"],
            serde_json::json!({"kind": "description", "name": "BEGIN ", "matched": 1})
        );
        assert_eq!(
            records[1]["data"],
            serde_json::json!({"kind": "fault", "message": "a message", "cpu": 1,
                "probe": {"id": 7, "provider": "syscall", "module": "vmlinux", "function": "openat",
                          "name": "entry"},
                "clause": 3, "fault": "divide-by-zero", "code": 4, "address": u64::MAX, "pc": 12})
        );
        assert_eq!(records[3]["data"]["kind"], "setopt");
        assert_eq!(records[3]["data"]["option"], "bogus");
        assert_eq!(
            records[4]["data"],
            serde_json::json!({"kind": "principal", "cpu": 1, "count": 3})
        );
        assert_eq!(
            records[5]["data"],
            serde_json::json!({"kind": "aggregation", "cpu": 0, "count": 5})
        );
        assert_eq!(
            records[6]["data"],
            serde_json::json!({"kind": "dynamic", "count": u64::MAX})
        );
        assert_eq!(records[9]["data"]["kind"], "speculation_unavailable");
        assert_eq!(
            records[10]["data"],
            serde_json::json!({"status": 3, "reason": "exit"})
        );
        assert_eq!(records[11]["data"]["reason"], "signal");
        assert_eq!(records[12]["data"]["reason"], "target");
    }

    #[test]
    fn the_schema_rejects_what_tracer_does_not_write() {
        let validator = validator();
        let rejected = [
            r#"{"type":"exit","version":2,"data":{"status":0,"reason":"exit"}}"#,
            r#"{"type":"exit","version":1,"data":{"status":0}}"#,
            r#"{"type":"exit","version":1,"data":{"status":0,"reason":"exit","extra":1}}"#,
            r#"{"type":"drop","version":1,"data":{"kind":"principal","count":1}}"#,
            r#"{"type":"drop","version":1,"data":{"kind":"aggregation","count":1}}"#,
            r#"{"type":"drop","version":1,"data":{"kind":"dynamic","cpu":0,"count":1}}"#,
            r#"{"type":"probe","version":1,"data":{"cpu":0,"probe":{"id":1,"provider":"","module":"","function":"","name":""},"actions":[{"action":"trace","value":{"type":"int8","value":300}}]}}"#,
            r#"{"type":"probe","version":1,"data":{"cpu":0,"probe":{"id":1,"provider":"","module":"","function":"","name":""},"actions":[{"action":"trace","value":{"type":"uint64","value":-1}}]}}"#,
            r#"{"type":"probe","version":1,"data":{"cpu":0,"probe":{"id":1,"provider":"","module":"","function":"","name":""},"actions":[{"action":"trace","value":{"type":"string","value":"bare"}}]}}"#,
            r#"{"type":"aggregation","version":1,"data":{"name":"a","function":"lquantize","origin":"exit","normal":1,"entries":[]}}"#,
            r#"{"type":"aggregation","version":1,"data":{"name":"a","function":"count","origin":"exit","normal":1,"entries":[{"keys":[],"buckets":[]}]}}"#,
            r#"{"type":"error","version":1,"data":{"kind":"setopt","message":"","cpu":0,"probe":{"id":1,"provider":"","module":"","function":"","name":""},"clause":0,"option":"x","value":"1","pc":3}}"#,
        ];
        let trace = |value: &str| {
            format!(
                r#"{{"type":"probe","version":1,"data":{{"cpu":0,"probe":{{"id":1,"provider":"","module":"","function":"","name":""}},"actions":[{{"action":"trace","value":{value}}}]}}}}"#
            )
        };
        let rejected_values = [
            r#"{"type":"stack","value":{"kind":"user","frames":[]}}"#,
            r#"{"type":"stack","value":{"kind":"kernel","pid":1,"frames":[]}}"#,
            r#"{"type":"stack","value":{"kind":"kernel","frames":[{"address":1,"module":"m","symbol":"f"}]}}"#,
            r#"{"type":"stack","value":{"kind":"kernel","frames":[{"module":"m"}]}}"#,
            r#"{"type":"symbol","value":{"kind":"func","address":1}}"#,
            r#"{"type":"symbol","value":{"kind":"usym","address":1}}"#,
            r#"{"type":"symbol","value":{"kind":"sym","address":1,"offset":0}}"#,
            r#"{"type":"symbol","value":{"kind":"sym","address":1,"frames":[]}}"#,
        ]
        .map(trace);
        for line in rejected
            .iter()
            .copied()
            .chain(rejected_values.iter().map(String::as_str))
        {
            let json: Json = serde_json::from_str(line).expect("JSON");
            assert!(!validator.is_valid(&json), "the schema accepts {line}");
        }
        let accepted_values = [
            r#"{"type":"stack","value":{"kind":"kernel","frames":[{"address":18446744073709551615,"module":"vmlinux","symbol":"do_sys_open","offset":16}]}}"#,
            r#"{"type":"stack","value":{"kind":"user","pid":7,"frames":[{"address":1},{"address":2,"module":"a.out"}]}}"#,
            r#"{"type":"symbol","value":{"kind":"uaddr","pid":7,"address":2,"module":"a.out","symbol":"main","offset":0}}"#,
            r#"{"type":"symbol","value":{"kind":"mod","address":2}}"#,
        ]
        .map(trace);
        for line in &accepted_values {
            let json: Json = serde_json::from_str(line).expect("JSON");
            assert!(validator.is_valid(&json), "the schema rejects {line}");
        }
    }

    #[test]
    fn stacks_and_symbols_in_records_and_keys() {
        let symbol = |module: &str, name: &str, offset| {
            Some(Symbol {
                module: module.to_owned(),
                name: Some((name.to_owned(), offset)),
            })
        };
        let stack = Value::Stack(StackValue {
            pid: Some(42),
            frames: vec![0x1010, 0x2000],
            symbols: vec![symbol("prog", "outer", 0x10), None],
            indent: 14,
        });
        let caller = Value::Sym(SymValue {
            kind: SymKind::Sym,
            pid: None,
            addr: 0xffff_ffff_8100_0005,
            symbol: symbol("vmlinux", "do_syscall_64", 5),
        });
        let mut sink = JsonSink::default();
        let mut out = Vec::new();
        sink.start_line(&header(), Some(&probe()), false, &mut out);
        sink.trace(&stack, false, &mut out);
        let format = d_frontend::printf::parse_format(b"%a").expect("format");
        sink.printf(&format, std::slice::from_ref(&caller), &mut out);
        sink.end_record(&mut out);
        let rows = [(vec![stack.clone(), caller.clone()], AggValue::Count(3))];
        let named = NamedAggregation {
            name: "",
            agg: view(AggFunc::Count, AggParams::None, &rows),
        };
        sink.finish(&[named], SortOptions::default(), &mut out);
        let records = lines(&out);
        let stack_json = serde_json::json!({"type": "stack", "value": {
        "kind": "user", "pid": 42, "frames": [
            {"address": 0x1010, "module": "prog", "symbol": "outer", "offset": 16},
            {"address": 0x2000}
        ]}});
        let caller_json = serde_json::json!({"type": "symbol", "value": {
            "kind": "sym", "address": 0xffff_ffff_8100_0005_u64, "module": "vmlinux",
            "symbol": "do_syscall_64", "offset": 5}});
        let actions = &records[0]["data"]["actions"];
        assert_eq!(actions[0]["value"], stack_json);
        assert_eq!(
            actions[1],
            serde_json::json!({"action": "printf", "output": {"text": "vmlinux`do_syscall_64+0x5"},
                               "args": [caller_json]})
        );
        assert_eq!(
            records[1]["data"]["entries"],
            serde_json::json!([{"keys": [stack_json, caller_json], "value": 3}])
        );
    }
}

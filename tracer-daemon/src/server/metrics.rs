//! `--metrics-addr`: the daemon's health and its standing scripts' aggregations in the
//! `OpenMetrics` text format, over HTTP (`GET /metrics`).
//!
//! Each scrape asks every standing script's thread for its aggregations as they are now (the
//! thread alone reads its maps), then encodes one [`Scrape`] with `prometheus-client`:
//!
//! ```text
//! tracerd_clients, tracerd_sessions                     gauges
//! tracerd_records, tracerd_dropped_records,             counters (_total)
//! tracerd_malformed_requests
//! tracerd_session_records{session}                      counter (_total)
//! tracerd_session_programs{session}                     gauge: programs loaded
//! tracerd_session_drops{session,kind}                   gauge: principal, aggregation, dynamic, speculative
//! tracer_SCRIPT_AGG{key0,key1,...}                      gauge for count, sum, avg, min, max, stddev
//! tracer_SCRIPT_AGG_bucket{key0,...,le}                 histogram for quantize, lquantize, llquantize
//! ```
//!
//! A histogram's buckets are DTrace's: bucket `le` is the largest integer the DTrace bucket
//! counts, so each Prometheus bucket counts exactly the values of the DTrace buckets up to it.
//! DTrace does not keep the sum of a distribution's values, so `_sum` is 0. Aggregations are
//! gauges even for `count()`, because `clear()` may lower them.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tracer_ebpf::layout::{AggParams, AggValue, Value};

use super::Shared;
use crate::buckets::bucket_range;

/// One aggregation of a standing script, as read for a scrape.
#[derive(Clone, Debug)]
pub struct AggregationSample {
    /// Its D name without `@`.
    pub name: String,
    /// Whether it is a distribution (`quantize`, `lquantize`, `llquantize`).
    pub histogram: bool,
    /// The bucket parameters of a distribution.
    pub params: AggParams,
    /// Each entry: its keys as label values, and its value.
    pub rows: Vec<(Vec<String>, AggValue)>,
}

/// What one session reports for a scrape.
#[derive(Clone, Debug, Default)]
pub struct SessionSample {
    /// The session's name.
    pub name: String,
    /// Records read from its ring buffer.
    pub records: u64,
    /// Programs loaded.
    pub programs: u64,
    /// `(kind, count)` of its drop counters.
    pub drops: Vec<(&'static str, u64)>,
    /// Its aggregations, for a standing script.
    pub aggregations: Vec<AggregationSample>,
}

/// Everything one scrape encodes.
#[derive(Debug, Default)]
struct Scrape {
    clients: u64,
    records: u64,
    dropped: u64,
    malformed: u64,
    sessions: Vec<SessionSample>,
}

/// A key value as a label value.
pub fn label_of(value: &Value) -> String {
    match value {
        Value::Int { bits, size, signed } => {
            let shift = 64 - u32::from(*size).clamp(1, 8) * 8;
            if *signed {
                (((*bits << shift) as i64) >> shift).to_string()
            } else {
                ((*bits << shift) >> shift).to_string()
            }
        }
        Value::Str(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::Stack(stack) => stack
            .frames
            .iter()
            .map(|frame| format!("{frame:#x}"))
            .collect::<Vec<_>>()
            .join(","),
        Value::Sym(sym) => format!("{:#x}", sym.addr),
        Value::Bytes(bytes) => bytes.iter().fold(String::new(), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        }),
    }
}

/// Serves `GET /metrics` on `listener` until the daemon stops.
pub async fn serve(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        tokio::spawn(answer(Arc::clone(&shared), stream));
    }
}

/// Answers one HTTP request and closes the connection.
async fn answer(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") && request.len() < 8192 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n_bytes) => request.extend_from_slice(&chunk[..n_bytes]),
        }
    }
    let first_line = request
        .split(|&byte| byte == b'\r')
        .next()
        .unwrap_or_default();
    let (status, content_type, body) = if first_line.starts_with(b"GET /metrics ") {
        (
            "200 OK",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            encode(&gather(&shared).await),
        )
    } else {
        (
            "404 Not Found",
            "text/plain",
            "only /metrics is here\n".to_owned(),
        )
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads the counters and asks every session for its sample.
async fn gather(shared: &Shared) -> Scrape {
    let counters = &shared.counters;
    Scrape {
        clients: counters.clients.load(Ordering::Relaxed),
        records: counters.records.load(Ordering::Relaxed),
        dropped: counters.dropped.load(Ordering::Relaxed),
        malformed: counters.malformed.load(Ordering::Relaxed),
        sessions: shared.samples().await,
    }
}

/// The scrape in the `OpenMetrics` text format.
fn encode(scrape: &Scrape) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Collected(scrape_clone(scrape))));
    let mut text = String::new();
    if let Err(fmt_error) = prometheus_client::encoding::text::encode(&mut text, &registry) {
        let _ = writeln!(text, "# failed to encode: {fmt_error}");
    }
    text
}

fn scrape_clone(scrape: &Scrape) -> Scrape {
    Scrape {
        clients: scrape.clients,
        records: scrape.records,
        dropped: scrape.dropped,
        malformed: scrape.malformed,
        sessions: scrape.sessions.clone(),
    }
}

/// The scrape as a `prometheus-client` collector.
#[derive(Debug)]
struct Collected(Scrape);

impl prometheus_client::collector::Collector for Collected {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let scrape = &self.0;
        let gauge = |encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64| {
            let metric = ConstGauge::new(value as i64);
            metric.encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
        };
        let counter = |encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64| {
            let metric = ConstCounter::new(value);
            metric.encode(encoder.encode_descriptor(name, help, None, MetricType::Counter)?)
        };
        gauge(
            &mut encoder,
            "tracerd_clients",
            "Connected clients",
            scrape.clients,
        )?;
        let n_sessions = scrape.sessions.len() as u64;
        gauge(
            &mut encoder,
            "tracerd_sessions",
            "Sessions, standing scripts included",
            n_sessions,
        )?;
        counter(
            &mut encoder,
            "tracerd_records",
            "Records sent to clients",
            scrape.records,
        )?;
        counter(
            &mut encoder,
            "tracerd_dropped_records",
            "Records dropped for clients that did not read them in time",
            scrape.dropped,
        )?;
        counter(
            &mut encoder,
            "tracerd_malformed_requests",
            "Requests refused as malformed",
            scrape.malformed,
        )?;
        let session_label =
            |session: &SessionSample| vec![("session".to_owned(), session.name.clone())];
        let mut family = encoder.encode_descriptor(
            "tracerd_session_records",
            "Records read from each session's ring buffer",
            None,
            MetricType::Counter,
        )?;
        for session in &scrape.sessions {
            let labels = session_label(session);
            ConstCounter::new(session.records).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "tracerd_session_programs",
            "BPF programs each session has loaded",
            None,
            MetricType::Gauge,
        )?;
        for session in &scrape.sessions {
            let labels = session_label(session);
            ConstGauge::new(session.programs as i64).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "tracerd_session_drops",
            "Each session's drop counters, by kind",
            None,
            MetricType::Gauge,
        )?;
        for session in &scrape.sessions {
            for &(kind, count) in &session.drops {
                let mut labels = session_label(session);
                labels.push(("kind".to_owned(), kind.to_owned()));
                ConstGauge::new(count as i64).encode(family.encode_family(&labels)?)?;
            }
        }
        for session in &scrape.sessions {
            for agg in &session.aggregations {
                encode_aggregation(&mut encoder, &session.name, agg)?;
            }
        }
        Ok(())
    }
}

/// The metric name of aggregation `agg` of script `script`: `tracer_SCRIPT_AGG`, with every
/// character a metric name may not hold replaced by `_`.
pub fn metric_name(script: &str, agg: &str) -> String {
    let raw = if agg.is_empty() {
        format!("tracer_{script}")
    } else {
        format!("tracer_{script}_{agg}")
    };
    raw.chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || character == '_' {
                character
            } else {
                '_'
            }
        })
        .collect()
}

fn encode_aggregation(
    encoder: &mut DescriptorEncoder,
    script: &str,
    agg: &AggregationSample,
) -> Result<(), std::fmt::Error> {
    let name = metric_name(script, &agg.name);
    let help = format!("@{} of standing script {script}", agg.name);
    let metric_type = if agg.histogram {
        MetricType::Histogram
    } else {
        MetricType::Gauge
    };
    let mut family = encoder.encode_descriptor(&name, &help, None, metric_type)?;
    for (keys, value) in &agg.rows {
        let labels: Vec<(String, String)> = keys
            .iter()
            .enumerate()
            .map(|(key_idx, key)| (format!("key{key_idx}"), key.clone()))
            .collect();
        let mut metric = family.encode_family(&labels)?;
        match value {
            AggValue::Histogram(weights) => {
                let buckets = histogram_buckets(agg.params, weights);
                let count = buckets.iter().map(|&(_, count)| count).sum();
                metric.encode_histogram::<NoLabelSet>(0.0, count, &buckets, None)?;
            }
            scalar => metric.encode_gauge(&scalar_value(scalar))?,
        }
    }
    Ok(())
}

/// A scalar aggregation's value as a gauge: `avg` is the integer mean and `stddev` the standard
/// deviation, as DTrace prints them.
#[expect(
    clippy::cast_precision_loss,
    reason = "Prometheus keeps every value as a 64-bit float"
)]
fn scalar_value(value: &AggValue) -> f64 {
    match *value {
        AggValue::Count(count) => count as f64,
        AggValue::Sum(sum) | AggValue::Min(sum) | AggValue::Max(sum) => sum as f64,
        AggValue::Avg { count, total } => {
            if count == 0 {
                0.0
            } else {
                (total / count as i64) as f64
            }
        }
        AggValue::Stddev {
            count,
            total,
            squares,
        } => {
            if count == 0 {
                0.0
            } else {
                let mean = total as f64 / count as f64;
                (squares as f64 / count as f64 - mean * mean)
                    .max(0.0)
                    .sqrt()
            }
        }
        AggValue::Histogram(_) => 0.0,
    }
}

/// Prometheus buckets of a DTrace distribution: `(le, count)` for every bucket that counts an
/// integer, the last one at `+Inf`; the encoder makes the counts cumulative. Negative weights
/// count as 0.
#[expect(
    clippy::cast_precision_loss,
    reason = "Prometheus keeps every bound as a 64-bit float"
)]
pub fn histogram_buckets(params: AggParams, weights: &[i64]) -> Vec<(f64, u64)> {
    let mut buckets: Vec<(f64, u64)> = weights
        .iter()
        .enumerate()
        .filter_map(|(bucket, &weight)| {
            let range = bucket_range(params, bucket)?;
            Some((range.max as f64, weight.max(0) as u64))
        })
        .collect();
    match buckets.last_mut() {
        Some(last) => last.0 = f64::INFINITY,
        None => buckets.push((f64::INFINITY, 0)),
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_values_as_d_prints_them() {
        let int = |bits: u64, size: u8, signed: bool| Value::Int { bits, size, signed };
        assert_eq!(label_of(&int(u64::MAX, 4, true)), "-1");
        assert_eq!(label_of(&int(0xffff_ffff, 4, false)), "4294967295");
        assert_eq!(label_of(&int(u64::MAX, 8, false)), "18446744073709551615");
        assert_eq!(label_of(&Value::Str(b"bash".to_vec())), "bash");
    }

    #[test]
    fn names_are_valid_metric_names() {
        assert_eq!(metric_name("syscalls", "calls"), "tracer_syscalls_calls");
        assert_eq!(metric_name("io-latency", ""), "tracer_io_latency");
    }

    #[test]
    fn quantize_buckets_are_dtraces_upper_bounds() {
        let mut weights = vec![0i64; 127];
        // Bucket 63 counts 0, 64 counts 1, 65 counts 2..3, 66 counts 4..7.
        weights[63] = 1;
        weights[66] = 2;
        let buckets = histogram_buckets(AggParams::None, &weights);
        assert_eq!(buckets.len(), 127);
        assert!(buckets.contains(&(0.0, 1)));
        assert!(buckets.contains(&(3.0, 0)));
        assert!(buckets.contains(&(7.0, 2)));
        assert_eq!(buckets.last(), Some(&(f64::INFINITY, 0)));
        let linear = AggParams::Linear {
            base: 0,
            levels: 5,
            step: 2,
        };
        let buckets = histogram_buckets(linear, &[1, 0, 4, 0, 0, 0, 2]);
        assert_eq!(
            buckets,
            [
                (-1.0, 1),
                (1.0, 0),
                (3.0, 4),
                (5.0, 0),
                (7.0, 0),
                (9.0, 0),
                (f64::INFINITY, 2)
            ]
        );
    }

    #[test]
    fn a_scrape_encodes_as_openmetrics() {
        let mut sizes = vec![0i64; 127];
        sizes[66] = 3;
        let scrape = Scrape {
            clients: 2,
            sessions: vec![SessionSample {
                name: "ticker".to_owned(),
                records: 5,
                programs: 1,
                drops: vec![("principal", 0)],
                aggregations: vec![
                    AggregationSample {
                        name: "ticks".to_owned(),
                        histogram: false,
                        params: AggParams::None,
                        rows: vec![(vec!["a".to_owned()], AggValue::Count(9))],
                    },
                    AggregationSample {
                        name: "sizes".to_owned(),
                        histogram: true,
                        params: AggParams::None,
                        rows: vec![(Vec::new(), AggValue::Histogram(sizes))],
                    },
                ],
            }],
            ..Scrape::default()
        };
        let text = encode(&scrape);
        assert!(
            text.contains("tracer_ticker_sizes_bucket{le=\"7.0\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("tracer_ticker_sizes_bucket{le=\"15.0\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("tracer_ticker_sizes_count 3\n"), "{text}");
        assert!(
            text.contains("# TYPE tracerd_clients gauge\ntracerd_clients 2\n"),
            "{text}"
        );
        assert!(
            text.contains("tracerd_session_records_total{session=\"ticker\"} 5\n"),
            "{text}"
        );
        assert!(text.contains("tracer_ticker_ticks{key0=\"a\"} 9"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}

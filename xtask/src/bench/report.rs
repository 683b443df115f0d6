//! Turning samples into the Markdown table in `docs/benchmarks.md` and JSON in `target/bench/`.

use std::fmt::Write as _;

/// One measured quantity for one tool: its samples.
#[derive(Clone, Debug, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// The median, or `None` without samples.
    pub fn median(&self) -> Option<f64> {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        let len = sorted.len();
        match len {
            0 => None,
            _ if len % 2 == 1 => Some(sorted[len / 2]),
            _ => Some(f64::midpoint(sorted[len / 2 - 1], sorted[len / 2])),
        }
    }

    fn min_max(&self) -> Option<(f64, f64)> {
        let min = self.0.iter().copied().reduce(f64::min)?;
        let max = self.0.iter().copied().reduce(f64::max)?;
        Some((min, max))
    }
}

/// A row: a case measured for tracer and bpftrace (and maybe with no tracing), in one unit.
#[derive(Clone, Debug)]
pub struct Row {
    /// The section (`start-up`, `probe effect`, ...).
    pub section: &'static str,
    /// The case.
    pub case: String,
    /// The unit of the samples (`ms`, `ns/call`, `MiB`, `events/s`).
    pub unit: &'static str,
    /// Samples with no tracing, where that means something.
    pub baseline: Option<Samples>,
    /// tracer's samples; empty when tracer could not run the case.
    pub tracer: Samples,
    /// bpftrace's samples.
    pub bpftrace: Samples,
    /// Why a tool could not run the case, if one could not.
    pub note: String,
}

fn cell(samples: &Samples, decimals: usize) -> String {
    match (samples.median(), samples.min_max()) {
        (Some(median), Some((min, max))) => {
            format!("{median:.decimals$} ({min:.decimals$}–{max:.decimals$})")
        }
        _ => "–".to_string(),
    }
}

fn decimals(unit: &str) -> usize {
    match unit {
        "ms" | "ns/call" | "MiB" => 1,
        _ => 0,
    }
}

/// The ratio tracer / bpftrace of the medians.
pub fn ratio(row: &Row) -> Option<f64> {
    let tracer = row.tracer.median()?;
    let bpftrace = row.bpftrace.median()?;
    (bpftrace != 0.0).then(|| tracer / bpftrace)
}

/// The Markdown document.
pub fn markdown(rows: &[Row], header: &str) -> String {
    let mut out = String::from(header);
    let mut section = "";
    for row in rows {
        if row.section != section {
            section = row.section;
            let _ = write!(
                out,
                "\n## {section}\n\n| case | unit | none | tracer | bpftrace | tracer/bpftrace | note |\n|---|---|---|---|---|---|---|\n"
            );
        }
        let digits = decimals(row.unit);
        let baseline = row
            .baseline
            .as_ref()
            .map_or_else(|| "–".to_string(), |samples| cell(samples, digits));
        let ratio = ratio(row).map_or_else(|| "–".to_string(), |ratio| format!("{ratio:.2}×"));
        let _ = writeln!(
            out,
            "| {} | {} | {baseline} | {} | {} | {ratio} | {} |",
            row.case,
            row.unit,
            cell(&row.tracer, digits),
            cell(&row.bpftrace, digits),
            row.note
        );
    }
    out
}

/// The JSON document: every row with its samples, medians and ratio.
pub fn json(rows: &[Row]) -> String {
    let samples = |samples: &Samples| {
        let values: Vec<String> = samples.0.iter().map(|value| format!("{value}")).collect();
        let median = samples
            .median()
            .map_or_else(|| "null".to_string(), |median| format!("{median}"));
        format!(
            "{{\"median\": {median}, \"samples\": [{}]}}",
            values.join(", ")
        )
    };
    let entries: Vec<String> = rows
        .iter()
        .map(|row| {
            let baseline = row
                .baseline
                .as_ref()
                .map_or_else(|| "null".to_string(), samples);
            let ratio = ratio(row).map_or_else(|| "null".to_string(), |ratio| format!("{ratio}"));
            format!(
                "  {{\"section\": {:?}, \"case\": {:?}, \"unit\": {:?}, \"none\": {baseline}, \"tracer\": {}, \"bpftrace\": {}, \"ratio\": {ratio}, \"note\": {:?}}}",
                row.section,
                row.case,
                row.unit,
                samples(&row.tracer),
                samples(&row.bpftrace),
                row.note
            )
        })
        .collect();
    format!("[\n{}\n]\n", entries.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(Samples(vec![3.0, 1.0, 2.0]).median(), Some(2.0));
        assert_eq!(Samples(vec![4.0, 1.0, 2.0, 3.0]).median(), Some(2.5));
        assert_eq!(Samples(Vec::new()).median(), None);
    }

    #[test]
    fn table_rows_show_medians_ranges_and_ratios() {
        let row = Row {
            section: "start-up",
            case: "one probe".to_string(),
            unit: "ms",
            baseline: None,
            tracer: Samples(vec![10.0, 12.0, 11.0]),
            bpftrace: Samples(vec![100.0, 110.0]),
            note: String::new(),
        };
        let text = markdown(&[row], "# B\n");
        assert!(
            text.contains(
                "| one probe | ms | – | 11.0 (10.0–12.0) | 105.0 (100.0–110.0) | 0.10× |  |"
            ),
            "{text}"
        );
    }
}

//! The tracefs events the `tracepoint` provider offers, and the fields of their records.
//!
//! The list comes from tracefs's `available_events` (one `GROUP:EVENT` per line), which is one
//! read however many events there are; an event's fields come from its `format` file, read only
//! for the probes a program enables.
//!
//! A field line of a format file reads `field:char prev_comm[16];` then `offset:8;`, `size:16;`
//! and `signed:0;`, separated by tabs. The `common_` fields every record starts with are left
//! out, since the trampoline cannot read them (a tracepoint program may not load the first 8
//! bytes of its context) and D has its own variables for them.

use std::path::Path;

use d_frontend::provider::{TracepointField, TracepointInfo};

/// The events in tracefs's `available_events` text, sorted by group and name; malformed lines are
/// skipped.
pub fn events_from_list(text: &str) -> Vec<TracepointInfo> {
    let mut events: Vec<TracepointInfo> = text
        .lines()
        .filter_map(|line| {
            let (group, event) = line.trim().split_once(':')?;
            (!group.is_empty() && !event.is_empty()).then(|| TracepointInfo {
                group: group.to_owned(),
                event: event.to_owned(),
            })
        })
        .collect();
    events.sort();
    events.dedup();
    events
}

/// The events of the tracefs mounted at `tracefs`; none when the list cannot be read.
pub fn events(tracefs: &Path) -> Vec<TracepointInfo> {
    std::fs::read_to_string(tracefs.join("available_events"))
        .map(|text| events_from_list(&text))
        .unwrap_or_default()
}

/// The fields of the event `group:event` from its `format` file, or `None` when the file cannot
/// be read (or the names would leave the events directory).
pub fn format(tracefs: &Path, group: &str, event: &str) -> Option<Vec<TracepointField>> {
    let is_name =
        |name: &str| !name.is_empty() && !name.contains('/') && name != "." && name != "..";
    if !is_name(group) || !is_name(event) {
        return None;
    }
    let path = tracefs
        .join("events")
        .join(group)
        .join(event)
        .join("format");
    let text = std::fs::read_to_string(path).ok()?;
    Some(fields_from_format(&text))
}

/// The fields in a format file's text, in record order, without the `common_` fields.
pub fn fields_from_format(text: &str) -> Vec<TracepointField> {
    text.lines()
        .filter_map(field_from_line)
        .filter(|field| !field.name.starts_with("common_"))
        .collect()
}

/// One `field:DECLARATION;` line, with its `offset:N;`, `size:N;` and `signed:N;` parts.
fn field_from_line(line: &str) -> Option<TracepointField> {
    let mut declaration = None;
    let (mut offset, mut size, mut signed) = (None, None, false);
    for part in line.split(';') {
        let Some((key, value)) = part.trim().split_once(':') else {
            continue;
        };
        match key {
            "field" => declaration = Some(value.trim()),
            "offset" => offset = value.trim().parse().ok(),
            "size" => size = value.trim().parse().ok(),
            "signed" => signed = value.trim() == "1",
            _ => {}
        }
    }
    let (declaration, name) = split_declaration(declaration?)?;
    Some(TracepointField {
        declaration,
        name,
        offset: offset?,
        size: size?,
        signed,
    })
}

/// Splits `char prev_comm[16]` into the type `char[16]` and the name `prev_comm`.
fn split_declaration(text: &str) -> Option<(String, String)> {
    let (text, dimensions) = match text.strip_suffix(']') {
        Some(_) => {
            let open = text.rfind('[')?;
            (text[..open].trim_end(), &text[open..])
        }
        None => (text, ""),
    };
    let name_start = text
        .rfind(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .map_or(0, |idx| idx + 1);
    let name = &text[name_start..];
    let ty = text[..name_start].trim_end();
    if name.is_empty() || ty.is_empty() {
        return None;
    }
    Some((format!("{ty}{dimensions}"), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_sorted_by_group_and_name() {
        let events = events_from_list(
            "sched:sched_switch\nirq:irq_handler_entry\nbad line\nsched:sched_wakeup\n",
        );
        let names: Vec<String> = events
            .iter()
            .map(|info| format!("{}:{}", info.group, info.event))
            .collect();
        assert_eq!(
            names,
            [
                "irq:irq_handler_entry",
                "sched:sched_switch",
                "sched:sched_wakeup"
            ]
        );
    }

    #[test]
    fn format_fields_without_the_common_ones() {
        let text = "name: sched_process_exec
ID: 365
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:char comm[16];\toffset:16;\tsize:16;\tsigned:0;
\tfield:const void * ptr;\toffset:32;\tsize:8;\tsigned:0;
\tfield:struct file *file;\toffset:40;\tsize:8;\tsigned:0;

print fmt: \"filename=%s pid=%d\", __get_str(filename), REC->pid
";
        let fields: Vec<(String, String, u32, u32, bool)> = fields_from_format(text)
            .into_iter()
            .map(|field| {
                (
                    field.declaration,
                    field.name,
                    field.offset,
                    field.size,
                    field.signed,
                )
            })
            .collect();
        let expected = [
            ("__data_loc char[]", "filename", 8, 4, false),
            ("pid_t", "pid", 12, 4, true),
            ("char[16]", "comm", 16, 16, false),
            ("const void *", "ptr", 32, 8, false),
            ("struct file *", "file", 40, 8, false),
        ];
        let expected: Vec<(String, String, u32, u32, bool)> = expected
            .into_iter()
            .map(|(ty, name, offset, size, signed)| {
                (ty.to_owned(), name.to_owned(), offset, size, signed)
            })
            .collect();
        assert_eq!(fields, expected);
    }

    #[test]
    fn names_cannot_leave_the_events_directory() {
        assert_eq!(format(Path::new("/nonexistent"), "..", "x"), None);
        assert_eq!(format(Path::new("/nonexistent"), "sched", "a/b"), None);
    }
}

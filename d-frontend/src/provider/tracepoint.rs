//! The `tracepoint` provider: every tracefs event, as `tracepoint:GROUP::EVENT`.
//!
//! The naming follows Oracle DTrace's `sdt` and `rawtp` providers, which map the event
//! `GROUP:EVENT` to `PROVIDER:GROUP::EVENT`: the module is the event's group (tracefs calls it the
//! system) and the function is empty, so `tracepoint:sched::sched_switch`, `tracepoint:sched::`
//! and `tracepoint:::sched_*` all read naturally.
//!
//! `args[]` are the event's fields from its `format` file, in record order, typed from their
//! declarations: integers by their size and sign, `char` arrays and `__data_loc char[]` fields
//! as strings, pointers as pointers, and other arrays as pointers to their first element. The
//! probe's program is a tracefs tracepoint program, whose context is the event's record, so the
//! trampoline reads each field at its offset; `arg0..arg9` hold the same values as `args[0..9]`.

use super::{ArgFetch, ArgType, Probe, ProbeArg, ProbeDesc, ProbeKind, TracepointField};
use super::{MAX_ARGS, TracepointInfo};

/// The tracepoint probes matching `desc`, in ID order; the first event's probe has ID `first_id`.
pub(super) fn matching(
    desc: &ProbeDesc,
    tracepoints: &[TracepointInfo],
    first_id: u32,
) -> Vec<Probe> {
    if !super::field_matches(&desc.provider, "tracepoint")
        || !super::field_matches(&desc.function, "")
    {
        return Vec::new();
    }
    tracepoints
        .iter()
        .zip(first_id..)
        .filter(|(tracepoint, _)| {
            super::field_matches(&desc.module, &tracepoint.group)
                && super::field_matches(&desc.name, &tracepoint.event)
        })
        .map(|(tracepoint, id)| probe(id, tracepoint))
        .collect()
}

/// The probe of one event.
pub(super) fn probe(id: u32, tracepoint: &TracepointInfo) -> Probe {
    Probe {
        id,
        desc: ProbeDesc {
            provider: "tracepoint".to_string(),
            module: tracepoint.group.clone(),
            function: String::new(),
            name: tracepoint.event.clone(),
        },
        kind: ProbeKind::Tracepoint,
        args: Vec::new(),
        sources: Vec::new(),
        uprobes: Vec::new(),
    }
}

/// The arguments of an event with these fields: the first [`MAX_ARGS`] fields.
pub(super) fn args(fields: &[TracepointField]) -> Vec<ProbeArg> {
    fields.iter().take(MAX_ARGS).map(arg).collect()
}

fn arg(field: &TracepointField) -> ProbeArg {
    let offset = field.offset;
    let declaration = field.declaration.trim();
    let (ty, fetch) = if let Some(data) = declaration.strip_prefix("__data_loc ") {
        (array_type(data), ArgFetch::DataLoc { offset })
    } else if declaration.ends_with(']') {
        (array_type(declaration), ArgFetch::FieldAddress { offset })
    } else if let Some(pointee) = declaration.strip_suffix('*') {
        let ty = ArgType::Pointer {
            pointee: pointee.trim().to_string(),
        };
        let fetch = ArgFetch::Field {
            offset,
            size: 8,
            signed: false,
        };
        (ty, fetch)
    } else if matches!(field.size, 1 | 2 | 4 | 8) {
        let (size, signed) = (field.size, field.signed);
        let fetch = ArgFetch::Field {
            offset,
            size,
            signed,
        };
        (ArgType::Int { size, signed }, fetch)
    } else {
        let ty = ArgType::Pointer {
            pointee: declaration.to_string(),
        };
        (ty, ArgFetch::FieldAddress { offset })
    };
    ProbeArg {
        native: field.declaration.clone(),
        name: field.name.clone(),
        ty,
        fetch,
    }
}

/// The type of an array field (`char[16]`, `u8[6]`, `char[]`): a `char` array is a string, any
/// other a pointer to its first element.
fn array_type(declaration: &str) -> ArgType {
    let element = declaration
        .split_once('[')
        .map_or(declaration, |(element, _)| element)
        .trim();
    match element.trim_start_matches("const ") {
        "char" => ArgType::String,
        _ => ArgType::Pointer {
            pointee: element.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(declaration: &str, offset: u32, size: u32, signed: bool) -> TracepointField {
        TracepointField {
            declaration: declaration.to_string(),
            name: format!("f{offset}"),
            offset,
            size,
            signed,
        }
    }

    #[test]
    fn fields_become_typed_arguments() {
        let fields = [
            field("char[16]", 8, 16, false),
            field("pid_t", 24, 4, true),
            field("__data_loc char[]", 28, 4, false),
            field("const void *", 32, 8, false),
            field("u8[6]", 40, 6, false),
            field("unsigned short", 46, 2, false),
        ];
        let args = args(&fields);
        let types: Vec<&ArgType> = args.iter().map(|arg| &arg.ty).collect();
        assert_eq!(
            types,
            [
                &ArgType::String,
                &ArgType::Int {
                    size: 4,
                    signed: true
                },
                &ArgType::String,
                &ArgType::Pointer {
                    pointee: "const void".to_string()
                },
                &ArgType::Pointer {
                    pointee: "u8".to_string()
                },
                &ArgType::Int {
                    size: 2,
                    signed: false
                },
            ]
        );
        assert_eq!(args[0].fetch, ArgFetch::FieldAddress { offset: 8 });
        assert_eq!(args[2].fetch, ArgFetch::DataLoc { offset: 28 });
        assert_eq!(
            args[1].fetch,
            ArgFetch::Field {
                offset: 24,
                size: 4,
                signed: true
            }
        );
        assert_eq!(
            (args[1].native.as_str(), args[1].name.as_str()),
            ("pid_t", "f24")
        );
    }

    #[test]
    fn at_most_ten_fields_are_arguments() {
        let fields: Vec<TracepointField> = (0..12)
            .map(|field_idx| field("int", 8 + 4 * field_idx, 4, true))
            .collect();
        assert_eq!(args(&fields).len(), MAX_ARGS);
    }

    #[test]
    fn the_group_is_the_module_and_the_function_is_empty() {
        let tracepoints = [
            TracepointInfo {
                group: "sched".to_string(),
                event: "sched_switch".to_string(),
            },
            TracepointInfo {
                group: "sched".to_string(),
                event: "sched_wakeup".to_string(),
            },
            TracepointInfo {
                group: "signal".to_string(),
                event: "signal_generate".to_string(),
            },
        ];
        let ids = |text: &str| -> Vec<u32> {
            let desc = ProbeDesc::parse(text).unwrap();
            matching(&desc, &tracepoints, 100)
                .iter()
                .map(|probe| probe.id)
                .collect()
        };
        assert_eq!(ids("tracepoint:sched::sched_switch"), [100]);
        assert_eq!(ids("tracepoint:sched::"), [100, 101]);
        assert_eq!(ids("tracepoint:::*_generate"), [102]);
        assert_eq!(ids("sched_wakeup"), [101]);
        assert_eq!(ids("tracepoint:sched:sched_switch:"), Vec::<u32>::new());
        assert_eq!(ids("syscall:sched::sched_switch"), Vec::<u32>::new());
    }
}

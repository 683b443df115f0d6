//! What the back end hands the engine: the ELF object plus everything needed to attach its programs
//! and to read what they write.
//!
//! This is plain data (DTrace keeps the same facts in its DOF: probe list, enabled-probe
//! descriptions, aggregation descriptions).

use d_frontend::ir::AGG_ID_SIZE;

use crate::layout::{AggFunc, AggParams, ValueKind};

/// A compiled D program, ready to load.
#[derive(Clone, Debug)]
pub struct CompiledProgram {
    /// The ELF object with every map and program.
    pub elf: Vec<u8>,
    /// The programs in the object and where each attaches.
    pub programs: Vec<ProgramPlan>,
    /// Map entries to write after loading and before attaching.
    pub map_inits: Vec<MapInit>,
    /// Every probe the program enables, sorted by probe ID.
    pub probes: Vec<ProbeInfo>,
    /// Record descriptions, indexed by `RecordHeader::clause_id`.
    pub records: Vec<RecordDesc>,
    /// Aggregations, in order of first appearance.
    pub aggregations: Vec<AggDesc>,
    /// Name of the ring buffer map records arrive on, or of the perf event array of per-CPU
    /// perf buffers.
    pub events_map: String,
    /// Bytes of the ring buffer, or of each CPU's perf buffer.
    pub events_bufsize: u32,
    /// Name of the per-CPU `stats` map (`layout::Stats`).
    pub stats_map: String,
    /// The map of speculations and how many there are, when the program uses them.
    pub speculations: Option<SpecDesc>,
}

/// The speculations of a program: the consumer frees an ID in their map once it has printed or
/// dropped what the ID held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecDesc {
    /// The map of state words (`layout::SPECS_MAP`), keyed by speculation ID.
    pub map: String,
    /// IDs go from 1 to `nspec`.
    pub nspec: u32,
}

/// One program in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramPlan {
    /// Its FUNC symbol name in the ELF object (what `aya::Ebpf::program_mut` takes).
    pub name: String,
    /// How to attach it.
    pub attach: Attach,
}

/// Where a program attaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attach {
    /// A tracefs tracepoint, e.g. `raw_syscalls`/`sys_enter`.
    Tracepoint {
        /// The tracefs event category.
        category: String,
        /// The event name.
        name: String,
    },
    /// A raw tracepoint, e.g. `sys_enter`: arguments as the kernel passes them, and a link that
    /// detaches without waiting for RCU.
    RawTracepoint {
        /// The tracepoint's name.
        name: String,
    },
    /// A kernel function's entry (an fentry program, `BPF_PROG_TYPE_TRACING` with
    /// `BPF_TRACE_FENTRY`) or return (fexit), found by name in the kernel's BTF. The engine
    /// checks first that this kernel lets it attach there.
    Fentry {
        /// The function's name (`vfs_read`).
        function: String,
        /// fexit rather than fentry.
        is_return: bool,
        /// The probe's description, for the engine's messages (`fbt:vmlinux:vfs_read:entry`).
        probe: String,
    },
    /// A kernel function's entry (a kprobe program) or return (a kretprobe), the way `fbt`
    /// attaches where fentry is refused or `-x fbtmode=kprobe` asks for it.
    Kprobe {
        /// The function's name (`vfs_read`).
        function: String,
        /// A kretprobe rather than a kprobe.
        is_return: bool,
        /// The probe's description, for the engine's messages (`fbt:vmlinux:vfs_read:entry`).
        probe: String,
        /// The BPF cookie to attach with, for a program planned once per function it serves:
        /// the probe ID in the low 32 bits, the mask of the clauses the probe enables in the
        /// high 32 (`bpf_get_attach_cookie`, Linux 5.15).
        cookie: Option<u64>,
    },
    /// Kernel functions' entries (or returns) through one kprobe-multi link
    /// (`BPF_TRACE_KPROBE_MULTI`, Linux 5.18 with fprobe): the shared kprobe program, loaded once,
    /// fires for every function of `targets` with that function's cookie. The way `fbt` attaches
    /// many functions where the kernel has kprobe-multi, or `-x fbtmode=kprobe-multi` asks for it.
    KprobeMulti {
        /// Returns (`BPF_F_KPROBE_MULTI_RETURN`) rather than entries.
        is_return: bool,
        /// The functions, each with its probe and cookie.
        targets: Vec<KprobeTarget>,
    },
    /// A uprobe (or uretprobe) at each of `sites`, in user processes.
    Uprobe {
        /// uretprobes rather than uprobes.
        is_return: bool,
        /// Where to attach, each with the cookie the trampoline reads.
        sites: Vec<UprobeAttach>,
        /// Through one uprobe-multi link (`BPF_TRACE_UPROBE_MULTI`, Linux 6.6) per binary and
        /// process, loaded as such, rather than through a uprobe perf event per site: the way
        /// the kernel allows or `-x uprobemode` forces.
        multi: bool,
    },
    /// A `cpu-clock` software perf event every `period_ns`, on every CPU or on one.
    PerfTimer {
        /// The period in nanoseconds.
        period_ns: u64,
        /// `profile-N` fires on every CPU; `tick-N` on one.
        all_cpus: bool,
    },
    /// `dtrace:::BEGIN`: a raw tracepoint program run once with `BPF_PROG_TEST_RUN` before tracing.
    Begin,
    /// `dtrace:::END`: run once with `BPF_PROG_TEST_RUN` after tracing stops.
    End,
}

/// One kernel function a kprobe-multi link attaches its program to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KprobeTarget {
    /// The function's name (`vfs_read`).
    pub function: String,
    /// The probe's description, for the engine's messages (`fbt:vmlinux:vfs_read:entry`).
    pub probe: String,
    /// The value `bpf_get_attach_cookie` returns when it fires: the probe ID in the low 32 bits,
    /// the mask of the clauses the probe enables in the high 32.
    pub cookie: u64,
}

/// One place a uprobe program attaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UprobeAttach {
    /// The process it fires for.
    pub pid: u32,
    /// The ELF file.
    pub path: String,
    /// The probed instruction's offset in the file.
    pub file_offset: u64,
    /// The file offset of a USDT semaphore the kernel raises while attached, or 0.
    pub semaphore_offset: u64,
    /// The value `bpf_get_attach_cookie` returns: the probe ID.
    pub cookie: u64,
}

/// One map entry the engine writes before attaching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInit {
    /// The map's name in the ELF object.
    pub map: String,
    /// The key bytes.
    pub key: Vec<u8>,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// A probe the program enables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeInfo {
    /// DTrace's probe ID (the `ID` column).
    pub id: u32,
    /// Provider name (`syscall`).
    pub provider: String,
    /// Module (`vmlinux`, or empty).
    pub module: String,
    /// Function (`openat`).
    pub function: String,
    /// Name (`entry`).
    pub name: String,
}

/// The layout of the records one clause writes, after the `RecordHeader`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecordDesc {
    /// The data-recording actions, in clause order.
    pub actions: Vec<ActionDesc>,
    /// Total record size including the header.
    pub size: u32,
    /// For each action, its bit in the header's blocks mask ([`crate::layout::RecordHeader`]):
    /// the action is printed only when that bit is set, and each block starts a probe line. An
    /// action with no entry here is printed with the record, in the first block.
    pub blocks: Vec<u32>,
}

/// A recorded value: where it is (from the start of the record, header included) and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// Byte offset from the start of the record.
    pub offset: u32,
    /// How to read it.
    pub kind: ValueKind,
}

/// One data-recording action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionDesc {
    /// `trace(expr)`.
    Trace(FieldDesc),
    /// `printf(format, args...)`: the format string (escapes decoded) and the arguments.
    Printf {
        /// The format string's bytes.
        format: Vec<u8>,
        /// One field per argument.
        args: Vec<FieldDesc>,
    },
    /// `printa([format,] @a, ...)`: print aggregations when the record is consumed.
    Printa {
        /// The format string, or `None` for the default layout.
        format: Option<Vec<u8>>,
        /// Indexes into `CompiledProgram::aggregations`.
        aggregations: Vec<usize>,
    },
    /// `exit(status)`: stop tracing with this exit status.
    Exit(FieldDesc),
    /// `system(format, args...)`: run the formatted command through the shell, in order with the
    /// output.
    System {
        /// The format string's bytes.
        format: Vec<u8>,
        /// One field per argument.
        args: Vec<FieldDesc>,
    },
    /// `freopen(format, args...)`: send the output from now on to the formatted file name, or
    /// back to standard output when the format is empty.
    Freopen {
        /// The format string's bytes.
        format: Vec<u8>,
        /// One field per argument.
        args: Vec<FieldDesc>,
    },
    /// `tracemem(address, size[, shown])`: a hex dump of recorded bytes.
    Tracemem {
        /// Offset of the bytes from the start of the record.
        offset: u32,
        /// How many bytes are recorded.
        size: u32,
        /// The number of bytes to show, when not negative and less than `size`.
        shown: Option<FieldDesc>,
    },
    /// `print(pointer)`: the pointer and the bytes it points to, printed with their type.
    Print {
        /// The pointer.
        address: FieldDesc,
        /// Offset of the bytes from the start of the record.
        offset: u32,
        /// How many bytes are recorded.
        size: u32,
        /// The pointee's type.
        ty: Box<d_frontend::ir::PrintType>,
    },
    /// An action done in the kernel (`raise`, `stop`, `chill`); it records nothing.
    Effect,
    /// `clear(@a)`: bump the aggregation's generation, which zeroes its values.
    Clear {
        /// Index into `CompiledProgram::aggregations`.
        agg: usize,
    },
    /// `normalize(@a, n)`: print the aggregation's values divided by `n` from now on.
    Normalize {
        /// Index into `CompiledProgram::aggregations`.
        agg: usize,
        /// The factor.
        factor: FieldDesc,
    },
    /// `denormalize(@a)`: print the aggregation's values undivided again.
    Denormalize {
        /// Index into `CompiledProgram::aggregations`.
        agg: usize,
    },
    /// `trunc(@a [, n])`: delete all but the `n` largest (negative: smallest) entries.
    Trunc {
        /// Index into `CompiledProgram::aggregations`.
        agg: usize,
        /// How many to keep; none when absent.
        count: Option<FieldDesc>,
    },
    /// `setopt(name [, value])`: set a run-time option in the consumer.
    Setopt {
        /// The option's name (a string).
        name: FieldDesc,
        /// Its value (a string); absent turns the option on.
        value: Option<FieldDesc>,
    },
    /// `commit(id)`: print what the speculation the field names (`layout::finished_speculation`)
    /// holds, then free it.
    Commit(FieldDesc),
    /// `discard(id)`: drop what the speculation the field names holds, then free it.
    Discard(FieldDesc),
}

/// One aggregation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggDesc {
    /// The D name without `@` (empty for `@`).
    pub name: String,
    /// The BPF map holding it (`BPF_MAP_TYPE_PERCPU_HASH`, or an array when `array` says so;
    /// values laid out as `layout::AGG_GEN` says, `layout::agg_value_size` bytes per CPU), which
    /// it shares with every aggregation of the same key and value sizes.
    pub map: String,
    /// Its ID in that map: each of its keys there is this ID as a native-endian `u64`
    /// ([`AGG_ID_SIZE`] bytes) followed by the key tuple; in an array, its index.
    pub id: u32,
    /// Whether the map is a `BPF_MAP_TYPE_PERCPU_ARRAY` of aggregations without keys, with one
    /// element for each at index `id` (a native-endian `u32` key); the element is absent from the
    /// aggregation while every CPU's value is at generation 0 (never written, or truncated).
    pub array: bool,
    /// Its key in the `layout::AGG_GEN_MAP` map of generations.
    pub generation: u32,
    /// The aggregating function.
    pub func: AggFunc,
    /// The bucket parameters of `lquantize` and `llquantize`.
    pub params: AggParams,
    /// The key tuple's kinds; the key is their stored values back to back (8 zero bytes when empty).
    pub keys: Vec<ValueKind>,
}

impl AggDesc {
    /// The key tuple's size in bytes (8 zero bytes when there are no keys).
    pub fn key_size(&self) -> u32 {
        let size: u32 = self.keys.iter().map(|kind| kind.stored_size()).sum();
        size.max(8)
    }

    /// How the daemon's protocol names it: `@` and its D name, which no other aggregation of the
    /// program has (its map it may share).
    pub fn handle(&self) -> String {
        format!("@{}", self.name)
    }

    /// The key size in bytes in the BPF map: the ID, then the tuple; an array's index.
    pub fn map_key_size(&self) -> u32 {
        if self.array {
            return 4;
        }
        AGG_ID_SIZE + self.key_size()
    }

    /// The key in the BPF map of the key tuple `tuple`; in an array, the index whatever `tuple`.
    pub fn map_key(&self, tuple: &[u8]) -> Vec<u8> {
        if self.array {
            return self.id.to_ne_bytes().to_vec();
        }
        let mut key = u64::from(self.id).to_ne_bytes().to_vec();
        key.extend_from_slice(tuple);
        key
    }

    /// The key tuple of `map_key`, a key of the BPF map, when it belongs to this aggregation.
    pub fn tuple_of<'a>(&self, map_key: &'a [u8]) -> Option<&'a [u8]> {
        let (id, tuple) = map_key.split_at_checked(AGG_ID_SIZE as usize)?;
        (id == u64::from(self.id).to_ne_bytes()).then_some(tuple)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(id: u32) -> AggDesc {
        AggDesc {
            name: format!("a{id}"),
            map: "agg_0".to_owned(),
            id,
            array: false,
            generation: id,
            func: AggFunc::Count,
            params: AggParams::None,
            keys: vec![ValueKind::Int {
                size: 8,
                signed: false,
            }],
        }
    }

    #[test]
    fn map_keys_start_with_the_aggregation_id() {
        let tuple = 9u64.to_ne_bytes();
        let key = agg(3).map_key(&tuple);
        assert_eq!(key.len(), agg(3).map_key_size() as usize);
        assert_eq!(key[..8], 3u64.to_ne_bytes());
        assert_eq!(agg(3).tuple_of(&key), Some(&tuple[..]));
        // Another aggregation of the map does not take the key, nor does a short key.
        assert_eq!(agg(4).tuple_of(&key), None);
        assert_eq!(agg(3).tuple_of(&key[..4]), None);
        assert_eq!(agg(3).handle(), "@a3");
    }
}

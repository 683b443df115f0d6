//! The records of `-O json`, as serde types: what each line holds, and nothing about how it is
//! filled (that is `json`'s job). docs/json.md documents every field and docs/json.schema.json
//! checks them; a change here changes both, and [`VERSION`] when it is not backward compatible.
//!
//! Every line is an [`Envelope`]: `{"type": …, "version": 1, "data": {…}}`. Integers are JSON
//! integers written in full by `serde_json` (`u64` and `i64` whole, `u128` too), never floating
//! point. Bytes that may not be UTF-8 are a [`Bytes`]: `{"text": …}` when they are valid UTF-8,
//! `{"bytes": base64}` otherwise.

use serde::Serialize;

/// The schema version every line carries. It changes when a field changes meaning or goes away;
/// new record types, new actions and new fields do not change it, so readers ignore what they do
/// not know.
pub const VERSION: u32 = 1;

/// One line of output.
#[derive(Clone, Debug, Serialize)]
pub struct Envelope<'a> {
    /// The record type: `banner`, `probe`, `aggregation`, `error`, `drop` or `exit`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// [`VERSION`].
    pub version: u32,
    /// The record.
    pub data: Record<'a>,
}

impl<'a> Envelope<'a> {
    /// The line for `record`.
    pub fn new(record: Record<'a>) -> Envelope<'a> {
        let kind = match record {
            Record::Banner(_) => "banner",
            Record::Probe(_) => "probe",
            Record::Aggregation(_) => "aggregation",
            Record::Error(_) => "error",
            Record::Drop(_) => "drop",
            Record::Exit(_) => "exit",
        };
        Envelope {
            kind,
            version: VERSION,
            data: record,
        }
    }
}

/// What a line holds; the envelope's `type` names the variant.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Record<'a> {
    /// What one program source matched.
    Banner(Banner<'a>),
    /// A probe fired and its clause recorded data.
    Probe(Probe<'a>),
    /// A snapshot of one aggregation.
    Aggregation(Aggregation<'a>),
    /// A runtime error.
    Error(Error<'a>),
    /// Drops of one kind.
    Drop(Drops),
    /// The end of the run.
    Exit(Exit),
}

/// `description 'BEGIN ' matched 1 probe`.
#[derive(Clone, Debug, Serialize)]
pub struct Banner<'a> {
    /// `description` (`-n`, `-P`, `-m`, `-f`, `-i`) or `script` (`-s`).
    pub kind: &'a str,
    /// The description or the script's path.
    pub name: &'a str,
    /// How many probes it matched.
    pub matched: usize,
}

/// A probe, as the kernel and tracer name it.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeName<'a> {
    /// tracer's probe ID.
    pub id: u32,
    /// The provider (`dtrace`, `syscall`, `tracepoint`, ...).
    pub provider: &'a str,
    /// The module.
    pub module: &'a str,
    /// The function.
    pub function: &'a str,
    /// The name (`BEGIN`, `entry`, ...).
    pub name: &'a str,
}

/// One firing: the probe, its CPU and what each action that prints recorded, in order.
#[derive(Clone, Debug, Serialize)]
pub struct Probe<'a> {
    /// The CPU it fired on.
    pub cpu: u32,
    /// The probe.
    pub probe: ProbeName<'a>,
    /// The actions that print, in program order.
    pub actions: Vec<Action>,
}

/// One action's output.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `trace(value)`.
    Trace {
        /// The value.
        value: Typed,
    },
    /// `printf(format, args...)`.
    Printf {
        /// The formatted text.
        output: Bytes,
        /// The arguments after the format, typed.
        args: Vec<Typed>,
    },
    /// `printa([format,] @a, ...)`; each aggregation's snapshot follows the probe record.
    Printa {
        /// The aggregations' names, without `@`.
        aggregations: Vec<String>,
        /// With a format, the formatted rows.
        #[serde(skip_serializing_if = "Option::is_none")]
        output: Option<Bytes>,
    },
    /// `system(format, args...)`.
    System {
        /// The command given to `/bin/sh -c`.
        command: Bytes,
        /// Its exit status; absent when a signal ended it.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<i32>,
        /// What it wrote to its standard output.
        output: Bytes,
    },
    /// `tracemem(address, size[, shown])`.
    Tracemem {
        /// The bytes shown, always as `{"bytes": base64}`.
        data: Bytes,
    },
    /// `print(pointer)`: the pointer and the text the text output shows for it.
    Print {
        /// The pointer.
        address: u64,
        /// The pointee with its type, as the text output prints it.
        text: String,
    },
    /// `exit(status)`.
    Exit {
        /// The exit status asked for (its low byte).
        status: i32,
    },
}

/// A value with its D type: an integer type, `string`, `stack` or `symbol`.
#[derive(Clone, Debug, Serialize)]
pub struct Typed {
    /// `int8` .. `int64`, `uint8` .. `uint64`, `string`, `stack` or `symbol`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// The value: an integer, a [`Bytes`] for a string, a [`Stack`] or a [`Symbolic`].
    pub value: Scalar,
}

/// The value of a [`Typed`].
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A signed integer.
    Signed(i64),
    /// An unsigned integer.
    Unsigned(u64),
    /// A string.
    String(Bytes),
    /// A stack.
    Stack(Stack),
    /// A symbolic address.
    Symbol(Symbolic),
}

/// A stack recorded by `stack()`, `ustack()` or `jstack()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stack {
    /// `kernel` (`stack()`) or `user` (`ustack()`, `jstack()`).
    pub kind: &'static str,
    /// The process of a user stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The frames, innermost first.
    pub frames: Vec<Frame>,
}

/// Where an address is: always the address; the module when one holds it; the symbol and the
/// address's offset in it when one covers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// The address.
    pub address: u64,
    /// The kernel module (`vmlinux` for the kernel itself) or the basename of the user object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The symbol covering the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The address's offset from the symbol's start (present with `symbol`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// An address recorded by `sym()`, `func()`, `mod()`, `usym()`, `ufunc()`, `umod()` or
/// `uaddr()`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Symbolic {
    /// How the text output prints it: `sym` (`sym()`, `func()`), `mod`, `usym` (`usym()`,
    /// `ufunc()`), `umod` or `uaddr`.
    pub kind: &'static str,
    /// The process of a user address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The address and where it is.
    #[serde(flatten)]
    pub location: Frame,
}

/// Bytes: text when they are valid UTF-8, base64 otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Bytes {
    /// Valid UTF-8.
    #[serde(rename = "text")]
    Text(String),
    /// Anything else, in standard base64 with padding.
    #[serde(rename = "bytes")]
    Base64(String),
}

/// A snapshot of one aggregation.
#[derive(Clone, Debug, Serialize)]
pub struct Aggregation<'a> {
    /// The name without `@` (empty for `@`).
    pub name: &'a str,
    /// The aggregating function: `count`, `sum`, `avg`, `min`, `max`, `stddev`, `quantize`,
    /// `lquantize` or `llquantize`.
    pub function: &'static str,
    /// The bucket parameters of `lquantize` and `llquantize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
    /// `printa` or `exit` (the dump of the aggregations no `printa` printed).
    pub origin: &'static str,
    /// The `normalize()` factor the values are divided by (1 when not normalized).
    pub normal: u64,
    /// The entries, in the order dtrace prints them.
    pub entries: Vec<Entry>,
}

/// The parameters of `lquantize` and `llquantize`.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Params {
    /// `lquantize(x, base, limit, step)`.
    Linear {
        /// The lowest bucket's value.
        base: i32,
        /// The value the last bucket starts at.
        limit: i64,
        /// The width of each bucket.
        step: u16,
    },
    /// `llquantize(x, factor, lmag, hmag, steps)`.
    LogLinear {
        /// The base of the magnitudes.
        factor: u16,
        /// The lowest magnitude.
        lmag: u16,
        /// The highest magnitude.
        hmag: u16,
        /// Buckets per magnitude.
        steps: u16,
    },
}

/// One key's value.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// The key, one typed value per position (empty for an aggregation without keys).
    pub keys: Vec<Typed>,
    /// The value, as the function has it.
    #[serde(flatten)]
    pub datum: Datum,
}

/// An entry's value.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Datum {
    /// `count()`.
    Count {
        /// The count, normalized.
        value: u64,
    },
    /// `sum`, `min`, `max`.
    Signed {
        /// The value, normalized.
        value: i64,
    },
    /// `avg()`.
    Average {
        /// The average, normalized and rounded towards zero as dtrace prints it.
        value: i64,
        /// How many values were aggregated.
        count: u64,
        /// Their sum, not normalized.
        sum: i64,
    },
    /// `stddev()`.
    Deviation {
        /// The standard deviation, normalized and rounded down as dtrace prints it.
        value: u64,
        /// How many values were aggregated.
        count: u64,
        /// Their sum, not normalized.
        sum: i64,
        /// The sum of their squares, not normalized (128 bits).
        sum_of_squares: u128,
    },
    /// `quantize`, `lquantize` and `llquantize`.
    Histogram {
        /// The buckets whose count is not zero, in order.
        buckets: Vec<Bucket>,
    },
}

/// One bucket of a distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The smallest value it counts (inclusive).
    pub min: i64,
    /// The largest value it counts (inclusive).
    pub max: i64,
    /// Its count (the sum of the increments), normalized.
    pub count: i64,
}

/// A runtime error.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Error<'a> {
    /// A fault in a clause: the clause stopped there.
    Fault {
        /// dtrace's message.
        message: String,
        /// The CPU.
        cpu: u32,
        /// The probe whose clause faulted.
        probe: ProbeName<'a>,
        /// The clause (dtrace's statement ID).
        clause: u64,
        /// The fault's name in dtrace's words (`divide-by-zero`, ...).
        fault: &'static str,
        /// The fault's `DTRACEFLT_*` code.
        code: u64,
        /// The address or value at fault (0 when none).
        address: u64,
        /// The instruction that faulted, counted from the start of the clause.
        pc: u64,
    },
    /// `setopt()` could not set an option.
    Setopt {
        /// dtrace's message.
        message: String,
        /// The CPU.
        cpu: u32,
        /// The probe whose clause called it.
        probe: ProbeName<'a>,
        /// The clause.
        clause: usize,
        /// The option's name.
        option: &'a str,
        /// The value it was to take.
        value: &'a str,
    },
}

/// Drops of one kind.
#[derive(Clone, Debug, Serialize)]
pub struct Drops {
    /// `principal` (the ring buffer was full), `dynamic` (a dynamic variable's map was full),
    /// `speculative` (a speculation's buffer was full), `speculation_busy` or
    /// `speculation_unavailable` (`speculation()` found no free buffer).
    pub kind: &'static str,
    /// The CPU, for principal drops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// How many records or calls were dropped.
    pub count: u64,
}

/// The end of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Exit {
    /// tracer's exit status.
    pub status: u8,
    /// Why tracing stopped: `exit` (an `exit()` action), `signal` or `target` (the `-c` and `-p`
    /// processes exited).
    pub reason: &'static str,
}

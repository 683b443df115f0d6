//! Built-in functions: actions (`trace`, `printf`, `printa`, `exit`, the aggregation actions),
//! destructive actions (`raise`, `system`, `stop`, `chill`, and those tracer refuses), the
//! speculation actions (`speculate`, `commit`, `discard`), the stack and symbol actions and
//! aggregating functions.

use crate::ir::AggFunc;
use crate::types::SymKind;

/// What a function is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// `trace(expr)`.
    Trace,
    /// `printf(format, ...)`.
    Printf,
    /// `printa([format,] @a, ...)`.
    Printa,
    /// `exit(status)`.
    Exit,
    /// `tracemem(address, size[, shown])`.
    Tracemem,
    /// `print(pointer)`: the pointee, printed with its type.
    Print,
    /// `raise(signal)`: destructive.
    Raise,
    /// `system(format, ...)`: destructive.
    System,
    /// `stop()`: destructive.
    Stop,
    /// `chill(nanoseconds)`: destructive.
    Chill,
    /// `panic()` and `breakpoint()`: refused, tracer never stops the kernel.
    StopsKernel,
    /// `copyout()` and `copyoutstr()`: refused, they need `bpf_probe_write_user`.
    WritesUser,
    /// An aggregating function, allowed only as `@a[...] = func(...)`.
    Aggregating(AggFunc),
    /// An action on a whole aggregation, run by the consumer in record order.
    AggAction(AggAction),
    /// `setopt(name [, value])`.
    Setopt,
    /// `speculate(id)`: the clause's later data-recording actions go to speculation `id`.
    Speculate,
    /// `commit(id)`: speculation `id`'s data is to be printed.
    Commit,
    /// `discard(id)`: speculation `id`'s data is to be thrown away.
    Discard,
    /// `stack([frames])`, or `ustack([frames [, strsize]])` and `jstack(...)` when `user`.
    Stack {
        /// A user stack.
        user: bool,
    },
    /// `sym(addr)`, `func(addr)`, `mod(addr)`, `usym(addr)`, `ufunc(addr)`, `umod(addr)`,
    /// `uaddr(addr)`: the address, printed symbolically.
    SymAddr(SymKind),
}

/// The actions that take an aggregation as their first argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggAction {
    /// `clear(@a)`.
    Clear,
    /// `normalize(@a, n)`.
    Normalize,
    /// `denormalize(@a)`.
    Denormalize,
    /// `trunc(@a [, n])`.
    Trunc,
}

/// A built-in function and its argument count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its D name.
    pub name: &'static str,
    /// What it is.
    pub kind: FunctionKind,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`usize::MAX` for variadic).
    pub max_args: usize,
}

const fn aggregating(
    name: &'static str,
    func: AggFunc,
    min_args: usize,
    max_args: usize,
) -> Function {
    Function {
        name,
        kind: FunctionKind::Aggregating(func),
        min_args,
        max_args,
    }
}

const fn agg_action(
    name: &'static str,
    action: AggAction,
    min_args: usize,
    max_args: usize,
) -> Function {
    Function {
        name,
        kind: FunctionKind::AggAction(action),
        min_args,
        max_args,
    }
}

const fn stack(name: &'static str, user: bool, max_args: usize) -> Function {
    Function {
        name,
        kind: FunctionKind::Stack { user },
        min_args: 0,
        max_args,
    }
}

const fn sym_addr(name: &'static str, kind: SymKind) -> Function {
    Function {
        name,
        kind: FunctionKind::SymAddr(kind),
        min_args: 1,
        max_args: 1,
    }
}

/// Every built-in function.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "trace",
        kind: FunctionKind::Trace,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "printf",
        kind: FunctionKind::Printf,
        min_args: 1,
        max_args: usize::MAX,
    },
    Function {
        name: "printa",
        kind: FunctionKind::Printa,
        min_args: 1,
        max_args: usize::MAX,
    },
    Function {
        name: "exit",
        kind: FunctionKind::Exit,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "tracemem",
        kind: FunctionKind::Tracemem,
        min_args: 2,
        max_args: 3,
    },
    Function {
        name: "raise",
        kind: FunctionKind::Raise,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "system",
        kind: FunctionKind::System,
        min_args: 1,
        max_args: usize::MAX,
    },
    // `freopen(format, args...)` is checked, recorded and refused like `system`.
    Function {
        name: "freopen",
        kind: FunctionKind::System,
        min_args: 1,
        max_args: usize::MAX,
    },
    Function {
        name: "stop",
        kind: FunctionKind::Stop,
        min_args: 0,
        max_args: 0,
    },
    Function {
        name: "chill",
        kind: FunctionKind::Chill,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "panic",
        kind: FunctionKind::StopsKernel,
        min_args: 0,
        max_args: 0,
    },
    Function {
        name: "breakpoint",
        kind: FunctionKind::StopsKernel,
        min_args: 0,
        max_args: 0,
    },
    Function {
        name: "copyout",
        kind: FunctionKind::WritesUser,
        min_args: 3,
        max_args: 3,
    },
    Function {
        name: "copyoutstr",
        kind: FunctionKind::WritesUser,
        min_args: 3,
        max_args: 3,
    },
    Function {
        name: "count",
        kind: FunctionKind::Aggregating(AggFunc::Count),
        min_args: 0,
        max_args: 0,
    },
    Function {
        name: "sum",
        kind: FunctionKind::Aggregating(AggFunc::Sum),
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "avg",
        kind: FunctionKind::Aggregating(AggFunc::Avg),
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "min",
        kind: FunctionKind::Aggregating(AggFunc::Min),
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "max",
        kind: FunctionKind::Aggregating(AggFunc::Max),
        min_args: 1,
        max_args: 1,
    },
    aggregating("stddev", AggFunc::Stddev, 1, 1),
    // The histograms' prototypes end in `...`: libdtrace checks the upper bound when it generates
    // code, with the `at most` wording, so the table's maxima give that wording here.
    aggregating("quantize", AggFunc::Quantize, 1, 2),
    aggregating("lquantize", AggFunc::Lquantize, 3, 5),
    aggregating("llquantize", AggFunc::Llquantize, 5, 6),
    agg_action("clear", AggAction::Clear, 1, 1),
    agg_action("normalize", AggAction::Normalize, 2, 2),
    agg_action("denormalize", AggAction::Denormalize, 1, 1),
    agg_action("trunc", AggAction::Trunc, 1, 2),
    Function {
        name: "print",
        kind: FunctionKind::Print,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "setopt",
        kind: FunctionKind::Setopt,
        min_args: 1,
        max_args: 2,
    },
    Function {
        name: "speculate",
        kind: FunctionKind::Speculate,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "commit",
        kind: FunctionKind::Commit,
        min_args: 1,
        max_args: 1,
    },
    Function {
        name: "discard",
        kind: FunctionKind::Discard,
        min_args: 1,
        max_args: 1,
    },
    stack("stack", false, 1),
    stack("ustack", true, 2),
    // tracer has no Java stack helper, so `jstack()` records the user stack as libdtrace does.
    stack("jstack", true, 2),
    sym_addr("sym", SymKind::Sym),
    sym_addr("func", SymKind::Sym),
    sym_addr("mod", SymKind::Mod),
    sym_addr("usym", SymKind::USym),
    sym_addr("ufunc", SymKind::USym),
    sym_addr("umod", SymKind::UMod),
    sym_addr("uaddr", SymKind::UAddr),
];

/// The built-in function called `name`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|function| function.name == name)
}

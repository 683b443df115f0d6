//! Built-in variables: `pid`, `execname`, `arg0`, `probefunc`, ...

use crate::ir::{Builtin, ProbeField};
use crate::types::Type;

/// How a built-in variable's value is produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariableSource {
    /// An integer from a helper or the D context.
    Int(Builtin),
    /// `ppid`, which needs `task_struct` offsets from BTF.
    Ppid,
    /// `execname`: the current task's `comm`.
    Execname,
    /// `execargs`: the current process's arguments, separated by spaces, as FreeBSD's DTrace
    /// gives them; needs `task_struct.mm` and `mm_struct.arg_start`/`arg_end` from BTF.
    ExecArgs,
    /// One of the probe's names.
    ProbeName(ProbeField),
    /// A constant: `NULL`, which D declares as `inline long NULL = 0`.
    Constant(u64),
    /// `curthread`, whose type (`struct task_struct *`) comes from kernel BTF.
    CurThread,
    /// `curcpu`, whose type (`cpuinfo_t *`) comes from the D library's `sched.d`.
    CurCpu,
    /// `vtimestamp`, which needs the offset of `task_struct.se.sum_exec_runtime` from BTF.
    VTimestamp,
    /// `epid`, which depends on the clause.
    Epid,
    /// A variable tracer does not provide yet (`uregs`).
    Unsupported,
    /// `stackdepth` (kernel) or `ustackdepth` (`user`): the frames of the current stack.
    StackDepth {
        /// The user stack.
        user: bool,
    },
}

/// A built-in variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its D name.
    pub name: &'static str,
    /// Its D type.
    pub ty: Type,
    /// Where its value comes from.
    pub source: VariableSource,
}

const fn int(name: &'static str, ty: Type, builtin: Builtin) -> Variable {
    Variable {
        name,
        ty,
        source: VariableSource::Int(builtin),
    }
}

const fn probe_name(name: &'static str, field: ProbeField) -> Variable {
    Variable {
        name,
        ty: Type::String,
        source: VariableSource::ProbeName(field),
    }
}

const fn unsupported(name: &'static str) -> Variable {
    Variable {
        name,
        ty: Type::ULONG,
        source: VariableSource::Unsupported,
    }
}

/// Every built-in variable.
pub const VARIABLES: &[Variable] = &[
    int("pid", Type::INT, Builtin::Pid),
    int("tid", Type::INT, Builtin::Tid),
    Variable {
        name: "ppid",
        ty: Type::INT,
        source: VariableSource::Ppid,
    },
    int("uid", Type::UINT, Builtin::Uid),
    int("gid", Type::UINT, Builtin::Gid),
    int("timestamp", Type::ULONG, Builtin::Timestamp),
    Variable {
        name: "vtimestamp",
        ty: Type::ULONG,
        source: VariableSource::VTimestamp,
    },
    Variable {
        name: "epid",
        ty: Type::ULONG,
        source: VariableSource::Epid,
    },
    // Linux has no interrupt priority level that a probe could see; DTrace on Linux reports 0.
    Variable {
        name: "ipl",
        ty: Type::UINT,
        source: VariableSource::Constant(0),
    },
    unsupported("uregs"),
    int("walltimestamp", Type::ULONG, Builtin::WallTimestamp),
    int("cpu", Type::INT, Builtin::Cpu),
    int("id", Type::UINT, Builtin::ProbeId),
    int("errno", Type::INT, Builtin::Errno),
    int("caller", Type::ULONG, Builtin::Caller),
    int("ucaller", Type::ULONG, Builtin::UCaller),
    Variable {
        name: "stackdepth",
        ty: Type::UINT,
        source: VariableSource::StackDepth { user: false },
    },
    Variable {
        name: "ustackdepth",
        ty: Type::UINT,
        source: VariableSource::StackDepth { user: true },
    },
    int("arg0", Type::LONG, Builtin::Arg(0)),
    int("arg1", Type::LONG, Builtin::Arg(1)),
    int("arg2", Type::LONG, Builtin::Arg(2)),
    int("arg3", Type::LONG, Builtin::Arg(3)),
    int("arg4", Type::LONG, Builtin::Arg(4)),
    int("arg5", Type::LONG, Builtin::Arg(5)),
    int("arg6", Type::LONG, Builtin::Arg(6)),
    int("arg7", Type::LONG, Builtin::Arg(7)),
    int("arg8", Type::LONG, Builtin::Arg(8)),
    int("arg9", Type::LONG, Builtin::Arg(9)),
    Variable {
        name: "execname",
        ty: Type::String,
        source: VariableSource::Execname,
    },
    Variable {
        name: "execargs",
        ty: Type::String,
        source: VariableSource::ExecArgs,
    },
    Variable {
        name: "curthread",
        ty: Type::Void,
        source: VariableSource::CurThread,
    },
    Variable {
        name: "curcpu",
        ty: Type::Void,
        source: VariableSource::CurCpu,
    },
    probe_name("probeprov", ProbeField::Provider),
    probe_name("probemod", ProbeField::Module),
    probe_name("probefunc", ProbeField::Function),
    probe_name("probename", ProbeField::Name),
    Variable {
        name: "NULL",
        ty: Type::LONG,
        source: VariableSource::Constant(0),
    },
];

/// The built-in variable called `name`.
pub fn lookup(name: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|variable| variable.name == name)
}

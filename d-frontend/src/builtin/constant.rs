//! Named integer constants DTrace defines for every program: the signals of its `signal.d` library
//! (for `raise()`), the `DTRACEFLT_*` fault codes the `ERROR` probe's `arg4` holds, and the
//! address families and hardware types of its `net.d` library (for `inet_ntop()` and
//! `link_ntop()`).

/// The constant called `name` and its value (an `int`).
pub fn lookup(name: &str) -> Option<i32> {
    CONSTANTS
        .iter()
        .find(|(constant, _)| *constant == name)
        .map(|&(_, value)| value)
}

/// Every constant, with Linux's (x86-64) signal numbers.
const CONSTANTS: &[(&str, i32)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGIOT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPOLL", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
    ("DTRACEFLT_UNKNOWN", 0),
    ("DTRACEFLT_BADADDR", 1),
    ("DTRACEFLT_BADALIGN", 2),
    ("DTRACEFLT_ILLOP", 3),
    ("DTRACEFLT_DIVZERO", 4),
    ("DTRACEFLT_NOSCRATCH", 5),
    ("DTRACEFLT_KPRIV", 6),
    ("DTRACEFLT_UPRIV", 7),
    ("DTRACEFLT_TUPOFLOW", 8),
    ("DTRACEFLT_BADSTACK", 9),
    ("DTRACEFLT_BADSIZE", 10),
    ("DTRACEFLT_BADINDEX", 11),
    ("DTRACEFLT_LIBRARY", 1000),
    ("AF_INET", 2),
    ("AF_INET6", 10),
    ("ARPHRD_ETHER", 1),
    ("ARPHRD_INFINIBAND", 32),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_and_faults_have_linux_and_dtrace_numbers() {
        assert_eq!(lookup("SIGUSR1"), Some(10));
        assert_eq!(lookup("SIGKILL"), Some(9));
        assert_eq!(lookup("DTRACEFLT_DIVZERO"), Some(4));
        assert_eq!(lookup("SIGNOPE"), None);
    }
}

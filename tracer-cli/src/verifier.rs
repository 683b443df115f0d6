//! Wording a verifier rejection: the reason in one line, the whole log only under `-v`.
//!
//! The kernel's log walks every instruction it checked, then says what was wrong, then (with
//! `BPF_LOG_STATS`) how much work it did. The reason is the last line before those statistics,
//! which is what a user needs first; the walk matters only to someone debugging the code
//! generator, who asks for it with `-v`.

/// The line of `log` that says why the verifier refused the program: the last one that is not
/// blank and not one of the statistics lines the kernel appends.
pub fn reason(log: &str) -> Option<&str> {
    log.lines()
        .map(str::trim)
        .rev()
        .find(|line| !line.is_empty() && !is_statistics(line))
}

/// Whether `line` is one of the statistics the kernel prints after its verdict.
fn is_statistics(line: &str) -> bool {
    line.starts_with("processed ")
        || line.starts_with("verification time ")
        || line.starts_with("stack depth ")
}

/// The whole message: where the rejected code came from, the reason, and with `verbose` the
/// verifier's log as it wrote it.
pub fn message(location: &str, log: &str, verbose: bool) -> String {
    let mut message = format!("failed to enable probes: the BPF verifier rejected the {location}");
    if let Some(reason) = reason(log) {
        message.push_str(": ");
        message.push_str(reason);
    }
    if verbose {
        message.push_str("\nnote: verifier log:\n");
        message.push_str(log.trim_end());
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
0: R1=ctx() R10=fp0
0: (bf) r6 = r1                       ; R1=ctx() R6_w=ctx()
1: (79) r2 = *(u64 *)(r10 -8)
invalid read from stack R10 off=-8 size=8
verification time 31 usec
stack depth 8
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";

    #[test]
    fn the_reason_is_the_last_line_before_the_statistics() {
        assert_eq!(
            reason(LOG),
            Some("invalid read from stack R10 off=-8 size=8")
        );
        assert_eq!(
            reason("R1 invalid mem access 'scalar'\n"),
            Some("R1 invalid mem access 'scalar'")
        );
        assert_eq!(reason("processed 2 insns\n\n"), None);
    }

    #[test]
    fn one_line_unless_verbose() {
        assert_eq!(
            message("clause at t.d line 3", LOG, false),
            "failed to enable probes: the BPF verifier rejected the clause at t.d line 3: invalid read from stack R10 off=-8 size=8"
        );
        let verbose = message("clause at t.d line 3", LOG, true);
        let mut lines = verbose.lines();
        assert_eq!(
            lines.next(),
            Some(
                "failed to enable probes: the BPF verifier rejected the clause at t.d line 3: invalid read from stack R10 off=-8 size=8"
            )
        );
        assert_eq!(lines.next(), Some("note: verifier log:"));
        assert_eq!(
            lines.collect::<Vec<_>>(),
            LOG.trim_end().lines().collect::<Vec<_>>()
        );
    }
}

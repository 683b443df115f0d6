#!/bin/sh
# Runs walking-skeleton one-liners with records through the ring buffer and through per-CPU perf
# buffers, printing each output and a line per one-liner whose outputs differ, then "same" when
# none did. Records from several CPUs may come in another order, so outputs are sorted. $1 is
# the tracer binary.
tracer=$1
status=0
run() {
    ring=$("$tracer" -x bufmode=ring "$@" 2>&1 | sort)
    perf=$("$tracer" -x bufmode=perf "$@" 2>&1 | sort)
    printf '%s\n' "$perf"
    [ "$ring" = "$perf" ] || { echo "differs: $*"; status=1; }
}
run -qn 'BEGIN { printf("hello %d %s\n", 42, "world"); exit(0); }'
run -qn 'BEGIN { trace(7); trace("seven"); exit(3); }'
run -qn 'syscall::read:entry /pid == $target/ { @reads = count(); } END { printa("reads=%@d\n", @reads); }' \
    -c 'dd if=/etc/passwd of=/dev/null bs=1 count=300 status=none'
run -qn 'syscall::write:entry /pid == $target/ { printf("write %d\n", arg2); }' \
    -c 'dd if=/dev/zero of=/dev/null bs=3 count=500 status=none'
run -qn 'tracepoint:sched::sched_process_exec /pid == $target/ { printf("exec %s\n", execname); }' \
    -c /bin/true
run -qn 'BEGIN { x = 0; } tick-10ms /++x == 3/ { printf("ticks %d\n", x); exit(0); } END { printf("end\n"); }'
[ $status -eq 0 ] && echo same

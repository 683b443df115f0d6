#!/bin/sh
# Checks each capability line of `tracer --self-test` against what this machine shows by other
# means (sysfs, tracefs, the kernel release, id -u), printing one line per mismatch, then
# "agree" when there was none. $1 is the tracer binary.
report=$("$1" --self-test)
status=0
line() { printf '%s\n' "$report" | sed -n "s/^ *$1: //p"; }
expect() {
    # $1 the capability, $2 "available" or "unavailable", $3 what this machine shows.
    got=$(line "$1")
    case $got in
    "$2"*) ;;
    *) echo "$1: self-test says '$got', but $3"; status=1 ;;
    esac
}
either() { if [ "$1" ]; then echo available; else echo unavailable; fi; }
at_least() {
    # Whether the running kernel's release is at least $1.$2.
    release=$(uname -r)
    major=${release%%.*}
    minor=${release#*.}
    minor=${minor%%[!0-9]*}
    [ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}
expect "bpf syscall" available "this suite loads BPF programs"
expect btf "$(either "$([ -r /sys/kernel/btf/vmlinux ] && echo y)")" "/sys/kernel/btf/vmlinux says otherwise"
expect tracefs "$(either "$([ -d /sys/kernel/tracing/events ] && echo y)")" "/sys/kernel/tracing says otherwise"
expect tracepoints "$(either "$([ -r /sys/kernel/tracing/events/sched/sched_switch/id ] && echo y)")" "tracefs says otherwise"
expect kprobes "$(either "$([ -e /sys/bus/event_source/devices/kprobe/type ] && echo y)")" "sysfs says otherwise"
expect uprobes "$(either "$([ -e /sys/bus/event_source/devices/uprobe/type ] && echo y)")" "sysfs says otherwise"
expect "perf events" available "the profile provider works here"
expect "ring buffer" "$(either "$(at_least 5 8 && echo y)")" "ring buffers came in Linux 5.8"
expect "task btf" "$(either "$(at_least 5 11 && [ -r /sys/kernel/btf/vmlinux ] && echo y)")" "bpf_get_current_task_btf came in Linux 5.11"
expect may_goto "$(either "$(at_least 6 9 && echo y)")" "may_goto came in Linux 6.9"
if [ "$(line fentry)" != available ] && [ "$(line kprobes)" != available ]; then
    expect fbt unavailable "neither fentry nor kprobes are available"
fi
lockdown=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null)
[ -z "$lockdown" ] || [ "$(line lockdown)" = "$lockdown" ] ||
    { echo "lockdown: self-test says '$(line lockdown)', securityfs '$lockdown'"; status=1; }
case $(line privileges) in
"uid $(id -u) "*) ;;
*) echo "privileges: '$(line privileges)' is not uid $(id -u)"; status=1 ;;
esac
[ $status -eq 0 ] && echo agree

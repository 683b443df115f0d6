#!/bin/sh
# Prints the BPF links a running tracer holds for pid probes, one line per kind: the link type
# the kernel names in /proc/PID/fdinfo, with the file, and whether the link's pid is the target's
# for uprobe-multi links; then how many "perf" links (a uprobe perf event each) there are for
# the probes matched. $1 is the tracer binary; the other arguments go to it (-x uprobemode=...). The target
# is scripts/pid_prog.c calling go() in a loop, probed at the entries and returns of go and of
# libc's strc* functions.
tracer=$1
shift
dir=$(mktemp -d)
trap 'kill $target $tracer_pid 2>/dev/null; rm -r "$dir"' EXIT
gcc -O1 -o "$dir/pid_prog" scripts/pid_prog.c || exit 1
"$dir/pid_prog" wait &
target=$!
"$tracer" "$@" -n 'pid$target:libc.so.6:strc*:entry, pid$target:libc.so.6:strc*:return,
    pid$target:a.out:go:entry, pid$target:a.out:go:return { @[probename] = count(); }' \
    -p "$target" >"$dir/out" 2>"$dir/err" &
tracer_pid=$!
tries=0
until grep -q ' matched ' "$dir/err"; do
    tries=$((tries + 1))
    [ $tries -gt 600 ] && { echo "tracer did not attach"; cat "$dir/err"; exit 1; }
    sleep 0.1
done
matched=$(sed -n 's/.* matched \([0-9]*\) probes$/\1/p' "$dir/err")
for info in /proc/$tracer_pid/fdinfo/*; do
    type=$(sed -n 's/^link_type:\t//p' "$info" 2>/dev/null)
    case $type in
    "" | perf) ;;
    *)
        path=$(sed -n 's/^path:\t//p' "$info")
        pid=$(sed -n 's/^pid:\t//p' "$info")
        same=no
        [ "$pid" = "$target" ] && same=yes
        echo "$type ${path##*/} target-pid=$same"
        ;;
    esac
done | sort
n_perf=$(for info in /proc/$tracer_pid/fdinfo/*; do
    sed -n 's/^link_type:\tperf$/x/p' "$info" 2>/dev/null
done | wc -l)
if [ "$n_perf" -eq "$matched" ]; then
    echo "perf links: one per probe"
else
    echo "perf links: $n_perf for $matched probes"
fi
kill -TERM $tracer_pid
wait $tracer_pid
echo "tracer exited $?"

#!/bin/sh
# Prints "agree" when the reason `tracer --self-test` gives for fbt being unavailable is the one
# tracing an fbt probe fails with (both empty where fbt attaches). $1 is the tracer binary; the
# other arguments go to both runs (-x fbtmode=...).
tracer=$1
shift
reason=$("$tracer" --self-test "$@" | sed -n 's/^ *fbt: unavailable: //p')
refusal=$("$tracer" "$@" -n 'fbt::vfs_read:entry { exit(0); }' 2>&1 >/dev/null |
    sed -n 's/^tracer: cannot attach fbt:vmlinux:vfs_read:entry: //p')
echo "self-test: $reason"
echo "refusal: $refusal"
[ "$reason" = "$refusal" ] && echo agree

# The seed's script against a process blocking in read(2) on a named FIFO: the reader opens the
# FIFO read-write (so the open does not block), waits for tracer to attach, then blocks in read
# until a writer sends a line two seconds later. tracer ends when the reader exits.
tracer=$1
dir=$(mktemp -d /tmp/tracer-fds.XXXXXX) || exit 1
mkfifo "$dir/fifo" || exit 1
sh -c 'exec 3<>"$1"; sleep 1; read line <&3' reader "$dir/fifo" &
reader=$!
(sleep 3; echo wake > "$dir/fifo") &
"$tracer" -p "$reader" -s scripts/fds_seed.d
status=$?
wait
rm -rf "$dir"
exit $status

# The seed's script against a process blocking in read(2) on a named FIFO: the reader opens the
# FIFO read-write (so the open does not block) and waits for the file that tracer's -c command
# creates once the probes are attached; then it blocks in read until a writer sends a line two
# seconds later. tracer ends when the reader and the -c command have exited.
tracer=$1
dir=$(mktemp -d /tmp/tracer-fds.XXXXXX) || exit 1
mkfifo "$dir/fifo" || exit 1
sh -c 'exec 3<>"$1/fifo"; until [ -e "$1/ready" ]; do sleep 0.1; done; read line <&3' reader "$dir" &
reader=$!
(until [ -e "$dir/ready" ]; do sleep 0.1; done; sleep 2; echo wake > "$dir/fifo") &
"$tracer" -p "$reader" -c "touch $dir/ready" -s scripts/fds_seed.d
status=$?
wait
rm -rf "$dir"
exit $status

#!/bin/sh
# Sends a record for each of $3 one-byte reads through a ring buffer of $2 bytes (-b) and checks
# what arrives. The records are not a divisor of the buffer's size, so as the positions go round
# the buffer, records keep wrapping past its end. Each record holds a sequence number and three
# values computed from it, the last ones in the bytes that wrap, so a record put together wrongly
# shows. Prints whether every line was intact, whether the sequence numbers only grew, whether
# the records filled the buffer more than twice over, and the records printed plus the drops
# reported, which must be the number of reads. $1 is the tracer binary; the rest of the arguments
# go to tracer.
tracer=$1
bufsize=$2
reads=$3
shift 3
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$tracer" -q -b "$bufsize" "$@" -n '
syscall::read:entry
/pid == $target && arg2 == 1/
{
	n++;
	printf("%d %d %d %d\n", n, n * 3, n + 1000000, n * 7);
}' -c "dd if=/dev/zero of=/dev/null bs=1 count=$reads status=none" >"$out" 2>"$err"
echo "exit status $?"
awk -v reads="$reads" -v bufsize="$bufsize" '
# The blank line that ends the output.
FILENAME == ARGV[1] && $0 == "" { next }
FILENAME == ARGV[1] {
	delivered++
	if (NF != 4 || $2 != $1 * 3 || $3 != $1 + 1000000 || $4 != $1 * 7) {
		broken++
		if (broken <= 3)
			print "broken: " $0
	}
	if ($1 <= last)
		disordered++
	last = $1
	next
}
/^tracer: [0-9]+ drops? on CPU [0-9]+$/ { dropped += $2; next }
{ print "stderr: " $0 }
END {
	sub(/k$/, "", bufsize)
	# A record is a 16-byte header and four 8-byte values, after the ring buffer header.
	laps = delivered * 56 / (bufsize * 1024)
	print "intact: " (broken ? "no" : "yes")
	print "in order: " (disordered ? "no" : "yes")
	print "wrapped: " (laps > 2 ? "yes" : "no")
	print "accounted: " (delivered + dropped == reads ? "yes" : "no, " delivered " printed and " dropped " dropped")
}' "$out" "$err"

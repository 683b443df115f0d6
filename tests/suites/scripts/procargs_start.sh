#!/bin/sh
# Prints this process's start time in seconds since the epoch, as /proc gives it: the boot time
# plus the start time in clock ticks since boot.
btime=$(awk '/^btime/ { print $2 }' /proc/stat)
ticks=$(cut -d ')' -f 2 /proc/$$/stat | awk '{ print $20 }')
echo "proc $((btime + ticks / $(getconf CLK_TCK)))"

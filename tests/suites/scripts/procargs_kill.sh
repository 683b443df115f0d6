#!/bin/sh
# Sends SIGUSR2 and SIGTERM to two children and names them, for proc:::signal-send's args[].
sleep 5 &
a=$!
sleep 5 &
b=$!
echo "children $a $b"
kill -USR2 "$a"
kill -TERM "$b"
wait

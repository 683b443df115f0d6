#!/bin/sh
# Forks one child and names it, for proc:::create's args[0].
/bin/true &
echo "child $!"
wait

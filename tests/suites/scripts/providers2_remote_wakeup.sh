#!/bin/sh
# A reader pinned to CPU 1 sleeps on a pipe and is woken twice by a writer pinned to CPU 0.
(taskset -c 0 sh -c 'sleep 0.2; echo x; sleep 0.2; echo y') | taskset -c 1 cat >/dev/null

#!/bin/sh
# Says so and exits when it receives SIGUSR1; until then, waits for one child after another.
trap 'echo caught SIGUSR1; exit 0' USR1
while :; do
	sleep 0.05
done

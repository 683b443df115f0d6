#!/bin/sh
# Runs `true` once on CPU 0, then once on CPU 1.
taskset -c 0 true
taskset -c 1 true

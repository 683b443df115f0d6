#!/bin/sh
# Three writes to /dev/null, of 2, 3 and 4 bytes.
echo x >/dev/null
echo yy >/dev/null
echo zzz >/dev/null

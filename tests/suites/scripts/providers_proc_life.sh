#!/bin/sh
# A failed exec, a successful one, then an exit with status 3.
/nonexistent/tracer-test 2>/dev/null
/bin/true
exit 3

/* #pragma D error stops compilation with its words. */
#pragma D error "stop here"
BEGIN { exit(0); }

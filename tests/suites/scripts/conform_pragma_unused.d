/* Nothing called "nothing" is defined: the pragma is unused. */
#pragma D attributes Stable/Stable/Common nothing
BEGIN { exit(0); }

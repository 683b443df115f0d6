profile:::tick-100ms { @ticks = count(); } tick-1s { exit(0); }

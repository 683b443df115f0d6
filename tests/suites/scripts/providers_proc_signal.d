proc:::signal-send /args[1]->pr_pid == $target/ { printf("signal-send %d from %d\n", args[2], pid == $target); }
proc:::signal-handle /pid == $target/ { printf("signal-handle %d\n", args[0]); }
proc:::exit /pid == $target/ { printf("exit %d\n", args[0]); }

int lwp_exits;

proc:::lwp-create /pid == $target/ { printf("lwp-create %d\n", args[1]->pr_pid == $target && args[0]->pr_lwpid != $target); }
proc:::lwp-start /pid == $target/ { printf("lwp-start %d\n", tid != $target); }
proc:::lwp-exit /pid == $target/ { lwp_exits++; }
proc:::create /pid == $target/ { printf("create\n"); }
END { printf("lwp-exit %d\n", lwp_exits); }

proc:::exec /progenyof($target)/ { printf("exec %s\n", args[0]); }
proc:::exec-failure /progenyof($target)/ { printf("exec-failure %d\n", args[0]); }
proc:::exec-success /progenyof($target)/ { printf("exec-success %s\n", execname); }
proc:::create /pid == $target/ { printf("create %d\n", args[0]->pr_ppid == $target); }
proc:::start /progenyof($target)/ { printf("start %d\n", ppid == $target); }
proc:::exit /progenyof($target)/ { printf("exit %s %d\n", execname, args[0]); }

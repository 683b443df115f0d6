syscall::read:entry /pid == $target/ { @bytes = sum(arg2); } END { printa("%@d\n", @bytes); }

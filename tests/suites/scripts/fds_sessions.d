#pragma D option quiet

syscall::ioctl:entry
/progenyof($target) && arg1 == 0x7472/
{
	printf("%d %d %d|%s|%s\n", curpsinfo->pr_pgid, curpsinfo->pr_sid, curpsinfo->pr_pid,
	    copyinstr(arg2), curpsinfo->pr_sid == curpsinfo->pr_pid ? "session" :
	    curpsinfo->pr_pgid == curpsinfo->pr_pid ? "group" : "member");
}

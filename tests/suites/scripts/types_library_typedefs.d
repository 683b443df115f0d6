#pragma D option quiet
#pragma D option scratchsize=1024

psinfo_t *ps;
lwpsinfo_t lwp;
fileinfo_t fi;
bufinfo_t *bp;

BEGIN
{
	lwp.pr_lwpid = 7;
	fi.fi_offset = 1234;
	ps = (psinfo_t *)alloca(sizeof (psinfo_t));
	ps->pr_pid = 42;
	bp = (bufinfo_t *)0;
	printf("%d %d %d %d\n", lwp.pr_lwpid, fi.fi_offset, ps->pr_pid, bp == NULL);
	printf("%d %d\n", sizeof (*ps) == sizeof (psinfo_t), sizeof (lwp) == sizeof (lwpsinfo_t));
	printf("%d %d %d\n", (uint)-12345, (u8)-1, (u16)+70000);
	exit(0);
}

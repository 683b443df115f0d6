/*
 * Globals shared by clauses on different probes: the entry clause counts the target's reads of
 * fd 0, a thread-local marks them, and the return clause adds up the bytes they returned.
 */
#pragma D option quiet

int bytes;

syscall::read:entry
/pid == $target && arg0 == 0/
{
	reads++;
	self->stdin = 1;
}

syscall::read:return
/self->stdin/
{
	bytes += arg0;
	self->stdin = 0;
}

END
{
	printf("reads=%d bytes=%d\n", reads, bytes);
}

/*
 * The thread-local latency pattern: the entry time is kept per thread, the return clause uses
 * it and deletes it by storing 0, so a later return without an entry is not counted.
 */
#pragma D option quiet

syscall::read:entry
/pid == $target && arg0 == 0/
{
	self->ts = timestamp;
}

syscall::read:return
/self->ts/
{
	elapsed = timestamp - self->ts;
	@reads = count();
	@positive = sum(elapsed > 0 ? 1 : 0);
	self->ts = 0;
}

syscall::read:return
/self->ts/
{
	@leftover = count();
}

END
{
	printa("reads %@d\n", @reads);
	printa("positive %@d\n", @positive);
}

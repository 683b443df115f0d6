/*
 * Each write(2) of the target is speculated at entry and committed at return only when it
 * wrote 3 bytes: the other writes' records are discarded.
 */
#pragma D option quiet
#pragma D option nspec=4

syscall::write:entry
/pid == $target/
{
	self->spec = speculation();
	speculate(self->spec);
	printf("write of %d bytes to fd %d\n", arg2, arg0);
}

syscall::write:return
/self->spec && arg1 == 3/
{
	commit(self->spec);
	self->spec = 0;
}

syscall::write:return
/self->spec/
{
	discard(self->spec);
	self->spec = 0;
}

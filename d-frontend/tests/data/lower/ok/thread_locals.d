syscall::read:entry
{
	self->ts = timestamp;
}

syscall::read:return
/self->ts/
{
	printf("%d\n", timestamp - self->ts);
	self->ts = 0;
}

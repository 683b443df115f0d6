syscall::read:entry
{
	self->ts = timestamp;
	this->fd = arg0;
}

syscall::read:return
/self->ts/
{
	@latency[probefunc] = quantize(timestamp - self->ts);
	self->ts = 0;
}

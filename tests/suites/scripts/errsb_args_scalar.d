syscall::write:entry
{
	@[args] = count();
}

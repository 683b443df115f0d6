syscall::openat:return
{
	if (arg1 < 0)
		@errors[execname] = count();
	else if (arg1 == 0) {
		trace("zero");
	} else {
		@fds[execname] = count();
		trace(arg1)
	}
	if (x) { }
}

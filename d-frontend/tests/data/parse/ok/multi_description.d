syscall::read:entry,
syscall::write:entry,
syscall::pread*:entry
/execname == "sshd"/
{
	@calls[probefunc] = count();
}

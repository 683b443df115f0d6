#pragma D option quiet

/*
 * fds_kinds.py calls ioctl(fd, 0x7472, name) with the name /proc gives fd: print what fds[]
 * says beside it.
 */
syscall::ioctl:entry
/pid == $target && arg1 == 0x7472/
{
	printf("%s|%s|%s\n", fds[arg0].fi_pathname, copyinstr(arg2), fds[arg0].fi_name);
}

/* The brief's aggregation, and each file's directory, name, file system and mount point. */
syscall::read:entry { @[fds[arg0].fi_pathname] = sum(arg2); }

syscall::read:entry
/pid == $target && fds[arg0].fi_fs != "pipefs"/
{
	printf("%s %s %s %s\n", fds[arg0].fi_dirname, fds[arg0].fi_name, fds[arg0].fi_fs,
	    fds[arg0].fi_mount);
}

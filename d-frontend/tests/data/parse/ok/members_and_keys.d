fbt::vfs_read:entry
{
	@sizes[execname, pid] = sum(args[2]);
	@[curthread->real_parent->pid] = count();
	x = args[0]->f_path.dentry->d_name.name;
	y = a[1, "two"][3];
}

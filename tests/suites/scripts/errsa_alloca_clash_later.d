/* Here the kernel address comes first and the alloca pointer in the second clause. */
#pragma D option quiet

BEGIN
{
	b = (char *)&`vfs_read;
	a = b + 5;
}

tick-1s,
END
{
	a = (char *)alloca(1);
	trace(a);
	exit(0);
}

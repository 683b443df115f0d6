BEGIN
{
	count = 1;
	name = execname;
}

syscall::read:entry
{
	count += arg2;
	total = count++ * 2;
	printf("%s %d\n", name, total);
}

/*
 * The first clause gives `a` an alloca pointer, the second a kernel address: libdtrace finds
 * the clash while generating the second clause's code and reports it at that clause's line.
 */
#pragma D option quiet

BEGIN
{
	a = (char *)alloca(1);
}

BEGIN
{
	b = (char *)&`vfs_read;
	a = NULL;
	a = b + 5;
	trace(a);
	exit(0);
}

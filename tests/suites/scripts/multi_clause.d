/*
 * Several clauses, several probe descriptions in one clause, BEGIN and END, and exit(3)
 * ending the run with status 3.  Run with -c, which defines $target.
 * The printf() formats have no newline because default (not quiet) output already ends
 * each firing's line.
 */

BEGIN
{
	printf("begin");
}

syscall::openat:entry,
syscall::read:entry
/pid == $target/
{
	@calls[probefunc] = count();
}

profile:::tick-1s
{
	exit(3);
}

END
{
	printf("end");
}

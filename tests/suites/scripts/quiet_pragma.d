/*
 * The quiet pragma acts as -q does; BEGIN clauses run in order, then END.
 */

#pragma D option quiet

BEGIN
{
	printf("begin\n");
}

BEGIN
{
	exit(0);
}

END
{
	printf("end\n");
}

#pragma D option quiet

/* ERROR's arguments: arg1 the probe, arg2 the clause, arg4 the fault, arg5 the address. */
ERROR
{
	printf("ERROR probe %d clause %d fault %d addr %d divzero %d\n", arg1, arg2, arg4, arg5,
	    arg4 == DTRACEFLT_DIVZERO);
}

BEGIN
{
	printf("first\n");
}

BEGIN
{
	trace(7 % arg0);
}

END
{
	printf("end\n");
}

BEGIN
{
	exit(0);
}

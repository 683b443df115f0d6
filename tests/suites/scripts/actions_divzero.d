#pragma D option quiet

/*
 * The first BEGIN clause divides by zero (arg0 is 0 in BEGIN): it stops there and prints
 * nothing, ERROR runs, and the next clauses run as usual.
 */
BEGIN
{
	printf("lost\n");
	trace(1 / arg0);
	printf("lost too\n");
}

BEGIN
{
	printf("begin goes on\n");
}

tick-50ms
{
	printf("tick %d\n", 10 % 4);
	exit(0);
}

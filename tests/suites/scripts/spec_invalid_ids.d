/*
 * speculate() of an ID that is not active (0, out of range, never handed out) ends the
 * clause at once. commit() and discard() of 0 or of an inactive ID do nothing, but an ID
 * above nspec is an illegal operation, which fires ERROR.
 */
#pragma D option quiet
#pragma D option nspec=2

BEGIN
{
	n = 0;
}

BEGIN
{
	speculate(0);
	n++;
}

BEGIN
{
	speculate(-1);
	n++;
}

BEGIN
{
	speculate(2);
	n++;
}

BEGIN
{
	commit(2);
	discard(0);
	n++;
}

BEGIN
{
	printf("n = %d\n", n);
}

BEGIN
{
	commit(3);
	n++;
}

BEGIN
{
	printf("after the fault, n = %d\n", n);
	exit(0);
}

ERROR
{
	printf("ERROR fired\n");
}

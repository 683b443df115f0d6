/*
 * After exit(), only END's records are printed; a commit in END still prints what BEGIN
 * speculated.
 */
#pragma D option quiet

BEGIN
{
	s = speculation();
}

BEGIN
{
	speculate(s);
	printf("kept in BEGIN, printed at END\n");
}

BEGIN
{
	exit(0);
}

END
{
	commit(s);
}

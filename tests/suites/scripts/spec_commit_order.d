/*
 * Speculations are filled in one order and committed or discarded in another: each commit
 * prints that speculation's records, in the order they were recorded, right after the
 * record of the clause that committed it.
 */
#pragma D option quiet
#pragma D option nspec=4

BEGIN
{
	first = speculation();
	second = speculation();
	third = speculation();
	printf("ids %d %d %d\n", first, second, third);
}

BEGIN
{
	speculate(first);
	printf("first, %s\n", "kept until its commit");
}

BEGIN
{
	speculate(second);
	printf("second, discarded\n");
}

BEGIN
{
	speculate(third);
	printf("third, %d\n", 3);
}

BEGIN
{
	speculate(first);
	printf("first again\n");
}

BEGIN
{
	printf("before the commits\n");
}

BEGIN
{
	commit(third);
	discard(second);
	commit(first);
}

BEGIN
{
	printf("after the commits\n");
	exit(0);
}

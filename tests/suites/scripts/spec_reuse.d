/*
 * With one speculation, each tick gets the same ID back: the consumer frees it once it has
 * handled the previous tick's commit or discard (within the 10 ms switch rate, long before
 * the next tick). A reused ID never shows records of its earlier use.
 */
#pragma D option quiet
#pragma D option switchrate=10ms

BEGIN
{
	n = 0;
}

tick-250ms
{
	s = speculation();
	printf("tick %d: speculation %d\n", n, s);
}

tick-250ms
{
	speculate(s);
	printf("  kept from tick %d\n", n);
}

tick-250ms
/n == 1/
{
	discard(s);
}

tick-250ms
/n != 1/
{
	commit(s);
}

tick-250ms
/++n == 3/
{
	exit(0);
}

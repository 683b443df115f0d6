/*
 * specsize bounds a speculation. A record larger than specsize by itself ends its clause
 * where it outgrew it, as DTrace checks each value it records; records that fit one by one
 * but not together are dropped by the consumer. Both count as speculative drops.
 */
#pragma D option quiet
#pragma D option specsize=40

BEGIN
{
	s = speculation();
	n = 0;
}

/* The 16-byte header and 3 values of 8 bytes: 40 bytes, which fit. */
BEGIN
{
	speculate(s);
	printf("%d %d %d\n", 1, 2, 3);
	n++;
}

/* 48 bytes: dropped, and n is not incremented. */
BEGIN
{
	speculate(s);
	printf("%d %d %d %d\n", 1, 2, 3, 4);
	n++;
}

/* 24 bytes fit alone, but not after the first record's 40. */
BEGIN
{
	speculate(s);
	printf("%d\n", 5);
	n++;
}

BEGIN
{
	commit(s);
}

BEGIN
{
	printf("clauses that ran to their end: %d\n", n);
	exit(0);
}

#pragma D option quiet

/*
 * The predicate gives `buf` its alloca memory on the first firing only; the body reaches it
 * again through integer arithmetic, which must keep it an alloca pointer.
 */
BEGIN / (n++ == 0) ? buf = alloca(16) : buf /
{
	p = (int *)((long)buf + 8 - 4);
	*p = 41;
	*p += 1;
	printf("stored %d at offset %d\n", *p, (long)p - (long)buf);
	exit(0);
}

ERROR
{
	printf("error %d\n", arg4);
	exit(1);
}

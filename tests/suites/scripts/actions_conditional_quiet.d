#pragma D option quiet

/* A nested if, whose inner else runs; the clause prints one line. */
BEGIN
{
	printf("a");
	if (arg0 == 0) {
		printf("b");
		if (arg1 != 0) {
			printf("x");
		} else {
			printf("c");
		}
		printf("d");
	}
	printf("e\n");
	exit(0);
}

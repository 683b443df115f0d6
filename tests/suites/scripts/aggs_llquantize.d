/*
 * llquantize(): log-linear buckets for steps equal to, below and above the factor, with the
 * underflow bucket in the middle, negative values and the overflow buckets at both ends.
 */

#pragma D option quiet

BEGIN
{
	@decades = llquantize(0, 10, 0, 3, 10);
	@decades = llquantize(7, 10, 0, 3, 10);
	@decades = llquantize(45, 10, 0, 3, 10, 2);
	@decades = llquantize(300, 10, 0, 3, 10);
	@decades = llquantize(99999, 10, 0, 3, 10);

	@halves = llquantize(-3, 4, 1, 2, 2);
	@halves = llquantize(5, 4, 1, 2, 2, 4);
	@halves = llquantize(40, 4, 1, 2, 2);

	@eighths = llquantize(1, 2, 0, 2, 4);
	@eighths = llquantize(3, 2, 0, 2, 4);
	@eighths = llquantize(6, 2, 0, 2, 4, 3);

	printf("decades\n");
	printa(@decades);
	printf("halves\n");
	printa(@halves);
	printf("eighths\n");
	printa(@eighths);
	exit(0);
}

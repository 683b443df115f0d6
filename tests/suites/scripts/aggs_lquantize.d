/*
 * lquantize(): the "< base" and ">= limit" buckets, steps, the optional increment, and bars drawn
 * both ways when counts are positive and negative.
 */

#pragma D option quiet

BEGIN
{
	@unit["default step"] = lquantize(0, 0, 10);
	@unit["default step"] = lquantize(3, 0, 10);
	@unit["default step"] = lquantize(3, 0, 10);
	@unit["default step"] = lquantize(9, 0, 10);
	@unit["default step"] = lquantize(10, 0, 10);
	@unit["default step"] = lquantize(-1, 0, 10);

	@wide["step 25"] = lquantize(-100, -50, 50, 25);
	@wide["step 25"] = lquantize(-26, -50, 50, 25, 3);
	@wide["step 25"] = lquantize(24, -50, 50, 25, 2);
	@wide["step 25"] = lquantize(1000, -50, 50, 25);

	@negative["one side"] = lquantize(40, 0, 100, 10, -2);
	@negative["one side"] = lquantize(70, 0, 100, 10, -6);

	@mixed = lquantize(1, 0, 4, 1, -4);
	@mixed = lquantize(2, 0, 4, 1, 12);
	@mixed = lquantize(3, 0, 4, 1, 1);

	@empty = lquantize(5, 0, 100, 10, 0);
	exit(0);
}

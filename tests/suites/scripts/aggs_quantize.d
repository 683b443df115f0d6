/*
 * quantize(): powers-of-two buckets, with the empty bucket on each side of the data, the optional
 * increment, negative values and increments, and keys sorted by the weighted bucket sum.
 */

#pragma D option quiet

BEGIN
{
	@["small"] = quantize(0);
	@["small"] = quantize(1);
	@["small"] = quantize(1);
	@["small"] = quantize(3);
	@["small"] = quantize(7, 4);
}

BEGIN
{
	@["signed"] = quantize(-1);
	@["signed"] = quantize(-1000);
	@["signed"] = quantize(5000, 2);
	@["signed"] = quantize(-9223372036854775807 - 1);
}

BEGIN
{
	@["debit"] = quantize(64, -3);
	@["debit"] = quantize(65, -1);
}

BEGIN
{
	@["cancelled"] = quantize(16, 5);
	@["cancelled"] = quantize(16, -5);
}

BEGIN
{
	@["huge"] = quantize(9223372036854775807);
	@["huge"] = quantize(4611686018427387904, 3);
	exit(0);
}

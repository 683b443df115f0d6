/*
 * The actions on whole aggregations run in record order with printa(): normalize() divides what is
 * printed, denormalize() undoes it, trunc() keeps the largest (or, negative, the smallest) entries,
 * clear() zeroes the values and keeps the keys, and the END clause aggregates afresh after it.
 */

#pragma D option quiet

BEGIN
{
	@sum["a"] = sum(1000);
	@sum["b"] = sum(2000);
	@sum["c"] = sum(3000);
	@sum["d"] = sum(-4000);
	@dist = lquantize(3, 0, 10, 1, 60);
	@kept["w"] = sum(1);
	@kept["x"] = sum(2);
	@kept["y"] = sum(3);
	@kept["z"] = sum(4);
	@gone["only"] = count();
	@min["low"] = min(3);
	@min["high"] = min(30);

	normalize(@sum, 7);
	normalize(@dist, 4);
	printa("normalized %s %@d\n", @sum);
	printa(@dist);
	denormalize(@sum);
	printa("denormalized %s %@d\n", @sum);

	trunc(@sum, 2);
	printa("largest two %s %@d\n", @sum);
	trunc(@kept, -3);
	printa("smallest three %s %@d\n", @kept);
	trunc(@kept, -1);
	printa("smallest one %s %@d\n", @kept);
	trunc(@gone);
	printa("none %s %@d\n", @gone);

	clear(@sum);
	clear(@min);
	printa("cleared %s %@d\n", @sum);
	printa("cleared %s %@d\n", @min);
	exit(0);
}

END
{
	@sum["e"] = sum(5);
	@sum["a"] = sum(6);
	@min["low"] = min(4);
	printa("after clear %s %@d\n", @sum);
	printa("after clear %s %@d\n", @min);
}

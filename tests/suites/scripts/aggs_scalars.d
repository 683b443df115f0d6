/*
 * The scalar aggregating functions in the end-of-run dump: each aggregation's rows sorted by
 * value, then by key, one aggregation after the other in order of first use.
 */

#pragma D option quiet

BEGIN
{
	@count["b"] = count();
	@count["a"] = count();
	@count["c"] = count();
	@count["c"] = count();

	@sum[2, "two"] = sum(-20);
	@sum[1, "one"] = sum(10);
	@sum[1, "uno"] = sum(10);
	@sum[3, "three"] = sum(-9223372036854775807 - 1);

	@avg["down"] = avg(-7);
	@avg["down"] = avg(-8);
	@avg["up"] = avg(7);
	@avg["up"] = avg(8);

	@min = min(5);
	@min = min(-12);
	@min = min(40);

	@max = max(-5);
	@max = max(-12);

	@stddev["flat"] = stddev(42);
	@stddev["flat"] = stddev(42);
	@stddev["spread"] = stddev(10);
	@stddev["spread"] = stddev(20);
	@stddev["spread"] = stddev(60);
	@stddev["large"] = stddev(-5000000000);
	@stddev["large"] = stddev(-5000000300);
	exit(0);
}
